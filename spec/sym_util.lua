-- A small native program with known functions for the symbol specs
-- (sym_spec, the profile example vs bpftrace), built in a private temp
-- dir, and its processes started and stopped by pid.
local ebpf = require "ebpf"
local helpers = require "helpers"

local M = {}

local function q(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end
M.quote = q

-- wait: print the addresses and sleep; call: mid -> leaf three times,
-- then sleep; spin S: burn S seconds of CPU in ebpf_sym_spin, then sleep
-- (in steps of 100 ms: a clock_nanosleep syscall each).
local SOURCE = [[
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
volatile unsigned long sink;
__attribute__((noinline)) void ebpf_sym_leaf(int i) { sink += i; }
__attribute__((noinline)) void ebpf_sym_mid(int i) { ebpf_sym_leaf(i); sink++; }
__attribute__((noinline)) void ebpf_sym_spin(double secs)
{
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		for (int i = 0; i < 100000; i++)
			sink++;
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while (b.tv_sec - a.tv_sec + (b.tv_nsec - a.tv_nsec) / 1e9 < secs);
}
int main(int argc, char **argv)
{
	printf("%p %p\n", (void *)ebpf_sym_leaf, (void *)ebpf_sym_spin);
	fflush(stdout);
	if (argc > 1 && !strcmp(argv[1], "call"))
		for (int i = 0; i < 3; i++)
			ebpf_sym_mid(i);
	if (argc > 2 && !strcmp(argv[1], "spin"))
		ebpf_sym_spin(atof(argv[2]));
	for (int i = 0; i < 600; i++) /* a sleep syscall every 100 ms, for tracepoint stacks */
		usleep(100000);
	return 0;
}
]]

--- A private dir with `symtarget` (frame pointers, -g, a build-id) built
-- in it; returns the dir.
function M.build()
  local dir = (helpers.sh("mktemp -d /tmp/ebpf-lua-sym.XXXXXX"):gsub("%s+$", ""))
  local f = assert(io.open(dir .. "/target.c", "w"))
  f:write(SOURCE)
  f:close()
  helpers.sh(("gcc -O1 -g -fno-omit-frame-pointer -fno-inline -Wl,--build-id -o %s %s"):format(
    q(dir .. "/symtarget"), q(dir .. "/target.c")))
  return dir
end

function M.remove(dir)
  os.execute("rm -rf " .. q(dir))
end

--- Starts `bin args` in the background; waits for its first line (the
-- addresses it prints). Returns pid, leaf address, spin address.
function M.start(bin, args)
  local out = bin .. ".out." .. math.random(1 << 30)
  local pid = tonumber(helpers.sh(("%s %s > %s 2>&1 & echo $!"):format(q(bin), args or "", q(out))))
  local deadline = ebpf.core.monotime_ns() + 5e9
  local line
  repeat
    ebpf.sleep(0.02)
    local fh = io.open(out)
    if fh then
      line = fh:read("l")
      fh:close()
    end
  until line or ebpf.core.monotime_ns() > deadline
  os.remove(out)
  assert(line, "target did not start")
  local leaf, spin = line:match("^0x(%x+) 0x(%x+)$")
  return pid, tonumber(leaf, 16), tonumber(spin, 16)
end

function M.stop(pid)
  os.execute(("kill -KILL %d 2>/dev/null"):format(pid))
end

return M
