-- Network halves of the link specs, run by spec/link_net_spec.lua inside
-- network namespaces the spec creates (unshare -n / ip netns exec), so no
-- host interface is touched. Usage: lua5.4 net.lua CASE ARGS...; prints
-- key=value lines.
local build = os.getenv("EBPF_BUILD") or "build"
package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
package.cpath = build .. "/?.so;" .. package.cpath
package.loaded.busted = {} -- helpers.lua without busted hooks
local helpers = require "helpers"
local ebpf = require "ebpf"
local socket = require "socket"
local U = require "link_util"
local link = ebpf.core.link

local function out(k, v) io.write(k, "=", tostring(v), "\n") io.flush() end
local function tc_filters()
  local f = io.popen("tc filter show dev vA ingress | grep -c 'direct-action'")
  local n = f:read("a"):gsub("%s", "")
  f:close()
  return n
end
local function peer_send(peer_ns, port, n)
  assert(os.execute(("ip netns exec %s lua5.4 spec/link_scripts/net.lua udp_send 10.199.0.1 %d %d >/dev/null"):format(
    peer_ns, port, n)))
end
local function sh(cmd) assert(os.execute(cmd), cmd) end

local function udp_receiver(ip, port)
  local r = assert(socket.udp())
  assert(r:setsockname(ip, port))
  return r
end

