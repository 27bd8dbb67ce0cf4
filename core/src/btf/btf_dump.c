/* The C header dumper: BTF -> compilable C definitions.
 *
 * Types are emitted on demand by need(id, by_value): a struct used by
 * value needs its full definition first, one used through a pointer only
 * a forward declaration; typedef names and enums are defined before any
 * use. Anonymous structs/unions/enums are written inline where used. Each
 * struct's layout is reproduced exactly: members the compiler would place
 * elsewhere get explicit padding (anonymous bitfields), structs that can't
 * be laid out naturally are packed. Names that collide in one C namespace
 * (tags; typedefs and enumerators) get a ___N suffix. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "btf_internal.h"
#include "error_internal.h"

enum {
    ST_DEFINED = 1,
    ST_VISITING = 2,
    ST_FWD = 4,
    ST_REFERENCED = 8,
    ST_INLINED = 16, /* anonymous enum already written inline once */
};

#define MAX_NEED_DEPTH 2000
#define FLUSH_AT (64u << 10)
/* Hostile BTF can make inline anonymous types expand exponentially: cap
 * one definition and the whole output. */
#define MAX_PENDING (16u << 20)
#define MAX_TOTAL ((size_t)1 << 30)

/* string -> count, for name collisions. */
struct namemap {
    const char **keys;
    uint32_t *vals;
    uint32_t cap, used;
};

struct dump {
    const struct ebpf_btf *b;
    uint32_t n;
    uint8_t *st;
    uint32_t *suffix; /* per id: 0 = not assigned, 1 = plain, k = ___k */
    struct namemap tags, idents;
    struct btf_sb sb;
    ebpf_btf_write_fn write;
    void *ctx;
    int err;
    int indent;
    size_t written;
};

