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
      int exists = -1, size = -1, missing = -1;
      SEC("socket") int typedefs(struct __sk_buff *skb) {
        exists = bpf_core_type_exists(atomic_t);
        size = bpf_core_type_size(atomic_t);
        missing = bpf_core_type_exists(no_such_typedef_in_kernel_t);
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
