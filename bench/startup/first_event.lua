-- bench/run startup: one whole process from start to the first event of a
-- precompiled object (build/testdata/bench/getpid_event.bpf.o): load it,
-- attach one program (on_getpid: the syscalls/sys_enter_getpid tracepoint,
-- the hook bpftrace uses; on_sys_enter: the sys_enter raw tracepoint
-- filtered on getpid), read one event from its ring buffer, exit. Prints
-- the tgid that called getpid (a background loop does), for the caller to
-- check, then close_ms=: how long closing the link took.
-- usage: lua5.4 first_event.lua OBJ [PROGRAM] [timeout_ms]
local ebpf = require "ebpf"
local core = require "ebpf.core"
local obj, prog, timeout = arg[1], arg[2] or "on_getpid", tonumber(arg[3]) or 5000
local coll = assert(ebpf.elf.load(obj))
local p = coll.programs[prog] or error("no program " .. prog .. " in " .. obj)
local link = assert(p:attach())
local r = assert(ebpf.ringbuf.reader(coll.maps.events)):unpack("<I4")
local tgid = r:read(timeout)
if not tgid then
  io.stderr:write("first_event: no event within ", timeout, " ms\n")
  os.exit(1)
end
print(tgid)
-- The close is part of the process's time (exit would do it anyway), and
-- for a perf-event tracepoint it is the kernel's unregister wait
-- (tracepoint_synchronize_unregister): every tool pays it, bpftrace too.
-- Reported so that bench/run can show that floor.
local t0 = core.monotime_ns()
link:close()
print(("close_ms=%.3f"):format((core.monotime_ns() - t0) / 1e6))
