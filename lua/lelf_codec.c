/* Lua values <-> bytes through the object's BTF types, for global
 * variables and as map key/value codecs of loaded collections: the same
 * encoder and decoder as ebpf.btf types (lbtf.c), plus what an object's
 * values also take: raw bytes of the exact size for any type, and raw
 * bytes back for a type without a decodable shape. */
#include <string.h>

#include "lbtf.h"
#include "lelf.h"

/* Kinds the BTF decoder turns into Lua values, with a size that fits. */
static int decodable(const struct ebpf_btf *b, uint32_t id, size_t size)
{
    uint32_t r = ebpf_btf_resolve(b, id);
    int64_t sz = ebpf_btf_sizeof(b, r);
    if (sz < 0 || (uint64_t)sz > size)
        return 0;
    switch (ebpf_btf_kind(b, r)) {
    case BTF_KIND_INT: case BTF_KIND_ENUM: case BTF_KIND_ENUM64: case BTF_KIND_PTR: case BTF_KIND_FLOAT:
    case BTF_KIND_ARRAY: case BTF_KIND_STRUCT: case BTF_KIND_UNION:
        return 1;
    default:
        return 0;
    }
}

void elf_codec_decode(lua_State *L, const struct ebpf_btf *b, uint32_t id, const unsigned char *p, size_t size)
{
    if (b && id && decodable(b, id, size))
        ebpf_lua_btf_decode_from(L, b, id, p, size);
    else
        lua_pushlstring(L, (const char *)p, size);
}

void elf_codec_encode(lua_State *L, int idx, const struct ebpf_btf *b, uint32_t id, unsigned char *p, size_t size,
                      const char *what)
{
    idx = lua_absindex(L, idx);
    uint32_t r = b && id ? ebpf_btf_resolve(b, id) : 0;
    int char_array = 0;
    struct ebpf_btf_array_info a;
    if (r && ebpf_btf_kind(b, r) == BTF_KIND_ARRAY && ebpf_btf_array(b, r, &a) == 0)
        char_array = ebpf_lua_btf_is_byte(b, a.type);
    if (lua_type(L, idx) == LUA_TSTRING && !char_array) { /* raw bytes, any type */
        size_t l;
        const char *s = lua_tolstring(L, idx, &l);
        if (l != size)
            luaL_error(L, "%s: expected %d bytes, got a string of %d", what, (int)size, (int)l);
        memcpy(p, s, l);
        return;
    }
    if (!r || !decodable(b, id, size))
        luaL_error(L, "%s: no type to encode with (give the raw bytes as a string)", what);
    ebpf_lua_btf_encode_into(L, idx, b, id, p, size, what);
}
