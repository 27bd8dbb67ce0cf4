-- .ksyms externs and kfunc calls against the running kernel: typed
-- per-CPU VARs of vmlinux BTF and of a module's BTF (the ld_imm64 carries
-- the module BTF fd), untyped data symbols (/proc/kallsyms), weak ones no
-- kernel has, and kfuncs of vmlinux or of a module (the call's off is the
-- fd_array slot of the module BTF fd). Values are checked against
-- /proc/kallsyms and the kernel's own per-CPU data, the translated
-- programs against libbpf's. .ci/steps/52-ksyms-vm.sh runs this file in
-- VM kernels with kvm and nf_conntrack loaded as modules.
local helpers = require "spec.helpers"
local ebpf = require "ebpf"
local oracle = require "elf_oracle"

local td = function(n) return helpers.testdata("elf/" .. n .. ".bpf.o") end
local ctx = string.rep("\0", 16)

--- Address of a kernel symbol in /proc/kallsyms (module symbols too), or nil.
local function kallsyms(name)
  local f = assert(io.popen("grep -m1 -E ' " .. name .. "(\t|$)' /proc/kallsyms"))
  local line = f:read("l")
  f:close()
  return line and tonumber(line:match("^(%x+)"), 16)
end

--- Name of the BTF (`vmlinux` or a module) defining `name` of `kind`, or nil.
local function btf_home(name, kind)
  if ebpf.btf.kernel():find_id(name, kind) then return "vmlinux" end
  for dir in helpers.sh("ls /sys/kernel/btf"):gmatch("%S+") do
    if dir ~= "vmlinux" then
      local m = ebpf.btf.module(dir)
      if m and m:find_id(name, kind) then return dir end
    end
  end
end

--- Asserts that both loaders refuse object `name`: ours with `message`
-- (EINVAL), libbpf with a message containing `theirs`.
local function refused(name, message, theirs)
  local c, err = ebpf.load(td(name))
  assert.is_nil(c)
  assert.matches(message, tostring(err), 1, true)
  assert.equal("EINVAL", err.code)
  local pin = "/sys/fs/bpf/ebpf_lua_" .. name
  local ok, out = pcall(helpers.sh, oracle.BPFTOOL .. " prog loadall " .. td(name) .. " " .. pin)
  os.execute("rm -rf " .. pin)
  assert.is_false(ok)
  assert.matches(theirs, out)
end

--- Runs `prog` of `coll` once on every online CPU with the global
-- target_cpu set to that CPU, then calls check(cpu).
local function each_cpu(coll, prog, check)
  for cpu = 0, tonumber((helpers.sh("getconf _NPROCESSORS_ONLN"))) - 1 do
    coll.vars.target_cpu = cpu
    assert.equal(0, (prog:run(nil, { ctx = ctx, cpu = cpu })))
    check(cpu)
  end
end

describe(".ksyms", function()
  it("typed per-CPU VAR of vmlinux (runqueues), weak typed missing, untyped data (init_task)", function()
    if helpers.skip_unless(btf_home("runqueues", "var"), "no per-CPU variables in vmlinux BTF") then return end
    local rq_addr = kallsyms("runqueues")
    if not rq_addr then
      -- the verifier places typed ksyms by kallsyms name, which lists no
      -- data without CONFIG_KALLSYMS_ALL: it must refuse our BTF_ID ld_imm64
      local c, err = ebpf.load(td("ksyms"))
      assert.is_nil(c)
      assert.matches("failed to find the address for kernel symbol 'runqueues'", err.log)
      helpers.skip_unless(false, "kernel without CONFIG_KALLSYMS_ALL: typed ksyms cannot load")
      return
    end
    local coll = assert(ebpf.load(td("ksyms")))
    each_cpu(coll, coll.programs.read_ksyms, function(cpu)
      local ks = coll.vars.ks
      assert.equal(cpu, ks.smp_id)
      assert.equal(cpu, ks.this_cpu) -- bpf_this_cpu_ptr(&runqueues)->cpu
      assert.equal(cpu, ks.target)   -- bpf_per_cpu_ptr(&runqueues, cpu)->cpu
      assert.equal(rq_addr, ks.rq_addr)
      assert.equal(-1, ks.missing)   -- weak and absent: NULL, branch dead
      assert.equal(kallsyms("init_task") or 0, ks.init_task_addr)
    end)
    assert.equal(1, oracle.compare(td("ksyms"), coll))
    coll:close()
  end)

  it("typed per-CPU VAR of a module's BTF (kvm's kvm_running_vcpu)", function()
    local home = btf_home("kvm_running_vcpu", "var")
    if helpers.skip_unless(home, "no module BTF with kvm_running_vcpu (modprobe kvm; kernels before 5.11 " ..
        "have no module BTF, Debian's 7.x encodes no module variables)") then return end
    if helpers.skip_unless(home ~= "vmlinux", "kvm is built in here: no module BTF variable") then return end
    local coll = assert(ebpf.load(td("ksyms_module")))
    local vcpu_addr = kallsyms("kvm_running_vcpu")
    each_cpu(coll, coll.programs.read_module_ksym, function()
      local km = coll.vars.km
      assert.equal(vcpu_addr, km.addr)
      assert.equal(0, km.this_vcpu) -- no vCPU runs
      assert.equal(1, km.target_ok)
      assert.equal(0, km.target_vcpu)
    end)
    assert.equal(1, oracle.compare(td("ksyms_module"), coll))
    coll:close()
  end)
end)

