/* bench/run startup: the precompiled object of the startup figure. One
 * tracepoint program on getpid(2) entry writes the caller's tgid to a ring
 * buffer; the benchmark times a whole process that loads this object,
 * attaches, reads one event and exits, next to bpftrace doing the same. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_getpid")
int on_getpid(void *ctx)
{
	__u32 tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);
	bpf_ringbuf_output(&events, &tgid, sizeof(tgid), 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

/* The same event through the raw tracepoint of every syscall entry,
 * filtered on getpid's number: attaching and detaching a raw tracepoint
 * skips the perf event (and its RCU grace periods on the way out). */
SEC("raw_tp/sys_enter")
int on_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	if (ctx->args[1] != 39) /* __NR_getpid on x86_64 */
		return 0;
	__u32 tgid = (__u32)(bpf_get_current_pid_tgid() >> 32);
	bpf_ringbuf_output(&events, &tgid, sizeof(tgid), 0);
	return 0;
}
