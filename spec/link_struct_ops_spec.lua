-- struct_ops maps from a clang-compiled object (testdata/struct_ops/):
-- a TCP congestion control registered with the kernel, proven by the
-- kernel's list of congestion controls, bpftool, and the callbacks run by
-- a real TCP connection.
local ebpf = require "ebpf"
local helpers = require "helpers"

local OBJ = helpers.testdata("struct_ops/tcp_cc.bpf.o")
local AVAIL = "/proc/sys/net/ipv4/tcp_available_congestion_control"

local function available()
  local f = assert(io.open(AVAIL))
  local s = f:read("l")
  f:close()
  local set = {}
  for n in s:gmatch("%S+") do set[n] = true end
  return set
end

local function bad(name)
  return helpers.testdata("struct_ops/" .. name .. ".bpf.o")
end

-- tcp_congestion_ops as struct_ops, and struct_ops links (6.4: the
-- object has a .struct_ops.link map)
local function kernel_has_tcp_ops()
  local k = ebpf.btf.kernel()
  return k and k:find("bpf_struct_ops_tcp_congestion_ops", "struct") ~= nil
    and k:find("bpf_struct_ops_link", "struct") ~= nil
end

describe("struct_ops spec", function()
  it("makes one struct_ops map per variable, with the link flag for .struct_ops.link", function()
    local spec = assert(ebpf.elf.open(OBJ))
    local cc, cc2 = spec.maps.ebpf_lua_cc, spec.maps.ebpf_lua_cc2
    assert.equal("struct_ops", cc.type)
    assert.equal("struct_ops", cc2.type)
    assert.equal(4, cc.key_size)
    assert.equal(1, cc.max_entries)
    assert.equal(1 << 13, cc.flags) -- BPF_F_LINK
    assert.equal(0, cc2.flags)
    -- the programs the maps use are loaded, the others not
    for _, n in ipairs { "cc_init", "cc_ssthresh", "cc_cong_avoid", "cc_undo_cwnd" } do
      assert.is_true(spec.programs[n].autoload, n)
    end
    assert.is_false(spec.programs.cc_unused.autoload)
  end)

  it("refuses a function pointer to something that is not a struct_ops program", function()
    local s, err, errno = ebpf.elf.open(bad("bad_prog"))
    assert.is_nil(s)
    assert.equal(22, errno)
    assert.matches("member 'ssthresh' points to 'helper_fn', which is not a program", tostring(err), 1, true)
  end)
end)

local NO_KERNEL = "no tcp_congestion_ops struct_ops or no struct_ops links (6.4) in kernel BTF"

