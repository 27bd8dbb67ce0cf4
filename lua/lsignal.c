/* ebpf.sleep and ebpf.signal: waits that Ctrl-C (SIGINT) or SIGTERM end
 * early, so a tracing script's loop ends, it prints its summary and its
 * objects close. See lsignal.h for the mechanism. */
#include "lsignal.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

/* The signals the library can watch, and their state. */
static const struct {
    int sig;
    const char *name;
} known[] = {{SIGINT, "SIGINT"}, {SIGTERM, "SIGTERM"}, {SIGHUP, "SIGHUP"}};
#define NKNOWN (sizeof(known) / sizeof(known[0]))

static volatile sig_atomic_t pending_sig;
static int watched[NKNOWN];             /* our handler is installed */
static struct sigaction previous[NKNOWN]; /* restored by unwatch */

static void on_signal(int sig)
{
    if (pending_sig) {
        /* the script did not stop at the first one: default action (the
         * signal is blocked in here, so it lands when we return) */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    pending_sig = sig;
}

const char *ebpf_lua_signal_name(int sig)
{
    static char buf[24]; /* only for signals outside `known`, which we never install */
    for (size_t i = 0; i < NKNOWN; i++)
        if (known[i].sig == sig)
            return known[i].name;
    snprintf(buf, sizeof buf, "signal %d", sig);
    return buf;
}

static int watch_one(size_t i)
{
    if (watched[i])
        return 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: blocking calls return EINTR */
    sigemptyset(&sa.sa_mask);
    struct sigaction old;
    if (sigaction(known[i].sig, NULL, &old) < 0)
        return -errno;
    if (old.sa_handler == SIG_IGN)
        return 0; /* e.g. nohup, or a shell's background job: keep ignoring */
    if (sigaction(known[i].sig, &sa, &previous[i]) < 0)
        return -errno;
    watched[i] = 1;
    return 0;
}

int ebpf_lua_signal_watch(void)
{
    for (size_t i = 0; i < 2; i++) { /* SIGINT, SIGTERM */
        int r = watch_one(i);
        if (r < 0)
            return r;
    }
    return 0;
}

int ebpf_lua_signal_pending(void) { return pending_sig; }

/* Blocks the watched signals; *old gets the mask to wait with. */
static void block_watched(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < NKNOWN; i++)
        if (watched[i])
            sigaddset(&set, known[i].sig);
    pthread_sigmask(SIG_BLOCK, &set, old);
}

int ebpf_lua_signal_epoll_wait(int epfd, int timeout_ms)
{
    int r = ebpf_lua_signal_watch();
    if (r < 0)
        return r;
    sigset_t old;
    block_watched(&old);
    if (pending_sig) {
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return -EINTR;
    }
    struct epoll_event ev;
    r = epoll_pwait(epfd, &ev, 1, timeout_ms, &old);
    int e = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r < 0)
        return -e;
    return r > 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ebpf.sleep(seconds) -> true | false, "SIGINT" */
static int l_sleep(lua_State *L)
{
    lua_Number s = luaL_checknumber(L, 1);
    luaL_argcheck(L, s == s, 1, "NaN seconds");
    luaL_argcheck(L, s >= 0, 1, "negative seconds");
    luaL_argcheck(L, s <= 1e9, 1, "seconds out of range");
    int r = ebpf_lua_signal_watch();
    if (r < 0)
        return luaL_error(L, "ebpf.sleep: sigaction: %s", strerror(-r));
    double deadline = now_s() + s;
    for (;;) {
        sigset_t old;
        block_watched(&old);
        int sig = pending_sig;
        double left = deadline - now_s();
        if (sig || left <= 0) {
            pthread_sigmask(SIG_SETMASK, &old, NULL);
            if (!sig) {
                lua_pushboolean(L, 1);
                return 1;
            }
            lua_pushboolean(L, 0);
            lua_pushstring(L, ebpf_lua_signal_name(sig));
            return 2;
        }
        struct timespec ts = {(time_t)left, (long)((left - floor(left)) * 1e9)};
        ppoll(NULL, 0, &ts, &old); /* EINTR for any signal: loop and re-check */
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
}

static size_t check_known(lua_State *L, int idx)
{
    const char *n = luaL_checkstring(L, idx);
    for (size_t i = 0; i < NKNOWN; i++)
        if (strcmp(n, known[i].name) == 0)
            return i;
    return (size_t)luaL_error(L, "unknown signal '%s' (SIGINT, SIGTERM or SIGHUP)", n);
}

/* signal.watch([{names}]) -> true: SIGINT and SIGTERM by default. */
static int l_watch(lua_State *L)
{
    int r = 0;
    if (lua_isnoneornil(L, 1)) {
        r = ebpf_lua_signal_watch();
    } else {
        luaL_checktype(L, 1, LUA_TTABLE);
        lua_Integer n = luaL_len(L, 1);
        for (lua_Integer i = 1; i <= n && r == 0; i++) {
            lua_geti(L, 1, i);
            r = watch_one(check_known(L, -1));
            lua_pop(L, 1);
        }
    }
    if (r < 0)
        return luaL_error(L, "ebpf.signal.watch: sigaction: %s", strerror(-r));
    lua_pushboolean(L, 1);
    return 1;
}

static int push_sig(lua_State *L, int sig)
{
    if (sig)
        lua_pushstring(L, ebpf_lua_signal_name(sig));
    else
        lua_pushnil(L);
    return 1;
}

/* signal.pending() -> "SIGINT" | nil */
static int l_pending(lua_State *L) { return push_sig(L, pending_sig); }

/* signal.clear() -> the signal that was pending, or nil; waits block again. */
static int l_clear(lua_State *L)
{
    int sig = pending_sig;
    pending_sig = 0;
    return push_sig(L, sig);
}

/* signal.unwatch(): the dispositions from before watch(); clears pending. */
static int l_unwatch(lua_State *L)
{
    for (size_t i = 0; i < NKNOWN; i++) {
        if (watched[i]) {
            sigaction(known[i].sig, &previous[i], NULL);
            watched[i] = 0;
        }
    }
    pending_sig = 0;
    (void)L;
    return 0;
}

void ebpf_lua_open_signal(lua_State *L)
{
    lua_pushcfunction(L, l_sleep);
    lua_setfield(L, -2, "sleep");
    static const luaL_Reg funcs[] = {
        {"watch", l_watch}, {"pending", l_pending}, {"clear", l_clear}, {"unwatch", l_unwatch}, {NULL, NULL},
    };
    lua_newtable(L);
    luaL_setfuncs(L, funcs, 0);
    lua_setfield(L, -2, "signal");
}
