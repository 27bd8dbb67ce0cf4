-- W2 (ringbuf) and W3 (perfbuf) through the Lua API: ebpf-lua (callback
-- receives each record as a string, takes val with string.unpack) and
-- ebpf-lua-unpack (reader:unpack("<I8I8"): callback receives seq, val).
-- ebpf-lua-records / ebpf-lua-unpack-records: the same through the
-- records() iterator (the loop body runs inline, no Lua call per record).
-- ebpf-lua-drain: reader:drain(fn), records in reused columns;
-- ebpf-lua-decode: reader:decode(btf type), a table per record. Each line
-- also gives floor_ratio, against its floor run in the same rounds.
-- Producers: the anchors' very objects (OBJ = build/ringbuf.bpf.o or
-- build/perfbuf.bpf.o, loaded with ebpf.elf), or "-" for hand-assembled
-- equivalents with the same record layout.
-- usage: lua5.4 bench_readers.lua ringbuf|perfbuf OBJ [N] [REPS] [PAGES]
local ebpf = require "ebpf"
local core = require "ebpf.core"
local clock = core.monotime_ns or function() return os.clock() * 1e9 end

local function stats(t)
  local s = {}
  for i, v in ipairs(t) do s[i] = v end
  table.sort(s)
  local n = #s
  return n % 2 == 1 and s[(n + 1) // 2] or (s[n // 2] + s[n // 2 + 1]) / 2, s[1], s[n]
end
local function fail(msg) io.stderr:write("FAIL ebpf-lua: ", msg, "\n") os.exit(1) end

-- Hand-assembled producers with the anchors' record layout {u64 seq, u64
-- val = seq + 1} (to be replaced by the anchors' objects once ebpf.load exists).
local function insns(list)
  local out = {}
  for _, i in ipairs(list) do
    out[#out + 1] = string.pack("<BBi2i4", i[1], (i[3] or 0) << 4 | (i[2] or 0), i[4] or 0, i[5] or 0)
  end
  return table.concat(out)
end
local function xdp_producer(out_map, state, perf)
  local ld = function(reg, m) return { 0x18, reg, 1, 0, m:fd() }, { 0 } end
  local l1, l2 = ld(1, state)
  local o1, o2 = ld(perf and 2 or 1, out_map)
  local call = perf and {
    { 0xbf, 1, 6 }, o1, o2, { 0xb4, 3, 0, 0, -1 }, { 0xbf, 4, 10 }, { 0x07, 4, 0, 0, -24 }, { 0xb7, 5, 0, 0, 16 },
    { 0x85, 0, 0, 0, 25 } } or {
    o1, o2, { 0xbf, 2, 10 }, { 0x07, 2, 0, 0, -24 }, { 0xb7, 3, 0, 0, 16 }, { 0xb7, 4, 0, 0, 0 },
    { 0x85, 0, 0, 0, 130 } }
  local list = { { 0xbf, 6, 1 }, { 0x62, 10, 0, -4, 0 }, l1, l2, { 0xbf, 2, 10 }, { 0x07, 2, 0, 0, -4 },
    { 0x85, 0, 0, 0, 1 }, { 0x15, 0, 0, #call + 9, 0 }, { 0xbf, 7, 0 }, { 0xb7, 1, 0, 0, 1 }, { 0xdb, 7, 1, 0, 1 },
    { 0x7b, 10, 1, -24 }, { 0x07, 1, 0, 0, 1 }, { 0x7b, 10, 1, -16 } }
  for _, c in ipairs(call) do list[#list + 1] = c end
  for _, c in ipairs { { 0x15, 0, 0, 2, 0 }, { 0xb7, 1, 0, 0, 1 }, { 0xdb, 7, 1, 8, 0 }, { 0xb7, 0, 0, 0, 2 }, { 0x95 } } do
    list[#list + 1] = c
  end
  return assert(ebpf.program { type = "xdp", insns = insns(list) })
end
local PKT = string.rep("\0", 12) .. "\8\0" .. string.rep("\0", 50)

-- Runs the producer for n records; returns its duration.
local function produce(prog, state, n)
  local t0, ret, tried, failed
  if prog.type == "syscall" then -- W2 object: ctx {u64 n}, returns the records output
    t0 = clock()
    ret = assert(prog:run(nil, { ctx = string.pack("<I8", n) }))
    local dt = clock() - t0
    if ret ~= n then fail("producer returned " .. ret) end
    return dt
  end
  if state.value_size == 8 then -- W3 object: ARRAY of 2 u64
    state[0], state[1] = 0, 0
  else
    state[0] = string.rep("\0", 16)
  end
  t0 = clock()
  ret = assert(prog:run(PKT, { ["repeat"] = n }))
  local dt = clock() - t0
  if state.value_size == 8 then
    tried, failed = state[0], state[1]
  else
    tried, failed = string.unpack("<I8I8", state[0])
  end
  if ret ~= 2 or tried ~= n or failed ~= 0 then fail(("producer: %d %d %d"):format(ret, tried, failed)) end
  return dt
end

-- A BTF type for the record (the anchors' objects carry none for it): the
-- decode line goes through the library's BTF decoder as a user's would.
local function record_type()
  local b = ebpf.btf.new()
  local u64 = b:add_int("unsigned long long", 8)
  return b:add_struct("anchor_rec", 16, { { name = "seq", type = u64, offset = 0 }, { name = "val", type = u64, offset = 8 } })
end

local function run(w, name, mk_reader, n, reps, extra)
  local state = assert(ebpf.map { type = "array", key_size = 4, value_size = 16, max_entries = 1 })
  local _, prog, r, obj_state = mk_reader(state)
  state = obj_state or state
  state:set_codec(nil, nil) -- plain integers (u32 -> u64)
  local count, sum = 0, 0
  local unpack = string.unpack
  local rtype = record_type()
  local variants = {
    { label = "ebpf-lua", floor = "ebpf-floor-string", setup = function() r:raw() end,
      fn = function(rec) count = count + 1; sum = sum + unpack("<I8", rec, 9) end },
    { label = "ebpf-lua-unpack", floor = "ebpf-floor-c-call", setup = function() r:unpack("<I8I8") end,
      fn = function(_, val) count = count + 1; sum = sum + val end },
  }
  -- the same through the records() iterator: the loop body runs inline
  variants[#variants + 1] = { label = "ebpf-lua-records", floor = "ebpf-floor-string", setup = function() r:raw() end,
    loop = function()
      for rec in r:records(0) do count = count + 1; sum = sum + unpack("<I8", rec, 9) end
    end }
  variants[#variants + 1] = { label = "ebpf-lua-unpack-records", floor = "ebpf-floor-c-call",
    setup = function() r:unpack("<I8I8") end, loop = function()
      for _, val in r:records(0) do count = count + 1; sum = sum + val end
    end }
  -- the batch API: records in reused columns, one Lua call per batch; the
  -- format skips seq so that one column is filled, as the column floor does
  variants[#variants + 1] = { label = "ebpf-lua-drain", floor = "ebpf-floor-column",
    setup = function() r:unpack("<xxxxxxxxI8") end,
    fn = function(cnt, vals)
      for i = 1, cnt do sum = sum + vals[i] end
      count = count + cnt
    end, drain = true }
  -- BTF-decoded records: a table {seq =, val =} per record
  variants[#variants + 1] = { label = "ebpf-lua-decode", floor = "ebpf-floor-string",
    setup = function() r:decode(rtype) end,
    fn = function(rec) count = count + 1; sum = sum + rec.val end }
  -- Floors of the Lua side in this process (ebpf_bench_floor): the least
  -- any reader can cost to hand n records to Lua code that sums them (the
  -- same upvalue accumulators as the readers' callbacks).
  local shapes = {}
  local okf, floor = pcall(require, "ebpf_bench_floor")
  if okf then shapes = {
    { "ebpf-floor-lua-call", function() -- a Lua function called from Lua per record
      local f = function(_, val) count = count + 1; sum = sum + val end
      local t0 = clock()
      for i = 0, n - 1 do f(i, i + 1) end
      return (clock() - t0) / n
    end },
    { "ebpf-floor-c-call", function() -- called from C with two integers
      return floor.calls(function(_, val) count = count + 1; sum = sum + val end, n)
    end },
    { "ebpf-floor-string", function() -- a fresh 16-byte string per record
      return floor.strings(function(rec) count = count + 1; sum = sum + unpack("<I8", rec, 9) end, n)
    end },
    { "ebpf-floor-column", function() -- a reused integer column per batch
      return floor.columns(function(col, cnt)
        for i = 1, cnt do sum = sum + col[i] end
        count = count + cnt
      end, n, 4096)
    end },
  } end
  local floors = {}
  for _, shape in ipairs(shapes) do floors[shape[1]] = shape end
  local function run_floor(shape)
    collectgarbage("collect")
    count, sum = 0, 0
    local ns = shape[2]()
    if count ~= n or sum ~= n * (n + 1) // 2 then fail(shape[1] .. ": count " .. count) end
    return ns
  end
  for _, v in ipairs(variants) do
    v.setup()
    -- Each round: the producer, the timed drain, then the variant's floor
    -- right after it (interleaved A/B, so that a busy machine slows both
    -- alike); floor_ratio is the median of the per-round ratios.
    local t, tp, ratio = {}, {}, {}
    local fl = floors[v.floor]
    for round = 0, reps do
      -- no garbage of an earlier variant (a million strings per round)
      -- left for this one's GC steps to pay for
      collectgarbage("collect")
      local dp = produce(prog, state, n)
      count, sum = 0, 0
      local fn = v.fn
      local t0 = clock()
      if v.loop then v.loop() elseif v.drain then r:drain(fn) else r:consume(fn) end
      local dt = clock() - t0
      local lost = r.lost and r:lost() or 0
      if count ~= n or sum ~= n * (n + 1) // 2 then fail(("%s %s: count %d sum %d lost %d"):format(name, v.label, count, sum, lost)) end
      local fns = fl and run_floor(fl)
      if round > 0 then
        t[round], tp[round] = dt / n, dp / n
        if fns then ratio[round] = dt / n / fns end
      end
    end
    local med, lo, hi = stats(t)
    local fr = fl and (" floor=%s floor_ratio=%.2f"):format(v.floor, (stats(ratio))) or ""
    print(("%s %s %s ns_per_record=%.2f records_per_s=%.0f min_ns_per_record=%.2f max_ns_per_record=%.2f n=%d reps=%d%s producer_ns_per_record=%.1f%s"):format(
      w, name, v.label, med, 1e9 / med, lo, hi, n, reps, extra or "", (stats(tp)), fr))
  end
  r:close()
  for _, shape in ipairs(shapes) do
    local t = {}
    for round = 1, reps do t[round] = run_floor(shape) end
    local med, lo, hi = stats(t)
    print(("%s %s %s ns_per_record=%.2f min_ns_per_record=%.2f max_ns_per_record=%.2f n=%d reps=%d"):format(
      w, name, shape[1], med, lo, hi, n, reps))
  end
end

local mode, obj = arg[1], arg[2] or "-"
local n, reps, pages = tonumber(arg[3]) or 1000000, tonumber(arg[4]) or 5, tonumber(arg[5]) or 8192
local coll
if obj ~= "-" then coll = assert(ebpf.elf.load(obj)) end
if mode == "ringbuf" then
  run("W2", "ringbuf", function(state)
    if coll then
      return coll.maps.rb, coll.programs.produce, assert(ebpf.ringbuf.reader(coll.maps.rb))
    end
    local rb = assert(ebpf.map { type = "ringbuf", name = "rb", max_entries = 64 << 20 })
    return rb, xdp_producer(rb, state, false), assert(ebpf.ringbuf.reader(rb))
  end, n, reps)
elseif mode == "perfbuf" then
  -- W3 pins producer and consumer to CPU 0: run this under `taskset -c 0`.
  run("W3", "perfbuf", function(state)
    if coll then
      return coll.maps.events, coll.programs.xdp_produce, assert(ebpf.perf.reader(coll.maps.events, { pages = pages })),
        coll.maps.state
    end
    local ev = assert(ebpf.map { type = "perf_event_array", name = "events" })
    return ev, xdp_producer(ev, state, true), assert(ebpf.perf.reader(ev, { pages = pages }))
  end, n, reps, " pages_per_cpu=" .. pages)
else
  io.stderr:write("usage: bench_readers.lua ringbuf|perfbuf OBJ [N] [REPS] [PAGES]\n")
  os.exit(2)
end
