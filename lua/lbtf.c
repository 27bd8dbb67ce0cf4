/* ebpf.btf: BTF objects (kernel, files, bytes, modules, kernel ids, the
 * builder) and their types as Lua values: t.name, t.kind, t.size,
 * t.members, tostring(t) = its C declaration, t:decode(bytes) and
 * t:encode(value). Types are (btf, id) pairs: a small userdata whose user
 * value keeps the BTF alive. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/btf.h"
#include "ebpf/sys.h"
#include "lbtf.h"
#include "lmap.h"

#define MAX_DEPTH 48

/* ---- objects ---- */

lbtf *ebpf_lua_tobtf(lua_State *L, int idx)
{
    lbtf *lb = luaL_checkudata(L, idx, EBPF_BTF_MT);
    if (!lb->b)
        luaL_error(L, "attempt to use a closed btf");
    return lb;
}

lbtf *ebpf_lua_push_btf(lua_State *L, struct ebpf_btf *b, int owned, int parent_idx)
{
    if (parent_idx)
        parent_idx = lua_absindex(L, parent_idx);
    lbtf *lb = lua_newuserdatauv(L, sizeof(lbtf), 1);
    lb->b = NULL;
    lb->owned = 0;
    luaL_setmetatable(L, EBPF_BTF_MT);
    if (!b) {
        lua_pop(L, 1);
        return NULL;
    }
    lb->b = b;
    lb->owned = (uint8_t)owned;
    if (parent_idx) {
        lua_pushvalue(L, parent_idx);
        lua_setiuservalue(L, -2, 1);
    }
    return lb;
}

void ebpf_lua_push_btf_type(lua_State *L, int btf_idx, uint32_t id)
{
    btf_idx = lua_absindex(L, btf_idx);
    lbtf_type *t = lua_newuserdatauv(L, sizeof(lbtf_type), 1);
    t->id = id;
    luaL_setmetatable(L, EBPF_BTF_TYPE_MT);
    lua_pushvalue(L, btf_idx);
    lua_setiuservalue(L, -2, 1);
}

const struct ebpf_btf *ebpf_lua_check_btf_type(lua_State *L, int idx, uint32_t *id)
{
    lbtf_type *t = luaL_checkudata(L, idx, EBPF_BTF_TYPE_MT);
    lua_getiuservalue(L, idx, 1);
    lbtf *lb = lua_touserdata(L, -1);
    lua_pop(L, 1); /* still referenced by the type */
    if (!lb || !lb->b)
        luaL_error(L, "attempt to use a type of a closed btf");
    *id = t->id;
    return lb->b;
}

/* A type argument: an ebpf.btf_type of btf `bidx`, an id, or a name. */
static uint32_t check_type_arg(lua_State *L, int idx, const struct ebpf_btf *b, const char *what)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        lua_Integer id = luaL_checkinteger(L, idx);
        if (id < 0 || id >= ebpf_btf_type_cnt(b))
            luaL_error(L, "%s: no type id %I", what, (LUAI_UACINT)id);
        return (uint32_t)id;
    }
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char *n = lua_tostring(L, idx);
        int64_t id = ebpf_btf_find(b, n, -1);
        if (id < 0)
            luaL_error(L, "%s: no type named '%s'", what, n);
        return (uint32_t)id;
    }
    if (lua_isnil(L, idx))
        return 0;
    uint32_t id;
    const struct ebpf_btf *tb = ebpf_lua_check_btf_type(L, idx, &id);
    if (tb != b) {
        /* Types of the base are valid in a split BTF. */
        const struct ebpf_btf *x = b;
        while (x && x != tb)
            x = ebpf_btf_base(x);
        if (!x)
            luaL_error(L, "%s: type belongs to another btf", what);
    }
    return id;
}

static const char *kind_str(const struct ebpf_btf *b, uint32_t id)
{
    const char *k = ebpf_btf_kind_name(ebpf_btf_kind(b, id));
    return k ? k : "?";
}

/* ---- value decoding ---- */

struct vctx {
    const struct ebpf_btf *b;
    const unsigned char *data;
    size_t size;
    uint32_t budget; /* visits left: hostile BTF can nest exponentially */
    bool full_strings; /* char arrays keep all their bytes (not cut at NUL) */
};

#define VISIT_BUDGET (1u << 24)

/* A 1-byte integer element: its arrays encode from strings. */
bool ebpf_lua_btf_is_byte(const struct ebpf_btf *b, uint32_t id)
{
    uint32_t r = ebpf_btf_resolve(b, id);
    struct ebpf_btf_int_info ii;
    if (ebpf_btf_kind(b, r) != BTF_KIND_INT || ebpf_btf_int(b, r, &ii) < 0 || ii.bits != 8)
        return false;
    return true;
}

/* Plain `char` (through typedefs): only its arrays are C strings, cut at
 * the first NUL; __u8/unsigned char/__s8 arrays are bytes (an IPv4 address
 * or a NUL-separated argv buffer must keep all of them). An explicit CHAR
 * encoding also makes a string, as for bpftool. */
bool ebpf_lua_btf_is_text_char(const struct ebpf_btf *b, uint32_t id)
{
    uint32_t r = ebpf_btf_resolve(b, id);
    struct ebpf_btf_int_info ii;
    if (!ebpf_lua_btf_is_byte(b, id) || ebpf_btf_int(b, r, &ii) < 0)
        return false;
    return (ii.encoding & BTF_INT_CHAR) || strcmp(ebpf_btf_name(b, r), "char") == 0;
}

static void decode_at(lua_State *L, struct vctx *c, uint32_t id, uint64_t bitoff, uint32_t bitsz, int depth);

static void decode_members(lua_State *L, struct vctx *c, uint32_t sid, uint64_t bitoff, int depth)
{
    uint16_t n = ebpf_btf_vlen(c->b, sid);
    for (uint32_t i = 0; i < n; i++) {
        struct ebpf_btf_member m;
        ebpf_btf_member(c->b, sid, i, &m);
        if (!*m.name) {
            uint32_t r = ebpf_btf_resolve(c->b, m.type);
            int k = ebpf_btf_kind(c->b, r);
            if (k == BTF_KIND_STRUCT || k == BTF_KIND_UNION) {
                if (depth > MAX_DEPTH)
                    luaL_error(L, "btf: value nested too deeply");
                decode_members(L, c, r, bitoff + m.bit_offset, depth + 1); /* flattened as C does */
            }
            continue;
        }
        decode_at(L, c, m.type, bitoff + m.bit_offset, m.bitfield_size, depth + 1);
        lua_setfield(L, -2, m.name);
    }
}

