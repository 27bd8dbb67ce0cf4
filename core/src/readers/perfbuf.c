/* Perf event buffer reader (see ebpf/perf.h). Forward rings are read from
 * data_tail to data_head (head read with an acquire load, tail published
 * with a release store after the record was used); backward rings are
 * snapshotted while paused. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ebpf/map.h"
#include "ebpf/perf.h"
#include "ebpf/sys.h"
#include "error_internal.h"
#include "kernel_text.h"
#include "ringbuf_internal.h"

struct pring {
    int cpu, fd;
    struct perf_event_mmap_page *meta;
    uint8_t *data;
    uint64_t tail;       /* forward: our copy of data_tail */
    uint64_t head;       /* forward: last data_head seen */
    uint64_t lost;
    /* backward mode: the snapshot being handed over */
    uint64_t prev_head;
    uint8_t *snap;
    size_t snap_cap;
    uint32_t *offs;
    size_t noffs, offs_cap, next;
};

struct ebpf_perf {
    struct pring *rings;
    int n;
    int map_fd; /* dup: kept for pause/resume and cleanup */
    int epfd;
    bool overwritable, paused;
    size_t size, mmap_len;
    uint64_t mask, lost;
    int cur, pending;
    uint64_t pending_len;
    int stop_code;
    uint8_t *bounce;
    size_t bounce_cap;
    struct epoll_event *events;
    char name[BPF_OBJ_NAME_LEN];
};

void ebpf_perf_opts_init(struct ebpf_perf_opts *o) { memset(o, 0, sizeof(*o)); }

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

/* Online CPUs from "0-3,5" into a flag array of n entries; all of them
 * when the file is missing or says something unexpected. */
static void online_cpus(bool *on, int n)
{
    FILE *f = fopen("/sys/devices/system/cpu/online", "re");
    char buf[4096];
    bool ok = f && fgets(buf, sizeof(buf), f);
    if (f)
        fclose(f);
    if (ok) {
        memset(on, 0, (size_t)n * sizeof(*on));
        ok = ktext_cpu_list(buf, on, n) > 0;
    }
    if (!ok)
        for (int i = 0; i < n; i++)
            on[i] = true;
}

void ebpf_perf_free(struct ebpf_perf *pb)
{
    if (!pb)
        return;
    for (int i = 0; i < pb->n; i++) {
        struct pring *r = &pb->rings[i];
        if (pb->map_fd >= 0 && !pb->paused) {
            /* Only remove our own entry: another reader may own the slot now. */
            union bpf_attr a;
            memset(&a, 0, sizeof(a));
            uint32_t key = (uint32_t)r->cpu;
            a.map_fd = (uint32_t)pb->map_fd;
            a.key = ebpf_ptr(&key);
            ebpf_sys_bpf(BPF_MAP_DELETE_ELEM, &a, EBPF_ATTR_SIZE(flags));
        }
        if (r->meta)
            munmap(r->meta, pb->mmap_len);
        if (r->fd >= 0)
            close(r->fd);
        free(r->snap);
        free(r->offs);
    }
    if (pb->epfd >= 0)
        close(pb->epfd);
    if (pb->map_fd >= 0)
        close(pb->map_fd);
    free(pb->rings);
    free(pb->bounce);
    free(pb->events);
    free(pb);
}

static int set_slot(struct ebpf_perf *pb, int cpu, int fd)
{
    uint32_t key = (uint32_t)cpu, val = (uint32_t)fd;
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_fd = (uint32_t)pb->map_fd;
    a.key = ebpf_ptr(&key);
    if (fd < 0)
        return ebpf_sys_bpf(BPF_MAP_DELETE_ELEM, &a, EBPF_ATTR_SIZE(flags));
    a.value = ebpf_ptr(&val);
    a.flags = BPF_ANY;
    return ebpf_sys_bpf(BPF_MAP_UPDATE_ELEM, &a, EBPF_ATTR_SIZE(flags));
}

