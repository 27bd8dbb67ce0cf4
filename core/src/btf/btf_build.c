/* The BTF builder: appending types with deduplicated strings, in place
 * edits, and the raw blob writer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "btf_internal.h"
#include "error_internal.h"

static int grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    char *n = realloc(*buf, c);
    if (!n)
        return -ENOMEM;
    *buf = n;
    *cap = c;
    return 0;
}

static void invalidate(struct ebpf_btf *b)
{
    free(b->raw);
    b->raw = NULL;
    b->raw_size = 0;
}

int btf_make_writable(struct ebpf_btf *b)
{
    if (b->writable)
        return 0;
    if (b->cached)
        return ebpf_err(EPERM, "btf", "btf: the shared kernel BTF is read-only");
    size_t tcap = b->types_len + 256, scap = b->strs_len + 256;
    char *wt = malloc(tcap), *ws = malloc(scap);
    if (!wt || !ws) {
        free(wt);
        free(ws);
        return ebpf_err(ENOMEM, "btf", "btf: out of memory");
    }
    if (b->types_len)
        memcpy(wt, b->types, b->types_len);
    if (b->strs_len)
        memcpy(ws, b->strs, b->strs_len);
    if (!b->base && b->strs_len == 0) {
        ws[0] = 0;
        b->strs_len = 1;
    }
    if (b->storage == BTF_STORE_MALLOC)
        free(b->blob);
    else if (b->storage == BTF_STORE_MMAP)
        munmap(b->blob, b->blob_size);
    b->blob = NULL;
    b->blob_size = 0;
    b->storage = BTF_STORE_NONE;
    b->wtypes = wt;
    b->wtypes_cap = tcap;
    b->wstrs = ws;
    b->wstrs_cap = scap;
    b->types = wt;
    b->strs = ws;
    if (btf_index_to_heap(b, b->nr + 64) < 0)
        return ebpf_err(ENOMEM, "btf", "btf: out of memory");
    b->writable = true;
    invalidate(b);
    return 0;
}

/* ---- strings ---- */

static uint32_t str_hash(const char *s)
{
    return btf_name_hash(s, NULL);
}

static int strtab_insert(struct ebpf_btf *b, uint32_t local)
{
    uint32_t mask = b->snbuckets - 1;
    uint32_t h = str_hash(b->wstrs + local) & mask;
    while (b->sbuckets[h])
        h = (h + 1) & mask;
    b->sbuckets[h] = local + 1;
    b->snused++;
    return 0;
}

static int strtab_rebuild(struct ebpf_btf *b, uint32_t want)
{
    uint32_t n = 256;
    while (n < want * 2)
        n <<= 1;
    free(b->sbuckets);
    b->sbuckets = calloc(n, sizeof(uint32_t));
    if (!b->sbuckets)
        return -ENOMEM;
    b->snbuckets = n;
    b->snused = 0;
    /* Index every own string (they are NUL-separated). */
    for (uint32_t off = 0; off < b->strs_len;) {
        size_t l = strlen(b->wstrs + off);
        if (l)
            strtab_insert(b, off);
        off += (uint32_t)l + 1;
    }
    return 0;
}

int64_t ebpf_btf_add_str(struct ebpf_btf *b, const char *s)
{
    if (!s || !*s)
        return 0;
    int r = btf_make_writable(b);
    if (r < 0)
        return r;
    if (!b->sbuckets || (b->snused + 1) * 2 > b->snbuckets) {
        if (strtab_rebuild(b, b->snused + 64 > b->strs_len / 4 ? b->snused + 64 : b->strs_len / 4) < 0)
            return ebpf_err(ENOMEM, "btf", "btf: out of memory");
    }
    uint32_t mask = b->snbuckets - 1;
    for (uint32_t h = str_hash(s) & mask; b->sbuckets[h]; h = (h + 1) & mask) {
        uint32_t off = b->sbuckets[h] - 1;
        if (!strcmp(b->wstrs + off, s))
            return (int64_t)b->start_str + off;
    }
    size_t l = strlen(s);
    if ((uint64_t)b->start_str + b->strs_len + l + 1 > BTF_MAX_NAME_OFFSET)
        return ebpf_err(E2BIG, "btf", "btf: string section full");
    if (grow(&b->wstrs, &b->wstrs_cap, b->strs_len + l + 1) < 0)
        return ebpf_err(ENOMEM, "btf", "btf: out of memory");
    b->strs = b->wstrs;
    uint32_t off = b->strs_len;
    memcpy(b->wstrs + off, s, l + 1);
    b->strs_len += (uint32_t)l + 1;
    strtab_insert(b, off);
    invalidate(b);
    return (int64_t)b->start_str + off;
}

