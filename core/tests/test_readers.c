/* C-level tests of the readers: the callback API of the ring buffer and
 * perf buffer readers (stop codes, commits), and the user ring buffer
 * writer drained by a real bpf_user_ringbuf_drain program (its callback
 * needs BTF, which the Lua specs cannot build without the BTF module). */
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/perf.h"
#include "ebpf/ringbuf.h"
#include "readers_progs.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed: %s\n", __FILE__, __LINE__, #c, ebpf_error_message()); failures++; } } while (0)

struct acc { uint64_t count, sum, next; int stop_at, ordered; };

static int rb_cb(void *ctx, const void *data, size_t size, int ring)
{
    struct acc *a = ctx;
    uint64_t rec[2];
    if (size != 16 || ring != 0)
        return -1;
    memcpy(rec, data, 16);
    if (rec[0] != a->next || rec[1] != rec[0] + 1)
        a->ordered = 0;
    a->next = rec[0] + 1;
    a->count++;
    a->sum += rec[1];
    return a->stop_at && a->count == (uint64_t)a->stop_at ? 7 : 0;
}

static void test_ringbuf(int btf)
{
    struct ebpf_map *rb = rp_map(BPF_MAP_TYPE_RINGBUF, 0, 0, 32u << 20);
    CHECK(rb);
    struct ebpf_prog *p = rb ? rp_ringbuf_loop(ebpf_map_fd(rb), btf) : NULL;
    CHECK(p);
    struct ebpf_ringbuf *r = ebpf_ringbuf_new();
    CHECK(r && ebpf_ringbuf_add(r, rb) == 0);
    if (!p || !r) {
        ebpf_ringbuf_free(r);
        ebpf_map_close(rb);
        return;
    }
    uint64_t n = 1000000;
    struct ebpf_prog_run_opts ro;
    memset(&ro, 0, sizeof(ro));
    ro.ctx_in = &n;
    ro.ctx_size_in = 8;
    CHECK(ebpf_prog_run(p, &ro) == 0 && ro.retval == n);
    CHECK(ebpf_ringbuf_available(r) == n * 24);
    /* a callback stop code: the stopping record is consumed and counted */
    struct acc a = {.ordered = 1, .stop_at = 10};
    CHECK(ebpf_ringbuf_consume(r, 0, rb_cb, &a) == 10);
    CHECK(ebpf_ringbuf_stop_code(r) == 7);
    a.stop_at = 0;
    CHECK(ebpf_ringbuf_consume(r, 5, rb_cb, &a) == 5); /* max */
    long got = ebpf_ringbuf_poll(r, 100, 0, rb_cb, &a);
    CHECK(got == (long)(n - 15));
    CHECK(a.count == n && a.sum == n * (n + 1) / 2 && a.ordered);
    CHECK(ebpf_ringbuf_stop_code(r) == 0);
    CHECK(ebpf_ringbuf_available(r) == 0);
    CHECK(ebpf_ringbuf_poll(r, 10, 0, rb_cb, &a) == 0); /* timeout */
    /* the pull interface: peek, then release on the next peek */
    n = 3;
    CHECK(ebpf_prog_run(p, &ro) == 0 && ro.retval == 3);
    const void *d;
    size_t sz;
    int ring, k = 0;
    while (ebpf_ringbuf_peek(r, &d, &sz, &ring)) {
        uint64_t seq;
        memcpy(&seq, d, 8);
        CHECK(seq == (uint64_t)k && sz == 16 && ring == 0);
        k++;
    }
    ebpf_ringbuf_release(r);
    CHECK(k == 3 && ebpf_ringbuf_available(r) == 0);
    /* batched pull: nothing is consumed until committed, a commit gives
     * back up to the record given, the rest is peeked again */
    n = 1000;
    CHECK(ebpf_prog_run(p, &ro) == 0 && ro.retval == n);
    struct ebpf_record recs[64];
    CHECK(ebpf_ringbuf_peek_batch(r, recs, 0) == 0);
    CHECK(ebpf_ringbuf_peek_batch(r, recs, 64) == 64);
    CHECK(ebpf_ringbuf_peek_batch(r, recs, 64) == 64); /* same records again */
    CHECK(ebpf_ringbuf_available(r) == n * 24);
    ebpf_ringbuf_commit(r, &recs[9]);
    CHECK(ebpf_ringbuf_available(r) == (n - 10) * 24);
    uint64_t next = 10, total = 10;
    long got_b;
    while ((got_b = ebpf_ringbuf_peek_batch(r, recs, 64)) > 0) {
        for (long i = 0; i < got_b; i++) {
            uint64_t rec[2];
            memcpy(rec, recs[i].data, 16);
            CHECK(recs[i].size == 16 && recs[i].ring == 0 && recs[i].type == EBPF_RECORD_SAMPLE && recs[i].cpu == -1);
            CHECK(rec[0] == next && rec[1] == next + 1);
            next++;
        }
        total += (uint64_t)got_b;
        ebpf_ringbuf_commit(r, &recs[got_b - 1]);
    }
    CHECK(total == n && ebpf_ringbuf_available(r) == 0);
    ebpf_ringbuf_free(r);
    ebpf_prog_close(p);
    ebpf_map_close(rb);
}

