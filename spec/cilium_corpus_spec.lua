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

-- Facts its Go tests state about legacy `maps` definitions
-- (elf_reader_test.go: TestLoadInvalidMap, TestLoadInvalidMapStatic,
-- TestIPRoute2Compat, TestLoadInitializedBTFMap).
describe("cilium/ebpf corpus: legacy and initialised maps", function()
  local D = "/usr/share/gocode/src/github.com/cilium/ebpf/testdata"
  local helpers = require "helpers"

  it("a legacy definition with a non-zero field past bpf_map_def fails at map creation, naming the map", function()
    local spec = assert(ebpf.open(D .. "/invalid_map-el.elf"))
    local coll, err = spec:load()
    assert.is_nil(coll)
    assert.matches("map 'invalid_map': its legacy definition has a non%-zero field at byte 20", tostring(err))
    spec:close()
  end)

  it("a static legacy definition fails at open", function()
    local spec, err = ebpf.open(D .. "/invalid_map_static-el.elf")
    assert.is_nil(spec)
    assert.matches("legacy map 'hash_map' is static", tostring(err))
  end)

  it("iproute2's bpf_elf_map: pinning PIN_GLOBAL_NS pins by name, the other extra fields are zero", function()
    local spec = assert(ebpf.open(D .. "/iproute2_map_compat-el.elf"))
    assert.equal("by_name", spec.maps.hash_map.pinning)
    local root = helpers.bpffs_dir("iproute2")
    local coll = assert(spec:load { pin_root = root })
    assert.equal(2, coll.maps.hash_map:info().max_entries)
    local pinned = assert(ebpf.map.open_pinned(root .. "/hash_map"))
    assert.equal(coll.maps.hash_map:info().id, pinned:info().id)
    pinned:close()
    coll:close()
    spec:close()
    os.remove(root .. "/hash_map")
    os.remove(root)
  end)

  it("a prog array initialised with a program: the tail call reaches it (returns 42)", function()
    local spec = assert(ebpf.open(D .. "/btf_map_init-el.elf"))
    for _, p in pairs(spec.programs) do
      p.type = "socket_filter" -- cilium's own section convention (socket/x)
      p.autoload = true
    end
    local coll = assert(spec:load())
    assert.equal(42, (coll.programs.tail_main:run(string.rep("\0", 14))))
    -- and the array of maps holds inner_map at index 1, nothing at 0
    local outer = coll.maps.outer_map_init
    assert.is_nil(outer[0])
    assert.is_not_nil(outer[1])
    coll:close()
    spec:close()
  end)
end)