/* ---- types ---- */

int64_t btf_append(struct ebpf_btf *b, const struct btf_type *t, const void *extra, size_t extra_len)
{
    int r = btf_make_writable(b);
    if (r < 0)
        return r;
    if ((uint64_t)b->start_id + b->nr >= BTF_MAX_TYPE)
        return ebpf_err(E2BIG, "btf", "btf: too many types");
    if (b->nr >= b->idx_cap) {
        uint32_t nc = b->idx_cap * 2;
        struct btf_idx *ni = realloc(b->idx, (size_t)nc * sizeof(*ni));
        if (!ni)
            return ebpf_err(ENOMEM, "btf", "btf: out of memory");
        b->idx = ni;
        b->idx_cap = nc;
    }
    size_t need = b->types_len + sizeof(*t) + extra_len;
    if (need > UINT32_MAX / 2 || grow(&b->wtypes, &b->wtypes_cap, need) < 0)
        return ebpf_err(ENOMEM, "btf", "btf: out of memory");
    b->types = b->wtypes;
    memcpy(b->wtypes + b->types_len, t, sizeof(*t));
    if (extra_len)
        memcpy(b->wtypes + b->types_len + sizeof(*t), extra, extra_len);
    b->idx[b->nr].off = b->types_len;
    b->types_len += (uint32_t)(sizeof(*t) + extra_len);
    b->nr++;
    if (btf_index_add(b, b->nr - 1) < 0)
        return ebpf_err(ENOMEM, "btf", "btf: out of memory");
    b->last = b->start_id + b->nr - 1;
    invalidate(b);
    return b->last;
}

static int64_t add_simple(struct ebpf_btf *b, const char *name, uint32_t kind, uint32_t vlen, bool kflag,
                          uint32_t size_type, const void *extra, size_t extra_len)
{
    int64_t no = ebpf_btf_add_str(b, name);
    if (no < 0)
        return no;
    struct btf_type t;
    t.name_off = (uint32_t)no;
    t.info = (kind << 24) | (vlen & 0xffff) | ((uint32_t)kflag << 31);
    t.size = size_type;
    return btf_append(b, &t, extra, extra_len);
}

int64_t ebpf_btf_add_int(struct ebpf_btf *b, const char *name, uint32_t size, uint32_t encoding)
{
    if (!name || !*name)
        return ebpf_err(EINVAL, "btf", "btf: an int needs a name");
    if (size != 1 && size != 2 && size != 4 && size != 8 && size != 16)
        return ebpf_err(EINVAL, "btf", "btf: int '%s': bad size %u", name, size);
    if (encoding & ~(uint32_t)(BTF_INT_SIGNED | BTF_INT_CHAR | BTF_INT_BOOL))
        return ebpf_err(EINVAL, "btf", "btf: int '%s': bad encoding 0x%x", name, encoding);
    uint32_t v = (encoding << 24) | (size * 8);
    return add_simple(b, name, BTF_KIND_INT, 0, false, size, &v, 4);
}

int64_t ebpf_btf_add_float(struct ebpf_btf *b, const char *name, uint32_t size)
{
    if (!name || !*name || (size != 2 && size != 4 && size != 8 && size != 12 && size != 16))
        return ebpf_err(EINVAL, "btf", "btf: float needs a name and a size of 2, 4, 8, 12 or 16");
    return add_simple(b, name, BTF_KIND_FLOAT, 0, false, size, NULL, 0);
}

