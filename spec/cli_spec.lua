-- The `ebpf` command, run as a process (bin/ebpf) like a user would, with
-- bpftool as the oracle for what it lists and dumps.
local helpers = require "spec.helpers"
local ebpf = require "ebpf"
local json_decode = require "spec.json_decode"
local btf_mod = ebpf.btf or ebpf.core.btf

local _ -- ignored results

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Runs bin/ebpf with args; returns exit status, stdout, stderr.
local function ebpf_cmd(args)
  local errf = os.tmpname()
  local cmd = ("EBPF_BUILD=%s bin/ebpf %s 2>%s"):format(q(helpers.build), args, q(errf))
  local p = assert(io.popen(cmd))
  local out = p:read("a")
  local _, _, code = p:close()
  local f = assert(io.open(errf))
  local err = f:read("a")
  f:close()
  os.remove(errf)
  return code, out, err
end

-- Oracles and tools run without the ASan preload of `make asan-test`
-- (bpftool hangs under it); bin/ebpf itself keeps it.
local function tool(cmd) return helpers.sh("env -u LD_PRELOAD " .. cmd) end

local function bpftool_json(args)
  local ok, out = pcall(tool, "bpftool -j " .. args)
  if not ok then return nil end
  return json_decode(out)
end

local function by_id(list)
  local t = {}
  for _, x in ipairs(list) do t[x.id] = x end
  return t
end