static int nm_add(struct namemap *m, const char *k)
{
    if ((m->used + 1) * 2 > m->cap) {
        uint32_t nc = m->cap ? m->cap * 2 : 1024;
        const char **nk = calloc(nc, sizeof(*nk));
        uint32_t *nv = calloc(nc, sizeof(*nv));
        if (!nk || !nv) {
            free(nk);
            free(nv);
            return -ENOMEM;
        }
        for (uint32_t i = 0; i < m->cap; i++) {
            if (!m->keys[i])
                continue;
            uint32_t h = btf_name_hash(m->keys[i], NULL) & (nc - 1);
            while (nk[h])
                h = (h + 1) & (nc - 1);
            nk[h] = m->keys[i];
            nv[h] = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        m->keys = nk;
        m->vals = nv;
        m->cap = nc;
    }
    uint32_t h = btf_name_hash(k, NULL) & (m->cap - 1);
    while (m->keys[h]) {
        if (!strcmp(m->keys[h], k))
            return (int)++m->vals[h];
        h = (h + 1) & (m->cap - 1);
    }
    m->keys[h] = k;
    m->vals[h] = 1;
    m->used++;
    return 1;
}

static void nm_free(struct namemap *m)
{
    free(m->keys);
    free(m->vals);
}

static void flush(struct dump *d)
{
    if (d->err || !d->sb.len)
        return;
    if (d->sb.oom) {
        d->err = -ENOMEM;
        return;
    }
    if (d->write(d->ctx, d->sb.s, d->sb.len))
        d->err = -ECANCELED;
    d->written += d->sb.len;
    d->sb.len = 0;
    if (!d->err && d->written > MAX_TOTAL)
        d->err = ebpf_err(E2BIG, "dump", "btf dump: output larger than %zu bytes", MAX_TOTAL);
}

static void out(struct dump *d, const char *s)
{
    sb_puts(&d->sb, s);
    if (d->sb.len >= FLUSH_AT)
        flush(d);
}

static void tabs(struct btf_sb *sb, int n)
{
    for (int i = 0; i < n; i++)
        sb_put(sb, "\t", 1);
}

static const struct btf_type *T(struct dump *d, uint32_t id) { return btf_t(d->b, id); }
static uint32_t KIND(struct dump *d, uint32_t id)
{
    const struct btf_type *t = T(d, id);
    return t ? btf_kind_of(t) : BTF_KIND_UNKN;
}

/* The (possibly suffixed) name of a named type. */
static void put_name(struct dump *d, struct btf_sb *sb, uint32_t id)
{
    const char *name = ebpf_btf_name(d->b, id);
    uint32_t k = KIND(d, id);
    if (!d->suffix[id]) {
        if (k == BTF_KIND_FWD) {
            d->suffix[id] = 1; /* refers to whichever definition has the plain name */
        } else {
            int r = nm_add(k == BTF_KIND_TYPEDEF ? &d->idents : &d->tags, name);
            if (r < 0) {
                d->err = r;
                r = 1;
            }
            d->suffix[id] = (uint32_t)r;
        }
    }
    sb_puts(sb, name);
    if (d->suffix[id] > 1)
        sb_printf(sb, "___%u", d->suffix[id]);
}

static void emit_body(struct dump *d, struct btf_sb *sb, uint32_t id, int indent);

/* Base-type writer for declarations: named types by (suffixed) name,
 * anonymous ones inline. */
static void base_cb(void *ctx, struct btf_sb *sb, uint32_t id)
{
    struct dump *d = ctx;
    const struct btf_type *t = T(d, id);
    if (!t) {
        sb_puts(sb, "void");
        return;
    }
    uint32_t k = btf_kind_of(t);
    const char *name = ebpf_btf_name(d->b, id);
    switch (k) {
    case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_ENUM: case BTF_KIND_ENUM64:
        if (!*name) {
            if ((k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64) && (d->st[id] & ST_INLINED)) {
                /* Its constants exist already: use an integer of its size. */
                sb_puts(sb, t->size == 1 ? "unsigned char" : t->size == 2 ? "unsigned short"
                            : t->size == 8 ? "unsigned long long" : "unsigned int");
                return;
            }
            emit_body(d, sb, id, d->indent);
            return;
        }
        sb_puts(sb, k == BTF_KIND_STRUCT ? "struct " : k == BTF_KIND_UNION ? "union " : "enum ");
        put_name(d, sb, id);
        return;
    case BTF_KIND_FWD:
        sb_puts(sb, btf_kflag_of(t) ? "union " : "struct ");
        put_name(d, sb, id);
        return;
    case BTF_KIND_TYPEDEF:
        put_name(d, sb, id);
        return;
    default:
        sb_puts(sb, *name ? name : "void");
    }
}

/* A declaration of `name` with type id into sb, at indent. */
static void put_decl(struct dump *d, struct btf_sb *sb, uint32_t id, const char *name, int indent)
{
    int save = d->indent;
    d->indent = indent;
    int r = btf_decl_sb(d->b, id, name, sb, base_cb, d);
    d->indent = save;
    if (r < 0 && !d->err)
        d->err = r;
}

/* ---- layout ---- */

static uint32_t align_of(struct dump *d, uint32_t id)
{
    int64_t a = btf_align_natural(d->b, id);
    return a > 0 ? (uint32_t)a : 1;
}

static uint32_t round_up(uint64_t x, uint64_t a) { return (uint32_t)((x + a - 1) / a * a); }

static bool needs_packed(struct dump *d, const struct btf_type *t)
{
    const struct btf_member *m = (const struct btf_member *)(t + 1);
    uint32_t max = 1;
    for (uint32_t i = 0; i < btf_vlen_of(t); i++) {
        uint32_t a = align_of(d, m[i].type);
        uint32_t bo = btf_kflag_of(t) ? BTF_MEMBER_BIT_OFFSET(m[i].offset) : m[i].offset;
        uint32_t bs = btf_kflag_of(t) ? BTF_MEMBER_BITFIELD_SIZE(m[i].offset) : 0;
        if (!bs && bo % (a * 8))
            return true;
        if (a > max)
            max = a;
    }
    return t->size % max != 0;
}

/* Anonymous bitfields filling bits [from, to). */
static void pad_bits(struct btf_sb *sb, uint32_t from, uint32_t to, int indent)
{
    while (from < to) {
        if (from % 8 == 0 && to - from >= 8 * 64 * 8) {
            /* Big gaps as one byte array rather than thousands of bitfields. */
            uint32_t bytes = (to - from) / 8;
            tabs(sb, indent);
            sb_printf(sb, "char __pad_%u[%u];\n", from / 8, bytes);
            from += bytes * 8;
            continue;
        }
        uint32_t gap = to - from, w = 0;
        const char *ty = "char";
        static const struct { uint32_t u; const char *ty; } units[] = {
            {64, "long"}, {32, "int"}, {16, "short"}, {8, "char"}};
        for (int i = 0; i < 4; i++)
            if (from % units[i].u == 0 && gap >= units[i].u) {
                w = units[i].u;
                ty = units[i].ty;
                break;
            }
        if (!w)
            w = gap < 8 - from % 8 ? gap : 8 - from % 8;
        tabs(sb, indent);
        sb_printf(sb, "%s: %u;\n", ty, w);
        from += w;
    }
}

static void emit_enum_body(struct dump *d, struct btf_sb *sb, uint32_t id, int indent)
{
    const struct btf_type *t = T(d, id);
    bool sgn = btf_kflag_of(t);
    uint32_t n = btf_vlen_of(t);
    /* Size the compiler would pick from the values; otherwise fix it. */
    bool fits32 = true;
    for (uint32_t i = 0; i < n; i++) {
        struct ebpf_btf_enum_value ev;
        ebpf_btf_enum_value(d->b, id, i, &ev);
        if (sgn ? (ev.value < INT32_MIN || ev.value > UINT32_MAX) : ev.uvalue > UINT32_MAX)
            fits32 = false;
    }
    uint32_t natural = fits32 ? 4 : 8;
    if (t->size != natural || (n == 0)) {
        const char *ut = t->size == 1 ? (sgn ? "signed char" : "unsigned char")
                         : t->size == 2 ? (sgn ? "short" : "unsigned short")
                         : t->size == 8 ? (sgn ? "long long" : "unsigned long long")
                         : (sgn ? "int" : "unsigned int");
        sb_printf(sb, " : %s", ut);
    }
    if (n == 0)
        return; /* opaque: "enum x : int" */
    sb_puts(sb, " {\n");
    for (uint32_t i = 0; i < n; i++) {
        struct ebpf_btf_enum_value ev;
        ebpf_btf_enum_value(d->b, id, i, &ev);
        tabs(sb, indent + 1);
        sb_puts(sb, ev.name);
        int r = nm_add(&d->idents, ev.name);
        if (r < 0)
            d->err = r;
        else if (r > 1)
            sb_printf(sb, "___%d", r);
        if (sgn || ev.value >= 0)
            sb_printf(sb, " = %" PRId64 "%s,\n", ev.value, ev.value > INT64_C(0xffffffff) || ev.value < INT32_MIN ? "LL" : "");
        else
            sb_printf(sb, " = %" PRIu64 "ULL,\n", ev.uvalue);
    }
    tabs(sb, indent);
    sb_puts(sb, "}");
}

static void emit_record_body(struct dump *d, struct btf_sb *sb, uint32_t id, int indent)
{
    const struct btf_type *t = T(d, id);
    bool is_union = btf_kind_of(t) == BTF_KIND_UNION;
    uint32_t n = btf_vlen_of(t);
    bool packed = needs_packed(d, t);
    sb_puts(sb, " {\n");
    uint32_t cur = 0, max_align = 1;
    for (uint32_t i = 0; i < n && !d->err; i++) {
        if (sb->len > MAX_PENDING) {
            d->err = ebpf_err(E2BIG, "dump", "btf dump: type %u expands to more than %u bytes", id, MAX_PENDING);
            break;
        }
        struct ebpf_btf_member m;
        ebpf_btf_member(d->b, id, i, &m);
        int64_t msz = ebpf_btf_sizeof(d->b, m.type);
        uint32_t a = packed ? 1 : align_of(d, m.type);
        if (a > max_align)
            max_align = a;
        if (!is_union) {
            uint32_t at;
            if (m.bitfield_size) {
                uint32_t unit = msz > 0 ? (uint32_t)msz * 8 : 8;
                at = !packed && (cur % unit) + m.bitfield_size > unit ? round_up(cur, unit) : cur;
            } else {
                at = round_up(cur, (uint64_t)a * 8);
            }
            if (m.bit_offset > at)
                pad_bits(sb, cur, m.bit_offset, indent + 1);
        }
        tabs(sb, indent + 1);
        put_decl(d, sb, m.type, m.name, indent + 1);
        if (m.bitfield_size)
            sb_printf(sb, ": %u", m.bitfield_size);
        sb_puts(sb, ";\n");
        uint64_t end = (uint64_t)m.bit_offset + (m.bitfield_size ? m.bitfield_size : (msz > 0 ? (uint64_t)msz * 8 : 0));
        if (!is_union && end > cur)
            cur = (uint32_t)end;
    }
    if (!is_union) {
        uint32_t natural = round_up(cur, (uint64_t)max_align * 8);
        if ((uint64_t)t->size * 8 > natural)
            pad_bits(sb, cur, t->size * 8, indent + 1);
    }
    tabs(sb, indent);
    sb_puts(sb, "}");
    if (packed)
        sb_puts(sb, " __attribute__((packed))");
    else if (is_union && n) {
        /* A union larger than its members (an aligned one): align it. */
        uint32_t msz = 0;
        for (uint32_t i = 0; i < n; i++) {
            struct ebpf_btf_member m;
            ebpf_btf_member(d->b, id, i, &m);
            int64_t s = ebpf_btf_sizeof(d->b, m.type);
            if (s > msz)
                msz = (uint32_t)s;
        }
        if (t->size > round_up(msz, max_align)) {
            uint32_t al = max_align;
            while (al < t->size && al < 4096)
                al *= 2;
            if (t->size % al == 0)
                sb_printf(sb, " __attribute__((aligned(%u)))", al);
        }
    }
}

/* "struct [name] { ... }" / "enum [name] { ... }" (no trailing ';'). */
static void emit_body(struct dump *d, struct btf_sb *sb, uint32_t id, int indent)
{
    const struct btf_type *t = T(d, id);
    uint32_t k = btf_kind_of(t);
    const char *name = ebpf_btf_name(d->b, id);
    if (indent > 64) {
        d->err = -ELOOP;
        return;
    }
    sb_puts(sb, k == BTF_KIND_STRUCT ? "struct" : k == BTF_KIND_UNION ? "union" : "enum");
    if (*name) {
        sb_puts(sb, " ");
        put_name(d, sb, id);
    } else if (k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64) {
        d->st[id] |= ST_INLINED;
    }
    if (k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64)
        emit_enum_body(d, sb, id, indent);
    else
        emit_record_body(d, sb, id, indent);
}

/* ---- ordering ---- */

static void emit_fwd(struct dump *d, uint32_t id)
{
    if (d->st[id] & (ST_FWD | ST_DEFINED))
        return;
    d->st[id] |= ST_FWD;
    const struct btf_type *t = T(d, id);
    bool uni = btf_kind_of(t) == BTF_KIND_UNION || (btf_kind_of(t) == BTF_KIND_FWD && btf_kflag_of(t));
    out(d, uni ? "union " : "struct ");
    put_name(d, &d->sb, id);
    out(d, ";\n\n");
}

static void need(struct dump *d, uint32_t id, bool by_value, int depth);

static void need_members(struct dump *d, uint32_t id, int depth)
{
    const struct btf_type *t = T(d, id);
    const struct btf_member *m = (const struct btf_member *)(t + 1);
    for (uint32_t i = 0; i < btf_vlen_of(t) && !d->err; i++)
        need(d, m[i].type, true, depth + 1);
}

static void emit_definition(struct dump *d, uint32_t id)
{
    const struct btf_type *t = T(d, id);
    uint32_t k = btf_kind_of(t);
    d->indent = 0;
    if (k == BTF_KIND_TYPEDEF) {
        out(d, "typedef ");
        struct btf_sb nm = {0};
        put_name(d, &nm, id);
        put_decl(d, &d->sb, t->type, nm.s ? nm.s : "", 0);
        sb_free(&nm);
    } else {
        emit_body(d, &d->sb, id, 0);
    }
    out(d, ";\n\n");
}

static void need(struct dump *d, uint32_t id, bool by_value, int depth)
{
    if (d->err || id == 0)
        return;
    if (depth > MAX_NEED_DEPTH) {
        d->err = ebpf_err(ELOOP, "dump", "btf dump: type %u: nesting too deep", id);
        return;
    }
    const struct btf_type *t = T(d, id);
    if (!t)
        return;
    uint32_t k = btf_kind_of(t);
    bool named = t->name_off && *ebpf_btf_name(d->b, id);
    switch (k) {
    case BTF_KIND_PTR:
        need(d, t->type, false, depth + 1);
        return;
    case BTF_KIND_ARRAY:
        /* Array elements must be complete even behind a pointer. */
        need(d, ((const struct btf_array *)(t + 1))->type, true, depth + 1);
        return;
    case BTF_KIND_CONST: case BTF_KIND_VOLATILE: case BTF_KIND_RESTRICT: case BTF_KIND_TYPE_TAG:
        need(d, t->type, by_value, depth + 1);
        return;
    case BTF_KIND_FUNC_PROTO: {
        need(d, t->type, false, depth + 1);
        const struct btf_param *p = (const struct btf_param *)(t + 1);
        for (uint32_t i = 0; i < btf_vlen_of(t) && !d->err; i++)
            need(d, p[i].type, false, depth + 1);
        return;
    }
    case BTF_KIND_FUNC:
        need(d, t->type, false, depth + 1);
        return;
    case BTF_KIND_FWD:
        if (named)
            emit_fwd(d, id);
        return;
    case BTF_KIND_ENUM: case BTF_KIND_ENUM64:
        if (named && !(d->st[id] & ST_DEFINED)) {
            d->st[id] |= ST_DEFINED;
            emit_definition(d, id);
        }
        return;
    case BTF_KIND_STRUCT: case BTF_KIND_UNION:
        if (!named) {
            /* Its dependencies, once: later uses find them defined. */
            if (d->st[id] & (ST_VISITING | ST_DEFINED))
                return;
            d->st[id] |= ST_VISITING;
            need_members(d, id, depth);
            d->st[id] &= (uint8_t)~ST_VISITING;
            d->st[id] |= ST_DEFINED;
            return;
        }
        if (!by_value) {
            if (!(d->st[id] & ST_DEFINED))
                emit_fwd(d, id);
            return;
        }
        if (d->st[id] & (ST_DEFINED | ST_VISITING))
            return;
        d->st[id] |= ST_VISITING;
        need_members(d, id, depth);
        d->st[id] &= (uint8_t)~ST_VISITING;
        d->st[id] |= ST_DEFINED;
        if (!d->err)
            emit_definition(d, id);
        return;
    case BTF_KIND_TYPEDEF:
        if (!strcmp(ebpf_btf_name(d->b, id), "__builtin_va_list"))
            return; /* the compiler's own */
        if (!(d->st[id] & (ST_DEFINED | ST_VISITING))) {
            d->st[id] |= ST_VISITING;
            need(d, t->type, false, depth + 1);
            d->st[id] &= (uint8_t)~ST_VISITING;
            d->st[id] |= ST_DEFINED;
            if (!d->err)
                emit_definition(d, id);
        }
        if (by_value && !(d->st[id] & ST_VISITING))
            need(d, t->type, true, depth + 1);
        return;
    default:
        return;
    }
}

/* Ids referenced by some other type: anonymous ones among them are written
 * inline, the others at top level. */
static void mark_referenced(struct dump *d)
{
    for (uint32_t id = 1; id < d->n; id++) {
        const struct btf_type *t = T(d, id);
        if (!t)
            continue;
        uint32_t k = btf_kind_of(t);
#define MARK(x) do { uint32_t r_ = (x); if (r_ < d->n) d->st[r_] |= ST_REFERENCED; } while (0)
        switch (k) {
        case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
            const struct btf_member *m = (const struct btf_member *)(t + 1);
            for (uint32_t i = 0; i < btf_vlen_of(t); i++)
                MARK(m[i].type);
            break;
        }
        case BTF_KIND_FUNC_PROTO: {
            const struct btf_param *p = (const struct btf_param *)(t + 1);
            MARK(t->type);
            for (uint32_t i = 0; i < btf_vlen_of(t); i++)
                MARK(p[i].type);
            break;
        }
        case BTF_KIND_ARRAY:
            MARK(((const struct btf_array *)(t + 1))->type);
            break;
        case BTF_KIND_PTR: case BTF_KIND_TYPEDEF: case BTF_KIND_CONST: case BTF_KIND_VOLATILE:
        case BTF_KIND_RESTRICT: case BTF_KIND_TYPE_TAG: case BTF_KIND_FUNC: case BTF_KIND_VAR:
            MARK(t->type);
            break;
        default:
            break;
        }
#undef MARK
    }
}

