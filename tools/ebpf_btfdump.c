/* ebpf_btfdump: the library's BTF tool.
 *
 *   ebpf_btfdump c [FILE] [-o OUT]   C header (vmlinux.h) of FILE (default:
 *                                   /sys/kernel/btf/vmlinux, raw BTF or ELF)
 *   ebpf_btfdump bench [FILE] [REPS] W1: parse + find task_struct, REPS times
 *                                   (default 20); median ms, lookup_us,
 *                                   lookup_all_ms, types, task_struct_id
 *   ebpf_btfdump rss [FILE]          W1: peak RSS before/after one parse
 *
 * Output lines of bench/rss follow ../shared/anchors (W1 btf ...). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ebpf/btf.h"

#define VMLINUX "/sys/kernel/btf/vmlinux"

static int to_file(void *ctx, const char *data, size_t len)
{
    return fwrite(data, 1, len, ctx) == len ? 0 : -1;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static struct ebpf_btf *open_any(const char *path)
{
    struct ebpf_btf *b = ebpf_btf_open_file(path, NULL);
    if (!b)
        fprintf(stderr, "ebpf_btfdump: %s\n", ebpf_error_message());
    return b;
}

static int cmd_c(int argc, char **argv)
{
    const char *path = VMLINUX, *outp = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc)
            outp = argv[++i];
        else
            path = argv[i];
    }
    struct ebpf_btf *b = open_any(path);
    if (!b)
        return 1;
    FILE *f = stdout;
    char *tmp = NULL;
    if (outp) {
        /* Write then rename, so a failed dump never leaves a half header. */
        size_t n = strlen(outp) + 8;
        tmp = malloc(n);
        if (!tmp)
            return 1;
        snprintf(tmp, n, "%s.tmp", outp);
        f = fopen(tmp, "w");
        if (!f) {
            fprintf(stderr, "ebpf_btfdump: %s: %s\n", tmp, strerror(errno));
            return 1;
        }
    }
    int r = ebpf_btf_dump_c(b, 0, 0, to_file, f);
    if (r < 0)
        fprintf(stderr, "ebpf_btfdump: %s\n", ebpf_error_message());
    if (outp) {
        if (fclose(f) != 0)
            r = -EIO;
        if (r == 0 && rename(tmp, outp) != 0) {
            fprintf(stderr, "ebpf_btfdump: rename: %s\n", strerror(errno));
            r = -EIO;
        }
        if (r < 0)
            remove(tmp);
        free(tmp);
    }
    ebpf_btf_free(b);
    return r < 0;
}

static int cmd_bench(int argc, char **argv)
{
    const char *path = argc > 0 ? argv[0] : VMLINUX;
    int reps = argc > 1 ? atoi(argv[1]) : 20;
    if (reps < 1)
        reps = 1;
    double *parse = calloc((size_t)reps, sizeof(double)), *look = calloc((size_t)reps, sizeof(double));
    if (!parse || !look)
        return 1;
    int64_t id0 = -1;
    uint32_t types = 0;
    double all_ms = 0;
    for (int i = 0; i < reps; i++) {
        double t0 = now_ms();
        struct ebpf_btf *b = ebpf_btf_open_file(path, NULL);
        if (!b) {
            fprintf(stderr, "FAIL parse: %s\n", ebpf_error_message());
            return 1;
        }
        double t1 = now_ms();
        int64_t id = ebpf_btf_find(b, "task_struct", BTF_KIND_STRUCT);
        double t2 = now_ms();
        parse[i] = t2 - t0;
        look[i] = (t2 - t1) * 1e3;
        if (i == 0) {
            id0 = id;
            types = ebpf_btf_type_cnt(b) - 1;
            /* Every named type looked up once by name and kind. */
            double a = now_ms();
            for (uint32_t t = 1; t <= types; t++) {
                const char *n = ebpf_btf_name(b, t);
                if (*n && ebpf_btf_find(b, n, ebpf_btf_kind(b, t)) <= 0) {
                    fprintf(stderr, "FAIL lookup of '%s' (id %u)\n", n, t);
                    return 1;
                }
            }
            all_ms = now_ms() - a;
        } else if (id != id0) {
            fprintf(stderr, "FAIL results differ between repetitions\n");
            return 1;
        }
        ebpf_btf_free(b); /* not timed */
    }
    qsort(parse, (size_t)reps, sizeof(double), cmp_double);
    qsort(look, (size_t)reps, sizeof(double), cmp_double);
    printf("W1 btf ebpf-core ms_per_parse=%.3f min=%.3f max=%.3f lookup_us=%.1f lookup_all_ms=%.1f types=%u "
           "task_struct_id=%lld reps=%d file=%s\n",
           parse[reps / 2], parse[0], parse[reps - 1], look[reps / 2], all_ms, types, (long long)id0, reps, path);
    free(parse);
    free(look);
    return id0 > 0 ? 0 : 1;
}

static int cmd_rss(int argc, char **argv)
{
    const char *path = argc > 0 ? argv[0] : VMLINUX;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long before = ru.ru_maxrss;
    struct ebpf_btf *b = ebpf_btf_open_file(path, NULL);
    if (!b) {
        fprintf(stderr, "FAIL parse: %s\n", ebpf_error_message());
        return 1;
    }
    int64_t id = ebpf_btf_find(b, "task_struct", BTF_KIND_STRUCT);
    getrusage(RUSAGE_SELF, &ru);
    printf("W1 btf_rss ebpf-core peak_rss_kb=%ld baseline_rss_kb=%ld delta_kb=%ld file=%s\n", ru.ru_maxrss, before,
           ru.ru_maxrss - before, path);
    ebpf_btf_free(b);
    return id > 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: ebpf_btfdump c [FILE] [-o OUT] | bench [FILE] [REPS] | rss [FILE]\n");
        return 2;
    }
    if (!strcmp(argv[1], "c"))
        return cmd_c(argc - 2, argv + 2);
    if (!strcmp(argv[1], "bench"))
        return cmd_bench(argc - 2, argv + 2);
    if (!strcmp(argv[1], "rss"))
        return cmd_rss(argc - 2, argv + 2);
    fprintf(stderr, "ebpf_btfdump: unknown command '%s'\n", argv[1]);
    return 2;
}
