--- ebpf: eBPF for Lua 5.4.
-- The module table gathers the C core (`ebpf.core`) and the pure-Lua parts.
-- Maps: `ebpf.map{...}`; programs: `ebpf.program{...}`; errors are
-- `ebpf.error` objects returned as `nil, err, errno`.
-- @module ebpf

local core = require "ebpf.core"

local ebpf = {
  version = core.version,
  core = core,
  map = core.map,
  program = core.program,
  error = core.error,
}

--- Memlock rlimit helpers.
-- `ebpf.rlimit.remove_memlock()` raises RLIMIT_MEMLOCK only on kernels that
-- still charge BPF memory to it (before 5.11); elsewhere it does nothing.
ebpf.rlimit = {
  remove_memlock = core.remove_memlock,
  memcg_accounting = core.memcg_accounting,
}

--- Iterators over the ids of all maps/programs/links/BTF objects.
ebpf.map.ids = core.map_ids
ebpf.program.ids = core.prog_ids
ebpf.link_ids = core.link_ids
ebpf.btf_ids = core.btf_ids

--- Waiting that Ctrl-C ends: `ebpf.sleep(seconds)` returns true, or
-- false and "SIGINT"/"SIGTERM" when one came first; `ebpf.signal` holds
-- the watch behind it (reader waits end on the same signals).
ebpf.sleep = core.sleep
ebpf.signal = core.signal

ebpf.enable_stats = core.enable_stats
ebpf.possible_cpus = core.possible_cpus
ebpf.map_types = core.map_types
ebpf.prog_types = core.prog_types
ebpf.attach_types = core.attach_types

--- Removes a pinned object (map, program or link) from bpffs: nothing
-- else (a regular file, a directory, a path outside bpffs) is removed.
ebpf.unpin = core.unpin

-- Optional parts, loaded when present so that areas can land one by one.
for _, name in ipairs { "asm", "btf", "elf", "link", "ringbuf", "perf", "features", "hist" } do
  local ok, mod = pcall(require, "ebpf." .. name)
  if ok then
    ebpf[name] = mod
  elseif not tostring(mod):find("module 'ebpf." .. name .. "' not found", 1, true) then
    error(mod, 0)
  end
end

-- ELF objects (area elf): ebpf.open / ebpf.load / ebpf.compile.
if ebpf.elf then
  ebpf.open = ebpf.elf.open
  ebpf.load = ebpf.elf.load
  ebpf.compile = ebpf.elf.compile
end

return ebpf
