/* BPF streams (6.17+): a syscall program printing to its stdout and
 * stderr streams, and one the kernel reports on (a may_goto loop that
 * never ends is cut by the kernel's timeout and reported on stderr).
 * streams_impl.bpf.c builds it for the kfunc's 6.17-6.18 name. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define STDOUT 1
#define STDERR 2

#ifdef STREAM_PRINTK_IMPL /* 6.17 - 6.18: the kernel fills the last argument */
extern int bpf_stream_vprintk_impl(int stream_id, const char *fmt__str, const void *args, __u32 len__sz,
                                   void *aux__prog) __ksym;
#define PRINT(id, fmt, args, len) bpf_stream_vprintk_impl(id, fmt, args, len, NULL)
#else
extern int bpf_stream_vprintk(int stream_id, const char *fmt__str, const void *args, __u32 len__sz) __ksym;
#define PRINT(id, fmt, args, len) bpf_stream_vprintk(id, fmt, args, len)
#endif

int calls = 0, out_ret = 0, err_ret = 0;

SEC("syscall")
int say(void *ctx)
{
    __u64 args[2] = {42, (__u64)++calls};
    out_ret = PRINT(STDOUT, "hello %llu, call %llu\n", args, sizeof(args));
    err_ret = PRINT(STDERR, "warning %llu\n", args, sizeof(args[0]));
    return 0;
}

__u64 spins = 0;

SEC("syscall")
int spin(void *ctx)
{
    /* may_goto: the verifier accepts the loop, the kernel stops it */
    for (;;) {
        asm volatile goto("may_goto %l[out]" :::: out);
        spins++;
    }
out:
    return 1;
}

char LICENSE[] SEC("license") = "GPL";
