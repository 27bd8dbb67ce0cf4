/* ebpf.link: one Lua type for every attach kind. A link keeps its program
 * (and any map or socket it needs) alive through user values; close() and
 * GC detach. Constructors live in the ebpf.link table. */
#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/link.h"
#include "ebpf/sys.h"
#include "ebpf/types.h"
#include "lmap.h"
#include "lprog.h"

#define EBPF_LINK_MT "ebpf.link"
#define EBPF_ITER_MT "ebpf.iter_reader"
#define LLINK_UV_PROG 1  /* the program, kept alive */
#define LLINK_UV_EXTRA 2 /* map / socket object the attachment depends on */
#define LLINK_NUV 2

typedef struct {
    struct ebpf_link *l; /* NULL when closed */
} llink;

typedef struct {
    int fd; /* -1 when closed */
} liter;

static llink *tolink(lua_State *L, int idx)
{
    llink *ll = luaL_checkudata(L, idx, EBPF_LINK_MT);
    if (!ll->l)
        luaL_error(L, "attempt to use a closed link");
    return ll;
}

/* Creates the closed userdata first (no leak if Lua runs out of memory),
 * remembering the program at prog_idx (0: none). */
static llink *new_closed(lua_State *L, int prog_idx)
{
    if (prog_idx)
        prog_idx = lua_absindex(L, prog_idx);
    llink *ll = lua_newuserdatauv(L, sizeof(llink), LLINK_NUV);
    ll->l = NULL;
    luaL_setmetatable(L, EBPF_LINK_MT);
    if (prog_idx) {
        lua_pushvalue(L, prog_idx);
        lua_setiuservalue(L, -2, LLINK_UV_PROG);
    }
    return ll;
}

static int finish(lua_State *L, llink *ll, struct ebpf_link *l)
{
    if (!l)
        return ebpf_lua_fail(L);
    ll->l = l;
    return 1;
}

static void set_extra(lua_State *L, int link_idx, int val_idx)
{
    link_idx = lua_absindex(L, link_idx);
    lua_pushvalue(L, val_idx);
    lua_setiuservalue(L, link_idx, LLINK_UV_EXTRA);
}

static struct ebpf_prog *checkprog(lua_State *L, int idx) { return ebpf_lua_toprog(L, idx)->p; }

static int opt_table(lua_State *L, int idx, const char *const fields[])
{
    if (lua_isnoneornil(L, idx))
        return 0;
    ebpf_lua_check_fields(L, idx, fields);
    return idx;
}

/* A 64-bit quantity given as a Lua integer: offsets, addresses, periods
 * must be >= 0; cookies are any 64-bit pattern (opt_cookie). */
static uint64_t opt_u64(lua_State *L, int idx, const char *k)
{
    return (uint64_t)ebpf_lua_opt_range(L, idx, k, 0, 0, LUA_MAXINTEGER);
}

static uint64_t opt_cookie(lua_State *L, int idx, const char *k)
{
    return (uint64_t)ebpf_lua_opt_range(L, idx, k, 0, LUA_MININTEGER, LUA_MAXINTEGER);
}

/* An fd given as an integer or an object with getfd()/fd() (luasocket,
 * ebpf objects). */
static int check_fd(lua_State *L, int idx, const char *what)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) == LUA_TNUMBER)
        return (int)ebpf_lua_check_range(L, idx, what, 0, 0x7fffffff);
    if (lua_type(L, idx) == LUA_TUSERDATA || lua_type(L, idx) == LUA_TTABLE) {
        static const char *const meths[] = {"getfd", "fd"};
        for (int i = 0; i < 2; i++) {
            lua_getfield(L, idx, meths[i]);
            if (lua_isfunction(L, -1)) {
                lua_pushvalue(L, idx);
                lua_call(L, 1, 1);
                lua_Integer fd = luaL_checkinteger(L, -1);
                lua_pop(L, 1);
                if (fd < 0)
                    luaL_error(L, "%s: the object has no open fd", what);
                return (int)fd;
            }
            lua_pop(L, 1);
        }
    }
    return luaL_error(L, "%s must be an fd or an object with getfd()/fd(), got %s", what, luaL_typename(L, idx));
}

static int check_ifindex(lua_State *L, int idx)
{
    if (lua_isinteger(L, idx))
        return (int)ebpf_lua_check_range(L, idx, "ifindex", 1, 0x7fffffff);
    const char *n = luaL_checkstring(L, idx);
    unsigned i = if_nametoindex(n);
    if (!i)
        return -1;
    return (int)i;
}

static int no_iface(lua_State *L, int idx)
{
    return ebpf_lua_fail_msg(L, ENODEV, "attach", "interface '%s' not found", lua_tostring(L, idx));
}

/* ---- constructors ---- */

static int l_tracepoint(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    const char *cat = ebpf_lua_check_path(L, 2, "category"), *name = ebpf_lua_check_path(L, 3, "name");
    static const char *const f[] = {"cookie", NULL};
    int o = opt_table(L, 4, f);
    llink *ll = new_closed(L, 1);
    return finish(L, ll, ebpf_link_tracepoint(p, cat, name, opt_cookie(L, o, "cookie")));
}

static int l_raw_tracepoint(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    const char *name = ebpf_lua_check_path(L, 2, "name");
    llink *ll = new_closed(L, 1);
    return finish(L, ll, ebpf_link_raw_tracepoint(p, name));
}

static int l_tracing(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    static const char *const f[] = {"cookie", NULL};
    int o = opt_table(L, 2, f);
    llink *ll = new_closed(L, 1);
    return finish(L, ll, ebpf_link_tracing(p, opt_cookie(L, o, "cookie")));
}

static int l_freplace(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    static const char *const f[] = {"target", "btf_id", NULL};
    int o = opt_table(L, 2, f);
    int tfd = -1;
    if (o) {
        lua_getfield(L, o, "target");
        if (!lua_isnil(L, -1))
            tfd = ebpf_prog_fd(checkprog(L, -1));
        lua_pop(L, 1);
    }
    llink *ll = new_closed(L, 1);
    return finish(L, ll, ebpf_link_freplace(p, tfd, (uint32_t)ebpf_lua_opt_range(L, o, "btf_id", 0, 0, EBPF_U32_MAX)));
}

