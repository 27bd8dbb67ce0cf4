// tcpstates: one ring buffer event per TCP state change
// (sock:inet_sock_set_state), with the socket's addresses and ports.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define IPPROTO_TCP_NUM 6

struct tcp_event {
	__u64 skaddr;
	__u64 ts_ns;
	__u32 pid;
	__s32 oldstate;
	__s32 newstate;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u8 saddr[4];   /* bytes, not strings: 127.0.0.1 keeps its zeros */
	__u8 daddr[4];
	__u8 saddr_v6[16];
	__u8 daddr_v6[16];
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* keeps struct tcp_event in the BTF for reader:decode("struct tcp_event") */
struct tcp_event *unused_tcp_event __attribute__((unused));

SEC("tracepoint/sock/inet_sock_set_state")
int handle_set_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP_NUM)
		return 0;
	struct tcp_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->skaddr = (__u64)ctx->skaddr;
	e->ts_ns = bpf_ktime_get_ns();
	e->pid = bpf_get_current_pid_tgid() >> 32; /* often softirq: whoever ran */
	e->oldstate = ctx->oldstate;
	e->newstate = ctx->newstate;
	e->sport = ctx->sport;
	e->dport = ctx->dport;
	e->family = ctx->family;
	/* (the verifier refuses a memcpy through a moved ctx pointer) */
	bpf_probe_read_kernel(e->saddr, 4, ctx->saddr);
	bpf_probe_read_kernel(e->daddr, 4, ctx->daddr);
	bpf_probe_read_kernel(e->saddr_v6, 16, ctx->saddr_v6);
	bpf_probe_read_kernel(e->daddr_v6, 16, ctx->daddr_v6);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
