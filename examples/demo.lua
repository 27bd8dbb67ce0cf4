-- The demo of `make demo`: execsnoop for a few seconds (see
-- examples/execsnoop.lua): a clang-compiled CO-RE object attached from its
-- section names, ring buffer events decoded through BTF into Lua tables.
-- usage: lua5.4 examples/demo.lua [--duration S]  (default 3 s; Ctrl-C ends it)
local dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
local has_duration = false
for i = 1, #arg do if arg[i] == "--duration" then has_duration = true end end
if not has_duration then
  rawset(arg, #arg + 1, "--duration")
  rawset(arg, #arg + 1, "3")
end
print("ebpf-lua demo: tracing every exec on this machine (Ctrl-C ends it)...")
rawset(arg, 0, dir .. "/execsnoop.lua") -- execsnoop finds common.lua next to itself
dofile(dir .. "/execsnoop.lua")
