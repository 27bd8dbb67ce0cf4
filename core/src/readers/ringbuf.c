/* Ring buffer reader: the consumer page is mapped read-write, the producer
 * page and the data area read-only, the data area twice in a row so that a
 * record wrapping the end of the ring is still contiguous in memory.
 *
 * Ordering: the producer position and each record header are read with
 * acquire loads (they publish the record's bytes); the consumer position is
 * written with a release store once the record has been used, which is the
 * moment the kernel may overwrite it. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ebpf/map.h"
#include "ebpf/ringbuf.h"
#include "ebpf/sys.h"
#include "error_internal.h"
#include "ringbuf_internal.h"

struct ring {
    uint64_t *consumer_pos; /* shared, written by us */
    const uint64_t *producer_pos; /* shared, written by the kernel */
    const uint8_t *data;
    uint64_t mask;
    uint64_t cons;  /* our copy of *consumer_pos */
    uint64_t prod;  /* last producer position seen (records below it exist) */
    void *cons_map, *prod_map;
    size_t prod_len;
};

struct ebpf_ringbuf {
    struct ring *rings;
    int n, cap;
    int epfd;
    int cur;            /* ring the pull interface reads next */
    int pending;        /* ring of the peeked record, -1 if none */
    uint64_t pending_len;
    int stop_code;
    struct epoll_event *events;
};

static inline uint64_t load_acq64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline uint32_t load_acq32(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void store_rel64(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

static size_t page_size(void)
{
    static size_t ps;
    if (!ps)
        ps = (size_t)sysconf(_SC_PAGESIZE);
    return ps;
}

struct ebpf_ringbuf *ebpf_ringbuf_new(void)
{
    struct ebpf_ringbuf *rb = calloc(1, sizeof(*rb));
    if (!rb)
        return ebpf_err_null(ENOMEM, "ringbuf", "ringbuf reader: out of memory");
    rb->pending = -1;
    rb->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (rb->epfd < 0) {
        int e = errno;
        free(rb);
        return ebpf_err_null(e, "ringbuf", "ringbuf reader: epoll_create1: %s", strerror(e));
    }
    int fd = ebpf_fd_fixup(rb->epfd); /* closes it on failure */
    if (fd < 0) {
        free(rb);
        return ebpf_err_null(-fd, "ringbuf", "ringbuf reader: fcntl: %s", strerror(-fd));
    }
    rb->epfd = fd;
    return rb;
}

static void ring_unmap(struct ring *r)
{
    if (r->cons_map)
        munmap(r->cons_map, page_size());
    if (r->prod_map)
        munmap(r->prod_map, r->prod_len);
}

void ebpf_ringbuf_free(struct ebpf_ringbuf *rb)
{
    if (!rb)
        return;
    for (int i = 0; i < rb->n; i++)
        ring_unmap(&rb->rings[i]);
    if (rb->epfd >= 0)
        close(rb->epfd);
    free(rb->rings);
    free(rb->events);
    free(rb);
}

int ebpf_ringbuf_add_fd(struct ebpf_ringbuf *rb, int fd)
{
    struct bpf_map_info info;
    uint32_t len = sizeof(info);
    memset(&info, 0, sizeof(info));
    int r = ebpf_obj_get_info(fd, &info, &len);
    if (r < 0)
        return ebpf_err(-r, "ringbuf", "ringbuf reader: map fd %d: get info: %s", fd, strerror(-r));
    const char *name = info.name[0] ? info.name : "(unnamed)";
    if (info.type != BPF_MAP_TYPE_RINGBUF)
        return ebpf_err(EINVAL, "ringbuf", "ringbuf reader: map '%s' is not a ringbuf map (type %u)", name,
                        info.type);
    if (rb->n == rb->cap) {
        int cap = rb->cap ? rb->cap * 2 : 2;
        struct ring *nr = realloc(rb->rings, (size_t)cap * sizeof(*nr));
        if (!nr)
            return ebpf_err(ENOMEM, "ringbuf", "ringbuf reader: out of memory");
        rb->rings = nr;
        struct epoll_event *ne = realloc(rb->events, (size_t)cap * sizeof(*ne));
        if (!ne)
            return ebpf_err(ENOMEM, "ringbuf", "ringbuf reader: out of memory");
        rb->events = ne;
        rb->cap = cap;
    }
    struct ring *rg = &rb->rings[rb->n];
    memset(rg, 0, sizeof(*rg));
    size_t ps = page_size();
    size_t size = info.max_entries;
    rg->cons_map = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (rg->cons_map == MAP_FAILED) {
        rg->cons_map = NULL;
        return ebpf_err(errno, "ringbuf", "ringbuf map '%s': mmap consumer page: %s", name, strerror(errno));
    }
    /* Producer page + the data area mapped twice by the kernel. */
    rg->prod_len = ps + 2 * size;
    rg->prod_map = mmap(NULL, rg->prod_len, PROT_READ, MAP_SHARED, fd, (off_t)ps);
    if (rg->prod_map == MAP_FAILED) {
        int e = errno;
        rg->prod_map = NULL;
        ring_unmap(rg);
        return ebpf_err(e, "ringbuf", "ringbuf map '%s': mmap data: %s", name, strerror(e));
    }
    rg->consumer_pos = rg->cons_map;
    rg->producer_pos = rg->prod_map;
    rg->data = (const uint8_t *)rg->prod_map + ps;
    rg->mask = size - 1;
    rg->cons = load_acq64(rg->consumer_pos);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)rb->n};
    if (epoll_ctl(rb->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int e = errno;
        ring_unmap(rg);
        return ebpf_err(e, "ringbuf", "ringbuf map '%s': epoll_ctl: %s", name, strerror(e));
    }
    return rb->n++;
}

int ebpf_ringbuf_add(struct ebpf_ringbuf *rb, const struct ebpf_map *map)
{
    return ebpf_ringbuf_add_fd(rb, ebpf_map_fd(map));
}

int ebpf_ringbuf_count(const struct ebpf_ringbuf *rb) { return rb->n; }
int ebpf_ringbuf_epoll_fd(const struct ebpf_ringbuf *rb) { return rb->epfd; }
int ebpf_ringbuf_stop_code(const struct ebpf_ringbuf *rb) { return rb->stop_code; }

size_t ebpf_ringbuf_size(const struct ebpf_ringbuf *rb, int ring)
{
    return ring >= 0 && ring < rb->n ? (size_t)rb->rings[ring].mask + 1 : 0;
}

uint64_t ebpf_ringbuf_available(const struct ebpf_ringbuf *rb)
{
    uint64_t sum = 0;
    for (int i = 0; i < rb->n; i++) {
        const struct ring *r = &rb->rings[i];
        sum += load_acq64(r->producer_pos) - load_acq64(r->consumer_pos);
    }
    return sum;
}

static inline uint64_t rec_total(uint32_t len)
{
    return ((uint64_t)(len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)) + BPF_RINGBUF_HDR_SZ + 7) & ~7ull;
}

