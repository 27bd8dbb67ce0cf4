// An executed CO-RE relocation that matches nothing in the kernel: the
// loader poisons it and the verifier error names the relocation.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___mine {
    int pid;
    int no_such_field_anywhere;        /* does not exist in the kernel */
};

SEC("raw_tp/sys_enter")
int core_fail(void *ctx)
{
    struct task_struct___mine *m = (void *)bpf_get_current_task();
    /* executed failing relocation: the verifier rejects the poisoned call */
    return BPF_CORE_READ(m, no_such_field_anywhere);
}

char LICENSE[] SEC("license") = "GPL";
