/* BTF core tests the Lua specs can't reach: the .BTF.ext parser on real
 * objects, sanitisation accepted by the kernel and decided by the feature
 * probes, bit access, the value
 * formatter, and a deterministic mutation run over the parser and every
 * accessor (for ASan/UBSan). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "btf/btf_internal.h"
#include "ebpf/btf.h"
#include "ebpf/features.h"

void *btf_sanitize_raw(const struct ebpf_btf *b, uint32_t mask, size_t *size);

static int failures;
#define CHECK(c)                                                                   \
    do {                                                                           \
        if (!(c)) {                                                                \
            fprintf(stderr, "%s:%d: check failed: %s (%s)\n", __FILE__, __LINE__, #c, \
                    ebpf_error_message());                                         \
            failures++;                                                            \
        }                                                                          \
    } while (0)

static char build_dir[4096];

/* Section `name` of an ELF file, malloc'd. */
static void *elf_section(const char *path, const char *name, size_t *size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    void *out = NULL;
    size_t shstrndx;
    if (e && elf_getshdrstrndx(e, &shstrndx) == 0) {
        for (Elf_Scn *s = elf_nextscn(e, NULL); s; s = elf_nextscn(e, s)) {
            GElf_Shdr sh;
            gelf_getshdr(s, &sh);
            const char *n = elf_strptr(e, shstrndx, sh.sh_name);
            if (n && !strcmp(n, name)) {
                Elf_Data *d = elf_getdata(s, NULL);
                out = malloc(d->d_size);
                memcpy(out, d->d_buf, d->d_size);
                *size = d->d_size;
                break;
            }
        }
    }
    if (e)
        elf_end(e);
    close(fd);
    return out;
}

