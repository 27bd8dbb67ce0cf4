/* C-level checks of the feature probes that Lua cannot see: the helper
 * table against <linux/bpf.h>, argument validation, the cache (repeated
 * probes make no kernel calls), thread safety of concurrent probes, and
 * overrides. */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "ebpf/error.h"
#include "ebpf/features.h"

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static void *probe_all(void *arg)
{
    (void)arg;
    const char *n;
    int v;
    for (int i = 0; (n = ebpf_feature_map_type_at(i, &v)); i++)
        if (v)
            ebpf_feature_map_type(v, NULL);
    ebpf_feature_helper(BPF_PROG_TYPE_XDP, BPF_FUNC_xdp_adjust_head, NULL);
    return NULL;
}

int main(void)
{
    /* Helper ids (table of ebpf/insn.h) are what the probes take. */
    CHECK(ebpf_helper_count() >= __BPF_FUNC_MAX_ID); /* + the kernel's newer ones */
    CHECK(ebpf_helper_id("bpf_ringbuf_output") == BPF_FUNC_ringbuf_output);

    CHECK(strcmp(ebpf_feature_status_name(EBPF_FEATURE_INCONCLUSIVE), "inconclusive") == 0);
    CHECK(ebpf_feature_status_name(7) == NULL);

    /* Bad arguments: -EINVAL with a message, no kernel call. */
    unsigned long before = ebpf_features_probe_count();
    CHECK(ebpf_feature_prog_type(0, NULL) == -EINVAL);
    CHECK(ebpf_feature_prog_type(999, NULL) == -EINVAL);
    CHECK(strstr(ebpf_error_message(), "unknown program type 999") != NULL);
    CHECK(ebpf_feature_map_type(-1, NULL) == -EINVAL);
    CHECK(ebpf_feature_map_flag(1u << 30, NULL) == -EINVAL);
    CHECK(ebpf_feature_helper(BPF_PROG_TYPE_XDP, 100000, NULL) == -EINVAL);
    CHECK(ebpf_feature_btf_kind(31, NULL) == -EINVAL);
    CHECK(ebpf_feature_misc("no_such", NULL) == -EINVAL);
    CHECK(ebpf_feature_link(NULL, NULL) == -EINVAL);
    CHECK(ebpf_feature_kfunc("", 0, NULL) == -EINVAL);
    CHECK(ebpf_features_probe_count() == before);

    /* Newer types than the headers are still known by name. */
    CHECK(ebpf_feature_prog_type_by_name("netfilter") == 32);
    CHECK(ebpf_feature_map_type_by_name("arena") == 33);

    /* A probe is made once; the answer and reason pointer stay. */
    const char *r1 = NULL, *r2 = NULL;
    int s1 = ebpf_feature_prog_type(BPF_PROG_TYPE_SOCKET_FILTER, &r1);
    CHECK(s1 == EBPF_FEATURE_SUPPORTED);
    unsigned long mid = ebpf_features_probe_count();
    CHECK(mid > before);
    int s2 = ebpf_feature_prog_type(BPF_PROG_TYPE_SOCKET_FILTER, &r2);
    CHECK(s2 == s1 && r1 == r2 && ebpf_features_probe_count() == mid);
    CHECK(ebpf_feature_btf_kind(BTF_KIND_INT, NULL) == EBPF_FEATURE_SUPPORTED);

    /* Concurrent probes from several threads agree with serial ones. */
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, probe_all, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    const char *why;
    CHECK(ebpf_feature_map_type(BPF_MAP_TYPE_HASH, &why) == EBPF_FEATURE_SUPPORTED);
    CHECK(ebpf_feature_helper(BPF_PROG_TYPE_XDP, BPF_FUNC_xdp_adjust_head, &why) == EBPF_FEATURE_SUPPORTED);
    CHECK(ebpf_feature_helper(BPF_PROG_TYPE_SOCKET_FILTER, BPF_FUNC_xdp_adjust_head, &why) ==
          EBPF_FEATURE_UNSUPPORTED);
    CHECK(why && strstr(why, "xdp_adjust_head"));

    /* Overrides: the forced answer hides the probed one (kept, no new
     * kernel call when lifted); bad kinds, names and states are refused. */
    CHECK(ebpf_feature_override("link", "tcx", 3) == -EINVAL);
    CHECK(ebpf_feature_override("helper", "xdp", 1) == -EINVAL);
    CHECK(strstr(ebpf_error_message(), "can't be overridden") != NULL);
    CHECK(ebpf_feature_override("btf_kind", "enum65", 0) == -EINVAL);
    CHECK(strstr(ebpf_error_message(), "unknown btf_kind 'enum65'") != NULL);
    CHECK(ebpf_feature_override(NULL, "x", 0) == -EINVAL);
    CHECK(ebpf_feature_override("map_type", "array", 0) == -EINVAL);
    CHECK(ebpf_feature_link("cgroup", NULL) == EBPF_FEATURE_SUPPORTED);
    unsigned long n0 = ebpf_features_probe_count();
    CHECK(ebpf_feature_override("link", "cgroup", EBPF_FEATURE_UNSUPPORTED) == 0);
    CHECK(ebpf_feature_link("cgroup", &why) == EBPF_FEATURE_UNSUPPORTED);
    CHECK(why && strstr(why, "ebpf_feature_override"));
    CHECK(ebpf_feature_override("link", "cgroup", -1) == 0);
    CHECK(ebpf_feature_link("cgroup", &why) == EBPF_FEATURE_SUPPORTED);
    CHECK(ebpf_features_probe_count() == n0);
    /* forced before any probe: answered without a kernel call */
    CHECK(ebpf_feature_override("btf_kind", "type_tag", EBPF_FEATURE_INCONCLUSIVE) == 0);
    CHECK(ebpf_feature_btf_kind(BTF_KIND_TYPE_TAG, NULL) == EBPF_FEATURE_INCONCLUSIVE);
    CHECK(ebpf_feature_override("misc", "btf_func_global", EBPF_FEATURE_UNSUPPORTED) == 0);
    CHECK(ebpf_feature_misc("btf_func_global", NULL) == EBPF_FEATURE_UNSUPPORTED);
    CHECK(ebpf_features_probe_count() == n0);
    CHECK(ebpf_feature_override("btf_kind", "type_tag", -1) == 0);
    CHECK(ebpf_feature_override("misc", "btf_func_global", -1) == 0);
    /* a misc feature derived from a forced probe does not keep its answer */
    CHECK(ebpf_feature_override("btf_kind", "int", EBPF_FEATURE_UNSUPPORTED) == 0);
    CHECK(ebpf_feature_misc("btf", NULL) == EBPF_FEATURE_UNSUPPORTED);
    CHECK(ebpf_feature_override("btf_kind", "int", -1) == 0);
    CHECK(ebpf_feature_misc("btf", &why) == EBPF_FEATURE_SUPPORTED);
    CHECK(why && !strstr(why, "override"));

    if (failures)
        printf("%d failure(s)\n", failures);
    else
        printf("test_features: ok\n");
    return failures ? 1 : 0;
}
