/* ebpf.map: BPF maps as Lua objects. m[k], m[k] = v, m[k] = nil, pairs(m)
 * (batched), queue/stack/bloom operations, batches, pinning, info. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/map.h"
#include "ebpf/prog.h"
#include "ebpf/sys.h"
#include "ebpf/types.h"
#include "lbtf.h"
#include "lmap.h"
#include "lprog.h"

#define STACK_BUF 256
#define ITER_CHUNK 1024

static const char *mname(const lmap *lm)
{
    const char *n = lm->m ? ebpf_map_name(lm->m) : "";
    return n[0] ? n : "(unnamed)";
}

lmap *ebpf_lua_tomap(lua_State *L, int idx)
{
    lmap *lm = luaL_checkudata(L, idx, EBPF_MAP_MT);
    if (!lm->m)
        luaL_error(L, "attempt to use a closed map");
    return lm;
}

static void init_from_core(lmap *lm, struct ebpf_map *m)
{
    lm->type = ebpf_map_type(m);
    lm->ksz = ebpf_map_key_size(m);
    lm->vsz = ebpf_map_value_size(m);
    lm->percpu = ebpf_map_is_percpu(m);
    lm->keyless = ebpf_map_is_keyless(m);
    lm->vbuf = (uint32_t)ebpf_map_value_buf_size(m);
    lm->vstride = (lm->vsz + 7) & ~7u;
    lm->ncpu = lm->percpu ? (int)(lm->vbuf / (lm->vstride ? lm->vstride : 1)) : 1;
    lm->holds_progs = lm->type == BPF_MAP_TYPE_PROG_ARRAY;
    lm->bytes_keys = lm->type == BPF_MAP_TYPE_LPM_TRIE;
    lm->holds_maps = lm->type == BPF_MAP_TYPE_ARRAY_OF_MAPS || lm->type == BPF_MAP_TYPE_HASH_OF_MAPS;
    lm->scalar = !lm->percpu && !lm->keyless && !lm->holds_progs && !lm->holds_maps && !lm->bytes_keys &&
                 ebpf_lua_int_size(lm->ksz) && ebpf_lua_int_size(lm->vsz) && lm->vbuf <= 8;
    lm->m = m;
}

/* Pushes a closed map userdata, opened later by init_from_core. The
 * openers push it before they make the core map: the allocation may
 * raise, and must not leak the map. */
static lmap *push_closed(lua_State *L)
{
    lmap *lm = lua_newuserdatauv(L, sizeof(lmap), LMAP_NUV);
    memset(lm, 0, sizeof(*lm));
    lm->magic = LMAP_MAGIC;
    luaL_setmetatable(L, EBPF_MAP_MT);
    return lm;
}

lmap *ebpf_lua_push_map(lua_State *L, struct ebpf_map *m)
{
    lmap *lm = push_closed(L);
    if (!m) {
        lua_pop(L, 1);
        return NULL;
    }
    init_from_core(lm, m);
    return lm;
}

/* A scratch buffer: on the C stack when small, else a GC'd userdata
 * pushed on the Lua stack. */
static void *scratch(lua_State *L, size_t size, unsigned char *stackbuf)
{
    if (size <= STACK_BUF)
        return stackbuf;
    return lua_newuserdatauv(L, size, 0);
}

/* ---- value conversion (codec-aware) ---- */

/* Calls codec[slot]:method(arg) if a codec is installed; returns 1 with the
 * result pushed, 0 if there is no codec for that slot. */
static int codec_call(lua_State *L, int self, const char *slot, const char *method, int arg)
{
    arg = lua_absindex(L, arg);
    if (lua_getiuservalue(L, self, LMAP_UV_CODEC) != LUA_TTABLE) {
        lua_pop(L, 1);
        return 0;
    }
    if (lua_getfield(L, -1, slot) == LUA_TNIL) {
        lua_pop(L, 2);
        return 0;
    }
    lua_remove(L, -2);
    lua_getfield(L, -1, method);
    lua_insert(L, -2);
    lua_pushvalue(L, arg);
    lua_call(L, 2, 1);
    return 1;
}

static void key_to_bytes(lua_State *L, int self, lmap *lm, int idx, void *buf)
{
    if (lm->has_codec && lua_type(L, idx) != LUA_TSTRING && codec_call(L, self, "key", "encode", idx)) {
        ebpf_lua_to_bytes(L, -1, buf, lm->ksz, "key", mname(lm));
        lua_pop(L, 1);
        return;
    }
    ebpf_lua_to_bytes(L, idx, buf, lm->ksz, "key", mname(lm));
}

static void push_key(lua_State *L, int self, lmap *lm, const void *buf)
{
    if (lm->has_codec) {
        /* A codec decodes the raw bytes, whatever their size. */
        lua_pushlstring(L, (const char *)buf, lm->ksz);
        if (codec_call(L, self, "key", "decode", -1)) {
            lua_remove(L, -2);
            return;
        }
        lua_pop(L, 1);
    }
    if (lm->bytes_keys)
        lua_pushlstring(L, (const char *)buf, lm->ksz);
    else
        ebpf_lua_push_bytes_value(L, buf, lm->ksz);
}

/* One value slot (one CPU's for per-CPU maps). */
static void one_value_to_bytes(lua_State *L, int self, lmap *lm, int idx, void *buf)
{
    if ((lm->holds_progs || lm->holds_maps) && lua_type(L, idx) == LUA_TUSERDATA) {
        uint32_t fd;
        if (lm->holds_progs)
            fd = (uint32_t)ebpf_prog_fd(ebpf_lua_toprog(L, idx)->p);
        else
            fd = (uint32_t)ebpf_map_fd(ebpf_lua_tomap(L, idx)->m);
        memcpy(buf, &fd, 4);
        return;
    }
    if (lm->has_codec && lua_type(L, idx) != LUA_TSTRING && codec_call(L, self, "value", "encode", idx)) {
        ebpf_lua_to_bytes(L, -1, buf, lm->vsz, "value", mname(lm));
        lua_pop(L, 1);
        return;
    }
    ebpf_lua_to_bytes(L, idx, buf, lm->vsz, "value", mname(lm));
}

