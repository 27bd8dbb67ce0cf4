/* tcx ingress/egress links (6.6+) with before/after ordering. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/features.h"
#include "link_internal.h"

struct ebpf_link *ebpf_link_tcx(const struct ebpf_prog *p, int ifindex, const struct ebpf_tcx_opts *o)
{
    char ifn[IF_NAMESIZE] = "?";
    if_indextoname((unsigned)ifindex, ifn);
    char what[128];
    snprintf(what, sizeof(what), "tcx %s %s (ifindex %d)", o->egress ? "egress" : "ingress", ifn, ifindex);
    int t = ebpf_prog_type(p);
    if (t != BPF_PROG_TYPE_SCHED_CLS && t != BPF_PROG_TYPE_SCHED_ACT)
        return link_fail(p, EINVAL, what, "sched_cls"), errno = EINVAL, NULL;
    struct link_mprog_pos pos = {o->before, o->after, o->relative_fd, o->relative_is_link, o->expected_revision};
    int fd = link_mprog_create(p, ifindex, o->egress ? UAPI_ATTACH_TCX_EGRESS : UAPI_ATTACH_TCX_INGRESS, &pos, what);
    if (fd == -ESTALE)
        return errno = ESTALE, NULL;
    const char *why;
    if (fd == -EINVAL && ebpf_feature_link("tcx", &why) == EBPF_FEATURE_UNSUPPORTED) {
        char lab[96];
        return ebpf_err_null(EINVAL, "attach", "%s: attach %s: this kernel has no tcx links (%s); "
                             "classic tc (ebpf_link_tc) works everywhere",
                             link_prog_label(p, lab, sizeof(lab)), what, why);
    }
    return link_from_fd(p, fd, what, "sched_cls");
}
