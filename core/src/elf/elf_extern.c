/* Values of externs: .kconfig from the kernel config (zlib-compressed
 * /proc/config.gz or /boot/config-$(uname -r)), .ksyms from kernel BTF
 * (typed, incl. modules) or /proc/kallsyms (untyped), kfuncs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <zlib.h>

#include "ebpf/btf.h"
#include "ebpf/features.h"
#include "ebtf.h"
#include "elf_extern.h"
#include "error_internal.h"

uint32_t eext_kernel_version(void)
{
    struct utsname u;
    unsigned a = 0, b = 0, c = 0;
    if (uname(&u) == 0)
        sscanf(u.release, "%u.%u.%u", &a, &b, &c);
    return (a << 16) + (b << 8) + (c > 255 ? 255 : c);
}

/* Whole kernel config text, NUL-terminated; NULL if unavailable. */
static char *read_config(void)
{
    gzFile gz = gzopen("/proc/config.gz", "rb");
    if (!gz) {
        struct utsname u;
        char path[300];
        if (uname(&u) != 0)
            return NULL;
        snprintf(path, sizeof(path), "/boot/config-%s", u.release);
        gz = gzopen(path, "rb"); /* zlib reads plain files too */
        if (!gz)
            return NULL;
    }
    size_t cap = 1 << 18, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (cap - n < 4096) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
        }
        int r = gzread(gz, buf + n, (unsigned)(cap - n - 1));
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    gzclose(gz);
    if (buf)
        buf[n] = 0;
    return buf;
}

/* Value text of CONFIG_name ("y", "m", "42", "\"str\""), "n" when the
 * config says "is not set", or NULL if absent. */
const char *eext_config_value(const char *cfg, const char *name, size_t *len)
{
    size_t nl = strlen(name);
    for (const char *p = cfg; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t ll = eol ? (size_t)(eol - p) : strlen(p);
        if (ll > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            *len = ll - nl - 1;
            return p + nl + 1;
        }
        if (ll > nl + 2 && p[0] == '#' && p[1] == ' ' && strncmp(p + 2, name, nl) == 0 &&
            strncmp(p + 2 + nl, " is not set", 11) == 0) {
            *len = 1;
            return "n";
        }
        p = eol ? eol + 1 : NULL;
    }
    return NULL;
}

int eext_kconfig_store(const struct eext *e, const struct ebpf_btf *b, unsigned char *dst, const char *v, size_t vl)
{
    const struct btf_type *t = ebtf_skip_mods(b, e->type_id, NULL);
    int kind = t ? ebtf_kind(t) : -1;
    char tmp[256];
    if (vl >= sizeof(tmp))
        vl = sizeof(tmp) - 1;
    memcpy(tmp, v, vl);
    tmp[vl] = 0;
    bool tri = vl == 1 && (tmp[0] == 'y' || tmp[0] == 'n' || tmp[0] == 'm');
    if (kind == BTF_KIND_ENUM && tri) { /* enum libbpf_tristate */
        uint32_t x = tmp[0] == 'y' ? 1 : tmp[0] == 'm' ? 2 : 0;
        memcpy(dst, &x, e->size < 4 ? e->size : 4);
        return 0;
    }
    if (kind == BTF_KIND_INT) {
        uint32_t enc = *(const uint32_t *)(t + 1);
        if (BTF_INT_ENCODING(enc) & BTF_INT_BOOL) { /* a number would not be 0 or 1 */
            if (!tri)
                return ebpf_err(EINVAL, "load", "kconfig '%s': value '%s' is not y, n or m (the extern is a bool)",
                                e->name, tmp);
            dst[0] = tmp[0] != 'n';
            return 0;
        }
        if (e->size == 1 && (BTF_INT_ENCODING(enc) & BTF_INT_CHAR) && tri) {
            dst[0] = (unsigned char)tmp[0];
            return 0;
        }
        if (tri && e->size == 1) {
            dst[0] = tmp[0] != 'n';
            return 0;
        }
        char *end;
        errno = 0;
        unsigned long long x = (BTF_INT_ENCODING(enc) & BTF_INT_SIGNED) ? (unsigned long long)strtoll(tmp, &end, 0)
                                                                         : strtoull(tmp, &end, 0);
        if (end == tmp || *end || errno)
            return ebpf_err(EINVAL, "load", "kconfig '%s': value '%s' is not an integer", e->name, tmp);
        if (e->size < 8) { /* never stored truncated */
            unsigned bits = e->size * 8;
            bool fits = (BTF_INT_ENCODING(enc) & BTF_INT_SIGNED)
                            ? (long long)x >= -(1LL << (bits - 1)) && (long long)x < (1LL << (bits - 1))
                            : x < (1ULL << bits);
            if (!fits)
                return ebpf_err(ERANGE, "load", "kconfig '%s': value '%s' does not fit in %u bytes", e->name, tmp,
                                e->size);
        }
        memcpy(dst, &x, e->size < 8 ? e->size : 8);
        return 0;
    }
    if (kind == BTF_KIND_ARRAY) {
        if (vl < 2 || tmp[0] != '"' || tmp[vl - 1] != '"')
            return ebpf_err(EINVAL, "load", "kconfig '%s': value %s is not a string", e->name, tmp);
        size_t sl = vl - 2 < e->size - 1 ? vl - 2 : e->size - 1;
        memcpy(dst, tmp + 1, sl);
        dst[sl] = 0;
        return 0;
    }
    return ebpf_err(EINVAL, "load", "kconfig '%s': unsupported type", e->name);
}

