/* UAPI values newer than the build's <linux/bpf.h> (Debian 12 ships 6.1)
 * that the library itself uses: number and name, declared once here. The
 * kernel ABI never renumbers a value. Every other value newer than the
 * headers is named from the running kernel's BTF (kernel_names.c); these
 * are named without it, so an object's sections read the same on any
 * kernel. */
#pragma once

#define EBPF_UAPI_NEWER_PROG_TYPES(X) X(NETFILTER, "netfilter", 32)

#define EBPF_UAPI_NEWER_MAP_TYPES(X) \
    X(CGRP_STORAGE, "cgrp_storage", 32) \
    X(ARENA, "arena", 33)

#define EBPF_UAPI_NEWER_ATTACH_TYPES(X) \
    X(STRUCT_OPS, "struct_ops", 44) \
    X(NETFILTER, "netfilter", 45) \
    X(TCX_INGRESS, "tcx_ingress", 46) \
    X(TCX_EGRESS, "tcx_egress", 47) \
    X(TRACE_UPROBE_MULTI, "trace_uprobe_multi", 48) \
    X(CGROUP_UNIX_CONNECT, "cgroup_unix_connect", 49) \
    X(CGROUP_UNIX_SENDMSG, "cgroup_unix_sendmsg", 50) \
    X(CGROUP_UNIX_RECVMSG, "cgroup_unix_recvmsg", 51) \
    X(CGROUP_UNIX_GETPEERNAME, "cgroup_unix_getpeername", 52) \
    X(CGROUP_UNIX_GETSOCKNAME, "cgroup_unix_getsockname", 53) \
    X(NETKIT_PRIMARY, "netkit_primary", 54) \
    X(NETKIT_PEER, "netkit_peer", 55) \
    X(TRACE_KPROBE_SESSION, "trace_kprobe_session", 56) \
    X(TRACE_UPROBE_SESSION, "trace_uprobe_session", 57) \
    X(TRACE_FSESSION, "trace_fsession", 58) \
    X(TRACE_FENTRY_MULTI, "trace_fentry_multi", 59) \
    X(TRACE_FEXIT_MULTI, "trace_fexit_multi", 60) \
    X(TRACE_FSESSION_MULTI, "trace_fsession_multi", 61)

#define EBPF_UAPI_NEWER_LINK_TYPES(X) \
    X(NETFILTER, "netfilter", 10) \
    X(TCX, "tcx", 11) \
    X(UPROBE_MULTI, "uprobe_multi", 12) \
    X(NETKIT, "netkit", 13) \
    X(SOCKMAP, "sockmap", 14) \
    X(TRACING_MULTI, "tracing_multi", 15)

/* UAPI_PROG_NETFILTER, UAPI_ATTACH_TCX_INGRESS, UAPI_LINK_TCX, ... */
#define EBPF_UAPI_PROG_CONST(id, name, v) UAPI_PROG_##id = v,
#define EBPF_UAPI_ATTACH_CONST(id, name, v) UAPI_ATTACH_##id = v,
#define EBPF_UAPI_LINK_CONST(id, name, v) UAPI_LINK_##id = v,
enum { EBPF_UAPI_NEWER_PROG_TYPES(EBPF_UAPI_PROG_CONST) };
enum { EBPF_UAPI_NEWER_ATTACH_TYPES(EBPF_UAPI_ATTACH_CONST) };
enum { EBPF_UAPI_NEWER_LINK_TYPES(EBPF_UAPI_LINK_CONST) };
#undef EBPF_UAPI_PROG_CONST
#undef EBPF_UAPI_ATTACH_CONST
#undef EBPF_UAPI_LINK_CONST
