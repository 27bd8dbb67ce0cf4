/* A tcp_congestion_ops lacking the members the kernel requires
 * (ssthresh, undo_cwnd): libbpf loads the object (registration happens at
 * attach), the kernel refuses the value when attached. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

SEC("struct_ops/incompl_init")
void BPF_PROG(incompl_init, struct sock *sk)
{
}

SEC(".struct_ops")
struct tcp_congestion_ops incomplete = {
    .init = (void *)incompl_init,
    .name = "ebpf_lua_incompl",
};
