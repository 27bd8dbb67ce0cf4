// A typed ksym whose type does not fit the kernel's (runqueues is a
// struct rq): both loaders must refuse it before the verifier.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern const int runqueues __ksym;

SEC("raw_tp/sys_enter")
int bad_ksym(void *ctx)
{
    return *(const int *)bpf_this_cpu_ptr(&runqueues);
}

char LICENSE[] SEC("license") = "GPL";
