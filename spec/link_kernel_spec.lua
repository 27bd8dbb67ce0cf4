-- Attach kinds this machine's kernel refuses (no kprobes, fentry/LSM loads
-- forbidden): kprobe, kretprobe, ksyscall, kprobe.multi, fentry, fexit,
-- fmod_ret, LSM. Skipped here; `make link-vm-test` runs this file inside
-- other kernels (tools/link-vm-test.sh with ../shared/vm/run-in-kernel.sh),
-- where EBPF_LINK_VM=1 turns every skip into a failure.
local ebpf = require "ebpf"
local helpers = require "helpers"
local U = require "link_util"
local link = ebpf.link

local in_vm = os.getenv("EBPF_LINK_VM") == "1"

local function opens(n)
  for _ = 1, n do assert(io.open("/etc/hostname")):close() end
end

local function has_kprobes()
  local f = io.open("/sys/bus/event_source/devices/kprobe/type")
  if f then f:close() return true end
  return false
end

local function skip(cond, reason)
  if cond then return false end
  if in_vm then error("in the VM this must work: " .. reason, 2) end
  pending(reason) -- busted's, from this file's environment
  return true
end

local function tracefs_events(file)
  return helpers.sh("cat /sys/kernel/tracing/" .. file .. " 2>/dev/null || cat /sys/kernel/debug/tracing/" .. file)
end

-- Loads a BTF tracing program (fentry, fexit, fmod_ret, lsm) or nil+reason.
local function tracing_prog(ptype, at, target, m, opts)
  local id, err = link.tracing_target(at, target)
  if not id then return nil, tostring(err) end
  local p, lerr = ebpf.program { type = ptype, expected_attach_type = at, attach_btf_id = id,
                                 insns = U.counter(m, opts), name = "t_" .. at }
  return p, p and nil or tostring(lerr)
end

local function kernel_version()
  local f = assert(io.open("/proc/sys/kernel/osrelease"))
  local maj, min = f:read("a"):match("^(%d+)%.(%d+)")
  f:close()
  return tonumber(maj) * 100 + tonumber(min)
end

describe("tracepoint on any kernel", function()
  it("uses a BPF perf link from 5.15 and the PERF_EVENT_IOC_SET_BPF ioctl before", function()
    local want = kernel_version() >= 515 and "bpf_link" or "perf_event" -- (reads a file: before attaching)
    local m = U.array()
    local p = U.prog("tracepoint", m, { pid = U.pid() })
    local l = assert(link.tracepoint(p, "syscalls", "sys_enter_openat"))
    assert.equal(want, l.kind)
    opens(5)
    assert.equal(5, m[0])
    l:close()
    opens(1)
    assert.equal(5, m[0])
  end)
end)

