-- ebpf.link on this machine's kernel: every attach kind proven by events
-- the test itself causes (exact counts where the kernel allows).
local ebpf = require "ebpf"
local helpers = require "helpers"
local U = require "link_util"
local link = ebpf.core.link

local BUILD = helpers.build
local UPROBE_BIN = BUILD .. "/testdata/link/uprobe_target"
local USDT_BIN = BUILD .. "/testdata/link/usdt_target"

local function opens(n)
  for _ = 1, n do assert(io.open("/etc/hostname")):close() end
end

local function section_bytes(obj, sec)
  local tmp = os.tmpname()
  helpers.sh(("llvm-objcopy-19 -O binary --only-section=%s %s %s"):format(sec, obj, tmp))
  local f = assert(io.open(tmp, "rb"))
  local b = f:read("a")
  f:close()
  os.remove(tmp)
  return b
end

describe("tracepoint", function()
  it("counts the test's own openat calls exactly, and stops on close", function()
    local m = U.array()
    local p = U.prog("tracepoint", m, { pid = U.pid() })
    local l = assert(link.tracepoint(p, "syscalls", "sys_enter_openat"))
    assert.matches("tracepoint syscalls/sys_enter_openat", tostring(l), 1, true)
    opens(17)
    assert.equal(17, m[0])
    l:close()
    opens(5)
    assert.equal(17, m[0])
    assert.equal("ebpf.link (closed)", tostring(l))
    assert.has_error(function() l:close() end, "attempt to use a closed link")
  end)

  it("names a missing tracepoint and the program type a hook needs", function()
    local m = U.array()
    local p = U.prog("tracepoint", m)
    local l, err, errno = link.tracepoint(p, "syscalls", "sys_enter_no_such_call")
    assert.is_nil(l)
    assert.equal(2, errno)
    assert.matches("no such tracepoint", tostring(err), 1, true)
    assert.matches("syscalls/sys_enter_no_such_call", tostring(err), 1, true)
    local x = U.prog("xdp", m)
    l, err = link.tracepoint(x, "syscalls", "sys_enter_openat")
    assert.is_nil(l)
    assert.matches("needs a 'tracepoint' program", tostring(err), 1, true)
  end)

  it("keeps its program alive after the program variable is dropped", function()
    local m = U.array()
    local l = assert(link.tracepoint(U.prog("tracepoint", m, { pid = U.pid() }), "syscalls", "sys_enter_openat"))
    collectgarbage("collect")
    collectgarbage("collect")
    opens(3)
    assert.equal(3, m[0])
    assert.equal("program", l:program().type == "tracepoint" and "program" or "?")
    l:close()
  end)
end)

describe("raw_tracepoint", function()
  it("counts openat syscalls of this process on raw sys_enter", function()
    local m = U.array()
    -- ctx = u64 args[]: args[1] is the syscall number (257 = openat)
    local p = U.prog("raw_tracepoint", m, { pid = U.pid(), ctx_eq = { { 8, 257 } } })
    local l = assert(link.raw_tracepoint(p, "sys_enter"))
    opens(9)
    assert.equal(9, m[0])
    local info = assert(l:info())
    assert.equal("raw_tracepoint", info.type)
    assert.equal("sys_enter", info.tp_name)
    assert.equal(p.id, info.prog_id)
    l:close()
    opens(2)
    assert.equal(9, m[0])
  end)

  it("says which raw tracepoint was not found", function()
    local p = U.prog("raw_tracepoint", U.array())
    local l, err = link.raw_tracepoint(p, "no_such_raw_tp")
    assert.is_nil(l)
    assert.matches("no_such_raw_tp", tostring(err), 1, true)
  end)
end)

