-- Map types whose key/value the kernel never types with BTF, declared with
-- __type(key/value) as real-world objects do (testdata/elf/maptypes_btf):
-- created without BTF key/value ids exactly as libbpf does (bpftool
-- prog loadall ... pinmaps is the oracle), also in the 5.10/6.1/6.12/7.2
-- VMs (.ci/steps/53-maptypes-vm.sh).
local ebpf = require "ebpf"
local helpers = require "helpers"

local OBJ = helpers.testdata("elf/maptypes_btf.bpf.o")
local names = { "m_perf_event_array", "m_cgroup_array", "m_stack_trace", "m_devmap", "m_devmap_hash", "m_cpumap",
                "m_xskmap", "m_sockmap", "m_sockhash", "m_queue", "m_stack", "m_array_of_maps", "m_hash_of_maps",
                "m_hash" }

local ours, theirs, load_err
local function setup()
  if ours then return end
  local coll, err = ebpf.load(OBJ)
  load_err = err
  ours = {}
  if coll then
    for _, n in ipairs(names) do
      local i = coll.maps[n]:info()
      ours[n] = { type = i.type, key = i.key_size, value = i.value_size, max = i.max_entries, flags = i.map_flags,
                  btf = (i.btf_id or 0) > 0 }
    end
    coll:close()
  end
  local dir = helpers.bpffs_dir("maptypes")
  helpers.sh(("mkdir -p %s/p %s/m && bpftool prog loadall %s %s/p pinmaps %s/m"):format(dir, dir, OBJ, dir, dir))
  theirs = {}
  for _, n in ipairs(names) do
    local j = helpers.bpftool_json(("map show pinned %s/m/%s"):format(dir, n))
    theirs[n] = { type = j.type, key = j.bytes_key, value = j.bytes_value, max = j.max_entries, flags = j.flags,
                  btf = j.btf_id ~= nil }
  end
  helpers.sh("rm -rf " .. dir)
end

describe("map types without BTF key/value types", function()
  it("the object loads (a BTF key on a cgroup_array was refused with ENOTSUPP)", function()
    setup()
    assert.is_nil(load_err)
  end)
  for _, n in ipairs(names) do
    it(n .. ": created as libbpf creates it", function()
      setup()
      assert.is_not_nil(ours[n], tostring(load_err))
      assert.same(theirs[n], ours[n])
      assert.equal(n == "m_hash", ours[n].btf) -- only the hash keeps its BTF types
    end)
  end
end)

describe("internal maps as libbpf makes them", function()
  for _, obj in ipairs { "globals", "externs" } do
    it(obj .. ": names, sizes and flags of .rodata/.data.*/.bss/.kconfig equal libbpf's", function()
      local path = helpers.testdata("elf/" .. obj .. ".bpf.o")
      if obj == "externs" then
        -- its kfunc (6.2+): before, libbpf refuses the object as we do
        local k = ebpf.btf.kernel()
        if helpers.skip_unless(k and k:find("bpf_rcu_read_lock", "func"), "kernel without bpf_rcu_read_lock (6.2+)") then
          return
        end
      end
      local coll <close> = assert(ebpf.load(path))
      local mine = {}
      for _, m in pairs(coll.maps) do
        local i = m:info()
        mine[i.name] = { value = i.value_size, flags = i.map_flags, max = i.max_entries }
      end
      local dir = helpers.bpffs_dir("internal")
      helpers.sh(("mkdir -p %s/p %s/m && bpftool prog loadall %s %s/p pinmaps %s/m"):format(dir, dir, path, dir, dir))
      local libbpf = {}
      for f in helpers.sh("ls " .. dir .. "/m"):gmatch("[^\n]+") do
        local j = helpers.bpftool_json(("map show pinned %s/m/%s"):format(dir, f))
        libbpf[j.name] = { value = j.bytes_value, flags = j.flags, max = j.max_entries }
      end
      helpers.sh("rm -rf " .. dir)
      assert.same(libbpf, mine)
    end)
  end
end)
