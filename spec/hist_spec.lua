-- ebpf.hist: bcc's print_log2_hist / print_linear_hist layouts, from real
-- kernel counts (testdata/misc/hist: each test_run puts the packet length
-- into a log2 bucket, per CPU and per {parity, slot} key).
local ebpf = require "ebpf"
local helpers = require "helpers"

local function fill(lengths)
  local coll = assert(ebpf.load(helpers.testdata("misc/hist.bpf.o")))
  for _, l in ipairs(lengths) do assert(coll.programs.fill:run(string.rep("\0", l + 14))) end -- 14: Ethernet
  return coll
end

-- bcc's layout, written out for lengths 1, 2, 6, 16, 86, 86, 986
local WANT = table.concat({
  "     bytes               : count     distribution",
  "         0 -> 1          : 1        |********************                    |",
  "         2 -> 3          : 1        |********************                    |",
  "         4 -> 7          : 1        |********************                    |",
  "         8 -> 15         : 0        |                                        |",
  "        16 -> 31         : 1        |********************                    |",
  "        32 -> 63         : 0        |                                        |",
  "        64 -> 127        : 2        |****************************************|",
  "       128 -> 255        : 0        |                                        |",
  "       256 -> 511        : 0        |                                        |",
  "       512 -> 1023       : 1        |********************                    |",
}, "\n") .. "\n"

describe("ebpf.hist", function()
  it("log2: a per-CPU array map filled by the kernel, summed over CPUs, in bcc's layout", function()
    local coll <close> = fill { 1, 2, 6, 16, 86, 86, 986 }
    local text, buckets = ebpf.hist.log2(coll.maps.hist, { unit = "bytes" })
    assert.equal(WANT, text)
    assert.same({ low = 64, high = 127, count = 2 }, buckets[7])
    assert.equal(10, #buckets)
  end)

  it("log2: one histogram per key of a {key, slot} struct-keyed map", function()
    local coll <close> = fill { 1, 2, 6, 86, 86 }
    local text, sections = ebpf.hist.log2(coll.maps.bykey, { unit = "bytes" })
    assert.matches("\nparity = 0\n     bytes ", text, 1, true)
    assert.matches("\nparity = 1\n     bytes ", text, 1, true)
    assert.equal(2, sections["parity = 0"][7].count) -- 86: even, bucket 64 -> 127
    assert.equal(1, sections["parity = 1"][1].count) -- 1: odd, bucket 0 -> 1
  end)

  it("log2 from a Lua table; strip_leading_zero; a scale for 40-column bars", function()
    local text = ebpf.hist.log2({ [3] = 0, [4] = 3, [5] = 1 }, { unit = "usecs", strip_leading_zero = true })
    assert.equal("     usecs               : count     distribution\n" ..
      "         8 -> 15         : 3        |****************************************|\n" ..
      "        16 -> 31         : 1        |*************                           |\n", text)
    assert.equal("", (ebpf.hist.log2({})))
  end)

  it("linear: fixed steps from a minimum", function()
    local text, buckets = ebpf.hist.linear({ [0] = 3, [2] = 6 }, { step = 10, min = 100, unit = "ms" })
    assert.equal("     ms            : count     distribution\n" ..
      "        100        : 3        |********************                    |\n" ..
      "        110        : 0        |                                        |\n" ..
      "        120        : 6        |****************************************|\n", text)
    assert.same({ low = 120, high = 129, count = 6 }, buckets[3])
  end)

  it("raises for bad sources and options", function()
    assert.error_matches(function() ebpf.hist.log2(42) end, "source must be an ebpf.map or a table", 1, true)
    assert.error_matches(function() ebpf.hist.log2({ x = 1 }) end, "bucket indexes must be integers", 1, true)
    assert.error_matches(function() ebpf.hist.log2({}, { units = "x" }) end, "invalid field name 'units'", 1, true)
    assert.error_matches(function() ebpf.hist.linear({}, { step = 0 }) end, "step must be an integer >= 1", 1, true)
  end)
end)
