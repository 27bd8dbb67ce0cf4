// uprobe: one ring buffer event per call of a user-space function, with
// its first argument.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct call {
	__u32 pid;
	__s32 arg;
	__u64 ts;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} calls SEC(".maps");

struct call *unused_call __attribute__((unused));

SEC("uprobe")
int BPF_KPROBE(on_work, int x) /* BPF_KPROBE reads uprobe arguments the same way */
{
	struct call *c = bpf_ringbuf_reserve(&calls, sizeof(*c), 0);

	if (!c)
		return 0;
	c->pid = bpf_get_current_pid_tgid() >> 32;
	c->arg = x;
	c->ts = bpf_ktime_get_ns();
	bpf_ringbuf_submit(c, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
