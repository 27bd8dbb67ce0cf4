-- Shared by the examples: module paths when run from a source tree, BPF C
-- compilation (with the kernel's vmlinux.h) and a --duration option.
local here = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local root = here .. "/.."
local build = os.getenv("EBPF_BUILD") or (root .. "/build")
package.path = root .. "/lua/?.lua;" .. root .. "/lua/?/init.lua;" .. package.path
package.cpath = build .. "/?.so;" .. package.cpath

local ebpf = require "ebpf"

local M = { ebpf = ebpf, dir = here }

--- Seconds to run, from `--duration N` (default `def`).
function M.duration(def)
  for i = 1, #arg do
    if arg[i] == "--duration" and tonumber(arg[i + 1]) then return tonumber(arg[i + 1]) end
  end
  return def
end

local function exists(p)
  local f = io.open(p)
  if f then f:close() end
  return f ~= nil
end

local function sh(cmd)
  local f = assert(io.popen(cmd .. " 2>&1"))
  local out = f:read("a")
  return f:close(), out
end

local function find_clang()
  local env = os.getenv("EBPF_CLANG")
  if env and env ~= "" then return env end
  for _, c in ipairs { "clang-19", "clang-18", "clang-17", "clang-16", "clang-15", "clang-14", "clang" } do
    if sh("command -v " .. c) then return c end
  end
  error("no clang to compile BPF C: install the Debian package clang-19")
end

--- Compiles examples/<name>.bpf.c (clang, -g for BTF, with the kernel's
-- vmlinux.h for CO-RE) and loads it: a collection.
function M.load(name)
  local src = here .. "/" .. name .. ".bpf.c"
  local inc = build .. "/testdata" -- vmlinux.h written by the library's own BTF dumper
  if not exists(inc .. "/vmlinux.h") then
    local vh = assert(ebpf.elf.vmlinux_h())
    inc = vh:match("^(.*)/[^/]*$")
    os.execute(("ln -sf '%s' '%s/vmlinux.h'"):format(vh, inc))
  end
  local obj = os.tmpname()
  local ok, out = sh(("%s -O2 -g -target bpf -D__TARGET_ARCH_x86 -I'%s' -idirafter /usr/include/x86_64-linux-gnu"
    .. " -c '%s' -o '%s'"):format(find_clang(), inc, src, obj))
  if not ok then
    os.remove(obj)
    error("compiling " .. src .. " failed:\n" .. out)
  end
  local coll, err = ebpf.elf.load(obj)
  os.remove(obj)
  return assert(coll, err)
end

--- Monotonic-enough wall clock in seconds (os.time has 1 s steps).
function M.now()
  local f = io.open("/proc/uptime")
  local t = f and tonumber(f:read("a"):match("^(%S+)"))
  if f then f:close() end
  return t or os.time()
end

return M
