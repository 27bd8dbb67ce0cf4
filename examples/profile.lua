-- profile: a sampling CPU profiler. Every CPU is sampled --freq times a
-- second (default 49); each sample counts the task's user and kernel
-- stacks, and at the end (--duration, or Ctrl-C) the counts are printed
-- as folded stacks, "comm;user frames;kernel frames count", root first,
-- ready for flamegraph.pl.
-- usage: lua5.4 examples/profile.lua [--duration S] [--freq HZ] [--pid P]
local ex = dofile((arg[0]:match("^(.*)/") or ".") .. "/common.lua")
local ebpf = ex.ebpf
local opt = ex.args { duration = false, freq = 49, pid = false }

local coll <close> = ex.load("profile", { target_pid = opt.pid or 0 })
do
  local link <close> = assert(ebpf.link.perf_event(coll.programs.sample, -- luacheck: ignore (closed after the wait)
    { event = "cpu_clock", frequency = opt.freq, cpu = "all" }))
  io.stderr:write(("sampling at %d Hz on every CPU%s; Ctrl-C to stop\n")
    :format(opt.freq, opt.pid and (" for pid " .. opt.pid) or ""))
  ex.wait(opt.duration)
end

-- the stacks of one sample key; a process gone by now leaves its user
-- frames unnamed ("[unknown]")
local stacks = coll.maps.stacks
local function frames(id, pid)
  local f = ebpf.stack(stacks, id, pid)
  return f or { {} } -- a lost stack (-EEXIST: bucket taken) is one unknown frame
end

local folded, samples = {}, 0
for k, n in pairs(coll.maps.counts) do
  local line = ebpf.stack.fold(k.comm, frames(k.user_stack, k.pid), frames(k.kernel_stack))
  folded[line] = (folded[line] or 0) + n
  samples = samples + n
end
io.write(ebpf.stack.folded(folded))
io.stderr:write(("%d samples, %d distinct stacks\n"):format(samples, (function()
  local c = 0
  for _ in pairs(folded) do c = c + 1 end
  return c
end)()))
