--- ebpf.cli.prog: `ebpf prog show|list|dump|pin|load|loadall|run|tracelog`.
-- @module ebpf.cli.prog

local json = require "ebpf.json"
local util = require "ebpf.cli.util"
local records = require "ebpf.cli.records"

local lib, usage_error, fail = util.lib, util.usage_error, util.fail

local sub = {}

local function show(ctx, args)
  local list
  if args:more() then
    list = records.some(util.refs(args, "prog"), records.prog)
    args:done()
  else
    list = records.all(lib().program.ids, records.prog)
  end
  if ctx.json then
    -- `show PROG` of one object prints it alone, as bpftool does.
    if #list == 1 and args.i > 2 then return ctx.emit(list[1]) end
    return ctx.emit(list)
  end
  local rows = { { "ID", "TYPE", "NAME", "TAG", "XLATED", "JITED", "MEMLOCK", "MAPS", "BTF", "LOADED" } }
  for _, p in ipairs(list) do
    rows[#rows + 1] = { tostring(p.id), p.type, util.printable(p.name), p.tag, tostring(p.bytes_xlated),
      tostring(p.bytes_jited), tostring(p.bytes_memlock or ""), table.concat(p.map_ids, ","),
      p.btf_id and tostring(p.btf_id) or "", records.iso_time(p.loaded_at) }
  end
  return ctx.out(util.columns(rows))
end
sub.show, sub.list = show, show

function sub.dump(ctx, args)
  local what = args:peek()
  if what == "xlated" then
    args:next("xlated")
  elseif what == "jited" then
    fail("dumping JITed code needs a machine-code disassembler, which ebpf does not have; use 'dump xlated'")
  end
  -- `dump PROG` (no `xlated`) is the older form, kept.
  local p, id = util.open_ref(args, "prog")
  local opts = {}
  while args:more() do
    local w = args:next("option")
    if w == "linum" or w == "opcodes" or w == "visual" then
      opts[w] = true
    elseif w == "file" then
      opts.file = args:next("file name")
    else
      p:close()
      usage_error("unknown dump option '" .. util.printable(w) .. "' (linum, opcodes, file FILE)")
    end
  end
  local ok, err = pcall(require("ebpf.cli.xlated").dump, ctx, p, id, opts)
  p:close()
  if not ok then error(err, 0) end
end

function sub.pin(ctx, args)
  local p = util.open_ref(args, "prog")
  local path = args:next("pin path")
  args:done()
  local ok, err = util.try(p.pin, p, path)
  p:close()
  if not ok then fail(err) end
  if ctx.json then ctx.emit(json.null) end
end

