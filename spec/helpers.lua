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
  -- Inside a test, busted's `pending` (which marks the running test) is
  -- in the test function's environment, not in this file's.
  local caller = debug.getinfo(2, "f").func
  for i = 1, math.huge do
    local name, env = debug.getupvalue(caller, i)
    if not name then break end
    if name == "_ENV" and type(env) == "table" and env.pending then env.pending(reason) end
  end
  return true
end

--- Path of a compiled testdata object.
function helpers.testdata(name)
  return build .. "/testdata/" .. name
end

--- Whole contents of a file (raises if it cannot be read).
function helpers.read_file(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
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

--- Makes sure a bpffs is mounted at /sys/fs/bpf and returns a fresh
-- directory under it for the calling test (removed by the caller).
function helpers.bpffs_dir(name)
  local f = io.open("/proc/mounts")
  local mounts = f:read("a")
  f:close()
  if not mounts:find(" /sys/fs/bpf bpf ", 1, true) then
    helpers.sh("mkdir -p /sys/fs/bpf && mount -t bpf bpf /sys/fs/bpf")
  end
  local dir = ("/sys/fs/bpf/ebpf-lua-test-%s-%d"):format(name or "t", math.random(1, 1 << 30))
  helpers.sh("mkdir -p " .. dir)
  return dir
end

--- bpftool's JSON output for `args`, decoded with a tiny JSON reader.
function helpers.bpftool_json(args)
  local out = helpers.sh("bpftool -j " .. args)
  return helpers.json_decode(out)
end

-- Minimal JSON decoder (objects, arrays, strings, numbers, literals), for
-- reading oracle output in tests.
function helpers.json_decode(s)
  local pos = 1
  local function ws() pos = s:find("[^ \t\r\n]", pos) or #s + 1 end
  local value
  local function str()
    local out, i = {}, pos + 1
    while true do
      local c = s:sub(i, i)
      if c == '"' then pos = i + 1; return table.concat(out) end
      if c == "\\" then
        local e = s:sub(i + 1, i + 1)
        local map = { n = "\n", t = "\t", r = "\r", b = "\b", f = "\f" }
        if e == "u" then
          out[#out + 1] = utf8.char(tonumber(s:sub(i + 2, i + 5), 16)); i = i + 6
        else
          out[#out + 1] = map[e] or e; i = i + 2
        end
      else
        out[#out + 1] = c; i = i + 1
      end
    end
  end
  function value()
    ws()
    local c = s:sub(pos, pos)
    if c == "{" then
      local t = {}
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "}" then pos = pos + 1; return t end
      while true do
        ws(); local k = str(); ws(); pos = pos + 1
        t[k] = value(); ws()
        local d = s:sub(pos, pos); pos = pos + 1
        if d == "}" then return t end
      end
    elseif c == "[" then
      local t = {}
      pos = pos + 1; ws()
      if s:sub(pos, pos) == "]" then pos = pos + 1; return t end
      while true do
        t[#t + 1] = value(); ws()
        local d = s:sub(pos, pos); pos = pos + 1
        if d == "]" then return t end
      end
    elseif c == '"' then
      return str()
    elseif s:sub(pos, pos + 3) == "true" then pos = pos + 4; return true
    elseif s:sub(pos, pos + 4) == "false" then pos = pos + 5; return false
    elseif s:sub(pos, pos + 3) == "null" then pos = pos + 4; return nil
    else
      local num = s:match("^-?[%d.eE+-]+", pos)
      pos = pos + #num
      return math.tointeger(tonumber(num)) or tonumber(num)
    end
  end
  return value()
end

package.loaded["helpers"] = helpers
package.loaded["spec.helpers"] = helpers
return helpers
