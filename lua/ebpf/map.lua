--- ebpf.map: BPF maps (`require "ebpf.map"` is `ebpf.map`).
-- The class and its constructor come from the C core; this module makes
-- it requireable on its own and adds the ids iterator.
-- @module ebpf.map

local core = require "ebpf.core"

local map = core.map
--- Iterator over the ids of all maps in the kernel (docs/core.md).
map.ids = core.map_ids
return map
