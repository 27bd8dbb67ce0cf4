/* tracepoint CATEGORY/NAME: a perf event of type PERF_TYPE_TRACEPOINT with
 * the tracefs event id. */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "link_internal.h"

struct ebpf_link *ebpf_link_tracepoint(const struct ebpf_prog *p, const char *category, const char *name,
                                       uint64_t cookie)
{
    char what[256];
    snprintf(what, sizeof(what), "tracepoint %s/%s", category, name);
    if (strchr(category, '/') || strchr(name, '/') || strstr(category, "..") || strstr(name, ".."))
        return ebpf_err_null(EINVAL, "attach", "%s: invalid tracepoint name", what);
    int id = link_tracefs_event_id(category, name);
    if (id < 0) {
        const char *root = link_tracefs();
        if (id == -ENOENT)
            return ebpf_err_null(ENOENT, "attach", "%s: no such tracepoint (%s/events/%s/%s/id not found)", what,
                                 root ? root : "tracefs", category, name);
        return ebpf_err_null(-id, "attach", "%s: reading its id: %s", what, strerror(-id));
    }
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.type = PERF_TYPE_TRACEPOINT;
    a.config = (uint64_t)id;
    a.sample_period = 1;
    a.wakeup_events = 1;
    int fd = link_perf_event_open(&a, -1, 0, -1, 0);
    if (fd < 0) {
        link_fail(p, -fd, what, "tracepoint");
        errno = -fd;
        return NULL;
    }
    int t = ebpf_prog_type(p);
    if (t != BPF_PROG_TYPE_TRACEPOINT && t != BPF_PROG_TYPE_PERF_EVENT && t != BPF_PROG_TYPE_KPROBE) {
        close(fd);
        char lab[96];
        const char *tn = ebpf_prog_type_name(t);
        return ebpf_err_null(EINVAL, "attach", "%s (%s): attach %s: wrong program type (this hook needs a 'tracepoint' program)",
                             link_prog_label(p, lab, sizeof(lab)), tn ? tn : "?", what);
    }
    return link_attach_perf(p, fd, cookie, what);
}