describe("untyped ksyms", function()
  it("refuses a name /proc/kallsyms lists at two addresses, like libbpf", function()
    local addrs = {}
    for a in helpers.sh("grep -E ' bpf_dispatcher_nop_func$' /proc/kallsyms || true"):gmatch("(%x+) ") do
      addrs[a] = true
    end
    if helpers.skip_unless(next(addrs, next(addrs)), "bpf_dispatcher_nop_func is not ambiguous in this kernel") then
      return
    end
    refused("ksyms_ambiguous", "ksym 'bpf_dispatcher_nop_func' is ambiguous in /proc/kallsyms (0x", "ambiguous")
  end)
end)

describe("extern types", function()
  -- libbpf's rule: a typed ksym or kfunc whose type does not fit the
  -- kernel's is refused at load
  it("refuses a typed ksym of the wrong type", function()
    if helpers.skip_unless(btf_home("runqueues", "var"), "no per-CPU variables in vmlinux BTF") then return end
    refused("ksyms_badtype", "ksym 'runqueues': type int is incompatible with the kernel's struct rq", "incompatible")
  end)

  it("refuses a kfunc with the wrong prototype", function()
    if helpers.skip_unless(btf_home("bpf_ct_release", "func"), "no bpf_ct_release kfunc (nf_conntrack not loaded)",
        true) then
      return
    end
    refused("kfunc_badproto", "kfunc 'bpf_ct_release': type func_proto(0 params) is incompatible with the " ..
      "kernel's func_proto(1 params)", "incompatible")
  end)
end)

describe("kfuncs", function()
  it("calls nf_conntrack's bpf_xdp_ct_lookup/bpf_ct_release, in vmlinux or in the module", function()
    local home = btf_home("bpf_xdp_ct_lookup", "func")
    if helpers.skip_unless(home, "no bpf_xdp_ct_lookup kfunc (nf_conntrack absent or not loaded)", true) then
      return
    end
    local coll = assert(ebpf.load(td("kfunc_ct")))
    local prog = coll.programs.ct_lookup
    assert.equal(2, (prog:run(string.rep("\0", 64)))) -- XDP_PASS: no such connection
    assert.equal(-2, coll.vars.error)                   -- -ENOENT
    -- the kfunc calls keep their BTF's fd_array slot: 0 for vmlinux, 1 for
    -- the module's fd (the only one)
    local x, calls = prog:info().xlated, 0
    for i = 1, #x, 8 do
      local op, regs, off = string.unpack("<BBi2", x, i)
      if op == 0x85 and regs >> 4 == 2 then
        calls = calls + 1
        assert.equal(home == "vmlinux" and 0 or 1, off)
      end
    end
    assert.equal(2, calls)
    assert.equal(1, oracle.compare(td("kfunc_ct"), coll))
    coll:close()
  end)

  it("weak kfuncs: their address tells if they exist, calls of absent ones are dead code", function()
    local coll = assert(ebpf.load(td("kfunc_weak")))
    assert.equal(0, (coll.programs.weak_kfuncs:run(nil, { ctx = ctx })))
    local rcu = btf_home("bpf_rcu_read_lock", "func") and 1 or 0 -- 6.2+
    assert.equal(0, coll.vars.have_missing)
    assert.equal(rcu, coll.vars.have_rcu)
    assert.equal(rcu, coll.vars.locked)
    assert.equal(1, oracle.compare(td("kfunc_weak"), coll))
    coll:close()
  end)
end)
