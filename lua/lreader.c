/* The engine shared by ebpf.ringbuf and ebpf.perf readers.
 *
 * A drain runs as one lua_pcall of drain_loop, which pulls records from the
 * core (peek), copies or unpacks them onto the Lua stack and calls the
 * user's function. The core commits a record when the next one is peeked,
 * and drain() releases the last one after the pcall whether it succeeded or
 * not: a record handed to the callback is committed even if the callback
 * raises, so it is never delivered twice. No Lua error ever unwinds through
 * a core frame (the core is only called between Lua calls). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ebpf/error.h"
#include "error_internal.h"
#include "lbtf.h"
#include "lmap.h"
#include "lreader.h"
#include "lsignal.h"

/* ---------------- unpacker ---------------- */

enum { UP_INT, UP_UINT, UP_FLOAT, UP_DOUBLE, UP_CHARS };

struct upop {
    uint8_t kind, size, little;
    uint32_t off, len;
};

struct lunpack {
    int n;
    int all_u64;   /* only 8-byte little-endian integers: fast path */
    size_t need;
    struct upop ops[];
};

#define UP_MAX_OPS 200

static int is_digit(char c) { return c >= '0' && c <= '9'; }

#define UP_MAX_COUNT (1 << 24) /* a record is at most the ring's size */

/* A count in a format; more digits than fit are an error naming the
 * number, not a stray "option '0'" later. */
static int read_num(lua_State *L, const char *fmt, const char **f, int def)
{
    if (!is_digit(**f))
        return def;
    long long a = 0;
    while (is_digit(**f)) {
        a = a * 10 + (*(*f)++ - '0');
        if (a > UP_MAX_COUNT)
            luaL_error(L, "unpack format '%s': size %I... is larger than a record can be (%d bytes)", fmt,
                       (LUAI_UACINT)a, UP_MAX_COUNT);
    }
    return (int)a;
}

struct lunpack *lunpack_compile(lua_State *L, const char *fmt)
{
    struct upop ops[UP_MAX_OPS];
    int n = 0, little = 1, maxalign = 1;
    size_t off = 0;
    const char *f = fmt;
    while (*f) {
        char c = *f++;
        int kind = -1, size = 0;
        switch (c) {
        case ' ': continue;
        case '<': case '=': little = 1; continue; /* x86/arm64 hosts are little-endian */
        case '>': little = 0; continue;
        case '!': maxalign = read_num(L, fmt, &f, 8); continue;
        case 'b': kind = UP_INT; size = 1; break;
        case 'B': kind = UP_UINT; size = 1; break;
        case 'h': kind = UP_INT; size = 2; break;
        case 'H': kind = UP_UINT; size = 2; break;
        case 'i': case 'I':
            kind = c == 'i' ? UP_INT : UP_UINT;
            size = read_num(L, fmt, &f, 4);
            if (size < 1 || size > 8)
                luaL_error(L, "unpack format '%s': integer size %d not supported (1..8)", fmt, size);
            break;
        case 'l': case 'j': kind = UP_INT; size = 8; break;
        case 'L': case 'J': case 'T': kind = UP_UINT; size = 8; break;
        case 'f': kind = UP_FLOAT; size = 4; break;
        case 'd': case 'n': kind = UP_DOUBLE; size = 8; break;
        case 'x': off++; continue;
        case 'c': {
            if (!is_digit(*f))
                luaL_error(L, "unpack format '%s': 'c' needs a size", fmt);
            int len = read_num(L, fmt, &f, 0);
            if (n == UP_MAX_OPS)
                luaL_error(L, "unpack format '%s': too many values", fmt);
            ops[n++] = (struct upop){UP_CHARS, 0, 0, (uint32_t)off, (uint32_t)len};
            off += (size_t)len;
            continue;
        }
        default:
            luaL_error(L, "unpack format '%s': option '%c' not supported (b B h H i[n] I[n] l L j J T f d n x c[n] < > = ! only)",
                       fmt, c);
        }
        if (maxalign > 1 && size > 1) {
            int a = size < maxalign ? size : maxalign;
            if (a & (a - 1))
                luaL_error(L, "unpack format '%s': format asks for alignment not power of 2", fmt);
            off = (off + (size_t)a - 1) & ~((size_t)a - 1);
        }
        if (n == UP_MAX_OPS)
            luaL_error(L, "unpack format '%s': too many values", fmt);
        ops[n++] = (struct upop){(uint8_t)kind, (uint8_t)size, (uint8_t)little, (uint32_t)off, 0};
        off += (size_t)size;
    }
    if (n == 0)
        luaL_error(L, "unpack format '%s' gives no values", fmt);
    struct lunpack *u = malloc(sizeof(*u) + (size_t)n * sizeof(struct upop));
    if (!u)
        luaL_error(L, "out of memory");
    u->n = n;
    u->need = off;
    u->all_u64 = 1;
    for (int i = 0; i < n; i++)
        if (!(ops[i].kind <= UP_UINT && ops[i].size == 8 && ops[i].little))
            u->all_u64 = 0;
    memcpy(u->ops, ops, (size_t)n * sizeof(struct upop));
    return u;
}