static uint64_t sum_of(struct ebpf_map *m, uint64_t *count)
{
    uint32_t k = 0;
    uint64_t v[2] = {0, 0};
    ebpf_map_lookup(m, &k, v, 0);
    *count = v[1];
    return v[0];
}

static uint32_t drain(struct ebpf_prog *p)
{
    uint64_t ctx = 0;
    struct ebpf_prog_run_opts ro;
    memset(&ro, 0, sizeof(ro));
    ro.ctx_in = &ctx;
    ro.ctx_size_in = 8;
    if (ebpf_prog_run(p, &ro) < 0)
        return 0xffffffff;
    return ro.retval;
}

static void test_user_ringbuf(int btf)
{
    struct ebpf_map *urb = rp_map(BPF_MAP_TYPE_USER_RINGBUF, 0, 0, 4096);
    struct ebpf_map *sum = rp_map(BPF_MAP_TYPE_ARRAY, 4, 16, 1);
    CHECK(urb && sum);
    if (!urb || !sum)
        return;
    struct ebpf_prog *p = rp_user_ringbuf_drain(ebpf_map_fd(urb), ebpf_map_fd(sum), btf);
    CHECK(p);
    struct ebpf_user_ringbuf *w = ebpf_user_ringbuf_new(urb);
    CHECK(w);
    if (!p || !w)
        goto out;
    CHECK(ebpf_user_ringbuf_size(w) == 4096 && ebpf_user_ringbuf_free_space(w) == 4096);
    uint64_t want = 0, cnt;
    for (uint64_t i = 1; i <= 100; i++) {
        CHECK(ebpf_user_ringbuf_write(w, &i, 8) == 0);
        want += i;
    }
    /* a discarded sample is skipped by the kernel */
    uint64_t *d = ebpf_user_ringbuf_reserve(w, 8);
    CHECK(d);
    if (d) {
        *d = 1000000;
        ebpf_user_ringbuf_discard(w, d);
    }
    CHECK(drain(p) == 100);
    CHECK(sum_of(sum, &cnt) == want && cnt == 100);
    CHECK(ebpf_user_ringbuf_free_space(w) == 4096);
    /* a reserved sample blocks the drain at its place until submitted */
    uint64_t *a = ebpf_user_ringbuf_reserve(w, 8), b = 5;
    CHECK(a && ebpf_user_ringbuf_write(w, &b, 8) == 0);
    CHECK(drain(p) == 0);
    if (a) {
        *a = 7;
        ebpf_user_ringbuf_submit(w, a);
    }
    CHECK(drain(p) == 2);
    CHECK(sum_of(sum, &cnt) == want + 12 && cnt == 102);
    /* the ring fills: ENOSPC; too big: E2BIG */
    int full = 0;
    for (int i = 0; i < 1000 && !full; i++)
        if (!ebpf_user_ringbuf_reserve(w, 100))
            full = errno == ENOSPC;
    CHECK(full);
    errno = 0;
    CHECK(!ebpf_user_ringbuf_reserve(w, 4096) && errno == E2BIG);
    errno = 0;
    CHECK(!ebpf_user_ringbuf_reserve_wait(w, 100, 5) && errno == ETIMEDOUT);
    /* freeing with reserved samples discards them: the next writer's
     * samples drain */
    ebpf_user_ringbuf_free(w);
    CHECK(drain(p) == 0);
    w = ebpf_user_ringbuf_new(urb);
    CHECK(w && ebpf_user_ringbuf_write(w, &b, 8) == 0);
    CHECK(drain(p) == 1);
    CHECK(sum_of(sum, &cnt) == want + 17 && cnt == 103);
out:
    ebpf_user_ringbuf_free(w);
    ebpf_prog_close(p);
    ebpf_map_close(urb);
    ebpf_map_close(sum);
}

struct pacc { uint64_t count, sum, lost; int bad_cpu; };