static void value_to_bytes(lua_State *L, int self, lmap *lm, int idx, void *buf)
{
    if (!lm->percpu) {
        one_value_to_bytes(L, self, lm, idx, buf);
        return;
    }
    idx = lua_absindex(L, idx);
    unsigned char *b = buf;
    memset(b, 0, lm->vbuf);
    if (lua_type(L, idx) == LUA_TTABLE && !(lm->has_codec && luaL_len(L, idx) == 0)) {
        lua_Integer n = luaL_len(L, idx);
        if (n != lm->ncpu)
            luaL_error(L, "map '%s': per-CPU value needs %d entries (one per possible CPU), got %d",
                       mname(lm), lm->ncpu, (int)n);
        for (int i = 0; i < lm->ncpu; i++) {
            lua_rawgeti(L, idx, i + 1);
            one_value_to_bytes(L, self, lm, -1, b + (size_t)i * lm->vstride);
            lua_pop(L, 1);
        }
        return;
    }
    /* A single value is written to every CPU's slot. */
    one_value_to_bytes(L, self, lm, idx, b);
    for (int i = 1; i < lm->ncpu; i++)
        memcpy(b + (size_t)i * lm->vstride, b, lm->vsz);
}

static void push_one_value(lua_State *L, int self, lmap *lm, const void *buf)
{
    if (lm->holds_progs || lm->holds_maps) {
        /* The kernel hands ids to user space; give back live handles. */
        uint32_t id;
        memcpy(&id, buf, 4);
        if (lm->holds_progs) {
            if (!ebpf_lua_push_prog(L, ebpf_prog_open_id(id)))
                lua_pushinteger(L, id);
        } else {
            if (!ebpf_lua_push_map(L, ebpf_map_open_id(id)))
                lua_pushinteger(L, id);
        }
        return;
    }
    if (lm->has_codec) {
        lua_pushlstring(L, (const char *)buf, lm->vsz);
        if (codec_call(L, self, "value", "decode", -1)) {
            lua_remove(L, -2);
            return;
        }
        lua_pop(L, 1);
    }
    ebpf_lua_push_bytes_value(L, buf, lm->vsz);
}

static void push_value(lua_State *L, int self, lmap *lm, const void *buf)
{
    if (!lm->percpu) {
        push_one_value(L, self, lm, buf);
        return;
    }
    lua_createtable(L, lm->ncpu, 0);
    for (int i = 0; i < lm->ncpu; i++) {
        push_one_value(L, self, lm, (const unsigned char *)buf + (size_t)i * lm->vstride);
        lua_rawseti(L, -2, i + 1);
    }
}

static uint64_t update_flags(lua_State *L, int idx)
{
    if (lua_isnoneornil(L, idx))
        return BPF_ANY;
    if (lua_type(L, idx) == LUA_TNUMBER)
        return (uint64_t)luaL_checkinteger(L, idx);
    static const char *const names[] = {"any", "noexist", "exist", "lock", NULL};
    static const uint64_t vals[] = {BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK};
    return vals[luaL_checkoption(L, idx, NULL, names)];
}

static int check_keyed(lua_State *L, lmap *lm)
{
    if (lm->keyless)
        return luaL_error(L, "map '%s' (%s) has no keys; use push/pop/peek%s", mname(lm),
                          ebpf_map_type_name(lm->type),
                          lm->type == BPF_MAP_TYPE_BLOOM_FILTER ? "/contains" : "");
    return 0;
}

/* ---- element operations ---- */

/* The self check of the hot element methods: ebpf_lua_checkmagic, which
 * skips the registry lookup of ebpf_lua_tomap. */
static lmap *fast_tomap(lua_State *L)
{
    lmap *lm = ebpf_lua_checkmagic(L, 1, sizeof(lmap), LMAP_MAGIC, EBPF_MAP_MT);
    if (!lm->m)
        luaL_error(L, "attempt to use a closed map");
    return lm;
}

/* A failed operation: raised for m[k] and m[k] = v, which have no way to
 * return an error; nil, err, errno for the methods. */
static int failed(lua_State *L, int raise)
{
    if (raise)
        return luaL_error(L, "%s", ebpf_error_message());
    return ebpf_lua_fail(L);
}

/* A read that returned r < 0: nil when there was nothing to read
 * (ENOENT), else the failure. */
static int absent_or_failed(lua_State *L, int r, int raise)
{
    if (r == -ENOENT) {
        lua_pushnil(L);
        return 1;
    }
    return failed(L, raise);
}

static int do_lookup(lua_State *L, lmap *lm, int self, int kidx, uint64_t flags, int raise)
{
    unsigned char kst[STACK_BUF], vst[STACK_BUF];
    check_keyed(L, lm);
    void *k = scratch(L, lm->ksz, kst);
    void *v = scratch(L, lm->vbuf, vst);
    /* Zeroed: memory checkers may not model the kernel's write in full. */
    memset(v, 0, lm->vbuf);
    key_to_bytes(L, self, lm, kidx, k);
    int r = ebpf_map_lookup(lm->m, k, v, flags);
    if (r < 0)
        return absent_or_failed(L, r, raise);
    push_value(L, self, lm, v);
    return 1;
}

static int map_lookup(lua_State *L)
{
    lmap *lm = fast_tomap(L);
    luaL_checkany(L, 2);
    uint64_t flags = lua_isnoneornil(L, 3) ? 0 : update_flags(L, 3);
    return do_lookup(L, lm, 1, 2, flags, 0);
}

/* lookup returning the raw bytes, whatever the codec. */
static int map_lookup_bytes(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    unsigned char kst[STACK_BUF], vst[STACK_BUF];
    check_keyed(L, lm);
    void *k = scratch(L, lm->ksz, kst);
    void *v = scratch(L, lm->vbuf, vst);
    key_to_bytes(L, 1, lm, 2, k);
    int r = ebpf_map_lookup(lm->m, k, v, 0);
    if (r < 0)
        return absent_or_failed(L, r, 0);
    lua_pushlstring(L, (const char *)v, lm->vbuf);
    return 1;
}

