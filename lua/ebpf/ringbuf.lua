--- ebpf.ringbuf: ring buffer readers and user ring buffer writers (see
-- docs/readers.md). The readers themselves are C (lua/lreader.c); this
-- file adds the lookup of record types by name for reader:decode("struct x").
-- @module ebpf.ringbuf
local core = require "ebpf.core"

local M = core.ringbuf

-- "struct event" -> "event", "struct"; "event_t" -> "event_t", nil
local function split(name)
  local kind, n = name:match("^%s*(%a+)%s+([%w_]+)%s*$")
  if kind == "struct" or kind == "union" or kind == "enum" then return n, kind end
  return (name:gsub("^%s+", ""):gsub("%s+$", "")), nil
end

--- Resolves a type name for reader:decode(name): in the BTF the map was
-- created with, else in the BTF of the programs of the object (collection)
-- the map came from, as loaded in the kernel.
function M.resolve_type(map, name, parent)
  local btf = core.btf
  if not btf then return nil end
  local n, kind = split(name)
  local ids, seen = {}, {}
  local function add(id)
    if id and id > 0 and not seen[id] then seen[id] = true; ids[#ids + 1] = id end
  end
  local info = map:info()
  add(info and info.btf_id)
  if parent ~= nil then
    local ok, progs = pcall(function() return parent.programs end)
    if ok and type(progs) == "table" then
      for _, p in pairs(progs) do
        local ok2, pinfo = pcall(p.info, p)
        if ok2 and pinfo then add(pinfo.btf_id) end
      end
    end
  end
  for _, id in ipairs(ids) do
    local b = btf.from_id(id)
    local t = b and b:find(n, kind)
    if t then return t end
  end
  return nil
end

-- The readers look the hook up in the registry, where the BTF/ELF layers
-- may install a better one.
local reg = debug.getregistry()
if reg["ebpf.resolve_type"] == nil then reg["ebpf.resolve_type"] = M.resolve_type end

return M
