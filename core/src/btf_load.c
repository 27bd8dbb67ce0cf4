/* BTF_LOAD with the kernel's log on failure, and sanitisation: kinds the
 * running kernel doesn't know are rewritten into ones it does, keeping
 * every type id and size (probed once per process). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btf_internal.h"
#include "ebpf/sys.h"
#include "error_internal.h"

/* ---- raw load ---- */

static int sys_btf_load(const void *data, size_t size, char *log, uint32_t log_size, uint32_t level)
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
    return ebpf_sys_bpf_fd(BPF_BTF_LOAD, &a, EBPF_ATTR_SIZE(btf_log_level));
}

/* ---- probes ---- */

/* A tiny BTF: int (id 1) followed by the records under test. */
static int probe_blob(const void *types, uint32_t types_len, const char *strs, uint32_t strs_len)
{
    struct btf_header h = {.magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h),
                           .type_off = 0, .type_len = types_len, .str_off = types_len, .str_len = strs_len};
    char buf[512];
    if (sizeof(h) + types_len + strs_len > sizeof(buf))
        return -E2BIG;
    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), types, types_len);
    memcpy(buf + sizeof(h) + types_len, strs, strs_len);
    int fd = sys_btf_load(buf, sizeof(h) + types_len + strs_len, NULL, 0, 0);
    if (fd >= 0) {
        close(fd);
        return 1;
    }
    return fd == -EPERM || fd == -ENOSYS ? fd : 0;
}

#define TI(kind, vlen, kflag) (((uint32_t)(kind) << 24) | (vlen) | ((uint32_t)(kflag) << 31))

/* Strings: "\0int\0x\0tag\0.data\0f\0" */
static const char probe_strs[] = "\0int\0x\0tag\0.data\0f";
#define S_INT 1
#define S_X 5
#define S_TAG 7
#define S_DATA 11
#define S_F 17

static int probe(int kind)
{
    uint32_t ty[64];
    uint32_t n = 0;
    /* [1] int */
    ty[n++] = S_INT; ty[n++] = TI(BTF_KIND_INT, 0, 0); ty[n++] = 4; ty[n++] = (BTF_INT_SIGNED << 24) | 32;
    switch (kind) {
    case BTF_KIND_FLOAT: /* [2] float */
        ty[n++] = S_X; ty[n++] = TI(BTF_KIND_FLOAT, 0, 0); ty[n++] = 4;
        break;
    case BTF_KIND_DECL_TAG: /* [2] struct x { int x; } [3] decl_tag -> 2 */
        ty[n++] = S_X; ty[n++] = TI(BTF_KIND_STRUCT, 1, 0); ty[n++] = 4;
        ty[n++] = S_X; ty[n++] = 1; ty[n++] = 0;
        ty[n++] = S_TAG; ty[n++] = TI(BTF_KIND_DECL_TAG, 0, 0); ty[n++] = 2; ty[n++] = (uint32_t)-1;
        break;
    case BTF_KIND_TYPE_TAG: /* [2] type_tag -> int [3] ptr -> 2 */
        ty[n++] = S_TAG; ty[n++] = TI(BTF_KIND_TYPE_TAG, 0, 0); ty[n++] = 1;
        ty[n++] = 0; ty[n++] = TI(BTF_KIND_PTR, 0, 0); ty[n++] = 2;
        break;
    case BTF_KIND_ENUM64: /* [2] enum64 x { tag = 1 } */
        ty[n++] = S_X; ty[n++] = TI(BTF_KIND_ENUM64, 1, 0); ty[n++] = 8;
        ty[n++] = S_TAG; ty[n++] = 1; ty[n++] = 0;
        break;
    case BTF_KIND_FUNC: case BTF_KIND_FUNC_PROTO: /* [2] proto int(void) [3] func f static */
    case EBPF_BTF_FEAT_FUNC_LINKAGE:
        ty[n++] = 0; ty[n++] = TI(BTF_KIND_FUNC_PROTO, 0, 0); ty[n++] = 1;
        ty[n++] = S_F; ty[n++] = TI(BTF_KIND_FUNC, kind == EBPF_BTF_FEAT_FUNC_LINKAGE ? BTF_FUNC_GLOBAL : 0, 0);
        ty[n++] = 2;
        break;
    case BTF_KIND_VAR: case BTF_KIND_DATASEC: /* [2] var x int [3] datasec .data */
        ty[n++] = S_X; ty[n++] = TI(BTF_KIND_VAR, 0, 0); ty[n++] = 1; ty[n++] = BTF_VAR_STATIC;
        ty[n++] = S_DATA; ty[n++] = TI(BTF_KIND_DATASEC, 1, 0); ty[n++] = 4;
        ty[n++] = 2; ty[n++] = 0; ty[n++] = 4;
        break;
    default:
        break; /* the base kinds every BTF kernel knows */
    }
    return probe_blob(ty, n * 4, probe_strs, sizeof(probe_strs));
}

