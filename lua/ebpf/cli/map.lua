--- ebpf.cli.map: `ebpf map show|list|dump|lookup|update|delete|getnext|
-- create|pin|freeze|peek|push|pop|event_pipe`. Keys and values on the
-- command line are bytes (`key 1 0 0 0`, `key hex 01 00 00 00`); output
-- gives the bytes and, for maps with BTF, the decoded values.
-- @module ebpf.cli.map

local json = require "ebpf.json"
local util = require "ebpf.cli.util"
local records = require "ebpf.cli.records"
local format = require "ebpf.cli.format"

local lib, usage_error, fail, hex = util.lib, util.usage_error, util.fail, util.hex

local sub = {}

local function show(ctx, args)
  local list
  if args:more() then
    list = records.some(util.refs(args, "map"), records.map)
    args:done()
  else
    list = records.all(lib().map.ids, records.map)
  end
  if ctx.json then
    if #list == 1 and args.i > 2 then return ctx.emit(list[1]) end
    return ctx.emit(list)
  end
  local rows = { { "ID", "TYPE", "NAME", "KEY", "VALUE", "MAX", "FLAGS", "MEMLOCK", "BTF", "FROZEN" } }
  for _, m in ipairs(list) do
    rows[#rows + 1] = { tostring(m.id), m.type, util.printable(m.name), tostring(m.bytes_key),
      tostring(m.bytes_value), tostring(m.max_entries), table.concat(m.flag_names, ","),
      tostring(m.bytes_memlock or ""), m.btf_id and tostring(m.btf_id) or "", m.frozen == 1 and "yes" or "" }
  end
  return ctx.out(util.columns(rows))
end
sub.show, sub.list = show, show

-- An open map with its info; the caller closes it (run() does).
local function open_map(ctx, args)
  local m = util.open_ref(args, "map")
  ctx.cleanup = function() m:close() end
  local info, err = m:info()
  if not info then fail(err) end
  return m, info
end

-- Bytes of a key or value as the map API returns it (integers for 1/2/4/8 bytes).
local function as_bytes(v, size)
  if type(v) == "string" then return v end
  return string.pack(size == 8 and "<i8" or ("<I" .. size), v)
end

-- Key and value BTF types of a map with BTF, or nil; best effort.
local function map_types(info)
  local btf = lib().btf
  if info.btf_id == 0 or info.btf_value_type_id == 0 then return nil end
  local ok, b = pcall(btf.from_id, info.btf_id)
  if not ok or not b then return nil end
  local kt = info.btf_key_type_id ~= 0 and b:type(info.btf_key_type_id) or nil
  return { btf = b, key = kt, value = b:type(info.btf_value_type_id) }
end

local function ncpus() return lib().possible_cpus() end
local function is_percpu(info) return info.type:find("percpu", 1, true) ~= nil end

-- Per-CPU values arrive 8-byte aligned per CPU.
local function split_percpu(vb, size)
  local stride = (size + 7) // 8 * 8
  local list = {}
  for c = 0, ncpus() - 1 do list[c + 1] = vb:sub(c * stride + 1, c * stride + size) end
  return list
end

-- One entry as bpftool prints it: bytes, then `formatted` through BTF.
local function entry(info, types, kb, vb)
  local e = json.object()
  e.key = json.bytes(kb)
  local percpu = is_percpu(info)
  local vals = vb and percpu and split_percpu(vb, info.value_size)
  if vals then
    e.values = json.array()
    for c, v in ipairs(vals) do e.values[c] = json.object { { "cpu", c - 1 }, { "value", json.bytes(v) } } end
  elseif vb then
    e.value = json.bytes(vb)
  end
  if types then
    local f = json.object()
    f.key = format.decode(types.key, kb) or json.null
    if vals then
      f.values = json.array()
      for c, v in ipairs(vals) do
        f.values[c] = json.object { { "cpu", c - 1 }, { "value", format.decode(types.value, v) or json.null } }
      end
    elseif vb then
      f.value = format.decode(types.value, vb) or json.null
    end
    e.formatted = f
  end
  return e, vals
end

local function entry_text(e, vals, kb, vb)
  local l = "key: " .. hex(kb)
  if vals then
    for c, v in ipairs(vals) do l = l .. ("\n  cpu%d: %s"):format(c - 1, hex(v)) end
  elseif vb then
    l = l .. "  value: " .. hex(vb)
  end
  if e.formatted then
    local f = e.formatted
    l = l .. "\n  = " .. util.printable(json.encode(f.key)) .. " -> " .. util.printable(json.encode(f.values or f.value))
  end
  return l
end