void lunpack_free(struct lunpack *u) { free(u); }
size_t lunpack_size(const struct lunpack *u) { return u->need; }

static inline uint64_t rd_uint(const uint8_t *p, int size, int little)
{
    if (little) {
        switch (size) {
        case 8: { uint64_t v; memcpy(&v, p, 8); return v; }
        case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
        case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
        case 1: return p[0];
        default: break;
        }
        uint64_t v = 0;
        for (int i = size - 1; i >= 0; i--)
            v = v << 8 | p[i];
        return v;
    }
    uint64_t v = 0;
    for (int i = 0; i < size; i++)
        v = v << 8 | p[i];
    return v;
}

static __attribute__((noinline, cold)) int unpack_short(lua_State *L, const struct lunpack *u, size_t size)
{
    return luaL_error(L, "record of %d bytes is shorter than the unpack format (%d bytes)", (int)size,
                      (int)u->need);
}

/* Any format: one step per compiled op. */
static __attribute__((noinline)) int unpack_generic(lua_State *L, const struct lunpack *u, const uint8_t *b)
{
    for (int i = 0; i < u->n; i++) {
        const struct upop *o = &u->ops[i];
        const uint8_t *p = b + o->off;
        switch (o->kind) {
        case UP_UINT:
            lua_pushinteger(L, (lua_Integer)rd_uint(p, o->size, o->little));
            break;
        case UP_INT: {
            uint64_t v = rd_uint(p, o->size, o->little);
            if (o->size < 8) {
                uint64_t sign = (uint64_t)1 << (o->size * 8 - 1);
                v = (v ^ sign) - sign;
            }
            lua_pushinteger(L, (lua_Integer)v);
            break;
        }
        case UP_FLOAT: {
            uint32_t v = (uint32_t)rd_uint(p, 4, o->little);
            float fl;
            memcpy(&fl, &v, 4);
            lua_pushnumber(L, (lua_Number)fl);
            break;
        }
        case UP_DOUBLE: {
            uint64_t v = rd_uint(p, 8, o->little);
            double d;
            memcpy(&d, &v, 8);
            lua_pushnumber(L, (lua_Number)d);
            break;
        }
        default:
            lua_pushlstring(L, (const char *)p, o->len);
        }
    }
    return u->n;
}

/* Inlined into the drain loop: the common shape (little-endian 8-byte
 * integers) is a few loads and pushes per record. */
static inline int unpack_push(lua_State *L, const struct lunpack *u, const void *data, size_t size)
{
    if (__builtin_expect(size < u->need, 0))
        return unpack_short(L, u, size);
    const uint8_t *b = data;
    if (!u->all_u64)
        return unpack_generic(L, u, b);
    for (const struct upop *o = u->ops, *e = o + u->n; o < e; o++) {
        int64_t v;
        memcpy(&v, b + o->off, 8);
        lua_pushinteger(L, (lua_Integer)v);
    }
    return u->n;
}

int lunpack_push(lua_State *L, const struct lunpack *u, const void *data, size_t size)
{
    return unpack_push(L, u, data, size);
}

/* ---------------- reader objects ---------------- */

static const char *const reader_mts[] = {EBPF_RINGBUF_MT, EBPF_PERF_MT};

static lreader *to_any(lua_State *L, int idx)
{
    for (size_t i = 0; i < sizeof(reader_mts) / sizeof(reader_mts[0]); i++) {
        lreader *r = luaL_testudata(L, idx, reader_mts[i]);
        if (r)
            return r;
    }
    luaL_typeerror(L, idx, "ebpf.ringbuf or ebpf.perf reader");
    return NULL;
}

lreader *lreader_check(lua_State *L, int idx)
{
    lreader *r = to_any(L, idx);
    if (r->closed)
        luaL_error(L, "attempt to use a closed %s reader", r->ops->kind);
    return r;
}

lreader *lreader_new(lua_State *L, const char *mt, const struct lreader_ops *ops)
{
    lreader *r = lua_newuserdatauv(L, sizeof(lreader), LREADER_NUV);
    memset(r, 0, sizeof(*r));
    r->ops = ops;
    r->closed = 1;
    r->held = r->it_held = -1;
    luaL_setmetatable(L, mt);
    return r;
}

