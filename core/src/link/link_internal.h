/* Internals shared by the attach kinds. */
#pragma once
#include "uapi_newer.h"
#include <stdint.h>
#include <stdio.h>

#include "ebpf/link.h"
#include "ebpf/sys.h"
#include "ebpf/types.h"
#include "error_internal.h"

/* Attach/link/program type values newer than the system's <linux/bpf.h>
 * (Debian 12 ships 6.1 UAPI headers); the kernel ABI never changes them. */
#define EBPF_F_BEFORE (1U << 3)
#define EBPF_F_AFTER (1U << 4)
#define EBPF_F_ID (1U << 5)
#define EBPF_F_LINK (1U << 13)

/* BPF_LINK_CREATE's attr with every union member up to 6.x. */
struct link_create_attr {
    uint32_t prog_fd;
    uint32_t target_fd; /* or target_ifindex */
    uint32_t attach_type;
    uint32_t flags;
    union {
        uint32_t target_btf_id;
        struct { uint64_t iter_info; uint32_t iter_info_len; } iter;
        struct { uint64_t bpf_cookie; } perf;
        struct { uint32_t flags, cnt; uint64_t syms, addrs, cookies; } kmulti;
        struct { uint32_t target_btf_id; uint32_t pad; uint64_t cookie; } tracing;
        struct { uint32_t pf, hooknum; int32_t priority; uint32_t flags; } nf;
        struct { uint32_t relative_fd; uint32_t pad; uint64_t expected_revision; } tcx;
        struct { uint64_t path, offsets, ref_ctr_offsets, cookies; uint32_t cnt, flags, pid; } umulti;
        struct { uint64_t ids, cookies; uint32_t cnt; } tmulti; /* 7.2 */
    } u;
};
union link_attr_buf {
    union bpf_attr a;
    struct link_create_attr lc;
    unsigned char bytes[128];
};
#define LC_SIZE(member) (offsetof(struct link_create_attr, member) + sizeof(((struct link_create_attr *)0)->member))

/* Where a tcx/netkit link goes among a hook's programs. */
struct link_mprog_pos {
    int before, after;    /* relative to relative_fd (-1: first / last) */
    int relative_fd;
    int relative_is_link; /* relative_fd is a link, not a program */
    uint64_t expected_revision;
};
/* BPF_LINK_CREATE on a multi-program hook (tcx, netkit): the link fd, or
 * -errno (with the message for a stale revision; others are the caller's). */
int link_mprog_create(const struct ebpf_prog *p, int ifindex, int attach_type, const struct link_mprog_pos *pos,
                      const char *what);

/* BPF_LINK_CREATE with `size` bytes of attr. Returns fd or -errno. */
int link_create_raw(struct link_create_attr *lc, size_t size);

struct ebpf_link {
    int kind;
    int fd;          /* bpf_link fd or -1 */
    int perf_fd;     /* perf event fd or -1 */
    int target_fd;   /* owned: legacy attach target / socket; -1 */
    int prog_fd;     /* owned dup of the program for legacy detach; -1 */
    int attach_type;
    int pinned;
    /* tracefs probe to remove on close ("p:ebpf_..." name) */
    char *tracefs_event; /* "kprobes/NAME" or "uprobes/NAME" */
    int tracefs_uprobe;
    /* classic tc */
    uint32_t ifindex, tc_parent, tc_handle, tc_prio;
    /* groups */
    struct ebpf_link **subs;
    size_t nsubs;
    /* USDT: spec map slots to free on close */
    int spec_map_fd;
    uint32_t *spec_ids;
    size_t nspec_ids;
    char desc[320];
};

struct ebpf_link *link_new(int kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends a sub-link to a group; takes ownership. */
int link_group_add(struct ebpf_link *g, struct ebpf_link *sub);

/* Message prefix for a program: "program 'name'". */
const char *link_prog_label(const struct ebpf_prog *p, char *buf, size_t size);
/* A hint naming the program type a hook needs when the kernel says EINVAL. */
int link_fail(const struct ebpf_prog *p, int err, const char *what, const char *want_type);
/* Wraps the result of a link-creating call: a new bpf_link fd becomes an
 * EBPF_LINK_BPF link described by `what`; -errno is reported with
 * link_fail (naming want_type, may be NULL) and gives NULL. */
struct ebpf_link *link_from_fd(const struct ebpf_prog *p, int fd, const char *what, const char *want_type);
/* link_from_fd for a link to cnt functions (kprobe_multi, tracing_multi),
 * described "what (N functions)". */
struct ebpf_link *link_from_fd_funcs(const struct ebpf_prog *p, int fd, const char *what, const char *want_type,
                                     size_t cnt);

/* tracefs root (mounted if needed), or NULL with an error. */
const char *link_tracefs(void);
/* perf_event_open syscall; returns fd (fixed up) or -errno. */
int link_perf_event_open(void *attr, int pid, int cpu, int group_fd, unsigned long flags);
/* Attaches a program to an open perf event fd (owned by the new link). */
struct ebpf_link *link_attach_perf(const struct ebpf_prog *p, int perf_fd, uint64_t cookie, const char *desc);
/* Writes a line to a tracefs control file (appending). */
int link_tracefs_write(const char *file, const char *line);
/* Reads the id of tracefs event category/name. */
int link_tracefs_event_id(const char *category, const char *name);
/* Reads a small sysfs/tracefs file (up to size-1 bytes, NUL-terminated;
 * O_NONBLOCK: a FIFO planted there does not hang). 0 or -errno. */
int link_read_text(const char *path, char *buf, size_t size);
/* Reads an integer 0..INT_MAX from a sysfs file; -errno if missing,
 * -EINVAL/-ERANGE if malformed. */
int link_read_int(const char *path, long *out);
/* Reads bit position of a PMU format field ("retprobe", "ref_ctr_offset"). */
int link_pmu_format_bit(const char *pmu, const char *field, int *shift);
/* File offsets of every defined function symbol of path matching a glob
 * (uprobe.multi), malloc'd in *out. 0 or -errno (elfsym.c). */
int link_elf_glob_offsets(const char *path, const char *pattern, uint64_t **out, size_t *cnt);
/* Whether kallsyms text f names the function `name` (fuzz_kallsyms.c). */
int link_kallsyms_has(FILE *f, const char *name);
/* Unique probe name prefix for tracefs events. */
void link_probe_name(char *buf, size_t size, const char *kind, const char *what, uint64_t off);
