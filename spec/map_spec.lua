-- ebpf.map: creation of every common type, element operations, Lua idioms,
-- batches, per-CPU values, queue/stack/bloom, map-in-map, prog arrays,
-- pinning and info, checked against the kernel (and bpftool).
local helpers = require "spec.helpers"
local ebpf = require "ebpf"

local function hash(opts)
  local o = { type = "hash", key_size = 4, value_size = 8, max_entries = 64 }
  for k, v in pairs(opts or {}) do o[k] = v end
  return assert(ebpf.map(o))
end

describe("ebpf.map", function()
  it("creates every common map type by name", function()
    local ncpu = ebpf.possible_cpus()
    local cases = {
      { type = "hash", key_size = 4, value_size = 8, max_entries = 8 },
      { type = "array", key_size = 4, value_size = 8, max_entries = 8 },
      { type = "percpu_hash", key_size = 4, value_size = 8, max_entries = 8 },
      { type = "percpu_array", key_size = 4, value_size = 8, max_entries = 8 },
      { type = "lru_hash", key_size = 4, value_size = 8, max_entries = 8 },
      { type = "lru_percpu_hash", key_size = 4, value_size = 8, max_entries = 8 },
      { type = "lpm_trie", key_size = 8, value_size = 8, max_entries = 8, flags = "no_prealloc" },
      { type = "queue", value_size = 8, max_entries = 8 },
      { type = "stack", value_size = 8, max_entries = 8 },
      { type = "bloom_filter", value_size = 8, max_entries = 8, map_extra = 3 },
      { type = "ringbuf", max_entries = 4096 * 4 },
      { type = "user_ringbuf", max_entries = 4096 * 4 },
      { type = "perf_event_array" },
      { type = "prog_array", max_entries = 4 },
      { type = "sockmap", max_entries = 4 },
      { type = "sockhash", max_entries = 4 },
      { type = "devmap", max_entries = 4 },
      { type = "stack_trace", key_size = 4, value_size = 8 * 127, max_entries = 4 },
    }
    for _, c in ipairs(cases) do
      local m <close> = assert(ebpf.map(c))
      local info = m:info()
      assert.equal(c.type, info.type)
      assert.equal(c.type, m.type)
      assert.truthy(tostring(m):find("(" .. c.type .. ",", 1, true), tostring(m))
      if c.type == "perf_event_array" then
        assert.equal(ncpu, info.max_entries) -- defaults to the CPU count
      else
        assert.equal(c.max_entries, info.max_entries)
      end
      -- bpftool (libbpf) sees the same map
      local bt = helpers.bpftool_json("map show id " .. info.id)
      assert.equal(info.id, bt.id)
      assert.equal(c.type, bt.type)
    end
  end)

  it("creates array_of_maps and hash_of_maps with an inner map template", function()
    local inner <close> = hash()
    for _, t in ipairs { "array_of_maps", "hash_of_maps" } do
      local outer <close> = assert(ebpf.map { type = t, key_size = 4, max_entries = 4, inner_map = inner })
      assert.equal(t, outer:info().type)
    end
  end)

  it("reads back what it writes, with m[k], m[k] = v and m[k] = nil", function()
    local m <close> = hash { name = "counts" }
    assert.is_nil(m[1])
    m[1] = 42
    m[2] = -1
    assert.equal(42, m[1])
    assert.equal(-1, m[2]) -- 8-byte values are Lua integers (two's complement)
    m[1] = m[1] + 1
    assert.equal(43, m:lookup(1))
    m[1] = nil
    assert.is_nil(m[1])
    -- strings of the exact size are keys/values too
    m[string.pack("<I4", 7)] = string.pack("<I8", 99)
    assert.equal(99, m[7])
    assert.equal(string.pack("<I8", 99), m:lookup_bytes(7))
    assert.equal("counts", m.name)
    assert.equal("ebpf.map 'counts' (hash, 4->8, 64 entries, fd " .. m:fd() .. ")", tostring(m))
  end)

  -- m[k] on integer keys and values takes a short way in C; the oracle is
  -- the bytes the kernel holds (lookup_bytes) and the general methods.
  it("gives integer elements of every size the same bytes, results and errors as the methods", function()
    for _, sz in ipairs { { 1, 2 }, { 2, 4 }, { 4, 1 }, { 8, 8 }, { 2, 8 } } do
      local ks, vs = sz[1], sz[2]
      local m <close> = assert(ebpf.map { type = "hash", key_size = ks, value_size = vs, max_entries = 8 })
      local kmax, vmax = ks == 8 and math.maxinteger or (1 << (8 * ks)) - 1, vs == 8 and -1 or (1 << (8 * vs)) - 1
      m[kmax] = vmax
      m[0] = 0
      m[1] = -1 -- negative: two's complement in vs bytes
      local kfmt, vfmt = "<i" .. ks, "<I" .. vs
      assert.equal(string.pack("<I" .. vs, vmax & ((vs == 8) and -1 or ((1 << (8 * vs)) - 1))), m:lookup_bytes(kmax))
      assert.equal(m:lookup(kmax), m[kmax])
      assert.equal(vs == 8 and -1 or (1 << (8 * vs)) - 1, m[1])
      assert.equal(string.pack(vfmt, vs == 8 and 0 or 0), m:lookup_bytes(string.pack(kfmt, 0)))
      m[2.0] = 3 -- an integral float key takes the general way, same element
      assert.equal(3, m[2])
      assert.is_nil(m[3])
      m[3] = nil -- deleting a missing key is not an error
      m[kmax] = nil
      assert.is_nil(m:lookup(kmax))
      if ks < 8 then
        assert.has_error(function() m[1 << (8 * ks)] = 1 end,
          ("map '(unnamed)': key %d does not fit in %d bytes"):format(1 << (8 * ks), ks))
        assert.has_error(function() return m[1 << (8 * ks)] end,
          ("map '(unnamed)': key %d does not fit in %d bytes"):format(1 << (8 * ks), ks))
      end
      if vs < 8 then
        assert.has_error(function() m[0] = 1 << (8 * vs) end,
          ("map '(unnamed)': value %d does not fit in %d bytes"):format(1 << (8 * vs), vs))
      end
      assert.has_error(function() m[0] = 1.5 end, "map '(unnamed)': value must be an integer, got a float")
    end
    -- a full map: the kernel's error is raised, as by the general way
    local a <close> = assert(ebpf.map { type = "array", key_size = 4, value_size = 4, max_entries = 2 })
    local ok, err = pcall(function() a[5] = 1 end)
    assert.is_false(ok)
    assert.matches("update", tostring(err))
  end)

  it("supports update flags, lookup_and_delete, next_key and keys()", function()
    local m <close> = hash()
    assert.is_true(m:update(1, 10, "noexist"))
    local ok, err, errno = m:update(1, 11, "noexist")
    assert.is_nil(ok)
    assert.equal("EEXIST", err.code)
    assert.equal(17, errno)
    ok, err = m:update(2, 20, "exist")
    assert.is_nil(ok)
    assert.equal("ENOENT", err.code)
    assert.is_true(m:update(1, 12, "exist"))
    assert.equal(12, m[1])
    m[2] = 20
    m[3] = 30
    local seen = {}
    for k in m:keys() do seen[#seen + 1] = k end
    table.sort(seen)
    assert.same({ 1, 2, 3 }, seen)
    local first = m:next_key()
    assert.truthy(first == 1 or first == 2 or first == 3)
    assert.equal(30, m:lookup_and_delete(3))
    assert.is_nil(m[3])
    assert.is_nil(m:lookup_and_delete(3))
    assert.is_true(m:delete(2))
    assert.is_false(m:delete(2))
  end)

  it("iterates with pairs() (batched) over every entry exactly once", function()
    local m <close> = hash { max_entries = 5000 }
    for k = 0, 4999 do m[k] = k * 3 end
    local count, seen = 0, {}
    for k, v in pairs(m) do
      assert.equal(k * 3, v)
      assert.is_nil(seen[k])
      seen[k] = true
      count = count + 1
    end
    assert.equal(5000, count)
    -- arrays iterate every index
    local a <close> = assert(ebpf.map { type = "array", key_size = 4, value_size = 4, max_entries = 100 })
    a[5] = 7
    local n, sum = 0, 0
    for _, v in pairs(a) do n = n + 1; sum = sum + v end
    assert.equal(100, n)
    assert.equal(7, sum)
  end)

  it("iterates maps without batch support (lpm_trie) via next_key", function()
    local m <close> = assert(ebpf.map { type = "lpm_trie", key_size = 8, value_size = 8,
      max_entries = 16, flags = { "no_prealloc" } })
    local function key(prefix, a, b, c, d) return string.pack("<I4BBBB", prefix, a, b, c, d) end
    m[key(8, 10, 0, 0, 0)] = 1
    m[key(16, 10, 1, 0, 0)] = 2
    m[key(24, 192, 168, 1, 0)] = 3
    local sum, n = 0, 0
    for k, v in pairs(m) do
      assert.equal(8, #k)
      sum = sum + v
      n = n + 1
    end
    assert.equal(3, n)
    assert.equal(6, sum)
    -- longest-prefix match from user space
    assert.equal(2, m[key(32, 10, 1, 2, 3)])
    assert.equal(1, m[key(32, 10, 9, 9, 9)])
    assert.is_nil(m[key(32, 11, 0, 0, 0)])
  end)

  it("reads and writes per-CPU values as one entry per possible CPU", function()
    local ncpu = ebpf.possible_cpus()
    local m <close> = assert(ebpf.map { type = "percpu_array", key_size = 4, value_size = 4, max_entries = 2 })
    assert.equal(ncpu, m.ncpu)
    local v = m[0]
    assert.equal(ncpu, #v)
    for i = 1, ncpu do assert.equal(0, v[i]) end
    local vals = {}
    for i = 1, ncpu do vals[i] = i * 10 end
    m[1] = vals
    assert.same(vals, m[1])
    m[0] = 5 -- a single value goes to every CPU
    local all = m[0]
    for i = 1, ncpu do assert.equal(5, all[i]) end
    assert.has_error(function() m[1] = { 1 } end,
      ("map '(unnamed)': per-CPU value needs %d entries (one per possible CPU), got 1"):format(ncpu))
    local h <close> = assert(ebpf.map { type = "percpu_hash", key_size = 4, value_size = 8, max_entries = 4 })
    h[9] = vals
    for k, pv in pairs(h) do
      assert.equal(9, k)
      assert.same(vals, pv)
    end
  end)

  it("does batch lookup, update, delete and lookup_and_delete", function()
    local m <close> = hash { max_entries = 3000 }
    local keys, vals = {}, {}
    for i = 1, 2500 do keys[i] = i; vals[i] = i * i end
    assert.equal(2500, m:update_batch(keys, vals))
    local ks, vs, n = m:lookup_batch { count = 100 }
    assert.equal(2500, n)
    assert.equal(2500, #ks)
    for i = 1, n do assert.equal(ks[i] * ks[i], vs[i]) end
    -- the result tables can be filled again; entries past the count go
    local ks2, vs2, n2 = m:lookup_batch { keys = ks, values = vs }
    assert.equal(ks, ks2)
    assert.equal(vs, vs2)
    assert.equal(2500, n2)
    assert.equal(3, m:delete_batch { 1, 2, 3 })
    local _, _, n3 = m:lookup_batch { keys = ks, values = vs }
    assert.equal(2497, n3)
    assert.equal(2497, #ks)
    assert.is_nil(vs[2498])
    for i = 1, n3 do assert.equal(ks[i] * ks[i], vs[i]) end
    assert.is_nil(m[2])
    local dk, dv, dn = m:lookup_and_delete_batch()
    assert.equal(2497, dn)
    assert.equal(dk[1] * dk[1], dv[1])
    assert.is_nil(m:next_key())
    assert.has_error(function() m:update_batch({ 1, 2 }, { 1 }) end,
      "map '(unnamed)': update_batch: 2 keys but 1 values")
  end)

  it("pushes, pops and peeks queues and stacks; bloom filters answer contains", function()
    local q <close> = assert(ebpf.map { type = "queue", value_size = 4, max_entries = 4 })
    for i = 1, 3 do assert.is_true(q:push(i)) end
    assert.equal(1, q:peek())
    assert.equal(1, q:pop())
    assert.equal(2, q:pop())
    local s <close> = assert(ebpf.map { type = "stack", value_size = 4, max_entries = 4 })
    s:push(1); s:push(2)
    assert.equal(2, s:pop())
    assert.equal(1, s:pop())
    assert.is_nil(s:pop())
    for i = 1, 4 do q:push(i) end
    local ok, err = q:push(99)
    assert.is_nil(ok)
    assert.equal("E2BIG", err.code)
    local b <close> = assert(ebpf.map { type = "bloom_filter", value_size = 8, max_entries = 100, map_extra = 5 })
    b:push(12345)
    assert.is_true(b:contains(12345))
    assert.is_false(b:contains(54321))
    assert.has_error(function() return q[1] end)
    assert.has_error(function() b:pop() end, "map '(unnamed)' (bloom_filter): pop is for queue and stack maps")
  end)

  it("stores maps in map-in-map and programs in prog arrays, reading back handles", function()
    local inner <close> = hash { name = "inner" }
    local outer <close> = assert(ebpf.map { type = "array_of_maps", key_size = 4, max_entries = 2, inner_map = inner })
    outer[0] = inner
    local got <close> = outer[0]
    assert.equal(inner.id, got.id)
    inner[5] = 55
    assert.equal(55, got[5]) -- the same kernel map
    assert.is_nil(outer[1])

    local prog <close> = assert(ebpf.program { type = "socket_filter", insns = helpers.return_imm(0) })
    local pa <close> = assert(ebpf.map { type = "prog_array", max_entries = 2 })
    pa[0] = prog
    local p2 <close> = pa[0]
    assert.equal(prog.id, p2.id)
    pa[0] = nil
    assert.is_nil(pa[0])
  end)

  it("freezes maps against user-space writes", function()
    local m <close> = assert(ebpf.map { type = "array", key_size = 4, value_size = 4, max_entries = 1 })
    m[0] = 1
    assert.is_true(m:freeze())
    local ok, err = m:update(0, 2)
    assert.is_nil(ok)
    assert.equal("EPERM", err.code)
    assert.equal(1, m[0])
    assert.is_true(m:info().frozen)
  end)

  it("pins, opens pinned, opens by id and fd, clones", function()
    local dir = helpers.bpffs_dir("map")
    local m <close> = hash { name = "pinme" }
    m[1] = 11
    local path = dir .. "/m"
    assert.is_true(m:pin(path))
    local p <close> = assert(ebpf.map.open_pinned(path))
    assert.equal(m.id, p.id)
    assert.equal(11, p[1])
    local byid <close> = assert(ebpf.map.from_id(m.id))
    assert.equal(11, byid[1])
    local byfd <close> = assert(ebpf.map.from_fd(m:fd()))
    assert.are_not.equal(m:fd(), byfd:fd())
    assert.equal(m.id, byfd.id)
    local c <close> = m:clone()
    assert.equal(m.id, c.id)
    assert.is_true(m:unpin(path))
    local none, err = ebpf.map.open_pinned(path)
    assert.is_nil(none)
    assert.equal("ENOENT", err.code)
    assert.truthy(tostring(err):find(path, 1, true))
    os.remove(dir)
  end)

  -- The kernel answers the same info command for maps, programs and links,
  -- so without a kind check a pinned map opened as a program "worked".
  it("refuses to open a pinned object or an fd of another kind, naming what it is", function()
    local dir = helpers.bpffs_dir("kind")
    local m <close> = hash { name = "kindmap" }
    local p <close> = assert(ebpf.program { type = "socket_filter",
      insns = helpers.insns { { 0xb7, 0, 0, 0, 0 }, { 0x95 } } })
    assert.is_true(m:pin(dir .. "/m"))
    assert.is_true(p:pin(dir .. "/p"))
    local cases = {
      { ebpf.program.open_pinned, dir .. "/m", "it is a map, not a program" },
      { ebpf.map.open_pinned, dir .. "/p", "it is a program, not a map" },
      { ebpf.link.open_pinned, dir .. "/p", "it is a program, not a link" },
      { ebpf.link.open_pinned, dir .. "/m", "it is a map, not a link" },
    }
    for _, c in ipairs(cases) do
      local none, err, errno = c[1](c[2])
      assert.is_nil(none)
      assert.equal(22, errno)
      assert.equal(("open pinned '%s': %s"):format(c[2], c[3]), err.message)
    end
    local none, err = ebpf.program.from_fd(m:fd())
    assert.is_nil(none)
    assert.matches("is a map, not a program", err.message)
    none, err = ebpf.map.from_fd(p:fd())
    assert.is_nil(none)
    assert.matches("is a program, not a map", err.message)
    -- the right kind still opens
    local pm <close> = assert(ebpf.map.open_pinned(dir .. "/m"))
    local pp <close> = assert(ebpf.program.open_pinned(dir .. "/p"))
    assert.equal(m.id, pm.id)
    assert.equal("socket_filter", pp.type)
    os.remove(dir .. "/m")
    os.remove(dir .. "/p")
    os.remove(dir)
  end)

  it("reports info and lists its id among all maps", function()
    local m <close> = hash { name = "infomap", flags = "no_prealloc" }
    local info = m:info()
    assert.equal("infomap", info.name)
    assert.equal(4, info.key_size)
    assert.equal(8, info.value_size)
    assert.equal(64, info.max_entries)
    assert.same({ "no_prealloc" }, info.flags)
    assert.is_true(info.memlock > 0)
    local found = false
    for id in ebpf.map.ids() do if id == info.id then found = true end end
    assert.is_true(found)
  end)

  describe("bad input", function()
    it("raises for wrong key and value sizes, naming expected and given", function()
      local m <close> = hash { name = "sz" }
      assert.has_error(function() m["abc"] = 1 end, "map 'sz': key must be 4 bytes, got 3")
      assert.has_error(function() m[1] = "abc" end, "map 'sz': value must be 8 bytes, got 3")
      assert.has_error(function() m[1 << 40] = 1 end, "map 'sz': key 1099511627776 does not fit in 4 bytes")
      assert.has_error(function() m[1.5] = 1 end, "map 'sz': key must be an integer, got a float")
      assert.has_error(function() m[{}] = 1 end)
      local big <close> = assert(ebpf.map { type = "hash", key_size = 3, value_size = 8, max_entries = 1, name = "k3" })
      assert.has_error(function() big[1] = 1 end,
        "map 'k3': key is 3 bytes, give a string of that size (integers only fit 1/2/4/8)")
    end)

    it("raises for unknown types, unknown options and bad sizes", function()
      assert.has_error(function() ebpf.map { type = "hashh", key_size = 4, value_size = 4, max_entries = 1 } end,
        "unknown map type 'hashh'")
      assert.has_error(function() ebpf.map { type = "hash", key_size = 4, value_size = 4, max_entires = 1 } end,
        "invalid field name 'max_entires'")
      assert.has_error(function() ebpf.map { type = "hash", key_size = -1, value_size = 4, max_entries = 1 } end,
        "key_size out of range: -1")
      assert.has_error(function() ebpf.map { type = "hash", key_size = 4, value_size = 1 << 40, max_entries = 1 } end)
      assert.has_error(function() ebpf.map { key_size = 4 } end)
      assert.has_error(function() ebpf.map { type = "hash", key_size = 4, value_size = 4, max_entries = 1, flags = "bogus" } end,
        "field 'flags': unknown flag 'bogus'")
      assert.has_error(function() ebpf.map() end)
    end)

    it("returns the kernel's refusal for max_entries 0 and impossible sizes", function()
      local m, err, errno = ebpf.map { type = "hash", key_size = 4, value_size = 8, max_entries = 0, name = "zero" }
      assert.is_nil(m)
      assert.equal("EINVAL", err.code)
      assert.equal(22, errno)
      assert.equal("create", err.op)
      assert.truthy(tostring(err):find("map 'zero' (hash): create: Invalid argument", 1, true))
      m, err = ebpf.map { type = "hash", key_size = 0, value_size = 8, max_entries = 4 }
      assert.is_nil(m)
      assert.equal("EINVAL", err.code)
      m, err = ebpf.map { type = "ringbuf", max_entries = 1000 } -- not a page multiple
      assert.is_nil(m)
      assert.equal("EINVAL", err.code)
    end)

    it("raises on every use of a closed map, and on a second close", function()
      local m = hash()
      m:close()
      assert.equal("ebpf.map (closed)", tostring(m))
      assert.has_error(function() return m[1] end, "attempt to use a closed map")
      assert.has_error(function() m[1] = 1 end, "attempt to use a closed map")
      assert.has_error(function() m:info() end, "attempt to use a closed map")
      assert.has_error(function() for _ in pairs(m) do end end, "attempt to use a closed map")
      assert.has_error(function() m:close() end, "attempt to use a closed map")
    end)

    it("does not leak fds when many maps are dropped without close", function()
      local before = ebpf.core.open_fds()
      for _ = 1, 300 do hash() end
      collectgarbage(); collectgarbage()
      assert.equal(before, ebpf.core.open_fds())
    end)
  end)
end)
