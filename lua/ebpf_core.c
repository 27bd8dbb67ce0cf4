/* luaopen_ebpf_core: the C module behind `require "ebpf"`. Each area adds
 * its functions and classes to the module table; no C globals. */
#include "lcommon.h"
#include "lsignal.h"
#include "ebpf_version.h" /* generated from VERSION */

#define EBPF_EXPORT __attribute__((visibility("default")))

/* Areas register here, one line each. */
static void (*const openers[])(lua_State *) = {
    ebpf_lua_open_error,
    ebpf_lua_open_sys,
    ebpf_lua_open_proc,
    ebpf_lua_open_map,
    ebpf_lua_open_prog,
    ebpf_lua_open_link,
    ebpf_lua_open_net,
    ebpf_lua_open_btf,
    ebpf_lua_open_elf,
    ebpf_lua_open_asm,
    ebpf_lua_open_features,
    ebpf_lua_open_ringbuf,
    ebpf_lua_open_perf,
    ebpf_lua_open_signal,
    ebpf_lua_open_sym,
    ebpf_lua_open_trace_pipe,
};

EBPF_EXPORT int luaopen_ebpf_core(lua_State *L)
{
    lua_newtable(L);
    for (size_t i = 0; i < sizeof(openers) / sizeof(openers[0]); i++)
        openers[i](L);
    lua_pushliteral(L, EBPF_VERSION);
    lua_setfield(L, -2, "version");
    /* "ebpf 0.2.0": the _VERSION convention of lua-cjson and LuaSocket. */
    lua_pushliteral(L, "ebpf " EBPF_VERSION);
    lua_setfield(L, -2, "_VERSION");
    return 1;
}