static int do_update(lua_State *L, lmap *lm, int self, int kidx, int vidx, uint64_t flags, int raise)
{
    unsigned char kst[STACK_BUF], vst[STACK_BUF];
    check_keyed(L, lm);
    void *k = scratch(L, lm->ksz, kst);
    void *v = scratch(L, lm->vbuf, vst);
    key_to_bytes(L, self, lm, kidx, k);
    value_to_bytes(L, self, lm, vidx, v);
    int r = ebpf_map_update(lm->m, k, v, flags);
    if (r < 0)
        return failed(L, raise);
    lua_pushboolean(L, 1);
    return 1;
}

static int map_update(lua_State *L)
{
    lmap *lm = fast_tomap(L);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    return do_update(L, lm, 1, 2, 3, update_flags(L, 4), 0);
}

static int do_delete(lua_State *L, lmap *lm, int self, int kidx, int raise)
{
    unsigned char kst[STACK_BUF];
    check_keyed(L, lm);
    void *k = scratch(L, lm->ksz, kst);
    key_to_bytes(L, self, lm, kidx, k);
    int r = ebpf_map_delete(lm->m, k);
    if (r < 0 && r != -ENOENT)
        return failed(L, raise);
    lua_pushboolean(L, r == 0);
    return 1;
}

static int map_delete(lua_State *L)
{
    lmap *lm = fast_tomap(L);
    luaL_checkany(L, 2);
    return do_delete(L, lm, 1, 2, 0);
}

static int map_lookup_and_delete(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    unsigned char kst[STACK_BUF], vst[STACK_BUF];
    check_keyed(L, lm);
    luaL_checkany(L, 2);
    void *k = scratch(L, lm->ksz, kst);
    void *v = scratch(L, lm->vbuf, vst);
    key_to_bytes(L, 1, lm, 2, k);
    int r = ebpf_map_lookup_and_delete(lm->m, k, v, 0);
    if (r < 0)
        return absent_or_failed(L, r, 0);
    push_value(L, 1, lm, v);
    return 1;
}

/* ebpf_map_next_key into n: from the key at index 2, or from the start
 * when `first`. */
static int next_key(lua_State *L, int self, lmap *lm, int first, void *n)
{
    unsigned char kst[STACK_BUF];
    void *k = NULL;
    if (!first) {
        k = scratch(L, lm->ksz, kst);
        key_to_bytes(L, self, lm, 2, k);
    }
    return ebpf_map_next_key(lm->m, k, n);
}

static int map_next_key(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    unsigned char nst[STACK_BUF];
    check_keyed(L, lm);
    int first = lua_isnoneornil(L, 2); /* before scratch may push at 2 */
    void *n = scratch(L, lm->ksz, nst);
    int r = next_key(L, 1, lm, first, n);
    if (r < 0)
        return absent_or_failed(L, r, 0);
    push_key(L, 1, lm, n);
    return 1;
}

/* queue / stack / bloom filter */
static int map_push(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    unsigned char vst[STACK_BUF];
    if (!lm->keyless)
        return luaL_error(L, "map '%s' (%s): push is for queue, stack and bloom_filter maps", mname(lm),
                          ebpf_map_type_name(lm->type));
    luaL_checkany(L, 2);
    void *v = scratch(L, lm->vbuf, vst);
    value_to_bytes(L, 1, lm, 2, v);
    int r = ebpf_map_update(lm->m, NULL, v, update_flags(L, 3));
    if (r < 0)
        return ebpf_lua_fail(L);
    lua_pushboolean(L, 1);
    return 1;
}

static int pop_or_peek(lua_State *L, int pop)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    unsigned char vst[STACK_BUF];
    if (lm->type != BPF_MAP_TYPE_QUEUE && lm->type != BPF_MAP_TYPE_STACK)
        return luaL_error(L, "map '%s' (%s): %s is for queue and stack maps", mname(lm),
                          ebpf_map_type_name(lm->type), pop ? "pop" : "peek");
    void *v = scratch(L, lm->vbuf, vst);
    memset(v, 0, lm->vbuf); /* as do_lookup: valgrind does not see the kernel write a keyless value */
    int r = pop ? ebpf_map_lookup_and_delete(lm->m, NULL, v, 0) : ebpf_map_lookup(lm->m, NULL, v, 0);
    if (r < 0)
        return absent_or_failed(L, r, 0);
    push_value(L, 1, lm, v);
    return 1;
}

static int map_pop(lua_State *L) { return pop_or_peek(L, 1); }
static int map_peek(lua_State *L) { return pop_or_peek(L, 0); }

static int map_contains(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    unsigned char vst[STACK_BUF];
    if (lm->type != BPF_MAP_TYPE_BLOOM_FILTER)
        return luaL_error(L, "map '%s' (%s): contains is for bloom_filter maps", mname(lm),
                          ebpf_map_type_name(lm->type));
    luaL_checkany(L, 2);
    void *v = scratch(L, lm->vbuf, vst);
    value_to_bytes(L, 1, lm, 2, v);
    int r = ebpf_map_lookup(lm->m, NULL, v, 0);
    if (r < 0 && r != -ENOENT)
        return ebpf_lua_fail(L);
    lua_pushboolean(L, r == 0);
    return 1;
}

static int map_freeze(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    if (ebpf_map_freeze(lm->m) < 0)
        return ebpf_lua_fail(L);
    lua_pushboolean(L, 1);
    return 1;
}


/* ---- iteration: batched where the kernel can, next_key otherwise ---- */

typedef struct {
    uint32_t chunk, n, pos;
    uint8_t started, done, batch; /* batch: 1 yes, 0 next_key mode */
    size_t tsz;
    unsigned char *tok_in, *tok_out, *keys, *vals, *prev;
} liter;

