#!/usr/bin/env lua5.4
--[[ check-features: checks an `ebpf features --json` report against the
kernel versions that introduced each feature (upstream facts), so the
probes are tested on kernels other than the build machine's:
    run-in-kernel.sh 5.10 -- bin/ebpf features --json --no-helpers > r.json
    lua5.4 tools/check-features.lua r.json
Only features decided by the version alone (no config option that generic
distribution kernels leave out) are checked. A probe may say
"inconclusive" only where listed. Exit status 1 on any disagreement. ]]

local path = arg[1] or error("usage: check-features.lua REPORT.json")
package.path = "spec/?.lua;" .. package.path
local decode = require "json_decode"
local f = assert(io.open(path))
local r = decode(f:read("a"))
f:close()

local major, minor = r.kernel:match("^(%d+)%.(%d+)")
local v = tonumber(major) * 100 + tonumber(minor)

-- section, name, first version (major*100+minor)
local since = {
  { "misc", "bounded_loops", 503 }, { "misc", "ringbuf", 508 }, { "misc", "bpf_cookie", 515 },
  { "misc", "isa_v2", 400 }, { "misc", "isa_v3", 501 }, { "misc", "isa_v4", 606 },
  { "misc", "global_data", 502 }, { "misc", "btf", 418 }, { "misc", "btf_func_global", 506 },
  { "map_types", "ringbuf", 508 }, { "map_types", "task_storage", 511 }, { "map_types", "bloom_filter", 516 },
  { "map_types", "user_ringbuf", 601 }, { "map_types", "cgrp_storage", 602 }, { "map_types", "arena", 609 },
  { "map_types", "hash", 400 }, { "map_types", "sk_storage", 502 }, { "map_types", "struct_ops", 506 },
  { "map_flags", "mmapable", 505 }, { "map_flags", "preserve_elems", 510 },
  { "prog_types", "sk_lookup", 509 }, { "prog_types", "syscall", 514 }, { "prog_types", "netfilter", 604 },
  { "btf_kinds", "float", 513 }, { "btf_kinds", "decl_tag", 516 }, { "btf_kinds", "type_tag", 517 },
  { "btf_kinds", "enum64", 600 }, { "btf_kinds", "datasec", 502 },
  { "links", "perf_event", 515 }, { "links", "netfilter", 604 }, { "links", "tcx", 606 },
  { "links", "uprobe_multi", 606 }, { "links", "cgroup", 507 },
  { "links", "kprobe_session", 610 }, { "links", "uprobe_session", 613 }, { "links", "tracing_multi", 702 },
  { "links", "netkit", 607 }, { "misc", "streams", 617 }, { "misc", "token", 609 },
}

local bad = 0
for _, c in ipairs(since) do
  local sec, name, first = c[1], c[2], c[3]
  local e = r[sec] and r[sec][name]
  local want = v >= first and "supported" or "unsupported"
  if not e then
    print(("MISSING %s.%s"):format(sec, name))
    bad = bad + 1
  elseif e.status ~= want then
    print(("WRONG   %s.%s on %s: %s (%s), expected %s (since %d.%d)"):format(sec, name, r.kernel, e.status,
      e.reason or "", want, first // 100, first % 100))
    bad = bad + 1
  end
end
for sec, t in pairs(r) do
  if type(t) == "table" then
    for name, e in pairs(t) do
      if type(e) == "table" and e.status == "inconclusive" then
        print(("NOTE    %s.%s inconclusive: %s"):format(sec, name, e.reason or ""))
      end
    end
  end
end
print(("check-features: %s, %d checks, %d wrong"):format(r.kernel, #since, bad))
os.exit(bad == 0 and 0 or 1)
