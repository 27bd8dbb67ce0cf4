/* The section-name conventions: one table from section prefix to program
 * type, expected attach type, attach kind and flags (libbpf's names). */
#include <string.h>

#include "ebpf/elf.h"
#include "elf_internal.h"

/* libbpf's matching rules, written into each pattern:
 *   "name+"  the exact name, or "name/" followed by a target;
 *   "name/"  "name/" followed by a target (possibly empty);
 *   "name"   the exact name only (so "xdp/foo" or "socket/x" is nothing).
 * First match wins, in libbpf's order (its newest table: the entries newer
 * than Debian 12's libbpf 1.1 are marked; docs/elf.md lists them). */
/* eat -1: cgroup/skb, whose attach type the loader leaves open. The
 * entries are constants (no lazy initialisation, nothing to race on). */
enum { F_SLEEP = 1, F_FRAGS = 2, F_BTF = 4 };
#define T(pat, type, eat, knd, fl)                                                                       \
    {.prefix = pat, .prog_type = BPF_PROG_TYPE_##type, .expected_attach_type = (eat) < 0 ? 0 : (eat),  \
     .kind = EBPF_ATTACH_##knd, .sleepable = ((fl) & F_SLEEP) != 0, .frags = ((fl) & F_FRAGS) != 0,    \
     .btf_target = ((fl) & F_BTF) != 0,                                                                \
     .has_attach_type = (eat) > 0 || ((eat) == 0 && BPF_PROG_TYPE_##type == BPF_PROG_TYPE_CGROUP_SKB)}

static const struct ebpf_sec_info table[] = {
    T("socket", SOCKET_FILTER, 0, SOCKET, 0),
    T("sk_reuseport/migrate", SK_REUSEPORT, BPF_SK_REUSEPORT_SELECT_OR_MIGRATE, SK_REUSEPORT, 0),
    T("sk_reuseport", SK_REUSEPORT, BPF_SK_REUSEPORT_SELECT, SK_REUSEPORT, 0),
    T("kprobe+", KPROBE, 0, KPROBE, 0),
    T("uprobe+", KPROBE, 0, UPROBE, 0),
    T("uprobe.s+", KPROBE, 0, UPROBE, F_SLEEP),
    T("kretprobe+", KPROBE, 0, KRETPROBE, 0),
    T("uretprobe+", KPROBE, 0, URETPROBE, 0),
    T("uretprobe.s+", KPROBE, 0, URETPROBE, F_SLEEP),
    T("kprobe.multi+", KPROBE, BPF_TRACE_KPROBE_MULTI, KPROBE_MULTI, 0),
    T("kretprobe.multi+", KPROBE, BPF_TRACE_KPROBE_MULTI, KRETPROBE_MULTI, 0),
    T("kprobe.session+", KPROBE, UAPI_ATTACH_TRACE_KPROBE_SESSION, KPROBE_MULTI, 0),           /* newer */
    T("uprobe.multi+", KPROBE, UAPI_ATTACH_TRACE_UPROBE_MULTI, UPROBE_MULTI, 0),               /* newer */
    T("uretprobe.multi+", KPROBE, UAPI_ATTACH_TRACE_UPROBE_MULTI, URETPROBE_MULTI, 0),         /* newer */
    T("uprobe.session+", KPROBE, UAPI_ATTACH_TRACE_UPROBE_SESSION, UPROBE_MULTI, 0),           /* newer */
    T("uprobe.multi.s+", KPROBE, UAPI_ATTACH_TRACE_UPROBE_MULTI, UPROBE_MULTI, F_SLEEP),       /* newer */
    T("uretprobe.multi.s+", KPROBE, UAPI_ATTACH_TRACE_UPROBE_MULTI, URETPROBE_MULTI, F_SLEEP), /* newer */
    T("uprobe.session.s+", KPROBE, UAPI_ATTACH_TRACE_UPROBE_SESSION, UPROBE_MULTI, F_SLEEP),   /* newer */
    T("ksyscall+", KPROBE, 0, KSYSCALL, 0),
    T("kretsyscall+", KPROBE, 0, KRETSYSCALL, 0),
    T("usdt+", KPROBE, 0, USDT, 0),
    T("usdt.s+", KPROBE, 0, USDT, F_SLEEP),                                                  /* newer */
    T("tc/ingress", SCHED_CLS, UAPI_ATTACH_TCX_INGRESS, TCX, 0),                               /* newer */
    T("tc/egress", SCHED_CLS, UAPI_ATTACH_TCX_EGRESS, TCX, 0),                                 /* newer */
    T("tcx/ingress", SCHED_CLS, UAPI_ATTACH_TCX_INGRESS, TCX, 0),                              /* newer */
    T("tcx/egress", SCHED_CLS, UAPI_ATTACH_TCX_EGRESS, TCX, 0),                                /* newer */
    T("tc", SCHED_CLS, 0, TC, 0),
    T("classifier", SCHED_CLS, 0, TC, 0),
    T("action", SCHED_ACT, 0, TC, 0),
    T("netkit/primary", SCHED_CLS, UAPI_ATTACH_NETKIT_PRIMARY, NETKIT, 0),                     /* newer */
    T("netkit/peer", SCHED_CLS, UAPI_ATTACH_NETKIT_PEER, NETKIT, 0),                           /* newer */
    T("tracepoint+", TRACEPOINT, 0, TRACEPOINT, 0),
    T("tp+", TRACEPOINT, 0, TRACEPOINT, 0),
    T("tracepoint.s+", TRACEPOINT, 0, TRACEPOINT, F_SLEEP),                                 /* newer */
    T("tp.s+", TRACEPOINT, 0, TRACEPOINT, F_SLEEP),                                         /* newer */
    T("raw_tracepoint+", RAW_TRACEPOINT, 0, RAW_TRACEPOINT, 0),
    T("raw_tp+", RAW_TRACEPOINT, 0, RAW_TRACEPOINT, 0),
    T("raw_tracepoint.s+", RAW_TRACEPOINT, 0, RAW_TRACEPOINT, F_SLEEP),                     /* newer */
    T("raw_tp.s+", RAW_TRACEPOINT, 0, RAW_TRACEPOINT, F_SLEEP),                             /* newer */
    T("raw_tracepoint.w+", RAW_TRACEPOINT_WRITABLE, 0, RAW_TRACEPOINT, 0),
    T("raw_tp.w+", RAW_TRACEPOINT_WRITABLE, 0, RAW_TRACEPOINT, 0),
    T("tp_btf+", TRACING, BPF_TRACE_RAW_TP, TRACING, F_BTF),
    T("tp_btf.s+", TRACING, BPF_TRACE_RAW_TP, TRACING, F_BTF | F_SLEEP),                    /* newer */
    T("fentry+", TRACING, BPF_TRACE_FENTRY, TRACING, F_BTF),
    T("fmod_ret+", TRACING, BPF_MODIFY_RETURN, TRACING, F_BTF),
    T("fexit+", TRACING, BPF_TRACE_FEXIT, TRACING, F_BTF),
    T("fentry.s+", TRACING, BPF_TRACE_FENTRY, TRACING, F_BTF | F_SLEEP),
    T("fmod_ret.s+", TRACING, BPF_MODIFY_RETURN, TRACING, F_BTF | F_SLEEP),
    T("fexit.s+", TRACING, BPF_TRACE_FEXIT, TRACING, F_BTF | F_SLEEP),
    T("fsession+", TRACING, UAPI_ATTACH_TRACE_FSESSION, TRACING, F_BTF),                       /* newer */
    T("fsession.s+", TRACING, UAPI_ATTACH_TRACE_FSESSION, TRACING, F_BTF | F_SLEEP),           /* newer */
    T("fsession.multi+", TRACING, UAPI_ATTACH_TRACE_FSESSION_MULTI, TRACING_MULTI, 0),         /* newer */
    T("fsession.multi.s+", TRACING, UAPI_ATTACH_TRACE_FSESSION_MULTI, TRACING_MULTI, F_SLEEP), /* newer */
    T("fentry.multi+", TRACING, UAPI_ATTACH_TRACE_FENTRY_MULTI, TRACING_MULTI, 0),             /* newer */
    T("fexit.multi+", TRACING, UAPI_ATTACH_TRACE_FEXIT_MULTI, TRACING_MULTI, 0),               /* newer */
    T("fentry.multi.s+", TRACING, UAPI_ATTACH_TRACE_FENTRY_MULTI, TRACING_MULTI, F_SLEEP),     /* newer */
    T("fexit.multi.s+", TRACING, UAPI_ATTACH_TRACE_FEXIT_MULTI, TRACING_MULTI, F_SLEEP),       /* newer */
    T("freplace+", EXT, 0, FREPLACE, 0),
    T("lsm+", LSM, BPF_LSM_MAC, TRACING, F_BTF),
    T("lsm.s+", LSM, BPF_LSM_MAC, TRACING, F_BTF | F_SLEEP),
    T("lsm_cgroup+", LSM, BPF_LSM_CGROUP, CGROUP, F_BTF),
    T("iter+", TRACING, BPF_TRACE_ITER, ITER, F_BTF),
    T("iter.s+", TRACING, BPF_TRACE_ITER, ITER, F_BTF | F_SLEEP),
    T("syscall", SYSCALL, 0, SYSCALL, F_SLEEP),
    T("xdp.frags/devmap", XDP, BPF_XDP_DEVMAP, NONE, F_FRAGS),
    T("xdp/devmap", XDP, BPF_XDP_DEVMAP, NONE, 0),
    T("xdp.frags/cpumap", XDP, BPF_XDP_CPUMAP, NONE, F_FRAGS),
    T("xdp/cpumap", XDP, BPF_XDP_CPUMAP, NONE, 0),
    T("xdp.frags", XDP, BPF_XDP, XDP, F_FRAGS),
    T("xdp", XDP, BPF_XDP, XDP, 0),
    T("perf_event", PERF_EVENT, 0, PERF_EVENT, 0),
    T("lwt_in", LWT_IN, 0, LWT, 0),
    T("lwt_out", LWT_OUT, 0, LWT, 0),
    T("lwt_xmit", LWT_XMIT, 0, LWT, 0),
    T("lwt_seg6local", LWT_SEG6LOCAL, 0, LWT, 0),
    T("sockops", SOCK_OPS, BPF_CGROUP_SOCK_OPS, CGROUP, 0),
    T("sk_skb/stream_parser", SK_SKB, BPF_SK_SKB_STREAM_PARSER, SOCKMAP, 0),
    T("sk_skb/stream_verdict", SK_SKB, BPF_SK_SKB_STREAM_VERDICT, SOCKMAP, 0),
    T("sk_skb/verdict", SK_SKB, BPF_SK_SKB_VERDICT, SOCKMAP, 0),                            /* newer */
    T("sk_skb", SK_SKB, 0, SOCKMAP, 0),
    T("sk_msg", SK_MSG, BPF_SK_MSG_VERDICT, SOCKMAP, 0),
    T("lirc_mode2", LIRC_MODE2, BPF_LIRC_MODE2, LIRC, 0),
    T("flow_dissector", FLOW_DISSECTOR, BPF_FLOW_DISSECTOR, NETNS, 0),
    T("cgroup_skb/ingress", CGROUP_SKB, BPF_CGROUP_INET_INGRESS, CGROUP, 0),
    T("cgroup_skb/egress", CGROUP_SKB, BPF_CGROUP_INET_EGRESS, CGROUP, 0),
    T("cgroup/skb", CGROUP_SKB, -1, CGROUP, 0),
    T("cgroup/sock_create", CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, CGROUP, 0),
    T("cgroup/sock_release", CGROUP_SOCK, BPF_CGROUP_INET_SOCK_RELEASE, CGROUP, 0),
    T("cgroup/sock", CGROUP_SOCK, BPF_CGROUP_INET_SOCK_CREATE, CGROUP, 0),
    T("cgroup/post_bind4", CGROUP_SOCK, BPF_CGROUP_INET4_POST_BIND, CGROUP, 0),
    T("cgroup/post_bind6", CGROUP_SOCK, BPF_CGROUP_INET6_POST_BIND, CGROUP, 0),
    T("cgroup/bind4", CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_BIND, CGROUP, 0),
    T("cgroup/bind6", CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_BIND, CGROUP, 0),
    T("cgroup/connect4", CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_CONNECT, CGROUP, 0),
    T("cgroup/connect6", CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_CONNECT, CGROUP, 0),
    T("cgroup/connect_unix", CGROUP_SOCK_ADDR, UAPI_ATTACH_CGROUP_UNIX_CONNECT, CGROUP, 0),    /* newer */
    T("cgroup/sendmsg4", CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_SENDMSG, CGROUP, 0),
    T("cgroup/sendmsg6", CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_SENDMSG, CGROUP, 0),
    T("cgroup/sendmsg_unix", CGROUP_SOCK_ADDR, UAPI_ATTACH_CGROUP_UNIX_SENDMSG, CGROUP, 0),    /* newer */
    T("cgroup/recvmsg4", CGROUP_SOCK_ADDR, BPF_CGROUP_UDP4_RECVMSG, CGROUP, 0),
    T("cgroup/recvmsg6", CGROUP_SOCK_ADDR, BPF_CGROUP_UDP6_RECVMSG, CGROUP, 0),
    T("cgroup/recvmsg_unix", CGROUP_SOCK_ADDR, UAPI_ATTACH_CGROUP_UNIX_RECVMSG, CGROUP, 0),    /* newer */
    T("cgroup/getpeername4", CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_GETPEERNAME, CGROUP, 0),
    T("cgroup/getpeername6", CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_GETPEERNAME, CGROUP, 0),
    T("cgroup/getpeername_unix", CGROUP_SOCK_ADDR, UAPI_ATTACH_CGROUP_UNIX_GETPEERNAME, CGROUP, 0), /* newer */
    T("cgroup/getsockname4", CGROUP_SOCK_ADDR, BPF_CGROUP_INET4_GETSOCKNAME, CGROUP, 0),
    T("cgroup/getsockname6", CGROUP_SOCK_ADDR, BPF_CGROUP_INET6_GETSOCKNAME, CGROUP, 0),
    T("cgroup/getsockname_unix", CGROUP_SOCK_ADDR, UAPI_ATTACH_CGROUP_UNIX_GETSOCKNAME, CGROUP, 0), /* newer */
    T("cgroup/sysctl", CGROUP_SYSCTL, BPF_CGROUP_SYSCTL, CGROUP, 0),
    T("cgroup/getsockopt", CGROUP_SOCKOPT, BPF_CGROUP_GETSOCKOPT, CGROUP, 0),
    T("cgroup/setsockopt", CGROUP_SOCKOPT, BPF_CGROUP_SETSOCKOPT, CGROUP, 0),
    T("cgroup/dev", CGROUP_DEVICE, BPF_CGROUP_DEVICE, CGROUP, 0),
    T("struct_ops+", STRUCT_OPS, 0, STRUCT_OPS, 0),
    T("struct_ops.s+", STRUCT_OPS, 0, STRUCT_OPS, F_SLEEP),                                 /* newer */
    T("sk_lookup", SK_LOOKUP, BPF_SK_LOOKUP, NETNS, 0),
    T("netfilter", NETFILTER_, UAPI_ATTACH_NETFILTER, NETFILTER, 0),                           /* newer */
};
#undef T

#define NDEF (sizeof(table) / sizeof(table[0]))

/* libbpf's rules: "x+" is x or x/..., "x/" is x/..., else exactly x. */
static const char *match(const char *pat, const char *sec)
{
    size_t n = strlen(pat);
    if (pat[n - 1] == '/')
        return strncmp(sec, pat, n) == 0 ? sec + n : NULL;
    if (pat[n - 1] == '+') {
        n--;
        if (strncmp(sec, pat, n) != 0)
            return NULL;
        return sec[n] == 0 ? sec + n : sec[n] == '/' ? sec + n + 1 : NULL;
    }
    return strcmp(sec, pat) == 0 ? sec + n : NULL;
}

const struct ebpf_sec_info *ebpf_sec_info_find(const char *sec, const char **target)
{
    if (target)
        *target = "";
    if (!sec)
        return NULL;
    for (size_t i = 0; i < NDEF; i++) {
        const char *t = match(table[i].prefix, sec);
        if (t) {
            if (target)
                *target = t;
            return &table[i];
        }
    }
    return NULL;
}
const struct ebpf_sec_info *ebpf_sec_info_at(int i)
{
    return i >= 0 && (size_t)i < NDEF ? &table[i] : NULL;
}

static const char *const kind_names[EBPF_ATTACH_KIND_MAX] = {
    [EBPF_ATTACH_NONE] = "none", [EBPF_ATTACH_SOCKET] = "socket",
    [EBPF_ATTACH_KPROBE] = "kprobe", [EBPF_ATTACH_KRETPROBE] = "kretprobe",
    [EBPF_ATTACH_KPROBE_MULTI] = "kprobe_multi", [EBPF_ATTACH_KRETPROBE_MULTI] = "kretprobe_multi",
    [EBPF_ATTACH_KSYSCALL] = "ksyscall", [EBPF_ATTACH_KRETSYSCALL] = "kretsyscall",
    [EBPF_ATTACH_UPROBE] = "uprobe", [EBPF_ATTACH_URETPROBE] = "uretprobe",
    [EBPF_ATTACH_UPROBE_MULTI] = "uprobe_multi", [EBPF_ATTACH_URETPROBE_MULTI] = "uretprobe_multi",
    [EBPF_ATTACH_USDT] = "usdt", [EBPF_ATTACH_TRACEPOINT] = "tracepoint",
    [EBPF_ATTACH_RAW_TRACEPOINT] = "raw_tracepoint", [EBPF_ATTACH_TRACING] = "tracing",
    [EBPF_ATTACH_ITER] = "iter", [EBPF_ATTACH_XDP] = "xdp", [EBPF_ATTACH_TC] = "tc",
    [EBPF_ATTACH_TCX] = "tcx", [EBPF_ATTACH_NETKIT] = "netkit", [EBPF_ATTACH_CGROUP] = "cgroup",
    [EBPF_ATTACH_SOCKMAP] = "sockmap", [EBPF_ATTACH_NETNS] = "netns",
    [EBPF_ATTACH_NETFILTER] = "netfilter", [EBPF_ATTACH_PERF_EVENT] = "perf_event",
    [EBPF_ATTACH_STRUCT_OPS] = "struct_ops", [EBPF_ATTACH_FREPLACE] = "freplace",
    [EBPF_ATTACH_LIRC] = "lirc", [EBPF_ATTACH_LWT] = "lwt",
    [EBPF_ATTACH_SK_REUSEPORT] = "sk_reuseport", [EBPF_ATTACH_SYSCALL] = "syscall",
    [EBPF_ATTACH_TRACING_MULTI] = "tracing_multi",
};

const char *ebpf_attach_kind_name(enum ebpf_attach_kind k)
{
    return (unsigned)k < EBPF_ATTACH_KIND_MAX ? kind_names[k] : NULL;
}
