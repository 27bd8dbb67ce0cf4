-- tools/vm-run.sh: every VM run of CI goes through it. It boots again when
-- the kernel died before the command started (a TCG boot oops), and only
-- then. A stand-in runner (RIK=) plays the VM: it counts its boots in a
-- file and fails the first BOOT_FAILS of them before running the command,
-- as run-in-kernel.sh does (exit 125, nothing run).
local helpers = require "helpers"

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

describe("tools/vm-run.sh", function()
  local dir, runner
  before_each(function()
    dir = helpers.sh("mktemp -d"):gsub("%s+$", "")
    runner = dir .. "/fake-rik.sh"
    local f = assert(io.open(runner, "w"))
    f:write([[#!/bin/bash
n=$(cat "$COUNT" 2>/dev/null || echo 0); echo $((n + 1)) > "$COUNT"
while [ $# -gt 0 ] && [ "$1" != "--" ]; do shift; done; shift
[ "$n" -lt "$BOOT_FAILS" ] && { echo "Oops: int3 (boot $n)" >&2; exit 125; }
"$@"
]])
    f:close()
    helpers.sh("chmod +x " .. quote(runner))
  end)
  after_each(function() helpers.sh("rm -rf " .. quote(dir)) end)

  -- runs vm-run.sh with the stand-in; returns its exit code, output, boots
  local function run(boot_fails, cmd, tries)
    local count = dir .. "/count"
    os.remove(count)
    local p = io.popen(("COUNT=%s BOOT_FAILS=%d RIK=%s %s tools/vm-run.sh -t 5 7.2 -- %s 2>&1"):format(
      quote(count), boot_fails, quote(runner), tries and ("VM_BOOT_TRIES=" .. tries) or "", cmd))
    local out = p:read("a")
    local _, _, code = p:close()
    return code, out, tonumber(helpers.read_file(count))
  end

  it("passes the command's exit code and output through", function()
    local code, out, boots = run(0, "sh -c 'echo ran; exit 7'")
    assert.equal(7, code)
    assert.matches("ran", out)
    assert.equal(1, boots)
  end)

  it("boots again when the VM died before the command started", function()
    local code, out, boots = run(2, "sh -c 'echo ran; exit 0'")
    assert.equal(0, code)
    assert.equal(3, boots)
    assert.matches("died before the command started %(boot 1 of 3%)", out)
    assert.matches("ran", out)
  end)

  it("gives up after VM_BOOT_TRIES boots with the runner's exit code", function()
    local code, out, boots = run(5, "true", 2)
    assert.equal(125, code)
    assert.equal(2, boots)
    assert.matches("Oops", out)
  end)

  it("does not boot again when the VM died after the command started", function()
    -- the command itself ends as a dead VM does (125): a crash of the code
    -- under test must fail the run, not be retried away
    local code, _, boots = run(0, "sh -c 'exit 125'")
    assert.equal(125, code)
    assert.equal(1, boots)
  end)
end)