describe("tp_btf", function()
  it("resolves the BTF target by name and counts openat calls", function()
    local id = assert(link.tracing_target("trace_raw_tp", "sys_enter"))
    -- oracle: bpftool's view of the kernel BTF
    local out = helpers.sh("bpftool btf dump file /sys/kernel/btf/vmlinux | grep \"TYPEDEF 'btf_trace_sys_enter'\"")
    assert.equal(tonumber(out:match("^%[(%d+)%]")), id)
    local m = U.array()
    local p = U.prog("tracing", m, { pid = U.pid(), ctx_eq = { { 8, 257 } } },
      { expected_attach_type = "trace_raw_tp", attach_btf_id = id })
    local l = assert(link.tracing(p))
    opens(6)
    assert.equal(6, m[0])
    local info = assert(l:info())
    -- the kernel reports tp_btf links as raw tracepoint links
    assert.equal("raw_tracepoint", info.type)
    assert.equal("sys_enter", info.tp_name)
    l:close()
  end)

  it("names a missing BTF target", function()
    local id, err = link.tracing_target("trace_fentry", "no_such_kernel_function_xyz")
    assert.is_nil(id)
    assert.matches("no_such_kernel_function_xyz", tostring(err), 1, true)
    assert.matches("not found", tostring(err), 1, true)
  end)
end)