static void decode_at(lua_State *L, struct vctx *c, uint32_t id, uint64_t bitoff, uint32_t bitsz, int depth)
{
    if (depth > MAX_DEPTH)
        luaL_error(L, "btf: value nested too deeply");
    if (!c->budget--)
        luaL_error(L, "btf: value too complex to decode");
    luaL_checkstack(L, 4, "btf decode");
    uint32_t r = ebpf_btf_resolve(c->b, id);
    int kind = ebpf_btf_kind(c->b, r);
    int64_t sz = ebpf_btf_sizeof(c->b, r);
    if (sz < 0)
        luaL_error(L, "btf: cannot decode a value of type %d (%s): %s", (int)r, kind_str(c->b, r),
                   ebpf_error_message());
    if (bitoff > UINT32_MAX || (!bitsz && bitoff / 8 + (uint64_t)sz > c->size))
        luaL_error(L, "btf: value of type %d out of the %d given bytes", (int)r, (int)c->size);
    uint32_t bo = (uint32_t)bitoff;
    if (!bitsz && bo % 8 && sz <= 8)
        bitsz = (uint32_t)sz * 8; /* unaligned plain member: read it as bits */
    switch (kind) {
    case BTF_KIND_INT: case BTF_KIND_ENUM: case BTF_KIND_ENUM64: case BTF_KIND_PTR: {
        if (sz > 16)
            luaL_error(L, "btf: integer of %d bytes", (int)sz);
        bool sgn = ebpf_btf_is_signed(c->b, r);
        uint64_t v;
        if (ebpf_btf_read_bits(c->data, c->size, bo, (uint32_t)sz, bitsz, sgn, &v) < 0)
            luaL_error(L, "btf: value of type %d out of the %d given bytes", (int)r, (int)c->size);
        struct ebpf_btf_int_info ii;
        if (kind == BTF_KIND_INT && ebpf_btf_int(c->b, r, &ii) == 0 && (ii.encoding & BTF_INT_BOOL))
            lua_pushboolean(L, v != 0);
        else
            lua_pushinteger(L, (lua_Integer)v);
        return;
    }
    case BTF_KIND_FLOAT:
        if (sz == 4) {
            float f;
            memcpy(&f, c->data + bo / 8, 4);
            lua_pushnumber(L, (lua_Number)f);
        } else if (sz == 8) {
            double d;
            memcpy(&d, c->data + bo / 8, 8);
            lua_pushnumber(L, (lua_Number)d);
        } else {
            lua_pushlstring(L, (const char *)c->data + bo / 8, (size_t)sz); /* long double: raw */
        }
        return;
    case BTF_KIND_ARRAY: {
        struct ebpf_btf_array_info a;
        ebpf_btf_array(c->b, r, &a);
        if (ebpf_lua_btf_is_byte(c->b, a.type)) {
            const char *s = (const char *)c->data + bo / 8;
            bool text = !c->full_strings && ebpf_lua_btf_is_text_char(c->b, a.type);
            lua_pushlstring(L, s, text ? strnlen(s, a.nelems) : a.nelems);
            return;
        }
        int64_t es = ebpf_btf_sizeof(c->b, a.type);
        if (es < 0)
            luaL_error(L, "btf: array %d: %s", (int)r, ebpf_error_message());
        lua_createtable(L, (int)(a.nelems < 1024 ? a.nelems : 1024), 0);
        for (uint32_t i = 0; es > 0 && i < a.nelems; i++) { /* elements without bytes: nothing to decode */
            decode_at(L, c, a.type, bitoff + (uint64_t)i * (uint64_t)es * 8, 0, depth + 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        return;
    }
    case BTF_KIND_STRUCT: case BTF_KIND_UNION:
        lua_createtable(L, 0, ebpf_btf_vlen(c->b, r));
        decode_members(L, c, r, bitoff, depth);
        return;
    default:
        luaL_error(L, "btf: cannot decode a value of type %d (%s)", (int)r, kind_str(c->b, r));
    }
}

/* ---- value encoding ---- */

struct ectx {
    const struct ebpf_btf *b;
    unsigned char *buf;
    size_t size;
    const char *what; /* error prefix: "btf encode" unless the caller names the value */
    char path[256];
};

/* Appends ".name" (a member) or "[i]" (an element) to the error path. */
static void path_push(struct ectx *e, size_t *save, const char *name, lua_Integer i)
{
    *save = strlen(e->path);
    size_t n = *save;
    if (name)
        snprintf(e->path + n, sizeof(e->path) - n, "%s%s", n ? "." : "", name);
    else
        snprintf(e->path + n, sizeof(e->path) - n, "[%lld]", (long long)i);
}

static int enc_fail(lua_State *L, struct ectx *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int enc_fail(lua_State *L, struct ectx *e, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    const char *what = e->what ? e->what : "btf encode";
    if (e->path[0])
        return luaL_error(L, "%s: field '%s': %s", what, e->path, msg);
    return luaL_error(L, "%s: %s", what, msg);
}

static void encode_at(lua_State *L, struct ectx *e, uint32_t id, int idx, uint64_t bitoff, uint32_t bitsz,
                      int depth);

/* Finds member `name` of struct sid, looking into anonymous members; sets
 * the member and its absolute bit offset. */
static bool find_member_rec(const struct ebpf_btf *b, uint32_t sid, const char *name, uint64_t base,
                            struct ebpf_btf_member *out, uint64_t *bitoff, int depth, uint32_t *budget)
{
    uint16_t n = ebpf_btf_vlen(b, sid);
    if (depth > MAX_DEPTH)
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (!(*budget)--)
            return false;
        struct ebpf_btf_member m;
        ebpf_btf_member(b, sid, i, &m);
        if (*m.name) {
            if (!strcmp(m.name, name)) {
                *out = m;
                *bitoff = base + m.bit_offset;
                return true;
            }
            continue;
        }
        uint32_t r = ebpf_btf_resolve(b, m.type);
        int k = ebpf_btf_kind(b, r);
        if ((k == BTF_KIND_STRUCT || k == BTF_KIND_UNION) &&
            find_member_rec(b, r, name, base + m.bit_offset, out, bitoff, depth + 1, budget))
            return true;
    }
    return false;
}

static bool find_member(const struct ebpf_btf *b, uint32_t sid, const char *name, uint64_t base,
                        struct ebpf_btf_member *out, uint64_t *bitoff, int depth)
{
    uint32_t budget = 1u << 20;
    return find_member_rec(b, sid, name, base, out, bitoff, depth, &budget);
}

static void encode_int(lua_State *L, struct ectx *e, uint32_t r, int kind, int idx, uint32_t bo, uint32_t bitsz,
                       int64_t sz)
{
    bool sgn = ebpf_btf_is_signed(e->b, r);
    lua_Integer v;
    int t = lua_type(L, idx);
    struct ebpf_btf_int_info ii;
    bool is_bool = kind == BTF_KIND_INT && ebpf_btf_int(e->b, r, &ii) == 0 && (ii.encoding & BTF_INT_BOOL);
    if (t == LUA_TBOOLEAN) {
        v = lua_toboolean(L, idx);
    } else if (t == LUA_TSTRING && (kind == BTF_KIND_ENUM || kind == BTF_KIND_ENUM64)) {
        const char *s = lua_tostring(L, idx);
        uint16_t n = ebpf_btf_vlen(e->b, r);
        uint32_t i = 0;
        struct ebpf_btf_enum_value ev;
        for (; i < n; i++)
            if (ebpf_btf_enum_value(e->b, r, i, &ev) == 0 && !strcmp(ev.name, s))
                break;
        if (i == n)
            enc_fail(L, e, "'%s' is not a value of enum %s", s, ebpf_btf_name(e->b, r));
        v = (lua_Integer)ev.value;
    } else {
        int isnum;
        v = lua_tointegerx(L, idx, &isnum);
        if (!isnum || t != LUA_TNUMBER)
            enc_fail(L, e, "expected %s, got %s", is_bool ? "a boolean or integer" : "an integer",
                     luaL_typename(L, idx));
    }
    uint32_t bits = bitsz ? bitsz : (uint32_t)(sz > 8 ? 64 : sz * 8);
    if (bits < 64) {
        /* Signed fields take [-2^(b-1), 2^(b-1)); unsigned [0, 2^b). Enums
         * also accept the other signedness' range of the same width. */
        lua_Integer lo = sgn ? -((lua_Integer)1 << (bits - 1)) : 0;
        lua_Integer hi = sgn ? ((lua_Integer)1 << (bits - 1)) - 1 : ((lua_Integer)1 << bits) - 1;
        if (kind == BTF_KIND_ENUM || kind == BTF_KIND_ENUM64) {
            lo = -((lua_Integer)1 << (bits - 1));
            hi = ((lua_Integer)1 << bits) - 1;
        }
        if (v < lo || v > hi)
            enc_fail(L, e, "%lld out of range for %s", (long long)v, ebpf_btf_name(e->b, r));
    } else if (!sgn && v < 0 && kind == BTF_KIND_INT && bits == 64 && sz <= 8) {
        /* u64 values >= 2^63 are negative Lua integers: accepted as is. */
    }
    if (ebpf_btf_write_bits(e->buf, e->size, bo, (uint32_t)sz, bitsz, (uint64_t)v) < 0)
        enc_fail(L, e, "out of bounds");
}

static void encode_at(lua_State *L, struct ectx *e, uint32_t id, int idx, uint64_t bitoff, uint32_t bitsz,
                      int depth)
{
    if (depth > MAX_DEPTH)
        luaL_error(L, "btf encode: value nested too deeply");
    luaL_checkstack(L, 6, "btf encode");
    idx = lua_absindex(L, idx);
    uint32_t r = ebpf_btf_resolve(e->b, id);
    int kind = ebpf_btf_kind(e->b, r);
    int64_t sz = ebpf_btf_sizeof(e->b, r);
    if (sz < 0)
        enc_fail(L, e, "type %s has no size", kind_str(e->b, r));
    if (bitoff > UINT32_MAX || (!bitsz && bitoff / 8 + (uint64_t)sz > e->size))
        enc_fail(L, e, "out of bounds");
    uint32_t bo = (uint32_t)bitoff;
    if (!bitsz && bo % 8 && sz <= 8)
        bitsz = (uint32_t)sz * 8;
    int t = lua_type(L, idx);
    /* Raw bytes of the exact size work for any aggregate. */
    if (t == LUA_TSTRING && (kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION ||
                             (kind == BTF_KIND_ARRAY && !bitsz))) {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        struct ebpf_btf_array_info a;
        if (kind == BTF_KIND_ARRAY && ebpf_btf_array(e->b, r, &a) == 0 && ebpf_lua_btf_is_byte(e->b, a.type)) {
            if (len > a.nelems)
                enc_fail(L, e, "string of %lld bytes does not fit char[%u]", (long long)len, a.nelems);
            memcpy(e->buf + bo / 8, s, len);
            memset(e->buf + bo / 8 + len, 0, a.nelems - len);
            return;
        }
        if (len != (size_t)sz)
            enc_fail(L, e, "expected a table or %lld raw bytes, got a string of %lld", (long long)sz, (long long)len);
        memcpy(e->buf + bo / 8, s, len);
        return;
    }
    switch (kind) {
    case BTF_KIND_INT: case BTF_KIND_ENUM: case BTF_KIND_ENUM64: case BTF_KIND_PTR:
        if (sz > 16)
            enc_fail(L, e, "integer of %lld bytes", (long long)sz);
        encode_int(L, e, r, kind, idx, bo, bitsz, sz);
        return;
    case BTF_KIND_FLOAT: {
        int isnum;
        lua_Number n = lua_tonumberx(L, idx, &isnum);
        if (!isnum)
            enc_fail(L, e, "expected a number, got %s", luaL_typename(L, idx));
        if (sz == 4) {
            float f = (float)n;
            memcpy(e->buf + bo / 8, &f, 4);
        } else if (sz == 8) {
            double d = (double)n;
            memcpy(e->buf + bo / 8, &d, 8);
        } else {
            enc_fail(L, e, "float of %lld bytes needs raw bytes", (long long)sz);
        }
        return;
    }
    case BTF_KIND_ARRAY: {
        struct ebpf_btf_array_info a;
        ebpf_btf_array(e->b, r, &a);
        if (t != LUA_TTABLE)
            enc_fail(L, e, "expected a table (sequence), got %s", luaL_typename(L, idx));
        lua_Integer n = luaL_len(L, idx);
        if (n > a.nelems)
            enc_fail(L, e, "%lld elements for an array of %u", (long long)n, a.nelems);
        int64_t es = ebpf_btf_sizeof(e->b, a.type);
        for (lua_Integer i = 1; i <= n; i++) {
            size_t save;
            path_push(e, &save, NULL, i);
            lua_rawgeti(L, idx, i);
            encode_at(L, e, a.type, -1, bitoff + (uint64_t)(i - 1) * (uint64_t)es * 8, 0, depth + 1);
            lua_pop(L, 1);
            e->path[save] = 0;
        }
        return;
    }
    case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
        if (t != LUA_TTABLE)
            enc_fail(L, e, "expected a table, got %s", luaL_typename(L, idx));
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            if (lua_type(L, -2) != LUA_TSTRING)
                enc_fail(L, e, "field names must be strings, got %s", luaL_typename(L, -2));
            const char *name = lua_tostring(L, -2);
            struct ebpf_btf_member m;
            uint64_t mbo;
            if (!find_member(e->b, r, name, bitoff, &m, &mbo, 0)) {
                size_t save;
                path_push(e, &save, name, 0);
                luaL_error(L, "%s: invalid field name '%s' (%s %s has no such member)",
                           e->what ? e->what : "btf encode", e->path, kind_str(e->b, r),
                           *ebpf_btf_name(e->b, r) ? ebpf_btf_name(e->b, r) : "(anon)");
            }
            size_t save;
            path_push(e, &save, name, 0);
            encode_at(L, e, m.type, -1, mbo, m.bitfield_size, depth + 1);
            e->path[save] = 0;
            lua_pop(L, 1);
        }
        return;
    }
    default:
        enc_fail(L, e, "cannot encode a value of kind %s", kind_str(e->b, r));
    }
}

