/* ebpf.open / spec:load: ELF objects as an editable ebpf.spec and a loaded
 * ebpf.collection of ebpf.map / ebpf.program objects and variables. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/elf.h"
#include "ebpf/types.h"
#include "elf/ebtf.h"
#include "elf/elf_internal.h"
#include "lelf.h"
#include "lmap.h"
#include "lprog.h"

#define MAPSPEC_MT "ebpf.map_spec"
#define PROGSPEC_MT "ebpf.program_spec"
#define VARS_MT "ebpf.vars"
#define CODEC_MT "ebpf.elf_codec"

typedef struct {
    struct ebpf_spec *s; /* NULL when freed */
    int loaded;
    int closed; /* closed by the user; s kept while collections use it */
} lspec;

typedef struct {
    struct ebpf_collection *c; /* NULL when closed */
} lcoll;

typedef struct {
    int idx;
} lsub; /* map_spec / program_spec: uv1 = the spec */

typedef struct {
    int of_coll; /* uv1 = spec or collection; uv2 = spec */
} lvars;

typedef struct {
    uint32_t type, size;
} lcodec; /* uv1 = spec */

/* ---- spec ---- */

static lspec *tospec(lua_State *L, int idx)
{
    lspec *ls = luaL_checkudata(L, idx, EBPF_SPEC_MT);
    if (!ls->s || ls->closed)
        luaL_error(L, "attempt to use a closed spec");
    return ls;
}

/* For what a collection keeps using from its spec (the object's BTF for
 * map codecs, the variables' layout): works after spec:close(). */
static lspec *spec_of_coll(lua_State *L, int idx)
{
    lspec *ls = luaL_checkudata(L, idx, EBPF_SPEC_MT);
    if (!ls->s)
        luaL_error(L, "attempt to use a closed spec");
    return ls;
}

static void check_editable(lua_State *L, lspec *ls, const char *what)
{
    if (ls->loaded)
        luaL_error(L, "cannot change %s: the spec was already loaded (edit before spec:load())", what);
}

/* ebpf.open(path_or_bytes [, {name=...}]) */
static int elf_open(lua_State *L)
{
    size_t len;
    const char *src = luaL_checklstring(L, 1, &len);
    const char *name = NULL;
    if (!lua_isnoneornil(L, 2)) {
        static const char *const fields[] = {"name", NULL};
        ebpf_lua_check_fields(L, 2, fields);
        name = ebpf_lua_opt_str(L, 2, "name", NULL);
    }
    lspec *ls = lua_newuserdatauv(L, sizeof(lspec), 1);
    ls->s = NULL;
    ls->loaded = 0;
    ls->closed = 0;
    luaL_setmetatable(L, EBPF_SPEC_MT);
    lua_newtable(L);
    lua_setiuservalue(L, -2, 1);
    if (len >= 4 && memcmp(src, "\177ELF", 4) == 0)
        ls->s = ebpf_spec_open_mem(src, len, name);
    else
        ls->s = ebpf_spec_open_file(src);
    if (!ls->s)
        return ebpf_lua_fail(L);
    return 1;
}

/* Once loaded, collections hold the spec (a uservalue) and keep using its
 * BTF and variable layout: close() then only ends the spec's own use, and
 * the memory goes with the last of them (__gc). */
static int spec_close(lua_State *L)
{
    lspec *ls = tospec(L, 1);
    ls->closed = 1;
    if (!ls->loaded) {
        ebpf_spec_free(ls->s);
        ls->s = NULL;
    }
    return 0;
}

/* <close>: as close(), and quiet when already closed. */
static int spec_close_var(lua_State *L)
{
    lspec *ls = luaL_checkudata(L, 1, EBPF_SPEC_MT);
    if (ls->s && !ls->closed)
        spec_close(L);
    return 0;
}

static int spec_gc(lua_State *L)
{
    lspec *ls = luaL_checkudata(L, 1, EBPF_SPEC_MT);
    ebpf_spec_free(ls->s);
    ls->s = NULL;
    return 0;
}

static const char *type_name_or(const char *n) { return n ? n : "?"; }

