/* Lua values <-> bytes through the object's BTF types: integers, enums,
 * bools, floats, pointers, char arrays (strings), arrays (sequences),
 * structs/unions (tables, bitfields included). Used for global variables
 * and as map key/value codecs of loaded collections. */
#include <string.h>

#include "../core/src/elf/ebtf.h"
#include "lelf.h"

/* A 1-byte integer element: its arrays encode from strings. */
static int is_char(const struct ebpf_btf *b, uint32_t id)
{
    const struct btf_type *t = ebtf_skip_mods(b, id, NULL);
    return t && ebtf_kind(t) == BTF_KIND_INT && t->size == 1;
}

/* Plain `char` (or the CHAR encoding): only its arrays are C strings (cut
 * at NUL); __u8, unsigned char and __s8 arrays decode to all their bytes. */
static int is_text_char(const struct ebpf_btf *b, uint32_t id)
{
    uint32_t r = id;
    const struct btf_type *t = ebtf_skip_mods(b, id, &r);
    if (!t || ebtf_kind(t) != BTF_KIND_INT || t->size != 1)
        return 0;
    uint32_t enc;
    memcpy(&enc, t + 1, 4);
    return (BTF_INT_ENCODING(enc) & BTF_INT_CHAR) || strcmp(ebpf_btf_name(b, r), "char") == 0;
}

static uint64_t load_uint(const unsigned char *p, uint32_t sz)
{
    uint64_t v = 0;
    memcpy(&v, p, sz > 8 ? 8 : sz); /* little-endian hosts only, like the kernel's BPF ABI here */
    return v;
}

static void push_int(lua_State *L, uint64_t v, uint32_t sz, int sign)
{
    if (sign && sz < 8 && (v >> (sz * 8 - 1)) & 1)
        v |= ~0ull << (sz * 8);
    lua_pushinteger(L, (lua_Integer)v);
}