/* ---- type methods ---- */

static lbtf_type *totype(lua_State *L, int idx, const struct ebpf_btf **b)
{
    uint32_t id;
    *b = ebpf_lua_check_btf_type(L, idx, &id);
    return lua_touserdata(L, idx);
}

/* t:decode(bytes [, offset [, opts]]): bytes may also be an integer (as maps
 * hand out 1/2/4/8-byte values); opts.full_strings keeps char arrays whole. */
static int type_decode(lua_State *L)
{
    const struct ebpf_btf *b;
    lbtf_type *t = totype(L, 1, &b);
    size_t len;
    const char *s;
    unsigned char ibuf[8];
    if (lua_type(L, 2) == LUA_TNUMBER) {
        lua_Integer v = luaL_checkinteger(L, 2);
        int64_t sz = ebpf_btf_sizeof(b, t->id);
        if (sz != 1 && sz != 2 && sz != 4 && sz != 8)
            return luaL_error(L, "btf decode: an integer can only stand for 1, 2, 4 or 8 bytes");
        uint64_t u = (uint64_t)v;
        for (int i = 0; i < 8; i++)
            ibuf[i] = (unsigned char)(u >> (8 * i));
        s = (const char *)ibuf;
        len = (size_t)sz;
    } else {
        s = luaL_checklstring(L, 2, &len);
    }
    lua_Integer off = luaL_optinteger(L, 3, 0);
    if (off < 0 || (size_t)off > len)
        return luaL_argerror(L, 3, "offset out of range");
    int64_t sz = ebpf_btf_sizeof(b, t->id);
    if (sz < 0)
        return luaL_error(L, "btf decode: type %d (%s) has no size", (int)t->id, kind_str(b, t->id));
    if ((uint64_t)sz > len - (size_t)off)
        return luaL_error(L, "btf decode: type %s needs %d bytes, got %d", ebpf_btf_name(b, t->id), (int)sz,
                          (int)(len - (size_t)off));
    bool full = false;
    if (!lua_isnoneornil(L, 4)) {
        static const char *const f[] = {"full_strings", NULL};
        luaL_checktype(L, 4, LUA_TTABLE);
        ebpf_lua_check_fields(L, 4, f);
        full = ebpf_lua_opt_bool(L, 4, "full_strings", 0);
    }
    /* bounded by the value's bytes (every visit shows at least one) */
    uint64_t budget = 4096 + (uint64_t)(len - (size_t)off) * 64;
    struct vctx c = {b, (const unsigned char *)s + off, len - (size_t)off,
                     budget < VISIT_BUDGET ? (uint32_t)budget : VISIT_BUDGET, full};
    decode_at(L, &c, t->id, 0, 0, 0);
    return 1;
}

static int type_encode(lua_State *L)
{
    const struct ebpf_btf *b;
    lbtf_type *t = totype(L, 1, &b);
    luaL_checkany(L, 2);
    int64_t sz = ebpf_btf_sizeof(b, t->id);
    if (sz < 0)
        return luaL_error(L, "btf encode: type %d (%s) has no size", (int)t->id, kind_str(b, t->id));
    if (sz > (1 << 28))
        return luaL_error(L, "btf encode: type too large");
    unsigned char *buf = lua_newuserdatauv(L, (size_t)sz ? (size_t)sz : 1, 0);
    memset(buf, 0, (size_t)sz);
    struct ectx e = {.b = b, .buf = buf, .size = (size_t)sz};
    encode_at(L, &e, t->id, 2, 0, 0, 0);
    lua_pushlstring(L, (const char *)buf, (size_t)sz);
    return 1;
}

void ebpf_lua_btf_encode_into(lua_State *L, int idx, const struct ebpf_btf *b, uint32_t id, unsigned char *buf,
                              size_t size, const char *what)
{
    memset(buf, 0, size);
    struct ectx e = {.b = b, .buf = buf, .size = size, .what = what};
    encode_at(L, &e, id, lua_absindex(L, idx), 0, 0, 0);
}

void ebpf_lua_btf_decode_from(lua_State *L, const struct ebpf_btf *b, uint32_t id, const unsigned char *p,
                              size_t size)
{
    uint64_t budget = 4096 + (uint64_t)size * 64;
    struct vctx c = {b, p, size, budget < VISIT_BUDGET ? (uint32_t)budget : VISIT_BUDGET, false};
    decode_at(L, &c, id, 0, 0, 0);
}

static int push_decl(lua_State *L, const struct ebpf_btf *b, uint32_t id, const char *name)
{
    char small[256];
    int n = ebpf_btf_decl(b, id, name, small, sizeof(small));
    if (n < 0)
        return luaL_error(L, "%s", ebpf_error_message());
    if ((size_t)n < sizeof(small)) {
        lua_pushstring(L, small);
        return 1;
    }
    char *big = malloc((size_t)n + 1);
    if (!big)
        return luaL_error(L, "out of memory");
    ebpf_btf_decl(b, id, name, big, (size_t)n + 1);
    lua_pushstring(L, big);
    free(big);
    return 1;
}

/* t:decl([name]): the C declaration (of a variable `name` of this type). */
static int type_decl(lua_State *L)
{
    const struct ebpf_btf *b;
    lbtf_type *t = totype(L, 1, &b);
    return push_decl(L, b, t->id, luaL_optstring(L, 2, NULL));
}

static int push_dump(lua_State *L, const struct ebpf_btf *b, uint32_t id, unsigned flags)
{
    size_t len;
    char *s = ebpf_btf_dump_c_string(b, id, flags, &len);
    if (!s)
        return ebpf_lua_fail(L);
    lua_pushlstring(L, s, len);
    free(s);
    return 1;
}

static int type_tostring(lua_State *L)
{
    const struct ebpf_btf *b;
    lbtf_type *t = totype(L, 1, &b);
    int k = ebpf_btf_kind(b, t->id);
    const char *name = ebpf_btf_name(b, t->id);
    if ((k == BTF_KIND_STRUCT || k == BTF_KIND_UNION || k == BTF_KIND_ENUM || k == BTF_KIND_ENUM64) && *name) {
        /* The definition, without dependencies: what a REPL user wants. */
        size_t len;
        char *s = ebpf_btf_dump_c_string(b, t->id, EBPF_BTF_DUMP_SINGLE, &len);
        if (s) {
            while (len && (s[len - 1] == '\n' || s[len - 1] == ';'))
                len--;
            lua_pushlstring(L, s, len);
            free(s);
            return 1;
        }
    }
    return push_decl(L, b, t->id, NULL);
}

static int type_eq(lua_State *L)
{
    lbtf_type *a = luaL_testudata(L, 1, EBPF_BTF_TYPE_MT), *c = luaL_testudata(L, 2, EBPF_BTF_TYPE_MT);
    if (!a || !c || a->id != c->id) {
        lua_pushboolean(L, 0);
        return 1;
    }
    lua_getiuservalue(L, 1, 1);
    lua_getiuservalue(L, 2, 1);
    lbtf *x = lua_touserdata(L, -2), *y = lua_touserdata(L, -1);
    lua_pushboolean(L, x && y && x->b == y->b);
    return 1;
}

