--- ebpf.cli.util: what every command group of the `ebpf` tool shares:
-- the two kinds of errors, the argument cursor with bpftool's object
-- syntax (`id N`, `name X`, `tag T`, `pinned PATH`, or a bare id), byte
-- lists (`0x01 2 hex 03 04`) and text columns.
-- @module ebpf.cli.util

local M = {}

local ebpf -- required on first use, so `ebpf --help` works without the C module
function M.lib()
  ebpf = ebpf or require "ebpf"
  return ebpf
end

-- A usage error (bad arguments): exit status 2.
M.Usage = {}
function M.usage_error(msg) error(setmetatable({ msg = msg }, M.Usage), 0) end
-- A runtime failure (kernel, files): exit status 1.
M.Fail = {}
function M.fail(msg) error(setmetatable({ msg = tostring(msg) }, M.Fail), 0) end

-- Calls f(...) and turns a Lua error raised inside the library (a range
-- check, a bad option) into a failure message instead of a traceback.
function M.try(f, ...)
  local r = table.pack(pcall(f, ...))
  if r[1] then return table.unpack(r, 2, r.n) end
  local e = r[2]
  if type(e) == "table" and (getmetatable(e) == M.Usage or getmetatable(e) == M.Fail) then error(e, 0) end
  M.fail((tostring(e):gsub("^[^:\n]*%.lua:%d+: ", "")))
end

---------------------------------------------------------------- text

-- Aligned columns: rows is a list of lists of strings, the first the header.
function M.columns(rows)
  local w = {}
  for _, r in ipairs(rows) do
    for i, c in ipairs(r) do
      local len = utf8.len(c) or #c
      if not w[i] or len > w[i] then w[i] = len end
    end
  end
  local lines = {}
  for _, r in ipairs(rows) do
    local parts = {}
    for i, c in ipairs(r) do
      parts[i] = i == #r and c or c .. (" "):rep(w[i] - (utf8.len(c) or #c))
    end
    lines[#lines + 1] = (table.concat(parts, "  "):gsub("%s+$", ""))
  end
  return table.concat(lines, "\n") .. "\n"
end

function M.hex(s, sep)
  return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) .. (sep or " ") end):gsub("%s+$", ""))
end

-- Names from the kernel are data: control bytes and invalid UTF-8 are
-- shown escaped so a terminal never interprets them.
function M.printable(s)
  s = tostring(s)
  if utf8.len(s) and not s:find("[%c\127]") then return s end
  return (s:gsub("[%c\127-\255]", function(c) return ("\\x%02x"):format(c:byte()) end))
end

