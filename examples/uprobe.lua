-- uprobe: builds and starts a small program, traces every call of its
-- function work(int) with a uprobe, and prints the calls (argument, pid,
-- time between calls) as the ring buffer delivers them.
-- usage: lua5.4 examples/uprobe.lua [--duration SECONDS]
local ex = dofile((arg[0]:match("^(.*)/") or ".") .. "/common.lua")
local ebpf = ex.ebpf
local opt = ex.args { duration = 1 }

local calls = math.max(3, math.floor(opt.duration * 10))
-- the traced program: calls work(1..n) every 100 ms, prints the sum
local mk = assert(io.popen("mktemp -d"))
local dir = mk:read("l") -- a private directory, not a guessable /tmp name
mk:close()
local src, bin = dir .. "/target.c", dir .. "/target"
local f = assert(io.open(src, "w"))
f:write([[
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
__attribute__((noinline)) int work(int x) { return x * 2; }
int main(int argc, char **argv) {
	int n = atoi(argv[1]); long sum = 0;
	for (int i = 1; i <= n; i++) { sum += work(i); usleep(100000); }
	printf("target: work() called %d times, sum of results %ld\n", n, sum);
	return 0;
}
]])
f:close()
assert(os.execute(("gcc -O1 -o %s %s"):format(bin, src)), "gcc failed")

local coll <close> = ex.load("uprobe")
local link <close> = assert(ebpf.link.uprobe(coll.programs.on_work, { path = bin, symbol = "work" })) -- luacheck: ignore
local reader <close> = assert(ebpf.ringbuf.reader(coll.maps.calls)):decode("struct call")

local target = assert(io.popen(bin .. " " .. calls))
print(("%-6s %-8s %-5s %s"):format("CALL", "PID", "ARG", "SINCE_LAST(ms)"))
local seen, sum, last = 0, 0, nil
local deadline = ex.now() + calls * 0.1 + 5
while seen < calls and ex.now() < deadline and not ex.stopped() do
  reader:poll(200, function(c)
    seen = seen + 1
    sum = sum + c.arg * 2
    print(("%-6d %-8d %-5d %s"):format(seen, c.pid, c.arg, last and ("%.1f"):format((c.ts - last) / 1e6) or "-"))
    last = c.ts
  end)
end
io.write(target:read("a"))
target:close()
print(("uprobe: saw %d calls of work(), sum of results %d"):format(seen, sum))
os.execute("rm -rf '" .. dir .. "'")
