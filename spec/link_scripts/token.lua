-- BPF token half of spec/link_newest_spec.lua, run by
-- testdata/link/token_runner as an unprivileged user that is root only in
-- its own user namespace. MODE: "env" (the default token from
-- EBPF_BPF_TOKEN_PATH), "opt" (opts.token_path from $TOKEN_BPFFS),
-- "none" (no token: the load must be refused). Prints key=value lines.
local build = os.getenv("EBPF_BUILD") or "build"
package.path = "lua/?.lua;lua/?/init.lua;spec/?.lua;" .. package.path
package.cpath = build .. "/?.so;" .. package.cpath
local ebpf = require "ebpf"

local mode = arg[1]
local function out(k, v) io.write(k, "=", tostring(v), "\n") io.flush() end
local f = io.open("/proc/self/status")
out("capeff", f:read("a"):match("CapEff:%s*(%x+)"))
f:close()
local opts = mode == "opt" and { token_path = os.getenv("TOKEN_BPFFS") } or nil
local coll, err = ebpf.load(build .. "/testdata/newest/token.bpf.o", opts)
out("loaded", coll ~= nil)
if not coll then
  out("err", tostring(err):gsub("\n.*", ""))
  os.exit(0)
end
out("ret", (coll.programs.count:run()))
out("ret2", (coll.programs.count:run()))
out("runs", coll.vars.runs)
out("count", coll.maps.counts[7])
out("btf", coll.maps.counts:info().btf_id ~= nil and coll.maps.counts:info().btf_id > 0)
coll:close()
