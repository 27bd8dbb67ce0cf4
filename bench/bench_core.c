/* bench_core: the anchors' workloads (../shared/anchors/README.md) run
 * through the C core, printing one line per figure labelled ebpf-core.
 * usage: bench_core hashmap [N] [REPS] [BATCH] | testrun [CALLS] [REPS] */
#include <errno.h>
#include <linux/bpf.h>

#include "bench_common.h"
#include "ebpf/map.h"
#include "ebpf/prog.h"
#include "ebpf/sys.h"
#include "ebpf/elf.h"

#define LABEL "ebpf-core"

static uint64_t w4_value(uint32_t k) { return (uint64_t)k * 2654435761ull + 7; }

static int mode_hashmap(uint32_t n, int reps, uint32_t batch)
{
    enum { UPD, LKP, ITER, BATCH, DEL, NOPS };
    static const char *names[NOPS] = {"update", "lookup", "iterate", "lookup_batch", "delete"};
    double t[NOPS][64];
    uint64_t want_sum = 0;
    for (uint32_t k = 0; k < n; k++)
        want_sum += w4_value(k);
    uint32_t *keys = malloc(sizeof(uint32_t) * (n + 1));
    uint64_t *vals = malloc(sizeof(uint64_t) * (n + 1));
    if (!keys || !vals)
        BENCH_FAIL("out of memory");
    for (int r = 0; r < reps; r++) {
        struct ebpf_map_create_opts o;
        ebpf_map_create_opts_init(&o);
        o.type = BPF_MAP_TYPE_HASH;
        o.key_size = 4;
        o.value_size = 8;
        o.max_entries = n;
        struct ebpf_map *m = ebpf_map_create(&o);
        if (!m)
            BENCH_FAIL("%s", ebpf_error_message());
        uint64_t t0 = bench_now_ns();
        for (uint32_t k = 0; k < n; k++) {
            uint64_t v = w4_value(k);
            if (ebpf_map_update(m, &k, &v, BPF_ANY) < 0)
                BENCH_FAIL("update: %s", ebpf_error_message());
        }
        t[UPD][r] = (double)(bench_now_ns() - t0) / n;

        uint64_t sum = 0;
        t0 = bench_now_ns();
        for (uint32_t k = 0; k < n; k++) {
            uint64_t v;
            if (ebpf_map_lookup(m, &k, &v, 0) < 0)
                BENCH_FAIL("lookup %u", k);
            sum += v;
        }
        t[LKP][r] = (double)(bench_now_ns() - t0) / n;
        if (sum != want_sum)
            BENCH_FAIL("lookup sum");

        sum = 0;
        uint32_t count = 0, cur, next;
        t0 = bench_now_ns();
        int rc = ebpf_map_next_key(m, NULL, &next);
        while (rc == 0) {
            uint64_t v;
            if (ebpf_map_lookup(m, &next, &v, 0) < 0)
                BENCH_FAIL("iterate lookup");
            sum += v;
            count++;
            cur = next;
            rc = ebpf_map_next_key(m, &cur, &next);
        }
        t[ITER][r] = (double)(bench_now_ns() - t0) / n;
        if (rc != -ENOENT || count != n || sum != want_sum)
            BENCH_FAIL("iterate count %u", count);

        uint32_t in_tok = 0, out_tok = 0, off = 0;
        int started = 0;
        t0 = bench_now_ns();
        for (;;) {
            uint32_t c = batch;
            if (off + c > n + 1)
                c = n + 1 - off;
            rc = ebpf_map_lookup_batch(m, started ? &in_tok : NULL, &out_tok, keys + off, vals + off, &c, 0);
            off += c;
            if (rc == -ENOENT)
                break;
            if (rc < 0)
                BENCH_FAIL("lookup_batch: %s", ebpf_error_message());
            in_tok = out_tok;
            started = 1;
        }
        t[BATCH][r] = (double)(bench_now_ns() - t0) / n;
        sum = 0;
        for (uint32_t i = 0; i < off; i++) {
            if (vals[i] != w4_value(keys[i]))
                BENCH_FAIL("lookup_batch value of key %u", keys[i]);
            sum += vals[i];
        }
        if (off != n || sum != want_sum)
            BENCH_FAIL("lookup_batch count %u", off);

        t0 = bench_now_ns();
        for (uint32_t k = 0; k < n; k++)
            if (ebpf_map_delete(m, &k) < 0)
                BENCH_FAIL("delete %u", k);
        t[DEL][r] = (double)(bench_now_ns() - t0) / n;
        if (ebpf_map_next_key(m, NULL, &next) != -ENOENT)
            BENCH_FAIL("map not empty after delete");
        ebpf_map_close(m);
    }
    for (int i = 0; i < NOPS; i++) {
        struct bench_stats s = bench_stats(t[i], reps);
        printf("W4 hashmap %s %s_ns_per_op=%.1f min=%.1f max=%.1f n=%u reps=%d%s\n", LABEL, names[i],
               s.median, s.min, s.max, n, reps, i == BATCH ? "" : "");
    }
    free(keys);
    free(vals);
    return 0;
}