/* kprobe(prog, func | {func=, offset=, addr=, retprobe=, maxactive=, cookie=, tracefs=}) */
static int kprobe_common(lua_State *L, int ret)
{
    struct ebpf_prog *p = checkprog(L, 1);
    struct ebpf_kprobe_opts ko;
    memset(&ko, 0, sizeof(ko));
    ko.retprobe = ret;
    int o = 0;
    if (lua_type(L, 2) == LUA_TSTRING) {
        ko.func = lua_tostring(L, 2);
        o = 3;
    } else {
        o = 2;
        luaL_checktype(L, 2, LUA_TTABLE);
    }
    static const char *const f[] = {"func", "offset", "addr", "retprobe", "maxactive", "cookie", "tracefs", NULL};
    o = opt_table(L, o, f);
    if (o) {
        ko.func = ebpf_lua_opt_str(L, o, "func", ko.func);
        ko.offset = opt_u64(L, o, "offset");
        ko.addr = opt_u64(L, o, "addr");
        ko.retprobe = ebpf_lua_opt_bool(L, o, "retprobe", ret);
        ko.maxactive = (int)ebpf_lua_opt_range(L, o, "maxactive", 0, 0, 1 << 20);
        ko.cookie = opt_cookie(L, o, "cookie");
        ko.force_tracefs = ebpf_lua_opt_bool(L, o, "tracefs", 0);
    }
    if (!ko.func && !ko.addr)
        return luaL_error(L, "kprobe: a function name or 'addr' is required");
    llink *ll = new_closed(L, 1);
    return finish(L, ll, ebpf_link_kprobe(p, &ko));
}
static int l_kprobe(lua_State *L) { return kprobe_common(L, 0); }
static int l_kretprobe(lua_State *L) { return kprobe_common(L, 1); }

static int l_ksyscall(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    const char *name = ebpf_lua_check_path(L, 2, "name");
    static const char *const f[] = {"retprobe", "cookie", NULL};
    int o = opt_table(L, 3, f);
    llink *ll = new_closed(L, 1);
    return finish(L, ll, ebpf_link_ksyscall(p, name, o ? ebpf_lua_opt_bool(L, o, "retprobe", 0) : 0,
                                            opt_cookie(L, o, "cookie")));
}

static int l_syscall_func(lua_State *L)
{
    char buf[160];
    if (ebpf_link_syscall_func(ebpf_lua_check_path(L, 1, "name"), buf, sizeof(buf)) < 0)
        return luaL_error(L, "syscall name too long");
    lua_pushstring(L, buf);
    return 1;
}

/* Reads a sequence field as a temporary array (a userdata on the stack). */
static void *seq_field(lua_State *L, int o, const char *k, int strings, size_t *cnt)
{
    lua_getfield(L, o, k);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return NULL;
    }
    luaL_checktype(L, -1, LUA_TTABLE);
    size_t n = (size_t)lua_rawlen(L, -1);
    if (*cnt && n != *cnt)
        luaL_error(L, "field '%s' has %d entries, expected %d", k, (int)n, (int)*cnt);
    *cnt = n;
    void *arr = lua_newuserdatauv(L, (n ? n : 1) * 8, 0);
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, -2, (lua_Integer)i + 1);
        if (strings)
            ((const char **)arr)[i] = ebpf_lua_check_path(L, -1, "name"); /* kept alive by the opts table */
        else
            ((uint64_t *)arr)[i] = (uint64_t)luaL_checkinteger(L, -1);
        lua_pop(L, 1);
    }
    lua_remove(L, -2);
    return arr;
}

static int l_kprobe_multi(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    static const char *const f[] = {"syms", "addrs", "cookies", "pattern", "retprobe", NULL};
    int o = opt_table(L, 2, f);
    if (!o)
        return luaL_error(L, "kprobe_multi: options {syms=, addrs= or pattern=} required");
    struct ebpf_kprobe_multi_opts ko;
    memset(&ko, 0, sizeof(ko));
    ko.pattern = ebpf_lua_opt_str(L, o, "pattern", NULL);
    ko.retprobe = ebpf_lua_opt_bool(L, o, "retprobe", 0);
    ko.syms = seq_field(L, o, "syms", 1, &ko.cnt);
    ko.addrs = seq_field(L, o, "addrs", 0, &ko.cnt);
    ko.cookies = seq_field(L, o, "cookies", 0, &ko.cnt);
    if (!ko.pattern && !ko.syms && !ko.addrs)
        return luaL_error(L, "kprobe_multi: one of syms, addrs or pattern is required");
    llink *ll = new_closed(L, 1);
    return finish(L, ll, ebpf_link_kprobe_multi(p, &ko));
}

/* tracing_multi(prog, {funcs= | btf_ids= | pattern=, cookies=}) */
static int l_tracing_multi(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    static const char *const f[] = {"funcs", "btf_ids", "cookies", "pattern", NULL};
    int o = opt_table(L, 2, f);
    if (!o)
        return luaL_error(L, "tracing_multi: options {funcs=, btf_ids= or pattern=} required");
    struct ebpf_tracing_multi_opts to;
    memset(&to, 0, sizeof(to));
    to.pattern = ebpf_lua_opt_str(L, o, "pattern", NULL);
    to.funcs = seq_field(L, o, "funcs", 1, &to.cnt);
    uint64_t *ids64 = seq_field(L, o, "btf_ids", 0, &to.cnt);
    to.cookies = seq_field(L, o, "cookies", 0, &to.cnt);
    if (!to.pattern && !to.funcs && !ids64)
        return luaL_error(L, "tracing_multi: one of funcs, btf_ids or pattern is required");
    if (ids64) {
        uint32_t *ids = lua_newuserdatauv(L, (to.cnt ? to.cnt : 1) * sizeof(uint32_t), 0);
        for (size_t i = 0; i < to.cnt; i++) {
            if (ids64[i] == 0 || ids64[i] > UINT32_MAX)
                return luaL_error(L, "tracing_multi: btf_ids[%d] is not a BTF type id", (int)i + 1);
            ids[i] = (uint32_t)ids64[i];
        }
        to.btf_ids = ids;
    }
    llink *ll = new_closed(L, 1);
    return finish(L, ll, ebpf_link_tracing_multi(p, &to));
}

static int uprobe_common(lua_State *L, int ret)
{
    struct ebpf_prog *p = checkprog(L, 1);
    static const char *const f[] = {"path", "symbol", "func", "offset", "address", "pid", "retprobe",
                                    "ref_ctr_offset", "cookie", "tracefs", NULL};
    luaL_checktype(L, 2, LUA_TTABLE);
    int o = opt_table(L, 2, f);
    struct ebpf_uprobe_opts uo;
    memset(&uo, 0, sizeof(uo));
    uo.path = ebpf_lua_opt_str(L, o, "path", NULL);
    if (!uo.path)
        return luaL_error(L, "uprobe: field 'path' is required");
    uo.symbol = ebpf_lua_opt_str(L, o, "symbol", ebpf_lua_opt_str(L, o, "func", NULL));
    uo.offset = opt_u64(L, o, "offset");
    uo.address = opt_u64(L, o, "address");
    uo.pid = (int)ebpf_lua_opt_range(L, o, "pid", -1, -1, EBPF_I32_MAX);
    uo.retprobe = ebpf_lua_opt_bool(L, o, "retprobe", ret);
    uo.ref_ctr_offset = opt_u64(L, o, "ref_ctr_offset");
    uo.cookie = opt_cookie(L, o, "cookie");
    uo.force_tracefs = ebpf_lua_opt_bool(L, o, "tracefs", 0);
    llink *ll = new_closed(L, 1);
    return finish(L, ll, ebpf_link_uprobe(p, &uo));
}
static int l_uprobe(lua_State *L) { return uprobe_common(L, 0); }
static int l_uretprobe(lua_State *L) { return uprobe_common(L, 1); }

