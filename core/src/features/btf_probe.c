/* BTF probes: which BTF kinds BPF_BTF_LOAD accepts. Each probe loads a
 * tiny raw blob (an `int` plus the one kind under test) written here by a
 * small builder, so the probes do not depend on the BTF encoder. */
#include <errno.h>
#include <linux/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/sys.h"
#include "error_internal.h"
#include "features_internal.h"

/* String section shared by every blob; offsets below index into it. */
static const char strs[] = "\0int\0x\0s\0f\0.data\0tag\0float";
enum { S_INT = 1, S_X = 5, S_S = 7, S_F = 9, S_DATA = 11, S_TAG = 17, S_FLOAT = 21 };

struct blob {
    uint32_t w[64];
    int n;
};

static void put(struct blob *b, uint32_t v) { b->w[b->n++] = v; }
static uint32_t info(int kind, int vlen, int kflag)
{
    return ((uint32_t)kflag << 31) | ((uint32_t)kind << 24) | (uint32_t)vlen;
}
static void type(struct blob *b, uint32_t name, int kind, int vlen, uint32_t size_or_type)
{
    put(b, name);
    put(b, info(kind, vlen, 0));
    put(b, size_or_type);
}
/* [n] int "int", 4 bytes signed: every blob starts with it as type 1. */
static void int_type(struct blob *b)
{
    type(b, S_INT, BTF_KIND_INT, 0, 4);
    put(b, (BTF_INT_SIGNED << 24) | 32);
}

/* Appends the kind under test (and what it needs) after `int` (id 1). */
static int build(struct blob *b, int kind, int func_linkage)
{
    int_type(b);
    switch (kind) {
    case BTF_KIND_INT: break;
    case BTF_KIND_PTR:
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST:
        type(b, kind == BTF_KIND_TYPEDEF ? S_S : 0, kind, 0, 1);
        break;
    case BTF_KIND_RESTRICT: /* restrict qualifies a pointer */
        type(b, 0, BTF_KIND_PTR, 0, 1);
        type(b, 0, BTF_KIND_RESTRICT, 0, 2);
        break;
    case BTF_KIND_ARRAY:
        type(b, 0, BTF_KIND_ARRAY, 0, 0);
        put(b, 1); put(b, 1); put(b, 2); /* elem type, index type, nelems */
        break;
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
        type(b, S_S, kind, 1, 4);
        put(b, S_X); put(b, 1); put(b, 0); /* member x: int at bit 0 */
        break;
    case BTF_KIND_ENUM:
        type(b, S_S, BTF_KIND_ENUM, 1, 4);
        put(b, S_X); put(b, 0);
        break;
    case BTF_KIND_FWD: type(b, S_S, BTF_KIND_FWD, 0, 0); break;
    case BTF_KIND_FUNC_PROTO:
        type(b, 0, BTF_KIND_FUNC_PROTO, 1, 1);
        put(b, 0); put(b, 1); /* one int parameter */
        break;
    case BTF_KIND_FUNC:
        type(b, 0, BTF_KIND_FUNC_PROTO, 1, 1);
        put(b, S_X); put(b, 1);
        type(b, S_F, BTF_KIND_FUNC, func_linkage, 2);
        break;
    case BTF_KIND_VAR:
        type(b, S_X, BTF_KIND_VAR, 0, 1);
        put(b, BTF_VAR_GLOBAL_ALLOCATED);
        break;
    case BTF_KIND_DATASEC:
        type(b, S_X, BTF_KIND_VAR, 0, 1);
        put(b, BTF_VAR_GLOBAL_ALLOCATED);
        type(b, S_DATA, BTF_KIND_DATASEC, 1, 4);
        put(b, 2); put(b, 0); put(b, 4); /* var 2 at offset 0, 4 bytes */
        break;
    case BTF_KIND_FLOAT: type(b, S_FLOAT, BTF_KIND_FLOAT, 0, 4); break;
    case BTF_KIND_DECL_TAG:
        type(b, S_S, BTF_KIND_STRUCT, 1, 4);
        put(b, S_X); put(b, 1); put(b, 0);
        type(b, S_TAG, BTF_KIND_DECL_TAG, 0, 2);
        put(b, (uint32_t)-1); /* tags the struct itself */
        break;
    case BTF_KIND_TYPE_TAG:
        type(b, S_TAG, BTF_KIND_TYPE_TAG, 0, 1);
        type(b, 0, BTF_KIND_PTR, 0, 2);
        break;
    case BTF_KIND_ENUM64:
        type(b, S_S, BTF_KIND_ENUM64, 1, 8);
        put(b, S_X); put(b, 0); put(b, 1); /* x = 1 << 32 */
        break;
    default: return -1;
    }
    return 0;
}