/* True when kprobes can be made (a kprobe PMU, or tracefs kprobe_events
 * for the legacy way). */
static bool kprobes_available(void)
{
    return access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0 ||
           access("/sys/kernel/tracing/kprobe_events", F_OK) == 0 ||
           access("/sys/kernel/debug/tracing/kprobe_events", F_OK) == 0;
}

/* The values of the virtual LINUX_HAS_* externs as libbpf defines them:
 * the syscall wrapper is "a kprobe on the arch's __<arch>_sys_bpf can be
 * made" (libbpf opens one; we look for the function and for kprobe
 * support, so a kernel without kprobes says 0 like libbpf), the cookie is
 * "bpf_get_attach_cookie is a helper". */
static void virtual_values(const struct ebpf_spec *s, const struct ebpf_btf *kbtf, struct eext_virtual *vv)
{
    vv->syscall_wrapper = vv->bpf_cookie = false;
    for (size_t i = 0; i < s->next; i++) {
        const struct eext *e = &s->exts[i];
        if (e->kind != EEXT_KCONFIG)
            continue;
        if (strcmp(e->name, "LINUX_HAS_SYSCALL_WRAPPER") == 0 && kbtf && kprobes_available())
            vv->syscall_wrapper = ebtf_find_first(kbtf, "__x64_sys_bpf", BTF_KIND_FUNC) ||
                                  ebtf_find_first(kbtf, "__arm64_sys_bpf", BTF_KIND_FUNC) ||
                                  ebtf_find_first(kbtf, "__s390x_sys_bpf", BTF_KIND_FUNC) ||
                                  ebtf_find_first(kbtf, "__riscv_sys_bpf", BTF_KIND_FUNC);
        else if (strcmp(e->name, "LINUX_HAS_BPF_COOKIE") == 0)
            vv->bpf_cookie = ebpf_feature_misc("bpf_cookie", NULL) == EBPF_FEATURE_SUPPORTED;
    }
}

int eext_kconfig(const struct ebpf_spec *s, const struct ebpf_btf *kbtf, unsigned char *img)
{
    bool need = false; /* the config file is read only when a CONFIG_ extern needs it */
    for (size_t i = 0; i < s->next; i++)
        need |= s->exts[i].kind == EEXT_KCONFIG && strncmp(s->exts[i].name, "CONFIG_", 7) == 0;
    char *cfg = need ? read_config() : NULL;
    struct eext_virtual vv;
    virtual_values(s, kbtf, &vv);
    int r = eext_kconfig_text(s, &vv, cfg, img);
    free(cfg);
    return r;
}

