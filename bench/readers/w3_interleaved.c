/* W3 (perf buffer drain) with libbpf's perf_buffer and ebpf-lua's reader in
 * ONE process, rounds alternating A/B on one loaded object, a fresh reader
 * each round (so both get fresh ring pages), producer and consumer on CPU 0.
 *
 * Why: two separate processes (anchor_libbpf, ebpf_bench_readers) differ in
 * more than their consume loops - page placement of the rings, what the
 * process did before - and on a shared machine their medians move by 30-50 %
 * from run to run. Here the only difference between the A and B rounds is
 * the reader, and the ratio is the median of per-pair ratios.
 *
 * Benchmark only: it links libbpf to have it in the same process (the
 * library itself never does). usage: w3_interleaved OBJ [N] [PAIRS] [PAGES] */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <sched.h>

#include "bench_common.h"
#include "readers/w_acc.h"
#include "ebpf/elf.h"
#include "ebpf/map.h"
#include "ebpf/perf.h"
#include "ebpf/prog.h"

static void libbpf_sample(void *ctx, int cpu, void *data, __u32 size)
{
    (void)cpu, (void)size;
    w_acc_add(ctx, data);
}

static void libbpf_lost(void *ctx, int cpu, __u64 n)
{
    w3_lost(ctx, cpu, n);
}

struct w3 { struct ebpf_prog *prog; struct ebpf_map *events, *state; uint64_t n; };

/* Points CPU 0's slot at ring_fd, then runs the producer n times; fails
 * unless every output went in. */
static void produce(const struct w3 *w, int ring_fd)
{
    uint32_t k0 = 0, k1 = 1, fd = (uint32_t)ring_fd;
    if (ebpf_map_update(w->events, &k0, &fd, BPF_ANY) < 0)
        BENCH_FAIL("map slot: %s", ebpf_error_message());
    uint64_t z = 0, seq = 0, fails = 0;
    if (ebpf_map_update(w->state, &k0, &z, BPF_ANY) < 0 || ebpf_map_update(w->state, &k1, &z, BPF_ANY) < 0)
        BENCH_FAIL("reset state: %s", ebpf_error_message());
    unsigned char pkt[64] = {0};
    pkt[12] = 0x08;
    struct ebpf_prog_run_opts ro;
    memset(&ro, 0, sizeof(ro));
    ro.data_in = pkt;
    ro.data_size_in = sizeof(pkt);
    ro.repeat = (uint32_t)w->n;
    if (ebpf_prog_run(w->prog, &ro) < 0 || ro.retval != 2)
        BENCH_FAIL("producer: %s", ebpf_error_message());
    if (ebpf_map_lookup(w->state, &k0, &seq, 0) < 0 || ebpf_map_lookup(w->state, &k1, &fails, 0) < 0 ||
        seq != w->n || fails)
        BENCH_FAIL("producer ran %llu times, %llu outputs failed", (unsigned long long)seq,
                   (unsigned long long)fails);
}

static void check(const char *who, const struct w_acc *a, uint64_t n)
{
    if (a->lost || a->count != n || a->sum != n * (n + 1) / 2)
        BENCH_FAIL("%s: count %llu lost %llu sum %llu", who, (unsigned long long)a->count,
                   (unsigned long long)a->lost, (unsigned long long)a->sum);
}

static struct w_acc libbpf_acc;

/* One round of libbpf's reader: ns per record. */
static double round_libbpf(const struct w3 *w, struct perf_buffer *pb)
{
    produce(w, perf_buffer__buffer_fd(pb, 0));
    memset(&libbpf_acc, 0, sizeof(libbpf_acc));
    uint64_t t0 = bench_now_ns();
    int err = perf_buffer__consume(pb);
    uint64_t t1 = bench_now_ns();
    if (err < 0)
        BENCH_FAIL("perf_buffer__consume: %s", strerror(-err));
    check("libbpf", &libbpf_acc, w->n);
    return (double)(t1 - t0) / (double)w->n;
}

