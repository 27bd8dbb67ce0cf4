--- ebpf.json: a small JSON encoder for the `ebpf` command's --json output.
-- Tables with only keys 1..n (or marked with `json.array`) become arrays;
-- `json.object()` tables keep their keys in insertion order (records and
-- BTF structs print their fields in declaration order); other tables are
-- objects with sorted keys (stable output). Integers stay integers. The
-- output is valid JSON for any bytes: a string that is not valid UTF-8
-- becomes an array of hex byte strings ("0x41", as for raw keys and
-- values); control characters, quotes and backslashes are escaped. nil
-- cannot be stored in a table; use `json.null`.
-- @module ebpf.json

local M = {}

M.null = setmetatable({}, { __tostring = function() return "null" end })
local array_mt = { __name = "json.array" }

--- Marks t as an array even when empty.
function M.array(t)
  return setmetatable(t or {}, array_mt)
end

-- Ordered objects: values live in a hidden table, keys in a list, so that
-- `o.k = v` records the order and `o.k` reads back.
local object_mt = { __name = "json.object" }
local VALUES, KEYS = {}, {}
object_mt.__index = function(o, k) return rawget(o, VALUES)[k] end
object_mt.__newindex = function(o, k, v)
  local vals = rawget(o, VALUES)
  if vals[k] == nil and v ~= nil then
    local keys = rawget(o, KEYS)
    keys[#keys + 1] = k
  end
  vals[k] = v
end
object_mt.__pairs = function(o)
  local keys, vals, i = rawget(o, KEYS), rawget(o, VALUES), 0
  return function()
    repeat
      i = i + 1
      local k = keys[i]
      if k == nil then return nil end
      if vals[k] ~= nil then return k, vals[k] end
    until false
  end, o, nil
end

--- A new object whose keys encode in insertion order; `fields` (optional)
-- is a list of {key, value} pairs added in order (nil values skipped).
function M.object(fields)
  local o = setmetatable({ [VALUES] = {}, [KEYS] = {} }, object_mt)
  for _, kv in ipairs(fields or {}) do o[kv[1]] = kv[2] end
  return o
end

--- True for tables made by json.object.
function M.is_object(t) return getmetatable(t) == object_mt end

--- The bytes of s as a list of "0x%02x" strings.
function M.bytes(s)
  local t = {}
  for i = 1, #s do t[i] = ("0x%02x"):format(s:byte(i)) end
  return M.array(t)
end

local escapes = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or ("\\u%04x"):format(c:byte())
  end) .. '"'
end

-- utf8.len is strict in 5.4: overlong forms, surrogates and values past
-- U+10FFFF fail, which JSON parsers also refuse.
local function valid_utf8(s) return utf8.len(s) ~= nil end

-- An object key must stay a string: invalid bytes become "\xNN" text.
local function key_text(k)
  if valid_utf8(k) then return k end
  local out, i = {}, 1
  while i <= #k do
    local n = 1 -- the shortest well-formed character at i, if any
    while n <= 4 and utf8.len(k:sub(i, i + n - 1)) ~= 1 do n = n + 1 end
    if n <= 4 then
      out[#out + 1] = k:sub(i, i + n - 1)
      i = i + n
    else
      out[#out + 1] = ("\\x%02x"):format(k:byte(i))
      i = i + 1
    end
  end
  return table.concat(out)
end

local function is_array(t)
  local mt = getmetatable(t)
  if mt == array_mt then return true end
  if mt == object_mt then return false end
  local n = 0
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 then return false end
    n = n + 1
  end
  return n > 0 and n == #t
end

local encode

local function encode_table(t, indent, depth, seen)
  if seen[t] then error("json: cannot encode a cyclic table", 0) end
  seen[t] = true
  local nl, pad, pad_in, colon = "", "", "", ":"
  if indent then
    nl = "\n"
    pad = indent:rep(depth)
    pad_in = indent:rep(depth + 1)
    colon = ": "
  end
  local parts = {}
  local out
  if is_array(t) then
    for i = 1, #t do parts[i] = pad_in .. encode(t[i], indent, depth + 1, seen) end
    out = #parts == 0 and "[]" or ("[" .. nl .. table.concat(parts, "," .. nl) .. nl .. pad .. "]")
  else
    local keys, vals = {}, {}
    if getmetatable(t) == object_mt then
      for k, v in pairs(t) do
        keys[#keys + 1] = tostring(k)
        vals[#keys] = v
      end
    else
      for k in pairs(t) do
        local tk = type(k)
        if tk ~= "string" and tk ~= "number" then error("json: object keys must be strings, got " .. tk, 0) end
        keys[#keys + 1] = k
      end
      table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
      for i, k in ipairs(keys) do
        vals[i] = t[k]
        keys[i] = tostring(k)
      end
    end
    for i, k in ipairs(keys) do
      parts[i] = pad_in .. quote(key_text(k)) .. colon .. encode(vals[i], indent, depth + 1, seen)
    end
    out = #parts == 0 and "{}" or ("{" .. nl .. table.concat(parts, "," .. nl) .. nl .. pad .. "}")
  end
  seen[t] = nil
  return out
end

encode = function(v, indent, depth, seen)
  local t = type(v)
  if v == nil or v == M.null then
    return "null"
  elseif t == "boolean" then
    return tostring(v)
  elseif t == "number" then
    if math.type(v) == "integer" then return tostring(v) end
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    if v == math.floor(v) and math.abs(v) < 2^53 then return ("%d"):format(v) end
    return ("%.17g"):format(v)
  elseif t == "string" then
    if not valid_utf8(v) then return encode_table(M.bytes(v), indent, depth, seen) end
    return quote(v)
  elseif t == "table" then
    return encode_table(v, indent, depth, seen)
  end
  error("json: cannot encode a " .. t, 0)
end

--- Encodes v; opts.indent (e.g. "  ") pretty-prints.
function M.encode(v, opts)
  return encode(v, opts and opts.indent, 0, {})
end

return M