static int pf_cb(void *ctx, int cpu, const void *data, size_t size)
{
    struct pacc *a = ctx;
    uint64_t rec[2];
    if (size < 16 || cpu < 0)
        a->bad_cpu = 1;
    memcpy(rec, data, 16);
    a->count++;
    a->sum += rec[1];
    return 0;
}

static void pf_lost(void *ctx, int cpu, uint64_t lost)
{
    (void)cpu;
    ((struct pacc *)ctx)->lost += lost;
}

static void test_perf(void)
{
    /* Producer runs and lost records stay on one CPU's ring: a test run
     * that migrates mid-way would leave its LOST record on another ring. */
    cpu_set_t old_set, cpu0;
    sched_getaffinity(0, sizeof(old_set), &old_set);
    CPU_ZERO(&cpu0);
    CPU_SET(0, &cpu0);
    sched_setaffinity(0, sizeof(cpu0), &cpu0);
    struct ebpf_map *ev = rp_map(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, (uint32_t)ebpf_num_possible_cpus());
    struct ebpf_map *st = rp_map(BPF_MAP_TYPE_ARRAY, 4, 16, 1);
    CHECK(ev && st);
    struct ebpf_prog *p = ev && st ? rp_perf_xdp(ebpf_map_fd(ev), ebpf_map_fd(st)) : NULL;
    CHECK(p);
    struct ebpf_perf_opts o;
    ebpf_perf_opts_init(&o);
    o.pages = 1;
    o.watermark = 1 << 20;
    struct ebpf_perf *pb = p ? ebpf_perf_new(ev, &o) : NULL;
    CHECK(pb);
    if (pb) {
        unsigned char pkt[64] = {0};
        pkt[12] = 8;
        struct ebpf_prog_run_opts ro;
        memset(&ro, 0, sizeof(ro));
        ro.data_in = pkt;
        ro.data_size_in = 64;
        ro.repeat = 1000;
        CHECK(ebpf_prog_run(p, &ro) == 0 && ro.retval == 2);
        uint32_t k = 0;
        uint64_t s[2];
        CHECK(ebpf_map_lookup(st, &k, s, 0) == 0 && s[0] == 1000 && s[1] > 0);
        struct pacc a = {0};
        CHECK(ebpf_perf_consume(pb, 0, pf_cb, pf_lost, &a) == (long)(1000 - s[1]));
        ro.repeat = 1;
        CHECK(ebpf_prog_run(p, &ro) == 0);
        CHECK(ebpf_perf_poll(pb, 100, 0, pf_cb, pf_lost, &a) == 1);
        CHECK(a.lost == s[1] && ebpf_perf_lost(pb) == s[1]);
        CHECK(a.count + a.lost == 1001 && !a.bad_cpu);
        CHECK(ebpf_perf_count(pb) >= 1 && ebpf_perf_ring_size(pb) == (size_t)sysconf(_SC_PAGESIZE));
    }
    sched_setaffinity(0, sizeof(old_set), &old_set);
    ebpf_perf_free(pb);
    ebpf_prog_close(p);
    ebpf_map_close(ev);
    ebpf_map_close(st);
}

struct wacc { uint64_t next, count; int bad; };

static int wrap_cb(void *ctx, int cpu, const void *data, size_t size)
{
    struct wacc *a = ctx;
    uint64_t rec[3];
    (void)cpu;
    if (size < 24)
        return a->bad = 1, 0;
    memcpy(rec, data, 24);
    if (rec[0] != a->next || rec[1] != rec[0] + 1 || rec[2] != rec[0] + 1)
        a->bad = 1;
    a->next = rec[0] + 1;
    a->count++;
    return 0;
}

/* 40-byte perf records through a one-page ring, many rounds: records that
 * straddle the ring end come through the bounce buffer intact, in both the
 * callback and the pull interface. */
