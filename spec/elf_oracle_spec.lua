-- Oracle: every testdata object loaded by this library and by libbpf
-- (bpftool prog loadall) must give the same translated instructions for
-- every program, up to map ids / map value addresses (see elf_oracle.lua).
local helpers = require "spec.helpers"
local ebpf = require "ebpf"
local oracle = require "elf_oracle"

-- Objects libbpf loads completely (legacy `maps` is refused by libbpf 1.x,
-- fail/core_fail are meant to fail, sections holds fentry which this
-- kernel refuses; the ksyms objects are compared in elf_ksyms_spec.lua
-- where the kernel can load them).
local objects = { "globals", "subprogs", "mapinmap", "btfmaps", "core", "externs", "pinning", "hidden_func" }

describe("oracle: xlated instructions vs libbpf (bpftool prog loadall)", function()
  local pin_root
  before_each(function()
    pin_root = helpers.bpffs_dir("oracle-maps")
  end)
  after_each(function()
    os.execute("rm -rf " .. pin_root)
  end)

  local anchor = (os.getenv("EBPF_ANCHORS") or "/work/shared/anchors") .. "/build/load.bpf.o"
  local af = io.open(anchor)
  if af then
    af:close()
    objects[#objects + 1] = anchor
  end

  for _, name in ipairs(objects) do
    it(name, function()
      if name == "externs" and not os.execute("test -e /proc/config.gz || test -e /boot/config-$(uname -r)") then
        pending("no kernel config on this kernel: both loaders refuse the kconfig externs")
        return
      end
      local obj = name:find("/") and name or helpers.testdata("elf/" .. name .. ".bpf.o")
      -- libbpf pins by-name maps under /sys/fs/bpf by default; ours go to
      -- a private root so the two loads stay independent
      local coll = assert(ebpf.load(obj, { pin_root = pin_root }))
      assert.is_true(oracle.compare(obj, coll) > 0)
      coll:close()
      os.execute("rm -f /sys/fs/bpf/shared_counts") -- libbpf's by-name pin
    end)
  end
end)
