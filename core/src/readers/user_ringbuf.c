/* User ring buffer writer. User space is the producer: it owns the
 * producer page and the data area (mapped read-write, the data twice so a
 * sample never wraps), the kernel owns the consumer page (read-only here).
 *
 * A reserved sample's header carries the BUSY bit until submit/discard
 * clears it with a release store; the producer position is published with
 * a release store after the header is written, so the kernel never sees a
 * position ahead of a valid header. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ebpf/map.h"
#include "ebpf/ringbuf.h"
#include "ebpf/sys.h"
#include "error_internal.h"
#include "ringbuf_internal.h"

struct ebpf_user_ringbuf {
    int fd;   /* dup of the map fd: keeps the map for epoll */
    int epfd;
    const uint64_t *consumer_pos;
    uint64_t *producer_pos;
    uint8_t *data;
    uint64_t mask;
    uint64_t prod;
    void *cons_map, *prod_map;
    size_t prod_len;
    char name[BPF_OBJ_NAME_LEN];
};

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

/* Samples still reserved would block the kernel's drain forever: mark
 * them discarded. Only we produce, so [consumer, producer) is stable. */
static void discard_reserved(struct ebpf_user_ringbuf *w)
{
    uint64_t pos = __atomic_load_n(w->consumer_pos, __ATOMIC_ACQUIRE);
    while (pos < w->prod) {
        uint32_t *hdr = (uint32_t *)(w->data + (pos & w->mask));
        uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
        if (len & BPF_RINGBUF_BUSY_BIT)
            __atomic_store_n(hdr, (len & ~BPF_RINGBUF_BUSY_BIT) | BPF_RINGBUF_DISCARD_BIT, __ATOMIC_RELEASE);
        pos += ((uint64_t)(len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT)) + BPF_RINGBUF_HDR_SZ + 7) & ~7ull;
    }
}

void ebpf_user_ringbuf_free(struct ebpf_user_ringbuf *w)
{
    if (!w)
        return;
    if (w->data)
        discard_reserved(w);
    if (w->cons_map)
        munmap(w->cons_map, page_size());
    if (w->prod_map)
        munmap(w->prod_map, w->prod_len);
    if (w->epfd >= 0)
        close(w->epfd);
    if (w->fd >= 0)
        close(w->fd);
    free(w);
}

struct ebpf_user_ringbuf *ebpf_user_ringbuf_new_fd(int map_fd)
{
    struct bpf_map_info info;
    uint32_t len = sizeof(info);
    memset(&info, 0, sizeof(info));
    int r = ebpf_obj_get_info(map_fd, &info, &len);
    if (r < 0)
        return ebpf_err_null(-r, "user_ringbuf", "user ringbuf writer: map fd %d: get info: %s", map_fd,
                             strerror(-r));
    const char *name = info.name[0] ? info.name : "(unnamed)";
    if (info.type != BPF_MAP_TYPE_USER_RINGBUF)
        return ebpf_err_null(EINVAL, "user_ringbuf", "user ringbuf writer: map '%s' is not a user_ringbuf map",
                             name);
    struct ebpf_user_ringbuf *w = calloc(1, sizeof(*w));
    if (!w)
        return ebpf_err_null(ENOMEM, "user_ringbuf", "user ringbuf writer: out of memory");
    w->epfd = -1;
    memcpy(w->name, name, strlen(name) < sizeof(w->name) ? strlen(name) + 1 : sizeof(w->name) - 1);
    w->fd = ebpf_fd_dup(map_fd);
    if (w->fd < 0) {
        int e = -w->fd;
        free(w);
        return ebpf_err_null(e, "user_ringbuf", "user ringbuf map '%s': dup: %s", name, strerror(e));
    }
    size_t ps = page_size(), size = info.max_entries;
    const char *what = "mmap consumer page";
    w->cons_map = mmap(NULL, ps, PROT_READ, MAP_SHARED, w->fd, 0);
    if (w->cons_map == MAP_FAILED) {
        w->cons_map = NULL;
        goto fail;
    }
    what = "mmap data";
    w->prod_len = ps + 2 * size;
    w->prod_map = mmap(NULL, w->prod_len, PROT_READ | PROT_WRITE, MAP_SHARED, w->fd, (off_t)ps);
    if (w->prod_map == MAP_FAILED) {
        w->prod_map = NULL;
        goto fail;
    }
    what = "epoll";
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (w->epfd < 0)
        goto fail;
    int nfd = ebpf_fd_fixup(w->epfd); /* never 0-2 */
    if (nfd < 0) { /* fixup closed it */
        w->epfd = -1;
        errno = -nfd;
        goto fail;
    }
    w->epfd = nfd;
    struct epoll_event ev = {.events = EPOLLOUT};
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0)
        goto fail;
    w->consumer_pos = w->cons_map;
    w->producer_pos = w->prod_map;
    w->data = (uint8_t *)w->prod_map + ps;
    w->mask = size - 1;
    w->prod = __atomic_load_n(w->producer_pos, __ATOMIC_ACQUIRE);
    return w;
