-- Loader rules libbpf follows that the selftests conformance corpus
-- (tools/conformance.sh) showed we did not.
--
-- CO-RE type relocations on a typedef (core_kern_overflow,
-- netif_receive_skb): bpf_core_type_exists /
-- bpf_core_type_size of a typedef are about the typedef itself, as libbpf
-- resolves them (candidates: kernel typedefs of that name), even when it
-- names an anonymous struct. The kernel's atomic_t is such a typedef.
local ebpf = require "ebpf"

local pkt = string.rep("\0", 64)

describe("CO-RE type relocations on a typedef", function()
  it("resolve against the kernel's typedef of the same name", function()
    local spec, err = ebpf.compile([[
      #include <linux/bpf.h>
      #include <bpf/bpf_helpers.h>
      #include <bpf/bpf_core_read.h>
      typedef struct { int counter; } atomic_t;
      typedef struct { long x; } no_such_typedef_in_kernel_t;
      int exists = -1, size = -1, missing = -1, missing_size = -1, missing_id = -1;
      SEC("socket") int typedefs(struct __sk_buff *skb) {
        exists = bpf_core_type_exists(atomic_t);
        size = bpf_core_type_size(atomic_t);
        missing = bpf_core_type_exists(no_such_typedef_in_kernel_t);
        missing_size = bpf_core_type_size(no_such_typedef_in_kernel_t);
        missing_id = bpf_core_type_id_kernel(no_such_typedef_in_kernel_t);
        return 0;
      }
      char LICENSE[] SEC("license") = "GPL";
    ]], { vmlinux = false })
    assert.is_not_nil(spec, tostring(err))
    local coll, lerr = spec:load()
    assert.is_not_nil(coll, tostring(lerr))
    assert.equal(0, (coll.programs.typedefs:run(pkt)))
    local t = assert(ebpf.btf.kernel():find("atomic_t", "typedef"))
    assert.equal(1, coll.vars.exists)
    assert.equal(t.size, coll.vars.size)
    assert.equal(0, coll.vars.missing)
    -- libbpf: a type-based relocation without a kernel match is 0, not
    -- poisoned (test_core_reloc_type_based, test_core_reloc_type_id)
    assert.equal(0, coll.vars.missing_size)
    assert.equal(0, coll.vars.missing_id)
    coll:close()
    spec:close()
  end)
end)

