/* ebpf.trace_pipe: bpf_printk output as Lua tables. The reading and the
 * parsing are the core's (ebpf/trace_pipe.h); this file adds the waits
 * (ended by SIGINT/SIGTERM like the readers', lsignal.h) and the object.
 * The object is its own iterator (`__call`), and ebpf.trace_pipe()
 * returns it also as the closing value of a generic for, so
 * `for ev in ebpf.trace_pipe() do ... end` closes it on exit or break. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "ebpf/trace_pipe.h"
#include "lcommon.h"
#include "lsignal.h"

#define EBPF_TRACE_PIPE_MT "ebpf.trace_pipe"
#define LTP_MAGIC 0x54504950u

typedef struct {
    uint32_t magic;
    struct ebpf_trace_pipe *p; /* NULL once closed */
    int epfd;                  /* -1 for a regular file: always readable */
    int timeout;               /* ms for the iterator; -1: block */
    int raw;                   /* hand out the lines as strings */
} ltp;

static ltp *check_open(lua_State *L)
{
    ltp *t = ebpf_lua_checkmagic(L, 1, sizeof(ltp), LTP_MAGIC, EBPF_TRACE_PIPE_MT);
    if (!t->p)
        luaL_error(L, "attempt to use a closed trace_pipe");
    return t;
}

static void push_field(lua_State *L, const char *k, const char *s, size_t n)
{
    lua_pushlstring(L, s, n);
    lua_setfield(L, -2, k);
}

