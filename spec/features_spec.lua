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
    -- helpers bpftool knows at all (its libbpf predates the kernel's
    -- newest, which we name from kernel BTF and probe too)
    local known = {}
    for _, list in pairs(bt.helpers) do
      for _, h in ipairs(list) do known[h:gsub("^bpf_", "")] = true end
    end
    for key, list in pairs(bt.helpers) do
      local pt = key:match("^(.+)_available_helpers$")
      if features.status("prog_type", pt) == "supported" and pt ~= "struct_ops" then
        local theirs = {}
        for _, h in ipairs(list) do theirs[h:gsub("^bpf_", "")] = true end
        for _, h in ipairs(features.names("helper")) do
          -- bpftool skips these outside "full" mode (they make the kernel
          -- print warnings), and so does our report.
          local noisy = h == "trace_printk" or h == "trace_vprintk" or h == "probe_write_user"
          if not noisy and known[h] and features.helper(pt, h) then
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

-- The library's own fallbacks decide from these probes: checked on this
-- kernel with probes forced by features.override, and for real inside
-- older kernels (.ci/steps/60-features-kernels.sh runs `busted
-- --tags=fallbacks spec/features_spec.lua` in 5.10 and 6.12), with the
-- version that introduced each feature as the oracle.
describe("library fallbacks follow the probes #fallbacks", function()
  local U = require "link_util"
  local btf = ebpf.btf
  local forced = {}
  local function force(kind, name, status)
    forced[#forced + 1] = { kind, name }
    features.override(kind, name, status)
  end
  after_each(function()
    for _, f in ipairs(forced) do features.override(f[1], f[2], nil) end
    forced = {}
  end)

  it("override forces an answer and nil lifts it; unknown names raise", function()
    local probed = features.status("link", "tcx")
    force("link", "tcx", "unsupported")
    assert.same({ false, "forced by ebpf_feature_override()" }, { features.link("tcx") })
    force("link", "tcx", "inconclusive")
    assert.is_nil((features.link("tcx")))
    features.override("link", "tcx", nil)
    assert.equal(probed, (features.status("link", "tcx")))
    assert.has_error(function() features.override("link", "nope", "supported") end,
      "feature override: unknown link 'nope'")
    assert.has_error(function() features.override("helper", "xdp", "supported") end)
  end)

  describe("BTF sanitising", function()
    -- Kinds newer than BTF itself, what the loader rewrites them into and
    -- the kernel that introduced them.
    local kinds = {
      { "enum64", "union", 600 }, { "float", "struct", 513 }, { "decl_tag", "int", 516 },
      { "type_tag", "const", 517 },
    }
    local function tagged()
      local b = btf.new()
      local int = b:add_int("int", 4, "signed")
      b:add_struct("pt", 8, { { name = "x", type = int, offset = 0 } })
      local ids = {
        enum64 = b:add_enum("e64", 8, { { name = "HUGE", value = 1 << 40 } }).id,
        float = b:add_float("float", 4).id,
        decl_tag = b:add_decl_tag("tag", "pt", -1).id,
        type_tag = b:add_type_tag("user", int).id,
      }
      ids.signed_enum = b:add_enum("se", 4, { { name = "SE_NEG", value = -1 } }, true).id
      local proto = b:add_func_proto(int, { { name = "a", type = int } })
      ids.func = b:add_func("f", proto, "global").id
      return b, ids
    end
    -- Loads, then reads the kernel's copy back by id.
    local function loaded(b)
      assert(b:load())
      return assert(btf.from_id(b:info().id))
    end

    it("rewrites exactly the kinds the probes find missing, ids kept", function()
      local b, ids = tagged()
      local k = loaded(b)
      for _, c in ipairs(kinds) do
        local has = features.btf_kind(c[1])
        assert.equal(kernel_version() >= c[3], has == true, c[1]) -- oracle: the kernel's version
        assert.equal(has and c[1] or c[2], k:type(ids[c[1]]).kind, c[1])
      end
      assert.equal("global", k:type(ids.func).linkage)
      -- a signed enum's kind_flag came with enum64: cleared before 6.0
      assert.equal("enum", k:type(ids.signed_enum).kind)
      assert.equal(kernel_version() >= 600, k:type(ids.signed_enum).signed)
      k:close() b:close()
    end)

    it("rewrites a kind forced unsupported, and static linkage when global is", function()
      force("btf_kind", "enum64", "unsupported")
      force("btf_kind", "decl_tag", "unsupported")
      force("misc", "btf_func_global", "unsupported")
      local b, ids = tagged()
      local k = loaded(b)
      assert.equal("union", k:type(ids.enum64).kind)
      assert.equal(8, k:type(ids.enum64).size)
      assert.is_false(k:type(ids.signed_enum).signed)
      assert.equal("int", k:type(ids.decl_tag).kind)
      assert.equal("static", k:type(ids.func).linkage)
      k:close() b:close()
    end)

    it("loads a kind forced inconclusive as is where the kernel takes it, rewritten where not", function()
      for _, c in ipairs(kinds) do force("btf_kind", c[1], "inconclusive") end
      local b, ids = tagged()
      local k = loaded(b)
      for _, c in ipairs(kinds) do
        assert.equal(kernel_version() >= c[3] and c[1] or c[2], k:type(ids[c[1]]).kind, c[1])
      end
      k:close() b:close()
    end)
  end)

  describe("tracepoint attachment", function()
    local function opens(n)
      for _ = 1, n do assert(io.open("/etc/hostname")):close() end
    end
    local function count_openat(n)
      local m = U.array()
      local p = U.prog("tracepoint", m, { pid = U.pid() })
      local l, err = ebpf.link.tracepoint(p, "syscalls", "sys_enter_openat")
      if not l then return nil, err end
      local kind = l.kind
      opens(n)
      local counted = m[0]
      l:close()
      opens(1)
      assert.equal(counted, m[0]) -- detached
      return kind, counted
    end

    it("uses a BPF perf link where the probe finds one, the ioctl where not", function()
      local has = features.link("perf_event")
      assert.equal(kernel_version() >= 515, has == true) -- oracle: perf links came in 5.15
      assert.same({ has and "bpf_link" or "perf_event", 5 }, { count_openat(5) })
    end)

    it("takes the PERF_EVENT_IOC_SET_BPF ioctl when the probe is forced unsupported", function()
      force("link", "perf_event", "unsupported")
      assert.same({ "perf_event", 4 }, { count_openat(4) })
    end)

    it("tries the perf link first when the probe is inconclusive", function()
      force("link", "perf_event", "inconclusive")
      assert.same({ kernel_version() >= 515 and "bpf_link" or "perf_event", 3 }, { count_openat(3) })
    end)

    it("says why a cookie cannot be passed without perf links", function()
      force("link", "perf_event", "unsupported")
      local p = U.prog("tracepoint", U.array())
      local l, err = ebpf.link.tracepoint(p, "syscalls", "sys_enter_openat", { cookie = 7 })
      assert.is_nil(l)
      assert.matches("a bpf cookie needs a BPF perf link (5.15+): forced by ebpf_feature_override()",
        tostring(err), 1, true)
      assert.equal("EOPNOTSUPP", err.code)
    end)
  end)

  describe("tc without a mode on a veth pair", function()
    local A, B, cleanup
    lazy_setup(function() A, B, cleanup = U.veth_netns() end)
    lazy_teardown(function() if cleanup then cleanup() end end)
    local function run(tcx)
      local r, outp = U.net_case("ip netns exec " .. A, "veth", "tc_auto", "pass", B, tcx)
      assert.equal("done", r.fds_ok, outp)
      assert.same({ "7", "7", "0", "7" }, { r.received, r.counted, r.filters_after, r.counted_after })
      return r
    end

    it("makes a tcx link where the probe finds tcx, a classic cls_bpf filter where not", function()
      local has = features.link("tcx")
      assert.equal(kernel_version() >= 606, has == true) -- oracle: tcx came in 6.6
      local r = run("probed")
      assert.equal(has and "bpf_link" or "tc_filter", r.kind)
      assert.equal(has and "0" or "1", r.filters) -- oracle: tc filter show
    end)

    it("uses classic tc when the probe is forced unsupported", function()
      local r = run("unsupported")
      assert.same({ "tc_filter", "1" }, { r.kind, r.filters })
    end)

    it("tries tcx first when the probe is inconclusive", function()
      local r = run("inconclusive")
      assert.equal(kernel_version() >= 606 and "bpf_link" or "tc_filter", r.kind)
    end)

    it("keeps the modes that force one; tcx without kernel support says why", function()
      local p = U.prog("sched_cls", U.array())
      assert.has_error(function() ebpf.link.tc(p, "lo", { mode = "tcx", prio = 1 }) end,
        "tc: prio and handle are classic tc filter properties, not tcx ones")
      assert.has_error(function() ebpf.link.tc(p, "lo", { mode = "fast" }) end,
        "tc: mode must be 'auto', 'tcx' or 'classic', got 'fast'")
      if features.link("tcx") then return end
      -- refused before anything is attached: lo is not touched
      local l, err = ebpf.link.tc(p, "lo", { mode = "tcx" })
      assert.is_nil(l)
      assert.matches("this kernel has no tcx links (kernel does not know tcx links (6.6) (EINVAL))",
        tostring(err), 1, true)
    end)
  end)
end)
