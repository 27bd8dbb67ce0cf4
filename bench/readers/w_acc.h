/* The W2/W3 consumers' work per record, shared by the reader benchmarks:
 * count it and add its u64 at offset 8 (the anchors' {seq, val} record). */
#pragma once
#include <stdint.h>
#include <string.h>

struct w_acc { uint64_t count, sum, lost; };

static inline void w_acc_add(struct w_acc *a, const void *data)
{
    uint64_t v;
    memcpy(&v, (const char *)data + 8, 8);
    a->sum += v;
    a->count++;
}

/* ebpf_perf_sample_cb / ebpf_perf_lost_cb */
static inline int w3_cb(void *ctx, int cpu, const void *data, size_t size)
{
    (void)cpu, (void)size;
    w_acc_add(ctx, data);
    return 0;
}

static inline void w3_lost(void *ctx, int cpu, uint64_t lost)
{
    (void)cpu;
    ((struct w_acc *)ctx)->lost += lost;
}
