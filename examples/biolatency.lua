-- biolatency: block device I/O latency (issue -> completion) as a log2
-- histogram of microseconds, printed at the end (--duration S) or at
-- Ctrl-C, like bcc's biolatency. --disk NAME (sda, vda, loop0): one disk.
-- usage: lua5.4 examples/biolatency.lua [--duration S] [--disk NAME]
local ex = dofile((arg[0]:match("^(.*)/") or ".") .. "/common.lua")
local ebpf = ex.ebpf
local opt = ex.args { duration = false, disk = "" }

-- the disk's "major:minor" from sysfs, as the kernel's dev_t (major << 20 | minor)
local dev = 0
if opt.disk ~= "" then
  local f = not opt.disk:find("[/.]") and io.open("/sys/block/" .. opt.disk .. "/dev")
  local major, minor = (f and f:read("l") or ""):match("^(%d+):(%d+)$")
  if f then f:close() end
  if not major then
    io.stderr:write(("biolatency: no disk '%s' in /sys/block\n"):format(opt.disk))
    os.exit(2)
  end
  dev = (tonumber(major) << 20) | tonumber(minor)
end

local coll <close> = ex.load("biolatency", { targ_dev = dev })
do
  local links <close> = assert(coll:attach()) -- luacheck: ignore (detached at the end of the block)
  print("Tracing block device I/O... Hit Ctrl-C to end.")
  ex.wait(opt.duration)
end

local text, buckets = ebpf.hist.log2(coll.maps.hist, { unit = "usecs" })
io.write(text)
local total = 0
for _, b in ipairs(buckets) do total = total + b.count end
print(("%d I/O requests"):format(total))
