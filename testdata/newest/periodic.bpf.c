/* Periodic perf events on every CPU: counts samples per CPU and records
 * the bpf cookie of the link that fired. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 256);
    __type(key, __u32);
    __type(value, __u64);
} ticks SEC(".maps");

__u64 last_cookie = 0;

SEC("perf_event")
int on_tick(struct bpf_perf_event_data *ctx)
{
    __u32 cpu = bpf_get_smp_processor_id();
    __u64 *n = bpf_map_lookup_elem(&ticks, &cpu);
    if (n)
        __sync_fetch_and_add(n, 1);
    last_cookie = bpf_get_attach_cookie(ctx);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
