--- ebpf.cli.struct_ops: `ebpf struct_ops show|list|register|unregister`.
-- @module ebpf.cli.struct_ops

local json = require "ebpf.json"
local util = require "ebpf.cli.util"
local records = require "ebpf.cli.records"

local lib, usage_error, fail = util.lib, util.usage_error, util.fail

local LINK_FLAG = 1 << 13 -- BPF_F_LINK: registered through a link, not by the map update

-- The kernel struct a struct_ops map implements ("tcp_congestion_ops").
local function kernel_struct(type_id)
  local ok, t = pcall(function() return lib().btf.kernel():type(type_id) end)
  local name = ok and t and t.name or nil
  return name and name:gsub("^bpf_struct_ops_", "") or nil
end

local function record(id)
  local r, err = records.map(id)
  if not r then return nil, err end
  if r.type ~= "struct_ops" then return nil, ("map %d is not a struct_ops map"):format(id) end
  return json.object { { "id", r.id }, { "name", r.name },
    { "kernel_struct_ops", kernel_struct(r.btf_vmlinux_value_type_id or 0) } }
end

local sub = {}

local function show(ctx, args)
  local list
  if args:more() then
    list = records.some(util.refs(args, "map"), record)
    args:done()
  else
    list = json.array()
    for _, r in ipairs(records.all(lib().map.ids, records.map)) do
      if r.type == "struct_ops" then list[#list + 1] = record(r.id) end
    end
  end
  if ctx.json then
    if #list == 1 and args.i > 2 then return ctx.emit(list[1]) end
    return ctx.emit(list)
  end
  for _, r in ipairs(list) do
    ctx.out(("%d: %s  %s\n"):format(r.id, util.printable(r.name), r.kernel_struct_ops or "?"))
  end
end
sub.show, sub.list = show, show

-- Loads OBJ: plain .struct_ops maps register at load; .struct_ops.link
-- maps get a link, pinned under LINK_DIR (without it they end with us).
function sub.register(ctx, args)
  local obj = args:next("object file")
  local link_dir = args:more() and args:next("link directory") or nil
  args:done()
  local eb = lib()
  local coll, err = util.try(eb.load, obj)
  if not coll then fail(err) end
  local done, plain = json.array(), {}
  local ok, e = pcall(function()
    for name, m in pairs(coll.maps) do
      local info = m:info()
      if info and info.type == "struct_ops" then
        local r = json.object { { "name", name }, { "id", info.id } }
        if info.map_flags & LINK_FLAG == 0 then
          local l, lerr = util.try(eb.link.struct_ops, m) -- registered; kept below once all went well
          if not l then fail(lerr) end
          plain[#plain + 1] = l
        else
          local l, lerr = util.try(eb.link.struct_ops, m)
          if not l then fail(lerr) end
          if link_dir then
            local pok, perr = util.try(l.pin, l, link_dir .. "/" .. name)
            if not pok then fail(perr) end
            r.link = link_dir .. "/" .. name
          else
            ctx.err(("ebpf struct_ops: note: %s is a link-based struct_ops; without LINK_DIR it ends with this "
              .. "command\n"):format(util.printable(name)))
          end
        end
        done[#done + 1] = r
      end
    end
    for _, l in ipairs(plain) do
      local kok, kerr = l:keep_registered()
      if not kok then fail(kerr) end
    end
  end)
  coll:close()
  if not ok then error(e, 0) end
  if #done == 0 then fail(obj .. ": no struct_ops map") end
  if ctx.json then return ctx.emit(done) end
  for _, r in ipairs(done) do ctx.out(("registered %s (map id %d)\n"):format(util.printable(r.name), r.id)) end
end

-- Unregistering deletes the map's only element (key 0).
function sub.unregister(ctx, args)
  local m = util.open_ref(args, "map")
  args:done()
  local info = m:info()
  local ok, err
  if not info or info.type ~= "struct_ops" then
    ok, err = false, "not a struct_ops map"
  else
    ok, err = util.try(m.delete, m, string.pack("<I4", 0))
  end
  m:close()
  if not ok then fail(err) end
  if ctx.json then ctx.emit(json.null) end
end

return {
  summary = "show, register and unregister struct_ops maps",
  usage = "ebpf struct_ops { show | list } [STRUCT_OPS_MAP]\n       ebpf struct_ops register OBJ [LINK_DIR]\n"
    .. "       ebpf struct_ops unregister STRUCT_OPS_MAP\n"
    .. "STRUCT_OPS_MAP := { id ID | name NAME | pinned FILE | ID }",
  run = function(ctx, args)
    local w = args:next("a struct_ops command (show, list, register, unregister)")
    local f = sub[w] or usage_error("unknown struct_ops command '" .. util.printable(w) .. "'")
    return f(ctx, args)
  end,
}
