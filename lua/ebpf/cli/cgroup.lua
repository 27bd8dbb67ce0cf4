--- ebpf.cli.cgroup: `ebpf cgroup show|list CGROUP` and `ebpf cgroup tree
-- [ROOT]`: the programs attached to cgroups, per attach type, from
-- BPF_PROG_QUERY.
-- @module ebpf.cli.cgroup

local json = require "ebpf.json"
local util = require "ebpf.cli.util"

local lib, usage_error, fail = util.lib, util.usage_error, util.fail

local function cgroup_types()
  local list = {}
  for _, n in ipairs(lib().attach_types()) do
    if n:match("^cgroup_") or n == "lsm_cgroup" then list[#list + 1] = n end
  end
  return list
end

local function flags_name(f)
  if f & 2 ~= 0 then return "multi" end
  if f & 1 ~= 0 then return "override" end
  return ""
end

local prog_name = util.prog_name

-- Every program attached to one cgroup; a path that is not a cgroup v2
-- directory fails with the kernel's word (EBADF) explained.
local function attached(path, types, effective)
  local list = json.array()
  for _, at in ipairs(types) do
    local q, err = util.try(lib().link.query, path, at, effective and { effective = true } or nil)
    if not q then
      local code = type(err) == "table" and err.code
      if code == "EBADF" then fail(path .. ": not a cgroup v2 directory (BPF_PROG_QUERY: EBADF)") end
      if code ~= "EINVAL" then fail(err) end -- EINVAL: an attach type this kernel lacks
    else
      for _, p in ipairs(q.programs) do
        list[#list + 1] = json.object { { "id", p.id }, { "attach_type", at },
          { "attach_flags", effective and "" or flags_name(q.attach_flags) }, { "name", prog_name(p.id) },
          { "link_id", p.link_id ~= 0 and p.link_id or nil } }
      end
    end
  end
  return list
end

local function text_rows(list, prefix)
  local rows = {}
  for _, p in ipairs(list) do
    rows[#rows + 1] = { prefix .. tostring(p.id), p.attach_type, p.attach_flags, util.printable(p.name or "") }
  end
  return rows
end

local sub = {}

local function show(ctx, args)
  local path = args:next("cgroup path")
  local effective = args:accept("effective")
  args:done()
  local list = attached(path, cgroup_types(), effective)
  if ctx.json then return ctx.emit(list) end
  local rows = text_rows(list, "")
  table.insert(rows, 1, { "ID", "ATTACH", "FLAGS", "NAME" })
  ctx.out(util.columns(rows))
end
sub.show, sub.list = show, show

-- The cgroup v2 mount point, from /proc/mounts.
local function cgroup2_root()
  local f = io.open("/proc/mounts")
  if not f then return nil end
  for line in f:lines() do
    local mnt, t = line:match("^%S+ (%S+) (%S+)")
    if t == "cgroup2" then
      f:close()
      return (mnt:gsub("\\(%d%d%d)", function(o) return string.char(tonumber(o, 8)) end))
    end
  end
  f:close()
  return nil
end

function sub.tree(ctx, args)
  local root = args:more() and args:peek() ~= "effective" and args:next("cgroup root") or cgroup2_root()
    or fail("no cgroup v2 mount found")
  local effective = args:accept("effective")
  args:done()
  local types = cgroup_types()
  local out = json.array()
  local function walk(dir, depth)
    if depth > 64 then return end
    local list = attached(dir, types, effective)
    if #list > 0 then out[#out + 1] = json.object { { "cgroup", dir }, { "programs", list } } end
    local entries = lib().core.listdir(dir)
    for _, e in ipairs(entries or {}) do
      if e.type == "dir" then walk(dir .. "/" .. e.name, depth + 1) end
    end
  end
  walk((root:gsub("/+$", "")), 0)
  if ctx.json then return ctx.emit(out) end
  local rows = { { "CGROUP", "ID", "ATTACH", "FLAGS", "NAME" } }
  for _, c in ipairs(out) do
    for _, r in ipairs(text_rows(c.programs, "")) do
      table.insert(r, 1, util.printable(c.cgroup))
      rows[#rows + 1] = r
    end
  end
  ctx.out(util.columns(rows))
end

return {
  summary = "show programs attached to a cgroup, or to every cgroup of a tree",
  usage = "ebpf cgroup { show | list } CGROUP [effective]\n       ebpf cgroup tree [CGROUP_ROOT] [effective]",
  run = function(ctx, args)
    local w = args:next("a cgroup command (show, list, tree)")
    local f = sub[w] or usage_error("unknown cgroup command '" .. util.printable(w) .. "'")
    return f(ctx, args)
  end,
}