static int iter_fetch(lua_State *L, lmap *lm, liter *it)
{
    it->n = it->pos = 0;
    if (it->batch) {
        uint32_t count = it->chunk;
        /* Zeroed so memory checkers that don't model batch commands stay
         * quiet; small next to the syscall. */
        memset(it->keys, 0, (size_t)it->chunk * lm->ksz);
        memset(it->vals, 0, (size_t)it->chunk * lm->vbuf);
        int r = ebpf_map_lookup_batch(lm->m, it->started ? it->tok_in : NULL, it->tok_out, it->keys,
                                      it->vals, &count, 0);
        if (r == 0 || r == -ENOENT) {
            it->n = count;
            if (r == -ENOENT)
                it->done = 1;
            memcpy(it->tok_in, it->tok_out, it->tsz);
            it->started = 1;
            if (count)
                memcpy(it->prev, it->keys + (size_t)(count - 1) * lm->ksz, lm->ksz);
            return 0;
        }
        if (r == -EINVAL || r == -EOPNOTSUPP || r == -524 /* ENOTSUPP */ || r == -ENOSPC) {
            /* No batch support for this map type: continue with next_key
             * from the last key handed out. */
            it->batch = 0;
        } else {
            return luaL_error(L, "map '%s': iterate: %s", mname(lm), ebpf_error_message());
        }
    }
    while (it->n < it->chunk) {
        unsigned char *k = it->keys + (size_t)it->n * lm->ksz;
        int r = ebpf_map_next_key(lm->m, it->started ? it->prev : NULL, k);
        if (r == -ENOENT) {
            it->done = 1;
            break;
        }
        if (r < 0)
            return luaL_error(L, "map '%s': iterate: %s", mname(lm), ebpf_error_message());
        it->started = 1;
        memcpy(it->prev, k, lm->ksz);
        r = ebpf_map_lookup(lm->m, k, it->vals + (size_t)it->n * lm->vbuf, 0);
        if (r == -ENOENT) /* deleted meanwhile */
            continue;
        if (r < 0)
            return luaL_error(L, "map '%s': iterate: %s", mname(lm), ebpf_error_message());
        it->n++;
    }
    return 0;
}

static int iter_next(lua_State *L)
{
    liter *it = lua_touserdata(L, 1);
    lua_getiuservalue(L, 1, 1);
    int self = lua_gettop(L);
    lmap *lm = ebpf_lua_tomap(L, self);
    if (it->pos >= it->n) {
        if (it->done) {
            lua_pushnil(L);
            return 1;
        }
        iter_fetch(L, lm, it);
        if (it->n == 0) {
            lua_pushnil(L);
            return 1;
        }
    }
    uint32_t i = it->pos++;
    push_key(L, self, lm, it->keys + (size_t)i * lm->ksz);
    push_value(L, self, lm, it->vals + (size_t)i * lm->vbuf);
    return 2;
}

static int map_pairs(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    check_keyed(L, lm);
    size_t per = (size_t)lm->ksz + lm->vbuf;
    uint32_t chunk = ITER_CHUNK;
    while (chunk > 16 && per * chunk > (1u << 20))
        chunk /= 2;
    size_t tsz = ebpf_map_batch_token_size(lm->m);
    size_t total = sizeof(liter) + 2 * tsz + chunk * per + lm->ksz + 16;
    lua_pushcfunction(L, iter_next);
    liter *it = lua_newuserdatauv(L, total, 1);
    memset(it, 0, sizeof(*it));
    unsigned char *p = (unsigned char *)(it + 1);
    it->chunk = chunk;
    it->tsz = tsz;
    it->tok_in = p, p += tsz;
    it->tok_out = p, p += tsz;
    it->prev = p, p += lm->ksz;
    it->keys = p, p += (size_t)chunk * lm->ksz;
    it->vals = p;
    /* lookup_batch on a hash map needs no key alignment beyond bytes. */
    it->batch = lm->type != BPF_MAP_TYPE_LPM_TRIE && !lm->holds_progs && !lm->holds_maps;
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    lua_pushnil(L);
    return 3;
}

/* keys(): next_key iteration of the keys only. */
static int keys_next(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, lua_upvalueindex(1));
    unsigned char nst[STACK_BUF];
    int first = lua_isnil(L, 2);
    void *n = scratch(L, lm->ksz, nst);
    int r = next_key(L, lua_upvalueindex(1), lm, first, n);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return luaL_error(L, "map '%s': keys: %s", mname(lm), ebpf_error_message());
    push_key(L, lua_upvalueindex(1), lm, n);
    return 1;
}

static int map_keys(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    check_keyed(L, lm);
    lua_pushvalue(L, 1);
    lua_pushcclosure(L, keys_next, 1);
    return 1;
}

/* ---- batch APIs ---- */

/* lookup_batch([opts]) / lookup_and_delete_batch([opts]): the whole map
 * as two sequences keys, values (parallel, like update_batch takes them)
 * plus the count, reading `count` entries per syscall into one reused
 * buffer. opts.keys / opts.values may pass tables to fill again (no new
 * allocation, as a C caller reuses its arrays); entries past the new
 * count are cleared. */
static int fill_table(lua_State *L, int opts, const char *field, int presize)
{
    if (opts && lua_getfield(L, opts, field) != LUA_TNIL) {
        luaL_checktype(L, -1, LUA_TTABLE);
        return lua_gettop(L);
    }
    if (opts)
        lua_pop(L, 1);
    lua_createtable(L, presize, 0);
    return lua_gettop(L);
}

