/* Links: a program attached to a hook. One ebpf_link owns whatever keeps
 * the attachment alive (a bpf_link fd, a perf event fd, a tracefs probe, a
 * legacy PROG_ATTACH, a socket, a tc filter) and undoes it on close. */
#pragma once
#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpf/error.h"
#include "ebpf/prog.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ebpf_link;
struct ebpf_map;

/* How a link holds its attachment (ebpf_link_kind). */
enum ebpf_link_kind {
    EBPF_LINK_BPF = 1,     /* a bpf_link fd: pinnable, updatable */
    EBPF_LINK_PERF,        /* perf event with the program set by ioctl */
    EBPF_LINK_LEGACY,      /* BPF_PROG_ATTACH, detached by BPF_PROG_DETACH */
    EBPF_LINK_SOCKET,      /* SO_ATTACH_BPF on a socket */
    EBPF_LINK_TC,          /* cls_bpf filter added over netlink */
    EBPF_LINK_GROUP,       /* several sub-links (USDT sites, perf per CPU) */
    EBPF_LINK_STRUCT_OPS,  /* a plain struct_ops map registered: closing unregisters it */
};

/* ---- common ---- */
/* Detaches (unless pinned: then only the fd is closed) and frees. */
EBPF_API void ebpf_link_close(struct ebpf_link *l);
/* Detaches even a pinned link (BPF_LINK_DETACH); the object stays valid. */
EBPF_API int ebpf_link_detach(struct ebpf_link *l);
/* The bpf_link fd, or -1 for links without one (perf ioctl, legacy). */
EBPF_API int ebpf_link_fd(const struct ebpf_link *l);
EBPF_API int ebpf_link_kind(const struct ebpf_link *l);
/* "tracepoint syscalls/sys_enter_openat", "uprobe /bin/bash:readline+0x0". */
EBPF_API const char *ebpf_link_describe(const struct ebpf_link *l);
EBPF_API int ebpf_link_pin(struct ebpf_link *l, const char *path);
EBPF_API int ebpf_link_unpin(struct ebpf_link *l, const char *path);
EBPF_API struct ebpf_link *ebpf_link_open_pinned(const char *path);
EBPF_API struct ebpf_link *ebpf_link_open_id(uint32_t id);
/* Replaces the program (BPF_LINK_UPDATE); old_prog_fd >= 0 makes it
 * conditional on the current program. */
EBPF_API int ebpf_link_update(struct ebpf_link *l, int prog_fd, int old_prog_fd);
EBPF_API int ebpf_link_get_info(const struct ebpf_link *l, struct bpf_link_info *info);
/* The sub-links of a group (NULL past the end). */
EBPF_API struct ebpf_link *ebpf_link_sub(const struct ebpf_link *l, size_t i);
/* Takes ownership of a bpf_link fd (no detach on close if keep). */
EBPF_API struct ebpf_link *ebpf_link_from_fd(int fd);

/* ---- tracepoints ---- */
/* tracepoint CATEGORY/NAME: perf_event_open on the tracefs event id, then
 * a BPF perf link (5.15+) or the PERF_EVENT_IOC_SET_BPF fallback. */
EBPF_API struct ebpf_link *ebpf_link_tracepoint(const struct ebpf_prog *p, const char *category,
                                                const char *name, uint64_t cookie);
/* raw_tracepoint NAME (BPF_RAW_TRACEPOINT_OPEN). */
EBPF_API struct ebpf_link *ebpf_link_raw_tracepoint(const struct ebpf_prog *p, const char *name);
/* tp_btf, fentry, fexit, fmod_ret, lsm, freplace, iter-less tracing: the
 * target was given at load (attach_btf_id); this creates the link. For
 * freplace, target_prog_fd/target_btf_id may re-target (0/-1: as loaded). */
EBPF_API struct ebpf_link *ebpf_link_tracing(const struct ebpf_prog *p, uint64_t cookie);
EBPF_API struct ebpf_link *ebpf_link_freplace(const struct ebpf_prog *p, int target_prog_fd,
                                              uint32_t target_btf_id);

/* Kernel BTF lookup for attach targets: finds a type by kind and name in
 * vmlinux, then in module BTF. Returns the type id (> 0) and sets
 * *btf_obj_fd to -1 (vmlinux) or a new fd of the module's BTF (caller
 * closes); -ENOENT naming what was searched. kind: BTF_KIND_FUNC,
 * BTF_KIND_TYPEDEF, ... */
