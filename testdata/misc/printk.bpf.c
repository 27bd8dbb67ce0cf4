/* bpf_printk for spec/trace_pipe_spec.lua: every openat of a path under
 * /tmp/ebpf-lua-printk prints "ebpf-lua-printk open <path>" to trace_pipe. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define PREFIX "/tmp/ebpf-lua-printk"

/* tracepoint/syscalls/sys_enter_openat (its format file: the syscall
 * number and every argument take 8 bytes) */
struct openat_args {
    __u64 common;
    __s64 nr;
    __s64 dfd;
    const char *filename;
    long flags;
    long mode;
};

SEC("tracepoint/syscalls/sys_enter_openat")
int on_openat(struct openat_args *ctx)
{
    char path[96];
    if (bpf_probe_read_user_str(path, sizeof(path), ctx->filename) < 0)
        return 0;
    for (int i = 0; i < (int)sizeof(PREFIX) - 1; i++)
        if (path[i] != PREFIX[i])
            return 0;
    bpf_printk("ebpf-lua-printk open %s", path);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
