/* Tracing multi (7.2): one program on many kernel functions through one
 * link, with a cookie per function. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

const volatile int target_pid = 0;
__u64 entry_hits = 0, exit_hits = 0, cookie_sum = 0;

static __always_inline int mine(void)
{
    return (bpf_get_current_pid_tgid() >> 32) == (__u32)target_pid;
}

SEC("fentry.multi/do_sys_openat*")
int on_entry(void *ctx)
{
    if (mine()) {
        __sync_fetch_and_add(&entry_hits, 1);
        __sync_fetch_and_add(&cookie_sum, bpf_get_attach_cookie(ctx));
    }
    return 0;
}

SEC("fexit.multi/do_sys_openat2")
int on_exit(void *ctx)
{
    if (mine())
        __sync_fetch_and_add(&exit_hits, 1);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
