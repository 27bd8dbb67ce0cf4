/* iter/task without maps or globals: writes each task's tgid as 4 raw
 * bytes, so the spec can use the section's bytes as-is. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("iter/task")
int dump_tgid(struct bpf_iter__task *ctx)
{
    struct task_struct *task = ctx->task;
    if (!task)
        return 0;
    int tgid = task->tgid;
    bpf_seq_write(ctx->meta->seq, &tgid, sizeof(tgid));
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