static int type_resolve(lua_State *L)
{
    const struct ebpf_btf *b;
    lbtf_type *t = totype(L, 1, &b);
    lua_getiuservalue(L, 1, 1);
    ebpf_lua_push_btf_type(L, -1, ebpf_btf_resolve(b, t->id));
    return 1;
}

static int type_skip_modifiers(lua_State *L)
{
    const struct ebpf_btf *b;
    lbtf_type *t = totype(L, 1, &b);
    lua_getiuservalue(L, 1, 1);
    ebpf_lua_push_btf_type(L, -1, ebpf_btf_skip_modifiers(b, t->id));
    return 1;
}

/* t:enum_name(v) -> name of the enumerator with value v, or nil. */
static int type_enum_name(lua_State *L)
{
    const struct ebpf_btf *b;
    lbtf_type *t = totype(L, 1, &b);
    const char *n = ebpf_btf_enum_name_of(b, t->id, (int64_t)luaL_checkinteger(L, 2));
    if (n)
        lua_pushstring(L, n);
    else
        lua_pushnil(L);
    return 1;
}

/* t:enum_value(name) -> integer value of an enumerator, or nil. */
static int type_enum_value(lua_State *L)
{
    const struct ebpf_btf *b;
    lbtf_type *t = totype(L, 1, &b);
    const char *name = luaL_checkstring(L, 2);
    uint32_t r = ebpf_btf_resolve(b, t->id);
    struct ebpf_btf_enum_value ev;
    for (uint32_t i = 0; ebpf_btf_enum_value(b, r, i, &ev) == 0; i++)
        if (!strcmp(ev.name, name)) {
            lua_pushinteger(L, (lua_Integer)ev.value);
            return 1;
        }
    lua_pushnil(L);
    return 1;
}

static void push_member(lua_State *L, int btf_idx, const struct ebpf_btf_member *m, uint64_t bitoff)
{
    lua_createtable(L, 0, 5);
    if (*m->name) {
        lua_pushstring(L, m->name);
        lua_setfield(L, -2, "name");
    }
    ebpf_lua_push_btf_type(L, btf_idx, m->type);
    lua_setfield(L, -2, "type");
    lua_pushinteger(L, (lua_Integer)bitoff);
    lua_setfield(L, -2, "bit_offset");
    lua_pushinteger(L, (lua_Integer)(bitoff / 8));
    lua_setfield(L, -2, "offset");
    if (m->bitfield_size) {
        lua_pushinteger(L, m->bitfield_size);
        lua_setfield(L, -2, "bitfield_size");
    }
}

/* t:member(name): the member (also inside anonymous members), with its
 * offset from the start of t, or nil. */
static int type_member(lua_State *L)
{
    const struct ebpf_btf *b;
    lbtf_type *t = totype(L, 1, &b);
    const char *name = luaL_checkstring(L, 2);
    uint32_t r = ebpf_btf_resolve(b, t->id);
    int k = ebpf_btf_kind(b, r);
    struct ebpf_btf_member m;
    uint64_t bo;
    if ((k != BTF_KIND_STRUCT && k != BTF_KIND_UNION) || !find_member(b, r, name, 0, &m, &bo, 0)) {
        lua_pushnil(L);
        return 1;
    }
    lua_getiuservalue(L, 1, 1);
    push_member(L, lua_gettop(L), &m, bo);
    return 1;
}

static int type_dump_c(lua_State *L)
{
    const struct ebpf_btf *b;
    lbtf_type *t = totype(L, 1, &b);
    return push_dump(L, b, t->id, EBPF_BTF_DUMP_NO_GUARD);
}

static const char *linkage_name(int kind, int l)
{
    if (kind == BTF_KIND_FUNC)
        return l == BTF_FUNC_STATIC ? "static" : l == BTF_FUNC_GLOBAL ? "global" : "extern";
    return l == BTF_VAR_STATIC ? "static" : l == BTF_VAR_GLOBAL_ALLOCATED ? "global" : "extern";
}

