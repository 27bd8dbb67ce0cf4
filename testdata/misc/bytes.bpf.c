// Byte arrays next to char arrays (issue 17): only `char` arrays are C
// strings; __u8 / unsigned char / __s8 arrays keep all their bytes. The
// same record is a global variable, a map value and a ring buffer record.
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct rec {
	char comm[8];
	__u8 saddr[4];
	unsigned char raw[6];
	__s8 small[3];
	char args[12];
};

struct rec g = {
	.comm = "ab",
	.saddr = {127, 0, 0, 1},
	.raw = {1, 0, 2, 0, 3, 0},
	.small = {-1, 0, 5},
	.args = "ls\0-l\0/tmp",
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rec);
} vals SEC(".maps");

SEC("syscall")
int emit(void *ctx)
{
	__u32 k = 0;
	struct rec *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return 1;
	__builtin_memcpy(e, &g, sizeof(g));
	bpf_ringbuf_submit(e, 0);
	bpf_map_update_elem(&vals, &k, &g, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
