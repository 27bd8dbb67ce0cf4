--- ebpf.elf: clang-compiled BPF objects.
-- `open(path_or_bytes [, opts])` parses an object into an editable
-- `ebpf.spec`; `spec:load([opts])` gives an `ebpf.collection`;
-- `load(...)` does both; `compile(source_or_path [, opts])` runs clang.
-- @module ebpf.elf

local core = require "ebpf.core"

local M = {}

M.section_info = core.section_info

--- Parses an ELF object (a path, or the bytes of one) without the kernel.
function M.open(src, opts)
  if type(src) ~= "string" then
    error("bad argument #1 to 'open' (path or object bytes expected, got " .. type(src) .. ")", 2)
  end
  return core.elf_open(src, opts)
end

local open_fields = { name = true }
local load_fields = { pin_root = true, kernel_btf = true, log_level = true, replace_maps = true, token_path = true }

--- Opens and loads in one go; opts may mix open and load options.
function M.load(src, opts)
  local oo, lo
  if opts ~= nil then
    if type(opts) ~= "table" then
      error("bad argument #2 to 'load' (table expected, got " .. type(opts) .. ")", 2)
    end
    for k, v in pairs(opts) do
      if open_fields[k] then
        oo = oo or {}
        oo[k] = v
      elseif load_fields[k] then
        lo = lo or {}
        lo[k] = v
      else
        error("invalid field name '" .. tostring(k) .. "'", 2)
      end
    end
  end
  local spec, err, errno = M.open(src, oo)
  if not spec then return nil, err, errno end
  return spec:load(lo)
end

-- ---- compile ----

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function run(cmd)
  local f = io.popen(cmd .. " 2>&1")
  local out = f:read("a")
  local ok, _, code = f:close()
  return ok, out, code
end

local function find_clang(explicit)
  if explicit then
    return run("command -v " .. shell_quote(explicit) .. " >/dev/null") and explicit or nil
  end
  local list = { "clang-19", "clang-18", "clang-17", "clang-16", "clang-15", "clang-14", "clang" }
  local env = os.getenv("EBPF_CLANG")
  if env and env ~= "" then table.insert(list, 1, env) end
  for _, c in ipairs(list) do
    if run("command -v " .. shell_quote(c) .. " >/dev/null") then return c end
  end
end

local function cache_dir()
  local base = os.getenv("XDG_CACHE_HOME") or ((os.getenv("HOME") or "/tmp") .. "/.cache")
  return base .. "/ebpf-lua"
end

local function file_exists(p)
  local f = io.open(p, "rb")
  if f then f:close() return true end
  return false
end

--- vmlinux.h generated from the running kernel's BTF (cached per kernel
-- build id): by the library's own C dumper when ebpf.btf provides one.
function M.vmlinux_h()
  local btfmod = package.loaded["ebpf.btf"] or core.btf
  local kernel_id
  do
    local f = io.open("/proc/sys/kernel/osrelease") ; local rel = f and f:read("l") or "unknown"
    if f then f:close() end
    local v = io.open("/proc/version") ; local ver = v and v:read("l") or ""
    if v then v:close() end
    local h = 0
    for i = 1, #ver do h = (h * 31 + ver:byte(i)) & 0xffffffff end
    kernel_id = rel .. "-" .. string.format("%08x", h)
  end
  local dir = cache_dir()
  local path = dir .. "/vmlinux-" .. kernel_id .. ".h"
  if file_exists(path) then return path end
  local text
  if btfmod then
    local kernel = btfmod.kernel and btfmod.kernel()
    if kernel and kernel.dump_c then text = kernel:dump_c() end
  end
  if not text then
    -- until the library's C dumper is present: bpftool, if installed
    local ok, out = run("PATH=$PATH:/usr/sbin bpftool btf dump file /sys/kernel/btf/vmlinux format c")
    if ok and out:find("#ifndef __VMLINUX_H__", 1, true) then text = out end
  end
  if not text then
    return nil, "cannot generate vmlinux.h: no C dumper (ebpf.btf) and no bpftool"
  end
  os.execute("mkdir -p " .. shell_quote(dir))
  local tmp = path .. ".tmp" .. tostring(os.time())
  local f, err = io.open(tmp, "wb")
  if not f then return nil, err end
  f:write(text)
  f:close()
  os.rename(tmp, path)
  return path
end

local compile_fields = { cflags = true, name = true, vmlinux = true, keep = true, clang = true }

--- Compiles BPF C (a source string or a .c path) with clang and opens it.
-- opts: cflags (string or list), name, vmlinux (false: no vmlinux.h),
-- clang (the compiler to run; default: clang-19 ... clang on PATH).
function M.compile(src, opts)
  opts = opts or {}
  for k in pairs(opts) do
    if not compile_fields[k] then error("invalid field name '" .. tostring(k) .. "'", 2) end
  end
  local clang = find_clang(opts.clang)
  if not clang then
    return nil, "ebpf.compile: " .. (opts.clang and ("'" .. opts.clang .. "' not found") or "clang not found") ..
      ": install the Debian package 'clang' (or clang-19) to compile BPF C"
  end
  local tmpdir = os.tmpname()
  os.remove(tmpdir)
  assert(os.execute("mkdir -p " .. shell_quote(tmpdir)))
  local path = src
  if src:find("\n") or not src:match("%.c$") then
    path = tmpdir .. "/prog.bpf.c"
    local f = assert(io.open(path, "wb"))
    f:write(src)
    f:close()
  end
  local incs = {}
  if opts.vmlinux ~= false then
    local vh, verr = M.vmlinux_h()
    if vh then
      os.execute("ln -sf " .. shell_quote(vh) .. " " .. shell_quote(tmpdir .. "/vmlinux.h"))
      incs[#incs + 1] = "-I" .. shell_quote(tmpdir)
    elseif src:find("vmlinux%.h") then
      return nil, "ebpf.compile: " .. verr
    end
  end
  local cflags = opts.cflags or ""
  if type(cflags) == "table" then
    local q = {}
    for i, v in ipairs(cflags) do q[i] = shell_quote(v) end
    cflags = table.concat(q, " ")
  end
  local obj = tmpdir .. "/prog.bpf.o"
  local um = io.popen("uname -m")
  local arch = ({ x86_64 = "x86", aarch64 = "arm64", s390x = "s390", ppc64le = "powerpc", riscv64 = "riscv" })[
    (um:read("l") or "")] or "x86"
  um:close()
  local cmd = table.concat({ clang, "-O2", "-g", "-target bpf", "-D__TARGET_ARCH_" .. arch,
    "-idirafter /usr/include/x86_64-linux-gnu", table.concat(incs, " "), cflags,
    "-c", shell_quote(path), "-o", shell_quote(obj) }, " ")
  local ok, out = run(cmd)
  local spec, err, errno
  if ok then
    local f = assert(io.open(obj, "rb"))
    local bytes = f:read("a")
    f:close()
    spec, err, errno = M.open(bytes, { name = opts.name or (src == path and path:match("([^/]+)%.c$")) or "inline" })
  else
    err = "ebpf.compile: clang failed:\n" .. out
  end
  if not opts.keep then os.execute("rm -rf " .. shell_quote(tmpdir)) end
  if not spec then return nil, err, errno end
  return spec
end

return M
