/* ebpf.ringbuf: ring buffer readers (ebpf.ringbuf.reader) and user ring
 * buffer writers (ebpf.ringbuf.writer). The reader methods live in
 * lreader.c; this file plugs the core ring buffer into them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ebpf/map.h"
#include "ebpf/ringbuf.h"
#include "lmap.h"
#include "lreader.h"

/* ---- reader ---- */

static int rb_peek(void *src, struct lrec *rec)
{
    int ring;
    if (!ebpf_ringbuf_peek(src, &rec->data, &rec->size, &ring))
        return LREC_NONE;
    rec->tag = ring;
    return LREC_SAMPLE;
}
static void rb_release(void *src) { ebpf_ringbuf_release(src); }
static int rb_wait(void *src, int t) { return ebpf_ringbuf_wait(src, t); }
static void rb_free(void *src) { ebpf_ringbuf_free(src); }
static int rb_epoll_fd(void *src) { return ebpf_ringbuf_epoll_fd(src); }
static uint64_t rb_available(void *src) { return ebpf_ringbuf_available(src); }

static int rb_peek_batch(void *src, struct ebpf_record *recs, int max)
{
    return (int)ebpf_ringbuf_peek_batch(src, recs, max);
}
static void rb_commit(void *src, const struct ebpf_record *rec) { ebpf_ringbuf_commit(src, rec); }

static const struct lreader_ops rb_ops = {
    "ringbuf", 1, rb_peek, rb_release, rb_wait, rb_free, rb_epoll_fd, rb_available, rb_peek_batch, rb_commit, 0,
};

/* Calls reader:method(arg) on the reader at the top (keeps it there). */
static void call_method(lua_State *L, int opts, const char *field, const char *method)
{
    lua_getfield(L, opts, field);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    int v = lua_gettop(L);
    lua_getfield(L, v - 1, method);
    lua_pushvalue(L, v - 1);
    lua_pushvalue(L, v);
    lua_call(L, 2, 0);
    lua_pop(L, 1);
}

/* reader(map | {map, ...} [, {unpack=fmt | decode=type}]) */
static int rb_new(lua_State *L)
{
    lua_settop(L, 2);
    if (!lua_isnil(L, 2)) {
        static const char *const fields[] = {"unpack", "decode", NULL};
        ebpf_lua_check_fields(L, 2, fields);
    }
    /* Normalise to a list of maps, kept alive by the reader. */
    lua_newtable(L);
    int list = lua_gettop(L);
    if (luaL_testudata(L, 1, EBPF_MAP_MT)) {
        lua_pushvalue(L, 1);
        lua_rawseti(L, list, 1);
    } else {
        luaL_argexpected(L, lua_istable(L, 1), 1, "ebpf.map or list of ebpf.map");
        lua_Integer n = luaL_len(L, 1);
        if (n < 1)
            luaL_argerror(L, 1, "empty list of maps");
        for (lua_Integer i = 1; i <= n; i++) {
            lua_geti(L, 1, i);
            lua_rawseti(L, list, i);
        }
    }
    lua_Integer n = luaL_len(L, list);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, list, i);
        lmap *lm = ebpf_lua_tomap(L, -1);
        if (lm->type != BPF_MAP_TYPE_RINGBUF)
            luaL_error(L, "ringbuf reader: map %d ('%s') is not a ringbuf map", (int)i, ebpf_map_name(lm->m));
        lua_pop(L, 1);
    }
    lreader *r = lreader_new(L, EBPF_RINGBUF_MT, &rb_ops);
    int self = lua_gettop(L);
    lua_pushvalue(L, list);
    lua_setiuservalue(L, self, LREADER_UV_MAPS);
    struct ebpf_ringbuf *rb = ebpf_ringbuf_new();
    if (!rb)
        return ebpf_lua_fail(L);
    r->src = rb;
    r->closed = 0;
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, list, i);
        lmap *lm = lua_touserdata(L, -1);
        lua_pop(L, 1);
        if (ebpf_ringbuf_add(rb, lm->m) < 0) {
            r->closed = 1;
            ebpf_ringbuf_free(rb);
            r->src = NULL;
            return ebpf_lua_fail(L);
        }
    }
    if (n == 1) {
        lua_rawgeti(L, list, 1);
        lmap *lm = lua_touserdata(L, -1);
        const char *name = ebpf_map_name(lm->m);
        snprintf(r->desc, sizeof(r->desc), "map '%s', %u bytes", name[0] ? name : "(unnamed)",
                 ebpf_map_max_entries(lm->m));
        lua_pop(L, 1);
    } else {
        snprintf(r->desc, sizeof(r->desc), "%d maps", (int)n);
        r->pass_tag = 1; /* which map a record came from */
    }
    lua_settop(L, self);
    if (!lua_isnil(L, 2)) {
        call_method(L, 2, "unpack", "unpack");
        call_method(L, 2, "decode", "decode");
    }
    return 1;
}

