// opensnoop: one ring buffer event per openat(2), with the caller's pid
// and comm, the flags and the path as the caller passed it.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct open_event {
	__u32 pid;
	__s32 flags;
	char comm[16];
	char path[256];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

const volatile __u32 target_pid = 0; /* 0: every process (--pid) */

/* keeps struct open_event in the BTF for reader:decode("struct open_event") */
struct open_event *unused_open_event __attribute__((unused));

SEC("tracepoint/syscalls/sys_enter_openat")
int handle_openat(struct trace_event_raw_sys_enter *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	if (target_pid && pid != target_pid)
		return 0;
	struct open_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = pid;
	e->flags = (__s32)ctx->args[2];
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->path, sizeof(e->path), (const void *)ctx->args[1]);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