static int type_index(lua_State *L)
{
    const struct ebpf_btf *b;
    lbtf_type *t = totype(L, 1, &b);
    const char *k = luaL_checkstring(L, 2);
    /* Methods first: t:decode() sits on every map access with a codec. */
    lua_getmetatable(L, 1);
    lua_getfield(L, -1, "__methods");
    if (lua_getfield(L, -1, k) != LUA_TNIL)
        return 1;
    lua_pop(L, 3);
    uint32_t id = t->id;
    int kind = ebpf_btf_kind(b, id);
    lua_getiuservalue(L, 1, 1);
    int bidx = lua_gettop(L);
    if (!strcmp(k, "id")) {
        lua_pushinteger(L, id);
    } else if (!strcmp(k, "name")) {
        const char *n = ebpf_btf_name(b, id);
        if (*n)
            lua_pushstring(L, n);
        else
            lua_pushnil(L);
    } else if (!strcmp(k, "kind")) {
        lua_pushstring(L, kind_str(b, id));
    } else if (!strcmp(k, "btf")) {
        lua_pushvalue(L, bidx);
    } else if (!strcmp(k, "size")) {
        int64_t s = ebpf_btf_sizeof(b, id);
        if (s >= 0)
            lua_pushinteger(L, s);
        else
            lua_pushnil(L);
    } else if (!strcmp(k, "align")) {
        int64_t s = ebpf_btf_alignof(b, id);
        if (s >= 0)
            lua_pushinteger(L, s);
        else
            lua_pushnil(L);
    } else if (!strcmp(k, "vlen")) {
        lua_pushinteger(L, ebpf_btf_vlen(b, id));
    } else if (!strcmp(k, "kflag")) {
        lua_pushboolean(L, ebpf_btf_kflag(b, id));
    } else if (!strcmp(k, "members")) {
        if (kind != BTF_KIND_STRUCT && kind != BTF_KIND_UNION)
            return lua_pushnil(L), 1;
        uint16_t n = ebpf_btf_vlen(b, id);
        lua_createtable(L, n, 0);
        for (uint32_t i = 0; i < n; i++) {
            struct ebpf_btf_member m;
            ebpf_btf_member(b, id, i, &m);
            push_member(L, bidx, &m, m.bit_offset);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
    } else if (!strcmp(k, "values")) {
        if (kind != BTF_KIND_ENUM && kind != BTF_KIND_ENUM64)
            return lua_pushnil(L), 1;
        uint16_t n = ebpf_btf_vlen(b, id);
        lua_createtable(L, n, 0);
        for (uint32_t i = 0; i < n; i++) {
            struct ebpf_btf_enum_value ev;
            ebpf_btf_enum_value(b, id, i, &ev);
            lua_createtable(L, 0, 2);
            lua_pushstring(L, ev.name);
            lua_setfield(L, -2, "name");
            lua_pushinteger(L, (lua_Integer)ev.value);
            lua_setfield(L, -2, "value");
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
    } else if (!strcmp(k, "params")) {
        uint32_t pid = kind == BTF_KIND_FUNC ? ebpf_btf_ref(b, id) : id;
        if (ebpf_btf_kind(b, pid) != BTF_KIND_FUNC_PROTO)
            return lua_pushnil(L), 1;
        uint16_t n = ebpf_btf_vlen(b, pid);
        lua_createtable(L, n, 0);
        for (uint32_t i = 0; i < n; i++) {
            struct ebpf_btf_param p;
            ebpf_btf_param(b, pid, i, &p);
            lua_createtable(L, 0, 2);
            if (*p.name) {
                lua_pushstring(L, p.name);
                lua_setfield(L, -2, "name");
            }
            ebpf_lua_push_btf_type(L, bidx, p.type);
            lua_setfield(L, -2, "type");
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
    } else if (!strcmp(k, "type") || !strcmp(k, "ret")) {
        /* Referenced type: pointee, typedef target, func's proto, var's type,
         * array element, proto's return type. */
        uint32_t ref = ebpf_btf_ref(b, id);
        bool has = kind == BTF_KIND_PTR || kind == BTF_KIND_TYPEDEF || kind == BTF_KIND_VOLATILE ||
                   kind == BTF_KIND_CONST || kind == BTF_KIND_RESTRICT || kind == BTF_KIND_TYPE_TAG ||
                   kind == BTF_KIND_FUNC || kind == BTF_KIND_FUNC_PROTO || kind == BTF_KIND_VAR ||
                   kind == BTF_KIND_DECL_TAG || kind == BTF_KIND_ARRAY;
        if (!has)
            return lua_pushnil(L), 1;
        ebpf_lua_push_btf_type(L, bidx, ref);
    } else if (!strcmp(k, "nelems") || !strcmp(k, "index_type")) {
        struct ebpf_btf_array_info a;
        if (kind != BTF_KIND_ARRAY || ebpf_btf_array(b, id, &a) < 0)
            return lua_pushnil(L), 1;
        if (k[0] == 'n')
            lua_pushinteger(L, a.nelems);
        else
            ebpf_lua_push_btf_type(L, bidx, a.index_type);
    } else if (!strcmp(k, "encoding") || !strcmp(k, "bits")) {
        struct ebpf_btf_int_info ii;
        if (kind != BTF_KIND_INT || ebpf_btf_int(b, id, &ii) < 0)
            return lua_pushnil(L), 1;
        if (k[0] == 'b')
            lua_pushinteger(L, ii.bits);
        else if (ii.encoding & BTF_INT_BOOL)
            lua_pushstring(L, "bool");
        else if (ii.encoding & BTF_INT_CHAR)
            lua_pushstring(L, "char");
        else if (ii.encoding & BTF_INT_SIGNED)
            lua_pushstring(L, "signed");
        else
            lua_pushnil(L);
    } else if (!strcmp(k, "signed")) {
        lua_pushboolean(L, ebpf_btf_is_signed(b, id));
    } else if (!strcmp(k, "linkage")) {
        int l = ebpf_btf_linkage(b, id);
        if (l < 0)
            return lua_pushnil(L), 1;
        lua_pushstring(L, linkage_name(kind, l));
    } else if (!strcmp(k, "vars")) {
        if (kind != BTF_KIND_DATASEC)
            return lua_pushnil(L), 1;
        uint16_t n = ebpf_btf_vlen(b, id);
        lua_createtable(L, n, 0);
        for (uint32_t i = 0; i < n; i++) {
            struct ebpf_btf_var_secinfo v;
            ebpf_btf_datasec_var(b, id, i, &v);
            lua_createtable(L, 0, 3);
            ebpf_lua_push_btf_type(L, bidx, v.type);
            lua_setfield(L, -2, "type");
            lua_pushinteger(L, v.offset);
            lua_setfield(L, -2, "offset");
            lua_pushinteger(L, v.size);
            lua_setfield(L, -2, "size");
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
    } else if (!strcmp(k, "component")) {
        int32_t c;
        if (ebpf_btf_decl_tag_component(b, id, &c) < 0)
            return lua_pushnil(L), 1;
        lua_pushinteger(L, c);
    } else if (!strcmp(k, "fwd_kind")) {
        if (kind != BTF_KIND_FWD)
            return lua_pushnil(L), 1;
        lua_pushstring(L, ebpf_btf_kflag(b, id) ? "union" : "struct");
    } else {
        lua_pushnil(L);
    }
    return 1;
}

/* ---- btf methods ---- */

/* The optional kind argument at idx: -1 (any) or a BTF_KIND_*. */
static int kind_arg(lua_State *L, int idx)
{
    if (lua_isnoneornil(L, idx))
        return -1;
    const char *ks = luaL_checkstring(L, idx);
    int kind = ebpf_btf_kind_by_name(ks);
    if (kind <= 0)
        return luaL_argerror(L, idx, lua_pushfstring(L, "unknown BTF kind '%s'", ks));
    return kind;
}

/* The name at idx, as C spells it or bare: "struct task_struct" is the
 * struct named task_struct (also "union X", "enum X"); the kind at idx+1
 * must agree. Sets *kind (-1: any). */
static const char *name_arg(lua_State *L, int idx, int *kind)
{
    static const struct {
        const char *prefix;
        int kind;
    } tags[] = {{"struct ", BTF_KIND_STRUCT}, {"union ", BTF_KIND_UNION}, {"enum ", BTF_KIND_ENUM}};
    const char *name = luaL_checkstring(L, idx);
    *kind = kind_arg(L, idx + 1);
    for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
        size_t n = strlen(tags[i].prefix);
        if (strncmp(name, tags[i].prefix, n) == 0) {
            name += n;
            while (*name == ' ')
                name++;
            if (*kind >= 0 && *kind != tags[i].kind && !(tags[i].kind == BTF_KIND_ENUM && *kind == BTF_KIND_ENUM64))
                luaL_argerror(L, idx + 1, "kind does not match the name's tag");
            if (*kind < 0)
                *kind = tags[i].kind;
            break;
        }
    }
    return name;
}

/* Finds by name_arg; "enum X" also finds an enum64. */
static int64_t find_named(const struct ebpf_btf *b, const char *name, int kind)
{
    int64_t id = ebpf_btf_find(b, name, kind);
    if (id < 0 && kind == BTF_KIND_ENUM)
        id = ebpf_btf_find(b, name, BTF_KIND_ENUM64);
    return id;
}

/* b:find_id(name [, kind]) -> id or nil: find without making a type. */
static int btf_find_id(lua_State *L)
{
    lbtf *lb = ebpf_lua_tobtf(L, 1);
    int kind;
    const char *name = name_arg(L, 2, &kind);
    int64_t id = find_named(lb->b, name, kind);
    if (id < 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, id);
    return 1;
}

/* b:names() -> iterator id, name, kind over named own types. */
static int btf_names_iter(lua_State *L)
{
    lbtf *lb = ebpf_lua_tobtf(L, 1);
    lua_Integer id = luaL_checkinteger(L, 2);
    uint32_t cnt = ebpf_btf_type_cnt(lb->b);
    while (++id < cnt) {
        const char *n = ebpf_btf_name(lb->b, (uint32_t)id);
        if (*n) {
            lua_pushinteger(L, id);
            lua_pushstring(L, n);
            lua_pushstring(L, kind_str(lb->b, (uint32_t)id));
            return 3;
        }
    }
    return 0;
}

static int btf_names(lua_State *L)
{
    lbtf *lb = ebpf_lua_tobtf(L, 1);
    lua_pushcfunction(L, btf_names_iter);
    lua_pushvalue(L, 1);
    lua_pushinteger(L, (lua_Integer)ebpf_btf_start_id(lb->b) - 1);
    return 3;
}

static int btf_find(lua_State *L)
{
    lbtf *lb = ebpf_lua_tobtf(L, 1);
    int kind;
    const char *name = name_arg(L, 2, &kind);
    int64_t id = find_named(lb->b, name, kind);
    if (id < 0) {
        lua_pushnil(L);
        return 1;
    }
    ebpf_lua_push_btf_type(L, 1, (uint32_t)id);
    return 1;
}

static int btf_find_all(lua_State *L)
{
    lbtf *lb = ebpf_lua_tobtf(L, 1);
    int kind;
    const char *name = name_arg(L, 2, &kind);
    lua_newtable(L);
    lua_Integer n = 0;
    for (int64_t id = ebpf_btf_find(lb->b, name, kind); id > 0;
         id = ebpf_btf_find_next(lb->b, name, kind, (uint32_t)id)) {
        ebpf_lua_push_btf_type(L, 1, (uint32_t)id);
        lua_rawseti(L, -2, ++n);
    }
    return 1;
}

static int btf_type(lua_State *L)
{
    lbtf *lb = ebpf_lua_tobtf(L, 1);
    lua_Integer id = luaL_checkinteger(L, 2);
    if (id < 0 || id >= ebpf_btf_type_cnt(lb->b)) {
        lua_pushnil(L);
        return 1;
    }
    ebpf_lua_push_btf_type(L, 1, (uint32_t)id);
    return 1;
}

static int btf_types_iter(lua_State *L)
{
    lbtf *lb = ebpf_lua_tobtf(L, 1);
    lua_Integer id = luaL_checkinteger(L, 2) + 1;
    if (id >= ebpf_btf_type_cnt(lb->b))
        return 0;
    lua_pushinteger(L, id);
    ebpf_lua_push_btf_type(L, 1, (uint32_t)id);
    return 2;
}

/* for id, t in btf:types() do ... end (own types; from 1 for vmlinux). */
static int btf_types(lua_State *L)
{
    lbtf *lb = ebpf_lua_tobtf(L, 1);
    lua_pushcfunction(L, btf_types_iter);
    lua_pushvalue(L, 1);
    lua_pushinteger(L, (lua_Integer)ebpf_btf_start_id(lb->b) - 1);
    return 3;
}

static int btf_len(lua_State *L)
{
    lbtf *lb = ebpf_lua_tobtf(L, 1);
    lua_pushinteger(L, (lua_Integer)ebpf_btf_type_cnt(lb->b) - 1);
    return 1;
}

/* btf:dump_c([type_or_name]): the whole BTF as a C header, or one type
 * with its dependencies. */
static int btf_dump_c(lua_State *L)
{
    lbtf *lb = ebpf_lua_tobtf(L, 1);
    uint32_t id = lua_isnoneornil(L, 2) ? 0 : check_type_arg(L, 2, lb->b, "dump_c");
    if (!lua_isnoneornil(L, 2) && id == 0)
        return luaL_argerror(L, 2, "no such type");
    return push_dump(L, lb->b, id, id ? EBPF_BTF_DUMP_NO_GUARD : 0);
}

static int btf_raw(lua_State *L)
{
    lbtf *lb = ebpf_lua_tobtf(L, 1);
    size_t n;
    const void *p = ebpf_btf_raw(lb->b, &n);
    if (!p)
        return ebpf_lua_fail(L);
    lua_pushlstring(L, p, n);
    return 1;
}

/* btf:load([{log_level=, sanitize=}]) -> btf (now with an fd) or nil, err */
static int btf_load(lua_State *L)
{
    lbtf *lb = ebpf_lua_tobtf(L, 1);
    struct ebpf_btf_load_opts o = {0};
    if (!lua_isnoneornil(L, 2)) {
        static const char *const fields[] = {"log_level", "sanitize", NULL};
        ebpf_lua_check_fields(L, 2, fields);
        o.log_level = (uint32_t)ebpf_lua_opt_range(L, 2, "log_level", 0, 0, 15);
        o.no_sanitize = !ebpf_lua_opt_bool(L, 2, "sanitize", 1);
    }
    if (!lb->owned)
        return luaL_error(L, "btf: the shared kernel BTF can't be loaded");
    if (ebpf_btf_fd(lb->b) >= 0) {
        lua_settop(L, 1);
        return 1;
    }
    if (ebpf_btf_load(lb->b, &o) < 0)
        return ebpf_lua_fail(L);
    lua_settop(L, 1);
    return 1;
}

static int btf_fd(lua_State *L)
{
    lbtf *lb = ebpf_lua_tobtf(L, 1);
    int fd = ebpf_btf_fd(lb->b);
    if (fd < 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, fd);
    return 1;
}

static int btf_info(lua_State *L)
{
    lbtf *lb = ebpf_lua_tobtf(L, 1);
    lua_createtable(L, 0, 6);
    lua_pushinteger(L, (lua_Integer)ebpf_btf_type_cnt(lb->b) - 1);
    lua_setfield(L, -2, "types");
    lua_pushinteger(L, ebpf_btf_start_id(lb->b));
    lua_setfield(L, -2, "start_id");
    lua_pushinteger(L, ebpf_btf_id(lb->b));
    lua_setfield(L, -2, "id");
    lua_pushstring(L, ebpf_btf_kernel_name(lb->b));
    lua_setfield(L, -2, "name");
    lua_pushboolean(L, ebpf_btf_is_kernel(lb->b));
    lua_setfield(L, -2, "kernel");
    size_t n = 0;
    ebpf_btf_raw(lb->b, &n);
    lua_pushinteger(L, (lua_Integer)n);
    lua_setfield(L, -2, "size");
    return 1;
}

static int btf_base(lua_State *L)
{
    ebpf_lua_tobtf(L, 1);
    lua_getiuservalue(L, 1, 1);
    return 1;
}

static void btf_release(lbtf *lb)
{
    if (lb->b && lb->owned)
        ebpf_btf_free(lb->b);
    lb->b = NULL;
}

static int btf_close(lua_State *L)
{
    lbtf *lb = luaL_checkudata(L, 1, EBPF_BTF_MT);
    if (!lb->b)
        return luaL_error(L, "attempt to close a closed btf");
    btf_release(lb);
    return 0;
}

static int btf_gc(lua_State *L)
{
    lbtf *lb = luaL_checkudata(L, 1, EBPF_BTF_MT);
    btf_release(lb);
    return 0;
}

static int btf_tostring(lua_State *L)
{
    lbtf *lb = luaL_checkudata(L, 1, EBPF_BTF_MT);
    if (!lb->b) {
        lua_pushliteral(L, "ebpf.btf (closed)");
        return 1;
    }
    const char *n = ebpf_btf_kernel_name(lb->b);
    int fd = ebpf_btf_fd(lb->b);
    lua_pushfstring(L, "ebpf.btf%s%s%s (%d types", *n ? " '" : "", n, *n ? "'" : "",
                    (int)(ebpf_btf_type_cnt(lb->b) - 1));
    if (fd >= 0)
        lua_pushfstring(L, ", id %d, fd %d)", (int)ebpf_btf_id(lb->b), fd);
    else
        lua_pushliteral(L, ")");
    lua_concat(L, 2);
    return 1;
}

/* ---- builder ---- */

static lbtf *tobuilder(lua_State *L)
{
    lbtf *lb = ebpf_lua_tobtf(L, 1);
    if (!lb->owned)
        luaL_error(L, "btf: the shared kernel BTF is read-only");
    return lb;
}

static int push_added(lua_State *L, int64_t id)
{
    if (id < 0)
        return luaL_error(L, "%s", ebpf_error_message());
    ebpf_lua_push_btf_type(L, 1, (uint32_t)id);
    return 1;
}

static const char *opt_name(lua_State *L, int idx)
{
    return lua_isnoneornil(L, idx) ? NULL : luaL_checkstring(L, idx);
}

static uint32_t u32arg(lua_State *L, int idx, const char *what)
{
    return (uint32_t)ebpf_lua_check_range(L, idx, what, 0, 0xffffffffLL);
}

/* add_int(name, size [, "signed"|"char"|"bool"]) */
static int b_add_int(lua_State *L)
{
    lbtf *lb = tobuilder(L);
    static const char *const encs[] = {"unsigned", "signed", "char", "bool", NULL};
    static const uint32_t vals[] = {0, BTF_INT_SIGNED, BTF_INT_CHAR, BTF_INT_BOOL};
    uint32_t enc = vals[luaL_checkoption(L, 4, "unsigned", encs)];
    return push_added(L, ebpf_btf_add_int(lb->b, luaL_checkstring(L, 2), u32arg(L, 3, "size"), enc));
}

static int b_add_float(lua_State *L)
{
    lbtf *lb = tobuilder(L);
    return push_added(L, ebpf_btf_add_float(lb->b, luaL_checkstring(L, 2), u32arg(L, 3, "size")));
}

static int b_add_ptr(lua_State *L)
{
    lbtf *lb = tobuilder(L);
    return push_added(L, ebpf_btf_add_ptr(lb->b, check_type_arg(L, 2, lb->b, "add_ptr")));
}

/* add_array(elem, nelems [, index_type]) */
static int b_add_array(lua_State *L)
{
    lbtf *lb = tobuilder(L);
    uint32_t elem = check_type_arg(L, 2, lb->b, "add_array");
    uint32_t n = u32arg(L, 3, "nelems");
    uint32_t index = lua_isnoneornil(L, 4) ? 0 : check_type_arg(L, 4, lb->b, "add_array");
    if (!index) {
        int64_t u = ebpf_btf_find(lb->b, "unsigned int", BTF_KIND_INT);
        if (u < 0)
            u = ebpf_btf_add_int(lb->b, "unsigned int", 4, 0);
        if (u < 0)
            return luaL_error(L, "%s", ebpf_error_message());
        index = (uint32_t)u;
    }
    return push_added(L, ebpf_btf_add_array(lb->b, elem, index, n));
}

/* add_struct(name, size, {{name=, type=, bit_offset= | offset=, bitfield_size=}, ...}) */
static int add_record(lua_State *L, int kind)
{
    lbtf *lb = tobuilder(L);
    const char *name = opt_name(L, 2);
    uint32_t size = u32arg(L, 3, "size");
    int64_t id = kind == BTF_KIND_STRUCT ? ebpf_btf_add_struct(lb->b, name, size) : ebpf_btf_add_union(lb->b, name, size);
    if (id < 0)
        return luaL_error(L, "%s", ebpf_error_message());
    if (!lua_isnoneornil(L, 4)) {
        luaL_checktype(L, 4, LUA_TTABLE);
        lua_Integer n = luaL_len(L, 4);
        static const char *const fields[] = {"name", "type", "offset", "bit_offset", "bitfield_size", NULL};
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, 4, i);
            int m = lua_gettop(L);
            ebpf_lua_check_fields(L, m, fields);
            const char *mn = ebpf_lua_opt_str(L, m, "name", NULL);
            lua_getfield(L, m, "type");
            uint32_t mt = check_type_arg(L, -1, lb->b, "member type");
            lua_pop(L, 1);
            lua_Integer bo = ebpf_lua_opt_int(L, m, "bit_offset", ebpf_lua_opt_int(L, m, "offset", 0) * 8);
            lua_Integer bs = ebpf_lua_opt_int(L, m, "bitfield_size", 0);
            if (bo < 0 || bo > 0xffffffffLL || bs < 0 || bs > 255)
                return luaL_error(L, "member %d: offset or bitfield size out of range", (int)i);
            if (ebpf_btf_add_member(lb->b, mn, mt, (uint32_t)bo, (uint32_t)bs) < 0)
                return luaL_error(L, "%s", ebpf_error_message());
            lua_pop(L, 1);
        }
    }
    return push_added(L, id);
}

static int b_add_struct(lua_State *L) { return add_record(L, BTF_KIND_STRUCT); }
static int b_add_union(lua_State *L) { return add_record(L, BTF_KIND_UNION); }

/* add_enum(name, size, {{name=, value=}, ...} [, signed]); 64-bit values
 * make an enum64. */
static int b_add_enum(lua_State *L)
{
    lbtf *lb = tobuilder(L);
    const char *name = opt_name(L, 2);
    uint32_t size = u32arg(L, 3, "size");
    luaL_checktype(L, 4, LUA_TTABLE);
    bool sgn = lua_toboolean(L, 5);
    lua_Integer n = luaL_len(L, 4);
    bool is64 = size == 8;
    int64_t id = is64 ? ebpf_btf_add_enum64(lb->b, name, size, sgn) : ebpf_btf_add_enum(lb->b, name, size, sgn);
    if (id < 0)
        return luaL_error(L, "%s", ebpf_error_message());
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 4, i);
        const char *en = ebpf_lua_opt_str(L, -1, "name", NULL);
        lua_Integer v = ebpf_lua_opt_int(L, -1, "value", 0);
        if (ebpf_btf_add_enum_value(lb->b, en, v) < 0)
            return luaL_error(L, "%s", ebpf_error_message());
        lua_pop(L, 1);
    }
    return push_added(L, id);
}

