-- ebpf.sleep and the clean stop: a script waiting in ebpf.sleep or on a
-- reader gets control back at SIGINT/SIGTERM (its loop ends, it prints its
-- summary, its links close), and a second signal still kills it.
local ebpf = require "ebpf"
local helpers = require "helpers"

-- Runs a Lua script in its own process, sends it `signals` (one every
-- `gap` seconds after `delay`), returns its output and exit status.
local function run_signalled(script, signals, delay, gap)
  local dir = helpers.sh("mktemp -d"):gsub("%s+$", "")
  local path = dir .. "/script.lua"
  local f = assert(io.open(path, "wb"))
  f:write(script)
  f:close()
  local kills = {}
  for i, s in ipairs(signals) do
    kills[i] = ("sleep %.2f; kill -%s $p 2>/dev/null"):format(i == 1 and delay or gap, s)
  end
  local cmd = ("cd %s && EBPF_BUILD=%s LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='%s/?.so;;' "
    .. "lua5.4 %s > %s/out 2>&1 & p=$!; %s; wait $p 2>/dev/null; echo \"rc=$?\"; cat %s/out; rm -rf %s"):format(
    os.getenv("PWD"), helpers.build, helpers.build, path, dir, table.concat(kills, "; "), dir, dir)
  local out = helpers.sh(cmd)
  return out:match("^.-\n(.*)$"), tonumber(out:match("^rc=(%d+)"))
end

describe("ebpf.sleep", function()
  it("sleeps the time asked, and checks its argument", function()
    local c0 = os.time()
    assert.is_true(ebpf.sleep(0.05))
    assert.is_true(ebpf.sleep(0))
    assert.is_true(os.time() - c0 <= 1)
    assert.error_matches(function() ebpf.sleep(0 / 0) end, "NaN")
    assert.error_matches(function() ebpf.sleep(-1) end, "negative")
    assert.error_matches(function() ebpf.sleep("x") end, "number expected")
    assert.error_matches(function() ebpf.signal.watch { "SIGFOO" } end, "unknown signal 'SIGFOO'")
  end)

  it("returns false, 'SIGINT' at Ctrl-C, long before its time, and the script goes on", function()
    local out, rc = run_signalled([[
      local ebpf = require "ebpf"
      local t = os.time()
      print(ebpf.sleep(30))
      print("after", os.time() - t <= 3, ebpf.signal.pending())
      print(ebpf.sleep(30)) -- still pending: returns at once
      print("cleared", ebpf.signal.clear(), ebpf.signal.pending())
      print(ebpf.sleep(0.01))
    ]], { "INT" }, 0.5)
    assert.equal(0, rc)
    assert.equal("false\tSIGINT\nafter\ttrue\tSIGINT\nfalse\tSIGINT\ncleared\tSIGINT\tnil\ntrue\n", out)
  end)

  it("a script that does not stop dies at the second signal", function()
    local out, rc = run_signalled([[
      local ebpf = require "ebpf"
      print(ebpf.sleep(30))
      io.stdout:flush()
      while true do end
    ]], { "TERM", "TERM" }, 0.5, 0.3)
    assert.equal("false\tSIGTERM\n", out)
    assert.equal(128 + 15, rc)
  end)

  it("in-process: a signal that came before the wait ends it at once; unwatch restores", function()
    ebpf.signal.watch()
    -- SIGINT: lua5.4 always has its own handler for it, so it is never inherited as ignored
    helpers.sh("kill -INT $PPID") -- the shell's parent: this process
    assert.equal("SIGINT", ebpf.signal.pending())
    local ok, sig = ebpf.sleep(10)
    assert.is_false(ok)
    assert.equal("SIGINT", sig)
    assert.equal("SIGINT", ebpf.signal.clear())
    assert.is_nil(ebpf.signal.pending())
    ebpf.signal.unwatch()
  end)
end)

describe("readers at SIGINT/SIGTERM", function()
  it("records() ends, poll and read return the signal, the summary prints, links close", function()
    local out, rc = run_signalled(([[
      local ebpf = require "ebpf"
      local coll = assert(ebpf.load(%q))
      local hooks = assert(ebpf.load(%q))
      local set
      do
        local links <close> = assert(hooks:attach())
        set = links
        local r <close> = assert(ebpf.ringbuf.reader(coll.maps.events))
        local n = 0
        for _ in r:records() do n = n + 1 end -- no timeout: only a signal ends it
        print("summary", n, ebpf.signal.pending())
        print("poll", r:poll(-1, function() end))
        print("read", r:read(-1))
      end
      print(set)
    ]]):format(helpers.testdata("readers/events.bpf.o"), helpers.testdata("link/auto.bpf.o")), { "INT" }, 0.7)
    assert.equal(0, rc)
    assert.equal("summary\t0\tSIGINT\npoll\t0\tSIGINT\nread\tnil\tSIGINT\nebpf.linkset (closed)\n", out)
  end)
end)
