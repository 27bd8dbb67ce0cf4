--- ebpf.cli.iter: `ebpf iter pin OBJ PATH [map MAP]`: an iterator link
-- pinned in bpffs; reading the pin (cat PATH) runs the iterator.
-- @module ebpf.cli.iter

local json = require "ebpf.json"
local util = require "ebpf.cli.util"

local lib, usage_error, fail = util.lib, util.usage_error, util.fail

local function pin(ctx, args)
  local obj = args:next("object file")
  local path = args:next("pin path")
  local map_id
  if args:accept("map") then map_id = util.ref(args, "map") end
  args:done()
  local eb = lib()
  local coll, err = util.try(eb.load, obj)
  if not coll then fail(err) end
  local ok, e = pcall(function()
    local names = {}
    for name, p in pairs(coll.programs) do
      if (p.section or ""):match("^iter") then names[#names + 1] = name end
    end
    table.sort(names)
    if #names == 0 then fail(obj .. ": no iterator program (section iter/...)") end
    local opts
    if map_id then
      local m, merr = eb.map.from_id(map_id)
      if not m then fail(merr) end
      opts = { map = m }
    end
    local l, lerr = util.try(eb.link.iter, coll.programs[names[1]], opts)
    if opts then opts.map:close() end
    if not l then fail(lerr) end
    local pok, perr = util.try(l.pin, l, path)
    if not pok then fail(perr) end
    l:close()
  end)
  coll:close()
  if not ok then error(e, 0) end
  if ctx.json then ctx.emit(json.null) end
end

return {
  summary = "pin an iterator link (reading the pin runs it)",
  usage = "ebpf iter pin OBJ PATH [map MAP]",
  run = function(ctx, args)
    local w = args:next("an iter command (pin)")
    if w ~= "pin" then usage_error("unknown iter command '" .. util.printable(w) .. "'") end
    return pin(ctx, args)
  end,
}
