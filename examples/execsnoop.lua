-- execsnoop: prints every exec on the machine for a few seconds, as a
-- table. A clang-compiled CO-RE object, attached from its section names;
-- ring buffer records decoded through BTF into Lua tables. The script
-- runs a few commands itself so the output is never empty.
-- usage: lua5.4 examples/execsnoop.lua [--duration SECONDS]
local common = dofile(((arg and arg[0] or ""):match("^(.*)/[^/]*$") or ".") .. "/common.lua")
local ebpf = common.ebpf

local coll = common.load("execsnoop")
local links = assert(coll:attach())
local reader <close> = assert(ebpf.ringbuf.reader(coll.maps.events)):decode("struct exec_event")

local start = common.now()
local duration = common.duration(3)
print(("%-8s %-7s %-7s %-5s %-16s %s"):format("TIME(s)", "PID", "PPID", "UID", "COMM", "FILENAME"))
local n, next_trigger = 0, start
while common.now() - start < duration do
  if common.now() >= next_trigger then
    -- a few execs of our own: /bin/true and uname via the shell
    os.execute("/bin/true; uname -s >/dev/null")
    next_trigger = next_trigger + 1
  end
  reader:poll(100, function(ev)
    n = n + 1
    print(("%-8.2f %-7d %-7d %-5d %-16s %s"):format(common.now() - start, ev.pid, ev.ppid, ev.uid, ev.comm,
      ev.filename))
  end)
end
print(("%d execs in %.1f s"):format(n, common.now() - start))
for _, l in ipairs(links) do l:close() end
coll:close()