EBPF_API int ebpf_link_kernel_btf_id(const char *name, int kind, int *btf_obj_fd);
/* The attach_btf_id for a tracing program of the given expected attach
 * type and target name: "btf_trace_<name>" for tp_btf, "bpf_lsm_<name>"
 * for lsm, the function for fentry/fexit/fmod_ret. */
EBPF_API int ebpf_link_tracing_target(int attach_type, const char *name, int *btf_obj_fd);

/* ---- kprobes ---- */
struct ebpf_kprobe_opts {
    const char *func;      /* symbol, or NULL with addr */
    uint64_t addr;         /* absolute address if func is NULL */
    uint64_t offset;       /* offset in func */
    int retprobe;
    int maxactive;         /* kretprobe instances (tracefs only), 0: default */
    uint64_t cookie;
    int force_tracefs;     /* use kprobe_events even if the PMU exists */
};
/* kprobe/kretprobe on a function (+offset) or address: the kprobe PMU,
 * or tracefs kprobe_events when the PMU is missing or forced. */
EBPF_API struct ebpf_link *ebpf_link_kprobe(const struct ebpf_prog *p, const struct ebpf_kprobe_opts *o);
/* ksyscall: kprobe on the arch's syscall entry ("__x64_sys_<name>" or the
 * plain "sys_<name>" on old kernels). */
EBPF_API struct ebpf_link *ebpf_link_ksyscall(const struct ebpf_prog *p, const char *syscall,
                                              int retprobe, uint64_t cookie);
/* The kernel function name of a syscall ("openat" -> "__x64_sys_openat"). */
EBPF_API int ebpf_link_syscall_func(const char *syscall, char *buf, size_t size);

struct ebpf_kprobe_multi_opts {
    const char **syms;      /* symbol names, or NULL */
    const uint64_t *addrs;  /* or addresses */
    const uint64_t *cookies;/* per target, may be NULL */
    size_t cnt;
    const char *pattern;    /* glob over available_filter_functions instead */
    int retprobe;
};
/* kprobe.multi: one link over many functions (symbols, glob pattern or
 * addresses), with a cookie per function. */
EBPF_API struct ebpf_link *ebpf_link_kprobe_multi(const struct ebpf_prog *p,
                                                  const struct ebpf_kprobe_multi_opts *o);

/* ---- tracing multi (7.2) ---- */
struct ebpf_tracing_multi_opts {
    const char **funcs;        /* kernel function names, or NULL */
    const uint32_t *btf_ids;   /* or vmlinux BTF ids of the functions */
    const uint64_t *cookies;   /* per target, may be NULL */
    size_t cnt;
    const char *pattern;       /* glob over traceable vmlinux functions instead */
};
/* fentry/fexit/fsession on many kernel functions through one link: the
 * program was loaded with expected attach type trace_fentry_multi,
 * trace_fexit_multi or trace_fsession_multi and no attach_btf_id. */
EBPF_API struct ebpf_link *ebpf_link_tracing_multi(const struct ebpf_prog *p,
                                                   const struct ebpf_tracing_multi_opts *o);

/* ---- uprobes ---- */
struct ebpf_uprobe_opts {
    const char *path;      /* binary or library (name searched like ld.so) */
    const char *symbol;    /* function, "name@VERSION" or "name@@VERSION"; or NULL */
    uint64_t offset;       /* file offset (symbol NULL), or added to the symbol */
    uint64_t address;      /* virtual address instead of symbol/offset */
    int pid;               /* 0 or -1: all processes */
    int retprobe;
    uint64_t ref_ctr_offset; /* semaphore file offset (USDT) */
    uint64_t cookie;
    int force_tracefs;
};
EBPF_API struct ebpf_link *ebpf_link_uprobe(const struct ebpf_prog *p, const struct ebpf_uprobe_opts *o);

/* Resolves a binary path: absolute/relative paths as is, bare names of
 * libraries through LD_LIBRARY_PATH, /etc/ld.so.cache's directories and
 * the standard lib dirs; executables through PATH. On failure the error
 * says where it looked. */
EBPF_API int ebpf_link_resolve_binary(const char *name, char *out, size_t size);
/* File offset of a function symbol (from .symtab, then .dynsym), honouring
 * symbol versions. Returns 0 and sets *off or -errno with a message. */
EBPF_API int ebpf_link_elf_symbol_offset(const char *path, const char *symbol, uint64_t *off);
/* File offset of a virtual address in an ELF file. */
EBPF_API int ebpf_link_elf_vaddr_offset(const char *path, uint64_t vaddr, uint64_t *off);

