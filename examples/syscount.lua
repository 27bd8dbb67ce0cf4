-- syscount: counts every system call on the machine for a few seconds and
-- prints the busiest ones, reading the kernel's hash map with pairs().
-- Ctrl-C ends the counting early; the table is printed either way.
-- usage: lua5.4 examples/syscount.lua [--duration SECONDS] [--top N]
local ex = dofile((arg[0]:match("^(.*)/") or ".") .. "/common.lua")
local opt = ex.args { duration = 2, top = 10 }

-- syscall names from the system's <asm/unistd_64.h>
local names = {}
local f = io.open("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")
if f then
  for name, nr in f:read("a"):gmatch("#define __NR_([%w_]+)%s+(%d+)") do names[tonumber(nr)] = name end
  f:close()
end

local coll <close> = ex.load("syscount")
local t0 = ex.now()
do
  local links <close> = assert(coll:attach()) -- luacheck: ignore (detached at the end of the block)
  ex.sleep(opt.duration) -- false at Ctrl-C: then the counts so far
end

local rows, total = {}, 0
local counts = coll.maps.counts
for nr, count in pairs(counts) do
  rows[#rows + 1] = { nr = nr, count = count }
  total = total + count
end
table.sort(rows, function(a, b) return a.count > b.count end)
print(("%-22s %10s"):format("SYSCALL", "COUNT"))
for i = 1, math.min(opt.top, #rows) do
  local r = rows[i]
  print(("%-22s %10d"):format(names[r.nr] or ("syscall_" .. r.nr), r.count))
end
print(("%d syscalls of %d kinds in %.1f s"):format(total, #rows, ex.now() - t0))