static void test_perf_wrap(void)
{
    struct ebpf_map *ev = rp_map(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, (uint32_t)ebpf_num_possible_cpus());
    struct ebpf_map *st = rp_map(BPF_MAP_TYPE_ARRAY, 4, 16, 1);
    struct ebpf_prog *p = ev && st ? rp_perf_xdp24(ebpf_map_fd(ev), ebpf_map_fd(st)) : NULL;
    CHECK(p);
    struct ebpf_perf_opts o;
    ebpf_perf_opts_init(&o);
    o.pages = 1;
    o.watermark = 1 << 20;
    struct ebpf_perf *pb = p ? ebpf_perf_new(ev, &o) : NULL;
    CHECK(pb);
    if (pb) {
        unsigned char pkt[64] = {0};
        pkt[12] = 8;
        struct ebpf_prog_run_opts ro;
        memset(&ro, 0, sizeof(ro));
        ro.data_in = pkt;
        ro.data_size_in = 64;
        ro.repeat = 37;
        struct wacc a = {0};
        for (int round = 0; round < 60; round++) {
            CHECK(ebpf_prog_run(p, &ro) == 0 && ro.retval == 2);
            if (round % 3 == 1) {
                CHECK(ebpf_perf_consume(pb, 0, wrap_cb, NULL, &a) == 37);
            } else if (round % 3 == 2) {
                /* batches of up to 8, the last record of each given back
                 * to the ring only on the next pass (commit up to one
                 * before it): records must come again, once, in order */
                struct ebpf_record recs[8];
                long k, seen = 0;
                while ((k = ebpf_perf_peek_batch(pb, recs, 8)) > 0) {
                    for (long i = 0; i < k; i++) {
                        CHECK(recs[i].type == EBPF_RECORD_SAMPLE && recs[i].cpu == ebpf_perf_cpu(pb, recs[i].ring));
                        if (i < k - 1 || k == 1)
                            wrap_cb(&a, recs[i].cpu, recs[i].data, recs[i].size);
                    }
                    ebpf_perf_commit(pb, &recs[k == 1 ? 0 : k - 2]);
                    seen += k == 1 ? 1 : k - 1;
                }
                CHECK(seen == 37);
            } else {
                struct ebpf_perf_record rec;
                int k = 0;
                while (ebpf_perf_peek(pb, &rec)) {
                    CHECK(rec.type == EBPF_PERF_SAMPLE);
                    wrap_cb(&a, rec.cpu, rec.data, rec.size);
                    k++;
                }
                ebpf_perf_release(pb);
                CHECK(k == 37);
            }
        }
        uint32_t key = 0;
        uint64_t s[2];
        CHECK(ebpf_map_lookup(st, &key, s, 0) == 0 && s[0] == 60 * 37 && s[1] == 0);
        CHECK(a.count == 60 * 37 && !a.bad && ebpf_perf_lost(pb) == 0);
        /* 2220 records of 40 bytes went through 4096 bytes: it wrapped */
        CHECK(a.count * 40 > 20 * 4096);
    }
    ebpf_perf_free(pb);
    ebpf_prog_close(p);
    ebpf_map_close(ev);
    ebpf_map_close(st);
}

/* With fds 0-2 free, readers must not take them (stdio is never clobbered). */
static void test_fds(void)
{
    int saved = dup(0);
    close(0);
    struct ebpf_ringbuf *r = ebpf_ringbuf_new();
    CHECK(r && ebpf_ringbuf_epoll_fd(r) > 2);
    struct ebpf_map *ev = rp_map(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, (uint32_t)ebpf_num_possible_cpus());
    close(0); /* in case the map took it */
    struct ebpf_perf *pb = ev ? ebpf_perf_new(ev, NULL) : NULL;
    CHECK(pb && ebpf_perf_epoll_fd(pb) > 2);
    CHECK(fcntl(0, F_GETFD) < 0);
    ebpf_perf_free(pb);
    ebpf_map_close(ev);
    ebpf_ringbuf_free(r);
    dup2(saved, 0);
    close(saved);
}

static void test_errors(void)
{
    struct ebpf_map *arr = rp_map(BPF_MAP_TYPE_ARRAY, 4, 4, 1);
    struct ebpf_ringbuf *r = ebpf_ringbuf_new();
    CHECK(r && arr);
    if (r && arr) {
        CHECK(ebpf_ringbuf_add(r, arr) == -EINVAL);
        CHECK(strstr(ebpf_error_message(), "not a ringbuf map") != NULL);
        CHECK(ebpf_ringbuf_wait(r, 0) == -EINVAL);
    }
    CHECK(!ebpf_user_ringbuf_new(arr) && errno == EINVAL);
    CHECK(!ebpf_perf_new(arr, NULL) && errno == EINVAL);
    ebpf_ringbuf_free(r);
    ebpf_ringbuf_free(NULL);
    ebpf_user_ringbuf_free(NULL);
    ebpf_perf_free(NULL);
    ebpf_map_close(arr);
}

int main(void)
{
    int btf = rp_btf_load();
    CHECK(btf >= 0);
    test_ringbuf(btf);
    test_user_ringbuf(btf);
    test_perf();
    test_perf_wrap();
    test_errors();
    test_fds();
    if (btf >= 0)
        close(btf);
    if (failures)
        fprintf(stderr, "test_readers: %d failures\n", failures);
    else
        printf("test_readers: ok\n");
    return failures ? 1 : 0;
}
