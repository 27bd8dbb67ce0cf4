-- Raw-instruction programs for the link specs (no ELF loader or assembler
-- needed): counters into an array map, with optional pid filter, and
-- stores of context fields.
local helpers = require "helpers"
local ebpf = require "ebpf"

local U = {}

local function ld_map(reg, fd)
  return { 0x18, reg, 1, 0, fd }, { 0, 0, 0, 0, 0 }
end

--- Instruction list that looks up key `key` of the array map at `fd`
-- into r0, jumping to the label "out" (resolved by build) if missing.
local function lookup(list, fd, key)
  local a, b = ld_map(1, fd)
  list[#list + 1] = a
  list[#list + 1] = b
  list[#list + 1] = { 0xbf, 2, 10 }                   -- r2 = r10
  list[#list + 1] = { 0x07, 2, 0, 0, -4 }             -- r2 += -4
  list[#list + 1] = { 0x62, 10, 0, -4, key }          -- *(u32 *)(r10 - 4) = key
  list[#list + 1] = { 0x85, 0, 0, 0, 1 }              -- call map_lookup_elem
  list[#list + 1] = { 0x15, 0, 0, "out" }             -- if r0 == 0 goto out
end

--- Resolves "out" jump targets to the final "r0 = ret; exit".
local function build(list, ret)
  local out = #list
  for i, ins in ipairs(list) do
    if ins[4] == "out" then ins[4] = out - i end
  end
  list[#list + 1] = { 0xb7, 0, 0, 0, ret or 0 }
  list[#list + 1] = { 0x95 }
  return helpers.insns(list)
end

--- A counting program: map[0] += 1 per run. opts: pid (only count this
-- tgid), ret (return value), store = { {key, ctx_off}, ... } (map[key] =
-- *(u64 *)(ctx + off) before counting).
function U.counter(map, opts)
  opts = opts or {}
  local fd = map:fd()
  local l = { { 0xbf, 6, 1 } }                         -- r6 = ctx
  if opts.pid then
    l[#l + 1] = { 0x85, 0, 0, 0, 14 }                  -- call get_current_pid_tgid
    l[#l + 1] = { 0x77, 0, 0, 0, 32 }                  -- r0 >>= 32
    l[#l + 1] = { 0x55, 0, 0, "out", opts.pid }        -- if r0 != pid goto out
  end
  for _, s in ipairs(opts.store or {}) do
    l[#l + 1] = { 0x79, 7, 6, s[2] }                   -- r7 = *(u64 *)(r6 + off)
    lookup(l, fd, s[1])
    l[#l + 1] = { 0x7b, 0, 7, 0 }                      -- *(u64 *)(r0) = r7
  end
  lookup(l, fd, opts.key or 0)
  l[#l + 1] = { 0xb7, 1, 0, 0, 1 }                     -- r1 = 1
  l[#l + 1] = { 0xdb, 0, 1, 0, 0 }                     -- lock *(u64 *)(r0) += r1
  return build(l, opts.ret)
end

function U.array(n)
  return assert(ebpf.map { type = "array", key_size = 4, value_size = 8, max_entries = n or 4 })
end

function U.prog(ptype, map, opts, extra)
  local t = { type = ptype, insns = U.counter(map, opts), name = "cnt" }
  for k, v in pairs(extra or {}) do t[k] = v end
  return assert(ebpf.program(t))
end

function U.get(map, key)
  return map[key or 0]
end

--- The test's own process id (busted runs specs in-process).
function U.pid()
  local f = assert(io.open("/proc/self/stat"))
  local pid = tonumber(f:read("a"):match("^(%d+)"))
  f:close()
  return pid
end

return U