static int b_add_fwd(lua_State *L)
{
    lbtf *lb = tobuilder(L);
    static const char *const kinds[] = {"struct", "union", "enum", NULL};
    static const int kv[] = {BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_ENUM};
    return push_added(L, ebpf_btf_add_fwd(lb->b, luaL_checkstring(L, 2), kv[luaL_checkoption(L, 3, "struct", kinds)]));
}

static int b_add_typedef(lua_State *L)
{
    lbtf *lb = tobuilder(L);
    return push_added(L, ebpf_btf_add_typedef(lb->b, luaL_checkstring(L, 2), check_type_arg(L, 3, lb->b, "add_typedef")));
}

static int b_add_modifier(lua_State *L, int64_t (*fn)(struct ebpf_btf *, uint32_t))
{
    lbtf *lb = tobuilder(L);
    return push_added(L, fn(lb->b, check_type_arg(L, 2, lb->b, "modifier")));
}
static int b_add_const(lua_State *L) { return b_add_modifier(L, ebpf_btf_add_const); }
static int b_add_volatile(lua_State *L) { return b_add_modifier(L, ebpf_btf_add_volatile); }
static int b_add_restrict(lua_State *L) { return b_add_modifier(L, ebpf_btf_add_restrict); }

static int b_add_type_tag(lua_State *L)
{
    lbtf *lb = tobuilder(L);
    return push_added(L, ebpf_btf_add_type_tag(lb->b, luaL_checkstring(L, 2), check_type_arg(L, 3, lb->b, "add_type_tag")));
}

