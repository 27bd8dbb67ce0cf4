-- basics.lua: create a hash map, load a tiny socket filter that counts its
-- runs in the map, test-run it and print what happened.
-- Run: sudo lua5.4 examples/basics.lua (make demo runs the tracing demo)
local ex = dofile((arg[0]:match("^(.*)/") or ".") .. "/common.lua")
local ebpf = ex.ebpf
ex.args { duration = 0 } -- accepted by every example; this one finishes at once

ebpf.rlimit.remove_memlock()

local counts <close> = assert(ebpf.map {
  type = "hash", key_size = 4, value_size = 8, max_entries = 16, name = "counts",
})
print("created   " .. tostring(counts))

-- The program, in ebpf.asm (printing it gives the disassembly):
local asm = ebpf.asm
local r0, r1, r2, r10 = asm.r0, asm.r1, asm.r2, asm.r10
local prog_insns = asm {
  asm.stw(r10, -4, 0),                -- key = 0
  asm.mov(r2, r10),
  asm.add(r2, -4),                    -- r2 = &key
  asm.ld_map(r1, counts),
  asm.call("map_lookup_elem"),
  asm.jeq(r0, 0, "out"),
  asm.mov(r1, 1),
  asm.atomic_add("u64", r0, 0, r1),   -- (*value)++
  asm.label "out",
  asm.mov(r0, 0),
  asm.exit(),
}

local prog <close> = assert(ebpf.program {
  type = "socket_filter", name = "count_runs", insns = prog_insns, license = "GPL",
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
local bad, err = ebpf.program { type = "socket_filter", name = "bad", insns = asm { asm.exit() } }
assert(not bad)
print("rejected  " .. tostring(err):gsub("\n", "\n          "))
