/* struct_ops maps created with BPF_F_LINK become active through a link
 * whose target is the map (5.17+ for the map-based link). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "link_internal.h"

struct ebpf_link *ebpf_link_struct_ops(int map_fd, const char *name)
{
    char what[128];
    snprintf(what, sizeof(what), "struct_ops %s", name ? name : "map");
    struct link_create_attr lc;
    memset(&lc, 0, sizeof(lc));
    lc.prog_fd = (uint32_t)map_fd; /* the map goes where the program would */
    lc.attach_type = UAPI_ATTACH_STRUCT_OPS;
    int fd = link_create_raw(&lc, LC_SIZE(flags));
    if (fd < 0)
        return ebpf_err_null(-fd, "attach", "%s: %s%s", what, strerror(-fd),
                             fd == -EINVAL ? " (the map must be a struct_ops map created with the 'link' flag)" : "");
    struct ebpf_link *l = link_new(EBPF_LINK_BPF, "%s", what);
    if (!l) {
        close(fd);
        return NULL;
    }
    l->fd = fd;
    return l;
}
