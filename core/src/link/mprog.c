/* Multi-program hooks (tcx, netkit: 6.6+): a new link placed among the
 * programs already there, and BPF_PROG_QUERY of a hook. */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "link_internal.h"

int link_mprog_create(const struct ebpf_prog *p, int ifindex, int attach_type, const struct link_mprog_pos *pos,
                      const char *what)
{
    struct link_create_attr lc;
    memset(&lc, 0, sizeof(lc));
    lc.prog_fd = (uint32_t)ebpf_prog_fd(p);
    lc.target_fd = (uint32_t)ifindex;
    lc.attach_type = (uint32_t)attach_type;
    if (pos->before)
        lc.flags |= EBPF_F_BEFORE;
    if (pos->after)
        lc.flags |= EBPF_F_AFTER;
    if ((pos->before || pos->after) && pos->relative_fd >= 0) {
        lc.u.tcx.relative_fd = (uint32_t)pos->relative_fd;
        if (pos->relative_is_link)
            lc.flags |= EBPF_F_LINK;
    }
    lc.u.tcx.expected_revision = pos->expected_revision;
    int fd = link_create_raw(&lc, LC_SIZE(u.tcx.expected_revision));
    if (fd == -ESTALE)
        return ebpf_err(ESTALE, "attach", "%s: expected revision %llu is stale", what,
                        (unsigned long long)pos->expected_revision);
    return fd;
}

/* BPF_PROG_QUERY's attr as of 6.6 (link ids and revision are newer than
 * the build's <linux/bpf.h>). The layout is ABI. */
struct query_attr {
    uint32_t target;        /* fd or ifindex */
    uint32_t attach_type;
    uint32_t query_flags;
    uint32_t attach_flags;
    uint64_t prog_ids;
    uint32_t count;
    uint32_t pad;
    uint64_t prog_attach_flags;
    uint64_t link_ids;
    uint64_t link_attach_flags;
    uint64_t revision;
};

int ebpf_prog_query(int target, int attach_type, struct ebpf_prog_query *q)
{
    return ebpf_prog_query_flags(target, attach_type, 0, q);
}

int ebpf_prog_query_flags(int target, int attach_type, uint32_t query_flags, struct ebpf_prog_query *q)
{
    memset(q, 0, sizeof(*q));
    union {
        union bpf_attr a;
        struct query_attr qa;
        unsigned char bytes[sizeof(struct query_attr)];
    } b;
    memset(&b, 0, sizeof(b));
    b.qa.target = (uint32_t)target;
    b.qa.attach_type = (uint32_t)attach_type;
    b.qa.query_flags = query_flags;
    b.qa.prog_ids = ebpf_ptr(q->prog_ids);
    b.qa.count = 64;
    b.qa.link_ids = ebpf_ptr(q->link_ids);
    int r = ebpf_sys_bpf(BPF_PROG_QUERY, &b.a, sizeof(b.qa));
    if (r < 0 && r == -EINVAL) { /* before 6.6: no link ids or revision */
        b.qa.link_ids = 0;
        b.qa.count = 64;
        r = ebpf_sys_bpf(BPF_PROG_QUERY, &b.a, offsetof(struct query_attr, pad));
    }
    if (r < 0 && r != -ENOSPC)
        return ebpf_err(-r, "query", "BPF_PROG_QUERY (attach type %d): %s", attach_type, strerror(-r));
    q->attach_flags = b.qa.attach_flags;
    q->revision = b.qa.revision;
    return (int)(b.qa.count < 64 ? b.qa.count : 64);
}
