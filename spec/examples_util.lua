-- Runs an example and bpftrace side by side on the same events (the
-- oracle), then stops both with SIGINT as a user's Ctrl-C would.
local ebpf = require "ebpf"
local helpers = require "helpers"

local M = {}

local function q(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end
M.quote = q

function M.tmpdir()
  return (helpers.sh("mktemp -d /tmp/ebpf-lua-ex.XXXXXX"):gsub("%s+$", ""))
end

local function read(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end
M.read = read

local function start(cmd, out)
  return tonumber(helpers.sh(("%s > %s 2>&1 & echo $!"):format(cmd, q(out))))
end

-- Running, not a zombie waiting for a (sub)reaper: not ours to reap.
local function alive(pid)
  local f = io.open(("/proc/%d/stat"):format(pid))
  if not f then return false end
  local stat = f:read("a") or ""
  f:close()
  return stat:match("^%d+ %b() (%a)") ~= "Z"
end

local function wait_for(cond, secs, what)
  local deadline = ebpf.core.monotime_ns() + secs * 1e9
  while not cond() do
    if ebpf.core.monotime_ns() > deadline then error("timed out waiting for " .. what, 2) end
    ebpf.sleep(0.05)
  end
end

--- Runs `examples/<script> args` and `bpftrace -e prog` at once; when both
-- are attached, calls trigger(dir); then SIGINT to both. Returns the
-- example's output, bpftrace's output and the example's exit status.
function M.side_by_side(script, args, prog, trigger)
  local dir = M.tmpdir()
  local bt = start("exec env -u LD_PRELOAD bpftrace -e " .. q(prog), dir .. "/bt") -- (not under ASan's preload)
  local ex = start(("EBPF_BUILD=%s exec lua5.4 examples/%s %s"):format(helpers.build, script, args or ""),
    dir .. "/ex")
  local ok, err = pcall(function()
    wait_for(function() return read(dir .. "/bt"):find("Attaching") or not alive(bt) end, 30, "bpftrace")
    wait_for(function() return read(dir .. "/ex"):find("\n") or not alive(ex) end, 30, script)
    assert(alive(bt), "bpftrace failed: " .. read(dir .. "/bt"))
    assert(alive(ex), script .. " failed: " .. read(dir .. "/ex"))
    ebpf.sleep(1.5) -- bpftrace prints "Attaching" before its probes are in
    trigger(dir)
    ebpf.sleep(0.5)
  end)
  os.execute(("kill -INT %d %d 2>/dev/null"):format(bt, ex))
  -- bpftrace has printed its events already; on a loaded machine it can
  -- take long to exit on SIGINT: SIGTERM, then SIGKILL, do not fail the
  -- comparison. The example must end on SIGINT (that is what is tested).
  pcall(wait_for, function() return not alive(bt) end, 10, "bpftrace to exit")
  if alive(bt) then os.execute(("kill -TERM %d 2>/dev/null"):format(bt)) end
  pcall(wait_for, function() return not alive(bt) end, 5, "bpftrace to exit")
  if alive(bt) then os.execute(("kill -KILL %d 2>/dev/null"):format(bt)) end
  local ok2, err2 = pcall(wait_for, function() return not alive(ex) end, 30, script .. " to exit")
  if not ok2 then
    os.execute(("kill -KILL %d %d 2>/dev/null"):format(bt, ex))
    err2 = ("%s (bpftrace %s, %s %s):\nbpftrace: %s\n%s: %s"):format(err2, alive(bt) and "alive" or "gone", script,
      alive(ex) and "alive" or "gone", read(dir .. "/bt"), script, read(dir .. "/ex"))
    os.execute("rm -rf " .. q(dir))
    error(err2, 0)
  end
  local ex_out, bt_out = read(dir .. "/ex"), read(dir .. "/bt")
  os.execute("rm -rf " .. q(dir))
  if not ok then error(err, 0) end
  return ex_out, bt_out
end

return M
