/* Type resolution, sizeof/alignof and C declarations. Every chain walk is
 * bounded (BTF_MAX_CHAIN) so hostile reference cycles give -ELOOP. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf_internal.h"
#include "error_internal.h"

/* ---- strbuf ---- */

void sb_put(struct btf_sb *sb, const char *s, size_t n)
{
    if (sb->oom)
        return;
    if (sb->len + n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 64;
        while (cap < sb->len + n + 1)
            cap *= 2;
        char *ns = realloc(sb->s, cap);
        if (!ns) {
            sb->oom = true;
            return;
        }
        sb->s = ns;
        sb->cap = cap;
    }
    memcpy(sb->s + sb->len, s, n);
    sb->len += n;
    sb->s[sb->len] = 0;
}

void sb_puts(struct btf_sb *sb, const char *s) { sb_put(sb, s, strlen(s)); }

void sb_printf(struct btf_sb *sb, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(tmp)) {
        sb_put(sb, tmp, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        sb->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    sb_put(sb, big, (size_t)n);
    free(big);
}

void sb_free(struct btf_sb *sb)
{
    free(sb->s);
    memset(sb, 0, sizeof(*sb));
}

/* ---- resolution ---- */

static bool is_modifier(uint32_t k)
{
    return k == BTF_KIND_CONST || k == BTF_KIND_VOLATILE || k == BTF_KIND_RESTRICT || k == BTF_KIND_TYPE_TAG;
}

uint32_t ebpf_btf_skip_modifiers(const struct ebpf_btf *b, uint32_t id)
{
    for (int i = 0; i < BTF_MAX_CHAIN; i++) {
        const struct btf_type *t = btf_t(b, id);
        if (!t || !is_modifier(btf_kind_of(t)))
            return id;
        id = t->type;
    }
    return id;
}

uint32_t ebpf_btf_resolve(const struct ebpf_btf *b, uint32_t id)
{
    for (int i = 0; i < BTF_MAX_CHAIN; i++) {
        const struct btf_type *t = btf_t(b, id);
        if (!t || !(is_modifier(btf_kind_of(t)) || btf_kind_of(t) == BTF_KIND_TYPEDEF))
            return id;
        id = t->type;
    }
    return id;
}

int64_t ebpf_btf_sizeof(const struct ebpf_btf *b, uint32_t id)
{
    uint64_t mul = 1;
    for (int i = 0; i < BTF_MAX_CHAIN; i++) {
        const struct btf_type *t = btf_t(b, id);
        if (!t)
            return ebpf_err(EINVAL, "sizeof", "btf: type %u has no size (void or bad id)", id);
        switch (btf_kind_of(t)) {
        case BTF_KIND_INT: case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_ENUM:
        case BTF_KIND_ENUM64: case BTF_KIND_FLOAT: case BTF_KIND_DATASEC:
            mul *= t->size;
            if (mul > INT64_MAX / 2)
                return ebpf_err(E2BIG, "sizeof", "btf: type %u: size overflows", id);
            return (int64_t)mul;
        case BTF_KIND_PTR:
            return (int64_t)(mul * 8);
        case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST: case BTF_KIND_RESTRICT:
        case BTF_KIND_TYPE_TAG: case BTF_KIND_VAR: case BTF_KIND_DECL_TAG:
            id = t->type;
            break;
        case BTF_KIND_ARRAY: {
            const struct btf_array *a = (const struct btf_array *)(t + 1);
            mul *= a->nelems;
            if (mul > UINT32_MAX * 16ull)
                return ebpf_err(E2BIG, "sizeof", "btf: array %u: size overflows", id);
            if (mul == 0)
                return 0;
            id = a->type;
            break;
        }
        default:
            return ebpf_err(EINVAL, "sizeof", "btf: type %u (%s) has no size", id,
                            ebpf_btf_kind_name((int)btf_kind_of(t)));
        }
    }
    return ebpf_err(ELOOP, "sizeof", "btf: type %u: reference cycle or chain too deep", id);
}

static int64_t align_rec(const struct ebpf_btf *b, uint32_t id, int depth, bool infer)
{
    if (depth > BTF_MAX_CHAIN)
        return ebpf_err(ELOOP, "alignof", "btf: type %u: reference cycle or nesting too deep", id);
    const struct btf_type *t = btf_t(b, id);
    if (!t)
        return ebpf_err(EINVAL, "alignof", "btf: type %u has no alignment", id);
    switch (btf_kind_of(t)) {
    case BTF_KIND_INT: case BTF_KIND_ENUM: case BTF_KIND_ENUM64: case BTF_KIND_FLOAT: {
        uint32_t s = t->size;
        if (s > 8)
            s = btf_kind_of(t) == BTF_KIND_FLOAT ? 16 : 16;
        return s ? s : 1;
    }
    case BTF_KIND_PTR:
        return 8;
    case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST: case BTF_KIND_RESTRICT:
    case BTF_KIND_TYPE_TAG: case BTF_KIND_VAR:
        return align_rec(b, t->type, depth + 1, infer);
    case BTF_KIND_ARRAY:
        return align_rec(b, ((const struct btf_array *)(t + 1))->type, depth + 1, infer);
    case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
        int64_t max = 1;
        const struct btf_member *m = (const struct btf_member *)(t + 1);
        bool packed = false, is_union = btf_kind_of(t) == BTF_KIND_UNION;
        uint64_t cur = 0; /* end of the previous member, in bits */
        for (uint32_t i = 0; i < btf_vlen_of(t); i++) {
            int64_t a = align_rec(b, m[i].type, depth + 1, infer);
            if (a < 0)
                return a;
            uint32_t bo = btf_kflag_of(t) ? BTF_MEMBER_BIT_OFFSET(m[i].offset) : m[i].offset;
            uint32_t bs = btf_kflag_of(t) ? BTF_MEMBER_BITFIELD_SIZE(m[i].offset) : 0;
            if (!bs && bo % (uint32_t)(a * 8))
                packed = true;
            if (infer && !bs && !is_union && bo % 8 == 0) {
                /* A member placed past its natural slot was over-aligned
                 * (__aligned(N)): the smallest such N explains the gap. */
                uint64_t nat = (cur + (uint64_t)a * 8 - 1) / ((uint64_t)a * 8) * ((uint64_t)a * 8);
                if (bo > nat)
                    for (uint64_t x = (uint64_t)a * 2; x <= 4096; x *= 2)
                        if ((cur + x * 8 - 1) / (x * 8) * (x * 8) == bo) {
                            a = (int64_t)x;
                            break;
                        }
            }
            if (a > max)
                max = a;
            int64_t msz = bs ? 0 : ebpf_btf_sizeof(b, m[i].type);
            uint64_t end = (uint64_t)bo + (bs ? bs : (msz > 0 ? (uint64_t)msz * 8 : 0));
            if (end > cur)
                cur = end;
        }
        if (packed || t->size % max)
            return 1;
        return max;
    }
    default:
        return ebpf_err(EINVAL, "alignof", "btf: type %u (%s) has no alignment", id,
                        ebpf_btf_kind_name((int)btf_kind_of(t)));
    }
}

