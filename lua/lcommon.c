/* Shared helpers of the Lua binding. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ebpf/error.h"
#include "error_internal.h"
#include "lcommon.h"

void ebpf_lua_push_error(lua_State *L)
{
    lua_createtable(L, 0, 6);
    lua_pushstring(L, ebpf_error_message());
    lua_setfield(L, -2, "message");
    lua_pushinteger(L, ebpf_error_errno());
    lua_setfield(L, -2, "errno");
    lua_pushstring(L, ebpf_errno_name(ebpf_error_errno()));
    lua_setfield(L, -2, "code");
    lua_pushstring(L, ebpf_error_op());
    lua_setfield(L, -2, "op");
    if (ebpf_error_log()) {
        lua_pushstring(L, ebpf_error_log());
        lua_setfield(L, -2, "log");
    }
    luaL_setmetatable(L, EBPF_ERROR_MT);
}

int ebpf_lua_fail(lua_State *L)
{
    lua_pushnil(L);
    ebpf_lua_push_error(L);
    lua_pushinteger(L, ebpf_error_errno());
    return 3;
}

int ebpf_lua_fail_msg(lua_State *L, int err, const char *op, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    ebpf_err(err, op, "%s", buf);
    return ebpf_lua_fail(L);
}

void ebpf_lua_check_fields(lua_State *L, int idx, const char *const allowed[])
{
    idx = lua_absindex(L, idx);
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            luaL_error(L, "invalid option key of type %s", luaL_typename(L, -1));
        }
        const char *k = lua_tostring(L, -1);
        int ok = 0;
        for (int i = 0; allowed[i]; i++)
            if (strcmp(allowed[i], k) == 0) {
                ok = 1;
                break;
            }
        if (!ok)
            luaL_error(L, "invalid field name '%s'", k);
    }
}

lua_Integer ebpf_lua_opt_int(lua_State *L, int idx, const char *k, lua_Integer def)
{
    lua_getfield(L, idx, k);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return def;
    }
    int isnum;
    lua_Integer v = lua_tointegerx(L, -1, &isnum);
    if (!isnum)
        luaL_error(L, "field '%s' must be an integer, got %s", k, luaL_typename(L, -1));
    lua_pop(L, 1);
    return v;
}

lua_Integer ebpf_lua_opt_range(lua_State *L, int idx, const char *k, lua_Integer def, lua_Integer lo,
                               lua_Integer hi)
{
    if (!idx)
        return def;
    lua_getfield(L, idx, k);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return def;
    }
    int isnum;
    lua_Integer v = lua_tointegerx(L, -1, &isnum);
    if (!isnum)
        luaL_error(L, "field '%s' must be an integer in [%I, %I], got %s", k, (LUAI_UACINT)lo, (LUAI_UACINT)hi,
                   lua_type(L, -1) == LUA_TNUMBER ? "a non-integer number" : luaL_typename(L, -1));
    if (v < lo || v > hi)
        luaL_error(L, "field '%s' must be in [%I, %I], got %I", k, (LUAI_UACINT)lo, (LUAI_UACINT)hi, (LUAI_UACINT)v);
    lua_pop(L, 1);
    return v;
}

const char *ebpf_lua_opt_bytes(lua_State *L, int idx, const char *k, size_t *len)
{
    lua_getfield(L, idx, k);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        *len = 0;
        return NULL;
    }
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "field '%s' must be a string of bytes, got %s", k, luaL_typename(L, -1));
    const char *s = lua_tolstring(L, -1, len);
    lua_pop(L, 1); /* still referenced by the table */
    return s;
}

const char *ebpf_lua_opt_str(lua_State *L, int idx, const char *k, const char *def)
{
    lua_getfield(L, idx, k);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return def;
    }
    if (lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "field '%s' must be a string, got %s", k, luaL_typename(L, -1));
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    /* names and paths: C would cut them at the NUL (binary options such
     * as func_info are read with ebpf_lua_opt_bytes) */
    if (strlen(s) != len)
        luaL_error(L, "field '%s' contains a NUL byte", k);
    lua_pop(L, 1); /* still referenced by the table */
    return s;
}

int ebpf_lua_opt_bool(lua_State *L, int idx, const char *k, int def)
{
    lua_getfield(L, idx, k);
    int r = lua_isnil(L, -1) ? def : lua_toboolean(L, -1);
    lua_pop(L, 1);
    return r;
}

