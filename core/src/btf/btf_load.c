/* BTF_LOAD with the kernel's log on failure, and sanitisation: kinds the
 * running kernel doesn't know (as the feature probes of ebpf/features.h
 * say, once per process) are rewritten into ones it does, keeping every
 * type id and size. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btf_internal.h"
#include "ebpf/features.h"
#include "ebpf/sys.h"
#include "error_internal.h"
#include "sys_internal.h"
#include "token_internal.h"

/* ---- raw load ---- */

static int sys_btf_load(const void *data, size_t size, char *log, uint32_t log_size, uint32_t level, int token)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.btf = ebpf_ptr(data);
    a.btf_size = (uint32_t)size;
    if (log) {
        a.btf_log_buf = ebpf_ptr(log);
        a.btf_log_size = log_size;
        a.btf_log_level = level;
    }
    ebpf_memlock_auto();
    size_t sz = EBPF_ATTR_SIZE(btf_log_level);
    if (token > 0) { /* btf_flags, btf_token_fd (6.9) follow btf_log_true_size */
        uint32_t t[2] = {EBPF_F_TOKEN_FD, (uint32_t)token};
        memcpy((unsigned char *)&a + sz + sizeof(uint32_t), t, sizeof(t));
        sz += 3 * sizeof(uint32_t);
    }
    return ebpf_sys_bpf_fd(BPF_BTF_LOAD, &a, sz);
}

#define TI(kind, vlen, kflag) (((uint32_t)(kind) << 24) | (vlen) | ((uint32_t)(kflag) << 31))

/* ---- what to sanitise: the feature probes decide ---- */

/* Kernel support of a kind (or EBPF_BTF_FEAT_FUNC_LINKAGE) as the feature
 * probes (ebpf/features.h) see it: one probe per process. */
static int kind_status(int kind, const char **why)
{
    if (kind == EBPF_BTF_FEAT_FUNC_LINKAGE)
        return ebpf_feature_misc("btf_func_global", why);
    return ebpf_feature_btf_kind(kind, why);
}

int ebpf_btf_kernel_supports(int kind)
{
    if (kind != EBPF_BTF_FEAT_FUNC_LINKAGE && !ebpf_btf_kind_name(kind))
        return ebpf_err(EINVAL, "probe", "btf: unknown BTF kind %d", kind);
    const char *why = "";
    int st = kind_status(kind, &why);
    if (st == EBPF_FEATURE_INCONCLUSIVE)
        return ebpf_err(strstr(why, "permission") ? EPERM : EIO, "probe",
                        "btf: can't probe kernel BTF support: %s", why);
    return st < 0 ? st : st == EBPF_FEATURE_SUPPORTED;
}

/* Bits of kinds (1 << kind) to rewrite, plus 1 << 0 for func linkage:
 * `want` is the status that selects a kind (unsupported: rewrite first;
 * inconclusive: rewrite only if the kernel refuses the blob). */
static uint32_t sanitize_mask(const struct ebpf_btf *b, int want)
{
    uint32_t present = 0, mask = 0;
    bool global_func = false, signed_enum = false;
    for (uint32_t i = 0; i < b->nr; i++) {
        const struct btf_type *t = (const struct btf_type *)(b->types + b->idx[i].off);
        present |= 1u << btf_kind_of(t);
        if (btf_kind_of(t) == BTF_KIND_FUNC && btf_vlen_of(t) != BTF_FUNC_STATIC)
            global_func = true;
        if (btf_kind_of(t) == BTF_KIND_ENUM && (t->info >> 31))
            signed_enum = true;
    }
    /* An ENUM's kind_flag (signed values) came with ENUM64 (6.0): kernels
     * without ENUM64 refuse the whole blob for it, so it is cleared. */
    if (signed_enum && kind_status(BTF_KIND_ENUM64, NULL) == want)
        mask |= 1u << BTF_KIND_ENUM;
    static const int kinds[] = {BTF_KIND_FLOAT, BTF_KIND_DECL_TAG, BTF_KIND_TYPE_TAG, BTF_KIND_ENUM64,
                                BTF_KIND_FUNC, BTF_KIND_VAR, BTF_KIND_DATASEC};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if ((present & (1u << kinds[i])) && kind_status(kinds[i], NULL) == want)
            mask |= 1u << kinds[i];
    if (global_func && kind_status(EBPF_BTF_FEAT_FUNC_LINKAGE, NULL) == want)
        mask |= 1u;
    return mask;
}

