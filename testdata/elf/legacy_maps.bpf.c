// Legacy `maps` section (iproute2 / pre-BTF style map definitions).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct legacy_map_def {
    unsigned int type, key_size, value_size, max_entries, map_flags;
};

struct legacy_map_def SEC("maps") counts = {
    .type = BPF_MAP_TYPE_ARRAY, .key_size = 4, .value_size = 8, .max_entries = 4,
};
struct legacy_map_def SEC("maps") table = {
    .type = BPF_MAP_TYPE_HASH, .key_size = 4, .value_size = 4, .max_entries = 16,
};

SEC("socket")
int bump(struct __sk_buff *skb)
{
    __u32 k = 1;
    __u64 *v = bpf_map_lookup_elem(&counts, &k);
    if (v)
        __sync_fetch_and_add(v, 5);
    __u32 key = 7, val = 42;
    bpf_map_update_elem(&table, &key, &val, BPF_ANY);
    return 1;
}

char LICENSE[] SEC("license") = "GPL";
