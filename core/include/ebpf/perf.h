/* Perf event buffer reader for BPF_MAP_TYPE_PERF_EVENT_ARRAY maps: one
 * PERF_COUNT_SW_BPF_OUTPUT event and ring per online CPU (offline CPUs are
 * skipped), stored in the map at the CPU's index, all waited on through one
 * epoll fd. Each record knows its CPU; PERF_RECORD_LOST records are counted
 * per CPU and reported. A record that wraps the end of a ring is copied to
 * a bounce buffer so callbacks always see contiguous bytes.
 *
 * Overwritable mode (write_backward): the kernel keeps overwriting the
 * oldest records and never blocks; a read takes a snapshot of each ring
 * (output paused for the copy) and hands records over oldest first. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpf/error.h"
#include "ebpf/record.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ebpf_map;
struct ebpf_perf;

struct ebpf_perf_opts {
    size_t pages;           /* data pages per CPU, a power of 2; 0: 64 */
    uint32_t watermark;     /* wake up after this many bytes; 0: use wakeup_events */
    uint32_t wakeup_events; /* wake up every N samples; 0: 1 */
    bool overwritable;      /* backward ring, oldest records overwritten */
};

EBPF_API void ebpf_perf_opts_init(struct ebpf_perf_opts *opts);

/* Return 0 to go on, non-zero to stop after this record (kept as the stop
 * code). `data` is valid during the call only. */
typedef int (*ebpf_perf_sample_cb)(void *ctx, int cpu, const void *data, size_t size);
/* `lost` samples were dropped on `cpu` (the ring was full). May be NULL. */
typedef void (*ebpf_perf_lost_cb)(void *ctx, int cpu, uint64_t lost);

/* Opens the per-CPU events and rings and stores them in the map. */
EBPF_API struct ebpf_perf *ebpf_perf_new(const struct ebpf_map *map, const struct ebpf_perf_opts *opts);
EBPF_API struct ebpf_perf *ebpf_perf_new_fd(int map_fd, const struct ebpf_perf_opts *opts);
/* Removes the events from the map (when it still holds them), unmaps and
 * closes. NULL-safe. */
EBPF_API void ebpf_perf_free(struct ebpf_perf *pb);

EBPF_API int ebpf_perf_epoll_fd(const struct ebpf_perf *pb);
/* Number of rings (online CPUs covered) and the CPU of ring i. */
EBPF_API int ebpf_perf_count(const struct ebpf_perf *pb);
EBPF_API int ebpf_perf_cpu(const struct ebpf_perf *pb, int ring);
/* The perf event fd of ring i (owned by the reader; -1 when out of range):
 * what the map slot of its CPU holds, e.g. to point the slot back at this
 * reader after another one replaced it. */
EBPF_API int ebpf_perf_ring_fd(const struct ebpf_perf *pb, int ring);
/* Bytes of the data area of each ring. */
EBPF_API size_t ebpf_perf_ring_size(const struct ebpf_perf *pb);

EBPF_API long ebpf_perf_consume(struct ebpf_perf *pb, long max, ebpf_perf_sample_cb cb, ebpf_perf_lost_cb lost_cb,
                                void *ctx);
EBPF_API long ebpf_perf_poll(struct ebpf_perf *pb, int timeout_ms, long max, ebpf_perf_sample_cb cb,
                             ebpf_perf_lost_cb lost_cb, void *ctx);
/* 1 when a ring is readable, 0 on timeout, -errno. */
EBPF_API int ebpf_perf_wait(struct ebpf_perf *pb, int timeout_ms);
EBPF_API int ebpf_perf_stop_code(const struct ebpf_perf *pb);

/* Lost samples seen so far (LOST records read), total or for one CPU. */
EBPF_API uint64_t ebpf_perf_lost(const struct ebpf_perf *pb);
EBPF_API uint64_t ebpf_perf_lost_cpu(const struct ebpf_perf *pb, int cpu);
/* Unread bytes over all rings (forward mode). */
EBPF_API uint64_t ebpf_perf_available(const struct ebpf_perf *pb);

/* Pause removes the events from the map (programs' bpf_perf_event_output
 * then fails with ENOENT and nothing is recorded); resume puts them back. */
EBPF_API int ebpf_perf_pause(struct ebpf_perf *pb);
EBPF_API int ebpf_perf_resume(struct ebpf_perf *pb);

/* Pull interface (see ebpf_ringbuf_peek). Lost records come through as
 * EBPF_PERF_LOST with `lost` set (and are counted when peeked). */
enum { EBPF_PERF_SAMPLE = 1, EBPF_PERF_LOST = 2 };
struct ebpf_perf_record {
    int type;
    int cpu;
    const void *data;
    size_t size;
    uint64_t lost;
};
EBPF_API int ebpf_perf_peek(struct ebpf_perf *pb, struct ebpf_perf_record *rec);
EBPF_API void ebpf_perf_release(struct ebpf_perf *pb);

/* Batched pull: up to max records of one ring (the next non-empty one)
 * without consuming them; ebpf_perf_commit(pb, &recs[i]) gives back
 * recs[0..i]; records not committed are peeked again by the next call.
 * A LOST record is always alone in its batch (and counted when peeked);
 * at most one record per batch wrapped the ring's end (it points into a
 * bounce buffer, valid until the next peek). Overwritable readers give
 * one record per batch. Returns the count, 0 if every ring is empty. */
EBPF_API long ebpf_perf_peek_batch(struct ebpf_perf *pb, struct ebpf_record *recs, long max);
EBPF_API void ebpf_perf_commit(struct ebpf_perf *pb, const struct ebpf_record *rec);

#ifdef __cplusplus
}
#endif
