/* A struct_ops function pointer set to a .text function, not a program. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

__attribute__((noinline)) __u32 helper_fn(struct sock *sk)
{
    return sk ? 2 : 3;
}

SEC(".struct_ops")
struct tcp_congestion_ops bad_prog = {
    .ssthresh = (void *)helper_fn,
    .name = "ebpf_lua_bad",
};
