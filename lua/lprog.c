/* ebpf.program: loading from instructions, test runs, pinning, info. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/prog.h"
#include "ebpf/sys.h"
#include "ebpf/types.h"
#include "lmap.h"
#include "lprog.h"

lprog *ebpf_lua_toprog(lua_State *L, int idx)
{
    lprog *lp = luaL_checkudata(L, idx, EBPF_PROG_MT);
    if (!lp->p)
        luaL_error(L, "attempt to use a closed program");
    return lp;
}

static lprog *new_closed(lua_State *L)
{
    lprog *lp = lua_newuserdatauv(L, sizeof(lprog), LPROG_NUV);
    lp->magic = LPROG_MAGIC;
    lp->p = NULL;
    luaL_setmetatable(L, EBPF_PROG_MT);
    return lp;
}

lprog *ebpf_lua_push_prog(lua_State *L, struct ebpf_prog *p)
{
    if (!p)
        return NULL;
    lprog *lp = new_closed(L);
    lp->p = p;
    return lp;
}

const void *ebpf_lua_insns(lua_State *L, int idx, size_t *cnt)
{
    idx = lua_absindex(L, idx);
    int t = lua_type(L, idx);
    if (t == LUA_TTABLE || t == LUA_TUSERDATA) {
        lua_getfield(L, idx, "tobytes");
        if (!lua_isfunction(L, -1))
            luaL_error(L, "field 'insns' must be a string of instruction bytes or an ebpf.asm program");
        lua_pushvalue(L, idx);
        lua_call(L, 1, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "insns:tobytes() must return a string");
    } else if (t == LUA_TSTRING) {
        lua_pushvalue(L, idx);
    } else {
        luaL_error(L, "field 'insns' must be a string of instruction bytes or an ebpf.asm program, got %s",
                   luaL_typename(L, idx));
    }
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (len == 0)
        luaL_error(L, "program has no instructions");
    if (len % 8)
        luaL_error(L, "instruction bytes must be a multiple of 8, got %d", (int)len);
    *cnt = len / 8;
    return s;
}

static unsigned int prog_flag_lookup(const char *s) { return ebpf_prog_flag_by_name(s); }

/* ebpf.program{type=..., insns=..., license=..., name=..., ...} */
static int prog_new(lua_State *L)
{
    lua_remove(L, 1); /* called as ebpf.program{...} */
    static const char *const fields[] = {
        "type", "insns", "license", "name", "expected_attach_type", "attach_type", "flags",
        "kern_version", "attach_btf_id", "attach_btf_obj_fd", "attach_prog", "ifindex",
        "btf", "func_info", "func_info_rec_size", "line_info", "line_info_rec_size",
        "log_level", "log_size", "section", NULL};
    ebpf_lua_check_fields(L, 1, fields);
    struct ebpf_prog_load_opts o;
    ebpf_prog_load_opts_init(&o);
    const char *tname = ebpf_lua_opt_str(L, 1, "type", NULL);
    if (!tname)
        return luaL_error(L, "field 'type' is required (e.g. \"socket_filter\", \"xdp\", \"kprobe\")");
    o.type = ebpf_prog_type_by_name(tname);
    if (o.type <= 0)
        return luaL_error(L, "unknown program type '%s'", tname);
    const char *at = ebpf_lua_opt_str(L, 1, "expected_attach_type", NULL);
    if (!at)
        at = ebpf_lua_opt_str(L, 1, "attach_type", NULL);
    if (at) {
        o.expected_attach_type = ebpf_attach_type_by_name(at);
        if (o.expected_attach_type < 0)
            return luaL_error(L, "unknown attach type '%s'", at);
    }
    o.name = ebpf_lua_opt_str(L, 1, "name", NULL);
    o.section = ebpf_lua_opt_str(L, 1, "section", NULL);
    o.license = ebpf_lua_opt_str(L, 1, "license", "GPL");
    o.flags = ebpf_lua_opt_flags(L, 1, "flags", prog_flag_lookup);
    o.kern_version = (uint32_t)ebpf_lua_opt_range(L, 1, "kern_version", 0, 0, EBPF_U32_MAX);
    o.attach_btf_id = (uint32_t)ebpf_lua_opt_range(L, 1, "attach_btf_id", 0, 0, EBPF_U32_MAX);
    o.attach_btf_obj_fd = (int)ebpf_lua_opt_range(L, 1, "attach_btf_obj_fd", -1, -1, EBPF_I32_MAX);
    o.ifindex = (uint32_t)ebpf_lua_opt_range(L, 1, "ifindex", 0, 0, EBPF_I32_MAX);
    lua_Integer ll = ebpf_lua_opt_range(L, 1, "log_level", 0, 0, 15);
    if (ll < 0 || ll > 31)
        return luaL_error(L, "log_level out of range: %I", (LUAI_UACINT)ll);
    o.log_level = (uint32_t)ll;
    lua_Integer ls = ebpf_lua_opt_range(L, 1, "log_size", 0, 0, EBPF_U32_MAX);
    if (ls < 0 || ls > (1 << 30))
        return luaL_error(L, "log_size out of range: %I", (LUAI_UACINT)ls);
    o.log_size_max = (uint32_t)ls;
    lua_getfield(L, 1, "attach_prog");
    if (!lua_isnil(L, -1))
        o.attach_prog_fd = ebpf_prog_fd(ebpf_lua_toprog(L, -1)->p);
    lua_pop(L, 1);
    lua_getfield(L, 1, "btf");
    if (!lua_isnil(L, -1)) {
        /* A BTF handle (ebpf.btf) exposes its kernel fd via :fd(). */
        lua_getfield(L, -1, "fd");
        lua_pushvalue(L, -2);
        lua_call(L, 1, 1);
        o.prog_btf_fd = (int)luaL_checkinteger(L, -1);
        lua_pop(L, 1);
        size_t fl = 0, ll2 = 0;
        o.func_info = ebpf_lua_opt_bytes(L, 1, "func_info", &fl);
        o.func_info_rec_size = (uint32_t)ebpf_lua_opt_range(L, 1, "func_info_rec_size", 8, 0, 4096);
        o.func_info_cnt = o.func_info_rec_size ? (uint32_t)(fl / o.func_info_rec_size) : 0;
        o.line_info = ebpf_lua_opt_bytes(L, 1, "line_info", &ll2);
        o.line_info_rec_size = (uint32_t)ebpf_lua_opt_range(L, 1, "line_info_rec_size", 16, 0, 4096);
        o.line_info_cnt = o.line_info_rec_size ? (uint32_t)(ll2 / o.line_info_rec_size) : 0;
    }
    lua_pop(L, 1);
    lua_getfield(L, 1, "insns");
    if (lua_isnil(L, -1))
        return luaL_error(L, "field 'insns' is required");
    size_t cnt;
    o.insns = ebpf_lua_insns(L, -1, &cnt);
    o.insn_cnt = cnt;
    lprog *lp = new_closed(L);
    struct ebpf_prog *p = ebpf_prog_load(&o);
    if (!p)
        return ebpf_lua_fail(L);
    lp->p = p;
    return 1;
}

