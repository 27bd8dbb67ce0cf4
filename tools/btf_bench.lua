-- W1 of ../shared/anchors through the Lua API (label ebpf-lua): parse the
-- kernel's BTF + find task_struct REPS times (median), every named type
-- looked up once, and the peak RSS of one parse in a fresh process.
-- usage: lua5.4 tools/btf_bench.lua btf [FILE] [REPS] | btf-rss [FILE]
-- (bench/run can call M.btf / M.btf_rss; the C side is `ebpf_btfdump bench`.)
local ebpf = require "ebpf"
local core = require "ebpf.core"
local clock = core.monotime_ns or function() return os.clock() * 1e9 end

local M = {}

local function hwm_kb()
  for line in io.lines("/proc/self/status") do
    local v = line:match("^VmHWM:%s+(%d+)")
    if v then return tonumber(v) end
  end
end

function M.btf(path, reps)
  path, reps = path or "/sys/kernel/btf/vmlinux", tonumber(reps) or 20
  local parse, look, id0, types = {}, {}, nil, nil
  local all_ms
  for r = 1, reps do
    local t0 = clock()
    local b = assert(ebpf.btf.load(path))
    local t1 = clock()
    local t = b:find("task_struct", "struct")
    local t2 = clock()
    parse[r], look[r] = (t2 - t0) / 1e6, (t2 - t1) / 1e3
    if r == 1 then
      id0, types = t.id, #b
      local a = clock()
      for _, n, kind in b:names() do
        if not b:find_id(n, kind) then error("lookup of " .. n) end
      end
      all_ms = (clock() - a) / 1e6
    elseif t.id ~= id0 then
      error("results differ between repetitions")
    end
    b:close() -- not timed
  end
  table.sort(parse)
  table.sort(look)
  local function median(t)
    local n = #t
    return n % 2 == 1 and t[(n + 1) // 2] or (t[n // 2] + t[n // 2 + 1]) / 2
  end
  print(("W1 btf ebpf-lua ms_per_parse=%.3f min=%.3f max=%.3f lookup_us=%.1f lookup_all_ms=%.1f types=%d "
    .. "task_struct_id=%d reps=%d file=%s"):format(median(parse), parse[1], parse[reps], median(look),
    all_ms, types, id0, reps, path))
end

function M.btf_rss(path)
  path = path or "/sys/kernel/btf/vmlinux"
  collectgarbage("collect")
  local before = hwm_kb()
  local b = assert(ebpf.btf.load(path))
  assert(b:find("task_struct", "struct"))
  local after = hwm_kb()
  print(("W1 btf_rss ebpf-lua peak_rss_kb=%d baseline_rss_kb=%d delta_kb=%d rss_increase_kb=%d file=%s"):format(
    after, before, after - before, after - before, path))
  b:close()
end

if arg and arg[0] and arg[0]:match("btf_bench%.lua$") then
  local mode = arg[1] or "btf"
  if mode == "btf" then M.btf(arg[2], arg[3])
  elseif mode == "btf-rss" then M.btf_rss(arg[2])
  else io.stderr:write("usage: btf_bench.lua btf [FILE] [REPS] | btf-rss [FILE]\n") os.exit(2) end
end

return M
