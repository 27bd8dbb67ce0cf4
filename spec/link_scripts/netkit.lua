-- netkit half of spec/link_newest_spec.lua, run inside the primary's
-- netns (ip netns exec A): attaches programs to the primary device nkA
-- whose peer nkB lives in netns B, sends UDP both ways and prints
-- key=value lines. Usage: lua5.4 netkit.lua PEER_NS
local build = os.getenv("EBPF_BUILD") or "build"
package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
package.cpath = build .. "/?.so;" .. package.cpath
package.loaded.busted = {} -- helpers.lua without busted hooks
local helpers = require "helpers"
local ebpf = require "ebpf"
local socket = require "socket"
local core = require "ebpf.core"

local peer_ns = assert(arg[1], "usage: netkit.lua PEER_NS")
local function out(k, v) io.write(k, "=", tostring(v), "\n") io.flush() end
local function send(ip, n)
  local s = assert(socket.udp())
  for i = 1, n do assert(s:sendto("m" .. i, ip, 4243)) end
  s:close()
end
local function peer_send(n) -- from the peer's netns, out through nkB
  assert(os.execute(("ip netns exec %s lua5.4 spec/link_scripts/netkit.lua --send %d"):format(peer_ns, n)))
end

if peer_ns == "--send" then
  send("10.198.0.1", tonumber(arg[2]))
  os.exit(0)
end

local fds = core.open_fds()
do
  local coll <close> = assert(ebpf.load(helpers.testdata("newest/netkit.bpf.o")))
  local P = coll.programs
  local prim = assert(ebpf.link.netkit(P.nk_primary, "nkA"))
  local peer = assert(ebpf.link.netkit(P.nk_peer, "nkA", { side = "peer" }))
  out("info", prim:info().type .. " " .. tostring(prim))
  send("10.198.0.2", 3)   -- out of nkA: the primary side's programs
  peer_send(5)            -- out of nkB: the peer side's programs
  out("primary", coll.vars.primary_hits)
  out("peer", coll.vars.peer_hits)
  local q = assert(ebpf.link.query("nkA", "netkit_primary"))
  out("query_n", #q.programs)
  out("query_prog", q.programs[1].id == P.nk_primary:info().id)
  out("query_link", q.programs[1].link_id == prim:info().id)
  local rev = q.revision
  -- a second primary program before the first, at the revision just read
  local second = assert(ebpf.link.netkit(P.nk_second, "nkA", { before = prim, expected_revision = rev }))
  q = assert(ebpf.link.query("nkA", "netkit_primary"))
  out("order", (q.programs[1].id == P.nk_second:info().id and "second,first" or "first,second"))
  out("revision_grew", q.revision == rev + 1)
  local stale, err = ebpf.link.netkit(P.nk_peer, "nkA", { expected_revision = rev }) -- the primary hook moved on
  out("stale", stale == nil and tostring(err):match("expected revision %d+ is stale") ~= nil)
  send("10.198.0.2", 2)
  out("second", coll.vars.second_hits)
  out("primary2", coll.vars.primary_hits)
  for _, l in ipairs { second, peer, prim } do l:close() end
  send("10.198.0.2", 2)
  out("primary_after", coll.vars.primary_hits)
  q = assert(ebpf.link.query("nkA", "netkit_primary"))
  out("query_after", #q.programs)
  local bad, berr = ebpf.link.netkit(P.nk_primary, "lo")
  out("not_netkit", bad == nil and tostring(berr))
end
collectgarbage() collectgarbage()
out("fds_ok", core.open_fds() == fds and "done" or "leak")
