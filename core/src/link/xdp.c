/* XDP via bpf_link (5.9+); flags pick generic (skb), native (drv) or
 * offloaded mode. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "link_internal.h"

struct ebpf_link *ebpf_link_xdp(const struct ebpf_prog *p, int ifindex, uint32_t flags)
{
    char ifn[IF_NAMESIZE] = "?";
    if_indextoname((unsigned)ifindex, ifn);
    char what[96];
    snprintf(what, sizeof(what), "xdp %s (ifindex %d)%s", ifn, ifindex,
             flags & 2 ? " generic" : flags & 4 ? " native" : flags & 8 ? " offload" : "");
    if (ebpf_prog_type(p) != BPF_PROG_TYPE_XDP)
        return link_fail(p, EINVAL, what, "xdp"), errno = EINVAL, NULL;
    struct link_create_attr lc;
    memset(&lc, 0, sizeof(lc));
    lc.prog_fd = (uint32_t)ebpf_prog_fd(p);
    lc.target_fd = (uint32_t)ifindex;
    lc.attach_type = BPF_XDP;
    lc.flags = flags;
    int fd = link_create_raw(&lc, LC_SIZE(flags));
    if (fd < 0) {
        if (fd == -ENODEV)
            return ebpf_err_null(ENODEV, "attach", "%s: no such interface", what);
        if (fd == -EBUSY)
            return ebpf_err_null(EBUSY, "attach", "%s: an XDP program is already attached in another mode", what);
    }
    return link_from_fd(p, fd, what, "xdp");
}