struct ebpf_uprobe_multi_opts {
    const char *path;
    const char **syms;       /* symbols, or NULL */
    const char *pattern;     /* glob over function symbols instead */
    const uint64_t *offsets; /* or file offsets */
    const uint64_t *ref_ctr_offsets;
    const uint64_t *cookies;
    size_t cnt;
    int pid;
    int retprobe;
};
/* uprobe.multi: one link over many offsets (or symbols/pattern) of one
 * binary, with a cookie per site and an optional pid. */
EBPF_API struct ebpf_link *ebpf_link_uprobe_multi(const struct ebpf_prog *p,
                                                  const struct ebpf_uprobe_multi_opts *o);

/* ---- USDT ---- */
#define EBPF_USDT_MAX_ARGS 12
/* One decoded argument (layout shared with <ebpf/bpf_usdt.h>). */
struct ebpf_usdt_arg {
    uint64_t val_off;   /* constant, or offset added to register/memory */
    uint32_t kind;      /* EBPF_USDT_ARG_CONST/REG/REG_DEREF */
    int16_t reg_off;    /* offset of the register in struct pt_regs */
    uint8_t is_signed;
    int8_t bitshift;    /* 64 - size*8: shift left then right to extend */
};
enum { EBPF_USDT_ARG_CONST = 0, EBPF_USDT_ARG_REG = 1, EBPF_USDT_ARG_REG_DEREF = 2 };
struct ebpf_usdt_spec {
    struct ebpf_usdt_arg args[EBPF_USDT_MAX_ARGS];
    uint64_t usr_cookie;
    int16_t arg_cnt;
    int16_t in_use;     /* slot allocation in the spec map (library side) */
};

struct ebpf_usdt_note {
    char provider[64];
    char name[64];
    char args[256];        /* the raw argument string ("-4@%edi 8@%rax") */
    uint64_t pc;           /* virtual address of the site */
    uint64_t base;         /* .stapsdt.base address at build time */
    uint64_t semaphore;    /* virtual address, 0 if none */
    uint64_t pc_offset;    /* file offset to probe (adjusted for prelink) */
    uint64_t sema_offset;  /* file offset of the semaphore, 0 if none */
};
/* Reads the .note.stapsdt notes of a binary. *out is malloc'd. */
EBPF_API int ebpf_usdt_notes(const char *path, struct ebpf_usdt_note **out, size_t *cnt);
/* Decodes an x86-64 argument string into a spec. */
EBPF_API int ebpf_usdt_parse_args(const char *args, struct ebpf_usdt_spec *spec);

struct ebpf_usdt_opts {
    const char *path;
    const char *provider;
    const char *name;
    int pid;
    uint64_t cookie;          /* user cookie, read by bpf_usdt_cookie() */
    int spec_map_fd;          /* array map ebpf_usdt_specs; -1: none */
};
/* One uprobe per site; the spec of each site goes into spec_map_fd at a
 * free index, which is the site's bpf cookie. */
EBPF_API struct ebpf_link *ebpf_link_usdt(const struct ebpf_prog *p, const struct ebpf_usdt_opts *o);

/* ---- perf events ---- */
struct ebpf_perf_event_opts {
    uint32_t type;          /* PERF_TYPE_SOFTWARE, PERF_TYPE_HARDWARE, ... */
    uint64_t config;        /* PERF_COUNT_SW_CPU_CLOCK, ... */
    uint64_t sample_period; /* or */
    uint64_t sample_freq;   /* samples per second */
    int cpu;                /* -1: every online CPU (one sub-link each) */
    int pid;                /* -1: all processes (needs a cpu) */
    uint64_t cookie;
};
/* Opens a perf event (software or hardware, one CPU or all, period or
 * frequency) and attaches the program to it. */
EBPF_API struct ebpf_link *ebpf_link_perf_event(const struct ebpf_prog *p, const struct ebpf_perf_event_opts *o);
/* Attaches to a perf event fd the caller opened (takes ownership). */
EBPF_API struct ebpf_link *ebpf_link_perf_fd(const struct ebpf_prog *p, int perf_fd, uint64_t cookie,
                                             const char *what);

/* ---- cgroups, netns, sockets ---- */
/* flags: BPF_F_ALLOW_MULTI / BPF_F_ALLOW_OVERRIDE for the PROG_ATTACH
 * fallback (links are always multi). attach_type < 0: the program's. */