function sub.dump(ctx, args)
  local m, info = open_map(ctx, args)
  args:done()
  if info.key_size == 0 then fail(("map %d (%s) has no keys to dump"):format(info.id, info.type)) end
  local types = map_types(info)
  local list, lines = json.array(), {}
  local ok, err = pcall(function()
    for k in m:keys() do
      local kb = as_bytes(k, info.key_size)
      local vb, lerr = m:lookup_bytes(kb)
      if vb or not (type(lerr) == "table" and lerr.code == "ENOENT") then -- deleted meanwhile: skipped
        local e, vals = entry(info, types, kb, vb)
        if not vb then e.error = tostring(lerr) end
        list[#list + 1] = e
        lines[#lines + 1] = entry_text(e, vals, kb, vb) .. (vb and "" or "  error: " .. tostring(lerr))
      end
    end
  end)
  if types then types.btf:close() end
  if not ok then fail((tostring(err):gsub("^[^:\n]*%.lua:%d+: ", ""))) end
  if ctx.json then return ctx.emit(list) end
  lines[#lines + 1] = ("Found %d element%s"):format(#list, #list == 1 and "" or "s")
  ctx.out(table.concat(lines, "\n") .. "\n")
end

local function key_arg(args, info)
  if not args:accept("key") then usage_error("expected 'key' and " .. info.key_size .. " bytes") end
  return util.bytes(args, info.key_size, "key")
end

function sub.lookup(ctx, args)
  local m, info = open_map(ctx, args)
  local kb = key_arg(args, info)
  args:done()
  local vb, err = m:lookup_bytes(kb)
  if not vb then
    if type(err) == "table" and err.code == "ENOENT" then fail("key not found") end
    fail(err)
  end
  local types = map_types(info)
  local e, vals = entry(info, types, kb, vb)
  if types then types.btf:close() end
  if ctx.json then return ctx.emit(e) end
  ctx.out(entry_text(e, vals, kb, vb) .. "\n")
end

local update_flags = { any = 0, noexist = 1, exist = 2 }

function sub.update(ctx, args)
  local m, info = open_map(ctx, args)
  local kb = info.key_size > 0 and key_arg(args, info) or nil
  if not args:accept("value") then usage_error("expected 'value' and " .. info.value_size .. " bytes") end
  local vb = util.bytes(args, info.value_size, "value")
  local flag = 0
  if args:more() then
    local w = args:next("flag")
    flag = update_flags[w] or usage_error("update flag must be any, exist or noexist, got '" .. util.printable(w) .. "'")
  end
  args:done()
  local v = vb
  if is_percpu(info) then -- the same value on every CPU
    v = {}
    for c = 1, ncpus() do v[c] = vb end
  end
  local ok, err
  if kb then
    ok, err = util.try(m.update, m, kb, v, flag)
  else
    ok, err = util.try(m.push, m, v, flag)
  end
  if not ok then fail(err) end
  if ctx.json then ctx.emit(json.null) end
end

sub["delete"] = function(ctx, args)
  local m, info = open_map(ctx, args)
  local kb = key_arg(args, info)
  args:done()
  local ok, err = util.try(m.delete, m, kb)
  if not ok then fail(err) end
  if ctx.json then ctx.emit(json.null) end
end

function sub.getnext(ctx, args)
  local m, info = open_map(ctx, args)
  local kb = args:more() and key_arg(args, info) or nil
  args:done()
  local nk, err = util.try(m.next_key, m, kb)
  if nk == nil then
    if err then fail(err) end
    fail(kb and "no next key: the key is the last one" or "the map is empty")
  end
  nk = as_bytes(nk, info.key_size)
  if ctx.json then
    return ctx.emit(json.object { { "key", kb and json.bytes(kb) or json.null }, { "next_key", json.bytes(nk) } })
  end
  ctx.out((kb and ("key:\n" .. hex(kb) .. "\n") or "key: None\n") .. "next key:\n" .. hex(nk) .. "\n")
end

function sub.freeze(ctx, args)
  local m = open_map(ctx, args)
  args:done()
  local ok, err = util.try(m.freeze, m)
  if not ok then fail(err) end
  if ctx.json then ctx.emit(json.null) end
end

function sub.pin(ctx, args)
  local m = open_map(ctx, args)
  local path = args:next("pin path")
  args:done()
  local ok, err = util.try(m.pin, m, path)
  if not ok then fail(err) end
  if ctx.json then ctx.emit(json.null) end
end

-- Queue/stack/bloom filter: a value in, a value out.
local function value_out(ctx, info, vb)
  local types = map_types(info)
  local e = json.object { { "value", json.bytes(vb) } }
  if types then
    e.formatted = json.object { { "value", format.decode(types.value, vb) or json.null } }
    types.btf:close()
  end
  if ctx.json then return ctx.emit(e) end
  ctx.out("value: " .. hex(vb) .. "\n")
end

local function take(method)
  return function(ctx, args)
    local m, info = open_map(ctx, args)
    args:done()
    local v, err = util.try(m[method], m)
    if v == nil then
      if err then fail(err) end
      fail("the map is empty")
    end
    return value_out(ctx, info, as_bytes(v, info.value_size))
  end
end
sub.peek, sub.pop, sub.dequeue = take("peek"), take("pop"), take("pop")

function sub.push(ctx, args)
  local m, info = open_map(ctx, args)
  if not args:accept("value") then usage_error("expected 'value' and " .. info.value_size .. " bytes") end
  local vb = util.bytes(args, info.value_size, "value")
  args:done()
  local ok, err = util.try(m.push, m, vb)
  if not ok then fail(err) end
  if ctx.json then ctx.emit(json.null) end
end
sub.enqueue = sub.push

local function parse_create(args)
  local o = { path = args:next("pin path") }
  local fields = {
    type = "type", key = "key_size", value = "value_size", entries = "max_entries", name = "name",
    flags = "flags", extra = "map_extra", inner_map = "inner_map", dev = "ifindex",
  }
  while args:more() do
    local w = args:next("create option")
    local f = fields[w] or usage_error("unknown create option '" .. util.printable(w) .. "'")
    if f == "inner_map" then
      o.inner_map = util.ref(args, "map")
    elseif f == "type" or f == "name" then
      o[f] = args:next(w)
    elseif f == "ifindex" then
      usage_error("offloaded maps (dev) are not supported")
    else
      o[f] = util.check_int(args:next(w), w, 0, f == "map_extra" and math.maxinteger or 0xffffffff)
    end
  end
  if not o.type then usage_error("create needs 'type TYPE'") end
  return o
end

function sub.create(ctx, args)
  local o = parse_create(args)
  local eb = lib()
  local path = o.path
  o.path = nil
  if o.inner_map then
    local inner, err = eb.map.from_id(o.inner_map)
    if not inner then fail(err) end
    o.inner_map = inner
  end
  local m, err = util.try(eb.map, o)
  if o.inner_map then o.inner_map:close() end
  if not m then fail(err) end
  local ok, perr = util.try(m.pin, m, path)
  local id = m:info().id
  m:close()
  if not ok then fail(perr) end
  if ctx.json then return ctx.emit(json.object { { "id", id }, { "pinned", path } }) end
  ctx.out(("map id %d pinned at %s\n"):format(id, util.printable(path)))
end

-- Records of a perf event array, printed until Ctrl-C.
function sub.event_pipe(ctx, args)
  local m, info = open_map(ctx, args)
  if info.type ~= "perf_event_array" then fail("event_pipe needs a perf_event_array map, not " .. info.type) end
  while args:more() do
    local w = args:next("option")
    if w == "cpu" or w == "index" then
      util.check_int(args:next(w), w, 0, 4095) -- every online CPU is read; accepted for compatibility
    else
      usage_error("unknown event_pipe option '" .. util.printable(w) .. "'")
    end
  end
  local r, err = util.try(lib().perf.reader, m)
  if not r then fail(err) end
  io.stdout:setvbuf("line") -- a stream: each record shows at once, also in a pipe
  local signal = lib().signal
  if signal then signal.watch { "SIGINT", "SIGTERM" } end
  for rec in r:records() do
    if ctx.json then
      ctx.emit(json.object { { "type", 9 }, { "size", #rec }, { "data", json.bytes(rec) } })
    else
      ctx.out(("== %d bytes ==\n%s\n"):format(#rec, hex(rec)))
    end
  end
  r:close()
end

return {
  summary = "show, dump, edit, create and pin maps",
  usage = table.concat({
    "ebpf map { show | list } [MAP]",
    "       ebpf map dump MAP",
    "       ebpf map lookup MAP key DATA",
    "       ebpf map update MAP [key DATA] value DATA [any | exist | noexist]",
    "       ebpf map delete MAP key DATA",
    "       ebpf map getnext MAP [key DATA]",
    "       ebpf map create FILE type TYPE key N value N entries N name NAME [flags N] [extra N] [inner_map MAP]",
    "       ebpf map pin MAP FILE",
    "       ebpf map freeze MAP",
    "       ebpf map { peek | pop | dequeue } MAP",
    "       ebpf map { push | enqueue } MAP value DATA",
    "       ebpf map event_pipe MAP [cpu N index N]",
    "MAP := { id ID | name NAME | pinned FILE | ID }",
    "DATA := { [hex] BYTES }   (bytes: 0x1f, 31, 037; after 'hex': 1f or 1f2e...)",
  }, "\n"),
  run = function(ctx, args)
    local w = args:next("a map command (show, list, dump, lookup, update, delete, getnext, create, pin, freeze, "
      .. "peek, push, pop, event_pipe)")
    local f = sub[w] or usage_error("unknown map command '" .. util.printable(w) .. "'")
    local ok, err = pcall(f, ctx, args)
    if ctx.cleanup then ctx.cleanup() end
    if not ok then error(err, 0) end
  end,
}
