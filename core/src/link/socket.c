/* Socket filters: SO_ATTACH_BPF (socket_filter) or
 * SO_ATTACH_REUSEPORT_EBPF (sk_reuseport). The link keeps a dup of the
 * socket so close() can detach. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "link_internal.h"

struct ebpf_link *ebpf_link_socket(const struct ebpf_prog *p, int sock_fd)
{
    int t = ebpf_prog_type(p);
    int opt = t == BPF_PROG_TYPE_SK_REUSEPORT ? SO_ATTACH_REUSEPORT_EBPF : SO_ATTACH_BPF;
    char what[96];
    snprintf(what, sizeof(what), "socket fd %d (%s)", sock_fd,
             opt == SO_ATTACH_BPF ? "SO_ATTACH_BPF" : "SO_ATTACH_REUSEPORT_EBPF");
    int pfd = ebpf_prog_fd(p);
    if (setsockopt(sock_fd, SOL_SOCKET, opt, &pfd, sizeof(pfd)) < 0) {
        int e = errno;
        if (e == EINVAL && t != BPF_PROG_TYPE_SOCKET_FILTER)
            return link_fail(p, e, what, "socket_filter"), errno = e, NULL;
        return ebpf_err_null(e, "attach", "%s: %s", what, strerror(e));
    }
    struct ebpf_link *l = link_new(EBPF_LINK_SOCKET, "%s", what);
    if (!l)
        return NULL;
    l->target_fd = opt == SO_ATTACH_BPF ? ebpf_fd_dup(sock_fd) : -1; /* reuseport has no detach */
    return l;
}
