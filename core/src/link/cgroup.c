/* cgroup programs: a cgroup bpf_link (5.7+) or BPF_PROG_ATTACH with
 * flags on older kernels. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/types.h"
#include "link_internal.h"

struct ebpf_link *link_legacy_attach(const struct ebpf_prog *p, int target_fd, int attach_type, uint32_t flags,
                                     const char *what)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.target_fd = (uint32_t)target_fd;
    a.attach_bpf_fd = (uint32_t)ebpf_prog_fd(p);
    a.attach_type = (uint32_t)attach_type;
    a.attach_flags = flags;
    int r = ebpf_sys_bpf(BPF_PROG_ATTACH, &a, EBPF_ATTR_SIZE(replace_bpf_fd));
    if (r < 0) {
        link_fail(p, -r, what, NULL);
        errno = -r;
        return NULL;
    }
    struct ebpf_link *l = link_new(EBPF_LINK_LEGACY, "%s (prog_attach)", what);
    if (!l)
        return NULL;
    l->target_fd = ebpf_fd_dup(target_fd);
    l->prog_fd = ebpf_fd_dup(ebpf_prog_fd(p));
    l->attach_type = attach_type;
    return l;
}

/* LINK_CREATE, falling back to PROG_ATTACH where the kernel has no link
 * for this attach point. */
struct ebpf_link *link_create_or_attach(const struct ebpf_prog *p, int target_fd, int attach_type, uint32_t flags,
                                        const char *what)
{
    struct link_create_attr lc;
    memset(&lc, 0, sizeof(lc));
    lc.prog_fd = (uint32_t)ebpf_prog_fd(p);
    lc.target_fd = (uint32_t)target_fd;
    lc.attach_type = (uint32_t)attach_type;
    int fd = link_create_raw(&lc, LC_SIZE(flags));
    if (fd >= 0) {
        struct ebpf_link *l = link_new(EBPF_LINK_BPF, "%s", what);
        if (!l) {
            close(fd);
            return NULL;
        }
        l->fd = fd;
        return l;
    }
    if (fd == -EINVAL || fd == -EOPNOTSUPP || fd == -ENOSYS)
        return link_legacy_attach(p, target_fd, attach_type, flags, what);
    link_fail(p, -fd, what, NULL);
    errno = -fd;
    return NULL;
}

struct ebpf_link *ebpf_link_cgroup(const struct ebpf_prog *p, const char *path, int cgroup_fd, int attach_type,
                                   uint32_t flags)
{
    if (attach_type < 0)
        attach_type = ebpf_prog_expected_attach_type(p);
    const char *an = ebpf_attach_type_name(attach_type);
    char what[512];
    snprintf(what, sizeof(what), "cgroup %s %s", an ? an : "?", path ? path : "(fd)");
    int fd = cgroup_fd;
    if (path) {
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
            return ebpf_err_null(errno, "attach", "%s: open cgroup: %s", what, strerror(errno));
    }
    struct ebpf_link *l;
    if (flags & BPF_F_ALLOW_OVERRIDE) /* links are multi only: explicit legacy semantics */
        l = link_legacy_attach(p, fd, attach_type, flags, what);
    else
        l = link_create_or_attach(p, fd, attach_type, flags ? flags : BPF_F_ALLOW_MULTI, what);
    if (path) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return l;
}
