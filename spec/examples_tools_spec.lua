-- The tracing tools of examples/ against bpftrace on the same events:
-- each spec triggers its own events while both run, stops both with
-- SIGINT (the example must then print its summary and exit 0), and
-- compares the events both saw, field by field.
local helpers = require "helpers"
local X = require "examples_util"

local function sorted(t)
  table.sort(t)
  return t
end

describe("examples vs bpftrace", function()
  it("opensnoop: pid, comm, flags and path of every openat", function()
    local ex, bt = X.side_by_side("opensnoop.lua", "",
      'tracepoint:syscalls:sys_enter_openat { printf("%d %s %d %s\\n", pid, comm, args->flags, str(args->filename)); }',
      function(dir)
        helpers.sh(("cd %s && cat ./a ./b 2>/dev/null; touch ./c; head -c1 ./c >/dev/null"):format(X.quote(dir)))
      end)
    -- relative paths (./a ./b ./c): this spec's events only
    local function rel(out, pat, conv)
      local t = {}
      for pid, comm, flags, path in out:gmatch(pat) do
        if path:match("^%./[abc]$") then t[#t + 1] = table.concat({ pid, comm, conv(flags), path }, " ") end
      end
      return sorted(t)
    end
    local mine = rel(ex, "\n(%d+)%s+(%S+)%s+(%d+)%s+([^\n]*)", function(f) return tonumber(f, 8) end)
    local theirs = rel(bt, "\n(%d+) (%S+) (%d+) ([^\n]*)", tonumber)
    assert.equal(4, #theirs, bt)
    assert.same(theirs, mine)
    assert.matches("\n%d+ opens\n", ex)
  end)
end)
