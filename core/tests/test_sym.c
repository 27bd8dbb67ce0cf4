/* C-level tests of symbol lookup that Lua can't reach: kallsyms text of
 * our own (unsorted, aliases, modules, malformed lines, hidden addresses),
 * the /proc/PID/maps line parser, and the caches under many threads. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/sym.h"
#include "sym/sym_internal.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static void test_ksyms(void)
{
    static const char text[] =
        "ffffffffc0001000 t modfunc\t[mymod]\n"
        "ffffffff81000100 T second\n"
        "garbage line\n"
        "ffffffff81000000 t local_alias\n"
        "ffffffff81000000 T _stext\n"
        "zzzz T bad\n"
        "ffffffff81000000T nospace\n"
        "ffffffffc0002000 t broken\t[mymod\n"
        "12345678901234567 T toolong\n"
        "ffffffff81000200 W weak_one"; /* no final newline */
    struct ebpf_ksyms *ks = ebpf_ksyms_parse(text, sizeof(text) - 1);
    CHECK(ks != NULL);
    if (!ks)
        return;
    CHECK(ebpf_ksyms_count(ks) == 4);
    struct ebpf_sym s;
    CHECK(ebpf_ksyms_lookup(ks, 0xffffffff81000000ull, &s) == 1);
    CHECK(!strcmp(s.name, "_stext") && s.offset == 0 && !s.module[0]); /* the global alias */
    CHECK(ebpf_ksyms_lookup(ks, 0xffffffff810001ffull, &s) == 1);
    CHECK(!strcmp(s.name, "second") && s.offset == 0xff);
    CHECK(ebpf_ksyms_lookup(ks, 0xffffffff81000205ull, &s) == 1 && !strcmp(s.name, "weak_one") && s.offset == 5);
    CHECK(ebpf_ksyms_lookup(ks, 0xffffffffc0001010ull, &s) == 1);
    CHECK(!strcmp(s.name, "modfunc") && !strcmp(s.module, "mymod") && s.offset == 0x10);
    CHECK(ebpf_ksyms_lookup(ks, 0xffffffff80ffffffull, &s) == 0 && !s.name[0]); /* below all */
    CHECK(ebpf_ksyms_lookup(ks, 0xffffffffc0001000ull + (2 << 20), &s) == 0); /* far past the last */
    CHECK(ebpf_ksyms_lookup(ks, 0, &s) == 0);
    CHECK(ebpf_ksyms_lookup(ks, ~0ull, &s) == 0);
    ebpf_ksyms_free(ks);

    static const char hidden[] = "0000000000000000 T a\n0000000000000000 t b\n";
    CHECK(ebpf_ksyms_parse(hidden, sizeof(hidden) - 1) == NULL && errno == EPERM);
    CHECK(ebpf_ksyms_parse("nothing here\n", 13) == NULL && errno == EINVAL);
    CHECK(ebpf_ksyms_parse("", 0) == NULL);
    static const char nul[] = "ffffffff81000000 T a\0b\nffffffff81000010 T c\n";
    ks = ebpf_ksyms_parse(nul, sizeof(nul) - 1);
    CHECK(ks && ebpf_ksyms_count(ks) == 2);
    ebpf_ksyms_free(ks);
    ebpf_ksyms_free(NULL);
    CHECK(ebpf_ksyms_lookup(NULL, 0, &s) < 0);
}

static void test_maps_line(void)
{
    char l1[] = "55d0c2a00000-55d0c2a01000 r-xp 00001000 fe:00 1234   /usr/bin/my prog (deleted)";
    struct umap m;
    CHECK(umap_parse_line(l1, &m) == 0);
    CHECK(m.start == 0x55d0c2a00000ull && m.end == 0x55d0c2a01000ull && m.pgoff == 0x1000 && m.exec);
    CHECK(!strcmp(m.path, "/usr/bin/my prog (deleted)"));
    char l2[] = "7ffd1000-7ffd2000 rw-p 00000000 00:00 0 ";
    CHECK(umap_parse_line(l2, &m) == 0 && !m.exec && !m.path[0]);
    char bad1[] = "7ffd2000-7ffd1000 r-xp 00000000 00:00 0";  /* end before start */
    char bad2[] = "11112222333344445-1 r-xp 0 00:00 0";       /* 17 hex digits */
    char bad3[] = "1000-2000 r-x";
    char bad4[] = "";
    CHECK(umap_parse_line(bad1, &m) < 0);
    CHECK(umap_parse_line(bad2, &m) < 0);
    CHECK(umap_parse_line(bad3, &m) < 0);
    CHECK(umap_parse_line(bad4, &m) < 0);
}

static void *resolver(void *arg)
{
    uint64_t addr = (uint64_t)(uintptr_t)&test_maps_line;
    struct ebpf_sym s;
    for (int i = 0; i < 50; i++) {
        if (ebpf_sym_user(getpid(), &addr, 1, &s) != 1 || strcmp(s.name, "test_maps_line"))
            *(int *)arg = 1;
        if (i % 10 == 0)
            ebpf_sym_cache_clear();
    }
    return NULL;
}

static void test_user_threads(void)
{
    pthread_t t[4];
    int bad[4] = {0};
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, resolver, &bad[i]);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK(!bad[i]);
    }
    uint64_t addr = 1;
    struct ebpf_sym s;
    CHECK(ebpf_sym_user(getpid(), &addr, 1, &s) == 0 && !s.name[0] && !s.module[0]);
    CHECK(ebpf_sym_user(0, &addr, 1, &s) == -EINVAL);
    CHECK(ebpf_sym_set_debug_dir("relative") == -EINVAL);
    char buf[64];
    ebpf_sym_debug_dir(buf, sizeof(buf));
    CHECK(!strcmp(buf, "/usr/lib/debug"));
}

int main(void)
{
    test_ksyms();
    test_maps_line();
    test_user_threads();
    if (failures)
        fprintf(stderr, "%d checks failed\n", failures);
    else
        printf("test_sym: all checks passed\n");
    return failures != 0;
}
