/* Loaded through a BPF token by an unprivileged user namespace: a BTF
 * hash map, global data and a syscall program run with test_run. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} counts SEC(".maps");

__u64 runs = 0;

SEC("syscall")
int count(void *ctx)
{
    __u32 k = 7;
    __u64 one = 1, *v = bpf_map_lookup_elem(&counts, &k);
    if (v)
        __sync_fetch_and_add(v, 1);
    else
        bpf_map_update_elem(&counts, &k, &one, BPF_ANY);
    runs++;
    return 42;
}

char LICENSE[] SEC("license") = "GPL";
