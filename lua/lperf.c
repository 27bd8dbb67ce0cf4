/* ebpf.perf: perf event buffer readers (ebpf.perf.reader). The shared
 * reader methods live in lreader.c; callbacks also get the record's CPU,
 * and LOST records go to on_lost(cpu, count). */
#include <stdio.h>
#include <string.h>

#include "ebpf/map.h"
#include "ebpf/perf.h"
#include "lmap.h"
#include "lreader.h"

static int pf_peek(void *src, struct lrec *rec)
{
    struct ebpf_perf_record r;
    if (!ebpf_perf_peek(src, &r))
        return LREC_NONE;
    rec->data = r.data;
    rec->size = r.size;
    rec->tag = r.cpu;
    rec->lost = r.lost;
    return r.type == EBPF_PERF_LOST ? LREC_LOST : LREC_SAMPLE;
}
static void pf_release(void *src) { ebpf_perf_release(src); }
static int pf_wait(void *src, int t) { return ebpf_perf_wait(src, t); }
static void pf_free(void *src) { ebpf_perf_free(src); }
static int pf_epoll_fd(void *src) { return ebpf_perf_epoll_fd(src); }
static uint64_t pf_available(void *src) { return ebpf_perf_available(src); }

static int pf_peek_batch(void *src, struct ebpf_record *recs, int max)
{
    return (int)ebpf_perf_peek_batch(src, recs, max);
}
static void pf_commit(void *src, const struct ebpf_record *rec) { ebpf_perf_commit(src, rec); }

static const struct lreader_ops pf_ops = {
    "perf", 0, pf_peek, pf_release, pf_wait, pf_free, pf_epoll_fd, pf_available, pf_peek_batch, pf_commit, 1,
};

static lreader *to_perf(lua_State *L)
{
    lreader *r = luaL_checkudata(L, 1, EBPF_PERF_MT);
    if (r->closed)
        luaL_error(L, "attempt to use a closed perf reader");
    return r;
}

/* reader(map [, {pages=, watermark=, wakeup_events=, overwritable=,
 * on_lost=, unpack=, decode=}]) */
static int pf_new(lua_State *L)
{
    lua_settop(L, 2);
    lmap *lm = ebpf_lua_tomap(L, 1);
    if (lm->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
        luaL_argerror(L, 1, "a perf_event_array map expected");
    struct ebpf_perf_opts o;
    ebpf_perf_opts_init(&o);
    if (!lua_isnil(L, 2)) {
        static const char *const fields[] = {"pages", "watermark", "wakeup_events", "overwritable", "on_lost",
                                             "unpack", "decode", NULL};
        ebpf_lua_check_fields(L, 2, fields);
        lua_Integer pages = ebpf_lua_opt_int(L, 2, "pages", 64);
        if (pages < 1 || pages > (1 << 20) || (pages & (pages - 1)))
            luaL_error(L, "field 'pages' must be a power of 2 (1..1048576), got %I", (LUAI_UACINT)pages);
        o.pages = (size_t)pages;
        lua_Integer wm = ebpf_lua_opt_int(L, 2, "watermark", 0);
        lua_Integer we = ebpf_lua_opt_int(L, 2, "wakeup_events", 0);
        if (wm < 0 || wm > 0x7fffffff || we < 0 || we > 0x7fffffff)
            luaL_error(L, "fields 'watermark' and 'wakeup_events' must be positive");
        if (wm && we)
            luaL_error(L, "give either 'watermark' (bytes) or 'wakeup_events', not both");
        o.watermark = (uint32_t)wm;
        o.wakeup_events = (uint32_t)we;
        o.overwritable = ebpf_lua_opt_bool(L, 2, "overwritable", 0);
    }
    lreader *r = lreader_new(L, EBPF_PERF_MT, &pf_ops);
    int self = lua_gettop(L);
    lua_createtable(L, 1, 0);
    lua_pushvalue(L, 1);
    lua_rawseti(L, -2, 1);
    lua_setiuservalue(L, self, LREADER_UV_MAPS);
    struct ebpf_perf *pb = ebpf_perf_new(lm->m, &o);
    if (!pb)
        return ebpf_lua_fail(L);
    r->src = pb;
    r->closed = 0;
    r->pass_tag = 1; /* the CPU */
    const char *name = ebpf_map_name(lm->m);
    snprintf(r->desc, sizeof(r->desc), "map '%s', %d CPUs, %zu bytes each%s", name[0] ? name : "(unnamed)",
             ebpf_perf_count(pb), ebpf_perf_ring_size(pb), o.overwritable ? ", overwritable" : "");
    if (!lua_isnil(L, 2)) {
        static const char *const setters[] = {"on_lost", "unpack", "decode"};
        for (int i = 0; i < 3; i++) {
            lua_getfield(L, 2, setters[i]);
            if (lua_isnil(L, -1)) {
                lua_pop(L, 1);
                continue;
            }
            lua_getfield(L, self, setters[i]);
            lua_pushvalue(L, self);
            lua_rotate(L, -3, -1); /* method, self, value */
            lua_call(L, 2, 0);
        }
    }
    lua_settop(L, self);
    return 1;
}

/* lost([cpu]) -> lost samples seen so far */
static int pf_lost(lua_State *L)
{
    lreader *r = to_perf(L);
    if (lua_isnoneornil(L, 2))
        lua_pushinteger(L, (lua_Integer)ebpf_perf_lost(r->src));
    else
        lua_pushinteger(L, (lua_Integer)ebpf_perf_lost_cpu(r->src, (int)luaL_checkinteger(L, 2)));
    return 1;
}

/* on_lost(fn | nil): fn(cpu, count) for each LOST record */
static int pf_on_lost(lua_State *L)
{
    to_perf(L);
    if (!lua_isnil(L, 2))
        luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    lua_setiuservalue(L, 1, LREADER_UV_ONLOST);
    return 1;
}

static int pf_pause(lua_State *L)
{
    lreader *r = to_perf(L);
    if (ebpf_perf_pause(r->src) < 0)
        return ebpf_lua_fail(L);
    lua_pushboolean(L, 1);
    return 1;
}

static int pf_resume(lua_State *L)
{
    lreader *r = to_perf(L);
    if (ebpf_perf_resume(r->src) < 0)
        return ebpf_lua_fail(L);
    lua_pushboolean(L, 1);
    return 1;
}

/* cpus() -> list of the CPUs read */
static int pf_cpus(lua_State *L)
{
    lreader *r = to_perf(L);
    int n = ebpf_perf_count(r->src);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushinteger(L, ebpf_perf_cpu(r->src, i));
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

void ebpf_lua_open_perf(lua_State *L)
{
    static const luaL_Reg extra[] = {
        {"lost", pf_lost}, {"on_lost", pf_on_lost}, {"pause", pf_pause},
        {"resume", pf_resume}, {"cpus", pf_cpus}, {NULL, NULL}};
    lreader_register(L, EBPF_PERF_MT, extra);
    static const luaL_Reg funcs[] = {{"reader", pf_new}, {NULL, NULL}};
    lua_newtable(L);
    luaL_setfuncs(L, funcs, 0);
    lua_setfield(L, -2, "perf");
}
