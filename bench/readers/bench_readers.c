/* W2 (ringbuf) and W3 (perfbuf) of ../shared/anchors/README.md through the
 * C core (label ebpf-core), on the anchors' very objects loaded by the ELF
 * loader (build/ringbuf.bpf.o, build/perfbuf.bpf.o); with OBJ "-" the same
 * producers hand-assembled (core/tests/readers_progs.h) are used instead.
 * usage: bench_readers ringbuf OBJ [N] [REPS] | perfbuf OBJ [N] [REPS] [PAGES]
 * build (from the repository root, with main's bench/bench_common.h):
 *   cc -O2 -Icore/include -Icore/tests -Ibench bench/readers/bench_readers.c \
 *      build/libebpfcore.a -lelf -lz -o build/bench_readers
 * mode_ringbuf/mode_perfbuf are meant to move into bench/bench_core.c. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/bpf.h>
#include <sched.h>
#include <unistd.h>

#include "bench_common.h" /* bench/ of main */
#include "w_acc.h"
#include "ebpf/elf.h"
#include "ebpf/perf.h"
#include "ebpf/ringbuf.h"
#include "readers_progs.h"

#define LABEL "ebpf-core"


/* The timed callback: add val (u64 at offset 8) and count. */
static int w2_cb(void *ctx, const void *data, size_t size, int ring)
{
    (void)size, (void)ring;
    w_acc_add(ctx, data);
    return 0;
}

/* Loads an anchors' object; the collection owns maps and programs. */
static struct ebpf_collection *load_obj(const char *path)
{
    struct ebpf_spec *s = ebpf_spec_open_file(path);
    if (!s)
        BENCH_FAIL("open %s: %s", path, ebpf_error_message());
    struct ebpf_collection *c = ebpf_collection_load(s, NULL);
    if (!c)
        BENCH_FAIL("load %s: %s", path, ebpf_error_message());
    ebpf_spec_free(s);
    return c;
}

static int mode_ringbuf(const char *obj, uint64_t n, int reps)
{
    int btf = -1;
    struct ebpf_collection *c = NULL;
    struct ebpf_map *rb;
    struct ebpf_prog *p;
    if (strcmp(obj, "-")) {
        c = load_obj(obj);
        rb = ebpf_collection_map(c, "rb");
        p = ebpf_collection_prog(c, "produce");
        if (!rb || !p)
            BENCH_FAIL("%s: no map 'rb' or program 'produce'", obj);
    } else {
        btf = rp_btf_load();
        rb = rp_map(BPF_MAP_TYPE_RINGBUF, 0, 0, 64u << 20);
        if (btf < 0 || !rb)
            BENCH_FAIL("setup: %s", ebpf_error_message());
        p = rp_ringbuf_loop(ebpf_map_fd(rb), btf);
        if (!p)
            BENCH_FAIL("load: %s", ebpf_error_message());
    }
    struct ebpf_ringbuf *r = ebpf_ringbuf_new(); /* created once */
    if (!r || ebpf_ringbuf_add(r, rb) < 0)
        BENCH_FAIL("reader: %s", ebpf_error_message());
    double t[64], tp[64];
    for (int round = -1; round < reps; round++) {
        struct ebpf_prog_run_opts ro;
        memset(&ro, 0, sizeof(ro));
        ro.ctx_in = &n;
        ro.ctx_size_in = 8;
        uint64_t t0 = bench_now_ns();
        if (ebpf_prog_run(p, &ro) < 0 || ro.retval != n)
            BENCH_FAIL("producer: retval %u: %s", ro.retval, ebpf_error_message());
        uint64_t t1 = bench_now_ns();
        struct w_acc a = {0};
        uint64_t t2 = bench_now_ns();
        long got = ebpf_ringbuf_consume(r, 0, w2_cb, &a);
        uint64_t t3 = bench_now_ns();
        if (got != (long)n || a.count != n || a.sum != n * (n + 1) / 2)
            BENCH_FAIL("ringbuf: got %ld count %llu sum %llu", got, (unsigned long long)a.count,
                       (unsigned long long)a.sum);
        if (round >= 0) {
            t[round] = (double)(t3 - t2) / (double)n;
            tp[round] = (double)(t1 - t0) / (double)n;
        }
    }
    struct bench_stats s = bench_stats(t, reps), sp = bench_stats(tp, reps);
    printf("W2 ringbuf %s ns_per_record=%.2f records_per_s=%.0f min_ns_per_record=%.2f max_ns_per_record=%.2f "
           "n=%llu reps=%d producer_ns_per_record=%.1f\n",
           LABEL, s.median, 1e9 / s.median, s.min, s.max, (unsigned long long)n, reps, sp.median);
    ebpf_ringbuf_free(r);
    if (c) {
        ebpf_collection_close(c);
    } else {
        ebpf_prog_close(p);
        ebpf_map_close(rb);
        close(btf);
    }
    return 0;
}