struct ebpf_perf *ebpf_perf_new_fd(int map_fd, const struct ebpf_perf_opts *opts)
{
    struct ebpf_perf_opts defo;
    if (!opts) {
        ebpf_perf_opts_init(&defo);
        opts = &defo;
    }
    struct bpf_map_info info;
    uint32_t ilen = sizeof(info);
    memset(&info, 0, sizeof(info));
    int r = ebpf_obj_get_info(map_fd, &info, &ilen);
    if (r < 0)
        return ebpf_err_null(-r, "perf", "perf reader: map fd %d: get info: %s", map_fd, strerror(-r));
    const char *name = info.name[0] ? info.name : "(unnamed)";
    if (info.type != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
        return ebpf_err_null(EINVAL, "perf", "perf reader: map '%s' is not a perf_event_array map", name);
    size_t pages = opts->pages ? opts->pages : 64;
    if (pages & (pages - 1))
        return ebpf_err_null(EINVAL, "perf", "perf reader: map '%s': pages must be a power of 2, got %zu", name,
                             pages);
    int ncpu = ebpf_num_possible_cpus();
    if (ncpu <= 0)
        return ebpf_err_null(-ncpu, "perf", "perf reader: possible CPUs: %s", strerror(-ncpu));
    if ((uint32_t)ncpu > info.max_entries)
        ncpu = (int)info.max_entries;
    struct ebpf_perf *pb = calloc(1, sizeof(*pb));
    bool *on = calloc((size_t)ncpu + 1, sizeof(bool));
    if (!pb || !on) {
        free(pb);
        free(on);
        return ebpf_err_null(ENOMEM, "perf", "perf reader: out of memory");
    }
    snprintf(pb->name, sizeof(pb->name), "%s", name);
    pb->epfd = -1;
    pb->pending = -1;
    pb->overwritable = opts->overwritable;
    pb->size = pages * page_size();
    pb->mask = pb->size - 1;
    pb->mmap_len = pb->size + page_size();
    pb->map_fd = ebpf_fd_dup(map_fd);
    pb->rings = calloc((size_t)ncpu + 1, sizeof(*pb->rings));
    pb->events = calloc((size_t)ncpu + 1, sizeof(*pb->events));
    const char *what = "dup map fd";
    int e = pb->map_fd < 0 ? -pb->map_fd : ENOMEM;
    int cpu = -1;
    if (pb->map_fd < 0 || !pb->rings || !pb->events)
        goto fail;
    what = "epoll_create1";
    pb->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (pb->epfd < 0)
        goto fail_errno;
    if ((r = ebpf_fd_fixup(pb->epfd)) < 0) { /* never 0-2; closes it on failure */
        pb->epfd = -1;
        e = -r;
        goto fail;
    }
    pb->epfd = r;
    online_cpus(on, ncpu);
    for (cpu = 0; cpu < ncpu; cpu++) {
        if (!on[cpu])
            continue;
        struct perf_event_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.size = sizeof(attr);
        attr.type = PERF_TYPE_SOFTWARE;
        attr.config = PERF_COUNT_SW_BPF_OUTPUT;
        attr.sample_type = PERF_SAMPLE_RAW;
        attr.sample_period = 1;
        attr.write_backward = opts->overwritable;
        if (opts->watermark) {
            attr.watermark = 1;
            attr.wakeup_watermark = opts->watermark;
        } else {
            attr.wakeup_events = opts->wakeup_events ? opts->wakeup_events : 1;
        }
        struct pring *rg = &pb->rings[pb->n];
        rg->cpu = cpu;
        rg->fd = (int)syscall(SYS_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
        if (rg->fd < 0) {
            if (errno == ENODEV)
                continue; /* went offline meanwhile */
            what = "perf_event_open";
            goto fail_errno;
        }
        pb->n++;
        if ((r = ebpf_fd_fixup(rg->fd)) < 0) { /* closes it on failure */
            rg->fd = -1;
            e = -r;
            goto fail;
        }
        rg->fd = r;
        int prot = opts->overwritable ? PROT_READ : PROT_READ | PROT_WRITE;
        void *m = mmap(NULL, pb->mmap_len, prot, MAP_SHARED, rg->fd, 0);
        if (m == MAP_FAILED) {
            what = "mmap";
            goto fail_errno;
        }
        rg->meta = m;
        rg->data = (uint8_t *)m + (rg->meta->data_offset ? rg->meta->data_offset : page_size());
        rg->tail = __atomic_load_n(&rg->meta->data_tail, __ATOMIC_ACQUIRE);
        rg->prev_head = __atomic_load_n(&rg->meta->data_head, __ATOMIC_ACQUIRE);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)(pb->n - 1)};
        what = "epoll_ctl";
        if (epoll_ctl(pb->epfd, EPOLL_CTL_ADD, rg->fd, &ev) < 0)
            goto fail_errno;
        what = "map update";
        if ((r = set_slot(pb, cpu, rg->fd)) < 0) {
            e = -r;
            goto fail;
        }
        what = "enable";
        if (ioctl(rg->fd, PERF_EVENT_IOC_ENABLE, 0) < 0)
            goto fail_errno;
    }
    free(on);
    return pb;
fail_errno:
    e = errno;
fail:
    free(on);
    ebpf_perf_free(pb);
    if (cpu >= 0)
        return ebpf_err_null(e, "perf", "perf reader: map '%s': cpu %d: %s: %s", name, cpu, what, strerror(e));
    return ebpf_err_null(e, "perf", "perf reader: map '%s': %s: %s", name, what, strerror(e));
}