static int mode_testrun(int calls, int reps)
{
    struct bpf_insn insns[2] = {
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
        {.code = BPF_JMP | BPF_EXIT},
    };
    struct ebpf_prog_load_opts o;
    ebpf_prog_load_opts_init(&o);
    o.type = BPF_PROG_TYPE_SOCKET_FILTER;
    o.insns = insns;
    o.insn_cnt = 2;
    o.license = "GPL";
    struct ebpf_prog *p = ebpf_prog_load(&o);
    if (!p)
        BENCH_FAIL("%s", ebpf_error_message());
    unsigned char pkt[64] = {0};
    struct ebpf_prog_run_opts ro;
    memset(&ro, 0, sizeof(ro));
    ro.data_in = pkt;
    ro.data_size_in = sizeof(pkt);
    ro.repeat = 1;
    for (int i = 0; i < 1000; i++)
        if (ebpf_prog_run(p, &ro) < 0 || ro.retval != 0)
            BENCH_FAIL("warm-up run: %s", ebpf_error_message());
    double t[64];
    for (int r = 0; r < reps; r++) {
        uint64_t t0 = bench_now_ns();
        for (int i = 0; i < calls; i++) {
            if (ebpf_prog_run(p, &ro) < 0)
                BENCH_FAIL("run: %s", ebpf_error_message());
            if (ro.retval != 0)
                BENCH_FAIL("retval %u", ro.retval);
        }
        t[r] = (double)(bench_now_ns() - t0) / calls;
    }
    struct bench_stats s = bench_stats(t, reps);
    printf("W6 testrun %s ns_per_call=%.1f min=%.1f max=%.1f calls=%d reps=%d pkt=64\n", LABEL, s.median,
           s.min, s.max, calls, reps);
    ebpf_prog_close(p);
    return 0;
}

/* W5: open + load + close of a multi-program object; the first round
 * includes the process-wide kernel BTF parse. */
static double w5_once_ms(const char *path)
{
    uint64_t t0 = bench_now_ns();
    struct ebpf_spec *s = ebpf_spec_open_file(path);
    struct ebpf_collection *c = s ? ebpf_collection_load(s, NULL) : NULL;
    if (!c)
        BENCH_FAIL("load %s: %s", path, ebpf_error_message());
    if (ebpf_collection_prog_count(c) != 5 || ebpf_collection_map_count(c) != 6)
        BENCH_FAIL("load: %zu programs, %zu maps", (size_t)ebpf_collection_prog_count(c),
                   (size_t)ebpf_collection_map_count(c));
    ebpf_collection_close(c);
    ebpf_spec_free(s);
    return (double)(bench_now_ns() - t0) / 1e6;
}

static int mode_load(const char *path, int reps)
{
    double t[64];
    double first = w5_once_ms(path);
    for (int r = 0; r < reps; r++)
        t[r] = w5_once_ms(path);
    struct bench_stats s = bench_stats(t, reps);
    printf("W5 load %s ms_per_load=%.3f min=%.3f max=%.3f first=%.3f reps=%d\n", LABEL, s.median, s.min,
           s.max, first, reps);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s hashmap [N=100000] [REPS=5] [BATCH=1024] | testrun [CALLS=100000] [REPS=5]\n",
                argv[0]);
        return 2;
    }
    const char *mode = argv[1];
#define ARG(i, d) (argc > (i) ? atoi(argv[i]) : (d))
    if (!strcmp(mode, "hashmap"))
        return mode_hashmap((uint32_t)ARG(2, 100000), ARG(3, 5), (uint32_t)ARG(4, 1024));
    if (!strcmp(mode, "testrun"))
        return mode_testrun(ARG(2, 100000), ARG(3, 5));
    if (!strcmp(mode, "load") && argc > 2)
        return mode_load(argv[2], ARG(3, 20) > 64 ? 64 : ARG(3, 20));
    fprintf(stderr, "%s: unknown mode '%s'\n", argv[0], mode);
    return 2;
}
