/* ebpf_bench_floor: a Lua module for the benchmark only. It times floors
 * inside the Lua process, so the Lua figures can be set against them in the
 * same run:
 * - W6: raw syscall(2) BPF_PROG_TEST_RUN calls with one reused attr, and
 *   one such call per call of a bare C function from a Lua loop (the least
 *   any binding of prog:run can cost);
 * - W4: a userdata whose __index/__newindex are nothing but the raw
 *   syscall (u32 key, u64 value), i.e. m[k], m[k] = v, m[k] = nil with no
 *   binding work at all;
 * - W2/W3: what handing N records to Lua costs before any reader work -
 *   a C->Lua call per record with two integers, a fresh 16-byte string per
 *   record, and the cheapest batch shape (a reused column of integers
 *   filled from C, one Lua call per batch). */
#include <errno.h>
#include <lauxlib.h>
#include <linux/bpf.h>
#include <lua.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* testrun(prog_fd, data, calls) -> ns per call */
static int testrun(lua_State *L)
{
    int fd = (int)luaL_checkinteger(L, 1);
    size_t len;
    const char *data = luaL_checklstring(L, 2, &len);
    lua_Integer calls = luaL_checkinteger(L, 3);
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.test.prog_fd = (uint32_t)fd;
    a.test.data_in = (uint64_t)(uintptr_t)data;
    a.test.data_size_in = (uint32_t)len;
    a.test.repeat = 1;
    uint64_t t0 = now_ns();
    for (lua_Integer i = 0; i < calls; i++) {
        if (syscall(__NR_bpf, BPF_PROG_TEST_RUN, &a, 80) < 0)
            return luaL_error(L, "test run: %s", strerror(errno));
        if (a.test.retval != 0)
            return luaL_error(L, "retval %d", (int)a.test.retval);
    }
    lua_pushnumber(L, (double)(now_ns() - t0) / (double)calls);
    return 1;
}

/* calls(fn, n) -> ns per record: fn(seq, seq + 1) called from C n times. */
static int calls(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_Integer n = luaL_checkinteger(L, 2);
    uint64_t t0 = now_ns();
    for (lua_Integer i = 0; i < n; i++) {
        lua_pushvalue(L, 1);
        lua_pushinteger(L, i);
        lua_pushinteger(L, i + 1);
        lua_call(L, 2, 0);
    }
    lua_pushnumber(L, (double)(now_ns() - t0) / (double)n);
    return 1;
}

/* strings(fn, n) -> ns per record: fn(rec) with rec a fresh 16-byte
 * string {u64 seq, u64 seq + 1}, as a string-callback reader must make. */
static int strings(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_Integer n = luaL_checkinteger(L, 2);
    uint64_t rec[2], t0 = now_ns();
    for (lua_Integer i = 0; i < n; i++) {
        rec[0] = (uint64_t)i;
        rec[1] = (uint64_t)i + 1;
        lua_pushvalue(L, 1);
        lua_pushlstring(L, (const char *)rec, sizeof(rec));
        lua_call(L, 1, 0);
    }
    lua_pushnumber(L, (double)(now_ns() - t0) / (double)n);
    return 1;
}

/* columns(fn, n, batch) -> ns per record: a reused table filled from C
 * with batch values (seq + 1), then fn(column, count) once per batch. */
static int columns(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_Integer n = luaL_checkinteger(L, 2), batch = luaL_optinteger(L, 3, 4096);
    luaL_argcheck(L, batch > 0 && batch <= (1 << 24), 3, "batch out of range");
    lua_createtable(L, (int)batch, 0);
    int col = lua_gettop(L);
    uint64_t t0 = now_ns();
    for (lua_Integer i = 0; i < n; i += batch) {
        lua_Integer cnt = n - i < batch ? n - i : batch;
        for (lua_Integer j = 0; j < cnt; j++) {
            lua_pushinteger(L, i + j + 1);
            lua_rawseti(L, col, j + 1);
        }
        lua_pushvalue(L, 1);
        lua_pushvalue(L, col);
        lua_pushinteger(L, cnt);
        lua_call(L, 2, 0);
    }
    lua_pushnumber(L, (double)(now_ns() - t0) / (double)n);
    return 1;
}

/* run1(prog_fd, data) -> retval: one raw test run, nothing else. */
static int run1(lua_State *L)
{
    size_t len;
    const char *data = lua_tolstring(L, 2, &len);
    union bpf_attr a;
    memset(&a, 0, offsetof(union bpf_attr, test.ctx_out) + sizeof(a.test.ctx_out));
    a.test.prog_fd = (uint32_t)lua_tointeger(L, 1);
    a.test.data_in = (uint64_t)(uintptr_t)data;
    a.test.data_size_in = (uint32_t)len;
    if (syscall(__NR_bpf, BPF_PROG_TEST_RUN, &a, offsetof(union bpf_attr, test.ctx_out) + sizeof(a.test.ctx_out)) < 0)
        return luaL_error(L, "test run: %s", strerror(errno));
    lua_pushinteger(L, a.test.retval);
    return 1;
}

/* W4 floor: the map fd in a bare userdata. */
static long map_elem(int cmd, int fd, uint32_t key, uint64_t *value)
{
    union bpf_attr a;
    memset(&a, 0, offsetof(union bpf_attr, flags) + sizeof(a.flags));
    a.map_fd = (uint32_t)fd;
    a.key = (uint64_t)(uintptr_t)&key;
    a.value = (uint64_t)(uintptr_t)value;
    return syscall(__NR_bpf, cmd, &a, offsetof(union bpf_attr, flags) + sizeof(a.flags));
}

static int rawmap_index(lua_State *L)
{
    int fd = *(int *)lua_touserdata(L, 1);
    uint64_t v = 0;
    if (map_elem(BPF_MAP_LOOKUP_ELEM, fd, (uint32_t)lua_tointeger(L, 2), &v) < 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, (lua_Integer)v);
    return 1;
}

static int rawmap_newindex(lua_State *L)
{
    int fd = *(int *)lua_touserdata(L, 1);
    uint32_t k = (uint32_t)lua_tointeger(L, 2);
    if (lua_isnil(L, 3)) {
        map_elem(BPF_MAP_DELETE_ELEM, fd, k, NULL);
    } else {
        uint64_t v = (uint64_t)lua_tointeger(L, 3);
        if (map_elem(BPF_MAP_UPDATE_ELEM, fd, k, &v) < 0)
            return luaL_error(L, "update: %s", strerror(errno));
    }
    return 0;
}

/* rawmap(fd) -> userdata u: u[k], u[k] = v, u[k] = nil on a u32 -> u64 map. */
static int rawmap(lua_State *L)
{
    int fd = (int)luaL_checkinteger(L, 1);
    *(int *)lua_newuserdatauv(L, sizeof(int), 0) = fd;
    if (luaL_newmetatable(L, "ebpf_bench_floor.rawmap")) {
        lua_pushcfunction(L, rawmap_index);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, rawmap_newindex);
        lua_setfield(L, -2, "__newindex");
    }
    lua_setmetatable(L, -2);
    return 1;
}

__attribute__((visibility("default"))) int luaopen_ebpf_bench_floor(lua_State *L)
{
    static const luaL_Reg fns[] = {
        {"testrun", testrun}, {"run1", run1}, {"rawmap", rawmap}, {"calls", calls}, {"strings", strings}, {"columns", columns}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
