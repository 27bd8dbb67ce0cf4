--- ebpf.asm: write BPF programs in Lua, and read any program as assembly.
--
--    local a = require "ebpf.asm"
--    local r0, r1 = a.r0, a.r1
--    local prog = a{
--      a.mov(r0, 0),
--      a.jeq(r1, 0, "out"),
--      a.mov(r0, 1),
--      a.label "out",
--      a.exit(),
--    }
--    print(prog)               -- the disassembly
--    ebpf.program{ type = "socket_filter", insns = prog }
--
-- Registers r0-r10 (64-bit) and w0-w10 (their 32-bit halves: an operation
-- on w registers is the ALU32/JMP32 form). Jump targets are label names or
-- numeric offsets; labels are resolved when the list is assembled
-- (`tobytes()`), with clear errors for undefined labels and values that do
-- not fit their field. The text is llvm-objdump's syntax.
-- @module ebpf.asm

local core = require "ebpf.core"

local M = {}

local INT32_MIN, INT32_MAX, UINT32_MAX = -0x80000000, 0x7fffffff, 0xffffffff

-- Opcode parts (linux/bpf.h, bpf_common.h).
local LD, LDX, ST, STX, ALU, JMP, JMP32, ALU64 = 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07
local K, X = 0x00, 0x08
local IMM, ABS, IND, MEM, MEMSX, ATOMIC = 0x00, 0x20, 0x40, 0x60, 0x80, 0xc0
local SIZES = { u32 = 0x00, u16 = 0x08, u8 = 0x10, u64 = 0x18,
                w = 0x00, h = 0x08, b = 0x10, dw = 0x18 }
local SSIZES = { s32 = 0x00, s16 = 0x08, s8 = 0x10, w = 0x00, h = 0x08, b = 0x10 }

---------------------------------------------------------------------------
-- Registers
---------------------------------------------------------------------------

local Reg = { __name = "ebpf.asm.register" }
Reg.__index = Reg
function Reg.__tostring(r) return (r.w and "w" or "r") .. r.n end

for i = 0, 10 do
  M["r" .. i] = setmetatable({ n = i, w = false }, Reg)
  M["w" .. i] = setmetatable({ n = i, w = true }, Reg)
end
--- The frame pointer r10 and the usual aliases.
M.fp = M.r10

local function isreg(v) return getmetatable(v) == Reg end

local function reg(name, v, what)
  if not isreg(v) then
    error(("%s: %s must be a register (ebpf.asm.r0 .. r10), got %s"):format(name, what, type(v)), 3)
  end
  return v
end

local function int(name, v, what, lo, hi)
  if math.type(v) ~= "integer" then
    error(("%s: %s must be an integer, got %s"):format(name, what,
      math.type(v) or type(v)), 3)
  end
  if v < lo or v > hi then
    error(("%s: %s %d does not fit (allowed %d .. %d)"):format(name, what, v, lo, hi), 3)
  end
  return v
end

local function imm32(name, v, unsigned_ok)
  if unsigned_ok then return int(name, v, "immediate", INT32_MIN, UINT32_MAX) end
  if math.type(v) == "integer" and v > INT32_MAX and v <= UINT32_MAX then
    error(("%s: immediate %d does not fit in a signed 32-bit field (it would be "
      .. "sign-extended to 64 bits; use ld_imm64 for 64-bit constants)"):format(name, v), 3)
  end
  return int(name, v, "immediate", INT32_MIN, INT32_MAX)
end

local function off16(name, v) return int(name, v, "offset", -0x8000, 0x7fff) end

