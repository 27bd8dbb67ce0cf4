-- BPF_PROG_QUERY half of spec/link_newest_spec.lua, run under `unshare -n`
-- (its own lo and netns): tcx ordering by revision on lo, a cgroup and a
-- netns hook. Usage: lua5.4 query.lua CGROUP_DIR; prints key=value lines.
local build = os.getenv("EBPF_BUILD") or "build"
package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
package.cpath = build .. "/?.so;" .. package.cpath
package.loaded.busted = {} -- helpers.lua without busted hooks
local ebpf = require "ebpf"
local core = require "ebpf.core"
local U = require "link_util"
local link = ebpf.link

local cg = assert(arg[1], "usage: query.lua CGROUP_DIR")
local function out(k, v) io.write(k, "=", tostring(v), "\n") io.flush() end
local function ids(q)
  local t = {}
  for i, p in ipairs(q.programs) do t[i] = p.id end
  return table.concat(t, ",")
end

local fds = core.open_fds()
do
  assert(os.execute("ip link set lo up"))
  local m = U.array()
  local a = U.prog("sched_cls", m, { key = 0 })
  local b = U.prog("sched_cls", m, { key = 1 })
  local c = U.prog("sched_cls", m, { key = 2 })
  local id = function(p) return p:info().id end
  local q0 = assert(link.query("lo", "tcx_ingress"))
  out("empty", #q0.programs)
  local la = assert(link.tcx(a, "lo"))
  local q1 = assert(link.query("lo", "tcx_ingress"))
  out("rev_grew", q1.revision == q0.revision + 1)
  out("link_id", q1.programs[1].link_id == la:info().id)
  local lb = assert(link.tcx(b, "lo", { before = a, expected_revision = q1.revision }))
  local lc = assert(link.tcx(c, "lo", { after = true }))
  local q2 = assert(link.query("lo", "tcx_ingress"))
  out("order", ids(q2) == table.concat({ id(b), id(a), id(c) }, ","))
  local stale, err = link.tcx(c, "lo", { expected_revision = q1.revision })
  out("stale", stale == nil and tostring(err):match("is stale") ~= nil)
  lb:close()
  out("after_close", ids(assert(link.query("lo", "tcx_ingress"))) == id(a) .. "," .. id(c))
  la:close() lc:close()

  local g = U.prog("cgroup_skb", m, { key = 3 }, { expected_attach_type = "cgroup_inet_ingress" })
  local lg = assert(link.cgroup(g, cg))
  local qg = assert(link.query(cg, "cgroup_inet_ingress"))
  out("cgroup", #qg.programs == 1 and qg.programs[1].id == id(g))
  lg:close()
  out("cgroup_after", #assert(link.query(cg, "cgroup_inet_ingress")).programs)

  local s = assert(ebpf.program { type = "sk_lookup", expected_attach_type = "sk_lookup", name = "pass",
                                  insns = string.pack("<BBhi", 0xb7, 0, 0, 1) .. string.pack("<BBhi", 0x95, 0, 0, 0) })
  local ls = assert(link.netns(s))
  local qn = assert(link.query(nil, "sk_lookup")) -- (netns hooks report no link ids)
  out("netns", #qn.programs == 1 and qn.programs[1].id == id(s))
  ls:close()
  local bad, berr = link.query("no-such-if0", "tcx_ingress")
  out("no_iface", bad == nil and tostring(berr))
end
collectgarbage() collectgarbage()
out("fds_ok", core.open_fds() == fds and "done" or "leak")
