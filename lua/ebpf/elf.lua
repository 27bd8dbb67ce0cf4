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
-- Nothing here goes through a shell: clang runs from an argv list
-- (core.spawn), temp files live in a private mkdtemp directory and are
-- created O_EXCL|O_NOFOLLOW, and the vmlinux.h cache is trusted only when
-- the directory and the file are the user's own (docs/security.md).

local CLANGS = { "clang-19", "clang-18", "clang-17", "clang-16", "clang-15", "clang-14", "clang" }

-- The compiler: opts.clang, else $EBPF_CLANG, else the newest clang on
-- PATH. A compiler that was named but cannot be found is an error, never
-- silently replaced by another.
local function find_clang(explicit)
  if explicit then
    return core.which(explicit), ("'%s' (opts.clang) not found: install the Debian package 'clang' (or clang-19) "
      .. "or name an existing compiler"):format(explicit)
  end
  local env = os.getenv("EBPF_CLANG")
  if env and env ~= "" then
    return core.which(env), ("'%s' (EBPF_CLANG) not found: install the Debian package 'clang' (or clang-19) "
      .. "or name an existing compiler"):format(env)
  end
  for _, c in ipairs(CLANGS) do
    local p = core.which(c)
    if p then return p end
  end
  return nil, "clang not found: install the Debian package 'clang' (or clang-19) to compile BPF C"
end

--- The cache directory: $XDG_CACHE_HOME/ebpf-lua or $HOME/.cache/ebpf-lua;
-- for root without either, /var/cache/ebpf-lua; otherwise none (never a
-- shared /tmp). Created 0700 and refused unless it is the user's own.
local function cache_dir()
  local xdg, home = os.getenv("XDG_CACHE_HOME"), os.getenv("HOME")
  local dir
  if xdg and xdg:sub(1, 1) == "/" then
    dir = xdg .. "/ebpf-lua"
  elseif home and home:sub(1, 1) == "/" and home ~= "/" then
    dir = home .. "/.cache/ebpf-lua"
  elseif core.geteuid and core.geteuid() == 0 then
    dir = "/var/cache/ebpf-lua"
  else
    return nil, "no cache directory ($XDG_CACHE_HOME and $HOME unset)"
  end
  local ok, err = core.private_dir(dir)
  if not ok then return nil, err end
  return dir
end
M.cache_dir = cache_dir

local function kernel_id()
  local f = io.open("/proc/sys/kernel/osrelease")
  local rel = f and f:read("l") or "unknown"
  if f then f:close() end
  local v = io.open("/proc/version")
  local ver = v and v:read("l") or ""
  if v then v:close() end
  local h = 0
  for i = 1, #ver do h = (h * 31 + ver:byte(i)) & 0xffffffff end
  return (rel:gsub("[^%w._-]", "_")) .. "-" .. string.format("%08x", h)
end

-- Writes a cache file atomically: a fresh O_EXCL temp name in the same
-- private directory, then rename over the final name.
local function cache_put(dir, name, data)
  local tmp = ("%s/.%s.%d.%d.tmp"):format(dir, name, math.random(1, 1 << 30), core.monotime_ns() % 1000000007)
  local ok, err = core.write_new(tmp, data)
  if not ok then return nil, err end
  local rok, rerr = os.rename(tmp, dir .. "/" .. name)
  if not rok then os.remove(tmp) return nil, rerr end
  return dir .. "/" .. name
end

local function vmlinux_text()
  local btfmod = package.loaded["ebpf.btf"] or core.btf
  local kernel = btfmod and btfmod.kernel and btfmod.kernel()
  if kernel and kernel.dump_c then return kernel:dump_c() end
  return nil, "cannot generate vmlinux.h: the kernel has no BTF (/sys/kernel/btf/vmlinux)"
end