local function size_of(name, s, tab)
  local v = (tab or SIZES)[s]
  if not v then
    local keys = {}
    for k in pairs(tab or SIZES) do keys[#keys + 1] = '"' .. k .. '"' end
    table.sort(keys)
    error(("%s: unknown size %s (one of %s)"):format(name, tostring(s), table.concat(keys, ", ")), 3)
  end
  return v
end

-- An instruction entry: the raw fields plus what assembly resolves
-- (target label, map handle).
local Insn = { __name = "ebpf.asm.insn" }
Insn.__index = Insn
local Label = { __name = "ebpf.asm.label" }
Label.__index = Label
function Label.__tostring(l) return l.label .. ":" end

local function insn(t) return setmetatable(t, Insn) end

-- One instruction's text; an unresolved label target shows by name.
function Insn.__tostring(it)
  local text = core.asm_format({ code = it.code, dst = it.dst, src = it.src, off = it.off, imm = it.imm,
                                 wide = it.wide, hi_regs = it.hi_regs, hi_off = it.hi_off }, 0)
  if type(it.target) == "string" then text = text .. " ; -> " .. it.target end
  return text
end

---------------------------------------------------------------------------
-- ALU
---------------------------------------------------------------------------

local ALU_OPS = { add = 0x00, sub = 0x10, mul = 0x20, div = 0x30, or_ = 0x40, and_ = 0x50,
                  lsh = 0x60, rsh = 0x70, mod = 0x90, xor = 0xa0, mov = 0xb0, arsh = 0xc0,
                  sdiv = 0x30, smod = 0x90 }
local SHIFTS = { lsh = true, rsh = true, arsh = true }

local function alu(name, op, force32)
  return function(dst, src)
    reg(name, dst, "destination")
    local is32 = force32 or dst.w
    local cls = is32 and ALU or ALU64
    local off = (name:match("^s[dm]") and 1) or 0
    if isreg(src) then
      if src.w ~= dst.w and not force32 then
        error(("%s: cannot mix %s and %s (use both rN or both wN)"):format(name, dst, src), 2)
      end
      return insn { code = cls | op | X, dst = dst.n, src = src.n, off = off, imm = 0 }
    end
    local base = name:gsub("32$", "")
    if SHIFTS[base] then
      int(name, src, "shift amount", 0, is32 and 31 or 63)
    elseif op == 0xb0 and not is32 and math.type(src) == "integer" and (src > INT32_MAX or src < INT32_MIN) then
      error(("%s: immediate %d does not fit in 32 bits; use ld_imm64(%s, %d)"):format(name, src, dst, src), 2)
    else
      imm32(name, src, is32)
    end
    return insn { code = cls | op | K, dst = dst.n, src = 0, off = off, imm = src }
  end
end

for name, op in pairs(ALU_OPS) do
  M[name] = alu(name, op, false)
  M[name:gsub("_$", "") .. "32"] = alu(name:gsub("_$", "") .. "32", op, true)
end
-- Friendlier names for the Lua keywords and/or.
M.band, M.bor = M.and_, M.or_

--- neg(dst): dst = -dst
function M.neg(dst)
  reg("neg", dst, "destination")
  return insn { code = (dst.w and ALU or ALU64) | 0x80, dst = dst.n }
end
function M.neg32(dst)
  reg("neg32", dst, "destination")
  return insn { code = ALU | 0x80, dst = dst.n }
end

--- movsx(dst, src, bits): sign-extending move of the low 8/16/32 bits (ISA v4).
function M.movsx(dst, src, bits)
  reg("movsx", dst, "destination")
  reg("movsx", src, "source")
  if dst.w ~= src.w then error(("movsx: cannot mix %s and %s"):format(dst, src), 2) end
  if not (bits == 8 or bits == 16 or (bits == 32 and not dst.w)) then
    error(("movsx: bits must be 8, 16%s, got %s"):format(dst.w and "" or " or 32", tostring(bits)), 2)
  end
  return insn { code = (dst.w and ALU or ALU64) | 0xb0 | X, dst = dst.n, src = src.n, off = bits }
end

--- addr_space_cast(dst, src, dst_as, src_as) (arena pointers).
function M.addr_space_cast(dst, src, dst_as, src_as)
  reg("addr_space_cast", dst, "destination")
  reg("addr_space_cast", src, "source")
  int("addr_space_cast", dst_as, "destination address space", 0, 0xffff)
  int("addr_space_cast", src_as, "source address space", 0, 0xffff)
  return insn { code = ALU64 | 0xb0 | X, dst = dst.n, src = src.n, off = 1, imm = dst_as << 16 | src_as }
end

-- Byte order: be16/32/64 and le16/32/64 convert (ALU class), bswap16/32/64
-- swap unconditionally (ALU64 class, ISA v4).
for _, bits in ipairs { 16, 32, 64 } do
  M["be" .. bits] = function(dst)
    reg("be" .. bits, dst, "register")
    return insn { code = ALU | 0xd0 | X, dst = dst.n, imm = bits }
  end
  M["le" .. bits] = function(dst)
    reg("le" .. bits, dst, "register")
    return insn { code = ALU | 0xd0 | K, dst = dst.n, imm = bits }
  end
  M["bswap" .. bits] = function(dst)
    reg("bswap" .. bits, dst, "register")
    return insn { code = ALU64 | 0xd0 | K, dst = dst.n, imm = bits }
  end
end

---------------------------------------------------------------------------
-- 64-bit immediates (two slots)
---------------------------------------------------------------------------

local LDDW = LD | IMM | 0x18

--- ld_imm64(dst, value): dst = 64-bit constant (also `lddw`).
function M.ld_imm64(dst, v)
  reg("ld_imm64", dst, "destination")
  if math.type(v) ~= "integer" then
    error("ld_imm64: value must be an integer, got " .. (math.type(v) or type(v)), 2)
  end
  return insn { code = LDDW, dst = dst.n, imm = v, wide = true }
end
M.lddw = M.ld_imm64

local function map_ref(name, m)
  if math.type(m) == "integer" then return m end
  local ok, fd = pcall(function() return m:fd() end)
  if not ok or math.type(fd) ~= "integer" then
    error(name .. ": map must be an ebpf.map or an fd, got " .. tostring(m), 3)
  end
  return nil -- resolved at assembly, so the map must stay open until then
end

--- ld_map(dst, map): dst = the map (BPF_PSEUDO_MAP_FD); map is an ebpf.map
-- (its fd is taken at assembly) or an fd.
function M.ld_map(dst, m)
  reg("ld_map", dst, "destination")
  local fd = map_ref("ld_map", m)
  return insn { code = LDDW, dst = dst.n, src = 1, imm = fd or 0, wide = true, map = not fd and m or nil }
end

--- ld_map_value(dst, map, off): dst = address of the map's value + off
-- (BPF_PSEUDO_MAP_VALUE, array maps).
function M.ld_map_value(dst, m, off)
  reg("ld_map_value", dst, "destination")
  off = int("ld_map_value", off or 0, "value offset", 0, INT32_MAX)
  local fd = map_ref("ld_map_value", m)
  return insn { code = LDDW, dst = dst.n, src = 2, imm = (off << 32) | (fd or 0), wide = true,
                map = not fd and m or nil, map_off = off }
end

--- ld_map_idx(dst, idx) / ld_map_idx_value(dst, idx, off): maps by index
-- into the load's fd_array.
function M.ld_map_idx(dst, idx)
  reg("ld_map_idx", dst, "destination")
  int("ld_map_idx", idx, "index", 0, INT32_MAX)
  return insn { code = LDDW, dst = dst.n, src = 5, imm = idx, wide = true }
end
function M.ld_map_idx_value(dst, idx, off)
  reg("ld_map_idx_value", dst, "destination")
  int("ld_map_idx_value", idx, "index", 0, INT32_MAX)
  off = int("ld_map_idx_value", off or 0, "value offset", 0, INT32_MAX)
  return insn { code = LDDW, dst = dst.n, src = 6, imm = (off << 32) | idx, wide = true }
end

--- ld_btf_id(dst, id): dst = address of a kernel variable (BPF_PSEUDO_BTF_ID).
function M.ld_btf_id(dst, id)
  reg("ld_btf_id", dst, "destination")
  int("ld_btf_id", id, "BTF id", 0, INT32_MAX)
  return insn { code = LDDW, dst = dst.n, src = 3, imm = id, wide = true }
end

--- ld_func(dst, label): dst = address of the subprogram at label
-- (BPF_PSEUDO_FUNC, e.g. a bpf_loop callback).
function M.ld_func(dst, target)
  reg("ld_func", dst, "destination")
  if type(target) ~= "string" and math.type(target) ~= "integer" then
    error("ld_func: target must be a label name or an offset", 2)
  end
  return insn { code = LDDW, dst = dst.n, src = 4, wide = true, target = target, target_field = "imm" }
end

---------------------------------------------------------------------------
-- Memory
---------------------------------------------------------------------------

--- ldx(size, dst, src, off): dst = *(size *)(src + off); size "u8" .. "u64".
function M.ldx(size, dst, src, off)
  local sz = size_of("ldx", size)
  reg("ldx", dst, "destination")
  reg("ldx", src, "source")
  return insn { code = LDX | MEM | sz, dst = dst.n, src = src.n, off = off16("ldx", off or 0) }
end

--- ldxs(size, dst, src, off): sign-extending load, size "s8"/"s16"/"s32" (ISA v4).
function M.ldxs(size, dst, src, off)
  local sz = size_of("ldxs", size, SSIZES)
  reg("ldxs", dst, "destination")
  reg("ldxs", src, "source")
  return insn { code = LDX | MEMSX | sz, dst = dst.n, src = src.n, off = off16("ldxs", off or 0) }
end

--- st(size, dst, off, imm): *(size *)(dst + off) = imm
function M.st(size, dst, off, imm)
  local sz = size_of("st", size)
  reg("st", dst, "destination")
  return insn { code = ST | MEM | sz, dst = dst.n, off = off16("st", off), imm = imm32("st", imm, sz ~= 0x18) }
end

--- stx(size, dst, off, src): *(size *)(dst + off) = src
function M.stx(size, dst, off, src)
  local sz = size_of("stx", size)
  reg("stx", dst, "destination")
  reg("stx", src, "source")
  return insn { code = STX | MEM | sz, dst = dst.n, src = src.n, off = off16("stx", off) }
end

-- Short forms as in the kernel's naming: ldxb/ldxh/ldxw/ldxdw, ldxsb/...,
-- stb/..., stxb/....
for suffix, size in pairs { b = "u8", h = "u16", w = "u32", dw = "u64" } do
  M["ldx" .. suffix] = function(dst, src, off) return M.ldx(size, dst, src, off) end
  M["st" .. suffix] = function(dst, off, imm) return M.st(size, dst, off, imm) end
  M["stx" .. suffix] = function(dst, off, src) return M.stx(size, dst, off, src) end
end
for suffix, size in pairs { b = "s8", h = "s16", w = "s32" } do
  M["ldxs" .. suffix] = function(dst, src, off) return M.ldxs(size, dst, src, off) end
end

local ATOMIC_SIZES = { u32 = 0x00, u64 = 0x18, w = 0x00, dw = 0x18 }
local function atomic(name, op)
  return function(size, dst, off, src)
    local sz = size_of(name, size, ATOMIC_SIZES)
    reg(name, dst, "destination")
    reg(name, src, "source")
    return insn { code = STX | ATOMIC | sz, dst = dst.n, src = src.n, off = off16(name, off), imm = op }
  end
end
--- atomic_add(size, dst, off, src): lock *(size *)(dst + off) += src;
-- also atomic_or/and/xor; atomic_fetch_* put the old value in src;
-- xchg swaps; cmpxchg compares with r0 and puts the old value in r0.
for name, op in pairs { add = 0x00, ["or"] = 0x40, ["and"] = 0x50, xor = 0xa0 } do
  M["atomic_" .. name] = atomic("atomic_" .. name, op)
  M["atomic_fetch_" .. name] = atomic("atomic_fetch_" .. name, op | 1)
end
M.xchg = atomic("xchg", 0xe1)
M.cmpxchg = atomic("cmpxchg", 0xf1)

--- load_acquire(size, dst, src, off) / store_release(size, dst, off, src)
function M.load_acquire(size, dst, src, off)
  local sz = size_of("load_acquire", size)
  reg("load_acquire", dst, "destination")
  reg("load_acquire", src, "source")
  return insn { code = STX | ATOMIC | sz, dst = dst.n, src = src.n, off = off16("load_acquire", off or 0),
                imm = 0x100 }
end
function M.store_release(size, dst, off, src)
  local sz = size_of("store_release", size)
  reg("store_release", dst, "destination")
  reg("store_release", src, "source")
  return insn { code = STX | ATOMIC | sz, dst = dst.n, src = src.n, off = off16("store_release", off),
                imm = 0x110 }
end

local LEGACY_SIZES = { u32 = 0x00, u16 = 0x08, u8 = 0x10, w = 0x00, h = 0x08, b = 0x10 }
--- ld_abs(size, imm): r0 = packet[imm] (legacy socket filter load, network order).
function M.ld_abs(size, imm)
  return insn { code = LD | ABS | size_of("ld_abs", size, LEGACY_SIZES), imm = imm32("ld_abs", imm) }
end
--- ld_ind(size, src, imm): r0 = packet[src + imm]
function M.ld_ind(size, src, imm)
  local sz = size_of("ld_ind", size, LEGACY_SIZES)
  reg("ld_ind", src, "source")
  return insn { code = LD | IND | sz, src = src.n, imm = imm32("ld_ind", imm or 0) }
end

---------------------------------------------------------------------------
-- Jumps and calls
---------------------------------------------------------------------------

local function target_of(name, t)
  if type(t) ~= "string" and math.type(t) ~= "integer" then
    error(("%s: jump target must be a label name or an integer offset, got %s"):format(name, type(t)), 3)
  end
  return t
end

local JMP_OPS = { jeq = 0x10, jgt = 0x20, jge = 0x30, jset = 0x40, jne = 0x50, jsgt = 0x60,
                  jsge = 0x70, jlt = 0xa0, jle = 0xb0, jslt = 0xc0, jsle = 0xd0 }
local function jcond(name, op, force32)
  return function(dst, src, target)
    reg(name, dst, "left operand")
    local is32 = force32 or dst.w
    local t = { code = (is32 and JMP32 or JMP) | op, dst = dst.n, target = target_of(name, target),
                target_field = "off" }
    if isreg(src) then
      if src.w ~= dst.w and not force32 then
        error(("%s: cannot compare %s with %s (use both rN or both wN)"):format(name, dst, src), 2)
      end
      t.code, t.src = t.code | X, src.n
    else
      t.imm = imm32(name, src, is32)
    end
    return insn(t)
  end
end
for name, op in pairs(JMP_OPS) do
  M[name] = jcond(name, op, false)
  M[name .. "32"] = jcond(name .. "32", op, true)
end

--- ja(target): goto (16-bit offset); ja32(target) / gotol: 32-bit offset (ISA v4).
function M.ja(target)
  return insn { code = JMP, target = target_of("ja", target), target_field = "off" }
end
function M.ja32(target)
  return insn { code = JMP32, target = target_of("ja32", target), target_field = "imm" }
end
M.gotol = M.ja32
--- may_goto(target): bounded-loop escape hatch (kernel 6.9+).
function M.may_goto(target)
  return insn { code = JMP | 0xe0, target = target_of("may_goto", target), target_field = "off" }
end

--- call(helper): a helper by name ("map_lookup_elem" or "bpf_map_lookup_elem") or id.
function M.call(h)
  local id = h
  if type(h) == "string" then
    id = core.helper_id(h)
    if not id then error(("call: unknown helper '%s'"):format(h), 2) end
  else
    int("call", h, "helper id", 0, INT32_MAX)
  end
  return insn { code = JMP | 0x80, imm = id }
end
--- call_sub(label): bpf-to-bpf call of the subprogram at label (BPF_PSEUDO_CALL).
function M.call_sub(target)
  return insn { code = JMP | 0x80, src = 1, target = target_of("call_sub", target), target_field = "imm" }
end
--- call_kfunc(btf_id [, module]): a kernel function by BTF id; module is
-- the fd_array index of its module's BTF (0: vmlinux).
function M.call_kfunc(id, module)
  int("call_kfunc", id, "BTF id", 0, INT32_MAX)
  return insn { code = JMP | 0x80, src = 2, imm = id, off = off16("call_kfunc", module or 0) }
end
--- exit(): return r0.
function M.exit() return insn { code = JMP | 0x90 } end

--- label(name): marks the next instruction as a jump target.
function M.label(name)
  if type(name) ~= "string" or name == "" then error("label: name must be a non-empty string", 2) end
  return setmetatable({ label = name }, Label)
end

--- raw{code=, dst=, src=, off=, imm=}: any instruction by its fields.
function M.raw(t)
  if type(t) ~= "table" then error("raw: table expected", 2) end
  int("raw", t.code, "code", 0, 255)
  local wide = t.wide
  if wide == nil then wide = t.code == LDDW end
  return insn { code = t.code, dst = int("raw", t.dst or 0, "dst", 0, 15), src = int("raw", t.src or 0, "src", 0, 15),
                off = off16("raw", t.off or 0), wide = wide or nil,
                imm = wide and int("raw", t.imm or 0, "imm", math.mininteger, math.maxinteger)
                  or imm32("raw", t.imm or 0, true) }
end

---------------------------------------------------------------------------
-- Instruction lists
---------------------------------------------------------------------------

local List = { __name = "ebpf.asm.insns" }
-- list[i] is the i-th instruction (labels don't count), so ipairs works.
function List.__index(self, k)
  if math.type(k) ~= "integer" then return List[k] end
  local items, idx = rawget(self, "items"), rawget(self, "_idx")
  if not idx or idx.n ~= #items then -- (re)built after appends
    idx = { n = #items }
    for _, it in ipairs(items) do
      if getmetatable(it) == Insn then idx[#idx + 1] = it end
    end
    rawset(self, "_idx", idx)
  end
  return idx[k]
end

local function append(self, x, depth)
  local mt = getmetatable(x)
  if mt == Insn or mt == Label then
    self.items[#self.items + 1] = x
  elseif mt == List then
    for _, it in ipairs(x.items) do self.items[#self.items + 1] = it end
  elseif type(x) == "table" and mt == nil then
    for i = 1, #x do append(self, x[i], depth + 1) end
  else
    error(("instruction list: element %s is not an instruction, label or list"):format(tostring(x)), depth + 2)
  end
end

--- insns{...} (or calling the module): a new list of instructions, labels,
-- other lists or nested tables of them.
function M.insns(t)
  local self = setmetatable({ items = {} }, List)
  if t ~= nil then append(self, t, 1) end
  return self
end
setmetatable(M, { __call = function(_, t) return M.insns(t) end })

--- list:append(x): adds instructions/labels/lists at the end; returns list.
function List:append(x)
  append(self, x, 1)
  return self
end

-- Every instruction constructor is also a chaining method:
-- `p:mov(r0, 0):exit()`.
local NOT_INSNS = { insns = true, decode = true, encode = true, disassemble = true, format = true,
                    valid = true, helper_id = true, helper_name = true, helpers = true }
local function add_methods()
  for name, f in pairs(M) do
    if type(f) == "function" and not List[name] and not NOT_INSNS[name] then
      List[name] = function(self, ...) return self:append(f(...)) end
    end
  end
end

--- list:assemble() -> sequence of raw instruction tables (code, dst, src,
-- off, imm, wide) with labels resolved and map fds filled in; raises on an
-- undefined/duplicate label or a jump that does not fit.
function List:assemble()
  local labels, slot, at = {}, 0, {}
  for i, it in ipairs(self.items) do
    if getmetatable(it) == Label then
      if labels[it.label] then error(("ebpf.asm: duplicate label '%s'"):format(it.label), 0) end
      labels[it.label] = slot
    else
      at[i] = slot
      slot = slot + (it.wide and 2 or 1)
    end
  end
  local out = {}
  for i, it in ipairs(self.items) do
    if getmetatable(it) == Insn then
      local r = { code = it.code, dst = it.dst or 0, src = it.src or 0, off = it.off or 0, imm = it.imm or 0,
                  wide = it.wide, hi_regs = it.hi_regs, hi_off = it.hi_off }
      if it.target ~= nil then
        local d = it.target
        if type(d) == "string" then
          local to = labels[d]
          if not to then error(("ebpf.asm: undefined label '%s' (instruction %d)"):format(d, at[i]), 0) end
          d = to - (at[i] + 1)
        end
        if it.target_field == "off" then
          if d < -0x8000 or d > 0x7fff then
            error(("ebpf.asm: jump to '%s' at instruction %d: offset %d does not fit in 16 bits (use ja32)")
              :format(tostring(it.target), at[i], d), 0)
          end
          r.off = d
        else
          if d < INT32_MIN or d > INT32_MAX then
            error(("ebpf.asm: target '%s' at instruction %d: offset %d does not fit in 32 bits")
              :format(tostring(it.target), at[i], d), 0)
          end
          r.imm = d
        end
      end
      if it.map then
        local fd = it.map:fd()
        r.imm = ((it.map_off or 0) << 32) | fd
      end
      out[#out + 1] = r
    end
  end
  return out, labels
end

--- list:tobytes() -> the instruction bytes (what ebpf.program loads).
function List:tobytes()
  return core.asm_encode((self:assemble()))
end

function List:__len()
  local n = 0
  for _, it in ipairs(self.items) do
    if getmetatable(it) == Insn then n = n + 1 end
  end
  return n
end

local function map_label(m)
  local ok, info = pcall(function() return m:info() end)
  if ok and type(info) == "table" and info.name and info.name ~= "" then
    return ("map '%s'"):format(info.name)
  end
  return "map " .. tostring(m)
end

local function opts_check(opts)
  if opts == nil then return {} end
  if type(opts) ~= "table" then error("options must be a table", 3) end
  for k in pairs(opts) do
    if k ~= "alu32" and k ~= "addresses" and k ~= "comments" and k ~= "notes" and k ~= "base" then
      error(("invalid field name '%s'"):format(tostring(k)), 3)
    end
  end
  return opts
end

--- list:disassemble(opts) -> text with label names in the comments.
-- opts: alu32 (default true), addresses (true), comments (true).
function List:disassemble(opts)
  opts = opts_check(opts)
  local raw, labels = self:assemble()
  local at_label = {}
  for name, slot in pairs(labels) do
    at_label[slot] = at_label[slot] and (at_label[slot] .. ", " .. name) or name
  end
  local lines, slot, k = {}, 0, 0
  for _, it in ipairs(self.items) do
    if getmetatable(it) == Insn then
      k = k + 1
      local text, note = core.asm_format(raw[k], slot, opts)
      if it.target ~= nil and type(it.target) == "string" then
        note = note:gsub("%-> %-?%d+", "-> " .. it.target:gsub("%%", "%%%%"))
      end
      if it.map then note = map_label(it.map) .. " (" .. note .. ")" end
      if at_label[slot] then note = at_label[slot] .. ":" .. (note ~= "" and " " .. note or "") end
      local extra = opts.notes and opts.notes[slot + (opts.base or 0)]
      if type(extra) == "string" then note = note .. (note ~= "" and " " or "") .. extra end
      local line = text
      if opts.comments ~= false and note ~= "" then line = line .. " ; " .. note end
      if opts.addresses ~= false then line = ("%5d: %s"):format(slot + (opts.base or 0), line) end
      lines[#lines + 1] = line
      slot = slot + (raw[k].wide and 2 or 1)
    end
  end
  return table.concat(lines, "\n") .. (#lines > 0 and "\n" or "")
end

function List:__tostring() return self:disassemble() end

--- list:insn(i) -> the i-th instruction as a raw table (assembled).
function List:insn(i)
  return (self:assemble())[i]
end

---------------------------------------------------------------------------
-- Bytes <-> instructions
---------------------------------------------------------------------------

--- decode(bytes) -> instruction list of the raw instructions (tables with
-- code, dst, src, off, imm, wide); `tostring` of it is the disassembly and
-- `tobytes()` gives the same bytes back.
function M.decode(bytes)
  if type(bytes) ~= "string" then error("decode: string of instruction bytes expected, got " .. type(bytes), 2) end
  local list = M.insns()
  for _, r in ipairs(core.asm_decode(bytes)) do
    list.items[#list.items + 1] = insn(r)
  end
  return list
end

--- encode(list) -> bytes; list is an instruction list or a sequence of raw
-- instruction tables.
function M.encode(list)
  if getmetatable(list) == List then return list:tobytes() end
  if type(list) ~= "table" then error("encode: instruction list expected, got " .. type(list), 2) end
  return core.asm_encode(list)
end

--- disassemble(bytes_or_list [, opts]) -> text, one instruction a line:
-- "  idx: text ; comment". opts: alu32 = false for llvm-objdump's default
-- dialect (rN in sub-64-bit loads/stores), addresses = false, comments = false,
-- notes = { [idx] = "extra comment" }, base = index of the first slot.
function M.disassemble(x, opts)
  if getmetatable(x) == List then return x:disassemble(opts) end
  if type(x) ~= "string" then error("disassemble: bytes or an instruction list expected, got " .. type(x), 2) end
  return core.asm_disassemble(x, opts_check(opts))
end

--- format(insn) -> text, comment of one raw instruction table.
function M.format(t, idx, opts)
  return core.asm_format(t, idx or 0, opts_check(opts))
end

--- valid(insn) -> true if a valid encoding.
function M.valid(t) return core.asm_valid(t) end

--- Helpers: helper_id("map_lookup_elem") -> 1, helper_name(1) -> "map_lookup_elem",
-- helpers() -> { name = id }.
M.helper_id = core.helper_id
M.helper_name = core.helper_name
M.helpers = core.helpers

add_methods()

return M
