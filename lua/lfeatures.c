/* Feature probes for Lua: ebpf.core.feature_probe(kind, ...) -> status,
 * reason, and the name lists the pure-Lua ebpf.features module builds its
 * API and report() on. Unknown names are programming errors and raise. */
#include <string.h>

#include "ebpf/features.h"
#include "ebpf/types.h"
#include "lcommon.h"

static int check_prog_type(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TNUMBER)
        return (int)luaL_checkinteger(L, idx);
    const char *n = luaL_checkstring(L, idx);
    int t = ebpf_feature_prog_type_by_name(n);
    if (t <= 0)
        luaL_error(L, "unknown program type '%s'", n);
    return t;
}

static int push_result(lua_State *L, int st, const char *why)
{
    if (st < 0)
        return luaL_error(L, "%s", ebpf_error_message());
    lua_pushstring(L, ebpf_feature_status_name(st));
    lua_pushstring(L, why ? why : "");
    return 2;
}

/* feature_probe(kind, name [, extra]) -> "supported"|"unsupported"|
 * "inconclusive", reason */
static int feature_probe(lua_State *L)
{
    static const char *const kinds[] = {"prog_type", "map_type", "map_flag", "helper", "btf_kind",
                                        "misc", "link", "kfunc", NULL};
    int kind = luaL_checkoption(L, 1, NULL, kinds);
    const char *why = NULL;
    int st;
    switch (kind) {
    case 0: st = ebpf_feature_prog_type(check_prog_type(L, 2), &why); break;
    case 1: {
        const char *n = luaL_checkstring(L, 2);
        int t = ebpf_feature_map_type_by_name(n);
        if (t <= 0)
            return luaL_error(L, "unknown map type '%s'", n);
        st = ebpf_feature_map_type(t, &why);
        break;
    }
    case 2: {
        const char *n = luaL_checkstring(L, 2);
        unsigned int bit = ebpf_map_flag_by_name(n);
        if (!bit)
            return luaL_error(L, "unknown map flag '%s'", n);
        st = ebpf_feature_map_flag(bit, &why);
        break;
    }
    case 3: {
        int t = check_prog_type(L, 2);
        int id;
        if (lua_type(L, 3) == LUA_TNUMBER) {
            id = (int)luaL_checkinteger(L, 3);
            if (!ebpf_helper_name(id))
                return luaL_error(L, "unknown helper id %d", id);
        } else {
            const char *n = luaL_checkstring(L, 3);
            id = ebpf_helper_id(n);
            if (id <= 0)
                return luaL_error(L, "unknown helper '%s'", n);
        }
        st = ebpf_feature_helper(t, id, &why);
        break;
    }
    case 4: {
        const char *n = luaL_checkstring(L, 2), *kn;
        int k = -1, v;
        for (int i = 0; (kn = ebpf_btf_kind_at(i, &v)); i++)
            if (!strcmp(kn, n))
                k = v;
        if (k < 0)
            return luaL_error(L, "unknown BTF kind '%s'", n);
        st = ebpf_feature_btf_kind(k, &why);
        break;
    }
    case 5: {
        const char *n = luaL_checkstring(L, 2), *mn;
        int found = 0;
        for (int i = 0; (mn = ebpf_feature_misc_at(i)); i++)
            found |= !strcmp(mn, n);
        if (!found)
            return luaL_error(L, "unknown feature '%s'", n);
        st = ebpf_feature_misc(n, &why);
        break;
    }
    case 6: {
        const char *n = luaL_checkstring(L, 2), *ln;
        int found = 0;
        for (int i = 0; (ln = ebpf_feature_link_at(i)); i++)
            found |= !strcmp(ln, n);
        if (!found)
            return luaL_error(L, "unknown link kind '%s'", n);
        st = ebpf_feature_link(n, &why);
        break;
    }
    default: {
        const char *n = luaL_checkstring(L, 2);
        int t = lua_isnoneornil(L, 3) ? 0 : check_prog_type(L, 3);
        st = ebpf_feature_kfunc(n, t, &why);
        break;
    }
    }
    return push_result(L, st, why);
}

static const char *map_flag_at(int i, int *v)
{
    unsigned int bit;
    const char *n = ebpf_map_flag_at(i, &bit);
    if (n && v)
        *v = (int)bit;
    return n;
}
static const char *helper_at(int i, int *v)
{
    /* Ids 1..count-1 (0 is "unspec"). */
    if (i < 0 || i + 1 >= ebpf_helper_count())
        return NULL;
    if (v)
        *v = i + 1;
    return ebpf_helper_name(i + 1);
}
static const char *misc_at(int i, int *v) { (void)v; return ebpf_feature_misc_at(i); }
static const char *link_at(int i, int *v) { (void)v; return ebpf_feature_link_at(i); }

/* feature_names(kind) -> list of names the probes of that kind accept */
static int feature_names(lua_State *L)
{
    static const char *const kinds[] = {"prog_type", "map_type", "map_flag", "helper", "btf_kind",
                                        "misc", "link", NULL};
    static const char *(*const at[])(int, int *) = {
        ebpf_feature_prog_type_at, ebpf_feature_map_type_at, map_flag_at, helper_at,
        ebpf_btf_kind_at, misc_at, link_at,
    };
    int kind = luaL_checkoption(L, 1, NULL, kinds);
    lua_newtable(L);
    const char *n;
    int v = 1, j = 0;
    for (int i = 0; (n = at[kind](i, &v)); i++) {
        if (!strcmp(n, "unspec"))
            continue;
        lua_pushstring(L, n);
        lua_rawseti(L, -2, ++j);
    }
    return 1;
}

/* feature_override(kind, name, status|nil): the probe answers status from
 * now on ("supported", "unsupported", "inconclusive"); nil lifts it. */
static int feature_override(lua_State *L)
{
    static const char *const states[] = {"unsupported", "supported", "inconclusive", NULL};
    const char *kind = luaL_checkstring(L, 1), *name = luaL_checkstring(L, 2);
    int st = lua_isnoneornil(L, 3) ? -1 : luaL_checkoption(L, 3, NULL, states);
    if (ebpf_feature_override(kind, name, st) < 0)
        return luaL_error(L, "%s", ebpf_error_message());
    return 0;
}

static int feature_probe_count(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)ebpf_features_probe_count());
    return 1;
}

void ebpf_lua_open_info(lua_State *L); /* linfo.c: object info for the CLI */

void ebpf_lua_open_features(lua_State *L)
{
    ebpf_lua_open_info(L);
    static const luaL_Reg funcs[] = {
        {"feature_probe", feature_probe},
        {"feature_names", feature_names},
        {"feature_probe_count", feature_probe_count},
        {"feature_override", feature_override},
        {NULL, NULL},
    };
    luaL_setfuncs(L, funcs, 0);
}
