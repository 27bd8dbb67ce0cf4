-- RLIMIT_MEMLOCK on kernels that charge BPF memory to it (before 5.11):
-- the library raises it before the first creation, as libbpf 1.x does,
-- and an EPERM names memlock where it is the cause. Run here and in the
-- 5.10 VM (.ci/steps/53-maptypes-vm.sh) under `ulimit -l 64`.
local ebpf = require "ebpf"
local helpers = require "helpers"

local SCRIPT = [[
package.path = "lua/?.lua;lua/?/init.lua;" .. package.path
package.cpath = os.getenv("EBPF_BUILD") .. "/?.so;" .. package.cpath
local ebpf = require "ebpf"
local m, err = ebpf.map { type = "hash", key_size = 8, value_size = 256, max_entries = 20000 }
print(m and "created" or tostring(err))
]]

local function run(env)
  local core = require "ebpf.core"
  local dir = assert(core.mkdtemp())
  assert(core.write_new(dir .. "/s.lua", SCRIPT))
  local out = helpers.sh(("ulimit -l 64; %s EBPF_BUILD=%s lua5.4 %s/s.lua 2>&1"):format(env or "", helpers.build, dir))
  core.rmdir_private(dir)
  return out
end

describe("RLIMIT_MEMLOCK", function()
  it("a 5 MiB map is created under ulimit -l 64 (the limit is raised where it is charged)", function()
    assert.equal("created\n", run())
  end)

  it("without the automatic raise, EPERM names memlock on kernels that charge it", function()
    local charged = ebpf.rlimit.memcg_accounting() == false
    local out = run("EBPF_MEMLOCK_AUTO=0")
    if charged then
      assert.matches("EPERM", out, 1, true)
      assert.matches("charges BPF memory to RLIMIT_MEMLOCK", out, 1, true)
    else
      assert.equal("created\n", out) -- memcg accounting (5.11+): the limit does not matter
    end
  end)
end)
