-- cilium/ebpf's test objects (Debian golang-github-cilium-ebpf-dev) with
-- the expectations its Go tests state: btf/testdata/relocs-el.elf holds
-- CO-RE relocations against its own types; loaded with that object's BTF
-- as the target ("kernel") BTF, every program returns 0 when every
-- relocation resolved as expected (otherwise the failing source line).
local ebpf = require "ebpf"

local DIR = "/usr/share/gocode/src/github.com/cilium/ebpf/btf/testdata"

describe("cilium/ebpf corpus: CO-RE relocation objects", function()
  local obj = DIR .. "/relocs-el.elf"
  local target

  setup(function()
    assert(io.open(obj), "install golang-github-cilium-ebpf-dev (tools/deps/conformance.txt)"):close()
    target = os.tmpname() -- mkstemp: a fresh O_EXCL file
    local f = assert(io.open(target, "wb"))
    f:write(assert(ebpf.btf.load(obj)):raw())
    f:close()
  end)
  teardown(function()
    if target then os.remove(target) end
  end)

  for _, name in ipairs({ "type_ids", "types", "enums", "fields" }) do
    it(name .. " returns 0 (every relocation as expected)", function()
      local spec = assert(ebpf.open(obj))
      for pname, p in pairs(spec.programs) do
        -- cilium's own section convention (socket_filter/x): set the type
        p.type = "socket_filter"
        p.autoload = pname == name
      end
      local coll, err = spec:load({ kernel_btf = target })
      assert.is_not_nil(coll, tostring(err))
      assert.equal(0, (coll.programs[name]:run(string.rep("\0", 14))))
      coll:close()
      spec:close()
    end)
  end
end)
