// kfunc calls into nf_conntrack: in vmlinux BTF where conntrack is built
// in, in the nf_conntrack module's BTF where it is a module (then the call
// carries the module BTF fd's fd_array slot). A lookup of a tuple no
// connection has must give NULL with opts.error -ENOENT.
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *xdp_ctx, struct bpf_sock_tuple *bpf_tuple, u32 tuple__sz,
                                  struct bpf_ct_opts *opts, u32 opts__sz) __ksym;
void bpf_ct_release(struct nf_conn *ct) __ksym;

/* 12: the options size every kernel since 6.0 accepts */
#define CT_OPTS_SZ 12

int error;

SEC("xdp")
int ct_lookup(struct xdp_md *ctx)
{
    struct bpf_sock_tuple tup = {};
    struct bpf_ct_opts opts = {.netns_id = -1, .l4proto = 6 /* TCP */};
    tup.ipv4.saddr = bpf_htonl(0x7f000001);
    tup.ipv4.daddr = bpf_htonl(0x7f000001);
    tup.ipv4.sport = bpf_htons(1);
    tup.ipv4.dport = bpf_htons(9); /* discard: nobody talks to it */
    struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &tup, sizeof(tup.ipv4), &opts, CT_OPTS_SZ);
    error = opts.error;
    if (ct) {
        bpf_ct_release(ct);
        return XDP_DROP;
    }
    return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