int eext_kconfig_text(const struct ebpf_spec *s, const struct eext_virtual *vv, const char *cfg, unsigned char *img)
{
    int r = 0;
    for (size_t i = 0; i < s->next && r == 0; i++) {
        const struct eext *e = &s->exts[i];
        if (e->kind != EEXT_KCONFIG)
            continue;
        unsigned char *dst = img + e->off;
        if (strcmp(e->name, "LINUX_KERNEL_VERSION") == 0) {
            uint32_t v = eext_kernel_version();
            memcpy(dst, &v, e->size < 4 ? e->size : 4);
            continue;
        }
        if (strcmp(e->name, "LINUX_HAS_SYSCALL_WRAPPER") == 0) {
            dst[0] = vv ? vv->syscall_wrapper : 1;
            continue;
        }
        if (strcmp(e->name, "LINUX_HAS_BPF_COOKIE") == 0) {
            dst[0] = vv ? vv->bpf_cookie : 1;
            continue;
        }
        if (strncmp(e->name, "CONFIG_", 7) != 0) {
            /* As libbpf: besides CONFIG_*, only the virtual LINUX_* names;
             * a weak LINUX_ one it does not know is 0, which only an
             * integer, char or bool extern can hold. */
            if (strncmp(e->name, "LINUX_", 6) == 0 && e->weak) {
                const struct btf_type *t = ebtf_skip_mods(s->obtf, e->type_id, NULL);
                if (t && ebtf_kind(t) == BTF_KIND_INT)
                    continue; /* stays zero */
                r = ebpf_err(EINVAL, "load",
                             "object '%s': weak virtual kconfig extern '%s' defaults to 0, which its type cannot "
                             "hold (only integer, char and bool ones can)", s->name, e->name);
                break;
            }
            r = ebpf_err(ENOENT, "load", "object '%s': unknown kconfig extern '%s' (not CONFIG_*, nor a virtual "
                         "LINUX_* one%s)", s->name, e->name, e->weak ? "; __weak does not make it optional" : "");
            break;
        }
        size_t vl = 0;
        const char *v = cfg ? eext_config_value(cfg, e->name, &vl) : NULL;
        if (!v) {
            if (e->weak)
                continue; /* weak: stays zero */
            r = ebpf_err(ENOENT, "load", "object '%s': kconfig '%s' not found in %s", s->name, e->name,
                         cfg ? "the kernel config" : "(no /proc/config.gz or /boot/config-*)");
            break;
        }
        r = eext_kconfig_store(e, s->obtf, dst, v, vl);
    }
    return r;
}

int eext_kallsyms(const struct ebpf_spec *s, struct eext_val *ev)
{
    size_t want = 0;
    for (size_t i = 0; i < s->next; i++)
        want += s->exts[i].kind == EEXT_KSYM && !s->exts[i].typed;
    if (!want)
        return 0;
    FILE *f = fopen("/proc/kallsyms", "re");
    if (!f)
        return ebpf_err(errno, "load", "object '%s': /proc/kallsyms: %s", s->name, strerror(errno));
    setvbuf(f, NULL, _IOFBF, 1 << 17); /* big reads: kallsyms is costly per call */
    int r = eext_kallsyms_scan(s, ev, f);
    fclose(f);
    return r;
}

/* One pass over kallsyms for every untyped ksym (the file is slow), to its
 * end: a name at two addresses (static symbols of several files) is
 * ambiguous, not the first one seen. Lines are "ADDR T NAME[\t[MODULE]]";
 * any other line is skipped; getline: names up to KSYM_NAME_LEN (512) and
 * a module never split into a second, misparsed line. */
int eext_kallsyms_scan(const struct ebpf_spec *s, struct eext_val *ev, FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    int r = 0;
    while (r == 0 && getline(&line, &cap, f) >= 0) {
        char *sp1 = strchr(line, ' ');
        if (!sp1 || !sp1[1] || sp1[2] != ' ')
            continue;
        char *name = sp1 + 3, *end = name + strcspn(name, " \t\n");
        *end = 0;
        for (size_t i = 0; i < s->next; i++) {
            const struct eext *e = &s->exts[i];
            if (e->kind != EEXT_KSYM || e->typed || strcmp(e->name, name) != 0)
                continue;
            unsigned long long addr = strtoull(line, NULL, 16);
            if (ev[i].found && ev[i].addr != addr) {
                r = ebpf_err(EINVAL, "load", "object '%s': ksym '%s' is ambiguous in /proc/kallsyms (0x%llx or 0x%llx)",
                             s->name, e->name, (unsigned long long)ev[i].addr, addr);
                break;
            }
            ev[i].found = true;
            ev[i].addr = addr;
        }
    }
    free(line);
    return r;
}

/* Extern types as libbpf accepts them, so that both loaders take the same
 * objects: after modifiers and typedefs the kinds are equal; structs,
 * unions, enums and forwards match by kind only; integers unless they
 * are bitfield-like; pointers and arrays by what they point to / hold;
 * function prototypes by arity, every parameter and the return type. */
