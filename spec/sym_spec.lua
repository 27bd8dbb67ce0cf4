-- ebpf.sym and ebpf.stack against oracles: kernel symbols against the
-- lines of /proc/kallsyms, user symbols against `nm -S` and `readelf -lW`
-- of a test program running now (also stripped, with its symbols in a
-- separate debug file found by .gnu_debuglink and by build-id), and the
-- stacks a uprobe recorded in a stack-trace map.
local ebpf = require "ebpf"
local helpers = require "helpers"
local U = require "sym_util"

local q = U.quote

-- kallsyms as data: sorted addresses, names at each address, modules
local function kallsyms()
  local by_addr, addrs = {}, {}
  for line in io.lines("/proc/kallsyms") do
    local a, t, name, mod = line:match("^(%x+) (%a) (%S+)%s*%[?([^%]]*)")
    if a then
      local addr = math.tointeger(tonumber(a, 16)) or (tonumber(a:sub(1, 8), 16) << 32 | tonumber(a:sub(9), 16))
      local e = by_addr[addr]
      if not e then
        e = { names = {}, mod = mod ~= "" and mod or nil, type = t }
        by_addr[addr] = e
        addrs[#addrs + 1] = addr
      end
      e.names[name] = true
    end
  end
  table.sort(addrs, math.ult)
  return by_addr, addrs
end

local K_BY, K_ADDRS = kallsyms()

describe("ebpf.sym.kernel", function()
  it("names addresses inside kallsyms symbols with their offsets and modules", function()
    assert.is_true(#K_ADDRS > 1000)
    local checked, modules = 0, 0
    local step = math.max(1, #K_ADDRS // 400)
    for i = 1, #K_ADDRS - 1 do
      local a, nxt = K_ADDRS[i], K_ADDRS[i + 1]
      local e = K_BY[a]
      if (i % step == 0 or e.mod) and a ~= 0 then
        local room = nxt - a
        local off = room > 1 and (i * 7) % math.min(room, 256) or 0
        local name, offset, mod = ebpf.sym.kernel(a + off)
        assert(name and e.names[name], ("0x%x+%d: got %s, kallsyms has %s"):format(a, off, tostring(name),
          table.concat((function() local t = {} for n in pairs(e.names) do t[#t + 1] = n end return t end)(), ",")))
        assert.equal(off, offset)
        assert.equal(e.mod, mod)
        checked = checked + 1
        if e.mod then modules = modules + 1 end
      end
    end
    assert.is_true(checked >= 300, "checked " .. checked)
    -- the last line's symbol (modules, BPF code come last in the file)
    local last = K_ADDRS[#K_ADDRS]
    local name, off, mod = ebpf.sym.kernel(last + 1)
    assert.is_true(K_BY[last].names[name])
    assert.equal(1, off)
    assert.equal(K_BY[last].mod, mod)
    print(("\n  %d kernel addresses checked, %d in modules"):format(checked, modules))
  end)

  it("gives nil for addresses no symbol covers and raises on non-integers", function()
    assert.is_nil(ebpf.sym.kernel(0))
    assert.is_nil(ebpf.sym.kernel(0x10))
    assert.is_nil(ebpf.sym.kernel(K_ADDRS[1] - 1))
    assert.is_nil(ebpf.sym.kernel(K_ADDRS[#K_ADDRS] + (16 << 20)))
    assert.has_error(function() ebpf.sym.kernel("0xffffffff81000000") end)
    assert.has_error(function() ebpf.sym.kernel(1.5) end)
    assert.has_error(function() ebpf.sym.kernel() end)
  end)
end)

-- LOAD segments {off, vaddr, filesz} of `readelf -lW`
local function segments(bin)
  local segs = {}
  for off, vaddr, filesz in helpers.sh("readelf -lW " .. q(bin)):gmatch("\n%s*LOAD%s+0x(%x+)%s+0x(%x+)%s+0x%x+%s+0x(%x+)") do
    segs[#segs + 1] = { off = tonumber(off, 16), vaddr = tonumber(vaddr, 16), filesz = tonumber(filesz, 16) }
  end
  return segs
end

-- executable mappings of path in pid
local function exec_maps(pid, path)
  local t = {}
  for line in io.lines(("/proc/%d/maps"):format(pid)) do
    local s, e, perm, pgoff, p = line:match("^(%x+)-(%x+) (%S+) (%x+) %S+ %d+%s+(.*)$")
    if p == path and perm:find("x") then
      t[#t + 1] = { start = tonumber(s, 16), stop = tonumber(e, 16), pgoff = tonumber(pgoff, 16) }
    end
  end
  return t
end

-- runtime address of ELF vaddr v of bin in pid, through readelf and maps
local function runtime(pid, bin, v)
  for _, sg in ipairs(segments(bin)) do
    if v >= sg.vaddr and v < sg.vaddr + sg.filesz then
      local fo = v - sg.vaddr + sg.off
      for _, m in ipairs(exec_maps(pid, bin)) do
        if fo >= m.pgoff and fo < m.pgoff + (m.stop - m.start) then return m.start + fo - m.pgoff end
      end
    end
  end
end

-- defined functions of `nm -S`: {name, vaddr, size}
local function nm_funcs(bin)
  local t = {}
  for v, size, ty, name in helpers.sh("nm -S --defined-only " .. q(bin)):gmatch("(%x+) (%x+) (%a) ([^\n]+)") do
    if ty == "T" or ty == "t" then t[#t + 1] = { name = name, vaddr = tonumber(v, 16), size = tonumber(size, 16) } end
  end
  return t
end

describe("ebpf.sym.user", function()
  local dir, bin
  setup(function()
    dir = U.build()
    bin = dir .. "/symtarget"
  end)
  teardown(function()
    ebpf.sym.debug_dir(nil)
    U.remove(dir)
  end)

  it("names every function of a live process as nm and readelf place it", function()
    local pid, leaf = U.start(bin, "wait")
    local ok, err = pcall(function()
      local funcs = nm_funcs(bin)
      local n = 0
      for _, fn in ipairs(funcs) do
        local at = runtime(pid, bin, fn.vaddr)
        if at and fn.size > 0 then
          local off = fn.size // 2
          local name, offset, path = ebpf.sym.user(pid, at + off)
          assert.equal(fn.name, name)
          assert.equal(off, offset)
          assert.equal(bin, path)
          if fn.name == "ebpf_sym_leaf" then assert.equal(leaf, at) end -- what the program printed
          n = n + 1
        end
      end
      assert.is_true(n >= 5, "functions checked: " .. n)
      -- and libc's, through its .dynsym (Debian strips .symtab)
      local name, _, path = ebpf.sym.user(pid, leaf)
      assert.equal("ebpf_sym_leaf", name)
      assert.equal(bin, path)
    end)
    U.stop(pid)
    assert(ok, err)
  end)

  local function check_stripped(stripped, expect_found)
    assert.is_nil(helpers.sh("readelf -SW " .. q(stripped)):find("%.symtab"), "still has .symtab")
    local pid = U.start(stripped, "wait")
    local ok, err = pcall(function()
      local fn
      for _, f in ipairs(nm_funcs(bin)) do
        if f.name == "ebpf_sym_leaf" then fn = f end
      end
      local at = assert(runtime(pid, stripped, fn.vaddr))
      local name, off, path = ebpf.sym.user(pid, at + 1)
      if expect_found then
        assert.equal("ebpf_sym_leaf", name)
        assert.equal(1, off)
        assert.equal(stripped, path)
      else
        assert.is_nil(name)
      end
    end)
    U.stop(pid)
    assert(ok, err)
  end

  it("finds a stripped binary's symbols in its .gnu_debuglink file (CRC checked)", function()
    local d = dir .. "/dl"
    helpers.sh(("mkdir -p %s/.debug && objcopy --only-keep-debug %s %s/.debug/symtarget.debug && "
      .. "objcopy --strip-all --add-gnu-debuglink=%s/.debug/symtarget.debug %s %s/symtarget"):format(
      q(d), q(bin), q(d), q(d), q(bin), q(d)))
    ebpf.sym.cache_clear()
    check_stripped(d .. "/symtarget", true)
    -- a debug file whose CRC does not match is not used
    helpers.sh(("printf x >> %s/.debug/symtarget.debug"):format(q(d)))
    ebpf.sym.cache_clear()
    check_stripped(d .. "/symtarget", false)
  end)

  it("finds a stripped binary's symbols by build-id under the debug directory", function()
    local id = helpers.sh("readelf -n " .. q(bin)):match("Build ID: (%x+)")
    assert(id, "no build-id")
    local d, root = dir .. "/bid", dir .. "/debugroot"
    helpers.sh(("mkdir -p %s %s/.build-id/%s && objcopy --only-keep-debug %s %s/.build-id/%s/%s.debug && "
      .. "objcopy --strip-all %s %s/symtarget"):format(q(d), q(root), id:sub(1, 2), q(bin), q(root), id:sub(1, 2),
      id:sub(3), q(bin), q(d)))
    assert.equal("/usr/lib/debug", ebpf.sym.debug_dir())
    check_stripped(d .. "/symtarget", false) -- not under /usr/lib/debug
    assert.equal(root, ebpf.sym.debug_dir(root .. "/"))
    check_stripped(d .. "/symtarget", true)
    ebpf.sym.debug_dir(nil)
  end)

  it("gives nil or an error for bad input, never a crash", function()
    local pid = U.start(bin, "wait")
    local ok, err = pcall(function()
      assert.is_nil(ebpf.sym.user(pid, 0))
      assert.is_nil(ebpf.sym.user(pid, -1))
      assert.is_nil((ebpf.sym.user(pid, 0x1000)))
    end)
    U.stop(pid)
    assert(ok, err)
    local gone = tonumber(helpers.read_file("/proc/sys/kernel/pid_max")) - 1
    local function exists(p)
      local f = io.open(("/proc/%d/stat"):format(p))
      if f then f:close() end
      return f ~= nil
    end
    while exists(gone) do gone = gone - 1 end
    local none, e = ebpf.sym.user(gone, 0x1000)
    assert.is_nil(none)
    assert.equal("ESRCH", e.code)
    assert.matches("no such process", tostring(e))
    assert.has_error(function() ebpf.sym.user(0, 0x1000) end)
    assert.has_error(function() ebpf.sym.user(-5, 0x1000) end)
    assert.has_error(function() ebpf.sym.user(1 << 40, 0x1000) end)
    assert.has_error(function() ebpf.sym.user(1, "x") end)
    assert.has_error(function() ebpf.sym.debug_dir("relative/dir") end)
    assert.has_error(function() ebpf.sym.frames("abc") end)
    assert.same({}, ebpf.sym.frames(""))
    assert.same({}, ebpf.sym.frames(string.rep("\0", 16)))
  end)
end)

describe("ebpf.stack", function()
  local dir, bin
  setup(function()
    dir = U.build()
    bin = dir .. "/symtarget"
  end)
  teardown(function() U.remove(dir) end)

  it("reads the user and kernel stacks a uprobe recorded, named like nm and kallsyms", function()
    local coll <close> = assert(ebpf.load(helpers.testdata("misc/stack.bpf.o")))
    local link <close> = assert(ebpf.link.uprobe(coll.programs.on_leaf, { path = bin, symbol = "ebpf_sym_leaf" })) -- luacheck: ignore
    local pid = U.start(bin, "call")
    local ok, err = pcall(function()
      local ids = coll.maps.ids
      local deadline = ebpf.core.monotime_ns() + 5e9
      while ids[3] < 3 and ebpf.core.monotime_ns() < deadline do ebpf.sleep(0.02) end
      assert.equal(3, ids[3])
      assert.equal(pid, ids[2])
      local ustack = assert(ebpf.stack(coll.maps.stacks, ids[0], pid))
      assert.equal("ebpf_sym_leaf", ustack[1].name)
      assert.equal(0, ustack[1].offset)
      assert.equal(bin, ustack[1].path)
      local names = {}
      for _, f in ipairs(ustack) do names[#names + 1] = f.name or "?" end
      local joined = table.concat(names, " ")
      assert.matches("ebpf_sym_leaf .*main", joined)
      assert.same({}, ebpf.stack(coll.maps.stacks, ids[1])) -- -EFAULT: a uprobe has user registers
      -- kernel frames of a syscall (the tracepoint): each a kallsyms symbol + offset
      local tp <close> = assert(ebpf.link.tracepoint(coll.programs.on_sleep, "syscalls", "sys_enter_clock_nanosleep")) -- luacheck: ignore
      ids[4] = pid
      while ids[7] == 0 and ebpf.core.monotime_ns() < deadline + 5e9 do ebpf.sleep(0.02) end
      assert.equal(1, ids[7])
      local kstack = assert(ebpf.stack(coll.maps.kstacks, ids[5]))
      assert.is_true(#kstack > 1)
      for _, f in ipairs(kstack) do
        local e = K_BY[f.addr - f.offset]
        assert(e and e.names[f.name], ("frame 0x%x %s+%d not in kallsyms"):format(f.addr, tostring(f.name), f.offset or -1))
      end
      local sleeper = assert(ebpf.stack(coll.maps.ustacks, ids[6], pid))
      assert.matches("nanosleep", sleeper[1].name) -- libc (no frame pointers: its callers are lost)
      assert.equal("/", sleeper[1].path:sub(1, 1))
      -- folded: root first, comm, user frames, kernel frames
      local line = ebpf.stack.fold("symtarget", ustack, kstack)
      assert.matches("^symtarget;.*main;.*ebpf_sym_leaf;" .. kstack[#kstack].name:gsub("%p", "%%%0"), line)
      assert.equal(line .. " 3\nz 1\n", ebpf.stack.folded { [line] = 3, z = 1 })
    end)
    U.stop(pid)
    assert(ok, err)
  end)

  it("gives {} for -EFAULT, nil, err for other negative ids and nil for a missing id", function()
    local coll <close> = assert(ebpf.load(helpers.testdata("misc/stack.bpf.o")))
    assert.same({}, ebpf.stack(coll.maps.stacks, -14))
    local none, err = ebpf.stack(coll.maps.stacks, -17)
    assert.is_nil(none)
    assert.equal("EEXIST", err.code)
    assert.is_nil(ebpf.stack(coll.maps.stacks, 5))
    assert.has_error(function() ebpf.stack(coll.maps.stacks, "1") end)
    assert.has_error(function() ebpf.stack(nil, 1) end)
    assert.has_error(function() ebpf.stack.folded { a = "x" } end)
    assert.equal("a;[unknown];[libc.so.6];f", ebpf.stack.fold("a", { { name = "f" }, { path = "/lib/libc.so.6" }, {} }))
    assert.equal("x_y", ebpf.stack.fold { { name = "x;y" } })
  end)
end)
