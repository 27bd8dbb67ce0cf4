/* Values through BTF types: integer/bitfield access and a text formatter
 * ({.pid = 1, .comm = "bash"}) shared by tools, tests and the fuzzer. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf_internal.h"
#include "error_internal.h"

int ebpf_btf_read_bits(const void *data, size_t size, uint32_t bit_off, uint32_t nbytes, uint32_t bits,
                       bool is_signed, uint64_t *out)
{
    const unsigned char *p = data;
    if (nbytes == 0 || nbytes > 16 || bits > 64 || (!bits && bit_off % 8))
        return -EINVAL;
    uint64_t v = 0;
    if (!bits) {
        size_t off = bit_off / 8;
        if (off > size || nbytes > size - off)
            return -EINVAL;
        uint32_t n = nbytes > 8 ? 8 : nbytes;
        for (uint32_t i = 0; i < n; i++) /* little-endian storage */
            v |= (uint64_t)p[off + i] << (8 * i);
        bits = n * 8;
    } else {
        uint64_t end = (uint64_t)bit_off + bits;
        if ((end + 7) / 8 > size)
            return -EINVAL;
        for (uint32_t i = 0; i < bits; i++) {
            uint32_t b = bit_off + i;
            if (p[b / 8] >> (b % 8) & 1)
                v |= 1ull << i;
        }
    }
    if (is_signed && bits < 64 && (v >> (bits - 1) & 1))
        v |= ~0ull << bits;
    *out = v;
    return 0;
}

int ebpf_btf_write_bits(void *data, size_t size, uint32_t bit_off, uint32_t nbytes, uint32_t bits, uint64_t v)
{
    unsigned char *p = data;
    if (nbytes == 0 || nbytes > 16 || bits > 64 || (!bits && bit_off % 8))
        return -EINVAL;
    if (!bits) {
        size_t off = bit_off / 8;
        if (off > size || nbytes > size - off)
            return -EINVAL;
        for (uint32_t i = 0; i < nbytes; i++)
            p[off + i] = i < 8 ? (unsigned char)(v >> (8 * i)) : (unsigned char)((int64_t)v < 0 ? 0xff : 0);
        return 0;
    }
    uint64_t end = (uint64_t)bit_off + bits;
    if ((end + 7) / 8 > size)
        return -EINVAL;
    for (uint32_t i = 0; i < bits; i++) {
        uint32_t b = bit_off + i;
        if (v >> i & 1)
            p[b / 8] |= (unsigned char)(1u << (b % 8));
        else
            p[b / 8] &= (unsigned char)~(1u << (b % 8));
    }
    return 0;
}

/* ---- formatter ---- */

struct fmt {
    const struct ebpf_btf *b;
    const unsigned char *data;
    size_t size;
    struct btf_sb sb;
    int err;
    uint32_t budget; /* visits left: hostile BTF can nest exponentially */
};

static bool is_char_int(const struct ebpf_btf *b, uint32_t id)
{
    const struct btf_type *t = btf_t(b, ebpf_btf_resolve(b, id));
    if (!t || btf_kind_of(t) != BTF_KIND_INT || t->size != 1)
        return false;
    /* plain char (or the CHAR encoding) only: unsigned char/__u8/__s8
     * arrays are bytes, shown as numbers */
    uint32_t v;
    memcpy(&v, t + 1, 4);
    return (BTF_INT_ENCODING(v) & BTF_INT_CHAR) || strcmp(ebpf_btf_name(b, ebpf_btf_resolve(b, id)), "char") == 0;
}

static void fmt_value(struct fmt *f, uint32_t id, uint64_t bitoff, uint32_t bitsz, int depth);

static void fmt_members(struct fmt *f, uint32_t sid, uint64_t bitoff, int depth, bool *first)
{
    const struct btf_type *t = btf_t(f->b, sid);
    for (uint32_t i = 0; i < btf_vlen_of(t) && !f->err; i++) {
        if (!f->budget--) {
            f->err = -E2BIG;
            return;
        }
        struct ebpf_btf_member m;
        ebpf_btf_member(f->b, sid, i, &m);
        uint32_t rt = ebpf_btf_resolve(f->b, m.type);
        int k = ebpf_btf_kind(f->b, rt);
        if (!*m.name && (k == BTF_KIND_STRUCT || k == BTF_KIND_UNION)) {
            if (depth > 32) {
                f->err = -ELOOP;
                return;
            }
            fmt_members(f, rt, bitoff + m.bit_offset, depth + 1, first);
            continue;
        }
        if (!*m.name)
            continue;
        sb_puts(&f->sb, *first ? "" : ", ");
        *first = false;
        sb_printf(&f->sb, ".%s = ", m.name);
        fmt_value(f, m.type, bitoff + m.bit_offset, m.bitfield_size, depth + 1);
    }
}

