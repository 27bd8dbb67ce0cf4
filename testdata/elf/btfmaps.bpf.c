// BTF-defined maps of several kinds with struct keys/values (decoded
// through BTF in Lua).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct key { __u32 id; char name[8]; };
struct val { __u64 count; __s32 delta; __u8 flag : 1, level : 3; };

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, struct key);
    __type(value, struct val);
} stats SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 2);
    __type(key, __u32);
    __type(value, __u64);
} pcpu SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 4096);
} rb SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 32);
    __uint(key_size, 4);
    __uint(value_size, 4);
    __uint(map_flags, 0);
} sized SEC(".maps");

SEC("socket")
int fill(struct __sk_buff *skb)
{
    struct key k = { .id = 5, .name = "five" };
    struct val v = { .count = 50, .delta = -3, .flag = 1, .level = 5 };
    bpf_map_update_elem(&stats, &k, &v, BPF_ANY);
    __u32 z = 0;
    __u64 *c = bpf_map_lookup_elem(&pcpu, &z);
    if (c)
        *c += 1;
    __u32 a = 1, b = 2;
    bpf_map_update_elem(&sized, &a, &b, BPF_ANY);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