-- The same for messages, which may span lines (a verifier log's tail).
function M.printable_text(s)
  s = tostring(s)
  local bad = utf8.len(s) == nil
  return (s:gsub(bad and "[%z\1-\8\11-\31\127-\255]" or "[%z\1-\8\11-\31\127]", function(c)
    return ("\\x%02x"):format(c:byte())
  end))
end

function M.kv_block(pairs_list)
  local rows = {}
  for _, p in ipairs(pairs_list) do
    if p[2] ~= nil then rows[#rows + 1] = { p[1] .. ":", M.printable(p[2]) } end
  end
  return M.columns(rows)
end

---------------------------------------------------------------- arguments

-- Kernel object ids are u32: a larger number is a usage error here, not a
-- range error raised from inside the library.
function M.check_id(s, what)
  local n = s and s:match("^%d+$") and math.tointeger(tonumber(s))
  if not n or n > 0xffffffff then
    M.usage_error(("%s id must be an integer from 0 to 4294967295, got '%s'"):format(what, M.printable(s)))
  end
  return n
end

-- An integer argument in [lo, hi].
function M.check_int(s, what, lo, hi)
  local n = s and (s:match("^%-?%d+$") or s:match("^0x%x+$")) and math.tointeger(tonumber(s))
  if not n or n < lo or n > hi then
    M.usage_error(("%s must be an integer from %d to %d, got '%s'"):format(what, lo, hi, M.printable(s)))
  end
  return n
end

--- A cursor over positional arguments.
local Args = {}
Args.__index = Args

function M.args(list) return setmetatable({ list = list, i = 1 }, Args) end
function Args:peek(k) return self.list[self.i + (k or 0)] end
function Args:more() return self.list[self.i] ~= nil end
function Args:next(what)
  local v = self.list[self.i]
  if v == nil then M.usage_error("missing " .. what) end
  self.i = self.i + 1
  return v
end
-- Takes `word` when it is next.
function Args:accept(word)
  if self.list[self.i] == word then
    self.i = self.i + 1
    return true
  end
  return false
end
function Args:done()
  local v = self.list[self.i]
  if v ~= nil then M.usage_error("unexpected argument '" .. M.printable(v) .. "'") end
end

---------------------------------------------------------------- objects

-- What `name`/`tag` match on, per object kind: an opener by id and the
-- field of its info table.
local kinds = {
  prog = { what = "program", mod = "program", named = true },
  map = { what = "map", mod = "map", named = true },
  link = { what = "link", mod = "link" },
  btf = { what = "btf", mod = "btf" },
}

local function open_id(kind, id)
  local mod = M.lib()[kinds[kind].mod]
  return mod.from_id(id)
end
M.open_id = open_id

-- The id of the pinned object at path (which must be of this kind).
local function pinned_id(kind, path)
  local eb = M.lib()
  local mod = eb[kinds[kind].mod]
  if not mod.open_pinned then M.usage_error(kinds[kind].what .. "s cannot be named by 'pinned'") end
  local o, err = M.try(mod.open_pinned, path)
  if not o then M.fail(err) end
  local info, ierr = o:info()
  o:close()
  if not info then M.fail(ierr) end
  return info.id
end

local function ids_of(kind)
  local eb = M.lib()
  return eb[kinds[kind].mod].ids
end

-- Ids of every object of the kind whose info field equals value.
local function matching(kind, field, value)
  local out = {}
  for id in ids_of(kind)() do
    local o = open_id(kind, id)
    if o then
      local info = o:info()
      o:close()
      if info and info[field] == value then out[#out + 1] = id end
    end
  end
  return out
end

--- Parses an object reference at the cursor: `id N`, `name X`, `tag T`,
-- `pinned PATH` or a bare N. Returns a list of ids (name and tag may match
-- several, or none: a failure).
function M.refs(args, kind)
  local k = kinds[kind]
  local word = args:next(k.what .. " (id N, name NAME, tag TAG or pinned PATH)")
  if word == "id" then
    return { M.check_id(args:next(k.what .. " id"), k.what) }
  elseif word == "pinned" then
    return { pinned_id(kind, args:next("pinned path")) }
  elseif word == "name" and k.named then
    local name = args:next(k.what .. " name")
    local ids = matching(kind, "name", name)
    if #ids == 0 then M.fail(("no %s named '%s'"):format(k.what, M.printable(name))) end
    return ids
  elseif word == "tag" and kind == "prog" then
    local tag = args:next("program tag"):lower():gsub("[:%s]", "")
    if not tag:match("^%x+$") or #tag ~= 16 then M.usage_error("a tag is 8 bytes in hex, got '" .. M.printable(tag) .. "'") end
    local ids = matching(kind, "tag", tag)
    if #ids == 0 then M.fail("no program with tag " .. tag) end
    return ids
  end
  return { M.check_id(word, k.what) } -- a bare id; anything else is a usage error naming the form
end

--- One object: as refs, but a name or tag matching several is an error.
function M.ref(args, kind)
  local ids = M.refs(args, kind)
  if #ids > 1 then
    M.usage_error(("%d %ss match; name one by id"):format(#ids, kinds[kind].what))
  end
  return ids[1]
end

--- Opens one object named at the cursor; returns the object and its id.
function M.open_ref(args, kind)
  local id = M.ref(args, kind)
  local o, err = open_id(kind, id)
  if not o then M.fail(err) end
  return o, id
end

--- Bytes from the cursor, bpftool's way: `n` numbers (decimal, 0x hex,
-- 0 octal), or after the word `hex` two-digit hex numbers; `hex 01 02`
-- and `hex 0102` both work. Stops after n bytes.
function M.bytes(args, n, what)
  local out = {}
  local hexmode = false
  while #out < n do
    local w = args:peek()
    if w == nil then
      M.usage_error(("%s needs %d bytes, got %d"):format(what, n, #out))
    elseif w == "hex" and not hexmode then
      hexmode = true
      args.i = args.i + 1
    else
      args.i = args.i + 1
      if hexmode then
        if not w:match("^%x+$") or #w % 2 ~= 0 then M.usage_error(("%s: '%s' is not hex bytes"):format(what, M.printable(w))) end
        for h in w:gmatch("%x%x") do out[#out + 1] = tonumber(h, 16) end
      else
        local v
        if w:match("^0[xX]%x+$") then
          v = tonumber(w:sub(3), 16)
        elseif w:match("^0[0-7]+$") then
          v = tonumber(w, 8)
        elseif w:match("^%d+$") then
          v = tonumber(w)
        end
        if not v or v > 255 then M.usage_error(("%s: '%s' is not a byte"):format(what, M.printable(w))) end
        out[#out + 1] = v
      end
    end
  end
  if #out > n then M.usage_error(("%s needs %d bytes, got %d"):format(what, n, #out)) end
  return string.char(table.unpack(out))
end

-- The name of the loaded program with this id (nil if it is gone).
function M.prog_name(id)
  local p = M.lib().program.from_id(id)
  if not p then return nil end
  local info = p:info()
  p:close()
  return info and info.name
end

return M
