-- Packaging: one version everywhere, a LICENSE, rockspecs that pack and a
-- packed source rock that installs into a fresh tree (oracle: luarocks
-- itself, and the installed module loaded by a separate lua5.4 process).
local helpers = require "spec.helpers"

local root = assert(os.getenv("PWD"))

local function rockspec(name)
  local env = {}
  assert(loadfile(root .. "/rockspec/" .. name, "t", env))()
  return env
end

local VERSION = helpers.read_file(root .. "/VERSION"):match("^(%d+%.%d+%.%d+)\n$")

describe("packaging", function()
  it("has one version: VERSION, the release rockspec and ebpf._VERSION", function()
    assert.is_string(VERSION)
    local ebpf = require "ebpf"
    assert.equal(VERSION, ebpf.version)
    assert.equal("ebpf " .. VERSION, ebpf._VERSION)
    local rel = rockspec("ebpf-" .. VERSION .. "-1.rockspec")
    assert.equal(VERSION .. "-1", rel.version)
    assert.equal("v" .. VERSION, rel.source.tag)
    assert.equal("busted", rel.test.type)
    assert.matches("^https://", rel.description.homepage)
    local scm = rockspec("ebpf-scm-1.rockspec")
    assert.equal("scm-1", scm.version)
    -- both rockspecs build alike: only version and source differ
    rel.version, rel.source, scm.version, scm.source = nil, nil, nil, nil
    assert.same(scm, rel)
  end)

  it("has a man page whose version is VERSION", function()
    local man = helpers.read_file(root .. "/docs/man/ebpf.1")
    assert.truthy(man:find('"ebpf-lua ' .. VERSION .. '"', 1, true))
  end)

  it("has an MIT LICENSE matching the rockspec", function()
    local text = helpers.read_file(root .. "/LICENSE")
    assert.truthy(text:find("Copyright (c) 2026 the ebpf-lua authors", 1, true))
    assert.truthy(text:find("Permission is hereby granted, free of charge", 1, true))
    assert.equal("MIT", rockspec("ebpf-scm-1.rockspec").description.license)
  end)

  it("packs from a checkout and the .src.rock installs into a fresh tree", function()
    -- The release source is a git tag; without network, a clone of this
    -- checkout tagged like the release stands in for the remote.
    local tmp = helpers.sh("mktemp -d"):gsub("\n$", "")
    finally(function() helpers.sh("rm -rf '" .. tmp .. "'") end)
    helpers.sh(("git clone -q '%s' '%s/src' && git -C '%s/src' tag v%s"):format(root, tmp, tmp, VERSION))
    local spec = helpers.read_file(root .. "/rockspec/ebpf-" .. VERSION .. "-1.rockspec")
    local url = spec:match('url = "(git%+https://[^"]+)"')
    assert.is_string(url)
    local f = assert(io.open(tmp .. "/ebpf-" .. VERSION .. "-1.rockspec", "wb"))
    f:write((spec:gsub(url:gsub("%p", "%%%0"), "git+file://" .. tmp .. "/src")))
    f:close()
    helpers.sh(("cd '%s' && luarocks pack ebpf-%s-1.rockspec"):format(tmp, VERSION))
    local rock = ("%s/ebpf-%s-1.src.rock"):format(tmp, VERSION)
    assert.truthy(io.open(rock, "rb")):close()
    -- install from another directory into an empty tree
    helpers.sh(("mkdir '%s/elsewhere' && cd '%s/elsewhere' && luarocks --lua-version 5.4 --tree '%s/tree' install '%s'")
      :format(tmp, tmp, tmp, rock))
    local tree = tmp .. "/tree"
    local out = helpers.sh(("cd / && LUA_PATH='%s/share/lua/5.4/?.lua;%s/share/lua/5.4/?/init.lua' LUA_CPATH='%s/lib/lua/5.4/?.so' "
      .. "lua5.4 -e 'local e = require \"ebpf\"; io.write(e._VERSION, \"|\", package.searchpath(\"ebpf.core\", package.cpath))'")
      :format(tree, tree, tree))
    assert.equal(("ebpf %s|%s/lib/lua/5.4/ebpf/core.so"):format(VERSION, tree), out)
    local prefix = ("%s/lib/luarocks/rocks-5.4/ebpf/%s-1"):format(tree, VERSION)
    assert.truthy(io.open(prefix .. "/include/ebpf/map.h", "rb")):close()
    assert.truthy(io.open(prefix .. "/share/ebpf/cmake/EbpfEmbed.cmake", "rb")):close()
    assert.truthy(io.open(prefix .. "/share/man/man1/ebpf.1", "rb")):close()
    assert.truthy(io.open(prefix .. "/share/doc/ebpf/install.md", "rb")):close()
    assert.truthy(io.open(prefix .. "/share/doc/ebpf/LICENSE", "rb")):close()
    assert.truthy(io.open(tree .. "/bin/ebpf", "rb")):close()
    -- the command groups of the tool are installed with it, and it runs
    for _, g in ipairs { "util", "prog", "map", "link", "btf", "net", "cgroup", "perf", "struct_ops", "iter" } do
      assert.truthy(io.open(("%s/share/lua/5.4/ebpf/cli/%s.lua"):format(tree, g), "rb")):close()
    end
    local help = helpers.sh(("cd / && LUA_PATH='%s/share/lua/5.4/?.lua;%s/share/lua/5.4/?/init.lua' LUA_CPATH='%s/lib/lua/5.4/?.so' "
      .. "'%s/bin/ebpf' map --help"):format(tree, tree, tree, tree))
    assert.matches("^usage: ebpf map", help)
  end)
end)

