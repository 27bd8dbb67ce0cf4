// CO-RE: every relocation kind against the running kernel's BTF, type
// flavours (___suffix) and an optional relocation that cannot match
// (poisoned, never executed). Results land in .bss; run with test_run.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct task_struct___mine {            /* flavour: matched to task_struct */
    int pid;
    int tgid;
    int no_such_field_anywhere;        /* does not exist in the kernel */
};

struct no_such_type___x { int a; };    /* matches nothing */

enum bpf_map_type___mine { BPF_MAP_TYPE_RINGBUF___mine = 27, BPF_MAP_TYPE_NOPE___mine = 1000 };

struct out {
    long long pid, tgid, ppid;
    long long off_pid, size_pid, exists_pid, exists_missing;
    long long type_exists, type_missing, type_size, matches;
    long long enum_exists, enum_missing, enum_val;
    long long local_id, target_id, signed_pid;
    long long missing_read, bitfield;
} out;

SEC("raw_tp/sys_enter")
int core_all(void *ctx)
{
    struct task_struct *t = (void *)bpf_get_current_task();
    struct task_struct___mine *m = (void *)t;
    out.pid = BPF_CORE_READ(t, pid);
    out.tgid = BPF_CORE_READ(m, tgid);
    out.ppid = BPF_CORE_READ(t, real_parent, tgid);
    out.off_pid = bpf_core_field_offset(struct task_struct, pid);
    out.size_pid = bpf_core_field_size(struct task_struct, pid);
    out.exists_pid = bpf_core_field_exists(m->pid);
    out.exists_missing = bpf_core_field_exists(m->no_such_field_anywhere);
    out.type_exists = bpf_core_type_exists(struct task_struct);
    out.type_missing = bpf_core_type_exists(struct no_such_type___x);
    out.type_size = bpf_core_type_size(struct task_struct);
    out.matches = bpf_core_type_matches(struct task_struct___mine);
    out.enum_exists = bpf_core_enum_value_exists(enum bpf_map_type___mine, BPF_MAP_TYPE_RINGBUF___mine);
    out.enum_missing = bpf_core_enum_value_exists(enum bpf_map_type___mine, BPF_MAP_TYPE_NOPE___mine);
    out.enum_val = bpf_core_enum_value(enum bpf_map_type___mine, BPF_MAP_TYPE_RINGBUF___mine);
    out.local_id = bpf_core_type_id_local(struct task_struct);
    out.target_id = bpf_core_type_id_kernel(struct task_struct);
    out.signed_pid = __builtin_preserve_field_info(((struct task_struct *)0)->pid, BPF_FIELD_SIGNED);
    out.bitfield = BPF_CORE_READ_BITFIELD_PROBED(t, sched_reset_on_fork);
    if (bpf_core_field_exists(m->no_such_field_anywhere))
        out.missing_read = BPF_CORE_READ(m, no_such_field_anywhere); /* poisoned, dead */
    return 0;
}

SEC("raw_tp/sys_enter")
int core_fail(void *ctx)
{
    struct task_struct___mine *m = (void *)bpf_get_current_task();
    /* executed failing relocation: the verifier rejects the poisoned call */
    return BPF_CORE_READ(m, no_such_field_anywhere);
}

char LICENSE[] SEC("license") = "GPL";
