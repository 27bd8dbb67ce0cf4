/* BPF iterators: an iter link, then BPF_ITER_CREATE for each read. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "link_internal.h"

struct ebpf_link *ebpf_link_iter(const struct ebpf_prog *p, const struct ebpf_iter_opts *o)
{
    union bpf_iter_link_info info;
    memset(&info, 0, sizeof(info));
    /* Layout: map.map_fd | cgroup{order, cgroup_fd, id} | task{tid, pid, pid_fd} (6.1+) */
    uint32_t raw[4] = {0};
    size_t len = 0;
    if (o && o->map_fd >= 0) {
        raw[0] = (uint32_t)o->map_fd;
        len = 4;
    } else if (o && o->cgroup_fd >= 0) {
        raw[0] = o->cgroup_order;
        raw[1] = (uint32_t)o->cgroup_fd;
        len = 12;
    } else if (o && (o->tid || o->pid || o->pid_fd)) {
        raw[0] = o->tid;
        raw[1] = o->pid;
        raw[2] = o->pid_fd;
        len = 12;
    }
    char what[96];
    const char *pn = ebpf_prog_name(p);
    snprintf(what, sizeof(what), "iter %s", pn && pn[0] ? pn : "program");
    if (ebpf_prog_type(p) != BPF_PROG_TYPE_TRACING || ebpf_prog_expected_attach_type(p) != BPF_TRACE_ITER)
        return link_fail(p, EINVAL, what, "tracing' with expected_attach_type 'trace_iter"), errno = EINVAL, NULL;
    struct link_create_attr lc;
    memset(&lc, 0, sizeof(lc));
    lc.prog_fd = (uint32_t)ebpf_prog_fd(p);
    lc.attach_type = BPF_TRACE_ITER;
    size_t sz = LC_SIZE(flags);
    if (len) {
        lc.u.iter.iter_info = ebpf_ptr(raw);
        lc.u.iter.iter_info_len = (uint32_t)len;
        sz = LC_SIZE(u.iter.iter_info_len);
    }
    int fd = link_create_raw(&lc, sz);
    return link_from_fd(p, fd, what, NULL);
}

int ebpf_link_iter_open(const struct ebpf_link *l)
{
    if (l->fd < 0)
        return ebpf_err(EINVAL, "open", "link %s: not an iterator link", l->desc);
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.iter_create.link_fd = (uint32_t)l->fd;
    int fd = ebpf_sys_bpf_fd(BPF_ITER_CREATE, &a, EBPF_ATTR_SIZE(iter_create));
    if (fd < 0)
        return ebpf_err(-fd, "open", "link %s: iter create: %s%s", l->desc, strerror(-fd),
                        fd == -EINVAL ? " (not an iterator link)" : "");
    return fd;
}
