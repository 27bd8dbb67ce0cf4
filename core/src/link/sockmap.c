/* sk_skb / sk_msg programs on a sockmap or sockhash (PROG_ATTACH on the
 * map; sockmap links exist only since 6.10). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ebpf/types.h"
#include "link_internal.h"

struct ebpf_link *link_create_or_attach(const struct ebpf_prog *p, int target_fd, int attach_type, uint32_t flags,
                                        const char *what);

struct ebpf_link *ebpf_link_sockmap(const struct ebpf_prog *p, int map_fd, int attach_type)
{
    if (attach_type < 0)
        attach_type = ebpf_prog_expected_attach_type(p);
    const char *an = ebpf_attach_type_name(attach_type);
    char what[128];
    snprintf(what, sizeof(what), "sockmap fd %d %s", map_fd, an ? an : "?");
    return link_create_or_attach(p, map_fd, attach_type, 0, what);
}