int64_t ebpf_btf_alignof(const struct ebpf_btf *b, uint32_t id) { return align_rec(b, id, 0, true); }

int64_t btf_align_natural(const struct ebpf_btf *b, uint32_t id) { return align_rec(b, id, 0, false); }

/* ---- C declarations ---- */

static void default_base(void *ctx, struct btf_sb *sb, uint32_t id);

/* Declarator chain element kinds, from the declared entity inwards. */
static bool declarator_kind(uint32_t k)
{
    return k == BTF_KIND_PTR || k == BTF_KIND_ARRAY || k == BTF_KIND_FUNC_PROTO || is_modifier(k);
}

static int decl_rec(const struct ebpf_btf *b, uint32_t id, const char *name, struct btf_sb *out, btf_base_fn base,
                    void *ctx, int depth);

/* depth -1: the prototype of a named function, printed with param names. */
static int proto_params(const struct ebpf_btf *b, const struct btf_type *t, struct btf_sb *d, btf_base_fn base,
                        void *ctx, int depth)
{
    const struct btf_param *p = (const struct btf_param *)(t + 1);
    uint32_t n = btf_vlen_of(t);
    sb_puts(d, "(");
    if (n == 0)
        sb_puts(d, "void");
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            sb_puts(d, ", ");
        if (p[i].type == 0 && i == n - 1) {
            sb_puts(d, "...");
            continue;
        }
        const char *pn = depth < 0 ? ebpf_btf_str(b, p[i].name_off) : "";
        int r = decl_rec(b, p[i].type, pn ? pn : "", d, base, ctx, depth < 0 ? 1 : depth + 1);
        if (r < 0)
            return r;
    }
    sb_puts(d, ")");
    return 0;
}

