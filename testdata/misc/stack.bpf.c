/* Stacks for spec/sym_spec.lua, in an array: a uprobe records the user
 * stack id of each hit ([0]; [1] its kernel stack id: none, a uprobe has
 * user registers), the process ([2]) and the hits ([3]); the
 * clock_nanosleep tracepoint of process [4] records its kernel ([5], in
 * kstacks) and user ([6], in ustacks) stack ids once ([7] = 1 then): maps
 * of their own, so that the two never compete for a bucket (-EEXIST). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
    __uint(type, BPF_MAP_TYPE_STACK_TRACE);
    __uint(max_entries, 64);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, 127 * sizeof(__u64));
} stacks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_STACK_TRACE);
    __uint(max_entries, 64);
    __uint(key_size, sizeof(__u32));
    __uint(value_size, 127 * sizeof(__u64));
} kstacks SEC(".maps"), ustacks SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, 8);
    __type(key, __u32);
    __type(value, __s64);
} ids SEC(".maps");

static void put(__u32 k, __s64 v)
{
    bpf_map_update_elem(&ids, &k, &v, BPF_ANY);
}

SEC("uprobe")
int on_leaf(void *ctx)
{
    __u32 k = 3;
    __s64 *hits = bpf_map_lookup_elem(&ids, &k);

    put(0, bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK));
    put(1, bpf_get_stackid(ctx, &stacks, 0));
    put(2, bpf_get_current_pid_tgid() >> 32);
    if (hits)
        __sync_fetch_and_add(hits, 1);
    return 0;
}

SEC("tracepoint/syscalls/sys_enter_clock_nanosleep")
int on_sleep(void *ctx)
{
    __u32 k = 4;
    __s64 *target = bpf_map_lookup_elem(&ids, &k);

    if (!target || *target != (__s64)(bpf_get_current_pid_tgid() >> 32))
        return 0;
    k = 7;
    __s64 *done = bpf_map_lookup_elem(&ids, &k);
    if (!done || *done)
        return 0;
    put(5, bpf_get_stackid(ctx, &kstacks, 0));
    put(6, bpf_get_stackid(ctx, &ustacks, BPF_F_USER_STACK));
    *done = 1;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
