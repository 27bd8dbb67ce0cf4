/* netkit links (6.7+): programs on the primary or peer side of a netkit
 * device pair, ordered like tcx. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "ebpf/features.h"
#include "link_internal.h"

struct ebpf_link *ebpf_link_netkit(const struct ebpf_prog *p, int ifindex, const struct ebpf_netkit_opts *o)
{
    char ifn[IF_NAMESIZE] = "?";
    if_indextoname((unsigned)ifindex, ifn);
    char what[128];
    snprintf(what, sizeof(what), "netkit %s %s (ifindex %d)", o->peer ? "peer" : "primary", ifn, ifindex);
    int t = ebpf_prog_type(p);
    if (t != BPF_PROG_TYPE_SCHED_CLS)
        return link_fail(p, EINVAL, what, "sched_cls"), errno = EINVAL, NULL;
    struct link_mprog_pos pos = {o->before, o->after, o->relative_fd, o->relative_is_link, o->expected_revision};
    int fd = link_mprog_create(p, ifindex, o->peer ? UAPI_ATTACH_NETKIT_PEER : UAPI_ATTACH_NETKIT_PRIMARY, &pos,
                               what);
    if (fd == -ESTALE)
        return errno = ESTALE, NULL;
    const char *why;
    char lab[96];
    if (fd == -EINVAL && ebpf_feature_link("netkit", &why) == EBPF_FEATURE_UNSUPPORTED)
        return ebpf_err_null(EINVAL, "attach", "%s: attach %s: this kernel has no netkit links (%s)",
                             link_prog_label(p, lab, sizeof(lab)), what, why);
    if (fd == -ENXIO || fd == -EINVAL)
        return ebpf_err_null(-fd, "attach", "%s: attach %s: %s (is it the primary device of a netkit pair?)",
                             link_prog_label(p, lab, sizeof(lab)), what, strerror(-fd));
    return link_from_fd(p, fd, what, "sched_cls");
}
