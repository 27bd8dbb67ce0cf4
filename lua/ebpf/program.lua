--- ebpf.program: BPF programs (`require "ebpf.program"` is `ebpf.program`).
-- The class and its constructor come from the C core; this module makes
-- it requireable on its own and adds the ids iterator.
-- @module ebpf.program

local core = require "ebpf.core"

local program = core.program
--- Iterator over the ids of all programs in the kernel (docs/core.md).
program.ids = core.prog_ids
return program
