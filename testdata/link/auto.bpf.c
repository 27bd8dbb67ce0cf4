/* Programs whose sections name their hooks, for prog:attach() and
 * coll:attach(): each counts events of the test (pid in target_pid). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <ebpf/bpf_usdt.h>

#define BIN EBPF_TESTDATA_DIR "/link/"

const volatile int target_pid = 0;
__u64 openat_hits = 0, raw_hits = 0, btf_hits = 0;
__u64 add_calls = 0, last_a = 0, mul_ret = 0;
__u64 usdt_hits = 0, usdt_i = 0, usdt_big = 0, usdt_value = 0, usdt_cnt = 0, usdt_cookie = 0;
__u64 plain_arg = 0;

static __always_inline int mine(void)
{
    return (bpf_get_current_pid_tgid() >> 32) == (__u32)target_pid;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(void *ctx)
{
    if (mine())
        __sync_fetch_and_add(&openat_hits, 1);
    return 0;
}

SEC("raw_tp/sys_enter")
int on_raw(struct bpf_raw_tracepoint_args *ctx)
{
    if (mine() && ctx->args[1] == 257)
        __sync_fetch_and_add(&raw_hits, 1);
    return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(on_btf, struct pt_regs *regs, long id)
{
    if (mine() && id == 257)
        __sync_fetch_and_add(&btf_hits, 1);
    return 0;
}

SEC("uprobe/" BIN "uprobe_target:target_add")
int BPF_KPROBE(on_add, int a, int b)
{
    __sync_fetch_and_add(&add_calls, 1);
    last_a = a;
    return 0;
}

SEC("uretprobe/" BIN "uprobe_target:target_mul")
int BPF_KRETPROBE(on_mul_ret, long ret)
{
    mul_ret = ret;
    return 0;
}

SEC("usdt/" BIN "usdt_target:ebpftest:hit")
int BPF_USDT(on_hit, int i, long big, long value)
{
    __sync_fetch_and_add(&usdt_hits, 1);
    usdt_i = i;
    usdt_big = big;
    usdt_value = value;
    usdt_cnt = bpf_usdt_arg_cnt(ctx);
    usdt_cookie = bpf_usdt_cookie(ctx);
    return 0;
}

SEC("usdt/" BIN "usdt_target:ebpftest:plain")
int BPF_USDT(on_plain, int v)
{
    plain_arg = v;
    return 0;
}

SEC("iter/task")
int list_tasks(struct bpf_iter__task *ctx)
{
    struct task_struct *t = ctx->task;
    if (!t)
        return 0;
    BPF_SEQ_PRINTF(ctx->meta->seq, "%d %s\n", t->tgid, t->comm);
    return 0;
}

/* Needs an interface: never auto-attached. */
SEC("xdp")
int pass_all(struct xdp_md *ctx)
{
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
