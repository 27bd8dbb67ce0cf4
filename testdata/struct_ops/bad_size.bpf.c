/* A struct_ops variable whose data member has another size than the
 * kernel's (flags is a u32 there). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

struct tcp_congestion_ops___wide {
    char name[16];
    __u64 flags;
};

SEC(".struct_ops")
struct tcp_congestion_ops___wide bad_size = {
    .name = "ebpf_lua_bad",
    .flags = 1,
};
