/* kprobe and uprobe sessions (6.10 / 6.13): one program runs at entry and
 * at return; the entry's return value 1 skips the return run, and a cookie
 * carries data from entry to return. The kfuncs took no argument until
 * the kernel gave them the context (7.x): session.bpf.c and
 * session_ctx.bpf.c build both shapes from this body. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#ifdef SESSION_CTX
extern bool bpf_session_is_return(void *ctx) __ksym;
extern __u64 *bpf_session_cookie(void *ctx) __ksym;
#define IS_RETURN(c) bpf_session_is_return(c)
#define COOKIE(c) bpf_session_cookie(c)
#else
extern bool bpf_session_is_return(void) __ksym;
extern __u64 *bpf_session_cookie(void) __ksym;
#define IS_RETURN(c) bpf_session_is_return()
#define COOKIE(c) bpf_session_cookie()
#endif

const volatile int target_pid = 0;
__u64 k_entries = 0, k_returns = 0, k_cookies = 0;
__u64 u_entries = 0, u_returns = 0, u_cookies = 0, u_ret_sum = 0;

static __always_inline int mine(void)
{
    return (bpf_get_current_pid_tgid() >> 32) == (__u32)target_pid;
}

SEC("kprobe.session/do_sys_openat2")
int ksession(struct pt_regs *ctx)
{
    if (!mine())
        return 1; /* no return run for other processes */
    __u64 *cookie = COOKIE(ctx);
    if (!IS_RETURN(ctx)) {
        __sync_fetch_and_add(&k_entries, 1);
        *cookie = bpf_get_current_pid_tgid() ^ 0x5e5510;
        return 0;
    }
    __sync_fetch_and_add(&k_returns, 1);
    if (*cookie == (bpf_get_current_pid_tgid() ^ 0x5e5510))
        __sync_fetch_and_add(&k_cookies, 1);
    return 0;
}

/* target_add(a, 1000) of the test binary (run only by the spec): the
 * return run happens only for even a. */
SEC("uprobe.session")
int usession(struct pt_regs *ctx)
{
    __u64 *cookie = COOKIE(ctx);
    if (!IS_RETURN(ctx)) {
        __u64 a = PT_REGS_PARM1(ctx);
        __sync_fetch_and_add(&u_entries, 1);
        *cookie = a + 1;
        return a & 1;
    }
    __s64 rc = (__s64)PT_REGS_RC(ctx);
    __sync_fetch_and_add(&u_returns, 1);
    if (rc == (__s64)(*cookie - 1 + 1000))
        __sync_fetch_and_add(&u_cookies, 1);
    __sync_fetch_and_add(&u_ret_sum, rc);
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
