--- ebpf.stack: the stacks of a BPF_MAP_TYPE_STACK_TRACE map as symbol
-- frames, and folded text for flamegraph.pl.
--   local frames = ebpf.stack(coll.maps.stacks, id [, pid])
--   counts[ebpf.stack.fold(comm, ustack, kstack)] = n
--   io.write(ebpf.stack.folded(counts))
-- @module ebpf.stack

local core = require "ebpf.core"
local sym = require "ebpf.sym"

local M = {}

local EFAULT = 14

--- Frames of stack `id` of a stack-trace map: leaf first, each
-- {addr=, name=, offset=, module=} (kernel, pid nil) or {addr=, name=,
-- offset=, path=} (user frames of process pid). nil when the map has no
-- such stack; an id of -EFAULT (bpf_get_stackid found no stack of that
-- kind) gives {}; other negative ids (-EEXIST: bucket taken, -ENOMEM)
-- give nil, err.
function M.read(map, id, pid)
  if math.type(id) ~= "integer" then
    error(("bad argument #2 to 'stack' (integer stack id expected, got %s)"):format(math.type(id) or type(id)), 2)
  end
  if id == -EFAULT then return {} end
  if id < 0 then
    local code = core.errno_name(-id)
    return nil, core.error.new { message = ("stack id %d (%s): no stack recorded"):format(id, code), errno = -id,
      code = code, op = "stack" }, -id
  end
  if type(map) ~= "userdata" or not map.lookup_bytes then
    error(("bad argument #1 to 'stack' (ebpf.map expected, got %s)"):format(type(map)), 2)
  end
  local raw, err, errno = map:lookup_bytes(id)
  if raw == nil then return nil, err, errno end
  return sym.frames(raw, pid)
end

M.fold = sym.fold

--- Folded-stack text: one "frame;frame;... count" line per entry of
-- `counts` ({[folded] = count}, e.g. keys made by fold), sorted by
-- stack, ready for flamegraph.pl.
function M.folded(counts)
  if type(counts) ~= "table" then error("bad argument #1 to 'folded' (table expected)", 2) end
  local keys = {}
  for k, n in pairs(counts) do
    if type(k) ~= "string" or math.type(n) ~= "integer" then
      error("bad argument #1 to 'folded' (a table {[string] = integer count} expected)", 2)
    end
    keys[#keys + 1] = k
  end
  table.sort(keys)
  local out = {}
  for i, k in ipairs(keys) do out[i] = k .. " " .. counts[k] .. "\n" end
  return table.concat(out)
end

return setmetatable(M, { __call = function(_, ...) return M.read(...) end })