struct ebpf_perf *ebpf_perf_new(const struct ebpf_map *map, const struct ebpf_perf_opts *opts)
{
    return ebpf_perf_new_fd(ebpf_map_fd(map), opts);
}

int ebpf_perf_epoll_fd(const struct ebpf_perf *pb) { return pb->epfd; }
int ebpf_perf_count(const struct ebpf_perf *pb) { return pb->n; }
int ebpf_perf_cpu(const struct ebpf_perf *pb, int i) { return i >= 0 && i < pb->n ? pb->rings[i].cpu : -1; }
int ebpf_perf_ring_fd(const struct ebpf_perf *pb, int i) { return i >= 0 && i < pb->n ? pb->rings[i].fd : -1; }
size_t ebpf_perf_ring_size(const struct ebpf_perf *pb) { return pb->size; }
int ebpf_perf_stop_code(const struct ebpf_perf *pb) { return pb->stop_code; }
uint64_t ebpf_perf_lost(const struct ebpf_perf *pb) { return pb->lost; }

uint64_t ebpf_perf_lost_cpu(const struct ebpf_perf *pb, int cpu)
{
    for (int i = 0; i < pb->n; i++)
        if (pb->rings[i].cpu == cpu)
            return pb->rings[i].lost;
    return 0;
}

uint64_t ebpf_perf_available(const struct ebpf_perf *pb)
{
    uint64_t sum = 0;
    if (pb->overwritable)
        return 0;
    for (int i = 0; i < pb->n; i++)
        sum += __atomic_load_n(&pb->rings[i].meta->data_head, __ATOMIC_ACQUIRE) - pb->rings[i].tail;
    return sum;
}

static int set_all(struct ebpf_perf *pb, bool pause)
{
    for (int i = 0; i < pb->n; i++) {
        int r = set_slot(pb, pb->rings[i].cpu, pause ? -1 : pb->rings[i].fd);
        if (r < 0 && !(pause && r == -ENOENT))
            return ebpf_err(-r, pause ? "pause" : "resume", "perf reader: map '%s': cpu %d: %s", pb->name,
                            pb->rings[i].cpu, strerror(-r));
    }
    pb->paused = pause;
    return 0;
}

int ebpf_perf_pause(struct ebpf_perf *pb) { return set_all(pb, true); }
int ebpf_perf_resume(struct ebpf_perf *pb) { return set_all(pb, false); }

static uint8_t *bounce(struct ebpf_perf *pb, size_t size)
{
    if (size > pb->bounce_cap) {
        uint8_t *b = realloc(pb->bounce, size);
        if (!b)
            return NULL;
        pb->bounce = b;
        pb->bounce_cap = size;
    }
    return pb->bounce;
}

