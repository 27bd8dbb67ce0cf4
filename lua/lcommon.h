/* Shared helpers of the Lua binding: the object model (closed-then-opened
 * userdata, toX guards), strict option tables and the nil,err,errno
 * convention. */
#pragma once
#include <lauxlib.h>
#include <lua.h>
#include <stdint.h>
#include <string.h>

#define EBPF_MAP_MT "ebpf.map"
#define EBPF_PROG_MT "ebpf.program"
#define EBPF_ERROR_MT "ebpf.error"

/* Pushes nil, an ebpf.error built from the core's last error, and the
 * errno; returns 3 so a C function can `return ebpf_lua_fail(L);`. */
int ebpf_lua_fail(lua_State *L);
/* Same with an explicit errno and message (no core call involved). */
int ebpf_lua_fail_msg(lua_State *L, int err, const char *op, const char *fmt, ...);
/* A string argument used as a path or name: raises when it holds a NUL
 * byte (the kernel and libc would silently cut it there). */
const char *ebpf_lua_check_path(lua_State *L, int idx, const char *what);
/* Pushes an ebpf.error table for the core's last error. */
void ebpf_lua_push_error(lua_State *L);

/* Raises "invalid field name 'x'" if the table at idx has a string key not
 * in the NULL-terminated list `allowed`; raises if idx is not a table. */
void ebpf_lua_check_fields(lua_State *L, int idx, const char *const allowed[]);
/* Option getters: the field `k` of the table at idx, or the default. */
lua_Integer ebpf_lua_opt_int(lua_State *L, int idx, const char *k, lua_Integer def);
/* An integer option checked against [lo, hi]: anything else raises naming
 * the option and its range (no silent truncation, NaN/inf raise). idx 0
 * (no table) gives def. */
lua_Integer ebpf_lua_opt_range(lua_State *L, int idx, const char *k, lua_Integer def, lua_Integer lo,
                               lua_Integer hi);
#define EBPF_U32_MAX 0xffffffffLL
#define EBPF_I32_MAX 0x7fffffffLL
const char *ebpf_lua_opt_str(lua_State *L, int idx, const char *k, const char *def);
/* A binary string option (NUL bytes allowed), its length in *len. */
const char *ebpf_lua_opt_bytes(lua_State *L, int idx, const char *k, size_t *len);
int ebpf_lua_opt_bool(lua_State *L, int idx, const char *k, int def);
/* Flags given as a name, a list of names or an integer; `lookup` maps a
 * name to its bit (0 = unknown, which raises naming the field). */
uint32_t ebpf_lua_opt_flags(lua_State *L, int idx, const char *k, unsigned int (*lookup)(const char *));

/* Registers a metatable with methods; __index is set by the caller. */
void ebpf_lua_new_class(lua_State *L, const char *name, const luaL_Reg *meta, const luaL_Reg *methods);
/* Creates a table of functions at the top (module field). */
void ebpf_lua_set_funcs(lua_State *L, const luaL_Reg *funcs);

/* Reads an integer that must fit in [lo, hi], naming `what` on error. */
lua_Integer ebpf_lua_check_range(lua_State *L, int idx, const char *what, lua_Integer lo, lua_Integer hi);

/* Integers as map keys and values of 1/2/4/8 bytes (host byte order, as
 * the kernel stores map data): whether v fits `size` bytes (signed or
 * unsigned), and its bytes. Shared by ebpf_lua_to_bytes and the maps'
 * short way for integer elements. */
static inline int ebpf_lua_int_size(size_t size) { return size == 1 || size == 2 || size == 4 || size == 8; }
static inline int ebpf_lua_int_fits(lua_Integer v, size_t size)
{
    if (size >= 8)
        return 1;
    lua_Integer lim = (lua_Integer)1 << (size * 8);
    return v < lim && v >= -(lim / 2);
}
static inline void ebpf_lua_store_int(void *buf, lua_Integer v, size_t size)
{
    switch (size) {
    case 1: { uint8_t x = (uint8_t)v; memcpy(buf, &x, 1); break; }
    case 2: { uint16_t x = (uint16_t)v; memcpy(buf, &x, 2); break; }
    case 4: { uint32_t x = (uint32_t)v; memcpy(buf, &x, 4); break; }
    default: { uint64_t x = (uint64_t)v; memcpy(buf, &x, 8); break; }
    }
}
/* The integer that 1/2/4/8 bytes hold (unsigned except 8). */
static inline lua_Integer ebpf_lua_load_int(const void *buf, size_t size)
{
    switch (size) {
    case 1: return *(const uint8_t *)buf;
    case 2: { uint16_t v; memcpy(&v, buf, 2); return (lua_Integer)v; }
    case 4: { uint32_t v; memcpy(&v, buf, 4); return (lua_Integer)v; }
    default: { int64_t v; memcpy(&v, buf, 8); return (lua_Integer)v; }
    }
}

/* Encodes the Lua value at idx into exactly `size` bytes: a string of that
 * length, or an integer for sizes 1/2/4/8 (little-endian). Raises with
 * `what` ("map 'x': key") naming expected and given sizes. */
void ebpf_lua_to_bytes(lua_State *L, int idx, void *buf, size_t size, const char *what, const char *name);
/* Pushes `size` bytes as an integer for 1/2/4/8 (unsigned except 8), else
 * as a string. */
void ebpf_lua_push_bytes_value(lua_State *L, const void *buf, size_t size);

/* Fast self check for hot paths: every binding userdata starts with a
 * 32-bit magic of its type. Only C code can fill a full userdata, and a
 * foreign one of the same size starting with the same magic does not
 * occur, so size + magic identifies the type without the registry lookup
 * of luaL_checkudata (which is still used for the error message). */
static inline void *ebpf_lua_checkmagic(lua_State *L, int idx, size_t size, uint32_t magic,
                                        const char *tname)
{
    void *p = lua_touserdata(L, idx);
    if (p && lua_rawlen(L, idx) == size && *(const uint32_t *)p == magic)
        return p;
    return luaL_checkudata(L, idx, tname);
}

/* Area openers, each adding its functions/classes to the module table at
 * the top of the stack. */
void ebpf_lua_open_error(lua_State *L);
void ebpf_lua_open_map(lua_State *L);
void ebpf_lua_open_prog(lua_State *L);
void ebpf_lua_open_sys(lua_State *L);
void ebpf_lua_open_proc(lua_State *L);
void ebpf_lua_open_link(lua_State *L);
void ebpf_lua_open_net(lua_State *L); /* lnet.c: after link, adds to its table */
void ebpf_lua_open_btf(lua_State *L);
void ebpf_lua_open_elf(lua_State *L);
void ebpf_lua_open_asm(lua_State *L);
void ebpf_lua_open_features(lua_State *L);
void ebpf_lua_open_ringbuf(lua_State *L);
void ebpf_lua_open_perf(lua_State *L);
void ebpf_lua_open_sym(lua_State *L);
void ebpf_lua_open_trace_pipe(lua_State *L);
