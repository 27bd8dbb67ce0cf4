// runqlat: scheduler run-queue latency, the time a task waits runnable
// before it gets a CPU: from its wakeup (or from being preempted while
// still runnable) until sched_switch picks it, as a log2 histogram of
// microseconds. targ_tgid (set from Lua before the load) keeps one process.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define NSLOTS 64

const volatile __u32 targ_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);   /* thread id */
	__type(value, __u64); /* enqueue time, ns */
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, NSLOTS);
	__type(key, __u32);
	__type(value, __u64);
} hist SEC(".maps");

/* ebpf.hist's buckets: slot floor(log2(v)) + 1, 0 and 1 both in slot 1 */
static __always_inline __u32 slot_of(__u64 v)
{
	__u32 r = 0;

	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) r += 1;
	return r + 1;
}

static __always_inline void enqueued(struct task_struct *p)
{
	__u32 tid = p->pid;

	if (!tid || (targ_tgid && p->tgid != targ_tgid))
		return; /* idle, or not the process asked for */
	__u64 ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &ts, BPF_ANY);
}

SEC("tp_btf/sched_wakeup")
int on_wakeup(__u64 *ctx)
{
	enqueued((struct task_struct *)ctx[0]); /* TP_PROTO(struct task_struct *p) */
	return 0;
}

SEC("tp_btf/sched_wakeup_new")
int on_wakeup_new(__u64 *ctx)
{
	enqueued((struct task_struct *)ctx[0]);
	return 0;
}

SEC("tp_btf/sched_switch")
int on_switch(__u64 *ctx)
{
	/* TP_PROTO(bool preempt, struct task_struct *prev, struct task_struct *next, ...) */
	struct task_struct *prev = (struct task_struct *)ctx[1];
	struct task_struct *next = (struct task_struct *)ctx[2];

	if (prev->__state == 0) /* TASK_RUNNING: preempted, back in the queue */
		enqueued(prev);
	__u32 tid = next->pid;
	__u64 *ts = bpf_map_lookup_elem(&start, &tid);
	if (!ts)
		return 0;
	__u32 slot = slot_of((bpf_ktime_get_ns() - *ts) / 1000);
	bpf_map_delete_elem(&start, &tid);
	if (slot >= NSLOTS)
		slot = NSLOTS - 1;
	__u64 *c = bpf_map_lookup_elem(&hist, &slot);
	if (c)
		__sync_fetch_and_add(c, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