static bool types_compat(const struct ebpf_btf *lb, uint32_t lid, const struct ebpf_btf *kb, uint32_t kid, int depth)
{
    const struct btf_type *l = ebtf_skip_mods(lb, lid, NULL), *k = ebtf_skip_mods(kb, kid, NULL);
    if (!l || !k || depth > 32 || ebtf_kind(l) != ebtf_kind(k))
        return false;
    switch (ebtf_kind(l)) {
    case BTF_KIND_UNKN: case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64: case BTF_KIND_FWD:
        return true;
    case BTF_KIND_INT:
        return BTF_INT_OFFSET(*(const uint32_t *)(l + 1)) == 0 && BTF_INT_OFFSET(*(const uint32_t *)(k + 1)) == 0;
    case BTF_KIND_PTR:
        return types_compat(lb, l->type, kb, k->type, depth + 1);
    case BTF_KIND_ARRAY:
        return types_compat(lb, ebtf_array(l)->type, kb, ebtf_array(k)->type, depth + 1);
    case BTF_KIND_FUNC_PROTO:
        if (ebtf_vlen(l) != ebtf_vlen(k))
            return false;
        for (int i = 0; i < ebtf_vlen(l); i++)
            if (!types_compat(lb, ebtf_params(l)[i].type, kb, ebtf_params(k)[i].type, depth + 1))
                return false;
        return types_compat(lb, l->type, kb, k->type, depth + 1);
    default:
        return false;
    }
}

/* "struct rq", "int", "func_proto(2 params)": enough to tell two types apart. */
static void type_desc(const struct ebpf_btf *b, uint32_t id, char *buf, size_t len)
{
    const struct btf_type *t = ebtf_skip_mods(b, id, NULL);
    if (!t) {
        snprintf(buf, len, "?");
        return;
    }
    const char *name = ebtf_str(b, t->name_off);
    if (ebtf_kind(t) == BTF_KIND_FUNC_PROTO)
        snprintf(buf, len, "func_proto(%d params)", ebtf_vlen(t));
    else if ((ebtf_kind(t) == BTF_KIND_INT || ebtf_kind(t) == BTF_KIND_FLOAT) && name && name[0])
        snprintf(buf, len, "%s", name);
    else
        snprintf(buf, len, "%s%s%s", ebpf_btf_kind_name(ebtf_kind(t)), name && name[0] ? " " : "", name ? name : "");
}

/* Typed ksyms and kfuncs: the object's type must fit the kernel's. */
static int check_compat(const struct ebpf_spec *s, const struct eext *e, const struct ebpf_btf *kb, uint32_t kid)
{
    const struct btf_type *lt = s->obtf && e->btf_id ? ebtf_type(s->obtf, e->btf_id) : NULL;
    const struct btf_type *kt = ebtf_type(kb, kid);
    if (!lt || !kt || types_compat(s->obtf, lt->type, kb, kt->type, 0))
        return 0;
    char ours[128], theirs[128];
    type_desc(s->obtf, lt->type, ours, sizeof(ours));
    type_desc(kb, kt->type, theirs, sizeof(theirs));
    return ebpf_err(EINVAL, "load", "object '%s': %s '%s': type %s is incompatible with the kernel's %s", s->name,
                    e->kind == EEXT_KFUNC ? "kfunc" : "ksym", e->name, ours, theirs);
}

int eext_ksym(const struct ebpf_spec *s, const struct eext *e, const struct ebpf_btf *kbtf, struct ebpf_btf *const *mods,
              size_t nmods, struct eext_val *out)
{
    memset(out, 0, sizeof(*out));
    if (e->kind == EEXT_KSYM && !e->typed)
        return 0; /* eext_kallsyms */
    int kind = e->kind == EEXT_KFUNC ? BTF_KIND_FUNC : BTF_KIND_VAR;
    if (kbtf) {
        uint32_t id = ebtf_find_first(kbtf, e->name, kind);
        if (id) {
            out->found = true;
            out->btf_id = id;
            return check_compat(s, e, kbtf, id);
        }
    }
    for (size_t m = 0; m < nmods; m++) {
        uint32_t id = ebtf_find_own(mods[m], e->name, kind);
        if (id) {
            out->found = true;
            out->btf_id = id;
            out->mod = mods[m];
            return check_compat(s, e, mods[m], id);
        }
    }
    return 0;
}