/* Copies len bytes at ring offset pos (wrapping) into dst. */
static void ring_copy(const struct ebpf_perf *pb, const struct pring *r, uint64_t pos, uint8_t *dst, size_t len)
{
    size_t off = (size_t)(pos & pb->mask), first = pb->size - off;
    if (first >= len) {
        memcpy(dst, r->data + off, len);
    } else {
        memcpy(dst, r->data + off, first);
        memcpy(dst + first, r->data, len - first);
    }
}

/* Backward ring: copy what is new since the last snapshot, output paused so
 * the kernel does not write meanwhile, and index its records. */
static int snapshot(struct ebpf_perf *pb, struct pring *r)
{
    ioctl(r->fd, PERF_EVENT_IOC_PAUSE_OUTPUT, 1);
    uint64_t head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
    uint64_t avail = r->prev_head - head;
    if (avail > pb->size)
        avail = pb->size; /* older records were overwritten */
    if (avail && avail > r->snap_cap) {
        uint8_t *s = realloc(r->snap, pb->size);
        if (!s) {
            ioctl(r->fd, PERF_EVENT_IOC_PAUSE_OUTPUT, 0);
            return -ENOMEM;
        }
        r->snap = s;
        r->snap_cap = pb->size;
    }
    if (avail)
        ring_copy(pb, r, head, r->snap, (size_t)avail);
    r->prev_head = head;
    ioctl(r->fd, PERF_EVENT_IOC_PAUSE_OUTPUT, 0);
    /* Newest record first in memory: index them, hand over from the end. */
    r->noffs = 0;
    size_t off = 0;
    while (off + sizeof(struct perf_event_header) <= avail) {
        struct perf_event_header h;
        memcpy(&h, r->snap + off, sizeof(h));
        if (h.size < sizeof(h) || off + h.size > avail)
            break;
        if (r->noffs == r->offs_cap) {
            size_t cap = r->offs_cap ? r->offs_cap * 2 : 256;
            uint32_t *o = realloc(r->offs, cap * sizeof(*o));
            if (!o)
                return -ENOMEM;
            r->offs = o;
            r->offs_cap = cap;
        }
        r->offs[r->noffs++] = (uint32_t)off;
        off += h.size;
    }
    r->next = r->noffs;
    return 0;
}

/* Fills rec from the raw record at p (size bytes, contiguous); returns 0
 * for records of other types (skipped). */
static int decode(struct ebpf_perf *pb, struct pring *r, const uint8_t *p, size_t size,
                  struct ebpf_perf_record *rec)
{
    struct perf_event_header h;
    memcpy(&h, p, sizeof(h));
    rec->cpu = r->cpu;
    if (h.type == PERF_RECORD_SAMPLE && size >= sizeof(h) + 4) {
        uint32_t len;
        memcpy(&len, p + sizeof(h), 4);
        if (len > size - sizeof(h) - 4)
            len = (uint32_t)(size - sizeof(h) - 4); /* never past the record */
        rec->type = EBPF_PERF_SAMPLE;
        rec->data = p + sizeof(h) + 4;
        rec->size = len;
        return 1;
    }
    if (h.type == PERF_RECORD_LOST && size >= sizeof(h) + 16) {
        uint64_t lost;
        memcpy(&lost, p + sizeof(h) + 8, 8);
        rec->type = EBPF_PERF_LOST;
        rec->lost = lost;
        rec->data = NULL;
        rec->size = 0;
        r->lost += lost;
        pb->lost += lost;
        return 1;
    }
    return 0;
}

