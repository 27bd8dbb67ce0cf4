-- runqlat: scheduler run-queue latency (how long runnable tasks wait for a
-- CPU) as a log2 histogram of microseconds, printed at the end
-- (--duration S) or at Ctrl-C, like bcc's runqlat. --pid P: one process.
-- usage: lua5.4 examples/runqlat.lua [--duration S] [--pid P]
local ex = dofile((arg[0]:match("^(.*)/") or ".") .. "/common.lua")
local ebpf = ex.ebpf
local opt = ex.args { duration = false, pid = false }

local coll <close> = ex.load("runqlat", { targ_tgid = opt.pid or 0 })
do
  local links <close> = assert(coll:attach()) -- luacheck: ignore (detached at the end of the block)
  print("Tracing run queue latency... Hit Ctrl-C to end.")
  ex.wait(opt.duration)
end

local text, buckets = ebpf.hist.log2(coll.maps.hist, { unit = "usecs" })
io.write(text)
local total = 0
for _, b in ipairs(buckets) do total = total + b.count end
print(("%d run queue waits"):format(total))
