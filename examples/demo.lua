-- demo.lua: create a hash map, load a tiny socket filter that counts its
-- runs in the map, test-run it and print what happened.
-- Run: sudo make demo   (or lua5.4 examples/demo.lua once installed)
local ebpf = require "ebpf"

ebpf.rlimit.remove_memlock()

local counts <close> = assert(ebpf.map {
  type = "hash", key_size = 4, value_size = 8, max_entries = 16, name = "counts",
})
print("created   " .. tostring(counts))

-- One instruction: opcode, dst/src registers, offset, immediate.
local function insn(op, dst, src, off, imm)
  return string.pack("<BBi2i4", op, (src or 0) << 4 | (dst or 0), off or 0, imm or 0)
end
local prog_bytes = table.concat {
  insn(0x62, 10, 0, -4, 0),          -- *(u32 *)(r10 - 4) = 0      key = 0
  insn(0xbf, 2, 10),                 -- r2 = r10
  insn(0x07, 2, 0, 0, -4),           -- r2 += -4
  insn(0x18, 1, 1, 0, counts:fd()),  -- r1 = map 'counts' ll
  insn(0x00),
  insn(0x85, 0, 0, 0, 1),            -- call map_lookup_elem
  insn(0x15, 0, 0, 2, 0),            -- if r0 == 0 goto +2
  insn(0xb7, 1, 0, 0, 1),            -- r1 = 1
  insn(0xdb, 0, 1, 0, 0),            -- lock *(u64 *)(r0 + 0) += r1
  insn(0xb7, 0, 0, 0, 0),            -- r0 = 0
  insn(0x95),                        -- exit
}

local prog <close> = assert(ebpf.program {
  type = "socket_filter", name = "count_runs", insns = prog_bytes, license = "GPL",
})
print("loaded    " .. tostring(prog))

counts[0] = 0
local packet = string.rep("\0", 64)
local runs = 5
for _ = 1, runs do
  local retval, ns = assert(prog:run(packet))
  io.write(("run       retval=%d duration=%dns\n"):format(retval, ns))
end
print(("counted   %d runs in map 'counts' (expected %d)"):format(counts[0], runs))

local info = prog:info()
print(("info      id=%d tag=%s xlated=%d bytes jited=%d bytes maps=%d"):format(
  info.id, info.tag, info.xlated_size, info.jited_size, #info.map_ids))

-- A program the verifier rejects: the error carries the whole log.
local bad, err = ebpf.program { type = "socket_filter", name = "bad", insns = insn(0x95) }
assert(not bad)
print("rejected  " .. tostring(err):gsub("\n", "\n          "))