/* Loads the blob; returns the BTF fd or -errno, log in `log`. */
static int btf_load(const struct blob *b, char *log, uint32_t log_size)
{
    size_t tlen = (size_t)b->n * 4;
    size_t size = sizeof(struct btf_header) + tlen + sizeof(strs);
    unsigned char *raw = calloc(1, size);
    if (!raw)
        return -ENOMEM;
    struct btf_header h = {
        .magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h),
        .type_off = 0, .type_len = (uint32_t)tlen, .str_off = (uint32_t)tlen, .str_len = sizeof(strs),
    };
    memcpy(raw, &h, sizeof(h));
    memcpy(raw + sizeof(h), b->w, tlen);
    memcpy(raw + sizeof(h) + tlen, strs, sizeof(strs));
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.btf = ebpf_ptr(raw);
    a.btf_size = (uint32_t)size;
    if (log) {
        log[0] = 0;
        a.btf_log_buf = ebpf_ptr(log);
        a.btf_log_size = log_size;
        a.btf_log_level = 1;
    }
    int fd = feat_bpf(BPF_BTF_LOAD, &a, EBPF_ATTR_SIZE(btf_log_level));
    free(raw);
    return fd;
}

int feat_btf_int_fd(void)
{
    struct blob b = {.n = 0};
    int_type(&b);
    return btf_load(&b, NULL, 0);
}

static int classify(struct feat_result *r, const struct blob *b, const char *what)
{
    char log[4096] = {0}, line[160], buf[256]; /* zeroed for memory checkers */
    int fd = btf_load(b, log, sizeof(log));
    if (fd >= 0) {
        close(fd);
        return feat_set(r, EBPF_FEATURE_SUPPORTED, "", 0);
    }
    if (fd == -EPERM || fd == -EACCES)
        return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, feat_eperm_reason, 0);
    if (fd == -EINVAL) {
        /* The blob is valid for any kernel that knows the kind. */
        snprintf(buf, sizeof(buf), "kernel rejects %s: %s", what,
                 log[0] ? feat_log_last_line(log, line, sizeof(line)) : "EINVAL");
        return feat_set(r, EBPF_FEATURE_UNSUPPORTED, buf, 1);
    }
    if (fd == -ENOSYS || fd == -EOPNOTSUPP || fd == -FEAT_ENOTSUPP)
        return feat_set(r, EBPF_FEATURE_UNSUPPORTED, "kernel has no BPF_BTF_LOAD", 0);
    snprintf(buf, sizeof(buf), "BTF load failed: %s (%s)", strerror(-fd), ebpf_errno_name(-fd));
    return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, buf, 1);
}

struct kind_name { const char *name; int kind; };
static const struct kind_name kinds[] = {
    {"int", BTF_KIND_INT}, {"ptr", BTF_KIND_PTR}, {"array", BTF_KIND_ARRAY},
    {"struct", BTF_KIND_STRUCT}, {"union", BTF_KIND_UNION}, {"enum", BTF_KIND_ENUM},
    {"fwd", BTF_KIND_FWD}, {"typedef", BTF_KIND_TYPEDEF}, {"volatile", BTF_KIND_VOLATILE},
    {"const", BTF_KIND_CONST}, {"restrict", BTF_KIND_RESTRICT}, {"func", BTF_KIND_FUNC},
    {"func_proto", BTF_KIND_FUNC_PROTO}, {"var", BTF_KIND_VAR}, {"datasec", BTF_KIND_DATASEC},
    {"float", BTF_KIND_FLOAT}, {"decl_tag", BTF_KIND_DECL_TAG}, {"type_tag", BTF_KIND_TYPE_TAG},
    {"enum64", BTF_KIND_ENUM64},
};
#define NKINDS ((int)(sizeof(kinds) / sizeof(kinds[0])))

const char *ebpf_btf_kind_at(int i, int *kind)
{
    if (i < 0 || i >= NKINDS)
        return NULL;
    if (kind)
        *kind = kinds[i].kind;
    return kinds[i].name;
}

static struct feat_result kind_cache[32];

struct feat_result *feat_btf_kind_slot(const char *name)
{
    for (int i = 0; i < NKINDS; i++)
        if (!strcmp(kinds[i].name, name))
            return &kind_cache[kinds[i].kind];
    return NULL;
}

int ebpf_feature_btf_kind(int kind, const char **reason)
{
    const char *name = NULL;
    for (int i = 0; i < NKINDS; i++)
        if (kinds[i].kind == kind)
            name = kinds[i].name;
    if (!name)
        return ebpf_err(EINVAL, "probe", "feature probe: unknown BTF kind %d", kind);
    feat_lock();
    int st = feat_get(&kind_cache[kind], reason);
    if (st < 0) {
        struct blob b = {.n = 0};
        build(&b, kind, BTF_FUNC_STATIC);
        char what[64];
        snprintf(what, sizeof(what), "BTF kind %s", name);
        st = classify(&kind_cache[kind], &b, what);
        if (reason)
            *reason = kind_cache[kind].reason;
    }
    feat_unlock();
    return st;
}

/* Called by the named-feature table with the lock held. */
int feat_btf_func_global(struct feat_result *r)
{
    struct blob b = {.n = 0};
    build(&b, BTF_KIND_FUNC, BTF_FUNC_GLOBAL);
    return classify(r, &b, "global function linkage");
}
