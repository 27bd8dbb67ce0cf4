/* A minimal TCP congestion control as struct_ops: Reno through the
 * tcp_reno_* kfuncs, each callback counted. ebpf_lua_cc is activated by a
 * link (.struct_ops.link); ebpf_lua_cc2 by its update at attach;
 * ebpf_lua_cc3 declares its members in another order than the kernel. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

extern __u32 tcp_reno_ssthresh(struct sock *sk) __ksym;
extern void tcp_reno_cong_avoid(struct sock *sk, __u32 ack, __u32 acked) __ksym;
extern __u32 tcp_reno_undo_cwnd(struct sock *sk) __ksym;

__u64 ssthresh_calls = 0, cong_avoid_calls = 0, undo_calls = 0, init_calls = 0;

SEC("struct_ops/cc_init")
void BPF_PROG(cc_init, struct sock *sk)
{
    __sync_fetch_and_add(&init_calls, 1);
}

SEC("struct_ops/cc_ssthresh")
__u32 BPF_PROG(cc_ssthresh, struct sock *sk)
{
    __sync_fetch_and_add(&ssthresh_calls, 1);
    return tcp_reno_ssthresh(sk);
}

SEC("struct_ops/cc_cong_avoid")
void BPF_PROG(cc_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
    __sync_fetch_and_add(&cong_avoid_calls, 1);
    tcp_reno_cong_avoid(sk, ack, acked);
}

SEC("struct_ops/cc_undo_cwnd")
__u32 BPF_PROG(cc_undo_cwnd, struct sock *sk)
{
    __sync_fetch_and_add(&undo_calls, 1);
    return tcp_reno_undo_cwnd(sk);
}

/* not used by any map: stays unloaded */
SEC("struct_ops/cc_unused")
__u32 BPF_PROG(cc_unused, struct sock *sk)
{
    return 0;
}

#define TCP_CONG_NON_RESTRICTED 0x1 /* settable as a namespace's default */

SEC(".struct_ops.link")
struct tcp_congestion_ops ebpf_lua_cc = {
    .init = (void *)cc_init,
    .ssthresh = (void *)cc_ssthresh,
    .cong_avoid = (void *)cc_cong_avoid,
    .undo_cwnd = (void *)cc_undo_cwnd,
    .flags = TCP_CONG_NON_RESTRICTED,
    .name = "ebpf_lua_cc",
};

SEC(".struct_ops")
struct tcp_congestion_ops ebpf_lua_cc2 = {
    .ssthresh = (void *)cc_ssthresh,
    .cong_avoid = (void *)cc_cong_avoid,
    .undo_cwnd = (void *)cc_undo_cwnd,
    .name = "ebpf_lua_cc2",
};

/* members in another order (and fewer) than the kernel's struct: the
 * loader places them by name */
struct tcp_congestion_ops___reordered {
    char name[16];
    __u32 flags;
    __u32 (*undo_cwnd)(struct sock *sk);
    void (*cong_avoid)(struct sock *sk, __u32 ack, __u32 acked);
    __u32 (*ssthresh)(struct sock *sk);
};

SEC(".struct_ops.link")
struct tcp_congestion_ops___reordered ebpf_lua_cc3 = {
    .name = "ebpf_lua_cc3",
    .flags = TCP_CONG_NON_RESTRICTED,
    .undo_cwnd = (void *)cc_undo_cwnd,
    .cong_avoid = (void *)cc_cong_avoid,
    .ssthresh = (void *)cc_ssthresh,
};
