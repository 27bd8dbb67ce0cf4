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

--- Ends with "r0 = ret; exit" (the path that counted) and resolves "out"
-- jumps to a final "r0 = ret_out; exit".
local function build(list, ret, ret_out)
  list[#list + 1] = { 0xb7, 0, 0, 0, ret or 0 }
  list[#list + 1] = { 0x95 }
  local out = #list
  for i, ins in ipairs(list) do
    if ins[4] == "out" then ins[4] = out - i end
  end
  list[#list + 1] = { 0xb7, 0, 0, 0, ret_out or ret or 0 }
  list[#list + 1] = { 0x95 }
  return helpers.insns(list)
end
U.build = build
U.lookup = lookup

--- Packet filter prologue: IPv4 + protocol (+ UDP destination port),
-- with data/data_end at the given ctx offsets (xdp: 0/4, skb: 76/80).
local function packet_filter(l, f)
  l[#l + 1] = { 0x61, 2, 6, f.data_off }               -- r2 = data
  l[#l + 1] = { 0x61, 3, 6, f.data_off + 4 }           -- r3 = data_end
  l[#l + 1] = { 0xbf, 4, 2 }                           -- r4 = r2
  l[#l + 1] = { 0x07, 4, 0, 0, 38 }                    -- r4 += 38
  l[#l + 1] = { 0x2d, 4, 3, "out" }                    -- if r4 > r3 goto out
  l[#l + 1] = { 0x69, 4, 2, 12 }                       -- r4 = *(u16 *)(r2 + 12)
  l[#l + 1] = { 0x55, 4, 0, "out", 0x0008 }            -- ethertype IPv4
  l[#l + 1] = { 0x71, 4, 2, 23 }                       -- r4 = ip protocol
  l[#l + 1] = { 0x55, 4, 0, "out", f.proto }
  if f.dport then
    l[#l + 1] = { 0x69, 4, 2, 36 }                     -- udp dest port (be)
    l[#l + 1] = { 0x55, 4, 0, "out", ((f.dport & 0xff) << 8) | (f.dport >> 8) }
  end
end

--- A counting program: map[0] += 1 per run. opts: pid (only count this
-- tgid), ret (return value), store = { {key, ctx_off}, ... } (map[key] =
-- *(u64 *)(ctx + off) before counting).
function U.counter(map, opts)
  opts = opts or {}
  local fd = map:fd()
  local l = { { 0xbf, 6, 1 } }                         -- r6 = ctx
  if opts.packet then packet_filter(l, opts.packet) end
  for _, c in ipairs(opts.ctx_eq or {}) do              -- ctx u64 at off == value
    l[#l + 1] = { 0x79, 2, 6, c[1] }
    l[#l + 1] = { 0x55, 2, 0, "out", c[2] }
  end
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
  return build(l, opts.ret, opts.ret_out)
end

--- A kprobe-type program reading USDT arguments the way <ebpf/bpf_usdt.h>
-- does, generated from a decoded spec: map[0] counts hits, map[i] gets
-- argument i, map[cookie_key] the bpf cookie.
function U.usdt_prog(map, spec, cookie_key)
  local fd = map:fd()
  local l = { { 0xbf, 6, 1 } }
  for i, a in ipairs(spec) do
    if a.kind == "const" then
      l[#l + 1] = { 0xb7, 7, 0, 0, a.val_off }
    elseif a.kind == "reg" then
      l[#l + 1] = { 0x79, 7, 6, a.reg_off }
    else
      l[#l + 1] = { 0x79, 3, 6, a.reg_off }            -- r3 = register
      l[#l + 1] = { 0x07, 3, 0, 0, a.val_off }         -- r3 += disp
      l[#l + 1] = { 0xbf, 1, 10 }
      l[#l + 1] = { 0x07, 1, 0, 0, -16 }
      l[#l + 1] = { 0xb7, 2, 0, 0, 8 }
      l[#l + 1] = { 0x85, 0, 0, 0, 112 }               -- probe_read_user
      l[#l + 1] = { 0x79, 7, 10, -16 }
    end
    local shift = 64 - a.size * 8
    if shift > 0 then
      l[#l + 1] = { 0x67, 7, 0, 0, shift }
      l[#l + 1] = { a.signed and 0xc7 or 0x77, 7, 0, 0, shift }
    end
    lookup(l, fd, i)
    l[#l + 1] = { 0x7b, 0, 7, 0 }
  end
  if cookie_key then
    l[#l + 1] = { 0xbf, 1, 6 }
    l[#l + 1] = { 0x85, 0, 0, 0, 174 }                 -- get_attach_cookie
    l[#l + 1] = { 0xbf, 7, 0 }
    lookup(l, fd, cookie_key)
    l[#l + 1] = { 0x7b, 0, 7, 0 }
  end
  lookup(l, fd, 0)
  l[#l + 1] = { 0xb7, 1, 0, 0, 1 }
  l[#l + 1] = { 0xdb, 0, 1, 0, 0 }
  return build(l, 0)
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

--- Two private netns joined by a veth pair (vA 10.199.0.1 in A, vB
-- 10.199.0.2 in B, static neighbours): returns the netns names and a
-- function that deletes them. spec/link_scripts/net.lua runs the BPF side.
function U.veth_netns()
  local id = U.pid()
  local A, B = "ebpflinkA" .. id, "ebpflinkB" .. id
  helpers.sh(([[
    ip netns add %s && ip netns add %s &&
    ip link add vA netns %s address 02:00:00:00:01:01 type veth peer name vB netns %s address 02:00:00:00:01:02 &&
    ip -n %s addr add 10.199.0.1/24 dev vA && ip -n %s addr add 10.199.0.2/24 dev vB &&
    ip -n %s link set vA up && ip -n %s link set vB up &&
    ip -n %s neigh add 10.199.0.1 lladdr 02:00:00:00:01:01 dev vB nud permanent &&
    ip -n %s neigh add 10.199.0.2 lladdr 02:00:00:00:01:02 dev vA nud permanent]]):format(
    A, B, A, B, A, B, A, B, B, A))
  return A, B, function()
    os.execute(("ip netns del %s 2>/dev/null; ip netns del %s 2>/dev/null"):format(A, B))
  end
end

--- Runs a case of spec/link_scripts/net.lua under `prefix` (e.g. "ip
-- netns exec A", "unshare -n"): its key=value output as a table (fds_ok =
-- "done" when it finished without leaking fds), and the raw output.
function U.net_case(prefix, case, ...)
  local cmd = ("%s env EBPF_BUILD=%s lua5.4 spec/link_scripts/net.lua %s %s"):format(prefix, helpers.build, case,
    table.concat({ ... }, " "))
  local outp = helpers.sh(cmd)
  local r = {}
  for k, v in outp:gmatch("([%w_]+)=([^\n]*)") do r[k] = v end
  return r, outp
end

--- The test's own process id (busted runs specs in-process).
function U.pid()
  local f = assert(io.open("/proc/self/stat"))
  local pid = tonumber(f:read("a"):match("^(%d+)"))
  f:close()
  return pid
end

return U