describe("API consistency", function()
  it("makes every part requireable as its own module, the same table as ebpf.<part>", function()
    local ebpf = require "ebpf"
    for _, name in ipairs { "map", "program", "link", "btf", "elf", "asm", "ringbuf", "perf", "features" } do
      assert.equal(ebpf[name], require("ebpf." .. name), name)
    end
  end)

  it("names the ids iterators alike and keeps the old names as aliases", function()
    local ebpf = require "ebpf"
    local core = require "ebpf.core"
    assert.equal(core.map_ids, ebpf.map.ids)
    assert.equal(core.prog_ids, ebpf.program.ids)
    assert.equal(core.link_ids, ebpf.link.ids)
    assert.equal(core.btf_ids, ebpf.btf.ids)
    assert.equal(ebpf.link.ids, ebpf.link_ids)
    assert.equal(ebpf.btf.ids, ebpf.btf_ids)
    -- oracle: a map we create is listed by its class's iterator
    local m <close> = assert(ebpf.map { type = "array", key_size = 4, value_size = 4, max_entries = 1 })
    local seen = false
    for id in ebpf.map.ids() do seen = seen or id == m:info().id end
    assert.is_true(seen)
  end)

  -- Runs fn with a fresh `ebpf` whose part `name` raises when loaded; the
  -- suite's own modules are back in place afterwards. Returns pcall's results.
  local function with_broken_part(name, fn)
    local loaded, part = package.loaded, "ebpf." .. name
    local saved_ebpf, saved_part = loaded.ebpf, loaded[part]
    loaded.ebpf, loaded[part] = nil, nil
    package.preload[part] = function() error("broken " .. name .. " part", 0) end
    local ok, err = pcall(fn)
    package.preload[part] = nil
    loaded.ebpf, loaded[part] = saved_ebpf, saved_part
    return ok, err
  end

  it("raises with the cause when a part fails to load", function()
    local ok, err = with_broken_part("ringbuf", function() return require "ebpf" end)
    assert.is_false(ok)
    assert.matches("broken ringbuf part", tostring(err))
  end)

  -- Parts nothing hooks into load on first use (startup: asm alone is a
  -- third of the Lua); run in a fresh interpreter so the suite's own
  -- requires do not hide what `require "ebpf"` loads.
  it("loads the parts that hook nothing on first use, and pairs(ebpf) loads them all", function()
    local out = helpers.sh(("LUA_PATH=%q LUA_CPATH=%q lua5.4 -e %q"):format(package.path, package.cpath, [[
      local ebpf = require "ebpf"
      local before = {}
      for _, n in ipairs { "asm", "hist", "sym", "stack", "features", "btf", "perf" } do
        before[#before + 1] = package.loaded["ebpf." .. n] and n or nil
      end
      local hist = ebpf.hist
      local names = {}
      for k in pairs(ebpf) do names[k] = true end
      io.write(#before, " ", tostring(hist == require "ebpf.hist"), " ",
        tostring(names.asm and names.sym and names.btf_ids and ebpf.btf_ids == ebpf.btf.ids))
    ]]))
    assert.equal("0 true true", out)
  end)

  it("raises with the cause at first use when a part loaded on demand fails", function()
    local ok, err = with_broken_part("hist", function()
      local ebpf = require "ebpf" -- loads, without the broken part
      return ebpf.hist
    end)
    assert.is_false(ok)
    assert.matches("broken hist part", tostring(err))
  end)
end)