static void set_plan(lreader *r, struct lbtf_plan *p)
{
    ebpf_lua_btf_plan_free(r->plan);
    r->plan = p;
}

static void really_free(lreader *r)
{
    if (r->src) {
        r->ops->free(r->src);
        r->src = NULL;
    }
    lunpack_free(r->up);
    r->up = NULL;
    set_plan(r, NULL);
}


/* The ring index or CPU of a batch record, as Lua sees it. */
static inline lua_Integer batch_tag(const lreader *r, const struct ebpf_record *rec)
{
    return (r->ops->tag_cpu ? rec->cpu : rec->ring) + r->ops->tag_base;
}

/* For decode mode: replaces the string on top by decode(type, string). */
static void decode_top(lua_State *L, int self)
{
    lua_getiuservalue(L, self, LREADER_UV_DECODE);
    lua_getiuservalue(L, self, LREADER_UV_TYPE);
    lua_rotate(L, -3, 2);
    lua_call(L, 2, 1);
}

/* Pushes the record's values (copied off the ring) in the reader's mode;
 * returns how many. self: the reader's stack index. */
static inline int push_values(lua_State *L, lreader *r, int self, const void *data, size_t size)
{
    if (r->up)
        return unpack_push(L, r->up, data, size);
    if (r->plan) { /* a decoder compiled for the type: no string, no call */
        ebpf_lua_btf_plan_push(L, r->plan, data, size);
        return 1;
    }
    lua_pushlstring(L, data, size);
    if (r->decode)
        decode_top(L, self);
    return 1;
}
#define push_record(L, r, self, rec) push_values(L, r, self, (rec)->data, (rec)->size)

/* After fn returned: 1 if the drain must stop (fn returned false, or
 * closed the reader); the stack is back at top. */
static inline int deliver_result(lua_State *L, lreader *r, int top)
{
    if (lua_gettop(L) != top) {
        /* fn returning false stops the drain (that record is consumed). */
        int stop = lua_type(L, top + 1) == LUA_TBOOLEAN && !lua_toboolean(L, top + 1);
        lua_settop(L, top);
        if (stop)
            return 1;
    }
    return r->closed;
}

/* Hands one record of the batch to fn; 1 if the drain must stop. */
static inline int deliver(lua_State *L, lreader *r, const struct ebpf_record *rec, int onlost, int top)
{
    if (rec->type == EBPF_RECORD_LOST) {
        if (onlost) {
            lua_pushvalue(L, onlost);
            lua_pushinteger(L, batch_tag(r, rec));
            lua_pushinteger(L, (lua_Integer)rec->lost);
            lua_call(L, 2, 0);
        }
        return r->closed;
    }
    lua_pushvalue(L, 2);
    int na = push_record(L, r, 1, rec);
    r->count++;
    if (r->pass_tag) {
        lua_pushinteger(L, batch_tag(r, rec));
        na++;
    }
    /* MULTRET: most callbacks return nothing, and then the stack needs
     * no inspection nor reset. */
    lua_call(L, na, LUA_MULTRET);
    return deliver_result(L, r, top);
}

/* drain_loop(reader, fn, max): run under lua_pcall. Pulls batches of
 * records; each record handed over is marked held (r->held), so that
 * drain() commits up to it even when fn raises: records are never
 * delivered twice, and those after it stay in the ring. */
static int drain_loop(lua_State *L)
{
    lreader *r = lua_touserdata(L, 1);
    lua_Integer max = lua_tointeger(L, 3);
    int onlost = 0;
    if (lua_getiuservalue(L, 1, LREADER_UV_ONLOST) != LUA_TNIL)
        onlost = lua_gettop(L);
    else
        lua_pop(L, 1);
    if (r->up)
        luaL_checkstack(L, r->up->n + 8, "unpacked record");
    const struct lreader_ops *ops = r->ops;
    int top = lua_gettop(L);
    const int u64 = r->up && r->up->all_u64 && !r->decode && !r->pass_tag;
    const struct upop *o0 = u64 ? r->up->ops : NULL, *oe = u64 ? o0 + r->up->n : NULL;
    const int nv = r->up ? r->up->n : 1;
    const size_t need = r->up ? r->up->need : 0;
    for (;;) {
        int want = LREADER_BATCH;
        if (max > 0 && max - r->count < want)
            want = (int)(max - r->count);
        if (want <= 0 || !r->src)
            break;
        int k = ops->peek_batch(r->src, r->batch, want);
        if (k == 0)
            break;
        int i = 0;
        if (u64) /* the common shape, kept tight */
            for (; i < k; i++) {
                r->held = i;
                const struct ebpf_record *rec = &r->batch[i];
                if (__builtin_expect(rec->size < need, 0))
                    break; /* LOST records (size 0) and short ones: deliver() */
                lua_pushvalue(L, 2);
                const uint8_t *d = rec->data;
                for (const struct upop *o = o0; o < oe; o++) {
                    int64_t v;
                    memcpy(&v, d + o->off, 8);
                    lua_pushinteger(L, (lua_Integer)v);
                }
                r->count++;
                lua_call(L, nv, LUA_MULTRET);
                if (__builtin_expect(lua_gettop(L) != top || r->closed, 0)) {
                    if (deliver_result(L, r, top))
                        goto stop;
                }
            }
        for (; i < k; i++) {
            r->held = i;
            if (deliver(L, r, &r->batch[i], onlost, top)) {
            stop:
                if (r->src)
                    ops->commit(r->src, &r->batch[i]);
                r->held = -1;
                return 0;
            }
        }
        ops->commit(r->src, &r->batch[k - 1]);
        r->held = -1;
    }
    return 0;
}

