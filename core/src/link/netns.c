/* Network-namespace programs: sk_lookup and flow_dissector (netns links,
 * 5.8/5.9; flow_dissector falls back to PROG_ATTACH). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "link_internal.h"

struct ebpf_link *link_create_or_attach(const struct ebpf_prog *p, int target_fd, int attach_type, uint32_t flags,
                                        const char *what);

struct ebpf_link *ebpf_link_netns(const struct ebpf_prog *p, const char *netns_path, int netns_fd)
{
    int t = ebpf_prog_type(p);
    int at;
    const char *kind;
    if (t == BPF_PROG_TYPE_SK_LOOKUP) {
        at = BPF_SK_LOOKUP;
        kind = "sk_lookup";
    } else if (t == BPF_PROG_TYPE_FLOW_DISSECTOR) {
        at = BPF_FLOW_DISSECTOR;
        kind = "flow_dissector";
    } else {
        char lab[96];
        const char *tn = ebpf_prog_type_name(t);
        return ebpf_err_null(EINVAL, "attach", "%s (%s): attach to a netns: wrong program type (needs 'sk_lookup' or 'flow_dissector')",
                             link_prog_label(p, lab, sizeof(lab)), tn ? tn : "?");
    }
    const char *np = netns_path ? netns_path : netns_fd < 0 ? "/proc/self/ns/net" : NULL;
    char what[300];
    snprintf(what, sizeof(what), "%s netns %s", kind, np ? np : "(fd)");
    int fd = netns_fd;
    if (np) {
        fd = open(np, O_RDONLY | O_NONBLOCK | O_CLOEXEC); /* a FIFO named here must not block */
        if (fd < 0)
            return ebpf_err_null(errno, "attach", "%s: open: %s", what, strerror(errno));
    }
    struct ebpf_link *l;
    if (at == BPF_SK_LOOKUP)
        l = ebpf_link_create(p, fd, at, 0, what);
    else
        l = link_create_or_attach(p, fd, at, 0, what);
    if (np) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return l;
}
