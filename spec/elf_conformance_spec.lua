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