-- Loads an object; returns the collection (sorted program names too).
-- o.type forces every program's type (for sections that do not name
-- one); o.replace = {map name = ebpf.map} reuses existing maps.
local function load_object(path, o)
  local eb = lib()
  local spec, err = util.try(eb.elf.open, path)
  if not spec then fail(err) end
  if o.type then
    util.try(function()
      for _, ps in pairs(spec.programs) do
        ps.type = o.type
        ps.autoload = true
      end
    end)
  end
  local coll, lerr = util.try(spec.load, spec, next(o.replace) and { replace_maps = o.replace } or nil)
  if not coll then fail(lerr) end
  local names = {}
  for name in pairs(coll.programs) do names[#names + 1] = name end
  table.sort(names)
  return coll, names
end

-- A pin directory is made when missing (bpffs allows mkdir).
local function ensure_dir(dir)
  local core = lib().core
  if core.listdir(dir) then return end
  local ok, err = core.private_dir(dir)
  if not ok then fail(err) end
end

-- Pins are named like libbpf's: dots of ".rodata" become "_" (bpffs
-- refuses names starting with a dot).
local function pin_maps(coll, dir, pinned)
  ensure_dir(dir)
  for name, m in pairs(coll.maps) do
    local path = dir .. "/" .. name:gsub("%.", "_")
    local ok, err = util.try(m.pin, m, path)
    if not ok then fail(err) end
    pinned[#pinned + 1] = path
  end
end

-- `load OBJ PATH [pinmaps DIR]` pins one program (the first by name),
-- `loadall OBJ DIR [pinmaps DIR] [autoattach]` pins each under DIR/NAME.
local function load_cmd(all)
  return function(ctx, args)
    local obj = args:next("object file")
    local path = args:next(all and "pin directory" or "pin path")
    local pinmaps, autoattach
    local o = { replace = {} }
    local opened = {}
    local ok0, err0 = pcall(function()
      while args:more() do
        local w = args:next("option")
        if w == "pinmaps" then
          pinmaps = args:next("map pin directory")
        elseif w == "autoattach" then
          autoattach = true
        elseif w == "type" then
          o.type = args:next("program type")
        elseif w == "map" then
          -- `map name NAME MAP`: the object's map NAME is MAP, not a new one
          if args:next("'name'") ~= "name" then usage_error("maps are replaced by name: map name NAME MAP") end
          local name = args:next("map name")
          local m = util.open_ref(args, "map")
          opened[#opened + 1] = m
          o.replace[name] = m
        else
          usage_error("unknown option '" .. util.printable(w) .. "'")
        end
      end
    end)
    if not ok0 then
      for _, m in ipairs(opened) do m:close() end
      error(err0, 0)
    end
    local lok, coll, names = pcall(load_object, obj, o)
    if not lok then
      for _, m in ipairs(opened) do m:close() end
      error(coll, 0)
    end
    if #names == 0 then
      coll:close()
      fail(obj .. ": no program to load")
    end
    local pinned, paths = {}, {}
    local ok, err = pcall(function()
      if pinmaps then pin_maps(coll, pinmaps, paths) end
      if all then ensure_dir(path) end
      for i, name in ipairs(names) do
        if not all and i > 1 then break end
        local p = coll.programs[name]
        local target = all and (path .. "/" .. name) or path
        if autoattach then
          -- The link holds the attachment; pinning it keeps it past our exit.
          local link, lerr = util.try(lib().link.attach, p)
          if not link then fail(lerr) end
          local pok, perr = util.try(link.pin, link, target)
          if not pok then fail(perr) end
        else
          local pok, perr = util.try(p.pin, p, target)
          if not pok then fail(perr) end
        end
        paths[#paths + 1] = target
        pinned[#pinned + 1] = json.object { { "name", name }, { "id", p:info().id }, { "pinned", target } }
      end
    end)
    coll:close()
    for _, m in ipairs(opened) do pcall(m.close, m) end -- (the collection may have closed them)
    if not ok then
      -- all or nothing: what was pinned before the failure goes again
      for _, pth in ipairs(paths) do lib().unpin(pth) end
      error(err, 0)
    end
    if ctx.json then return ctx.emit(json.array(pinned)) end
    for _, r in ipairs(pinned) do ctx.out(("%s: id %d pinned at %s\n"):format(r.name, r.id, util.printable(r.pinned))) end
  end
end
sub.load = load_cmd(false)
sub.loadall = load_cmd(true)

local function read_input(path)
  if path == "-" then return io.stdin:read("a") or "" end
  local s, err = lib().core.read_file(path, "input", 64 << 20)
  if not s then fail(err) end
  return s
end

local function write_output(ctx, path, bytes)
  if path == "-" then return ctx.out(bytes) end
  local ok, err = lib().core.write_new(path, bytes, tonumber("644", 8))
  if not ok then fail(err) end
end

-- `run PROG data_in FILE [data_out FILE] [data_size_out N] [ctx_in FILE]
-- [ctx_out FILE] [ctx_size_out N] [repeat N]`: BPF_PROG_TEST_RUN.
function sub.run(ctx, args)
  local p = util.open_ref(args, "prog")
  local data, o, outs = nil, {}, {}
  local ok, err = pcall(function()
    while args:more() do
      local w = args:next("option")
      if w == "data_in" then
        data = read_input(args:next("data_in file"))
      elseif w == "ctx_in" then
        o.ctx = read_input(args:next("ctx_in file"))
      elseif w == "data_out" then
        outs.data = args:next("data_out file")
        o.data_out = o.data_out or true
      elseif w == "ctx_out" then
        outs.ctx = args:next("ctx_out file")
        o.ctx_out = o.ctx_out or true
      elseif w == "data_size_out" then
        o.data_out = util.check_int(args:next("size"), "data_size_out", 1, 1 << 30)
      elseif w == "ctx_size_out" then
        o.ctx_out = util.check_int(args:next("size"), "ctx_size_out", 1, 1 << 30)
      elseif w == "repeat" then
        o["repeat"] = util.check_int(args:next("count"), "repeat", 0, 0xffffffff)
      else
        usage_error("unknown run option '" .. util.printable(w) .. "'")
      end
    end
    local retval, duration, extra = util.try(p.run, p, data, o)
    if not retval then fail(duration) end
    if outs.data and extra and extra.data then write_output(ctx, outs.data, extra.data) end
    if outs.ctx and extra and extra.ctx then write_output(ctx, outs.ctx, extra.ctx) end
    if ctx.json then
      return ctx.emit(json.object { { "retval", retval }, { "duration", duration } })
    end
    ctx.out(("Return value: %d, duration%s: %dns\n"):format(retval, o["repeat"] and " (average)" or "", duration))
  end)
  p:close()
  if not ok then error(err, 0) end
end

-- The kernel's trace buffer (bpf_printk output), streamed until Ctrl-C.
function sub.tracelog(ctx, args)
  args:done()
  local f
  for _, dir in ipairs { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" } do
    f = io.open(dir .. "/trace_pipe")
    if f then break end
  end
  if not f then fail("cannot open trace_pipe: is tracefs mounted at /sys/kernel/tracing?") end
  io.stdout:setvbuf("line") -- a stream: each line shows at once, also in a pipe
  for line in f:lines() do
    if ctx.json then ctx.emit(line) else ctx.out(line .. "\n") end
  end
  f:close()
end

return {
  summary = "show, dump, pin, load, test-run programs; read the trace log",
  usage = table.concat({
    "ebpf prog { show | list } [PROG]",
    "       ebpf prog dump xlated PROG [linum] [opcodes]",
    "       ebpf prog pin PROG FILE",
    "       ebpf prog { load | loadall } OBJ PATH [type TYPE] [map name NAME MAP]... [pinmaps DIR] [autoattach]",
    "       ebpf prog run PROG [data_in FILE] [data_out FILE] [data_size_out N] [ctx_in FILE] [ctx_out FILE] [ctx_size_out N] [repeat N]",
    "       ebpf prog tracelog",
    "PROG := { id ID | name NAME | tag TAG | pinned FILE | ID }",
  }, "\n"),
  run = function(ctx, args)
    local w = args:next("a prog command (show, list, dump, pin, load, loadall, run, tracelog)")
    local f = sub[w] or usage_error("unknown prog command '" .. util.printable(w) .. "'")
    return f(ctx, args)
  end,
}
