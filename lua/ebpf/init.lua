--- ebpf: eBPF for Lua 5.4.
-- The module table gathers the C core (`ebpf.core`) and the pure-Lua parts.
-- Maps: `ebpf.map{...}`; programs: `ebpf.program{...}`; errors are
-- `ebpf.error` objects returned as `nil, err, errno`.
-- @module ebpf

local core = require "ebpf.core"

local ebpf = {
  version = core.version, -- "0.2.0", from the VERSION file at build time
  _VERSION = core._VERSION, -- "ebpf 0.2.0"
  core = core,
  map = require "ebpf.map",
  program = require "ebpf.program",
  error = core.error,
}

--- Memlock rlimit helpers.
-- `ebpf.rlimit.remove_memlock()` raises RLIMIT_MEMLOCK only on kernels that
-- still charge BPF memory to it (before 5.11); elsewhere it does nothing.
ebpf.rlimit = {
  remove_memlock = core.remove_memlock,
  memcg_accounting = core.memcg_accounting,
}


--- Waiting that Ctrl-C ends: `ebpf.sleep(seconds)` returns true, or
-- false and "SIGINT"/"SIGTERM" when one came first; `ebpf.signal` holds
-- the watch behind it (reader waits end on the same signals).
ebpf.sleep = core.sleep
ebpf.signal = core.signal

--- bpf_printk output: `for ev in ebpf.trace_pipe{timeout = 1000} do`
-- (docs/trace_pipe.md); `ebpf.parse_trace_line(line)` parses one line.
ebpf.trace_pipe = core.trace_pipe
ebpf.parse_trace_line = core.parse_trace_line

ebpf.enable_stats = core.enable_stats
ebpf.possible_cpus = core.possible_cpus
ebpf.map_types = core.map_types
ebpf.prog_types = core.prog_types
ebpf.attach_types = core.attach_types

--- Removes a pinned object (map, program or link) from bpffs: nothing
-- else (a regular file, a directory, a path outside bpffs) is removed.
ebpf.unpin = core.unpin

-- Every part is its own module (`require "ebpf.link"`). Those that hook
-- into the C objects (link: prog:attach and coll:attach; ringbuf: the
-- readers' type resolver) and elf (ebpf.load) load now; the others on
-- first use, so that a script pays only for what it touches (asm alone
-- is a third of the Lua). A part that fails to load raises with its cause
-- at that first use instead of leaving a hole; pairs(ebpf) loads them all.
for _, name in ipairs { "elf", "link", "ringbuf" } do
  ebpf[name] = require("ebpf." .. name)
end
local lazy = { asm = true, btf = true, perf = true, features = true, hist = true, sym = true, stack = true }

--- Iterators over object ids: `ebpf.map.ids`, `ebpf.program.ids`,
-- `ebpf.link.ids`, `ebpf.btf.ids`; the older names `ebpf.link_ids` and
-- `ebpf.btf_ids` stay as documented aliases.
ebpf.link_ids = ebpf.link.ids
local aliases = { btf_ids = { "btf", "ids" } }

-- ELF objects: ebpf.open / ebpf.load / ebpf.compile.
ebpf.open = ebpf.elf.open
ebpf.load = ebpf.elf.load
ebpf.compile = ebpf.elf.compile

local function load_part(t, k)
  if lazy[k] then
    local m = require("ebpf." .. k)
    rawset(t, k, m)
    return m
  end
  local a = aliases[k]
  if a then
    local v = t[a[1]][a[2]]
    rawset(t, k, v)
    return v
  end
  return nil
end

setmetatable(ebpf, {
  __index = load_part,
  __pairs = function(t)
    for k in pairs(lazy) do load_part(t, k) end
    for k in pairs(aliases) do load_part(t, k) end
    return next, t, nil
  end,
})

return ebpf
