-- Loaded by busted before every spec file (see .busted). Makes the module
-- importable from the source tree and, after every test, runs a full GC
-- and checks that the process's open fds are back to their baseline, so a
-- leaked handle fails the test that leaked it.
local build = os.getenv("EBPF_BUILD") or "build"
package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
package.cpath = build .. "/?.so;" .. package.cpath

local core = require "ebpf.core"

local helpers = {}
helpers.build = build
helpers.require_kernel = os.getenv("EBPF_REQUIRE_KERNEL") == "1"

local function full_gc()
  collectgarbage("collect")
  collectgarbage("collect")
end

local baseline
local busted_api = require "busted"
local before_each, after_each = busted_api.before_each, busted_api.after_each
if before_each and after_each then
  before_each(function()
    full_gc()
    baseline = core.open_fds()
  end)
  after_each(function()
    full_gc()
    local now = core.open_fds()
    if now ~= baseline then
      local was = baseline
      baseline = now -- report a leak once, not in every later test
      error(("fd leak: %d open fds after the test, %d before"):format(now, was), 0)
    end
  end)
end

--- Skips a test for a missing kernel feature with its reason; under
-- EBPF_REQUIRE_KERNEL=1 (CI) a skip of a feature listed as present on the
-- CI machine is a failure instead.
function helpers.skip_unless(cond, reason, known_present)
  if cond then return false end
  if helpers.require_kernel and known_present then
    error("kernel feature expected on this machine is missing: " .. reason, 2)
  end
  pending(reason)
  return true
end

--- Path of a compiled testdata object.
function helpers.testdata(name)
  return build .. "/testdata/" .. name
end

--- Runs a shell command, returning its stdout (raises on failure).
function helpers.sh(cmd)
  local f = assert(io.popen(cmd .. " 2>&1"))
  local out = f:read("a")
  local ok, _, code = f:close()
  if not ok then
    error(("command failed (%s): %s\n%s"):format(tostring(code), cmd, out), 2)
  end
  return out
end

--- Instruction bytes from a list of {op, dst, src, off, imm} tuples (for
-- tests that must not depend on ebpf.asm).
function helpers.insns(list)
  local parts = {}
  for _, i in ipairs(list) do
    parts[#parts + 1] = string.pack("<BBi2i4", i[1], (i[3] or 0) << 4 | (i[2] or 0), i[4] or 0, i[5] or 0)
  end
  return table.concat(parts)
end

--- `r0 = imm; exit` as bytes.
function helpers.return_imm(imm)
  return helpers.insns { { 0xb7, 0, 0, 0, imm }, { 0x95 } }
end

package.loaded["helpers"] = helpers
package.loaded["spec.helpers"] = helpers
return helpers