static void test_ext(void)
{
    char path[4200];
    snprintf(path, sizeof(path), "%s/testdata/btf/types.bpf.o", build_dir);
    size_t bsz = 0, xsz = 0;
    void *bdata = elf_section(path, ".BTF", &bsz), *xdata = elf_section(path, ".BTF.ext", &xsz);
    CHECK(bdata && xdata);
    if (!bdata || !xdata)
        return;
    struct ebpf_btf *b = ebpf_btf_new(bdata, bsz, NULL);
    CHECK(b);
    struct ebpf_btf_ext *x = ebpf_btf_ext_new(xdata, xsz, b);
    CHECK(x);
    if (!b || !x)
        return;
    /* func info: "socket" holds prog (insn 0) then helper_fn. */
    const struct ebpf_btf_ext_sec *s = ebpf_btf_ext_find_sec(x, EBPF_BTF_EXT_FUNC_INFO, "socket");
    CHECK(s && s->count == 1);
    const struct ebpf_btf_ext_sec *t = ebpf_btf_ext_find_sec(x, EBPF_BTF_EXT_FUNC_INFO, ".text");
    CHECK(t && t->count == 1);
    struct bpf_func_info fi;
    CHECK(s && ebpf_btf_ext_func_info(s, 0, &fi) == 0 && fi.insn_off == 0 &&
          !strcmp(ebpf_btf_name(b, fi.type_id), "prog"));
    CHECK(t && ebpf_btf_ext_func_info(t, 0, &fi) == 0 && !strcmp(ebpf_btf_name(b, fi.type_id), "helper_fn"));
    CHECK(s && ebpf_btf_ext_func_info(s, 1, &fi) == -EINVAL);
    /* line info: file names point at the source. */
    s = ebpf_btf_ext_find_sec(x, EBPF_BTF_EXT_LINE_INFO, "socket");
    CHECK(s && s->count > 3);
    struct bpf_line_info li;
    CHECK(s && ebpf_btf_ext_line_info(s, 0, &li) == 0 && strstr(ebpf_btf_str(b, li.file_name_off), "types.bpf.c"));
    /* CO-RE: field exists/size on core_target.second, type size, field offset. */
    uint32_t kinds = 0, n = 0;
    for (uint32_t i = 0; i < ebpf_btf_ext_sec_cnt(x, EBPF_BTF_EXT_CORE_RELO); i++) {
        const struct ebpf_btf_ext_sec *c = ebpf_btf_ext_sec(x, EBPF_BTF_EXT_CORE_RELO, i);
        for (uint32_t j = 0; j < c->count; j++) {
            struct bpf_core_relo r;
            CHECK(ebpf_btf_ext_core_relo(c, j, &r) == 0);
            kinds |= 1u << r.kind;
            n++;
            const char *acc = ebpf_btf_str(b, r.access_str_off);
            CHECK(acc && *acc);
            if (r.kind == BPF_CORE_FIELD_EXISTS)
                CHECK(!strcmp(acc, "0:1") && !strcmp(ebpf_btf_name(b, r.type_id), "core_target"));
        }
    }
    CHECK(n >= 4);
    CHECK(kinds & (1u << BPF_CORE_FIELD_EXISTS));
    CHECK(kinds & (1u << BPF_CORE_FIELD_BYTE_SIZE));
    CHECK(kinds & (1u << BPF_CORE_TYPE_SIZE));
    CHECK(kinds & (1u << BPF_CORE_FIELD_BYTE_OFFSET));

    /* Malformed .BTF.ext: each mutation is refused with a message. */
    unsigned char *m = malloc(xsz);
    uint32_t hdr_len, foff, flen;
    memcpy(&hdr_len, (char *)xdata + 4, 4);
    memcpy(&foff, (char *)xdata + 8, 4);
    memcpy(&flen, (char *)xdata + 12, 4);
    struct { size_t at; uint32_t v; const char *msg; } cases[] = {
        {0, 0x1234, "bad magic"},
        {4, 1000000, "bad header length"},
        {12, 0xfffffff0, "out of bounds"},
        {hdr_len + foff, 3, "bad record size"},
        {hdr_len + foff + 4, 0xffffff, "out of bounds"},
        {hdr_len + foff + 8, 0xfffff, "exceed"},
        {hdr_len + foff + 8, 0, "no records"},
        {hdr_len + foff + 16, 0xffff, "not a func"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memcpy(m, xdata, xsz);
        if (cases[i].at == 0) {
            uint16_t v = (uint16_t)cases[i].v;
            memcpy(m, &v, 2);
        } else {
            memcpy(m + cases[i].at, &cases[i].v, 4);
        }
        struct ebpf_btf_ext *bad = ebpf_btf_ext_new(m, xsz, b);
        CHECK(!bad && errno == EINVAL && strstr(ebpf_error_message(), cases[i].msg));
        if (bad || !strstr(ebpf_error_message(), cases[i].msg))
            fprintf(stderr, "  case %zu: %s\n", i, ebpf_error_message());
        ebpf_btf_ext_free(bad);
    }
    for (size_t cut = 0; cut < xsz; cut += 7)
        ebpf_btf_ext_free(ebpf_btf_ext_new(xdata, cut, b)); /* truncations: no crash */
    free(m);
    ebpf_btf_ext_free(x);
    ebpf_btf_free(b);
    free(bdata);
    free(xdata);
}

/* A BTF using every kind the sanitiser rewrites. */
static struct ebpf_btf *all_kinds(void)
{
    struct ebpf_btf *b = ebpf_btf_new_empty(NULL);
    int64_t i32 = ebpf_btf_add_int(b, "int", 4, BTF_INT_SIGNED);
    int64_t st = ebpf_btf_add_struct(b, "s", 8);
    ebpf_btf_add_member(b, "a", (uint32_t)i32, 0, 0);
    ebpf_btf_add_member(b, "b", (uint32_t)i32, 32, 0);
    ebpf_btf_add_decl_tag(b, "tag", (uint32_t)st, 0);
    int64_t tt = ebpf_btf_add_type_tag(b, "user", (uint32_t)i32);
    ebpf_btf_add_ptr(b, (uint32_t)tt);
    ebpf_btf_add_enum64(b, "e64", 8, false);
    ebpf_btf_add_enum_value(b, "E_BIG", 1ll << 40);
    ebpf_btf_add_enum_value(b, "E_SMALL", 3);
    ebpf_btf_add_float(b, "double", 8);
    ebpf_btf_add_enum(b, "se", 4, true); /* kind_flag: signed values */
    ebpf_btf_add_enum_value(b, "SE_NEG", -1);
    int64_t proto = ebpf_btf_add_func_proto(b, (uint32_t)i32);
    ebpf_btf_add_param(b, "x", (uint32_t)i32);
    ebpf_btf_add_func(b, "f", (uint32_t)proto, BTF_FUNC_GLOBAL);
    int64_t var = ebpf_btf_add_var(b, "v", (uint32_t)i32, BTF_VAR_GLOBAL_ALLOCATED);
    ebpf_btf_add_datasec(b, ".data", 4);
    ebpf_btf_add_datasec_var(b, (uint32_t)var, 0, 4);
    return b;
}

static void test_sanitize(void)
{
    struct ebpf_btf *b = all_kinds();
    CHECK(b && ebpf_btf_type_cnt(b) == 13);
    uint32_t masks[] = {
        1u << BTF_KIND_DECL_TAG, 1u << BTF_KIND_TYPE_TAG, 1u << BTF_KIND_ENUM64, 1u << BTF_KIND_FLOAT,
        1u, /* func linkage */
        (1u << BTF_KIND_DECL_TAG) | (1u << BTF_KIND_TYPE_TAG) | (1u << BTF_KIND_ENUM64) | (1u << BTF_KIND_FLOAT) |
            (1u << BTF_KIND_VAR) | (1u << BTF_KIND_DATASEC) | 1u,
    };
    for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
        size_t sz;
        void *raw = btf_sanitize_raw(b, masks[i], &sz);
        CHECK(raw);
        struct ebpf_btf *s = raw ? ebpf_btf_new(raw, sz, NULL) : NULL;
        CHECK(s);
        if (!s) {
            free(raw);
            continue;
        }
        /* Ids are kept, sizes too; no rewritten kind is left. */
        CHECK(ebpf_btf_type_cnt(s) >= ebpf_btf_type_cnt(b));
        for (uint32_t id = 1; id < ebpf_btf_type_cnt(b); id++) {
            int k = ebpf_btf_kind(s, id);
            CHECK(!(masks[i] & (1u << k)) || k == BTF_KIND_FUNC);
            if (k == BTF_KIND_FUNC && (masks[i] & 1u))
                CHECK(ebpf_btf_linkage(s, id) == BTF_FUNC_STATIC);
            int ok = ebpf_btf_kind(b, id);
            if (ok == BTF_KIND_STRUCT || ok == BTF_KIND_ENUM64 || ok == BTF_KIND_FLOAT || ok == BTF_KIND_INT)
                CHECK(ebpf_btf_sizeof(s, id) == ebpf_btf_sizeof(b, id));
        }
        /* The kernel accepts the rewritten blob. */
        struct ebpf_btf *l = ebpf_btf_new(raw, sz, NULL);
        struct ebpf_btf_load_opts o = {.no_sanitize = true};
        int fd = l ? ebpf_btf_load(l, &o) : -1;
        if (fd == -EPERM)
            fprintf(stderr, "skip kernel load (EPERM)\n");
        else
            CHECK(fd >= 0);
        if (fd < 0 && ebpf_error_log())
            fprintf(stderr, "mask 0x%x: %s\n%s\n", masks[i], ebpf_error_message(), ebpf_error_log());
        ebpf_btf_free(l);
        ebpf_btf_free(s);
        free(raw);
    }
    /* Unsanitised, this kernel takes all kinds; and the probes agree. */
    int fd = ebpf_btf_load(b, NULL);
    if (fd != -EPERM) {
        CHECK(fd >= 0);
        CHECK(ebpf_btf_kernel_supports(BTF_KIND_ENUM64) == 1);
        CHECK(ebpf_btf_kernel_supports(BTF_KIND_DECL_TAG) == 1);
        CHECK(ebpf_btf_kernel_supports(EBPF_BTF_FEAT_FUNC_LINKAGE) == 1);
        size_t sz;
        void *raw = ebpf_btf_sanitized_raw(b, &sz);
        size_t rsz;
        const void *orig = ebpf_btf_raw(b, &rsz);
        CHECK(raw && sz == rsz && !memcmp(raw, orig, sz)); /* nothing to rewrite here */
        free(raw);
    }
    ebpf_btf_free(b);
}