static int b_add_decl_tag(lua_State *L)
{
    lbtf *lb = tobuilder(L);
    lua_Integer comp = luaL_optinteger(L, 4, -1);
    if (comp < -1 || comp > 0xffff)
        return luaL_argerror(L, 4, "component index out of range");
    return push_added(L, ebpf_btf_add_decl_tag(lb->b, luaL_checkstring(L, 2),
                                               check_type_arg(L, 3, lb->b, "add_decl_tag"), (int32_t)comp));
}

static int linkage_arg(lua_State *L, int idx)
{
    static const char *const names[] = {"static", "global", "extern", NULL};
    return luaL_checkoption(L, idx, "static", names);
}

/* add_func_proto(ret, {{name=, type=}, ...}) ; a param {} with no type = "..." */
static int b_add_func_proto(lua_State *L)
{
    lbtf *lb = tobuilder(L);
    int64_t id = ebpf_btf_add_func_proto(lb->b, check_type_arg(L, 2, lb->b, "add_func_proto"));
    if (id < 0)
        return luaL_error(L, "%s", ebpf_error_message());
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        lua_Integer n = luaL_len(L, 3);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, 3, i);
            int p = lua_gettop(L);
            const char *pn = ebpf_lua_opt_str(L, p, "name", NULL);
            lua_getfield(L, p, "type");
            uint32_t pt = check_type_arg(L, -1, lb->b, "param type");
            if (ebpf_btf_add_param(lb->b, pn, pt) < 0)
                return luaL_error(L, "%s", ebpf_error_message());
            lua_settop(L, p - 1);
        }
    }
    return push_added(L, id);
}

static int b_add_func(lua_State *L)
{
    lbtf *lb = tobuilder(L);
    return push_added(L, ebpf_btf_add_func(lb->b, luaL_checkstring(L, 2), check_type_arg(L, 3, lb->b, "add_func"),
                                           linkage_arg(L, 4)));
}

static int b_add_var(lua_State *L)
{
    lbtf *lb = tobuilder(L);
    return push_added(L, ebpf_btf_add_var(lb->b, luaL_checkstring(L, 2), check_type_arg(L, 3, lb->b, "add_var"),
                                          linkage_arg(L, 4)));
}

/* add_datasec(name, size, {{type=var, offset=, size=}, ...}) */
static int b_add_datasec(lua_State *L)
{
    lbtf *lb = tobuilder(L);
    int64_t id = ebpf_btf_add_datasec(lb->b, luaL_checkstring(L, 2), u32arg(L, 3, "size"));
    if (id < 0)
        return luaL_error(L, "%s", ebpf_error_message());
    if (!lua_isnoneornil(L, 4)) {
        luaL_checktype(L, 4, LUA_TTABLE);
        lua_Integer n = luaL_len(L, 4);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, 4, i);
            int p = lua_gettop(L);
            lua_getfield(L, p, "type");
            uint32_t vt = check_type_arg(L, -1, lb->b, "datasec var");
            lua_Integer off = ebpf_lua_opt_int(L, p, "offset", 0), sz = ebpf_lua_opt_int(L, p, "size", 0);
            if (off < 0 || sz < 0 || off > 0xffffffffLL || sz > 0xffffffffLL)
                return luaL_error(L, "datasec var %d: offset or size out of range", (int)i);
            if (ebpf_btf_add_datasec_var(lb->b, vt, (uint32_t)off, (uint32_t)sz) < 0)
                return luaL_error(L, "%s", ebpf_error_message());
            lua_settop(L, p - 1);
        }
    }
    return push_added(L, id);
}

/* ---- module functions ---- */

/* ebpf.btf.kernel(): the process-wide vmlinux BTF (parsed once). */
static int l_kernel(lua_State *L)
{
    const struct ebpf_btf *k = ebpf_btf_kernel();
    if (!k)
        return ebpf_lua_fail(L);
    ebpf_lua_push_btf(L, (struct ebpf_btf *)k, 0, 0);
    return 1;
}

/* Bytes (raw BTF, ELF) always hold NUL bytes; paths never do. */
static bool looks_like_blob(const char *s, size_t n)
{
    return memchr(s, 0, n) != NULL;
}

/* ebpf.btf.load(path_or_bytes [, base]) */
static int l_load(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    const struct ebpf_btf *base = NULL;
    if (!lua_isnoneornil(L, 2))
        base = ebpf_lua_tobtf(L, 2)->b;
    /* Created closed first so that nothing leaks if Lua runs out of memory. */
    lbtf *lb = lua_newuserdatauv(L, sizeof(lbtf), 1);
    lb->b = NULL;
    lb->owned = 1;
    luaL_setmetatable(L, EBPF_BTF_MT);
    struct ebpf_btf *b = looks_like_blob(s, n) ? ebpf_btf_new(s, n, base) : ebpf_btf_open_file(s, base);
    if (!b)
        return ebpf_lua_fail(L);
    lb->b = b;
    if (base) {
        lua_pushvalue(L, 2);
        lua_setiuservalue(L, -2, 1);
    }
    return 1;
}

static int l_module(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    struct ebpf_btf *b = ebpf_btf_module(name);
    if (!b)
        return ebpf_lua_fail(L);
    ebpf_lua_push_btf(L, b, 1, 0);
    return 1;
}

static int l_from_id(lua_State *L)
{
    lua_Integer id = ebpf_lua_check_range(L, 1, "btf id", 1, 0xffffffffLL);
    struct ebpf_btf *b = ebpf_btf_open_id((uint32_t)id);
    if (!b)
        return ebpf_lua_fail(L);
    ebpf_lua_push_btf(L, b, 1, 0);
    return 1;
}

/* ebpf.btf.new([base]): an empty BTF for the builder. */
static int l_new(lua_State *L)
{
    const struct ebpf_btf *base = NULL;
    if (!lua_isnoneornil(L, 1))
        base = ebpf_lua_tobtf(L, 1)->b;
    struct ebpf_btf *b = ebpf_btf_new_empty(base);
    if (!b)
        return ebpf_lua_fail(L);
    ebpf_lua_push_btf(L, b, 1, base ? 1 : 0);
    return 1;
}

static int l_supports(lua_State *L)
{
    const char *k = luaL_checkstring(L, 1);
    int kind = !strcmp(k, "func_linkage") ? EBPF_BTF_FEAT_FUNC_LINKAGE : ebpf_btf_kind_by_name(k);
    if (kind <= 0)
        return luaL_argerror(L, 1, "unknown BTF kind");
    int r = ebpf_btf_kernel_supports(kind);
    if (r < 0)
        return ebpf_lua_fail(L);
    lua_pushboolean(L, r);
    return 1;
}

static const char *const relo_kinds[] = {
    "field_byte_offset", "field_byte_size", "field_exists", "field_signed", "field_lshift_u64",
    "field_rshift_u64", "type_id_local", "type_id_target", "type_exists", "type_size",
    "enumval_exists", "enumval_value", "type_matches",
};

