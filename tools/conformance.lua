-- conformance.lua OBJLIST KERNEL REPORT - loads every object of OBJLIST
-- (one .bpf.o path a line) with libbpf (bpftool prog loadall, programs and
-- maps pinned under a private bpffs directory) and with ebpf-lua, and
-- compares: the verdict, the set of programs loaded, every program's
-- translated instructions up to map ids (spec/elf_oracle.lua's
-- normalisation) and the maps (type, sizes, flags, kernel name, BTF ids
-- present). Writes one line per object to REPORT and prints the summary
--   conformance KERNEL: compiled N, libbpf loads L, ebpf-lua loads E of
--   them, xlated-equal X, ebpf-lua-only K
-- Exit status 1 when CONFORMANCE_STRICT=1 and an object libbpf loads is
-- refused by us or loads with different instructions (the CI gate).
local ebpf = require "ebpf"
local oracle = require "elf_oracle"

local list, kernel, report_path = arg[1], arg[2] or "host", arg[3]
assert(list and report_path, "usage: conformance.lua OBJLIST KERNEL REPORT")
local BPFTOOL = "PATH=$PATH:/usr/sbin bpftool"

local function sh_ok(cmd)
  local ok = os.execute(cmd)
  return ok == true
end

local function read_all(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end

local function ls(dir)
  local out = {}
  local p = io.popen("ls -1 '" .. dir .. "' 2>/dev/null")
  for l in p:lines() do out[#out + 1] = l end
  p:close()
  table.sort(out)
  return out
end

-- the last meaningful line of a libbpf/bpftool error output: why it refused
local function libbpf_reason(text)
  local last_log
  for l in text:gmatch("[^\n]+") do
    if l:match("^libbpf:") and not l:match("^libbpf: %-%-") then
      local low = l:lower()
      if low:find("fail") or low:find("error") or low:find("invalid") or low:find("not ") then
        return last_log and (l .. " [" .. last_log .. "]") or l
      end
    elseif not l:match("^%d+: ") and not l:match("^;") and not l:match("^processed ") then
      last_log = l
    end
  end
  return text:match("([^\n]+)\n?$") or "?"
end

local function first_line(s)
  s = tostring(s)
  return (s:match("^[^\n]*"))
end

-- a map as a comparable string: what both loaders must agree on
local function map_key(i)
  return ("%s type=%s key=%d value=%d max=%d flags=0x%x btf=%s/%s/%s"):format(
    i.name, tostring(i.type), i.key_size, i.value_size, i.max_entries, i.map_flags or 0,
    (i.btf_id or 0) ~= 0 and "y" or "n",
    (i.btf_key_type_id or 0) ~= 0 and "y" or "n",
    (i.btf_value_type_id or 0) ~= 0 and "y" or "n")
end

local function multiset_diff(a, b)
  table.sort(a)
  table.sort(b)
  local ca, cb = {}, {}
  for _, x in ipairs(a) do ca[x] = (ca[x] or 0) + 1 end
  for _, x in ipairs(b) do cb[x] = (cb[x] or 0) + 1 end
  local d = {}
  for x, n in pairs(ca) do if (cb[x] or 0) ~= n then d[#d + 1] = "libbpf: " .. x end end
  for x, n in pairs(cb) do if (ca[x] or 0) ~= n then d[#d + 1] = "ours: " .. x end end
  table.sort(d)
  return d
end

os.execute("mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf")
local base = ("/sys/fs/bpf/ebpf_conformance_%s_%d"):format(
  read_all("/proc/self/stat"):match("^(%d+)") or "0", math.random(1000000000))
assert(sh_ok("mkdir -m 0700 " .. base), "cannot create " .. base)
local tmp_out = report_path .. ".out"

local report = assert(io.open(report_path, "w"))
local n, L, E, X, K, bothfail = 0, 0, 0, 0, 0, 0
local strict_fail = 0
local causes = {}

local function compare_object(obj)
  local name = (obj:match("([^/]+)$") or obj):gsub("%.bpf%.o$", ""):gsub("%.o$", ""):gsub("[^%w_.-]", "_")
  local dir = base .. "/" .. name
  assert(sh_ok("mkdir " .. dir .. " " .. dir .. "/ours"))
  local spec, oerr = ebpf.open(obj)
  local has_pins = false
  if spec then
    for _, m in pairs(spec.maps) do
      if m.pinning == "by_name" then has_pins = true end
    end
  end
  -- libbpf
  local cmd = ("%s prog loadall '%s' %s/p%s >'%s' 2>&1"):format(BPFTOOL, obj, dir,
    has_pins and "" or (" pinmaps " .. dir .. "/m"), tmp_out)
  local lok = sh_ok(cmd)
  local lwhy = not lok and libbpf_reason(read_all(tmp_out)) or nil
  local theirs_progs, theirs_maps = {}, nil
  if lok then
    for _, p in ipairs(ls(dir .. "/p")) do
      local prog = ebpf.program.open_pinned(dir .. "/p/" .. p)
      if prog then
        theirs_progs[p] = prog:info()
        prog:close()
      end
    end
    if not has_pins then
      theirs_maps = {}
      for _, m in ipairs(ls(dir .. "/m")) do
        local map = ebpf.map.open_pinned(dir .. "/m/" .. m)
        if map then
          theirs_maps[#theirs_maps + 1] = map_key(map:info())
          map:close()
        end
      end
    end
  end
  if has_pins and spec then -- libbpf's by-name pins go to /sys/fs/bpf itself
    for mname, m in pairs(spec.maps) do
      if m.pinning == "by_name" and mname:match("^[%w_]+$") then os.remove("/sys/fs/bpf/" .. mname) end
    end
  end
  -- ebpf-lua
  local coll, err
  if spec then
    coll, err = spec:load({ pin_root = dir .. "/ours" })
  else
    err = oerr
  end
  local ours_progs, ours_maps = {}, {}
  if coll then
    for pname, prog in pairs(coll.programs) do ours_progs[pname] = prog:info() end
    for _, m in pairs(coll.maps) do ours_maps[#ours_maps + 1] = map_key(m:info()) end
    coll:close()
  end
  if spec then spec:close() end
  os.execute("rm -rf " .. dir)

  n = n + 1
  local line
  if lok then L = L + 1 end
  if lok and coll then
    E = E + 1
    local problems = {}
    for p in pairs(theirs_progs) do
      if not ours_progs[p] then problems[#problems + 1] = "program " .. p .. " only loaded by libbpf" end
    end
    for p in pairs(ours_progs) do
      if not theirs_progs[p] then problems[#problems + 1] = "program " .. p .. " only loaded by ebpf-lua" end
    end
    local xeq = true
    for p, ti in pairs(theirs_progs) do
      local oi = ours_progs[p]
      if oi then
        local a, b = oracle.normalise(ti.xlated or ""), oracle.normalise(oi.xlated or "")
        local same = #a == #b
        local at
        for k = 1, math.max(#a, #b) do
          if a[k] ~= b[k] then same = false; at = k - 1; break end
        end
        if not same then
          xeq = false
          problems[#problems + 1] = ("program %s: xlated differs (%d vs %d insns, first at %s)"):format(
            p, #a, #b, tostring(at))
        end
      end
    end
    if xeq and #problems == 0 then X = X + 1 else strict_fail = strict_fail + 1 end
    if theirs_maps then
      for _, d in ipairs(multiset_diff(theirs_maps, ours_maps)) do problems[#problems + 1] = "map " .. d end
    end
    line = (#problems == 0 and "EQUAL " or "DIFFER ") .. name .. (#problems > 0 and (": " .. table.concat(problems, "; ")) or "")
  elseif lok then
    strict_fail = strict_fail + 1
    local e = first_line(err)
    line = "LIBBPF-ONLY " .. name .. ": " .. e
    local cause = e:gsub("'[^']*'", "'_'"):gsub("%d+", "N")
    causes[cause] = (causes[cause] or 0) + 1
  elseif coll then
    K = K + 1
    line = "EBPF-LUA-ONLY " .. name .. ": libbpf: " .. lwhy
  else
    bothfail = bothfail + 1
    line = "BOTH-REFUSE " .. name .. ": ours: " .. first_line(err) .. " | libbpf: " .. lwhy
  end
  report:write(line, "\n")
  report:flush()
end

for obj in io.lines(list) do
  local ok, e = pcall(compare_object, obj)
  if not ok then
    n = n + 1
    report:write("ERROR ", obj, ": ", tostring(e), "\n")
    strict_fail = strict_fail + 1
  end
  collectgarbage()
end
os.remove(tmp_out)
os.execute("rm -rf " .. base)
report:close()

local sorted = {}
for c, k in pairs(causes) do sorted[#sorted + 1] = { c, k } end
table.sort(sorted, function(a, b) return a[2] > b[2] end)
for _, c in ipairs(sorted) do io.stderr:write(("  %3d x %s\n"):format(c[2], c[1])) end
print(("conformance %s: compiled %d, libbpf loads %d, ebpf-lua loads %d of them, xlated-equal %d, ebpf-lua-only %d (both refuse %d; report %s)"):format(
  kernel, n, L, E, X, K, bothfail, report_path))
if os.getenv("CONFORMANCE_STRICT") == "1" and strict_fail > 0 then os.exit(1) end
