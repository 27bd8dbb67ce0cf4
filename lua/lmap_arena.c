/* Arena maps' memory from Lua: bytes at an offset, and the user address
 * the arena lives at (pointers the programs store in it are such
 * addresses: ptr - base is the offset). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lmap.h"

static size_t range(lua_State *L, int idx, size_t len, size_t size, const char *what)
{
    lua_Integer off = luaL_checkinteger(L, idx);
    if (off < 0 || (uint64_t)off > size || len > size - (size_t)off)
        luaL_error(L, "%s: %I bytes at offset %I are outside the arena (%I bytes)", what, (lua_Integer)len, off,
                   (lua_Integer)size);
    return (size_t)off;
}

/* m:arena_read(offset, length) -> bytes */
int ebpf_lua_map_arena_read(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    size_t size;
    unsigned char *mem = ebpf_map_arena(lm->m, &size);
    if (!mem)
        return ebpf_lua_fail(L);
    lua_Integer len = luaL_checkinteger(L, 3);
    if (len < 0)
        return luaL_argerror(L, 3, "length must be >= 0");
    size_t off = range(L, 2, (size_t)len, size, "arena_read");
    lua_pushlstring(L, (const char *)mem + off, (size_t)len);
    return 1;
}

/* m:arena_write(offset, bytes) -> true */
int ebpf_lua_map_arena_write(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    size_t size, len;
    unsigned char *mem = ebpf_map_arena(lm->m, &size);
    if (!mem)
        return ebpf_lua_fail(L);
    const char *data = luaL_checklstring(L, 3, &len);
    size_t off = range(L, 2, len, size, "arena_write");
    memcpy(mem + off, data, len);
    lua_pushboolean(L, 1);
    return 1;
}

/* m:arena_base() -> user address of the arena's first byte, size */
int ebpf_lua_map_arena_base(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    size_t size;
    unsigned char *mem = ebpf_map_arena(lm->m, &size);
    if (!mem)
        return ebpf_lua_fail(L);
    lua_pushinteger(L, (lua_Integer)(uintptr_t)mem);
    lua_pushinteger(L, (lua_Integer)size);
    return 2;
}