describe("kprobe", function()
  it("counts do_sys_openat2 calls of this process (PMU)", function()
    if skip(has_kprobes(), "kernel without the kprobe PMU") then return end
    local m = U.array()
    local p = U.prog("kprobe", m, { pid = U.pid() })
    local l = assert(link.kprobe(p, "do_sys_openat2"))
    assert.matches("kprobe do_sys_openat2", tostring(l), 1, true)
    opens(11)
    assert.equal(11, m[0])
    l:close()
    opens(2)
    assert.equal(11, m[0])
  end)

  it("passes a bpf cookie (5.15+), and says why not before", function()
    if skip(has_kprobes(), "kernel without kprobes") then return end
    local m = U.array()
    if kernel_version() < 515 then
      -- the perf_event link probe finds no perf links: the ioctl cannot carry a cookie
      local p = U.prog("kprobe", m) -- (no bpf_get_attach_cookie before 5.15 either)
      local l, err = link.kprobe(p, { func = "do_sys_openat2", cookie = 0xc0ffee })
      assert.is_nil(l)
      assert.matches("a bpf cookie needs a BPF perf link (5.15+): kernel does not know perf event links",
        tostring(err), 1, true)
      return
    end
    local p = assert(ebpf.program { type = "kprobe", insns = U.usdt_prog(m, {}, 1), name = "cookie" })
    local l = assert(link.kprobe(p, { func = "do_sys_openat2", cookie = 0xc0ffee }))
    opens(1)
    l:close()
    assert.is_true(m[0] >= 1)
    assert.equal(0xc0ffee, m[1])
  end)

  it("kretprobe through tracefs kprobe_events with maxactive, removed on close", function()
    if skip(has_kprobes(), "kernel without kprobes") then return end
    local m = U.array()
    -- map[1] = return value (rax): openat returns a small fd
    local p = U.prog("kprobe", m, { pid = U.pid(), store = { { 1, 80 } } })
    local l = assert(link.kretprobe(p, { func = "do_sys_openat2", maxactive = 16 }))
    opens(6)
    assert.equal(6, m[0])
    assert.is_true(m[1] >= 3 and m[1] < 1024)
    assert.matches("ebpf_kretprobe_" .. U.pid(), tracefs_events("kprobe_events"), 1, true)
    l:close()
    assert.not_matches("ebpf_", tracefs_events("kprobe_events"), 1, true)
  end)

  it("names a missing kernel function", function()
    if skip(has_kprobes(), "kernel without kprobes") then return end
    local p = U.prog("kprobe", U.array())
    local l, err = link.kprobe(p, "no_such_kernel_function_xyz")
    assert.is_nil(l)
    assert.matches("no_such_kernel_function_xyz", tostring(err), 1, true)
  end)

  it("ksyscall finds the arch syscall entry", function()
    if skip(has_kprobes(), "kernel without kprobes") then return end
    assert.equal("__x64_sys_openat", link.syscall_func("openat"))
    local m = U.array()
    local p = U.prog("kprobe", m, { pid = U.pid() })
    local l = assert(link.ksyscall(p, "openat"))
    opens(5)
    assert.equal(5, m[0])
    l:close()
  end)

  it("kprobe.multi by symbols and by pattern", function()
    if skip(has_kprobes(), "kernel without kprobes") then return end
    local m = U.array()
    local p = assert(ebpf.program { type = "kprobe", expected_attach_type = "trace_kprobe_multi",
                                    insns = U.counter(m, { pid = U.pid() }), name = "kmulti" })
    local l, err, errno = link.kprobe_multi(p, { syms = { "do_sys_openat2" } })
    if errno == 95 or (errno == 22 and kernel_version() < 518) then
      -- EOPNOTSUPP: built without CONFIG_FPROBE (Debian 6.1); before 5.18: none
      pending("kprobe.multi: not in this kernel: " .. tostring(err))
      return
    end
    if skip(l ~= nil, "kprobe.multi: " .. tostring(err)) then return end
    opens(4)
    assert.equal(4, m[0])
    l:close()
    local l2 = assert(link.kprobe_multi(p, { pattern = "do_sys_openat*" }))
    assert.matches("kprobe.multi do_sys_openat*", tostring(l2), 1, true)
    opens(3)
    assert.equal(7, m[0])
    l2:close()
    -- attach + close leaves nothing behind either way
    for _ = 1, 50 do assert(link.kprobe_multi(p, { syms = { "do_sys_openat2" } })):close() end
  end)

  it("attach and close many times leaves no fd and no kprobe event", function()
    if skip(has_kprobes(), "kernel without kprobes") then return end
    local p = U.prog("kprobe", U.array())
    collectgarbage("collect")
    local before = ebpf.core.open_fds()
    -- 200 under TCG emulation (each tracefs probe costs ~0.2 s there);
    -- the 1000-cycle run of the same code paths is in link_spec.lua.
    for i = 1, 200 do
      local l = assert(link.kprobe(p, { func = "do_sys_openat2", tracefs = i % 2 == 0 }))
      l:close()
    end
    collectgarbage("collect")
    assert.equal(before, ebpf.core.open_fds())
    assert.not_matches("ebpf_", tracefs_events("kprobe_events"), 1, true)
  end)
end)