/* ---- drain(): records handed over in columns ---- */

/* Columns of drain(): one per unpacked value (one for strings and decoded
 * values), plus the ring/CPU when pass_tag; reused from call to call while
 * their number fits. Pushes them; returns how many. */
static int push_columns(lua_State *L, lreader *r)
{
    int ncols = (r->up ? r->up->n : 1) + (r->pass_tag ? 1 : 0);
    luaL_checkstack(L, ncols + 8, "drain columns");
    if (lua_getiuservalue(L, 1, LREADER_UV_COLUMNS) != LUA_TTABLE || lua_rawlen(L, -1) != (lua_Unsigned)ncols) {
        lua_pop(L, 1);
        lua_createtable(L, ncols, 0);
        for (int i = 1; i <= ncols; i++) {
            lua_createtable(L, LREADER_COLUMN_BATCH, 0);
            lua_rawseti(L, -2, i);
        }
        lua_pushvalue(L, -1);
        lua_setiuservalue(L, 1, LREADER_UV_COLUMNS);
    }
    int list = lua_gettop(L);
    for (int i = 1; i <= ncols; i++)
        lua_rawgeti(L, list, i);
    lua_remove(L, list);
    return ncols;
}

/* Copies one sample into row `row` of the columns starting at stack slot c0. */
static inline void fill_row(lua_State *L, lreader *r, const struct ebpf_record *rec, int c0, lua_Integer row)
{
    int nv = push_record(L, r, 1, rec);
    for (int i = nv - 1; i >= 0; i--)
        lua_rawseti(L, c0 + i, row);
    if (r->pass_tag) {
        lua_pushinteger(L, batch_tag(r, rec));
        lua_rawseti(L, c0 + nv, row);
    }
}

/* fn(n, col1, ...): 1 if the drain must stop. */
static int flush_columns(lua_State *L, lreader *r, int c0, int ncols, lua_Integer n)
{
    int top = lua_gettop(L);
    lua_pushvalue(L, 2);
    lua_pushinteger(L, n);
    for (int i = 0; i < ncols; i++)
        lua_pushvalue(L, c0 + i);
    lua_call(L, ncols + 1, LUA_MULTRET);
    int stop = 0;
    if (lua_gettop(L) != top) {
        stop = lua_type(L, top + 1) == LUA_TBOOLEAN && !lua_toboolean(L, top + 1);
        lua_settop(L, top);
    }
    return stop || r->closed;
}

/* drain_columns_loop(reader, fn, max): run under lua_pcall like
 * drain_loop. Records are copied into the columns a core batch at a time
 * and committed once copied: a batch given to fn is consumed whether or
 * not fn raises. */