EBPF_API struct ebpf_link *ebpf_link_cgroup(const struct ebpf_prog *p, const char *cgroup_path,
                                            int cgroup_fd, int attach_type, uint32_t flags);
/* sk_lookup, flow_dissector: netns path (NULL: own) or fd. */
EBPF_API struct ebpf_link *ebpf_link_netns(const struct ebpf_prog *p, const char *netns_path, int netns_fd);
/* SO_ATTACH_BPF (socket_filter) / SO_ATTACH_REUSEPORT_EBPF. */
EBPF_API struct ebpf_link *ebpf_link_socket(const struct ebpf_prog *p, int sock_fd);
/* sk_skb / sk_msg programs on a sockmap/sockhash. */
EBPF_API struct ebpf_link *ebpf_link_sockmap(const struct ebpf_prog *p, int map_fd, int attach_type);

/* ---- networking devices ---- */
/* XDP via link; flags XDP_FLAGS_SKB_MODE / XDP_FLAGS_DRV_MODE / HW. */
EBPF_API struct ebpf_link *ebpf_link_xdp(const struct ebpf_prog *p, int ifindex, uint32_t flags);
struct ebpf_tcx_opts {
    int egress;
    int before, after;      /* order relative to relative_fd (prog or link fd) */
    int relative_fd;        /* -1: first (before) / last (after) */
    int relative_is_link;   /* relative_fd is a link, not a program */
    uint64_t expected_revision;
};
EBPF_API struct ebpf_link *ebpf_link_tcx(const struct ebpf_prog *p, int ifindex, const struct ebpf_tcx_opts *o);
struct ebpf_netkit_opts {
    int peer;               /* the peer device's side (BPF_NETKIT_PEER), else primary */
    int before, after;      /* ordering, as for tcx */
    int relative_fd;
    int relative_is_link;
    uint64_t expected_revision;
};
/* netkit (6.7+): a program on the primary or the peer side of a netkit
 * pair; ifindex is the primary device's. */
EBPF_API struct ebpf_link *ebpf_link_netkit(const struct ebpf_prog *p, int ifindex,
                                            const struct ebpf_netkit_opts *o);

/* BPF_PROG_QUERY: the programs attached at a hook, in run order, with
 * their links and the hook's revision (tcx, netkit: 6.6+; cgroup and
 * netns hooks report no revision). target: an ifindex for tcx/netkit/xdp,
 * else a cgroup or netns fd. Returns the count (>= 0; at most `cap`
 * written) or -errno with a message. */
struct ebpf_prog_query {
    uint32_t prog_ids[64];
    uint32_t link_ids[64];    /* 0 where attached without a link */
    uint32_t attach_flags;
    uint64_t revision;
};
EBPF_API int ebpf_prog_query(int target, int attach_type, struct ebpf_prog_query *q);
/* The same with query flags: BPF_F_QUERY_EFFECTIVE gives the programs
 * that run for a cgroup, its ancestors' inherited ones included. */
EBPF_API int ebpf_prog_query_flags(int target, int attach_type, uint32_t query_flags, struct ebpf_prog_query *q);

/* BPF_TASK_FD_QUERY: the program behind a process's perf event or raw
 * tracepoint fd. fd_type is a BPF_FD_TYPE_*; name is the tracepoint, the
 * kprobe's function or the uprobe's file; probe_offset/probe_addr as the
 * kernel reports them. Returns 0 or -errno (ENOTSUPP or EBADF for fds
 * that are not BPF perf events) with a message. */
struct ebpf_task_fd_info {
    uint32_t prog_id;
    uint32_t fd_type;
    uint64_t probe_offset;
    uint64_t probe_addr;
    char name[4096];
};
EBPF_API int ebpf_task_fd_query(int pid, int fd, struct ebpf_task_fd_info *out);

/* Network devices with their XDP state, from an rtnetlink link dump:
 * xdp_attached is an XDP_ATTACHED_* mode; the program ids per mode (0:
 * none; xdp_prog_id is set for a single program). *out is malloc'd.
 * Returns 0 or -errno with a message. */
struct ebpf_net_dev {
    int ifindex;
    char name[16];
    uint8_t xdp_attached;
    uint32_t xdp_prog_id, xdp_skb_prog_id, xdp_drv_prog_id, xdp_hw_prog_id;
};
EBPF_API int ebpf_net_devices(struct ebpf_net_dev **out, size_t *count);
/* Classic tc cls_bpf filters on a device's clsact ingress or egress hook
 * (tcx programs are not filters: ask ebpf_prog_query). name is the name
 * the attacher gave the filter. A device without clsact has none. *out is
 * malloc'd. Returns 0 or -errno with a message. */
