-- Shared by the examples. Load it first, from the example's own directory:
--
--   local ex = dofile((arg[0]:match("^(.*)/") or ".") .. "/common.lua")
--   local ebpf = ex.ebpf
--   local opt = ex.args { duration = 5, pid = false }   -- --duration S --pid P
--
-- It finds the module from a source checkout after `make build` (../lua and
-- ../build next to this file; EBPF_BUILD overrides the build dir) and falls
-- back to the installed module otherwise, so examples run with no
-- environment set up. It also compiles examples/<name>.bpf.c (ex.load).
local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local root = here .. "/.."

local function exists(p)
  local f = io.open(p, "rb")
  if f then f:close() end
  return f ~= nil
end

-- Source tree first (only when it is one), then whatever is installed.
if exists(root .. "/lua/ebpf/init.lua") then
  package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
end
local build = os.getenv("EBPF_BUILD")
if build and not build:find("^/") and not exists(build .. "/ebpf/core.so") then build = root .. "/" .. build end
build = build or (root .. "/build")
if exists(build .. "/ebpf/core.so") then package.cpath = build .. "/?.so;" .. package.cpath end

local ebpf = require "ebpf"

local M = { ebpf = ebpf, dir = here }

io.stdout:setvbuf("line") -- events show up as they come, also through a pipe

local function usage_error(msg, defaults)
  local names = {}
  for k, v in pairs(defaults) do
    local flag = "--" .. k:gsub("_", "-")
    names[#names + 1] = "[" .. flag .. (v == true and "" or (type(v) == "string" and " STRING" or " N")) .. "]"
  end
  table.sort(names)
  io.stderr:write(("%s: %s\nusage: lua5.4 %s %s\n"):format(arg[0], msg, arg[0], table.concat(names, " ")))
  os.exit(2)
end

--- Options from the command line: `defaults` names every accepted option
-- (`--name VALUE`, `-` or `_` alike) with its default; a number default (or
-- `false`: optional, nil when absent) takes a number, a string default a
-- string, `true` declares a flag without value (true when given, else nil). Unknown options stop the script with a usage line.
function M.args(defaults)
  local opt = {}
  for k, v in pairs(defaults) do if type(v) ~= "boolean" then opt[k] = v end end
  local i = 1
  while arg and i <= #arg do
    local a = arg[i]
    local name = a:match("^%-%-([%w%-_]+)$")
    local key = name and name:gsub("%-", "_")
    if not key or defaults[key] == nil then usage_error("unknown option '" .. a .. "'", defaults) end
    local def = defaults[key]
    if def == true then
      opt[key] = true
      i = i + 1
    else
      local v = arg[i + 1]
      if v == nil then usage_error("option '" .. a .. "' needs a value", defaults) end
      if type(def) == "number" or def == false then
        v = tonumber(v) or (def ~= false and usage_error("option '" .. a .. "' needs a number", defaults)) or v
      end
      opt[key] = v
      i = i + 2
    end
  end
  return opt
end

--- Seconds to run, from `--duration N` (default `def`); kept for scripts
-- that take no other option.
function M.duration(def)
  for i = 1, #(arg or {}) do
    if arg[i] == "--duration" and tonumber(arg[i + 1]) then return tonumber(arg[i + 1]) end
  end
  return def
end

local function sh(cmd)
  local f = assert(io.popen(cmd .. " 2>&1"))
  local out = f:read("a")
  return f:close(), out
end

--- Compiles examples/<name>.bpf.c (ebpf.compile: clang, -g for BTF, the
-- kernel's vmlinux.h) and loads it: a collection. `vars` sets constants
-- (`const volatile` globals) before the load, e.g. { target_pid = 42 }.
function M.load(name, vars)
  local spec, err = ebpf.compile(here .. "/" .. name .. ".bpf.c")
  if not spec then error(tostring(err), 2) end
  for k, v in pairs(vars or {}) do spec.vars[k] = v end
  local coll, lerr = spec:load()
  if not coll then error(tostring(lerr), 2) end
  return coll
end

--- A loop condition: true until `seconds` have passed (nil: no limit) or
-- SIGINT/SIGTERM came. `local running = ex.timer(opt.duration)`,
-- `while running() do reader:poll(100, print_event) end`.
function M.timer(seconds)
  local deadline = seconds and M.now() + seconds
  return function()
    return not M.stopped() and (not deadline or M.now() < deadline)
  end
end

--- Waits `seconds`; false (and the signal's name) if SIGINT/SIGTERM came
-- first (ebpf.sleep), so `while ex.sleep(1) do ... end` stops at Ctrl-C.
function M.sleep(seconds)
  if ebpf.sleep then return ebpf.sleep(seconds) end
  sh(("sleep %.3f"):format(seconds))
  return true
end

--- Waits `seconds` (nil: until Ctrl-C) or until SIGINT/SIGTERM, for a
-- tool that prints its summary at the end: `ex.wait(opt.duration)`.
function M.wait(seconds)
  if seconds then return M.sleep(seconds) end
  repeat until not M.sleep(3600)
  return false
end

--- True once SIGINT/SIGTERM reached the script (after a wait began).
function M.stopped()
  return ebpf.signal ~= nil and ebpf.signal.pending() ~= nil
end

--- Monotonic clock in seconds.
function M.now()
  return ebpf.core.monotime_ns() / 1e9
end

return M