/* Next record of one ring, or 0. pending_len is what release advances. */
static int ring_next(struct ebpf_perf *pb, struct pring *r, struct ebpf_perf_record *rec)
{
    if (pb->overwritable) {
        for (;;) {
            if (!r->next) {
                if (snapshot(pb, r) < 0 || !r->next)
                    return 0;
            }
            uint32_t off = r->offs[--r->next];
            struct perf_event_header h;
            memcpy(&h, r->snap + off, sizeof(h));
            pb->pending_len = 0;
            if (decode(pb, r, r->snap + off, h.size, rec))
                return 1;
        }
    }
    for (;;) {
        if (r->tail >= r->head) {
            r->head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
            if (r->tail >= r->head)
                return 0;
        }
        uint64_t head = r->head;
        const uint8_t *p = r->data + (r->tail & pb->mask);
        struct perf_event_header h;
        memcpy(&h, p, sizeof(h)); /* 8-byte aligned: never wraps */
        if (h.size < sizeof(h) || h.size > head - r->tail) {
            /* Corrupt header: drop what is there rather than loop. */
            r->tail = head;
            __atomic_store_n(&r->meta->data_tail, r->tail, __ATOMIC_RELEASE);
            return 0;
        }
        if ((r->tail & pb->mask) + h.size > pb->size) {
            uint8_t *b = bounce(pb, h.size);
            if (!b)
                return 0;
            ring_copy(pb, r, r->tail, b, h.size);
            p = b;
        }
        pb->pending_len = h.size;
        if (decode(pb, r, p, h.size, rec))
            return 1;
        r->tail += h.size;
        __atomic_store_n(&r->meta->data_tail, r->tail, __ATOMIC_RELEASE);
    }
}

static inline void ring_release(struct ebpf_perf *pb, struct pring *r)
{
    if (pb->pending_len) {
        r->tail += pb->pending_len;
        __atomic_store_n(&r->meta->data_tail, r->tail, __ATOMIC_RELEASE);
        pb->pending_len = 0;
    }
}

int ebpf_perf_peek(struct ebpf_perf *pb, struct ebpf_perf_record *rec)
{
    if (pb->pending >= 0)
        ebpf_perf_release(pb);
    int idx = pb->cur;
    for (int k = 0; k < pb->n; k++, idx = idx + 1 == pb->n ? 0 : idx + 1) {
        if (ring_next(pb, &pb->rings[idx], rec)) {
            pb->cur = idx;
            pb->pending = idx;
            return 1;
        }
    }
    return 0;
}

void ebpf_perf_release(struct ebpf_perf *pb)
{
    if (pb->pending < 0)
        return;
    ring_release(pb, &pb->rings[pb->pending]);
    pb->pending = -1;
}

/* The C fast path for a forward ring: head read once per batch, the tail
 * published once per batch (and before returning), as a producer only
 * needs the space back eventually; fields kept in locals across the
 * opaque callbacks. */
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

static long ring_consume_fwd(struct ebpf_perf *pb, struct pring *r, long limit, long n, ebpf_perf_sample_cb cb,
                             ebpf_perf_lost_cb lost_cb, void *ctx, int *stopped)
{
    const uint8_t *const data = r->data;
    const uint64_t mask = pb->mask;
    struct perf_event_mmap_page *const meta = r->meta;
    const int cpu = r->cpu;
    uint64_t tail = r->tail;
    for (;;) {
        const uint64_t head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
        if (tail >= head)
            break;
        while (tail < head) {
            const uint8_t *p = data + (tail & mask);
            /* Records are 8-byte aligned: the header never wraps. */
            const struct perf_event_header *h = (const void *)p;
            const uint32_t hsize = h->size;
            if (unlikely(hsize < sizeof(*h) || hsize > head - tail)) {
                tail = head; /* corrupt header: drop what is there rather than loop */
                break;
            }
            if (unlikely((tail & mask) + hsize > pb->size)) {
                uint8_t *b = bounce(pb, hsize);
                if (!b) {
                    tail = head;
                    break;
                }
                ring_copy(pb, r, tail, b, hsize);
                p = b;
                h = (const void *)p;
            }
            tail += hsize;
            if (likely(h->type == PERF_RECORD_SAMPLE && hsize >= sizeof(*h) + 4)) {
                uint32_t len = *(const uint32_t *)(p + sizeof(*h));
                if (unlikely(len > hsize - sizeof(*h) - 4))
                    len = (uint32_t)(hsize - sizeof(*h) - 4); /* never past the record */
                int rc = cb(ctx, cpu, p + sizeof(*h) + 4, len);
                if (unlikely(rc)) {
                    pb->stop_code = rc;
                    *stopped = 1;
                    n++;
                    goto out;
                }
                if (unlikely(++n >= limit)) {
                    *stopped = 1;
                    goto out;
                }
            } else if (h->type == PERF_RECORD_LOST && hsize >= sizeof(*h) + 16) {
                uint64_t lost;
                memcpy(&lost, p + sizeof(*h) + 8, 8);
                r->lost += lost;
                pb->lost += lost;
                if (lost_cb)
                    lost_cb(ctx, cpu, lost);
            }
        }
        __atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
    }
out:
    __atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
    r->tail = tail;
    r->head = tail; /* the pull interface re-reads data_head */
    return n;
}

