--- ebpf.link: attaching programs to hooks.
-- Explicit constructors (`ebpf.link.tracepoint(prog, "syscalls",
-- "sys_enter_openat")`, `ebpf.link.uprobe(prog, {path=, symbol=})`, ...)
-- come from the C core; this module adds `prog:attach([opts])`, which
-- infers the hook from the program's section, and `coll:attach([opts])`,
-- which attaches every program whose section names its target.
-- @module ebpf.link

local core = require "ebpf.core"

local M = {}
for k, v in pairs(core.link) do M[k] = v end
--- Iterator over the ids of all links in the kernel (docs/core.md).
M.ids = core.link_ids

--- The collection (or other parent) a program was loaded from.
local function parent_of(prog)
  local v = debug.getuservalue(prog, 1)
  return v
end

local function split_off(s)
  local name, off = s:match("^(.-)%+(%w+)$")
  if name then return name, math.tointeger(tonumber(off)) end
  return s, 0
end

-- The error level of the first frame outside the library's Lua files, so
-- that an error raised a few calls deep points at the user's line.
local function user_level()
  local k = 1
  while true do
    local info = debug.getinfo(k + 2, "S") -- +2: this function and error()'s caller
    if not info then return 1 end
    if info.what == "C" or not info.source:find("/ebpf/[%w_]+%.lua$") then return k + 1 end
    k = k + 1
  end
end
M.user_level = user_level

local function need(prog, what, example)
  error(("program '%s' (section '%s'): %s; pass it to attach, e.g. prog:attach%s"):format(
    prog.name, tostring(prog.section), what, example), user_level())
end

-- Per attach kind: function(prog, target, opts) -> link | nil, err.
-- `opts` may carry what a section cannot say (interface, cgroup, ...).
local attachers = {}

function attachers.tracepoint(p, t, o)
  local cat, name = t:match("^([^/]+)/(.+)$")
  if not cat then need(p, "section needs 'tracepoint/<category>/<name>'", "()") end
  return M.tracepoint(p, cat, name, o.cookie and { cookie = o.cookie } or nil)
end

function attachers.raw_tracepoint(p, t)
  if t == "" then need(p, "no raw tracepoint name in the section", "()") end
  return M.raw_tracepoint(p, t)
end

function attachers.tracing(p, _, o)
  return M.tracing(p, o.cookie and { cookie = o.cookie } or nil)
end

function attachers.freplace(p, _, o)
  if not o.target then need(p, "freplace needs the target program", "{ target = prog }") end
  return M.freplace(p, { target = o.target, btf_id = o.btf_id })
end

local function kprobe(ret)
  return function(p, t, o)
    local func, off = split_off(t ~= "" and t or (o.func or ""))
    if func == "" then need(p, "no kernel function", "{ func = 'do_sys_openat2' }") end
    return M.kprobe(p, { func = func, offset = off, retprobe = ret, cookie = o.cookie, maxactive = o.maxactive })
  end
end
attachers.kprobe, attachers.kretprobe = kprobe(false), kprobe(true)

local function ksyscall(ret)
  return function(p, t, o)
    return M.ksyscall(p, t ~= "" and t or o.syscall, { retprobe = ret, cookie = o.cookie })
  end
end
attachers.ksyscall, attachers.kretsyscall = ksyscall(false), ksyscall(true)

local function kmulti(ret)
  return function(p, t, o)
    return M.kprobe_multi(p, { pattern = t ~= "" and t or o.pattern, syms = o.syms, retprobe = ret })
  end
end
attachers.kprobe_multi, attachers.kretprobe_multi = kmulti(false), kmulti(true)

-- fentry.multi/fexit.multi/fsession.multi (7.2): the section's target is a glob.
function attachers.tracing_multi(p, t, o)
  return M.tracing_multi(p, { pattern = (not o.funcs and not o.btf_ids) and (t ~= "" and t or o.pattern) or nil,
                              funcs = o.funcs, btf_ids = o.btf_ids, cookies = o.cookies })
end

local function uprobe(ret)
  return function(p, t, o)
    local path, sym = (t or ""):match("^(.*):([^:]+)$")
    path = o.path or path
    sym = o.symbol or sym
    if not path or path == "" then
      need(p, "no binary in the section ('uprobe/<path>:<function>')", "{ path = '/bin/bash', symbol = 'readline' }")
    end
    local off = o.offset or 0
    local opts = { path = path, retprobe = ret, pid = o.pid, cookie = o.cookie, offset = off,
                   ref_ctr_offset = o.ref_ctr_offset }
    if sym then
      local name, soff = split_off(sym)
      if name:match("^0x%x+$") or name:match("^%d+$") then
        opts.offset = off + math.tointeger(tonumber(name))
      else
        opts.symbol, opts.offset = name, off + soff
      end
    end
    return M.uprobe(p, opts)
  end