static int decl_rec(const struct ebpf_btf *b, uint32_t id, const char *name, struct btf_sb *out, btf_base_fn base,
                    void *ctx, int depth)
{
    if (depth > 8)
        return ebpf_err(ELOOP, "decl", "btf: type %u: declaration nested too deeply", id);
    uint32_t chain[BTF_MAX_CHAIN];
    int n = 0;
    uint32_t cur = id;
    for (;;) {
        const struct btf_type *t = btf_t(b, cur);
        if (cur && !t)
            return ebpf_err(EINVAL, "decl", "btf: bad type id %u", cur);
        if (!t || !declarator_kind(btf_kind_of(t)))
            break;
        if (n == BTF_MAX_CHAIN)
            return ebpf_err(ELOOP, "decl", "btf: type %u: reference cycle or chain too deep", id);
        chain[n++] = cur;
        cur = btf_kind_of(t) == BTF_KIND_ARRAY ? ((const struct btf_array *)(t + 1))->type : t->type;
    }
    /* Qualifiers next to the base go before it ("const char"). */
    int nbase = n;
    while (nbase > 0 && is_modifier(btf_kind_of(btf_t(b, chain[nbase - 1]))))
        nbase--;
    struct btf_sb d = {0};
    sb_puts(&d, name ? name : "");
    bool prefixed = false; /* declarator starts with a '*' or qualifier */
    unsigned quals = 0;    /* qualifiers that end up on the base type */
    int r = 0;
    for (int i = 0; i < nbase && r == 0; i++) {
        const struct btf_type *t = btf_t(b, chain[i]);
        uint32_t k = btf_kind_of(t);
        if (k == BTF_KIND_TYPE_TAG)
            continue;
        if (is_modifier(k)) {
            int j = i + 1;
            while (j < nbase && is_modifier(btf_kind_of(btf_t(b, chain[j]))))
                j++;
            uint32_t nk = j < nbase ? btf_kind_of(btf_t(b, chain[j])) : BTF_KIND_UNKN;
            if (nk == BTF_KIND_ARRAY) {
                /* A qualified array is an array of qualified elements. */
                quals |= 1u << k;
                continue;
            }
            if (nk == BTF_KIND_FUNC_PROTO)
                continue; /* qualified function types mean nothing */
            /* Qualifies the pointer below it: "*const p". */
            const char *q = k == BTF_KIND_CONST ? "const" : k == BTF_KIND_VOLATILE ? "volatile" : "restrict";
            struct btf_sb nd = {0};
            sb_puts(&nd, q);
            if (d.len && d.s[0] != '*')
                sb_puts(&nd, " ");
            if (d.len)
                sb_put(&nd, d.s, d.len);
            sb_free(&d);
            d = nd;
            prefixed = true;
        } else if (k == BTF_KIND_PTR) {
            struct btf_sb nd = {0};
            sb_puts(&nd, "*");
            if (d.len)
                sb_put(&nd, d.s, d.len);
            sb_free(&d);
            d = nd;
            prefixed = true;
        } else {
            if (prefixed) {
                struct btf_sb nd = {0};
                sb_puts(&nd, "(");
                if (d.len)
                    sb_put(&nd, d.s, d.len);
                sb_puts(&nd, ")");
                sb_free(&d);
                d = nd;
                prefixed = false;
            }
            if (k == BTF_KIND_ARRAY)
                sb_printf(&d, "[%u]", ((const struct btf_array *)(t + 1))->nelems);
            else
                r = proto_params(b, t, &d, base, ctx, depth < 0 && i == 0 ? -1 : (depth < 0 ? 1 : depth));
        }
    }
    if (r == 0) {
        for (int i = n - 1; i >= nbase; i--)
            quals |= 1u << btf_kind_of(btf_t(b, chain[i]));
        if (quals & (1u << BTF_KIND_CONST))
            sb_puts(out, "const ");
        if (quals & (1u << BTF_KIND_VOLATILE))
            sb_puts(out, "volatile ");
        if (quals & (1u << BTF_KIND_RESTRICT))
            sb_puts(out, "restrict ");
        (base ? base : default_base)(ctx, out, cur);
        if (d.len) {
            if (d.s[0] != '[')
                sb_puts(out, " ");
            sb_put(out, d.s, d.len);
        }
    }
    if (d.oom)
        out->oom = true;
    sb_free(&d);
    return r;
}