/* What is rewritten follows the feature probes, forced here. */
static uint32_t id_of_kind(const struct ebpf_btf *b, int kind)
{
    for (uint32_t id = 1; id < ebpf_btf_type_cnt(b); id++)
        if (ebpf_btf_kind(b, id) == kind)
            return id;
    return 0;
}

static int sanitized_kind(const struct ebpf_btf *b, uint32_t id)
{
    size_t sz;
    void *raw = ebpf_btf_sanitized_raw(b, &sz);
    struct ebpf_btf *s = raw ? ebpf_btf_new(raw, sz, NULL) : NULL;
    int k = s ? ebpf_btf_kind(s, id) : -1;
    ebpf_btf_free(s);
    free(raw);
    return k;
}

static void test_sanitize_follows_probes(void)
{
    struct ebpf_btf *b = all_kinds();
    uint32_t e64 = id_of_kind(b, BTF_KIND_ENUM64), tag = id_of_kind(b, BTF_KIND_DECL_TAG);
    CHECK(e64 && tag);
    CHECK(ebpf_feature_override("btf_kind", "enum64", EBPF_FEATURE_UNSUPPORTED) == 0);
    CHECK(ebpf_btf_kernel_supports(BTF_KIND_ENUM64) == 0);
    CHECK(sanitized_kind(b, e64) == BTF_KIND_UNION);
    CHECK(sanitized_kind(b, tag) == BTF_KIND_DECL_TAG);
    /* a signed ENUM loses its kind_flag with ENUM64 (kernels before 6.0
     * refuse it), and keeps its values */
    uint32_t se = (uint32_t)ebpf_btf_find(b, "se", BTF_KIND_ENUM);
    CHECK(se && ebpf_btf_is_signed(b, se));
    {
        size_t sz;
        void *raw = ebpf_btf_sanitized_raw(b, &sz);
        struct ebpf_btf *s = raw ? ebpf_btf_new(raw, sz, NULL) : NULL;
        CHECK(s && ebpf_btf_kind(s, se) == BTF_KIND_ENUM && !ebpf_btf_is_signed(s, se) && ebpf_btf_vlen(s, se) == 1);
        ebpf_btf_free(s);
        free(raw);
    }
    int fd = ebpf_btf_load(b, NULL);
    CHECK(fd >= 0 || fd == -EPERM);
    /* Inconclusive: not rewritten up front (this kernel takes it as is). */
    CHECK(ebpf_feature_override("btf_kind", "enum64", EBPF_FEATURE_INCONCLUSIVE) == 0);
    CHECK(ebpf_btf_kernel_supports(BTF_KIND_ENUM64) == -EIO);
    CHECK(strstr(ebpf_error_message(), "forced by ebpf_feature_override") != NULL);
    CHECK(sanitized_kind(b, e64) == BTF_KIND_ENUM64);
    CHECK(ebpf_feature_override("btf_kind", "enum64", -1) == 0);
    CHECK(ebpf_btf_kernel_supports(999) == -EINVAL);
    ebpf_btf_free(b);
    struct ebpf_btf *b2 = all_kinds();
    CHECK(ebpf_feature_override("btf_kind", "enum64", EBPF_FEATURE_INCONCLUSIVE) == 0);
    fd = ebpf_btf_load(b2, NULL);
    CHECK(fd >= 0 || fd == -EPERM);
    CHECK(ebpf_feature_override("btf_kind", "enum64", -1) == 0);
    ebpf_btf_free(b2);
}