long ebpf_perf_consume(struct ebpf_perf *pb, long max, ebpf_perf_sample_cb cb, ebpf_perf_lost_cb lost_cb,
                       void *ctx)
{
    long n = 0;
    const long limit = max > 0 ? max : LONG_MAX;
    int stopped = 0;
    pb->stop_code = 0;
    if (pb->pending >= 0)
        ebpf_perf_release(pb);
    for (int i = 0; i < pb->n && !stopped; i++) {
        struct pring *r = &pb->rings[i];
        if (!pb->overwritable) {
            n = ring_consume_fwd(pb, r, limit, n, cb, lost_cb, ctx, &stopped);
            continue;
        }
        struct ebpf_perf_record rec;
        while (ring_next(pb, r, &rec)) {
            int rc = 0;
            if (rec.type == EBPF_PERF_SAMPLE) {
                rc = cb(ctx, rec.cpu, rec.data, rec.size);
                n++;
            } else if (lost_cb) {
                lost_cb(ctx, rec.cpu, rec.lost);
            }
            ring_release(pb, r);
            if (rc) {
                pb->stop_code = rc;
                return n;
            }
            if (n >= limit)
                return n;
        }
    }
    return n;
}

int ebpf_perf_wait(struct ebpf_perf *pb, int timeout_ms)
{
    if (pb->n == 0)
        return ebpf_err(ENODEV, "poll", "perf reader: map '%s': no online CPU", pb->name);
    int r = epoll_wait(pb->epfd, pb->events, pb->n, timeout_ms);
    if (r < 0)
        return ebpf_err(errno, "poll", "perf reader: map '%s': epoll_wait: %s", pb->name, strerror(errno));
    return r > 0;
}

long ebpf_perf_poll(struct ebpf_perf *pb, int timeout_ms, long max, ebpf_perf_sample_cb cb, ebpf_perf_lost_cb lost_cb,
                    void *ctx)
{
    long n = ebpf_perf_consume(pb, max, cb, lost_cb, ctx);
    if (n || timeout_ms == 0)
        return n;
    int64_t deadline = ringbuf_deadline(timeout_ms);
    for (;;) {
        int w = ebpf_perf_wait(pb, deadline < 0 ? -1 : ringbuf_remaining_ms(deadline));
        if (w < 0)
            return w;
        n = ebpf_perf_consume(pb, max, cb, lost_cb, ctx);
        if (n || w == 0 || (deadline >= 0 && ringbuf_remaining_ms(deadline) == 0))
            return n;
    }
}

