/* One record of a batched pull from an event reader (ring buffer or perf
 * buffer): ebpf_ringbuf_peek_batch() and ebpf_perf_peek_batch() fill
 * arrays of these, the matching *_commit() gives records back up to one of
 * them. The same layout for both readers lets a binding walk batches of
 * either without converting them. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum { EBPF_RECORD_SAMPLE = 1, EBPF_RECORD_LOST = 2 };

struct ebpf_record {
    const void *data; /* valid until the record is committed */
    size_t size;
    int type;         /* EBPF_RECORD_SAMPLE, or EBPF_RECORD_LOST (perf) */
    int ring;         /* the reader's ring index (ring buffer: map order) */
    int cpu;          /* perf: the CPU the record was written on; ring buffer: -1 */
    uint64_t lost;    /* EBPF_RECORD_LOST: samples dropped */
    uint64_t end;     /* ring position after the record: what commit gives back up to */
};

#ifdef __cplusplus
}
#endif
