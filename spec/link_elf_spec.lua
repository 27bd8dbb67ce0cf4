-- prog:attach() and coll:attach() on a clang-compiled object whose
-- sections name their hooks (testdata/link/auto.bpf.c), including USDT
-- arguments read through <ebpf/bpf_usdt.h>.
local ebpf = require "ebpf"
local helpers = require "helpers"
local U = require "link_util"

local OBJ = helpers.testdata("link/auto.bpf.o")
local BIN = helpers.build .. "/testdata/link/"

local function opens(n)
  for _ = 1, n do assert(io.open("/etc/hostname")):close() end
end

local function load()
  local spec = assert(ebpf.open(OBJ))
  spec.vars.target_pid = U.pid()
  return assert(spec:load())
end

local function reset(coll, names)
  for _, n in ipairs(names) do coll.vars[n] = 0 end
end

describe("coll:attach()", function()
  it("attaches every program whose section names its target, and only those", function()
    local coll = load()
    local links = assert(coll:attach())
    local names = {}
    for n in pairs(links) do names[#names + 1] = n end
    table.sort(names)
    assert.same({ "list_tasks", "on_add", "on_btf", "on_hit", "on_mul_ret", "on_openat", "on_plain", "on_raw" }, names)
    assert.is_nil(links.pass_all) -- xdp needs an interface
    reset(coll, { "openat_hits", "raw_hits", "btf_hits" })
    opens(12)
    assert.equal(12, coll.vars.openat_hits)
    assert.equal(12, coll.vars.raw_hits)
    assert.equal(12, coll.vars.btf_hits)
    assert.equal("4048\n", helpers.sh(BIN .. "uprobe_target 4"))
    assert.equal(4, coll.vars.add_calls)
    assert.equal(3, coll.vars.last_a)
    assert.equal(42, coll.vars.mul_ret)
    assert.equal("5\n", helpers.sh(BIN .. "usdt_target 5"))
    assert.equal(5, coll.vars.usdt_hits)
    assert.equal(4, coll.vars.usdt_i)
    assert.equal(12, coll.vars.usdt_big)
    assert.equal(7 + 2 * 4, coll.vars.usdt_value)
    assert.equal(3, coll.vars.usdt_cnt)
    assert.equal(42, coll.vars.plain_arg)
    local text = links.list_tasks:read()
    assert.matches("\n" .. U.pid() .. " lua5.4\n", "\n" .. text, 1, true)
    for _, l in pairs(links) do l:close() end
    local n = coll.vars.openat_hits
    opens(3)
    assert.equal(n, coll.vars.openat_hits) -- detached
  end)

  it("passes per-program options and closes what it made when one fails", function()
    local coll = load()
    local mine = {}
    for _, p in pairs(coll.programs) do mine[p.id] = true end
    -- pass_all sorts after list_tasks, on_add, ...: those get attached first
    collectgarbage("stop") -- links must be closed by attach itself, not by the GC
    local links, err = coll:attach { pass_all = { ifname = "no-such-if0" } }
    local survivors = 0
    for _, info in ipairs(ebpf.link.list()) do -- (other processes' links are ignored)
      if mine[info.prog_id] then survivors = survivors + 1 end
    end
    collectgarbage("restart")
    assert.is_nil(links)
    assert.matches("no-such-if0", tostring(err), 1, true)
    assert.equal(0, survivors)
  end)
end)

describe("prog:attach()", function()
  it("infers the hook from the section", function()
    local coll = load()
    local l = assert(coll.programs.on_openat:attach())
    assert.matches("tracepoint syscalls/sys_enter_openat", tostring(l), 1, true)
    reset(coll, { "openat_hits" })
    opens(4)
    assert.equal(4, coll.vars.openat_hits)
    l:close()
    local u = assert(coll.programs.on_hit:attach { cookie = 1234 })
    helpers.sh(BIN .. "usdt_target 2")
    assert.equal(1234, coll.vars.usdt_cookie)
    u:close()
  end)

  it("explains what a section cannot say, and rejects unknown options", function()
    local coll = load()
    assert.has_error(function() coll.programs.pass_all:attach() end,
      "program 'pass_all' (section 'xdp'): xdp needs an interface; pass it to attach, "
        .. "e.g. prog:attach{ ifname = 'eth0' }")
    assert.has_error(function() coll.programs.on_openat:attach { cookei = 1 } end, "invalid field name 'cookei'")
  end)

  it("attaches raw programs given a section name", function()
    local m = U.array()
    local p = U.prog("tracepoint", m, { pid = U.pid() })
    local l = assert(p:attach { section = "tracepoint/syscalls/sys_enter_openat" })
    opens(3)
    assert.equal(3, m[0])
    l:close()
  end)
end)

describe("the link set of coll:attach()", function()
  it("iterates by program name, closes all of them, with <close> and __tostring", function()
    local coll = load()
    do
      local links <close> = assert(coll:attach())
      assert.matches("^ebpf.linkset %(8 links: list_tasks, on_add, on_btf, ", tostring(links))
      assert.equal(8, #links)
      local n = 0
      for name, l in pairs(links) do
        n = n + 1
        assert.equal(links[name], l)
        assert.matches("^ebpf.link ", tostring(l))
      end
      assert.equal(8, n)
      links.on_raw:close() -- closed one by one first: the set skips it
      reset(coll, { "openat_hits" })
      opens(2)
      assert.equal(2, coll.vars.openat_hits)
    end -- <close> detaches all
    local before = coll.vars.openat_hits
    opens(3)
    assert.equal(before, coll.vars.openat_hits)
    local links = assert(coll:attach())
    links:close()
    assert.equal("ebpf.linkset (closed)", tostring(links))
    assert.error_matches(function() links:close() end, "attempt to use a closed link set")
    assert.error_matches(function() return links.on_raw end, "attempt to use a closed link set")
    assert.error_matches(function() links.x = 1 end, "read%-only")
    assert(coll:attach()) -- a forgotten set: its links finalize themselves
    collectgarbage()
    coll:close()
  end)
end)
