-- Runs each example briefly (as a user would, in its own process) and
-- checks what it printed against what the example itself caused.
local helpers = require "spec.helpers"

local function run(script, args)
  return helpers.sh(("EBPF_BUILD=%s lua5.4 examples/%s %s"):format(helpers.build, script, args or ""))
end

describe("examples", function()
  it("execsnoop (the demo) prints the execs it triggers, decoded through BTF", function()
    local out = run("demo.lua", "--duration 1.5")
    assert.matches("TIME%(s%)%s+PID%s+PPID%s+UID%s+COMM%s+FILENAME%s+ARGS", out)
    -- its own /bin/true and uname, with their comm, path and arguments
    assert.matches("\n[%d.]+%s+%d+%s+%d+%s+%d+%s+true%s+/bin/true%s+/bin/true\n", out)
    assert.matches("%s+uname%s+[%w/]*/uname%s+uname %-s\n", out)
    local n = tonumber(out:match("\n(%d+) execs in"))
    assert.is_true(n >= 4, out)
  end)

  it("syscount reads the kernel's hash map with pairs()", function()
    local out = run("syscount.lua", "--duration 0.5 --top 5")
    assert.matches("SYSCALL%s+COUNT", out)
    local rows = 0
    for name, count in out:gmatch("\n([%w_]+)%s+(%d+)\n") do
      assert.is_true(tonumber(count) > 0, name)
      rows = rows + 1
    end
    assert.is_true(rows >= 3, out)
    local total, kinds = out:match("(%d+) syscalls of (%d+) kinds")
    assert.is_true(tonumber(total) > 0 and tonumber(kinds) >= rows, out)
  end)

  it("latency prints a log2 histogram whose rows add up to the total", function()
    local out = run("latency.lua", "--duration 0.5")
    assert.matches("nsecs : count", out)
    local sum, rows = 0, 0
    for lo, hi, count, bar in out:gmatch("\n%s*(%d+) %-> (%d+)%s+: (%d+)%s+|([ *]*)|") do
      lo, hi = tonumber(lo), tonumber(hi)
      assert.is_true(hi == 1 or hi == 2 * lo - 1 + (lo == 0 and 1 or 0), out)
      sum = sum + tonumber(count)
      rows = rows + 1
      assert.are.equal(40, #bar)
    end
    assert.is_true(rows > 0, out)
    assert.are.equal(tonumber(out:match("(%d+) syscalls timed")), sum)
  end)

  it("uprobe sees every call of the program it starts, with its argument", function()
    local out = run("uprobe.lua", "--duration 0.5")
    assert.matches("target: work%(%) called 5 times, sum of results 30", out)
    assert.matches("uprobe: saw 5 calls of work%(%), sum of results 30", out)
    for i = 1, 5 do assert.matches("\n" .. i .. "%s+%d+%s+" .. i .. "%s", out) end
  end)

  it("xdp_count counts the UDP datagrams it sends through a veth pair", function()
    local out = run("xdp_count.lua", "--duration 1")
    local sent = tonumber(out:match("%((%d+) UDP datagrams sent%)"))
    assert.are.equal(10, sent)
    assert.are.equal(sent, tonumber(out:match("ipv4/udp%s+(%d+)")))
  end)

  it("every example runs from the source tree with no environment, takes --duration and ends cleanly", function()
    if not io.open("build/ebpf/core.so") then
      pending("no build/ in this checkout (" .. helpers.build .. " is used): run make build")
      return
    end
    local cases = {
      { "basics.lua", "counted%s+5 runs" }, { "features.lua", "ring buffer maps" },
      { "opencount.lua", "count_openat\tebpf%.link tracepoint" }, { "syscount.lua", "syscalls of %d+ kinds" },
      { "latency.lua", "syscalls timed" }, { "opensnoop.lua", "\n%d+ opens\n" },
      { "execsnoop.lua", "\n%d+ execs in" }, { "tcpstates.lua", "\n%d+ state changes\n" },
      { "bashreadline.lua", "\n%d+ lines\n" }, { "uprobe.lua", "uprobe: saw 3 calls" },
      { "profile.lua", "\n%d+ samples, %d+ distinct stacks\n" },
    }
    for _, c in ipairs(cases) do
      local out = helpers.sh(("env -i PATH=\"$PATH\" HOME=\"$HOME\" lua5.4 examples/%s --duration 0.3"):format(c[1]))
      assert.is_truthy(out:find(c[2]), c[1] .. " printed:\n" .. out)
    end
    -- and unknown options stop with a usage line
    local f = assert(io.popen("env -i PATH=\"$PATH\" lua5.4 examples/opensnoop.lua --bogus 1 2>&1; echo rc=$?"))
    local out = f:read("a")
    f:close()
    assert.matches("unknown option '%-%-bogus'.*usage: .*%[%-%-duration N%].*rc=2", out)
  end)

  it("runs outside a checkout with the module from the package paths (as installed)", function()
    local dir = helpers.sh("mktemp -d"):gsub("%s+$", "")
    helpers.sh(("mkdir %s/examples && cp examples/common.lua examples/opencount.lua examples/opencount.bpf.c %s/examples/")
      :format(dir, dir))
    local lua_path = ("%s/lua/?.lua;%s/lua/?/init.lua;;"):format(os.getenv("PWD"), os.getenv("PWD"))
    local build = helpers.build:find("^/") and helpers.build or (os.getenv("PWD") .. "/" .. helpers.build)
    -- (LD_PRELOAD kept: the ASan build of the module needs its runtime first)
    local out = helpers.sh(("cd %s && env -i PATH=\"$PATH\" HOME=\"$HOME\" LD_PRELOAD=\"$LD_PRELOAD\" LUA_PATH='%s' "
      .. "LUA_CPATH='%s/?.so;;' lua5.4 examples/opencount.lua --duration 0.2"):format(dir, lua_path, build))
    helpers.sh("rm -rf " .. dir)
    assert.matches("count_openat\tebpf%.link tracepoint", out)
  end)
end)