end
attachers.uprobe, attachers.uretprobe = uprobe(false), uprobe(true)

local function umulti(ret)
  return function(p, t, o)
    local path, sym = (t or ""):match("^(.*):([^:]+)$")
    path = o.path or path
    local syms, pattern = o.syms, o.pattern
    if not syms and not pattern and sym then
      if sym:find("[*?%[]") then pattern = sym else syms = { sym } end
    end
    if not path or not (syms or pattern) then
      need(p, "uprobe.multi needs a path and functions", "{ path = ..., syms = {...} }")
    end
    return M.uprobe_multi(p, { path = path, syms = syms, pattern = pattern, retprobe = ret, pid = o.pid,
                               cookies = o.cookies })
  end
end
attachers.uprobe_multi, attachers.uretprobe_multi = umulti(false), umulti(true)

function attachers.usdt(p, t, o)
  local path, provider, name = (t or ""):match("^(.*):([^:]+):([^:]+)$")
  path, provider, name = o.path or path, o.provider or provider, o.name or name
  if not path or not provider or not name then
    need(p, "usdt needs 'usdt/<path>:<provider>:<name>'", "{ path = ..., provider = ..., name = ... }")
  end
  local spec_map = o.spec_map
  if not spec_map then
    local coll = parent_of(p)
    if coll then
      local ok, maps = pcall(function() return coll.maps end)
      spec_map = ok and maps and maps.ebpf_usdt_specs or nil
    end
  end
  return M.usdt(p, { path = path, provider = provider, name = name, pid = o.pid, cookie = o.cookie,
                     spec_map = spec_map })
end

function attachers.iter(p, _, o)
  return M.iter(p, next(o) and { map = o.map, cgroup = o.cgroup, order = o.order, tid = o.tid, pid = o.pid } or nil)
end

function attachers.netns(p, _, o)
  return M.netns(p, o.netns)
end

local function iface(p, o, kind)
  local i = o.ifname or o.ifindex or o.interface
  if not i then need(p, kind .. " needs an interface", "{ ifname = 'eth0' }") end
  return i
end

function attachers.xdp(p, _, o)
  return M.xdp(p, iface(p, o, "xdp"), { mode = o.mode })
end

function attachers.tcx(p, _, o)
  local dir = o.direction or (p.attach_type == "tcx_egress" and "egress" or "ingress")
  return M.tcx(p, iface(p, o, "tcx"), { direction = dir, before = o.before, after = o.after })
end

function attachers.tc(p, t, o)
  local dir = o.direction or (t == "egress" and "egress" or "ingress")
  return M.tc(p, iface(p, o, "tc"), { direction = dir, prio = o.prio, handle = o.handle, mode = o.mode })
end

function attachers.cgroup(p, _, o)
  if not o.cgroup then need(p, "cgroup programs need a cgroup", "{ cgroup = '/sys/fs/cgroup/...' }") end
  return M.cgroup(p, o.cgroup, { attach_type = o.attach_type, flags = o.flags })
end

function attachers.netfilter(p, _, o)
  if not o.hook then need(p, "netfilter needs a hook", "{ hook = 'local_in', priority = 0 }") end
  return M.netfilter(p, { family = o.family, hook = o.hook, priority = o.priority, defrag = o.defrag })
end

function attachers.perf_event(p, _, o)
  if not (o.event or o.type) then need(p, "perf_event needs an event", "{ event = 'cpu_clock', freq = 99 }") end
  return M.perf_event(p, { event = o.event, type = o.type, config = o.config, freq = o.freq, period = o.period,
                           cpu = o.cpu, pid = o.pid, cookie = o.cookie })
end

function attachers.socket(p, _, o)
  if not o.socket then need(p, "socket filters need a socket", "{ socket = fd }") end
  return M.socket(p, o.socket)
end

function attachers.sockmap(p, _, o)
  if not o.map then need(p, "sk_skb/sk_msg programs need a sockmap", "{ map = coll.maps.sock_map }") end
  return M.sockmap(p, o.map, p.attach_type)
end

function attachers.struct_ops(p)
  error(("program '%s' (section '%s'): struct_ops programs are not attached one by one: their struct_ops map is "
    .. "registered by coll:attach() or ebpf.link.struct_ops(map)"):format(
    p.name, tostring(p.section)), user_level())
end

