-- ebpf.link networking kinds, each inside namespaces the spec creates:
-- the BPF side runs in spec/link_scripts/net.lua (under unshare -n or ip
-- netns exec) and prints what it observed; cgroups use a cgroup created
-- here with a sender process moved into it.
local ebpf = require "ebpf"
local helpers = require "helpers"
local U = require "link_util"
local link = ebpf.core.link

local function run(prefix, case, ...)
  local r, outp = U.net_case(prefix, case, ...)
  assert.equal("done", r.fds_ok, outp)
  return r
end

describe("veth pair in private netns", function()
  local A, B, cleanup
  lazy_setup(function()
    A, B, cleanup = U.veth_netns()
  end)
  lazy_teardown(function()
    if cleanup then cleanup() end
  end)

  for _, kind in ipairs { "xdp", "xdp_generic", "tcx", "tc" } do
    it(kind .. " counts the peer's datagrams and passes them", function()
      local r = run("ip netns exec " .. A, "veth", kind, "pass", B)
      assert.equal("7", r.received)
      assert.equal("7", r.counted)
      assert.equal("7", r.received_after)
      assert.equal("7", r.counted_after) -- detached on close
      if kind == "tc" then
        assert.equal("1", r.filters)       -- oracle: tc filter show
        assert.equal("0", r.filters_after)
      end
      if r.info_ifindex then assert.equal("2", r.info_ifindex) end
    end)

    it(kind .. " drops the peer's datagrams", function()
      local r = run("ip netns exec " .. A, "veth", kind, "drop", B)
      assert.equal("0", r.received)
      assert.equal("7", r.counted)
      assert.equal("7", r.received_after)
    end)
  end

  it("tcx orders programs before and after a link", function()
    local r = run("ip netns exec " .. A, "tcx_order", B)
    assert.same({ "0", "0", "3" }, { r.received1, r.a1, r.b1 })
    assert.same({ "0", "4", "3", "4" }, { r.received2, r.a2, r.b2, r.c2 })
    assert.same({ "2", "6" }, { r.received3, r.a3 })
  end)

  it("says which interface is missing", function()
    local p = U.prog("xdp", U.array())
    local l, err = link.xdp(p, "no-such-if0")
    assert.is_nil(l)
    assert.matches("interface 'no-such-if0' not found", tostring(err), 1, true)
  end)
end)

describe("netfilter", function()
  it("counts loopback datagrams at local_in and accepts them", function()
    local r = run("unshare -n", "netfilter", "pass")
    assert.equal("5", r.received)
    assert.equal("5", r.counted)
    assert.equal("netfilter 2 1 -128", r.info)
    assert.equal("2", r.received_after)
    assert.equal("5", r.counted_after)
  end)

  it("drops them with NF_DROP", function()
    local r = run("unshare -n", "netfilter", "drop")
    assert.equal("0", r.received)
    assert.equal("5", r.counted)
    assert.equal("2", r.received_after)
  end)
end)

describe("socket filter", function()
  it("drops UDP datagrams starting with D until closed", function()
    local r = run("unshare -n", "sockfilter")
    assert.equal("K1,K2,K3", r.received)
    assert.equal("D3,K4", r.received_after)
  end)
end)

describe("sk_lookup", function()
  it("steers a connection to another port's listener", function()
    local r = run("unshare -n", "sk_lookup")
    assert.equal("netns sk_lookup", r.info)
    assert.equal("1.0", r.connect)
    assert.equal("hello", r.accepted)
    assert.equal("nil connection refused", r.connect_after)
  end)
end)

describe("sockmap", function()
  it("runs an sk_msg verdict program on each message of a socket in the map", function()
    local r = run("unshare -n", "sockmap")
    assert.equal("x1,x2,x3", r.received)
    assert.equal("3", r.counted)
  end)
end)

describe("flow_dissector", function()
  it("attaches to the network namespace", function()
    local r = run("unshare -n", "flow_dissector")
    assert.equal("netns flow_dissector", r.info)
    assert.equal("true", r.ino_ok)
  end)
end)

describe("cgroup", function()
  local CG
  lazy_setup(function()
    CG = "/sys/fs/cgroup/unified/ebpf_lua_link_" .. U.pid()
    helpers.sh("mkdir -p " .. CG)
  end)
  lazy_teardown(function() os.execute("rmdir " .. CG .. " 2>/dev/null") end)

  local function send_from_cgroup(n)
    local outp = helpers.sh(([[unshare -n sh -c 'ip link set lo up; echo $$ > %s/cgroup.procs;
      exec env EBPF_BUILD=%s lua5.4 spec/link_scripts/net.lua udp_send 127.0.0.1 4246 %d']]):format(
      CG, helpers.build, n))
    return tonumber(outp:match("sent=(%d+)"))
  end

  local function egress(m, key, ret)
    return U.prog("cgroup_skb", m, { key = key, ret = ret }, { expected_attach_type = "cgroup_inet_egress" })
  end

  it("cgroup_skb counts the egress packets of a process in the cgroup; update swaps the program", function()
    local m = U.array()
    local l = assert(link.cgroup(egress(m, 0, 1), CG))
    assert.equal("bpf_link", l.kind)
    assert.matches("cgroup cgroup_inet_egress", tostring(l), 1, true)
    assert.equal(6, send_from_cgroup(6))
    assert.equal(6, m[0])
    local info = l:info()
    assert.equal("cgroup", info.type)
    assert.equal("cgroup_inet_egress", info.attach_type)
    assert(l:update(egress(m, 1, 0))) -- now: count in key 1 and drop
    assert.equal(0, send_from_cgroup(4))
    assert.equal(6, m[0])
    assert.equal(4, m[1])
    l:close()
    assert.equal(3, send_from_cgroup(3))
    assert.equal(4, m[1])
  end)

  it("falls back to PROG_ATTACH semantics with allow_override", function()
    local m = U.array()
    local l = assert(link.cgroup(egress(m, 0, 1), CG, { flags = "allow_override" }))
    assert.equal("prog_attach", l.kind)
    assert.matches("cgroup_inet_egress", helpers.sh("bpftool cgroup show " .. CG))
    assert.equal(2, send_from_cgroup(2))
    assert.equal(2, m[0])
    l:close()
    assert.not_matches("egress", helpers.sh("bpftool cgroup show " .. CG))
    send_from_cgroup(1)
    assert.equal(2, m[0])
  end)

  it("names the cgroup it could not open", function()
    local l, err = link.cgroup(egress(U.array(), 0, 1), "/sys/fs/cgroup/unified/no/such/cgroup")
    assert.is_nil(l)
    assert.matches("no/such/cgroup", tostring(err), 1, true)
  end)
end)
