--- ebpf.features: what the running kernel supports.
-- Every probe asks the kernel the smallest possible question, only when
-- called, and is cached for the life of the process. Answers are
-- tri-state, in the Lua style:
--   true [, note]     supported
--   false, reason     not supported
--   nil, reason       inconclusive (no permission, needs an attach target, ...)
-- so `if features.map_type("ringbuf") then ... end` reads naturally.
-- Unknown names raise (programming errors).
-- @module ebpf.features

local core = require "ebpf.core"

local M = {}

local function tri(status, reason)
  if status == "supported" then
    if reason == "" then return true end
    return true, reason
  elseif status == "unsupported" then
    return false, reason
  end
  return nil, reason
end

local function probe(kind, ...)
  return tri(core.feature_probe(kind, ...))
end

--- Program type by name ("xdp", "tracepoint", "netfilter", ...).
function M.prog_type(name) return probe("prog_type", name) end
--- Map type by name ("ringbuf", "bloom_filter", "arena", ...).
function M.map_type(name) return probe("map_type", name) end
--- Map flag by name ("mmapable", "no_prealloc", "rdonly_prog", ...).
function M.map_flag(name) return probe("map_flag", name) end
--- Helper (name like "map_lookup_elem" or "bpf_map_lookup_elem", or id)
-- callable from programs of `prog_type`.
function M.helper(prog_type, helper) return probe("helper", prog_type, helper) end
--- BTF kind accepted by the kernel ("enum64", "decl_tag", "float", ...).
function M.btf_kind(name) return probe("btf_kind", name) end
--- Link kind ("perf_event", "kprobe_multi", "uprobe_multi", "tcx",
-- "netfilter", "netkit", "cgroup").
function M.link(kind) return probe("link", kind) end
--- Kernel function callable from programs of `prog_type` (default
-- "syscall"), looked up in vmlinux and module BTF.
function M.kfunc(name, prog_type) return probe("kfunc", name, prog_type) end
--- Named feature (see `features.names("misc")`).
function M.misc(name) return probe("misc", name) end

--- Bounded loops (back-edges the verifier can bound, 5.3).
function M.bounded_loops() return M.misc("bounded_loops") end
--- ISA level 2, 3 or 4 (or "v2".."v4"): the -mcpu a BPF object may use.
function M.isa(level)
  local n = tostring(level):match("^v?([234])$")
  if not n then error("ISA level must be 2, 3 or 4, got " .. tostring(level), 2) end
  return M.misc("isa_v" .. n)
end
--- bpf_get_attach_cookie() (5.15).
function M.bpf_cookie() return M.misc("bpf_cookie") end
--- BPF ring buffer maps (5.8).
function M.ringbuf() return M.misc("ringbuf") end

--- Raw answer: status string ("supported", "unsupported", "inconclusive")
-- and reason, for kind "prog_type", "map_type", "map_flag", "helper",
-- "btf_kind", "misc", "link" or "kfunc".
function M.status(kind, ...) return core.feature_probe(kind, ...) end

--- Names a kind of probe accepts ("prog_type", "map_type", "map_flag",
-- "helper", "btf_kind", "misc", "link").
function M.names(kind) return core.feature_names(kind) end

--- Makes a probe answer `status` ("supported", "unsupported",
-- "inconclusive") from now on, for kind "btf_kind", "link" or "misc";
-- `nil` lifts the override. The
-- library's fallbacks (BTF sanitising, perf link vs ioctl, tcx vs classic
-- tc) follow it.
function M.override(kind, name, status)
  local ok, err = pcall(core.feature_override, kind, name, status)
  if not ok then error(err, 2) end
end

--- Number of kernel calls made by probes in this process so far.
M.probe_count = core.feature_probe_count

local function kernel_release()
  local f = io.open("/proc/sys/kernel/osrelease")
  if not f then return nil end
  local r = f:read("l")
  f:close()
  return r
end

local function entries(kind)
  local t = {}
  for _, name in ipairs(core.feature_names(kind)) do
    local status, reason = core.feature_probe(kind, name)
    t[name] = { status = status, reason = reason ~= "" and reason or nil }
  end
  return t
end

--- Everything, as a table:
-- `{kernel=, prog_types=, map_types=, map_flags=, btf_kinds=, links=,
-- misc=, helpers=, kfuncs=}` where each entry is
-- `{status="supported"|"unsupported"|"inconclusive", reason=...}`, and
-- `helpers[prog_type][helper]` is a status string (trace_printk,
-- trace_vprintk and probe_write_user are left "inconclusive": probing them
-- makes the kernel log warnings; ask `features.helper()` for them).
-- opts: `helpers` (default true; about 7000 quick loads, ~0.3 s),
-- `kfuncs` (list of kfunc names to probe for syscall programs).
function M.report(opts)
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "helpers" and k ~= "kfuncs" then error("invalid field name '" .. tostring(k) .. "'", 2) end
  end
  local r = {
    kernel = kernel_release(),
    prog_types = entries("prog_type"),
    map_types = entries("map_type"),
    map_flags = entries("map_flag"),
    btf_kinds = entries("btf_kind"),
    links = entries("link"),
    misc = entries("misc"),
  }
  if opts.helpers ~= false then
    -- Probing these makes the kernel print warnings (or set up trace
    -- buffers) just for asking; features.helper() still probes them.
    local noisy = { trace_printk = true, trace_vprintk = true, probe_write_user = true }
    r.helpers = {}
    local helpers = core.feature_names("helper")
    for _, pt in ipairs(core.feature_names("prog_type")) do
      local t = {}
      for _, h in ipairs(helpers) do
        t[h] = noisy[h] and "inconclusive" or (core.feature_probe("helper", pt, h))
      end
      r.helpers[pt] = t
    end
  end
  if opts.kfuncs then
    r.kfuncs = {}
    for _, name in ipairs(opts.kfuncs) do
      local status, reason = core.feature_probe("kfunc", name)
      r.kfuncs[name] = { status = status, reason = reason ~= "" and reason or nil }
    end
  end
  return r
end

--- Helper name for an id and id for a name (the asm area's table).
M.helper_name = core.helper_name
M.helper_id = core.helper_id

return M