static void *opt_out_buf(lua_State *L, int opts, const char *field, size_t def, uint32_t *cap)
{
    lua_getfield(L, opts, field);
    int t = lua_type(L, -1);
    size_t size = 0;
    if (t == LUA_TBOOLEAN && lua_toboolean(L, -1))
        size = def;
    else if (t == LUA_TNUMBER)
        size = (size_t)ebpf_lua_check_range(L, -1, field, 0, 1 << 28);
    else if (t != LUA_TNIL && t != LUA_TBOOLEAN)
        luaL_error(L, "field '%s' must be true or a size", field);
    lua_pop(L, 1);
    *cap = (uint32_t)size;
    return size ? lua_newuserdatauv(L, size, 0) : NULL;
}

/* run(data [, opts]) -> retval, duration_ns [, out]
 * opts: repeat_count, ctx, data_out (true|size), ctx_out (true|size), flags,
 * cpu, batch_size. out = {data=..., ctx=...} when outputs were asked. */
static int prog_run(lua_State *L)
{
    lprog *lp = ebpf_lua_checkmagic(L, 1, sizeof(lprog), LPROG_MAGIC, EBPF_PROG_MT);
    if (!lp->p)
        return luaL_error(L, "attempt to use a closed program");
    if (lua_gettop(L) == 2 && lua_type(L, 2) == LUA_TSTRING) {
        /* Hot path, run(data): nothing to parse, nothing allocated. */
        struct ebpf_prog_run_opts fast = {0};
        size_t len;
        fast.data_in = lua_tolstring(L, 2, &len);
        fast.data_size_in = (uint32_t)len;
        if (ebpf_prog_run(lp->p, &fast) < 0)
            return ebpf_lua_fail(L);
        lua_pushinteger(L, (lua_Integer)fast.retval);
        lua_pushinteger(L, (lua_Integer)fast.duration);
        return 2;
    }
    struct ebpf_prog_run_opts o;
    memset(&o, 0, sizeof(o));
    size_t dlen = 0;
    if (!lua_isnoneornil(L, 2))
        o.data_in = luaL_checklstring(L, 2, &dlen);
    o.data_size_in = (uint32_t)dlen;
    int want_out = 0;
    if (!lua_isnoneornil(L, 3)) {
        static const char *const fields[] = {"repeat_count", "repeat", "ctx", "data_out", "ctx_out",
                                             "flags", "cpu", "batch_size", NULL};
        ebpf_lua_check_fields(L, 3, fields);
        /* `repeat` is a Lua keyword, hence repeat_count (["repeat"] works too). */
        o.repeat = (uint32_t)ebpf_lua_opt_range(L, 3, "repeat_count", ebpf_lua_opt_range(L, 3, "repeat", 0, 0, EBPF_U32_MAX), 0, EBPF_U32_MAX);
        o.flags = (uint32_t)ebpf_lua_opt_int(L, 3, "flags", 0);
        lua_Integer cpu = ebpf_lua_opt_int(L, 3, "cpu", -1);
        if (cpu >= 0) {
            o.cpu = (uint32_t)cpu;
            o.flags |= BPF_F_TEST_RUN_ON_CPU;
        }
        o.batch_size = (uint32_t)ebpf_lua_opt_int(L, 3, "batch_size", 0);
        lua_getfield(L, 3, "ctx");
        size_t clen = 0;
        if (!lua_isnil(L, -1))
            o.ctx_in = luaL_checklstring(L, -1, &clen);
        o.ctx_size_in = (uint32_t)clen;
        lua_pop(L, 1); /* string stays referenced by opts */
        /* Programs may grow packets (xdp adjust_tail): leave headroom. */
        o.data_out = opt_out_buf(L, 3, "data_out", dlen + 4096, &o.data_size_out);
        o.ctx_out = opt_out_buf(L, 3, "ctx_out", clen ? clen : 256, &o.ctx_size_out);
        want_out = o.data_out || o.ctx_out;
    }
    if (ebpf_prog_run(lp->p, &o) < 0)
        return ebpf_lua_fail(L);
    lua_pushinteger(L, (lua_Integer)o.retval);
    lua_pushinteger(L, (lua_Integer)o.duration);
    if (!want_out)
        return 2;
    lua_createtable(L, 0, 2);
    if (o.data_out) {
        lua_pushlstring(L, o.data_out, o.data_size_out);
        lua_setfield(L, -2, "data");
    }
    if (o.ctx_out) {
        lua_pushlstring(L, o.ctx_out, o.ctx_size_out);
        lua_setfield(L, -2, "ctx");
    }
    return 3;
}

