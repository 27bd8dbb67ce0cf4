/* ebpf.error: the error object of failed kernel operations. A table with
 * message, errno, code, op and (for verifier failures) the full log. */
#include <string.h>

#include "lcommon.h"

#define LOG_TAIL_LINES 6

/* "msg (ECODE)" and, when there is a log, its last lines. Every value is
 * fetched onto the stack before the luaL_Buffer opens: nothing may be
 * pushed while it is in use (the buffer lives on the stack too). */
static int error_tostring(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    lua_getfield(L, 1, "message"); /* 2 */
    lua_getfield(L, 1, "code");    /* 3 */
    lua_getfield(L, 1, "log");     /* 4 */
    size_t mlen = 0, clen = 0, len = 0;
    const char *msg = lua_type(L, 2) == LUA_TSTRING || lua_type(L, 2) == LUA_TNUMBER ? lua_tolstring(L, 2, &mlen)
                                                                                      : NULL;
    const char *code = lua_type(L, 3) == LUA_TSTRING ? lua_tolstring(L, 3, &clen) : NULL;
    const char *log = lua_type(L, 4) == LUA_TSTRING ? lua_tolstring(L, 4, &len) : NULL;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (msg)
        luaL_addlstring(&b, msg, mlen);
    else
        luaL_addstring(&b, "ebpf error");
    if (code) {
        luaL_addstring(&b, " (");
        luaL_addlstring(&b, code, clen);
        luaL_addstring(&b, ")");
    }
    if (log && len) {
        /* Skip trailing newlines, then walk back LOG_TAIL_LINES lines. */
        size_t stop = len;
        while (stop > 0 && log[stop - 1] == '\n')
            stop--;
        size_t from = stop;
        int lines = 0;
        while (from > 0) {
            if (log[from - 1] == '\n' && ++lines == LOG_TAIL_LINES)
                break;
            from--;
        }
        luaL_addstring(&b, from > 0 ? "\nverifier log (last lines; full log in err.log):\n"
                                    : "\nverifier log:\n");
        luaL_addlstring(&b, log + from, stop - from);
    }
    luaL_pushresult(&b);
    return 1;
}

static int error_concat(lua_State *L)
{
    /* Either operand may be the error. */
    for (int i = 1; i <= 2; i++) {
        if (luaL_getmetafield(L, i, "__name") != LUA_TNIL) {
            lua_pop(L, 1);
            lua_pushcfunction(L, error_tostring);
            lua_pushvalue(L, i);
            lua_call(L, 1, 1);
            lua_replace(L, i);
        }
    }
    luaL_tolstring(L, 1, NULL);
    luaL_tolstring(L, 2, NULL);
    lua_concat(L, 2);
    return 1;
}

static int error_new(lua_State *L)
{
    /* ebpf.error.new{message=..., errno=..., ...}: for Lua-side code that
     * reports failures the same way. */
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    luaL_setmetatable(L, EBPF_ERROR_MT);
    return 1;
}

static int error_is(lua_State *L)
{
    int r = 0;
    if (lua_getmetatable(L, 1)) {
        luaL_getmetatable(L, EBPF_ERROR_MT);
        r = lua_rawequal(L, -1, -2);
    }
    lua_pushboolean(L, r);
    return 1;
}

void ebpf_lua_open_error(lua_State *L)
{
    luaL_newmetatable(L, EBPF_ERROR_MT);
    lua_pushcfunction(L, error_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushcfunction(L, error_concat);
    lua_setfield(L, -2, "__concat");
    lua_pushstring(L, EBPF_ERROR_MT);
    lua_setfield(L, -2, "__name");
    lua_pop(L, 1);
    static const luaL_Reg funcs[] = {
        {"new", error_new},
        {"is", error_is},
        {NULL, NULL},
    };
    lua_newtable(L);
    luaL_setfuncs(L, funcs, 0);
    lua_setfield(L, -2, "error");
}
