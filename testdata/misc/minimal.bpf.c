// Smallest object: one socket filter returning 0, GPL license.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int ret0(struct __sk_buff *skb)
{
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