static void push_int(lua_State *L, const char *k, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

/* A line as {pid, comm, cpu, flags, ts, ts_ns, event, msg [, tgid]}, or
 * {msg = line} when it is not in the trace format (e.g. "CPU:1 [LOST 3
 * EVENTS]"). */
static void push_line(lua_State *L, const char *line, size_t len)
{
    struct ebpf_trace_line t;
    if (ebpf_trace_line_parse(line, len, &t) < 0) {
        lua_createtable(L, 0, 1);
        push_field(L, "msg", line, len);
        return;
    }
    lua_createtable(L, 0, 9);
    push_int(L, "pid", t.pid);
    if (t.tgid >= 0)
        push_int(L, "tgid", t.tgid);
    push_int(L, "cpu", t.cpu);
    push_field(L, "comm", t.comm, t.comm_len);
    push_field(L, "flags", t.flags, t.flags_len);
    lua_pushnumber(L, (lua_Number)t.ts_ns / 1e9);
    lua_setfield(L, -2, "ts");
    push_int(L, "ts_ns", (lua_Integer)t.ts_ns);
    if (t.event)
        push_field(L, "event", t.event, t.event_len);
    push_field(L, "msg", t.msg, t.msg_len);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The next line, waiting up to timeout ms (-1: no limit). Pushes the value
 * and returns 1; or pushes nil (timeout, end of file), nil + the signal's
 * name, or nil, err, errno. */
static int next_line(lua_State *L, ltp *t, int timeout)
{
    int64_t deadline = timeout < 0 ? -1 : now_ms() + timeout;
    for (;;) {
        const char *line;
        size_t len;
        int r = ebpf_trace_pipe_next(t->p, &line, &len);
        if (r == 1) {
            if (t->raw)
                lua_pushlstring(L, line, len);
            else
                push_line(L, line, len);
            return 1;
        }
        if (r == -ENODATA) {
            lua_pushnil(L);
            return 1;
        }
        if (r < 0)
            return ebpf_lua_fail(L);
        int left = deadline < 0 ? -1 : (int)(deadline - now_ms());
        if (deadline >= 0 && left <= 0) {
            lua_pushnil(L);
            return 1;
        }
        if (t->epfd < 0) /* a regular file without a newline yet: nothing will come */
            continue;
        int w = ebpf_lua_signal_epoll_wait(t->epfd, left);
        if (w == -EINTR) {
            int sig = ebpf_lua_signal_pending();
            if (!sig)
                continue; /* some other signal */
            lua_pushnil(L);
            lua_pushstring(L, ebpf_lua_signal_name(sig));
            return 2;
        }
        if (w < 0)
            return ebpf_lua_fail_msg(L, -w, "trace_pipe", "epoll_wait: %s", strerror(-w));
    }
}

static int check_timeout(lua_State *L, int idx, int def)
{
    if (lua_isnoneornil(L, idx))
        return def;
    lua_Number v = luaL_checknumber(L, idx);
    luaL_argcheck(L, v == v, idx, "timeout is NaN");
    if (v < 0)
        return -1;
    return v > 0x7fffffff ? 0x7fffffff : (int)v;
}

/* tp:read([timeout_ms]) -> event | nil [, "SIGINT"] | nil, err, errno */
static int tp_read(lua_State *L)
{
    ltp *t = check_open(L);
    return next_line(L, t, check_timeout(L, 2, -1));
}

/* __call: the iterator of `for ev in tp`; ends at the timeout given at
 * creation, at the end of a file, or once SIGINT/SIGTERM came (even while
 * lines keep coming); read errors raise. */
static int tp_call(lua_State *L)
{
    lua_settop(L, 1);
    ltp *t = check_open(L);
    if (ebpf_lua_signal_watch() == 0 && ebpf_lua_signal_pending())
        return 0;
    int n = next_line(L, t, t->timeout);
    if (n == 3)
        return luaL_error(L, "%s", luaL_tolstring(L, -2, NULL));
    lua_settop(L, 2);
    return 1; /* the value or nil */
}

static int tp_fd(lua_State *L)
{
    ltp *t = check_open(L);
    lua_pushinteger(L, ebpf_trace_pipe_fd(t->p));
    return 1;
}

static void release(ltp *t)
{
    if (t->epfd >= 0)
        close(t->epfd);
    t->epfd = -1;
    ebpf_trace_pipe_close(t->p);
    t->p = NULL;
}

static int tp_close(lua_State *L)
{
    release(check_open(L));
    return 0;
}

static int tp_gc(lua_State *L)
{
    ltp *t = luaL_checkudata(L, 1, EBPF_TRACE_PIPE_MT);
    release(t);
    return 0;
}

static int tp_tostring(lua_State *L)
{
    ltp *t = luaL_checkudata(L, 1, EBPF_TRACE_PIPE_MT);
    if (!t->p)
        lua_pushliteral(L, "ebpf.trace_pipe (closed)");
    else
        lua_pushfstring(L, "ebpf.trace_pipe (fd %d)", ebpf_trace_pipe_fd(t->p));
    return 1;
}

/* ebpf.trace_pipe([{timeout=, path=, raw=}]) -> tp, nil, nil, tp */
static int l_trace_pipe(lua_State *L)
{
    static const char *const fields[] = {"timeout", "path", "raw", NULL};
    int has_opts = !lua_isnoneornil(L, 1);
    if (has_opts)
        ebpf_lua_check_fields(L, 1, fields);
    int timeout = -1, raw = 0;
    const char *path = NULL;
    if (has_opts) {
        lua_getfield(L, 1, "timeout");
        timeout = check_timeout(L, -1, -1);
        lua_pop(L, 1);
        lua_getfield(L, 1, "path");
        if (!lua_isnil(L, -1))
            path = ebpf_lua_check_path(L, -1, "field 'path'");
        lua_pop(L, 1);
        raw = ebpf_lua_opt_bool(L, 1, "raw", 0);
    }
    ltp *t = lua_newuserdatauv(L, sizeof(ltp), 0);
    memset(t, 0, sizeof(*t));
    t->magic = LTP_MAGIC;
    t->epfd = -1;
    luaL_setmetatable(L, EBPF_TRACE_PIPE_MT);
    t->p = ebpf_trace_pipe_open(path);
    if (!t->p)
        return ebpf_lua_fail(L);
    t->timeout = timeout;
    t->raw = raw;
    t->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (t->epfd < 0) {
        int e = errno;
        release(t);
        return ebpf_lua_fail_msg(L, e, "trace_pipe", "epoll_create1: %s", strerror(e));
    }
    struct epoll_event ev = {.events = EPOLLIN};
    if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, ebpf_trace_pipe_fd(t->p), &ev) < 0) {
        int e = errno;
        close(t->epfd);
        t->epfd = -1;
        if (e != EPERM) { /* EPERM: a regular file, always readable */
            release(t);
            return ebpf_lua_fail_msg(L, e, "trace_pipe", "epoll_ctl: %s", strerror(e));
        }
    }
    lua_pushnil(L);
    lua_pushnil(L);
    lua_pushvalue(L, -3);
    return 4;
}

/* ebpf.parse_trace_line(line) -> the table trace_pipe gives for it */
static int l_parse_line(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    push_line(L, s, len);
    return 1;
}

void ebpf_lua_open_trace_pipe(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"read", tp_read},
        {"fd", tp_fd},
        {"close", tp_close},
        {NULL, NULL},
    };
    static const luaL_Reg meta[] = {
        {"__gc", tp_gc},
        {"__close", tp_gc},
        {"__call", tp_call},
        {"__tostring", tp_tostring},
        {NULL, NULL},
    };
    luaL_newmetatable(L, EBPF_TRACE_PIPE_MT);
    luaL_setfuncs(L, meta, 0);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    static const luaL_Reg funcs[] = {
        {"trace_pipe", l_trace_pipe},
        {"parse_trace_line", l_parse_line},
        {NULL, NULL},
    };
    luaL_setfuncs(L, funcs, 0);
}
