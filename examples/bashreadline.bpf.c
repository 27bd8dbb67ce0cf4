// bashreadline: the lines interactive bash shells read, from a uretprobe
// on readline() (its return value is the line). The binary comes from
// the script (prog:attach{path=, symbol=}), so the section names none.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

struct line_event {
	__u32 pid;
	char comm[16];
	char line[256];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

/* keeps struct line_event in the BTF for reader:decode("struct line_event") */
struct line_event *unused_line_event __attribute__((unused));

SEC("uretprobe")
int BPF_KRETPROBE(readline_ret, const char *line)
{
	if (!line)
		return 0; /* EOF */
	struct line_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_user_str(e->line, sizeof(e->line), line);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
