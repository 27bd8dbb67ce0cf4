// Weak kfuncs tested for existence (libbpf's bpf_ksym_exists idiom: the
// kfunc's address as a value, a BTF_ID ld_imm64 of the FUNC or 0) and
// called only where present: one no kernel has, one that 6.2+ has.
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define ksym_exists(sym) (!!(sym))

extern void bpf_ebpf_lua_no_such_kfunc(void) __ksym __weak;
extern void bpf_rcu_read_lock(void) __ksym __weak;
extern void bpf_rcu_read_unlock(void) __ksym __weak;

int have_missing = -1, have_rcu = -1, locked;

SEC("raw_tp/sys_enter")
int weak_kfuncs(void *ctx)
{
    have_missing = ksym_exists(bpf_ebpf_lua_no_such_kfunc);
    if (ksym_exists(bpf_ebpf_lua_no_such_kfunc))
        bpf_ebpf_lua_no_such_kfunc();
    have_rcu = ksym_exists(bpf_rcu_read_lock) && ksym_exists(bpf_rcu_read_unlock);
    if (ksym_exists(bpf_rcu_read_lock) && ksym_exists(bpf_rcu_read_unlock)) {
        bpf_rcu_read_lock();
        locked = 1;
        bpf_rcu_read_unlock();
    }
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