static void test_bits_and_format(void)
{
    unsigned char buf[16] = {0};
    CHECK(ebpf_btf_write_bits(buf, sizeof(buf), 3, 4, 5, 0x1f) == 0);
    uint64_t v;
    CHECK(ebpf_btf_read_bits(buf, sizeof(buf), 3, 4, 5, true, &v) == 0 && (int64_t)v == -1);
    CHECK(ebpf_btf_read_bits(buf, sizeof(buf), 3, 4, 5, false, &v) == 0 && v == 31);
    CHECK(buf[0] == 0xf8);
    CHECK(ebpf_btf_read_bits(buf, sizeof(buf), 120, 4, 9, false, &v) == -EINVAL);
    CHECK(ebpf_btf_write_bits(buf, sizeof(buf), 64, 8, 0, 0x0102030405060708ull) == 0 && buf[8] == 8);
    CHECK(ebpf_btf_read_bits(buf, sizeof(buf), 64, 8, 0, false, &v) == 0 && v == 0x0102030405060708ull);
    CHECK(ebpf_btf_read_bits(buf, sizeof(buf), 72, 8, 0, false, &v) == -EINVAL);

    struct ebpf_btf *b = ebpf_btf_new_empty(NULL);
    int64_t ch = ebpf_btf_add_int(b, "char", 1, BTF_INT_CHAR);
    int64_t u32 = ebpf_btf_add_int(b, "unsigned int", 4, 0);
    int64_t arr = ebpf_btf_add_array(b, (uint32_t)ch, (uint32_t)u32, 8);
    int64_t en = ebpf_btf_add_enum(b, "e", 4, false);
    ebpf_btf_add_enum_value(b, "ONE", 1);
    int64_t st = ebpf_btf_add_struct(b, "s", 16);
    ebpf_btf_add_member(b, "pid", (uint32_t)u32, 0, 0);
    ebpf_btf_add_member(b, "comm", (uint32_t)arr, 32, 0);
    ebpf_btf_add_member(b, "e", (uint32_t)en, 96, 0);
    unsigned char val[16] = {7, 0, 0, 0, 'b', 'a', '"', 'h', 0, 0, 0, 0, 1, 0, 0, 0};
    char out[128];
    int n = ebpf_btf_format_value(b, (uint32_t)st, val, sizeof(val), out, sizeof(out));
    CHECK(n > 0 && !strcmp(out, "{.pid = 7, .comm = \"ba\\\"h\", .e = ONE}"));
    CHECK(ebpf_btf_format_value(b, (uint32_t)st, val, 8, out, sizeof(out)) == -EINVAL);
    /* Only char arrays are strings: unsigned char (__u8) arrays are bytes. */
    int64_t uch = ebpf_btf_add_int(b, "unsigned char", 1, 0);
    int64_t u8t = ebpf_btf_add_typedef(b, "__u8", (uint32_t)uch);
    int64_t ip = ebpf_btf_add_array(b, (uint32_t)u8t, (uint32_t)u32, 4);
    unsigned char addr[4] = {127, 0, 0, 1};
    CHECK(ebpf_btf_format_value(b, (uint32_t)ip, addr, 4, out, sizeof(out)) > 0 && !strcmp(out, "[127, 0, 0, 1]"));
    /* The C declaration forms. */
    CHECK(ebpf_btf_decl(b, (uint32_t)arr, "name", out, sizeof(out)) > 0 && !strcmp(out, "char name[8]"));
    /* Builder errors name the problem. */
    CHECK(ebpf_btf_add_member(b, "x", 1, 0, 300) < 0);
    CHECK(ebpf_btf_add_enum_value(b, "X", 1) < 0); /* last added is a struct */
    CHECK(ebpf_btf_add_int(b, "bad", 3, 0) < 0);
    /* String dedup: the same name added twice has one offset. */
    CHECK(ebpf_btf_add_str(b, "pid") == ebpf_btf_add_str(b, "pid"));
    ebpf_btf_free(b);
}

