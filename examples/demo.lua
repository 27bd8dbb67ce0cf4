-- The demo of `make demo`: execsnoop for a few seconds (see
-- examples/execsnoop.lua): a clang-compiled CO-RE object attached from its
-- section names, ring buffer events decoded through BTF into Lua tables.
local dir = (arg and arg[0] or ""):match("^(.*)/[^/]*$") or "."
print("ebpf-lua demo: tracing every exec on this machine for 3 seconds...")
rawset(arg, 0, dir .. "/execsnoop.lua") -- execsnoop finds common.lua next to itself
dofile(dir .. "/execsnoop.lua")
