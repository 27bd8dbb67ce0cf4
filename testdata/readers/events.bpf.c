/* Reader testdata: a ring buffer of `struct event` (nested arrays,
 * anonymous struct arrays, signed and unsigned bitfields) decoded through
 * BTF by name, and a user ring buffer drained by bpf_user_ringbuf_drain. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct event {
	__u32 pid;
	__u32 kind : 4;
	__u32 flags : 12;
	__s32 delta : 16;
	char comm[16];
	__u16 grid[2][3];
	struct {
		__u8 a;
		__u8 b[2];
	} inner[2];
	__u64 seq;
};

struct emit_args {
	__u64 n;
	__s64 delta;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16384);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_USER_RINGBUF);
	__uint(max_entries, 4096);
} commands SEC(".maps");

/* Keeps `struct event` in the object's BTF (it is otherwise only used
 * through a local pointer, which leaves no BTF trace). */
struct event *unused_event __attribute__((unused));

__u64 drained_sum;
__u64 drained_count;

SEC("syscall")
int emit(struct emit_args *args)
{
	struct event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 1;
	e->pid = 4321;
	e->kind = 5;
	e->flags = 0xabc;
	e->delta = (__s32)args->delta;
	__builtin_memcpy(e->comm, "hello-readers\0\0", 16);
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 3; j++)
			e->grid[i][j] = (__u16)(i * 10 + j);
	e->inner[0].a = 1;
	e->inner[0].b[0] = 2;
	e->inner[0].b[1] = 3;
	e->inner[1].a = 4;
	e->inner[1].b[0] = 5;
	e->inner[1].b[1] = 6;
	e->seq = args->n;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

static long drain_one(struct bpf_dynptr *sample, void *ctx)
{
	__u64 v;

	if (bpf_dynptr_read(&v, sizeof(v), sample, 0, 0))
		return 1;
	drained_sum += v;
	drained_count += 1;
	return 0;
}

SEC("syscall")
int drain(void *ctx)
{
	return bpf_user_ringbuf_drain(&commands, drain_one, NULL, 0);
}

char LICENSE[] SEC("license") = "GPL";
