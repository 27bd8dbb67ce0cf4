-- Ring buffer readers and user ring buffer writers against the real
-- kernel: records come from hand-assembled XDP producers run with
-- BPF_PROG_TEST_RUN (spec/readers_progs.lua).
local ebpf = require "ebpf"
local helpers = require "spec.helpers"
local P = require "spec.readers_progs"

local function state_map()
  return assert(ebpf.map { type = "array", key_size = 4, value_size = 16, max_entries = 1 })
end

local function setup(size)
  local rb = assert(ebpf.map { type = "ringbuf", name = "events", max_entries = size or 4096 * 64 })
  local st = state_map()
  local prog = P.ringbuf_xdp(rb, st)
  return rb, st, prog
end

-- Lua code for a child process that runs a producer program (by id) n
-- times in chunks, never letting the ring (by id) get more than half full:
-- the records only fit if the parent consumes while they are written.
local function child_cmd(prog, rb, n, chunk)
  local code = ([[
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = %q .. "/?.so;" .. package.cpath
local ebpf = require "ebpf"
local p = assert(ebpf.program.from_id(%d))
local watch = assert(ebpf.ringbuf.reader(assert(ebpf.map.from_id(%d)))) -- looks, never consumes
local n, chunk, size = %d, %d, %d
local pkt = string.rep("\0", 12) .. "\8\0" .. string.rep("\0", 50)
local waits = 0
for _ = 1, n // chunk do
  while watch:available() > size // 2 do waits = waits + 1 end
  assert(assert(p:run(pkt, { ["repeat"] = chunk })) == 2)
end
io.write(waits)
]]):format(helpers.build, prog.id, rb.id, n, chunk, rb.max_entries)
  return "lua5.4 -e '" .. code:gsub("'", "'\\''") .. "'"
end