static uint32_t one_flag(lua_State *L, int idx, const char *k, unsigned int (*lookup)(const char *))
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        int isnum;
        lua_Integer v = lua_tointegerx(L, idx, &isnum);
        if (!isnum || v < 0 || v > 0xffffffffLL)
            luaL_error(L, "field '%s': flags must be names or integers in [0, 2^32-1]", k);
        return (uint32_t)v;
    }
    const char *name = lua_tostring(L, idx);
    if (!name)
        luaL_error(L, "field '%s': flags must be names or integers, got %s", k, luaL_typename(L, idx));
    unsigned int bit = lookup(name);
    if (!bit)
        luaL_error(L, "field '%s': unknown flag '%s'", k, name);
    return bit;
}

uint32_t ebpf_lua_opt_flags(lua_State *L, int idx, const char *k, unsigned int (*lookup)(const char *))
{
    uint32_t flags = 0;
    lua_getfield(L, idx, k);
    int t = lua_gettop(L);
    if (lua_istable(L, t)) {
        lua_Integer n = luaL_len(L, t);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, t, i);
            flags |= one_flag(L, -1, k, lookup);
            lua_pop(L, 1);
        }
    } else if (!lua_isnil(L, t)) {
        flags = one_flag(L, t, k, lookup);
    }
    lua_pop(L, 1);
    return flags;
}

void ebpf_lua_new_class(lua_State *L, const char *name, const luaL_Reg *meta, const luaL_Reg *methods)
{
    luaL_newmetatable(L, name);
    luaL_setfuncs(L, meta, 0);
    if (methods) {
        lua_newtable(L);
        luaL_setfuncs(L, methods, 0);
        lua_setfield(L, -2, "__methods");
    }
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__name");
    lua_pop(L, 1);
}

void ebpf_lua_set_funcs(lua_State *L, const luaL_Reg *funcs)
{
    luaL_setfuncs(L, funcs, 0);
}

lua_Integer ebpf_lua_check_range(lua_State *L, int idx, const char *what, lua_Integer lo, lua_Integer hi)
{
    int isnum;
    lua_Integer v = lua_tointegerx(L, idx, &isnum);
    if (!isnum)
        luaL_error(L, "%s must be an integer, got %s", what, luaL_typename(L, idx));
    if (v < lo || v > hi)
        luaL_error(L, "%s out of range: %I not in [%I, %I]", what, (LUAI_UACINT)v, (LUAI_UACINT)lo,
                   (LUAI_UACINT)hi);
    return v;
}

void ebpf_lua_to_bytes(lua_State *L, int idx, void *buf, size_t size, const char *what, const char *name)
{
    int t = lua_type(L, idx);
    if (t == LUA_TSTRING) {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        if (len != size)
            luaL_error(L, "map '%s': %s must be %d bytes, got %d", name, what, (int)size, (int)len);
        memcpy(buf, s, size);
        return;
    }
    if (t == LUA_TNUMBER && ebpf_lua_int_size(size)) {
        int isnum;
        lua_Integer v = lua_tointegerx(L, idx, &isnum);
        if (!isnum)
            luaL_error(L, "map '%s': %s must be an integer, got a float", name, what);
        if (!ebpf_lua_int_fits(v, size))
            luaL_error(L, "map '%s': %s %I does not fit in %d bytes", name, what, (LUAI_UACINT)v, (int)size);
        ebpf_lua_store_int(buf, v, size);
        return;
    }
    if (t == LUA_TNUMBER)
        luaL_error(L, "map '%s': %s is %d bytes, give a string of that size (integers only fit 1/2/4/8)",
                   name, what, (int)size);
    luaL_error(L, "map '%s': %s must be a string of %d bytes%s, got %s", name, what, (int)size,
               (size == 1 || size == 2 || size == 4 || size == 8) ? " or an integer" : "",
               luaL_typename(L, idx));
}

void ebpf_lua_push_bytes_value(lua_State *L, const void *buf, size_t size)
{
    if (ebpf_lua_int_size(size))
        lua_pushinteger(L, ebpf_lua_load_int(buf, size));
    else
        lua_pushlstring(L, (const char *)buf, size);
}

const char *ebpf_lua_check_path(lua_State *L, int idx, const char *what)
{
    size_t len;
    const char *s = luaL_checklstring(L, idx, &len);
    if (strlen(s) != len)
        luaL_error(L, "%s contains a NUL byte", what);
    return s;
}