-- Kinds attachable from the section name alone (coll:attach()).
local auto = {
  tracepoint = true, raw_tracepoint = true, tracing = true, kprobe = true, kretprobe = true,
  ksyscall = true, kretsyscall = true, kprobe_multi = true, kretprobe_multi = true, uprobe = true,
  uretprobe = true, uprobe_multi = true, uretprobe_multi = true, usdt = true, iter = true,
  tracing_multi = true,
}

local attach_fields = {
  cookie = true, func = true, maxactive = true, syscall = true, pattern = true, syms = true, path = true,
  symbol = true, offset = true, pid = true, ref_ctr_offset = true, cookies = true, provider = true, name = true,
  spec_map = true, map = true, cgroup = true, order = true, tid = true, netns = true, ifname = true,
  ifindex = true, interface = true, mode = true, direction = true, before = true, after = true, prio = true,
  handle = true, attach_type = true, flags = true, family = true, hook = true, priority = true, defrag = true,
  event = true, type = true, config = true, freq = true, period = true, cpu = true, socket = true,
  target = true, btf_id = true, section = true, kind = true, funcs = true, btf_ids = true, frequency = true,
}

-- The options each kind takes (besides section/kind): others raise, so
-- that `pid` on a tracepoint is not silently ignored.
local kind_fields = {
  tracepoint = { "cookie" }, raw_tracepoint = {}, tracing = { "cookie" }, freplace = { "target", "btf_id" },
  kprobe = { "func", "cookie", "maxactive" }, kretprobe = { "func", "cookie", "maxactive" },
  ksyscall = { "syscall", "cookie" }, kretsyscall = { "syscall", "cookie" },
  kprobe_multi = { "pattern", "syms" }, kretprobe_multi = { "pattern", "syms" },
  uprobe = { "path", "symbol", "offset", "pid", "cookie", "ref_ctr_offset" },
  uretprobe = { "path", "symbol", "offset", "pid", "cookie", "ref_ctr_offset" },
  uprobe_multi = { "path", "syms", "pattern", "pid", "cookies" },
  uretprobe_multi = { "path", "syms", "pattern", "pid", "cookies" },
  usdt = { "path", "provider", "name", "pid", "cookie", "spec_map" },
  iter = { "map", "cgroup", "order", "tid", "pid" }, netns = { "netns" },
  xdp = { "ifname", "ifindex", "interface", "mode" },
  tcx = { "ifname", "ifindex", "interface", "direction", "before", "after" },
  tc = { "ifname", "ifindex", "interface", "direction", "prio", "handle", "mode" },
  cgroup = { "cgroup", "attach_type", "flags" }, netfilter = { "family", "hook", "priority", "defrag" },
  perf_event = { "event", "type", "config", "frequency", "freq", "period", "cpu", "pid", "cookie" },
  socket = { "socket" }, sockmap = { "map" }, struct_ops = {},
}
local kind_set = {}
for kind, list in pairs(kind_fields) do
  kind_set[kind] = { section = true, kind = true }
  for _, k in ipairs(list) do kind_set[kind][k] = true end
end