static int batch_read(lua_State *L, int del)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    check_keyed(L, lm);
    uint32_t chunk = ITER_CHUNK;
    int opts = 0;
    if (!lua_isnoneornil(L, 2)) {
        static const char *const fields[] = {"count", "keys", "values", NULL};
        ebpf_lua_check_fields(L, 2, fields);
        lua_Integer c = ebpf_lua_opt_int(L, 2, "count", ITER_CHUNK);
        if (c < 1 || c > (1 << 20))
            return luaL_error(L, "count out of range: %I", (LUAI_UACINT)c);
        chunk = (uint32_t)c;
        opts = 2;
    }
    uint32_t me = ebpf_map_max_entries(lm->m);
    int presize = (int)(me < 65536 ? me : 65536);
    int kt = fill_table(L, opts, "keys", presize);
    int vt = fill_table(L, opts, "values", presize);
    lua_Integer old_k = (lua_Integer)lua_rawlen(L, kt), old_v = (lua_Integer)lua_rawlen(L, vt);
    size_t tsz = ebpf_map_batch_token_size(lm->m);
    unsigned char *buf = lua_newuserdatauv(L, 2 * tsz + (size_t)chunk * (lm->ksz + lm->vbuf), 0);
    unsigned char *tin = buf, *tout = buf + tsz, *keys = buf + 2 * tsz,
                  *vals = keys + (size_t)chunk * lm->ksz;
    int started = 0, done = 0;
    lua_Integer total = 0;
    while (!done) {
        uint32_t count = chunk;
        memset(keys, 0, (size_t)chunk * lm->ksz); /* see iter_fetch */
        memset(vals, 0, (size_t)chunk * lm->vbuf);
        int r = del ? ebpf_map_lookup_and_delete_batch(lm->m, started ? tin : NULL, tout, keys, vals, &count, 0)
                    : ebpf_map_lookup_batch(lm->m, started ? tin : NULL, tout, keys, vals, &count, 0);
        if (r == -ENOENT)
            done = 1;
        else if (r < 0)
            return ebpf_lua_fail(L);
        for (uint32_t i = 0; i < count; i++) {
            push_key(L, 1, lm, keys + (size_t)i * lm->ksz);
            lua_rawseti(L, kt, total + i + 1);
            push_value(L, 1, lm, vals + (size_t)i * lm->vbuf);
            lua_rawseti(L, vt, total + i + 1);
        }
        total += count;
        memcpy(tin, tout, tsz);
        started = 1;
    }
    for (lua_Integer i = total + 1; i <= old_k; i++) {
        lua_pushnil(L);
        lua_rawseti(L, kt, i);
    }
    for (lua_Integer i = total + 1; i <= old_v; i++) {
        lua_pushnil(L);
        lua_rawseti(L, vt, i);
    }
    lua_pushvalue(L, kt);
    lua_pushvalue(L, vt);
    lua_pushinteger(L, total);
    return 3;
}

static int map_lookup_batch(lua_State *L) { return batch_read(L, 0); }
static int map_lookup_and_delete_batch(lua_State *L) { return batch_read(L, 1); }

/* update_batch(keys, values [, flags]) with two sequences. */
static int map_update_batch(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    check_keyed(L, lm);
    luaL_checktype(L, 2, LUA_TTABLE);
    luaL_checktype(L, 3, LUA_TTABLE);
    uint64_t flags = update_flags(L, 4);
    lua_Integer n = luaL_len(L, 2);
    if (luaL_len(L, 3) != n)
        return luaL_error(L, "map '%s': update_batch: %d keys but %d values", mname(lm), (int)n,
                          (int)luaL_len(L, 3));
    if (n == 0) {
        lua_pushinteger(L, 0);
        return 1;
    }
    unsigned char *keys = lua_newuserdatauv(L, (size_t)n * (lm->ksz + lm->vbuf), 0);
    unsigned char *vals = keys + (size_t)n * lm->ksz;
    for (lua_Integer i = 0; i < n; i++) {
        lua_rawgeti(L, 2, i + 1);
        key_to_bytes(L, 1, lm, -1, keys + (size_t)i * lm->ksz);
        lua_pop(L, 1);
        lua_rawgeti(L, 3, i + 1);
        value_to_bytes(L, 1, lm, -1, vals + (size_t)i * lm->vbuf);
        lua_pop(L, 1);
    }
    uint32_t count = (uint32_t)n;
    if (ebpf_map_update_batch(lm->m, keys, vals, &count, flags) < 0)
        return ebpf_lua_fail(L);
    lua_pushinteger(L, count);
    return 1;
}

static int map_delete_batch(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    check_keyed(L, lm);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 2);
    if (n == 0) {
        lua_pushinteger(L, 0);
        return 1;
    }
    unsigned char *keys = lua_newuserdatauv(L, (size_t)n * lm->ksz, 0);
    for (lua_Integer i = 0; i < n; i++) {
        lua_rawgeti(L, 2, i + 1);
        key_to_bytes(L, 1, lm, -1, keys + (size_t)i * lm->ksz);
        lua_pop(L, 1);
    }
    uint32_t count = (uint32_t)n;
    int r = ebpf_map_delete_batch(lm->m, keys, &count, 0);
    if (r < 0 && r != -ENOENT)
        return ebpf_lua_fail(L);
    lua_pushinteger(L, count);
    return 1;
}

/* ---- handles, pinning, info ---- */

static int map_pin(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    if (ebpf_map_pin(lm->m, ebpf_lua_check_path(L, 2, "path")) < 0)
        return ebpf_lua_fail(L);
    lua_pushboolean(L, 1);
    return 1;
}

static int map_unpin(lua_State *L)
{
    ebpf_lua_tomap(L, 1);
    if (ebpf_map_unpin(ebpf_lua_check_path(L, 2, "path")) < 0)
        return ebpf_lua_fail(L);
    lua_pushboolean(L, 1);
    return 1;
}

static int map_clone(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    lmap *c = push_closed(L);
    struct ebpf_map *m = ebpf_map_clone(lm->m);
    if (!m)
        return ebpf_lua_fail(L);
    init_from_core(c, m);
    /* A clone decodes like its original. */
    c->has_codec = lm->has_codec;
    lua_getiuservalue(L, 1, LMAP_UV_CODEC);
    lua_setiuservalue(L, -2, LMAP_UV_CODEC);
    return 1;
}

static int map_fd(lua_State *L)
{
    lua_pushinteger(L, ebpf_map_fd(ebpf_lua_tomap(L, 1)->m));
    return 1;
}

/* memlock and frozen from /proc/self/fdinfo/<fd>, in one read (-1: absent). */
static void fdinfo_fields(int fd, long long *memlock, long long *frozen)
{
    char path[64], line[256];
    *memlock = *frozen = -1;
    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "memlock:", 8) == 0)
            *memlock = strtoll(line + 8, NULL, 10);
        else if (strncmp(line, "frozen:", 7) == 0)
            *frozen = strtoll(line + 7, NULL, 10);
    }
    fclose(f);
}

