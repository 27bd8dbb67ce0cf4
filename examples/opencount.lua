#!/usr/bin/env lua5.4
-- Counts openat() calls per command for a few seconds, then prints the top
-- ten: compile BPF C, load it, attach every program by its section.
-- usage: lua5.4 examples/opencount.lua [seconds]
local ebpf = require "ebpf"

local here = arg[0]:match("^(.*)/[^/]*$") or "."
local spec = assert(ebpf.compile(here .. "/opencount.bpf.c"))
local coll = assert(spec:load())
local links = assert(coll:attach())   -- tracepoint/syscalls/sys_enter_openat
for name, l in pairs(links) do print(name, l) end

os.execute("sleep " .. (tonumber(arg[1]) or 3))

local rows = {}
for k, n in pairs(coll.maps.opens) do
  local comm = type(k) == "table" and k.comm or tostring(k):gsub("%z.*", "")
  rows[#rows + 1] = { comm = comm, n = n }
end
table.sort(rows, function(a, b) return a.n > b.n end)
for i = 1, math.min(10, #rows) do print(("%8d  %s"):format(rows[i].n, rows[i].comm)) end
for _, l in pairs(links) do l:close() end