/* The full rewrite set for a base mask: FUNC and VAR take the kinds that
 * refer to them along; a FUNC rewritten to a typedef needs no linkage. */
static uint32_t close_mask(uint32_t mask)
{
    if (mask & (1u << BTF_KIND_FUNC))
        mask = (mask | (1u << BTF_KIND_FUNC_PROTO)) & ~1u;
    if (mask & (1u << BTF_KIND_VAR))
        mask |= 1u << BTF_KIND_DATASEC;
    return mask;
}

void *btf_sanitize_raw(const struct ebpf_btf *b, uint32_t mask, size_t *size);

/* Rewrites own types in a copy of the raw blob; an int (1 byte) may be
 * appended for ENUM64 -> UNION members, after every existing id. */
void *btf_sanitize_raw(const struct ebpf_btf *b, uint32_t mask, size_t *size)
{
    size_t n;
    const void *raw = ebpf_btf_raw(b, &n);
    if (!raw)
        return NULL;
    struct btf_header h;
    memcpy(&h, raw, sizeof(h));
    bool need_int = false;
    if (mask & (1u << BTF_KIND_ENUM64))
        for (uint32_t i = 0; i < b->nr && !need_int; i++)
            need_int = btf_kind_of((const struct btf_type *)(b->types + b->idx[i].off)) == BTF_KIND_ENUM64;
    size_t extra = need_int ? sizeof(struct btf_type) + 4 : 0;
    char *outb = malloc(n + extra);
    if (!outb) {
        ebpf_err(ENOMEM, "load", "btf: out of memory");
        return NULL;
    }
    /* Layout: header, types (+ appended int), strings. */
    char *types = outb + h.hdr_len;
    memcpy(outb, raw, h.hdr_len);
    memcpy(types, (const char *)raw + h.hdr_len + h.type_off, h.type_len);
    memcpy(types + h.type_len + extra, (const char *)raw + h.hdr_len + h.str_off, h.str_len);
    uint32_t int_id = b->start_id + b->nr;
    for (uint32_t i = 0; i < b->nr; i++) {
        struct btf_type *t = (struct btf_type *)(types + b->idx[i].off);
        uint32_t k = btf_kind_of(t), vlen = btf_vlen_of(t);
        if (!(mask & (1u << k)) && !(k == BTF_KIND_FUNC && (mask & 1u)))
            continue;
        switch (k) {
        case BTF_KIND_DECL_TAG: case BTF_KIND_VAR: /* 4 extra bytes: an int */
            t->name_off = 0;
            t->info = TI(BTF_KIND_INT, 0, 0);
            t->size = 1;
            *(uint32_t *)(t + 1) = 8;
            break;
        case BTF_KIND_TYPE_TAG: /* -> const, same target */
            t->name_off = 0;
            t->info = TI(BTF_KIND_CONST, 0, 0);
            break;
        case BTF_KIND_FLOAT: /* -> an opaque struct of the same size */
            t->info = TI(BTF_KIND_STRUCT, 0, 0);
            break;
        case BTF_KIND_ENUM: /* signedness unknown before ENUM64 */
            t->info &= ~(1u << 31);
            break;
        case BTF_KIND_ENUM64: { /* -> union of 1-byte ints, same size */
            struct btf_member *m = (struct btf_member *)(t + 1);
            t->info = TI(BTF_KIND_UNION, vlen, 0);
            for (uint32_t j = 0; j < vlen; j++) {
                m[j].type = int_id; /* name_off stays the enumerator's */
                m[j].offset = 0;
            }
            break;
        }
        case BTF_KIND_FUNC:
            if (mask & (1u << BTF_KIND_FUNC)) { /* -> typedef of its proto */
                t->info = TI(BTF_KIND_TYPEDEF, 0, 0);
            } else { /* linkage unsupported: static */
                t->info = TI(BTF_KIND_FUNC, 0, 0);
            }
            break;
        case BTF_KIND_FUNC_PROTO: { /* -> enum with vlen values (8 bytes each) */
            struct btf_enum *e = (struct btf_enum *)(t + 1);
            t->name_off = 0;
            t->info = TI(BTF_KIND_ENUM, vlen, 0);
            t->size = 4;
            for (uint32_t j = 0; j < vlen; j++) {
                /* Enumerator names must be valid: reuse non-empty param names. */
                e[j].val = (int32_t)j;
            }
            break;
        }
        case BTF_KIND_DATASEC: { /* -> struct, secinfos become members */
            struct btf_var_secinfo *v = (struct btf_var_secinfo *)(t + 1);
            t->info = TI(BTF_KIND_STRUCT, vlen, 0);
            for (uint32_t j = 0; j < vlen; j++) {
                struct btf_var_secinfo s = v[j];
                struct btf_member *m = (struct btf_member *)&v[j];
                m->name_off = 0;
                m->type = s.type;
                m->offset = s.offset * 8;
            }
            break;
        }
        default:
            break;
        }
    }
    if (need_int) {
        struct btf_type it = {.name_off = 0, .info = TI(BTF_KIND_INT, 0, 0), .size = 1};
        uint32_t enc = 8;
        memcpy(types + h.type_len, &it, sizeof(it));
        memcpy(types + h.type_len + sizeof(it), &enc, 4);
    }
    struct btf_header nh = h;
    nh.type_off = 0;
    nh.type_len = h.type_len + (uint32_t)extra;
    nh.str_off = nh.type_len;
    memcpy(outb, &nh, sizeof(nh));
    *size = h.hdr_len + nh.type_len + h.str_len;
    return outb;
}