static int map_info(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    struct bpf_map_info info;
    if (ebpf_map_get_info(lm->m, &info) < 0)
        return ebpf_lua_fail(L);
    lua_createtable(L, 0, 16);
    const char *tn = ebpf_map_type_name((int)info.type);
    lua_pushstring(L, tn ? tn : "unknown");
    lua_setfield(L, -2, "type");
    lua_pushstring(L, info.name);
    lua_setfield(L, -2, "name");
#define FIELD(f) lua_pushinteger(L, (lua_Integer)info.f); lua_setfield(L, -2, #f);
    FIELD(id) FIELD(key_size) FIELD(value_size) FIELD(max_entries) FIELD(map_flags)
    FIELD(ifindex) FIELD(btf_id) FIELD(btf_key_type_id) FIELD(btf_value_type_id)
    FIELD(btf_vmlinux_value_type_id) FIELD(map_extra)
#undef FIELD
    lua_newtable(L);
    int i = 0;
    unsigned int bit;
    const char *fname;
    for (int j = 0; (fname = ebpf_map_flag_at(j, &bit)); j++)
        if (info.map_flags & bit) {
            lua_pushstring(L, fname);
            lua_rawseti(L, -2, ++i);
        }
    lua_setfield(L, -2, "flags");
    long long memlock, frozen;
    fdinfo_fields(ebpf_map_fd(lm->m), &memlock, &frozen);
    if (memlock >= 0) {
        lua_pushinteger(L, memlock);
        lua_setfield(L, -2, "memlock");
    }
    if (frozen >= 0) {
        lua_pushboolean(L, frozen != 0);
        lua_setfield(L, -2, "frozen");
    }
    return 1;
}

static int map_close(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    ebpf_map_close(lm->m);
    lm->m = NULL;
    return 0;
}

static int map_gc(lua_State *L)
{
    lmap *lm = luaL_checkudata(L, 1, EBPF_MAP_MT);
    ebpf_map_close(lm->m);
    lm->m = NULL;
    return 0;
}

static void size_str(char *buf, size_t n, uint64_t bytes)
{
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
        snprintf(buf, n, "%llu MiB", (unsigned long long)(bytes >> 20));
    else if (bytes >= 1024 && bytes % 1024 == 0)
        snprintf(buf, n, "%llu KiB", (unsigned long long)(bytes >> 10));
    else
        snprintf(buf, n, "%llu bytes", (unsigned long long)bytes);
}

static int map_tostring(lua_State *L)
{
    lmap *lm = luaL_checkudata(L, 1, EBPF_MAP_MT);
    if (!lm->m) {
        lua_pushstring(L, "ebpf.map (closed)");
        return 1;
    }
    const char *tn = ebpf_map_type_name(lm->type);
    const char *name = ebpf_map_name(lm->m);
    char nm[80] = "";
    if (name[0])
        snprintf(nm, sizeof(nm), " '%s'", name);
    uint32_t me = ebpf_map_max_entries(lm->m);
    int fd = ebpf_map_fd(lm->m);
    if (lm->type == BPF_MAP_TYPE_RINGBUF || lm->type == BPF_MAP_TYPE_USER_RINGBUF) {
        char sz[32];
        size_str(sz, sizeof(sz), me);
        lua_pushfstring(L, "ebpf.map%s (%s, %s, fd %d)", nm, tn, sz, fd);
    } else if (lm->keyless) {
        lua_pushfstring(L, "ebpf.map%s (%s, %d-byte values, %d entries, fd %d)", nm, tn, (int)lm->vsz,
                        (int)me, fd);
    } else {
        lua_pushfstring(L, "ebpf.map%s (%s, %d->%d, %d entries, fd %d)", nm, tn ? tn : "?", (int)lm->ksz,
                        (int)lm->vsz, (int)me, fd);
    }
    return 1;
}

/* Properties readable as fields: m.name, m.type, m.key_size ... */
static int push_property(lua_State *L, lmap *lm, const char *k)
{
    if (!strcmp(k, "name")) lua_pushstring(L, ebpf_map_name(lm->m));
    else if (!strcmp(k, "type")) lua_pushstring(L, ebpf_map_type_name(lm->type));
    else if (!strcmp(k, "key_size")) lua_pushinteger(L, lm->ksz);
    else if (!strcmp(k, "value_size")) lua_pushinteger(L, lm->vsz);
    else if (!strcmp(k, "max_entries")) lua_pushinteger(L, ebpf_map_max_entries(lm->m));
    else if (!strcmp(k, "flags")) lua_pushinteger(L, ebpf_map_flags(lm->m));
    else if (!strcmp(k, "id")) lua_pushinteger(L, ebpf_map_id(lm->m));
    else if (!strcmp(k, "ncpu")) lua_pushinteger(L, lm->ncpu);
    else return 0;
    return 1;
}

/* The short way of m[k], m[k] = v and m[k] = nil for integer keys and
 * values on a scalar map without a codec: what do_lookup/do_update/
 * do_delete do for them, without their generality (a third of the
 * instructions of an element operation outside the kernel). Arguments
 * that do not take it (a key or value out of range, a float) go the
 * general way, which gives the error: scalar_key returns 0 for them,
 * scalar_store -1. */
static inline int scalar_key(lua_State *L, const lmap *lm, uint64_t *kb)
{
    if (!lm->scalar || lm->has_codec || !lm->m || !lua_isinteger(L, 2))
        return 0;
    lua_Integer k = lua_tointeger(L, 2);
    if (!ebpf_lua_int_fits(k, lm->ksz))
        return 0;
    ebpf_lua_store_int(kb, k, lm->ksz);
    return 1;
}

static int scalar_lookup(lua_State *L, const lmap *lm, const uint64_t *kb)
{
    uint64_t vb = 0;
    int r = ebpf_map_lookup(lm->m, kb, &vb, 0);
    if (r < 0)
        return absent_or_failed(L, r, 1);
    lua_pushinteger(L, ebpf_lua_load_int(&vb, lm->vsz));
    return 1;
}

