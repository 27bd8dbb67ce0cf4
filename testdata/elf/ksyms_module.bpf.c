// A typed .ksym that lives in a module's BTF: kvm's per-CPU
// kvm_running_vcpu (NULL on every CPU while no vCPU runs). The ld_imm64
// carries the module BTF fd in its second imm.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct kvm_vcpu;
extern struct kvm_vcpu *const kvm_running_vcpu __ksym;

int target_cpu;

struct {
    long long addr, this_vcpu, target_vcpu, target_ok;
} km;

SEC("raw_tp/sys_enter")
int read_module_ksym(void *ctx)
{
    struct kvm_vcpu *const *p = bpf_this_cpu_ptr(&kvm_running_vcpu);
    km.addr = (long long)&kvm_running_vcpu;
    km.this_vcpu = (long long)*p;
    p = bpf_per_cpu_ptr(&kvm_running_vcpu, target_cpu);
    km.target_ok = p != 0;
    km.target_vcpu = p ? (long long)*p : -1;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
