-- syscount: counts every system call on the machine for a few seconds and
-- prints the busiest ones, reading the kernel's hash map with pairs().
-- usage: lua5.4 examples/syscount.lua [--duration SECONDS] [--top N]
local common = dofile(((arg and arg[0] or ""):match("^(.*)/[^/]*$") or ".") .. "/common.lua")

-- syscall names from the system's <asm/unistd_64.h>
local names = {}
local f = io.open("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")
if f then
  for name, nr in f:read("a"):gmatch("#define __NR_([%w_]+)%s+(%d+)") do names[tonumber(nr)] = name end
  f:close()
end

local top = 10
for i = 1, #arg do if arg[i] == "--top" then top = tonumber(arg[i + 1]) or top end end

local coll = common.load("syscount")
local links = assert(coll:attach())
local t0 = common.now()
local deadline = t0 + common.duration(2)
while common.now() < deadline do
  os.execute("sleep 0.2") -- and some syscalls of our own
end
for _, l in ipairs(links) do l:close() end

local rows, total = {}, 0
local counts = coll.maps.counts
for nr, count in pairs(counts) do
  rows[#rows + 1] = { nr = nr, count = count }
  total = total + count
end
table.sort(rows, function(a, b) return a.count > b.count end)
print(("%-22s %10s"):format("SYSCALL", "COUNT"))
for i = 1, math.min(top, #rows) do
  local r = rows[i]
  print(("%-22s %10d"):format(names[r.nr] or ("syscall_" .. r.nr), r.count))
end
print(("%d syscalls of %d kinds in %.1f s"):format(total, #rows, common.now() - t0))
coll:close()