static int prog_pin(lua_State *L)
{
    lprog *lp = ebpf_lua_toprog(L, 1);
    if (ebpf_prog_pin(lp->p, ebpf_lua_check_path(L, 2, "path")) < 0)
        return ebpf_lua_fail(L);
    lua_pushboolean(L, 1);
    return 1;
}

static int prog_unpin(lua_State *L)
{
    ebpf_lua_toprog(L, 1);
    const char *path = ebpf_lua_check_path(L, 2, "path");
    if (ebpf_obj_unpin(path) < 0)
        return ebpf_lua_fail(L);
    lua_pushboolean(L, 1);
    return 1;
}

static int prog_clone(lua_State *L)
{
    lprog *lp = ebpf_lua_toprog(L, 1);
    lprog *c = new_closed(L);
    c->p = ebpf_prog_clone(lp->p);
    if (!c->p)
        return ebpf_lua_fail(L);
    return 1;
}

static int prog_fd(lua_State *L)
{
    lua_pushinteger(L, ebpf_prog_fd(ebpf_lua_toprog(L, 1)->p));
    return 1;
}

static int prog_log(lua_State *L)
{
    const char *log = ebpf_prog_log(ebpf_lua_toprog(L, 1)->p);
    if (log)
        lua_pushstring(L, log);
    else
        lua_pushnil(L);
    return 1;
}

