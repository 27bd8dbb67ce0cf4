/* Ring buffers sized as libbpf users write them (test_ringbuf_multi):
 * 1000 bytes, not a power-of-2 multiple of the page size, which libbpf
 * rounds up; and one already valid, kept. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1000);
} rb_small SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 64 * 1024);
} rb_ok SEC(".maps");

SEC("socket")
int out(void *ctx)
{
    long v = 1;
    bpf_ringbuf_output(&rb_small, &v, sizeof(v), 0);
    bpf_ringbuf_output(&rb_ok, &v, sizeof(v), 0);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
