--- ebpf.json: a small JSON encoder for the `ebpf` command's --json output.
-- Tables with only keys 1..n (or marked with `json.array`) become arrays,
-- others objects with keys sorted (stable output). Integers stay integers;
-- strings are escaped (bytes >= 0x80 pass through: the tool emits UTF-8
-- or hex). nil cannot be stored in a table; use `json.null`.
-- @module ebpf.json

local M = {}

M.null = setmetatable({}, { __tostring = function() return "null" end })
local array_mt = { __name = "json.array" }

--- Marks t as an array even when empty.
function M.array(t)
  return setmetatable(t or {}, array_mt)
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

local function is_array(t)
  if getmetatable(t) == array_mt then return true end
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
    local keys = {}
    for k in pairs(t) do
      local tk = type(k)
      if tk ~= "string" and tk ~= "number" then error("json: object keys must be strings, got " .. tk, 0) end
      keys[#keys + 1] = tostring(k)
    end
    table.sort(keys)
    for i, k in ipairs(keys) do
      local v = t[k]
      if v == nil then v = t[tonumber(k)] end
      parts[i] = pad_in .. quote(k) .. colon .. encode(v, indent, depth + 1, seen)
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