struct ebpf_tc_filter {
    uint32_t prog_id;
    uint32_t handle;
    uint16_t prio;
    int direct_action;
    char name[256];
};
EBPF_API int ebpf_tc_filters(int ifindex, int egress, struct ebpf_tc_filter **out, size_t *count);

enum ebpf_tc_mode {
    EBPF_TC_AUTO = 0,    /* tcx where the "tcx" link probe says so, else classic */
    EBPF_TC_TCX = 1,     /* always a tcx link (ebpf_link_tcx without ordering) */
    EBPF_TC_CLASSIC = 2, /* always clsact + cls_bpf over netlink */
};
struct ebpf_tc_opts {
    int egress;
    uint32_t prio;    /* classic: 0: kernel picks (we read it back) */
    uint32_t handle;  /* classic: 0: kernel picks */
    int mode;         /* enum ebpf_tc_mode */
};
/* A tc hook. Classic tc ensures a clsact qdisc and adds a cls_bpf
 * direct-action filter; close deletes the filter (the qdisc stays). tcx
 * makes a bpf_link. EBPF_TC_AUTO picks tcx when ebpf_feature_link("tcx")
 * says the kernel has it (6.6+) and no prio/handle (filter properties)
 * is given, classic when the probe says it has not; an inconclusive
 * probe tries tcx and falls back to classic when the kernel does not
 * know the attach type. TC_ACT_OK/TC_ACT_SHOT mean the same in both. */
EBPF_API struct ebpf_link *ebpf_link_tc(const struct ebpf_prog *p, int ifindex, const struct ebpf_tc_opts *o);
struct ebpf_netfilter_opts {
    uint32_t pf;        /* NFPROTO_IPV4 / NFPROTO_IPV6 */
    uint32_t hooknum;   /* NF_INET_LOCAL_IN, ... */
    int32_t priority;
    uint32_t flags;     /* BPF_F_NETFILTER_IP_DEFRAG */
};
EBPF_API struct ebpf_link *ebpf_link_netfilter(const struct ebpf_prog *p, const struct ebpf_netfilter_opts *o);

/* ---- iterators, struct_ops ---- */
struct ebpf_iter_opts {
    int map_fd;        /* iter/bpf_map_elem, bpf_sk_storage_map...; -1 */
    int cgroup_fd;     /* iter/cgroup; -1 */
    uint32_t cgroup_order;
    uint32_t tid, pid, pid_fd; /* iter/task filters; 0 */
};
/* Creates an iterator link (iter/task, iter/bpf_map, ...); read its text
 * with ebpf_link_iter_open(). */
EBPF_API struct ebpf_link *ebpf_link_iter(const struct ebpf_prog *p, const struct ebpf_iter_opts *o);
/* A new fd to read() the iterator's output from (BPF_ITER_CREATE). */
EBPF_API int ebpf_link_iter_open(const struct ebpf_link *l);
/* Links a struct_ops map created with BPF_F_LINK whose value is set
 * (BPF_LINK_CREATE only). */
EBPF_API struct ebpf_link *ebpf_link_struct_ops(int map_fd, const char *name);
/* Attaches a struct_ops map of a loaded object (loading does not register
 * it, as with libbpf): updates key 0 with the value the loader prepared
 * (the programs' fds in its slots), then for a BPF_F_LINK map
 * (.struct_ops.link) returns a bpf_link, for a plain one (.struct_ops) a
 * link of kind EBPF_LINK_STRUCT_OPS whose close unregisters it. A link map
 * can be linked again after its link closed; a plain map registers once. */
EBPF_API struct ebpf_link *ebpf_link_struct_ops_map(const struct ebpf_map *m);
/* For a plain struct_ops registration (kind EBPF_LINK_STRUCT_OPS): its
 * close no longer unregisters, so the registration outlives the process
 * (as after `bpftool struct_ops register`) until the map's element is
 * deleted. -EINVAL for other links. */
EBPF_API int ebpf_link_keep_registered(struct ebpf_link *l);

/* Generic BPF_LINK_CREATE for anything else. */
EBPF_API struct ebpf_link *ebpf_link_create(const struct ebpf_prog *p, int target_fd, int attach_type,
                                            uint32_t flags, const char *what);

#ifdef __cplusplus
}
#endif