static void fmt_value(struct fmt *f, uint32_t id, uint64_t bitoff, uint32_t bitsz, int depth)
{
    if (f->err)
        return;
    if (depth > 64 || f->sb.len > (64u << 20)) {
        f->err = -ELOOP;
        return;
    }
    uint32_t rid = ebpf_btf_resolve(f->b, id);
    const struct btf_type *t = btf_t(f->b, rid);
    if (!t) {
        f->err = -EINVAL;
        return;
    }
    int64_t sz = ebpf_btf_sizeof(f->b, rid);
    if (bitoff > UINT32_MAX) {
        f->err = -EINVAL;
        return;
    }
    uint32_t bo = (uint32_t)bitoff;
    if (!bitsz && bo % 8) {
        /* A non-bitfield member at an unaligned offset: treat as bitfield. */
        if (sz <= 0 || sz > 8) {
            f->err = -EINVAL;
            return;
        }
        bitsz = (uint32_t)sz * 8;
    }
    switch (btf_kind_of(t)) {
    case BTF_KIND_INT: case BTF_KIND_ENUM: case BTF_KIND_ENUM64: case BTF_KIND_PTR: {
        bool sgn = ebpf_btf_is_signed(f->b, rid);
        uint64_t v;
        if (sz <= 0 || ebpf_btf_read_bits(f->data, f->size, bo, (uint32_t)sz, bitsz, sgn, &v) < 0) {
            f->err = -EINVAL;
            return;
        }
        const char *en = btf_kind_of(t) == BTF_KIND_INT || btf_kind_of(t) == BTF_KIND_PTR
                             ? NULL : ebpf_btf_enum_name_of(f->b, rid, (int64_t)v);
        if (en)
            sb_puts(&f->sb, en);
        else if (btf_kind_of(t) == BTF_KIND_PTR)
            sb_printf(&f->sb, "0x%" PRIx64, v);
        else if (sgn)
            sb_printf(&f->sb, "%" PRId64, (int64_t)v);
        else
            sb_printf(&f->sb, "%" PRIu64, v);
        return;
    }
    case BTF_KIND_FLOAT: {
        if (sz <= 0 || bo / 8 + (uint64_t)sz > f->size) {
            f->err = -EINVAL;
            return;
        }
        if (sz == 4) {
            float x;
            memcpy(&x, f->data + bo / 8, 4);
            sb_printf(&f->sb, "%g", (double)x);
        } else if (sz == 8) {
            double x;
            memcpy(&x, f->data + bo / 8, 8);
            sb_printf(&f->sb, "%g", x);
        } else {
            sb_puts(&f->sb, "<float>");
        }
        return;
    }
    case BTF_KIND_ARRAY: {
        struct ebpf_btf_array_info a;
        ebpf_btf_array(f->b, rid, &a);
        int64_t es = ebpf_btf_sizeof(f->b, a.type);
        if (es < 0 || sz < 0 || bo / 8 + (uint64_t)sz > f->size) {
            f->err = -EINVAL;
            return;
        }
        if (is_char_int(f->b, a.type)) {
            const unsigned char *s = f->data + bo / 8;
            sb_puts(&f->sb, "\"");
            for (uint32_t i = 0; i < a.nelems && s[i]; i++) {
                if (s[i] == '"' || s[i] == '\\')
                    sb_printf(&f->sb, "\\%c", s[i]);
                else if (s[i] >= 32 && s[i] < 127)
                    sb_put(&f->sb, (const char *)s + i, 1);
                else
                    sb_printf(&f->sb, "\\x%02x", s[i]);
            }
            sb_puts(&f->sb, "\"");
            return;
        }
        sb_puts(&f->sb, "[");
        /* Elements without bytes carry nothing to show; walking them would
         * let a tiny value cost billions of visits. */
        for (uint32_t i = 0; es > 0 && i < a.nelems && !f->err; i++) {
            if (!f->budget--) {
                f->err = -E2BIG;
                return;
            }
            if (i)
                sb_puts(&f->sb, ", ");
            fmt_value(f, a.type, bitoff + (uint64_t)i * (uint64_t)es * 8, 0, depth + 1);
        }
        sb_puts(&f->sb, "]");
        return;
    }
    case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
        if (sz < 0 || bo / 8 + (uint64_t)sz > f->size) {
            f->err = -EINVAL;
            return;
        }
        bool first = true;
        sb_puts(&f->sb, "{");
        fmt_members(f, rid, bitoff, depth, &first);
        sb_puts(&f->sb, "}");
        return;
    }
    default:
        f->err = -EINVAL;
        return;
    }
}

int ebpf_btf_format_value(const struct ebpf_btf *b, uint32_t id, const void *data, size_t size, char *buf, size_t len)
{
    int64_t sz = ebpf_btf_sizeof(b, id);
    if (sz < 0)
        return (int)sz;
    if ((uint64_t)sz > size)
        return ebpf_err(EINVAL, "format", "btf: value of type %u needs %" PRId64 " bytes, got %zu", id, sz, size);
    /* The work is bounded by the value's bytes: every visit but the
     * nameless-member walks shows at least one byte of it. */
    uint64_t budget = 4096 + (uint64_t)size * 64;
    struct fmt f = {.b = b, .data = data, .size = size, .budget = budget < (1u << 24) ? (uint32_t)budget : 1u << 24};
    fmt_value(&f, id, 0, 0, 0);
    if (!f.err && f.sb.oom)
        f.err = -ENOMEM;
    int r = f.err;
    if (r < 0) {
        ebpf_err(-r, "format", "btf: cannot format a value of type %u", id);
    } else {
        if (len) {
            size_t n = f.sb.len < len - 1 ? f.sb.len : len - 1;
            if (f.sb.s)
                memcpy(buf, f.sb.s, n);
            buf[n] = 0;
        }
        r = f.sb.len > INT32_MAX ? -E2BIG : (int)f.sb.len;
    }
    sb_free(&f.sb);
    return r;
}