void *ebpf_btf_sanitized_raw(const struct ebpf_btf *b, size_t *size)
{
    return btf_sanitize_raw(b, close_mask(sanitize_mask(b, EBPF_FEATURE_UNSUPPORTED)), size);
}

/* BTF_LOAD, retried with a log (grown until the kernel's message fits)
 * on failure or when a log is asked for. *logp gets the log (malloc'd). */
static int load_logged(const void *data, size_t size, uint32_t level, int token, char **logp)
{
    int fd = level ? -EINVAL : sys_btf_load(data, size, NULL, 0, 0, token);
    char *log = NULL;
    if (level || fd < 0) {
        uint32_t cap = 64 << 10;
        for (;;) {
            free(log);
            log = malloc(cap);
            if (!log)
                return -ENOMEM;
            log[0] = 0;
            fd = sys_btf_load(data, size, log, cap, level ? level : 1, token);
            if (fd != -ENOSPC || cap >= (1u << 30))
                break;
            cap *= 4;
        }
    }
    *logp = log;
    return fd;
}

/* One load of the blob with the kinds of `mask` rewritten. */
static int load_masked(const struct ebpf_btf *b, uint32_t mask, uint32_t level, int token, char **logp)
{
    size_t size;
    void *owned = NULL;
    const void *data = mask ? (owned = btf_sanitize_raw(b, close_mask(mask), &size)) : ebpf_btf_raw(b, &size);
    *logp = NULL;
    if (!data)
        return -ENOMEM;
    int fd = load_logged(data, size, level, token, logp);
    free(owned);
    return fd;
}

int ebpf_btf_load(struct ebpf_btf *b, const struct ebpf_btf_load_opts *opts)
{
    if (b->fd >= 0)
        return b->fd;
    if (b->base && (b->base->is_kernel || b->base->base))
        return ebpf_err(ENOTSUP, "load", "btf: loading split BTF is not supported by BTF_LOAD");
    bool sanitize = !(opts && opts->no_sanitize);
    uint32_t level = opts ? opts->log_level : 0;
    /* Kinds the probes call unsupported are rewritten up front; those
     * they cannot decide on (inconclusive) only if the kernel refuses
     * the blob as it is. */
    uint32_t mask = sanitize ? sanitize_mask(b, EBPF_FEATURE_UNSUPPORTED) : 0;
    uint32_t maybe = sanitize ? sanitize_mask(b, EBPF_FEATURE_INCONCLUSIVE) & ~mask : 0;
    char *log = NULL;
    int token = token_pick(opts ? opts->token_fd : 0);
    int fd = load_masked(b, mask, level, token, &log);
    if (fd == -EINVAL && maybe) {
        free(log);
        fd = load_masked(b, mask | maybe, level, token, &log);
    }
    if (fd < 0) {
        int e = -fd;
        ebpf_err(e, "load", "btf: load: %s%s", strerror(e), e == EPERM ? " (needs root or CAP_BPF)" : "");
        if (log && log[0])
            ebpf_err_set_log(log);
        else
            free(log);
        return -e;
    }
    free(log);
    b->fd = fd;
    struct bpf_btf_info info;
    memset(&info, 0, sizeof(info));
    uint32_t len = sizeof(info);
    if (ebpf_obj_get_info(fd, &info, &len) == 0)
        b->kid = info.id;
    return fd;
}