int64_t ebpf_btf_add_ptr(struct ebpf_btf *b, uint32_t type)
{
    return add_simple(b, NULL, BTF_KIND_PTR, 0, false, type, NULL, 0);
}

int64_t ebpf_btf_add_array(struct ebpf_btf *b, uint32_t elem, uint32_t index_type, uint32_t nelems)
{
    struct btf_array a = {.type = elem, .index_type = index_type, .nelems = nelems};
    return add_simple(b, NULL, BTF_KIND_ARRAY, 0, false, 0, &a, sizeof(a));
}

int64_t ebpf_btf_add_struct(struct ebpf_btf *b, const char *name, uint32_t size)
{
    return add_simple(b, name, BTF_KIND_STRUCT, 0, false, size, NULL, 0);
}

int64_t ebpf_btf_add_union(struct ebpf_btf *b, const char *name, uint32_t size)
{
    return add_simple(b, name, BTF_KIND_UNION, 0, false, size, NULL, 0);
}

/* The last added type, if it is of one of the given kinds and is the
 * last record (so its trailing array can grow). */
static struct btf_type *last_of(struct ebpf_btf *b, uint32_t k1, uint32_t k2, const char *what)
{
    if (!b->writable || !b->last || b->last != b->start_id + b->nr - 1) {
        ebpf_err(EINVAL, "btf", "btf: no %s to add to", what);
        return NULL;
    }
    struct btf_type *t = (struct btf_type *)(b->wtypes + b->idx[b->nr - 1].off);
    uint32_t k = btf_kind_of(t);
    if (k != k1 && k != k2) {
        ebpf_err(EINVAL, "btf", "btf: the last added type is not a %s", what);
        return NULL;
    }
    if (btf_vlen_of(t) == BTF_MAX_VLEN) {
        ebpf_err(E2BIG, "btf", "btf: %s has too many entries", what);
        return NULL;
    }
    return t;
}

static int append_extra(struct ebpf_btf *b, const void *rec, size_t len)
{
    if (grow(&b->wtypes, &b->wtypes_cap, b->types_len + len) < 0)
        return ebpf_err(ENOMEM, "btf", "btf: out of memory");
    b->types = b->wtypes;
    memcpy(b->wtypes + b->types_len, rec, len);
    b->types_len += (uint32_t)len;
    struct btf_type *t = (struct btf_type *)(b->wtypes + b->idx[b->nr - 1].off);
    t->info = (t->info & ~0xffffu) | ((btf_vlen_of(t) + 1) & 0xffff);
    invalidate(b);
    return 0;
}

int ebpf_btf_add_member(struct ebpf_btf *b, const char *name, uint32_t type, uint32_t bit_offset,
                        uint32_t bitfield_size)
{
    if (!last_of(b, BTF_KIND_STRUCT, BTF_KIND_UNION, "struct or union"))
        return -EINVAL;
    if (bitfield_size > 255 || (bitfield_size && bit_offset > 0xffffff))
        return ebpf_err(EINVAL, "btf", "btf: member '%s': bad bitfield", name ? name : "");
    int64_t no = ebpf_btf_add_str(b, name);
    if (no < 0)
        return (int)no;
    struct btf_type *t = (struct btf_type *)(b->wtypes + b->idx[b->nr - 1].off);
    if (bitfield_size && !btf_kflag_of(t)) {
        /* Switch the struct to the kflag encoding for bitfields. */
        struct btf_member *m = (struct btf_member *)(t + 1);
        for (uint32_t i = 0; i < btf_vlen_of(t); i++)
            if (m[i].offset > 0xffffff)
                return ebpf_err(EINVAL, "btf", "btf: member offset too large for bitfields");
        t->info |= 1u << 31;
    }
    struct btf_member m = {.name_off = (uint32_t)no, .type = type,
                           .offset = btf_kflag_of(t) ? (bitfield_size << 24) | bit_offset : bit_offset};
    return append_extra(b, &m, sizeof(m));
}

int64_t ebpf_btf_add_enum(struct ebpf_btf *b, const char *name, uint32_t size, bool is_signed)
{
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return ebpf_err(EINVAL, "btf", "btf: enum: bad size %u", size);
    return add_simple(b, name, BTF_KIND_ENUM, 0, is_signed, size, NULL, 0);
}

