/* Clean stop on SIGINT/SIGTERM: the library's own handlers record the
 * signal, and every wait of the binding (reader poll/read/records,
 * ebpf.sleep) returns early once one came, race-free (the signals are
 * blocked between the check and the wait, which unblocks them atomically).
 * A second signal while one is pending gets the default action, so a
 * script that ignores the first still dies at the second Ctrl-C.
 *
 * Process-wide by nature: signal dispositions are, so this is the one
 * place of the binding with C globals. */
#pragma once

#include "lcommon.h"

/* Installs the handlers (once; a signal the process ignores stays
 * ignored). 0 or -errno. */
int ebpf_lua_signal_watch(void);

/* The signal number that came since the last clear, or 0. */
int ebpf_lua_signal_pending(void);

/* "SIGINT" / "SIGTERM" / "SIGHUP" / "signal N". */
const char *ebpf_lua_signal_name(int sig);

/* epoll_wait(epfd, ..., timeout_ms) that also ends on a watched signal:
 * 1 ready, 0 timed out, -EINTR interrupted (check ebpf_lua_signal_pending:
 * 0 means another signal), -errno. Watches first. */
int ebpf_lua_signal_epoll_wait(int epfd, int timeout_ms);

void ebpf_lua_open_signal(lua_State *L);
