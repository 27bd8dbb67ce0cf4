/* ebpf_bench_floor: a Lua module for the benchmark only. It times the
 * physical floor of W6 - raw syscall(2) BPF_PROG_TEST_RUN calls with one
 * reused attr - inside the Lua process, so the Lua figures can be set
 * against a floor measured interleaved with them in the same run. */
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

__attribute__((visibility("default"))) int luaopen_ebpf_bench_floor(lua_State *L)
{
    lua_newtable(L);
    lua_pushcfunction(L, testrun);
    lua_setfield(L, -2, "testrun");
    return 1;
}