static pthread_mutex_t probe_lock = PTHREAD_MUTEX_INITIALIZER;
static int probed[EBPF_BTF_FEAT_FUNC_LINKAGE + 1]; /* 0 unknown, 1 yes, 2 no, -errno */

int ebpf_btf_kernel_supports(int kind)
{
    if (kind < 0 || kind > EBPF_BTF_FEAT_FUNC_LINKAGE)
        return -EINVAL;
    pthread_mutex_lock(&probe_lock);
    int r = probed[kind];
    if (!r) {
        int p = probe(kind);
        r = p == 1 ? 1 : p == 0 ? 2 : p;
        probed[kind] = r;
    }
    pthread_mutex_unlock(&probe_lock);
    if (r < 0)
        return ebpf_err(-r, "probe", "btf: can't probe kernel BTF support: %s", strerror(-r));
    return r == 1;
}

/* ---- sanitisation ---- */

/* Bits of kinds (1 << kind) the kernel lacks, plus 1 << 0 for func linkage. */
static uint32_t unsupported_mask(const struct ebpf_btf *b)
{
    uint32_t present = 0, mask = 0;
    bool global_func = false;
    for (uint32_t i = 0; i < b->nr; i++) {
        const struct btf_type *t = (const struct btf_type *)(b->types + b->idx[i].off);
        present |= 1u << btf_kind_of(t);
        if (btf_kind_of(t) == BTF_KIND_FUNC && btf_vlen_of(t) != BTF_FUNC_STATIC)
            global_func = true;
    }
    static const int kinds[] = {BTF_KIND_FLOAT, BTF_KIND_DECL_TAG, BTF_KIND_TYPE_TAG, BTF_KIND_ENUM64,
                                BTF_KIND_FUNC, BTF_KIND_VAR, BTF_KIND_DATASEC};
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if ((present & (1u << kinds[i])) && ebpf_btf_kernel_supports(kinds[i]) == 0)
            mask |= 1u << kinds[i];
    if (mask & (1u << BTF_KIND_FUNC))
        mask |= 1u << BTF_KIND_FUNC_PROTO;
    if (mask & (1u << BTF_KIND_VAR))
        mask |= 1u << BTF_KIND_DATASEC;
    if (global_func && !(mask & (1u << BTF_KIND_FUNC)) && ebpf_btf_kernel_supports(EBPF_BTF_FEAT_FUNC_LINKAGE) == 0)
        mask |= 1u;
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
    return btf_sanitize_raw(b, unsupported_mask(b), size);
}

int ebpf_btf_load(struct ebpf_btf *b, const struct ebpf_btf_load_opts *opts)
{
    if (b->fd >= 0)
        return b->fd;
    if (b->base && (b->base->is_kernel || b->base->base))
        return ebpf_err(ENOTSUP, "load", "btf: loading split BTF is not supported by BTF_LOAD");
    bool sanitize = !(opts && opts->no_sanitize);
    uint32_t level = opts ? opts->log_level : 0;
    size_t size;
    void *owned = NULL;
    const void *data;
    if (sanitize) {
        owned = ebpf_btf_sanitized_raw(b, &size);
        data = owned;
    } else {
        data = ebpf_btf_raw(b, &size);
    }
    if (!data)
        return -ENOMEM;
    int fd = level ? -EINVAL : sys_btf_load(data, size, NULL, 0, 0);
    char *log = NULL;
    if (level || fd < 0) {
        /* Retry with a log, growing it until the kernel's message fits. */
        uint32_t cap = 64 << 10;
        for (;;) {
            free(log);
            log = malloc(cap);
            if (!log) {
                fd = -ENOMEM;
                break;
            }
            log[0] = 0;
            fd = sys_btf_load(data, size, log, cap, level ? level : 1);
            if (fd != -ENOSPC || cap >= (1u << 30))
                break;
            cap *= 4;
        }
    }
    free(owned);
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