/* Drains one ring; *stopped set when the callback asked to stop. */
static long ring_consume(struct ebpf_ringbuf *rb, int idx, long max, long done, ebpf_ringbuf_cb cb, void *ctx,
                         int *stopped)
{
    struct ring *r = &rb->rings[idx];
    /* Locals: the callback is opaque, fields would be reloaded after it. */
    const uint8_t *data = r->data;
    const uint64_t mask = r->mask;
    uint64_t *cpos = r->consumer_pos;
    const uint64_t *ppos = r->producer_pos;
    const long limit = max > 0 ? max : LONG_MAX;
    uint64_t cons = r->cons;
    long n = done;
    for (;;) {
        uint64_t prod = load_acq64(ppos);
        if (cons >= prod)
            break;
        while (cons < prod) {
            const uint8_t *hdr = data + (cons & mask);
            uint32_t len = load_acq32((const uint32_t *)hdr);
            if (len & BPF_RINGBUF_BUSY_BIT)
                goto out; /* reserved, not yet submitted: later records wait too */
            cons += rec_total(len);
            if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
                int rc = cb(ctx, hdr + BPF_RINGBUF_HDR_SZ, len, idx);
                n++;
                if (rc) {
                    rb->stop_code = rc;
                    *stopped = 1;
                    store_rel64(cpos, cons);
                    goto out;
                }
            }
            /* Give the space back record by record: a producer filling
             * a small ring can reuse it while we are still draining. */
            store_rel64(cpos, cons);
            if (n >= limit) {
                *stopped = 1;
                goto out;
            }
        }
    }
out:
    r->cons = cons;
    return n;
}

long ebpf_ringbuf_consume(struct ebpf_ringbuf *rb, long max, ebpf_ringbuf_cb cb, void *ctx)
{
    long n = 0;
    int stopped = 0;
    rb->stop_code = 0;
    if (rb->pending >= 0)
        ebpf_ringbuf_release(rb);
    for (int i = 0; i < rb->n && !stopped; i++)
        n = ring_consume(rb, i, max, n, cb, ctx, &stopped);
    return n;
}