void elf_codec_decode(lua_State *L, const struct ebpf_btf *b, uint32_t id, const unsigned char *p, size_t size, int depth)
{
    const struct btf_type *t = ebtf_skip_mods(b, id, &id);
    luaL_checkstack(L, 4, "decode");
    if (!t || depth > 32) {
        lua_pushlstring(L, (const char *)p, size);
        return;
    }
    switch (ebtf_kind(t)) {
    case BTF_KIND_INT: {
        uint32_t enc = BTF_INT_ENCODING(*(const uint32_t *)(t + 1));
        if (t->size > 8 || t->size > size)
            break;
        if (enc & BTF_INT_BOOL) {
            lua_pushboolean(L, load_uint(p, t->size) != 0);
            return;
        }
        push_int(L, load_uint(p, t->size), t->size, enc & BTF_INT_SIGNED);
        return;
    }
    case BTF_KIND_ENUM: case BTF_KIND_ENUM64:
        if (t->size > 8 || t->size > size)
            break;
        push_int(L, load_uint(p, t->size), t->size, BTF_INFO_KFLAG(t->info));
        return;
    case BTF_KIND_PTR:
        if (size < 8)
            break;
        lua_pushinteger(L, (lua_Integer)load_uint(p, 8));
        return;
    case BTF_KIND_FLOAT:
        if (t->size == 8 && size >= 8) {
            double d;
            memcpy(&d, p, 8);
            lua_pushnumber(L, d);
            return;
        }
        if (t->size == 4 && size >= 4) {
            float f;
            memcpy(&f, p, 4);
            lua_pushnumber(L, f);
            return;
        }
        break;
    case BTF_KIND_ARRAY: {
        const struct btf_array *a = ebtf_array(t);
        int64_t esz = ebpf_btf_sizeof(b, a->type);
        if (esz <= 0 || (uint64_t)esz * a->nelems > size)
            break;
        if (is_char(b, a->type)) {
            size_t n = is_text_char(b, a->type) ? strnlen((const char *)p, a->nelems) : a->nelems;
            lua_pushlstring(L, (const char *)p, n);
            return;
        }
        lua_createtable(L, (int)a->nelems, 0);
        for (uint32_t i = 0; i < a->nelems; i++) {
            elf_codec_decode(L, b, a->type, p + (size_t)i * (size_t)esz, (size_t)esz, depth + 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        return;
    }
    case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
        if (t->size > size)
            break;
        lua_createtable(L, 0, ebtf_vlen(t));
        const struct btf_member *m = ebtf_members(t);
        for (int i = 0; i < ebtf_vlen(t); i++) {
            uint32_t bo = ebtf_member_bit_off(t, &m[i]), bsz = ebtf_member_bitfield_size(t, &m[i]);
            const char *n = ebtf_str(b, m[i].name_off);
            if (bsz) {
                uint64_t v = 0;
                uint32_t start = bo / 8, nb = (bo % 8 + bsz + 7) / 8;
                if (start + nb > t->size || nb > 8)
                    continue;
                memcpy(&v, p + start, nb);
                v >>= bo % 8;
                v &= bsz == 64 ? ~0ull : ((1ull << bsz) - 1);
                push_int(L, v, (bsz + 7) / 8, 0);
            } else {
                int64_t ms = ebpf_btf_sizeof(b, m[i].type);
                if (ms < 0 || bo / 8 + (uint64_t)ms > t->size)
                    continue;
                elf_codec_decode(L, b, m[i].type, p + bo / 8, (size_t)ms, depth + 1);
            }
            if (n[0]) {
                lua_setfield(L, -2, n);
            } else if (lua_istable(L, -1)) { /* anonymous struct/union: flatten */
                lua_pushnil(L);
                while (lua_next(L, -2)) {
                    lua_pushvalue(L, -2);
                    lua_insert(L, -2);
                    lua_settable(L, -5);
                }
                lua_pop(L, 1);
            } else {
                lua_pop(L, 1);
            }
        }
        return;
    }
    default:
        break;
    }
    lua_pushlstring(L, (const char *)p, size);
}

static void enc_error(lua_State *L, const char *what, const char *msg)
{
    luaL_error(L, "%s: %s", what, msg);
}

void elf_codec_encode(lua_State *L, int idx, const struct ebpf_btf *b, uint32_t id, unsigned char *p, size_t size,
                      const char *what, int depth)
{
    idx = lua_absindex(L, idx);
    const struct btf_type *t = ebtf_skip_mods(b, id, &id);
    int lt = lua_type(L, idx);
    if (lt == LUA_TSTRING && !(t && ebtf_kind(t) == BTF_KIND_ARRAY && is_char(b, ebtf_array(t)->type))) {
        size_t l;
        const char *s = lua_tolstring(L, idx, &l);
        if (l != size)
            luaL_error(L, "%s: expected %d bytes, got a string of %d", what, (int)size, (int)l);
        memcpy(p, s, l);
        return;
    }
    if (!t || depth > 32)
        enc_error(L, what, "no type to encode with (give the raw bytes as a string)");
    switch (ebtf_kind(t)) {
    case BTF_KIND_INT: case BTF_KIND_ENUM: case BTF_KIND_ENUM64: case BTF_KIND_PTR: {
        uint32_t sz = ebtf_kind(t) == BTF_KIND_PTR ? 8 : t->size;
        uint64_t v;
        if (lt == LUA_TBOOLEAN)
            v = (uint64_t)lua_toboolean(L, idx);
        else if (lua_isinteger(L, idx))
            v = (uint64_t)lua_tointeger(L, idx);
        else {
            luaL_error(L, "%s: expected an integer, got %s", what, luaL_typename(L, idx));
            return;
        }
        if (sz > 8 || sz > size)
            enc_error(L, what, "integer type too large");
        if (sz < 8) {
            int64_t sv = (int64_t)v;
            uint64_t lim = 1ull << (sz * 8);
            if (!(v < lim || (sv < 0 && sv >= -(int64_t)(lim / 2))))
                luaL_error(L, "%s: %I does not fit in %d bytes", what, (lua_Integer)v, (int)sz);
        }
        memcpy(p, &v, sz);
        return;
    }
    case BTF_KIND_FLOAT: {
        double d = luaL_checknumber(L, idx);
        if (t->size == 8) {
            memcpy(p, &d, 8);
        } else {
            float f = (float)d;
            memcpy(p, &f, 4);
        }
        return;
    }
    case BTF_KIND_ARRAY: {
        const struct btf_array *a = ebtf_array(t);
        int64_t esz = ebpf_btf_sizeof(b, a->type);
        if (esz <= 0)
            enc_error(L, what, "array element has no size");
        if (lt == LUA_TSTRING) {
            size_t l;
            const char *s = lua_tolstring(L, idx, &l);
            if (l > a->nelems)
                luaL_error(L, "%s: string of %d bytes does not fit in char[%d]", what, (int)l, (int)a->nelems);
            memset(p, 0, a->nelems);
            memcpy(p, s, l);
            return;
        }
        if (lt != LUA_TTABLE)
            luaL_error(L, "%s: expected a table, got %s", what, luaL_typename(L, idx));
        lua_Integer n = luaL_len(L, idx);
        if (n > a->nelems)
            luaL_error(L, "%s: %d elements for an array of %d", what, (int)n, (int)a->nelems);
        memset(p, 0, (size_t)esz * a->nelems);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, idx, i);
            elf_codec_encode(L, -1, b, a->type, p + (size_t)(i - 1) * (size_t)esz, (size_t)esz, what, depth + 1);
            lua_pop(L, 1);
        }
        return;
    }
    case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
        if (lt != LUA_TTABLE)
            luaL_error(L, "%s: expected a table, got %s", what, luaL_typename(L, idx));
        if (t->size > size)
            enc_error(L, what, "struct larger than the value");
        if (depth == 0)
            memset(p, 0, t->size);
        const struct btf_member *m = ebtf_members(t);
        for (int i = 0; i < ebtf_vlen(t); i++) {
            uint32_t bo = ebtf_member_bit_off(t, &m[i]), bsz = ebtf_member_bitfield_size(t, &m[i]);
            const char *n = ebtf_str(b, m[i].name_off);
            if (!n[0]) { /* anonymous: its members are read from the same table */
                int64_t ms = ebpf_btf_sizeof(b, m[i].type);
                if (ms > 0 && bo / 8 + (uint64_t)ms <= t->size)
                    elf_codec_encode(L, idx, b, m[i].type, p + bo / 8, (size_t)ms, what, depth + 1);
                continue;
            }
            if (lua_getfield(L, idx, n) == LUA_TNIL) {
                lua_pop(L, 1);
                continue;
            }
            if (bsz) {
                uint64_t v = (uint64_t)luaL_checkinteger(L, -1), cur = 0;
                uint32_t start = bo / 8, nb = (bo % 8 + bsz + 7) / 8;
                if (start + nb <= t->size && nb <= 8) {
                    uint64_t mask = (bsz == 64 ? ~0ull : ((1ull << bsz) - 1)) << (bo % 8);
                    memcpy(&cur, p + start, nb);
                    cur = (cur & ~mask) | ((v << (bo % 8)) & mask);
                    memcpy(p + start, &cur, nb);
                }
            } else {
                int64_t ms = ebpf_btf_sizeof(b, m[i].type);
                if (ms >= 0 && bo / 8 + (uint64_t)ms <= t->size)
                    elf_codec_encode(L, -1, b, m[i].type, p + bo / 8, (size_t)ms, what, depth + 1);
            }
            lua_pop(L, 1);
        }
        return;
    }
    default:
        enc_error(L, what, "type cannot be encoded from Lua (give the raw bytes as a string)");
    }
}
