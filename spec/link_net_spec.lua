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

  -- struct bpf_flow_keys, as BPF_PROG_TEST_RUN returns it in data_out
  local KEYS = "<I2I2I2BBBB>I2>I2>I2c32<I4>I4"
  local function keys(bytes)
    local k = {}
    k.nhoff, k.thoff, k.addr_proto, k.is_frag, k.is_first_frag, k.is_encap, k.ip_proto, k.n_proto, k.sport,
      k.dport, k.addrs, k.flags, k.flow_label = string.unpack(KEYS, bytes)
    return k
  end
  local ETH4 = string.rep("\2", 6) .. string.rep("\4", 6) .. "\8\0"
  local ETH6 = string.rep("\2", 6) .. string.rep("\4", 6) .. "\134\221"
  local SRC4, DST4 = "\10\0\0\1", "\10\0\0\2"
  local SRC6, DST6 = "\253" .. string.rep("\0", 14) .. "\1", "\253" .. string.rep("\0", 14) .. "\2"

  -- test_run's retval: the verdict (6.0+), before that 1 for BPF_OK, 0 otherwise
  local function verdicts()
    local f = assert(io.open("/proc/sys/kernel/osrelease"))
    local maj = tonumber(f:read("l"):match("^(%d+)%."))
    f:close()
    if maj >= 6 then return 0, 2 end
    return 1, 0
  end

  it("dissects crafted packets under BPF_PROG_TEST_RUN: the flow keys come back", function()
    local OK, DROP = verdicts()
    local coll = assert(ebpf.elf.load(helpers.testdata("flow/dissect.bpf.o")))
    local p = coll.programs.dissect
    assert.equal("flow_dissector", p.type)
    -- IPv4 / TCP 1234 -> 80
    local ip = string.pack(">BBI2I2I2BBI2", 0x45, 0, 40, 1, 0, 64, 6, 0) .. SRC4 .. DST4
    local ret, _, out = p:run(ETH4 .. ip .. string.pack(">I2I2", 1234, 80) .. string.rep("\0", 16),
      { data_out = 64 })
    assert.equal(OK, ret) -- BPF_OK
    assert.equal(56, #out.data)
    local k = keys(out.data)
    assert.same({ 14, 34, 0x0800, 0, 6, 0x0800, 1234, 80 },
      { k.nhoff, k.thoff, k.addr_proto, k.is_frag, k.ip_proto, k.n_proto, k.sport, k.dport })
    assert.equal(SRC4 .. DST4, k.addrs:sub(1, 8))
    -- IPv6 / UDP 5353 -> 53
    local ip6 = string.pack(">I4I2BB", 0x60000000, 8, 17, 64) .. SRC6 .. DST6
    ret, _, out = p:run(ETH6 .. ip6 .. string.pack(">I2I2I2I2", 5353, 53, 8, 0), { data_out = 64 })
    assert.equal(OK, ret)
    k = keys(out.data)
    assert.same({ 14, 54, 0x86dd, 17, 0x86dd, 5353, 53 },
      { k.nhoff, k.thoff, k.addr_proto, k.ip_proto, k.n_proto, k.sport, k.dport })
    assert.equal(SRC6 .. DST6, k.addrs)
    -- an IPv4 fragment: addresses, no ports
    local frag = string.pack(">BBI2I2I2BBI2", 0x45, 0, 40, 1, 0x2000, 64, 17, 0) .. SRC4 .. DST4
    ret, _, out = p:run(ETH4 .. frag .. string.rep("\0", 8), { data_out = 64 })
    assert.equal(OK, ret)
    k = keys(out.data)
    assert.same({ 1, 17, 0, 0 }, { k.is_frag, k.ip_proto, k.sport, k.dport })
    -- truncated IPv4 header, and ARP: BPF_DROP
    assert.equal(DROP, (p:run(ETH4 .. "\69\0\0", { data_out = 64 })))
    assert.equal(DROP, (p:run(ETH4:sub(1, 12) .. "\8\6" .. string.rep("\0", 28), { data_out = 64 })))
    assert.equal(5, coll.vars.runs)
    coll:close()
  end)

  it("dissects the real packets of its netns while attached, not after", function()
    local r = run("unshare -nm sh -c 'ip link set lo up && exec \"$0\" \"$@\"'", "flow_dissector_traffic", 4310, 6)
    assert.matches("flow_dissector netns", r.link, 1, true)
    -- every datagram dissected while attached (RPS hashes it on receive), none after
    assert.same({ received = "6", udp_runs = "6", last_dport = "4310", received_after = "6", udp_runs_after = "6" },
      { received = r.received, udp_runs = r.udp_runs, last_dport = r.last_dport, received_after = r.received_after,
        udp_runs_after = r.udp_runs_after })
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