static int prog_info(lua_State *L)
{
    lprog *lp = ebpf_lua_toprog(L, 1);
    struct bpf_prog_info info;
    if (ebpf_prog_get_info(lp->p, &info) < 0)
        return ebpf_lua_fail(L);
    lua_createtable(L, 0, 20);
    const char *tn = ebpf_prog_type_name((int)info.type);
    lua_pushstring(L, tn ? tn : "unknown");
    lua_setfield(L, -2, "type");
    lua_pushstring(L, info.name);
    lua_setfield(L, -2, "name");
    char tag[2 * BPF_TAG_SIZE + 1];
    for (int i = 0; i < BPF_TAG_SIZE; i++)
        snprintf(tag + 2 * i, 3, "%02x", info.tag[i]);
    lua_pushstring(L, tag);
    lua_setfield(L, -2, "tag");
#define FIELD(f, n) lua_pushinteger(L, (lua_Integer)info.f); lua_setfield(L, -2, n);
    FIELD(id, "id") FIELD(xlated_prog_len, "xlated_size") FIELD(jited_prog_len, "jited_size")
    FIELD(load_time, "load_time") FIELD(created_by_uid, "created_by_uid")
    FIELD(btf_id, "btf_id") FIELD(run_time_ns, "run_time_ns") FIELD(run_cnt, "run_cnt")
    FIELD(recursion_misses, "recursion_misses") FIELD(verified_insns, "verified_insns")
    FIELD(ifindex, "ifindex") FIELD(attach_btf_id, "attach_btf_id")
    FIELD(attach_btf_obj_id, "attach_btf_obj_id")
#undef FIELD
    lua_pushboolean(L, info.gpl_compatible);
    lua_setfield(L, -2, "gpl_compatible");
    void *x = NULL;
    uint32_t xl = 0;
    if (ebpf_prog_xlated(lp->p, &x, &xl) == 0) {
        lua_pushlstring(L, x, xl);
        lua_setfield(L, -2, "xlated");
        free(x);
    }
    uint32_t *ids = NULL, n = 0;
    if (ebpf_prog_map_ids(lp->p, &ids, &n) == 0) {
        lua_createtable(L, (int)n, 0);
        for (uint32_t i = 0; i < n; i++) {
            lua_pushinteger(L, ids[i]);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        lua_setfield(L, -2, "map_ids");
        free(ids);
    }
    return 1;
}

static int prog_close(lua_State *L)
{
    lprog *lp = ebpf_lua_toprog(L, 1);
    ebpf_prog_close(lp->p);
    lp->p = NULL;
    return 0;
}

static int prog_gc(lua_State *L)
{
    lprog *lp = luaL_checkudata(L, 1, EBPF_PROG_MT);
    ebpf_prog_close(lp->p);
    lp->p = NULL;
    return 0;
}

static int prog_tostring(lua_State *L)
{
    lprog *lp = luaL_checkudata(L, 1, EBPF_PROG_MT);
    if (!lp->p) {
        lua_pushstring(L, "ebpf.program (closed)");
        return 1;
    }
    const char *name = ebpf_prog_name(lp->p);
    const char *tn = ebpf_prog_type_name(ebpf_prog_type(lp->p));
    char nm[80] = "";
    if (name[0])
        snprintf(nm, sizeof(nm), " '%s'", name);
    lua_pushfstring(L, "ebpf.program%s (%s, %d insns, fd %d)", nm, tn ? tn : "?",
                    (int)ebpf_prog_insn_cnt(lp->p), ebpf_prog_fd(lp->p));
    return 1;
}

static int prog_index(lua_State *L)
{
    lprog *lp = lua_touserdata(L, 1);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
        return 1;
    const char *k = lua_tostring(L, 2);
    if (!k)
        return 0;
    if (!lp->p)
        return luaL_error(L, "attempt to use a closed program");
    if (!strcmp(k, "name")) lua_pushstring(L, ebpf_prog_name(lp->p));
    else if (!strcmp(k, "type")) lua_pushstring(L, ebpf_prog_type_name(ebpf_prog_type(lp->p)));
    else if (!strcmp(k, "id")) lua_pushinteger(L, ebpf_prog_id(lp->p));
    else if (!strcmp(k, "attach_type")) {
        int at = ebpf_prog_expected_attach_type(lp->p);
        const char *an = ebpf_attach_type_name(at);
        if (an) lua_pushstring(L, an); else lua_pushnil(L);
    } else if (lua_getiuservalue(L, 1, LPROG_UV_EXTRA) == LUA_TTABLE) {
        lua_getfield(L, -1, k); /* attach layers' fields (section, target, ...) */
    } else return 0;
    return 1;
}

/* p:stream("stdout"|"stderr") -> everything the stream holds now (consumed),
 * "" when empty; nil, err where the kernel has no streams. */
static int prog_stream(lua_State *L)
{
    lprog *lp = ebpf_lua_toprog(L, 1);
    static const char *const names[] = {"stdout", "stderr", NULL};
    int id = luaL_checkoption(L, 2, NULL, names) + 1;
    char chunk[4096];
    int failed = 0;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int rounds = 0; rounds < 4096; rounds++) { /* bounded: a program may print while we read */
        int n = ebpf_prog_stream_read(lp->p, id, chunk, sizeof(chunk));
        if (n <= 0) {
            failed = n < 0;
            break;
        }
        luaL_addlstring(&b, chunk, (size_t)n);
    }
    luaL_pushresult(&b); /* nothing else is pushed while the buffer is open */
    if (failed) {
        lua_pop(L, 1);
        return ebpf_lua_fail(L);
    }
    return 1;
}