/* One forward ring's batch (see ebpf_perf_peek_batch). */
static long ring_batch_fwd(struct ebpf_perf *pb, int idx, struct ebpf_record *recs, long max)
{
    struct pring *r = &pb->rings[idx];
    uint64_t pos = r->tail;
    uint64_t head = __atomic_load_n(&r->meta->data_head, __ATOMIC_ACQUIRE);
    int bounced = 0;
    long n = 0;
    while (n < max && pos < head) {
        const uint64_t off = pos & pb->mask;
        const uint8_t *p = r->data + off;
        struct perf_event_header h;
        memcpy(&h, p, sizeof(h)); /* 8-byte aligned: never wraps */
        /* The common case first: a whole sample inside the ring. */
        if (__builtin_expect(h.type == PERF_RECORD_SAMPLE && h.size >= sizeof(h) + 4 && h.size <= head - pos &&
                                 off + h.size <= pb->size, 1)) {
            uint32_t len;
            memcpy(&len, p + sizeof(h), 4);
            if (len > h.size - sizeof(h) - 4)
                len = (uint32_t)(h.size - sizeof(h) - 4); /* never past the record */
            pos += h.size;
            struct ebpf_record *rec = &recs[n++];
            rec->data = p + sizeof(h) + 4;
            rec->size = len;
            rec->type = EBPF_RECORD_SAMPLE;
            rec->ring = idx;
            rec->cpu = r->cpu;
            rec->lost = 0;
            rec->end = pos;
            continue;
        }
        if (h.size < sizeof(h) || h.size > head - pos) {
            if (n)
                break; /* hand over what came before first */
            /* Corrupt header: drop what is there rather than loop. */
            r->tail = head;
            __atomic_store_n(&r->meta->data_tail, r->tail, __ATOMIC_RELEASE);
            return 0;
        }
        if (off + h.size > pb->size) {
            uint8_t *b;
            if (bounced || !(b = bounce(pb, h.size)))
                break; /* one bounce buffer per batch */
            ring_copy(pb, r, pos, b, h.size);
            p = b;
            bounced = 1;
        }
        if (h.type == PERF_RECORD_LOST && n)
            break; /* alone in its batch, so it is counted once */
        struct ebpf_perf_record pr;
        int got = decode(pb, r, p, h.size, &pr);
        pos += h.size;
        if (!got) {
            if (!n) { /* nothing held: give other record types back now */
                r->tail = pos;
                __atomic_store_n(&r->meta->data_tail, pos, __ATOMIC_RELEASE);
            }
            continue;
        }
        struct ebpf_record *rec = &recs[n++];
        rec->data = pr.data;
        rec->size = pr.size;
        rec->type = pr.type == EBPF_PERF_LOST ? EBPF_RECORD_LOST : EBPF_RECORD_SAMPLE;
        rec->ring = idx;
        rec->cpu = pr.cpu;
        rec->lost = pr.type == EBPF_PERF_LOST ? pr.lost : 0;
        rec->end = pos;
        if (rec->type == EBPF_RECORD_LOST)
            break;
    }
    r->head = head;
    /* As for ring buffers: the next batch on its way to the cache while the
     * caller works on this one. */
    for (uint64_t o = 0; o < 2048 && pos + o < head; o += 64)
        __builtin_prefetch(r->data + ((pos + o) & pb->mask));
    return n;
}

long ebpf_perf_peek_batch(struct ebpf_perf *pb, struct ebpf_record *recs, long max)
{
    if (max < 1)
        return 0;
    if (pb->overwritable) { /* snapshots: one held record at a time */
        struct ebpf_perf_record pr;
        if (!ebpf_perf_peek(pb, &pr))
            return 0;
        recs->data = pr.data;
        recs->size = pr.size;
        recs->type = pr.type == EBPF_PERF_LOST ? EBPF_RECORD_LOST : EBPF_RECORD_SAMPLE;
        recs->ring = pb->pending;
        recs->cpu = pr.cpu;
        recs->lost = pr.type == EBPF_PERF_LOST ? pr.lost : 0;
        recs->end = 0; /* commit releases the held record */
        return 1;
    }
    if (pb->pending >= 0)
        ebpf_perf_release(pb);
    int idx = pb->cur;
    for (int k = 0; k < pb->n; k++, idx = idx + 1 == pb->n ? 0 : idx + 1) {
        long n = ring_batch_fwd(pb, idx, recs, max);
        if (n) {
            pb->cur = idx;
            return n;
        }
    }
    return 0;
}

void ebpf_perf_commit(struct ebpf_perf *pb, const struct ebpf_record *rec)
{
    if (pb->overwritable) {
        ebpf_perf_release(pb);
        return;
    }
    struct pring *r = &pb->rings[rec->ring];
    if (rec->end > r->tail) {
        r->tail = rec->end;
        __atomic_store_n(&r->meta->data_tail, r->tail, __ATOMIC_RELEASE);
    }
}
