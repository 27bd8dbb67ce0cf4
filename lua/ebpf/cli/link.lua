--- ebpf.cli.link: `ebpf link show|list|pin|detach`.
-- @module ebpf.cli.link

local json = require "ebpf.json"
local util = require "ebpf.cli.util"
local records = require "ebpf.cli.records"

local lib, usage_error, fail = util.lib, util.usage_error, util.fail

local sub = {}

-- What the link is attached to, in a few words (text output).
local function target(l)
  if l.tp_name then return l.tp_name end
  if l.ifindex then return ("%s (ifindex %d)"):format(l.devname or "?", l.ifindex) end
  if l.cgroup_id then return "cgroup " .. l.cgroup_id end
  if l.netns_ino then return "netns " .. l.netns_ino end
  if l.map_id then return "map " .. l.map_id end
  if l.hook then return ("%s %s prio %d"):format(l.pf, l.hook, l.prio) end
  if l.target_btf_id and l.target_btf_id ~= 0 then return "btf " .. l.target_btf_id end
  return ""
end

local function show(ctx, args)
  local list
  if args:more() then
    list = records.some(util.refs(args, "link"), records.link)
    args:done()
  else
    list = records.all(lib().link.ids, records.link)
  end
  if ctx.json then
    if #list == 1 and args.i > 2 then return ctx.emit(list[1]) end
    return ctx.emit(list)
  end
  local rows = { { "ID", "TYPE", "PROG", "ATTACH", "TARGET" } }
  for _, l in ipairs(list) do
    rows[#rows + 1] = { tostring(l.id), l.type, tostring(l.prog_id), l.attach_type or "", util.printable(target(l)) }
  end
  return ctx.out(util.columns(rows))
end
sub.show, sub.list = show, show

function sub.pin(ctx, args)
  local l = util.open_ref(args, "link")
  local path = args:next("pin path")
  args:done()
  local ok, err = util.try(l.pin, l, path)
  l:close()
  if not ok then fail(err) end
  if ctx.json then ctx.emit(json.null) end
end

-- Detaching ends the attachment for every holder of the link (and its pins).
function sub.detach(ctx, args)
  local l = util.open_ref(args, "link")
  args:done()
  local ok, err = util.try(l.detach, l)
  pcall(l.close, l)
  if not ok then fail(err) end
  if ctx.json then ctx.emit(json.null) end
end

return {
  summary = "show, pin and detach links",
  usage = "ebpf link { show | list } [LINK]\n       ebpf link pin LINK FILE\n       ebpf link detach LINK\n"
    .. "LINK := { id ID | pinned FILE | ID }",
  run = function(ctx, args)
    local w = args:next("a link command (show, list, pin, detach)")
    local f = sub[w] or usage_error("unknown link command '" .. util.printable(w) .. "'")
    return f(ctx, args)
  end,
}
