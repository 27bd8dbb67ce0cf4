#!/usr/bin/env lua5.4
-- Counts openat() calls per command, then prints the top ten: compile BPF
-- C, load it, attach every program by its section.
-- usage: lua5.4 examples/opencount.lua [--duration SECONDS] [--top N]
local ex = dofile((arg[0]:match("^(.*)/") or ".") .. "/common.lua")
local opt = ex.args { duration = 3, top = 10 }

local coll <close> = ex.load("opencount")
local links <close> = assert(coll:attach())   -- tracepoint/syscalls/sys_enter_openat
for name, l in pairs(links) do print(name, l) end

ex.sleep(opt.duration)                         -- returns early on Ctrl-C

local rows = {}
for k, n in pairs(coll.maps.opens) do
  local comm = type(k) == "table" and k.comm or tostring(k):gsub("%z.*", "")
  rows[#rows + 1] = { comm = comm, n = n }
end
table.sort(rows, function(a, b) return a.n > b.n end)
for i = 1, math.min(opt.top, #rows) do print(("%8d  %s"):format(rows[i].n, rows[i].comm)) end