int ebpf_ringbuf_wait(struct ebpf_ringbuf *rb, int timeout_ms)
{
    if (rb->n == 0)
        return ebpf_err(EINVAL, "poll", "ringbuf reader: no ring buffer maps");
    int r = epoll_wait(rb->epfd, rb->events, rb->n, timeout_ms);
    if (r < 0)
        return ebpf_err(errno, "poll", "ringbuf reader: epoll_wait: %s", strerror(errno));
    return r > 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int ringbuf_remaining_ms(int64_t deadline)
{
    int64_t left = deadline - now_ms();
    return left < 0 ? 0 : (int)left;
}

int64_t ringbuf_deadline(int timeout_ms)
{
    return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

long ebpf_ringbuf_poll(struct ebpf_ringbuf *rb, int timeout_ms, long max, ebpf_ringbuf_cb cb, void *ctx)
{
    long n = ebpf_ringbuf_consume(rb, max, cb, ctx);
    if (n || timeout_ms == 0)
        return n;
    int64_t deadline = ringbuf_deadline(timeout_ms);
    for (;;) {
        int w = ebpf_ringbuf_wait(rb, deadline < 0 ? -1 : ringbuf_remaining_ms(deadline));
        if (w < 0)
            return w;
        n = ebpf_ringbuf_consume(rb, max, cb, ctx);
        /* A wakeup can precede the commit of a busy record: wait again. */
        if (n || w == 0 || (deadline >= 0 && ringbuf_remaining_ms(deadline) == 0))
            return n;
    }
}

/* Next committed record of ring r, skipping discarded ones; 1 if found. */
static inline int ring_peek(struct ring *r, const uint8_t **hdrp, uint32_t *lenp)
{
    for (;;) {
        if (r->cons >= r->prod) {
            r->prod = load_acq64(r->producer_pos);
            if (r->cons >= r->prod)
                return 0;
        }
        const uint8_t *hdr = r->data + (r->cons & r->mask);
        uint32_t len = load_acq32((const uint32_t *)hdr);
        if (len & BPF_RINGBUF_BUSY_BIT)
            return 0;
        if (len & BPF_RINGBUF_DISCARD_BIT) {
            r->cons += rec_total(len);
            store_rel64(r->consumer_pos, r->cons);
            continue;
        }
        *hdrp = hdr;
        *lenp = len;
        return 1;
    }
}

int ebpf_ringbuf_peek(struct ebpf_ringbuf *rb, const void **data, size_t *size, int *ring)
{
    if (rb->pending >= 0)
        ebpf_ringbuf_release(rb);
    int idx = rb->cur;
    for (int k = 0; k < rb->n; k++, idx = idx + 1 == rb->n ? 0 : idx + 1) {
        const uint8_t *hdr;
        uint32_t len;
        if (ring_peek(&rb->rings[idx], &hdr, &len)) {
            rb->cur = idx;
            rb->pending = idx;
            rb->pending_len = rec_total(len);
            *data = hdr + BPF_RINGBUF_HDR_SZ;
            *size = len;
            *ring = idx;
            return 1;
        }
    }
    return 0;
}

void ebpf_ringbuf_release(struct ebpf_ringbuf *rb)
{
    if (rb->pending < 0)
        return;
    struct ring *r = &rb->rings[rb->pending];
    r->cons += rb->pending_len;
    store_rel64(r->consumer_pos, r->cons);
    rb->pending = -1;
}

#define BATCH_PREFETCH 2048 /* bytes */

long ebpf_ringbuf_peek_batch(struct ebpf_ringbuf *rb, struct ebpf_record *recs, long max)
{
    if (max < 1)
        return 0;
    if (rb->pending >= 0)
        ebpf_ringbuf_release(rb);
    int idx = rb->cur;
    for (int k = 0; k < rb->n; k++, idx = idx + 1 == rb->n ? 0 : idx + 1) {
        struct ring *r = &rb->rings[idx];
        const uint8_t *hdr;
        uint32_t len;
        /* ring_peek also gives back discarded records before the first. */
        if (!ring_peek(r, &hdr, &len))
            continue;
        rb->cur = idx;
        uint64_t pos = r->cons, prod = r->prod;
        long n = 0;
        for (;;) {
            pos += rec_total(len);
            if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
                recs[n].data = hdr + BPF_RINGBUF_HDR_SZ;
                recs[n].size = len;
                recs[n].type = EBPF_RECORD_SAMPLE;
                recs[n].ring = idx;
                recs[n].cpu = -1;
                recs[n].end = pos;
                if (++n >= max)
                    break;
            }
            if (pos >= prod) {
                prod = r->prod = load_acq64(r->producer_pos);
                if (pos >= prod)
                    break;
            }
            hdr = r->data + (pos & r->mask);
            len = load_acq32((const uint32_t *)hdr);
            if (len & BPF_RINGBUF_BUSY_BIT)
                break; /* reserved, not yet submitted: later records wait too */
        }
        /* The caller spends a while on this batch (a binding runs code per
         * record): have the next one on its way to the cache meanwhile. */
        for (uint64_t off = 0; off < BATCH_PREFETCH && pos + off < prod; off += 64)
            __builtin_prefetch(r->data + ((pos + off) & r->mask));
        return n;
    }
    return 0;
}

void ebpf_ringbuf_commit(struct ebpf_ringbuf *rb, const struct ebpf_record *rec)
{
    struct ring *r = &rb->rings[rec->ring];
    if (rec->end > r->cons) {
        r->cons = rec->end;
        store_rel64(r->consumer_pos, r->cons);
    }
}
