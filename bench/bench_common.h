/* Timing and statistics shared by the C benchmark modes. */
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

struct bench_stats { double median, min, max; };

/* Median (mean of the middle two for an even count), min and max. */
static inline struct bench_stats bench_stats(const double *v, int n)
{
    double s[64];
    if (n > 64)
        n = 64;
    memcpy(s, v, sizeof(double) * (size_t)n);
    qsort(s, (size_t)n, sizeof(double), bench_cmp);
    struct bench_stats r = {n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2, s[0], s[n - 1]};
    return r;
}

#define BENCH_FAIL(...) do { fprintf(stderr, "FAIL ebpf-core: " __VA_ARGS__); fputc('\n', stderr); exit(1); } while (0)