--- prog:attach([opts]): attaches by the program's section (or opts.section
-- / opts.kind for programs built from instructions).
function M.attach(prog, opts)
  opts = opts or {}
  if type(opts) ~= "table" then
    error("bad argument #1 to 'attach' (table expected, got " .. type(opts) .. ")", user_level())
  end
  for k in pairs(opts) do
    if not attach_fields[k] then error("invalid field name '" .. tostring(k) .. "'", user_level()) end
  end
  local kind, target = opts.kind, ""
  if opts.section then
    local info = core.section_info and core.section_info(opts.section)
    if not info then error("unknown section name '" .. opts.section .. "'", user_level()) end
    kind, target = info.attach_kind, info.target
  elseif not kind then
    kind, target = prog.attach_kind, prog.target or ""
  end
  if not kind then
    error(("program '%s' has no section to infer its hook from; use an explicit ebpf.link constructor or "
      .. "prog:attach{ section = 'tracepoint/syscalls/sys_enter_openat' }"):format(prog.name), user_level())
  end
  local f = attachers[kind]
  if not f then
    error(("program '%s' (section '%s'): programs of kind '%s' are not attached by a link"):format(
      prog.name, tostring(prog.section), kind), user_level())
  end
  local allowed = kind_set[kind]
  if allowed then
    for k in pairs(opts) do
      if not allowed[k] then
        local list = kind_fields[kind]
        error(("invalid field name '%s' for a %s program ('%s' takes %s)"):format(k, kind, prog.name,
          #list > 0 and table.concat(list, ", ") or "no options"), user_level())
      end
    end
  end
  return f(prog, target or "", opts)
end

--- True if a program's section is enough to attach it.
function M.auto_attachable(prog)
  local kind, target = prog.attach_kind, prog.target
  if not auto[kind] then return false end
  if kind == "tracing" or kind == "iter" then return true end
  if kind == "uprobe" or kind == "uretprobe" then return (target or ""):find(":", 1, true) ~= nil end
  return target ~= nil and target ~= ""
end

-- ---- link sets: what coll:attach() returns ----

local close_link = debug.getregistry()["ebpf.link"].__close -- idempotent finalizer
local set_methods = {}
local set_mt = { __name = "ebpf.linkset" }

local function set_state(s)
  return rawget(s, set_mt)
end

--- set:close(): closes every link of the set (a second close raises, as
-- for files); links closed one by one before are skipped.
function set_methods.close(s)
  local st = set_state(s)
  if st.closed then error("attempt to use a closed link set", 2) end
  st.closed = true
  for _, name in ipairs(st.names) do close_link(st.links[name]) end
end

--- set:names(): the names in the set, sorted (programs, then struct_ops maps).
function set_methods.names(s)
  return table.move(set_state(s).names, 1, #set_state(s).names, 1, {})
end

set_mt.__index = function(s, k)
  local m = set_methods[k]
  if m then return m end
  local st = set_state(s)
  if st.closed then error("attempt to use a closed link set", 2) end
  return st.links[k]
end
set_mt.__newindex = function() error("a link set is read-only", 2) end
set_mt.__len = function(s) return #set_state(s).names end
set_mt.__pairs = function(s)
  local st = set_state(s)
  local i = 0
  return function()
    i = i + 1
    local name = st.names[i]
    if name then return name, st.links[name] end
  end, s, nil
end
set_mt.__close = function(s)
  local st = set_state(s)
  if not st.closed then set_methods.close(s) end
end
set_mt.__tostring = function(s)
  local st = set_state(s)
  if st.closed then return "ebpf.linkset (closed)" end
  return ("ebpf.linkset (%d link%s: %s)"):format(#st.names, #st.names == 1 and "" or "s",
    table.concat(st.names, ", "))
end

local function new_set(links)
  local names = {}
  for name in pairs(links) do names[#names + 1] = name end
  table.sort(names)
  return setmetatable({ [set_mt] = { links = links, names = names, closed = false } }, set_mt)
end
M.linkset = new_set

--- coll:attach([opts]): attaches every program whose section names its
-- target; returns a link set (`ebpf.linkset`: `pairs` by program name,
-- `set[name]`, `close()`, `<close>`). opts[name] gives per-program
-- options; on failure every link made so far is closed.
function M.attach_all(coll, opts)
  opts = opts or {}
  local links, names = {}, {}
  for name in pairs(coll.programs) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local p = coll.programs[name]
    if not opts[name] and auto[p.attach_kind] and not M.auto_attachable(p) then
      -- a kind attached from its section, whose section lacks the target
      -- (a bare SEC("uretprobe")): raise as prog:attach() does, never skip
      -- it silently; opts[name] gives the target
      for _, x in pairs(links) do x:close() end
      M.attach(p)
    end
    if opts[name] or M.auto_attachable(p) then
      local l, err, errno = M.attach(p, opts[name])
      if not l then
        for _, x in pairs(links) do x:close() end
        return nil, err, errno
      end
      links[name] = l
    end
  end
  -- struct_ops maps: loading made them, attaching registers them (a
  -- bpf_link for .struct_ops.link maps, an unregistering link for plain ones)
  local mnames = {}
  for mname in pairs(coll.maps or {}) do mnames[#mnames + 1] = mname end
  table.sort(mnames)
  for _, mname in ipairs(mnames) do
    local m = coll.maps[mname]
    if m.type == "struct_ops" then -- (no info(): no syscall, no fdinfo read)
      local l, err, errno = M.struct_ops(m)
      if not l then
        for _, x in pairs(links) do x:close() end
        return nil, err, errno
      end
      links[mname] = l
    end
  end
  return new_set(links)
end

-- Methods on programs and collections.
local reg = debug.getregistry()
local pmt = reg["ebpf.program"]
if pmt and pmt.__methods then pmt.__methods.attach = M.attach end
local cmt = reg["ebpf.collection"]
if cmt then
  local idx = cmt.__index
  cmt.__index = function(c, k)
    if k == "attach" then return M.attach_all end
    return idx(c, k)
  end
end

return M