static int mode_perfbuf(const char *obj, uint64_t n, int reps, size_t pages)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    if (sched_setaffinity(0, sizeof(set), &set) < 0)
        BENCH_FAIL("pin to cpu 0: %s", strerror(errno));
    struct ebpf_collection *c = NULL;
    struct ebpf_map *ev, *st;
    struct ebpf_prog *p;
    if (strcmp(obj, "-")) {
        c = load_obj(obj);
        ev = ebpf_collection_map(c, "events");
        st = ebpf_collection_map(c, "state");
        p = ebpf_collection_prog(c, "xdp_produce");
        if (!ev || !st || !p)
            BENCH_FAIL("%s: no map 'events'/'state' or program 'xdp_produce'", obj);
    } else {
        ev = rp_map(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, (uint32_t)ebpf_num_possible_cpus());
        st = rp_map(BPF_MAP_TYPE_ARRAY, 4, 16, 1);
        if (!ev || !st)
            BENCH_FAIL("maps: %s", ebpf_error_message());
        p = rp_perf_xdp(ebpf_map_fd(ev), ebpf_map_fd(st));
        if (!p)
            BENCH_FAIL("load: %s", ebpf_error_message());
    }
    struct ebpf_perf_opts o;
    ebpf_perf_opts_init(&o);
    o.pages = pages;
    struct ebpf_perf *pb = ebpf_perf_new(ev, &o);
    if (!pb)
        BENCH_FAIL("reader: %s", ebpf_error_message());
    double t[64], tp[64];
    uint64_t lost_total = 0;
    unsigned char pkt[64] = {0};
    pkt[12] = 0x08;
    for (int round = -1; round < reps; round++) {
        /* state: the anchors' ARRAY of 2 u64 (keys 0, 1), or ours (one
         * 16-byte value) */
        uint32_t k = 0, k1 = 1;
        uint64_t s[2] = {0, 0};
        int two_keys = ebpf_map_value_size(st) == 8;
        if (ebpf_map_update(st, &k, s, BPF_ANY) < 0 || (two_keys && ebpf_map_update(st, &k1, s, BPF_ANY) < 0))
            BENCH_FAIL("reset state");
        struct ebpf_prog_run_opts ro;
        memset(&ro, 0, sizeof(ro));
        ro.data_in = pkt;
        ro.data_size_in = sizeof(pkt);
        ro.repeat = (uint32_t)n;
        uint64_t t0 = bench_now_ns();
        if (ebpf_prog_run(p, &ro) < 0 || ro.retval != 2)
            BENCH_FAIL("producer: %s", ebpf_error_message());
        uint64_t t1 = bench_now_ns();
        if (ebpf_map_lookup(st, &k, s, 0) < 0 || (two_keys && ebpf_map_lookup(st, &k1, &s[1], 0) < 0) ||
            s[0] != n || s[1] != 0)
            BENCH_FAIL("producer state %llu %llu", (unsigned long long)s[0], (unsigned long long)s[1]);
        struct w_acc a = {0};
        uint64_t t2 = bench_now_ns();
        ebpf_perf_consume(pb, 0, w3_cb, w3_lost, &a);
        uint64_t t3 = bench_now_ns();
        if (a.count + a.lost != n || (a.lost == 0 && a.sum != n * (n + 1) / 2))
            BENCH_FAIL("perfbuf: count %llu lost %llu", (unsigned long long)a.count, (unsigned long long)a.lost);
        if (a.lost)
            printf("# WARN W3 round %d lost %llu\n", round, (unsigned long long)a.lost);
        if (round >= 0) {
            t[round] = (double)(t3 - t2) / (double)(a.count ? a.count : 1);
            tp[round] = (double)(t1 - t0) / (double)n;
            lost_total += a.lost;
        }
    }
    struct bench_stats s = bench_stats(t, reps), sp = bench_stats(tp, reps);
    printf("W3 perfbuf %s ns_per_record=%.2f records_per_s=%.0f min_ns_per_record=%.2f max_ns_per_record=%.2f "
           "n=%llu reps=%d pages_per_cpu=%zu lost=%llu producer_ns_per_record=%.1f\n",
           LABEL, s.median, 1e9 / s.median, s.min, s.max, (unsigned long long)n, reps, pages,
           (unsigned long long)lost_total, sp.median);
    ebpf_perf_free(pb);
    if (c) {
        ebpf_collection_close(c);
    } else {
        ebpf_prog_close(p);
        ebpf_map_close(ev);
        ebpf_map_close(st);
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    const char *obj = argc > 2 ? argv[2] : "-";
    uint64_t n = argc > 3 ? strtoull(argv[3], NULL, 10) : 1000000;
    int reps = argc > 4 ? atoi(argv[4]) : 5;
    if (reps < 1 || reps > 64)
        reps = 5;
    if (!strcmp(mode, "ringbuf"))
        return mode_ringbuf(obj, n, reps);
    if (!strcmp(mode, "perfbuf"))
        return mode_perfbuf(obj, n, reps, argc > 5 ? (size_t)strtoull(argv[5], NULL, 10) : 8192);
    fprintf(stderr, "usage: bench_readers ringbuf OBJ [N] [REPS] | perfbuf OBJ [N] [REPS] [PAGES]\n");
    return 2;
}
