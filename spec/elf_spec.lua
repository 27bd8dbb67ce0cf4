-- ELF objects: open (spec), edit, load (collection), run programs and read
-- maps/variables back from the kernel.
local helpers = require "spec.helpers"
local ebpf = require "ebpf"

local function td(name) return helpers.testdata("elf/" .. name .. ".bpf.o") end
local pkt = string.rep("\0", 64)

local read_file = helpers.read_file

describe("ebpf.open", function()
  it("parses programs, maps and variables without the kernel", function()
    local spec = assert(ebpf.open(td("globals")))
    assert.equal("globals", spec.name)
    assert.equal("GPL", spec.license)
    local p = spec.programs.add_counter
    assert.equal("socket_filter", p.type)
    assert.equal("socket", p.section)
    assert.is_true(p.autoload)
    for _, n in ipairs { ".rodata", ".data", ".bss", ".data.strs", ".rodata.tab" } do
      assert.is_not_nil(spec.maps[n], n)
      assert.equal(n, spec.maps[n].section)
      assert.equal("array", spec.maps[n].type)
      assert.equal(1, spec.maps[n].max_entries)
    end
    assert.equal(3, spec.vars.k_mult)
    assert.same({ a = 7, b = 9, tag = "abc" }, spec.vars.k_pair)
    assert.equal(100, spec.vars.counter)
    assert.equal(0, spec.vars.hits)
    assert.equal("hello", spec.vars.greeting)
    assert.same({ 10, 20, 30, 40 }, spec.vars.k_table)
    assert.matches("ebpf.spec 'globals'", tostring(spec))
    assert.matches("program add_counter", tostring(spec))
    spec:close()
    assert.has_error(function() spec:close() end, "attempt to use a closed spec")
  end)

  it("closing a loaded spec (close() or <close>) leaves its collections' typed maps and variables working", function()
    local coll
    do
      local spec <close> = assert(ebpf.open(td("btfmaps")))
      coll = assert(spec:load())
    end -- <close> here
    local k = { id = 5, name = "five" }
    coll.maps.stats[k] = { count = 50, delta = -3, flag = 1, level = 5 }
    assert.same({ count = 50, delta = -3, flag = 1, level = 5 }, coll.maps.stats[k])
    coll:close()
    local spec = assert(ebpf.open(td("globals")))
    local c2 = assert(spec:load())
    spec:close()
    assert.equal("ebpf.spec (closed)", tostring(spec))
    assert.has_error(function() return spec.maps end, "attempt to use a closed spec")
    assert.has_error(function() spec:load() end, "attempt to use a closed spec")
    assert.same({ a = 7, b = 9, tag = "abc" }, c2.vars.k_pair)
    c2.vars.counter = 5
    assert.equal(5, c2.vars.counter)
    local names = {}
    for name in pairs(c2.vars) do names[#names + 1] = name end
    assert.is_true(#names >= 6)
    c2:close()
  end)

  it("typed map values and variables refuse unknown fields and values out of their field's range", function()
    local coll <close> = assert(ebpf.load(td("btfmaps")))
    local k = { id = 1, name = "one" }
    assert.error_matches(function() coll.maps.stats[k] = { count = 1, cuont = 2 } end,
      "map value: invalid field name 'cuont' (struct val has no such member)", 1, true)
    assert.error_matches(function() coll.maps.stats[k] = { level = 8 } end,
      "map value: field 'level': 8 out of range", 1, true) -- __u8 level : 3
    assert.error_matches(function() coll.maps.stats[k] = { flag = -1 } end, "out of range", 1, true)
    assert.error_matches(function() coll.maps.stats[{ id = 1, nom = "x" }] = { count = 1 } end,
      "invalid field name 'nom'", 1, true)
    coll.maps.stats[k] = { count = 2, level = 7, flag = 1, delta = -8 }
    assert.same({ count = 2, delta = -8, flag = 1, level = 7 }, coll.maps.stats[k])
    local spec <close> = assert(ebpf.open(td("globals")))
    assert.error_matches(function() spec.vars.k_pair = { a = 1, c = 2 } end,
      "variable 'k_pair': invalid field name 'c'", 1, true)
    assert.error_matches(function() spec.vars.k_pair = { b = 70000 } end,
      "variable 'k_pair': field 'b': 70000 out of range", 1, true) -- unsigned short
    spec.vars.k_pair = { a = -1, b = 65535, tag = "xyz" }
    assert.same({ a = -1, b = 65535, tag = "xyz" }, spec.vars.k_pair)
  end)

  it("opens object bytes as well as paths", function()
    local spec = assert(ebpf.open(read_file(td("subprogs")), { name = "mem" }))
    assert.equal("mem", spec.name)
    assert.is_not_nil(spec.programs.calls_a)
    assert.is_not_nil(spec.programs.calls_b)
    assert.is_not_nil(spec.programs.loops)
    assert.is_nil(spec.programs.square) -- .text functions are subprograms
  end)

  it("gives clear errors for bad input and bad options", function()
    local s, err = ebpf.open("/nonexistent.bpf.o")
    assert.is_nil(s)
    assert.matches("nonexistent", tostring(err))
    s, err = ebpf.open("\127ELF" .. string.rep("x", 100))
    assert.is_nil(s)
    assert.matches("ELF", tostring(err))
    assert.has_error(function() ebpf.open(td("globals"), { nmae = 1 }) end, "invalid field name 'nmae'")
    assert.has_error(function() ebpf.open(42) end)
  end)

  it("maps section names to program types and attach targets from one table", function()
    local spec = assert(ebpf.open(td("sections")))
    local want = {
      s_tracepoint = { "tracepoint", nil, "tracepoint", "syscalls/sys_enter_openat" },
      s_tp = { "tracepoint", nil, "tracepoint", "sched/sched_switch" },
      s_raw_tp = { "raw_tracepoint", nil, "raw_tracepoint", "sys_enter" },
      s_tp_btf = { "tracing", "trace_raw_tp", "tracing", "sched_switch" },
      s_fentry = { "tracing", "trace_fentry", "tracing", "do_unlinkat" },
      s_fexit = { "tracing", "trace_fexit", "tracing", "do_unlinkat" },
      s_fmod_ret = { "tracing", "modify_return", "tracing", "security_file_open" },
      s_lsm = { "lsm", "lsm_mac", "tracing", "file_open" },
      s_iter = { "tracing", "trace_iter", "iter", "task" },
      s_kprobe = { "kprobe", nil, "kprobe", "do_unlinkat" },
      s_kretprobe = { "kprobe", nil, "kretprobe", "do_unlinkat" },
      s_kprobe_multi = { "kprobe", "trace_kprobe_multi", "kprobe_multi", "do_*" },
      s_ksyscall = { "kprobe", nil, "ksyscall", "openat" },
      s_uprobe = { "kprobe", nil, "uprobe", "/bin/true:main" },
      s_usdt = { "kprobe", nil, "usdt", "libc.so.6:libc:setjmp" },
      s_xdp = { "xdp", "xdp", "xdp", "" },
      s_tc = { "sched_cls", nil, "tc", "" },
      s_classifier = { "sched_cls", nil, "tc", "" },
      s_action = { "sched_act", nil, "tc", "" },
      s_cgroup_skb = { "cgroup_skb", "cgroup_inet_ingress", "cgroup", "" },
      s_cgroup_connect4 = { "cgroup_sock_addr", "cgroup_inet4_connect", "cgroup", "" },
      s_cgroup_sock = { "cgroup_sock", "cgroup_inet_sock_create", "cgroup", "" },
      s_sockops = { "sock_ops", "cgroup_sock_ops", "cgroup", "" },
      s_sk_skb = { "sk_skb", "sk_skb_stream_verdict", "sockmap", "" },
      s_sk_msg = { "sk_msg", "sk_msg_verdict", "sockmap", "" },
      s_sk_lookup = { "sk_lookup", "sk_lookup", "netns", "" },
      s_socket = { "socket_filter", nil, "socket", "" },
      s_flow_dissector = { "flow_dissector", "flow_dissector", "netns", "" },
      s_perf_event = { "perf_event", nil, "perf_event", "" },
      s_syscall = { "syscall", nil, "syscall", "" },
    }
    for name, w in pairs(want) do
      local p = spec.programs[name]
      assert.is_not_nil(p, name)
      assert.equal(w[1], p.type, name)
      assert.equal(w[2], p.attach_type, name)
      assert.equal(w[3], p.attach_kind, name)
      assert.equal(w[4], p.target, name)
    end
    assert.is_true(spec.programs.s_syscall.sleepable)
    assert.is_true(spec.programs.s_fentry_s.sleepable)
    assert.is_true(spec.programs.s_lsm_s.sleepable)
    assert.is_false(spec.programs.s_fentry.sleepable)
    assert.equal("tcx", spec.programs.s_tcx_ingress.attach_kind)
    -- BPF_TCX_INGRESS (46) is newer than the 6.1 headers; types.c names it anyway
    assert.equal("tcx_ingress", spec.programs.s_tcx_ingress.attach_type)
    assert.equal("unspec", spec.programs.s_unknown.type)
    assert.is_false(spec.programs.s_unknown.autoload)
    assert.is_false(spec.programs.s_struct_ops.autoload)
    assert.is_false(spec.programs.s_freplace.autoload)
    assert.is_true(spec.programs.s_kprobe.autoload)
    local si = ebpf.elf.section_info("kretprobe.multi/vfs_*")
    assert.equal("kprobe", si.type)
    assert.equal("kretprobe_multi", si.attach_kind)
    assert.equal("vfs_*", si.target)
    assert.is_nil(ebpf.elf.section_info("nonsense"))
  end)
end)

describe("spec:load", function()
  it("loads global data, applies edited constants and exposes variables", function()
    local spec = assert(ebpf.open(td("globals")))
    spec.vars.k_mult = 5
    spec.vars.hits = 1000
    local coll = assert(spec:load())
    local prog = coll.programs.add_counter
    assert.equal("socket", prog.section)
    local r1 = assert(prog:run(pkt))
    assert.equal(105 + 30, r1)
    local r2 = assert(prog:run(pkt))
    assert.equal(110 + 30, r2)
    assert.equal(110, coll.vars.counter)
    assert.equal(1002, coll.vars.hits)
    assert.same({ a = 110, b = 9, tag = "h" }, coll.vars.last)
    -- writes go to the live map (mmapped) and programs see them
    coll.vars.counter = 1
    assert.equal(1 + 5 + 30, (prog:run(pkt)))
    -- the same bytes through the map object
    local bss = coll.maps[".bss"]
    assert.equal(string.pack("<i8", 1003), bss:lookup_bytes(0):sub(1, 8))
    assert.has_error(function() coll.vars.k_mult = 1 end, "variable 'k_mult' is read-only after load (section .rodata)")
    assert.has_error(function() spec.vars.k_mult = 1 end)
    assert.has_error(function() spec.maps[".data"].flags = 0 end)
    assert.has_error(function() spec.programs.add_counter.autoload = false end)
    -- .rodata is frozen: user space cannot update it either
    local ro = coll.maps[".rodata"]
    local ok = ro:update(0, string.rep("\0", ro:info().value_size))
    assert.is_nil(ok)
    coll:close()
    assert.has_error(function() return coll.maps end, "attempt to use a closed collection")
    assert.has_error(function() prog:run(pkt) end, "attempt to use a closed program")
  end)

  it("loads legacy map definitions", function()
    local coll = assert(ebpf.load(td("legacy_maps")))
    assert.equal(1, (coll.programs.bump:run(pkt)))
    assert.equal(1, (coll.programs.bump:run(pkt)))
    assert.equal(10, coll.maps.counts[1])
    assert.equal(42, coll.maps.table[7])
    assert.equal("hash", coll.maps.table:info().type)
    coll:close()
  end)

  it("links subprograms, global functions and callbacks", function()
    local coll = assert(ebpf.load(td("subprogs")))
    assert.equal(25, (coll.programs.calls_a:run(pkt)))
    assert.equal(46, (coll.programs.calls_b:run(pkt)))
    assert.equal(45, (coll.programs.loops:run(pkt)))
    assert.equal(25, coll.maps.results[0])
    assert.equal(46, coll.maps.results[1])
    assert.equal(45, coll.maps.results[2])
    coll:close()
  end)

  it("loads BTF, func info and line info that follow appended subprograms", function()
    local coll = assert(ebpf.load(td("subprogs"), { log_level = 2 }))
    local p = coll.programs.calls_b
    assert.is_true(p:info().btf_id > 0)
    local log = p:log()
    -- global functions are verified on their own: the kernel knows them by name
    assert.matches("Func#%d+ %('global_twice'%) is safe for any args", log)
    -- source lines of the appended subprograms
    assert.matches("; static __noinline int square%(int x%) { return x %* x; } @ subprogs.bpf.c:13", log)
    assert.matches("; __noinline int global_twice%(int x%).* @ subprogs.bpf.c:17", log)
    -- map BTF: the kernel knows key/value types
    local mi = coll.maps.results:info()
    assert.is_true(mi.btf_id > 0)
    assert.is_true(mi.btf_value_type_id > 0)
    coll:close()
  end)

  it("takes kernel BTF from a file", function()
    local coll = assert(ebpf.load(td("core"), { kernel_btf = "/sys/kernel/btf/vmlinux" }))
    coll:close()
    local c2, err = ebpf.load(td("core"), { kernel_btf = "/nonexistent/vmlinux" })
    assert.is_nil(c2)
    assert.matches("kernel btf '/nonexistent/vmlinux': No such file", tostring(err))
  end)

  it("initialises maps-of-maps and prog arrays statically", function()
    local coll = assert(ebpf.load(td("mapinmap")))
    coll.maps.inner_b[0] = 1234
    assert.equal(1234, (coll.programs.read_inner:run(pkt)))
    assert.equal(77, (coll.programs.do_tail:run(pkt)))
    local slot0 = coll.maps.outer[0]
    assert.equal(coll.maps.inner_a:info().id, slot0:info().id)
    slot0:close()
    assert.is_nil(coll.maps.outer[1])
    local slot1 = coll.maps.jumps[1]
    assert.equal(coll.programs.tail_target:info().id, slot1:info().id)
    slot1:close()
    coll:close()
  end)

  it("skips programs with autoload off and honours max_entries edits", function()
    local spec = assert(ebpf.open(td("mapinmap")))
    spec.programs.tail_target.autoload = false
    spec.maps.inner_a.max_entries = 1
    local coll = assert(spec:load())
    assert.is_nil(coll.programs.tail_target)
    assert.equal(5, (coll.programs.do_tail:run(pkt))) -- slot left empty: the tail call falls through
    coll:close()
    spec = assert(ebpf.open(td("btfmaps")))
    spec.maps.stats.max_entries = 99
    coll = assert(spec:load())
    assert.equal(99, coll.maps.stats:info().max_entries)
    coll:close()
  end)

  it("decodes BTF-typed keys and values", function()
    local coll = assert(ebpf.load(td("btfmaps")))
    assert.equal(0, (coll.programs.fill:run(pkt)))
    local v = coll.maps.stats[{ id = 5, name = "five" }]
    assert.same({ count = 50, delta = -3, flag = 1, level = 5 }, v)
    coll.maps.stats[{ id = 6, name = "six" }] = { count = 1, delta = 2, level = 7 }
    local raw = coll.maps.stats:lookup_bytes(string.pack("<I4c8", 6, "six"))
    assert.equal(1, string.unpack("<I8", raw))
    assert.equal(2, string.unpack("<i4", raw, 9))
    assert.equal(7 << 1, raw:byte(13))
    assert.equal(2, coll.maps.sized[1])
    assert.equal(4096, coll.maps.rb:info().max_entries)
    coll:close()
  end)

  it("reports a verifier failure naming the program and section with the log", function()
    local coll, err, errno = ebpf.load(td("fail"))
    assert.is_nil(coll)
    assert.equal(22, errno)
    assert.matches("program 'bad' %(section 'socket'%)", err.message)
    assert.is_string(err.log)
    assert.matches("unreachable insn", err.log)
  end)

  it("rejects unknown load options and map names", function()
    local spec = assert(ebpf.open(td("globals")))
    assert.has_error(function() spec:load { pin_pth = "/x" } end, "invalid field name 'pin_pth'")
    assert.has_error(function() spec:load { replace_maps = { nope = 1 } } end)
    assert.has_error(function() ebpf.load(td("globals"), { bogus = 1 }) end, "invalid field name 'bogus'")
  end)

  it("reuses a replacement map", function()
    local shared = assert(ebpf.map { type = "array", key_size = 4, value_size = 8, max_entries = 4 })
    local spec = assert(ebpf.open(td("subprogs")))
    local coll = assert(spec:load { replace_maps = { results = shared } })
    assert.equal(25, (coll.programs.calls_a:run(pkt)))
    assert.equal(25, shared[0])
    coll:close()
    local bad = assert(ebpf.map { type = "array", key_size = 4, value_size = 4, max_entries = 4 })
    local c2, err = assert(ebpf.open(td("subprogs"))):load { replace_maps = { results = bad } }
    assert.is_nil(c2)
    assert.matches("value_size", tostring(err))
    shared:close()
    bad:close()
  end)

  it("keeps the collection alive through its children", function()
    local prog
    do
      local coll = assert(ebpf.load(td("subprogs")))
      prog = coll.programs.calls_a
    end
    collectgarbage()
    collectgarbage()
    assert.equal(25, (prog:run(pkt)))
    assert.equal("socket", prog.section)
    assert.equal("socket", prog.attach_kind)
  end)

  it("lists its contents in tostring", function()
    local coll <close> = assert(ebpf.load(td("subprogs")))
    local s = tostring(coll)
    assert.matches("ebpf.collection 'subprogs' %(3 programs, 1 maps%)", s)
    assert.matches("ebpf.program 'calls_a'", s)
    assert.matches("ebpf.map 'results'", s)
  end)
end)

describe("CO-RE", function()
  local function stat_pid()
    local f = assert(io.open("/proc/self/stat"))
    local pid, ppid = f:read("a"):match("^(%d+) %b() %S+ (%d+)")
    f:close()
    return tonumber(pid), tonumber(ppid)
  end

  it("relocates every kind against kernel BTF and reads real task fields", function()
    local coll = assert(ebpf.load(td("core")))
    assert.equal(0, (coll.programs.core_all:run(nil, { ctx = string.rep("\0", 16) })))
    local o = coll.vars.out
    local pid, ppid = stat_pid()
    assert.equal(pid, o.pid)
    assert.equal(pid, o.tgid)
    assert.equal(ppid, o.ppid)
    assert.equal(4, o.size_pid)
    assert.equal(1, o.exists_pid)
    assert.equal(0, o.exists_missing)
    assert.equal(1, o.type_exists)
    assert.equal(0, o.type_missing)
    assert.equal(1, o.enum_exists)
    assert.equal(0, o.enum_missing)
    assert.equal(27, o.enum_val) -- BPF_MAP_TYPE_RINGBUF in the kernel
    assert.equal(1, o.signed_pid)
    assert.equal(0, o.missing_read) -- guarded by field_exists: never executed
    assert.is_true(o.target_id > 0)
    assert.is_true(o.local_id > 0)
    assert.is_true(o.type_size > o.off_pid)
    -- cross-check offsets against bpftool's view of kernel BTF
    local dump = helpers.sh("bpftool btf dump file /sys/kernel/btf/vmlinux 2>/dev/null | grep -A2000 \"^\\[" ..
      o.target_id .. "\\] STRUCT 'task_struct'\" | head -400")
    assert.matches("STRUCT 'task_struct' size=" .. o.type_size, dump)
    assert.matches("'pid' type_id=%d+ bits_offset=" .. (o.off_pid * 8), dump)
    coll:close()
  end)

  it("fails an executed failing relocation naming it", function()
    local coll, err = ebpf.load(td("core_fail"))
    assert.is_nil(coll)
    assert.matches("core_fail", err.message)
    assert.matches("CO%-RE relocation failed", err.message)
    assert.matches("no_such_field_anywhere", err.message)
    assert.matches("195896080", err.log)
  end)

  it("does not blame a relocation the verifier never reached", function()
    local coll, err = ebpf.load(td("core_blame"))
    assert.is_nil(coll)
    assert.matches("early_fail", err.message)
    assert.not_matches("CO%-RE", err.message)
    assert.not_matches("195896080", err.log) -- refused at the helper call before it
    assert.matches("expected=fp", err.log)
  end)
end)

describe("externs", function()
  local function kconfig()
    local ok, out = pcall(helpers.sh, "zcat /proc/config.gz 2>/dev/null || cat /boot/config-$(uname -r)")
    return ok and out:find("CONFIG_") and out or nil
  end

  it("resolves kconfig, ksyms and kfuncs", function()
    local cfg = kconfig()
    if not cfg then -- e.g. a VM kernel without its config: the error says so
      local c, err = ebpf.load(td("externs"))
      assert.is_nil(c)
      assert.matches("kconfig 'CONFIG_BPF_SYSCALL' not found", tostring(err))
      return
    end
    local coll = assert(ebpf.load(td("externs")))
    assert.equal(0, (coll.programs.read_externs:run(nil, { ctx = string.rep("\0", 16) })))
    local kc = coll.vars.kc
    assert.equal(cfg:find("\nCONFIG_BPF_SYSCALL=y") and 1 or 0, kc.syscall)
    local jit = cfg:match("\nCONFIG_BPF_JIT=(%a)")
    assert.equal(jit == "y" and 1 or jit == "m" and 2 or 0, kc.jit)
    assert.equal(tonumber(cfg:match("\nCONFIG_HZ=(%d+)")), kc.hz)
    assert.equal(0, kc.weak)
    local a, b, c = helpers.sh("uname -r"):match("^(%d+)%.(%d+)%.?(%d*)")
    c = tonumber(c) or 0
    assert.equal((tonumber(a) << 16) + (tonumber(b) << 8) + math.min(c, 255), kc.kver)
    -- libbpf's meaning: a kprobe can be made on the arch's sys_bpf
    local kprobes = os.execute("test -e /sys/bus/event_source/devices/kprobe/type || "
      .. "test -e /sys/kernel/tracing/kprobe_events || test -e /sys/kernel/debug/tracing/kprobe_events")
    local wrapped = ebpf.btf.kernel():find("__x64_sys_bpf", "func") ~= nil
    assert.equal((kprobes and wrapped) and 1 or 0, kc.wrapper)
    local addr = helpers.sh("grep ' T schedule$' /proc/kallsyms"):match("^(%x+)")
    assert.equal(tonumber(addr, 16), kc.fops_addr)
    assert.equal(0, kc.missing_sym)
    assert.equal((cfg:match('\nCONFIG_LOCALVERSION="([^"]*)"') or ""), kc.localversion)
    assert.equal(1, kc.rq_nonzero)
    coll:close()
  end)
end)

describe("pinning", function()
  local root
  before_each(function()
    helpers.sh("mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf")
    root = "/sys/fs/bpf/ebpf_lua_elf_pin_" .. tostring(os.time()) .. math.random(1000000)
    helpers.sh("mkdir -p " .. root)
  end)
  after_each(function()
    os.execute("rm -rf " .. root)
  end)

  it("pins by name, reuses a compatible pinned map, and says what differs", function()
    local c1 = assert(ebpf.load(td("pinning"), { pin_root = root }))
    assert.equal(0, (c1.programs.count:run(pkt)))
    local f = io.open(root .. "/shared_counts")
    assert.is_not_nil(f)
    f:close()
    local c2 = assert(ebpf.load(td("pinning"), { pin_root = root }))
    assert.equal(0, (c2.programs.count:run(pkt)))
    assert.equal(2, c2.maps.shared_counts[1]) -- the same kernel map
    assert.equal(c1.maps.shared_counts:info().id, c2.maps.shared_counts:info().id)
    c1:close()
    c2:close()
    local spec = assert(ebpf.open(td("pinning")))
    spec.maps.shared_counts.max_entries = 16
    local c3, err = spec:load { pin_root = root }
    assert.is_nil(c3)
    assert.matches("map 'shared_counts'", tostring(err))
    assert.matches("max_entries 8 vs 16", tostring(err))
  end)
end)

describe("anchor object (W5)", function()
  local obj = (os.getenv("EBPF_ANCHORS") or "/work/shared/anchors") .. "/build/load.bpf.o"
  it("loads 5 programs and 6 maps", function()
    local f = io.open(obj)
    if not f then
      print("skipping: anchor object not built (make -C ../shared/anchors build/load.bpf.o)")
      return
    end
    f:close()
    local coll = assert(ebpf.load(obj))
    local np, nm = 0, 0
    for _, p in pairs(coll.programs) do np = np + 1; assert.is_true(p:fd() > 2) end
    for _, m in pairs(coll.maps) do nm = nm + 1; assert.is_true(m:fd() > 2) end
    assert.equal(5, np)
    assert.equal(6, nm)
    coll:close()
  end)
end)

describe("ebpf.compile", function()
  it("compiles inline C into a spec that loads and runs", function()
    local spec, err = ebpf.compile([[
      #include <linux/bpf.h>
      #include <bpf/bpf_helpers.h>
      const volatile int answer = 1;
      SEC("socket") int ret_answer(struct __sk_buff *skb) { return answer; }
      char LICENSE[] SEC("license") = "GPL";
    ]], { vmlinux = false })
    assert.is_not_nil(spec, tostring(err))
    spec.vars.answer = 42
    local coll = assert(spec:load())
    assert.equal(42, (coll.programs.ret_answer:run(pkt)))
    coll:close()
  end)

  it("compiles CO-RE code against a generated vmlinux.h", function()
    local spec, err = ebpf.compile([[
      #include "vmlinux.h"
      #include <bpf/bpf_helpers.h>
      #include <bpf/bpf_core_read.h>
      int seen;
      SEC("raw_tp/sys_enter") int who(void *ctx) {
        struct task_struct *t = (void *)bpf_get_current_task();
        seen = BPF_CORE_READ(t, tgid);
        return 0;
      }
      char LICENSE[] SEC("license") = "GPL";
    ]])
    assert.is_not_nil(spec, tostring(err))
    local coll = assert(spec:load())
    coll.programs.who:run(nil, { ctx = string.rep("\0", 16) })
    local f = assert(io.open("/proc/self/stat"))
    local pid = tonumber(f:read("a"):match("^(%d+)"))
    f:close()
    assert.equal(pid, coll.vars.seen)
    coll:close()
  end)

  it("reports compiler errors and a missing clang clearly", function()
    local spec, err = ebpf.compile("int x = ;\n", { vmlinux = false })
    assert.is_nil(spec)
    assert.matches("clang failed", err)
    spec, err = ebpf.compile("int x;\n", { clang = "/nonexistent/clang" })
    assert.is_nil(spec)
    assert.matches("install the Debian package 'clang'", err)
    assert.has_error(function() ebpf.compile("x", { cflag = "-O2" }) end, "invalid field name 'cflag'")
  end)
end)