static int sink(void *ctx, const char *d, size_t n)
{
    (void)ctx;
    (void)d;
    (void)n;
    return 0;
}

/* Exercise every read path on an arbitrary (parsed) BTF. */
static void walk(const struct ebpf_btf *b)
{
    char buf[256];
    unsigned char val[256] = {0};
    for (uint32_t id = 0; id < ebpf_btf_type_cnt(b) && id < 4096; id++) {
        ebpf_btf_sizeof(b, id);
        ebpf_btf_alignof(b, id);
        ebpf_btf_resolve(b, id);
        ebpf_btf_decl(b, id, NULL, buf, sizeof(buf));
        ebpf_btf_decl(b, id, "x", buf, sizeof(buf));
        ebpf_btf_format_value(b, id, val, sizeof(val), buf, sizeof(buf));
        const char *n = ebpf_btf_name(b, id);
        if (*n)
            ebpf_btf_find(b, n, ebpf_btf_kind(b, id));
        for (uint32_t i = 0; i < ebpf_btf_vlen(b, id) && i < 64; i++) {
            struct ebpf_btf_member m;
            struct ebpf_btf_enum_value e;
            struct ebpf_btf_param p;
            struct ebpf_btf_var_secinfo v;
            ebpf_btf_member(b, id, i, &m);
            ebpf_btf_enum_value(b, id, i, &e);
            ebpf_btf_param(b, id, i, &p);
            ebpf_btf_datasec_var(b, id, i, &v);
        }
    }
    ebpf_btf_dump_c(b, 0, 0, sink, NULL);
}

