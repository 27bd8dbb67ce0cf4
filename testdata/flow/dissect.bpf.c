/* A flow dissector for IPv4/IPv6 with TCP/UDP: fills struct bpf_flow_keys
 * from the packet (no options, extension headers or tunnels) and counts
 * its runs; the last UDP destination port it saw is kept. */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

char _license[] SEC("license") = "GPL";

__u64 runs = 0, udp_runs = 0;
__u16 last_dport = 0;

/* Direct packet access (BPF_PROG_TEST_RUN has no skb for
 * bpf_skb_load_bytes); offsets are bounded first for the verifier. */
static __always_inline void *header(struct __sk_buff *skb, __u16 off, __u32 size)
{
    void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
    if (off > 128 || data + off + size > end)
        return 0;
    return data + off;
}

static __always_inline int ports(struct __sk_buff *skb, struct bpf_flow_keys *k)
{
    __be16 *p = header(skb, k->thoff, 4);
    if (!p)
        return BPF_DROP;
    k->sport = p[0];
    k->dport = p[1];
    if (k->ip_proto == IPPROTO_UDP) {
        __sync_fetch_and_add(&udp_runs, 1);
        last_dport = bpf_ntohs(p[1]);
    }
    return BPF_OK;
}

SEC("flow_dissector")
int dissect(struct __sk_buff *skb)
{
    struct bpf_flow_keys *k = skb->flow_keys;
    __sync_fetch_and_add(&runs, 1);
    if (k->n_proto == bpf_htons(ETH_P_IP)) {
        struct iphdr *ip = header(skb, k->nhoff, sizeof(*ip));
        if (!ip || ip->ihl != 5)
            return BPF_DROP;
        k->addr_proto = ETH_P_IP;
        k->ipv4_src = ip->saddr;
        k->ipv4_dst = ip->daddr;
        k->ip_proto = ip->protocol;
        k->thoff = k->nhoff + sizeof(*ip);
        k->is_frag = (ip->frag_off & bpf_htons(0x3fff)) != 0;
    } else if (k->n_proto == bpf_htons(ETH_P_IPV6)) {
        struct ipv6hdr *ip6 = header(skb, k->nhoff, sizeof(*ip6));
        if (!ip6)
            return BPF_DROP;
        k->addr_proto = ETH_P_IPV6;
        __builtin_memcpy(k->ipv6_src, &ip6->saddr, 16);
        __builtin_memcpy(k->ipv6_dst, &ip6->daddr, 16);
        k->ip_proto = ip6->nexthdr;
        k->thoff = k->nhoff + sizeof(*ip6);
    } else {
        return BPF_DROP;
    }
    if (k->is_frag || (k->ip_proto != IPPROTO_TCP && k->ip_proto != IPPROTO_UDP))
        return BPF_OK;
    return ports(skb, k);
}
