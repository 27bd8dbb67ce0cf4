/* netfilter hooks (6.4+): protocol family, hook and priority. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "link_internal.h"

static const char *hook_name(uint32_t h)
{
    static const char *const n[] = {"prerouting", "local_in", "forward", "local_out", "postrouting"};
    return h < 5 ? n[h] : "?";
}

struct ebpf_link *ebpf_link_netfilter(const struct ebpf_prog *p, const struct ebpf_netfilter_opts *o)
{
    char what[128];
    snprintf(what, sizeof(what), "netfilter %s %s priority %d", o->pf == 10 ? "ipv6" : o->pf == 2 ? "ipv4" : "?",
             hook_name(o->hooknum), o->priority);
    struct link_create_attr lc;
    memset(&lc, 0, sizeof(lc));
    lc.prog_fd = (uint32_t)ebpf_prog_fd(p);
    lc.attach_type = UAPI_ATTACH_NETFILTER;
    lc.u.nf.pf = o->pf;
    lc.u.nf.hooknum = o->hooknum;
    lc.u.nf.priority = o->priority;
    lc.u.nf.flags = o->flags;
    int fd = link_create_raw(&lc, LC_SIZE(u.nf.flags));
    if (fd < 0) {
        if (fd == -EBUSY)
            return ebpf_err_null(EBUSY, "attach", "%s: another hook has this priority", what);
    }
    return link_from_fd(p, fd, what, "netfilter");
}