describe("struct_ops load", function()

  it("registers nothing at load; coll:attach() registers plain and link maps, closing links unregisters", function()
    if helpers.skip_unless(kernel_has_tcp_ops(), NO_KERNEL, true) then return end
    local coll = assert(ebpf.elf.load(OBJ))
    local a = available()
    assert.is_nil(a.ebpf_lua_cc2) -- .struct_ops: as libbpf, loading only creates the map
    assert.is_nil(a.ebpf_lua_cc)  -- .struct_ops.link: waits for its link
    assert.same({ "link" }, coll.maps.ebpf_lua_cc:info().flags)
    assert.equal(ebpf.btf.kernel():find("bpf_struct_ops_tcp_congestion_ops", "struct").size,
      coll.maps.ebpf_lua_cc.value_size) -- the kernel's value type, not the object's struct
    -- bpftool as oracle: the maps exist, of the kernel's struct, not yet set
    local shown = {}
    for _, m in ipairs(helpers.bpftool_json("struct_ops show")) do shown[m.name] = m.kernel_struct_ops end
    assert.equal("tcp_congestion_ops", shown.ebpf_lua_cc)
    assert.equal("tcp_congestion_ops", shown.ebpf_lua_cc2)
    local links = assert(coll:attach())
    local names = {}
    for k in pairs(links) do names[#names + 1] = k end
    table.sort(names)
    assert.same({ "ebpf_lua_cc", "ebpf_lua_cc2", "ebpf_lua_cc3" }, names)
    -- the values attach set, with the data copied by name
    local v = helpers.bpftool_json("struct_ops dump name ebpf_lua_cc")[2].bpf_struct_ops_tcp_congestion_ops
    assert.equal("BPF_STRUCT_OPS_STATE_READY", v.common.state)
    assert.equal("ebpf_lua_cc", v.data.name)
    assert.equal(1, v.data.flags) -- TCP_CONG_NON_RESTRICTED
    -- declared in another order than the kernel's struct: placed by name
    v = helpers.bpftool_json("struct_ops dump name ebpf_lua_cc3")[2].bpf_struct_ops_tcp_congestion_ops
    assert.equal("ebpf_lua_cc3", v.data.name)
    assert.equal(1, v.data.flags)
    v = helpers.bpftool_json("struct_ops dump name ebpf_lua_cc2")[2].bpf_struct_ops_tcp_congestion_ops
    assert.equal("BPF_STRUCT_OPS_STATE_INUSE", v.common.state) -- plain: registered by the update
    assert.is_true(available().ebpf_lua_cc3)
    links.ebpf_lua_cc3:close()
    assert.matches("struct_ops ebpf_lua_cc", tostring(links.ebpf_lua_cc), 1, true)
    assert.error_matches(function() coll.programs.cc_ssthresh:attach() end,
      "struct_ops programs are not attached one by one", 1, true)
    assert.equal("struct_ops", links.ebpf_lua_cc:info().type)
    assert.equal("struct_ops", links.ebpf_lua_cc2.kind)
    assert.is_true(available().ebpf_lua_cc)
    links.ebpf_lua_cc:close()
    assert.is_nil(available().ebpf_lua_cc)
    -- the link map is ready: a new link registers it again
    local l = assert(ebpf.link.struct_ops(coll.maps.ebpf_lua_cc))
    assert.is_true(available().ebpf_lua_cc)
    l:close()
    assert.is_true(available().ebpf_lua_cc2)
    links.ebpf_lua_cc2:close()
    assert.is_nil(available().ebpf_lua_cc2) -- closing the plain map's link unregisters it
    -- a plain map registers once (the kernel's rule)
    local again, err = ebpf.link.struct_ops(coll.maps.ebpf_lua_cc2)
    assert.is_nil(again)
    assert.matches("struct_ops map 'ebpf_lua_cc2' (struct tcp_congestion_ops): update: ", tostring(err), 1, true)
    coll:close()
  end)

  it("loads an object whose struct_ops value the kernel refuses; attach says why (libbpf's order)", function()
    if helpers.skip_unless(kernel_has_tcp_ops(), NO_KERNEL, true) then return end
    -- a tcp_congestion_ops without the required ssthresh/undo_cwnd: libbpf
    -- (bpftool prog loadall) loads it, the registration fails at attach
    local coll = assert(ebpf.elf.load(bad("incomplete")))
    assert.is_nil(available().ebpf_lua_incompl)
    local l, err, errno = ebpf.link.struct_ops(coll.maps.incomplete)
    assert.is_nil(l)
    assert.equal(22, errno)
    assert.matches("struct_ops map 'incomplete' (struct tcp_congestion_ops): update: ", tostring(err), 1, true)
    assert.is_nil(coll:attach())
    coll:close()
    -- the oracle: libbpf loads it too
    local dir = helpers.bpffs_dir("incompl")
    local ok = os.execute(("PATH=$PATH:/usr/sbin bpftool prog loadall %s %s/p >/dev/null 2>&1"):format(
      bad("incomplete"), dir))
    helpers.sh("rm -rf " .. dir)
    assert.is_true(ok)
  end)

  it("runs its programs for the TCP connections that use it", function()
    if helpers.skip_unless(kernel_has_tcp_ops(), NO_KERNEL, true) then return end
    local coll = assert(ebpf.elf.load(OBJ))
    local links = assert(coll:attach())
    -- a fresh netns whose default is ebpf_lua_cc (TCP_CONG_NON_RESTRICTED
    -- allows that outside the initial netns): no host setting is touched
    local out = helpers.sh(([[unshare -n sh -c 'ip link set lo up &&
      sysctl -qw net.ipv4.tcp_congestion_control=ebpf_lua_cc &&
      EBPF_BUILD=%s lua5.4 spec/link_scripts/net.lua tcp_bulk 4300 2000000']]):format(helpers.build))
    assert.matches("cc=ebpf_lua_cc\n", out, 1, true)
    assert.matches("received=2000000\n", out, 1, true)
    assert.equal(2, coll.vars.init_calls) -- the client and the accepted socket
    assert.is_true(coll.vars.cong_avoid_calls > 0)
    for _, l in pairs(links) do l:close() end
    coll:close()
  end)

  it("fails at attach with the map and the reason when the name is already registered", function()
    if helpers.skip_unless(kernel_has_tcp_ops(), NO_KERNEL, true) then return end
    local coll = assert(ebpf.elf.load(OBJ))
    local links = assert(coll:attach())
    local c2 = assert(ebpf.elf.load(OBJ)) -- loading registers nothing: no conflict yet
    local l2, err, errno = c2:attach()
    assert.is_nil(l2)
    assert.equal(17, errno) -- EEXIST
    assert.matches("struct_ops ebpf_lua_cc: ", tostring(err), 1, true) -- the link map comes first
    assert.matches("already registered", tostring(err), 1, true)
    c2:close()
    for _, l in pairs(links) do l:close() end
    coll:close()
  end)

  it("names the kernel's missing type, member or size", function()
    if helpers.skip_unless(kernel_has_tcp_ops(), NO_KERNEL, true) then return end
    local cases = {
      bad_type = { 2, "struct_ops map 'bad_type': struct ebpf_lua_no_such_ops not found in kernel BTF" },
      bad_member = { 2, "struct_ops map 'bad_member': the kernel's struct tcp_congestion_ops has no member "
        .. "'no_such_member'" },
      bad_size = { 22, "struct_ops map 'bad_size': member 'flags' of struct tcp_congestion_ops is 8 bytes in the "
        .. "object but 4 in the kernel" },
    }
    for name, want in pairs(cases) do
      local c, err, errno = ebpf.elf.load(bad(name))
      assert.is_nil(c, name)
      assert.equal(want[1], errno, name)
      assert.matches(want[2], tostring(err), 1, true)
    end
  end)

  it("refuses a struct_ops program no map uses", function()
    if helpers.skip_unless(kernel_has_tcp_ops(), NO_KERNEL, true) then return end
    local spec = assert(ebpf.elf.open(OBJ))
    spec.programs.cc_unused.autoload = true
    local c, err = spec:load()
    assert.is_nil(c)
    assert.matches("program 'cc_unused' (section 'struct_ops/cc_unused'): no struct_ops map uses it", tostring(err),
      1, true)
  end)
end)
