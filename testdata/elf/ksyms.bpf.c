// .ksyms of every flavour, read back by spec/elf_ksyms_spec.lua: a typed
// per-CPU VAR of vmlinux BTF (runqueues, through bpf_this_cpu_ptr and
// bpf_per_cpu_ptr), a typed weak VAR no kernel has (must become NULL and
// its branch dead code), and an untyped data symbol from /proc/kallsyms
// (weak: kernels without CONFIG_KALLSYMS_ALL list no data symbols).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern const struct rq runqueues __ksym;
extern const int ebpf_lua_no_such_var __ksym __weak;
extern const void init_task __ksym __weak;

int target_cpu;

struct {
    long long this_cpu, smp_id, target, rq_addr, missing, init_task_addr;
} ks;

SEC("raw_tp/sys_enter")
int read_ksyms(void *ctx)
{
    struct rq *rq = bpf_this_cpu_ptr(&runqueues);
    ks.this_cpu = rq->cpu;
    ks.smp_id = bpf_get_smp_processor_id();
    rq = bpf_per_cpu_ptr(&runqueues, target_cpu);
    ks.target = rq ? rq->cpu : -1;
    ks.rq_addr = (long long)&runqueues;
    if (&ebpf_lua_no_such_var)
        ks.missing = *(const int *)bpf_this_cpu_ptr(&ebpf_lua_no_such_var);
    else
        ks.missing = -1;
    ks.init_task_addr = (long long)&init_task;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
