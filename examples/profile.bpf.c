// profile: samples every CPU at a fixed frequency (a perf_event program),
// records the user and kernel stacks of the running task in a stack-trace
// map and counts each (pid, comm, user stack, kernel stack) in a hash.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define MAX_DEPTH 127 /* the kernel's limit for bpf_get_stackid */

struct sample_key {
	__u32 pid;
	__s32 user_stack;   /* stack id, or -errno (-EFAULT: none) */
	__s32 kernel_stack;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, MAX_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct sample_key);
	__type(value, __u64);
} counts SEC(".maps");

const volatile __u32 target_pid = 0; /* 0: every process */

SEC("perf_event")
int sample(struct bpf_perf_event_data *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;
	struct sample_key k = {};
	__u64 one = 1, *c;

	if (pid == 0) /* the idle task */
		return 0;
	if (target_pid && pid != target_pid)
		return 0;
	k.pid = pid;
	bpf_get_current_comm(k.comm, sizeof(k.comm));
	k.user_stack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);
	k.kernel_stack = bpf_get_stackid(ctx, &stacks, 0);
	c = bpf_map_lookup_elem(&counts, &k);
	if (c)
		__sync_fetch_and_add(c, 1);
	else
		bpf_map_update_elem(&counts, &k, &one, BPF_NOEXIST);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