static int scalar_store(lua_State *L, const lmap *lm, const uint64_t *kb)
{
    int r;
    if (lua_isnil(L, 3)) {
        r = ebpf_map_delete(lm->m, kb);
        if (r == -ENOENT)
            r = 0;
    } else {
        if (!lua_isinteger(L, 3))
            return -1;
        lua_Integer v = lua_tointeger(L, 3);
        if (!ebpf_lua_int_fits(v, lm->vsz))
            return -1;
        uint64_t vb = 0;
        ebpf_lua_store_int(&vb, v, lm->vsz);
        r = ebpf_map_update(lm->m, kb, &vb, BPF_ANY);
    }
    if (r < 0)
        return failed(L, 1);
    return 0;
}

/* __index: methods first, then properties, then m[key] lookup. */
static int map_index(lua_State *L)
{
    lmap *lm = lua_touserdata(L, 1);
    uint64_t kb;
    if (scalar_key(L, lm, &kb))
        return scalar_lookup(L, lm, &kb);
    if (lua_type(L, 2) == LUA_TSTRING) {
        lua_pushvalue(L, 2);
        if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
            return 1;
        lua_pop(L, 1);
        if (!lm->m)
            return luaL_error(L, "attempt to use a closed map");
        if (push_property(L, lm, lua_tostring(L, 2)))
            return 1;
    }
    if (!lm->m)
        return luaL_error(L, "attempt to use a closed map");
    return do_lookup(L, lm, 1, 2, 0, 1);
}

static int map_newindex(lua_State *L)
{
    lmap *lm = lua_touserdata(L, 1);
    uint64_t kb;
    if (scalar_key(L, lm, &kb) && scalar_store(L, lm, &kb) == 0)
        return 0;
    if (!lm->m)
        return luaL_error(L, "attempt to use a closed map");
    if (lua_isnil(L, 3))
        do_delete(L, lm, 1, 2, 1);
    else
        do_update(L, lm, 1, 2, 3, BPF_ANY, 1);
    return 0;
}

/* ---- constructors ---- */

static unsigned int map_flag_lookup(const char *s) { return ebpf_map_flag_by_name(s); }

static void default_sizes(int type, uint32_t *ksz, uint32_t *vsz)
{
    switch (type) {
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
    case BPF_MAP_TYPE_PROG_ARRAY:
    case BPF_MAP_TYPE_CGROUP_ARRAY:
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
    case BPF_MAP_TYPE_HASH_OF_MAPS:
    case BPF_MAP_TYPE_DEVMAP:
    case BPF_MAP_TYPE_CPUMAP:
    case BPF_MAP_TYPE_XSKMAP:
    case BPF_MAP_TYPE_SOCKMAP:
    case BPF_MAP_TYPE_SOCKHASH:
        *ksz = 4, *vsz = 4;
        break;
    default:
        *ksz = 0, *vsz = 0;
    }
}

/* ebpf.map{type=..., key_size=..., value_size=..., max_entries=..., ...} */
static int map_new(lua_State *L)
{
    lua_remove(L, 1); /* called as ebpf.map{...}: drop the table itself */
    static const char *const fields[] = {"type", "key_size", "value_size", "max_entries", "flags",
                                         "name", "numa_node", "inner_map", "map_extra", "btf",
                                         "key_type", "value_type", "ifindex", NULL};
    ebpf_lua_check_fields(L, 1, fields);
    const char *tname = ebpf_lua_opt_str(L, 1, "type", NULL);
    if (!tname)
        return luaL_error(L, "field 'type' is required (e.g. \"hash\", \"array\", \"ringbuf\")");
    int type = ebpf_map_type_by_name(tname);
    if (type <= 0)
        return luaL_error(L, "unknown map type '%s'", tname);
    uint32_t dk, dv;
    default_sizes(type, &dk, &dv);
    struct ebpf_map_create_opts o;
    ebpf_map_create_opts_init(&o);
    o.type = type;
    o.name = ebpf_lua_opt_str(L, 1, "name", NULL);
    lua_Integer ks = ebpf_lua_opt_int(L, 1, "key_size", dk), vs = ebpf_lua_opt_int(L, 1, "value_size", dv);
    lua_Integer me = ebpf_lua_opt_int(L, 1, "max_entries", -1);
    if (ks < 0 || ks > (1 << 24))
        return luaL_error(L, "key_size out of range: %I", (LUAI_UACINT)ks);
    if (vs < 0 || vs > (1 << 28))
        return luaL_error(L, "value_size out of range: %I", (LUAI_UACINT)vs);
    o.key_size = (uint32_t)ks;
    o.value_size = (uint32_t)vs;
    if (me < 0) {
        if (type == BPF_MAP_TYPE_PERF_EVENT_ARRAY)
            me = ebpf_num_possible_cpus();
        else
            return luaL_error(L, "field 'max_entries' is required");
    }
    if (me > 0xffffffffLL)
        return luaL_error(L, "max_entries out of range: %I", (LUAI_UACINT)me);
    o.max_entries = (uint32_t)me;
    o.flags = ebpf_lua_opt_flags(L, 1, "flags", map_flag_lookup);
    o.numa_node = (int)ebpf_lua_opt_range(L, 1, "numa_node", -1, -1, 1 << 16);
    o.map_extra = (uint64_t)ebpf_lua_opt_range(L, 1, "map_extra", 0, 0, LUA_MAXINTEGER);
    o.ifindex = (uint32_t)ebpf_lua_opt_range(L, 1, "ifindex", 0, 0, EBPF_I32_MAX);
    lua_getfield(L, 1, "inner_map");
    if (!lua_isnil(L, -1))
        o.inner_map_fd = ebpf_map_fd(ebpf_lua_tomap(L, -1)->m);
    lua_pop(L, 1);
    /* BTF key/value types: resolved by the BTF layer (ebpf.btf), which
     * passes the fd and ids through these hidden integer fields. */
    lua_getfield(L, 1, "btf");
    lua_getfield(L, 1, "value_type");
    /* a type handle brings its BTF along (ebpf.btf.cdef, the builder) */
    int has_btf = !lua_isnil(L, -2) || luaL_testudata(L, -1, EBPF_BTF_TYPE_MT) != NULL;
    lua_pop(L, 2);
    if (has_btf) {
        lua_getfield(L, lua_upvalueindex(1), "_btf_map_opts");
        if (lua_isnil(L, -1))
            return luaL_error(L, "field 'btf' needs the ebpf.btf module");
        lua_pushvalue(L, 1);
        lua_call(L, 1, 4); /* fd, key id, value id, holder */
        o.btf_fd = (int)luaL_checkinteger(L, -4);
        o.btf_key_type_id = (uint32_t)luaL_checkinteger(L, -3);
        o.btf_value_type_id = (uint32_t)luaL_checkinteger(L, -2);
        /* Sizes default to the types' (holder.key_size / value_size). */
        int holder = lua_gettop(L);
        if (lua_getfield(L, 1, "key_size") == LUA_TNIL && lua_getfield(L, holder, "key_size") == LUA_TNUMBER)
            o.key_size = (uint32_t)lua_tointeger(L, -1);
        lua_settop(L, holder);
        if (lua_getfield(L, 1, "value_size") == LUA_TNIL && lua_getfield(L, holder, "value_size") == LUA_TNUMBER)
            o.value_size = (uint32_t)lua_tointeger(L, -1);
        lua_settop(L, holder);
    }
    lmap *lm = push_closed(L);
    struct ebpf_map *m = ebpf_map_create(&o);
    if (!m)
        return ebpf_lua_fail(L);
    init_from_core(lm, m);
    if (has_btf) {
        /* The holder {key=type, value=type} is the map's codec. */
        lua_pushvalue(L, -2);
        lua_setiuservalue(L, -2, LMAP_UV_CODEC);
        lm->has_codec = 1;
    }
    return 1;
}

