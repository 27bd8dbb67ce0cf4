-- ebpf.btf: parsing checked against bpftool's raw dump, the C dumper
-- against clang and bpftool's vmlinux.h, values against the kernel's own
-- BTF-formatted map dump, and malformed input.
local helpers = require "helpers"
local ebpf = require "ebpf"
local btf = ebpf.btf

local TYPES_O = helpers.testdata("btf/types.bpf.o")
local VMLINUX = "/sys/kernel/btf/vmlinux"

local function sh_ok(cmd)
  local ok = os.execute("(" .. cmd .. ") >/dev/null 2>&1")
  return ok == true or ok == 0
end

local function tmpname(suffix)
  local n = os.tmpname()
  os.remove(n)
  return n .. (suffix or "")
end

local function write_file(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end

local read_file = helpers.read_file

-- An integer as unsigned 64-bit decimal.
local function ustr(v)
  if v >= 0 then return tostring(v) end
  local q = (v >> 1) // 5
  return tostring(q) .. tostring(v - q * 10)
end

-- bpftool's raw format ("[id] KIND 'name' ...") rebuilt from our API.
local ENC = { signed = "SIGNED", char = "CHAR", bool = "BOOL" }
local LINK = { static = "static", global = "global", extern = "extern" }
local function raw_line(t)
  local k = t.kind
  local name = t.name or "(anon)"
  local head = ("[%d] %s '%s'"):format(t.id, k:upper(), name)
  local lines = {}
  if k == "int" then
    head = head .. (" size=%d bits_offset=0 nr_bits=%d encoding=%s"):format(t.size, t.bits,
      ENC[t.encoding] or "(none)")
  elseif k == "ptr" or k == "typedef" or k == "volatile" or k == "const" or k == "restrict"
      or k == "type_tag" then
    head = head .. (" type_id=%d"):format(t.type.id)
  elseif k == "array" then
    head = head .. (" type_id=%d index_type_id=%d nr_elems=%d"):format(t.type.id, t.index_type.id, t.nelems)
  elseif k == "struct" or k == "union" then
    head = head .. (" size=%d vlen=%d"):format(t.size, t.vlen)
    for _, m in ipairs(t.members) do
      local l = ("\t'%s' type_id=%d bits_offset=%d"):format(m.name or "(anon)", m.type.id, m.bit_offset)
      if m.bitfield_size then l = l .. (" bitfield_size=%d"):format(m.bitfield_size) end
      lines[#lines + 1] = l
    end
  elseif k == "enum" or k == "enum64" then
    head = head .. (" encoding=%s size=%d vlen=%d"):format(t.signed and "SIGNED" or "UNSIGNED", t.size, t.vlen)
    for _, v in ipairs(t.values) do
      local val
      if k == "enum64" then
        val = (t.signed and "%dLL" or "%sULL"):format(t.signed and v.value or ustr(v.value))
      elseif t.signed then
        val = ("%d"):format(v.value)
      else
        val = ("%d"):format(v.value & 0xffffffff)
      end
      lines[#lines + 1] = ("\t'%s' val=%s"):format(v.name, val)
    end
  elseif k == "fwd" then
    head = head .. " fwd_kind=" .. t.fwd_kind
  elseif k == "func" then
    head = head .. (" type_id=%d linkage=%s"):format(t.type.id, LINK[t.linkage])
  elseif k == "func_proto" then
    head = head .. (" ret_type_id=%d vlen=%d"):format(t.type.id, t.vlen)
    for _, p in ipairs(t.params) do
      lines[#lines + 1] = ("\t'%s' type_id=%d"):format(p.name or "(anon)", p.type.id)
    end
  elseif k == "var" then
    head = head .. (" type_id=%d, linkage=%s"):format(t.type.id, LINK[t.linkage])
  elseif k == "datasec" then
    head = head .. (" size=%d vlen=%d"):format(t.size, t.vlen)
    for _, v in ipairs(t.vars) do
      lines[#lines + 1] = ("\ttype_id=%d offset=%d size=%d (%s '%s')"):format(v.type.id, v.offset, v.size,
        v.type.kind:upper(), v.type.name or "(anon)")
    end
  elseif k == "float" then
    head = head .. (" size=%d"):format(t.size)
  elseif k == "decl_tag" then
    head = head .. (" type_id=%d component_idx=%d"):format(t.type.id, t.component)
  end
  table.insert(lines, 1, head)
  return table.concat(lines, "\n")
end

local function raw_dump(b)
  local out = {}
  for _, t in b:types() do out[#out + 1] = raw_line(t) end
  return table.concat(out, "\n") .. "\n"
end

describe("ebpf.btf", function()
  local have_bpftool = sh_ok("command -v bpftool || test -x /usr/sbin/bpftool")
  local have_clang = sh_ok("command -v clang-19")

  describe("kernel BTF", function()
    it("is parsed once and matches bpftool's type count and ids", function()
      if helpers.skip_unless(io.open(VMLINUX), "no kernel BTF", true) then return end
      local k = assert(btf.kernel())
      local k2 = assert(btf.kernel())
      assert.equal(k:find("task_struct", "struct"), k2:find("task_struct", "struct"))
      local dump = helpers.sh("bpftool btf dump file " .. VMLINUX)
      local n = select(2, dump:gsub("\n%[", "")) + 1
      assert.equal(n, #k)
      local id = tonumber(dump:match("%[(%d+)%] STRUCT 'task_struct'"))
      local t = k:find("task_struct", "struct")
      assert.equal(id, t.id)
      assert.equal("struct", t.kind)
      assert.equal("task_struct", t.name)
      assert.equal(tonumber(dump:match("STRUCT 'task_struct' size=(%d+)")), t.size)
      local m = t:member("pid")
      local bits = dump:match("STRUCT 'task_struct'.-\n\t'pid' type_id=%d+ bits_offset=(%d+)")
      assert.equal(tonumber(bits), m.bit_offset)
      assert.equal(m.bit_offset // 8, m.offset)
      assert.equal("pid_t", m.type.name)
      assert.equal("int", m.type:resolve().name)
    end)

    it("reproduces bpftool's raw dump of vmlinux exactly", function()
      if helpers.skip_unless(have_bpftool, "bpftool missing", true) then return end
      local k = assert(btf.kernel())
      local ours = raw_dump(k)
      local theirs = helpers.sh("bpftool btf dump file " .. VMLINUX)
      if ours ~= theirs then
        -- Report the first differing line.
        local i = 1
        local a, b = ours:gmatch("[^\n]*"), theirs:gmatch("[^\n]*")
        while true do
          local x, y = a(), b()
          if x ~= y then error(("line %d differs:\nours:    %s\nbpftool: %s"):format(i, x, y)) end
          if not x then break end
          i = i + 1
        end
      end
    end)

    it("finds every named type by name and kind", function()
      local k = assert(btf.kernel())
      local checked = 0
      for id, t in k:types() do
        if id % 7 == 0 and t.name then
          local all = k:find_all(t.name, t.kind)
          local found = false
          for _, x in ipairs(all) do found = found or x.id == id end
          assert.is_true(found, t.name)
          checked = checked + 1
        end
      end
      assert.is_true(checked > 1000)
      assert.is_nil(k:find("no_such_type_hopefully_xyz"))
      assert.is_nil(k:find("task_struct", "union"))
      assert.has_error(function() k:find("task_struct", "bogus") end)
    end)

    it("looks up ids and names without type objects", function()
      local k = assert(btf.kernel())
      assert.equal(k:find("task_struct", "struct").id, k:find_id("task_struct", "struct"))
      assert.is_nil(k:find_id("no_such_type_hopefully_xyz"))
      local n, last = 0, 0
      for id, name, kind in k:names() do
        assert.is_true(id > last)
        last = id
        n = n + 1
        if n <= 50 then assert.equal(name, k:type(id).name) assert.equal(kind, k:type(id).kind) end
      end
      assert.is_true(n > 1000 and n < #k)
    end)

    it("lists loaded BTF objects by id, including vmlinux", function()
      local k = assert(btf.kernel())
      local found
      for id, b in btf.objects() do
        local info = b:info()
        if info.kernel and info.name == "vmlinux" then
          found = id
          assert.equal(#k, #b)
          assert.equal(k:find("task_struct").id, b:find("task_struct").id)
          assert.truthy(b:fd())
        end
        b:close()
      end
      assert.truthy(found)
    end)

    it("loads module BTF split on vmlinux", function()
      local mods = helpers.sh("ls /sys/kernel/btf")
      local mod
      for name in mods:gmatch("%S+") do
        if name ~= "vmlinux" then mod = name break end
      end
      local m, err = btf.module("this_module_does_not_exist")
      assert.is_nil(m)
      assert.equal("ENOENT", err.code)
      if not mod then
        pending("no module BTF on this kernel (all built in)")
        return
      end
      local b = assert(btf.module(mod))
      assert.equal(#btf.kernel() + 1, b:info().start_id)
    end)

    it("parses split BTF on a base (as module BTF is)", function()
      local k = assert(btf.kernel())
      local split = btf.new(k)
      local p = split:add_ptr(k:find("task_struct", "struct"))
      split:add_typedef("task_ptr", p)
      local raw = split:raw()
      local b = assert(btf.load(raw, k))
      assert.equal(#k + 1, b:info().start_id)
      assert.equal(#k + 2, #b)
      local td = b:find("task_ptr")
      assert.equal(#k + 2, td.id)
      assert.equal("task_struct", td.type.type.name)
      assert.equal(k:find("task_struct").id, b:find("task_struct").id)
      assert.equal("typedef struct task_struct *task_ptr", tostring(td))
      -- Without its base the split blob's references dangle.
      assert.is_nil(btf.load(raw))
    end)

    it("is read-only and can't be loaded", function()
      local k = assert(btf.kernel())
      assert.has_error(function() k:add_int("x", 4) end)
      assert.has_error(function() k:load() end)
    end)
  end)

  describe("object BTF", function()
    it("parses an ELF's .BTF exactly as bpftool does", function()
      if helpers.skip_unless(have_bpftool, "bpftool missing", true) then return end
      local b = assert(btf.load(TYPES_O))
      assert.equal(helpers.sh("bpftool btf dump file " .. TYPES_O), raw_dump(b))
      -- The same from bytes.
      local b2 = assert(btf.load(read_file(TYPES_O)))
      assert.equal(#b, #b2)
      local raw = b:raw()
      local b3 = assert(btf.load(raw))
      assert.equal(raw_dump(b), raw_dump(b3))
    end)

    it("exposes members, enums, protos, vars and sections", function()
      local b = assert(btf.load(TYPES_O))
      local v = b:find("value", "struct")
      assert.equal(144, v.size)
      assert.equal(8, v.align)
      local bits = b:find("bits", "struct")
      local d = bits.members[4]
      assert.same({ "d", 15, 33 }, { d.name, d.bit_offset, d.bitfield_size })
      assert.equal(1, b:find("packed_s").align)
      assert.equal(7, b:find("packed_s").size)
      assert.equal(16, b:find("aligned_s").align)
      local big = b:find("big64")
      assert.equal("enum64", big.kind)
      assert.equal(0x1234567890, big:enum_value("BIG_LARGE"))
      assert.equal("BLUE", b:find("color"):enum_name(4))
      assert.is_true(b:find("neg").signed)
      local f = b:find("helper_fn", "func")
      assert.equal("global", f.linkage)
      assert.equal("t", f.params[1].name)
      assert.equal("core_target", f.params[1].type.type.name)
      local sec = b:find(".data", "datasec")
      assert.equal("global_value", sec.vars[1].type.name)
      local tag = b:find("bits_tag", "decl_tag")
      assert.equal(-1, tag.component)
      assert.equal(bits, tag.type)
      -- Anonymous members are found through member().
      local wa = b:find("with_anon")
      assert.equal(12, wa:member("tag_a").offset)
      assert.is_nil(wa:member("nope"))
    end)

    it("reads .BTF.ext CO-RE relocations as llvm-objdump does", function()
      for _, name in ipairs { "btf/types.bpf.o", "btf/core_prog.bpf.o" } do
        local o = helpers.testdata(name)
        local b = assert(btf.load(o))
        local x = assert(btf.ext(o, b))
        local ours, n = {}, 0
        for sec, recs in pairs(x.core_relo) do
          for _, r in ipairs(recs) do
            ours[#ours + 1] = ("%s %x %d"):format(sec, r.insn_off, r.type.id)
            n = n + 1
          end
        end
        local theirs, sec = {}, nil
        for line in helpers.sh("llvm-objdump-19 -dr " .. o):gmatch("[^\n]+") do
          sec = line:match("^Disassembly of section (.-):") or sec
          local off, id = line:match("^%s+(%x+):%s+CO%-RE <[%w_]+> %[(%d+)%]")
          if off then theirs[#theirs + 1] = ("%s %x %d"):format(sec, tonumber(off, 16), tonumber(id)) end
        end
        table.sort(ours)
        table.sort(theirs)
        assert.is_true(n >= 3, name)
        assert.same(theirs, ours)
        -- Func info names the programs; line info points into the source.
        local fi = x.func_info[name:find("core_prog") and "raw_tp/sys_enter" or "socket"][1]
        assert.equal(0, fi.insn_off)
        assert.equal("func", fi.type.kind)
        local li = x.line_info[name:find("core_prog") and "raw_tp/sys_enter" or "socket"][1]
        assert.matches(name:match("/(.-)%.o$") .. "%.c$", li.file)
        assert.is_true(li.line > 0)
      end
      local b = assert(btf.load(TYPES_O))
      local x, err = btf.ext(read_file(TYPES_O):sub(1, 64) .. "\0", b)
      assert.is_nil(x)
      assert.truthy(err.message)
    end)

    it("prints C declarations", function()
      local b = assert(btf.load(TYPES_O))
      assert.equal("typedef int (*cb_t)(void *, long)", tostring(b:find("cb_t")))
      assert.equal("int helper_fn(struct core_target *t, int n)", tostring(b:find("helper_fn")))
      local v = b:find("value")
      assert.equal("int matrix[2][3]", v:member("matrix").type:decl("matrix"))
      assert.equal("const volatile int rodata_knob", tostring(b:find("rodata_knob")))
      assert.matches("^struct packed_s {\n\tchar c;\n\tint i;\n\tshort s;\n} __attribute__%(%(packed%)%)$",
        tostring(b:find("packed_s")))
      assert.matches("^enum big64 {\n\tBIG_SMALL = 1,\n\tBIG_LARGE = 78187493520LL,\n}$", tostring(b:find("big64")))
    end)
  end)

  describe("C header dumper", function()
    it("writes a vmlinux.h that clang compiles, with bpftool's set of names", function()
      if helpers.skip_unless(have_clang and have_bpftool, "clang-19 or bpftool missing", true) then return end
      local k = assert(btf.kernel())
      local dir = tmpname("_btf")
      assert(os.execute("mkdir -p " .. dir))
      write_file(dir .. "/ours.h", k:dump_c())
      helpers.sh("bpftool btf dump file " .. VMLINUX .. " format c > " .. dir .. "/theirs.h")
      local names = {}
      for _, which in ipairs { "ours", "theirs" } do
        write_file(dir .. "/" .. which .. ".c", '#include "' .. which .. '.h"\n')
        -- Top-level declarations clang sees: struct/union/enum tags,
        -- typedefs and enumerators.
        local list = helpers.sh(("clang-19 -target bpf -fsyntax-only -Werror -Xclang -ast-list %s/%s.c")
          :format(dir, which))
        local set, n = {}, 0
        for line in list:gmatch("[^\n]+") do
          if not line:find("::", 1, true) and not line:find("(", 1, true) then
            set[line] = true
            n = n + 1
          end
        end
        names[which] = { set = set, n = n }
      end
      os.execute("rm -rf " .. dir)
      assert.is_true(names.ours.n > 10000)
      for name in pairs(names.theirs.set) do assert.is_true(names.ours.set[name], "missing " .. name) end
      for name in pairs(names.ours.set) do assert.is_true(names.theirs.set[name], "extra " .. name) end
    end)

    it("reproduces every struct layout (clang static asserts)", function()
      if helpers.skip_unless(have_clang, "clang-19 missing", true) then return end
      for _, src in ipairs { "kernel", TYPES_O } do
        local b = src == "kernel" and assert(btf.kernel()) or assert(btf.load(src))
        local dir = tmpname("_lay")
        assert(os.execute("mkdir -p " .. dir))
        write_file(dir .. "/t.h", b:dump_c())
        local out = { '#include "t.h"' }
        local n = 0
        for _, t in b:types() do
          local kind = t.kind
          -- Unique tag names only (duplicates get ___N); va_list differs on
          -- the BPF target.
          if (kind == "struct" or kind == "union") and t.name and #b:find_all(t.name) == #b:find_all(t.name, kind)
              and #b:find_all(t.name, kind) == 1 and not t:dump_c():find("va_list", 1, true) then
            out[#out + 1] = ("_Static_assert(sizeof(%s %s) == %d, \"%s\");"):format(kind, t.name, t.size, t.name)
            for _, m in ipairs(t.members) do
              if m.name and not m.bitfield_size then
                out[#out + 1] = ("_Static_assert(__builtin_offsetof(%s %s, %s) == %d, \"%s.%s\");"):format(
                  kind, t.name, m.name, m.offset, t.name, m.name)
              end
            end
            n = n + 1
          end
        end
        write_file(dir .. "/t.c", table.concat(out, "\n") .. "\n")
        local res = helpers.sh("clang-19 -target bpf -fsyntax-only -Werror " .. dir .. "/t.c; echo rc=$?")
        os.execute("rm -rf " .. dir)
        assert.matches("rc=0", res)
        assert.is_true(n > 3)
      end
    end)

    it("built the CO-RE testdata program from its own vmlinux.h", function()
      local h = read_file(helpers.build .. "/testdata/vmlinux.h")
      assert.matches("#pragma clang attribute push %(__attribute__%(%(preserve_access_index%)%), "
        .. "apply_to = record%)", h)
      assert.truthy(h:find("struct task_struct {", 1, true))
      local o = helpers.testdata("btf/core_prog.bpf.o")
      local b = assert(btf.load(o))
      assert.truthy(b:find("task_struct", "struct"))
      -- CO-RE relocations were emitted (section .BTF.ext present).
      assert.matches("%.BTF%.ext", helpers.sh("llvm-objdump-19 -h " .. o))
    end)

    it("dumps one type with its dependencies", function()
      local b = assert(btf.load(TYPES_O))
      local s = b:dump_c("value")
      local ok = have_clang
      assert.truthy(s:find("struct bits {", 1, true))
      assert.truthy(s:find("enum color {", 1, true))
      assert.is_nil(s:find("core_target", 1, true))
      if ok then
        local f = tmpname(".c")
        write_file(f, s .. "\nint x = sizeof(struct value);\n")
        assert.matches("rc=0", helpers.sh("clang-19 -target bpf -fsyntax-only -Werror " .. f .. "; echo rc=$?"))
        os.remove(f)
      end
    end)
  end)

  describe("values", function()
    local b, u8, u32, i32, s

    before_each(function()
      b = btf.new()
      u8 = b:add_int("unsigned char", 1, "char")
      u32 = b:add_int("unsigned int", 4)
      i32 = b:add_int("int", 4, "signed")
      local bool = b:add_int("_Bool", 1, "bool")
      local u64 = b:add_int("long long unsigned int", 8)
      local color = b:add_enum("color", 4, { { name = "RED", value = 1 }, { name = "BLUE", value = 4 } })
      local comm = b:add_array(u8, 8)
      local row = b:add_array(i32, 3)
      local matrix = b:add_array(row, 2)
      local inner = b:add_struct(nil, 4, { { name = "lo", type = b:add_int("short", 2, "signed"), offset = 0 },
        { name = "hi", type = "short", offset = 2 } })
      local dbl = b:add_float("double", 8)
      s = b:add_struct("rec", 72, {
        { name = "pid", type = u32, offset = 0 },
        { name = "comm", type = comm, offset = 4 },
        { name = "a", type = u32, bit_offset = 96, bitfield_size = 3 },
        { name = "c", type = i32, bit_offset = 99, bitfield_size = 5 },
        { name = "color", type = color, offset = 16 },
        { name = "flag", type = bool, offset = 20 },
        { type = inner, offset = 24 },
        { name = "matrix", type = matrix, offset = 28 },
        { name = "big", type = u64, offset = 56 },
        { name = "ratio", type = dbl, offset = 64 },
      })
    end)

    it("round-trips structs, bitfields, arrays, strings, enums and floats", function()
      local v = { pid = 42, comm = "bash", a = 5, c = -3, color = "BLUE", flag = true, lo = -2, hi = 300,
        matrix = { { 1, 2, 3 }, { -4, 5, -6 } }, big = -1, ratio = 0.25 }
      local bytes = s:encode(v)
      assert.equal(72, #bytes)
      local d = s:decode(bytes)
      assert.same({ pid = 42, comm = "bash", a = 5, c = -3, color = 4, flag = true, lo = -2, hi = 300,
        matrix = { { 1, 2, 3 }, { -4, 5, -6 } }, big = -1, ratio = 0.25 }, d)
      assert.equal(42, string.unpack("<I4", bytes, 1))
      assert.equal(5 | ((-3 & 31) << 3), string.byte(bytes, 13))
      -- Missing fields are zero; raw bytes decode too.
      assert.same(0, s:decode(s:encode({})).pid)
      assert.equal(7, u32:decode(string.pack("<I4", 7)))
    end)

    it("checks ranges and field names, naming the field", function()
      assert.error_matches(function() s:encode { nope = 1 } end, "invalid field name 'nope'")
      assert.error_matches(function() s:encode { a = 8 } end, "field 'a': 8 out of range")
      assert.error_matches(function() s:encode { c = -17 } end, "field 'c'")
      assert.error_matches(function() s:encode { comm = "123456789" } end, "field 'comm'")
      assert.error_matches(function() s:encode { matrix = { { 1, 2, 3, 4 } } } end, "field 'matrix%[1%]'")
      assert.error_matches(function() s:encode { color = "GREEN" } end, "not a value of enum color")
      assert.error_matches(function() u8:encode(256) end, "out of range")
      assert.error_matches(function() s:decode("short") end, "needs 72 bytes")
    end)

    it("drive maps: m[k] gives tables, bpftool sees the BTF-formatted values", function()
      local m = assert(ebpf.map { type = "hash", max_entries = 8, btf = b, key_type = u32, value_type = s,
        name = "btf_spec" })
      m[7] = { pid = 99, comm = "lua", a = 2, c = -1, color = 1, matrix = { { 9 } }, big = 12345, ratio = 1.5 }
      local v = m[7]
      assert.equal(99, v.pid)
      assert.equal("lua", v.comm)
      assert.equal(-1, v.c)
      assert.equal(72, #m:lookup_bytes(7))
      local info = m:info()
      assert.truthy(info.btf_id and info.btf_id > 0)
      if helpers.skip_unless(have_bpftool, "bpftool missing", true) then return end
      local json = helpers.sh(("bpftool -j map dump id %d"):format(info.id))
      -- The kernel formats our bytes through our BTF.
      assert.matches('"pid":99', json)
      assert.matches('"comm":"lua"', json)
      -- (bpftool prints bitfields as unsigned hex)
      assert.matches('"a":"0x2"', json)
      assert.matches('"c":"0x1f"', json)
      assert.matches('"color":"RED"', json)
      assert.matches('"matrix":%[%[9,0,0%],%[0,0,0%]%]', json)
      assert.matches('"big":12345', json)
      assert.matches('"":{"lo":0,"hi":0}', json)
      m:close()
      b:close() -- its fd, before the leak check
    end)
  end)

  describe("per-CPU maps", function()
    it("decode one struct per CPU", function()
      local b = btf.new()
      local u32 = b:add_int("unsigned int", 4)
      local pair = b:add_struct("pair", 8, { { name = "a", type = u32, offset = 0 },
        { name = "b", type = u32, offset = 4 } })
      local m = assert(ebpf.map { type = "percpu_array", max_entries = 2, btf = b, key_type = u32, value_type = pair })
      m[1] = { a = 3, b = 4 } -- one value for every CPU
      local v = m[1]
      assert.equal(ebpf.possible_cpus(), #v)
      for _, x in ipairs(v) do assert.same({ a = 3, b = 4 }, x) end
      m:close()
      b:close()
    end)
  end)

  describe("builder and loading", function()
    it("loads a built BTF and reads it back by id", function()
      local b = btf.new()
      local int = b:add_int("int", 4, "signed")
      b:add_struct("pt", 8, { { name = "x", type = int, offset = 0 }, { name = "y", type = int, offset = 4 } })
      b:add_enum("e64", 8, { { name = "HUGE", value = 1 << 40 } })
      b:add_float("float", 4)
      b:add_decl_tag("tag", "pt", -1)
      local p = b:add_ptr(b:add_type_tag("user", int))
      b:add_typedef("uptr", p)
      local proto = b:add_func_proto(int, { { name = "a", type = int } })
      b:add_func("f", proto, "global")
      assert(b:load())
      assert.truthy(b:fd())
      local id = b:info().id
      local again = assert(btf.from_id(id))
      assert.equal(raw_dump(b), raw_dump(again))
      assert.equal(8, again:find("pt").size)
      again:close()
      assert.has_error(function() again:close() end)
    end)

    it("returns the kernel's log for BTF it rejects", function()
      local b = btf.new()
      local int = b:add_int("int", 4, "signed")
      -- A member past the struct's size: the kernel refuses it.
      b:add_struct("bad", 4, { { name = "x", type = int, offset = 0 }, { name = "y", type = int, offset = 4 } })
      local ok, err, errno = b:load()
      assert.is_nil(ok)
      assert.equal("EINVAL", err.code)
      assert.equal(22, errno)
      assert.truthy(err.log and #err.log > 0)
    end)

    it("probes kernel support per kind", function()
      assert.is_true(btf.supports("int"))
      assert.is_true(btf.supports("enum64")) -- 6.0+
      assert.is_true(btf.supports("func_linkage"))
      assert.has_error(function() btf.supports("bogus") end)
    end)
  end)

  describe("malformed input", function()
    local function hdr(type_len, str_len)
      return string.pack("<I2BBI4I4I4I4I4", 0xeb9f, 1, 0, 24, 0, type_len, type_len, str_len)
    end
    local function int_type(name_off)
      return string.pack("<I4I4I4I4", name_off, 1 << 24, 4, 32)
    end

    it("accepts a minimal valid blob", function()
      local b = assert(btf.load(hdr(16, 5) .. int_type(1) .. "\0int\0"))
      assert.equal("int", b:type(1).name)
    end)

    it("rejects bad input with a clear error", function()
      local cases = {
        { "x\0", "too short" },
        { string.pack("<I2", 0x1234) .. string.rep("\0", 30), "bad magic" },
        { hdr(16, 5) .. int_type(100) .. "\0int\0", "name offset 100 out of bounds" },
        { hdr(16, 5) .. string.pack("<I4I4I4I4", 1, 25 << 24, 4, 32) .. "\0int\0", "unknown kind 25" },
        { hdr(12, 5) .. string.pack("<I4I4I4", 0, 2 << 24, 9) .. "\0int\0", "beyond the last id" },
        { hdr(12, 5) .. int_type(1):sub(1, 12) .. "\0int\0", "past the type section" },
        { hdr(16, 4) .. int_type(1) .. "\0int", "not NUL%-terminated" },
        { hdr(64, 5) .. int_type(1) .. "\0int\0", "out of bounds" },
        { hdr(12, 5) .. string.pack("<I4I4I4", 0, 2 << 24, 1) .. "\0int\0", "refers to itself" },
      }
      for _, c in ipairs(cases) do
        local b, err, errno = btf.load(c[1])
        assert.is_nil(b, c[2])
        assert.equal(22, errno)
        assert.matches(c[2], err.message)
      end
      local b, err = btf.load("/nonexistent/file.btf")
      assert.is_nil(b)
      assert.equal("ENOENT", err.code)
    end)

    it("reports reference cycles instead of looping", function()
      -- typedef a -> typedef b -> typedef a
      local blob = hdr(24, 5) .. string.pack("<I4I4I4", 1, 8 << 24, 2) .. string.pack("<I4I4I4", 3, 8 << 24, 1)
        .. "\0a\0b\0"
      local b = assert(btf.load(blob))
      assert.is_nil(b:type(1).size)
      assert.has_error(function() b:type(1):encode(1) end)
    end)
  end)
end)

-- Also run in a 5.10 VM (.ci/steps/60-btf-kernels.sh, tag oldkernels):
-- before 5.11 BPF_OBJ_GET_INFO refuses a BTF object's name fields.
describe("BTF objects by id #oldkernels", function()
  it("info, bytes and from_id of a BTF this process loaded", function()
    local core = require "ebpf.core"
    local b = btf.new()
    b:add_int("int", 4, "signed")
    assert(b:load())
    local id = b:info().id
    local info = assert(core.btf_info(id))
    assert.equal(id, info.id)
    assert.is_false(info.kernel)
    local raw = assert(core.btf_bytes(id))
    assert.equal(info.size, #raw)
    local again = assert(btf.from_id(id))
    assert.equal(1, again:find("int").id)
    again:close()
    b:close()
  end)
end)
