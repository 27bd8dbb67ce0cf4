-- ebpf.trace_pipe: bpf_printk output read back from tracefs, against the
-- kernel's own view of the same lines (the non-consuming `trace` file,
-- split with patterns here, as `cat trace_pipe | awk` would) and against
-- the pids and names of the processes that triggered them.
local ebpf = require "ebpf"
local helpers = require "helpers"

local function tracefs()
  for _, d in ipairs { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" } do
    if io.open(d .. "/trace") then return d end
  end
end

local function self_pid_comm()
  local pid = tonumber(helpers.read_file("/proc/self/stat"):match("^%d+"))
  return pid, (helpers.read_file("/proc/self/comm"):gsub("\n$", ""))
end

-- The oracle: a line of `trace` split the simple way, from the 16-column name.
local function oracle(line)
  local comm, pid, cpu, flags, ts, msg = line:match("^(................)%-(%d+)%s+%[(%d+)%]%s+(%S+)%s+([%d.]+): "
    .. "bpf_trace_printk: (.*)$")
  if not comm then return nil end
  return { comm = comm:match("^%s*(.-)$"), pid = tonumber(pid), cpu = tonumber(cpu), flags = flags,
    ts = tonumber(ts), msg = msg }
end

describe("ebpf.trace_pipe", function()
  it("reads bpf_printk lines back with the pid, comm, cpu and message the kernel wrote", function()
    local root = tracefs()
    if helpers.skip_unless(root, "no tracefs", true) then return end
    local dir = helpers.sh("mktemp -d /tmp/ebpf-lua-printk.XXXXXX"):gsub("%s+$", "")
    -- a name with a blank and a dash, as the kernel prints it ("my-cat x-1234")
    helpers.sh(("cp /bin/cat '%s/my-cat x'"):format(dir))
    local coll <close> = assert(ebpf.load(helpers.testdata("misc/printk.bpf.o")))
    local links <close> = assert(coll:attach()) -- luacheck: ignore
    local tp <close> = assert(ebpf.trace_pipe { timeout = 1000 })
    assert.matches("^ebpf.trace_pipe %(fd %d+%)$", tostring(tp))
    local pid, comm = self_pid_comm()
    local f = io.open(dir .. "/from-lua") -- this process opens it
    if f then f:close() end
    local cat_pid = tonumber(helpers.sh(("cd %s && sh -c 'echo $$; exec \"./my-cat x\" \"$0\" 2>/dev/null' %s/from-cat || true")
      :format(dir, dir)):match("^(%d+)"))
    ebpf.sleep(0.1)
    -- what the kernel holds, before trace_pipe consumes it
    local want = {}
    for line in helpers.read_file(root .. "/trace"):gmatch("[^\n]+") do
      local o = line:find(dir, 1, true) and oracle(line)
      if o then want[#want + 1] = o end
    end
    local got = {}
    for ev in tp do
      if ev.msg:find(dir, 1, true) then got[#got + 1] = ev end
      if #got == #want then break end
    end
    helpers.sh("rm -rf " .. dir)
    assert.equal(2, #want)
    assert.equal(#want, #got)
    for i, w in ipairs(want) do
      local g = got[i]
      assert.same({ w.comm, w.pid, w.cpu, w.flags, w.msg }, { g.comm, g.pid, g.cpu, g.flags, g.msg })
      assert.near(w.ts, g.ts, 1e-6)
      assert.equal("bpf_trace_printk", g.event)
    end
    assert.same({ pid, comm, "ebpf-lua-printk open " .. dir .. "/from-lua" }, { got[1].pid, got[1].comm, got[1].msg })
    assert.same({ cat_pid, "my-cat x", "ebpf-lua-printk open " .. dir .. "/from-cat" }, { got[2].pid, got[2].comm, got[2].msg })
    assert.is_true(got[1].ts <= got[2].ts)
    tp:close()
    assert.error_matches(function() tp:read(0) end, "closed trace_pipe")
    assert.error_matches(function() tp:close() end, "closed trace_pipe")
    assert.equal("ebpf.trace_pipe (closed)", tostring(tp))
  end)

  it("read(timeout) returns nil when nothing comes in time; fd() polls with ring buffers", function()
    if helpers.skip_unless(tracefs(), "no tracefs", true) then return end
    local tp <close> = assert(ebpf.trace_pipe())
    assert.is_true(math.type(tp:fd()) == "integer" and tp:fd() > 2)
    local t0 = ebpf.core.monotime_ns()
    local n = 0
    while tp:read(0) do n = n + 1 end -- drain whatever others printed
    local ev = tp:read(150)
    local ms = (ebpf.core.monotime_ns() - t0) / 1e6
    assert.is_true(ev == nil or type(ev) == "table")
    assert.is_true(ms < 2000, ("read(150) took %.0f ms"):format(ms))
    -- one reader at a time; the for loop closes what it opened (generic for's closing value)
    local busy, err = ebpf.trace_pipe()
    assert.is_nil(busy)
    assert.matches("another reader has it open", tostring(err))
    tp:close()
    local opened
    for e in ebpf.trace_pipe { timeout = 50 } do opened = e end
    assert.is_true(opened == nil or type(opened) == "table")
    local again <close> = assert(ebpf.trace_pipe()) -- luacheck: ignore (the loop's reader was closed)
  end)

  it("options are checked", function()
    assert.error_matches(function() ebpf.trace_pipe { timout = 1 } end, "invalid field name 'timout'")
    assert.error_matches(function() ebpf.trace_pipe { timeout = 0 / 0 } end, "NaN")
    local tp, err = ebpf.trace_pipe { path = "/nonexistent/trace_pipe" }
    assert.is_nil(tp)
    assert.matches("open /nonexistent/trace_pipe", tostring(err))
  end)

  it("hostile files: garbage, NUL bytes, lines of megabytes and no final newline, without a crash", function()
    local dir = helpers.sh("mktemp -d"):gsub("%s+$", "")
    local path = dir .. "/pipe"
    local f = assert(io.open(path, "wb"))
    f:write("CPU:1 [LOST 12 EVENTS]\n")
    f:write("  x-1 [0] d..1 5.000001: bpf_trace_printk: ok\n")
    f:write(string.rep("A", 300000), "\n")                 -- cut at 64 KiB, the rest dropped
    f:write("\0\1\2-3 [4] \255\n\n")
    f:write("           <...>-17      (     17) [003] ....  99.5: bpf_trace_printk: a-1 [2] 3.0: fake\n")
    f:write(string.rep("-1 [2] ", 5000), "\n")
    f:write("       sh-99 [1] 7: : last") -- no flags, empty event, no newline
    f:close()
    local got = {}
    for ev in ebpf.trace_pipe { path = path } do got[#got + 1] = ev end
    helpers.sh("rm -rf " .. dir)
    assert.equal(8, #got)
    assert.same({ msg = "CPU:1 [LOST 12 EVENTS]" }, got[1])
    assert.same({ 1, "x", 0, "d..1", "bpf_trace_printk", "ok", 5000001000 },
      { got[2].pid, got[2].comm, got[2].cpu, got[2].flags, got[2].event, got[2].msg, got[2].ts_ns })
    assert.equal(65536, #got[3].msg)
    assert.is_nil(got[4].pid)
    assert.equal("", got[5].msg)
    assert.same({ 17, 17, "<...>", 3, "a-1 [2] 3.0: fake" }, { got[6].pid, got[6].tgid, got[6].comm, got[6].cpu,
      got[6].msg })
    assert.is_nil(got[7].pid)
    assert.same({ 99, "sh", "", "", "last" }, { got[8].pid, got[8].comm, got[8].flags, got[8].event, got[8].msg })
  end)

  it("parse_trace_line: any line, never a raise; parsed fields are pieces of the line (property)", function()
    local parts = { " ", "-", "--", "12", "[", "]", "[3]", "(", ")", "(  7)", ":", ": ", ".", "5.25", "d..1",
      "bpf_trace_printk", "x", "my cat", "\0", "\255", "-42 ", "[001] ", "1.000001: " }
    math.randomseed(13)
    for _ = 1, 20000 do
      local t = {}
      for i = 1, math.random(0, 14) do t[i] = parts[math.random(#parts)] end
      local line = table.concat(t)
      local ev = ebpf.parse_trace_line(line)
      if ev.pid then
        assert.is_true(ev.pid >= 0 and ev.cpu >= 0)
        assert.is_truthy(line:find(ev.comm, 1, true))
        assert.is_true(#ev.msg == 0 or line:sub(-#ev.msg) == ev.msg)
      else
        assert.equal(line, ev.msg)
      end
    end
    -- the kernel's layout wins over a name holding a fake header
    local ev = ebpf.parse_trace_line("   a-1 [0] 1: x-9 [1] d... 2.5: bpf_trace_printk: m")
    assert.same({ 1, "a", 0 }, { ev.pid, ev.comm, ev.cpu })
    ev = ebpf.parse_trace_line("a-1 [0] 1:x-9-10    [001] .... 2.5: bpf_trace_printk: m")
    assert.same({ 10, "a-1 [0] 1:x-9", 1, "m" }, { ev.pid, ev.comm, ev.cpu, ev.msg })
  end)

  it("a for loop over trace_pipe ends at SIGINT and the script goes on", function()
    if helpers.skip_unless(tracefs(), "no tracefs", true) then return end
    local dir = helpers.sh("mktemp -d"):gsub("%s+$", "")
    local f = assert(io.open(dir .. "/s.lua", "wb"))
    f:write([[
      local ebpf = require "ebpf"
      local n = 0
      for _ in ebpf.trace_pipe() do n = n + 1 end
      print("stopped", ebpf.signal.pending())
    ]])
    f:close()
    local out = helpers.sh(("EBPF_BUILD=%s LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='%s/?.so;;' lua5.4 %s/s.lua "
      .. "> %s/out 2>&1 & p=$!; sleep 0.7; kill -INT $p; wait $p; echo rc=$?; cat %s/out; rm -rf %s")
      :format(helpers.build, helpers.build, dir, dir, dir, dir))
    assert.equal("rc=0\nstopped\tSIGINT\n", out)
  end)
end)
