--- ebpf.cdef.import: copies a type of another BTF (the kernel's: `pid_t`,
-- `__u32`, `struct in6_addr` used by value) into the BTF being built, with
-- what it depends on, so that the result is self-contained and can be
-- loaded for maps. Pointers become 64-bit integers, as in cdef itself;
-- modifiers (const, volatile, type tags) are dropped.
-- @module ebpf.cdef.import

local M = {}

--- A new importer into builder `b`. `ints(name, size, enc)` gives the
-- builder's (shared) integer types; `ptr()` the pointer integer.
-- Returns import(type) -> the builder's type, memoised by source id; it
-- raises a message for types without a layout (a forward declaration).
function M.new(b, ints, ptr)
  local done = {}
  local function import(t)
    local key = t.id
    if done[key] then return done[key] end
    local k, r = t.kind
    if k == "int" then
      r = ints(t.name, t.size, t.encoding)
    elseif k == "float" then
      r = b:add_float(t.name, t.size)
    elseif k == "ptr" or k == "func_proto" then
      r = ptr()
    elseif k == "const" or k == "volatile" or k == "restrict" or k == "type_tag" then
      r = import(t.type)
    elseif k == "typedef" then
      r = b:add_typedef(t.name, import(t.type))
    elseif k == "array" then
      r = b:add_array(import(t.type), t.nelems)
    elseif k == "enum" or k == "enum64" then
      local vals = {}
      for i, v in ipairs(t.values or {}) do vals[i] = { name = v.name, value = v.value } end
      r = b:add_enum(t.name, t.size, vals, t.kflag)
    elseif k == "struct" or k == "union" then
      local ms = {}
      for i, m in ipairs(t.members) do
        ms[i] = { name = m.name, type = import(m.type), bit_offset = m.bit_offset,
          bitfield_size = m.bitfield_size ~= 0 and m.bitfield_size or nil }
      end
      local add = k == "struct" and b.add_struct or b.add_union
      r = add(b, t.name, t.size, ms)
    else -- raised (not returned): a nested failure must not become void
      error(("%s '%s' has no layout to copy"):format(k, tostring(t.name)), 0)
    end
    done[key] = r
    return r
  end
  return import
end

return M
