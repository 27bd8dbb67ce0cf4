-- The newest attach kinds (issue 16): kprobe/uprobe sessions, periodic
-- perf events, BPF_PROG_QUERY. Each test says which kernel introduced
-- what it needs: from that version on it must work (here and in the VM
-- kernels, .ci/steps/61-newest-vm.sh), before it is skipped with the reason.
local ebpf = require "ebpf"
local helpers = require "helpers"
local U = require "link_util"
local link = ebpf.link

local BIN = helpers.build .. "/testdata/link/"

local function kernel_version()
  local f = assert(io.open("/proc/sys/kernel/osrelease"))
  local maj, min = f:read("a"):match("^(%d+)%.(%d+)")
  f:close()
  return tonumber(maj) * 100 + tonumber(min)
end
local KV = kernel_version()

local function has_kprobes()
  local f = io.open("/sys/bus/event_source/devices/kprobe/type")
  if f then f:close() return true end
  return false
end

-- true when the test must run: the kernel is new enough (and has what
-- else `extra_ok` says); otherwise marks it pending with the reason. A
-- kernel too old is always a reason; a missing extra only outside the VMs
-- (EBPF_LINK_VM=1), where every kernel has kprobes.
local function needs(version, what, extra_ok, extra_reason)
  if KV < version then
    pending(("%s needs Linux %d.%d (this is %d.%d)"):format(what, version // 100, version % 100,
                                                            KV // 100, KV % 100))
    return false
  end
  if extra_ok == false then
    if os.getenv("EBPF_LINK_VM") == "1" then error("in the VM this must work: " .. extra_reason, 2) end
    pending(what .. ": " .. extra_reason)
    return false
  end
  return true
end

local function opens(n)
  for _ = 1, n do assert(io.open("/etc/hostname")):close() end
end

-- The session kfuncs took no argument until 7.x gave them the context:
-- pick the object built for this kernel's prototype.
local function session_object()
  local vmlinux = assert(ebpf.btf.kernel())
  local f = vmlinux:find("bpf_session_is_return", "func")
  local ctx = f and f.type.vlen == 1
  return helpers.testdata(ctx and "newest/session_ctx.bpf.o" or "newest/session.bpf.o")
end

local function load_sessions(which)
  local spec = assert(ebpf.open(session_object()))
  spec.vars.target_pid = U.pid()
  for name, p in pairs(spec.programs) do p.autoload = (name == which) end
  return assert(spec:load())
end

describe("sessions", function()
  it("kprobe.session: one program at entry and return, cookie carried (6.10+)", function()
    if not needs(610, "kprobe.session", has_kprobes(), "kernel without kprobes") then return end
    local coll <close> = load_sessions("ksession")
    local l <close> = assert(coll.programs.ksession:attach())
    assert.matches("kprobe.session do_sys_openat2", tostring(l), 1, true)
    opens(9)
    l:close()
    opens(2)
    assert.equal(9, coll.vars.k_entries)
    assert.equal(9, coll.vars.k_returns)
    assert.equal(9, coll.vars.k_cookies)
  end)

  it("uprobe.session: entry's return value 1 skips the return run (6.13+)", function()
    if not needs(613, "uprobe.session") then return end
    local coll <close> = load_sessions("usession")
    local p = coll.programs.usession
    local l <close> = assert(p:attach { path = BIN .. "uprobe_target", syms = { "target_add" } })
    assert.matches("uprobe.session .*uprobe_target %(1 targets%)", tostring(l))
    -- target_add(i, 1000) for i = 0..9 (+ target_mul(6, 7)): the return run only for even i
    assert.equal("10087\n", helpers.sh(BIN .. "uprobe_target 10"))
    assert.equal(10, coll.vars.u_entries)
    assert.equal(5, coll.vars.u_returns)
    assert.equal(5, coll.vars.u_cookies)
    assert.equal(1000 + 1002 + 1004 + 1006 + 1008, coll.vars.u_ret_sum)
  end)

  it("a session program refuses retprobe", function()
    if not needs(613, "uprobe.session") then return end
    local coll <close> = load_sessions("usession")
    local l, err = link.uprobe_multi(coll.programs.usession,
      { path = BIN .. "uprobe_target", syms = { "target_add" }, retprobe = true })
    assert.is_nil(l)
    assert.matches("runs at entry and return already", tostring(err), 1, true)
  end)
end)

describe("periodic perf events", function()
  it("samples every CPU at a frequency, one link per CPU, with a cookie", function()
    local coll <close> = assert(ebpf.load(helpers.testdata("newest/periodic.bpf.o")))
    local ncpu = tonumber(helpers.sh("nproc"))
    local l = assert(link.perf_event(coll.programs.on_tick,
      { event = "cpu_clock", frequency = 200, cpu = "all", cookie = 0xfeed }))
    assert.equal(ncpu, l.count)
    local t0 = os.clock()
    while os.clock() - t0 < 0.5 do end -- cpu_clock ticks on idle CPUs too
    l:close()
    local after = {}
    for cpu = 0, ncpu - 1 do after[cpu] = coll.maps.ticks[cpu] end
    for cpu = 0, ncpu - 1 do
      -- 200 Hz for >= 0.5 s: ~100 samples; allow for a slow (emulated) machine
      assert.is_true(after[cpu] >= 20, ("cpu %d: %d samples"):format(cpu, after[cpu]))
    end
    assert.equal(0xfeed, coll.vars.last_cookie)
    t0 = os.clock()
    while os.clock() - t0 < 0.05 do end
    for cpu = 0, ncpu - 1 do assert.equal(after[cpu], coll.maps.ticks[cpu]) end -- closed: no more samples
  end)

  it("one CPU by number; bad cpu and frequency options raise", function()
    local coll <close> = assert(ebpf.load(helpers.testdata("newest/periodic.bpf.o")))
    local l = assert(link.perf_event(coll.programs.on_tick, { event = "cpu_clock", frequency = 100, cpu = 0 }))
    assert.equal("perf_event", l:info().type) -- one event, not a group
    l:close()
    -- prog:attach takes the same options for a perf_event program
    l = assert(coll.programs.on_tick:attach { event = "cpu_clock", frequency = 100, cpu = 0 })
    assert.equal("perf_event", l:info().type)
    l:close()
    assert.error_matches(function()
      link.perf_event(coll.programs.on_tick, { event = "cpu_clock", frequency = 100, cpu = "some" })
    end, "'cpu' is a CPU number or \"all\"", 1, true)
    assert.error_matches(function()
      link.perf_event(coll.programs.on_tick, { event = "cpu_clock", frequency = 100, period = 5 })
    end, "give 'frequency' or 'period', not both", 1, true)
  end)
end)

describe("tracing multi (7.2)", function()
  local function load_multi()
    local spec = assert(ebpf.open(helpers.testdata("newest/tracing_multi.bpf.o")))
    spec.vars.target_pid = U.pid()
    return assert(spec:load())
  end

  it("attaches fentry/fexit.multi from the section's glob", function()
    if not needs(702, "tracing multi links") then return end
    local coll <close> = load_multi()
    local links = assert(coll:attach())
    local n = 0
    for _ in pairs(links) do n = n + 1 end
    assert.equal(2, n)
    assert.matches("fentry.multi do_sys_openat* (", tostring(links.on_entry), 1, true)
    assert.equal("tracing_multi", links.on_entry:info().type)
    coll.vars.entry_hits, coll.vars.exit_hits = 0, 0 -- (info() above opens files)
    opens(7)
    local entries, exits = coll.vars.entry_hits, coll.vars.exit_hits
    for _, l in pairs(links) do l:close() end
    opens(2)
    assert.equal(7, entries)
    assert.equal(7, exits)
    assert.equal(7, coll.vars.entry_hits) -- detached
    assert.equal(0, coll.vars.cookie_sum) -- no cookies with a glob
  end)

  it("takes functions by name with a cookie each", function()
    if not needs(702, "tracing multi links") then return end
    local coll <close> = load_multi()
    local l <close> = assert(link.tracing_multi(coll.programs.on_entry,
      { funcs = { "do_sys_openat2", "fd_install" }, cookies = { 1, 1000 } }))
    assert.matches("fentry.multi do_sys_openat2 (2 functions)", tostring(l), 1, true)
    coll.vars.entry_hits, coll.vars.cookie_sum = 0, 0
    opens(4)
    local entries, cookies = coll.vars.entry_hits, coll.vars.cookie_sum
    l:close()
    assert.equal(8, entries)
    assert.equal(4 * 1001, cookies)
  end)

  it("names what it cannot find, and needs a multi program", function()
    if not needs(702, "tracing multi links") then return end
    local coll <close> = load_multi()
    local l, err = link.tracing_multi(coll.programs.on_entry, { funcs = { "no_such_kernel_function_xyz" } })
    assert.is_nil(l)
    assert.matches("no kernel function 'no_such_kernel_function_xyz'", tostring(err), 1, true)
    l, err = link.tracing_multi(coll.programs.on_entry, { pattern = "no_such_kernel_function_*" })
    assert.is_nil(l)
    assert.matches("no traceable kernel function matches", tostring(err), 1, true)
    local p <close> = U.prog("kprobe", U.array())
    assert.is_nil((link.tracing_multi(p, { funcs = { "do_sys_openat2" } })))
  end)
end)

describe("netkit (6.7+)", function()
  it("runs primary and peer programs on real traffic, ordered, queryable", function()
    if not needs(607, "netkit links", ebpf.features.link("netkit") == true, "kernel without netkit") then return end
    local A, B = "ebpfnkA" .. U.pid(), "ebpfnkB" .. U.pid()
    local ok = helpers.sh(([[
      ip netns add %s && ip netns add %s &&
      ip netns exec %s %s/testdata/link/netkit_pair nkA nkB && ip -n %s link set nkB netns %s &&
      ip -n %s addr add 10.198.0.1/24 dev nkA && ip -n %s addr add 10.198.0.2/24 dev nkB &&
      ip -n %s link set nkA up && ip -n %s link set nkB up && ip -n %s link set lo up && echo ok]]):format(
      A, B, A, helpers.build, A, B, A, B, A, B, A))
    local outp
    if ok:match("ok") then
      outp = helpers.sh(("ip netns exec %s env EBPF_BUILD=%s lua5.4 spec/link_scripts/netkit.lua %s 2>&1"):format(
        A, helpers.build, B))
    end
    os.execute(("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null"):format(A, B))
    assert.matches("ok", ok)
    local r = {}
    for k, v in outp:gmatch("([%w_]+)=([^\n]*)") do r[k] = v end
    assert.equal("done", r.fds_ok, outp)
    assert.matches("^netkit ebpf.link netkit primary nkA", r.info)
    assert.same({ "3", "5" }, { r.primary, r.peer }, outp)
    assert.same({ "1", "true", "true" }, { r.query_n, r.query_prog, r.query_link })
    assert.same({ "second,first", "true", "true" }, { r.order, r.revision_grew, r.stale })
    assert.same({ "2", "5", "5", "0" }, { r.second, r.primary2, r.primary_after, r.query_after })
    assert.matches("netkit", r.not_netkit)
  end)
end)

describe("BPF streams (6.17+)", function()
  -- bpf_stream_vprintk_impl (6.17-6.18) became bpf_stream_vprintk (7.x)
  local function streams_object()
    local vmlinux = assert(ebpf.btf.kernel())
    local new = vmlinux:find("bpf_stream_vprintk", "func")
    return helpers.testdata(new and "newest/streams.bpf.o" or "newest/streams_impl.bpf.o")
  end

  it("reads a program's stdout and stderr, and the kernel's report on it", function()
    if not needs(617, "BPF streams", ebpf.features.misc("streams") == true, "kernel without streams") then return end
    local coll <close> = assert(ebpf.load(streams_object()))
    local say, spin = coll.programs.say, coll.programs.spin
    assert.equal(0, say:run())
    if coll.vars.out_ret == -12 and os.getenv("EBPF_LINK_VM") ~= "1" then
      -- seen on this machine's 6.18: the kernel cannot allocate stream pages
      pending("bpf_stream_vprintk: ENOMEM from this kernel's stream page allocation")
      return
    end
    assert.equal(0, say:run())
    assert.same({ 0, 0 }, { coll.vars.out_ret, coll.vars.err_ret })
    assert.equal("hello 42, call 1\nhello 42, call 2\n", say:stream("stdout"))
    assert.equal("warning 42\nwarning 42\n", say:stream("stderr"))
    assert.equal("", say:stream("stdout")) -- reading consumes
    assert.equal(1, spin:run()) -- the kernel ends the may_goto loop
    local report = spin:stream("stderr")
    assert.matches("ERROR: Timeout detected for may_goto instruction", report, 1, true)
    assert.matches("bpf_prog_%x+_spin", report)
    assert.matches("streams.bpf.c:%d+", report) -- with the source line from BTF line info
    assert.error_matches(function() say:stream("stdin") end, "invalid option 'stdin'", 1, true)
  end)

  it("says where the kernel has no streams", function()
    if KV >= 617 then return end
    local p <close> = U.prog("kprobe", U.array())
    local s, err = p:stream("stdout")
    assert.is_nil(s)
    assert.matches("BPF streams need Linux 6.17", tostring(err), 1, true)
  end)
end)

describe("BPF arena (6.9+)", function()
  local function arena_ok()
    return ebpf.features.map_type("arena") == true
  end

  it("places __arena globals in the arena: Lua reads and writes what programs see", function()
    if not needs(609, "arena maps", arena_ok(), "arena maps refused here") then return end
    local coll <close> = assert(ebpf.load(helpers.testdata("newest/arena.bpf.o")))
    local arena = coll.maps.arena
    assert.equal("arena", arena:info().type)
    assert.same({ 0, 1000 }, { coll.vars.hits, coll.vars.start })
    assert.equal(0, coll.programs.bump:run())
    assert.equal(1001, coll.vars.hits)
    coll.vars.hits = 41
    assert.equal(0, coll.programs.bump:run())
    assert.equal(42, coll.vars.hits)
    -- where libbpf puts them: the arena's last pages where ld_imm64 may
    -- carry such an offset, else its first
    local base, size = arena:arena_base()
    assert.equal(8 * 4096, size)
    local at_end = ebpf.features.misc("ldimm64_full_range_off") == true
    local function holds_start(page_off) -- `start` (1000) among the page's first words
      local words = arena:arena_read(page_off, 32)
      for i = 1, 32, 8 do
        if string.unpack("<I8", words, i) == 1000 then return true end
      end
      return false
    end
    assert.equal(at_end, holds_start(size - 4096))
    assert.equal(not at_end, holds_start(0))
    assert.is_true(base > 0)
  end)

  it("walks a linked list a program built in arena pages", function()
    if not needs(609, "arena maps", arena_ok(), "arena maps refused here") then return end
    local coll <close> = assert(ebpf.load(helpers.testdata("newest/arena.bpf.o")))
    local arena = coll.maps.arena
    assert.equal(0, coll.programs.build:run())
    assert.equal(1, coll.vars.built)
    local base = arena:arena_base()
    local values, p = {}, coll.vars.head
    while p ~= 0 and #values < 10 do
      local next, value = string.unpack("<I8I8", arena:arena_read(p - base, 16))
      values[#values + 1] = value
      p = next
    end
    assert.same({ 5, 4, 3, 2, 1 }, values)
    -- and back: Lua rewrites a node's value, the program's next list walk would see it
    assert.is_true(arena:arena_write(coll.vars.head - base + 8, string.pack("<I8", 99)))
    assert.equal(99, string.unpack("<I8", arena:arena_read(coll.vars.head - base + 8, 8)))
  end)

  it("refuses out-of-range access, closed arenas and objects without an arena map", function()
    if not needs(609, "arena maps", arena_ok(), "arena maps refused here") then return end
    local coll = assert(ebpf.load(helpers.testdata("newest/arena.bpf.o")))
    local arena = coll.maps.arena
    assert.error_matches(function() arena:arena_read(8 * 4096 - 4, 8) end, "outside the arena", 1, true)
    assert.error_matches(function() arena:arena_read(-1, 1) end, "outside the arena", 1, true)
    arena:close()
    assert.error_matches(function() return coll.vars.hits end, "arena map 'arena' is closed", 1, true)
    coll:close()
  end)
end)

describe("arena objects without a kernel", function()
  it("open: globals typed and placed in the arena map's image", function()
    local spec = assert(ebpf.open(helpers.testdata("newest/arena.bpf.o")))
    assert.equal(1000, spec.vars.start)
    assert.equal(0, spec.vars.hits)
    local m = spec.maps.arena
    assert.equal("arena", m.type)
  end)
end)

describe("BPF token (6.9+)", function()
  -- testdata/link/token_runner: an unprivileged user namespace (uid 65534,
  -- or uid 0 without capabilities where nobody cannot read the checkout)
  -- with a bpffs delegated by this (root) process
  local function run(mode)
    local runner = helpers.build .. "/testdata/link/token_runner"
    local readable = os.execute("setpriv --reuid=65534 --regid=65534 --clear-groups test -r " ..
      helpers.testdata("newest/token.bpf.o") .. " 2>/dev/null")
    local pre = (readable and "" or "--root-uid ") ..
      (mode == "none" and "--no-token " or mode == "opt" and "--var TOKEN_BPFFS " or "")
    local p = assert(io.popen(("%s %senv EBPF_BUILD=%s lua5.4 spec/link_scripts/token.lua %s 2>&1"):format(
      runner, pre, helpers.build, mode)))
    local outp = p:read("a")
    p:close()
    if outp:match("token_runner: unshare: Operation not permitted") then
      -- the qemu VMs run the suite in a chroot, where the kernel refuses new user namespaces
      return nil, "user namespaces refused here (unshare: EPERM, e.g. inside a chroot)"
    end
    local r = {}
    for k, v in outp:gmatch("([%w_]+)=([^\n]*)") do r[k] = v end
    return r, outp
  end

  it("an unprivileged user namespace cannot load without a token", function()
    if not needs(609, "BPF tokens", ebpf.features.misc("token") == true, "kernel without tokens") then return end
    local r, outp = run("none")
    if not r then pending(outp) return end
    assert.equal("false", r.loaded, outp)
    assert.matches("EPERM", r.err)
  end)

  it("loads BTF, maps and programs through EBPF_BPF_TOKEN_PATH, and runs them", function()
    if not needs(609, "BPF tokens", ebpf.features.misc("token") == true, "kernel without tokens") then return end
    local r, outp = run("env")
    if not r then pending(outp) return end
    assert.same({ "true", "42", "42", "2", "2", "true" }, { r.loaded, r.ret, r.ret2, r.runs, r.count, r.btf }, outp)
  end)

  it("and through opts.token_path", function()
    if not needs(609, "BPF tokens", ebpf.features.misc("token") == true, "kernel without tokens") then return end
    local r, outp = run("opt")
    if not r then pending(outp) return end
    assert.same({ "true", "42", "2" }, { r.loaded, r.ret, r.count }, outp)
  end)

  it("says what is wrong with a token path", function()
    local coll, err = ebpf.load(helpers.testdata("newest/token.bpf.o"), { token_path = "/proc" })
    assert.is_nil(coll)
    assert.matches("'/proc' is not a bpffs", tostring(err), 1, true)
    coll, err = ebpf.load(helpers.testdata("newest/token.bpf.o"), { token_path = "/nonexistent/bpffs" })
    assert.is_nil(coll)
    assert.matches("opening bpffs '/nonexistent/bpffs'", tostring(err), 1, true)
  end)
end)

describe("ebpf.link.query (BPF_PROG_QUERY)", function()
  it("lists tcx, cgroup and netns hooks in run order with link ids and revisions", function()
    if not needs(606, "tcx revisions", ebpf.features.link("tcx") == true, "kernel without tcx") then return end
    local cg = "/sys/fs/cgroup/ebpf_lua_query_" .. U.pid()
    if not io.open("/sys/fs/cgroup/cgroup.procs") then cg = "/sys/fs/cgroup/unified/ebpf_lua_query_" .. U.pid() end
    assert(os.execute("mkdir -p " .. cg))
    local outp = helpers.sh(("unshare -n env EBPF_BUILD=%s lua5.4 spec/link_scripts/query.lua %s 2>&1"):format(
      helpers.build, cg))
    os.execute("rmdir " .. cg)
    local r = {}
    for k, v in outp:gmatch("([%w_]+)=([^\n]*)") do r[k] = v end
    assert.equal("done", r.fds_ok, outp)
    assert.same({ "0", "true", "true", "true", "true", "true" },
      { r.empty, r.rev_grew, r.link_id, r.order, r.stale, r.after_close }, outp)
    assert.same({ "true", "0", "true" }, { r.cgroup, r.cgroup_after, r.netns }, outp)
    assert.matches("interface 'no%-such%-if0' not found", r.no_iface)
  end)
end)
