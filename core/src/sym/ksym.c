/* Kernel symbols from /proc/kallsyms: "ADDR TYPE NAME[\t[MODULE]]" lines,
 * parsed once into an address-sorted table searched by bisection. The
 * file is not sorted (modules, BPF programs and trampolines come last) and
 * several names can share an address: the table keeps one per address,
 * a global one (upper-case type) first, else the first listed. */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error_internal.h"
#include "sym_internal.h"

#define KALLSYMS_MAX ((size_t)256 << 20)
/* kallsyms has no sizes: an address this far past the nearest symbol is
 * taken as unknown (a gap between the kernel image, modules, BPF code). */
#define KSYM_MAX_OFFSET ((uint64_t)1 << 20)

struct ksym {
    uint64_t addr;
    const char *name, *mod;
    uint32_t idx; /* line order, for a stable sort */
    uint8_t global;
};

struct ebpf_ksyms {
    struct ksym *v;
    size_t n;
    char *pool; /* the text, cut into names and module names in place */
};

static int hexval(int c)
{
    return isdigit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

/* One line, in place. 1 with *k filled, 0 for a line that is no symbol. */
static int parse_line(char *s, struct ksym *k)
{
    uint64_t a = 0;
    int digits = 0;
    for (int d; (d = hexval((unsigned char)*s)) >= 0; s++) {
        if (++digits > 16)
            return 0;
        a = a << 4 | (uint64_t)d;
    }
    if (!digits || s[0] != ' ' || !isalpha((unsigned char)s[1]) || s[2] != ' ')
        return 0;
    k->global = isupper((unsigned char)s[1]) != 0;
    char *name = s + 3;
    size_t nl = strcspn(name, " \t");
    if (!nl)
        return 0;
    char *rest = name + nl;
    k->mod = "";
    if (*rest) {
        *rest++ = 0;
        rest += strspn(rest, " \t");
        if (*rest == '[') {
            char *end = strchr(rest, ']');
            if (!end || end == rest + 1)
                return 0;
            *end = 0;
            k->mod = rest + 1;
        }
    }
    k->addr = a;
    k->name = name;
    return 1;
}

static int cmp_ksym(const void *pa, const void *pb)
{
    const struct ksym *a = pa, *b = pb;
    if (a->addr != b->addr)
        return a->addr < b->addr ? -1 : 1;
    if (a->global != b->global)
        return a->global ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

struct ebpf_ksyms *ebpf_ksyms_parse(const char *text, size_t len)
{
    struct ebpf_ksyms *ks = calloc(1, sizeof(*ks));
    if (!ks || !(ks->pool = malloc(len + 1))) {
        free(ks);
        return ebpf_err_null(ENOMEM, "kallsyms", "kallsyms: out of memory");
    }
    memcpy(ks->pool, text, len);
    ks->pool[len] = 0;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    ks->v = malloc(lines * sizeof(*ks->v));
    if (!ks->v) {
        ebpf_ksyms_free(ks);
        return ebpf_err_null(ENOMEM, "kallsyms", "kallsyms: out of memory");
    }
    int nonzero = 0;
    char *p = ks->pool, *end = ks->pool + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl)
            *nl = 0;
        struct ksym k;
        if (ks->n < lines && parse_line(p, &k)) { /* a NUL inside the text only shortens a line */
            k.idx = (uint32_t)ks->n;
            nonzero |= k.addr != 0;
            ks->v[ks->n++] = k;
        }
        p = nl ? nl + 1 : end;
    }
    if (!ks->n) {
        ebpf_ksyms_free(ks);
        return ebpf_err_null(EINVAL, "kallsyms", "kallsyms: no symbol lines");
    }
    if (!nonzero) {
        ebpf_ksyms_free(ks);
        return ebpf_err_null(EPERM, "kallsyms",
                             "kallsyms: every address reads 0 (hidden by kernel.kptr_restrict; needs root/CAP_SYSLOG)");
    }
    qsort(ks->v, ks->n, sizeof(*ks->v), cmp_ksym);
    size_t w = 0;
    for (size_t r = 0; r < ks->n; r++) /* one entry per address: the first after sorting */
        if (!w || ks->v[w - 1].addr != ks->v[r].addr)
            ks->v[w++] = ks->v[r];
    ks->n = w;
    return ks;
}

static void fill(struct ebpf_sym *out, uint64_t addr, const struct ksym *k)
{
    out->addr = addr;
    out->start = k ? k->addr : 0;
    out->offset = k ? addr - k->addr : 0;
    snprintf(out->name, sizeof(out->name), "%s", k ? k->name : "");
    snprintf(out->module, sizeof(out->module), "%s", k ? k->mod : "");
}

int ebpf_ksyms_lookup(const struct ebpf_ksyms *ks, uint64_t addr, struct ebpf_sym *out)
{
    if (!ks || !out)
        return ebpf_err(EINVAL, "kallsyms", "kallsyms: no table or no result");
    size_t lo = 0, hi = ks->n; /* first entry above addr */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ks->v[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    const struct ksym *k = lo ? &ks->v[lo - 1] : NULL;
    if (k && addr - k->addr > KSYM_MAX_OFFSET)
        k = NULL;
    fill(out, addr, k);
    return k != NULL;
}

size_t ebpf_ksyms_count(const struct ebpf_ksyms *ks) { return ks ? ks->n : 0; }

void ebpf_ksyms_free(struct ebpf_ksyms *ks)
{
    if (!ks)
        return;
    free(ks->v);
    free(ks->pool);
    free(ks);
}

/* The process-wide table: read at first use, dropped by ebpf_sym_cache_clear. */
static pthread_mutex_t kmutex = PTHREAD_MUTEX_INITIALIZER;
static struct ebpf_ksyms *kcache;

int ebpf_sym_kernel(uint64_t addr, struct ebpf_sym *out)
{
    if (!out)
        return ebpf_err(EINVAL, "kallsyms", "kallsyms: no result");
    pthread_mutex_lock(&kmutex);
    if (!kcache) {
        size_t len = 0;
        char *text = sym_read_proc("/proc/kallsyms", "kernel symbols", KALLSYMS_MAX, &len);
        if (text) {
            kcache = ebpf_ksyms_parse(text, len);
            free(text);
        }
        if (!kcache) {
            int e = errno;
            pthread_mutex_unlock(&kmutex);
            return -e;
        }
    }
    int r = ebpf_ksyms_lookup(kcache, addr, out);
    pthread_mutex_unlock(&kmutex);
    return r;
}

void sym_kernel_cache_clear(void)
{
    pthread_mutex_lock(&kmutex);
    ebpf_ksyms_free(kcache);
    kcache = NULL;
    pthread_mutex_unlock(&kmutex);
}
