-- Objects built by GCC's BPF backend (Debian gcc-bpf): the project's
-- testdata that bpf-gcc compiles and libbpf loads must load here with
-- libbpf's translated instructions (spec/elf_oracle.lua). globals and
-- subprogs also compile but libbpf refuses them as we do (GCC's
-- relocations into .data and .text), so they are not compared.
local ebpf = require "ebpf"
local helpers = require "helpers"
local oracle = require "elf_oracle"

local function have_gcc()
  return os.execute("command -v bpf-gcc >/dev/null 2>&1")
end

describe("GCC-built objects (bpf-gcc) vs libbpf", function()
  local dir
  setup(function()
    assert(have_gcc(), "install gcc-bpf (tools/deps/conformance.txt)")
    local p = io.popen("mktemp -d")
    dir = p:read("l")
    p:close()
  end)
  teardown(function()
    if dir and dir:match("^/tmp/tmp%.[%w]+$") then os.execute("rm -rf " .. dir) end
  end)

  for _, name in ipairs({ "btfmaps", "hidden_func" }) do
    it(name, function()
      local src = "testdata/elf/" .. name .. ".bpf.c"
      local obj = dir .. "/" .. name .. ".o"
      helpers.sh("bpf-gcc -O2 -g -gbtf -D__TARGET_ARCH_x86 -Itestdata/include -Icore/include -I"
        .. (os.getenv("EBPF_BUILD") or "build") .. "/testdata"
        .. " -idirafter /usr/include/x86_64-linux-gnu -idirafter /usr/include -c " .. src .. " -o " .. obj)
      local pin_root = helpers.bpffs_dir("gcc-" .. name)
      local coll, err = ebpf.load(obj, { pin_root = pin_root })
      assert.is_not_nil(coll, tostring(err))
      assert.is_true(oracle.compare(obj, coll) > 0)
      coll:close()
      os.execute("rm -rf " .. pin_root)
    end)
  end
end)