describe("ebpf.ringbuf reader", function()
  it("reads 1,000,000 records while a producer process writes them (order, count, sum)", function()
    local n = 1000000
    local rb, st, prog = setup(4 * 1024 * 1024) -- 1/6 of the 24 MB written
    local r = assert(ebpf.ringbuf.reader(rb)):unpack("<I8I8")
    st[0] = string.rep("\0", 16)
    local child = assert(io.popen(child_cmd(prog, rb, n, 10000)))
    local count, sum, next_seq, ordered = 0, 0, 0, true
    local function fn(seq, val)
      if seq ~= next_seq or val ~= seq + 1 then ordered = false end
      next_seq = seq + 1
      count = count + 1
      sum = sum + val
    end
    while count < n do
      if r:poll(2000, fn) == 0 then break end -- producer stalled or done
    end
    local out = child:read("a")
    assert.is_true(child:close(), out)
    r:consume(fn)
    assert.matches("^%d+$", out)
    local tried, failed = string.unpack("<I8I8", st[0])
    assert.are.equal(n, tried)
    assert.are.equal(0, failed)
    assert.are.equal(n, count)
    assert.are.equal(n * (n + 1) // 2, sum)
    assert.is_true(ordered)
    -- 24 MB went through a 4 MiB ring with no failed output: the reader
    -- consumed while the producer ran (one poll may have drained it all).
    r:close()
  end)

  it("wraps around a small ring many times without losing or mangling records", function()
    local rb, st, prog = setup(4096)
    local r = assert(ebpf.ringbuf.reader(rb))
    local expect, total = 0, 0
    for round = 1, 60 do
      local k = 100 + round % 50 -- 24-byte records: many straddle the ring end
      local tried, failed = P.produce(prog, st, k)
      assert.are.equal(k, tried)
      assert.are.equal(0, failed)
      assert.are.equal(k * 24, r:available())
      if round % 3 == 0 then
        for rec in r:records(0) do
          local seq, val = string.unpack("<I8I8", rec)
          assert.are.equal(expect, seq); assert.are.equal(expect + 1, val)
          expect = expect + 1
        end
      else
        local got = r:consume(function(rec)
          assert.are.equal(16, #rec)
          local seq, val = string.unpack("<I8I8", rec)
          assert.are.equal(expect, seq); assert.are.equal(expect + 1, val)
          expect = expect + 1
        end)
        assert.are.equal(k, got)
      end
      total = total + k
      st[0] = string.pack("<I8I8", 0, 0)
      expect = 0
    end
    assert.are.equal(0, r:available())
    assert.is_true(total * 24 > 4096 * 30)
  end)

  it("commits records handed to a raising callback: no loss, no duplicates", function()
    local rb, st, prog = setup()
    local r = assert(ebpf.ringbuf.reader(rb)):unpack("<I8I8")
    P.produce(prog, st, 1000)
    local seen = {}
    local ok, err = pcall(r.poll, r, 0, function(seq)
      assert(not seen[seq], "duplicate")
      seen[seq] = true
      if seq == 9 then error("boom at " .. seq) end
    end)
    assert.is_false(ok)
    assert.matches("boom at 9", err)
    assert.matches("stack traceback", err)
    -- an error object goes through unchanged
    local obj = setmetatable({}, { __tostring = function() return "obj" end })
    local ok2, err2 = pcall(r.poll, r, 0, function(seq)
      assert(not seen[seq], "duplicate")
      seen[seq] = true
      if seq == 19 then error(obj) end
    end)
    assert.is_false(ok2)
    assert.are.equal(obj, err2)
    local rest = r:consume(function(seq)
      assert(not seen[seq], "duplicate")
      seen[seq] = true
    end)
    assert.are.equal(980, rest)
    for i = 0, 999 do assert.is_true(seen[i], "lost " .. i) end
  end)

  it("stops when the callback returns false, and refuses re-entrant calls", function()
    local rb, st, prog = setup()
    local r = assert(ebpf.ringbuf.reader(rb))
    P.produce(prog, st, 10)
    local got = r:poll(0, function() return false end)
    assert.are.equal(1, got)
    assert.are.equal(9 * 24, r:available())
    assert.has_error(function()
      r:consume(function() r:consume(function() end) end)
    end)
    assert.are.equal(3, r:consume(function() end, 3)) -- max
    assert.are.equal(5, r:consume(function() end))
  end)

  it("drain() hands records over in reused columns, in order, at most 4096 per call", function()
    local rb, st, prog = setup(1 << 20)
    local r = assert(ebpf.ringbuf.reader(rb)):unpack("<I8I8")
    P.produce(prog, st, 10000)
    local calls, total, cols = 0, 0, nil
    local got = r:drain(function(n, seqs, vals, extra)
      assert.is_nil(extra)
      assert.is_true(n >= 1 and n <= 4096)
      if cols then assert.are.equal(cols, seqs) end -- the same table each call
      cols = seqs
      for i = 1, n do
        assert.are.equal(total + i - 1, seqs[i])
        assert.are.equal(total + i, vals[i])
      end
      calls, total = calls + 1, total + n
    end)
    assert.are.equal(10000, got)
    assert.are.equal(10000, total)
    assert.is_true(calls >= 3, "10000 records need 3 calls or more")
    assert.are.equal(0, r:available())
    -- max, and a callback returning false stops after its batch
    P.produce(prog, st, 10)
    assert.are.equal(3, r:drain(function(n) assert.are.equal(3, n) end, 3))
    assert.are.equal(7, r:drain(function() return false end))
    assert.are.equal(0, r:drain(function() error("not called on an empty ring") end))
    assert.has_error(function() r:drain() end)
    assert.has_error(function() r:drain(function() end, "x") end)
  end)

  it("drain() gives strings, decoded values and the map of each record; wraps a small ring", function()
    local rb1, st1, p1 = setup(4096)
    local rb2, st2, p2 = setup()
    local r = assert(ebpf.ringbuf.reader({ rb1, rb2 }))
    local total, wrapped = 0, 0
    for round = 1, 40 do
      local k = 100 + round % 50 -- 24-byte records: many straddle the 4 KiB ring end
      P.produce(p1, st1, k)
      P.produce(p2, st2, 7)
      local expect = { 0, 0 } -- each run of the producers starts at seq 0
      total = total + r:drain(function(n, recs, which)
        for i = 1, n do
          assert.are.equal(16, #recs[i])
          local seq, val = string.unpack("<I8I8", recs[i])
          assert.are.equal(expect[which[i]], seq)
          assert.are.equal(seq + 1, val)
          expect[which[i]] = seq + 1
        end
      end)
      assert.are.same({ k, 7 }, expect)
      wrapped = wrapped + k * 24
    end
    assert.are.equal(total, 40 * 7 + wrapped // 24)
    assert.is_true(wrapped > 20 * 4096)
    -- decode: any object with :decode(bytes)
    r:decode({ decode = function(_, b) local seq, val = string.unpack("<I8I8", b) return { seq = seq, val = val } end })
    P.produce(p2, st2, 5)
    local vals = {}
    assert.are.equal(5, r:drain(function(n, recs, which)
      for i = 1, n do vals[#vals + 1] = recs[i].val; assert.are.equal(2, which[i]) end
    end))
    assert.are.same({ 1, 2, 3, 4, 5 }, vals)
  end)

  it("drain(): a raising callback consumes the batch it was given, the rest stays", function()
    local rb, st, prog = setup(1 << 20)
    local r = assert(ebpf.ringbuf.reader(rb)):unpack("<I8I8")
    P.produce(prog, st, 5000)
    local first
    local ok, err = pcall(r.drain, r, function(n, seqs)
      first = n
      assert.are.equal(0, seqs[1])
      error("boom")
    end)
    assert.is_false(ok)
    assert.matches("boom", err)
    assert.matches("stack traceback", err)
    assert.are.equal((5000 - first) * 24, r:available())
    local next_seq = first
    assert.are.equal(5000 - first, r:drain(function(n, seqs)
      for i = 1, n do assert.are.equal(next_seq, seqs[i]); next_seq = next_seq + 1 end
    end))
    -- re-entry is refused (the batch given is consumed); a record shorter
    -- than the format raises and is consumed
    P.produce(prog, st, 2)
    assert.has_error(function() r:drain(function() r:drain(function() end) end) end)
    assert.are.equal(0, r:available())
    P.produce(prog, st, 1)
    r:unpack("<I8I8I8")
    local ok2, err2 = pcall(r.drain, r, function() end)
    assert.is_false(ok2)
    assert.matches("record of 16 bytes is shorter than the unpack format %(24 bytes%)", err2)
    assert.are.equal(0, r:available())
  end)

  it("read() returns one record or nil on timeout; records() ends on timeout", function()
    local rb, st, prog = setup()
    local r = assert(ebpf.ringbuf.reader(rb))
    assert.is_nil(r:read(0))
    assert.is_nil(r:read(10))
    P.produce(prog, st, 3)
    assert.are.equal(string.pack("<I8I8", 0, 1), r:read(0))
    r:unpack("<I8I8")
    local a, b = r:read(100)
    assert.are.equal(1, a); assert.are.equal(2, b)
    local n = 0
    for seq, val in r:records(10) do
      assert.are.equal(2, seq); assert.are.equal(3, val)
      n = n + 1
    end
    assert.are.equal(1, n)
    assert.is_true(r:fd() > 2)
  end)

  it("records() hands records over once, in order, when mixed with read/consume and breaks", function()
    local rb, st, prog = setup()
    local r = assert(ebpf.ringbuf.reader(rb)):unpack("<I8I8")
    P.produce(prog, st, 200)
    local seen = {}
    local function see(seq, val)
      assert.is_nil(seen[seq], "duplicate " .. tostring(seq))
      assert.are.equal(seq + 1, val)
      seen[seq] = true
    end
    local k = 0
    for seq, val in r:records(0) do
      see(seq, val)
      k = k + 1
      if k == 10 then break end -- mid-batch
    end
    assert.are.equal(190 * 24, r:available())
    see(r:read(0)) -- seq 10
    for seq, val in r:records(0) do
      see(seq, val)
      if seq == 20 then assert.are.equal(4, r:consume(function(...) see(...) end, 4)) end
      if seq == 40 then break end
    end
    -- a decode that raises: that record is consumed, the loop goes on after it
    r:decode({ decode = function(_, b)
      local seq = string.unpack("<I8", b)
      if seq == 50 then error("bad record") end
      return seq
    end })
    local ok = pcall(function() for seq in r:records(0) do see(seq, seq + 1) end end)
    assert.is_false(ok)
    seen[50] = true
    r:unpack("<I8I8")
    for seq, val in r:records(0) do see(seq, val) end
    for i = 0, 199 do assert.is_true(seen[i], "lost " .. i) end
    assert.are.equal(0, r:available())
  end)

  it("reads several maps through one epoll set, telling which map each record came from", function()
    local rb1, st1, p1 = setup()
    local rb2, st2, p2 = setup()
    local r = assert(ebpf.ringbuf.reader({ rb1, rb2 }, { unpack = "<I8I8" }))
    P.produce(p1, st1, 70)
    P.produce(p2, st2, 30)
    local per, sums = { 0, 0 }, { 0, 0 }
    assert.are.equal(100, r:poll(100, function(_, val, which)
      per[which] = per[which] + 1
      sums[which] = sums[which] + val
    end))
    assert.are.same({ 70, 30 }, per)
    assert.are.same({ 70 * 71 // 2, 30 * 31 // 2 }, sums)
    -- waiting: a record on the second map wakes the reader
    P.produce(p2, st2, 1)
    assert.are.equal(1, r:poll(1000, function(_, _, which) assert.are.equal(2, which) end))
    assert.are.equal(2, #r:maps())
    assert.has_error(function() ebpf.ringbuf.reader({ rb1, st1 }) end)
    assert.has_error(function() ebpf.ringbuf.reader({}) end)
    assert.has_error(function() ebpf.ringbuf.reader(rb1, { unpak = "<I8" }) end, "invalid field name 'unpak'")
  end)

  it("unpacks string.pack formats like string.unpack, without strings", function()
    local rb, st, prog = setup()
    local r = assert(ebpf.ringbuf.reader(rb))
    local formats = { "<I8I8", "<i8", ">I8I8", "<I4I4I8", "<bBhHiI", "<i3I5", "<I2xxI4", "!<BI8", "!4<BI8",
      "<jJ", "<lL", "<T", "<fd", "<c3I1", "=I8", " < I8 I8 ", ">i2" }
    for i, fmt in ipairs(formats) do
      P.produce(prog, st, 1)
      local seq = 0x0102030405060708 * i
      st[0] = string.pack("<I8I8", seq, 0) -- next record: {seq, seq + 1}
      assert.are.equal(2, prog:run(P.packet)) -- the record checked below
      r:raw()
      local raw = r:read(0) -- the first record of this round, as bytes
      assert.are.equal(16, #raw)
      r:unpack(fmt)
      local got = table.pack(r:read(0))
      local want = table.pack(string.unpack(fmt, string.pack("<I8I8", seq, seq + 1)))
      want.n = want.n - 1 -- drop string.unpack's next position
      assert.are.equal(want.n, got.n, fmt)
      for k = 1, want.n do
        if want[k] ~= want[k] then
          assert.is_true(got[k] ~= got[k], fmt) -- NaN
        else
          assert.are.equal(want[k], got[k], fmt .. " value " .. k)
        end
      end
      st[0] = string.pack("<I8I8", 0, 0)
    end
    for _, bad in ipairs { "s4", "z", "i16", "X", "I0", "", "c", "!3<I4" } do
      assert.has_error(function() r:unpack(bad) end)
    end
    r:unpack("<I8I8I8")
    P.produce(prog, st, 1)
    assert.has_error(function() r:read(0) end, nil) -- record shorter than the format
  end)

  it("decodes records with any object that has :decode(bytes)", function()
    local rb, st, prog = setup()
    local codec = { decode = function(self, bytes)
      assert(self.tag == "codec")
      local seq, val = string.unpack("<I8I8", bytes)
      return { seq = seq, val = val }
    end, tag = "codec" }
    local r = assert(ebpf.ringbuf.reader(rb, { decode = codec }))
    P.produce(prog, st, 5)
    local got = {}
    r:poll(0, function(ev) got[#got + 1] = ev end)
    assert.are.equal(5, #got)
    assert.are.same({ seq = 4, val = 5 }, got[5])
    assert.has_error(function() r:decode({}) end)
    assert.has_error(function() r:decode("struct event") end) -- names need BTF from an object
    assert.matches("decode", tostring(r))
  end)

  it("decodes BTF types with a decoder compiled once, giving what type:decode gives", function()
    local rb, st, prog = setup()
    local r = assert(ebpf.ringbuf.reader(rb))
    local b = ebpf.btf.new()
    local u8, s8 = b:add_int("unsigned char", 1), b:add_int("signed char", 1, "signed")
    local s16, u16 = b:add_int("short", 2, "signed"), b:add_int("unsigned short", 2)
    local s32 = b:add_int("int", 4, "signed")
    local bool = b:add_int("_Bool", 1, "bool")
    local chars = b:add_array(b:add_int("char", 1, "char"), 3)
    local e = b:add_enum("e", 2, { { name = "A", value = 1 } }, true)
    local f32 = b:add_float("float", 4)
    -- 16 bytes {u64 seq, u64 val}, read through many member kinds
    local t = b:add_struct("rec", 16, {
      { name = "a", type = u8, offset = 0 }, { name = "b", type = s8, offset = 1 },
      { name = "c", type = s16, offset = 2 }, { name = "d", type = s32, offset = 4 },
      { name = "f", type = f32, offset = 8 }, { name = "g", type = u16, offset = 12 },
      { name = "h", type = bool, offset = 13 }, { name = "s", type = chars, offset = 13 },
      { name = "en", type = e, offset = 14 },
    })
    local u64 = b:add_int("unsigned long long", 8)
    local plain = b:add_struct("plain", 16, { { name = "seq", type = u64, offset = 0 }, { name = "val", type = u64, offset = 8 } })
    -- a bitfield needs the general decoder: same values, no compiled plan
    local bits = b:add_struct("bits", 16, { { name = "lo", type = u64, offset = 0, bitfield_size = 4 },
      { name = "val", type = u64, offset = 8 } })
    -- producer runs from a start seq whose bytes have their sign bits set
    local function produce(k)
      st[0] = string.pack("<I8I8", 0x80FF7F818000FF00, 0)
      assert.are.equal(2, prog:run(P.packet, { ["repeat"] = k }))
    end
    produce(40)
    local raw = {}
    r:drain(function(n, recs) for i = 1, n do raw[#raw + 1] = recs[i] end end)
    assert.are.equal(40, #raw)
    for _, ty in ipairs { t, plain, bits } do
      r:decode(ty)
      assert.matches(ty == bits and "decode, %d+ bytes pending" or "decode, compiled", tostring(r))
      produce(40)
      local got = {}
      assert.are.equal(40, r:consume(function(v) got[#got + 1] = v end))
      for i = 1, 40 do assert.are.same(ty:decode(raw[i]), got[i]) end
      produce(2)
      local v = r:read(0)
      assert.are.same(ty:decode(raw[1]), v)
      for w in r:records(0) do assert.are.same(ty:decode(raw[2]), w) end
    end
    -- spot values against string.unpack (the oracle of the BTF decoder)
    r:decode(t)
    produce(1)
    local v = r:read(0)
    local a, bb, c, d = string.unpack("<Bbi2i4", raw[1])
    assert.are.same({ a, bb, c, d }, { v.a, v.b, v.c, v.d })
    assert.is_true(bb < 0 and c < 0, "sign bits set: " .. bb .. " " .. c)
    assert.are.equal(string.unpack("<f", raw[1], 9), v.f)
    assert.are.equal(string.unpack("<I2", raw[1], 13), v.g)
    assert.are.equal(raw[1]:byte(14) ~= 0, v.h)
    assert.are.equal(string.unpack("<i2", raw[1], 15), v.en)
    assert.are.equal((string.unpack("z", raw[1]:sub(14, 16) .. "\0")), v.s)
    -- a record shorter than the type raises (and is consumed)
    local big = b:add_struct("big", 24, { { name = "x", type = u64, offset = 16 } })
    r:decode(big)
    produce(1)
    local ok, err = pcall(r.consume, r, function() end)
    assert.is_false(ok)
    assert.matches("needs 24 bytes, got 16", err)
    assert.are.equal(0, r:available())
    r:raw()
    assert.matches("strings", tostring(r))
  end)

  it("can be closed while records are pending; they stay for the next reader", function()
    local rb, st, prog = setup()
    local r = assert(ebpf.ringbuf.reader(rb))
    P.produce(prog, st, 50)
    r:close()
    assert.matches("closed", tostring(r))
    assert.has_error(function() r:poll(0, print) end, "attempt to use a closed ringbuf reader")
    assert.has_error(function() r:close() end)
    local r2 <close> = assert(ebpf.ringbuf.reader(rb))
    assert.are.equal(50, r2:consume(function() end))
  end)

  it("can be closed from its own callback", function()
    local rb, st, prog = setup()
    local r = assert(ebpf.ringbuf.reader(rb))
    P.produce(prog, st, 50)
    local n = r:consume(function() r:close() end)
    assert.are.equal(1, n)
    assert.matches("closed", tostring(r))
    local r2 <close> = assert(ebpf.ringbuf.reader(rb))
    assert.are.equal(49, r2:consume(function() end))
  end)

  it("keeps working, and is collected cleanly, after its map was closed", function()
    local rb, st, prog = setup()
    local r = assert(ebpf.ringbuf.reader(rb))
    rb:close() -- the program and the mapping still hold the kernel map
    P.produce(prog, st, 7)
    assert.are.equal(7, r:consume(function() end))
    r = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    local rb2 = setup()
    ebpf.ringbuf.reader(rb2)
    rb2:close()
    collectgarbage()
  end)

  it("says what it is", function()
    local rb = setup()
    local r = assert(ebpf.ringbuf.reader(rb))
    assert.matches("^ebpf.ringbuf reader %(map 'events', 262144 bytes, strings, 0 bytes pending, epoll fd %d+%)$",
      tostring(r))
    assert.has_error(function() ebpf.ringbuf.reader(state_map()) end)
    assert.has_error(function() ebpf.ringbuf.reader("x") end)
  end)
end)

describe("ebpf.ringbuf writer (user ring buffer)", function()
  local function urb(size)
    return assert(ebpf.map { type = "user_ringbuf", name = "urb", max_entries = size or 4096 })
  end

  it("writes, reserves, submits and discards, accounting space as the kernel does", function()
    local m = urb()
    local w = assert(ebpf.ringbuf.writer(m))
    assert.are.equal(4096, w:size())
    assert.are.equal(4096, w:free_space())
    assert.is_true(w:write(string.pack("<I8", 1)))
    assert.are.equal(4096 - 16, w:free_space())
    local s = assert(w:reserve(20))
    assert.are.equal(20, s:size())
    assert.are.equal(4096 - 16 - 32, w:free_space())
    s:write("abcd", 16)
    assert.has_error(function() s:write("abcde", 16) end)
    s:submit()
    assert.has_error(function() s:submit() end)
    local d = assert(w:reserve(8))
    w:discard(d)
    assert.matches("writer %(4096 bytes", tostring(w))
    -- the kernel has not drained anything: the ring fills up
    local n = 0
    while true do
      local ok, err, errno = w:write(string.rep("x", 100))
      if not ok then
        assert.are.equal("ENOSPC", err.code)
        assert.is_number(errno)
        break
      end
      n = n + 1
    end
    assert.are.equal((4096 - 16 - 32 - 16) // 112, n)
    local ok, err = w:write("x", 5) -- waits 5 ms for space, then gives up
    assert.is_nil(ok)
    assert.is_truthy(err)
    local none, e2big = w:reserve(4096) -- can never fit
    assert.is_nil(none)
    assert.are.equal("E2BIG", e2big.code)
  end)

  it("closes with reserved samples and is collected", function()
    local m = urb()
    local w = assert(ebpf.ringbuf.writer(m))
    local s = assert(w:reserve(8))
    w:close()
    assert.matches("closed", tostring(w))
    assert.has_error(function() s:write("x") end)
    assert.has_error(function() ebpf.ringbuf.writer(state_map()) end)
  end)
end)

describe("readers with a clang-compiled object (testdata/readers/events.bpf.c)", function()
  local function load()
    return assert(ebpf.elf.load(helpers.testdata("readers/events.bpf.o")))
  end

  it("decode('struct event') finds the type in the object's BTF: bitfields, nested arrays", function()
    local coll = load()
    local r = assert(ebpf.ringbuf.reader(coll.maps.events))
    local emit = coll.programs.emit
    for i, delta in ipairs { -7, 300, -32768, 32767 } do
      assert.are.equal(0, emit:run(nil, { ctx = string.pack("<I8i8", i, delta) }))
    end
    -- the oracle: the raw bytes, picked apart with string.unpack
    local raws = {}
    r:consume(function(b) raws[#raws + 1] = b end)
    assert.are.equal(4, #raws)
    for i, delta in ipairs { -7, 300, -32768, 32767 } do
      assert.are.equal(0, emit:run(nil, { ctx = string.pack("<I8i8", i, delta) }))
    end
    r:decode("struct event")
    local evs = {}
    assert.are.equal(4, r:consume(function(ev) evs[#evs + 1] = ev end))
    for i, raw in ipairs(raws) do
      assert.are.equal(56, #raw)
      local ev = evs[i]
      local pid, word, comm = string.unpack("<I4I4c16", raw)
      assert.are.equal(pid, ev.pid)
      assert.are.equal(word & 0xf, ev.kind)
      assert.are.equal((word >> 4) & 0xfff, ev.flags)
      local delta = (word >> 16) & 0xffff
      if delta >= 0x8000 then delta = delta - 0x10000 end
      assert.are.equal(delta, ev.delta)
      assert.are.equal(comm:gsub("%z+$", ""), ev.comm)
      local g = { string.unpack("<I2I2I2I2I2I2", raw, 25) }
      assert.are.same({ { g[1], g[2], g[3] }, { g[4], g[5], g[6] } }, ev.grid)
      local a1, b1, a2, b2 = string.unpack("<Bc2Bc2", raw, 37)
      assert.are.same({ { a = a1, b = b1 }, { a = a2, b = b2 } }, ev.inner)
      assert.are.equal(string.unpack("<I8", raw, 49), ev.seq)
    end
    -- and the values the program wrote
    assert.are.same({ 4321, 5, 0xabc, -7, "hello-readers", 1 },
      { evs[1].pid, evs[1].kind, evs[1].flags, evs[1].delta, evs[1].comm, evs[1].seq })
    assert.are.same({ { 0, 1, 2 }, { 10, 11, 12 } }, evs[1].grid)
    assert.are.same({ { a = 1, b = "\2\3" }, { a = 4, b = "\5\6" } }, evs[1].inner)
    assert.are.same({ 300, -32768, 32767 }, { evs[2].delta, evs[3].delta, evs[4].delta })
    assert.has_error(function() r:decode("struct no_such_event") end)
    coll:close()
  end)

  it("a user ring buffer written from Lua is drained by bpf_user_ringbuf_drain", function()
    local coll = load()
    local w = assert(ebpf.ringbuf.writer(coll.maps.commands))
    local drain = coll.programs.drain
    local want = 0
    for i = 1, 100 do
      assert.is_true(w:write(string.pack("<I8", i * 3)))
      want = want + i * 3
    end
    local s = assert(w:reserve(8))
    s:write(string.pack("<I8", 1000000)):discard() -- skipped by the kernel
    assert.are.equal(100, drain:run(nil, { ctx = string.pack("<I8", 0) }))
    assert.are.equal(want, coll.vars.drained_sum)
    assert.are.equal(100, coll.vars.drained_count)
    assert.are.equal(4096, w:free_space())
    -- a reserved sample holds back the ones after it until submitted
    local held = assert(w:reserve(8))
    assert.is_true(w:write(string.pack("<I8", 5)))
    assert.are.equal(0, drain:run(nil, { ctx = string.pack("<I8", 0) }))
    held:write(string.pack("<I8", 7)):submit()
    assert.are.equal(2, drain:run(nil, { ctx = string.pack("<I8", 0) }))
    assert.are.equal(want + 12, coll.vars.drained_sum)
    -- a sample collected without submit/discard is discarded, not left blocking
    do local _ = assert(w:reserve(8)) end
    collectgarbage()
    assert.is_true(w:write(string.pack("<I8", 1)))
    assert.are.equal(1, drain:run(nil, { ctx = string.pack("<I8", 0) }))
    assert.are.equal(103, coll.vars.drained_count)
    w:close()
    coll:close()
  end)
end)