static void test_mutations(void)
{
    struct ebpf_btf *b = all_kinds();
    size_t sz;
    const void *raw = ebpf_btf_raw(b, &sz);
    unsigned char *m = malloc(sz);
    uint32_t seed = 12345;
    int parsed = 0;
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(m, raw, sz);
        int flips = 1 + iter % 4;
        for (int f = 0; f < flips; f++) {
            seed = seed * 1103515245u + 12345u;
            size_t at = 24 + (seed >> 8) % (sz - 24);
            seed = seed * 1103515245u + 12345u;
            m[at] = (iter & 1) ? (unsigned char)(seed >> 16) : m[at] ^ (unsigned char)(1u << ((seed >> 16) % 8));
        }
        struct ebpf_btf *x = ebpf_btf_new(m, sz, NULL);
        if (x) {
            parsed++;
            walk(x);
            ebpf_btf_free(x);
        }
    }
    CHECK(parsed > 100); /* some mutants are valid and get walked */
    /* Truncations. */
    for (size_t cut = 0; cut < sz; cut++)
        ebpf_btf_free(ebpf_btf_new(raw, cut, NULL));
    free(m);
    ebpf_btf_free(b);
}

static void test_kernel(void)
{
    const struct ebpf_btf *k = ebpf_btf_kernel();
    if (!k) {
        fprintf(stderr, "skip: no kernel BTF (%s)\n", ebpf_error_message());
        return;
    }
    CHECK(k == ebpf_btf_kernel());
    ebpf_btf_free((struct ebpf_btf *)k); /* a no-op on the shared one */
    int64_t id = ebpf_btf_find(k, "task_struct", BTF_KIND_STRUCT);
    CHECK(id > 0);
    CHECK(ebpf_btf_find_next(k, "task_struct", BTF_KIND_STRUCT, (uint32_t)id) == -ENOENT);
    CHECK(ebpf_btf_sizeof(k, (uint32_t)id) > 1000);
    /* Type by id through the kernel object: same count. */
    uint32_t next = 0, kid = 0;
    while (ebpf_btf_next_id(next, &next) == 0) {
        struct ebpf_btf *o = ebpf_btf_open_id(next);
        if (o && ebpf_btf_is_kernel(o) && !strcmp(ebpf_btf_kernel_name(o), "vmlinux")) {
            kid = next;
            CHECK(ebpf_btf_type_cnt(o) == ebpf_btf_type_cnt(k));
            CHECK(ebpf_btf_fd(o) >= 0);
        }
        ebpf_btf_free(o);
    }
    CHECK(kid > 0);
    walk(k);
}

/* Module BTFs: one per /sys/kernel/btf entry but vmlinux, split on the
 * shared vmlinux, listed once per process. */
static void test_kernel_modules(void)
{
    const struct ebpf_btf *k = ebpf_btf_kernel();
    if (!k)
        return;
    size_t n = 0, n2 = 0;
    struct ebpf_btf *const *mods = btf_kernel_modules(&n);
    CHECK(btf_kernel_modules(&n2) == mods && n2 == n);
    size_t want = 0;
    DIR *d = opendir("/sys/kernel/btf");
    for (struct dirent *e; d && (e = readdir(d));)
        want += e->d_name[0] != '.' && strcmp(e->d_name, "vmlinux") != 0;
    if (d)
        closedir(d);
    CHECK(n == want);
    for (size_t i = 0; i < n; i++) {
        CHECK(ebpf_btf_base(mods[i]) == k && ebpf_btf_start_id(mods[i]) == ebpf_btf_type_cnt(k));
        CHECK(ebpf_btf_is_kernel(mods[i]) && ebpf_btf_kernel_name(mods[i])[0]);
    }
}

