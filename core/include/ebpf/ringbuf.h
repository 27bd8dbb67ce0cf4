/* BPF ring buffers from user space.
 *
 * Reader (BPF_MAP_TYPE_RINGBUF): one reader drains one or more ring buffer
 * maps, waiting on a single epoll fd. Records are handed to a callback as a
 * pointer into the shared mapping (valid during the call only) and are
 * committed (given back to the kernel) as soon as the callback returns,
 * whatever it returns: a record is never delivered twice.
 *
 * Writer (BPF_MAP_TYPE_USER_RINGBUF): user space reserves, fills and
 * submits samples that a BPF program drains with bpf_user_ringbuf_drain().
 * A writer is meant for one thread at a time. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "ebpf/error.h"
#include "ebpf/record.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ebpf_map;
struct ebpf_ringbuf;

/* Called for each record; `ring` is the index of its map in the reader
 * (order of ebpf_ringbuf_add). Return 0 to go on, anything else to stop
 * after this record (it is committed either way); the value is kept as the
 * reader's stop code (ebpf_ringbuf_stop_code). */
typedef int (*ebpf_ringbuf_cb)(void *ctx, const void *data, size_t size, int ring);

/* An empty reader (its epoll fd is created now). NULL + errno on failure. */
EBPF_API struct ebpf_ringbuf *ebpf_ringbuf_new(void);
/* Adds a ringbuf map: mmaps it and registers it with the epoll set. The map
 * fd is not kept: the mapping keeps the map alive, so the caller may close
 * its map afterwards. Returns the ring index (>= 0) or -errno. */
EBPF_API int ebpf_ringbuf_add(struct ebpf_ringbuf *rb, const struct ebpf_map *map);
/* Same from a raw map fd (size read from the kernel). */
EBPF_API int ebpf_ringbuf_add_fd(struct ebpf_ringbuf *rb, int map_fd);
/* Unmaps and closes; pending records stay in the kernel's ring. NULL-safe. */
EBPF_API void ebpf_ringbuf_free(struct ebpf_ringbuf *rb);

/* Number of rings. */
EBPF_API int ebpf_ringbuf_count(const struct ebpf_ringbuf *rb);
/* The epoll fd: readable when some ring has data (for event loops). */
EBPF_API int ebpf_ringbuf_epoll_fd(const struct ebpf_ringbuf *rb);

/* Drains every ring without waiting, at most `max` records (<= 0: no
 * limit). Returns the number of records handed to cb (including the one
 * that stopped it) or -errno. */
EBPF_API long ebpf_ringbuf_consume(struct ebpf_ringbuf *rb, long max, ebpf_ringbuf_cb cb, void *ctx);
/* Drains what is there; if nothing, waits up to timeout_ms (< 0: forever,
 * 0: no wait) for data and drains again. Returns the count (0 on timeout),
 * or -errno (-EINTR when a signal interrupted the wait). */
EBPF_API long ebpf_ringbuf_poll(struct ebpf_ringbuf *rb, int timeout_ms, long max, ebpf_ringbuf_cb cb,
                                void *ctx);
/* Waits until a ring has data or timeout_ms passes. Returns 1 if data is
 * available, 0 on timeout, -errno. */
EBPF_API int ebpf_ringbuf_wait(struct ebpf_ringbuf *rb, int timeout_ms);
/* The stop code returned by the last callback that stopped a drain (0 if
 * the last drain was not stopped). */
EBPF_API int ebpf_ringbuf_stop_code(const struct ebpf_ringbuf *rb);

/* Bytes produced but not yet consumed, over all rings (headers included). */
EBPF_API uint64_t ebpf_ringbuf_available(const struct ebpf_ringbuf *rb);
/* Data size of ring i (its max_entries), or 0. */
EBPF_API size_t ebpf_ringbuf_size(const struct ebpf_ringbuf *rb, int ring);

/* Pull interface, for bindings that must not run foreign code between
 * core frames (callbacks that may longjmp). ebpf_ringbuf_peek() finds the
 * next committed record of any ring (round robin from the last ring read),
 * skipping discarded ones; the pointer stays valid until
 * ebpf_ringbuf_release(), which gives the record back to the kernel.
 * Returns 1 with data, size and ring set, 0 if every ring is empty.
 * A record still held when peek is called again is released first, so a
 * loop of peeks hands each record over once and commits it on the next
 * call; call release after the last one. */
EBPF_API int ebpf_ringbuf_peek(struct ebpf_ringbuf *rb, const void **data, size_t *size, int *ring);
EBPF_API void ebpf_ringbuf_release(struct ebpf_ringbuf *rb);

/* Batched pull: up to max committed records of one ring (the next
 * non-empty one, round robin) without consuming them; the pointers stay
 * valid until the records are committed. ebpf_ringbuf_commit(rb, &recs[i])
 * gives back recs[0..i] (and discarded records between them); records not
 * committed are peeked again by the next call. Returns the count, 0 if
 * every ring is empty. Releases a record held by ebpf_ringbuf_peek first. */
EBPF_API long ebpf_ringbuf_peek_batch(struct ebpf_ringbuf *rb, struct ebpf_record *recs, long max);
EBPF_API void ebpf_ringbuf_commit(struct ebpf_ringbuf *rb, const struct ebpf_record *rec);

/* ---- user ring buffer writer ---- */
struct ebpf_user_ringbuf;

EBPF_API struct ebpf_user_ringbuf *ebpf_user_ringbuf_new(const struct ebpf_map *map);
EBPF_API struct ebpf_user_ringbuf *ebpf_user_ringbuf_new_fd(int map_fd);
/* Unmaps (NULL-safe). Samples still reserved are discarded first (a
 * reserved sample would block the kernel's drain at that point). */
EBPF_API void ebpf_user_ringbuf_free(struct ebpf_user_ringbuf *w);
/* Reserves size bytes (8-byte aligned); NULL + errno: E2BIG if it can
 * never fit, ENOSPC if the ring is full now. */
EBPF_API void *ebpf_user_ringbuf_reserve(struct ebpf_user_ringbuf *w, uint32_t size);
/* Like reserve, but waits (epoll on the map) up to timeout_ms for space;
 * ETIMEDOUT when none came. */
EBPF_API void *ebpf_user_ringbuf_reserve_wait(struct ebpf_user_ringbuf *w, uint32_t size, int timeout_ms);
/* Publishes / drops a sample returned by reserve. */
EBPF_API void ebpf_user_ringbuf_submit(struct ebpf_user_ringbuf *w, void *sample);
EBPF_API void ebpf_user_ringbuf_discard(struct ebpf_user_ringbuf *w, void *sample);
/* reserve + copy + submit. Returns 0 or -errno. */
EBPF_API int ebpf_user_ringbuf_write(struct ebpf_user_ringbuf *w, const void *data, uint32_t size);
/* Free bytes for new samples (headers included) and the ring size. */
EBPF_API uint64_t ebpf_user_ringbuf_free_space(const struct ebpf_user_ringbuf *w);
EBPF_API size_t ebpf_user_ringbuf_size(const struct ebpf_user_ringbuf *w);
EBPF_API int ebpf_user_ringbuf_fd(const struct ebpf_user_ringbuf *w);

#ifdef __cplusplus
}
#endif
