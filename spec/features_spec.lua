-- ebpf.features against the real kernel, with oracles: bpftool's own
-- probes (program/map types, ISA, helpers), /proc/kallsyms (which attach
-- paths the kernel has), the kernel's own BTF (which kinds it uses) and
-- real loads through the library.
local helpers = require "spec.helpers"
local ebpf = require "ebpf"
local json_decode = require "spec.json_decode"
local features = ebpf.features

local function bpftool_probe()
  -- without the ASan preload of `make asan-test` (bpftool hangs under it)
  local ok, out = pcall(helpers.sh, "env -u LD_PRELOAD bpftool feature probe kernel -j")
  if not ok then return nil end
  return json_decode(out)
end

local kallsyms
local function has_symbol(name)
  if not kallsyms then
    kallsyms = {}
    for line in io.lines("/proc/kallsyms") do
      local s = line:match("^%x+ %a ([%w_]+)")
      if s then kallsyms[s] = true end
    end
  end
  return kallsyms[name] == true
end

local function kernel_version()
  local r = io.open("/proc/sys/kernel/osrelease"):read("l")
  local a, b = r:match("^(%d+)%.(%d+)")
  return tonumber(a) * 100 + tonumber(b)
end

describe("ebpf.features", function()
  it("answers in three states with reasons, cached per process", function()
    assert.is_true(features.prog_type("socket_filter"))
    local before = features.probe_count()
    for _ = 1, 3 do assert.is_true(features.prog_type("socket_filter")) end
    assert.are.equal(before, features.probe_count())
    -- a decided "no" carries a reason
    local ok, why = features.helper("xdp", "probe_read")
    assert.is_false(ok)
    assert.matches("cannot use helper", why)
    assert.are.equal("unsupported", (features.status("helper", "xdp", "probe_read")))
  end)

  it("raises on unknown names (programming errors)", function()
    assert.has_error(function() features.prog_type("no_such_type") end, "unknown program type 'no_such_type'")
    assert.has_error(function() features.map_type("hashh") end, "unknown map type 'hashh'")
    assert.has_error(function() features.helper("xdp", "no_such_helper") end, "unknown helper 'no_such_helper'")
    assert.has_error(function() features.link("nope") end, "unknown link kind 'nope'")
    assert.has_error(function() features.isa(5) end)
    assert.has_error(function() features.report { helper = false } end, "invalid field name 'helper'")
  end)

  it("agrees with bpftool on program types, map types and ISA", function()
    local bt = bpftool_probe()
    if helpers.skip_unless(bt, "bpftool feature probe not available") then return end
    local checked = 0
    for key, have in pairs(bt.program_types) do
      local name = key:match("^have_(.+)_prog_type$")
      local status = features.status("prog_type", name)
      -- bpftool says "no" for types it cannot load (EPERM here); we say
      -- inconclusive for those, and must agree wherever we decide.
      if status ~= "inconclusive" then
        assert.are.equal(have, status == "supported", "program type " .. name)
        checked = checked + 1
      end
    end
    for key, have in pairs(bt.map_types) do
      local name = key:match("^have_(.+)_map_type$")
      local status = features.status("map_type", name)
      if status ~= "inconclusive" then
        assert.are.equal(have, status == "supported", "map type " .. name)
        checked = checked + 1
      end
    end
    assert.is_true(checked > 50)
    assert.are.equal(bt.misc.have_bounded_loops, features.bounded_loops() == true)
    assert.are.equal(bt.misc.have_v2_isa_extension, features.isa(2) == true)
    assert.are.equal(bt.misc.have_v3_isa_extension, features.isa("v3") == true)
  end)

  it("finds only helpers that bpftool also finds, per program type", function()
    local bt = bpftool_probe()
    if helpers.skip_unless(bt, "bpftool feature probe not available") then return end
    -- bpftool 7.1 only knows the old "unknown func" message, so it lists
    -- more helpers than exist on new kernels; ours must be a subset, and
    -- must find the basic ones.
    local types = 0
    for key, list in pairs(bt.helpers) do
      local pt = key:match("^(.+)_available_helpers$")
      if features.status("prog_type", pt) == "supported" and pt ~= "struct_ops" then
        local theirs = {}
        for _, h in ipairs(list) do theirs[h:gsub("^bpf_", "")] = true end
        for _, h in ipairs(features.names("helper")) do
          -- bpftool skips these outside "full" mode (they make the kernel
          -- print warnings), and so does our report.
          local noisy = h == "trace_printk" or h == "trace_vprintk" or h == "probe_write_user"
          if not noisy and features.helper(pt, h) then
            assert.is_true(theirs[h] == true, ("%s: helper %s"):format(pt, h))
          end
        end
        assert.is_true(features.helper(pt, "map_lookup_elem"), pt)
        types = types + 1
      end
    end
    assert.is_true(types > 20)
  end)

  it("says a helper is missing exactly when a real load says so", function()
    local prog_bytes = helpers.insns { { 0x85, 0, 0, 0, ebpf.features.helper_id("probe_read") },
      { 0xb7, 0, 0, 0, 0 }, { 0x95 } }
    local p, err = ebpf.program { type = "xdp", insns = prog_bytes }
    assert.is_nil(p)
    assert.matches("probe_read", err.log)
    assert.is_false((features.helper("xdp", "probe_read")))
    -- and present: ktime_get_ns loads fine from a socket filter
    local ok_bytes = helpers.insns { { 0x85, 0, 0, 0, 5 }, { 0xb7, 0, 0, 0, 0 }, { 0x95 } }
    local q = assert(ebpf.program { type = "socket_filter", insns = ok_bytes })
    q:close()
    assert.is_true(features.helper("socket_filter", "ktime_get_ns"))
    assert.are.equal(5, features.helper_id("bpf_ktime_get_ns"))
    assert.are.equal("map_lookup_elem", features.helper_name(1))
  end)

  it("reports map types the library can then create", function()
    assert.is_true(features.map_type("ringbuf"))
    local rb = assert(ebpf.map { type = "ringbuf", max_entries = 4096 })
    rb:close()
    assert.is_true(features.ringbuf())
    assert.is_true(features.map_flag("mmapable"))
    local m = assert(ebpf.map { type = "array", key_size = 4, value_size = 4, max_entries = 1, flags = "mmapable" })
    m:close()
  end)

  it("decides link kinds the way the kernel's symbols say", function()
    local cases = {
      kprobe_multi = "register_fprobe_ips", -- fprobe is built in
      uprobe_multi = "uprobe_register",
      tcx = "tcx_link_attach",
      netfilter = "bpf_nf_link_attach",
    }
    for kind, sym in pairs(cases) do
      local ok, why = features.link(kind)
      assert.is_not_nil(ok, kind .. ": " .. tostring(why))
      assert.are.equal(has_symbol(sym), ok, ("link %s (%s): %s"):format(kind, sym, tostring(why)))
    end
  end)

  it("accepts every BTF kind the kernel's own BTF uses", function()
    local f = assert(io.open("/sys/kernel/btf/vmlinux", "rb"))
    local raw = f:read("a")
    f:close()
    local _, _, _, hdr_len, type_off, type_len = string.unpack("<I2BBI4I4I4", raw)
    local pos, stop = hdr_len + type_off + 1, hdr_len + type_off + type_len
    -- bytes after the 12-byte header: fixed, and per vlen entry
    local fixed = { [1] = 4, [3] = 12, [14] = 4, [17] = 4 }
    local per = { [4] = 12, [5] = 12, [6] = 8, [13] = 8, [15] = 12, [19] = 12 }
    local seen = {}
    while pos < stop do
      local _, info = string.unpack("<I4I4", raw, pos)
      local kind, vlen = (info >> 24) & 0x1f, info & 0xffff
      seen[kind] = true
      pos = pos + 12 + (fixed[kind] or 0) + vlen * (per[kind] or 0)
    end
    local names = { "int", "ptr", "array", "struct", "union", "enum", "fwd", "typedef", "volatile", "const",
      "restrict", "func", "func_proto", "var", "datasec", "float", "decl_tag", "type_tag", "enum64" }
    local n = 0
    for kind in pairs(seen) do
      assert.is_true(features.btf_kind(names[kind]), names[kind])
      n = n + 1
    end
    assert.is_true(n >= 10)
    assert.is_true(features.misc("btf"))
  end)

  it("knows the ISA levels and features of the kernel's version", function()
    local v = kernel_version()
    assert.are.equal(v >= 606, features.isa(4) == true)    -- ISA v4: 6.6
    assert.are.equal(v >= 515, features.bpf_cookie() == true) -- 5.15
    assert.are.equal(v >= 503, features.bounded_loops() == true)
    assert.are.equal(v >= 515, features.link("perf_event") == true)
    assert.is_true(features.misc("global_data"))
  end)

  it("finds kfuncs by name and program type", function()
    local ok, why = features.kfunc("bpf_task_acquire")
    assert.is_true(ok, why)
    ok, why = features.kfunc("vfs_read") -- a function, not a kfunc
    assert.is_false(ok)
    assert.matches("not allowed", why)
    ok, why = features.kfunc("ebpf_lua_no_such_function")
    assert.is_false(ok)
    assert.matches("no function", why)
  end)

  it("reports everything as a table", function()
    local r = features.report { kfuncs = { "bpf_task_acquire" } }
    local valid = { supported = true, unsupported = true, inconclusive = true }
    for _, section in ipairs { "prog_types", "map_types", "map_flags", "btf_kinds", "links", "misc" } do
      local n = 0
      for name, e in pairs(r[section]) do
        assert.is_true(valid[e.status], section .. "." .. name)
        assert.is_true(e.status == "supported" or type(e.reason) == "string", section .. "." .. name)
        n = n + 1
      end
      assert.is_true(n > 0, section)
    end
    assert.are.equal("supported", r.prog_types.xdp.status)
    assert.are.equal("supported", r.helpers.xdp.map_lookup_elem)
    assert.are.equal("inconclusive", r.helpers.xdp.probe_write_user)
    assert.are.equal("supported", r.kfuncs.bpf_task_acquire.status)
    local j = require("ebpf.json").encode(r)
    assert.are.equal("supported", json_decode(j).map_types.hash.status)
  end)

  it("runs examples/features.lua with answers equal to the API's", function()
    local out = helpers.sh(("EBPF_BUILD=%s bin/ebpf run examples/features.lua"):format(helpers.build))
    local want = features.ringbuf() and "yes" or "no"
    assert.matches("ring buffer maps%s+" .. want .. "\n", out)
    local tcx = features.link("tcx") and "tcx link" or "classic tc"
    assert.matches("traffic control via " .. tcx, out, 1, true)
  end)
end)
