// A kfunc declared with a prototype the kernel's does not match
// (bpf_rcu_read_lock takes no argument): both loaders must refuse it.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern void bpf_rcu_read_lock(int x) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

SEC("raw_tp/sys_enter")
int bad_kfunc(void *ctx)
{
    bpf_rcu_read_lock(1);
    bpf_rcu_read_unlock();
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
