/* Link kind probes: BPF_LINK_CREATE with a real (trivial) program and a
 * target the kernel must refuse. Where the attach path exists the kernel
 * gets as far as looking the target up and fails with a telling errno
 * (EBADF, ENODEV, ESRCH, EAFNOSUPPORT); where it does not, the attach type
 * is unknown and the answer is EINVAL. Nothing is ever attached. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/sys.h"
#include "error_internal.h"
#include "features_internal.h"

/* BPF_LINK_CREATE attributes, laid out by hand because the kinds newer
 * than the build's <linux/bpf.h> (uprobe_multi, netfilter, tcx) are
 * missing from its union. The layout is ABI. */
struct link_attr {
    uint32_t prog_fd;
    uint32_t target;      /* target_fd or target_ifindex */
    uint32_t attach_type;
    uint32_t flags;
    union {
        struct { uint32_t flags, cnt; uint64_t syms, addrs, cookies; } kprobe_multi;
        struct { uint64_t path, offsets, ref_ctr_offsets, cookies; uint32_t cnt, flags, pid; } uprobe_multi;
        struct { uint32_t pf, hooknum; int32_t priority; uint32_t flags; } netfilter;
        struct { uint32_t relative; uint32_t pad; uint64_t expected_revision; } tcx;
        uint64_t pad[8];
    } u;
};

#define BAD_FD 0x7ffffff0u /* never an open fd */

struct link_probe {
    const char *name;
    int prog_type;
    int expected_attach_type; /* for the program load */
    int attach_type;          /* for link_create */
    int yes_errno;            /* the errno that proves the path exists */
    const char *what;
};

static const struct link_probe probes[] = {
    {"perf_event", BPF_PROG_TYPE_TRACEPOINT, 0, BPF_PERF_EVENT, EBADF,
     "perf event links (BPF_PERF_EVENT, 5.15)"},
    {"kprobe_multi", BPF_PROG_TYPE_KPROBE, BPF_TRACE_KPROBE_MULTI, BPF_TRACE_KPROBE_MULTI, ESRCH,
     "kprobe.multi links (5.18, needs fprobe)"},
    {"uprobe_multi", BPF_PROG_TYPE_KPROBE, UAPI_ATTACH_TRACE_UPROBE_MULTI, UAPI_ATTACH_TRACE_UPROBE_MULTI, EBADF,
     "uprobe.multi links (6.6)"},
    {"tcx", BPF_PROG_TYPE_SCHED_CLS, UAPI_ATTACH_TCX_INGRESS, UAPI_ATTACH_TCX_INGRESS, ENODEV,
     "tcx links (6.6)"},
    {"netkit", BPF_PROG_TYPE_SCHED_CLS, UAPI_ATTACH_NETKIT_PRIMARY, UAPI_ATTACH_NETKIT_PRIMARY, ENODEV,
     "netkit links (6.7)"},
    {"netfilter", UAPI_PROG_NETFILTER, UAPI_ATTACH_NETFILTER, UAPI_ATTACH_NETFILTER, EAFNOSUPPORT,
     "netfilter links (6.4)"},
    {"cgroup", BPF_PROG_TYPE_CGROUP_SKB, BPF_CGROUP_INET_INGRESS, BPF_CGROUP_INET_INGRESS, EBADF,
     "cgroup links (5.7)"},
    {"kprobe_session", BPF_PROG_TYPE_KPROBE, UAPI_ATTACH_TRACE_KPROBE_SESSION, UAPI_ATTACH_TRACE_KPROBE_SESSION, ESRCH,
     "kprobe.session links (6.10, needs fprobe)"},
    {"uprobe_session", BPF_PROG_TYPE_KPROBE, UAPI_ATTACH_TRACE_UPROBE_SESSION, UAPI_ATTACH_TRACE_UPROBE_SESSION, EBADF,
     "uprobe.session links (6.13)"},
    /* A bogus BTF id gets EINVAL like an unknown attach type: the program
     * load decides (before 7.2 a tracing program without attach_btf_id is
     * refused with EINVAL). */
    {"tracing_multi", BPF_PROG_TYPE_TRACING, UAPI_ATTACH_TRACE_FENTRY_MULTI, 0, 0,
     "tracing multi links (7.2)"},
};
#define NPROBES ((int)(sizeof(probes) / sizeof(probes[0])))
static struct feat_result cache[NPROBES];

struct feat_result *feat_link_slot(const char *name)
{
    for (int i = 0; i < NPROBES; i++)
        if (!strcmp(probes[i].name, name))
            return &cache[i];
    return NULL;
}

const char *ebpf_feature_link_at(int i)
{
    return i >= 0 && i < NPROBES ? probes[i].name : NULL;
}

