/* A struct_ops variable setting a member the kernel's struct lacks. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

struct tcp_congestion_ops___extra {
    __u32 (*ssthresh)(struct sock *sk);
    char name[16];
    int no_such_member;
};

SEC("struct_ops/ssthresh")
__u32 BPF_PROG(ssthresh, struct sock *sk)
{
    return 2;
}

SEC(".struct_ops")
struct tcp_congestion_ops___extra bad_member = {
    .ssthresh = (void *)ssthresh,
    .name = "ebpf_lua_bad",
    .no_such_member = 1,
};
