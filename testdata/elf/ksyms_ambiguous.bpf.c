// An untyped ksym that /proc/kallsyms lists at several addresses (a
// static inline of linux/bpf.h, emitted by several files): refused as
// ambiguous rather than resolved to whichever comes first.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern const void bpf_dispatcher_nop_func __ksym;

long long addr;

SEC("raw_tp/sys_enter")
int ambiguous(void *ctx)
{
    addr = (long long)&bpf_dispatcher_nop_func;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
