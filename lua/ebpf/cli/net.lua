--- ebpf.cli.net: `ebpf net show|list [dev NAME]`: programs on network
-- devices (XDP from rtnetlink, classic tc filters from rtnetlink, tcx and
-- netkit from BPF_PROG_QUERY), the netns flow dissector and netfilter links.
-- @module ebpf.cli.net

local json = require "ebpf.json"
local util = require "ebpf.cli.util"
local records = require "ebpf.cli.records"

local lib, usage_error, fail = util.lib, util.usage_error, util.fail

local prog_name = util.prog_name

-- Programs at one BPF_PROG_QUERY hook of a device (none where the hook
-- does not exist: tcx before 6.6, netkit on other devices).
local function query(ifindex, hook)
  local ok, r = pcall(lib().link.query, ifindex, hook)
  return ok and r and r.programs or {}
end

local function xdp_entries(dev, list)
  local x = dev.xdp
  if not x then return end
  local modes = { { "generic", x.generic }, { "driver", x.driver }, { "offload", x.offload } }
  for _, m in ipairs(modes) do
    local id = m[2] or (x.mode == m[1] and x.prog_id) or nil
    if id then
      list[#list + 1] = json.object { { "devname", dev.name }, { "ifindex", dev.ifindex }, { "mode", m[1] },
        { "id", id }, { "name", prog_name(id) } }
    end
  end
end

local function tc_entries(dev, list)
  for _, dir in ipairs { "ingress", "egress" } do
    local filters, err = lib().link.tc_filters(dev.ifindex, dir)
    if not filters then fail(err) end
    for _, f in ipairs(filters) do
      list[#list + 1] = json.object { { "devname", dev.name }, { "ifindex", dev.ifindex },
        { "kind", "clsact/" .. dir }, { "name", f.name }, { "id", f.prog_id }, { "prio", f.prio },
        { "handle", f.handle }, { "direct_action", f.direct_action } }
    end
    for _, p in ipairs(query(dev.ifindex, "tcx_" .. dir)) do
      list[#list + 1] = json.object { { "devname", dev.name }, { "ifindex", dev.ifindex },
        { "kind", "tcx/" .. dir }, { "name", prog_name(p.id) }, { "prog_id", p.id },
        { "link_id", p.link_id ~= 0 and p.link_id or nil } }
    end
  end
  for _, side in ipairs { "primary", "peer" } do
    for _, p in ipairs(query(dev.ifindex, "netkit_" .. side)) do
      list[#list + 1] = json.object { { "devname", dev.name }, { "ifindex", dev.ifindex },
        { "kind", "netkit/" .. side }, { "name", prog_name(p.id) }, { "prog_id", p.id },
        { "link_id", p.link_id ~= 0 and p.link_id or nil } }
    end
  end
end

local function show(ctx, args)
  local only
  if args:accept("dev") then only = args:next("device name") end
  args:done()
  local devs, err = lib().link.net_devices()
  if not devs then fail(err) end
  local xdp, tc = json.array(), json.array()
  local found = not only
  for _, d in ipairs(devs) do
    if not only or d.name == only then
      found = true
      xdp_entries(d, xdp)
      tc_entries(d, tc)
    end
  end
  if not found then fail("no device named '" .. util.printable(only) .. "'") end
  local flow = json.array()
  local ok, q = pcall(lib().link.query, "/proc/self/ns/net", "flow_dissector")
  for _, p in ipairs(ok and q and q.programs or {}) do
    flow[#flow + 1] = json.object { { "id", p.id }, { "name", prog_name(p.id) },
      { "link_id", p.link_id ~= 0 and p.link_id or nil } }
  end
  local nf = json.array()
  for _, l in ipairs(records.all(lib().link.ids, records.link)) do
    if l.type == "netfilter" then
      nf[#nf + 1] = json.object { { "pf", l.pf }, { "hook", l.hook }, { "prio", l.prio }, { "prog_id", l.prog_id },
        { "link_id", l.id } }
    end
  end
  local r = json.object { { "xdp", xdp }, { "tc", tc }, { "flow_dissector", flow }, { "netfilter", nf } }
  if ctx.json then return ctx.emit(json.array { r }) end
  local buf = { "xdp:" }
  for _, e in ipairs(xdp) do
    buf[#buf + 1] = ("%s(%d) %s id %d %s"):format(util.printable(e.devname), e.ifindex, e.mode, e.id,
      util.printable(e.name or ""))
  end
  buf[#buf + 1] = "\ntc:"
  for _, e in ipairs(tc) do
    buf[#buf + 1] = ("%s(%d) %s %s id %d%s"):format(util.printable(e.devname), e.ifindex, e.kind,
      util.printable(e.name or ""), e.id or e.prog_id, e.link_id and (" link " .. e.link_id) or "")
  end
  buf[#buf + 1] = "\nflow_dissector:"
  for _, e in ipairs(flow) do buf[#buf + 1] = ("id %d %s"):format(e.id, util.printable(e.name or "")) end
  buf[#buf + 1] = "\nnetfilter:"
  for _, e in ipairs(nf) do
    buf[#buf + 1] = ("%s %s prio %d prog_id %d link %d"):format(e.pf, e.hook, e.prio, e.prog_id, e.link_id)
  end
  ctx.out(table.concat(buf, "\n") .. "\n")
end

return {
  summary = "show programs attached to network devices (xdp, tc, tcx, netkit), flow dissector, netfilter",
  usage = "ebpf net { show | list } [dev NAME]",
  run = function(ctx, args)
    local w = args:next("a net command (show, list)")
    if w ~= "show" and w ~= "list" then usage_error("unknown net command '" .. util.printable(w) .. "'") end
    return show(ctx, args)
  end,
}