static int drain_columns_loop(lua_State *L)
{
    lreader *r = lua_touserdata(L, 1);
    lua_Integer max = lua_tointeger(L, 3);
    int onlost = 0;
    if (lua_getiuservalue(L, 1, LREADER_UV_ONLOST) != LUA_TNIL)
        onlost = lua_gettop(L);
    else
        lua_pop(L, 1);
    if (r->up)
        luaL_checkstack(L, r->up->n + 8, "unpacked record");
    int c0 = lua_gettop(L) + 1;
    int ncols = push_columns(L, r);
    const int u64 = r->up && r->up->all_u64 && !r->decode && !r->pass_tag;
    const struct lreader_ops *ops = r->ops;
    lua_Integer filled = 0;
    for (;;) {
        int want = LREADER_BATCH;
        if (LREADER_COLUMN_BATCH - filled < want)
            want = (int)(LREADER_COLUMN_BATCH - filled);
        if (max > 0 && max - r->count < want)
            want = (int)(max - r->count);
        int k = want > 0 && r->src ? ops->peek_batch(r->src, r->batch, want) : 0;
        if (k == 1 && r->batch[0].type == EBPF_RECORD_LOST) { /* always alone in its batch */
            if (filled && flush_columns(L, r, c0, ncols, filled))
                break;
            filled = 0;
            ops->commit(r->src, &r->batch[0]);
            if (onlost) {
                lua_pushvalue(L, onlost);
                lua_pushinteger(L, batch_tag(r, &r->batch[0]));
                lua_pushinteger(L, (lua_Integer)r->batch[0].lost);
                lua_call(L, 2, 0);
            }
            if (r->closed)
                break;
            continue;
        }
        if (u64) { /* the common shape, kept tight: loads, pushes, stores */
            const struct upop *o0 = r->up->ops, *oe = o0 + r->up->n;
            for (int i = 0; i < k; i++) {
                const struct ebpf_record *rec = &r->batch[i];
                if (__builtin_expect(rec->size < r->up->need, 0)) {
                    r->held = i;
                    unpack_short(L, r->up, rec->size);
                }
                ++filled;
                int c = c0;
                for (const struct upop *o = o0; o < oe; o++, c++) {
                    int64_t v;
                    memcpy(&v, (const uint8_t *)rec->data + o->off, 8);
                    lua_pushinteger(L, (lua_Integer)v);
                    lua_rawseti(L, c, filled);
                }
            }
        } else {
            for (int i = 0; i < k; i++) {
                r->held = i; /* a record that fails to unpack or decode is consumed */
                fill_row(L, r, &r->batch[i], c0, ++filled);
            }
        }
        if (k) {
            ops->commit(r->src, &r->batch[k - 1]);
            r->held = -1;
            r->count += k;
        }
        if (filled && (k == 0 || filled == LREADER_COLUMN_BATCH || (max > 0 && r->count >= max))) {
            if (flush_columns(L, r, c0, ncols, filled))
                break;
            filled = 0;
        }
        if (k == 0 || (max > 0 && r->count >= max))
            break;
    }
    return 0;
}

static int traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (msg && lua_type(L, 1) == LUA_TSTRING)
        luaL_traceback(L, L, msg, 1);
    else
        lua_settop(L, 1); /* error objects go through unchanged */
    return 1;
}

/* One drain: returns 0 and the count in *n, or raises the callback's error
 * (after the reader is back in a usable state). */
static void iter_reset(lreader *r);

static long drain(lua_State *L, lreader *r, int fn, lua_Integer max, lua_CFunction loop)
{
    iter_reset(r);
    r->busy = 1;
    r->count = 0;
    lua_pushcfunction(L, traceback);
    int h = lua_gettop(L);
    lua_pushcfunction(L, loop);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, fn);
    lua_pushinteger(L, max);
    int st = lua_pcall(L, 3, 0, h);
    r->busy = 0;
    if (r->held >= 0 && r->src) /* fn raised: what it was given is consumed */
        r->ops->commit(r->src, &r->batch[r->held]);
    r->held = -1;
    if (r->closed)
        really_free(r);
    if (st != LUA_OK)
        lua_error(L);
    lua_pop(L, 1);
    return r->count;
}

static int check_timeout(lua_State *L, int idx)
{
    if (lua_isnoneornil(L, idx))
        return -1;
    lua_Number t = luaL_checknumber(L, idx);
    if (t != t || t == (lua_Number)HUGE_VAL || t == -(lua_Number)HUGE_VAL) /* NaN to int: undefined behaviour */
        luaL_argerror(L, idx, "timeout must be a finite number of milliseconds (negative or nil: no timeout)");
    if (t < 0)
        return -1;
    if (t > 0x7fffffff)
        return 0x7fffffff;
    return (int)t;
}

static lreader *check_idle(lua_State *L)
{
    lreader *r = lreader_check(L, 1);
    if (r->busy)
        luaL_error(L, "%s reader: poll/consume/read called from its own callback", r->ops->kind);
    return r;
}

/* The reader's wait, ended early by SIGINT/SIGTERM (lsignal.h): 1 ready,
 * 0 timed out, -EINTR interrupted, -errno (error state set). */
static int reader_wait(lreader *r, int timeout_ms)
{
    int w = r->ops->wait(r->src, 0); /* the core's checks, and data already there */
    if (w != 0 || timeout_ms == 0)
        return w;
    w = ebpf_lua_signal_epoll_wait(r->ops->epoll_fd(r->src), timeout_ms);
    if (w < 0 && w != -EINTR)
        return ebpf_err(-w, "poll", "%s reader: epoll_wait: %s", r->ops->kind, strerror(-w));
    return w;
}

