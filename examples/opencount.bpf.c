/* Counts openat() calls per command name (examples/opencount.lua). */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct comm_key {
    char comm[16];
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 1024);
    __type(key, struct comm_key);
    __type(value, __u64);
} opens SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int count_openat(void *ctx)
{
    struct comm_key k = {};
    __u64 one = 1, *v;

    bpf_get_current_comm(k.comm, sizeof(k.comm));
    v = bpf_map_lookup_elem(&opens, &k);
    if (v)
        __sync_fetch_and_add(v, 1);
    else
        bpf_map_update_elem(&opens, &k, &one, BPF_NOEXIST);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