--- vmlinux.h generated from the running kernel's BTF by the library's own
-- C dumper, cached per kernel build in the user's cache directory
-- (<cache>/kernel-<release>-<hash>/vmlinux.h, so that directory is what
-- clang gets with -I). Returns its path; in `tmpdir`/include when there is
-- no usable cache directory.
function M.vmlinux_h(tmpdir)
  local cache = cache_dir()
  local dir = cache and cache .. "/kernel-" .. kernel_id()
  if dir and not core.private_dir(dir) then dir = nil end
  if dir and core.owned_file(dir .. "/vmlinux.h") then return dir .. "/vmlinux.h" end
  local text, err = vmlinux_text()
  if not text then return nil, err end
  if dir then
    local path = cache_put(dir, "vmlinux.h", text)
    if path then return path end
  end
  if not tmpdir then return nil, "no cache directory for vmlinux.h" end
  local inc = tmpdir .. "/include"
  local ok, derr = core.private_dir(inc)
  if not ok then return nil, derr end
  local path = inc .. "/vmlinux.h"
  local wok, werr = core.write_new(path, text)
  if not wok then return nil, werr end
  return path
end

--- cflags: a list is passed as is; a string is split at whitespace, with
-- no quoting, no expansion and no shell (documented in docs/elf.md).
local function split_cflags(cflags)
  if cflags == nil then return {} end
  if type(cflags) == "table" then
    local t = {}
    for i, v in ipairs(cflags) do
      if type(v) ~= "string" then error(("cflags[%d] must be a string"):format(i), 3) end
      t[i] = v
    end
    return t
  end
  if type(cflags) ~= "string" then error("cflags must be a string or a list of strings", 3) end
  local t = {}
  for w in cflags:gmatch("%S+") do t[#t + 1] = w end
  return t
end

local ARCH = { x86_64 = "x86", aarch64 = "arm64", s390x = "s390", ppc64le = "powerpc", riscv64 = "riscv" }

local compile_fields = { cflags = true, name = true, vmlinux = true, keep = true, clang = true, cache = true }

-- The compiled-object cache: <cache>/obj-<key>.o where the key hashes the
-- source, every argument but the private temp paths, the compiler (path
-- and file identity: a new clang is a new key), the vmlinux.h used and,
-- for a source file, its directory (where its "..." includes are found).
-- Every header clang read (its -MD list: ours, libbpf's, the system's) is
-- stored with its file identity; an entry whose headers changed misses.
local function object_key(src_text, argv, clang, vh, srcdir)
  local args = {}
  for i = 2, #argv do args[#args + 1] = argv[i] end
  return core.hash(src_text, table.concat(args, "\1"), clang, core.file_id(clang) or "",
    vh and (vh .. (core.file_id(vh) or "")) or "", srcdir and (srcdir .. (core.file_id(srcdir) or "")) or "")
end

local OBJ_MAGIC = "ebpf-lua compiled object 2\n"

-- The prerequisites in the make rule clang -MD writes ("obj: a b c", lines
-- continued with a backslash), unescaped: backslash-space is a space,
-- backslash-hash a hash, "$$" a dollar.
local function parse_deps(text)
  text = text:gsub("\\\r?\n", " ")
  local words, cur, i = {}, {}, 1
  while i <= #text do
    local c, n = text:sub(i, i), text:sub(i + 1, i + 1)
    if c == "\\" and (n == " " or n == "#" or n == "\\") then
      cur[#cur + 1] = n
      i = i + 2
    elseif c == "$" and n == "$" then
      cur[#cur + 1] = "$"
      i = i + 2
    elseif c:match("%s") then
      if #cur > 0 then words[#words + 1] = table.concat(cur) cur = {} end
      i = i + 1
    else
      cur[#cur + 1] = c
      i = i + 1
    end
  end
  if #cur > 0 then words[#words + 1] = table.concat(cur) end
  if not words[1] or words[1]:sub(-1) ~= ":" then return nil end
  table.remove(words, 1)
  return words
end

-- A cache entry: magic, the headers with their identities, the object.
local function pack_entry(deps, obj)
  local t = { OBJ_MAGIC, string.pack("<I4", #deps) }
  for _, d in ipairs(deps) do t[#t + 1] = string.pack("<s4s4", d.path, d.id) end
  t[#t + 1] = obj
  return table.concat(t)
end

-- The object of a cache entry whose headers are all unchanged, else nil.
local function unpack_entry(data)
  if data:sub(1, #OBJ_MAGIC) ~= OBJ_MAGIC then return nil end
  local ok, obj = pcall(function()
    local n, pos = string.unpack("<I4", data, #OBJ_MAGIC + 1)
    for _ = 1, n do
      local path, id
      path, id, pos = string.unpack("<s4s4", data, pos)
      if core.file_id(path) ~= id then return nil end
    end
    return data:sub(pos)
  end)
  return ok and obj or nil
end

--- Compiles BPF C (a source string or a .c path) with clang and opens it.
-- opts: cflags (list, or string split at whitespace), name, vmlinux
-- (false: no vmlinux.h), clang (the compiler; default: $EBPF_CLANG, then
-- clang-19 ... clang on PATH), keep (keep the private temp directory),
-- cache (default true: reuse an object compiled from the same inputs).
function M.compile(src, opts)
  opts = opts or {}
  if type(src) ~= "string" then error("bad argument #1 to 'compile' (source or path expected)", 2) end
  for k in pairs(opts) do
    if not compile_fields[k] then error("invalid field name '" .. tostring(k) .. "'", 2) end
  end
  local cflags = split_cflags(opts.cflags)
  local clang, cerr = find_clang(opts.clang)
  if not clang then return nil, "ebpf.compile: " .. cerr end
  local tmpdir, terr = core.mkdtemp()
  if not tmpdir then return nil, "ebpf.compile: " .. tostring(terr) end
  local function finish(...)
    if not opts.keep then
      core.rmdir_private(tmpdir .. "/include") -- (vmlinux.h staged there without a cache dir)
      core.rmdir_private(tmpdir)
    end
    return ...
  end
  local path = src
  if src:find("\n") or not src:match("%.c$") then
    path = tmpdir .. "/prog.bpf.c"
    local ok, werr = core.write_new(path, src)
    if not ok then return finish(nil, "ebpf.compile: " .. tostring(werr)) end
  end
  local argv = { clang, "-O2", "-g", "-target", "bpf",
    "-D__TARGET_ARCH_" .. (ARCH[core.machine() or ""] or "x86"), "-idirafter", "/usr/include/x86_64-linux-gnu" }
  local vmlinux_used
  if opts.vmlinux ~= false then
    local vh, verr = M.vmlinux_h(tmpdir)
    if vh then
      vmlinux_used = vh
      argv[#argv + 1] = "-I" .. vh:match("^(.*)/vmlinux%.h$")
    elseif src:find("vmlinux%.h") then
      return finish(nil, "ebpf.compile: " .. verr)
    end
  end
  for _, f in ipairs(cflags) do argv[#argv + 1] = f end
  local name = opts.name or (src == path and path:match("([^/]+)%.c$")) or "inline"
  local cache = opts.cache ~= false and cache_dir()
  local key, cached
  if cache then
    local text = src == path and core.read_file(path, "source") or src
    if text then
      local srcdir = src == path and (path:match("^(.*)/[^/]*$") or ".") or nil
      key = "obj-" .. object_key(text, argv, clang, vmlinux_used, srcdir) .. ".o"
      local entry = core.owned_file(cache .. "/" .. key) and core.read_file(cache .. "/" .. key, "cached object")
      cached = entry and unpack_entry(entry)
    end
  end
  if cached then return finish(M.open(cached, { name = name })) end
  local obj, depfile = tmpdir .. "/prog.bpf.o", tmpdir .. "/prog.d"
  if key then for _, a in ipairs { "-MD", "-MF", depfile } do argv[#argv + 1] = a end end
  for _, a in ipairs { "-c", path, "-o", obj } do argv[#argv + 1] = a end
  local ok, out = core.spawn(argv)
  if not ok then
    return finish(nil, "ebpf.compile: clang failed:\n" .. tostring(out))
  end
  local bytes = core.read_file(obj, "object")
  if not bytes then return finish(nil, "ebpf.compile: clang wrote no object") end
  local deptext = key and core.read_file(depfile, "dependency list")
  local words = deptext and parse_deps(deptext)
  if words then
    local deps = {}
    for _, w in ipairs(words) do
      -- the private copy of an inline source is covered by the key
      if w:sub(1, #tmpdir + 1) ~= tmpdir .. "/" then
        local id = core.file_id(w)
        if not id then deps = nil break end -- unreadable now: don't cache
        deps[#deps + 1] = { path = w, id = id }
      end
    end
    if deps then cache_put(cache, key, pack_entry(deps, bytes)) end
  end
  return finish(M.open(bytes, { name = name }))
end

return M