static double round_ours(const struct w3 *w, struct ebpf_perf *pb)
{
    produce(w, ebpf_perf_ring_fd(pb, 0));
    struct w_acc a = {0};
    uint64_t t0 = bench_now_ns();
    ebpf_perf_consume(pb, 0, w3_cb, w3_lost, &a);
    uint64_t t1 = bench_now_ns();
    check("ebpf-core", &a, w->n);
    return (double)(t1 - t0) / (double)w->n;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: w3_interleaved OBJ [N] [PAIRS] [PAGES]\n");
        return 2;
    }
    uint64_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
    int pairs = argc > 3 ? atoi(argv[3]) : 8;
    size_t pages = argc > 4 ? (size_t)strtoull(argv[4], NULL, 10) : 8192;
    if (pairs < 1 || pairs > 64 || n < 1)
        BENCH_FAIL("N >= 1 and 1 <= PAIRS <= 64");
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    if (sched_setaffinity(0, sizeof(set), &set) < 0)
        BENCH_FAIL("pin to cpu 0: %s", strerror(errno));
    libbpf_set_print(NULL);
    struct ebpf_spec *s = ebpf_spec_open_file(argv[1]);
    struct ebpf_collection *c = s ? ebpf_collection_load(s, NULL) : NULL;
    if (!c)
        BENCH_FAIL("load %s: %s", argv[1], ebpf_error_message());
    ebpf_spec_free(s);
    struct w3 w = {ebpf_collection_prog(c, "xdp_produce"), ebpf_collection_map(c, "events"),
                   ebpf_collection_map(c, "state"), n};
    if (!w.prog || !w.events || !w.state || ebpf_map_value_size(w.state) != 8)
        BENCH_FAIL("%s: not the anchors' perfbuf object", argv[1]);
    struct perf_buffer *lpb = perf_buffer__new(ebpf_map_fd(w.events), pages, libbpf_sample, libbpf_lost,
                                               &libbpf_acc, NULL);
    if (!lpb)
        BENCH_FAIL("perf_buffer__new: %s", strerror(errno));
    struct ebpf_perf_opts o;
    ebpf_perf_opts_init(&o);
    o.pages = pages;
    struct ebpf_perf *opb = ebpf_perf_new(w.events, &o);
    if (!opb)
        BENCH_FAIL("reader: %s", ebpf_error_message());
    if (ebpf_perf_cpu(opb, 0) != 0 || perf_buffer__buffer_cnt(lpb) < 1)
        BENCH_FAIL("no ring for CPU 0");
    double lb[64], ours[64], ratio[64];
    round_libbpf(&w, lpb); /* warm-up: both rings' pages faulted in */
    round_ours(&w, opb);
    for (int i = 0; i < pairs; i++) {
        /* alternate which goes first, so neither always follows the other */
        if (i % 2) {
            ours[i] = round_ours(&w, opb);
            lb[i] = round_libbpf(&w, lpb);
        } else {
            lb[i] = round_libbpf(&w, lpb);
            ours[i] = round_ours(&w, opb);
        }
        ratio[i] = ours[i] / lb[i];
    }
    perf_buffer__free(lpb);
    ebpf_perf_free(opb);
    struct bench_stats sl = bench_stats(lb, pairs), so = bench_stats(ours, pairs), sr = bench_stats(ratio, pairs);
    printf("W3 perfbuf libbpf-same-process ns_per_record=%.2f min_ns_per_record=%.2f max_ns_per_record=%.2f "
           "n=%llu pairs=%d pages_per_cpu=%zu\n", sl.median, sl.min, sl.max, (unsigned long long)n, pairs, pages);
    printf("W3 perfbuf ebpf-core-same-process ns_per_record=%.2f min_ns_per_record=%.2f max_ns_per_record=%.2f "
           "n=%llu pairs=%d pages_per_cpu=%zu\n", so.median, so.min, so.max, (unsigned long long)n, pairs, pages);
    printf("W3 perfbuf ratio ns_per_record ebpf-core-same-process/libbpf-same-process=%.2f (median of %d "
           "interleaved pairs; min %.2f max %.2f)\n", sr.median, pairs, sr.min, sr.max);
    ebpf_collection_close(c);
    return 0;
}
