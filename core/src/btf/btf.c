/* BTF parsing, validation, the offset and name indexes, and accessors.
 * The parse is one pass over the type section: each record is bounds- and
 * kind-checked, its offset recorded and its name hashed into the index;
 * referenced type ids are checked against the final count at the end. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btf_internal.h"
#include "ebpf/sys.h"
#include "error_internal.h"

static const char *const kind_names[] = {
    [BTF_KIND_UNKN] = "void",       [BTF_KIND_INT] = "int",         [BTF_KIND_PTR] = "ptr",
    [BTF_KIND_ARRAY] = "array",     [BTF_KIND_STRUCT] = "struct",   [BTF_KIND_UNION] = "union",
    [BTF_KIND_ENUM] = "enum",       [BTF_KIND_FWD] = "fwd",         [BTF_KIND_TYPEDEF] = "typedef",
    [BTF_KIND_VOLATILE] = "volatile", [BTF_KIND_CONST] = "const",   [BTF_KIND_RESTRICT] = "restrict",
    [BTF_KIND_FUNC] = "func",       [BTF_KIND_FUNC_PROTO] = "func_proto", [BTF_KIND_VAR] = "var",
    [BTF_KIND_DATASEC] = "datasec", [BTF_KIND_FLOAT] = "float",     [BTF_KIND_DECL_TAG] = "decl_tag",
    [BTF_KIND_TYPE_TAG] = "type_tag", [BTF_KIND_ENUM64] = "enum64",
};
#define NKINDS ((int)(sizeof(kind_names) / sizeof(kind_names[0])))

const char *ebpf_btf_kind_name(int kind)
{
    return kind >= 0 && kind < NKINDS ? kind_names[kind] : NULL;
}

int ebpf_btf_kind_by_name(const char *name)
{
    if (!name)
        return -1;
    /* Common kinds first: this sits on lookup paths. */
    if (!strcmp(name, "struct"))
        return BTF_KIND_STRUCT;
    if (!strcmp(name, "typedef"))
        return BTF_KIND_TYPEDEF;
    for (int k = 0; k < NKINDS; k++)
        if (!strcmp(kind_names[k], name))
            return k;
    return -1;
}

static inline long extra_size(uint32_t info)
{
    uint32_t vlen = BTF_INFO_VLEN(info);
    switch (BTF_INFO_KIND(info)) {
    case BTF_KIND_INT: return 4;
    case BTF_KIND_PTR: case BTF_KIND_FWD: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST: case BTF_KIND_RESTRICT: case BTF_KIND_FUNC: case BTF_KIND_FLOAT:
    case BTF_KIND_TYPE_TAG:
        return 0;
    case BTF_KIND_ARRAY: return sizeof(struct btf_array);
    case BTF_KIND_STRUCT: case BTF_KIND_UNION: return (long)vlen * sizeof(struct btf_member);
    case BTF_KIND_ENUM: return (long)vlen * sizeof(struct btf_enum);
    case BTF_KIND_FUNC_PROTO: return (long)vlen * sizeof(struct btf_param);
    case BTF_KIND_VAR: return sizeof(struct btf_var);
    case BTF_KIND_DATASEC: return (long)vlen * sizeof(struct btf_var_secinfo);
    case BTF_KIND_DECL_TAG: return sizeof(struct btf_decl_tag);
    case BTF_KIND_ENUM64: return (long)vlen * sizeof(struct btf_enum64);
    default: return -1;
    }
}

long btf_extra_size(uint32_t info) { return extra_size(info); }

/* ---- name hash: 8-byte chunks, last one zero-padded ---- */

