// A program the verifier rejects (reads an uninitialised register).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("socket")
int good(struct __sk_buff *skb) { return 1; }

SEC("socket")
int bad(struct __sk_buff *skb)
{
    int r;
    asm volatile("r0 = r5; exit" : "=r"(r));
    return r;
}

char LICENSE[] SEC("license") = "GPL";
