// Map-in-map and prog-array static initialisation (__array(values, ...)),
// tail calls.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct inner {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u32);
};

struct inner inner_a SEC(".maps");
struct inner inner_b SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
    __uint(max_entries, 4);
    __type(key, __u32);
    __array(values, struct inner);
} outer SEC(".maps") = {
    .values = { [0] = &inner_a, [2] = &inner_b },
};

int tail_target(struct __sk_buff *skb);

struct {
    __uint(type, BPF_MAP_TYPE_PROG_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __array(values, int(struct __sk_buff *));
} jumps SEC(".maps") = {
    .values = { [1] = (void *)&tail_target },
};

SEC("socket")
int tail_target(struct __sk_buff *skb)
{
    return 77;
}

SEC("socket")
int read_inner(struct __sk_buff *skb)
{
    __u32 k = 2, z = 0;
    void *m = bpf_map_lookup_elem(&outer, &k);
    if (!m)
        return -1;
    __u32 *v = bpf_map_lookup_elem(m, &z);
    return v ? (int)*v : -2;
}

SEC("socket")
int do_tail(struct __sk_buff *skb)
{
    bpf_tail_call(skb, &jumps, 1);
    return 5;
}

char LICENSE[] SEC("license") = "GPL";
