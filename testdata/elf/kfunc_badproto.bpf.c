// A kfunc declared with a prototype the kernel's does not match
// (bpf_ct_release takes the connection to release): both loaders must
// refuse it, whether nf_conntrack is built in or a module.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern void bpf_ct_release(void) __ksym;

SEC("xdp")
int bad_kfunc(struct xdp_md *ctx)
{
    bpf_ct_release();
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
