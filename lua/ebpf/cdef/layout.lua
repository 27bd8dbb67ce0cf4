--- ebpf.cdef.layout: where members go, as clang lays out C structs for
-- the BPF target (the System V rules, which BPF follows): each member at
-- its type's alignment; a bitfield wherever it does not cross a boundary
-- of its type's alignment unit, else from the next unit; `:0` skips to the
-- next unit; unnamed bitfields take space but do not align the struct;
-- `packed` drops member alignment, `aligned(N)` raises it.
-- @module ebpf.cdef.layout

local M = {}

local function roundup(v, a) return (v + a - 1) // a * a end

--- Lays out `members` ({size=, align=, bits= (bitfields only), named=,
-- aligned= (explicit, bytes)}) of a struct (or of a union when `union`).
-- Sets bit_offset on each; returns size and alignment in bytes.
-- opts: packed, aligned (bytes).
function M.record(members, union, opts)
  local bit, size_bits, align = 0, 0, 1
  for _, m in ipairs(members) do
    local a = opts.packed and 1 or m.align
    if m.aligned then a = math.max(a, m.aligned) end
    if m.bits then
      local unit = m.align * 8 -- the type's alignment unit, in bits
      if union then
        m.bit_offset = 0
      elseif m.bits == 0 then
        bit = roundup(bit, unit)
        m.bit_offset = bit
      else
        if m.aligned then bit = roundup(bit, m.aligned * 8) end
        if not opts.packed and bit // unit ~= (bit + m.bits - 1) // unit then bit = roundup(bit, unit) end
        m.bit_offset = bit
        bit = bit + m.bits
      end
      -- unnamed bitfields (and :0) do not align the struct
      if m.named then align = math.max(align, a) end
      size_bits = math.max(size_bits, union and m.bits or bit)
    else
      if union then
        m.bit_offset = 0
        size_bits = math.max(size_bits, m.size * 8)
      else
        bit = roundup(roundup(bit, 8), a * 8)
        m.bit_offset = bit
        bit = bit + m.size * 8
        size_bits = bit
      end
      align = math.max(align, a)
    end
  end
  if opts.aligned then align = math.max(align, opts.aligned) end
  return roundup(roundup(size_bits, 8) // 8, align), align
end

return M
