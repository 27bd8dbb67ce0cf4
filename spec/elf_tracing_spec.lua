-- BTF-attached programs (tp_btf, fentry, fexit, fmod_ret, lsm, iter): the
-- loader resolves the attach target in kernel BTF. This kernel refuses
-- fentry/fexit/fmod_ret/lsm loads (EPERM, machine policy); CI runs this
-- file again in a 6.12 VM (.ci/steps/51-elf-vm.sh) where they load.
local helpers = require "spec.helpers"
local ebpf = require "ebpf"

local function kernel_btf_id(name, kind)
  local out = helpers.sh("PATH=$PATH:/usr/sbin bpftool btf dump file /sys/kernel/btf/vmlinux | grep \"] " ..
    kind .. " '" .. name .. "' \" | head -1")
  return tonumber(out:match("^%[(%d+)%]"))
end

local cases = {
  { "s_tp_btf", "btf_trace_sched_switch", "TYPEDEF" },
  { "s_iter", "bpf_iter_task", "FUNC" },
  { "s_fentry", "do_unlinkat", "FUNC" },
  { "s_fexit", "do_unlinkat", "FUNC" },
  { "s_fmod_ret", "security_file_open", "FUNC" },
  { "s_lsm", "bpf_lsm_file_open", "FUNC" },
}

describe("BTF attach targets", function()
  for _, c in ipairs(cases) do
    it(c[1] .. " -> " .. c[2], function()
      local spec = assert(ebpf.open(helpers.testdata("elf/sections.bpf.o")))
      for _, p in pairs(spec.programs) do p.autoload = false end
      spec.programs[c[1]].autoload = true
      local coll, err, errno = spec:load()
      if not coll and errno == 1 then
        pending("this kernel refuses " .. c[1] .. " loads (EPERM): " .. tostring(err))
        return
      end
      assert.is_not_nil(coll, tostring(err))
      local info = coll.programs[c[1]]:info()
      assert.equal(kernel_btf_id(c[2], c[3]), info.attach_btf_id)
      coll:close()
    end)
  end

  it("names a missing attach target", function()
    local spec = assert(ebpf.compile([[
      #include <linux/bpf.h>
      #include <bpf/bpf_helpers.h>
      SEC("fentry/ebpf_lua_no_such_function") int f(void *ctx) { return 0; }
      char LICENSE[] SEC("license") = "GPL";
    ]], { vmlinux = false }))
    local coll, err = spec:load()
    assert.is_nil(coll)
    assert.matches("attach target 'ebpf_lua_no_such_function' not found in kernel BTF", tostring(err))
  end)
end)
