// execsnoop: one ring buffer event per exec, with its arguments. The
// arguments are read at sys_enter_execve (the new program's argv is still
// the caller's memory there) and kept per process until sched_process_exec
// reports the exec done, with the new comm and path.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define MAX_ARGS 10
#define ARG_LEN 64

struct exec_args {
	__u32 argc;                  /* arguments read (at most MAX_ARGS) */
	char argv[MAX_ARGS][ARG_LEN]; /* each cut at ARG_LEN - 1 bytes */
};

struct exec_event {
	__u32 pid;
	__u32 ppid;
	__u32 uid;
	char comm[16];
	char filename[96];
	struct exec_args args;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* arguments of execs in flight, by pid (an exec that fails leaves its entry: LRU) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct exec_args);
} pending SEC(".maps");

/* room to build one exec_args off the 512-byte stack */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct exec_args);
} scratch SEC(".maps");

const volatile __u32 target_pid = 0; /* 0: every process */

/* keeps struct exec_event in the BTF for reader:decode("struct exec_event") */
struct exec_event *unused_exec_event __attribute__((unused));

SEC("tracepoint/syscalls/sys_enter_execve")
int handle_execve(struct trace_event_raw_sys_enter *ctx)
{
	__u32 zero = 0, pid = bpf_get_current_pid_tgid() >> 32;
	const char *const *argv = (const char *const *)ctx->args[1];
	struct exec_args *a = bpf_map_lookup_elem(&scratch, &zero);

	if (!a)
		return 0;
	a->argc = 0;
	for (int i = 0; i < MAX_ARGS; i++) {
		const char *p = NULL;
		if (bpf_probe_read_user(&p, sizeof(p), &argv[i]) || !p)
			break;
		if (bpf_probe_read_user_str(a->argv[i], ARG_LEN, p) < 0)
			break;
		a->argc = i + 1;
	}
	bpf_map_update_elem(&pending, &pid, a, BPF_ANY);
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int handle_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	if (target_pid && pid != target_pid)
		return 0;
	struct exec_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = pid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	unsigned int off = ctx->__data_loc_filename & 0xFFFF;
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (void *)ctx + off);
	struct exec_args *a = bpf_map_lookup_elem(&pending, &pid);
	if (a) {
		bpf_probe_read_kernel(&e->args, sizeof(e->args), a);
		bpf_map_delete_elem(&pending, &pid);
	} else {
		e->args.argc = 0;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
