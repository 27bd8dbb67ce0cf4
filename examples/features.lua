-- features.lua: what does this kernel support? Asks a few feature probes
-- and shows how a tool picks its fallbacks from the answers.
-- Run: sudo lua5.4 examples/features.lua   (or: sudo ebpf run examples/features.lua)
local ex = dofile((arg[0]:match("^(.*)/") or ".") .. "/common.lua")
local ebpf = ex.ebpf
ex.args { duration = 0 } -- accepted by every example; this one finishes at once
local features = ebpf.features

local function show(what, ok, why)
  local state = ok and "yes" or (ok == false and "no" or "can't tell")
  print((("%-28s %-10s %s"):format(what, state, ok and "" or why or ""):gsub("%s+$", "")))
end

show("ring buffer maps", features.ringbuf())
show("ISA v4 (-mcpu=v4)", features.isa(4))
show("bounded loops", features.bounded_loops())
show("bpf_cookie", features.bpf_cookie())
show("tcx links", features.link("tcx"))
show("kprobe.multi links", features.link("kprobe_multi"))
show("fentry (tracing) programs", features.prog_type("tracing"))
show("bpf_probe_read in XDP", features.helper("xdp", "probe_read"))
show("kfunc bpf_task_acquire", features.kfunc("bpf_task_acquire"))

-- Choosing fallbacks the way the library does:
local events = features.map_type("ringbuf") and "ringbuf" or "perf_event_array"
local tc = features.link("tcx") and "tcx link" or "classic tc (netlink)"
local cpu = features.isa(4) and "v4" or features.isa(3) and "v3" or "v2"
print(("\nevents via %s, traffic control via %s, compile with -mcpu=%s"):format(events, tc, cpu))
print(("%d kernel calls made by the probes (each answer is cached)"):format(features.probe_count()))
