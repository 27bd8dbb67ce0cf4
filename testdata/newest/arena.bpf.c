/* BPF arena (6.9+): __arena globals placed in the arena and a linked
 * list the program builds in arena pages, both read from Lua. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define __arena __attribute__((address_space(1)))
#define NUMA_NO_NODE (-1)

struct {
    __uint(type, BPF_MAP_TYPE_ARENA);
    __uint(map_flags, BPF_F_MMAPABLE);
    __uint(max_entries, 8); /* pages */
} arena SEC(".maps");

void __arena *bpf_arena_alloc_pages(void *map, void __arena *addr, __u32 page_cnt, int node_id,
                                    __u64 flags) __ksym __weak;

struct anode {
    struct anode __arena *next;
    __u64 value;
};

__u64 __arena hits;            /* zero: counted by bump() */
__u64 __arena start = 1000;    /* initialised: bump() adds it once */
struct anode __arena *head;     /* the list build() makes */
__u64 __arena built;

SEC("syscall")
int bump(void *ctx)
{
    if (hits == 0)
        hits = start;
    hits++;
    return 0;
}

/* A list of n nodes holding n, n-1, ..., 1 in one fresh arena page. */
SEC("syscall")
int build(void *ctx)
{
    struct anode __arena *page = bpf_arena_alloc_pages(&arena, NULL, 1, NUMA_NO_NODE, 0);
    if (!page)
        return 1;
    struct anode __arena *prev = NULL;
    for (int i = 0; i < 5; i++) {
        struct anode __arena *n = page + i;
        n->value = i + 1;
        n->next = prev;
        prev = n;
    }
    head = prev;
    built++;
    return 0;
}

char LICENSE[] SEC("license") = "GPL";
