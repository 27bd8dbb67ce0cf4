-- Only `char` arrays are C strings (cut at the first NUL); __u8, unsigned
-- char and __s8 arrays decode to all their bytes, through every path: the
-- global variable (object BTF codec), the map value and the ring buffer
-- record (BTF type decode), and t:decode{full_strings} keeps a char array
-- whole (a NUL-separated argv buffer).
local ebpf = require "ebpf"
local helpers = require "helpers"

local want = {
  comm = "ab",
  saddr = "\127\0\0\1",
  raw = "\1\0\2\0\3\0",
  small = "\255\0\5",
  args = "ls",
}

describe("decoding byte arrays", function()
  it("keeps every byte of __u8/unsigned char/__s8 arrays, cuts only char arrays", function()
    local coll <close> = assert(ebpf.load(helpers.testdata("misc/bytes.bpf.o")))
    assert.same(want, coll.vars.g)
    local r <close> = assert(ebpf.ringbuf.reader(coll.maps.events)):decode("struct rec")
    assert(coll.programs.emit:run())
    assert.same(want, r:read(0))
    assert.same(want, coll.maps.vals[0])
    -- the raw bytes agree with what the C initializer wrote
    local raw = coll.maps.vals:lookup_bytes(0)
    assert.equal("ab\0\0\0\0\0\0" .. "\127\0\0\1" .. "\1\0\2\0\3\0" .. "\255\0\5" .. "ls\0-l\0/tmp\0\0", raw:sub(1, 33))
  end)

  it("round-trips byte arrays given as strings (exact or shorter, zero-padded)", function()
    local coll <close> = assert(ebpf.load(helpers.testdata("misc/bytes.bpf.o")))
    coll.vars.g = { comm = "xyz", saddr = "\10\0\0\2", raw = "\0\0\0\0\0\9", small = "\0\1", args = "a" }
    local g = coll.vars.g
    assert.equal("\10\0\0\2", g.saddr)
    assert.equal("\0\0\0\0\0\9", g.raw)
    assert.equal("\0\1\0", g.small)
    assert.equal("xyz", g.comm)
    coll.maps.vals[0] = g
    assert.same(g, coll.maps.vals[0])
  end)

  it("t:decode(bytes, offset, {full_strings = true}) keeps a char array whole", function()
    local coll <close> = assert(ebpf.load(helpers.testdata("misc/bytes.bpf.o")))
    local t = assert(ebpf.btf.load(helpers.testdata("misc/bytes.bpf.o")):find("rec", "struct"))
    local raw = coll.maps.vals:lookup_bytes(0)
    assert.equal(string.rep("\0", #raw), raw) -- not run yet: zeros
    assert(coll.programs.emit:run())
    raw = coll.maps.vals:lookup_bytes(0)
    assert.equal("ls", t:decode(raw).args)
    local full = t:decode(raw, 0, { full_strings = true })
    assert.equal("ls\0-l\0/tmp\0\0", full.args)
    assert.equal("ab\0\0\0\0\0\0", full.comm)
    local argv = {}
    for a in full.args:gmatch("([^%z]+)") do argv[#argv + 1] = a end
    assert.same({ "ls", "-l", "/tmp" }, argv)
    assert.error_matches(function() t:decode(raw, 0, { full_string = true }) end, "full_string")
  end)

  it("reader:decode(type, {full_strings = true}) hands over whole char arrays", function()
    local coll <close> = assert(ebpf.load(helpers.testdata("misc/bytes.bpf.o")))
    local r <close> = assert(ebpf.ringbuf.reader(coll.maps.events)):decode("struct rec", { full_strings = true })
    assert(coll.programs.emit:run())
    assert(coll.programs.emit:run())
    local a = r:read(0)
    assert.equal("ls\0-l\0/tmp\0\0", a.args)
    assert.equal("\127\0\0\1", a.saddr)
    local n = 0
    for rec in r:records(0) do n = n + 1; assert.equal("ab\0\0\0\0\0\0", rec.comm) end
    assert.equal(1, n)
    r:decode("struct rec") -- without opts: cut again
    assert(coll.programs.emit:run())
    assert.equal("ls", r:read(0).args)
    assert.error_matches(function() r:decode("struct rec", 5) end, "table expected")
  end)
end)