/* ---- user ring buffer writer ---- */

typedef struct {
    struct ebpf_user_ringbuf *w; /* NULL when closed */
    int reserved;                /* samples reserved, not yet submitted */
} lwriter;

typedef struct {
    lwriter *wr;   /* kept alive through the user value */
    uint8_t *p;    /* NULL once submitted or discarded */
    uint32_t size;
} lsample;

static lwriter *to_writer(lua_State *L, int idx)
{
    lwriter *wr = luaL_checkudata(L, idx, EBPF_USER_RINGBUF_MT);
    if (!wr->w)
        luaL_error(L, "attempt to use a closed user ringbuf writer");
    return wr;
}

static lsample *to_sample(lua_State *L, int idx)
{
    lsample *s = luaL_checkudata(L, idx, EBPF_URB_SAMPLE_MT);
    if (!s->p)
        luaL_error(L, "attempt to use a submitted or discarded sample");
    if (!s->wr->w)
        luaL_error(L, "attempt to use a sample of a closed writer");
    return s;
}

/* writer(map) */
static int urb_new(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    if (lm->type != BPF_MAP_TYPE_USER_RINGBUF)
        luaL_argerror(L, 1, "a user_ringbuf map expected");
    lwriter *wr = lua_newuserdatauv(L, sizeof(lwriter), 1);
    memset(wr, 0, sizeof(*wr));
    luaL_setmetatable(L, EBPF_USER_RINGBUF_MT);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    if (!(wr->w = ebpf_user_ringbuf_new(lm->m)))
        return ebpf_lua_fail(L);
    return 1;
}

static int opt_timeout(lua_State *L, int idx)
{
    if (lua_isnoneornil(L, idx))
        return 0;
    lua_Number t = luaL_checknumber(L, idx);
    return t < 0 ? -1 : t > 0x7fffffff ? 0x7fffffff : (int)t;
}

static void *reserve(lua_State *L, lwriter *wr, size_t size, int timeout)
{
    if (size > 0x3fffffff)
        luaL_error(L, "user ringbuf: sample of %d bytes is too large", (int)size);
    if (timeout)
        return ebpf_user_ringbuf_reserve_wait(wr->w, (uint32_t)size, timeout);
    return ebpf_user_ringbuf_reserve(wr->w, (uint32_t)size);
}

static int reserve_fail(lua_State *L, lwriter *wr, size_t size)
{
    if (errno == ENOSPC)
        return ebpf_lua_fail_msg(L, ENOSPC, "reserve", "user ringbuf: full (%d bytes asked, %d free)", (int)size,
                                 (int)ebpf_user_ringbuf_free_space(wr->w));
    return ebpf_lua_fail(L);
}

/* write(bytes [, timeout_ms]) -> true | nil, err, errno */
static int urb_write(lua_State *L)
{
    lwriter *wr = to_writer(L, 1);
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    void *p = reserve(L, wr, len, opt_timeout(L, 3));
    if (!p)
        return reserve_fail(L, wr, len);
    memcpy(p, s, len);
    ebpf_user_ringbuf_submit(wr->w, p);
    lua_pushboolean(L, 1);
    return 1;
}

/* reserve(size [, timeout_ms]) -> sample | nil, err, errno */
static int urb_reserve(lua_State *L)
{
    lwriter *wr = to_writer(L, 1);
    lua_Integer size = ebpf_lua_check_range(L, 2, "sample size", 0, 0x3fffffff);
    int timeout = opt_timeout(L, 3);
    lsample *s = lua_newuserdatauv(L, sizeof(lsample), 1);
    memset(s, 0, sizeof(*s));
    luaL_setmetatable(L, EBPF_URB_SAMPLE_MT);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    s->wr = wr;
    s->p = reserve(L, wr, (size_t)size, timeout);
    if (!s->p)
        return reserve_fail(L, wr, (size_t)size);
    memset(s->p, 0, (size_t)size);
    s->size = (uint32_t)size;
    wr->reserved++;
    return 1;
}

static void finish(lsample *s, int submit)
{
    if (submit)
        ebpf_user_ringbuf_submit(s->wr->w, s->p);
    else
        ebpf_user_ringbuf_discard(s->wr->w, s->p);
    s->p = NULL;
    s->wr->reserved--;
}

static int sample_submit(lua_State *L)
{
    finish(to_sample(L, 1), 1);
    return 0;
}

static int sample_discard(lua_State *L)
{
    finish(to_sample(L, 1), 0);
    return 0;
}