static inline uint32_t mix(uint64_t h, uint64_t w)
{
    h = (h ^ w) * 0x9E3779B97F4A7C15ull;
    return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

/* s is NUL-terminated before end (or end is NULL: trusted). */
uint32_t btf_name_hash(const char *s, const char *end)
{
    uint64_t h = 0x12345678u;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (;;) {
        uint64_t w;
        if (end && end - s < 8)
            break;
        if (!end) {
            /* Trusted query string: no over-read past its NUL. */
            size_t n = strnlen(s, 8);
            if (n < 8)
                break;
        }
        memcpy(&w, s, 8);
        uint64_t z = (w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull;
        if (z) {
            unsigned idx = (unsigned)__builtin_ctzll(z) / 8;
            w &= idx ? (~0ull >> (64 - 8 * idx)) : 0;
            return mix(h, w);
        }
        h = mix(h, w) + 0x51;
        s += 8;
    }
#endif
    for (;;) {
        unsigned char c[8] = {0};
        int i = 0;
        for (; i < 8 && s[i]; i++)
            c[i] = (unsigned char)s[i];
        uint64_t w;
        memcpy(&w, c, 8);
        if (i < 8)
            return mix(h, w);
        h = mix(h, w) + 0x51;
        s += 8;
    }
}

/* ---- strings ---- */

const char *ebpf_btf_str(const struct ebpf_btf *b, uint32_t off)
{
    if (!b)
        return NULL;
    while (off < b->start_str) {
        b = b->base;
        if (!b)
            return NULL;
    }
    off -= b->start_str;
    if (off >= b->strs_len)
        return NULL;
    return b->strs + off;
}

static inline uint32_t total_strs(const struct ebpf_btf *b) { return b->start_str + b->strs_len; }

/* ---- name index ---- */

/* idx[].next: low 21 bits link (1 + index, ids < 2^20), high 11 bits the
 * entry's own hash tag so that chain walks rarely touch type records. */
#define LINK_MASK ((1u << 21) - 1)

static inline void index_put(struct btf_idx *idx, uint32_t *buckets, uint32_t nbuckets, uint32_t i, uint32_t h)
{
    uint32_t *slot = &buckets[h & (nbuckets - 1)];
    idx[i].next = (h & ~LINK_MASK) | *slot; /* high hash bits: a tag */
    *slot = i + 1;
}

static uint32_t pow2_at_least(uint32_t want)
{
    uint32_t n = 64;
    while (n < want && n < (1u << 30))
        n <<= 1;
    return n;
}

/* The parse's offset index in one anonymous mapping, with room in front
 * for the name buckets that lazy_index may fill later (untouched pages
 * cost nothing). When large, 2 MiB aligned with transparent huge pages so
 * that filling it costs a couple of faults instead of hundreds, and the
 * buckets share the index's huge page. */
static int index_alloc_parse(struct ebpf_btf *b, uint32_t cap, uint32_t nbuckets)
{
    size_t bsz = (size_t)nbuckets * sizeof(uint32_t);
    size_t total = bsz + (size_t)cap * sizeof(struct btf_idx);
    const size_t huge = 2u << 20;
    char *p;
    size_t mapsz;
    if (total >= huge / 2) {
        mapsz = (total + huge - 1) & ~(huge - 1);
        char *raw = mmap(NULL, mapsz + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (raw == MAP_FAILED)
            return -ENOMEM;
        p = (char *)(((uintptr_t)raw + huge - 1) & ~(uintptr_t)(huge - 1));
        if (p > raw)
            munmap(raw, (size_t)(p - raw));
        size_t tail = (size_t)(raw + mapsz + huge - (p + mapsz));
        if (tail)
            munmap(p + mapsz, tail);
#ifdef MADV_HUGEPAGE
        madvise(p, mapsz, MADV_HUGEPAGE);
#endif
    } else {
        mapsz = total ? total : 1;
        p = mmap(NULL, mapsz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return -ENOMEM;
    }
    b->idx_map = p;
    b->idx_map_size = mapsz;
    b->map_buckets = (uint32_t *)p;
    b->map_nbuckets = nbuckets;
    b->idx = (struct btf_idx *)(p + bsz);
    b->idx_cap = cap;
    return 0;
}

static void index_free(struct ebpf_btf *b)
{
    if (b->buckets != b->map_buckets)
        free(b->buckets);
    if (b->idx_map)
        munmap(b->idx_map, b->idx_map_size);
    else
        free(b->idx);
    b->idx_map = NULL;
    b->idx = NULL;
    b->buckets = b->map_buckets = NULL;
    b->idx_cap = b->nbuckets = 0;
}

static int rehash(struct ebpf_btf *b, uint32_t want)
{
    uint32_t n = pow2_at_least(want);
    uint32_t *nb = calloc(n, sizeof(uint32_t));
    if (!nb)
        return -ENOMEM;
    if (b->buckets != b->map_buckets)
        free(b->buckets);
    b->buckets = nb;
    b->nbuckets = n;
    for (uint32_t j = 0; j < b->nr; j++) {
        const struct btf_type *tj = (const struct btf_type *)(b->types + b->idx[j].off);
        const char *s = ebpf_btf_str(b, tj->name_off);
        if (tj->name_off && s && *s)
            index_put(b->idx, b->buckets, b->nbuckets, j, btf_name_hash(s, NULL));
    }
    return 0;
}

int btf_index_to_heap(struct ebpf_btf *b, uint32_t cap)
{
    if (!b->idx_map && b->idx && b->idx_cap >= cap)
        return 0;
    if (cap < b->nr)
        cap = b->nr;
    struct btf_idx *ni = malloc((size_t)(cap ? cap : 1) * sizeof(*ni));
    if (!ni)
        return -ENOMEM;
    if (b->nr)
        memcpy(ni, b->idx, (size_t)b->nr * sizeof(*ni));
    if (b->idx_map) {
        if (b->buckets == b->map_buckets)
            b->buckets = NULL; /* about to be unmapped; rehash rebuilds */
        munmap(b->idx_map, b->idx_map_size);
        b->idx_map = NULL;
        b->map_buckets = NULL;
    } else {
        free(b->idx);
    }
    b->idx = ni;
    b->idx_cap = cap;
    return rehash(b, b->nr + 64);
}

int btf_index_add(struct ebpf_btf *b, uint32_t i)
{
    if (i >= b->idx_cap || i >= b->nr)
        return -EINVAL;
    if (!b->buckets || b->nr > b->nbuckets * 2)
        return rehash(b, b->nr * 2);
    const struct btf_type *t = (const struct btf_type *)(b->types + b->idx[i].off);
    const char *s = ebpf_btf_str(b, t->name_off);
    if (t->name_off && s && *s)
        index_put(b->idx, b->buckets, b->nbuckets, i, btf_name_hash(s, NULL));
    return 0;
}

/* ---- parse ---- */

static void btf_release(struct ebpf_btf *b)
{
    if (b->storage == BTF_STORE_MALLOC)
        free(b->blob);
    else if (b->storage == BTF_STORE_MMAP)
        munmap(b->blob, b->blob_size);
    index_free(b);
    free(b->wtypes);
    free(b->wstrs);
    free(b->sbuckets);
    free(b->raw);
    if (b->fd >= 0)
        close(b->fd);
}

#define FAIL(...) do { ebpf_err(EINVAL, "parse", __VA_ARGS__); goto fail; } while (0)

struct ebpf_btf *btf_parse_blob(void *blob, size_t size, enum btf_storage storage, const struct ebpf_btf *base,
                                const char *what)
{
    struct ebpf_btf *b = calloc(1, sizeof(*b));
    if (!b) {
        if (storage == BTF_STORE_MALLOC)
            free(blob);
        else if (storage == BTF_STORE_MMAP)
            munmap(blob, size);
        return ebpf_err_null(ENOMEM, "parse", "btf %s: out of memory", what);
    }
    b->fd = -1;
    b->blob = blob;
    b->blob_size = size;
    b->storage = storage;
    b->base = base;
    b->start_id = base ? ebpf_btf_type_cnt(base) : 1;
    b->start_str = base ? total_strs(base) : 0;
    struct btf_header hdr;
    if (size < sizeof(hdr))
        FAIL("btf %s: %zu bytes, too short for a BTF header", what, size);
    if (btf_is_swapped(blob, size)) {
        /* other byte order (big-endian object): to host order on a private copy */
        if (storage != BTF_STORE_MALLOC) {
            void *copy = malloc(size);
            if (!copy) {
                ebpf_err(ENOMEM, "parse", "btf %s: out of memory", what);
                goto fail;
            }
            memcpy(copy, blob, size);
            if (storage == BTF_STORE_MMAP)
                munmap(blob, size);
            b->blob = blob = copy;
            b->storage = storage = BTF_STORE_MALLOC;
        }
        const char *why = NULL;
        if (btf_bswap(blob, size, &why) < 0)
            FAIL("btf %s: byte-swapped (big-endian) BTF: %s", what, why);
    }
    const unsigned char *p = blob;
    memcpy(&hdr, p, sizeof(hdr));
    if (hdr.magic != BTF_MAGIC)
        FAIL("btf %s: bad magic 0x%04x (not BTF)", what, hdr.magic);
    if (hdr.version != BTF_VERSION)
        FAIL("btf %s: unsupported BTF version %u", what, hdr.version);
    if (hdr.hdr_len < sizeof(hdr) || hdr.hdr_len > size)
        FAIL("btf %s: bad header length %u", what, hdr.hdr_len);
    /* A longer header is fine if the unknown tail is zero. */
    for (size_t i = sizeof(hdr); i < hdr.hdr_len; i++)
        if (p[i])
            FAIL("btf %s: unknown non-zero header fields", what);
    size_t data_len = size - hdr.hdr_len;
    if ((uint64_t)hdr.type_off + hdr.type_len > data_len || (uint64_t)hdr.str_off + hdr.str_len > data_len)
        FAIL("btf %s: type or string section out of bounds (%zu data bytes)", what, data_len);
    if (hdr.type_off % 4 || hdr.type_len % 4)
        FAIL("btf %s: type section not 4-byte aligned", what);
    if (hdr.type_off < hdr.str_off ? (uint64_t)hdr.type_off + hdr.type_len > hdr.str_off
                                   : (uint64_t)hdr.str_off + hdr.str_len > hdr.type_off)
        FAIL("btf %s: type and string sections overlap", what);
    if ((uint64_t)b->start_str + hdr.str_len > BTF_MAX_NAME_OFFSET + 1ull)
        FAIL("btf %s: string section too large", what);
    if (((uintptr_t)p + hdr.hdr_len + hdr.type_off) % 4)
        FAIL("btf %s: misaligned type section", what);
    b->types = (const char *)p + hdr.hdr_len + hdr.type_off;
    b->types_len = hdr.type_len;
    b->strs = (const char *)p + hdr.hdr_len + hdr.str_off;
    b->strs_len = hdr.str_len;
    if (!base && (hdr.str_len == 0 || b->strs[0]))
        FAIL("btf %s: string section must start with an empty string", what);
    if (hdr.str_len && b->strs[hdr.str_len - 1])
        FAIL("btf %s: string section not NUL-terminated", what);

    /* Upper bound on the count: the smallest record is 12 bytes. */
    uint32_t cap = hdr.type_len / sizeof(struct btf_type) + 1;
    /* Buckets: chains of ~2 keep the table cache-resident while filling. */
    if (index_alloc_parse(b, cap, pow2_at_least(cap / 8)) < 0) {
        ebpf_err(ENOMEM, "parse", "btf %s: out of memory", what);
        goto fail;
    }

    const uint32_t nstr = total_strs(b);
    uint32_t max_ref = 0, max_ref_at = 0;
    uint32_t n = 0, off = 0;
#define REF(x) do { uint32_t r_ = (x); if (r_ > max_ref) { max_ref = r_; max_ref_at = id; } } while (0)
#define NAME_OK(o) ((o) < nstr)
    while (off < hdr.type_len) {
        uint32_t id = b->start_id + n;
        if (id > BTF_MAX_TYPE)
            FAIL("btf %s: too many types", what);
        if (hdr.type_len - off < sizeof(struct btf_type))
            FAIL("btf %s: type %u truncated", what, id);
        const struct btf_type *t = (const struct btf_type *)(b->types + off);
        uint32_t kind = BTF_INFO_KIND(t->info), vlen = BTF_INFO_VLEN(t->info);
        long extra = extra_size(t->info);
        if (kind == BTF_KIND_UNKN || extra < 0)
            FAIL("btf %s: type %u has unknown kind %u", what, id, kind);
        if ((uint64_t)off + sizeof(*t) + (uint64_t)extra > hdr.type_len)
            FAIL("btf %s: type %u (%s) extends past the type section", what, id, kind_names[kind]);
        if (!NAME_OK(t->name_off))
            FAIL("btf %s: type %u: name offset %u out of bounds", what, id, t->name_off);
        if (t->info & 0x60ff0000u)
            FAIL("btf %s: type %u: reserved info bits set", what, id);
        const void *x = t + 1;
        switch (kind) {
        case BTF_KIND_INT: {
            uint32_t v;
            memcpy(&v, x, 4);
            uint32_t bits = BTF_INT_BITS(v), bo = BTF_INT_OFFSET(v), enc = BTF_INT_ENCODING(v);
            if (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8 && t->size != 16)
                FAIL("btf %s: int %u: bad size %u", what, id, t->size);
            if (bits == 0 || bits > 128 || bo + bits > t->size * 8u || (v & 0xf0000000u))
                FAIL("btf %s: int %u: bad bits %u / offset %u", what, id, bits, bo);
            if (enc & ~(uint32_t)(BTF_INT_SIGNED | BTF_INT_CHAR | BTF_INT_BOOL))
                FAIL("btf %s: int %u: bad encoding 0x%x", what, id, enc);
            if (vlen)
                FAIL("btf %s: int %u: non-zero vlen", what, id);
            break;
        }
        case BTF_KIND_FLOAT:
            if (t->size != 2 && t->size != 4 && t->size != 8 && t->size != 12 && t->size != 16)
                FAIL("btf %s: float %u: bad size %u", what, id, t->size);
            break;
        case BTF_KIND_PTR: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST:
        case BTF_KIND_RESTRICT: case BTF_KIND_TYPE_TAG: case BTF_KIND_FUNC:
            if (vlen && kind != BTF_KIND_FUNC)
                FAIL("btf %s: %s %u: non-zero vlen", what, kind_names[kind], id);
            if (kind == BTF_KIND_FUNC && vlen > BTF_FUNC_EXTERN)
                FAIL("btf %s: func %u: bad linkage %u", what, id, vlen);
            if (t->type == id)
                FAIL("btf %s: %s %u refers to itself", what, kind_names[kind], id);
            REF(t->type);
            break;
        case BTF_KIND_FWD:
            break;
        case BTF_KIND_ARRAY: {
            const struct btf_array *a = x;
            REF(a->type);
            REF(a->index_type);
            if (a->type == id)
                FAIL("btf %s: array %u contains itself", what, id);
            break;
        }
        case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
            const struct btf_member *m = x;
            for (uint32_t i = 0; i < vlen; i++) {
                if (!NAME_OK(m[i].name_off))
                    FAIL("btf %s: %s %u member %u: name offset out of bounds", what, kind_names[kind], id, i);
                if (m[i].type == id)
                    FAIL("btf %s: %s %u member %u contains its own type", what, kind_names[kind], id, i);
                REF(m[i].type);
                uint32_t bo = btf_kflag_of(t) ? BTF_MEMBER_BIT_OFFSET(m[i].offset) : m[i].offset;
                uint32_t bs = btf_kflag_of(t) ? BTF_MEMBER_BITFIELD_SIZE(m[i].offset) : 0;
                if ((uint64_t)bo + bs > (uint64_t)t->size * 8)
                    FAIL("btf %s: %s %u member %u: bit offset %u beyond size %u", what, kind_names[kind], id,
                         i, bo, t->size);
            }
            break;
        }
        case BTF_KIND_ENUM: {
            const struct btf_enum *e = x;
            /* size 0 only for a forward-declared enum (no values), which
             * clang emits and libbpf accepts */
            if (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8 && (t->size || vlen))
                FAIL("btf %s: enum %u: bad size %u", what, id, t->size);
            for (uint32_t i = 0; i < vlen; i++)
                if (!NAME_OK(e[i].name_off))
                    FAIL("btf %s: enum %u value %u: name offset out of bounds", what, id, i);
            break;
        }
        case BTF_KIND_ENUM64: {
            const struct btf_enum64 *e = x;
            if (t->size != 1 && t->size != 2 && t->size != 4 && t->size != 8)
                FAIL("btf %s: enum64 %u: bad size %u", what, id, t->size);
            for (uint32_t i = 0; i < vlen; i++)
                if (!NAME_OK(e[i].name_off))
                    FAIL("btf %s: enum64 %u value %u: name offset out of bounds", what, id, i);
            break;
        }
        case BTF_KIND_FUNC_PROTO: {
            const struct btf_param *pp = x;
            REF(t->type);
            for (uint32_t i = 0; i < vlen; i++) {
                if (!NAME_OK(pp[i].name_off))
                    FAIL("btf %s: func_proto %u param %u: name offset out of bounds", what, id, i);
                REF(pp[i].type);
            }
            break;
        }
        case BTF_KIND_VAR: {
            const struct btf_var *v = x;
            if (v->linkage > BTF_VAR_GLOBAL_EXTERN)
                FAIL("btf %s: var %u: bad linkage %u", what, id, v->linkage);
            REF(t->type);
            break;
        }
        case BTF_KIND_DATASEC: {
            const struct btf_var_secinfo *v = x;
            for (uint32_t i = 0; i < vlen; i++)
                REF(v[i].type);
            break;
        }
        case BTF_KIND_DECL_TAG: {
            const struct btf_decl_tag *d = x;
            if (d->component_idx < -1)
                FAIL("btf %s: decl_tag %u: bad component index %d", what, id, d->component_idx);
            REF(t->type);
            break;
        }
        }
        b->idx[n].off = off;
        n++;
        off += (uint32_t)(sizeof(*t) + (size_t)extra);
    }
    b->nr = n;
    if (n > BTF_MAX_TYPE || (uint64_t)b->start_id + n > BTF_MAX_TYPE + 1ull)
        FAIL("btf %s: too many types", what);
    if (max_ref >= b->start_id + n)
        FAIL("btf %s: type %u refers to type %u, beyond the last id %u", what, max_ref_at, max_ref,
             b->start_id + n - 1);
    return b;
fail:
    {
        int e = ebpf_error_errno();
        btf_release(b);
        free(b);
        errno = e ? e : EINVAL;
        return NULL;
    }
#undef REF
#undef NAME_OK
}


struct ebpf_btf *ebpf_btf_new(const void *data, size_t size, const struct ebpf_btf *base)
{
    if (!data && size)
        return ebpf_err_null(EINVAL, "parse", "btf: NULL data");
    if (size >= 4 && !memcmp(data, "\177ELF", 4)) {
        /* An ELF object in memory: its .BTF section. libelf may write to
         * the image (it converts in place), so it works on a copy. */
        void *img = malloc(size), *sec = NULL;
        size_t ssz = 0;
        if (!img)
            return ebpf_err_null(ENOMEM, "parse", "btf: out of memory");
        memcpy(img, data, size);
        int r = btf_elf_section(-1, img, size, "(ELF image)", ".BTF", &sec, &ssz);
        free(img);
        if (r < 0) {
            errno = -r;
            return NULL;
        }
        return btf_parse_blob(sec, ssz, BTF_STORE_MALLOC, base, "(ELF image)");
    }
    void *copy = malloc(size ? size : 1);
    if (!copy)
        return ebpf_err_null(ENOMEM, "parse", "btf: out of memory");
    if (size)
        memcpy(copy, data, size);
    return btf_parse_blob(copy, size, BTF_STORE_MALLOC, base, "blob");
}

/* Section `name` of an ELF file (fd >= 0) or image, copied into *out. */
int btf_elf_section(int fd, const void *image, size_t image_size, const char *path, const char *name, void **out,
                    size_t *size)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return ebpf_err(EINVAL, "open", "btf '%s': libelf init failed", path);
    Elf *e = fd >= 0 ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : elf_memory((char *)image, image_size);
    if (!e)
        return ebpf_err(EINVAL, "open", "btf '%s': not ELF: %s", path, elf_errmsg(-1));
    size_t shstrndx;
    int r = -ENOENT;
    if (elf_getshdrstrndx(e, &shstrndx) == 0) {
        for (Elf_Scn *s = elf_nextscn(e, NULL); s; s = elf_nextscn(e, s)) {
            GElf_Shdr sh;
            if (!gelf_getshdr(s, &sh))
                continue;
            const char *nm = elf_strptr(e, shstrndx, sh.sh_name);
            if (!nm || strcmp(nm, name))
                continue;
            Elf_Data *d = elf_getdata(s, NULL);
            if (!d || !d->d_buf || sh.sh_type == SHT_NOBITS) {
                r = ebpf_err(EINVAL, "open", "btf '%s': empty %s section", path, name);
                break;
            }
            *out = malloc(d->d_size ? d->d_size : 1);
            if (!*out) {
                r = -ENOMEM;
                break;
            }
            memcpy(*out, d->d_buf, d->d_size);
            *size = d->d_size;
            r = 0;
            break;
        }
    }
    elf_end(e);
    if (r == -ENOENT)
        ebpf_err(ENOENT, "open", "btf '%s': ELF file has no %s section", path, name);
    return r;
}

static int read_all(int fd, void **out, size_t *size)
{
    size_t cap = 1 << 16, n = 0;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size > 0)
        cap = (size_t)st.st_size + 1;
    char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return -ENOMEM;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            return -e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *out = buf;
    *size = n;
    return 0;
}

struct ebpf_btf *ebpf_btf_open_file(const char *path, const struct ebpf_btf *base)
{
    if (!strncmp(path, "/sys/kernel/btf/", 16))
        return btf_load_kernel_file(path, base); /* mmapped, no copy */
    int fd = ebpf_file_open(path, "btf", EBPF_MAX_OBJECT_FILE, NULL);
    if (fd < 0) {
        errno = -fd;
        return NULL;
    }
    unsigned char magic[4] = {0};
    ssize_t got = pread(fd, magic, 4, 0);
    void *data = NULL;
    size_t size = 0;
    int r;
    if (got == 4 && !memcmp(magic, "\177ELF", 4)) {
        r = btf_elf_section(fd, NULL, 0, path, ".BTF", &data, &size);
    } else {
        r = read_all(fd, &data, &size);
        if (r < 0)
            ebpf_err(-r, "open", "btf '%s': read: %s", path, strerror(-r));
    }
    close(fd);
    if (r < 0) {
        errno = -r;
        return NULL;
    }
    return btf_parse_blob(data, size, BTF_STORE_MALLOC, base, path);
}

struct ebpf_btf *ebpf_btf_new_empty(const struct ebpf_btf *base)
{
    struct ebpf_btf *b = calloc(1, sizeof(*b));
    if (!b)
        return ebpf_err_null(ENOMEM, "new", "btf: out of memory");
    b->fd = -1;
    b->base = base;
    b->start_id = base ? ebpf_btf_type_cnt(base) : 1;
    b->start_str = base ? total_strs(base) : 0;
    b->storage = BTF_STORE_NONE;
    if (btf_make_writable(b) < 0) {
        free(b);
        return ebpf_err_null(ENOMEM, "new", "btf: out of memory");
    }
    return b;
}

void ebpf_btf_free(struct ebpf_btf *b)
{
    if (!b || b->cached)
        return;
    btf_release(b);
    free(b);
}

/* ---- whole-BTF properties ---- */

uint32_t ebpf_btf_type_cnt(const struct ebpf_btf *b) { return b->start_id + b->nr; }
uint32_t ebpf_btf_start_id(const struct ebpf_btf *b) { return b->start_id; }
const struct ebpf_btf *ebpf_btf_base(const struct ebpf_btf *b) { return b->base; }
int ebpf_btf_fd(const struct ebpf_btf *b) { return b->fd; }
uint32_t ebpf_btf_id(const struct ebpf_btf *b) { return b->kid; }
const char *ebpf_btf_kernel_name(const struct ebpf_btf *b) { return b->kname; }
bool ebpf_btf_is_kernel(const struct ebpf_btf *b) { return b->is_kernel; }

/* ---- types ---- */

const struct btf_type *ebpf_btf_type_by_id(const struct ebpf_btf *b, uint32_t id) { return btf_t(b, id); }

int ebpf_btf_kind(const struct ebpf_btf *b, uint32_t id)
{
    if (id == 0)
        return BTF_KIND_UNKN;
    const struct btf_type *t = btf_t(b, id);
    return t ? (int)btf_kind_of(t) : -EINVAL;
}

const char *ebpf_btf_name(const struct ebpf_btf *b, uint32_t id)
{
    const struct btf_type *t = btf_t(b, id);
    const char *s = t ? ebpf_btf_str(b, t->name_off) : NULL;
    return s ? s : "";
}

uint16_t ebpf_btf_vlen(const struct ebpf_btf *b, uint32_t id)
{
    const struct btf_type *t = btf_t(b, id);
    return t ? (uint16_t)btf_vlen_of(t) : 0;
}

bool ebpf_btf_kflag(const struct ebpf_btf *b, uint32_t id)
{
    const struct btf_type *t = btf_t(b, id);
    return t && btf_kflag_of(t);
}

uint32_t ebpf_btf_ref(const struct ebpf_btf *b, uint32_t id)
{
    const struct btf_type *t = btf_t(b, id);
    if (!t)
        return 0;
    switch (btf_kind_of(t)) {
    case BTF_KIND_PTR: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT: case BTF_KIND_TYPE_TAG: case BTF_KIND_FUNC: case BTF_KIND_FUNC_PROTO:
    case BTF_KIND_VAR: case BTF_KIND_DECL_TAG:
        return t->type;
    case BTF_KIND_ARRAY:
        return ((const struct btf_array *)(t + 1))->type;
    default:
        return 0;
    }
}

/* ---- lookup ----
 * A parsed BTF gets its name index on demand: many users (map codecs,
 * dumps, W1's one lookup) need few or no name lookups, and the index is
 * about half of a parse. Until then lookups scan the type records; once
 * the scans together have walked as many types as the BTF holds, the index
 * is built (a scan of everything costs about half a build, so a user never
 * pays more than about twice the cheaper choice). */

static pthread_mutex_t index_lock = PTHREAD_MUTEX_INITIALIZER;

/* Fills buckets and chain links in one pass over the offsets,
 * software-pipelined: names are scattered through the string section and
 * buckets are random, so strings are fetched 16 types ahead and bucket
 * slots 8 ahead of their use. */
static void index_names(const struct ebpf_btf *b, uint32_t *buckets, uint32_t nbuckets)
{
    enum { SAHEAD = 16, HAHEAD = 8 };
    const uint32_t n = b->nr, mask = nbuckets - 1;
    const char *sbase = b->strs - b->start_str; /* own strings by global offset */
    const char *send = b->strs + b->strs_len;
    uint32_t ring_h[HAHEAD];
    bool ring_ok[HAHEAD] = {false};
    for (uint32_t i = 0; i < n + HAHEAD; i++) {
        if (i + SAHEAD < n) {
            uint32_t no = ((const struct btf_type *)(b->types + b->idx[i + SAHEAD].off))->name_off;
            if (no >= b->start_str)
                __builtin_prefetch(sbase + no);
        }
        /* Slot i % HAHEAD holds entry i - HAHEAD: consume it first. */
        if (i >= HAHEAD && ring_ok[i % HAHEAD])
            index_put(b->idx, buckets, nbuckets, i - HAHEAD, ring_h[i % HAHEAD]);
        ring_ok[i % HAHEAD] = false;
        if (i < n) {
            uint32_t no = ((const struct btf_type *)(b->types + b->idx[i].off))->name_off;
            const char *s = no >= b->start_str ? sbase + no : (no ? ebpf_btf_str(b, no) : NULL);
            bool ok = s && *s;
            ring_ok[i % HAHEAD] = ok;
            if (ok) {
                uint32_t h = no >= b->start_str ? btf_name_hash(s, send) : btf_name_hash(s, NULL);
                ring_h[i % HAHEAD] = h;
                __builtin_prefetch(&buckets[h & mask], 1);
            }
        }
    }
}

/* The buckets, building them first if needed; NULL when out of memory
 * (lookups then keep scanning). Safe from several threads: built under a
 * lock, published with a release store. */
static const uint32_t *lazy_index(const struct ebpf_btf *cb)
{
    const uint32_t *bk = __atomic_load_n(&cb->buckets, __ATOMIC_ACQUIRE);
    if (bk)
        return bk;
    struct ebpf_btf *b = (struct ebpf_btf *)cb; /* a cache, not a visible change */
    pthread_mutex_lock(&index_lock);
    if (!b->buckets) {
        /* The room reserved at parse (zero, next to the index), else the
         * heap with chains of ~2. */
        uint32_t nb = b->map_buckets ? b->map_nbuckets : pow2_at_least(b->nr / 8);
        uint32_t *mem = b->map_buckets ? b->map_buckets : calloc(nb, sizeof(uint32_t));
        if (mem) {
            index_names(b, mem, nb);
            b->nbuckets = nb;
            __atomic_store_n(&b->buckets, mem, __ATOMIC_RELEASE);
        }
    }
    bk = b->buckets;
    pthread_mutex_unlock(&index_lock);
    return bk;
}
/* Lowest own id > after named `name` (of `kind` unless < 0), by walking
 * the records; adds the walk's length to the scan budget. */
static int64_t scan_own(const struct ebpf_btf *b, const char *name, int kind, uint32_t after)
{
    uint32_t first = after >= b->start_id ? after - b->start_id + 1 : 0, i = first;
    int64_t found = -ENOENT;
    for (; i < b->nr; i++) {
        const struct btf_type *t = (const struct btf_type *)(b->types + b->idx[i].off);
        if ((kind >= 0 && (int)btf_kind_of(t) != kind) || !t->name_off)
            continue;
        const char *s = t->name_off >= b->start_str ? b->strs + (t->name_off - b->start_str)
                                                     : ebpf_btf_str(b, t->name_off);
        if (s && s[0] == name[0] && !strcmp(s, name)) {
            found = (int64_t)b->start_id + i;
            i++;
            break;
        }
    }
    __atomic_fetch_add(&((struct ebpf_btf *)b)->scanned, (uint64_t)(i - first), __ATOMIC_RELAXED);
    return found;
}

static int64_t find_own(const struct ebpf_btf *b, const char *name, int kind, uint32_t after, uint32_t h)
{
    if (!b->nr)
        return -ENOENT;
    const uint32_t *buckets = __atomic_load_n(&b->buckets, __ATOMIC_ACQUIRE);
    if (!buckets) {
        if (__atomic_load_n(&b->scanned, __ATOMIC_RELAXED) < b->nr || !(buckets = lazy_index(b)))
            return scan_own(b, name, kind, after);
    }
    uint32_t best = 0;
    for (uint32_t e = buckets[h & (b->nbuckets - 1)]; e; e = b->idx[e - 1].next & LINK_MASK) {
        uint32_t i = e - 1, id = b->start_id + i;
        if ((b->idx[i].next & ~LINK_MASK) != (h & ~LINK_MASK))
            continue;
        if (id <= after || (best && id >= best))
            continue;
        const struct btf_type *t = (const struct btf_type *)(b->types + b->idx[i].off);
        if (kind >= 0 && (int)btf_kind_of(t) != kind)
            continue;
        const char *s = ebpf_btf_str(b, t->name_off);
        if (s && !strcmp(s, name))
            best = id;
    }
    return best ? (int64_t)best : -ENOENT;
}

int64_t ebpf_btf_find_next(const struct ebpf_btf *b, const char *name, int kind, uint32_t after)
{
    if (!b || !name || !*name)
        return -ENOENT;
    uint32_t h = btf_name_hash(name, NULL);
    /* Bases first: their ids are lower. */
    const struct ebpf_btf *chain[16];
    int n = 0;
    for (const struct ebpf_btf *x = b; x && n < 16; x = x->base)
        chain[n++] = x;
    while (n--) {
        const struct ebpf_btf *x = chain[n];
        if (x->start_id + x->nr <= after + 1)
            continue;
        int64_t r = find_own(x, name, kind, after, h);
        if (r > 0)
            return r;
    }
    return -ENOENT;
}

int64_t ebpf_btf_find(const struct ebpf_btf *b, const char *name, int kind)
{
    return ebpf_btf_find_next(b, name, kind, 0);
}

/* ---- details ---- */

#define GET(kcond, what)                                                                   \
    const struct btf_type *t = btf_t(b, id);                                               \
    if (!t || !(kcond))                                                                    \
        return ebpf_err(EINVAL, "btf", "type %u is not %s", id, what);

#define K (btf_kind_of(t))

int ebpf_btf_member(const struct ebpf_btf *b, uint32_t id, uint32_t idx, struct ebpf_btf_member *out)
{
    GET(K == BTF_KIND_STRUCT || K == BTF_KIND_UNION, "a struct or union");
    if (idx >= btf_vlen_of(t))
        return ebpf_err(EINVAL, "btf", "type %u has no member %u", id, idx);
    const struct btf_member *m = (const struct btf_member *)(t + 1) + idx;
    const char *s = ebpf_btf_str(b, m->name_off);
    out->name = s ? s : "";
    out->type = m->type;
    out->bit_offset = btf_kflag_of(t) ? BTF_MEMBER_BIT_OFFSET(m->offset) : m->offset;
    out->bitfield_size = btf_kflag_of(t) ? BTF_MEMBER_BITFIELD_SIZE(m->offset) : 0;
    return 0;
}

int ebpf_btf_enum_value(const struct ebpf_btf *b, uint32_t id, uint32_t idx, struct ebpf_btf_enum_value *out)
{
    GET(K == BTF_KIND_ENUM || K == BTF_KIND_ENUM64, "an enum");
    if (idx >= btf_vlen_of(t))
        return ebpf_err(EINVAL, "btf", "enum %u has no value %u", id, idx);
    const char *s;
    if (K == BTF_KIND_ENUM) {
        const struct btf_enum *e = (const struct btf_enum *)(t + 1) + idx;
        s = ebpf_btf_str(b, e->name_off);
        if (btf_kflag_of(t)) {
            out->value = e->val;
            out->uvalue = (uint64_t)out->value;
        } else {
            out->uvalue = (uint32_t)e->val;
            out->value = (int64_t)out->uvalue;
        }
    } else {
        const struct btf_enum64 *e = (const struct btf_enum64 *)(t + 1) + idx;
        s = ebpf_btf_str(b, e->name_off);
        out->uvalue = ((uint64_t)e->val_hi32 << 32) | e->val_lo32;
        out->value = (int64_t)out->uvalue;
    }
    out->name = s ? s : "";
    return 0;
}

const char *ebpf_btf_enum_name_of(const struct ebpf_btf *b, uint32_t id, int64_t v)
{
    id = ebpf_btf_resolve(b, id);
    const struct btf_type *t = btf_t(b, id);
    if (!t || (K != BTF_KIND_ENUM && K != BTF_KIND_ENUM64))
        return NULL;
    uint64_t mask = t->size >= 8 ? ~0ull : ((1ull << (t->size * 8)) - 1);
    for (uint32_t i = 0; i < btf_vlen_of(t); i++) {
        struct ebpf_btf_enum_value ev;
        ebpf_btf_enum_value(b, id, i, &ev);
        if ((ev.uvalue & mask) == ((uint64_t)v & mask))
            return ev.name;
    }
    return NULL;
}

bool ebpf_btf_is_signed(const struct ebpf_btf *b, uint32_t id)
{
    const struct btf_type *t = btf_t(b, ebpf_btf_resolve(b, id));
    if (!t)
        return false;
    if (K == BTF_KIND_INT)
        return BTF_INT_ENCODING(*(const uint32_t *)(t + 1)) & BTF_INT_SIGNED;
    if (K == BTF_KIND_ENUM || K == BTF_KIND_ENUM64)
        return btf_kflag_of(t);
    return false;
}

int ebpf_btf_param(const struct ebpf_btf *b, uint32_t id, uint32_t idx, struct ebpf_btf_param *out)
{
    const struct btf_type *f = btf_t(b, id);
    if (f && btf_kind_of(f) == BTF_KIND_FUNC)
        id = f->type;
    GET(K == BTF_KIND_FUNC_PROTO, "a function prototype");
    if (idx >= btf_vlen_of(t))
        return ebpf_err(EINVAL, "btf", "func_proto %u has no parameter %u", id, idx);
    const struct btf_param *p = (const struct btf_param *)(t + 1) + idx;
    const char *s = ebpf_btf_str(b, p->name_off);
    out->name = s ? s : "";
    out->type = p->type;
    return 0;
}

int ebpf_btf_array(const struct ebpf_btf *b, uint32_t id, struct ebpf_btf_array_info *out)
{
    GET(K == BTF_KIND_ARRAY, "an array");
    const struct btf_array *a = (const struct btf_array *)(t + 1);
    out->type = a->type;
    out->index_type = a->index_type;
    out->nelems = a->nelems;
    return 0;
}

int ebpf_btf_int(const struct ebpf_btf *b, uint32_t id, struct ebpf_btf_int_info *out)
{
    GET(K == BTF_KIND_INT, "an int");
    uint32_t v;
    memcpy(&v, t + 1, 4);
    out->encoding = BTF_INT_ENCODING(v);
    out->offset = BTF_INT_OFFSET(v);
    out->bits = BTF_INT_BITS(v);
    return 0;
}

int ebpf_btf_linkage(const struct ebpf_btf *b, uint32_t id)
{
    GET(K == BTF_KIND_VAR || K == BTF_KIND_FUNC, "a var or func");
    if (K == BTF_KIND_FUNC)
        return (int)btf_vlen_of(t);
    return (int)((const struct btf_var *)(t + 1))->linkage;
}

int ebpf_btf_datasec_var(const struct ebpf_btf *b, uint32_t id, uint32_t idx, struct ebpf_btf_var_secinfo *out)
{
    GET(K == BTF_KIND_DATASEC, "a datasec");
    if (idx >= btf_vlen_of(t))
        return ebpf_err(EINVAL, "btf", "datasec %u has no variable %u", id, idx);
    const struct btf_var_secinfo *v = (const struct btf_var_secinfo *)(t + 1) + idx;
    out->type = v->type;
    out->offset = v->offset;
    out->size = v->size;
    return 0;
}

int ebpf_btf_decl_tag_component(const struct ebpf_btf *b, uint32_t id, int32_t *out)
{
    GET(K == BTF_KIND_DECL_TAG, "a decl_tag");
    *out = ((const struct btf_decl_tag *)(t + 1))->component_idx;
    return 0;
}