static int l_uprobe_multi(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    static const char *const f[] = {"path", "syms", "pattern", "offsets", "ref_ctr_offsets", "cookies", "pid",
                                    "retprobe", NULL};
    luaL_checktype(L, 2, LUA_TTABLE);
    int o = opt_table(L, 2, f);
    struct ebpf_uprobe_multi_opts uo;
    memset(&uo, 0, sizeof(uo));
    uo.path = ebpf_lua_opt_str(L, o, "path", NULL);
    if (!uo.path)
        return luaL_error(L, "uprobe_multi: field 'path' is required");
    uo.syms = seq_field(L, o, "syms", 1, &uo.cnt);
    uo.offsets = seq_field(L, o, "offsets", 0, &uo.cnt);
    uo.ref_ctr_offsets = seq_field(L, o, "ref_ctr_offsets", 0, &uo.cnt);
    uo.cookies = seq_field(L, o, "cookies", 0, &uo.cnt);
    uo.pid = (int)ebpf_lua_opt_range(L, o, "pid", -1, -1, EBPF_I32_MAX);
    uo.retprobe = ebpf_lua_opt_bool(L, o, "retprobe", 0);
    uo.pattern = ebpf_lua_opt_str(L, o, "pattern", NULL);
    if (!uo.syms && !uo.offsets && !uo.pattern)
        return luaL_error(L, "uprobe_multi: 'syms', 'pattern' or 'offsets' is required");
    llink *ll = new_closed(L, 1);
    return finish(L, ll, ebpf_link_uprobe_multi(p, &uo));
}

static int l_usdt(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    static const char *const f[] = {"path", "provider", "name", "pid", "cookie", "spec_map", NULL};
    luaL_checktype(L, 2, LUA_TTABLE);
    int o = opt_table(L, 2, f);
    struct ebpf_usdt_opts uo;
    memset(&uo, 0, sizeof(uo));
    uo.path = ebpf_lua_opt_str(L, o, "path", NULL);
    uo.provider = ebpf_lua_opt_str(L, o, "provider", NULL);
    uo.name = ebpf_lua_opt_str(L, o, "name", NULL);
    if (!uo.path || !uo.provider || !uo.name)
        return luaL_error(L, "usdt: fields 'path', 'provider' and 'name' are required");
    uo.pid = (int)ebpf_lua_opt_range(L, o, "pid", -1, -1, EBPF_I32_MAX);
    uo.cookie = opt_cookie(L, o, "cookie");
    uo.spec_map_fd = -1;
    lua_getfield(L, o, "spec_map");
    int map_idx = lua_gettop(L);
    if (!lua_isnil(L, -1))
        uo.spec_map_fd = ebpf_map_fd(ebpf_lua_tomap(L, -1)->m);
    llink *ll = new_closed(L, 1);
    set_extra(L, -1, map_idx);
    return finish(L, ll, ebpf_link_usdt(p, &uo));
}

static void push_spec(lua_State *L, const struct ebpf_usdt_spec *s)
{
    static const char *const kinds[] = {"const", "reg", "reg_deref"};
    lua_createtable(L, s->arg_cnt, 0);
    for (int i = 0; i < s->arg_cnt; i++) {
        const struct ebpf_usdt_arg *a = &s->args[i];
        lua_createtable(L, 0, 5);
        lua_pushstring(L, a->kind < 3 ? kinds[a->kind] : "?");
        lua_setfield(L, -2, "kind");
        lua_pushinteger(L, (lua_Integer)a->val_off);
        lua_setfield(L, -2, "val_off");
        lua_pushinteger(L, a->reg_off);
        lua_setfield(L, -2, "reg_off");
        lua_pushinteger(L, (64 - a->bitshift) / 8);
        lua_setfield(L, -2, "size");
        lua_pushboolean(L, a->is_signed);
        lua_setfield(L, -2, "signed");
        lua_rawseti(L, -2, i + 1);
    }
}

