// biolatency: block I/O latency, from the request's issue to the driver
// until its completion, as a log2 histogram of microseconds. tp_btf hands
// the programs the kernel's own `struct request *`, which keys the start
// times (no copy of the tracepoint's fields needed).
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define NSLOTS 64

const volatile __u32 targ_dev = 0; /* --disk: the kernel's dev_t (major << 20 | minor), 0 = all */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u64);   /* the request's address */
	__type(value, __u64); /* issue time, ns */
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

/* The disk's dev_t as the block tracepoints report it. */
static __always_inline __u32 dev_of(struct request *rq)
{
	struct gendisk *disk = rq->q->disk;

	return disk ? ((__u32)disk->major << 20) | (__u32)disk->first_minor : 0;
}

SEC("tp_btf/block_rq_issue")
int on_issue(__u64 *ctx)
{
	__u64 rq = ctx[0]; /* TP_PROTO(struct request *rq) */
	__u64 ts = bpf_ktime_get_ns();

	if (targ_dev && dev_of((struct request *)rq) != targ_dev)
		return 0;
	bpf_map_update_elem(&start, &rq, &ts, BPF_ANY);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int on_complete(__u64 *ctx)
{
	__u64 rq = ctx[0]; /* TP_PROTO(struct request *rq, blk_status_t error, unsigned int nr_bytes) */
	__u64 *ts = bpf_map_lookup_elem(&start, &rq);

	if (!ts)
		return 0; /* issued before we started */
	__u32 slot = slot_of((bpf_ktime_get_ns() - *ts) / 1000);
	bpf_map_delete_elem(&start, &rq);
	if (slot >= NSLOTS)
		slot = NSLOTS - 1;
	__u64 *c = bpf_map_lookup_elem(&hist, &slot);
	if (c)
		__sync_fetch_and_add(c, 1);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
