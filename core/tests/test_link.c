/* Link area, what the Lua specs cannot reach: USDT argument decoding edge
 * cases, and malformed ELF input (truncated and corrupted copies of the
 * USDT test binary) through the note and symbol readers: errors, never
 * crashes (run under ASan in CI). */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/link.h"
#include "kernel_text.h"

static int failures;
#define CHECK(c, ...)                                                      \
    do {                                                                   \
        if (!(c)) {                                                        \
            failures++;                                                    \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #c); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

static void test_args(void)
{
    struct ebpf_usdt_spec s;
    CHECK(ebpf_usdt_parse_args("", &s) == 0 && s.arg_cnt == 0, "empty");
    CHECK(ebpf_usdt_parse_args("-4@%edi", &s) == 0 && s.arg_cnt == 1 && s.args[0].reg_off == 112 &&
              s.args[0].is_signed && s.args[0].bitshift == 32 && s.args[0].kind == EBPF_USDT_ARG_REG,
          "edi");
    CHECK(ebpf_usdt_parse_args("8@-0x10(%rbp) 1@$255 2@(%r15)", &s) == 0 && s.arg_cnt == 3, "three");
    CHECK(s.args[0].kind == EBPF_USDT_ARG_REG_DEREF && (int64_t)s.args[0].val_off == -16 && s.args[0].reg_off == 32,
          "deref");
    CHECK(s.args[1].kind == EBPF_USDT_ARG_CONST && s.args[1].val_off == 255 && s.args[1].bitshift == 56, "const");
    CHECK(s.args[2].kind == EBPF_USDT_ARG_REG_DEREF && s.args[2].val_off == 0 && s.args[2].reg_off == 0, "(r15)");
    static const char *const bad[] = {
        "4", "4@", "3@%eax", "4@%xyz", "4@(%eax", "4@-8(%rbp", "4@$", "4@sym(%rip)", "4@%eax!",
        "@%eax", "9999999999999999999999@%eax", "-9999999999999999999999@%eax",
        ("4@%eax 4@%eax 4@%eax 4@%eax 4@%eax 4@%eax 4@%eax 4@%eax "
         "4@%eax 4@%eax 4@%eax 4@%eax 4@%eax"), /* 13 arguments */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = ebpf_usdt_parse_args(bad[i], &s);
        CHECK(r < 0 && ebpf_error_message()[0], "'%s' should fail", bad[i]);
    }
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void write_file(const char *path, const char *b, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, b, n) != (ssize_t)n)
        fprintf(stderr, "cannot write %s\n", path);
    if (fd >= 0)
        close(fd);
}

/* Every outcome is fine except a crash; success must give sane data. */
static void probe_file(const char *path)
{
    struct ebpf_usdt_note *notes = NULL;
    size_t n = 0;
    if (ebpf_usdt_notes(path, &notes, &n) == 0) {
        for (size_t i = 0; i < n; i++)
            CHECK(strlen(notes[i].provider) < sizeof(notes[i].provider), "provider terminated");
        free(notes);
    } else {
        CHECK(ebpf_error_message()[0], "an error message");
    }
    uint64_t off;
    if (ebpf_link_elf_symbol_offset(path, "main", &off) < 0)
        CHECK(ebpf_error_message()[0], "an error message");
}

static void test_malformed(const char *bin)
{
    size_t len;
    char *orig = slurp(bin, &len);
    if (!orig) {
        fprintf(stderr, "skip malformed-ELF test: %s not built\n", bin);
        return;
    }
    struct ebpf_usdt_note *notes;
    size_t n;
    CHECK(ebpf_usdt_notes(bin, &notes, &n) == 0 && n == 2, "the real binary has 2 notes");
    if (n)
        free(notes);
    char tmp[] = "/tmp/ebpf_test_link_XXXXXX";
    int fd = mkstemp(tmp);
    if (fd < 0)
        return;
    close(fd);
    /* truncations */
    for (size_t cut = 0; cut < len; cut += len / 97 + 1) {
        write_file(tmp, orig, cut);
        probe_file(tmp);
    }
    /* byte corruption, deterministic */
    char *b = malloc(len);
    unsigned seed = 12345;
    for (int round = 0; round < 300 && b; round++) {
        memcpy(b, orig, len);
        for (int k = 0; k < 8; k++) {
            seed = seed * 1103515245u + 12345u;
            size_t pos = (seed >> 8) % len;
            seed = seed * 1103515245u + 12345u;
            b[pos] = (char)(seed >> 16);
        }
        write_file(tmp, b, len);
        probe_file(tmp);
    }
    free(b);
    /* not an ELF at all */
    write_file(tmp, "hello", 5);
    CHECK(ebpf_usdt_notes(tmp, &notes, &n) == -ENOEXEC, "not ELF");
    unlink(tmp);
    CHECK(ebpf_usdt_notes("/nonexistent/x", &notes, &n) == -ENOENT, "missing file");
    free(orig);
}

/* tracefs/sysfs text (kernel_text.c): what the kernel writes, and what it
 * never should (fuzz_tracefs covers the rest). */
static void test_kernel_text(void)
{
    long v = -1;
    CHECK(ktext_long("1234\n", 0, 2147483647L, &v) == 0 && v == 1234, "event id");
    CHECK(ktext_long("-3", -5, 5, &v) == 0 && v == -3, "negative in range");
    CHECK(ktext_long("99999999999999999999", 0, 2147483647L, &v) == -ERANGE, "overflow");
    CHECK(ktext_long("4294967296\n", 0, 2147483647L, &v) == -ERANGE, "above INT_MAX");
    CHECK(ktext_long("12x", 0, 100, &v) == -EINVAL && ktext_long("", 0, 100, &v) == -EINVAL, "garbage");
    int sh = -1;
    CHECK(ktext_pmu_format_bit("config:0\n", &sh) == 0 && sh == 0, "retprobe bit");
    CHECK(ktext_pmu_format_bit("config:32-63\n", &sh) == 0 && sh == 32, "ref_ctr_offset bits");
    CHECK(ktext_pmu_format_bit("config:64", &sh) < 0 && ktext_pmu_format_bit("config:-1", &sh) < 0 &&
              ktext_pmu_format_bit("config1:0", &sh) < 0 && ktext_pmu_format_bit("config:5-2", &sh) < 0,
          "shifts out of range");
    bool on[8] = {0};
    CHECK(ktext_cpu_list("0-2,5\n", on, 8) == 4 && on[0] && on[2] && !on[3] && on[5], "cpu list");
    CHECK(ktext_cpu_list("0-999999999", on, 8) == -EINVAL && ktext_cpu_list("3-1", on, 8) == -EINVAL &&
              ktext_cpu_list("0,,1", on, 8) == -EINVAL, "bad cpu lists");
    char g[64], e[160];
    int pid = 0;
    CHECK(ktext_probe_event("p:kprobes/ebpf_kprobe_1234_7_do_sys_openat2_0x0 do_sys_openat2\n", g, sizeof(g), e,
                            sizeof(e), &pid) == 1 && !strcmp(g, "kprobes") &&
              !strcmp(e, "ebpf_kprobe_1234_7_do_sys_openat2_0x0") && pid == 1234,
          "our event");
    CHECK(!ktext_probe_event("p:kprobes/other_1 f", g, sizeof(g), e, sizeof(e), &pid) &&
              !ktext_probe_event("p:kprobes/ebpf_kprobe_0_1 f", g, sizeof(g), e, sizeof(e), &pid) &&
              !ktext_probe_event("p:kprobes/ebpf_kprobe_99999999999_1 f", g, sizeof(g), e, sizeof(e), &pid) &&
              !ktext_probe_event("p", g, sizeof(g), e, sizeof(e), &pid),
          "other lines");
}

int main(int argc, char **argv)
{
    test_args();
    test_kernel_text();
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", argv[0]);
    char bin[4200];
    snprintf(bin, sizeof(bin), "%s/testdata/link/usdt_target", dirname(dir));
    test_malformed(argc > 1 ? argv[1] : bin);
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures != 0;
}