int btf_decl_sb(const struct ebpf_btf *b, uint32_t id, const char *name, struct btf_sb *sb, btf_base_fn base,
                void *ctx)
{
    return decl_rec(b, id, name, sb, base, ctx, 0);
}

static void default_base(void *ctx, struct btf_sb *sb, uint32_t id)
{
    const struct ebpf_btf *b = ctx;
    const struct btf_type *t = btf_t(b, id);
    if (!t) {
        sb_puts(sb, "void");
        return;
    }
    const char *name = ebpf_btf_name(b, id);
    const char *kw = "";
    switch (btf_kind_of(t)) {
    case BTF_KIND_STRUCT: kw = "struct "; break;
    case BTF_KIND_UNION: kw = "union "; break;
    case BTF_KIND_ENUM: case BTF_KIND_ENUM64: kw = "enum "; break;
    case BTF_KIND_FWD: kw = btf_kflag_of(t) ? "union " : "struct "; break;
    default: break;
    }
    sb_puts(sb, kw);
    sb_puts(sb, *name ? name : "{...}");
}

int ebpf_btf_decl(const struct ebpf_btf *b, uint32_t id, const char *name, char *buf, size_t len)
{
    struct btf_sb sb = {0};
    const struct btf_type *t = btf_t(b, id);
    int r;
    if (id && !t)
        return ebpf_err(EINVAL, "decl", "btf: bad type id %u", id);
    /* With a declarator name: a declaration of that type; without: the
     * definition form of named entities (typedef, func, var). */
    uint32_t k = t && !name ? btf_kind_of(t) : 0;
    if (k == BTF_KIND_FUNC) {
        r = decl_rec(b, t->type, ebpf_btf_name(b, id), &sb, default_base, (void *)b, -1);
    } else if (k == BTF_KIND_VAR) {
        r = btf_decl_sb(b, t->type, ebpf_btf_name(b, id), &sb, default_base, (void *)b);
    } else if (k == BTF_KIND_TYPEDEF) {
        sb_puts(&sb, "typedef ");
        r = btf_decl_sb(b, t->type, ebpf_btf_name(b, id), &sb, default_base, (void *)b);
    } else if (k == BTF_KIND_DATASEC) {
        sb_printf(&sb, "SEC(\"%s\")", ebpf_btf_name(b, id));
        r = 0;
    } else if (k == BTF_KIND_DECL_TAG) {
        sb_printf(&sb, "__attribute__((btf_decl_tag(\"%s\")))", ebpf_btf_name(b, id));
        r = 0;
    } else {
        r = btf_decl_sb(b, id, name, &sb, default_base, (void *)b);
    }
    if (r == 0 && sb.oom)
        r = ebpf_err(ENOMEM, "decl", "btf: out of memory");
    if (r == 0) {
        if (len) {
            size_t n = sb.len < len - 1 ? sb.len : len - 1;
            if (sb.s)
                memcpy(buf, sb.s, n);
            buf[n] = 0;
        }
        r = (int)sb.len;
    }
    sb_free(&sb);
    return r;
}
