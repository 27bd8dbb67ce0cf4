/* Histograms for spec/hist_spec.lua: each test_run of `fill` puts the
 * packet length into a log2 bucket (bcc's convention: bucket = log2 + 1,
 * 0 for 0), per CPU, and into a hash keyed {parity, slot}. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 64);
    __type(key, __u32);
    __type(value, __u64);
} hist SEC(".maps");

struct skey {
    __u32 parity;
    __u32 slot;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 256);
    __type(key, struct skey);
    __type(value, __u64);
} bykey SEC(".maps");

static __always_inline __u32 log2_u32(__u32 v)
{
    __u32 r, s;
    r = (v > 0xffff) << 4; v >>= r;
    s = (v > 0xff) << 3; v >>= s; r |= s;
    s = (v > 0xf) << 2; v >>= s; r |= s;
    s = (v > 0x3) << 1; v >>= s; r |= s;
    return r | (v >> 1);
}

SEC("socket")
int fill(struct __sk_buff *skb)
{
    __u32 len = skb->len;
    __u32 slot = len ? log2_u32(len) + 1 : 0;
    __u64 *c = bpf_map_lookup_elem(&hist, &slot);
    if (c)
        *c += 1;
    struct skey k = {len & 1, slot};
    __u64 one = 1, *v = bpf_map_lookup_elem(&bykey, &k);
    if (v)
        __sync_fetch_and_add(v, 1);
    else
        bpf_map_update_elem(&bykey, &k, &one, BPF_NOEXIST);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
