-- Perf event buffer readers against the real kernel, fed by a
-- hand-assembled XDP program calling bpf_perf_event_output (see
-- spec/readers_progs.lua), run with BPF_PROG_TEST_RUN.
local ebpf = require "ebpf"
local helpers = require "spec.helpers"
local P = require "spec.readers_progs"

local function setup()
  local ev = assert(ebpf.map { type = "perf_event_array", name = "events" })
  local st = assert(ebpf.map { type = "array", key_size = 4, value_size = 16, max_entries = 1 })
  return ev, st, P.perf_xdp(ev, st)
end

-- Runs the producer n times in a child pinned to `cpu`.
local function produce_on(prog, cpu, n)
  local code = ([[
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = %q .. "/?.so;" .. package.cpath
local p = assert(require("ebpf").program.from_id(%d))
io.write(assert(p:run(string.rep("\0", 12) .. "\8\0" .. string.rep("\0", 50), { ["repeat"] = %d })))
]]):format(helpers.build, prog.id, n)
  return helpers.sh(("taskset -c %d lua5.4 -e '%s'"):format(cpu, code:gsub("'", "'\\''")))
end

local function online()
  local f = assert(io.open("/sys/devices/system/cpu/online"))
  local s = f:read("l")
  f:close()
  local cpus = {}
  for part in s:gmatch("[^,]+") do
    local a, b = part:match("^(%d+)-(%d+)$")
    a, b = tonumber(a or part), tonumber(b or part)
    for c = a, b do cpus[#cpus + 1] = c end
  end
  return cpus
end

describe("ebpf.perf reader", function()
  it("reads 200,000 records with their CPU, count and sum exact", function()
    local n = 200000
    local ev, st, prog = setup()
    -- 200k records x 32 bytes = 6.4 MB: fits 2048 pages per CPU
    local r = assert(ebpf.perf.reader(ev, { pages = 2048, watermark = 1 << 20 }))
    assert.are.same(online(), r:cpus())
    local tried, failed = P.produce(prog, st, n)
    assert.are.equal(n, tried)
    assert.are.equal(0, failed)
    local count, sum, cpus = 0, 0, {}
    r:unpack("<I8I8")
    local seen = 0
    while count < n do
      local got = r:poll(1000, function(seq, val, cpu)
        assert(val == seq + 1)
        count = count + 1
        sum = sum + val
        cpus[cpu] = true
      end)
      if got == 0 then break end
      seen = seen + got
    end
    assert.are.equal(n, count)
    assert.are.equal(n, seen)
    assert.are.equal(n * (n + 1) // 2, sum)
    assert.are.equal(0, r:lost())
    local readable = {}
    for _, c in ipairs(r:cpus()) do readable[c] = true end
    for cpu in pairs(cpus) do assert.is_true(readable[cpu], "record from unknown cpu " .. cpu) end
  end)

  it("tags each record with the CPU it was written on", function()
    local cpus = online()
    local ev, st, prog = setup()
    local r = assert(ebpf.perf.reader(ev))
    local want = {}
    for _, cpu in ipairs(cpus) do
      produce_on(prog, cpu, 10)
      want[cpu + 1] = 10
    end
    local got = {}
    for _, cpu in ipairs(cpus) do got[cpu + 1] = 0 end
    local rec_n = r:consume(function(rec, cpu)
      assert.are.equal(20, #rec) -- 16 bytes + the kernel's 4 bytes of padding
      got[cpu + 1] = got[cpu + 1] + 1
    end)
    assert.are.equal(10 * #cpus, rec_n)
    assert.are.same(want, got)
    local _ = st
  end)

  it("counts lost samples of a tiny buffer and reports them to on_lost", function()
    -- Keep the producer runs on one CPU: a test run migrating mid-way
    -- would leave its LOST record on another CPU's ring.
    local f = assert(io.open("/proc/self/stat"))
    local pid = f:read("l"):match("^(%d+)")
    f:close()
    local all = helpers.sh("taskset -p " .. pid):match("affinity mask: (%x+)")
    helpers.sh("taskset -p 1 " .. pid)
    finally(function() helpers.sh("taskset -p " .. all .. " " .. pid) end)
    local ev, st, prog = setup()
    local reported = 0
    local r = assert(ebpf.perf.reader(ev, { pages = 1, watermark = 1 << 20,
      on_lost = function(cpu, count)
        assert.is_number(cpu)
        reported = reported + count
      end }))
    local tried, failed = P.produce(prog, st, 1000)
    assert.are.equal(1000, tried)
    assert.is_true(failed > 0, "a 4 KiB ring must overflow with 1000 records")
    local count = r:consume(function() end)
    assert.are.equal(1000 - failed, count)
    -- the kernel writes the LOST record once there is room again
    assert.are.equal(2, prog:run(P.packet))
    count = count + r:consume(function() end)
    assert.are.equal(failed, r:lost())
    assert.are.equal(failed, reported)
    assert.are.equal(1001, count + r:lost())
    local per_cpu = 0
    for _, cpu in ipairs(r:cpus()) do per_cpu = per_cpu + r:lost(cpu) end
    assert.are.equal(failed, per_cpu)
  end)

  it("drain() hands records over in columns with their CPU, and lost samples to on_lost", function()
    local f = assert(io.open("/proc/self/stat"))
    local pid = f:read("l"):match("^(%d+)")
    f:close()
    local all = helpers.sh("taskset -p " .. pid):match("affinity mask: (%x+)")
    helpers.sh("taskset -p 1 " .. pid) -- CPU 0: the LOST record lands where the samples did
    finally(function() helpers.sh("taskset -p " .. all .. " " .. pid) end)
    local ev, st, prog = setup()
    local reported, lost_calls = 0, 0
    local r = assert(ebpf.perf.reader(ev, { pages = 1, watermark = 1 << 20, unpack = "<I8I8",
      on_lost = function(cpu, count)
        assert.are.equal(0, cpu)
        reported, lost_calls = reported + count, lost_calls + 1
      end }))
    local tried, failed = P.produce(prog, st, 1000)
    assert.are.equal(1000, tried)
    assert.is_true(failed > 0, "a 4 KiB ring must overflow with 1000 records")
    local seen, next_seq = 0, 0
    local function check(n, seqs, vals, cpus)
      for i = 1, n do
        assert.are.equal(0, cpus[i])
        assert.are.equal(seqs[i] + 1, vals[i])
        assert.is_true(seqs[i] >= next_seq, "in order")
        next_seq = seqs[i] + 1
      end
      seen = seen + n
    end
    assert.are.equal(1000 - failed, r:drain(check))
    -- the kernel writes the LOST record once there is room again
    assert.are.equal(2, prog:run(P.packet))
    assert.are.equal(1, r:drain(check))
    assert.are.equal(1001 - failed, seen)
    assert.are.equal(failed, r:lost())
    assert.are.equal(failed, reported)
    assert.are.equal(1, lost_calls)
    -- a raising callback: its batch is consumed, the error comes through
    P.produce(prog, st, 50)
    local ok, err = pcall(r.drain, r, function() error("boom") end)
    assert.is_false(ok)
    assert.matches("boom", err)
    assert.are.equal(0, r:available())
  end)

  it("overwritable mode keeps the newest records and hands them over oldest first", function()
    local ev, st, prog = setup()
    local r = assert(ebpf.perf.reader(ev, { pages = 1, overwritable = true }))
    local tried, failed = P.produce(prog, st, 1000)
    assert.are.equal(1000, tried)
    assert.are.equal(0, failed) -- never full: old records are overwritten
    local seqs = {}
    r:unpack("<I8I8"):consume(function(seq) seqs[#seqs + 1] = seq end)
    assert.is_true(#seqs > 50 and #seqs <= 128, "got " .. #seqs)
    assert.are.equal(999, seqs[#seqs])
    for i = 2, #seqs do assert.are.equal(seqs[i - 1] + 1, seqs[i]) end
    -- only new records on the next read
    P.produce(prog, st, 3)
    seqs = {}
    r:consume(function(seq) seqs[#seqs + 1] = seq end)
    assert.are.same({ 0, 1, 2 }, seqs)
    assert.matches("overwritable", tostring(r))
  end)

  it("pauses and resumes: paused outputs fail and are not recorded", function()
    local ev, st, prog = setup()
    local r = assert(ebpf.perf.reader(ev))
    assert.is_true(r:pause())
    local _, failed = P.produce(prog, st, 20)
    assert.are.equal(20, failed)
    assert.are.equal(0, r:consume(function() end))
    assert.is_true(r:resume())
    _, failed = P.produce(prog, st, 20)
    assert.are.equal(0, failed)
    assert.are.equal(20, r:poll(1000, function() end))
  end)

  it("read(), records(), decode and a raising callback behave as for ring buffers", function()
    local ev, st, prog = setup()
    local r = assert(ebpf.perf.reader(ev))
    assert.is_nil(r:read(0))
    P.produce(prog, st, 10)
    local rec, cpu = r:read(100)
    assert.are.equal(20, #rec)
    assert.are.equal(0, string.unpack("<I8", rec))
    assert.is_number(cpu)
    r:decode({ decode = function(_, b) return { seq = string.unpack("<I8", b) } end })
    local ev1 = r:read(0)
    assert.are.equal(1, ev1.seq)
    r:raw()
    local seen = {}
    assert.has_error(function()
      r:consume(function(b)
        local seq = string.unpack("<I8", b)
        seen[#seen + 1] = seq
        if seq == 4 then error("stop") end
      end)
    end)
    for b in r:records(0) do seen[#seen + 1] = string.unpack("<I8", b) end
    assert.are.same({ 2, 3, 4, 5, 6, 7, 8, 9 }, seen)
    assert.is_true(r:fd() > 2)
  end)

  it("closes with records pending, is collected after its map was closed, and validates options", function()
    local ev, st, prog = setup()
    local r = assert(ebpf.perf.reader(ev))
    P.produce(prog, st, 5)
    assert.is_true(r:available() > 0)
    r:close()
    assert.has_error(function() r:consume(print) end, "attempt to use a closed perf reader")
    assert.matches("closed", tostring(r))
    local r2 = assert(ebpf.perf.reader(ev))
    ev:close()
    P.produce(prog, st, 5) -- the program keeps the map; r2 owns its slots
    assert.are.equal(5, r2:consume(function() end))
    r2 = nil -- luacheck: ignore
    collectgarbage()
    local ev2 = setup()
    assert.has_error(function() ebpf.perf.reader(ev2, { pages = 3 }) end)
    assert.has_error(function() ebpf.perf.reader(ev2, { watermark = 8, wakeup_events = 2 }) end)
    assert.has_error(function() ebpf.perf.reader(ev2, { page = 8 }) end, "invalid field name 'page'")
    assert.has_error(function() ebpf.perf.reader(st) end)
  end)
end)
