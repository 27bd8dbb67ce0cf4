/* A CO-RE program built on the vmlinux.h made by the library's own C
 * dumper (tools/ebpf_btfdump): proves the header compiles and that CO-RE
 * relocations against kernel types are emitted. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

int seen_pid;
char seen_comm[16];

SEC("tp_btf/sched_switch")
int BPF_PROG(on_switch, bool preempt, struct task_struct *prev, struct task_struct *next)
{
    seen_pid = BPF_CORE_READ(next, pid);
    bpf_core_read_str(seen_comm, sizeof(seen_comm), &next->comm);
    if (bpf_core_field_exists(next->__state))
        seen_pid += 0;
    return 0;
}

SEC("raw_tp/sys_enter")
int on_enter(struct bpf_raw_tracepoint_args *ctx)
{
    struct task_struct *t = (struct task_struct *)bpf_get_current_task();
    seen_pid = BPF_CORE_READ(t, real_parent, tgid);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
