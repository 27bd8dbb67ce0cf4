// A CO-RE relocation that matches nothing, in a program the verifier
// refuses before it reaches it (a helper given a NULL buffer first): the
// error must not blame the relocation, which the kernel never looked at.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___other {
    int no_such_field_anywhere;
};

SEC("raw_tp/sys_enter")
int early_fail(void *ctx)
{
    long bad = bpf_probe_read_kernel((void *)0, 8, ctx); /* refused: the buffer is not memory */
    struct task_struct___other *t = (void *)bpf_get_current_task();
    return bad + BPF_CORE_READ(t, no_such_field_anywhere);
}

char LICENSE[] SEC("license") = "GPL";
