-- Hand-assembled BPF producers for the reader specs (no dependency on the
-- assembler or the ELF loader). Each returns a loaded ebpf.program.
local ebpf = require "ebpf"
local helpers = require "spec.helpers"

local M = {}

local BPF_FUNC = { map_lookup_elem = 1, perf_event_output = 25, ringbuf_output = 130,
  loop = 181, dynptr_read = 201, user_ringbuf_drain = 209 }
M.BPF_FUNC = BPF_FUNC

local function ld_map(reg, map) return { 0x18, reg, 1, 0, map:fd() }, { 0, 0, 0, 0, 0 } end
local function ld_func(reg, rel) return { 0x18, reg, 4, 0, rel }, { 0, 0, 0, 0, 0 } end

local function flat(list)
  local out = {}
  for _, i in ipairs(list) do
    if type(i[1]) == "table" then
      for _, j in ipairs(i) do out[#out + 1] = j end
    else
      out[#out + 1] = i
    end
  end
  return out
end

--- XDP producer for ring buffers: seq = state[0]++ (atomic);
-- bpf_ringbuf_output(rb, {u64 seq, u64 val = seq + 1}, 16, flags); a failed
-- output counts in state[1]. `state` is an array map with one 16-byte
-- value. Run it with prog:run(M.packet, {["repeat"] = n}) for n records.
function M.ringbuf_xdp(rb, state, flags)
  local insns = flat {
    { 0xbf, 6, 1 },
    { 0x62, 10, 0, -4, 0 },        -- *(u32 *)(r10 - 4) = 0
    { ld_map(1, state) },
    { 0xbf, 2, 10 },
    { 0x07, 2, 0, 0, -4 },
    { 0x85, 0, 0, 0, BPF_FUNC.map_lookup_elem },
    { 0x15, 0, 0, 16, 0 },         -- if r0 == 0 goto pass
    { 0xbf, 7, 0 },
    { 0xb7, 1, 0, 0, 1 },
    { 0xdb, 7, 1, 0, 1 },          -- r1 = atomic_fetch_add(state[0], 1)
    { 0x7b, 10, 1, -24 },
    { 0x07, 1, 0, 0, 1 },
    { 0x7b, 10, 1, -16 },
    { ld_map(1, rb) },
    { 0xbf, 2, 10 },
    { 0x07, 2, 0, 0, -24 },
    { 0xb7, 3, 0, 0, 16 },
    { 0xb7, 4, 0, 0, flags or 0 },
    { 0x85, 0, 0, 0, BPF_FUNC.ringbuf_output },
    { 0x15, 0, 0, 2, 0 },
    { 0xb7, 1, 0, 0, 1 },
    { 0xdb, 7, 1, 8, 0 },          -- state[1] += 1
    { 0xb7, 0, 0, 0, 2 },          -- pass: r0 = XDP_PASS
    { 0x95 },
  }
  return assert(ebpf.program { type = "xdp", name = "rb_out", insns = helpers.insns(insns) })
end

--- Runs an XDP producer n times; returns state[0] (records tried) and
-- state[1] (failed outputs) after resetting them first.
function M.produce(prog, state, n)
  state[0] = string.rep("\0", 16)
  local ret = assert(prog:run(M.packet, { ["repeat"] = n }))
  assert(ret == 2, "XDP producer returned " .. tostring(ret))
  return string.unpack("<I8I8", state[0])
end

--- XDP producer: seq = state[0]++ (atomic); bpf_perf_event_output(ctx,
-- events, BPF_F_CURRENT_CPU, {seq, seq + 1}, 16); a failed output counts
-- in state[1]. `state` is an array map with one 16-byte value.
function M.perf_xdp(events, state)
  local insns = flat {
    { 0xbf, 6, 1 },                -- r6 = ctx
    { 0x62, 10, 0, -4, 0 },        -- *(u32 *)(r10 - 4) = 0
    { ld_map(1, state) },
    { 0xbf, 2, 10 },
    { 0x07, 2, 0, 0, -4 },
    { 0x85, 0, 0, 0, BPF_FUNC.map_lookup_elem },
    { 0x15, 0, 0, 17, 0 },         -- if r0 == 0 goto pass
    { 0xbf, 7, 0 },                -- r7 = &state
    { 0xb7, 1, 0, 0, 1 },
    { 0xdb, 7, 1, 0, 1 },          -- r1 = atomic_fetch_add(state[0], 1)
    { 0x7b, 10, 1, -24 },          -- seq
    { 0x07, 1, 0, 0, 1 },
    { 0x7b, 10, 1, -16 },          -- val = seq + 1
    { 0xbf, 1, 6 },
    { ld_map(2, events) },
    { 0xb4, 3, 0, 0, -1 },         -- w3 = BPF_F_CURRENT_CPU
    { 0xbf, 4, 10 },
    { 0x07, 4, 0, 0, -24 },
    { 0xb7, 5, 0, 0, 16 },
    { 0x85, 0, 0, 0, BPF_FUNC.perf_event_output },
    { 0x15, 0, 0, 2, 0 },          -- if r0 == 0 goto pass
    { 0xb7, 1, 0, 0, 1 },
    { 0xdb, 7, 1, 8, 0 },          -- state[1] += 1 (atomic)
    { 0xb7, 0, 0, 0, 2 },          -- pass: r0 = XDP_PASS
    { 0x95 },
  }
  return assert(ebpf.program { type = "xdp", name = "perf_out", insns = helpers.insns(insns) })
end

--- 64-byte IPv4-ish packet for XDP test runs.
M.packet = string.rep("\0", 12) .. "\8\0" .. string.rep("\0", 50)

--- SEC("syscall") consumer of a user ring buffer: bpf_user_ringbuf_drain
-- with a callback that reads the first u64 of each sample and adds it to
-- sum[0].sum (offset 0) and 1 to sum[0].count (offset 8). Returns the
-- number of drained samples (or a negative errno).
function M.user_ringbuf_drain(urb, sum)
  local insns = flat {
    { ld_map(1, urb) },
    { ld_func(2, 5) },             -- callback at insn 8
    { 0xb7, 3, 0, 0, 0 },
    { 0xb7, 4, 0, 0, 0 },
    { 0x85, 0, 0, 0, BPF_FUNC.user_ringbuf_drain },
    { 0x95 },
    -- callback(struct bpf_dynptr *sample, void *ctx)
    { 0xbf, 6, 1 },                -- r6 = dynptr
    { 0xbf, 1, 10 },
    { 0x07, 1, 0, 0, -8 },         -- r1 = dst
    { 0xb7, 2, 0, 0, 8 },          -- r2 = len
    { 0xbf, 3, 6 },                -- r3 = dynptr
    { 0xb7, 4, 0, 0, 0 },          -- r4 = offset
    { 0xb7, 5, 0, 0, 0 },          -- r5 = flags
    { 0x85, 0, 0, 0, BPF_FUNC.dynptr_read },
    { 0x55, 0, 0, 11, 0 },         -- if r0 != 0 goto ret
    { 0x62, 10, 0, -12, 0 },       -- key = 0
    { ld_map(1, sum) },
    { 0xbf, 2, 10 },
    { 0x07, 2, 0, 0, -12 },
    { 0x85, 0, 0, 0, BPF_FUNC.map_lookup_elem },
    { 0x15, 0, 0, 4, 0 },          -- if r0 == 0 goto ret
    { 0x79, 1, 10, -8 },           -- r1 = value read
    { 0xdb, 0, 1, 0, 0 },          -- sum += r1
    { 0xb7, 1, 0, 0, 1 },
    { 0xdb, 0, 1, 8, 0 },          -- count += 1
    { 0xb7, 0, 0, 0, 0 },          -- ret: r0 = 0 (continue)
    { 0x95 },
  }
  return assert(ebpf.program { type = "syscall", flags = "sleepable", name = "urb_drain",
    insns = helpers.insns(insns) })
end

return M
