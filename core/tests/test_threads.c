/* The core used from several threads at once: 8 threads each open and
 * load a testdata object N times, look up section definitions, run
 * feature probes (cold caches: every thread starts behind one barrier)
 * and check per-thread errors. Every result is checked; under
 * ThreadSanitizer (.ci/steps/55-tsan.sh) any data race fails the run.
 * N: EBPF_THREADS_ITERS (default 20, small enough for valgrind). */
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/elf.h"
#include "ebpf/error.h"
#include "ebpf/features.h"
#include "ebpf/prog.h"

#define NTHREADS 8

static atomic_int failures;
#define CHECK(c, ...)                                                                       \
    do {                                                                                    \
        if (!(c)) {                                                                         \
            atomic_fetch_add(&failures, 1);                                                 \
            flockfile(stdout);                                                              \
            printf("FAIL %s:%d (thread %d): ", __FILE__, __LINE__, t->index);               \
            printf(__VA_ARGS__);                                                            \
            printf("\n");                                                                   \
            funlockfile(stdout);                                                            \
        }                                                                                   \
    } while (0)

struct thread_arg {
    int index;
    int iters;
    const char *object;
    pthread_barrier_t *start;
};

static void check_sections(const struct thread_arg *t)
{
    const char *target = NULL;
    const struct ebpf_sec_info *si = ebpf_sec_info_find("kprobe/do_sys_openat2", &target);
    CHECK(si && si->prog_type == BPF_PROG_TYPE_KPROBE && target && !strcmp(target, "do_sys_openat2"), "kprobe section");
    si = ebpf_sec_info_find("xdp.frags", &target);
    CHECK(si && si->frags && si->expected_attach_type == BPF_XDP, "xdp.frags section");
    si = ebpf_sec_info_find("socket", &target);
    CHECK(si && si->prog_type == BPF_PROG_TYPE_SOCKET_FILTER, "socket section");
    CHECK(!ebpf_sec_info_find("no_such_section_kind", &target), "unknown section");
}

static void check_features(const struct thread_arg *t)
{
    const char *why = NULL;
    int st = ebpf_feature_prog_type(BPF_PROG_TYPE_SOCKET_FILTER, &why);
    CHECK(st == EBPF_FEATURE_SUPPORTED, "socket filter programs: %d (%s)", st, why ? why : "");
    st = ebpf_feature_map_type(BPF_MAP_TYPE_ARRAY, &why);
    CHECK(st == EBPF_FEATURE_SUPPORTED, "array maps: %d (%s)", st, why ? why : "");
    st = ebpf_feature_map_type(BPF_MAP_TYPE_HASH, &why);
    CHECK(st == EBPF_FEATURE_SUPPORTED, "hash maps: %d (%s)", st, why ? why : "");
    st = ebpf_feature_helper(BPF_PROG_TYPE_SOCKET_FILTER, BPF_FUNC_map_lookup_elem, &why);
    CHECK(st == EBPF_FEATURE_SUPPORTED, "map_lookup_elem helper: %d (%s)", st, why ? why : "");
    st = ebpf_feature_helper(BPF_PROG_TYPE_SOCKET_FILTER, BPF_FUNC_override_return, &why);
    CHECK(st == EBPF_FEATURE_UNSUPPORTED, "override_return in a socket filter: %d (%s)", st, why ? why : "");
    /* every named probe answers with a status, never an argument error */
    const char *name;
    for (int i = 0; (name = ebpf_feature_misc_at(i)); i++) {
        st = ebpf_feature_misc(name, &why);
        CHECK(st >= 0 && why, "misc feature %s: %d", name, st);
    }
}

static void check_load(const struct thread_arg *t)
{
    struct ebpf_spec *s = ebpf_spec_open_file(t->object);
    CHECK(s, "open %s: %s", t->object, ebpf_error_message());
    if (!s)
        return;
    CHECK(ebpf_spec_prog_count(s) == 1 && ebpf_spec_map_count(s) == 5, "%s: %zu programs, %zu maps", t->object,
          ebpf_spec_prog_count(s), ebpf_spec_map_count(s));
    struct ebpf_load_opts o;
    memset(&o, 0, sizeof(o));
    struct ebpf_collection *c = ebpf_collection_load(s, &o);
    CHECK(c, "load %s: %s", t->object, ebpf_error_message());
    if (c) {
        const char *n = NULL;
        struct ebpf_prog *p = ebpf_collection_prog_at(c, 0, &n);
        CHECK(p && ebpf_prog_fd(p) > 2 && n && !strcmp(n, "add_counter"), "program add_counter");
        CHECK(ebpf_collection_map(c, ".data") != NULL, "map .data");
        ebpf_collection_close(c);
    }
    ebpf_spec_free(s);
}

/* The last-error slot is per thread: a failure here, with a name of its
 * own, is what this thread reads back while the others fail differently. */
static void check_error(const struct thread_arg *t, int i)
{
    char path[96];
    snprintf(path, sizeof(path), "/nonexistent/ebpf-threads-%d-%d.bpf.o", t->index, i);
    CHECK(!ebpf_spec_open_file(path), "open of a missing file");
    CHECK(ebpf_error_errno() == ENOENT && strstr(ebpf_error_message(), path), "own error: %s",
          ebpf_error_message());
}

static void *worker(void *arg)
{
    const struct thread_arg *t = arg;
    pthread_barrier_wait(t->start);
    for (int i = 0; i < t->iters; i++) {
        if (i == 0)
            check_features(t); /* first round: every thread probes cold caches at once */
        check_sections(t);
        check_load(t);
        check_error(t, i);
        if (i == t->iters - 1)
            check_features(t); /* cached answers agree */
    }
    return NULL;
}

int main(void)
{
    const char *b = getenv("BUILD");
    char object[512];
    snprintf(object, sizeof(object), "%s/testdata/elf/globals.bpf.o", b && b[0] ? b : "build");
    const char *n = getenv("EBPF_THREADS_ITERS");
    int iters = n && atoi(n) > 0 ? atoi(n) : 20;

    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, NTHREADS);
    pthread_t tid[NTHREADS];
    struct thread_arg args[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        args[i] = (struct thread_arg){.index = i, .iters = iters, .object = object, .start = &start};
        if (pthread_create(&tid[i], NULL, worker, &args[i]) != 0) {
            printf("FAIL: pthread_create\n");
            return 1;
        }
    }
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(tid[i], NULL);
    pthread_barrier_destroy(&start);
    int f = atomic_load(&failures);
    if (f)
        printf("%d failures\n", f);
    else
        printf("test_threads: ok (%d threads x %d loads)\n", NTHREADS, iters);
    return f != 0;
}
