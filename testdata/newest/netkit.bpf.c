/* netkit (6.7+): counts UDP datagrams to port 4243 seen by the primary
 * side (the primary device's transmit path, into the peer's namespace)
 * and by the peer side (the peer's transmit path, out of it). Programs
 * see an Ethernet header in L3 mode too. */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define NETKIT_NEXT -1 /* run the next program */
#define NETKIT_PASS 0
#define NETKIT_DROP 2

__u64 primary_hits = 0, peer_hits = 0, second_hits = 0;
const volatile int drop_primary = 0;

static __always_inline int probe_udp(struct __sk_buff *skb)
{
    void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
    struct ethhdr *eth = data;
    if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(0x0800))
        return 0;
    struct iphdr *ip = (void *)(eth + 1);
    if ((void *)(ip + 1) > end || ip->version != 4 || ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
        return 0;
    struct udphdr *udp = (void *)(ip + 1);
    if ((void *)(udp + 1) > end)
        return 0;
    return udp->dest == bpf_htons(4243);
}

SEC("netkit/primary")
int nk_primary(struct __sk_buff *skb)
{
    if (!probe_udp(skb))
        return NETKIT_PASS;
    __sync_fetch_and_add(&primary_hits, 1);
    return drop_primary ? NETKIT_DROP : NETKIT_PASS;
}

SEC("netkit/peer")
int nk_peer(struct __sk_buff *skb)
{
    if (probe_udp(skb))
        __sync_fetch_and_add(&peer_hits, 1);
    return NETKIT_PASS;
}

/* A second primary program, ordered before the first: passes on to it. */
SEC("netkit/primary")
int nk_second(struct __sk_buff *skb)
{
    if (probe_udp(skb))
        __sync_fetch_and_add(&second_hits, 1);
    return NETKIT_NEXT;
}

char LICENSE[] SEC("license") = "GPL";