static int spec_tostring(lua_State *L)
{
    lspec *ls = luaL_checkudata(L, 1, EBPF_SPEC_MT);
    if (!ls->s || ls->closed) {
        lua_pushliteral(L, "ebpf.spec (closed)");
        return 1;
    }
    struct ebpf_spec *s = ls->s;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    lua_pushfstring(L, "ebpf.spec '%s' (%d programs, %d maps, %d variables%s)", s->name, (int)s->nprog,
                    (int)s->nmap, (int)s->nvar, ls->loaded ? ", loaded" : "");
    luaL_addvalue(&b);
    for (size_t i = 0; i < s->nprog; i++) {
        const struct ebpf_prog_spec *p = &s->progs[i];
        lua_pushfstring(L, "\n  program %s: %s, section '%s'%s", p->name, type_name_or(ebpf_prog_type_name(p->type)),
                        p->section, p->autoload ? "" : " (autoload off)");
        luaL_addvalue(&b);
    }
    for (size_t i = 0; i < s->nmap; i++) {
        const struct ebpf_map_spec *m = s->maps[i];
        lua_pushfstring(L, "\n  map %s: %s, key %d, value %d, max_entries %d", m->name,
                        type_name_or(ebpf_map_type_name(m->type)), (int)m->key_size, (int)m->value_size,
                        (int)m->max_entries);
        luaL_addvalue(&b);
    }
    for (size_t i = 0; i < s->nvar; i++) {
        lua_pushfstring(L, "\n  var %s: %d bytes in %s", s->vars[i].name, (int)s->vars[i].size,
                        s->maps[s->vars[i].map]->name);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    return 1;
}

static void push_sub(lua_State *L, int spec_idx, int idx, const char *mt)
{
    lsub *u = lua_newuserdatauv(L, sizeof(lsub), 1);
    u->idx = idx;
    luaL_setmetatable(L, mt);
    lua_pushvalue(L, spec_idx);
    lua_setiuservalue(L, -2, 1);
}

static void push_vars(lua_State *L, int owner_idx, int spec_idx, int of_coll)
{
    lvars *v = lua_newuserdatauv(L, sizeof(lvars), 2);
    v->of_coll = of_coll;
    luaL_setmetatable(L, VARS_MT);
    lua_pushvalue(L, owner_idx);
    lua_setiuservalue(L, -2, 1);
    lua_pushvalue(L, spec_idx);
    lua_setiuservalue(L, -2, 2);
}

static int spec_index(lua_State *L)
{
    lspec *ls = luaL_checkudata(L, 1, EBPF_SPEC_MT);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
        return 1;
    const char *k = lua_tostring(L, 2);
    if (!k)
        return 0;
    if (!ls->s || ls->closed)
        return luaL_error(L, "attempt to use a closed spec");
    struct ebpf_spec *s = ls->s;
    if (!strcmp(k, "name")) {
        lua_pushstring(L, s->name);
        return 1;
    }
    if (!strcmp(k, "license")) {
        lua_pushstring(L, s->license);
        return 1;
    }
    if (!strcmp(k, "kern_version")) {
        lua_pushinteger(L, s->kern_version);
        return 1;
    }
    if (strcmp(k, "maps") && strcmp(k, "programs") && strcmp(k, "vars"))
        return 0;
    /* cached proxies in the user value */
    lua_getiuservalue(L, 1, 1);
    if (lua_getfield(L, -1, k) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    if (k[0] == 'v') {
        push_vars(L, 1, 1, 0);
    } else if (k[0] == 'm') {
        lua_createtable(L, 0, (int)s->nmap);
        for (size_t i = 0; i < s->nmap; i++) {
            push_sub(L, 1, (int)i, MAPSPEC_MT);
            lua_setfield(L, -2, s->maps[i]->name);
        }
    } else {
        lua_createtable(L, 0, (int)s->nprog);
        for (size_t i = 0; i < s->nprog; i++) {
            push_sub(L, 1, (int)i, PROGSPEC_MT);
            lua_setfield(L, -2, s->progs[i].name);
        }
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, k);
    return 1;
}

/* ---- map / program spec proxies ---- */

static lspec *sub_spec(lua_State *L, int idx, const char *mt, lsub **u)
{
    *u = luaL_checkudata(L, idx, mt);
    lua_getiuservalue(L, idx, 1);
    lspec *ls = tospec(L, -1);
    lua_pop(L, 1);
    return ls;
}

/* sub_spec for __tostring, which must not raise on a closed spec: NULL
 * after pushing "<tname> (closed)". */
static lspec *sub_spec_or_closed(lua_State *L, const char *mt, const char *tname, lsub **u)
{
    *u = luaL_checkudata(L, 1, mt);
    lua_getiuservalue(L, 1, 1);
    lspec *ls = luaL_checkudata(L, -1, EBPF_SPEC_MT);
    if (ls->s && !ls->closed)
        return ls;
    lua_pushfstring(L, "%s (closed)", tname);
    return NULL;
}

static const char *const pin_names[] = {"none", "by_name", NULL};

static int mapspec_index(lua_State *L)
{
    lsub *u;
    lspec *ls = sub_spec(L, 1, MAPSPEC_MT, &u);
    const struct ebpf_map_spec *m = ls->s->maps[u->idx];
    const char *k = luaL_checkstring(L, 2);
    if (!strcmp(k, "name")) lua_pushstring(L, m->name);
    else if (!strcmp(k, "type")) lua_pushstring(L, type_name_or(ebpf_map_type_name(m->type)));
    else if (!strcmp(k, "key_size")) lua_pushinteger(L, m->key_size);
    else if (!strcmp(k, "value_size")) lua_pushinteger(L, m->value_size);
    else if (!strcmp(k, "max_entries")) lua_pushinteger(L, m->max_entries);
    else if (!strcmp(k, "flags")) lua_pushinteger(L, m->flags);
    else if (!strcmp(k, "numa_node")) lua_pushinteger(L, m->numa_node);
    else if (!strcmp(k, "map_extra")) lua_pushinteger(L, (lua_Integer)m->map_extra);
    else if (!strcmp(k, "pinning")) lua_pushstring(L, pin_names[m->pinning ? 1 : 0]);
    else if (!strcmp(k, "section")) {
        if (m->kind == EMAP_USER) lua_pushnil(L); else lua_pushstring(L, m->name);
    } else if (!strcmp(k, "inner")) {
        if (m->inner)
            lua_pushfstring(L, "%s (key %d, value %d)", type_name_or(ebpf_map_type_name(m->inner->type)),
                            (int)m->inner->key_size, (int)m->inner->value_size);
        else
            lua_pushnil(L);
    } else lua_pushnil(L);
    return 1;
}

static int mapspec_newindex(lua_State *L)
{
    lsub *u;
    lspec *ls = sub_spec(L, 1, MAPSPEC_MT, &u);
    struct ebpf_map_spec *m = ls->s->maps[u->idx];
    const char *k = luaL_checkstring(L, 2);
    check_editable(L, ls, "a map");
    if (!strcmp(k, "max_entries")) {
        if (m->kind != EMAP_USER)
            return luaL_error(L, "map '%s': a global data map has exactly one entry", m->name);
        m->max_entries = (uint32_t)ebpf_lua_check_range(L, 3, "max_entries", 0, 0xffffffffLL);
    } else if (!strcmp(k, "flags")) {
        m->flags = (uint32_t)ebpf_lua_check_range(L, 3, "flags", 0, 0xffffffffLL);
    } else if (!strcmp(k, "pinning")) {
        m->pinning = luaL_checkoption(L, 3, NULL, pin_names);
    } else {
        return luaL_error(L, "invalid field name '%s' (settable: max_entries, flags, pinning)", k);
    }
    return 0;
}

static int mapspec_tostring(lua_State *L)
{
    lsub *u;
    lspec *ls = sub_spec_or_closed(L, MAPSPEC_MT, "ebpf.map_spec", &u);
    if (!ls)
        return 1;
    const struct ebpf_map_spec *m = ls->s->maps[u->idx];
    lua_pushfstring(L, "ebpf.map_spec '%s' (%s, key %d, value %d, max_entries %d)", m->name,
                    type_name_or(ebpf_map_type_name(m->type)), (int)m->key_size, (int)m->value_size,
                    (int)m->max_entries);
    return 1;
}

static int progspec_index(lua_State *L)
{
    lsub *u;
    lspec *ls = sub_spec(L, 1, PROGSPEC_MT, &u);
    const struct ebpf_prog_spec *p = &ls->s->progs[u->idx];
    const char *k = luaL_checkstring(L, 2);
    if (!strcmp(k, "name")) lua_pushstring(L, p->name);
    else if (!strcmp(k, "section")) lua_pushstring(L, p->section);
    else if (!strcmp(k, "type")) lua_pushstring(L, type_name_or(ebpf_prog_type_name(p->type)));
    else if (!strcmp(k, "attach_type")) {
        const char *n = p->eat_set ? ebpf_attach_type_name(p->eat) : NULL;
        if (p->eat_set && !n)
            lua_pushinteger(L, p->eat);
        else if (n)
            lua_pushstring(L, n);
        else
            lua_pushnil(L);
    } else if (!strcmp(k, "attach_kind")) lua_pushstring(L, ebpf_attach_kind_name(p->info ? p->info->kind : EBPF_ATTACH_NONE));
    else if (!strcmp(k, "target")) lua_pushstring(L, p->target ? p->target : "");
    else if (!strcmp(k, "autoload")) lua_pushboolean(L, p->autoload);
    else if (!strcmp(k, "sleepable")) lua_pushboolean(L, (p->flags & BPF_F_SLEEPABLE) != 0);
    else if (!strcmp(k, "insn_count")) lua_pushinteger(L, ls->s->funcs[p->func].cnt);
    else if (!strcmp(k, "insns")) {
        size_t n;
        const struct bpf_insn *in = ebpf_prog_spec_insns(p, &n);
        lua_pushlstring(L, (const char *)in, n * sizeof(*in));
    } else lua_pushnil(L);
    return 1;
}

static int progspec_newindex(lua_State *L)
{
    lsub *u;
    lspec *ls = sub_spec(L, 1, PROGSPEC_MT, &u);
    struct ebpf_prog_spec *p = &ls->s->progs[u->idx];
    const char *k = luaL_checkstring(L, 2);
    check_editable(L, ls, "a program");
    if (!strcmp(k, "autoload")) {
        luaL_checktype(L, 3, LUA_TBOOLEAN);
        p->autoload = lua_toboolean(L, 3);
    } else if (!strcmp(k, "type")) {
        int t = ebpf_prog_type_by_name(luaL_checkstring(L, 3));
        if (t < 0)
            return luaL_error(L, "unknown program type '%s'", lua_tostring(L, 3));
        p->type = t;
    } else if (!strcmp(k, "attach_type")) {
        int t = ebpf_attach_type_by_name(luaL_checkstring(L, 3));
        if (t < 0)
            return luaL_error(L, "unknown attach type '%s'", lua_tostring(L, 3));
        p->eat = t;
        p->eat_set = true;
    } else {
        return luaL_error(L, "invalid field name '%s' (settable: autoload, type, attach_type)", k);
    }
    return 0;
}

static int progspec_tostring(lua_State *L)
{
    lsub *u;
    lspec *ls = sub_spec_or_closed(L, PROGSPEC_MT, "ebpf.program_spec", &u);
    if (!ls)
        return 1;
    const struct ebpf_prog_spec *p = &ls->s->progs[u->idx];
    lua_pushfstring(L, "ebpf.program_spec '%s' (%s, section '%s')", p->name,
                    type_name_or(ebpf_prog_type_name(p->type)), p->section);
    return 1;
}

/* ---- variables ---- */

static lcoll *tocoll(lua_State *L, int idx);

/* Finds the variable and its bytes: spec image or mmapped map. */
static unsigned char *var_bytes(lua_State *L, int self, const char *name, struct ebpf_spec **sp, struct evar **vp,
                                int *writable)
{
    lvars *v = luaL_checkudata(L, self, VARS_MT);
    lua_getiuservalue(L, self, 2);
    lspec *ls = v->of_coll ? spec_of_coll(L, -1) : tospec(L, -1);
    lua_pop(L, 1);
    struct ebpf_spec *s = ls->s;
    int i = ebpf_spec_var_find(s, name);
    if (i < 0)
        luaL_error(L, "object '%s' has no variable '%s'", s->name, name);
    struct evar *var = &s->vars[i];
    struct ebpf_map_spec *m = s->maps[var->map];
    *sp = s;
    *vp = var;
    if (!v->of_coll) {
        *writable = !ls->loaded;
        if (!m->data) {
            static const unsigned char zeros[4096];
            if (var->size <= sizeof(zeros))
                return (unsigned char *)zeros;
            m->data = calloc(1, m->value_size);
            if (!m->data)
                luaL_error(L, "out of memory");
            m->data_size = m->value_size;
        }
        return (unsigned char *)m->data + var->off;
    }
    lua_getiuservalue(L, self, 1);
    lcoll *lc = tocoll(L, -1);
    int arena = m->type == EBPF_MAP_TYPE_ARENA; /* the arena map object owns the memory */
    if (arena) {
        lua_getiuservalue(L, -1, 1);
        lua_getfield(L, -1, "maps");
        lua_getfield(L, -1, m->name);
        lmap *lm = luaL_testudata(L, -1, EBPF_MAP_MT);
        if (!lm || !lm->m)
            luaL_error(L, "variable '%s': its arena map '%s' is closed", name, m->name);
        lua_pop(L, 3);
    }
    lua_pop(L, 1);
    size_t sz;
    unsigned char *mem = ebpf_collection_map_mmap(lc->c, (size_t)var->map, &sz);
    if (!mem)
        luaL_error(L, "variable '%s': map '%s' is not mmapped (kernel without BPF_F_MMAPABLE)", name, m->name);
    *writable = m->kind == EMAP_DATA || m->kind == EMAP_BSS || arena;
    return mem + var->off;
}

static int vars_index(lua_State *L)
{
    const char *name = luaL_checkstring(L, 2);
    struct ebpf_spec *s;
    struct evar *v;
    int w;
    unsigned char *p = var_bytes(L, 1, name, &s, &v, &w);
    if (s->obtf && v->btf_type)
        elf_codec_decode(L, s->obtf, v->btf_type, p, v->size);
    else
        ebpf_lua_push_bytes_value(L, p, v->size);
    return 1;
}

static int vars_newindex(lua_State *L)
{
    const char *name = luaL_checkstring(L, 2);
    lvars *lv = luaL_checkudata(L, 1, VARS_MT);
    struct ebpf_spec *s;
    struct evar *v;
    int w;
    unsigned char *p = var_bytes(L, 1, name, &s, &v, &w);
    if (!w) {
        if (!lv->of_coll)
            return luaL_error(L, "cannot change variable '%s': the spec was already loaded (edit before spec:load())",
                              name);
        return luaL_error(L, "variable '%s' is read-only after load (section %s)", name, s->maps[v->map]->name);
    }
    unsigned char *tmp = lua_newuserdatauv(L, v->size ? v->size : 1, 0);
    memcpy(tmp, p, v->size);
    char what[300];
    snprintf(what, sizeof(what), "variable '%s'", name);
    if (s->obtf && v->btf_type) {
        elf_codec_encode(L, 3, s->obtf, v->btf_type, tmp, v->size, what);
    } else {
        ebpf_lua_to_bytes(L, 3, tmp, v->size, "variable", name);
    }
    if (!lv->of_coll) {
        int i = ebpf_spec_var_find(s, name);
        if (ebpf_spec_var_set(s, (size_t)i, tmp, v->size) < 0)
            return luaL_error(L, "%s", ebpf_error_message());
    } else {
        memcpy(p, tmp, v->size);
    }
    return 0;
}

static int vars_next(lua_State *L)
{
    lvars *lv = luaL_checkudata(L, 1, VARS_MT);
    lua_getiuservalue(L, 1, 2);
    lspec *ls = lv->of_coll ? spec_of_coll(L, -1) : tospec(L, -1);
    lua_pop(L, 1);
    lua_Integer i = 0;
    if (!lua_isnil(L, 2)) {
        int f = ebpf_spec_var_find(ls->s, luaL_checkstring(L, 2));
        i = f < 0 ? (lua_Integer)ls->s->nvar : f + 1;
    }
    if ((size_t)i >= ls->s->nvar)
        return 0;
    lua_pushstring(L, ls->s->vars[i].name);
    lua_pushvalue(L, -1);
    lua_gettable(L, 1);
    return 2;
}

static int vars_pairs(lua_State *L)
{
    luaL_checkudata(L, 1, VARS_MT);
    lua_pushcfunction(L, vars_next);
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

static int vars_tostring(lua_State *L)
{
    lvars *lv = luaL_checkudata(L, 1, VARS_MT);
    lua_pushstring(L, lv->of_coll ? "ebpf.vars (collection)" : "ebpf.vars (spec)");
    return 1;
}

/* ---- BTF codec for map keys/values ---- */

static int codec_decode(lua_State *L)
{
    lcodec *c = luaL_checkudata(L, 1, CODEC_MT);
    size_t len;
    const char *bytes;
    uint64_t iv;
    if (lua_type(L, 2) == LUA_TNUMBER) { /* lmap hands 1/2/4/8-byte values over as integers */
        iv = (uint64_t)luaL_checkinteger(L, 2);
        bytes = (const char *)&iv;
        len = c->size <= 8 ? c->size : 8;
    } else {
        bytes = luaL_checklstring(L, 2, &len);
    }
    lua_getiuservalue(L, 1, 1);
    lspec *ls = spec_of_coll(L, -1);
    if (len < c->size)
        return luaL_error(L, "decode: %d bytes for a %d-byte type", (int)len, (int)c->size);
    elf_codec_decode(L, ls->s->obtf, c->type, (const unsigned char *)bytes, c->size);
    return 1;
}

static int codec_encode(lua_State *L)
{
    lcodec *c = luaL_checkudata(L, 1, CODEC_MT);
    lua_getiuservalue(L, 1, 1);
    lspec *ls = spec_of_coll(L, -1);
    unsigned char *tmp = lua_newuserdatauv(L, c->size ? c->size : 1, 0);
    memset(tmp, 0, c->size);
    elf_codec_encode(L, 2, ls->s->obtf, c->type, tmp, c->size, "map value");
    lua_pushlstring(L, (const char *)tmp, c->size);
    return 1;
}

static void push_codec(lua_State *L, int spec_idx, uint32_t type, uint32_t size)
{
    lcodec *c = lua_newuserdatauv(L, sizeof(lcodec), 1);
    c->type = type;
    c->size = size;
    luaL_setmetatable(L, CODEC_MT);
    lua_pushvalue(L, spec_idx);
    lua_setiuservalue(L, -2, 1);
}

/* ---- load / collection ---- */

static lcoll *tocoll(lua_State *L, int idx)
{
    lcoll *lc = luaL_checkudata(L, idx, EBPF_COLL_MT);
    if (!lc->c)
        luaL_error(L, "attempt to use a closed collection");
    return lc;
}

static int has_codec_types(const struct ebpf_map_spec *m)
{
    if (m->kind != EMAP_USER || !m->btf_value_id)
        return 0;
    switch (m->type) {
    case BPF_MAP_TYPE_PROG_ARRAY: case BPF_MAP_TYPE_ARRAY_OF_MAPS: case BPF_MAP_TYPE_HASH_OF_MAPS:
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY: case BPF_MAP_TYPE_RINGBUF:
        return 0;
    default:
        return 1;
    }
}

static int spec_load(lua_State *L)
{
    lspec *ls = tospec(L, 1);
    struct ebpf_spec *s = ls->s;
    struct ebpf_load_opts o;
    memset(&o, 0, sizeof(o));
    struct ebpf_map_replacement rep[64];
    size_t nrep = 0;
    if (!lua_isnoneornil(L, 2)) {
        static const char *const fields[] = {"pin_root", "kernel_btf", "log_level", "replace_maps", "token_path",
                                             NULL};
        ebpf_lua_check_fields(L, 2, fields);
        o.pin_root = ebpf_lua_opt_str(L, 2, "pin_root", NULL);
        o.token_path = ebpf_lua_opt_str(L, 2, "token_path", NULL);
        o.kernel_btf = ebpf_lua_opt_str(L, 2, "kernel_btf", NULL);
        o.log_level = (uint32_t)ebpf_lua_opt_range(L, 2, "log_level", 0, 0, 15);
        if (lua_getfield(L, 2, "replace_maps") == LUA_TTABLE) {
            lua_pushnil(L);
            while (lua_next(L, -2)) {
                const char *n = luaL_checkstring(L, -2);
                if (!ebpf_spec_map_by_name(s, n))
                    return luaL_error(L, "replace_maps: object '%s' has no map '%s'", s->name, n);
                if (nrep == sizeof(rep) / sizeof(rep[0]))
                    return luaL_error(L, "replace_maps: too many maps");
                rep[nrep].name = n;
                rep[nrep].map = ebpf_lua_tomap(L, -1)->m;
                nrep++;
                lua_pop(L, 1);
            }
        } else if (!lua_isnil(L, -1)) {
            return luaL_error(L, "field 'replace_maps' must be a table {name = ebpf.map}");
        }
        /* keep the table on the stack: names are borrowed from it */
    }
    o.replace = rep;
    o.n_replace = nrep;
    struct ebpf_collection *c = ebpf_collection_load(s, &o);
    if (!c)
        return ebpf_lua_fail(L);
    ls->loaded = 1;
    lcoll *lc = lua_newuserdatauv(L, sizeof(lcoll), 2);
    lc->c = c;
    luaL_setmetatable(L, EBPF_COLL_MT);
    int coll = lua_gettop(L);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, coll, 2);
    lua_createtable(L, 0, 3); /* uv1: {maps=, programs=, vars=} */
    lua_createtable(L, 0, (int)s->nmap);
    for (size_t i = 0; i < s->nmap; i++) {
        struct ebpf_map *m = ebpf_collection_take_map(c, i);
        lmap *lm = ebpf_lua_push_map(L, m);
        if (!lm)
            continue;
        lua_pushvalue(L, coll);
        lua_setiuservalue(L, -2, LMAP_UV_PARENT);
        const struct ebpf_map_spec *ms = s->maps[i];
        if (s->obtf && has_codec_types(ms)) {
            lua_createtable(L, 0, 2);
            if (ms->btf_key_id && ms->key_size) {
                push_codec(L, 1, ms->btf_key_id, ms->key_size);
                lua_setfield(L, -2, "key");
            }
            push_codec(L, 1, ms->btf_value_id, ms->value_size);
            lua_setfield(L, -2, "value");
            lua_setiuservalue(L, -2, LMAP_UV_CODEC);
            lm->has_codec = 1;
        }
        lua_setfield(L, -2, ms->name);
    }
    lua_setfield(L, -2, "maps");
    lua_createtable(L, 0, (int)s->nprog);
    for (size_t i = 0; i < s->nprog; i++) {
        const struct ebpf_prog_spec *ps = &s->progs[i];
        struct ebpf_prog *p = ebpf_collection_take_prog(c, i);
        if (!ebpf_lua_push_prog(L, p))
            continue;
        lua_pushvalue(L, coll);
        lua_setiuservalue(L, -2, LPROG_UV_PARENT);
        lua_createtable(L, 0, 4);
        lua_pushstring(L, ps->section);
        lua_setfield(L, -2, "section");
        lua_pushstring(L, ebpf_attach_kind_name(ps->info ? ps->info->kind : EBPF_ATTACH_NONE));
        lua_setfield(L, -2, "attach_kind");
        lua_pushstring(L, ps->target ? ps->target : "");
        lua_setfield(L, -2, "target");
        lua_pushboolean(L, (ps->flags & BPF_F_SLEEPABLE) != 0);
        lua_setfield(L, -2, "sleepable");
        lua_setiuservalue(L, -2, LPROG_UV_EXTRA);
        lua_setfield(L, -2, ps->name);
    }
    lua_setfield(L, -2, "programs");
    push_vars(L, coll, 1, 1);
    lua_setfield(L, -2, "vars");
    lua_setiuservalue(L, coll, 1);
    lua_settop(L, coll);
    return 1;
}

static void close_children(lua_State *L, int self)
{
    if (lua_getiuservalue(L, self, 1) != LUA_TTABLE) {
        lua_pop(L, 1);
        return;
    }
    static const char *const kinds[] = {"maps", "programs"};
    for (int k = 0; k < 2; k++) {
        lua_getfield(L, -1, kinds[k]);
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            int open = k == 0 ? ((lmap *)lua_touserdata(L, -1))->m != NULL : ((lprog *)lua_touserdata(L, -1))->p != NULL;
            if (open) {
                lua_getfield(L, -1, "close");
                lua_pushvalue(L, -2);
                lua_call(L, 1, 0);
            }
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
}

/* The collection at 1 and the children it still owns. */
static void close_all(lua_State *L, lcoll *lc)
{
    close_children(L, 1);
    ebpf_collection_close(lc->c);
    lc->c = NULL;
}

static int coll_close(lua_State *L)
{
    close_all(L, tocoll(L, 1));
    return 0;
}

static int coll_gc(lua_State *L)
{
    lcoll *lc = luaL_checkudata(L, 1, EBPF_COLL_MT);
    /* children hold the collection alive, so at __gc they are garbage
     * too and close themselves; __close closes them explicitly */
    ebpf_collection_close(lc->c);
    lc->c = NULL;
    return 0;
}

static int coll_close_meta(lua_State *L)
{
    lcoll *lc = luaL_checkudata(L, 1, EBPF_COLL_MT);
    if (lc->c)
        close_all(L, lc);
    return 0;
}

static int coll_index(lua_State *L)
{
    lcoll *lc = luaL_checkudata(L, 1, EBPF_COLL_MT);
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
        return 1;
    const char *k = lua_tostring(L, 2);
    if (!k)
        return 0;
    if (!lc->c)
        return luaL_error(L, "attempt to use a closed collection");
    if (!strcmp(k, "spec")) {
        lua_getiuservalue(L, 1, 2);
        return 1;
    }
    if (strcmp(k, "maps") && strcmp(k, "programs") && strcmp(k, "vars"))
        return 0;
    lua_getiuservalue(L, 1, 1);
    lua_getfield(L, -1, k);
    return 1;
}

static int coll_tostring(lua_State *L)
{
    lcoll *lc = luaL_checkudata(L, 1, EBPF_COLL_MT);
    if (!lc->c) {
        lua_pushliteral(L, "ebpf.collection (closed)");
        return 1;
    }
    lua_getiuservalue(L, 1, 2);
    lspec *ls = luaL_checkudata(L, -1, EBPF_SPEC_MT);
    lua_getiuservalue(L, 1, 1);
    int t = lua_gettop(L);
    /* The lines are gathered in a table first: nothing may be pushed
     * between the operations of an open luaL_Buffer but the value that
     * luaL_addvalue takes. */
    lua_newtable(L);
    int parts = lua_gettop(L), n = 1, np = 0, nm = 0;
    for (int k = 0; k < 2; k++) {
        lua_getfield(L, t, k ? "maps" : "programs");
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            lua_pushliteral(L, "\n  ");
            lua_rawseti(L, parts, ++n);
            luaL_tolstring(L, -1, NULL);
            lua_rawseti(L, parts, ++n);
            lua_pop(L, 1);
            if (k) nm++; else np++;
        }
        lua_pop(L, 1);
    }
    lua_pushfstring(L, "ebpf.collection '%s' (%d programs, %d maps)", ls->s ? ls->s->name : "?", np, nm);
    lua_rawseti(L, parts, 1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, parts, i);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    return 1;
}

/* ebpf.section_info(name) -> {type=, attach_type=, attach_kind=, target=, sleepable=} or nil */
static int section_info(lua_State *L)
{
    const char *target;
    const struct ebpf_sec_info *si = ebpf_sec_info_find(luaL_checkstring(L, 1), &target);
    if (!si)
        return 0;
    lua_createtable(L, 0, 6);
    lua_pushstring(L, type_name_or(ebpf_prog_type_name(si->prog_type)));
    lua_setfield(L, -2, "type");
    if (si->has_attach_type) {
        const char *n = ebpf_attach_type_name(si->expected_attach_type);
        if (n) lua_pushstring(L, n); else lua_pushinteger(L, si->expected_attach_type);
        lua_setfield(L, -2, "attach_type");
    }
    lua_pushstring(L, ebpf_attach_kind_name(si->kind));
    lua_setfield(L, -2, "attach_kind");
    lua_pushstring(L, target);
    lua_setfield(L, -2, "target");
    lua_pushboolean(L, si->sleepable);
    lua_setfield(L, -2, "sleepable");
    lua_pushstring(L, si->prefix);
    lua_setfield(L, -2, "prefix");
    return 1;
}

static void new_meta(lua_State *L, const char *name, const luaL_Reg *meta)
{
    luaL_newmetatable(L, name);
    luaL_setfuncs(L, meta, 0);
    lua_pop(L, 1);
}

void ebpf_lua_open_elf(lua_State *L)
{
    static const luaL_Reg spec_methods[] = {{"load", spec_load}, {"close", spec_close}, {NULL, NULL}};
    static const luaL_Reg spec_meta[] = {
        {"__gc", spec_gc}, {"__close", spec_close_var}, {"__tostring", spec_tostring}, {NULL, NULL}};
    luaL_newmetatable(L, EBPF_SPEC_MT);
    luaL_setfuncs(L, spec_meta, 0);
    lua_newtable(L);
    luaL_setfuncs(L, spec_methods, 0);
    lua_pushcclosure(L, spec_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    static const luaL_Reg coll_methods[] = {{"close", coll_close}, {NULL, NULL}};
    static const luaL_Reg coll_meta[] = {
        {"__gc", coll_gc}, {"__close", coll_close_meta}, {"__tostring", coll_tostring}, {NULL, NULL}};
    luaL_newmetatable(L, EBPF_COLL_MT);
    luaL_setfuncs(L, coll_meta, 0);
    lua_newtable(L);
    luaL_setfuncs(L, coll_methods, 0);
    lua_pushcclosure(L, coll_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    static const luaL_Reg ms_meta[] = {
        {"__index", mapspec_index}, {"__newindex", mapspec_newindex}, {"__tostring", mapspec_tostring}, {NULL, NULL}};
    new_meta(L, MAPSPEC_MT, ms_meta);
    static const luaL_Reg ps_meta[] = {{"__index", progspec_index},
                                       {"__newindex", progspec_newindex},
                                       {"__tostring", progspec_tostring},
                                       {NULL, NULL}};
    new_meta(L, PROGSPEC_MT, ps_meta);
    static const luaL_Reg vars_meta[] = {{"__index", vars_index},
                                         {"__newindex", vars_newindex},
                                         {"__pairs", vars_pairs},
                                         {"__tostring", vars_tostring},
                                         {NULL, NULL}};
    new_meta(L, VARS_MT, vars_meta);
    luaL_newmetatable(L, CODEC_MT);
    lua_newtable(L);
    lua_pushcfunction(L, codec_decode);
    lua_setfield(L, -2, "decode");
    lua_pushcfunction(L, codec_encode);
    lua_setfield(L, -2, "encode");
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    lua_pushcfunction(L, elf_open);
    lua_setfield(L, -2, "elf_open");
    lua_pushcfunction(L, section_info);
    lua_setfield(L, -2, "section_info");
}
