--- ebpf.cli.records: one JSON-ready record per kernel object, with the
-- field names and meanings of `bpftool -j` (so scripts written for it read
-- ours), in bpftool's order; extra facts follow.
-- @module ebpf.cli.records

local json = require "ebpf.json"
local util = require "ebpf.cli.util"

local M = {}

-- Wall-clock seconds of a kernel time stamp (ns since boot, which counts
-- suspend: CLOCK_BOOTTIME): realtime - boottime is the boot instant.
function M.wall_clock(ns_since_boot)
  local core = util.lib().core
  local boot = core.clock_ns("realtime") - core.clock_ns("boottime")
  return (boot + ns_since_boot) // 1000000000
end

function M.iso_time(secs)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", secs)
end

-- "memlock:" of an fd's fdinfo (programs; maps report it in info()).
local function fdinfo_memlock(fd)
  local f = io.open("/proc/self/fdinfo/" .. fd)
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return math.tointeger(tonumber(s:match("\nmemlock:%s*(%d+)") or ""))
end

function M.prog(id)
  local p, err = util.lib().program.from_id(id)
  if not p then return nil, err end
  local info, ierr = p:info()
  local memlock = fdinfo_memlock(p:fd())
  p:close()
  if not info then return nil, ierr end
  return json.object {
    { "id", info.id }, { "type", info.type }, { "name", info.name }, { "tag", info.tag },
    { "gpl_compatible", info.gpl_compatible },
    { "run_time_ns", info.run_time_ns ~= 0 and info.run_time_ns or nil },
    { "run_cnt", info.run_cnt ~= 0 and info.run_cnt or nil },
    { "recursion_misses", info.recursion_misses ~= 0 and info.recursion_misses or nil },
    { "loaded_at", M.wall_clock(info.load_time) }, { "uid", info.created_by_uid },
    { "bytes_xlated", info.xlated_size }, { "jited", info.jited_size > 0 },
    { "bytes_jited", info.jited_size }, { "bytes_memlock", memlock },
    { "map_ids", json.array(info.map_ids or {}) },
    { "btf_id", info.btf_id ~= 0 and info.btf_id or nil },
    { "verified_insns", info.verified_insns },
  }
end

function M.map(id)
  local m, err = util.lib().map.from_id(id)
  if not m then return nil, err end
  local info, ierr = m:info()
  m:close()
  if not info then return nil, ierr end
  return json.object {
    { "id", info.id }, { "type", info.type }, { "name", info.name }, { "flags", info.map_flags },
    { "bytes_key", info.key_size }, { "bytes_value", info.value_size }, { "max_entries", info.max_entries },
    { "bytes_memlock", info.memlock }, { "frozen", info.frozen and 1 or 0 },
    { "btf_id", info.btf_id ~= 0 and info.btf_id or nil },
    { "btf_key_type_id", info.btf_key_type_id ~= 0 and info.btf_key_type_id or nil },
    { "btf_value_type_id", info.btf_value_type_id ~= 0 and info.btf_value_type_id or nil },
    { "btf_vmlinux_value_type_id", info.btf_vmlinux_value_type_id ~= 0 and info.btf_vmlinux_value_type_id or nil },
    { "map_extra", info.map_extra ~= 0 and info.map_extra or nil },
    { "flag_names", json.array(info.flags or {}) },
  }
end

-- Device name of an ifindex, from sysfs (no netlink round trip per link).
function M.devname(ifindex)
  for _, d in ipairs(M.devices()) do
    if d.ifindex == ifindex then return d.name end
  end
  return nil
end

local dev_cache
function M.devices()
  if not dev_cache then
    local list = util.lib().link.net_devices()
    dev_cache = list or {}
  end
  return dev_cache
end

local nf_hooks = { [0] = "prerouting", "input", "forward", "output", "postrouting" }
local nf_pf = { [2] = "ipv4", [10] = "ipv6", [7] = "bridge", [1] = "inet" }

function M.link(id)
  local l, err = util.lib().core.link_info(id)
  if not l then return nil, err end
  local r = json.object { { "id", l.id }, { "type", l.type }, { "prog_id", l.prog_id } }
  for _, k in ipairs { "tp_name", "attach_type", "target_obj_id", "target_btf_id", "cgroup_id", "netns_ino", "map_id" } do
    r[k] = l[k]
  end
  if l.ifindex then
    r.devname = M.devname(l.ifindex)
    r.ifindex = l.ifindex
  end
  if l.type == "netfilter" then
    r.pf = nf_pf[l.pf] or l.pf
    r.hook = nf_hooks[l.hooknum] or l.hooknum
    r.prio = l.priority
    r.flags = l.flags
  end
  return r
end

-- btf id -> { prog_ids = {...}, map_ids = {...} }, from every program and map.
function M.btf_users()
  local eb = util.lib()
  local users = {}
  local function add(btf_id, field, id)
    if btf_id and btf_id ~= 0 then
      users[btf_id] = users[btf_id] or { prog_ids = json.array(), map_ids = json.array() }
      table.insert(users[btf_id][field], id)
    end
  end
  for id in eb.program.ids() do
    local p = eb.program.from_id(id)
    if p then
      local info = p:info()
      p:close()
      if info then add(info.btf_id, "prog_ids", id) end
    end
  end
  for id in eb.map.ids() do
    local m = eb.map.from_id(id)
    if m then
      local info = m:info()
      m:close()
      if info then add(info.btf_id, "map_ids", id) end
    end
  end
  return users
end

function M.btf(id, users)
  local b, err = util.lib().core.btf_info(id)
  if not b then return nil, err end
  local u = users and users[id] or {}
  return json.object {
    { "id", b.id }, { "size", b.size }, { "prog_ids", u.prog_ids or json.array() },
    { "map_ids", u.map_ids or json.array() }, { "kernel", b.kernel },
    { "name", b.name ~= "" and b.name or nil },
  }
end

-- Every object of a kind, skipping those that vanish while we look.
function M.all(ids, record, ...)
  local list = {}
  local extra = table.pack(...)
  local ok, ierr = pcall(function()
    for id in ids() do
      local r, err = record(id, table.unpack(extra, 1, extra.n))
      if r then
        list[#list + 1] = r
      elseif not (type(err) == "table" and err.code == "ENOENT") then
        util.fail(err)
      end
    end
  end)
  if not ok then
    if type(ierr) == "table" and getmetatable(ierr) == util.Fail then error(ierr, 0) end
    -- the iterator's own error (e.g. EPERM without root): the message, not our file and line
    local msg = tostring(ierr):gsub("^[^:\n]*%.lua:%d+: ", "")
    if msg:find("not permitted", 1, true) then msg = msg .. " (listing BPF objects needs root or CAP_SYS_ADMIN)" end
    util.fail(msg)
  end
  return json.array(list)
end

-- Records for a list of ids (a failure for a missing one).
function M.some(ids, record, ...)
  local list = json.array()
  for _, id in ipairs(ids) do
    local r, err = record(id, ...)
    if not r then util.fail(err) end
    list[#list + 1] = r
  end
  return list
end

return M
