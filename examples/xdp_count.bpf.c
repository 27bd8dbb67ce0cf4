// xdp_count: counts the packets an interface receives, by protocol.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

enum { P_OTHER, P_ARP, P_IPV4_ICMP, P_IPV4_UDP, P_IPV4_TCP, P_IPV4_OTHER, P_IPV6, P_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, P_MAX);
	__type(key, __u32);
	__type(value, __u64);
} packets SEC(".maps");

SEC("xdp")
int count_packets(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 key = P_OTHER;

	if ((void *)(eth + 1) <= end) {
		__u16 proto = bpf_ntohs(eth->h_proto);
		if (proto == 0x0806) {
			key = P_ARP;
		} else if (proto == 0x86DD) {
			key = P_IPV6;
		} else if (proto == 0x0800) {
			struct iphdr *ip = (void *)(eth + 1);
			key = P_IPV4_OTHER;
			if ((void *)(ip + 1) <= end)
				key = ip->protocol == 1 ? P_IPV4_ICMP : ip->protocol == 17 ? P_IPV4_UDP
				    : ip->protocol == 6 ? P_IPV4_TCP : P_IPV4_OTHER;
		}
	}
	__u64 *c = bpf_map_lookup_elem(&packets, &key);
	if (c)
		__sync_fetch_and_add(c, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
