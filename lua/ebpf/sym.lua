--- ebpf.sym: addresses to symbols. Kernel addresses through
-- /proc/kallsyms (read once per process), user addresses of a live
-- process through /proc/PID/maps and the ELF symbols of the mapped files
-- or their separate debug files. The work is in the C core (ebpf/sym.h).
-- @module ebpf.sym

local core = require "ebpf.core"

local M = {
  kernel = core.sym.kernel, -- (addr) -> name, offset, module | nil | nil, err, errno
  user = core.sym.user, -- (pid, addr) -> name, offset, path | nil | nil, err, errno
  frames = core.sym.frames, -- (raw u64 bytes [, pid]) -> list of frames
  debug_dir = core.sym.debug_dir, -- ([dir]) -> dir
  cache_clear = core.sym.cache_clear,
}

-- flamegraph.pl splits frames at ';' and lines at '\n'
local function clean(s)
  return (s:gsub("[;\n]", "_"))
end

local function label(f)
  if f.name then return clean(f.name) end
  local where = f.path or f.module
  if where and where ~= "" then return "[" .. clean(where:match("([^/]*)$")) .. "]" end
  return "[unknown]"
end

--- One folded stack, root first, frames joined with ';' as flamegraph.pl
-- reads them. Each part is a string (one frame, e.g. the comm) or a list
-- of frames as ebpf.stack gives them (leaf first; reversed here); unnamed
-- frames read "[file]" or "[unknown]". `fold("sh", ustack, kstack)`.
function M.fold(...)
  local out = {}
  for i = 1, select("#", ...) do
    local part = select(i, ...)
    if type(part) == "string" then
      out[#out + 1] = clean(part)
    elseif type(part) == "table" then
      for j = #part, 1, -1 do out[#out + 1] = label(part[j]) end
    elseif part ~= nil then
      error(("bad argument #%d to 'fold' (string or list of frames expected, got %s)"):format(i, type(part)), 2)
    end
  end
  return table.concat(out, ";")
end

return M
