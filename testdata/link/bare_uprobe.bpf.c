// A uretprobe whose section names no binary (SEC("uretprobe")): the script
// must give path and symbol; coll:attach() without them raises.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("uretprobe")
int bare_ret(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_getpid")
int on_getpid(void *ctx)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
