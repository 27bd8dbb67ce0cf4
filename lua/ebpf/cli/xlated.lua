--- ebpf.cli.xlated: `ebpf prog dump xlated`: a loaded program's
-- instructions as the verifier left them, every one decoded, with the
-- source lines and function prototypes of its BTF line/func info.
-- What the kernel rewrote for the dump is named back: map references
-- (map[id:N]), helper calls (by kernel symbol, from /proc/kallsyms) and
-- kfunc calls (by kernel BTF name).
-- @module ebpf.cli.xlated

local json = require "ebpf.json"
local util = require "ebpf.cli.util"

local lib, fail = util.lib, util.fail

local M = {}

-- Helper call targets are addresses relative to __bpf_call_base in the
-- dump; names come from kallsyms (all zero without privileges: then none).
local function kernel_symbols(wanted)
  local f = io.open("/proc/kallsyms")
  if not f then return {} end
  local base
  local by_addr = {}
  for line in f:lines() do
    local addr, name = line:match("^(%x+) %a ([%w_.]+)")
    if addr then
      local a = tonumber(addr, 16)
      if name == "__bpf_call_base" then base = a end
      by_addr[a] = by_addr[a] or name
    end
  end
  f:close()
  local names = {}
  if not base or base == 0 then return names end
  for imm in pairs(wanted) do names[imm] = by_addr[base + imm] end
  return names
end

local function u32(s, at) return (string.unpack("<I4", s, at)) end
local function i32(s, at) return (string.unpack("<i4", s, at)) end

local function i16(s, at) return (string.unpack("<i2", s, at)) end

-- Rewrites one instruction's text where the dump carries kernel ids.
-- funcs maps instruction index -> function name (BTF func info).
local function fix(text, bytes, idx, names, funcs)
  local at = idx * 8 + 1
  local code, regs = bytes:byte(at), bytes:byte(at + 1)
  local dst, src = regs & 0xf, regs >> 4
  local function target(rel)
    local f = funcs[idx + 1 + rel]
    return (" ; -> %d%s"):format(idx + 1 + rel, f and f.name and (" " .. f.name) or "")
  end
  if code == 0x18 and (src == 1 or src == 2) and #bytes >= at + 15 then
    local map_id = u32(bytes, at + 4)
    if src == 1 then return ("r%d = map[id:%d]"):format(dst, map_id) end
    return ("r%d = map[id:%d][0]+%d"):format(dst, map_id, u32(bytes, at + 12))
  elseif code == 0x18 and src == 4 then -- a callback's address: relative in imm
    local rel = i32(bytes, at + 4)
    return ("r%d = subprog[%+d]"):format(dst, rel) .. target(rel)
  elseif code == 0x85 and src == 1 then
    -- After JIT the kernel keeps the relative target in off (imm is then
    -- the subprogram's number); without JIT imm keeps it.
    local off = i16(bytes, at + 2)
    local rel = off ~= 0 and off or i32(bytes, at + 4)
    return ("call pc%+d"):format(rel) .. target(rel)
  elseif code == 0x85 and src == 0 then
    local imm = i32(bytes, at + 4)
    local name = names[imm]
    if name then return ("call %s#%d"):format(name, imm) end
    return (text:gsub(" ; unknown helper$", ""))
  end
  return text
end

local function kfunc_name(btf_id)
  local ok, kb = pcall(function() return lib().btf.kernel() end)
  if not ok or not kb then return nil end
  local ok2, t = pcall(kb.type, kb, btf_id)
  return ok2 and t and t.name or nil
end

--- Dumps program p (id) to ctx: text or JSON (one entry per instruction).
function M.dump(ctx, p, id, opts)
  local eb = lib()
  local info, ierr = p:info()
  if not info then fail(ierr) end
  local bytes = info.xlated
  if not bytes or #bytes == 0 then
    fail(("program %d: no translated instructions (kernel.bpf_jit_harden or no permission)"):format(id))
  end
  local text = eb.asm.disassemble(bytes)
  local insns = {}
  local wanted = {}
  for line in text:gmatch("[^\n]+") do
    local idx, t = line:match("^%s*(%d+): (.*)$")
    if idx then
      idx = tonumber(idx)
      insns[#insns + 1] = { idx = idx, text = t }
      local at = idx * 8 + 1
      if bytes:byte(at) == 0x85 and bytes:byte(at + 1) >> 4 == 0 then wanted[i32(bytes, at + 4)] = true end
    end
  end
  local names = next(wanted) and kernel_symbols(wanted) or {}
  local lines, funcs = {}, {}
  for _, l in ipairs(p:line_info() or {}) do
    if l.line then l.line = l.line:gsub("^%s+", "") end -- the code, not its indentation
    lines[l.insn] = l
  end
  local b = info.btf_id ~= 0 and eb.btf.from_id(info.btf_id)
  for _, fi in ipairs(p:func_info() or {}) do
    local proto = fi.name
    if b then
      local ok, t = pcall(b.type, b, fi.type_id)
      if ok and t then proto = tostring(t):gsub(";%s*$", "") end
    end
    funcs[fi.insn] = { name = fi.name, proto = proto }
  end
  if b then b:close() end
  local out = json.array()
  local buf = {}
  for _, ins in ipairs(insns) do
    local t = fix(ins.text, bytes, ins.idx, names, funcs)
    local raw = bytes:byte(ins.idx * 8 + 1)
    if raw == 0x85 and (bytes:byte(ins.idx * 8 + 2) >> 4) == 2 then
      local kn = kfunc_name(i32(bytes, ins.idx * 8 + 5))
      if kn then t = ("call %s"):format(kn) end
    end
    local f, l = funcs[ins.idx], lines[ins.idx]
    if ctx.json then
      local e = json.object()
      if f then e.proto = f.proto end
      if l then
        e.src = l.line
        e.file = l.file
        e.line_num = l.line_num
        e.line_col = l.col
      end
      e.pc = ins.idx
      e.disasm = t
      if opts.opcodes then e.opcodes = util.hex(bytes:sub(ins.idx * 8 + 1, ins.idx * 8 + 8)) end
      out[#out + 1] = e
    else
      if f then buf[#buf + 1] = util.printable(f.proto or "") .. ":" end
      if l and l.line then
        local where = opts.linum and (" [file:%s line_num:%d line_col:%d]"):format(util.printable(l.file or "?"),
          l.line_num, l.col) or ""
        buf[#buf + 1] = "; " .. util.printable(l.line) .. where
      end
      local op = opts.opcodes and ("\n       " .. util.hex(bytes:sub(ins.idx * 8 + 1, ins.idx * 8 + 8))) or ""
      buf[#buf + 1] = ("%5d: %s%s"):format(ins.idx, t, op)
    end
  end
  if ctx.json then return ctx.emit(out) end
  ctx.out(table.concat(buf, "\n") .. "\n")
end

return M
