--- ebpf.btf: BTF (BPF Type Format) objects and their types.
-- `ebpf.btf.kernel()` is the running kernel's BTF (parsed once per process);
-- `ebpf.btf.load(path_or_bytes [, base])` parses raw BTF or an ELF object's
-- .BTF; `ebpf.btf.module(name)` a kernel module's (split on vmlinux);
-- `ebpf.btf.from_id(id)` a loaded BTF object; `ebpf.btf.new([base])` an empty
-- BTF for the builder. See docs/btf.md.
-- @module ebpf.btf

local core = require "ebpf.core"

local btf = {}
for k, v in pairs(core.btf) do
  btf[k] = v
end

--- BTF types from C declarations: `ebpf.btf.cdef("struct ev { __u32 pid; };")`
-- (docs/cdef.md). Loaded on first use.
function btf.cdef(src, opts)
  return require("ebpf.cdef").cdef(src, opts)
end

--- Iterator over the ids of all BTF objects loaded in the kernel.
btf.ids = core.btf_ids

--- Iterator over all loaded BTF objects: `for id, b in ebpf.btf.objects()`.
-- Objects that vanish between listing and opening are skipped.
function btf.objects()
  local f, s, ctl = core.btf_ids()
  return function()
    while true do
      ctl = f(s, ctl)
      if not ctl then return nil end
      local b = btf.from_id(ctl)
      if b then return ctl, b end
    end
  end
end

return btf