describe("uprobe", function()
  local function nm_offset(sym)
    -- oracle: the symbol's address from nm; the binary is PIE with text
    -- mapped at file offset == vaddr for the first segment.
    local out = helpers.sh(("nm %s | awk '$3 == \"%s\" {print $1}'"):format(UPROBE_BIN, sym))
    return tonumber(out:match("%x+"), 16)
  end

  it("resolves symbols to the file offsets readelf gives", function()
    local off = assert(link.symbol_offset(UPROBE_BIN, "target_add"))
    local addr = nm_offset("target_add")
    -- file offset = vaddr - p_vaddr + p_offset of the segment holding it
    local seg = helpers.sh(("readelf -lW %s | awk '$1 == \"LOAD\" && $8 ~ /E/ {print $2, $3}'"):format(UPROBE_BIN))
    local poff, pvaddr = seg:match("0x(%x+) 0x(%x+)")
    assert.equal(addr - tonumber(pvaddr, 16) + tonumber(poff, 16), off)
  end)

  it("counts calls (uprobe) and sees the return value (uretprobe)", function()
    local m = U.array()
    local p = U.prog("kprobe", m)
    local l = assert(link.uprobe(p, { path = UPROBE_BIN, symbol = "target_add" }))
    assert.matches("uprobe .*uprobe_target:target_add", tostring(l))
    -- uretprobe on target_mul: map[1] = rax at return, map[2] counts
    local m2 = U.array()
    local p2 = U.prog("kprobe", m2, { store = { { 1, 80 } } })
    local r = assert(link.uretprobe(p2, { path = UPROBE_BIN, symbol = "target_mul" }))
    assert.equal(tostring(25 * 1000 + 300 + 42) .. "\n", helpers.sh(UPROBE_BIN .. " 25"))
    assert.equal(25, m[0])
    assert.equal(1, m2[0])
    assert.equal(42, m2[1])
    l:close()
    r:close()
    helpers.sh(UPROBE_BIN .. " 4")
    assert.equal(25, m[0])
  end)

  it("passes a bpf cookie", function()
    local m = U.array()
    local p = assert(ebpf.program { type = "kprobe", insns = U.usdt_prog(m, {}, 1), name = "cookie" })
    local l = assert(link.uprobe(p, { path = UPROBE_BIN, symbol = "target_mul", cookie = 0x5eed }))
    helpers.sh(UPROBE_BIN .. " 1")
    assert.equal(1, m[0])
    assert.equal(0x5eed, m[1])
    l:close()
  end)

  it("filters by pid and attaches by offset and by address", function()
    local off = assert(link.symbol_offset(UPROBE_BIN, "target_add"))
    local m = U.array()
    local p = U.prog("kprobe", m)
    local l1 = assert(link.uprobe(p, { path = UPROBE_BIN, offset = off }))
    local l2 = assert(link.uprobe(p, { path = UPROBE_BIN, address = nm_offset("target_add") }))
    -- a pid that is not the binary's: never fires
    local l3 = assert(link.uprobe(p, { path = UPROBE_BIN, symbol = "target_add", pid = U.pid() }))
    helpers.sh(UPROBE_BIN .. " 3")
    assert.equal(6, m[0])
    l1:close(); l2:close(); l3:close()
  end)

  it("uses the tracefs uprobe_events interface and removes its event", function()
    local m = U.array()
    local p = U.prog("kprobe", m)
    local l = assert(link.uprobe(p, { path = UPROBE_BIN, symbol = "target_add", tracefs = true }))
    local events = helpers.sh("cat /sys/kernel/tracing/uprobe_events")
    assert.matches("ebpf_uprobe_" .. U.pid() .. "_", events, 1, true)
    helpers.sh(UPROBE_BIN .. " 5")
    assert.equal(5, m[0])
    l:close()
    assert.not_matches("ebpf_uprobe_" .. U.pid() .. "_", helpers.sh("cat /sys/kernel/tracing/uprobe_events"), 1, true)
  end)

  it("finds libraries like the dynamic loader and versioned symbols", function()
    local want = helpers.sh("ldconfig -p | awk '$1 == \"libc.so.6\" && /x86-64/ {print $NF; exit}'"):gsub("%s+$", "")
    assert.equal(want, assert(link.resolve_binary("libc.so.6")))
    local path = assert(link.resolve_binary("libc.so.6"))
    -- memcpy has two versions in glibc; @@ is the default one
    local dflt = assert(link.symbol_offset(path, "memcpy@@GLIBC_2.14"))
    local old = assert(link.symbol_offset(path, "memcpy@GLIBC_2.2.5"))
    assert.not_equal(dflt, old)
    assert.equal(dflt, assert(link.symbol_offset(path, "memcpy")))
    local oracle = helpers.sh(("readelf -W --dyn-syms %s | awk '$8 == \"memcpy@GLIBC_2.2.5\" {print $2}'"):format(path))
    local vaddr = tonumber(oracle:match("%x+"), 16)
    assert.equal(vaddr, old) -- libc's text segment: offset == vaddr
  end)

  it("uprobe.multi counts calls of several functions with one link", function()
    local m = U.array()
    local p = U.prog("kprobe", m, nil, { expected_attach_type = "trace_uprobe_multi" })
    local l = assert(link.uprobe_multi(p, { path = UPROBE_BIN, syms = { "target_add", "target_mul" } }))
    assert.matches("uprobe.multi .*uprobe_target %(2 targets%)", tostring(l))
    assert.equal("uprobe_multi", l:info().type)
    helpers.sh(UPROBE_BIN .. " 6")
    assert.equal(7, m[0])
    l:close()
    helpers.sh(UPROBE_BIN .. " 2")
    assert.equal(7, m[0])
    -- a glob over the symbol table: target_add and target_mul
    local g = assert(link.uprobe_multi(p, { path = UPROBE_BIN, pattern = "target_*" }))
    assert.matches("(2 targets)", tostring(g), 1, true)
    helpers.sh(UPROBE_BIN .. " 3")
    assert.equal(11, m[0])
    g:close()
    local none, err = link.uprobe_multi(p, { path = UPROBE_BIN, pattern = "nothing_*" })
    assert.is_nil(none)
    assert.matches("no function matches 'nothing_*'", tostring(err), 1, true)
  end)

  it("says where it looked for a missing library or symbol", function()
    local p = U.prog("kprobe", U.array())
    local l, err = link.uprobe(p, { path = "libnosuchlib.so.1", symbol = "f" })
    assert.is_nil(l)
    assert.matches("libnosuchlib.so.1", tostring(err), 1, true)
    assert.matches("LD_LIBRARY_PATH", tostring(err), 1, true)
    assert.matches("ld.so.cache", tostring(err), 1, true)
    l, err = link.uprobe(p, { path = UPROBE_BIN, symbol = "no_such_function" })
    assert.is_nil(l)
    assert.matches("no_such_function", tostring(err), 1, true)
    assert.matches(".symtab/.dynsym", tostring(err), 1, true)
  end)
end)