fail: {
    int e = errno;
    ebpf_user_ringbuf_free(w);
    return ebpf_err_null(e, "user_ringbuf", "user ringbuf map '%s': %s: %s", name, what, strerror(e));
}
}

struct ebpf_user_ringbuf *ebpf_user_ringbuf_new(const struct ebpf_map *map)
{
    return ebpf_user_ringbuf_new_fd(ebpf_map_fd(map));
}

size_t ebpf_user_ringbuf_size(const struct ebpf_user_ringbuf *w) { return (size_t)w->mask + 1; }
int ebpf_user_ringbuf_fd(const struct ebpf_user_ringbuf *w) { return w->fd; }

uint64_t ebpf_user_ringbuf_free_space(const struct ebpf_user_ringbuf *w)
{
    return w->mask + 1 - (w->prod - __atomic_load_n(w->consumer_pos, __ATOMIC_ACQUIRE));
}

void *ebpf_user_ringbuf_reserve(struct ebpf_user_ringbuf *w, uint32_t size)
{
    uint64_t total = ((uint64_t)size + BPF_RINGBUF_HDR_SZ + 7) & ~7ull;
    if (size & (BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT) || total > w->mask + 1)
        return ebpf_err_null(E2BIG, "reserve", "user ringbuf map '%s': a %u-byte sample can never fit in %llu bytes",
                             w->name, size, (unsigned long long)w->mask + 1);
    uint64_t cons = __atomic_load_n(w->consumer_pos, __ATOMIC_ACQUIRE);
    if (w->prod - cons + total > w->mask + 1) {
        errno = ENOSPC;
        return NULL; /* a full ring is a normal condition: no message */
    }
    uint8_t *hdr = w->data + (w->prod & w->mask);
    uint32_t h[2] = {size | BPF_RINGBUF_BUSY_BIT, 0};
    memcpy(hdr, h, sizeof(h));
    w->prod += total;
    __atomic_store_n(w->producer_pos, w->prod, __ATOMIC_RELEASE);
    return hdr + BPF_RINGBUF_HDR_SZ;
}

void *ebpf_user_ringbuf_reserve_wait(struct ebpf_user_ringbuf *w, uint32_t size, int timeout_ms)
{
    int64_t deadline = ringbuf_deadline(timeout_ms);
    for (;;) {
        void *p = ebpf_user_ringbuf_reserve(w, size);
        if (p || errno != ENOSPC || timeout_ms == 0)
            return p;
        int left = deadline < 0 ? -1 : ringbuf_remaining_ms(deadline);
        if (deadline >= 0 && left == 0)
            return ebpf_err_null(ETIMEDOUT, "reserve", "user ringbuf map '%s': no space for %u bytes in time",
                                 w->name, size);
        struct epoll_event ev;
        /* Readable as soon as the kernel drained anything: retry then. */
        if (epoll_wait(w->epfd, &ev, 1, left < 0 || left > 10 ? 10 : left) < 0 && errno != EINTR)
            return ebpf_err_null(errno, "reserve", "user ringbuf map '%s': epoll_wait: %s", w->name,
                                 strerror(errno));
    }
}

static void finish(void *sample, uint32_t flag)
{
    uint32_t *hdr = (uint32_t *)((uint8_t *)sample - BPF_RINGBUF_HDR_SZ);
    uint32_t len = __atomic_load_n(hdr, __ATOMIC_RELAXED) & ~BPF_RINGBUF_BUSY_BIT;
    __atomic_store_n(hdr, len | flag, __ATOMIC_RELEASE);
}

void ebpf_user_ringbuf_submit(struct ebpf_user_ringbuf *w, void *sample)
{
    (void)w;
    finish(sample, 0);
}

void ebpf_user_ringbuf_discard(struct ebpf_user_ringbuf *w, void *sample)
{
    (void)w;
    finish(sample, BPF_RINGBUF_DISCARD_BIT);
}

int ebpf_user_ringbuf_write(struct ebpf_user_ringbuf *w, const void *data, uint32_t size)
{
    void *p = ebpf_user_ringbuf_reserve(w, size);
    if (!p) {
        int e = errno;
        if (e == ENOSPC)
            return ebpf_err(ENOSPC, "write", "user ringbuf map '%s': full (%u bytes asked, %llu free)", w->name,
                            size, (unsigned long long)ebpf_user_ringbuf_free_space(w));
        return -e;
    }
    memcpy(p, data, size);
    ebpf_user_ringbuf_submit(w, p);
    return 0;
}
