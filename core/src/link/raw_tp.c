/* raw_tracepoint and the BTF tracing family (tp_btf, fentry, fexit,
 * fmod_ret, lsm, freplace): raw tracepoint open or a tracing link. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/types.h"
#include "link_internal.h"

static struct ebpf_link *raw_open(const struct ebpf_prog *p, const char *name, const char *what, const char *want)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.raw_tracepoint.name = ebpf_ptr(name);
    a.raw_tracepoint.prog_fd = (uint32_t)ebpf_prog_fd(p);
    int fd = ebpf_sys_bpf_fd(BPF_RAW_TRACEPOINT_OPEN, &a, EBPF_ATTR_SIZE(raw_tracepoint.prog_fd));
    if (fd < 0) {
        if (fd == -ENOENT && name)
            return ebpf_err_null(ENOENT, "attach", "%s: no such raw tracepoint '%s'", what, name);
    }
    return link_from_fd(p, fd, what, want);
}

struct ebpf_link *ebpf_link_raw_tracepoint(const struct ebpf_prog *p, const char *name)
{
    char what[160];
    snprintf(what, sizeof(what), "raw_tracepoint %s", name);
    int t = ebpf_prog_type(p);
    if (t != BPF_PROG_TYPE_RAW_TRACEPOINT && t != BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE) {
        char lab[96];
        const char *tn = ebpf_prog_type_name(t);
        return ebpf_err_null(EINVAL, "attach", "%s (%s): attach %s: wrong program type (this hook needs a 'raw_tracepoint' program)",
                             link_prog_label(p, lab, sizeof(lab)), tn ? tn : "?", what);
    }
    return raw_open(p, name, what, "raw_tracepoint");
}

static struct ebpf_link *tracing_link(const struct ebpf_prog *p, int target_fd, uint32_t btf_id, uint64_t cookie,
                                      const char *what)
{
    int t = ebpf_prog_type(p);
    int at = ebpf_prog_expected_attach_type(p);
    struct link_create_attr lc;
    memset(&lc, 0, sizeof(lc));
    lc.prog_fd = (uint32_t)ebpf_prog_fd(p);
    lc.target_fd = target_fd > 0 ? (uint32_t)target_fd : 0;
    lc.attach_type = (uint32_t)at;
    size_t sz = LC_SIZE(flags);
    if (t == BPF_PROG_TYPE_EXT) {
        lc.u.target_btf_id = btf_id;
        sz = LC_SIZE(u.target_btf_id);
    } else if (cookie) {
        lc.u.tracing.cookie = cookie;
        sz = LC_SIZE(u.tracing.cookie);
    }
    int fd = link_create_raw(&lc, sz);
    if (fd >= 0) {
        struct ebpf_link *l = link_new(EBPF_LINK_BPF, "%s", what);
        if (!l) {
            close(fd);
            return NULL;
        }
        l->fd = fd;
        return l;
    }
    /* Before 5.x tracing links came from RAW_TRACEPOINT_OPEN with no name. */
    if ((fd == -EINVAL || fd == -EOPNOTSUPP) && !cookie && target_fd <= 0 && btf_id == 0)
        return raw_open(p, NULL, what, NULL);
    link_fail(p, -fd, what, NULL);
    errno = -fd;
    return NULL;
}

struct ebpf_link *ebpf_link_tracing(const struct ebpf_prog *p, uint64_t cookie)
{
    int t = ebpf_prog_type(p);
    int at = ebpf_prog_expected_attach_type(p);
    const char *an = ebpf_attach_type_name(at);
    char what[160];
    snprintf(what, sizeof(what), "%s program", an ? an : "tracing");
    if (t != BPF_PROG_TYPE_TRACING && t != BPF_PROG_TYPE_LSM && t != BPF_PROG_TYPE_EXT) {
        char lab[96];
        const char *tn = ebpf_prog_type_name(t);
        return ebpf_err_null(EINVAL, "attach",
                             "%s (%s): attach as tracing link: wrong program type (needs 'tracing', 'lsm' or 'ext' loaded with attach_btf_id)",
                             link_prog_label(p, lab, sizeof(lab)), tn ? tn : "?");
    }
    struct bpf_prog_info info;
    if (ebpf_prog_get_info(p, &info) == 0 && info.attach_btf_id)
        snprintf(what, sizeof(what), "%s (btf id %u)", an ? an : "tracing", info.attach_btf_id);
    return tracing_link(p, 0, 0, cookie, what);
}

struct ebpf_link *ebpf_link_freplace(const struct ebpf_prog *p, int target_prog_fd, uint32_t target_btf_id)
{
    char what[160];
    snprintf(what, sizeof(what), "freplace (target prog fd %d, btf id %u)", target_prog_fd, target_btf_id);
    if (ebpf_prog_type(p) != BPF_PROG_TYPE_EXT) {
        char lab[96];
        return ebpf_err_null(EINVAL, "attach", "%s: attach %s: wrong program type (this hook needs an 'ext' program)",
                             link_prog_label(p, lab, sizeof(lab)), what);
    }
    return tracing_link(p, target_prog_fd, target_btf_id, 0, what);
}