static int urb_submit(lua_State *L)
{
    to_writer(L, 1);
    finish(to_sample(L, 2), 1);
    return 0;
}

static int urb_discard(lua_State *L)
{
    to_writer(L, 1);
    finish(to_sample(L, 2), 0);
    return 0;
}

/* sample:write(bytes [, offset]) */
static int sample_write(lua_State *L)
{
    lsample *s = to_sample(L, 1);
    size_t len;
    const char *b = luaL_checklstring(L, 2, &len);
    lua_Integer off = luaL_optinteger(L, 3, 0);
    if (off < 0 || (uint64_t)off + len > s->size)
        luaL_error(L, "sample:write: %d bytes at offset %d do not fit in %d bytes", (int)len, (int)off,
                   (int)s->size);
    memcpy(s->p + off, b, len);
    lua_settop(L, 1);
    return 1;
}

static int sample_size(lua_State *L)
{
    lsample *s = luaL_checkudata(L, 1, EBPF_URB_SAMPLE_MT);
    lua_pushinteger(L, s->size);
    return 1;
}

static int sample_gc(lua_State *L)
{
    lsample *s = luaL_checkudata(L, 1, EBPF_URB_SAMPLE_MT);
    if (s->p && s->wr->w)
        finish(s, 0); /* forgotten: discard so the kernel's drain goes on */
    s->p = NULL;
    return 0;
}

static int sample_tostring(lua_State *L)
{
    lsample *s = luaL_checkudata(L, 1, EBPF_URB_SAMPLE_MT);
    lua_pushfstring(L, "ebpf.user_ringbuf.sample (%d bytes, %s)", (int)s->size, s->p ? "reserved" : "done");
    return 1;
}

static int urb_free_space(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)ebpf_user_ringbuf_free_space(to_writer(L, 1)->w));
    return 1;
}

static int urb_size(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)ebpf_user_ringbuf_size(to_writer(L, 1)->w));
    return 1;
}

static int urb_fd(lua_State *L)
{
    lua_pushinteger(L, ebpf_user_ringbuf_fd(to_writer(L, 1)->w));
    return 1;
}

static int urb_close(lua_State *L)
{
    lwriter *wr = to_writer(L, 1);
    ebpf_user_ringbuf_free(wr->w);
    wr->w = NULL;
    return 0;
}

static int urb_gc(lua_State *L)
{
    lwriter *wr = luaL_checkudata(L, 1, EBPF_USER_RINGBUF_MT);
    ebpf_user_ringbuf_free(wr->w);
    wr->w = NULL;
    return 0;
}

static int urb_tostring(lua_State *L)
{
    lwriter *wr = luaL_checkudata(L, 1, EBPF_USER_RINGBUF_MT);
    if (!wr->w)
        lua_pushliteral(L, "ebpf.user_ringbuf writer (closed)");
    else
        lua_pushfstring(L, "ebpf.user_ringbuf writer (%d bytes, %d free, %d reserved)",
                        (int)ebpf_user_ringbuf_size(wr->w), (int)ebpf_user_ringbuf_free_space(wr->w),
                        wr->reserved);
    return 1;
}

static void new_class(lua_State *L, const char *name, const luaL_Reg *meta, const luaL_Reg *methods)
{
    luaL_newmetatable(L, name);
    luaL_setfuncs(L, meta, 0);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}

void ebpf_lua_open_ringbuf(lua_State *L)
{
    lreader_register(L, EBPF_RINGBUF_MT, NULL);
    static const luaL_Reg wmeta[] = {
        {"__gc", urb_gc}, {"__close", urb_gc}, {"__tostring", urb_tostring}, {NULL, NULL}};
    static const luaL_Reg wmethods[] = {
        {"write", urb_write}, {"reserve", urb_reserve}, {"submit", urb_submit}, {"discard", urb_discard},
        {"free_space", urb_free_space}, {"size", urb_size}, {"fd", urb_fd}, {"close", urb_close},
        {NULL, NULL}};
    new_class(L, EBPF_USER_RINGBUF_MT, wmeta, wmethods);
    static const luaL_Reg smeta[] = {
        {"__gc", sample_gc}, {"__close", sample_gc}, {"__tostring", sample_tostring}, {NULL, NULL}};
    static const luaL_Reg smethods[] = {
        {"write", sample_write}, {"submit", sample_submit}, {"discard", sample_discard},
        {"size", sample_size}, {NULL, NULL}};
    new_class(L, EBPF_URB_SAMPLE_MT, smeta, smethods);

    static const luaL_Reg funcs[] = {{"reader", rb_new}, {"writer", urb_new}, {NULL, NULL}};
    lua_newtable(L);
    luaL_setfuncs(L, funcs, 0);
    lua_setfield(L, -2, "ringbuf");
}
