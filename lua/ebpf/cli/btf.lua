--- ebpf.cli.btf: `ebpf btf show|list|dump`.
-- @module ebpf.cli.btf

local util = require "ebpf.cli.util"
local records = require "ebpf.cli.records"

local lib, usage_error, fail = util.lib, util.usage_error, util.fail

local sub = {}

local function show(ctx, args)
  local users = records.btf_users()
  local list
  if args:more() then
    list = records.some(util.refs(args, "btf"), records.btf, users)
    args:done()
  else
    list = records.all(lib().btf.ids, records.btf, users)
  end
  if ctx.json then
    if #list == 1 and args.i > 2 then return ctx.emit(list[1]) end
    return ctx.emit(list)
  end
  local rows = { { "ID", "NAME", "SIZE", "KERNEL", "PROGS", "MAPS" } }
  for _, b in ipairs(list) do
    rows[#rows + 1] = { tostring(b.id), util.printable(b.name or ""), tostring(b.size), b.kernel and "yes" or "no",
      table.concat(b.prog_ids, ","), table.concat(b.map_ids, ",") }
  end
  return ctx.out(util.columns(rows))
end
sub.show, sub.list = show, show

-- The BTF id behind `map MAP` or `prog PROG`.
local function owner_btf(args, kind)
  local o = util.open_ref(args, kind)
  local info, err = o:info()
  o:close()
  if not info then fail(err) end
  if info.btf_id == 0 then fail(("%s %d has no BTF"):format(kind, info.id)) end
  return info.btf_id
end

-- `dump { id ID | file FILE | map MAP [key|value|kv|all] | prog PROG | ID | FILE } [format c|raw]`
function sub.dump(ctx, args)
  local what = args:next("BTF source (id ID, file FILE, map MAP, prog PROG)")
  local id, file
  if what == "id" then
    id = util.check_id(args:next("btf id"), "btf")
  elseif what == "file" then
    file = args:next("BTF file")
  elseif what == "map" then
    id = owner_btf(args, "map")
    local part = args:peek()
    if part == "key" or part == "value" or part == "kv" or part == "all" then args:next("part") end
  elseif what == "prog" then
    id = owner_btf(args, "prog")
  elseif what:match("^%d+$") then
    id = util.check_id(what, "btf")
  else
    file = what
  end
  local format = ctx.opts.format
  if args:accept("format") then format = args:next("format (c or raw)") end
  args:done()
  format = format or "c"
  if format ~= "c" and format ~= "raw" then usage_error("format must be 'c' or 'raw'") end
  local core, btf = lib().core, lib().btf
  if format == "raw" then
    if id then
      local b, err = core.btf_bytes(id)
      if not b then fail(err) end
      return ctx.out(b)
    end
    local s, err = core.read_file(file, "BTF file")
    if not s then fail(err) end
    return ctx.out(s)
  end
  local b, err
  if id then
    b, err = util.try(btf.from_id, id)
  else
    b, err = util.try(btf.load, file)
  end
  if not b then fail(err) end
  local text, derr = b:dump_c()
  if not text then fail(derr) end
  return ctx.out(text)
end

return {
  summary = "list BTF objects (with their programs and maps), dump one as C or raw",
  usage = "ebpf btf { show | list } [id ID | ID]\n"
    .. "       ebpf btf dump { id ID | file FILE | map MAP | prog PROG | ID | FILE } [format { c | raw }]\n"
    .. "       (also: --format c|raw)",
  flags = { ["--format"] = true },
  run = function(ctx, args)
    local w = args:next("a btf command (show, list, dump)")
    local f = sub[w] or usage_error("unknown btf command '" .. util.printable(w) .. "'")
    return f(ctx, args)
  end,
}