static int map_open_pinned(lua_State *L)
{
    const char *path = ebpf_lua_check_path(L, 1, "path");
    lmap *lm = push_closed(L);
    struct ebpf_map *m = ebpf_map_open_pinned(path);
    if (!m)
        return ebpf_lua_fail(L);
    init_from_core(lm, m);
    return 1;
}

static int map_from_id(lua_State *L)
{
    lua_Integer id = ebpf_lua_check_range(L, 1, "map id", 0, 0xffffffffLL);
    lmap *lm = push_closed(L);
    struct ebpf_map *m = ebpf_map_open_id((uint32_t)id);
    if (!m)
        return ebpf_lua_fail(L);
    init_from_core(lm, m);
    return 1;
}

/* from_fd(fd): a handle on a dup of fd (the caller keeps its fd). */
static int map_from_fd(lua_State *L)
{
    int fd = (int)ebpf_lua_check_range(L, 1, "fd", 0, 0x7fffffff);
    lmap *lm = push_closed(L);
    int nfd = ebpf_fd_dup(fd);
    if (nfd < 0)
        return ebpf_lua_fail_msg(L, -nfd, "open", "dup fd %d: %s", fd, strerror(-nfd));
    struct ebpf_map *m = ebpf_map_from_fd(nfd);
    if (!m) {
        close(nfd);
        return ebpf_lua_fail(L);
    }
    init_from_core(lm, m);
    return 1;
}

/* set_types(key_codec, value_codec): installed by ebpf.btf; any object
 * with encode/decode methods works. */
static int map_set_codec(lua_State *L)
{
    lmap *lm = ebpf_lua_tomap(L, 1);
    lua_settop(L, 3);
    if (lua_isnil(L, 2) && lua_isnil(L, 3)) {
        lm->has_codec = 0;
        lua_pushnil(L);
    } else {
        lua_createtable(L, 0, 2);
        lua_pushvalue(L, 2);
        lua_setfield(L, -2, "key");
        lua_pushvalue(L, 3);
        lua_setfield(L, -2, "value");
        lm->has_codec = 1;
    }
    lua_setiuservalue(L, 1, LMAP_UV_CODEC);
    lua_settop(L, 1);
    return 1;
}

void ebpf_lua_open_map(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"lookup", map_lookup},
        {"lookup_bytes", map_lookup_bytes},
        {"update", map_update},
        {"delete", map_delete},
        {"lookup_and_delete", map_lookup_and_delete},
        {"next_key", map_next_key},
        {"keys", map_keys},
        {"push", map_push},
        {"pop", map_pop},
        {"peek", map_peek},
        {"contains", map_contains},
        {"freeze", map_freeze},
        {"arena_read", ebpf_lua_map_arena_read},
        {"arena_write", ebpf_lua_map_arena_write},
        {"arena_base", ebpf_lua_map_arena_base},
        {"lookup_batch", map_lookup_batch},
        {"lookup_and_delete_batch", map_lookup_and_delete_batch},
        {"update_batch", map_update_batch},
        {"delete_batch", map_delete_batch},
        {"pin", map_pin},
        {"unpin", map_unpin},
        {"clone", map_clone},
        {"fd", map_fd},
        {"info", map_info},
        {"set_codec", map_set_codec},
        {"close", map_close},
        {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__newindex", map_newindex},
        {"__pairs", map_pairs},
        {"__gc", map_gc},
        {"__close", map_gc},
        {"__tostring", map_tostring},
        {NULL, NULL},
    };
    luaL_newmetatable(L, EBPF_MAP_MT);
    luaL_setfuncs(L, meta, 0);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "__methods");
    lua_pushcclosure(L, map_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    /* module.map: callable constructor table with open_* functions */
    static const luaL_Reg funcs[] = {
        {"open_pinned", map_open_pinned},
        {"from_id", map_from_id},
        {"from_fd", map_from_fd},
        {NULL, NULL},
    };
    lua_newtable(L);
    luaL_setfuncs(L, funcs, 0);
    lua_newtable(L); /* metatable: __call = new */
    lua_pushvalue(L, -3); /* module table as upvalue, for the btf hook */
    lua_pushcclosure(L, map_new, 1);
    lua_setfield(L, -2, "__call");
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, "map");
}
