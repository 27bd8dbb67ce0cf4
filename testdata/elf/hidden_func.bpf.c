// A global function with hidden visibility (as usdt.bpf.h's
// bpf_usdt_arg): libbpf marks it static in the BTF it loads, so the
// verifier checks it in its caller's context, where `out` is a stack
// pointer; verified as a global function, `out` could be NULL and the
// store is refused (EACCES).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__attribute__((visibility("hidden"))) __attribute__((noinline)) int store_len(struct __sk_buff *skb, long *out)
{
    *out = skb->len;
    return 0;
}

SEC("socket") int hidden_caller(struct __sk_buff *skb)
{
    long v = 0;
    store_len(skb, &v);
    return v > 0;
}

char LICENSE[] SEC("license") = "GPL";
