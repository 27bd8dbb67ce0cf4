-- Big-endian (bpfeb) objects: opened, listed, their BTF read and their
-- programs disassembled as their little-endian twins are; load refused.
-- Oracles: cilium/ebpf's *-eb.elf / *-el.elf pairs (Debian
-- golang-github-cilium-ebpf-dev), llvm-objdump-19 on the -eb object, and
-- objects clang-19 builds from our testdata for both byte orders.
local helpers = require "helpers"
local ebpf = require "ebpf"

local CILIUM = "/usr/share/gocode/src/github.com/cilium/ebpf"
local DIRS = { CILIUM .. "/testdata", CILIUM .. "/btf/testdata" }

local function have(tool)
  return os.execute("command -v " .. tool .. " >/dev/null 2>&1") == true
end

local function q(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

-- the -eb objects that have an -el twin
local pairs_ = {}
for _, d in ipairs(DIRS) do
  local p = io.popen("ls " .. q(d) .. " 2>/dev/null")
  for name in p:lines() do
    if name:match("%-eb%.elf$") then
      local el = d .. "/" .. name:gsub("%-eb%.elf$", "-el.elf")
      if exists(el) then pairs_[#pairs_ + 1] = { eb = d .. "/" .. name, el = el } end
    end
  end
  p:close()
end
table.sort(pairs_, function(a, b) return a.eb < b.eb end)

-- everything the spec says about programs and maps, as plain tables
local function summary(spec)
  local progs, maps = {}, {}
  for name, p in pairs(spec.programs) do
    progs[name] = { section = p.section, type = p.type, n = #p.insns // 8, insns = p.insns }
  end
  for name, m in pairs(spec.maps) do
    maps[name] = { type = m.type, key = m.key_size, value = m.value_size, max = m.max_entries, flags = m.flags }
  end
  return { progs = progs, maps = maps }
end

-- a BTF walk: per id its kind, name, size and member/enum/datasec details
local function btf_walk(b)
  local out = {}
  for id = 1, #b do
    local t = b:type(id)
    local e = { kind = t.kind, name = t.name, size = t.size, vlen = t.vlen }
    if t.members then
      e.members = {}
      for i, m in ipairs(t.members) do e.members[i] = { m.name, m.offset, m.bit_offset, m.bitfield_size } end
    end
    if t.values then
      e.values = {}
      for i, v in ipairs(t.values) do e.values[i] = { v.name, v.value } end
    end
    if t.vars then
      e.vars = {}
      for i, v in ipairs(t.vars) do e.vars[i] = { v.offset, v.size } end
    end
    out[id] = e
  end
  return out
end

local function disasm(spec)
  local out = {}
  for name, p in pairs(spec.programs) do out[name] = ebpf.asm.disassemble(p.insns) end
  return out
end

-- "idx: text" lines, llvm's <sym> annotations and our "; comments" dropped
local function normalise(text, is_objdump)
  local lines = {}
  for l in text:gmatch("[^\n]+") do
    local n, t = l:match("^%s*(%d+):%s*(.-)%s*$")
    if n then
      if is_objdump then t = t:gsub("%s+<[^%s<>]*>$", "") else t = t:gsub("%s*;.*$", "") end
      lines[#lines + 1] = n .. ": " .. t:gsub("%s+", " ")
    end
  end
  return lines
end

-- llvm-objdump's text of one function (symbol `name`) of an object
local function objdump_func(obj, name)
  local text = helpers.sh("llvm-objdump-19 -d --no-show-raw-insn --mattr=+alu32 " .. q(obj))
  local body, inside = {}, false
  for line in (text .. "\n"):gmatch("([^\n]*)\n") do
    if line:match("^%x+ <" .. name:gsub("%p", "%%%0") .. ">:$") then
      inside = true
    elseif inside and line == "" then
      break
    elseif inside then
      body[#body + 1] = line
    end
  end
  return normalise(table.concat(body, "\n"), true)
end

-- our open of the -eb object tells what the -el twin's does
local function same_as_twin(eb, el)
  local a, ea = ebpf.open(eb)
  local b, eb_ = ebpf.open(el)
  if not b then
    -- the twin is refused: so is the -eb, for the same reason
    assert.is_nil(a)
    local strip = function(e) return (tostring(e):gsub("%-e[bl]'", "'")) end
    assert.are.equal(strip(eb_), strip(ea))
    return
  end
  assert(a, tostring(ea))
  local sa, sb = summary(a), summary(b)
  assert.are.same(sb, sa)
  assert.are.same(disasm(b), disasm(a))
  a:close()
  b:close()
  local ba, bb = ebpf.btf.load(eb), ebpf.btf.load(el)
  if bb then
    assert(ba)
    assert.are.equal(#bb, #ba)
    assert.are.same(btf_walk(bb), btf_walk(ba))
    -- converted at the door: the very bytes of the little-endian BTF
    assert.are.equal(bb:raw(), ba:raw())
    ba:close()
    bb:close()
  end
end

describe("big-endian objects", function()
  local corpus = #pairs_ > 0

  it("has cilium/ebpf's -eb/-el pairs", function()
    if helpers.skip_unless(corpus, "golang-github-cilium-ebpf-dev not installed", true) then return end
    assert.is_true(#pairs_ >= 10)
  end)

  for _, pr in ipairs(pairs_) do
    it(pr.eb:match("[^/]+$") .. " opens as its -el twin does", function()
      same_as_twin(pr.eb, pr.el)
    end)
  end

  it("disassembles as llvm-objdump-19 does on the -eb object", function()
    if helpers.skip_unless(corpus and have("llvm-objdump-19"), "cilium corpus / llvm-objdump-19 missing", true) then
      return
    end
    local checked = 0
    for _, name in ipairs { "loader-eb.elf", "subprog_reloc-eb.elf", "strings-eb.elf" } do
      local obj = CILIUM .. "/testdata/" .. name
      local spec = assert(ebpf.open(obj))
      for pname, p in pairs(spec.programs) do
        local theirs = objdump_func(obj, pname)
        assert.is_true(#theirs > 0, pname)
        local mine = normalise(ebpf.asm.disassemble(p.insns))
        -- the program's own instructions come first (subprograms follow)
        for i = 1, #theirs do assert.are.equal(theirs[i], mine[i], name .. " " .. pname) end
        checked = checked + 1
      end
      spec:close()
    end
    assert.is_true(checked >= 8)
  end)

  it("`ebpf disasm` prints the same text for -eb and -el", function()
    if helpers.skip_unless(corpus, "golang-github-cilium-ebpf-dev not installed", true) then return end
    local function run(obj)
      return helpers.sh(("EBPF_BUILD=%s bin/ebpf disasm %s"):format(q(helpers.build), q(obj)))
    end
    local eb, el = CILIUM .. "/testdata/loader-eb.elf", CILIUM .. "/testdata/loader-el.elf"
    local text = run(eb)
    assert.matches("xdp_prog (section xdp):", text, 1, true)
    assert.are.equal(run(el), text)
  end)

  it("refuses to load, naming the object and the kernel's byte order", function()
    if helpers.skip_unless(corpus, "golang-github-cilium-ebpf-dev not installed", true) then return end
    local obj = CILIUM .. "/testdata/loader-eb.elf"
    local spec = assert(ebpf.open(obj))
    local coll, err = spec:load()
    assert.is_nil(coll)
    assert.matches("object 'loader-eb' is big-endian", tostring(err), 1, true)
    assert.matches("kernel is little-endian", tostring(err), 1, true)
    spec:close()
    local c2, err2 = ebpf.load(obj)
    assert.is_nil(c2)
    assert.matches("big-endian", tostring(err2), 1, true)
  end)

  it("reads raw big-endian BTF bytes (magic 0x9FEB) as the host-order BTF", function()
    if helpers.skip_unless(corpus and have("llvm-objcopy-19"), "cilium corpus / llvm-objcopy-19 missing", true) then
      return
    end
    local dir = assert(ebpf.core.mkdtemp())
    local raw = dir .. "/btf.raw"
    helpers.sh(("llvm-objcopy-19 --dump-section=.BTF=%s %s %s"):format(
      q(raw), q(CILIUM .. "/testdata/loader-eb.elf"), q(dir .. "/copy.o")))
    os.remove(dir .. "/copy.o")
    local bytes = helpers.read_file(raw)
    os.remove(raw)
    os.remove(dir)
    assert.are.equal("\xeb\x9f", bytes:sub(1, 2)) -- 0xEB9F stored big-endian
    local b = assert(ebpf.btf.load(bytes))
    local el = assert(ebpf.btf.load(CILIUM .. "/testdata/loader-el.elf"))
    assert.are.equal(el:raw(), b:raw())
    -- truncated or corrupted: an error naming the problem, never a crash
    for _, n in ipairs { 2, 24, 25, 40, #bytes // 2, #bytes - 1 } do
      local r, err = ebpf.btf.load(bytes:sub(1, n) .. "\0")
      if not r then assert.matches("btf", tostring(err)) end
    end
    local bad, err = ebpf.btf.load(bytes:sub(1, 4) .. "\0\0\0\255" .. bytes:sub(9))
    assert.is_nil(bad)
    assert.matches("byte%-swapped %(big%-endian%) BTF: bad header length", tostring(err))
    b:close()
    el:close()
  end)

  it("truncated big-endian objects give errors, not crashes", function()
    if helpers.skip_unless(corpus, "golang-github-cilium-ebpf-dev not installed", true) then return end
    local bytes = helpers.read_file(CILIUM .. "/testdata/loader-eb.elf")
    for n = 64, #bytes, 397 do
      local s, err = ebpf.open(bytes:sub(1, n))
      if s then s:close() else assert.is_not_nil(err) end
    end
  end)

  describe("built by clang-19 -target bpfeb", function()
    local dir
    local CLANG = "clang-19"
    setup(function()
      if have(CLANG) then dir = assert(ebpf.core.mkdtemp()) end
    end)
    teardown(function()
      if dir then os.execute("rm -rf " .. q(dir)) end
    end)

    local function build(src, target)
      local out = ("%s/%s.%s.o"):format(dir, src:match("([^/]+)%.bpf%.c$"), target)
      helpers.sh(("%s -O2 -g -target %s -D__TARGET_ARCH_x86 -Wno-compare-distinct-pointer-types "
        .. "-Itestdata/include -Icore/include -idirafter /usr/include/x86_64-linux-gnu -c %s -o %s")
        :format(CLANG, target, q(src), q(out)))
      return out
    end

    for _, src in ipairs { "testdata/elf/subprogs.bpf.c", "testdata/elf/legacy_maps.bpf.c" } do
      it(src .. " opens as its bpfel build does", function()
        if helpers.skip_unless(dir, "clang-19 not installed", true) then return end
        same_as_twin(build(src, "bpfeb"), build(src, "bpfel"))
      end)
    end

    it("disassembles btfmaps.bpf.c's bpfeb build as llvm-objdump-19 does", function()
      if helpers.skip_unless(dir and have("llvm-objdump-19"), "clang-19 / llvm-objdump-19 missing", true) then
        return
      end
      local obj = build("testdata/elf/btfmaps.bpf.c", "bpfeb")
      local spec = assert(ebpf.open(obj))
      local n = 0
      for pname, p in pairs(spec.programs) do
        local theirs = objdump_func(obj, pname)
        assert.is_true(#theirs > 0)
        local mine = normalise(ebpf.asm.disassemble(p.insns))
        for i = 1, #theirs do assert.are.equal(theirs[i], mine[i], pname) end
        n = n + 1
      end
      assert.is_true(n > 0)
      assert.is_true(next(spec.maps) ~= nil)
      spec:close()
    end)
  end)
end)