static const char *const prologue =
    "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
    "#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n"
    "#endif\n\n";
static const char *const epilogue =
    "#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
    "#pragma clang attribute pop\n"
    "#endif\n\n";

int ebpf_btf_dump_c(const struct ebpf_btf *b, uint32_t id, unsigned flags, ebpf_btf_write_fn write, void *ctx)
{
    struct dump d = {.b = b, .n = ebpf_btf_type_cnt(b), .write = write, .ctx = ctx};
    if (id >= d.n)
        return ebpf_err(EINVAL, "dump", "btf dump: no type id %u", id);
    d.st = calloc(d.n, 1);
    d.suffix = calloc(d.n, sizeof(uint32_t));
    if (!d.st || !d.suffix) {
        free(d.st);
        free(d.suffix);
        return ebpf_err(ENOMEM, "dump", "btf dump: out of memory");
    }
    if (flags & EBPF_BTF_DUMP_SINGLE) {
        uint32_t k = KIND(&d, id);
        if (k == BTF_KIND_STRUCT || k == BTF_KIND_UNION || k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64 ||
            k == BTF_KIND_TYPEDEF)
            emit_definition(&d, id);
        else
            put_decl(&d, &d.sb, id, "", 0);
    } else {
        bool guard = !(flags & EBPF_BTF_DUMP_NO_GUARD) && id == 0;
        bool pai = !(flags & EBPF_BTF_DUMP_NO_PRESERVE);
        if (guard)
            out(&d, "#ifndef __VMLINUX_H__\n#define __VMLINUX_H__\n\n");
        if (pai)
            out(&d, prologue);
        if (id) {
            need(&d, id, true, 0);
        } else {
            mark_referenced(&d);
            for (uint32_t i = 1; i < d.n && !d.err; i++) {
                const struct btf_type *t = T(&d, i);
                uint32_t k = btf_kind_of(t);
                bool named = t->name_off && *ebpf_btf_name(b, i);
                switch (k) {
                case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_ENUM: case BTF_KIND_ENUM64:
                    if (named) {
                        need(&d, i, true, 0);
                    } else if ((k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64) && !(d.st[i] & ST_REFERENCED) &&
                               !(d.st[i] & ST_INLINED)) {
                        /* Top-level anonymous enums define constants. */
                        need(&d, i, true, 0); /* deps of a top-level anonymous type */
                        d.indent = 0;
                        emit_body(&d, &d.sb, i, 0);
                        out(&d, ";\n\n");
                    }
                    break;
                case BTF_KIND_TYPEDEF: case BTF_KIND_FWD:
                    need(&d, i, false, 0);
                    break;
                default:
                    break;
                }
            }
        }
        if (pai)
            out(&d, epilogue);
        if (guard)
            out(&d, "#endif /* __VMLINUX_H__ */\n");
    }
    flush(&d);
    int r = d.err;
    sb_free(&d.sb);
    nm_free(&d.tags);
    nm_free(&d.idents);
    free(d.st);
    free(d.suffix);
    if (r < 0 && r != -ECANCELED && ebpf_error_errno() != -r)
        ebpf_err(-r, "dump", "btf dump: failed: %s", strerror(-r));
    return r;
}

struct strsink {
    struct btf_sb sb;
};

static int to_string(void *ctx, const char *data, size_t len)
{
    struct strsink *s = ctx;
    sb_put(&s->sb, data, len);
    return s->sb.oom ? -1 : 0;
}

char *ebpf_btf_dump_c_string(const struct ebpf_btf *b, uint32_t id, unsigned flags, size_t *len)
{
    struct strsink s = {{0}};
    int r = ebpf_btf_dump_c(b, id, flags, to_string, &s);
    if (r < 0 || s.sb.oom) {
        sb_free(&s.sb);
        return ebpf_err_null(r < 0 && r != -ECANCELED ? -r : ENOMEM, "dump", "btf dump: %s",
                             r < 0 && r != -ECANCELED ? strerror(-r) : "out of memory");
    }
    if (!s.sb.s)
        sb_put(&s.sb, "", 0);
    if (!s.sb.s) {
        return ebpf_err_null(ENOMEM, "dump", "btf dump: out of memory");
    }
    if (len)
        *len = s.sb.len;
    return s.sb.s;
}
