-- bench.lua: the anchors' workloads through the Lua API (label ebpf-lua),
-- one line per figure, same format as ../shared/anchors.
-- usage: lua5.4 bench/bench.lua hashmap [N] [REPS] [BATCH] | testrun [CALLS] [REPS] | load OBJ [REPS]
local ebpf = require "ebpf"
local core = require "ebpf.core"

local LABEL = "ebpf-lua"
local clock = core.monotime_ns or function() return os.clock() * 1e9 end

local function stats(t)
  local s = {}
  for i, v in ipairs(t) do s[i] = v end
  table.sort(s)
  local n = #s
  local med = n % 2 == 1 and s[(n + 1) // 2] or (s[n // 2] + s[n // 2 + 1]) / 2
  return med, s[1], s[n]
end

local function fail(msg)
  io.stderr:write("FAIL ebpf-lua: ", msg, "\n")
  os.exit(1)
end

local function w4_value(k) return k * 2654435761 + 7 end

-- The element loops of W4 on anything indexable (a map or the floor's
-- bare userdata): ns per op.
local function set_all(m, n)
  local t0 = clock()
  for k = 0, n - 1 do m[k] = w4_value(k) end
  return (clock() - t0) / n
end
local function get_all(m, n, want)
  local sum, t0 = 0, clock()
  for k = 0, n - 1 do sum = sum + m[k] end
  local dt = (clock() - t0) / n
  if sum ~= want then fail("lookup sum") end
  return dt
end
local function clear_all(m, n)
  local t0 = clock()
  for k = 0, n - 1 do m[k] = nil end
  return (clock() - t0) / n
end

local modes = {}

function modes.hashmap(n, reps, batch)
  n, reps, batch = tonumber(n) or 100000, tonumber(reps) or 5, tonumber(batch) or 1024
  local want = 0
  for k = 0, n - 1 do want = want + w4_value(k) end
  local ops = { "update", "lookup", "iterate", "lookup_batch", "delete" }
  local t = {}
  for _, op in ipairs(ops) do t[op] = {} end
  local bkeys, bvals = {}, {}
  -- The floor of any binding: the same element loops on a userdata whose
  -- metamethods are nothing but the raw syscall (ebpf_bench_floor), run
  -- right after ours in each round (interleaved: a busy machine slows both
  -- alike); the ratio is the median of the per-round ratios.
  local floor_ok, floor = pcall(require, "ebpf_bench_floor")
  local fops = { "update", "lookup", "delete" }
  local f, ratio = {}, {}
  for _, op in ipairs(fops) do f[op], ratio[op] = {}, {} end
  for r = 1, reps do
    local m <close> = assert(ebpf.map { type = "hash", key_size = 4, value_size = 8, max_entries = n })
    t.update[r] = set_all(m, n)
    t.lookup[r] = get_all(m, n, want)

    -- pairs() is the Lua way to walk a map (batched under the hood).
    local sum, count = 0, 0
    local t0 = clock()
    for _, v in pairs(m) do sum = sum + v; count = count + 1 end
    t.iterate[r] = (clock() - t0) / n
    if count ~= n or sum ~= want then fail("iterate count " .. count) end

    -- result tables reused across repetitions, as the C harnesses reuse
    -- their key/value arrays
    t0 = clock()
    local keys, vals, got = m:lookup_batch { count = batch, keys = bkeys, values = bvals }
    t.lookup_batch[r] = (clock() - t0) / n
    if not keys then fail(tostring(vals)) end
    sum = 0
    for i = 1, got do
      if vals[i] ~= w4_value(keys[i]) then fail("lookup_batch value of key " .. keys[i]) end
      sum = sum + vals[i]
    end
    if got ~= n or sum ~= want then fail("lookup_batch count " .. got) end

    t.delete[r] = clear_all(m, n)
    if m:next_key() ~= nil then fail("map not empty after delete") end
    if floor_ok then
      local fm <close> = assert(ebpf.map { type = "hash", key_size = 4, value_size = 8, max_entries = n })
      local u = floor.rawmap(fm:fd())
      f.update[r] = set_all(u, n)
      f.lookup[r] = get_all(u, n, want)
      f.delete[r] = clear_all(u, n)
      for _, op in ipairs(fops) do ratio[op][r] = t[op][r] / f[op][r] end
    end
  end
  for _, op in ipairs(ops) do
    local med, lo, hi = stats(t[op])
    print(("W4 hashmap %s %s_ns_per_op=%.1f min=%.1f max=%.1f n=%d reps=%d%s"):format(
      LABEL, op, med, lo, hi, n, reps, op == "iterate" and " via=pairs" or ""))
  end
  if not floor_ok then return end
  for _, op in ipairs(fops) do
    local med, lo, hi = stats(f[op])
    print(("W4 hashmap ebpf-floor-metamethod %s_ns_per_op=%.1f min=%.1f max=%.1f n=%d reps=%d"):format(
      op, med, lo, hi, n, reps))
    print(("W4 hashmap ratio %s_ns_per_op %s/ebpf-floor-metamethod=%.2f"):format(op, LABEL, (stats(ratio[op]))))
  end
end

function modes.testrun(calls, reps)
  calls, reps = tonumber(calls) or 100000, tonumber(reps) or 5
  local prog <close> = assert(ebpf.program {
    type = "socket_filter", license = "GPL",
    insns = string.pack("<BBi2i4BBi2i4", 0xb7, 0, 0, 0, 0x95, 0, 0, 0),
  })
  local pkt = string.rep("\0", 64)
  local run = prog.run
  for _ = 1, 1000 do
    if run(prog, pkt) ~= 0 then fail("warm-up retval") end
  end
  -- The raw syscall(2) floor, timed in this process and interleaved with
  -- the Lua loop in every repetition (as the anchors do for C).
  local floor_ok, floor = pcall(require, "ebpf_bench_floor")
  local t, f, b = {}, {}, {}
  for r = 1, reps do
    local t0 = clock()
    for _ = 1, calls do
      local rv = run(prog, pkt)
      if rv ~= 0 then fail("retval " .. tostring(rv)) end
    end
    t[r] = (clock() - t0) / calls
    if floor_ok then
      f[r] = floor.testrun(prog:fd(), pkt, calls)
      -- the least a binding can cost: a bare C function per call
      local run1, fd = floor.run1, prog:fd()
      t0 = clock()
      for _ = 1, calls do
        if run1(fd, pkt) ~= 0 then fail("floor retval") end
      end
      b[r] = (clock() - t0) / calls
    end
  end
  local med, lo, hi = stats(t)
  print(("W6 testrun %s ns_per_call=%.1f min=%.1f max=%.1f calls=%d reps=%d pkt=64"):format(
    LABEL, med, lo, hi, calls, reps))
  if floor_ok then
    local fm, flo, fhi = stats(f)
    print(("W6 testrun raw_syscall_lua_process ns_per_call=%.1f min=%.1f max=%.1f calls=%d reps=%d pkt=64"):format(
      fm, flo, fhi, calls, reps))
    print(("W6 testrun ratio ns_per_call %s/raw_syscall_lua_process=%.2f"):format(LABEL, med / fm))
    local bm, blo, bhi = stats(b)
    print(("W6 testrun ebpf-floor-bare-cfunction ns_per_call=%.1f min=%.1f max=%.1f calls=%d reps=%d pkt=64"):format(
      bm, blo, bhi, calls, reps))
    print(("W6 testrun ratio ns_per_call ebpf-floor-bare-cfunction/raw_syscall_lua_process=%.2f"):format(bm / fm))
    -- the binding's own cost: ours against the bare C function of the same
    -- rounds (median of the per-round ratios)
    local rr = {}
    for r = 1, reps do rr[r] = t[r] / b[r] end
    print(("W6 testrun ratio ns_per_call %s/ebpf-floor-bare-cfunction=%.2f"):format(LABEL, (stats(rr))))
  end
end

function modes.load(path, reps)
  reps = math.min(tonumber(reps) or 20, 64)
  local function once()
    local t0 = clock()
    local c = assert(ebpf.load(path))
    local np, nm = 0, 0
    for _ in pairs(c.programs) do np = np + 1 end
    for _ in pairs(c.maps) do nm = nm + 1 end
    if np ~= 5 or nm ~= 6 then fail(("load: %d programs, %d maps"):format(np, nm)) end
    c:close()
    return (clock() - t0) / 1e6
  end
  local first = once()
  local t = {}
  for r = 1, reps do t[r] = once() end
  local med, lo, hi = stats(t)
  print(("W5 load %s ms_per_load=%.3f min=%.3f max=%.3f first=%.3f reps=%d"):format(
    LABEL, med, lo, hi, first, reps))
end

local mode = arg[1]
if not mode or not modes[mode] then
  io.stderr:write("usage: bench.lua hashmap|testrun|load [ARGS]\n")
  os.exit(2)
end
modes[mode](table.unpack(arg, 2))
