-- execsnoop: every exec on the machine (or of one process) as it happens,
-- with its arguments: a clang-compiled CO-RE object attached from its
-- section names, ring buffer records decoded through BTF into Lua tables
-- (the argv slots are char arrays: strings). The script runs a few
-- commands itself so the output is never empty; Ctrl-C or --duration ends
-- it with a count.
-- usage: lua5.4 examples/execsnoop.lua [--duration S] [--pid P] [--quiet]
local ex = dofile((arg[0]:match("^(.*)/") or ".") .. "/common.lua")
local ebpf = ex.ebpf
local opt = ex.args { duration = false, pid = false, quiet = true }

local coll <close> = ex.load("execsnoop", { target_pid = opt.pid or 0 })
local links <close> = assert(coll:attach()) -- luacheck: ignore (closed at exit)
local reader <close> = assert(ebpf.ringbuf.reader(coll.maps.events)):decode("struct exec_event")

local start = ex.now()
print(("%-8s %-7s %-7s %-5s %-16s %-24s %s"):format("TIME(s)", "PID", "PPID", "UID", "COMM", "FILENAME", "ARGS"))
local n, next_trigger = 0, start
local running = ex.timer(opt.duration)
while running() do
  if not opt.quiet and ex.now() >= next_trigger then -- --quiet: none of our own
    os.execute("/bin/true; uname -s >/dev/null") -- a few execs of our own
    next_trigger = next_trigger + 1
  end
  reader:poll(100, function(ev)
    n = n + 1
    local argv = table.move(ev.args.argv, 1, ev.args.argc, 1, {})
    print(("%-8.2f %-7d %-7d %-5d %-16s %-24s %s"):format(ex.now() - start, ev.pid, ev.ppid, ev.uid, ev.comm,
      ev.filename, table.concat(argv, " ")))
  end)
end
print(("%d execs in %.1f s"):format(n, ex.now() - start))
