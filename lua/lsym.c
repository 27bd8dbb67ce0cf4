/* core.sym: addresses to symbols (ebpf/sym.h) for ebpf.sym and
 * ebpf.stack (lua/ebpf/sym.lua). Unknown addresses give nil, failures to
 * read kallsyms or a process's maps nil, err, errno. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/sym.h"
#include "lcommon.h"

#define STACK_MAX_FRAMES 4096 /* bpf_get_stackid allows 127; room for bigger raw stacks */

static uint64_t check_addr(lua_State *L, int idx)
{
    if (!lua_isinteger(L, idx))
        luaL_argerror(L, idx, lua_type(L, idx) == LUA_TNUMBER ? "address must be an integer" : "integer expected");
    return (uint64_t)lua_tointeger(L, idx);
}

static int check_pid(lua_State *L, int idx)
{
    return (int)ebpf_lua_check_range(L, idx, "pid", 1, INT_MAX);
}

/* name, offset, module: module nil for vmlinux or when empty. */
static int push_sym(lua_State *L, const struct ebpf_sym *s)
{
    lua_pushstring(L, s->name);
    lua_pushinteger(L, (lua_Integer)s->offset);
    if (s->module[0])
        lua_pushstring(L, s->module);
    else
        lua_pushnil(L);
    return 3;
}

/* core.sym.kernel(addr) -> name, offset, module | nil | nil, err, errno */
static int l_kernel(lua_State *L)
{
    uint64_t addr = check_addr(L, 1);
    struct ebpf_sym *s = lua_newuserdatauv(L, sizeof(*s), 0);
    int r = ebpf_sym_kernel(addr, s);
    if (r < 0)
        return ebpf_lua_fail(L);
    if (r == 0) {
        lua_pushnil(L);
        return 1;
    }
    return push_sym(L, s);
}

/* core.sym.user(pid, addr) -> name, offset, path | nil | nil, err, errno */
static int l_user(lua_State *L)
{
    int pid = check_pid(L, 1);
    uint64_t addr = check_addr(L, 2);
    struct ebpf_sym *s = lua_newuserdatauv(L, sizeof(*s), 0);
    int r = ebpf_sym_user(pid, &addr, 1, s);
    if (r < 0)
        return ebpf_lua_fail(L);
    if (r == 0) {
        lua_pushnil(L);
        return 1;
    }
    return push_sym(L, s);
}

static void push_frame(lua_State *L, const struct ebpf_sym *s, const char *where)
{
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, (lua_Integer)s->addr);
    lua_setfield(L, -2, "addr");
    if (s->name[0]) {
        lua_pushstring(L, s->name);
        lua_setfield(L, -2, "name");
        lua_pushinteger(L, (lua_Integer)s->offset);
        lua_setfield(L, -2, "offset");
    }
    if (s->module[0]) {
        lua_pushstring(L, s->module);
        lua_setfield(L, -2, where);
    }
}

/* core.sym.frames(bytes [, pid]) -> {{addr=, name=, offset=, module=|path=}, ...}
 * | nil, err, errno: a raw stack (native-endian u64 addresses, the first 0
 * ends it), kernel frames without pid, user frames of pid with it. */
static int l_frames(lua_State *L)
{
    size_t len;
    const char *raw = luaL_checklstring(L, 1, &len);
    int pid = lua_isnoneornil(L, 2) ? 0 : check_pid(L, 2);
    if (len % 8)
        return luaL_argerror(L, 1, "stack bytes must be a multiple of 8 long");
    size_t n = 0;
    while (n < len / 8 && n < STACK_MAX_FRAMES) {
        uint64_t a;
        memcpy(&a, raw + n * 8, 8);
        if (!a)
            break;
        n++;
    }
    uint64_t *addrs = lua_newuserdatauv(L, (n ? n : 1) * sizeof(uint64_t), 0);
    memcpy(addrs, raw, n * 8);
    struct ebpf_sym *syms = lua_newuserdatauv(L, (n ? n : 1) * sizeof(*syms), 0);
    if (pid) {
        if (n && ebpf_sym_user(pid, addrs, n, syms) < 0)
            return ebpf_lua_fail(L);
    } else {
        for (size_t i = 0; i < n; i++)
            if (ebpf_sym_kernel(addrs[i], &syms[i]) < 0)
                return ebpf_lua_fail(L);
    }
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        push_frame(L, &syms[i], pid ? "path" : "module");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* core.sym.debug_dir([dir]) -> dir: sets (nil: the default) when given. */
static int l_debug_dir(lua_State *L)
{
    if (lua_gettop(L) >= 1) {
        const char *dir = lua_isnil(L, 1) ? NULL : ebpf_lua_check_path(L, 1, "debug directory");
        if (ebpf_sym_set_debug_dir(dir) < 0)
            return luaL_argerror(L, 1, ebpf_error_message());
    }
    char buf[PATH_MAX];
    ebpf_sym_debug_dir(buf, sizeof(buf));
    lua_pushstring(L, buf);
    return 1;
}

static int l_cache_clear(lua_State *L)
{
    (void)L;
    ebpf_sym_cache_clear();
    return 0;
}

void ebpf_lua_open_sym(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"kernel", l_kernel},
        {"user", l_user},
        {"frames", l_frames},
        {"debug_dir", l_debug_dir},
        {"cache_clear", l_cache_clear},
        {NULL, NULL},
    };
    lua_newtable(L);
    luaL_setfuncs(L, funcs, 0);
    lua_setfield(L, -2, "sym");
}
