-- opensnoop: every openat(2) on the machine (or of one process) as it
-- happens: pid, command, flags and path. Ctrl-C (or --duration) ends it
-- with a count.
-- usage: lua5.4 examples/opensnoop.lua [--duration S] [--pid P]
local ex = dofile((arg[0]:match("^(.*)/") or ".") .. "/common.lua")
local ebpf = ex.ebpf
local opt = ex.args { duration = false, pid = false }

local coll <close> = ex.load("opensnoop", { target_pid = opt.pid or 0 })
local links <close> = assert(coll:attach()) -- luacheck: ignore (closed at exit)
local events <close> = assert(ebpf.ringbuf.reader(coll.maps.events)):decode("struct open_event")

print(("%-7s %-16s %-8s %s"):format("PID", "COMM", "FLAGS", "PATH"))
local n = 0
local running = ex.timer(opt.duration)
while running() do
  events:poll(100, function(e)
    n = n + 1
    print(("%-7d %-16s 0%-7o %s"):format(e.pid, e.comm, e.flags, e.path))
  end)
end
print(("%d opens"):format(n))
