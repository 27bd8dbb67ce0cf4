-- Names of helpers, map, program, attach and link types newer than the
-- build's <linux/bpf.h> come from the running kernel's BTF. Oracle: the
-- kernel's enums as bpftool dumps them (`bpftool btf dump ... format c`),
-- every enumerator, both directions (value -> one of its names, each name
-- -> its value). Here (6.18: helpers 210/211 and the arena map type are
-- newer than Debian 12's 6.1 headers) and in the 7.2 VM (61-newest-vm.sh:
-- tracing-multi attach types).
local ebpf = require "ebpf"
local helpers = require "helpers"

local VMLINUX = "/sys/kernel/btf/vmlinux"

-- enum name -> { {name=, value=} ... } from bpftool's C dump, or nil, why
local function kernel_enums()
  local p = io.popen("bpftool btf dump file " .. VMLINUX .. " format c 2>/dev/null")
  local text = p:read("a")
  p:close()
  if not text or #text == 0 then return nil, "bpftool cannot dump " .. VMLINUX end
  local enums = {}
  for name, body in text:gmatch("\nenum ([%w_]+) (%b{});") do
    local list = {}
    for n, v in body:gmatch("([%w_]+) = (%-?%d+)") do list[#list + 1] = { name = n, value = tonumber(v) } end
    enums[name] = list
  end
  return enums
end

-- The library's name for v and value of name, per kind.
local KINDS = {
  { enum = "bpf_func_id", prefix = "BPF_FUNC_", name = ebpf.asm.helper_name, value = ebpf.asm.helper_id },
  { enum = "bpf_map_type", prefix = "BPF_MAP_TYPE_", list = ebpf.map_types },
  { enum = "bpf_prog_type", prefix = "BPF_PROG_TYPE_", list = ebpf.prog_types },
  { enum = "bpf_attach_type", prefix = "BPF_", list = ebpf.attach_types },
}

describe("kernel enum names", function()
  local enums, why
  setup(function() enums, why = kernel_enums() end)

  for _, k in ipairs(KINDS) do
    it(k.enum .. ": every value the kernel has is named, as the kernel names it", function()
      if helpers.skip_unless(enums, why) then return end
      local list = assert(enums[k.enum], "no enum " .. k.enum .. " in kernel BTF")
      -- names the kernel gives each value (aliases share a value)
      local names_of = {}
      for _, e in ipairs(list) do
        if e.name:sub(1, #k.prefix) == k.prefix and not e.name:match("^__") and e.value > 0 then
          local n = e.name:sub(#k.prefix + 1):lower()
          names_of[e.value] = names_of[e.value] or {}
          names_of[e.value][n] = true
        end
      end
      local by_value = {}
      if k.list then
        -- the library's lists hold every name it knows; each names a value
        for _, n in ipairs(k.list()) do by_value[n] = true end
      end
      local checked = 0
      for v, names in pairs(names_of) do
        if k.name then
          local got = k.name(v)
          assert.is_truthy(got and names[got], ("%s %d: %s, kernel says %s"):format(k.enum, v, tostring(got),
            table.concat((function() local t = {} for n in pairs(names) do t[#t + 1] = n end return t end)(), "/")))
          for n in pairs(names) do assert.equal(v, k.value(n)) end
        else
          local found = false
          for n in pairs(names) do found = found or by_value[n] end
          assert.is_true(found, ("%s %d (%s) missing from the library's list"):format(k.enum, v, next(names)))
        end
        checked = checked + 1
      end
      assert.is_true(checked > 10)
    end)
  end

  it("a helper newer than the build's headers assembles by name and disassembles with its name", function()
    if helpers.skip_unless(enums, why) then return end
    local a = ebpf.asm
    -- the kernel's highest helper id
    local top, top_name = 0, nil
    for _, e in ipairs(enums.bpf_func_id) do
      if e.name:match("^BPF_FUNC_") and e.value > top then top, top_name = e.value, e.name:sub(10):lower() end
    end
    local insns = a { a.call(top_name), a.exit() }
    local raw = insns:assemble()
    assert.equal(top, raw[1].imm)
    assert.matches("bpf_" .. top_name, a.disassemble(insns:tobytes()), 1, true)
  end)

  it("map types: a kernel-only name creates the map the kernel knows under it", function()
    if helpers.skip_unless(enums, why) then return end
    -- bloom_filter is in the 6.1 headers; take the newest map type the
    -- kernel has instead and check the name round-trips through info()
    local newest, newest_v = nil, -1
    for _, e in ipairs(enums.bpf_map_type) do
      if e.name:match("^BPF_MAP_TYPE_") and e.value > newest_v then newest, newest_v = e.name:sub(14):lower(), e.value end
    end
    local known = false
    for _, n in ipairs(ebpf.map_types()) do known = known or n == newest end
    assert.is_true(known, newest .. " not in ebpf.map_types()")
  end)
end)
