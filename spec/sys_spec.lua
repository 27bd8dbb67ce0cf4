-- Process-level behaviour: fd hygiene, memlock, errors, type tables, and
-- the LuaRocks install.
local helpers = require "spec.helpers"
local ebpf = require "ebpf"

local function lua_cmd(code)
  -- runs a script with the tree's module, stdin and stderr closed
  return ("cd %s && LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='%s/?.so;;' lua5.4 -e %q"):format(
    os.getenv("PWD"), helpers.build, code)
end

describe("process-level behaviour", function()
  it("never hands out fds 0-2 and sets close-on-exec", function()
    local out = helpers.sh(lua_cmd([[
      local ebpf = require "ebpf"
      local m = assert(ebpf.map{type="array", key_size=4, value_size=4, max_entries=1})
      local p = assert(ebpf.program{type="xdp", insns=string.pack("<BBi2i4BBi2i4",0xb7,0,0,0,0x95,0,0,0)})
      local function flags(fd)
        for l in io.lines("/proc/self/fdinfo/" .. fd) do
          local f = l:match("^flags:%s*(%d+)") if f then return tonumber(f, 8) end
        end
      end
      io.stdout:write(m:fd(), " ", p:fd(), " ", flags(m:fd()), " ", flags(p:fd()))
    ]]) .. " 0<&- 2>&-")
    local mfd, pfd, mfl, pfl = out:match("(%d+) (%d+) (%d+) (%d+)")
    assert.is_true(tonumber(mfd) > 2, out)
    assert.is_true(tonumber(pfd) > 2, out)
    local O_CLOEXEC = 0x80000
    assert.is_true(tonumber(mfl) & O_CLOEXEC ~= 0)
    assert.is_true(tonumber(pfl) & O_CLOEXEC ~= 0)
  end)

  it("leaves the memlock limit alone on memcg-accounting kernels", function()
    local memcg = ebpf.rlimit.memcg_accounting()
    assert.is_boolean(memcg)
    local raised = ebpf.rlimit.remove_memlock()
    -- 6.18 charges BPF memory to memcg: nothing to raise.
    assert.is_true(memcg)
    assert.is_false(raised)
  end)

  it("counts possible CPUs as the kernel does", function()
    local f = assert(io.open("/sys/devices/system/cpu/possible"))
    local s = f:read("l")
    f:close()
    local max = 0
    for a, b in s:gmatch("(%d+)%-?(%d*)") do max = math.max(max, tonumber(b ~= "" and b or a)) end
    assert.equal(max + 1, ebpf.possible_cpus())
  end)

  it("names every map, program and attach type of linux/bpf.h", function()
    local function set(list) local s = {} for _, v in ipairs(list) do s[v] = true end return s end
    local maps, progs, attach = set(ebpf.map_types()), set(ebpf.prog_types()), set(ebpf.attach_types())
    for _, n in ipairs { "hash", "array", "ringbuf", "bloom_filter", "user_ringbuf", "lpm_trie" } do
      assert.is_true(maps[n], n)
    end
    for _, n in ipairs { "xdp", "kprobe", "tracepoint", "tracing", "syscall", "lsm", "struct_ops" } do
      assert.is_true(progs[n], n)
    end
    for _, n in ipairs { "cgroup_inet_ingress", "trace_fentry", "xdp" } do assert.is_true(attach[n], n) end
    -- every name in the header is there: compare with the preprocessor
    local hdr = helpers.sh("echo '#include <linux/bpf.h>' | cc -E -dD -x c - | grep -o 'BPF_MAP_TYPE_[A-Z_0-9]*' | sort -u")
    for name in hdr:gmatch("BPF_MAP_TYPE_([A-Z_0-9]+)") do
      if name ~= "UNSPEC" then assert.is_true(maps[name:lower()], name) end
    end
  end)

  it("makes error objects that print and concatenate", function()
    local _, err = ebpf.map { type = "hash", key_size = 4, value_size = 4, max_entries = 0, name = "e" }
    assert.equal("ebpf.error", getmetatable(err).__name)
    assert.equal("map 'e' (hash): create: Invalid argument (check key/value sizes, max_entries and flags for this map type) (EINVAL)",
      tostring(err))
    assert.equal("x: " .. tostring(err), "x: " .. err)
    assert.equal(tostring(err) .. "!", err .. "!")
    local ok, msg = pcall(function() assert(ebpf.map { type = "hash", key_size = 4, value_size = 4, max_entries = 0 }) end)
    assert.is_false(ok)
    assert.truthy(tostring(msg):find("EINVAL", 1, true))
  end)

  it("installs with luarocks make and loads from any directory", function()
    local tree = os.tmpname()
    os.remove(tree)
    local out = helpers.sh(("cd %s && luarocks --lua-version=5.4 --tree=%s make rockspec/ebpf-scm-1.rockspec"):format(
      os.getenv("PWD"), tree))
    assert.truthy(out:find("ebpf scm-1 is now installed", 1, true), out)
    local script = [[local e = require "ebpf"
      io.write(e.version, " ", tostring(e.map{type="hash", key_size=4, value_size=4, max_entries=1}))]]
    local v = helpers.sh(("cd / && LUA_PATH='%s/share/lua/5.4/?.lua;%s/share/lua/5.4/?/init.lua' LUA_CPATH='%s/lib/lua/5.4/?.so' lua5.4 -e %q"):format(
      tree, tree, tree, script))
    local version = helpers.read_file(os.getenv("PWD") .. "/VERSION"):match("^(%S+)")
    assert.truthy(v:find("^" .. version:gsub("%.", "%%.") .. " ebpf%.map %(hash, 4%->4, 1 entries, fd %d+%)$"), v)
    helpers.sh("rm -rf " .. tree .. " " .. os.getenv("PWD") .. "/build.luarocks")
  end)
end)
