// .kconfig externs (bool, tristate, int, string, weak missing, virtual
// LINUX_* values), .ksyms (typed via BTF, untyped via kallsyms, weak
// missing) and kfunc calls.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern bool CONFIG_BPF_SYSCALL __kconfig;
extern enum libbpf_tristate CONFIG_BPF_JIT __kconfig;
extern int CONFIG_HZ __kconfig;
extern char CONFIG_LOCALVERSION[32] __kconfig __weak;
extern int CONFIG_EBPF_LUA_DOES_NOT_EXIST __kconfig __weak;
extern unsigned int LINUX_KERNEL_VERSION __kconfig;
extern bool LINUX_HAS_SYSCALL_WRAPPER __kconfig;

extern const void schedule __ksym;                /* untyped: kallsyms */
extern const void ebpf_lua_no_such_symbol __ksym __weak;

extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

struct {
    long long syscall, jit, hz, weak, kver, wrapper, fops_addr, missing_sym, rq_nonzero;
    char localversion[32];
} kc;

SEC("raw_tp/sys_enter")
int read_externs(void *ctx)
{
    kc.syscall = CONFIG_BPF_SYSCALL;
    kc.jit = CONFIG_BPF_JIT;
    kc.hz = CONFIG_HZ;
    kc.weak = CONFIG_EBPF_LUA_DOES_NOT_EXIST;
    kc.kver = LINUX_KERNEL_VERSION;
    kc.wrapper = LINUX_HAS_SYSCALL_WRAPPER;
    kc.fops_addr = (long long)&schedule;
    kc.missing_sym = (long long)&ebpf_lua_no_such_symbol;
    __builtin_memcpy(kc.localversion, CONFIG_LOCALVERSION, sizeof(kc.localversion));
    bpf_rcu_read_lock();
    kc.rq_nonzero = 1;
    bpf_rcu_read_unlock();
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
