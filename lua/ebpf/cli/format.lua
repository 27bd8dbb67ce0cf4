--- ebpf.cli.format: map keys and values decoded through BTF, as JSON-ready
-- data whose struct members keep their declaration order (a decoded Lua
-- table has none: the BTF type walks alongside to restore it).
-- @module ebpf.cli.format

local json = require "ebpf.json"

local M = {}

local MAX_DEPTH = 32

local function ordered(t, v, depth)
  if depth > MAX_DEPTH or t == nil then return v end
  local ok, r = pcall(function() return t:resolve() end)
  if ok and r then t = r end
  local kind = t.kind
  if (kind == "struct" or kind == "union") and type(v) == "table" then
    local o = json.object()
    local function add(members, val)
      for _, m in ipairs(members or {}) do
        if m.name then
          if val[m.name] ~= nil then o[m.name] = ordered(m.type, val[m.name], depth + 1) end
        else
          -- an anonymous struct/union: its members read as the parent's
          local mt = m.type:resolve()
          add(mt.members, val)
        end
      end
    end
    add(t.members, v)
    -- anything the walk missed still shows (never silently dropped)
    for k, x in pairs(v) do
      if o[k] == nil then o[k] = ordered(nil, x, depth + 1) end
    end
    return o
  elseif kind == "array" and type(v) == "table" then
    local list = json.array()
    for i, x in ipairs(v) do list[i] = ordered(t.type, x, depth + 1) end
    return list
  elseif type(v) == "table" then
    local c = {}
    for k, x in pairs(v) do c[k] = ordered(nil, x, depth + 1) end
    return c
  elseif type(v) == "userdata" then
    return tostring(v)
  end
  return v
end

--- The value of `bytes` decoded through BTF type t, JSON-ready; nil when
-- it does not decode.
function M.decode(t, bytes)
  if not t then return nil end
  local ok, v = pcall(t.decode, t, bytes)
  if not ok or v == nil then return nil end
  local ok2, r = pcall(ordered, t, v, 0)
  return ok2 and r or v
end

return M