/* A parsed BTF answers name lookups by walking its records until the walks
 * add up to its size, then through a hash index: both must give the same
 * lowest ids, for a kind or any kind, and for find_next. */
static void test_lazy_index(void)
{
    struct ebpf_btf *scan = ebpf_btf_open_file("/sys/kernel/btf/vmlinux", NULL);
    struct ebpf_btf *hashed = ebpf_btf_open_file("/sys/kernel/btf/vmlinux", NULL);
    if (!scan || !hashed) {
        fprintf(stderr, "skip: no kernel BTF (%s)\n", ebpf_error_message());
        ebpf_btf_free(scan);
        ebpf_btf_free(hashed);
        return;
    }
    CHECK(hashed->buckets == NULL); /* parsing alone builds no index */
    CHECK(ebpf_btf_find(hashed, "ebpf_lua_no_such_type", -1) == -ENOENT); /* walks everything */
    CHECK(hashed->buckets == NULL && hashed->scanned >= hashed->nr);
    CHECK(ebpf_btf_find(hashed, "task_struct", BTF_KIND_STRUCT) > 0);
    CHECK(hashed->buckets != NULL); /* the walks' budget is spent: indexed */
    uint32_t n = ebpf_btf_type_cnt(scan), checked = 0;
    for (uint32_t id = 1; id < n; id += 397) {
        const char *name = ebpf_btf_name(scan, id);
        if (!*name)
            continue;
        int kind = ebpf_btf_kind(scan, id);
        scan->scanned = 0; /* keep walking */
        int64_t a = ebpf_btf_find(scan, name, kind);
        scan->scanned = 0;
        int64_t any = ebpf_btf_find(scan, name, -1);
        scan->scanned = 0;
        int64_t next = ebpf_btf_find_next(scan, name, -1, id);
        CHECK(a > 0 && a <= id);
        CHECK(a == ebpf_btf_find(hashed, name, kind));
        CHECK(any == ebpf_btf_find(hashed, name, -1));
        CHECK(next == ebpf_btf_find_next(hashed, name, -1, id));
        checked++;
    }
    CHECK(scan->buckets == NULL && checked > 100);
    ebpf_btf_free(scan);
    ebpf_btf_free(hashed);
}

/* Arrays of zero-size elements: a value of no bytes once cost a visit per
 * element (10^9 here, seconds of work); the work is bounded by the bytes. */
static void test_format_zero_size_arrays(void)
{
    struct ebpf_btf *b = ebpf_btf_new_empty(NULL);
    CHECK(b != NULL);
    if (!b)
        return;
    int64_t i32 = ebpf_btf_add_int(b, "int", 4, BTF_INT_SIGNED);
    int64_t e = ebpf_btf_add_struct(b, "empty", 0);
    int64_t a = ebpf_btf_add_array(b, (uint32_t)e, (uint32_t)i32, 1000000);
    int64_t aa = ebpf_btf_add_array(b, (uint32_t)a, (uint32_t)i32, 1000);
    int64_t s = ebpf_btf_add_struct(b, "s", 4);
    CHECK(ebpf_btf_add_member(b, "z", (uint32_t)aa, 0, 0) == 0);
    CHECK(ebpf_btf_add_member(b, "x", (uint32_t)i32, 0, 0) == 0);
    unsigned char v[4] = {7, 0, 0, 0};
    char out[256];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int r = ebpf_btf_format_value(b, (uint32_t)s, v, sizeof(v), out, sizeof(out));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(r > 0 && strcmp(out, "{.z = [], .x = 7}") == 0);
    CHECK(t1.tv_sec - t0.tv_sec < 2); /* a bound on visits, not a benchmark: 10^9 visits took 10+ s */
    ebpf_btf_free(b);
}

int main(int argc, char **argv)
{
    (void)argc;
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", argv[0]);
    snprintf(build_dir, sizeof(build_dir), "%s", dirname(tmp));
    test_ext();
    test_sanitize();
    test_sanitize_follows_probes();
    test_bits_and_format();
    test_format_zero_size_arrays();
    test_mutations();
    test_kernel();
    test_kernel_modules();
    test_lazy_index();
    if (failures)
        fprintf(stderr, "test_btf: %d failure(s)\n", failures);
    else
        printf("test_btf: ok\n");
    return failures != 0;
}