describe("BTF tracing", function()

  it("fentry and fexit count do_sys_openat2 calls", function()
    local m = U.array()
    local fe, err = tracing_prog("tracing", "trace_fentry", "do_sys_openat2", m, { pid = U.pid() })
    if skip(fe ~= nil, "fentry: " .. tostring(err)) then return end
    local fx = assert(tracing_prog("tracing", "trace_fexit", "do_sys_openat2", m,
      { pid = U.pid(), key = 1 }))
    local l1 = assert(link.tracing(fe))
    local l2 = assert(link.tracing(fx))
    opens(8)
    assert.equal(8, m[0])
    assert.equal(8, m[1])
    local info = assert(l1:info())
    assert.equal("tracing", info.type)
    assert.equal("trace_fentry", info.attach_type)
    l1:close()
    l2:close()
    opens(1)
    assert.equal(8, m[0])
  end)

  it("fmod_ret on security_file_open makes this process's opens fail with EACCES", function()
    local m = U.array()
    -- security_* functions are always modifiable (syscall entries only
    -- with CONFIG_FUNCTION_ERROR_INJECTION)
    local p, err = tracing_prog("tracing", "modify_return", "security_file_open", m,
      { pid = U.pid(), ret = -13, ret_out = 0 })
    if skip(p ~= nil, "fmod_ret: " .. tostring(err)) then return end
    local l = assert(link.tracing(p))
    local f, msg = io.open("/etc/hostname")
    l:close()
    assert.is_nil(f)
    assert.matches("Permission denied", msg, 1, true)
    assert.equal(1, m[0])
    opens(1) -- works again
  end)

  it("lsm file_open denies this process's opens", function()
    os.execute("mountpoint -q /sys/kernel/security || mount -t securityfs none /sys/kernel/security 2>/dev/null")
    local lsms = helpers.sh("cat /sys/kernel/security/lsm 2>/dev/null || true")
    local m = U.array()
    local p, err = tracing_prog("lsm", "lsm_mac", "file_open", m, { pid = U.pid(), ret = -1, ret_out = 0 })
    local why = "BPF LSM: " .. tostring(err) .. " (active LSMs: " .. lsms .. ")"
    if skip(p ~= nil and lsms:find("bpf", 1, true), why) then
      return
    end
    local l = assert(link.tracing(p))
    local f, msg = io.open("/etc/hostname")
    l:close()
    assert.is_nil(f)
    assert.matches("Operation not permitted", msg, 1, true)
    assert.equal(1, m[0])
    opens(1)
  end)

  -- BTF for raw programs: int NAME([void *ctx]) functions, loaded.
  local function btf_with(funcs)
    local b = ebpf.btf.new()
    local int = b:add_int("int", 4, "signed")
    local vp = b:add_ptr(0)
    local ids = {}
    for _, f in ipairs(funcs) do
      local proto = b:add_func_proto(int, f.ctx and { { name = "ctx", type = vp } } or {})
      ids[#ids + 1] = b:add_func(f.name, proto, "global").id
    end
    assert(b:load())
    return b, ids
  end

  it("freplace replaces a global function of another program", function()
    -- target (xdp): main calls get_val() which returns 2
    local tb, tids = btf_with { { name = "main", ctx = true }, { name = "get_val" } }
    local target = assert(ebpf.program { type = "xdp", name = "target", btf = tb,
      func_info = string.pack("<I4I4I4I4", 0, tids[1], 2, tids[2]), func_info_rec_size = 8,
      insns = helpers.insns { { 0x85, 0, 1, 0, 1 }, { 0x95 }, { 0xb7, 0, 0, 0, 2 }, { 0x95 } } })
    local pkt = string.rep("\0", 64)
    assert.equal(2, (target:run(pkt)))
    local eb, eids = btf_with { { name = "new_get_val" } }
    local ext, err = ebpf.program { type = "ext", name = "ext", btf = eb, attach_prog = target,
      attach_btf_id = tids[2], func_info = string.pack("<I4I4", 0, eids[1]), func_info_rec_size = 8,
      insns = helpers.return_imm(7) }
    if skip(ext ~= nil, "freplace: " .. tostring(err)) then return end
    local l = assert(link.freplace(ext))
    assert.matches("freplace", tostring(l), 1, true)
    assert.equal(7, (target:run(pkt)))
    l:close()
    assert.equal(2, (target:run(pkt)))
  end)
end)
