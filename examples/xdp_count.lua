-- xdp_count: creates a veth pair (one end in a network namespace), counts
-- the packets arriving on the other end with XDP, sends some UDP datagrams
-- through it, and prints the counts by protocol. Needs root and iproute2.
-- usage: lua5.4 examples/xdp_count.lua [--duration SECONDS]
local ex = dofile((arg[0]:match("^(.*)/") or ".") .. "/common.lua")
local ebpf = ex.ebpf
local opt = ex.args { duration = 1 }

local id = tostring(os.time() % 100000 + math.random(0, 9999))
local ns, host, peer = "ebpfx" .. id, "vebx" .. id, "vebp" .. id
local function sh(cmd) assert(os.execute(cmd), "failed: " .. cmd) end
local function cleanup()
  os.execute(("ip link del %s 2>/dev/null; ip netns del %s 2>/dev/null"):format(host, ns))
end
sh(("ip netns add %s"):format(ns))
local ok, err = pcall(function()
  sh(("ip link add %s type veth peer name %s netns %s"):format(host, peer, ns))
  sh(("ip addr add 10.199.0.1/24 dev %s && ip link set %s up"):format(host, host))
  sh(("ip netns exec %s sh -c 'ip addr add 10.199.0.2/24 dev %s && ip link set %s up && ip link set lo up'")
    :format(ns, peer, peer))

  local coll <close> = ex.load("xdp_count")
  local link <close> = assert(ebpf.link.xdp(coll.programs.count_packets, host))
  local n = math.max(5, math.floor(opt.duration * 10))
  -- n UDP datagrams from the namespace to the host end (bash's /dev/udp)
  sh(("ip netns exec %s bash -c 'for i in $(seq %d); do echo ping-$i > /dev/udp/10.199.0.1/9; done'"):format(ns, n))
  ex.sleep(0.2)
  link:close()
  local names = { [0] = "other", "arp", "ipv4/icmp", "ipv4/udp", "ipv4/tcp", "ipv4/other", "ipv6" }
  local packets = coll.maps.packets
  print(("%-12s %8s"):format("PROTOCOL", "PACKETS"))
  local total = 0
  for k = 0, packets.max_entries - 1 do
    local c = packets[k]
    total = total + c
    if c > 0 then print(("%-12s %8d"):format(names[k], c)) end
  end
  print(("xdp: %d packets on %s (%d UDP datagrams sent)"):format(total, host, n))
end)
cleanup()
if not ok then error(err, 0) end
