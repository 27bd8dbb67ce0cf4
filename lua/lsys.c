/* Process-level functions: memlock rlimit, object id iteration, stats,
 * CPU count, type name lists, and the open-fd count used by tests. */
#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ebpf/sys.h"
#include "ebpf/types.h"
#include "lcommon.h"

#define EBPF_STATS_MT "ebpf.stats"

static int remove_memlock(lua_State *L)
{
    int r = ebpf_rlimit_remove_memlock();
    if (r < 0)
        return ebpf_lua_fail(L);
    lua_pushboolean(L, r == 1); /* true: the limit had to be raised */
    return 1;
}

static int memcg_accounting(lua_State *L)
{
    int r = ebpf_memcg_accounting();
    if (r < 0)
        return ebpf_lua_fail_msg(L, -r, "rlimit", "memlock probe: %s", strerror(-r));
    lua_pushboolean(L, r);
    return 1;
}

/* Generic id iterator: for id in ebpf.map_ids() do ... end */
static int ids_next(lua_State *L)
{
    int cmd = (int)lua_tointeger(L, lua_upvalueindex(1));
    uint32_t id = (uint32_t)luaL_optinteger(L, 2, 0), next = 0;
    int r = ebpf_obj_next_id(cmd, id, &next);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return luaL_error(L, "%s", ebpf_error_message());
    lua_pushinteger(L, next);
    return 1;
}

static int push_ids_iter(lua_State *L, int cmd)
{
    lua_pushinteger(L, cmd);
    lua_pushcclosure(L, ids_next, 1);
    lua_pushnil(L);
    lua_pushinteger(L, 0);
    return 3;
}

static int map_ids(lua_State *L) { return push_ids_iter(L, BPF_MAP_GET_NEXT_ID); }
static int prog_ids(lua_State *L) { return push_ids_iter(L, BPF_PROG_GET_NEXT_ID); }
static int link_ids(lua_State *L) { return push_ids_iter(L, BPF_LINK_GET_NEXT_ID); }
static int btf_ids(lua_State *L) { return push_ids_iter(L, BPF_BTF_GET_NEXT_ID); }

/* enable_stats() -> handle; run_cnt/run_time_ns are collected while it
 * is open. */
static int enable_stats(lua_State *L)
{
    int *fdp = lua_newuserdatauv(L, sizeof(int), 0);
    *fdp = -1;
    luaL_setmetatable(L, EBPF_STATS_MT);
    int fd = ebpf_enable_stats(BPF_STATS_RUN_TIME);
    if (fd < 0)
        return ebpf_lua_fail(L);
    *fdp = fd;
    return 1;
}

static int stats_close(lua_State *L)
{
    int *fdp = luaL_checkudata(L, 1, EBPF_STATS_MT);
    if (*fdp < 0 && lua_gettop(L) >= 1 && !lua_toboolean(L, lua_upvalueindex(1)))
        return luaL_error(L, "attempt to use a closed stats handle");
    if (*fdp >= 0)
        close(*fdp);
    *fdp = -1;
    return 0;
}

static int stats_tostring(lua_State *L)
{
    int *fdp = luaL_checkudata(L, 1, EBPF_STATS_MT);
    if (*fdp < 0)
        lua_pushstring(L, "ebpf.stats (closed)");
    else
        lua_pushfstring(L, "ebpf.stats (run time stats on, fd %d)", *fdp);
    return 1;
}

static int possible_cpus(lua_State *L)
{
    int n = ebpf_num_possible_cpus();
    if (n < 0)
        return ebpf_lua_fail(L);
    lua_pushinteger(L, n);
    return 1;
}

/* Number of open fds of this process (tests check for leaks with it). */
static int open_fds(lua_State *L)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return ebpf_lua_fail_msg(L, errno, "fds", "opendir /proc/self/fd: %s", strerror(errno));
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    lua_pushinteger(L, n - 1); /* minus the DIR's own fd */
    return 1;
}

static int push_names(lua_State *L, const char *(*at)(int, int *))
{
    lua_newtable(L);
    const char *n;
    int v, j = 0;
    for (int i = 0; (n = at(i, &v)); i++) {
        if (!strcmp(n, "unspec"))
            continue;
        lua_pushstring(L, n);
        lua_rawseti(L, -2, ++j);
    }
    return 1;
}

static int map_types(lua_State *L) { return push_names(L, ebpf_map_type_at); }
static int prog_types(lua_State *L) { return push_names(L, ebpf_prog_type_at); }
static int attach_types(lua_State *L) { return push_names(L, ebpf_attach_type_at); }

/* Monotonic clock in nanoseconds (benchmarks, timeouts). */
static int monotime_ns(lua_State *L)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    lua_pushinteger(L, (lua_Integer)ts.tv_sec * 1000000000 + ts.tv_nsec);
    return 1;
}

/* clock_ns("realtime"|"boottime"|"monotonic"): the clock in nanoseconds.
 * Kernel load times count from boot (CLOCK_BOOTTIME); realtime minus
 * boottime turns them into wall-clock time. */
static int clock_ns(lua_State *L)
{
    static const char *const names[] = {"realtime", "boottime", "monotonic", NULL};
    static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_BOOTTIME, CLOCK_MONOTONIC};
    int i = luaL_checkoption(L, 1, NULL, names);
    struct timespec ts;
    clock_gettime(ids[i], &ts);
    lua_pushinteger(L, (lua_Integer)ts.tv_sec * 1000000000 + ts.tv_nsec);
    return 1;
}

static int errno_name(lua_State *L)
{
    lua_pushstring(L, ebpf_errno_name((int)luaL_checkinteger(L, 1)));
    return 1;
}

/* ebpf.unpin(path) -> true | nil, err: only a BPF object on a bpffs */
static int l_unpin(lua_State *L)
{
    if (ebpf_obj_unpin(ebpf_lua_check_path(L, 1, "path")) < 0)
        return ebpf_lua_fail(L);
    lua_pushboolean(L, 1);
    return 1;
}

void ebpf_lua_open_sys(lua_State *L)
{
    luaL_newmetatable(L, EBPF_STATS_MT);
    lua_pushboolean(L, 0);
    lua_pushcclosure(L, stats_close, 1);
    lua_setfield(L, -2, "close");
    lua_pushboolean(L, 1);
    lua_pushcclosure(L, stats_close, 1);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "__gc");
    lua_setfield(L, -2, "__close");
    lua_pushcfunction(L, stats_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    static const luaL_Reg funcs[] = {
        {"unpin", l_unpin},
        {"remove_memlock", remove_memlock},
        {"memcg_accounting", memcg_accounting},
        {"map_ids", map_ids},
        {"prog_ids", prog_ids},
        {"link_ids", link_ids},
        {"btf_ids", btf_ids},
        {"enable_stats", enable_stats},
        {"possible_cpus", possible_cpus},
        {"open_fds", open_fds},
        {"map_types", map_types},
        {"prog_types", prog_types},
        {"attach_types", attach_types},
        {"errno_name", errno_name},
        {"monotime_ns", monotime_ns},
        {"clock_ns", clock_ns},
        {NULL, NULL},
    };
    luaL_setfuncs(L, funcs, 0);
}