/* After an interrupted wait: the watched signal's name as one more result. */
static int push_signal(lua_State *L)
{
    int sig = ebpf_lua_signal_pending();
    if (!sig)
        return 0;
    lua_pushstring(L, ebpf_lua_signal_name(sig));
    return 1;
}

/* poll(timeout_ms, fn [, max]) -> count */
static int reader_poll(lua_State *L)
{
    lreader *r = check_idle(L);
    int timeout = check_timeout(L, 2);
    luaL_checktype(L, 3, LUA_TFUNCTION);
    lua_Integer max = luaL_optinteger(L, 4, 0);
    long n = drain(L, r, 3, max, drain_loop);
    while (n == 0 && timeout != 0 && r->src) {
        int w = reader_wait(r, timeout);
        if (w == -EINTR) {
            lua_pushinteger(L, n);
            return 1 + push_signal(L); /* count, "SIGINT" */
        }
        if (w < 0)
            return ebpf_lua_fail(L);
        n = drain(L, r, 3, max, drain_loop);
        if (w == 0)
            break; /* timed out */
    }
    lua_pushinteger(L, n);
    return 1;
}

/* consume(fn [, max]) -> count */
static int reader_consume(lua_State *L)
{
    lreader *r = check_idle(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_Integer max = luaL_optinteger(L, 3, 0);
    lua_pushinteger(L, drain(L, r, 2, max, drain_loop));
    return 1;
}

/* drain(fn [, max]) -> count: what is in the rings now, handed over in
 * batches as fn(n, col1, col2, ...) (reused column tables, rows 1..n). */
static int reader_drain(lua_State *L)
{
    lreader *r = check_idle(L);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_Integer max = luaL_optinteger(L, 3, 0);
    lua_pushinteger(L, drain(L, r, 2, max, drain_columns_loop));
    return 1;
}

/* Pulls one sample (lost records go to on_lost, called directly: no core
 * frame is active then). Returns the number of pushed values, 0 if none. */
/* records(): commits the record handed over last (if its hand-over
 * raised, the next reader call does it). */
static void iter_commit(lreader *r)
{
    if (r->it_held >= 0 && r->src)
        r->ops->commit(r->src, &r->batch[r->it_held]);
    r->it_held = -1;
}

/* Other reader calls reuse the batch (or consume on their own): records()
 * peeks afresh after them. */
static void iter_reset(lreader *r)
{
    iter_commit(r);
    r->it_n = r->it_i = 0;
}

static int read_one(lua_State *L, lreader *r)
{
    iter_reset(r);
    struct lrec rec;
    int kind;
    while ((kind = r->ops->peek(r->src, &rec)) == LREC_LOST) {
        r->ops->release(r->src);
        if (lua_getiuservalue(L, 1, LREADER_UV_ONLOST) != LUA_TNIL) {
            lua_pushinteger(L, rec.tag + r->ops->tag_base);
            lua_pushinteger(L, (lua_Integer)rec.lost);
            lua_call(L, 2, 0);
            if (!r->src)
                return 0;
        } else {
            lua_pop(L, 1);
        }
    }
    if (kind == LREC_NONE)
        return 0;
    luaL_checkstack(L, 8 + (r->up ? 200 : 0), "record");
    int na = push_record(L, r, 1, &rec);
    r->ops->release(r->src);
    if (r->pass_tag) {
        lua_pushinteger(L, rec.tag + r->ops->tag_base);
        na++;
    }
    return na;
}

/* read(timeout_ms) -> values of one record (+ ring/cpu), or nil on timeout */
static int reader_read(lua_State *L)
{
    lreader *r = check_idle(L);
    int timeout = check_timeout(L, 2);
    lua_settop(L, 1);
    int n = read_one(L, r);
    while (n == 0 && timeout != 0 && r->src) {
        int w = reader_wait(r, timeout);
        if (w == -EINTR) {
            lua_pushnil(L);
            return 1 + push_signal(L); /* nil, "SIGINT" */
        }
        if (w < 0)
            return ebpf_lua_fail(L);
        n = read_one(L, r);
        if (w == 0)
            break;
    }
    if (n == 0) {
        lua_pushnil(L);
        return 1;
    }
    return n;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The iterator of records(): kept lean, it is the fastest way to read from
 * Lua (the loop body runs inline, no Lua call per record). Upvalues: the
 * reader, the timeout. */
static int records_next(lua_State *L)
{
    lreader *r = lua_touserdata(L, lua_upvalueindex(1));
    int64_t deadline = -2;
    for (;;) {
        if (r->closed)
            return 0; /* closed inside the loop: the loop ends */
        if (r->busy)
            return luaL_error(L, "%s reader: records() used from its own callback", r->ops->kind);
        if (r->it_i >= r->it_n) { /* the next batch, handed over one by one */
            iter_commit(r); /* the records handed over so far, at once */
            r->it_n = r->ops->peek_batch(r->src, r->batch, LREADER_BATCH);
            r->it_i = 0;
        }
        if (r->it_i < r->it_n) {
            const struct ebpf_record *rec = &r->batch[r->it_i];
            /* Handed over = consumed: held (committed with the rest of the
             * batch, or by the next other reader call after a break or a
             * raise), so a record is never handed twice. */
            r->it_held = r->it_i++;
            if (rec->type == EBPF_RECORD_LOST) {
                iter_commit(r);
                if (lua_getiuservalue(L, lua_upvalueindex(1), LREADER_UV_ONLOST) != LUA_TNIL) {
                    lua_pushinteger(L, batch_tag(r, rec));
                    lua_pushinteger(L, (lua_Integer)rec->lost);
                    lua_call(L, 2, 0);
                } else {
                    lua_pop(L, 1);
                }
                continue;
            }
            if (r->up && r->up->n + 8 > LUA_MINSTACK)
                luaL_checkstack(L, r->up->n + 8, "unpacked record");
            int na = push_record(L, r, lua_upvalueindex(1), rec);
            if (r->pass_tag) {
                lua_pushinteger(L, batch_tag(r, rec));
                na++;
            }
            return na;
        }
        int timeout = (int)lua_tointeger(L, lua_upvalueindex(2));
        if (deadline == -2)
            deadline = timeout < 0 ? -1 : now_ms() + timeout;
        int left = deadline < 0 ? -1 : (int)(deadline - now_ms());
        if (deadline >= 0 && left <= 0)
            return 0; /* timed out: the loop ends */
        int w = reader_wait(r, left);
        if (w == -EINTR)
            return 0; /* SIGINT/SIGTERM: the loop ends */
        if (w < 0) {
            ebpf_lua_push_error(L);
            return lua_error(L);
        }
        if (w == 0)
            return 0;
    }
}

/* records(timeout_ms): for rec[, tag] in reader:records(100) do ... end;
 * ends at the first timeout (0: when the rings are empty, nil: never). */
static int reader_records(lua_State *L)
{
    lreader_check(L, 1);
    int timeout = check_timeout(L, 2);
    lua_settop(L, 1);
    lua_pushinteger(L, timeout);
    lua_pushcclosure(L, records_next, 2);
    return 1;
}

/* fd() and available(): records() commits per batch; the records it has
 * handed over are consumed before the rings are looked at from outside
 * (the rest of its batch stays in place for the loop to go on). */
static int reader_fd(lua_State *L)
{
    lreader *r = lreader_check(L, 1);
    if (!r->busy)
        iter_commit(r);
    lua_pushinteger(L, r->ops->epoll_fd(r->src));
    return 1;
}

static int reader_available(lua_State *L)
{
    lreader *r = lreader_check(L, 1);
    if (!r->busy)
        iter_commit(r);
    lua_pushinteger(L, (lua_Integer)r->ops->available(r->src));
    return 1;
}

/* unpack(fmt): hand records over as the values of string.unpack(fmt). */
static int reader_unpack(lua_State *L)
{
    lreader *r = check_idle(L);
    const char *fmt = luaL_checkstring(L, 2);
    struct lunpack *u = lunpack_compile(L, fmt);
    lunpack_free(r->up);
    r->up = u;
    r->decode = 0;
    set_plan(r, NULL);
    lua_settop(L, 1);
    return 1;
}

/* A type given by name: the registry hook "ebpf.resolve_type"
 * fn(map, name, parent) (installed by lua/ebpf/ringbuf.lua, or by the
 * BTF/ELF layers) finds it in the BTF of the object the first map came
 * from (the map's parent user value). */
static void resolve_type_name(lua_State *L, int self, int name)
{
    if (lua_getfield(L, LUA_REGISTRYINDEX, "ebpf.resolve_type") != LUA_TFUNCTION)
        luaL_error(L, "decode('%s'): type names need the ebpf.btf module; pass a type handle instead",
                   lua_tostring(L, name));
    lua_getiuservalue(L, self, LREADER_UV_MAPS);
    lua_rawgeti(L, -1, 1);
    lua_remove(L, -2);
    lua_pushvalue(L, name);
    lua_getiuservalue(L, -2, LMAP_UV_PARENT);
    lua_call(L, 3, 1);
    if (lua_isnil(L, -1))
        luaL_error(L, "decode: no type '%s' in the BTF of the reader's map or of its object's programs",
                   lua_tostring(L, name));
}

/* type:decode(bytes, 0, opts) for decode(type, opts); upvalues: the
 * type's decode function, opts. */
static int decode_with_opts(lua_State *L)
{
    lua_settop(L, 2); /* type, bytes */
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_pushinteger(L, 0);
    lua_pushvalue(L, lua_upvalueindex(2));
    lua_call(L, 4, 1);
    return 1;
}

/* decode(type [, opts]): hand records over as type:decode(bytes [, 0, opts])
 * (tables for BTF types); decode(nil) or raw() goes back to strings. */
static int reader_decode(lua_State *L)
{
    lreader *r = check_idle(L);
    int has_opts = !lua_isnoneornil(L, 3);
    if (has_opts)
        luaL_checktype(L, 3, LUA_TTABLE);
    lua_settop(L, 3);
    if (lua_isnil(L, 2)) {
        r->decode = 0;
        lunpack_free(r->up);
        r->up = NULL;
        set_plan(r, NULL);
        lua_settop(L, 1);
        return 1;
    }
    if (lua_type(L, 2) == LUA_TSTRING) {
        resolve_type_name(L, 1, 2);
        lua_replace(L, 2);
    }
    luaL_argexpected(L, lua_istable(L, 2) || lua_isuserdata(L, 2), 2, "type with a decode method");
    lua_getfield(L, 2, "decode");
    if (lua_type(L, 4) != LUA_TFUNCTION)
        luaL_argerror(L, 2, "a type with a decode method expected");
    /* A BTF type gets a decoder compiled once (when its shape allows);
     * options go through the type's own decode. */
    struct lbtf_plan *plan = NULL;
    if (!has_opts && luaL_testudata(L, 2, EBPF_BTF_TYPE_MT)) {
        uint32_t id;
        const struct ebpf_btf *b = ebpf_lua_check_btf_type(L, 2, &id);
        plan = ebpf_lua_btf_plan(b, id);
    }
    if (has_opts) { /* e.g. {full_strings = true} */
        lua_pushvalue(L, 3);
        lua_pushcclosure(L, decode_with_opts, 2);
    }
    lua_setiuservalue(L, 1, LREADER_UV_DECODE);
    lua_pushvalue(L, 2);
    lua_setiuservalue(L, 1, LREADER_UV_TYPE);
    lunpack_free(r->up);
    r->up = NULL;
    set_plan(r, plan);
    r->decode = 1;
    lua_settop(L, 1);
    return 1;
}

static int reader_raw(lua_State *L)
{
    lua_settop(L, 1);
    lua_pushnil(L);
    return reader_decode(L);
}

static int reader_maps(lua_State *L)
{
    lreader_check(L, 1);
    lua_getiuservalue(L, 1, LREADER_UV_MAPS);
    return 1;
}

/* Closed now; freed now unless a drain is running (it frees on return). */
static void mark_closed(lreader *r)
{
    r->closed = 1;
    if (!r->busy)
        really_free(r);
}

static int reader_close(lua_State *L)
{
    mark_closed(lreader_check(L, 1));
    return 0;
}

static int reader_gc(lua_State *L)
{
    mark_closed(to_any(L, 1));
    return 0;
}

static int reader_tostring(lua_State *L)
{
    lreader *r = to_any(L, 1);
    const char *mt = r->ops->kind;
    if (r->closed) {
        lua_pushfstring(L, "ebpf.%s reader (closed)", mt);
        return 1;
    }
    const char *mode = r->up ? "unpack" : r->plan ? "decode, compiled" : r->decode ? "decode" : "strings";
    lua_pushfstring(L, "ebpf.%s reader (%s, %s, %d bytes pending, epoll fd %d)", mt, r->desc, mode,
                    (int)r->ops->available(r->src), r->ops->epoll_fd(r->src));
    return 1;
}

void lreader_register(lua_State *L, const char *mt, const luaL_Reg *extra)
{
    static const luaL_Reg methods[] = {
        {"poll", reader_poll},
        {"consume", reader_consume},
        {"drain", reader_drain},
        {"read", reader_read},
        {"records", reader_records},
        {"fd", reader_fd},
        {"available", reader_available},
        {"unpack", reader_unpack},
        {"decode", reader_decode},
        {"raw", reader_raw},
        {"maps", reader_maps},
        {"close", reader_close},
        {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__gc", reader_gc},
        {"__close", reader_gc},
        {"__tostring", reader_tostring},
        {NULL, NULL},
    };
    luaL_newmetatable(L, mt);
    luaL_setfuncs(L, meta, 0);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    if (extra)
        luaL_setfuncs(L, extra, 0);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
}