int64_t ebpf_btf_add_enum64(struct ebpf_btf *b, const char *name, uint32_t size, bool is_signed)
{
    if (size != 1 && size != 2 && size != 4 && size != 8)
        return ebpf_err(EINVAL, "btf", "btf: enum64: bad size %u", size);
    return add_simple(b, name, BTF_KIND_ENUM64, 0, is_signed, size, NULL, 0);
}

int ebpf_btf_add_enum_value(struct ebpf_btf *b, const char *name, int64_t value)
{
    struct btf_type *t = last_of(b, BTF_KIND_ENUM, BTF_KIND_ENUM64, "enum");
    if (!t)
        return -EINVAL;
    if (!name || !*name)
        return ebpf_err(EINVAL, "btf", "btf: an enumerator needs a name");
    bool is64 = btf_kind_of(t) == BTF_KIND_ENUM64;
    if (!is64 && (value < INT32_MIN || value > UINT32_MAX))
        return ebpf_err(ERANGE, "btf", "btf: enumerator '%s' does not fit 32 bits", name);
    int64_t no = ebpf_btf_add_str(b, name);
    if (no < 0)
        return (int)no;
    if (is64) {
        struct btf_enum64 e = {.name_off = (uint32_t)no, .val_lo32 = (uint32_t)value,
                               .val_hi32 = (uint32_t)((uint64_t)value >> 32)};
        return append_extra(b, &e, sizeof(e));
    }
    struct btf_enum e = {.name_off = (uint32_t)no, .val = (int32_t)(uint32_t)value};
    return append_extra(b, &e, sizeof(e));
}

int64_t ebpf_btf_add_fwd(struct ebpf_btf *b, const char *name, int fwd_kind)
{
    if (!name || !*name)
        return ebpf_err(EINVAL, "btf", "btf: a forward declaration needs a name");
    if (fwd_kind == BTF_KIND_ENUM)
        return add_simple(b, name, BTF_KIND_ENUM, 0, false, 4, NULL, 0);
    if (fwd_kind != BTF_KIND_STRUCT && fwd_kind != BTF_KIND_UNION)
        return ebpf_err(EINVAL, "btf", "btf: fwd '%s': kind must be struct, union or enum", name);
    return add_simple(b, name, BTF_KIND_FWD, 0, fwd_kind == BTF_KIND_UNION, 0, NULL, 0);
}

int64_t ebpf_btf_add_typedef(struct ebpf_btf *b, const char *name, uint32_t type)
{
    if (!name || !*name)
        return ebpf_err(EINVAL, "btf", "btf: a typedef needs a name");
    return add_simple(b, name, BTF_KIND_TYPEDEF, 0, false, type, NULL, 0);
}

int64_t ebpf_btf_add_volatile(struct ebpf_btf *b, uint32_t type)
{
    return add_simple(b, NULL, BTF_KIND_VOLATILE, 0, false, type, NULL, 0);
}

int64_t ebpf_btf_add_const(struct ebpf_btf *b, uint32_t type)
{
    return add_simple(b, NULL, BTF_KIND_CONST, 0, false, type, NULL, 0);
}

int64_t ebpf_btf_add_restrict(struct ebpf_btf *b, uint32_t type)
{
    return add_simple(b, NULL, BTF_KIND_RESTRICT, 0, false, type, NULL, 0);
}

int64_t ebpf_btf_add_type_tag(struct ebpf_btf *b, const char *value, uint32_t type)
{
    if (!value || !*value)
        return ebpf_err(EINVAL, "btf", "btf: a type tag needs a value");
    return add_simple(b, value, BTF_KIND_TYPE_TAG, 0, false, type, NULL, 0);
}

int64_t ebpf_btf_add_func(struct ebpf_btf *b, const char *name, uint32_t proto, int linkage)
{
    if (!name || !*name || linkage < 0 || linkage > BTF_FUNC_EXTERN)
        return ebpf_err(EINVAL, "btf", "btf: func needs a name and a linkage 0..2");
    return add_simple(b, name, BTF_KIND_FUNC, (uint32_t)linkage, false, proto, NULL, 0);
}