/* usdt_notes(path) -> { {provider=, name=, args=, pc=, semaphore=, pc_offset=, sema_offset=, spec={...}}, ... } */
static int l_usdt_notes(lua_State *L)
{
    const char *path = ebpf_lua_check_path(L, 1, "path");
    struct ebpf_usdt_note *n;
    size_t cnt;
    if (ebpf_usdt_notes(path, &n, &cnt) < 0)
        return ebpf_lua_fail(L);
    lua_createtable(L, (int)cnt, 0);
    for (size_t i = 0; i < cnt; i++) {
        lua_createtable(L, 0, 8);
        lua_pushstring(L, n[i].provider); lua_setfield(L, -2, "provider");
        lua_pushstring(L, n[i].name); lua_setfield(L, -2, "name");
        lua_pushstring(L, n[i].args); lua_setfield(L, -2, "args");
        lua_pushinteger(L, (lua_Integer)n[i].pc); lua_setfield(L, -2, "pc");
        lua_pushinteger(L, (lua_Integer)n[i].base); lua_setfield(L, -2, "base");
        lua_pushinteger(L, (lua_Integer)n[i].semaphore); lua_setfield(L, -2, "semaphore");
        lua_pushinteger(L, (lua_Integer)n[i].pc_offset); lua_setfield(L, -2, "pc_offset");
        lua_pushinteger(L, (lua_Integer)n[i].sema_offset); lua_setfield(L, -2, "sema_offset");
        struct ebpf_usdt_spec s;
        if (ebpf_usdt_parse_args(n[i].args, &s) == 0) {
            push_spec(L, &s);
            lua_setfield(L, -2, "spec");
        } else {
            lua_pushstring(L, ebpf_error_message());
            lua_setfield(L, -2, "spec_error");
        }
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    free(n);
    return 1;
}

static int l_usdt_spec(lua_State *L)
{
    struct ebpf_usdt_spec s;
    if (ebpf_usdt_parse_args(ebpf_lua_check_path(L, 1, "name"), &s) < 0)
        return ebpf_lua_fail(L);
    push_spec(L, &s);
    return 1;
}

static int l_resolve_binary(lua_State *L)
{
    char out[4096];
    if (ebpf_link_resolve_binary(ebpf_lua_check_path(L, 1, "name"), out, sizeof(out)) < 0)
        return ebpf_lua_fail(L);
    lua_pushstring(L, out);
    return 1;
}

static int l_symbol_offset(lua_State *L)
{
    uint64_t off;
    if (ebpf_link_elf_symbol_offset(ebpf_lua_check_path(L, 1, "name"), ebpf_lua_check_path(L, 2, "name"), &off) < 0)
        return ebpf_lua_fail(L);
    lua_pushinteger(L, (lua_Integer)off);
    return 1;
}

static const struct { const char *name; uint32_t type; uint64_t config; } perf_names[] = {
    {"cpu_clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK},
    {"task_clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK},
    {"page_faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS},
    {"context_switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES},
    {"cpu_migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS},
    {"cpu_cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES},
    {"instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS},
    {"cache_misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES},
    {"branch_misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES},
};

/* perf_event(prog, {event="cpu_clock" | type=, config=, frequency=|freq=|period=, cpu=n|"all", pid=,
 * cookie=}) */
static int l_perf_event(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    static const char *const f[] = {"event", "type", "config", "freq", "frequency", "period", "cpu", "pid",
                                    "cookie", NULL};
    luaL_checktype(L, 2, LUA_TTABLE);
    int o = opt_table(L, 2, f);
    struct ebpf_perf_event_opts po;
    memset(&po, 0, sizeof(po));
    const char *ev = ebpf_lua_opt_str(L, o, "event", NULL);
    if (ev) {
        size_t i;
        for (i = 0; i < sizeof(perf_names) / sizeof(perf_names[0]); i++)
            if (!strcmp(perf_names[i].name, ev))
                break;
        if (i == sizeof(perf_names) / sizeof(perf_names[0]))
            return luaL_error(L, "unknown perf event '%s'", ev);
        po.type = perf_names[i].type;
        po.config = perf_names[i].config;
    } else {
        po.type = (uint32_t)ebpf_lua_opt_range(L, o, "type", PERF_TYPE_SOFTWARE, 0, EBPF_U32_MAX);
        po.config = opt_u64(L, o, "config");
    }
    po.sample_freq = opt_u64(L, o, "freq");
    uint64_t frequency = opt_u64(L, o, "frequency");
    if (frequency && po.sample_freq && frequency != po.sample_freq)
        return luaL_error(L, "perf_event: 'frequency' and 'freq' (the same option) differ");
    po.sample_freq = frequency ? frequency : po.sample_freq;
    po.sample_period = opt_u64(L, o, "period");
    if (po.sample_freq && po.sample_period)
        return luaL_error(L, "perf_event: give 'frequency' or 'period', not both");
    lua_getfield(L, o, "cpu");
    int all = lua_type(L, -1) == LUA_TSTRING;
    if (all && strcmp(lua_tostring(L, -1), "all") != 0)
        return luaL_error(L, "perf_event: 'cpu' is a CPU number or \"all\", got '%s'", lua_tostring(L, -1));
    lua_pop(L, 1);
    po.cpu = all ? -1 : (int)ebpf_lua_opt_range(L, o, "cpu", -1, -1, 1 << 20);
    po.pid = (int)ebpf_lua_opt_range(L, o, "pid", -1, -1, EBPF_I32_MAX);
    po.cookie = opt_cookie(L, o, "cookie");
    llink *ll = new_closed(L, 1);
    return finish(L, ll, ebpf_link_perf_event(p, &po));
}

static unsigned int cgroup_flag(const char *s)
{
    if (!strcmp(s, "allow_multi")) return BPF_F_ALLOW_MULTI;
    if (!strcmp(s, "allow_override")) return BPF_F_ALLOW_OVERRIDE;
    if (!strcmp(s, "replace")) return BPF_F_REPLACE;
    return 0;
}

static int attach_type_opt(lua_State *L, int o, const char *k)
{
    const char *at = o ? ebpf_lua_opt_str(L, o, k, NULL) : NULL;
    if (!at)
        return -1;
    int v = ebpf_attach_type_by_name(at);
    if (v < 0)
        return luaL_error(L, "unknown attach type '%s'", at);
    return v;
}

/* cgroup(prog, path | fd [, {attach_type=, flags=}]) */
static int l_cgroup(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    static const char *const f[] = {"attach_type", "flags", NULL};
    int o = opt_table(L, 3, f);
    int at = attach_type_opt(L, o, "attach_type");
    uint32_t flags = o ? ebpf_lua_opt_flags(L, o, "flags", cgroup_flag) : 0;
    const char *path = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
    int fd = path ? -1 : check_fd(L, 2, "cgroup");
    llink *ll = new_closed(L, 1);
    return finish(L, ll, ebpf_link_cgroup(p, path, fd, at, flags));
}

static int l_netns(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    const char *path = lua_type(L, 2) == LUA_TSTRING ? lua_tostring(L, 2) : NULL;
    int fd = (path || lua_isnoneornil(L, 2)) ? -1 : check_fd(L, 2, "netns");
    llink *ll = new_closed(L, 1);
    return finish(L, ll, ebpf_link_netns(p, path, fd));
}

static int l_socket(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    int fd = check_fd(L, 2, "socket");
    llink *ll = new_closed(L, 1);
    set_extra(L, -1, 2);
    return finish(L, ll, ebpf_link_socket(p, fd));
}

static int l_sockmap(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    lmap *m = ebpf_lua_tomap(L, 2);
    int at = -1;
    if (!lua_isnoneornil(L, 3)) {
        at = ebpf_attach_type_by_name(ebpf_lua_check_path(L, 3, "name"));
        if (at < 0)
            return luaL_error(L, "unknown attach type '%s'", lua_tostring(L, 3));
    }
    llink *ll = new_closed(L, 1);
    set_extra(L, -1, 2);
    return finish(L, ll, ebpf_link_sockmap(p, ebpf_map_fd(m->m), at));
}

static int l_xdp(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    int ifi = check_ifindex(L, 2);
    static const char *const f[] = {"mode", "flags", NULL};
    int o = opt_table(L, 3, f);
    uint32_t flags = o ? (uint32_t)ebpf_lua_opt_range(L, o, "flags", 0, 0, EBPF_U32_MAX) : 0;
    const char *mode = o ? ebpf_lua_opt_str(L, o, "mode", NULL) : NULL;
    if (mode) {
        if (!strcmp(mode, "skb") || !strcmp(mode, "generic")) flags |= 2;
        else if (!strcmp(mode, "drv") || !strcmp(mode, "native")) flags |= 4;
        else if (!strcmp(mode, "hw") || !strcmp(mode, "offload")) flags |= 8;
        else return luaL_error(L, "unknown xdp mode '%s' (generic, native, offload)", mode);
    }
    if (ifi < 0)
        return no_iface(L, 2);
    llink *ll = new_closed(L, 1);
    return finish(L, ll, ebpf_link_xdp(p, ifi, flags));
}

static int direction(lua_State *L, int o)
{
    const char *d = o ? ebpf_lua_opt_str(L, o, "direction", "ingress") : "ingress";
    if (!strcmp(d, "ingress")) return 0;
    if (!strcmp(d, "egress")) return 1;
    return luaL_error(L, "direction must be 'ingress' or 'egress', got '%s'", d);
}

/* relative position: true (first/last), a program or a link */
static int relative_fd(lua_State *L, int o, const char *k, int *set, int *is_link)
{
    lua_getfield(L, o, k);
    int fd = -1;
    *set = 0;
    if (lua_toboolean(L, -1)) {
        *set = 1;
        if (luaL_testudata(L, -1, EBPF_PROG_MT))
            fd = ebpf_prog_fd(checkprog(L, -1));
        else if (luaL_testudata(L, -1, EBPF_LINK_MT)) {
            fd = ebpf_link_fd(tolink(L, -1)->l);
            *is_link = 1;
        }
        else if (!lua_isboolean(L, -1))
            luaL_error(L, "field '%s' must be true, an ebpf.program or an ebpf.link", k);
    }
    lua_pop(L, 1);
    return fd;
}

/* before=/after=/expected_revision= of a multi-program hook (tcx, netkit) */
static void mprog_opts(lua_State *L, int o, const char *kind, int *before, int *after, int *rel_fd,
                       int *rel_is_link, uint64_t *expected_revision)
{
    if (!o)
        return;
    int b, a, lb = 0, la = 0;
    int fb = relative_fd(L, o, "before", &b, &lb), fa = relative_fd(L, o, "after", &a, &la);
    if (b && a)
        luaL_error(L, "%s: 'before' and 'after' are exclusive", kind);
    *before = b;
    *after = a;
    *rel_fd = b ? fb : fa;
    *rel_is_link = b ? lb : la;
    *expected_revision = opt_u64(L, o, "expected_revision");
}

static int l_tcx(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    int ifi = check_ifindex(L, 2);
    static const char *const f[] = {"direction", "before", "after", "expected_revision", NULL};
    int o = opt_table(L, 3, f);
    struct ebpf_tcx_opts to;
    memset(&to, 0, sizeof(to));
    to.relative_fd = -1;
    to.egress = direction(L, o);
    mprog_opts(L, o, "tcx", &to.before, &to.after, &to.relative_fd, &to.relative_is_link, &to.expected_revision);
    if (ifi < 0)
        return no_iface(L, 2);
    llink *ll = new_closed(L, 1);
    return finish(L, ll, ebpf_link_tcx(p, ifi, &to));
}

/* netkit(prog, iface, {side="primary"|"peer", before=, after=, expected_revision=}) */
static int l_netkit(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    int ifi = check_ifindex(L, 2);
    static const char *const f[] = {"side", "before", "after", "expected_revision", NULL};
    int o = opt_table(L, 3, f);
    struct ebpf_netkit_opts no;
    memset(&no, 0, sizeof(no));
    no.relative_fd = -1;
    const char *side = o ? ebpf_lua_opt_str(L, o, "side", "primary") : "primary";
    if (strcmp(side, "primary") && strcmp(side, "peer"))
        return luaL_error(L, "netkit: side must be 'primary' or 'peer', got '%s'", side);
    no.peer = !strcmp(side, "peer");
    mprog_opts(L, o, "netkit", &no.before, &no.after, &no.relative_fd, &no.relative_is_link, &no.expected_revision);
    if (ifi < 0)
        return no_iface(L, 2);
    llink *ll = new_closed(L, 1);
    return finish(L, ll, ebpf_link_netkit(p, ifi, &no));
}

/* query(target, attach_type) -> {revision=, attach_flags=, programs={{id=, link_id=}, ...}}:
 * target is an interface (tcx, netkit, xdp), a cgroup directory or a netns path (nil: own). */
static int l_query(lua_State *L)
{
    const char *at = ebpf_lua_check_path(L, 2, "name");
    int type = ebpf_attach_type_by_name(at);
    if (type < 0)
        return luaL_error(L, "unknown attach type '%s'", at);
    /* (parsed before the open below: a raise must not leak the fd) */
    /* {effective = true}: BPF_F_QUERY_EFFECTIVE (cgroups: inherited programs too) */
    uint32_t qflags = 0;
    if (!lua_isnoneornil(L, 3)) {
        static const char *const f[] = {"effective", NULL};
        ebpf_lua_check_fields(L, 3, f);
        qflags = ebpf_lua_opt_bool(L, 3, "effective", 0) ? BPF_F_QUERY_EFFECTIVE : 0;
    }
    int by_ifindex = !strncmp(at, "tcx_", 4) || !strncmp(at, "netkit_", 7) || !strcmp(at, "xdp");
    int by_netns = !strcmp(at, "flow_dissector") || !strcmp(at, "sk_lookup");
    int target = -1, fd = -1;
    if (by_ifindex) {
        target = check_ifindex(L, 1);
        if (target < 0)
            return no_iface(L, 1);
    } else {
        const char *path = by_netns ? luaL_optstring(L, 1, "/proc/self/ns/net") : ebpf_lua_check_path(L, 1, "path");
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (by_netns ? 0 : O_DIRECTORY)); /* never blocks on a FIFO */
        if (fd < 0)
            return ebpf_lua_fail_msg(L, errno, "query", "%s: %s", path, strerror(errno));
        target = fd;
    }
    struct ebpf_prog_query q;
    int n = ebpf_prog_query_flags(target, type, qflags, &q);
    if (fd >= 0)
        close(fd);
    if (n < 0)
        return ebpf_lua_fail(L);
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, (lua_Integer)q.revision);
    lua_setfield(L, -2, "revision");
    lua_pushinteger(L, (lua_Integer)q.attach_flags);
    lua_setfield(L, -2, "attach_flags");
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_createtable(L, 0, 2);
        lua_pushinteger(L, q.prog_ids[i]);
        lua_setfield(L, -2, "id");
        lua_pushinteger(L, q.link_ids[i]);
        lua_setfield(L, -2, "link_id");
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "programs");
    return 1;
}

static int l_tc(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    int ifi = check_ifindex(L, 2);
    static const char *const f[] = {"direction", "prio", "handle", "mode", NULL};
    int o = opt_table(L, 3, f);
    struct ebpf_tc_opts to;
    memset(&to, 0, sizeof(to));
    to.egress = direction(L, o);
    to.prio = o ? (uint32_t)ebpf_lua_opt_range(L, o, "prio", 0, 0, 0xffff) : 0;
    to.handle = o ? (uint32_t)ebpf_lua_opt_range(L, o, "handle", 0, 0, EBPF_U32_MAX) : 0;
    if (to.prio > 0xffff)
        return luaL_error(L, "tc: prio must be below 65536");
    const char *mode = o ? ebpf_lua_opt_str(L, o, "mode", "auto") : "auto";
    if (!strcmp(mode, "tcx"))
        to.mode = EBPF_TC_TCX;
    else if (!strcmp(mode, "classic"))
        to.mode = EBPF_TC_CLASSIC;
    else if (strcmp(mode, "auto"))
        return luaL_error(L, "tc: mode must be 'auto', 'tcx' or 'classic', got '%s'", mode);
    if (to.mode == EBPF_TC_TCX && (to.prio || to.handle))
        return luaL_error(L, "tc: prio and handle are classic tc filter properties, not tcx ones");
    if (ifi < 0)
        return no_iface(L, 2);
    llink *ll = new_closed(L, 1);
    return finish(L, ll, ebpf_link_tc(p, ifi, &to));
}

static int l_netfilter(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    static const char *const f[] = {"family", "hook", "priority", "defrag", NULL};
    luaL_checktype(L, 2, LUA_TTABLE);
    int o = opt_table(L, 2, f);
    struct ebpf_netfilter_opts no;
    memset(&no, 0, sizeof(no));
    const char *fam = ebpf_lua_opt_str(L, o, "family", "ipv4");
    if (!strcmp(fam, "ipv4")) no.pf = 2;
    else if (!strcmp(fam, "ipv6")) no.pf = 10;
    else return luaL_error(L, "netfilter: family must be 'ipv4' or 'ipv6'");
    static const char *const hooks[] = {"prerouting", "local_in", "forward", "local_out", "postrouting", NULL};
    const char *h = ebpf_lua_opt_str(L, o, "hook", NULL);
    if (!h)
        return luaL_error(L, "netfilter: field 'hook' is required (prerouting, local_in, forward, local_out, postrouting)");
    int hi = -1;
    for (int i = 0; hooks[i]; i++)
        if (!strcmp(hooks[i], h))
            hi = i;
    if (hi < 0)
        return luaL_error(L, "netfilter: unknown hook '%s'", h);
    no.hooknum = (uint32_t)hi;
    no.priority = (int32_t)ebpf_lua_opt_range(L, o, "priority", 0, -EBPF_I32_MAX - 1, EBPF_I32_MAX);
    no.flags = ebpf_lua_opt_bool(L, o, "defrag", 0) ? 1 : 0;
    llink *ll = new_closed(L, 1);
    return finish(L, ll, ebpf_link_netfilter(p, &no));
}

static int l_iter(lua_State *L)
{
    struct ebpf_prog *p = checkprog(L, 1);
    static const char *const f[] = {"map", "cgroup", "order", "tid", "pid", "pid_fd", NULL};
    int o = opt_table(L, 2, f);
    struct ebpf_iter_opts io;
    memset(&io, 0, sizeof(io));
    io.map_fd = io.cgroup_fd = -1;
    int extra = 0;
    if (o) {
        lua_getfield(L, o, "map");
        if (!lua_isnil(L, -1)) {
            io.map_fd = ebpf_map_fd(ebpf_lua_tomap(L, -1)->m);
            extra = lua_gettop(L);
        } else {
            lua_pop(L, 1);
        }
        lua_getfield(L, o, "cgroup");
        if (!lua_isnil(L, -1))
            io.cgroup_fd = check_fd(L, -1, "cgroup");
        lua_pop(L, 1);
        io.cgroup_order = (uint32_t)ebpf_lua_opt_range(L, o, "order", 0, 0, EBPF_U32_MAX);
        io.tid = (uint32_t)ebpf_lua_opt_range(L, o, "tid", 0, 0, EBPF_I32_MAX);
        io.pid = (uint32_t)ebpf_lua_opt_range(L, o, "pid", 0, 0, EBPF_I32_MAX);
        io.pid_fd = (uint32_t)ebpf_lua_opt_range(L, o, "pid_fd", 0, 0, EBPF_I32_MAX);
    }
    llink *ll = new_closed(L, 1);
    if (extra)
        set_extra(L, -1, extra);
    return finish(L, ll, ebpf_link_iter(p, &io));
}

static int l_struct_ops(lua_State *L)
{
    lmap *m = ebpf_lua_tomap(L, 1);
    llink *ll = new_closed(L, 0);
    set_extra(L, -1, 1);
    return finish(L, ll, ebpf_link_struct_ops_map(m->m));
}

static int l_open_pinned(lua_State *L)
{
    const char *path = ebpf_lua_check_path(L, 1, "path");
    llink *ll = new_closed(L, 0);
    return finish(L, ll, ebpf_link_open_pinned(path));
}

static int l_from_id(lua_State *L)
{
    lua_Integer id = ebpf_lua_check_range(L, 1, "link id", 0, 0xffffffffLL);
    llink *ll = new_closed(L, 0);
    return finish(L, ll, ebpf_link_open_id((uint32_t)id));
}

/* tracing_target(attach_type, name) -> btf_id, module_btf_obj_id|nil */
static int l_tracing_target(lua_State *L)
{
    int at = ebpf_attach_type_by_name(ebpf_lua_check_path(L, 1, "name"));
    if (at < 0)
        return luaL_error(L, "unknown attach type '%s'", lua_tostring(L, 1));
    int obj = -1;
    int id = ebpf_link_tracing_target(at, ebpf_lua_check_path(L, 2, "name"), &obj);
    if (id < 0)
        return ebpf_lua_fail(L);
    lua_pushinteger(L, id);
    if (obj >= 0) {
        struct bpf_btf_info info;
        memset(&info, 0, sizeof(info));
        uint32_t len = sizeof(info);
        ebpf_obj_get_info(obj, &info, &len);
        close(obj);
        lua_pushinteger(L, info.id);
        return 2;
    }
    return 1;
}

/* ---- info ---- */

static void push_info(lua_State *L, const struct bpf_link_info *info)
{
    lua_createtable(L, 0, 8);
    const char *tn = ebpf_link_type_name((int)info->type);
    static const char *const newer[] = {"netfilter", "tcx", "uprobe_multi", "netkit", "sockmap"};
    if (!tn && info->type >= 10 && info->type <= 14)
        tn = newer[info->type - 10];
    lua_pushstring(L, tn ? tn : "unknown");
    lua_setfield(L, -2, "type");
    lua_pushinteger(L, info->id);
    lua_setfield(L, -2, "id");
    lua_pushinteger(L, info->prog_id);
    lua_setfield(L, -2, "prog_id");
    const uint32_t *u = (const uint32_t *)((const char *)info + 16);
    const char *an;
    switch (info->type) {
    case BPF_LINK_TYPE_TRACING:
        an = ebpf_attach_type_name((int)info->tracing.attach_type);
        lua_pushstring(L, an ? an : "?");
        lua_setfield(L, -2, "attach_type");
        lua_pushinteger(L, info->tracing.target_obj_id);
        lua_setfield(L, -2, "target_obj_id");
        lua_pushinteger(L, info->tracing.target_btf_id);
        lua_setfield(L, -2, "target_btf_id");
        break;
    case BPF_LINK_TYPE_CGROUP:
        lua_pushinteger(L, (lua_Integer)info->cgroup.cgroup_id);
        lua_setfield(L, -2, "cgroup_id");
        an = ebpf_attach_type_name((int)info->cgroup.attach_type);
        lua_pushstring(L, an ? an : "?");
        lua_setfield(L, -2, "attach_type");
        break;
    case BPF_LINK_TYPE_NETNS:
        lua_pushinteger(L, info->netns.netns_ino);
        lua_setfield(L, -2, "netns_ino");
        an = ebpf_attach_type_name((int)info->netns.attach_type);
        lua_pushstring(L, an ? an : "?");
        lua_setfield(L, -2, "attach_type");
        break;
    case BPF_LINK_TYPE_XDP:
        lua_pushinteger(L, info->xdp.ifindex);
        lua_setfield(L, -2, "ifindex");
        break;
    case 10: /* netfilter: pf, hooknum, priority, flags */
        lua_pushinteger(L, u[0]); lua_setfield(L, -2, "pf");
        lua_pushinteger(L, u[1]); lua_setfield(L, -2, "hooknum");
        lua_pushinteger(L, (int32_t)u[2]); lua_setfield(L, -2, "priority");
        break;
    case 11: /* tcx: ifindex, attach_type */
        lua_pushinteger(L, u[0]); lua_setfield(L, -2, "ifindex");
        lua_pushstring(L, u[1] == 47 ? "egress" : "ingress"); lua_setfield(L, -2, "direction");
        break;
    default:
        break;
    }
}

static int fetch_info(lua_State *L, int fd)
{
    struct bpf_link_info info;
    char name[256] = "";
    memset(&info, 0, sizeof(info));
    uint32_t len = sizeof(info);
    int r = ebpf_obj_get_info(fd, &info, &len);
    if (r < 0)
        return ebpf_lua_fail_msg(L, -r, "info", "link info: %s", strerror(-r));
    /* Second call for the names of raw tracepoints and iterators. */
    if (info.type == BPF_LINK_TYPE_RAW_TRACEPOINT || info.type == BPF_LINK_TYPE_ITER) {
        struct bpf_link_info i2;
        memset(&i2, 0, sizeof(i2));
        if (info.type == BPF_LINK_TYPE_RAW_TRACEPOINT) {
            i2.raw_tracepoint.tp_name = ebpf_ptr(name);
            i2.raw_tracepoint.tp_name_len = sizeof(name);
        } else {
            i2.iter.target_name = ebpf_ptr(name);
            i2.iter.target_name_len = sizeof(name);
        }
        len = sizeof(i2);
        if (ebpf_obj_get_info(fd, &i2, &len) < 0)
            name[0] = 0;
    }
    push_info(L, &info);
    if (name[0]) {
        lua_pushstring(L, name);
        lua_setfield(L, -2, info.type == BPF_LINK_TYPE_ITER ? "target" : "tp_name");
    }
    return 1;
}

static int link_info(lua_State *L)
{
    llink *ll = tolink(L, 1);
    if (ebpf_link_fd(ll->l) < 0)
        return ebpf_lua_fail_msg(L, EOPNOTSUPP, "info", "link %s: not a bpf_link (no kernel info)",
                                 ebpf_link_describe(ll->l));
    return fetch_info(L, ebpf_link_fd(ll->l));
}

/* list() -> info tables of every link in the system */
static int l_list(lua_State *L)
{
    lua_newtable(L);
    uint32_t id = 0, next;
    int n = 0;
    while (ebpf_obj_next_id(BPF_LINK_GET_NEXT_ID, id, &next) == 0) {
        id = next;
        int fd = ebpf_link_fd_by_id(id);
        if (fd < 0)
            continue; /* gone meanwhile */
        int k = fetch_info(L, fd);
        close(fd);
        if (k == 1)
            lua_rawseti(L, -2, ++n);
        else
            lua_pop(L, k);
    }
    return 1;
}

/* ---- methods ---- */

static int link_close(lua_State *L)
{
    llink *ll = tolink(L, 1);
    ebpf_link_close(ll->l);
    ll->l = NULL;
    return 0;
}

static int link_gc(lua_State *L)
{
    llink *ll = luaL_checkudata(L, 1, EBPF_LINK_MT);
    ebpf_link_close(ll->l);
    ll->l = NULL;
    return 0;
}

static int link_detach(lua_State *L)
{
    if (ebpf_link_detach(tolink(L, 1)->l) < 0)
        return ebpf_lua_fail(L);
    lua_pushboolean(L, 1);
    return 1;
}

static int link_pin(lua_State *L)
{
    if (ebpf_link_pin(tolink(L, 1)->l, ebpf_lua_check_path(L, 2, "path")) < 0)
        return ebpf_lua_fail(L);
    lua_pushboolean(L, 1);
    return 1;
}

static int link_unpin(lua_State *L)
{
    if (ebpf_link_unpin(tolink(L, 1)->l, ebpf_lua_check_path(L, 2, "path")) < 0)
        return ebpf_lua_fail(L);
    lua_pushboolean(L, 1);
    return 1;
}

static int link_update(lua_State *L)
{
    llink *ll = tolink(L, 1);
    struct ebpf_prog *p = checkprog(L, 2);
    int old = lua_isnoneornil(L, 3) ? -1 : ebpf_prog_fd(checkprog(L, 3));
    if (ebpf_link_update(ll->l, ebpf_prog_fd(p), old) < 0)
        return ebpf_lua_fail(L);
    lua_pushvalue(L, 2); /* the link now keeps the new program alive */
    lua_setiuservalue(L, 1, LLINK_UV_PROG);
    lua_pushboolean(L, 1);
    return 1;
}

static int link_fd(lua_State *L)
{
    int fd = ebpf_link_fd(tolink(L, 1)->l);
    if (fd < 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, fd);
    return 1;
}

/* l:keep_registered(): a plain struct_ops registration outlives the link. */
static int link_keep_registered(lua_State *L)
{
    llink *ll = tolink(L, 1);
    if (ebpf_link_keep_registered(ll->l) < 0)
        return ebpf_lua_fail(L);
    lua_pushboolean(L, 1);
    return 1;
}

static int link_program(lua_State *L)
{
    tolink(L, 1);
    lua_getiuservalue(L, 1, LLINK_UV_PROG);
    return 1;
}

static const char *kind_name(int k)
{
    switch (k) {
    case EBPF_LINK_BPF: return "bpf_link";
    case EBPF_LINK_PERF: return "perf_event";
    case EBPF_LINK_LEGACY: return "prog_attach";
    case EBPF_LINK_SOCKET: return "socket";
    case EBPF_LINK_TC: return "tc_filter";
    case EBPF_LINK_GROUP: return "group";
    case EBPF_LINK_STRUCT_OPS: return "struct_ops";
    default: return "?";
    }
}

static int link_tostring(lua_State *L)
{
    llink *ll = luaL_checkudata(L, 1, EBPF_LINK_MT);
    if (!ll->l) {
        lua_pushstring(L, "ebpf.link (closed)");
        return 1;
    }
    int fd = ebpf_link_fd(ll->l);
    if (fd >= 0)
        lua_pushfstring(L, "ebpf.link %s (%s, fd %d)", ebpf_link_describe(ll->l), kind_name(ebpf_link_kind(ll->l)), fd);
    else
        lua_pushfstring(L, "ebpf.link %s (%s)", ebpf_link_describe(ll->l), kind_name(ebpf_link_kind(ll->l)));
    return 1;
}

static int link_index(lua_State *L)
{
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL)
        return 1;
    const char *k = lua_tostring(L, 2);
    llink *ll = lua_touserdata(L, 1);
    if (!k)
        return 0;
    if (!ll->l)
        return luaL_error(L, "attempt to use a closed link");
    if (!strcmp(k, "kind"))
        lua_pushstring(L, kind_name(ebpf_link_kind(ll->l)));
    else if (!strcmp(k, "target"))
        lua_pushstring(L, ebpf_link_describe(ll->l));
    else if (!strcmp(k, "count")) { /* sites / CPUs of a group */
        size_t n = 0;
        while (ebpf_link_sub(ll->l, n))
            n++;
        lua_pushinteger(L, (lua_Integer)n);
    } else
        return 0;
    return 1;
}

/* ---- iterator reader ---- */

static liter *toiter(lua_State *L)
{
    liter *it = luaL_checkudata(L, 1, EBPF_ITER_MT);
    if (it->fd < 0)
        luaL_error(L, "attempt to use a closed iterator reader");
    return it;
}

static int link_open(lua_State *L)
{
    llink *ll = tolink(L, 1);
    liter *it = lua_newuserdatauv(L, sizeof(liter), 1);
    it->fd = -1;
    luaL_setmetatable(L, EBPF_ITER_MT);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    int fd = ebpf_link_iter_open(ll->l);
    if (fd < 0)
        return ebpf_lua_fail(L);
    it->fd = fd;
    return 1;
}

/* read([n]) -> up to n bytes (default: everything left), nil at the end */
static int iter_read(lua_State *L)
{
    liter *it = toiter(L);
    lua_Integer want = luaL_optinteger(L, 2, -1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    size_t got = 0;
    for (;;) {
        size_t chunk = want < 0 ? 4096 : (size_t)(want - (lua_Integer)got);
        if (chunk == 0)
            break;
        if (chunk > 4096)
            chunk = 4096;
        char *dst = luaL_prepbuffsize(&b, chunk);
        ssize_t n = read(it->fd, dst, chunk);
        if (n < 0) {
            int e = errno;
            if (e == EINTR)
                continue;
            /* EAGAIN: the program returned 1 ("retry") for an element.
             * Retrying at once reruns it on the same element, so it is
             * an error here (the caller may read again). */
            /* the buffer closed before anything else is pushed */
            luaL_pushresult(&b);
            lua_pop(L, 1);
            return ebpf_lua_fail_msg(L, e, "read", "iterator read: %s", strerror(e));
        }
        if (n == 0)
            break;
        luaL_addsize(&b, (size_t)n);
        got += (size_t)n;
    }
    if (got == 0 && want != 0) {
        lua_pushnil(L);
        return 1;
    }
    luaL_pushresult(&b);
    return 1;
}

static int iter_close(lua_State *L)
{
    liter *it = toiter(L);
    close(it->fd);
    it->fd = -1;
    return 0;
}

static int iter_gc(lua_State *L)
{
    liter *it = luaL_checkudata(L, 1, EBPF_ITER_MT);
    if (it->fd >= 0)
        close(it->fd);
    it->fd = -1;
    return 0;
}

static int iter_tostring(lua_State *L)
{
    liter *it = luaL_checkudata(L, 1, EBPF_ITER_MT);
    if (it->fd < 0)
        lua_pushstring(L, "ebpf.iter_reader (closed)");
    else
        lua_pushfstring(L, "ebpf.iter_reader (fd %d)", it->fd);
    return 1;
}

/* link:read() -> the whole output of one iteration */
static int link_read(lua_State *L)
{
    lua_settop(L, 1);
    int n = link_open(L);
    if (n != 1)
        return n;
    lua_replace(L, 1);
    lua_settop(L, 1);
    int nr = iter_read(L);
    liter *it = lua_touserdata(L, 1);
    close(it->fd);
    it->fd = -1;
    if (nr > 1)
        return nr; /* nil, error */
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushliteral(L, "");
    }
    return 1;
}

void ebpf_lua_open_link(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"close", link_close}, {"detach", link_detach}, {"pin", link_pin}, {"unpin", link_unpin},
        {"update", link_update}, {"info", link_info}, {"fd", link_fd}, {"program", link_program}, {"keep_registered", link_keep_registered},
        {"open", link_open}, {"read", link_read}, {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__gc", link_gc}, {"__close", link_gc}, {"__tostring", link_tostring}, {NULL, NULL},
    };
    luaL_newmetatable(L, EBPF_LINK_MT);
    luaL_setfuncs(L, meta, 0);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "__methods");
    lua_pushcclosure(L, link_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    static const luaL_Reg imeta[] = {
        {"__gc", iter_gc}, {"__close", iter_gc}, {"__tostring", iter_tostring}, {NULL, NULL},
    };
    static const luaL_Reg imethods[] = {{"read", iter_read}, {"close", iter_close}, {NULL, NULL}};
    luaL_newmetatable(L, EBPF_ITER_MT);
    luaL_setfuncs(L, imeta, 0);
    lua_newtable(L);
    luaL_setfuncs(L, imethods, 0);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    static const luaL_Reg funcs[] = {
        {"tracepoint", l_tracepoint}, {"raw_tracepoint", l_raw_tracepoint}, {"tracing", l_tracing},
        {"freplace", l_freplace}, {"kprobe", l_kprobe}, {"kretprobe", l_kretprobe}, {"ksyscall", l_ksyscall},
        {"syscall_func", l_syscall_func}, {"kprobe_multi", l_kprobe_multi}, {"tracing_multi", l_tracing_multi}, {"uprobe", l_uprobe},
        {"uretprobe", l_uretprobe}, {"uprobe_multi", l_uprobe_multi}, {"usdt", l_usdt},
        {"usdt_notes", l_usdt_notes}, {"usdt_spec", l_usdt_spec}, {"resolve_binary", l_resolve_binary},
        {"symbol_offset", l_symbol_offset}, {"perf_event", l_perf_event}, {"cgroup", l_cgroup},
        {"netns", l_netns}, {"socket", l_socket}, {"sockmap", l_sockmap}, {"xdp", l_xdp}, {"tcx", l_tcx},
        {"tc", l_tc}, {"netkit", l_netkit}, {"query", l_query}, {"netfilter", l_netfilter}, {"iter", l_iter}, {"struct_ops", l_struct_ops},
        {"open_pinned", l_open_pinned}, {"from_id", l_from_id}, {"list", l_list},
        {"tracing_target", l_tracing_target}, {NULL, NULL},
    };
    lua_newtable(L);
    luaL_setfuncs(L, funcs, 0);
    lua_setfield(L, -2, "link");
}
