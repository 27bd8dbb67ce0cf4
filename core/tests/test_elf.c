/* ELF loader unit tests that Lua cannot reach: the section table, flavour
 * names, every truncation of a real object (clear error, no crash), and a
 * full load of each testdata object through the C API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/elf.h"
#include "elf/ebtf.h"

static int failures;
#define CHECK(c, ...) do { if (!(c)) { failures++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } } while (0)

static void test_sections(void)
{
    const char *t;
    const struct ebpf_sec_info *si = ebpf_sec_info_find("tracepoint/syscalls/sys_enter_openat", &t);
    CHECK(si && si->prog_type == BPF_PROG_TYPE_TRACEPOINT && !strcmp(t, "syscalls/sys_enter_openat"), "tracepoint");
    si = ebpf_sec_info_find("xdp.frags", &t);
    CHECK(si && si->frags && si->expected_attach_type == BPF_XDP, "xdp.frags");
    si = ebpf_sec_info_find("xdp/devmap", &t);
    CHECK(si && si->expected_attach_type == BPF_XDP_DEVMAP, "xdp/devmap");
    si = ebpf_sec_info_find("xdpfoo", &t);
    CHECK(!si, "xdpfoo must not match xdp");
    si = ebpf_sec_info_find("lsm.s/file_open", &t);
    CHECK(si && si->sleepable && si->btf_target && si->prog_type == BPF_PROG_TYPE_LSM, "lsm.s");
    si = ebpf_sec_info_find("uprobe.multi.s//bin/x:*", &t);
    CHECK(si && si->sleepable && si->kind == EBPF_ATTACH_UPROBE_MULTI && !strcmp(t, "/bin/x:*"), "uprobe.multi.s");
    si = ebpf_sec_info_find("cgroup/sock_release", &t);
    CHECK(si && si->expected_attach_type == BPF_CGROUP_INET_SOCK_RELEASE, "cgroup/sock_release before cgroup/sock");
    for (int i = 0; ebpf_sec_info_at(i); i++)
        CHECK(ebpf_attach_kind_name(ebpf_sec_info_at(i)->kind) != NULL, "kind name %d", i);
}

static void test_flavours(void)
{
    CHECK(ebtf_essential_len("task_struct___v1") == 11, "flavour");
    CHECK(ebtf_essential_len("task_struct") == 11, "plain");
    CHECK(ebtf_essential_len("a____b") == 6, "4 underscores are no separator");
    CHECK(ebtf_essential_len("___x") == 4, "leading separator");
    CHECK(ebtf_essential_len("x___y___z") == 5, "the last separator starts the flavour");
}

static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void test_truncations(const char *path)
{
    size_t len;
    unsigned char *b = slurp(path, &len);
    if (!b) {
        printf("skip: %s not built\n", path);
        return;
    }
    size_t step = len / 97 + 1;
    for (size_t n = 0; n < len; n += step) {
        struct ebpf_spec *s = ebpf_spec_open_mem(b, n, "trunc");
        if (s) {
            ebpf_spec_free(s);
            continue;
        }
        CHECK(ebpf_error_message()[0] != 0, "truncated %zu: error without message", n);
    }
    /* every byte flipped, two patterns: a sampled subset once missed a
     * broken-chain path that only another object's layout reached */
    static const unsigned char patterns[] = {0xff, 0x01};
    for (size_t k = 0; k < sizeof(patterns); k++) {
        for (size_t i = 0; i < len; i++) {
            unsigned char *c = malloc(len);
            memcpy(c, b, len);
            c[i] ^= patterns[k];
            ebpf_spec_free(ebpf_spec_open_mem(c, len, "flip"));
            free(c);
        }
    }
    struct ebpf_spec *s = ebpf_spec_open_mem(b, len, "full");
    CHECK(s != NULL, "%s: %s", path, ebpf_error_message());
    ebpf_spec_free(s);
    free(b);
}

static void test_load(const char *path, size_t nprog, size_t nmap)
{
    struct ebpf_spec *s = ebpf_spec_open_file(path);
    if (!s) {
        printf("skip: %s: %s\n", path, ebpf_error_message());
        return;
    }
    struct ebpf_collection *c = ebpf_collection_load(s, NULL);
    CHECK(c != NULL, "%s: %s", path, ebpf_error_message());
    if (c) {
        CHECK(ebpf_collection_prog_count(c) == nprog, "%s: %zu programs", path, ebpf_collection_prog_count(c));
        CHECK(ebpf_collection_map_count(c) == nmap, "%s: %zu maps", path, ebpf_collection_map_count(c));
        for (size_t i = 0; i < ebpf_collection_prog_count(c); i++) {
            const char *n;
            struct ebpf_prog *p = ebpf_collection_prog_at(c, i, &n);
            CHECK(p && ebpf_prog_fd(p) > 2, "%s: program %s", path, n);
        }
        ebpf_collection_close(c);
    }
    ebpf_spec_free(s);
}

static char path_buf[512];

static const char *td_in(const char *dir, const char *name)
{
    const char *b = getenv("BUILD");
    snprintf(path_buf, sizeof(path_buf), "%s/testdata/%s/%s.bpf.o", b && b[0] ? b : "build", dir, name);
    return path_buf;
}

static const char *td(const char *name) { return td_in("elf", name); }

int main(void)
{
    test_sections();
    test_flavours();
    test_truncations(td("globals"));
    test_truncations(td("mapinmap"));
    test_truncations(td_in("struct_ops", "bad_type")); /* a struct_ops variable and its relocation */
    test_load(td("subprogs"), 3, 1);
    test_load(td("globals"), 1, 5);
    test_load("/work/shared/anchors/build/load.bpf.o", 5, 6);
    if (failures)
        printf("%d failures\n", failures);
    else
        printf("test_elf: ok\n");
    return failures != 0;
}