describe("usdt", function()
  it("decodes .note.stapsdt like readelf", function()
    local notes = assert(link.usdt_notes(USDT_BIN))
    local oracle = helpers.sh("readelf -n " .. USDT_BIN)
    local n = 0
    for prov, name, loc, sema, args in oracle:gmatch(
        "Provider: (%S+)%s+Name: (%S+)%s+Location: 0x(%x+), Base: 0x%x+, Semaphore: 0x(%x+)%s+Arguments: ([^\n]*)") do
      n = n + 1
      local found
      for _, note in ipairs(notes) do
        if note.provider == prov and note.name == name then found = note end
      end
      assert.is_table(found)
      assert.equal(tonumber(loc, 16), found.pc)
      assert.equal(tonumber(sema, 16), found.semaphore)
      assert.equal(args, found.args)
    end
    assert.equal(2, n)
    assert.equal(#notes, n)
  end)

  it("decodes x86-64 argument specs", function()
    local s = assert(link.usdt_spec("-4@%edi 8@-16(%rbp) -2@$-7 1@%r9b"))
    assert.same({ kind = "reg", reg_off = 112, val_off = 0, size = 4, signed = true }, s[1])
    assert.same({ kind = "reg_deref", reg_off = 32, val_off = -16, size = 8, signed = false }, s[2])
    assert.same({ kind = "const", reg_off = 0, val_off = -7, size = 2, signed = true }, s[3])
    assert.same({ kind = "reg", reg_off = 64, val_off = 0, size = 1, signed = false }, s[4])
    local ok, err = link.usdt_spec("4@%xyz")
    assert.is_nil(ok)
    assert.matches("unknown register", tostring(err), 1, true)
  end)

  it("attaches to every site, activates the semaphore and reads arguments", function()
    local note
    for _, n in ipairs(assert(link.usdt_notes(USDT_BIN))) do
      if n.name == "hit" then note = n end
    end
    local m = U.array(8)
    local p = assert(ebpf.program { type = "kprobe", insns = U.usdt_prog(m, note.spec, 6), name = "usdt" })
    -- semaphore off: the binary skips the probe entirely
    assert.equal("0\n", helpers.sh(USDT_BIN .. " 10"))
    local specs = assert(ebpf.map { type = "array", key_size = 4, value_size = 208, max_entries = 4 })
    local l = assert(link.usdt(p, { path = USDT_BIN, provider = "ebpftest", name = "hit", spec_map = specs,
                                    cookie = 99 }))
    assert.matches("usdt .*ebpftest:hit %(1 site%)", tostring(l))
    assert.equal(1, l.count)
    assert.equal("10\n", helpers.sh(USDT_BIN .. " 10")) -- semaphore seen set 10 times
    assert.equal(10, m[0])
    assert.equal(9, m[1])          -- i
    assert.equal(27, m[2])         -- i * 3
    assert.equal(7 + 2 * 9, m[3])  -- value on the stack
    local slot = m[6]              -- the site's cookie: its spec slot
    local raw = specs[slot]
    assert.equal(3, string.unpack("<i2", raw, 201))  -- arg_cnt
    assert.equal(99, string.unpack("<I8", raw, 193)) -- usr_cookie
    l:close()
    assert.equal("0\n", helpers.sh(USDT_BIN .. " 3"))
    assert.equal(0, string.unpack("<i2", specs[slot], 203)) -- slot released
  end)

  it("names a missing probe", function()
    local p = U.prog("kprobe", U.array())
    local l, err = link.usdt(p, { path = USDT_BIN, provider = "ebpftest", name = "nope" })
    assert.is_nil(l)
    assert.matches("no probe ebpftest:nope", tostring(err), 1, true)
  end)
end)

describe("perf_event", function()
  it("counts cpu-clock samples of this process and stops on close", function()
    local m = U.array()
    local p = U.prog("perf_event", m)
    local l = assert(link.perf_event(p, { event = "cpu_clock", period = 100000, pid = U.pid(), cpu = -1 }))
    assert.matches("perf_event", tostring(l))
    local x, t0 = 0, os.clock()
    -- burns CPU until the kernel sampled it 5 times (bounded: 10 s of CPU)
    while m[0] < 5 and os.clock() - t0 < 10 do x = x + 1 end
    assert.is_true(m[0] >= 5)
    l:close()
    local n = m[0]
    for _ = 1, 3e6 do x = x + 1 end
    assert.equal(n, m[0])
  end)

  it("opens one event per online CPU with a frequency", function()
    local m = U.array()
    local p = U.prog("perf_event", m)
    local l = assert(link.perf_event(p, { event = "cpu_clock", freq = 1000 }))
    local online = helpers.sh("nproc")
    assert.equal(tonumber(online), l.count)
    l:close()
  end)
end)

describe("iterator", function()
  it("lists the test's own pid through iter/task", function()
    local bytes = section_bytes(BUILD .. "/testdata/link/iter_task.bpf.o", "iter/task")
    local id = assert(ebpf.core.link.tracing_target("trace_iter", "bpf_iter_task"))
    local p = assert(ebpf.program { type = "tracing", expected_attach_type = "trace_iter", attach_btf_id = id,
                                    insns = bytes, name = "dump_tgid" })
    local l = assert(link.iter(p))
    local out = l:read()
    local seen = {}
    for i = 1, #out, 4 do seen[string.unpack("<i4", out, i)] = true end
    assert.is_true(seen[U.pid()], ("pid %d not among %d tasks"):format(U.pid(), #out // 4))
    local f = assert(io.open("/proc/self/stat"))
    local ppid = tonumber(f:read("a"):match("^%d+ %b() %S+ (%d+)"))
    f:close()
    assert.is_true(seen[ppid], "parent pid listed")
    local info = assert(l:info())
    assert.equal("iter", info.type)
    assert.equal("task", info.target)
    local r = assert(l:open())
    local first = r:read(4)
    assert.equal(4, #first)
    r:close()
    l:close()
  end)

  it("reports a program that asks to retry (returns 1) as an error, never loops", function()
    local id = assert(ebpf.core.link.tracing_target("trace_iter", "bpf_iter_task"))
    local p = assert(ebpf.program { type = "tracing", expected_attach_type = "trace_iter", attach_btf_id = id,
                                    insns = string.pack("<BBi2i4BBi2i4", 0xb7, 0, 0, 1, 0x95, 0, 0, 0),
                                    name = "always_retry" })
    local l = assert(link.iter(p))
    local out, err = l:read()
    assert.is_nil(out)
    assert.matches("iterator read: Resource temporarily unavailable", tostring(err))
    assert.equal("EAGAIN", err.code)
    local r = assert(l:open())
    local bytes, err2 = r:read()
    assert.is_nil(bytes)
    assert.equal("EAGAIN", err2.code)
    r:close()
    l:close()
  end)
end)

describe("links", function()
  local bpffs = "/sys/fs/bpf"
  setup(function()
    if not io.open(bpffs .. "/.", "r") then os.execute("mount -t bpf bpf /sys/fs/bpf") end
  end)

  it("pin and reopen a link; the pin outlives the object", function()
    local m = U.array()
    local pid = U.pid()
    local p1 = U.prog("tracepoint", m, { pid = pid })
    local l = assert(link.tracepoint(p1, "syscalls", "sys_enter_openat"))
    local path = bpffs .. "/ebpf_lua_link_" .. pid
    os.remove(path)
    assert(l:pin(path))
    local id = l:info().id
    l:close()
    opens(2)
    assert.equal(2, m[0]) -- still attached through the pin
    local again = assert(link.open_pinned(path))
    assert.equal(id, again:info().id)
    local byid = assert(link.from_id(id))
    assert.equal(p1.id, byid:info().prog_id)
    local listed
    for _, i in ipairs(link.list()) do if i.id == id then listed = i end end
    assert.equal("perf_event", listed.type)
    byid:close()
    assert(again:unpin(path)) -- (unpin opens the bpffs directory: counted while still attached)
    again:close()
    local n = m[0]
    opens(1)
    assert.equal(n, m[0]) -- unpinned and closed: detached
  end)

  it("update replaces the program, optionally only if it is the expected one", function()
    local bytes = section_bytes(BUILD .. "/testdata/link/iter_task.bpf.o", "iter/task")
    local id = assert(link.tracing_target("trace_iter", "bpf_iter_task"))
    local function iprog()
      return assert(ebpf.program { type = "tracing", expected_attach_type = "trace_iter", attach_btf_id = id,
                                   insns = bytes, name = "dump_tgid" })
    end
    local p1, p2, p3 = iprog(), iprog(), iprog()
    local l = assert(link.iter(p1))
    assert(l:update(p2))
    assert.equal(p2.id, l:info().prog_id)
    local ok, err = l:update(p3, p1) -- p1 is no longer the program
    assert.is_nil(ok)
    assert.matches("update", tostring(err), 1, true)
    assert(l:update(p3, p2))
    assert.equal(p3.id, l:info().prog_id)
    p1, p2, p3 = nil, nil, nil -- luacheck: ignore
    collectgarbage("collect")
    assert.equal("tracing", l:program().type) -- the link holds the new program
    l:close()
  end)

  it("only bpf_links pin; others say why", function()
    local m = U.array()
    local p = U.prog("kprobe", m)
    local l = assert(link.uprobe(p, { path = UPROBE_BIN, symbol = "target_add", tracefs = true }))
    assert.equal("bpf_link", l.kind) -- perf link over the tracefs event
    l:close()
    local s = assert(link.usdt(p, { path = USDT_BIN, provider = "ebpftest", name = "plain" }))
    local ok, err = s:pin(bpffs .. "/x")
    assert.is_nil(ok)
    assert.matches("only bpf_links can be pinned", tostring(err), 1, true)
    s:close()
  end)

  it("attach and close 1000 times leaks no fd and no tracefs event", function()
    local m = U.array()
    local tp = U.prog("tracepoint", m)
    local rp = U.prog("raw_tracepoint", m)
    local up = U.prog("kprobe", m)
    local before = ebpf.core.open_fds()
    -- round robin over kinds; perf-event based ones are slow to tear down
    local kinds = {
      function() return link.raw_tracepoint(rp, "sys_enter") end,
      function() return link.raw_tracepoint(rp, "sys_exit") end,
      function() return link.tracepoint(tp, "syscalls", "sys_enter_openat") end,
      function() return link.uprobe(up, { path = UPROBE_BIN, symbol = "target_add" }) end,
      function() return link.uprobe(up, { path = UPROBE_BIN, symbol = "target_add", tracefs = true }) end,
    }
    for i = 1, 1000 do
      local l = assert(kinds[i % #kinds + 1]())
      if i % 10 ~= 0 then l:close() end -- every tenth is left to the GC
    end
    collectgarbage("collect")
    collectgarbage("collect")
    assert.equal(before, ebpf.core.open_fds())
    -- this process's probes are named ebpf_<kind>_<pid>_...
    assert.not_matches("ebpf_u%a+_" .. U.pid() .. "_", helpers.sh("cat /sys/kernel/tracing/uprobe_events"))
  end)
end)