-- A __hidden global function (test_usdt: usdt.bpf.h's bpf_usdt_arg).
describe("a global function with hidden visibility", function()
  it("is verified in its caller's context, as libbpf does", function()
    local helpers = require "helpers"
    local coll, err = ebpf.load(helpers.testdata("elf/hidden_func.bpf.o"))
    assert.is_not_nil(coll, tostring(err))
    assert.equal(1, (coll.programs.hidden_caller:run(pkt)))
    coll:close()
  end)
end)

-- A forward-declared enum (btf_dump_test_case_namespacing): clang emits an
-- ENUM with no values and size 0; libbpf parses it, so must we.
describe("BTF with a forward-declared enum", function()
  local function raw_btf(size, vlen)
    local strs = "\0fwd_enum\0v\0"
    local types = string.pack("<I4I4I4", 1, (6 << 24) | vlen, size)
    if vlen > 0 then types = types .. string.pack("<I4i4", 10, 1) end
    return string.pack("<I2BBI4I4I4I4I4", 0xeb9f, 1, 0, 24, 0, #types, #types, #strs) .. types .. strs
  end

  it("parses (size 0, no values)", function()
    local b, err = ebpf.btf.load(raw_btf(0, 0))
    assert.is_not_nil(b, tostring(err))
    local t = assert(b:find("fwd_enum", "enum"))
    assert.equal(0, t.vlen)
  end)

  it("still refuses size 0 with values", function()
    local b, err = ebpf.btf.load(raw_btf(0, 1))
    assert.is_nil(b)
    assert.matches("enum 1: bad size 0", tostring(err))
  end)
end)

-- The .kconfig map (bpf_syscall_macro, test_core_extern): libbpf types it
-- with its DATASEC, laid out as the map's value (offsets by alignment,
-- size, name; entries sorted by offset; extern linkage made allocated),
-- so the value size is the end of the last extern and the map has BTF.
-- The virtual LINUX_HAS_* externs take libbpf's values (the syscall
-- wrapper is "a kprobe can be made on __<arch>_sys_bpf": 0 on a kernel
-- without kprobes, such as this machine's). A ring buffer of 1000 bytes
-- (test_ringbuf_multi) is created with the next power-of-2 multiple of
-- the page size.
local function libbpf_maps(helpers, oracle, obj)
  local dir = helpers.bpffs_dir("conformance")
  helpers.sh(("mkdir -p %s/p %s/m && %s prog loadall %s %s/p pinmaps %s/m"):format(dir, dir, oracle.BPFTOOL, obj,
    dir, dir))
  local maps = {}
  for f in helpers.sh("ls " .. dir .. "/m"):gmatch("[^\n]+") do
    local j = helpers.bpftool_json(("map show pinned %s/m/%s"):format(dir, f))
    maps[j.name] = { type = j.type, value = j.bytes_value, max = j.max_entries, flags = j.flags,
                     btf = j.btf_id ~= nil }
  end
  helpers.sh("rm -rf " .. dir)
  return maps
end

local function our_maps(coll)
  local mine = {}
  for _, m in pairs(coll.maps) do
    local i = m:info()
    mine[i.name] = { type = i.type, value = i.value_size, max = i.max_entries, flags = i.map_flags,
                     btf = (i.btf_id or 0) ~= 0 }
  end
  return mine
end

describe("kconfig map and virtual externs", function()
  local helpers = require "helpers"
  local oracle = require "elf_oracle"
  local OBJ = helpers.testdata("elf/kconfig_layout.bpf.o")

  it("makes the .kconfig map libbpf makes: typed by its DATASEC, laid out in offset order", function()
    local coll <close> = assert(ebpf.load(OBJ))
    assert.same(libbpf_maps(helpers, oracle, OBJ), our_maps(coll))
    -- the value type the kernel holds: .kconfig's DATASEC, in offset order
    local i = coll.maps[".kconfig"]:info()
    assert.is_true(i.btf_value_type_id > 0)
    local b = assert(ebpf.btf.from_id(i.btf_id))
    local ds = b:type(i.btf_value_type_id)
    assert.equal(".kconfig", ds.name)
    assert.equal(i.value_size, ds.size)
    local names, last = {}, -1
    for _, v in ipairs(ds.vars) do
      assert.is_true(v.offset > last)
      last = v.offset
      names[#names + 1] = v.type.name
      assert.equal("global", v.type.linkage)
    end
    -- libbpf's layout: 8-byte, 4-byte, 2-byte aligned, then 1-byte ones by size and name
    assert.same({ "LINUX_EBPF_LUA_U64", "LINUX_KERNEL_VERSION", "LINUX_EBPF_LUA_U16", "LINUX_EBPF_LUA_CHAR",
                  "LINUX_HAS_BPF_COOKIE", "LINUX_HAS_SYSCALL_WRAPPER" }, names)
    assert.equal(8 + 4 + 2 + 1 + 1 + 1, i.value_size)
  end)

  it("gives the virtual externs libbpf's values: the pruned branches are the same", function()
    local coll <close> = assert(ebpf.load(OBJ))
    assert.is_true(oracle.compare(OBJ, coll) > 0)
  end)

  it("refuses what libbpf refuses: a weak unknown LINUX_ char array, a weak name of no known prefix", function()
    for obj, msg in pairs {
      ["elf/kconfig_weak_chararr.bpf.o"] = "weak virtual kconfig extern 'LINUX_EBPF_LUA_NAME' defaults to 0",
      ["elf/kconfig_unprefixed.bpf.o"] = "unknown kconfig extern 'EBPF_LUA_NO_PREFIX'",
    } do
      local path = helpers.testdata(obj)
      local dir = helpers.bpffs_dir("kconfig_refused")
      local ok = os.execute(("%s prog loadall %s %s >/dev/null 2>&1"):format(oracle.BPFTOOL, path, dir))
      helpers.sh("rm -rf " .. dir)
      assert.is_falsy(ok, "libbpf loads " .. obj)
      local coll, err = ebpf.load(path)
      assert.is_nil(coll, obj)
      assert.matches(msg, tostring(err), 1, true)
    end
  end)
end)

describe("ring buffer sizes", function()
  local helpers = require "helpers"
  local oracle = require "elf_oracle"
  local OBJ = helpers.testdata("elf/ringbuf_size.bpf.o")

  it("are rounded up to a power-of-2 multiple of the page size, as libbpf does", function()
    local coll <close> = assert(ebpf.load(OBJ))
    assert.same(libbpf_maps(helpers, oracle, OBJ), our_maps(coll))
    local page = tonumber(helpers.sh("getconf PAGESIZE"):match("%d+"))
    assert.equal(page, coll.maps.rb_small:info().max_entries)
    assert.equal(64 * 1024, coll.maps.rb_ok:info().max_entries)
    assert.equal(1000, ebpf.open(OBJ).maps.rb_small.max_entries) -- the spec keeps what the object says
  end)
end)