describe("ebpf command", function()
  it("lists programs as bpftool does (id, name, type, tag)", function()
    local p <close> = assert(ebpf.program { type = "socket_filter", name = "cli_prog", insns = helpers.return_imm(0) })
    local code, out, err = ebpf_cmd("prog list --json")
    assert.are.equal(0, code, err)
    local ours = by_id(json_decode(out))
    local btl = bpftool_json("prog list")
    if helpers.skip_unless(btl, "bpftool not available") then return end
    local bt = by_id(btl)[p.id]
    local mine = ours[p.id]
    assert.is_not_nil(mine)
    assert.are.equal(bt.name, mine.name)
    assert.are.equal(bt.type, mine.type)
    assert.are.equal(bt.tag, mine.tag)
    assert.are.equal(bt.bytes_xlated, mine.bytes_xlated)
    assert.are.equal("cli_prog", mine.name)
    -- text output: one aligned row with the same id and name
    code, out = ebpf_cmd("prog list")
    assert.are.equal(0, code)
    assert.matches("\n" .. p.id .. "%s+socket_filter%s+cli_prog%s", out)
    code, out = ebpf_cmd("prog show " .. p.id .. " --json")
    assert.are.equal(0, code)
    assert.are.equal(p.id, json_decode(out).id)
  end)

  it("disassembles a loaded program's translated instructions as bpftool counts them", function()
    if helpers.skip_unless(ebpf.asm, "ebpf.asm not available") then return end
    local m <close> = assert(ebpf.map { type = "array", key_size = 4, value_size = 8, max_entries = 1 })
    local bytes = helpers.insns {
      { 0x18, 1, 1, 0, m:fd() }, { 0x00 },   -- r1 = map (ld_imm64, pseudo map fd)
      { 0xb7, 0, 0, 0, 7 }, { 0x07, 0, 0, 0, 5 }, { 0x95 },
    }
    local p <close> = assert(ebpf.program { type = "socket_filter", name = "cli_dump", insns = bytes })
    local code, out, err = ebpf_cmd("prog dump " .. p.id)
    assert.are.equal(0, code, err)
    local idx = {}
    for i in out:gmatch("%s*(%d+): [^\n]*\n") do idx[#idx + 1] = tonumber(i) end
    local bt = bpftool_json("prog dump xlated id " .. p.id)
    if helpers.skip_unless(bt, "bpftool not available") then return end
    -- bpftool lists one entry per instruction, ld_imm64 included once
    assert.are.equal(#bt, #idx)
    assert.are.same({ 0, 2, 3, 4 }, idx)
    assert.matches("r0 %+= 0x5\n%s*4: exit", out)
  end)

  it("lists maps as bpftool does (id, name, type, sizes)", function()
    local m <close> = assert(ebpf.map { type = "hash", key_size = 4, value_size = 8, max_entries = 16,
      name = "cli_map" })
    local id = m:info().id
    local code, out, err = ebpf_cmd("map list --json")
    assert.are.equal(0, code, err)
    local mine = by_id(json_decode(out))[id]
    local btl = bpftool_json("map list")
    if helpers.skip_unless(btl, "bpftool not available") then return end
    local bt = by_id(btl)[id]
    assert.are.equal(bt.name, mine.name)
    assert.are.equal(bt.type, mine.type)
    assert.are.equal(bt.bytes_key, mine.bytes_key)
    assert.are.equal(bt.bytes_value, mine.bytes_value)
    assert.are.equal(bt.max_entries, mine.max_entries)
    code, out = ebpf_cmd("map show " .. id)
    assert.are.equal(0, code)
    assert.matches("\n" .. id .. "%s+hash%s+cli_map%s", out)
  end)

  it("dumps map entries with the bytes bpftool reads", function()
    local m <close> = assert(ebpf.map { type = "hash", key_size = 4, value_size = 8, max_entries = 16,
      name = "cli_dump" })
    m[1] = 42
    m[0x01020304] = 0x1122334455667788
    local id = m:info().id
    local code, out, err = ebpf_cmd("map dump " .. id .. " --json")
    assert.are.equal(0, code, err)
    local ours = json_decode(out)
    assert.are.equal(2, #ours)
    local bt = bpftool_json("map dump id " .. id)
    if helpers.skip_unless(bt, "bpftool not available") then return end
    local function keyed(list)
      local t = {}
      for _, e in ipairs(list) do t[table.concat(e.key, ",")] = table.concat(e.value, ",") end
      return t
    end
    assert.are.same(keyed(bt), keyed(ours))
    assert.are.equal("0x2a,0x00,0x00,0x00,0x00,0x00,0x00,0x00", keyed(ours)["0x01,0x00,0x00,0x00"])
    code, out = ebpf_cmd("map dump " .. id)
    assert.are.equal(0, code)
    assert.matches("key: 04 03 02 01  value: 88 77 66 55 44 33 22 11", out, 1, true)
    assert.matches("Found 2 elements", out, 1, true)
  end)

  it("decodes map entries through the map's BTF", function()
    if helpers.skip_unless(btf_mod and btf_mod.new, "ebpf.btf not available") then return end
    local b = btf_mod.new()
    local u32 = b:add_int("u32", 4)
    local u64 = b:add_int("u64", 8)
    local pair = b:add_struct("pair", 16, { { name = "a", type = u32, offset = 0 },
      { name = "b", type = u64, offset = 8 } })
    local m <close> = assert(ebpf.map { type = "hash", max_entries = 4, name = "cli_btf",
      btf = b, key_type = u32, value_type = pair })
    m[7] = { a = 5, b = 1 << 40 }
    local id = m:info().id
    local code, out, err = ebpf_cmd("map dump " .. id .. " --json")
    assert.are.equal(0, code, err)
    local e = json_decode(out)[1]
    assert.are.equal(7, e.formatted.key)
    assert.are.same({ a = 5, b = 1 << 40 }, e.formatted.value)
    -- the raw bytes are there too, as bpftool reads them
    local bt = bpftool_json("map dump id " .. id)
    if bt then assert.are.same(bt[1].value, e.value) end
    code, out = ebpf_cmd("map dump " .. id)
    assert.are.equal(0, code)
    assert.matches('= 7 -> {"a":5,"b":1099511627776}', out, 1, true)
  end)

  it("writes a vmlinux.h that clang compiles", function()
    if helpers.skip_unless(btf_mod and btf_mod.load, "ebpf.btf not available") then return end
    if helpers.skip_unless(io.open("/sys/kernel/btf/vmlinux"), "no kernel BTF", true) then return end
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. q(dir)))
    local code, out, err = ebpf_cmd("btf dump /sys/kernel/btf/vmlinux --format c")
    assert.are.equal(0, code, err)
    local f = assert(io.open(dir .. "/vmlinux.h", "w"))
    f:write(out)
    f:close()
    f = assert(io.open(dir .. "/t.bpf.c", "w"))
    f:write('#include "vmlinux.h"\nint pid_of(struct task_struct *t) { return t->pid; }\n' ..
      'unsigned long sz = sizeof(struct sk_buff) + sizeof(union bpf_attr);\n')
    f:close()
    tool(("clang-19 -O2 -target bpf -c %s/t.bpf.c -o %s/t.o"):format(q(dir), q(dir)))
    os.execute("rm -rf " .. q(dir))
    -- by id: the same text as from the file
    local list = json_decode(select(2, ebpf_cmd("btf list --json")))
    for _, bo in ipairs(list) do
      if bo.name == "vmlinux" then
        local code2, out2 = ebpf_cmd("btf dump " .. bo.id)
        assert.are.equal(0, code2)
        assert.is_true(out2 == out, "dump by id differs from dump of the file")
      end
    end
  end)

  it("dumps per-CPU values one slot per CPU", function()
    local m <close> = assert(ebpf.map { type = "percpu_array", key_size = 4, value_size = 4, max_entries = 1 })
    local id = m:info().id
    local code, out = ebpf_cmd("map dump " .. id .. " --json")
    assert.are.equal(0, code)
    local e = json_decode(out)[1]
    assert.are.equal(ebpf.possible_cpus(), #e.values)
    assert.are.equal(0, e.values[1].cpu)
  end)

  it("lists BTF objects as bpftool does and dumps raw kernel BTF", function()
    local code, out, err = ebpf_cmd("btf list --json")
    assert.are.equal(0, code, err)
    local ours = by_id(json_decode(out))
    local bt = bpftool_json("btf list")
    if helpers.skip_unless(bt, "bpftool not available") then return end
    for _, b in ipairs(bt) do
      if ours[b.id] then
        assert.are.equal(b.name or "", ours[b.id].name or "") -- both leave out an empty name
        assert.are.equal(b.size, ours[b.id].size)
        assert.are.equal(b.kernel, ours[b.id].kernel)
      end
    end
    local vmlinux_id
    for id, b in pairs(ours) do if b.name == "vmlinux" then vmlinux_id = id end end
    if helpers.skip_unless(vmlinux_id, "no kernel BTF", true) then return end
    code, out = ebpf_cmd("btf dump " .. vmlinux_id .. " --format raw")
    assert.are.equal(0, code)
    local f = assert(io.open("/sys/kernel/btf/vmlinux", "rb"))
    local want = f:read("a")
    f:close()
    assert.is_true(out == want, "raw BTF differs from /sys/kernel/btf/vmlinux")
  end)

  it("lists links with the ids and types bpftool sees", function()
    local linkmod = ebpf.link or ebpf.core.link
    if helpers.skip_unless(linkmod and linkmod.raw_tracepoint, "ebpf.link not available") then return end
    local p <close> = assert(ebpf.program { type = "raw_tracepoint", name = "cli_rawtp",
      insns = helpers.return_imm(0) })
    local link <close> = assert(linkmod.raw_tracepoint(p, "sys_enter"))
    assert.is_not_nil(link)
    local code, out, err = ebpf_cmd("link list --json")
    assert.are.equal(0, code, err)
    local ours = json_decode(out)
    local bt = bpftool_json("link list")
    if helpers.skip_unless(bt, "bpftool not available") then return end
    -- Links of other processes may come and go; those in both must agree,
    -- and ours must be there.
    local theirs = by_id(bt)
    local found
    for _, x in ipairs(ours) do
      local b = theirs[x.id]
      if b then
        assert.are.equal(b.prog_id, x.prog_id)
        -- bpftool 7.1 prints link types newer than itself as numbers
        if type(b.type) == "string" then assert.are.equal(b.type, x.type) end
      end
      if x.prog_id == p.id then found = x end
    end
    assert.is_not_nil(found)
    assert.are.equal("raw_tracepoint", found.type)
    assert.are.equal("sys_enter", found.tp_name)
    assert.are.equal("sys_enter", theirs[found.id].tp_name)
    code, out = ebpf_cmd("link list")
    assert.are.equal(0, code)
    assert.matches(found.id .. "%s+raw_tracepoint%s+" .. p.id .. "%s+sys_enter", out)
  end)

  it("prints the feature report, as JSON equal to ebpf.features.report()", function()
    local code, out, err = ebpf_cmd("features --json --no-helpers --kfunc bpf_task_acquire")
    assert.are.equal(0, code, err)
    local r = json_decode(out)
    local want = ebpf.features.report { helpers = false }
    for _, section in ipairs { "prog_types", "map_types", "links", "btf_kinds", "misc" } do
      for name, e in pairs(want[section]) do
        assert.are.equal(e.status, r[section][name].status, section .. "." .. name)
      end
    end
    assert.are.equal("supported", r.kfuncs.bpf_task_acquire.status)
    code, out = ebpf_cmd("features")
    assert.are.equal(0, code)
    assert.matches("\nprog types\n", out, 1, true)
    assert.matches("  xdp: %d+", out)
  end)

  it("fails with usage errors (status 2) and runtime errors (status 1) on stderr", function()
    local code, out, err = ebpf_cmd("frobnicate")
    assert.are.equal(2, code)
    assert.are.equal("", out)
    assert.matches("unknown command 'frobnicate'", err, 1, true)
    code, _, err = ebpf_cmd("map show notanumber")
    assert.are.equal(2, code)
    assert.matches("map id must be", err, 1, true)
    code, out, err = ebpf_cmd("prog show 4000000000")
    assert.are.equal(1, code)
    assert.are.equal("", out)
    assert.matches("ENOENT", err, 1, true)
    code, _, err = ebpf_cmd("prog list --jsn")
    assert.are.equal(2, code)
    assert.matches("unknown option --jsn", err, 1, true)
  end)

  it("has --help for every command", function()
    for _, c in ipairs { "prog", "map", "link", "btf", "net", "cgroup", "perf", "struct_ops", "iter", "feature",
      "run", "disasm", "embed" } do
      local code, out = ebpf_cmd(c .. " --help")
      assert.are.equal(0, code, c)
      assert.matches("^usage: ebpf " .. c, out)
      -- bpftool's `ebpf prog help` form too
      if c ~= "run" and c ~= "disasm" and c ~= "embed" then
        code, out = ebpf_cmd(c .. " help")
        assert.are.equal(0, code, c)
        assert.matches("^usage: ebpf " .. c, out)
      end
    end
    local code0, out0 = ebpf_cmd("features --help")
    assert.are.equal(0, code0)
    assert.matches("^usage: ebpf feature", out0)
    local code, out = ebpf_cmd("--help")
    assert.are.equal(0, code)
    assert.matches("commands:", out, 1, true)
  end)

  it("runs a script with the module loaded and its arguments", function()
    local script = os.tmpname()
    local f = assert(io.open(script, "w"))
    f:write([[
local ebpf = require "ebpf"
local m = assert(ebpf.map { type = "array", key_size = 4, value_size = 4, max_entries = 1 })
m[0] = tonumber(arg[1]) * 2
print("value", m[0], select("#", ...), arg[0] ~= nil)
]])
    f:close()
    local code, out, err = ebpf_cmd("run " .. script .. " 21 --flag")
    assert.are.equal(0, code, err)
    assert.are.equal("value\t42\t2\ttrue\n", out)
    f = assert(io.open(script, "w"))
    f:write("error('boom from script')\n")
    f:close()
    code, _, err = ebpf_cmd("run " .. script)
    os.remove(script)
    assert.are.equal(1, code)
    assert.matches("boom from script", err, 1, true)
    -- tracefs is mounted for the script when the kernel has it
    local mounts = io.open("/proc/mounts"):read("a")
    if io.open("/sys/kernel/tracing") then
      assert.matches(" /sys/kernel/tracing tracefs ", mounts, 1, true)
    end
  end)

  it("disassembles an object's programs at the slots llvm-objdump shows", function()
    if helpers.skip_unless(ebpf.elf and ebpf.asm, "ebpf.elf/ebpf.asm not available") then return end
    local obj = helpers.testdata("isa/alu.v4.bpf.o")
    local code, out, err = ebpf_cmd("disasm " .. q(obj) .. " alu_c")
    assert.are.equal(0, code, err)
    local ours = {}
    for idx, text in out:gmatch("\n%s*(%d+): ([^\n]*)") do ours[#ours + 1] = { tonumber(idx), text } end
    local llvm = tool("llvm-objdump-19 -d --no-show-raw-insn " .. q(obj))
    local theirs, inside = {}, false
    for line in llvm:gmatch("[^\n]*") do
      if line:match("<alu_c>:$") then
        inside = true
      elseif inside and line == "" and #theirs > 0 then
        inside = false
      elseif inside then
        local idx, text = line:match("^%s*(%d+):%s+(.*)$")
        if idx then theirs[#theirs + 1] = { tonumber(idx), text } end
      end
    end
    assert.is_true(#theirs > 50)
    assert.are.equal(#theirs, #ours)
    for i, t in ipairs(theirs) do
      assert.are.equal(t[1], ours[i][1])
    end
    assert.are.equal(theirs[1][2], ours[1][2])
    -- all programs without a name; an unknown name fails
    code, out = ebpf_cmd("disasm " .. q(obj))
    assert.are.equal(0, code)
    assert.matches("alu_c (section socket):", out, 1, true)
    code, _, err = ebpf_cmd("disasm " .. q(obj) .. " nope")
    assert.are.equal(1, code)
    assert.matches("no program 'nope'", err, 1, true)
    -- an object with maps only says so
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -m 0700 " .. q(dir)))
    local f = assert(io.open(dir .. "/maps.bpf.c", "w"))
    f:write('#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n'
      .. 'struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); '
      .. '__type(value, __u64); } m SEC(".maps");\nchar LICENSE[] SEC("license") = "GPL";\n')
    f:close()
    tool(("clang-19 -O2 -g -target bpf -idirafter /usr/include/x86_64-linux-gnu -c %s/maps.bpf.c -o %s/maps.o"):format(
      q(dir), q(dir)))
    code, _, err = ebpf_cmd("disasm " .. q(dir .. "/maps.o"))
    os.execute("rm -rf " .. q(dir))
    assert.are.equal(1, code)
    assert.matches("maps.o: no programs (the object has no code sections)", err, 1, true)
    assert.not_matches("nil", err, 1, true)
  end)

  it("embeds an object into a Lua module carrying the exact bytes", function()
    local obj = helpers.testdata("misc/minimal.bpf.o")
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. q(dir)))
    local code, _, err = ebpf_cmd(("embed %s --name cli_embedded -o %s/cli_embedded.lua"):format(q(obj), q(dir)))
    assert.are.equal(0, code, err)
    local chunk = assert(loadfile(dir .. "/cli_embedded.lua"))
    local mod = chunk()
    local f = assert(io.open(obj, "rb"))
    local want = f:read("a")
    f:close()
    assert.is_true(mod.object == want)
    assert.are.equal("cli_embedded", mod.name)
    assert.is_function(mod.load)
    -- stdout variant is the same module
    local code2, out = ebpf_cmd(("embed %s --name cli_embedded"):format(q(obj)))
    assert.are.equal(0, code2)
    local f2 = assert(io.open(dir .. "/cli_embedded.lua"))
    assert.are.equal(f2:read("a"), out)
    f2:close()
    os.execute("rm -rf " .. q(dir))
    if ebpf.load then
      -- the loader gives a live collection with the object's program
      local coll = assert(mod.load())
      local prog = coll.programs.ret0
      assert.are.equal("socket_filter", prog.type)
      assert.are.equal(0, (prog:run(string.rep("\0", 64))))
      coll:close()
    end
    -- not an ELF file
    code, _, err = ebpf_cmd("embed /etc/hostname --name x")
    assert.are.equal(1, code)
    assert.matches("not an ELF object", err, 1, true)
    code = ebpf_cmd(("embed %s --name 'bad name'"):format(q(obj)))
    assert.are.equal(2, code)
  end)

  it("compiles and embeds a .bpf.c in one CMake step (cmake/EbpfEmbed.cmake)", function()
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p " .. q(dir)))
    local root = io.popen("pwd"):read("l")
    local f = assert(io.open(dir .. "/CMakeLists.txt", "w"))
    f:write(([[
cmake_minimum_required(VERSION 3.16)
project(embed_check NONE)
list(APPEND CMAKE_MODULE_PATH %s/cmake)
include(EbpfEmbed)
ebpf_embed(cli_cmake_probe SOURCE %s/testdata/misc/minimal.bpf.c)
]]):format(root, root))
    f:close()
    tool(("cmake -S %s -B %s/b && cmake --build %s/b"):format(q(dir), q(dir), q(dir)))
    local mod = assert(loadfile(dir .. "/b/cli_cmake_probe.lua"))()
    local obj = assert(io.open(dir .. "/b/cli_cmake_probe.bpf.o", "rb"))
    assert.is_true(mod.object == obj:read("a"))
    obj:close()
    assert.are.equal("\127ELF", mod.object:sub(1, 4))
    -- the object is the compiled source: its program section is there
    assert.truthy(mod.object:find("socket", 1, true))
    os.execute("rm -rf " .. q(dir))
  end)
end)
