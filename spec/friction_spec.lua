-- Small things a new user trips over (issue 17, item 5): messages that say
-- what happened, options a hook does not take, errors at the caller's
-- line, C spellings of type names, no needless reads of /proc.
local ebpf = require "ebpf"
local helpers = require "helpers"

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end
local THIS = "friction_spec%.lua:%d+: "

-- (luassert's error_matches drops the position: check it by hand)
local function raises_here(f, pattern)
  local ok, err = pcall(f)
  assert.is_false(ok)
  assert.matches(THIS .. pattern, tostring(err))
end

describe("attach", function()
  it("attaching a program where a link already holds it says so, not only EEXIST", function()
    local coll <close> = assert(ebpf.load(helpers.testdata("link/bare_uprobe.bpf.o")))
    local p = coll.programs.on_getpid
    local l <close> = assert(p:attach())
    local l2, err = p:attach()
    assert.is_nil(l2)
    assert.equal("EEXIST", err.code)
    assert.matches("a link already holds this program there", tostring(err), 1, true)
    assert.is_not_nil(l)
  end)

  it("raises for options the program's kind does not take, at the caller's line", function()
    local coll <close> = assert(ebpf.load(helpers.testdata("link/bare_uprobe.bpf.o")))
    local p = coll.programs.on_getpid
    raises_here(function() p:attach { pid = 1 } end,
      "invalid field name 'pid' for a tracepoint program %('on_getpid' takes cookie%)")
    local bad = { bare_ret = { path = "/bin/bash", symbol = "readline" }, on_getpid = { ifname = "lo" } }
    assert.error_matches(function() coll:attach(bad) end, "invalid field name 'ifname'")
    -- options a kind takes still work
    local l <close> = assert(p:attach { cookie = 7 })
    assert.is_not_nil(l)
  end)

  it("coll:attach() on a bare SEC(\"uretprobe\") raises as prog:attach() does; with its target it attaches", function()
    local coll <close> = assert(ebpf.load(helpers.testdata("link/bare_uprobe.bpf.o")))
    raises_here(function() coll:attach() end, "program 'bare_ret' %(section 'uretprobe'%): no binary")
    raises_here(function() coll.programs.bare_ret:attach() end, "program 'bare_ret'")
    local links <close> = assert(coll:attach { bare_ret = { path = "/bin/bash", symbol = "readline" } })
    assert.equal(2, #links)
  end)
end)

describe("btf names as C spells them", function()
  it("find/find_id/find_all take 'struct X', 'union X', 'enum X'", function()
    local k = assert(ebpf.btf.kernel())
    local t = assert(k:find("struct task_struct"))
    assert.equal(k:find_id("task_struct", "struct"), t.id)
    assert.equal("struct", t.kind)
    assert.equal(k:find_id("struct  task_struct"), t.id)
    assert.equal(k:find("bpf_attr", "union").id, k:find("union bpf_attr").id)
    assert.equal(k:find("bpf_map_type", "enum").id, k:find_id("enum bpf_map_type"))
    assert.equal(1, #k:find_all("struct task_struct"))
    assert.is_nil(k:find("struct no_such_struct_here"))
    assert.error_matches(function() k:find("struct task_struct", "union") end, "does not match")
  end)
end)

describe("map:info()", function()
  it("reads /proc/self/fdinfo once per call, and coll:attach() not at all (strace)", function()
    local script = ([[
      package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
      package.cpath = %q .. "/?.so;" .. package.cpath
      local ebpf = require "ebpf"
      local coll = assert(ebpf.load(%q))
      io.stderr:write("MARK attach\n")
      local links <close> = assert(coll:attach())
      io.stderr:write("MARK info\n")
      local m <close> = assert(ebpf.map { type = "array", key_size = 4, value_size = 4, max_entries = 1 })
      assert(m:info().memlock)
      io.stderr:write("MARK end\n")
    ]]):format(helpers.build, helpers.testdata("link/auto.bpf.o"))
    local out = helpers.sh(("strace -f -o /dev/fd/3 -e trace=openat,write lua5.4 -e %s 3>&1 >/dev/null 2>&1"):format(q(script)))
    local attach = out:match("MARK attach(.-)MARK info")
    local info = out:match("MARK info(.-)MARK end")
    assert.is_not_nil(attach, out)
    local _, in_attach = attach:gsub("/proc/self/fdinfo/", "")
    local _, in_info = info:gsub("/proc/self/fdinfo/", "")
    assert.equal(0, in_attach)
    assert.equal(1, in_info)
  end)
end)

describe("ebpf prog list as a user without privileges", function()
  it("says why it failed without naming a library file", function()
    local out = helpers.sh(("setpriv --reuid=65534 --regid=65534 --clear-groups env EBPF_BUILD=%s "
      .. "lua5.4 bin/ebpf prog list 2>&1; echo rc=$?"):format(q(helpers.build)))
    assert.matches("rc=1", out)
    assert.matches("ebpf prog: ", out, 1, true)
    assert.matches("needs root or CAP_SYS_ADMIN", out, 1, true)
    assert.is_nil(out:find(".lua:", 1, true), out)
  end)
end)
