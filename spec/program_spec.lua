-- ebpf.program: loading from bytes, verifier logs, test runs, pinning,
-- info (checked against bpftool) and bad input.
local helpers = require "spec.helpers"
local ebpf = require "ebpf"

local insns = helpers.insns
local EXIT = { 0x95 }
local function mov(dst, imm) return { 0xb7, dst, 0, 0, imm } end

describe("ebpf.program", function()
  it("loads a socket filter from bytes and test-runs it", function()
    local p <close> = assert(ebpf.program { type = "socket_filter", name = "ret7", insns = helpers.return_imm(7) })
    assert.equal("ebpf.program 'ret7' (socket_filter, 2 insns, fd " .. p:fd() .. ")", tostring(p))
    local retval, duration = p:run(string.rep("\0", 64))
    assert.equal(7, retval)
    assert.is_true(duration >= 0)
    assert.equal("ret7", p.name)
    assert.equal("socket_filter", p.type)
  end)

  it("returns data_out and honours repeat for XDP", function()
    -- XDP_PASS = 2; the packet comes back unchanged
    local p <close> = assert(ebpf.program { type = "xdp", insns = helpers.return_imm(2) })
    local pkt = string.rep("\1\2\3\4", 16)
    local retval, _, out = p:run(pkt, { repeat_count = 10, data_out = true })
    assert.equal(2, retval)
    assert.equal(pkt, out.data)
  end)

  it("counts runs through a map the program updates", function()
    local m <close> = assert(ebpf.map { type = "array", key_size = 4, value_size = 8, max_entries = 1 })
    local code = insns {
      { 0x62, 10, 0, -4, 0 },          -- *(u32 *)(r10 - 4) = 0
      { 0xbf, 2, 10 },                 -- r2 = r10
      { 0x07, 2, 0, 0, -4 },           -- r2 += -4
      { 0x18, 1, 1, 0, m:fd() }, { 0 },-- r1 = map ll
      { 0x85, 0, 0, 0, 1 },            -- call map_lookup_elem
      { 0x15, 0, 0, 2, 0 },            -- if r0 == 0 goto +2
      mov(1, 1),
      { 0xdb, 0, 1, 0, 0 },            -- lock *(u64 *)(r0 + 0) += r1
      mov(0, 0), EXIT,
    }
    local p <close> = assert(ebpf.program { type = "socket_filter", insns = code })
    for _ = 1, 3 do p:run(string.rep("\0", 32)) end
    p:run(string.rep("\0", 32), { repeat_count = 5 })
    assert.equal(8, m[0])
    local info = p:info()
    assert.same({ m.id }, info.map_ids)
  end)

  it("reports verifier rejections with the full log", function()
    local p, err, errno = ebpf.program { type = "socket_filter", name = "noret", insns = insns { EXIT } }
    assert.is_nil(p)
    assert.equal("EACCES", err.code)
    assert.equal(13, errno)
    assert.equal("load", err.op)
    assert.truthy(err.log:find("R0 !read_ok", 1, true))
    local s = tostring(err)
    assert.truthy(s:find("program 'noret': load: Permission denied (EACCES)", 1, true), s)
    assert.truthy(s:find("R0 !read_ok", 1, true), s)
    assert.truthy(("x" .. err):find("R0 !read_ok", 1, true))
    assert.is_true(ebpf.error.is(err))
  end)

  it("grows the log buffer until the whole verifier log fits", function()
    -- 6000 instructions, then an exit without r0: each one is logged.
    local list = {}
    for i = 1, 6000 do list[i] = mov(1, i) end
    list[#list + 1] = EXIT
    local p, err = ebpf.program { type = "socket_filter", name = "longlog", insns = insns(list) }
    assert.is_nil(p)
    assert.is_true(#err.log > 64 * 1024, "log of " .. #err.log .. " bytes")
    assert.truthy(err.log:find("\n5999: (b7) r1 = 6000", 1, true))
    assert.truthy(err.log:find("R0 !read_ok", 1, true))
    -- the summary shows only the last lines
    assert.is_true(#tostring(err) < 2000)
  end)

  it("keeps the log of a successful load when log_level is set", function()
    local p <close> = assert(ebpf.program { type = "socket_filter", insns = helpers.return_imm(0), log_level = 1 })
    assert.truthy(p:log():find("processed 2 insns", 1, true))
    local q <close> = assert(ebpf.program { type = "socket_filter", insns = helpers.return_imm(0) })
    assert.is_nil(q:log())
  end)

  it("agrees with bpftool on id, tag, type, name and translated size", function()
    local p <close> = assert(ebpf.program { type = "xdp", name = "xdp_pass", insns = helpers.return_imm(2) })
    local info = p:info()
    local bt = helpers.bpftool_json("prog show id " .. info.id)
    assert.equal(info.id, bt.id)
    assert.equal("xdp", bt.type)
    assert.equal("xdp", info.type)
    assert.equal("xdp_pass", bt.name)
    assert.equal(info.tag, bt.tag)
    assert.equal(info.xlated_size, bt.bytes_xlated)
    assert.equal(info.xlated_size, #info.xlated)
    assert.equal(helpers.return_imm(2), info.xlated)
    assert.is_true(info.gpl_compatible)
  end)

  it("counts runs and run time while stats are enabled", function()
    local p <close> = assert(ebpf.program { type = "socket_filter", insns = helpers.return_imm(0) })
    local stats = assert(ebpf.enable_stats())
    assert.truthy(tostring(stats):find("ebpf.stats (run time stats on, fd", 1, true))
    p:run(string.rep("\0", 16), { repeat_count = 20 })
    local info = p:info()
    assert.equal(20, info.run_cnt)
    assert.is_true(info.run_time_ns > 0)
    stats:close()
    assert.has_error(function() stats:close() end, "attempt to use a closed stats handle")
    p:run(string.rep("\0", 16), { repeat_count = 20 })
    assert.equal(20, p:info().run_cnt) -- no longer counted
  end)

  it("pins, opens pinned, by id and by fd, and clones", function()
    local dir = helpers.bpffs_dir("prog")
    local p <close> = assert(ebpf.program { type = "socket_filter", name = "pinned", insns = helpers.return_imm(3) })
    assert.is_true(p:pin(dir .. "/p"))
    local q <close> = assert(ebpf.program.open_pinned(dir .. "/p"))
    assert.equal(p.id, q.id)
    assert.equal(3, (q:run(string.rep("\0", 16))))
    local r <close> = assert(ebpf.program.from_id(p.id))
    assert.equal("pinned", r.name)
    local s <close> = assert(ebpf.program.from_fd(p:fd()))
    assert.equal(p.id, s.id)
    local c <close> = p:clone()
    assert.equal(p.id, c.id)
    assert.is_true(p:unpin(dir .. "/p"))
    assert.is_true(ebpf.unpin(dir) ~= nil or true)
    os.remove(dir)
    local found = false
    for id in ebpf.program.ids() do if id == p.id then found = true end end
    assert.is_true(found)
  end)

  describe("bad input", function()
    it("raises for bytes that are not whole instructions", function()
      assert.has_error(function() ebpf.program { type = "xdp", insns = "1234567" } end,
        "instruction bytes must be a multiple of 8, got 7")
      assert.has_error(function() ebpf.program { type = "xdp", insns = "" } end, "program has no instructions")
      assert.has_error(function() ebpf.program { type = "xdp", insns = 42 } end)
      assert.has_error(function() ebpf.program { type = "xdp" } end, "field 'insns' is required")
    end)

    it("raises for unknown types and options", function()
      assert.has_error(function() ebpf.program { type = "xdpp", insns = helpers.return_imm(0) } end,
        "unknown program type 'xdpp'")
      assert.has_error(function() ebpf.program { type = "xdp", insns = helpers.return_imm(0), licence = "GPL" } end,
        "invalid field name 'licence'")
      assert.has_error(function()
        ebpf.program { type = "xdp", insns = helpers.return_imm(0), expected_attach_type = "nope" }
      end, "unknown attach type 'nope'")
      assert.has_error(function() ebpf.program { type = "xdp", insns = helpers.return_imm(0), flags = "fast" } end,
        "field 'flags': unknown flag 'fast'")
      local p <close> = assert(ebpf.program { type = "xdp", insns = helpers.return_imm(0) })
      assert.has_error(function() p:run("x", { repeats = 1 }) end, "invalid field name 'repeats'")
    end)

    it("returns kernel refusals: GPL-only helpers, invalid flags, garbage code", function()
      -- bpf_ktime_get_ns is fine for any license, bpf_trace_printk is GPL-only
      local code = insns { { 0xb7, 1, 0, 0, 0 }, { 0xb7, 2, 0, 0, 0 }, { 0x85, 0, 0, 0, 6 }, mov(0, 0), EXIT }
      local p, err = ebpf.program { type = "socket_filter", insns = code, license = "Proprietary" }
      assert.is_nil(p)
      assert.truthy(err.log:find("GPL", 1, true), err.log)
      p, err = ebpf.program { type = "socket_filter", insns = helpers.return_imm(0), flags = "sleepable" }
      assert.is_nil(p)
      assert.equal("EINVAL", err.code)
      p, err = ebpf.program { type = "socket_filter", insns = string.rep("\255", 16) }
      assert.is_nil(p)
      assert.equal("EINVAL", err.code)
      assert.truthy(#err.log > 0)
    end)

    it("returns an error for a test run the program type does not support", function()
      local p <close> = assert(ebpf.program { type = "kprobe", name = "kp", insns = helpers.return_imm(0) })
      local ok, err = p:run(string.rep("\0", 16))
      assert.is_nil(ok)
      assert.equal("run", err.op)
      assert.truthy(tostring(err):find("program 'kp': test run:", 1, true), tostring(err))
    end)

    it("raises on use after close and on a second close", function()
      local p = assert(ebpf.program { type = "xdp", insns = helpers.return_imm(0) })
      p:close()
      assert.equal("ebpf.program (closed)", tostring(p))
      assert.has_error(function() p:run("") end, "attempt to use a closed program")
      assert.has_error(function() p:close() end, "attempt to use a closed program")
    end)
  end)
end)