int64_t ebpf_btf_add_func_proto(struct ebpf_btf *b, uint32_t ret)
{
    return add_simple(b, NULL, BTF_KIND_FUNC_PROTO, 0, false, ret, NULL, 0);
}

int ebpf_btf_add_param(struct ebpf_btf *b, const char *name, uint32_t type)
{
    if (!last_of(b, BTF_KIND_FUNC_PROTO, BTF_KIND_FUNC_PROTO, "func_proto"))
        return -EINVAL;
    int64_t no = ebpf_btf_add_str(b, name);
    if (no < 0)
        return (int)no;
    struct btf_param p = {.name_off = (uint32_t)no, .type = type};
    return append_extra(b, &p, sizeof(p));
}

int64_t ebpf_btf_add_var(struct ebpf_btf *b, const char *name, uint32_t type, int linkage)
{
    if (!name || !*name || linkage < 0 || linkage > BTF_VAR_GLOBAL_EXTERN)
        return ebpf_err(EINVAL, "btf", "btf: var needs a name and a linkage 0..2");
    struct btf_var v = {.linkage = (uint32_t)linkage};
    return add_simple(b, name, BTF_KIND_VAR, 0, false, type, &v, sizeof(v));
}

int64_t ebpf_btf_add_datasec(struct ebpf_btf *b, const char *name, uint32_t size)
{
    if (!name || !*name)
        return ebpf_err(EINVAL, "btf", "btf: a datasec needs a name");
    return add_simple(b, name, BTF_KIND_DATASEC, 0, false, size, NULL, 0);
}

int ebpf_btf_add_datasec_var(struct ebpf_btf *b, uint32_t var, uint32_t offset, uint32_t size)
{
    if (!last_of(b, BTF_KIND_DATASEC, BTF_KIND_DATASEC, "datasec"))
        return -EINVAL;
    struct btf_var_secinfo v = {.type = var, .offset = offset, .size = size};
    return append_extra(b, &v, sizeof(v));
}

int64_t ebpf_btf_add_decl_tag(struct ebpf_btf *b, const char *value, uint32_t type, int32_t component)
{
    if (!value || !*value || component < -1)
        return ebpf_err(EINVAL, "btf", "btf: decl_tag needs a value and a component >= -1");
    struct btf_decl_tag d = {.component_idx = component};
    return add_simple(b, value, BTF_KIND_DECL_TAG, 0, false, type, &d, sizeof(d));
}

struct btf_type *ebpf_btf_type_mut(struct ebpf_btf *b, uint32_t id)
{
    if (id < b->start_id || id - b->start_id >= b->nr) {
        ebpf_err(EINVAL, "btf", "btf: type %u is not one of this BTF's own types", id);
        return NULL;
    }
    if (btf_make_writable(b) < 0)
        return NULL;
    invalidate(b);
    return (struct btf_type *)(b->wtypes + b->idx[id - b->start_id].off);
}

/* ---- raw blob ---- */

const void *ebpf_btf_raw(const struct ebpf_btf *cb, size_t *size)
{
    struct ebpf_btf *b = (struct ebpf_btf *)cb; /* cache only */
    if (!b->writable && b->blob) {
        *size = b->blob_size;
        return b->blob;
    }
    if (!b->raw) {
        struct btf_header h = {.magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h),
                               .type_off = 0, .type_len = b->types_len,
                               .str_off = b->types_len, .str_len = b->strs_len};
        size_t n = sizeof(h) + b->types_len + b->strs_len;
        char *r = malloc(n);
        if (!r) {
            ebpf_err(ENOMEM, "btf", "btf: out of memory");
            *size = 0;
            return NULL;
        }
        memcpy(r, &h, sizeof(h));
        if (b->types_len)
            memcpy(r + sizeof(h), b->types, b->types_len);
        if (b->strs_len)
            memcpy(r + sizeof(h) + b->types_len, b->strs, b->strs_len);
        b->raw = r;
        b->raw_size = n;
    }
    *size = b->raw_size;
    return b->raw;
}
