/* .kconfig externs of several sizes and alignments, declared in another
 * order than libbpf lays them out (alignment, size, name), and the virtual
 * LINUX_HAS_* values as branches the verifier prunes (so the translated
 * code shows the values). Only LINUX_ externs: no kernel config file is
 * needed. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;
extern unsigned long long LINUX_EBPF_LUA_U64 __kconfig __weak;
extern char LINUX_EBPF_LUA_CHAR __kconfig __weak;
extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern unsigned short LINUX_EBPF_LUA_U16 __kconfig __weak;
extern bool LINUX_HAS_BPF_COOKIE __kconfig;

long out;

SEC("socket")
int virtuals(void *ctx)
{
    long v = 0;
    if (LINUX_HAS_SYSCALL_WRAPPER)
        v += 1;
    else
        v += 100;
    if (LINUX_HAS_BPF_COOKIE)
        v += 2;
    else
        v += 200;
    v += LINUX_KERNEL_VERSION + LINUX_EBPF_LUA_U64 + LINUX_EBPF_LUA_U16 + LINUX_EBPF_LUA_CHAR;
    out = v;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
