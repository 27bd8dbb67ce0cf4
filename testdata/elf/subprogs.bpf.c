// bpf-to-bpf calls (static and global .text functions, nested), several
// programs in one section, and function pointers (bpf_loop callbacks).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 4);
    __type(key, __u32);
    __type(value, __u64);
} results SEC(".maps");

static __noinline int square(int x) { return x * x; }

static __noinline int sum_squares(int a, int b) { return square(a) + square(b); }

__noinline int global_twice(int x) { return 2 * x + (x > 1000 ? square(x) : 0); }

struct loop_ctx { __u64 acc; };

static int loop_cb(__u32 i, void *data)
{
    struct loop_ctx *c = data;
    c->acc += i;
    return 0;
}

static void store(__u32 k, __u64 v)
{
    bpf_map_update_elem(&results, &k, &v, BPF_ANY);
}

SEC("socket")
int calls_a(struct __sk_buff *skb)
{
    int r = sum_squares(3, 4);           /* 25 */
    store(0, r);
    return r;
}

SEC("socket")
int calls_b(struct __sk_buff *skb)
{
    int r = global_twice(21) + square(2); /* 46 */
    store(1, r);
    return r;
}

SEC("tc")
int loops(struct __sk_buff *skb)
{
    struct loop_ctx c = { 0 };
    bpf_loop(10, loop_cb, &c, 0);         /* 0+1+...+9 = 45 */
    store(2, c.acc);
    return (int)c.acc;
}

char LICENSE[] SEC("license") = "GPL";