local function drain(r, expect)
  local got = {}
  r:settimeout(expect > 0 and 2 or 0.2)
  while true do
    local d = r:receive()
    if not d then break end
    got[#got + 1] = d
    if #got >= expect then r:settimeout(0.05) end
  end
  return got
end

local function send(ip, port, msgs)
  local s = assert(socket.udp())
  local ok = 0
  for _, m in ipairs(msgs) do
    if s:sendto(m, ip, port) then ok = ok + 1 end
  end
  s:close()
  return ok
end

local cases = {}

-- udp_send IP PORT N: N datagrams, prints how many send calls succeeded
function cases.udp_send(ip, port, n)
  local msgs = {}
  for i = 1, tonumber(n) do msgs[i] = "m" .. i end
  out("sent", send(ip, tonumber(port), msgs))
end

-- veth KIND ACTION PEER [TCX]: attach KIND (xdp, xdp_generic, tcx, tc =
-- classic, tc_auto = tc without a mode) on vA in this netns, peer netns
-- PEER sends 7 datagrams to 10.199.0.1:4242. TCX (tc_auto): "probed", or
-- the answer the "tcx" link probe is forced to give.
function cases.veth(kind, action, peer_ns, tcx)
  local port, n = 4242, 7
  local m = U.array()
  local skb = kind:match("^tc") ~= nil
  if tcx and tcx ~= "probed" then ebpf.features.override("link", "tcx", tcx) end
  local pass = kind:match("^xdp") and 2 or 0          -- XDP_PASS / TC_ACT_OK / TCX_PASS
  local drop = kind:match("^xdp") and 1 or 2          -- XDP_DROP / TC_ACT_SHOT / TCX_DROP
  local filter = { data_off = skb and 76 or 0, proto = 17, dport = port }
  local p = U.prog(skb and "sched_cls" or "xdp", m,
    { packet = filter, ret = action == "drop" and drop or pass, ret_out = pass })
  local l
  if kind == "xdp" then l = assert(link.xdp(p, "vA"))
  elseif kind == "xdp_generic" then l = assert(link.xdp(p, "vA", { mode = "generic" }))
  elseif kind == "tcx" then l = assert(link.tcx(p, "vA"))
  elseif kind == "tc" then l = assert(link.tc(p, "vA", { mode = "classic" }))
  elseif kind == "tc_auto" then l = assert(link.tc(p, "vA"))
  end
  out("link", tostring(l))
  out("kind", l.kind)
  if kind:match("^tc") then out("filters", tc_filters()) end
  local r = udp_receiver("10.199.0.1", port)
  peer_send(peer_ns, port, n)
  out("received", #drain(r, action == "drop" and 0 or n))
  out("counted", m[0])
  if kind == "xdp" or kind == "tcx" then
    local info = assert(l:info())
    out("info_ifindex", info.ifindex == socket.dns and 0 or info.ifindex)
  end
  l:close()
  if kind:match("^tc") then out("filters_after", tc_filters()) end
  peer_send(peer_ns, port, n)
  out("received_after", #drain(r, n))
  out("counted_after", m[0])
  r:close()
end

-- tcx_order: A counts (key 0) and passes on (TCX_NEXT); B inserted before A
-- counts (key 1) and drops, so A sees nothing; then C after A counts (key
-- 2) and drops: A sees everything, C too, nothing is received.
function cases.tcx_order(peer_ns)
  local port = 4243
  local m = U.array()
  local filter = { data_off = 76, proto = 17, dport = port }
  local pa = U.prog("sched_cls", m, { packet = filter, key = 0, ret = -1, ret_out = -1 })
  local pb = U.prog("sched_cls", m, { packet = filter, key = 1, ret = 2, ret_out = -1 })
  local pc = U.prog("sched_cls", m, { packet = filter, key = 2, ret = 2, ret_out = -1 })
  local la = assert(link.tcx(pa, "vA"))
  local r = udp_receiver("10.199.0.1", port)
  local function burst(n)
    peer_send(peer_ns, port, n)
    return #drain(r, n)
  end
  local lb = assert(link.tcx(pb, "vA", { before = la }))
  out("received1", burst(3))
  out("a1", m[0]) out("b1", m[1])
  lb:close()
  local lc = assert(link.tcx(pc, "vA", { after = la }))
  out("received2", burst(4))
  out("a2", m[0]) out("b2", m[1]) out("c2", m[2])
  lc:close()
  out("received3", burst(2))
  out("a3", m[0])
  la:close() r:close()
end

-- netfilter: local_in IPv4 counter on this (fresh) netns' loopback
function cases.netfilter(action)
  sh("ip link set lo up")
  local port = 4244
  local m = U.array()
  local p = U.prog("netfilter", m, { ret = action == "drop" and 0 or 1 }, { expected_attach_type = "netfilter" })
  local l = assert(link.netfilter(p, { family = "ipv4", hook = "local_in", priority = -128 }))
  out("link", tostring(l))
  local info = assert(l:info())
  out("info", ("%s %d %d %d"):format(info.type, info.pf, info.hooknum, info.priority))
  local r = udp_receiver("127.0.0.1", port)
  send("127.0.0.1", port, { "a", "b", "c", "d", "e" })
  out("received", #drain(r, action == "drop" and 0 or 5))
  out("counted", m[0])
  l:close()
  send("127.0.0.1", port, { "f", "g" })
  out("received_after", #drain(r, 2))
  out("counted_after", m[0])
end

-- socket filter: drop datagrams whose payload starts with 'D'
function cases.sockfilter()
  sh("ip link set lo up")
  local port = 4245
  local I = helpers.insns
  local insns = I {
    { 0xbf, 6, 1 },                 -- r6 = skb
    { 0x61, 2, 6, 0 },              -- r2 = skb->len
    { 0x07, 2, 0, 0, -2 },          -- r2 -= 2 (payloads are 2 bytes)
    { 0xbf, 1, 6 },
    { 0xbf, 3, 10 }, { 0x07, 3, 0, 0, -8 },
    { 0xb7, 4, 0, 0, 1 },
    { 0x85, 0, 0, 0, 26 },          -- skb_load_bytes(skb, len-2, fp-8, 1)
    { 0x55, 0, 0, 4, 0 },           -- if r0 != 0 goto keep
    { 0x71, 2, 10, -8 },            -- r2 = first payload byte
    { 0x55, 2, 0, 2, string.byte("D") },
    { 0xb7, 0, 0, 0, 0 },           -- drop
    { 0x95 },
    { 0xb7, 0, 0, 0, 0xffff },      -- keep: whole packet
    { 0x95 },
  }
  local p = assert(ebpf.program { type = "socket_filter", insns = insns, name = "dropD" })
  local r = udp_receiver("127.0.0.1", port)
  local l = assert(link.socket(p, r))
  out("link", tostring(l))
  send("127.0.0.1", port, { "D1", "K1", "D2", "K2", "K3" })
  out("received", table.concat(drain(r, 3), ","))
  l:close()
  send("127.0.0.1", port, { "D3", "K4" })
  out("received_after", table.concat(drain(r, 2), ","))
  r:close()
end

-- sk_lookup: connections to port B land on the listener of port A
function cases.sk_lookup()
  sh("ip link set lo up")
  local server = assert(socket.bind("127.0.0.1", 0))
  local _, pa = server:getsockname()
  pa = tonumber(pa)
  local pb = pa == 65535 and pa - 1 or pa + 1
  local sm = assert(ebpf.map { type = "sockmap", key_size = 4, value_size = 8, max_entries = 1 })
  sm[0] = server:getfd()
  local I = helpers.insns
  local smfd = sm:fd()
  local insns = I {
    { 0xbf, 6, 1 },
    { 0x61, 2, 6, 60 },                         -- local_port
    { 0x55, 2, 0, 15, pb },                     -- not B: pass
    { 0x18, 1, 1, 0, smfd }, { 0, 0, 0, 0, 0 }, -- r1 = sockmap
    { 0xbf, 2, 10 }, { 0x07, 2, 0, 0, -4 },
    { 0x62, 10, 0, -4, 0 },
    { 0x85, 0, 0, 0, 1 },                       -- lookup -> sk
    { 0x15, 0, 0, 8, 0 },                       -- null: pass
    { 0xbf, 7, 0 },
    { 0xbf, 1, 6 }, { 0xbf, 2, 7 }, { 0xb7, 3, 0, 0, 0 },
    { 0x85, 0, 0, 0, 124 },                     -- sk_assign
    { 0xbf, 1, 7 },
    { 0x85, 0, 0, 0, 86 },                      -- sk_release
    { 0x05, 0, 0, 0, 0 },                       -- goto pass
    { 0xb7, 0, 0, 0, 1 }, { 0x95 },             -- pass: SK_PASS
  }
  local p = assert(ebpf.program { type = "sk_lookup", expected_attach_type = "sk_lookup", insns = insns,
                                  name = "steer" })
  local l = assert(link.netns(p))
  out("link", tostring(l))
  out("info", l:info().type .. " " .. l:info().attach_type)
  local c = socket.tcp()
  c:settimeout(2)
  out("connect", tostring(c:connect("127.0.0.1", pb)))
  server:settimeout(2)
  local a = server:accept()
  c:send("hello\n")
  out("accepted", a and a:receive("*l") or "none")
  if a then a:close() end
  c:close()
  l:close()
  local c2 = socket.tcp()
  c2:settimeout(2)
  local ok, err = c2:connect("127.0.0.1", pb)
  out("connect_after", tostring(ok) .. " " .. tostring(err))
  c2:close()
  server:close()
end

-- sk_msg on a sockmap: counts the messages a socket in the map sends
function cases.sockmap()
  sh("ip link set lo up")
  local server = assert(socket.bind("127.0.0.1", 0))
  local _, port = server:getsockname()
  local c = assert(socket.connect("127.0.0.1", tonumber(port)))
  local a = assert(server:accept())
  local sm = assert(ebpf.map { type = "sockmap", key_size = 4, value_size = 8, max_entries = 2 })
  local m = U.array()
  local p = U.prog("sk_msg", m, { ret = 1 }, { expected_attach_type = "sk_msg_verdict" })
  local l = assert(link.sockmap(p, sm, "sk_msg_verdict"))
  out("link", tostring(l))
  sm[0] = c:getfd()
  for i = 1, 3 do c:send("x" .. i .. "\n") end
  a:settimeout(2)
  local got = {}
  for _ = 1, 3 do got[#got + 1] = a:receive("*l") end
  out("received", table.concat(got, ","))
  out("counted", m[0])
  sm[0] = nil
  l:close()
  c:close() a:close() server:close()
end

-- flow_dissector: attach to this netns, read back its info
function cases.flow_dissector()
  local insns = helpers.return_imm(0)
  local p = assert(ebpf.program { type = "flow_dissector", insns = insns, name = "fd" })
  local l = assert(link.netns(p))
  out("link", tostring(l))
  local info = l:info()
  out("info", info.type .. " " .. info.attach_type)
  local f = assert(io.open("/proc/self/ns/net")) f:close()
  local ino = io.popen("stat -L -c %i /proc/self/ns/net"):read("a"):gsub("%s", "")
  out("ino_ok", tostring(tonumber(ino) == info.netns_ino))
  l:close()
end

-- tcp_bulk PORT BYTES: one TCP connection over loopback in this netns
-- moves BYTES (non-blocking sockets, one process); prints what arrived and
-- the netns's default congestion control
function cases.tcp_bulk(port, bytes)
  port, bytes = tonumber(port), tonumber(bytes)
  local srv = assert(socket.bind("127.0.0.1", port))
  local c = assert(socket.connect("127.0.0.1", port))
  local conn = assert(srv:accept())
  c:settimeout(0)
  conn:settimeout(0)
  local chunk = string.rep("x", 65536)
  local sent, got = 0, 0
  local deadline = socket.gettime() + 20
  while got < bytes and socket.gettime() < deadline do
    if sent < bytes then
      local piece = chunk:sub(1, math.min(#chunk, bytes - sent))
      local n, _, partial = c:send(piece)
      sent = sent + (n or partial or 0)
    end
    local d, _, partial = conn:receive(65536)
    got = got + #(d or partial or "")
  end
  c:close()
  conn:close()
  srv:close()
  local f = assert(io.open("/proc/sys/net/ipv4/tcp_congestion_control"))
  out("cc", (f:read("l")))
  f:close()
  out("received", got)
end

-- flow_dissector_traffic PORT N: testdata/flow/dissect.bpf.o attached to
-- this netns; N UDP datagrams over lo, whose RPS (enabled here, sysfs
-- remounted for this netns) hashes each packet through the flow
-- dissector; again after the link is closed
function cases.flow_dissector_traffic(port, n)
  port, n = tonumber(port), tonumber(n)
  sh("mount -t sysfs sysfs /sys && echo 1 > /sys/class/net/lo/queues/rx-0/rps_cpus")
  local coll = assert(ebpf.elf.load(build .. "/testdata/flow/dissect.bpf.o"))
  local l = assert(coll.programs.dissect:attach())
  out("link", tostring(l))
  local r = udp_receiver("127.0.0.1", port)
  local msgs = {}
  for i = 1, n do msgs[i] = "d" .. i end
  send("127.0.0.1", port, msgs)
  out("received", #drain(r, n))
  out("udp_runs", coll.vars.udp_runs)
  out("last_dport", coll.vars.last_dport)
  l:close()
  send("127.0.0.1", port, msgs)
  out("received_after", #drain(r, n))
  out("udp_runs_after", coll.vars.udp_runs)
  r:close()
  coll:close()
end

local case = assert(cases[arg[1]], "unknown case " .. tostring(arg[1]))
case(table.unpack(arg, 2))
out("fds_ok", "done")