static void push_ext_kind(lua_State *L, const struct ebpf_btf_ext *x, const struct ebpf_btf *b, int bidx, int kind)
{
    lua_newtable(L);
    for (uint32_t i = 0; i < ebpf_btf_ext_sec_cnt(x, kind); i++) {
        const struct ebpf_btf_ext_sec *s = ebpf_btf_ext_sec(x, kind, i);
        lua_createtable(L, (int)s->count, 0);
        for (uint32_t j = 0; j < s->count; j++) {
            lua_createtable(L, 0, 6);
            uint32_t off = 0;
            if (kind == EBPF_BTF_EXT_FUNC_INFO) {
                struct bpf_func_info r;
                ebpf_btf_ext_func_info(s, j, &r);
                off = r.insn_off;
                ebpf_lua_push_btf_type(L, bidx, r.type_id);
                lua_setfield(L, -2, "type");
            } else if (kind == EBPF_BTF_EXT_LINE_INFO) {
                struct bpf_line_info r;
                ebpf_btf_ext_line_info(s, j, &r);
                off = r.insn_off;
                lua_pushstring(L, ebpf_btf_str(b, r.file_name_off));
                lua_setfield(L, -2, "file");
                lua_pushstring(L, ebpf_btf_str(b, r.line_off));
                lua_setfield(L, -2, "source");
                lua_pushinteger(L, BPF_LINE_INFO_LINE_NUM(r.line_col));
                lua_setfield(L, -2, "line");
                lua_pushinteger(L, BPF_LINE_INFO_LINE_COL(r.line_col));
                lua_setfield(L, -2, "col");
            } else {
                struct bpf_core_relo r;
                ebpf_btf_ext_core_relo(s, j, &r);
                off = r.insn_off;
                ebpf_lua_push_btf_type(L, bidx, r.type_id);
                lua_setfield(L, -2, "type");
                lua_pushstring(L, ebpf_btf_str(b, r.access_str_off));
                lua_setfield(L, -2, "access");
                if ((unsigned)r.kind < sizeof(relo_kinds) / sizeof(relo_kinds[0]))
                    lua_pushstring(L, relo_kinds[r.kind]);
                else
                    lua_pushinteger(L, r.kind);
                lua_setfield(L, -2, "kind");
            }
            lua_pushinteger(L, off);
            lua_setfield(L, -2, "insn_off");
            lua_pushinteger(L, off / 8);
            lua_setfield(L, -2, "insn");
            lua_rawseti(L, -2, (lua_Integer)j + 1);
        }
        lua_setfield(L, -2, s->name);
    }
}

/* ebpf.btf.ext(path_or_bytes, btf): the .BTF.ext of an ELF object (or raw
 * .BTF.ext bytes) as {func_info=, line_info=, core_relo=}, each a table
 * section name -> list of records. */
static int l_ext(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    lbtf *lb = ebpf_lua_tobtf(L, 2);
    /* A box frees the parse even if building the tables raises. */
    struct ebpf_btf_ext **box = lua_newuserdatauv(L, sizeof(*box), 0);
    *box = NULL;
    luaL_setmetatable(L, "ebpf.btf_ext");
    struct ebpf_btf_ext *x;
    if (memchr(s, 0, n))
        x = n >= 4 && !memcmp(s, "\177ELF", 4) ? ebpf_btf_ext_from_elf(s, n, NULL, lb->b)
                                               : ebpf_btf_ext_new(s, n, lb->b);
    else
        x = ebpf_btf_ext_from_elf(NULL, 0, s, lb->b);
    if (!x)
        return ebpf_lua_fail(L);
    *box = x;
    lua_createtable(L, 0, 3);
    static const char *const names[] = {"func_info", "line_info", "core_relo"};
    for (int k = 0; k < 3; k++) {
        push_ext_kind(L, x, lb->b, 2, k);
        lua_setfield(L, -2, names[k]);
    }
    ebpf_btf_ext_free(x);
    *box = NULL;
    return 1;
}

static int ext_box_gc(lua_State *L)
{
    struct ebpf_btf_ext **box = luaL_checkudata(L, 1, "ebpf.btf_ext");
    ebpf_btf_ext_free(*box);
    *box = NULL;
    return 0;
}

/* core._btf_map_opts(opts) -> btf_fd, key_type_id, value_type_id, holder:
 * resolves btf/key_type/value_type of ebpf.map{...}, loading the BTF into
 * the kernel if needed. holder = {key=, value=, key_size=, value_size=}
 * keeps the BTF alive and is installed as the map's codec. */
static int l_btf_map_opts(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_getfield(L, 1, "btf");
    if (lua_isnil(L, -1)) { /* no btf: the value type's (a type built by cdef or add_*) */
        lua_pop(L, 1);
        lua_getfield(L, 1, "value_type");
        if (luaL_testudata(L, -1, EBPF_BTF_TYPE_MT))
            lua_getfield(L, -1, "btf");
        else
            lua_pushnil(L);
        lua_remove(L, -2);
        if (lua_isnil(L, -1))
            return luaL_error(L, "field 'value_type' must be a BTF type when field 'btf' is not given");
    }
    int bidx = lua_gettop(L);
    lbtf *lb = ebpf_lua_tobtf(L, bidx);
    if (!lb->owned)
        return luaL_error(L, "field 'btf': the kernel's BTF can't describe map types; build one with ebpf.btf.new()");
    lua_getfield(L, 1, "key_type");
    uint32_t kid = check_type_arg(L, -1, lb->b, "field 'key_type'");
    lua_getfield(L, 1, "value_type");
    uint32_t vid = check_type_arg(L, -1, lb->b, "field 'value_type'");
    if (!vid)
        return luaL_error(L, "field 'value_type' is required with field 'btf'");
    if (ebpf_btf_fd(lb->b) < 0 && ebpf_btf_load(lb->b, NULL) < 0)
        return luaL_error(L, "field 'btf': %s", ebpf_error_message());
    lua_pushinteger(L, ebpf_btf_fd(lb->b));
    lua_pushinteger(L, kid);
    lua_pushinteger(L, vid);
    lua_createtable(L, 0, 4);
    if (kid) {
        ebpf_lua_push_btf_type(L, bidx, kid);
        lua_setfield(L, -2, "key");
        lua_pushinteger(L, ebpf_btf_sizeof(lb->b, kid));
        lua_setfield(L, -2, "key_size");
    }
    ebpf_lua_push_btf_type(L, bidx, vid);
    lua_setfield(L, -2, "value");
    lua_pushinteger(L, ebpf_btf_sizeof(lb->b, vid));
    lua_setfield(L, -2, "value_size");
    return 4;
}

void ebpf_lua_btf_install_codec(lua_State *L, int map_idx, int btf_idx, uint32_t key_id, uint32_t value_id)
{
    map_idx = lua_absindex(L, map_idx);
    btf_idx = lua_absindex(L, btf_idx);
    lua_getfield(L, map_idx, "set_codec");
    lua_pushvalue(L, map_idx);
    if (key_id)
        ebpf_lua_push_btf_type(L, btf_idx, key_id);
    else
        lua_pushnil(L);
    if (value_id)
        ebpf_lua_push_btf_type(L, btf_idx, value_id);
    else
        lua_pushnil(L);
    lua_call(L, 3, 0);
}

void ebpf_lua_open_btf(lua_State *L)
{
    static const luaL_Reg btf_methods[] = {
        {"find", btf_find},
        {"find_all", btf_find_all},
        {"find_id", btf_find_id},
        {"names", btf_names},
        {"type", btf_type},
        {"types", btf_types},
        {"dump_c", btf_dump_c},
        {"raw", btf_raw},
        {"load", btf_load},
        {"fd", btf_fd},
        {"info", btf_info},
        {"base", btf_base},
        {"close", btf_close},
        {"add_int", b_add_int},
        {"add_float", b_add_float},
        {"add_ptr", b_add_ptr},
        {"add_array", b_add_array},
        {"add_struct", b_add_struct},
        {"add_union", b_add_union},
        {"add_enum", b_add_enum},
        {"add_fwd", b_add_fwd},
        {"add_typedef", b_add_typedef},
        {"add_const", b_add_const},
        {"add_volatile", b_add_volatile},
        {"add_restrict", b_add_restrict},
        {"add_type_tag", b_add_type_tag},
        {"add_decl_tag", b_add_decl_tag},
        {"add_func_proto", b_add_func_proto},
        {"add_func", b_add_func},
        {"add_var", b_add_var},
        {"add_datasec", b_add_datasec},
        {NULL, NULL},
    };
    static const luaL_Reg btf_meta[] = {
        {"__gc", btf_gc},
        {"__close", btf_gc},
        {"__tostring", btf_tostring},
        {"__len", btf_len},
        {NULL, NULL},
    };
    luaL_newmetatable(L, EBPF_BTF_MT);
    luaL_setfuncs(L, btf_meta, 0);
    lua_newtable(L);
    luaL_setfuncs(L, btf_methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    static const luaL_Reg type_methods[] = {
        {"decode", type_decode},
        {"encode", type_encode},
        {"decl", type_decl},
        {"resolve", type_resolve},
        {"skip_modifiers", type_skip_modifiers},
        {"enum_name", type_enum_name},
        {"enum_value", type_enum_value},
        {"member", type_member},
        {"dump_c", type_dump_c},
        {NULL, NULL},
    };
    static const luaL_Reg type_meta[] = {
        {"__index", type_index},
        {"__tostring", type_tostring},
        {"__eq", type_eq},
        {NULL, NULL},
    };
    luaL_newmetatable(L, EBPF_BTF_TYPE_MT);
    luaL_setfuncs(L, type_meta, 0);
    lua_newtable(L);
    luaL_setfuncs(L, type_methods, 0);
    lua_setfield(L, -2, "__methods");
    lua_pop(L, 1);

    luaL_newmetatable(L, "ebpf.btf_ext");
    lua_pushcfunction(L, ext_box_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);

    static const luaL_Reg funcs[] = {
        {"kernel", l_kernel},
        {"load", l_load},
        {"module", l_module},
        {"from_id", l_from_id},
        {"new", l_new},
        {"supports", l_supports},
        {"ext", l_ext},
        {NULL, NULL},
    };
    lua_newtable(L);
    luaL_setfuncs(L, funcs, 0);
    lua_setfield(L, -2, "btf");
    lua_pushcfunction(L, l_btf_map_opts);
    lua_setfield(L, -2, "_btf_map_opts");
}