static int run(const struct link_probe *p, struct feat_result *r)
{
    struct bpf_insn insns[] = {
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
        {.code = BPF_JMP | BPF_EXIT},
    };
    char buf[256];
    struct feat_load l = {.type = p->prog_type, .expected_attach_type = p->expected_attach_type,
                          .insns = insns, .insn_cnt = 2};
    int pfd = feat_prog_load(&l);
    if (pfd < 0) {
        if (pfd == -EPERM || pfd == -EACCES)
            return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, feat_eperm_reason, 0);
        if (pfd == -EINVAL) {
            snprintf(buf, sizeof(buf), "the kernel cannot load the program the link needs (%s)",
                     strerror(EINVAL));
            return feat_set(r, EBPF_FEATURE_UNSUPPORTED, buf, 1);
        }
        snprintf(buf, sizeof(buf), "loading the probe program failed: %s", strerror(-pfd));
        return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, buf, 1);
    }
    if (!p->attach_type) { /* the load was the question */
        close(pfd);
        snprintf(buf, sizeof(buf), "the kernel loads programs for %s", p->what);
        return feat_set(r, EBPF_FEATURE_SUPPORTED, buf, 1);
    }

    struct link_attr a;
    memset(&a, 0, sizeof(a));
    a.prog_fd = (uint32_t)pfd;
    a.target = BAD_FD;
    a.attach_type = (uint32_t)p->attach_type;
    static const char nosym[] = "ebpf_lua_feature_probe_no_such_symbol";
    const char *syms[1] = {nosym};
    uint64_t offsets[1] = {0};
    size_t size = offsetof(struct link_attr, u) + 8;
    if (p->attach_type == BPF_TRACE_KPROBE_MULTI || p->attach_type == UAPI_ATTACH_TRACE_KPROBE_SESSION) {
        a.target = 0;
        a.u.kprobe_multi.cnt = 1;
        a.u.kprobe_multi.syms = ebpf_ptr(syms);
        size = offsetof(struct link_attr, u) + sizeof(a.u.kprobe_multi);
    } else if (p->attach_type == UAPI_ATTACH_TRACE_UPROBE_MULTI || p->attach_type == UAPI_ATTACH_TRACE_UPROBE_SESSION) {
        /* A directory is not a regular file: EBADF after the path lookup. */
        a.target = 0;
        a.u.uprobe_multi.path = ebpf_ptr("/");
        a.u.uprobe_multi.offsets = ebpf_ptr(offsets);
        a.u.uprobe_multi.cnt = 1;
        size = offsetof(struct link_attr, u) + sizeof(a.u.uprobe_multi);
    } else if (p->attach_type == UAPI_ATTACH_NETFILTER) {
        a.target = 0;
        a.u.netfilter.pf = 0; /* NFPROTO_UNSPEC: refused with EAFNOSUPPORT */
        size = offsetof(struct link_attr, u) + sizeof(a.u.netfilter);
    } else if (p->attach_type == UAPI_ATTACH_TCX_INGRESS || p->attach_type == UAPI_ATTACH_NETKIT_PRIMARY) {
        a.target = 0; /* ifindex 0 never exists */
        size = offsetof(struct link_attr, u) + sizeof(a.u.tcx);
    }
    feat_count();
    int fd = ebpf_sys_bpf_fd(BPF_LINK_CREATE, (union bpf_attr *)(void *)&a, size);
    close(pfd);
    if (fd >= 0) { /* cannot happen with these targets; don't keep it */
        close(fd);
        return feat_set(r, EBPF_FEATURE_SUPPORTED, "", 0);
    }
    int e = -fd;
    if (e == p->yes_errno || (p->yes_errno == ESRCH && e == ENOENT)) {
        snprintf(buf, sizeof(buf), "attach path exists (bogus target refused with %s)", ebpf_errno_name(e));
        return feat_set(r, EBPF_FEATURE_SUPPORTED, buf, 1);
    }
    if (e == EINVAL) {
        snprintf(buf, sizeof(buf), "kernel does not know %s (EINVAL)", p->what);
        return feat_set(r, EBPF_FEATURE_UNSUPPORTED, buf, 1);
    }
    if (e == EOPNOTSUPP || e == FEAT_ENOTSUPP) {
        snprintf(buf, sizeof(buf), "%s: not built into this kernel (%s)", p->what, ebpf_errno_name(e));
        return feat_set(r, EBPF_FEATURE_UNSUPPORTED, buf, 1);
    }
    if (e == EPERM || e == EACCES)
        return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, feat_eperm_reason, 0);
    snprintf(buf, sizeof(buf), "unexpected answer %s (%s)", ebpf_errno_name(e), strerror(e));
    return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, buf, 1);
}

int ebpf_feature_link(const char *kind, const char **reason)
{
    for (int i = 0; kind && i < NPROBES; i++) {
        if (strcmp(probes[i].name, kind))
            continue;
        feat_lock();
        int st = feat_get(&cache[i], reason);
        if (st < 0) {
            st = run(&probes[i], &cache[i]);
            if (reason)
                *reason = cache[i].reason;
        }
        feat_unlock();
        return st;
    }
    return ebpf_err(EINVAL, "probe", "feature probe: unknown link kind '%s'", kind ? kind : "(null)");
}
