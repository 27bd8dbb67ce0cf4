-- latency: a log2 histogram of system call latencies on the whole machine,
-- printed as text like bcc's tools do.
-- usage: lua5.4 examples/latency.lua [--duration SECONDS]
local common = dofile(((arg and arg[0] or ""):match("^(.*)/[^/]*$") or ".") .. "/common.lua")

local coll = common.load("latency")
local links = assert(coll:attach())
local deadline = common.now() + common.duration(2)
while common.now() < deadline do os.execute("sleep 0.2") end
for _, l in ipairs(links) do l:close() end

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
coll:close()
