-- Hostile input, hostile files and a shared /tmp (issue 12): each test is
-- a reproducer that crashed, hung, ran code or touched what it should not
-- before the fix. See docs/security.md for the guarantees.
local ebpf = require "ebpf"
local helpers = require "helpers"
local core = require "ebpf.core"

local function tmpdir()
  local d = assert(core.mkdtemp())
  return d, function() os.execute("rm -rf '" .. d .. "'") end
end

describe("tostring(err) with an open luaL_Buffer", function()
  it("formats long messages and codes (a 5000-byte message crashed)", function()
    local s = tostring(ebpf.error.new { message = ("x"):rep(5000), code = "E" })
    assert.equal(5004, #s)
    assert.equal(("x"):rep(5000) .. " (E)", s)
  end)

  it("formats a log tail (a 1.1 KB tail came back as heap garbage)", function()
    local lines = {}
    for i = 1, 60 do lines[i] = ("%02d %s"):format(i, ("y"):rep(18)) end
    local s = tostring(ebpf.error.new { message = "m", code = "EPERM", log = table.concat(lines, "\n") .. "\n" })
    assert.matches("^m %(EPERM%)\nverifier log %(last lines; full log in err.log%):\n55 y+\n", s)
    assert.matches("\n60 y+$", s)
    for _ = 1, 200 do -- with garbage collection in between, where freed buffers got reused
      collectgarbage()
      assert.equal(s, tostring(ebpf.error.new { message = "m", code = "EPERM", log = table.concat(lines, "\n") }))
    end
  end)

  it("formats the error of a pin to a 5000-byte path", function()
    local m <close> = assert(ebpf.map { type = "array", key_size = 4, value_size = 4, max_entries = 1 })
    local ok, err = m:pin("/sys/fs/bpf/" .. ("a"):rep(5000))
    assert.is_nil(ok)
    assert.matches("^map .*: pin '/sys/fs/bpf/aaaa", tostring(err))
    assert.has_error(function() assert(m:pin("/sys/fs/bpf/" .. ("a"):rep(5000))) end)
  end)

  it("tostring of a collection and a spec", function()
    local coll <close> = assert(ebpf.load(helpers.testdata("misc/minimal.bpf.o")))
    for _ = 1, 50 do assert.matches("^ebpf.collection 'minimal' %(1 programs, 0 maps%)\n  ebpf.program", tostring(coll)) end
  end)

  it("no C binding pushes while a luaL_Buffer is open (tools/lint-lbuffer.lua)", function()
    local out = helpers.sh("lua5.4 tools/lint-lbuffer.lua")
    assert.matches("lint-lbuffer: clean", out, 1, true)
  end)
end)

describe("ebpf.compile runs no shell", function()
  local clang = core.which("clang-19") or core.which("clang")

  it("passes cflags as words: $(...) is not executed", function()
    if not clang then pending("no clang") return end
    local d, rm = tmpdir()
    local witness = d .. "/pwned"
    local spec, err = ebpf.compile("int x;\n", { vmlinux = false, cflags = "-DX=$(touch " .. witness .. ")" })
    assert.is_false(io.open(witness) ~= nil, "the command in cflags ran")
    assert.is_not_nil(spec or err)
    spec, err = ebpf.compile("int x;\n", { vmlinux = false, cflags = { "-DX=`touch " .. witness .. "`" } })
    assert.is_false(io.open(witness) ~= nil, "the command in cflags ran")
    rm()
    if spec then spec:close() end
    assert.is_true(spec ~= nil or err ~= nil)
  end)

  it("splits a string of cflags at whitespace only", function()
    if not clang then pending("no clang") return end
    local spec = assert(ebpf.compile("const volatile int v = V + W;\nchar LICENSE[] __attribute__((section(\"license\"))) = \"GPL\";\n",
      { vmlinux = false, cflags = "-DV=40   -DW=2" }))
    assert.equal(42, spec.vars.v)
    spec:close()
  end)

  it("runs a clang whose path has spaces and quotes, and refuses a missing one", function()
    if not clang then pending("no clang") return end
    local d, rm = tmpdir()
    local odd = d .. "/my 'clang' dir"
    assert(os.execute(("mkdir '%s' && ln -s '%s' \"%s/clang x\""):format(odd:gsub("'", "'\\''"), clang,
      odd)))
    local spec = ebpf.compile("int x;\n", { vmlinux = false, clang = odd .. "/clang x" })
    rm()
    assert.is_not_nil(spec)
    spec:close()
    local none, err = ebpf.compile("int x;\n", { vmlinux = false, clang = "/nonexistent/clang; touch /tmp/x" })
    assert.is_nil(none)
    assert.matches("'/nonexistent/clang; touch /tmp/x' (opts.clang) not found", err, 1, true)
  end)

  it("core.spawn hands the program no fd of ours and says why an exec failed", function()
    -- io.open files are not close-on-exec: a spawned clang inherited them
    local d, rm = tmpdir()
    local f = assert(io.open(d .. "/held", "w"))
    local ok, out = core.spawn { "/bin/sh", "-c", "ls /proc/$$/fd" }
    f:close()
    assert.is_true(ok)
    local fds = {}
    for n in out:gmatch("%d+") do fds[#fds + 1] = tonumber(n) end
    table.sort(fds)
    assert.same({ 0, 1, 2 }, fds)
    -- a directory passes access(X_OK) but cannot be executed: the error says so
    local none, err = core.spawn { d }
    assert.is_nil(none)
    assert.matches("cannot run '" .. d .. "': Permission denied", tostring(err), 1, true)
    if clang then
      none, err = ebpf.compile("int x;\n", { vmlinux = false, clang = d })
      assert.is_nil(none)
      assert.matches("cannot run '" .. d .. "'", tostring(err), 1, true)
    end
    rm()
  end)

  it("EBPF_CLANG naming a missing compiler is an error, not ignored", function()
    if not clang then pending("no clang") return end
    local out = helpers.sh("EBPF_CLANG=/nonexistent/clang lua5.4 -e '" ..
      [[package.path="lua/?.lua;lua/?/init.lua;"..package.path; package.cpath="]] .. helpers.build ..
      [[/?.so;"..package.cpath; print(select(2, require("ebpf").compile("int x;", {vmlinux=false})))]] .. "'")
    assert.matches("'/nonexistent/clang' (EBPF_CLANG) not found", out, 1, true)
  end)
end)

describe("temporary files", function()
  it("core.mkdtemp makes private directories; write_new never follows a symlink or reuses a file", function()
    local d, rm = tmpdir()
    local st = helpers.sh("stat -c %a " .. d)
    assert.equal("700\n", st)
    local target = d .. "/victim"
    assert(core.write_new(target, "orig"))
    assert(os.execute(("ln -s '%s' '%s/link'"):format(target, d)))
    local ok, err = core.write_new(d .. "/link", "evil")
    assert.is_nil(ok)
    assert.matches("File exists", tostring(err))
    ok, err = core.write_new(target, "again")
    assert.is_nil(ok)
    assert.matches("File exists", tostring(err))
    assert.equal("orig", helpers.read_file(target))
    rm()
  end)

  it("a planted or foreign cache directory is refused", function()
    local d, rm = tmpdir()
    assert(os.execute("mkdir -m 777 " .. d .. "/open"))
    local ok, err = core.private_dir(d .. "/open")
    assert.is_nil(ok)
    assert.matches("writable by group or others", tostring(err))
    assert(os.execute("mkdir " .. d .. "/theirs && chown 65534 " .. d .. "/theirs"))
    ok, err = core.private_dir(d .. "/theirs")
    assert.is_nil(ok)
    assert.matches("belongs to another user", tostring(err))
    assert(os.execute(("ln -s /etc '%s/sym'"):format(d)))
    ok, err = core.private_dir(d .. "/sym")
    assert.is_nil(ok)
    assert.matches("is a symlink", tostring(err))
    rm()
  end)

  it("a cache directory under another user's or an open parent is refused", function()
    -- its owner could rename our 0700 directory away and put theirs in place
    local d, rm = tmpdir()
    assert(os.execute("mkdir " .. d .. "/theirs && chown 65534 " .. d .. "/theirs && chmod 755 " .. d .. "/theirs"))
    local ok, err = core.private_dir(d .. "/theirs/cache/ebpf-lua")
    assert.is_nil(ok)
    assert.matches("its parent '" .. d .. "/theirs' belongs to another user", tostring(err), 1, true)
    assert(os.execute("mkdir -m 777 " .. d .. "/open"))
    ok, err = core.private_dir(d .. "/open/ebpf-lua")
    assert.is_nil(ok)
    assert.matches("its parent '" .. d .. "/open' is writable by group or others", tostring(err), 1, true)
    -- a sticky shared directory (as /tmp) is a fine parent for a directory of our own
    assert(os.execute("mkdir -m 1777 " .. d .. "/sticky"))
    assert(core.private_dir(d .. "/sticky/ebpf-lua"))
    -- and ebpf.elf.cache_dir() gives no cache rather than a planted one
    local out = helpers.sh("XDG_CACHE_HOME=" .. d .. "/theirs/cache lua5.4 -e '" ..
      [[package.path="lua/?.lua;lua/?/init.lua;"..package.path; package.cpath="]] .. helpers.build ..
      [[/?.so;"..package.cpath; print(require("ebpf").elf.cache_dir())]] .. "'")
    assert.matches("^nil\trefusing", out)
    rm()
  end)

  it("vmlinux.h is never cached under /tmp, even without HOME", function()
    local out = helpers.sh("env -u HOME -u XDG_CACHE_HOME lua5.4 -e '" ..
      [[package.path="lua/?.lua;lua/?/init.lua;"..package.path; package.cpath="]] .. helpers.build ..
      [[/?.so;"..package.cpath; print(require("ebpf").elf.cache_dir())]] .. "'")
    assert.not_matches("^/tmp", out)
  end)
end)

describe("ebpf embed", function()
  it("quotes every name it writes: a newline in the file name injects nothing", function()
    local d, rm = tmpdir()
    local evil = d .. "/x\nos.exit(42)\n--.o"
    local src = assert(io.open(helpers.testdata("misc/minimal.bpf.o"), "rb")):read("a")
    assert(core.write_new(evil, src))
    local p = io.popen(("bin/ebpf embed '%s' --name hostile_embed -o '%s/mod.lua' 2>&1; echo rc=$?"):format(evil, d))
    local out = p:read("a")
    p:close()
    assert.matches("rc=0", out)
    local text = helpers.read_file(d .. "/mod.lua")
    for line in text:gmatch("[^\n]+") do
      assert.is_false(line == "os.exit(42)", "raw file name line in generated code")
    end
    local chunk = assert(load(text))
    local m = chunk()
    assert.equal(evil:match("[^/]+$"), m.source)
    rm()
  end)
end)

describe("files that are not regular files", function()
  local function fifo()
    local d, rm = tmpdir()
    assert(os.execute("mkfifo " .. d .. "/f"))
    return d .. "/f", rm
  end

  it("ebpf.open, ebpf.load and ebpf.btf.load refuse a FIFO at once", function()
    local f, rm = fifo()
    for _, fn in ipairs { ebpf.open, ebpf.load, ebpf.btf.load } do
      local v, err = fn(f)
      assert.is_nil(v)
      assert.matches("a FIFO, not a regular file", tostring(err), 1, true)
    end
    rm()
  end)

  it("/dev/zero and directories are refused, not read until out of memory", function()
    local v, err = ebpf.btf.load("/dev/zero")
    assert.is_nil(v)
    assert.matches("a character device, not a regular file", tostring(err), 1, true)
    v, err = ebpf.open("/tmp")
    assert.is_nil(v)
    assert.matches("a directory, not a regular file", tostring(err), 1, true)
  end)

  it("a kernel_btf load option naming a FIFO or /dev/zero is refused (it hung / read until OOM)", function()
    local f, rm = fifo()
    local obj = helpers.testdata("elf/core.bpf.o")
    for _, path in ipairs { f, "/dev/zero" } do
      -- in a child with a time limit: the unfixed code never returns
      local out = helpers.sh(("timeout 10 lua5.4 -e '" ..
        [[package.path="lua/?.lua;lua/?/init.lua;"..package.path; package.cpath="%s/?.so;"..package.cpath
          print(select(2, require("ebpf").load("%s", { kernel_btf = "%s" })))]] .. "' 2>&1; echo rc=$?")
        :format(helpers.build, obj, path))
      assert.matches("kernel btf '" .. path .. "'", out, 1, true)
      assert.matches("not a regular file", out, 1, true)
      assert.matches("rc=0\n$", out)
    end
    rm()
  end)

  it("a netns path naming a FIFO does not block (attach and query)", function()
    local f, rm = fifo()
    local out = helpers.sh(("timeout 10 lua5.4 -e '" ..
      [[package.path="lua/?.lua;lua/?/init.lua;"..package.path; package.cpath="%s/?.so;"..package.cpath
        print(require("ebpf").link.query("%s", "sk_lookup"))]] .. "' 2>&1; echo rc=$?"):format(helpers.build, f))
    assert.matches("^nil\t", out)
    assert.matches("rc=0\n$", out)
    rm()
  end)

  it("the CLI refuses them with a clear error (embed, disasm, btf dump, run)", function()
    local f, rm = fifo()
    for _, cmd in ipairs { "embed %s --name x", "embed /dev/zero --name x", "embed /tmp --name x",
                           "disasm %s", "btf dump %s", "run %s" } do
      local out = helpers.sh(("timeout 10 bin/ebpf " .. cmd .. " 2>&1; echo rc=$?"):format(f))
      assert.matches("rc=1\n$", out, nil, false)
      assert.matches("not a regular file", out, 1, true)
    end
    rm()
  end)
end)

describe("slow input", function()
  it("decodes arrays of zero-size elements at once (10^9 visits before)", function()
    local b <close> = ebpf.btf.new()
    local int = b:add_int("int", 4, "signed")
    local e = b:add_struct("empty", 0, {})
    local a = b:add_array(b:add_array(e, 1000000), 1000)
    local s = b:add_struct("s", 4, { { name = "z", type = a, offset = 0 }, { name = "x", type = int, offset = 0 } })
    local t0 = os.clock()
    local v = s:decode(string.pack("<i4", 7))
    assert.equal(7, v.x)
    assert.same({}, v.z)
    assert.is_true(os.clock() - t0 < 2, "took " .. (os.clock() - t0) .. " s")
  end)
end)

describe("names from objects are not paths", function()
  it("a by-name pinned map called '../x' is refused, nothing pinned outside pin_root", function()
    local bytes = helpers.read_file(helpers.testdata("elf/pinning.bpf.o"))
    local evil = bytes:gsub("shared_counts", "../escaped_xx")
    assert.not_equal(bytes, evil)
    local dir = helpers.bpffs_dir("escape")
    helpers.sh("mkdir -p " .. dir .. "/root")
    local coll, err = ebpf.load(evil, { pin_root = dir .. "/root" })
    local escaped = io.open(dir .. "/escaped_xx") ~= nil
    if coll then coll:close() end
    helpers.sh("rm -rf " .. dir)
    assert.is_false(escaped, "pinned outside pin_root")
    assert.is_nil(coll)
    assert.matches("cannot be a pin path component", tostring(err), 1, true)
  end)
end)

describe("unpin removes only pinned BPF objects on a bpffs", function()
  it("refuses regular files, directories and paths outside bpffs", function()
    local d, rm = tmpdir()
    assert(core.write_new(d .. "/victim", "data"))
    local ok, err = ebpf.unpin(d .. "/victim")
    assert.is_nil(ok)
    assert.matches("not on a bpffs", tostring(err), 1, true)
    assert.equal("data", helpers.read_file(d .. "/victim"))
    local m <close> = assert(ebpf.map { type = "array", key_size = 4, value_size = 4, max_entries = 1 })
    ok, err = m:unpin(d)
    assert.is_nil(ok)
    assert.matches("not on a bpffs", tostring(err), 1, true)
    assert.is_truthy(io.open(d .. "/victim"))
    rm()
    local bdir = helpers.bpffs_dir("unpin")
    helpers.sh("mkdir -p " .. bdir .. "/sub")
    ok, err = ebpf.unpin(bdir .. "/sub")
    assert.is_nil(ok)
    assert.matches("a directory, not a pinned object", tostring(err), 1, true)
    assert(m:pin(bdir .. "/m"))
    assert.is_true(ebpf.unpin(bdir .. "/m"))
    assert.is_nil(io.open(bdir .. "/m"))
    helpers.sh("rm -rf " .. bdir)
  end)
end)

describe("numbers and strings from Lua", function()
  local insns = string.pack("<BBhi", 0xb7, 0, 0, 0) .. string.pack("<BBhi", 0x95, 0, 0, 0)

  it("range-checks numeric options, naming the option and its range", function()
    local p <close> = assert(ebpf.program { type = "socket_filter", insns = insns })
    assert.error_matches(function() p:run("", { ["repeat"] = -1 }) end, "field 'repeat' must be in [0, 4294967295], got -1", 1, true)
    assert.error_matches(function() p:run("", { ["repeat"] = 1 << 40 }) end, "field 'repeat' must be in [0, 4294967295]", 1, true)
    assert.error_matches(function()
      ebpf.map { type = "hash", key_size = 4, value_size = 4, max_entries = 1, flags = 1 << 40 }
    end, "flags must be names or integers in [0, 2^32-1]", 1, true)
    assert.error_matches(function()
      ebpf.map { type = "hash", key_size = 4, value_size = 4, max_entries = 1, numa_node = 1 << 40 }
    end, "field 'numa_node' must be in [-1, 65536]", 1, true)
    assert.error_matches(function()
      ebpf.link.uprobe(p, { path = "/bin/true", symbol = "main", pid = -5 })
    end, "field 'pid' must be in [-1, 2147483647], got -5", 1, true)
    assert.error_matches(function() ebpf.link.uprobe(p, { path = "/bin/true", offset = -1 }) end,
      "field 'offset' must be in [0, ", 1, true)
    assert.error_matches(function() ebpf.program { type = "socket_filter", insns = insns, log_level = -1 } end,
      "field 'log_level' must be in [0, 15], got -1", 1, true)
    assert.error_matches(function() p:run("", { ["repeat"] = 1.5 }) end, "a non-integer number", 1, true)
  end)

  it("a NaN or infinite timeout raises instead of blocking forever", function()
    local m <close> = assert(ebpf.map { type = "ringbuf", max_entries = 4096 })
    local r <close> = assert(ebpf.ringbuf.reader(m))
    for _, t in ipairs { 0 / 0, math.huge, -math.huge } do
      assert.error_matches(function() r:poll(t, function() end) end, "finite number of milliseconds", 1, true)
      assert.error_matches(function() r:read(t) end, "finite number of milliseconds", 1, true)
    end
  end)

  it("paths and names with a NUL byte raise (a pin to 'a\\0b' landed on 'a')", function()
    local m <close> = assert(ebpf.map { type = "array", key_size = 4, value_size = 4, max_entries = 1 })
    local dir = helpers.bpffs_dir("nul")
    assert.error_matches(function() m:pin(dir .. "/a\0b") end, "path contains a NUL byte", 1, true)
    assert.is_nil(io.open(dir .. "/a"))
    helpers.sh("rm -rf " .. dir)
    local p <close> = assert(ebpf.program { type = "socket_filter", insns = insns })
    assert.error_matches(function() ebpf.link.tracepoint(p, "sys\0calls", "x") end, "category contains a NUL", 1, true)
    assert.error_matches(function() ebpf.load(helpers.testdata("misc/minimal.bpf.o"), { pin_root = "/sys\0/x" }) end,
      "field 'pin_root' contains a NUL byte", 1, true)
  end)

  it("an unpack size too large for any record names the real problem", function()
    local m <close> = assert(ebpf.map { type = "ringbuf", max_entries = 4096 })
    local r <close> = assert(ebpf.ringbuf.reader(m))
    assert.error_matches(function() r:unpack("c100000000") end, "is larger than a record can be", 1, true)
  end)
end)

describe("signals and stale tracefs events", function()
  local BIN = helpers.build .. "/testdata/link/uprobe_target"

  local function uprobe_events()
    local f = io.open("/sys/kernel/tracing/uprobe_events") or io.open("/sys/kernel/debug/tracing/uprobe_events")
    local s = f and f:read("a") or ""
    if f then f:close() end
    return s
  end

  it("ebpf run closes everything on SIGTERM/SIGHUP/SIGINT and exits 128+signal", function()
    local d, rm = tmpdir()
    local script = d .. "/probe.lua"
    assert(core.write_new(script, ([[
      local ebpf = require "ebpf"
      local l = assert(ebpf.link.uprobe(ebpf.program { type = "kprobe", license = "GPL",
        insns = string.pack("<BBhi", 0xb7, 0, 0, 0) .. string.pack("<BBhi", 0x95, 0, 0, 0) },
        { path = %q, symbol = "target_add", tracefs = true }))
      io.write("attached ", tostring(l), "\n") io.flush()
      ebpf.sleep(30)
    ]]):format(BIN)))
    for sig, code in pairs { TERM = 143, HUP = 129, INT = 130 } do
      -- (a background job of sh starts with SIGINT ignored, and a run under
      -- nohup with SIGHUP ignored: give them the default back)
      local out = helpers.sh(("EBPF_BUILD=%s env --default-signal=INT,HUP,TERM bin/ebpf run %s & pid=$!; "
        .. "for i in $(seq 50); do "
        .. "grep -q ebpf_uprobe_$pid /sys/kernel/tracing/uprobe_events 2>/dev/null && break; sleep 0.1; done; "
        .. "kill -%s $pid; wait $pid; echo rc=$?; grep -c ebpf_uprobe_$pid /sys/kernel/tracing/uprobe_events "
        .. "|| true"):format(helpers.build, script, sig))
      assert.matches("rc=" .. code .. "\n0\n$", out)
    end
    rm()
  end)

  it("events of dead processes are removed at the next attach", function()
    local dead = tonumber(helpers.sh("sh -c 'echo $$'"))
    local off = ebpf.link.symbol_offset(BIN, "target_add")
    local name = ("ebpf_uprobe_%d_0_stale_0x0"):format(dead)
    assert(os.execute(("echo 'p:uprobes/%s %s:0x%x' >> /sys/kernel/tracing/uprobe_events"):format(name, BIN, off)))
    assert.matches(name, uprobe_events(), 1, true)
    local p <close> = assert(ebpf.program { type = "kprobe", insns = string.pack("<BBhi", 0xb7, 0, 0, 0) ..
      string.pack("<BBhi", 0x95, 0, 0, 0) })
    local l = assert(ebpf.link.uprobe(p, { path = BIN, symbol = "target_add", tracefs = true }))
    assert.not_matches(name, uprobe_events(), 1, true)
    l:close()
  end)
end)

describe("compiled-object cache", function()
  local clang = core.which("clang-19") or core.which("clang")
  local SRC = "const volatile int v = 7;\nchar LICENSE[] __attribute__((section(\"license\"))) = \"GPL\";\n"

  -- a clang that counts its runs (in a private dir, called by absolute path)
  local function counting_clang()
    local d = assert(core.mkdtemp())
    assert(core.write_new(d .. "/clang", ("#!/bin/sh\necho run >> %s/runs\nexec %s \"$@\"\n"):format(d, clang), 448))
    return d, function()
      local f = io.open(d .. "/runs")
      local n = 0
      if f then for _ in f:lines() do n = n + 1 end f:close() end
      return n
    end
  end

  it("a second compile of the same inputs is a cache hit; any changed input misses", function()
    if not clang then pending("no clang") return end
    local d, runs = counting_clang()
    local xdg = assert(core.mkdtemp())
    local function compile(src, flags)
      local code = ([[package.path="lua/?.lua;lua/?/init.lua;"..package.path
        package.cpath=%q.."/?.so;"..package.cpath
        local s = assert(require("ebpf").compile(%q, { vmlinux = false, clang = %q, cflags = %q }))
        print(s.vars.v) s:close()]]):format(helpers.build, src, d .. "/clang", flags or "")
      assert(core.write_new(xdg .. "/c.lua", code))
      local out = helpers.sh(("XDG_CACHE_HOME=%s lua5.4 %s/c.lua"):format(xdg, xdg))
      os.remove(xdg .. "/c.lua")
      return out
    end
    assert.equal("7\n", compile(SRC))
    assert.equal(1, runs())
    assert.equal("7\n", compile(SRC))
    assert.equal(1, runs()) -- hit
    assert.equal("7\n", compile(SRC, "-DX=1"))
    assert.equal(2, runs()) -- other flags
    assert.equal("8\n", compile((SRC:gsub("7", "8"))))
    assert.equal(3, runs()) -- other source
    -- a cached object planted by someone else (not the user's own, or writable by others) is not used
    helpers.sh(("chmod 666 %s/ebpf-lua/obj-*.o"):format(xdg))
    assert.equal("7\n", compile(SRC))
    assert.equal(4, runs())
    os.execute(("rm -rf '%s' '%s'"):format(d, xdg))
  end)

  it("tracks every header clang read: a changed header misses, an unchanged one hits", function()
    if not clang then pending("no clang") return end
    local d, runs = counting_clang()
    local xdg = assert(core.mkdtemp())
    local src = assert(core.mkdtemp())
    local inc = assert(core.mkdtemp())
    local function header(dir, name, v)
      os.remove(dir .. "/" .. name)
      assert(core.write_new(dir .. "/" .. name, ("#define %s %d\n"):format(name:upper():gsub("%.H$", ""), v)))
    end
    header(src, "own.h", 3)
    header(inc, "sys.h", 4)
    assert(core.write_new(src .. "/p.bpf.c", '#include "own.h"\n#include <sys.h>\n'
      .. "const volatile int v = OWN * 10 + SYS;\n"
      .. "char LICENSE[] __attribute__((section(\"license\"))) = \"GPL\";\n"))
    local function compile()
      local code = ([[package.path="lua/?.lua;lua/?/init.lua;"..package.path
        package.cpath=%q.."/?.so;"..package.cpath
        local s = assert(require("ebpf").compile(%q, { vmlinux = false, clang = %q, cflags = { "-I" .. %q } }))
        print(s.vars.v) s:close()]]):format(helpers.build, src .. "/p.bpf.c", d .. "/clang", inc)
      assert(core.write_new(xdg .. "/c.lua", code))
      local out = helpers.sh(("XDG_CACHE_HOME=%s lua5.4 %s/c.lua 2>&1"):format(xdg, xdg))
      os.remove(xdg .. "/c.lua")
      return out
    end
    assert.equal("34\n", compile())
    assert.equal(1, runs())
    assert.equal("34\n", compile())
    assert.equal(1, runs()) -- hit: a source with headers of its own is cached too
    header(src, "own.h", 5)
    assert.equal("54\n", compile())
    assert.equal(2, runs()) -- its own "..." header changed
    header(inc, "sys.h", 6)
    assert.equal("56\n", compile())
    assert.equal(3, runs()) -- a <...> header from an include path changed
    assert.equal("56\n", compile())
    assert.equal(3, runs())
    os.execute(("rm -rf '%s' '%s' '%s' '%s'"):format(d, xdg, src, inc))
  end)
end)
