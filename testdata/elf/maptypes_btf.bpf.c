/* Every map type whose key/value the kernel does not type with BTF,
 * declared with __type(key/value) as real-world objects do: libbpf passes
 * no BTF key/value ids for them (some kernels refuse them: ENOTSUPP). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define KV(t, k, v, n) struct { __uint(type, t); __uint(max_entries, n); __type(key, k); __type(value, v); }

KV(BPF_MAP_TYPE_PERF_EVENT_ARRAY, __u32, __u32, 0) m_perf_event_array SEC(".maps");
KV(BPF_MAP_TYPE_CGROUP_ARRAY, __u32, __u32, 4) m_cgroup_array SEC(".maps");
KV(BPF_MAP_TYPE_STACK_TRACE, __u32, __u64[32], 16) m_stack_trace SEC(".maps");
KV(BPF_MAP_TYPE_DEVMAP, __u32, __u32, 4) m_devmap SEC(".maps");
KV(BPF_MAP_TYPE_DEVMAP_HASH, __u32, __u32, 4) m_devmap_hash SEC(".maps");
KV(BPF_MAP_TYPE_CPUMAP, __u32, __u32, 4) m_cpumap SEC(".maps");
KV(BPF_MAP_TYPE_XSKMAP, __u32, __u32, 4) m_xskmap SEC(".maps");
KV(BPF_MAP_TYPE_SOCKMAP, __u32, __u64, 4) m_sockmap SEC(".maps");
KV(BPF_MAP_TYPE_SOCKHASH, __u32, __u64, 4) m_sockhash SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_QUEUE);
    __uint(max_entries, 4);
    __type(value, __u32);
} m_queue SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_STACK);
    __uint(max_entries, 4);
    __type(value, __u32);
} m_stack SEC(".maps");

struct inner {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 2);
    __type(key, __u32);
    __array(values, struct inner);
} m_array_of_maps SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
    __uint(max_entries, 2);
    __type(key, __u32);
    __array(values, struct inner);
} m_hash_of_maps SEC(".maps");

/* and one that does take them: its BTF ids stay */
KV(BPF_MAP_TYPE_HASH, __u32, __u64, 4) m_hash SEC(".maps");

SEC("socket")
int keep(struct __sk_buff *skb)
{
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
