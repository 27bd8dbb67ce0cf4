-- bashreadline: prints the command lines typed into interactive bash
-- shells, from a uretprobe on bash's readline(). Ctrl-C or --duration ends
-- it with a count.
-- usage: lua5.4 examples/bashreadline.lua [--duration S] [--pid P] [--bash PATH]
local ex = dofile((arg[0]:match("^(.*)/") or ".") .. "/common.lua")
local ebpf = ex.ebpf
local opt = ex.args { duration = false, pid = false, bash = "/bin/bash" }

local coll <close> = ex.load("bashreadline")
-- a bare SEC("uretprobe"): the binary and function are given here
local link <close> = assert(coll.programs.readline_ret:attach { -- luacheck: ignore (closed at exit)
  path = opt.bash, symbol = "readline", pid = opt.pid })
local events <close> = assert(ebpf.ringbuf.reader(coll.maps.events)):decode("struct line_event")

print(("%-9s %-7s %s"):format("TIME", "PID", "COMMAND"))
local n = 0
local running = ex.timer(opt.duration)
while running() do
  events:poll(100, function(e)
    n = n + 1
    print(("%-9s %-7d %s"):format(os.date("%H:%M:%S"), e.pid, e.line))
  end)
end
print(("%d lines"):format(n))
