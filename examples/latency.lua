-- latency: a log2 histogram of system call latencies on the whole machine,
-- printed as text like bcc's tools do.
-- Ctrl-C ends the measurement early; the histogram is printed either way.
-- usage: lua5.4 examples/latency.lua [--duration SECONDS]
local ex = dofile((arg[0]:match("^(.*)/") or ".") .. "/common.lua")
local opt = ex.args { duration = 2 }

local coll <close> = ex.load("latency")
do
  local links <close> = assert(coll:attach()) -- luacheck: ignore (detached at the end of the block)
  ex.sleep(opt.duration)
end

local hist = coll.maps.hist
local counts, first, last, max, total = {}, nil, -1, 0, 0
for slot = 0, hist.max_entries - 1 do
  local c = hist[slot]
  counts[slot] = c
  if c > 0 then
    last = slot
    first = first or slot
  end
  if c > max then max = c end
  total = total + c
end
print(("%24s : %-10s %s"):format("nsecs", "count", "distribution"))
for slot = first or 0, last do
  local lo, hi = slot == 0 and 0 or 1 << slot, (1 << (slot + 1)) - 1
  local width = max > 0 and math.floor(counts[slot] * 40 / max + 0.5) or 0
  print(("%10d -> %-10d : %-10d |%-40s|"):format(lo, hi, counts[slot], string.rep("*", width)))
end
print(("%d syscalls timed"):format(total))