static int prog_open_pinned(lua_State *L)
{
    const char *path = ebpf_lua_check_path(L, 1, "path");
    lprog *lp = new_closed(L);
    if (!(lp->p = ebpf_prog_open_pinned(path)))
        return ebpf_lua_fail(L);
    return 1;
}

static int prog_from_id(lua_State *L)
{
    lua_Integer id = ebpf_lua_check_range(L, 1, "program id", 0, 0xffffffffLL);
    lprog *lp = new_closed(L);
    if (!(lp->p = ebpf_prog_open_id((uint32_t)id)))
        return ebpf_lua_fail(L);
    return 1;
}

static int prog_from_fd(lua_State *L)
{
    int fd = (int)ebpf_lua_check_range(L, 1, "fd", 0, 0x7fffffff);
    lprog *lp = new_closed(L);
    int nfd = ebpf_fd_dup(fd);
    if (nfd < 0)
        return ebpf_lua_fail_msg(L, -nfd, "open", "dup fd %d: %s", fd, strerror(-nfd));
    if (!(lp->p = ebpf_prog_from_fd(nfd))) {
        close(nfd);
        return ebpf_lua_fail(L);
    }
    return 1;
}

void ebpf_lua_open_prog(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"run", prog_run},
        {"pin", prog_pin},
        {"unpin", prog_unpin},
        {"clone", prog_clone},
        {"fd", prog_fd},
        {"info", prog_info},
        {"log", prog_log},
        {"stream", prog_stream},
        {"line_info", ebpf_lua_prog_line_info},
        {"func_info", ebpf_lua_prog_func_info},
        {"close", prog_close},
        {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__gc", prog_gc},
        {"__close", prog_gc},
        {"__tostring", prog_tostring},
        {NULL, NULL},
    };
    luaL_newmetatable(L, EBPF_PROG_MT);
    luaL_setfuncs(L, meta, 0);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "__methods");
    lua_pushcclosure(L, prog_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    static const luaL_Reg funcs[] = {
        {"open_pinned", prog_open_pinned},
        {"from_id", prog_from_id},
        {"from_fd", prog_from_fd},
        {NULL, NULL},
    };
    lua_newtable(L);
    luaL_setfuncs(L, funcs, 0);
    lua_newtable(L);
    lua_pushcfunction(L, prog_new);
    lua_setfield(L, -2, "__call");
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, "program");
}
