/* Shared parts of the feature probes: the result cache, the raw loads
 * they make, and the classification of kernel answers. */
#pragma once
#include "uapi_newer.h"
#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpf/features.h"

/* UAPI values newer than the oldest <linux/bpf.h> we build with. They are
 * ABI and never change, so probes can ask newer kernels about them. */
#define FEAT_MAP_TYPE_CGRP_STORAGE 32
#define FEAT_MAP_TYPE_ARENA 33
#define FEAT_ENOTSUPP 524 /* kernel-internal errno that leaks out of bpf(2) */

/* One cached answer; zero-initialised means "not probed yet". `forced`
 * (1 + status) is an answer set by ebpf_feature_override(): it hides the
 * probed one, which is kept for when the override is lifted. */
struct feat_result {
    unsigned char done;
    unsigned char status;
    unsigned char forced;
    const char *reason;
};

/* All probes run under one lock (they are quick and cached). */
void feat_lock(void);
void feat_unlock(void);
/* Stores status/reason in r (reason copied if `copy`), returns status. */
int feat_set(struct feat_result *r, int status, const char *reason, int copy);
/* Returns a forced or cached result into *reason, or -1 if r was not
 * probed. */
int feat_get(const struct feat_result *r, const char **reason);
/* The cache slot of a probe by name, for ebpf_feature_override(): BTF
 * kinds (btf_probe.c), link kinds (link_probe.c); NULL if unknown. */
struct feat_result *feat_btf_kind_slot(const char *name);
struct feat_result *feat_link_slot(const char *name);
/* Counts a kernel call made by a probe. */
void feat_count(void);

/* bpf(2) for probes: counted, returns >= 0 or -errno. */
int feat_bpf(int cmd, union bpf_attr *attr, size_t size);

struct feat_load {
    int type;
    int expected_attach_type;
    uint32_t flags;
    const struct bpf_insn *insns;
    int insn_cnt;
    const int *fd_array;
    uint32_t attach_btf_id; /* vmlinux function for tracing/lsm programs */
    char *log;          /* may be NULL: no log */
    uint32_t log_size;
};
/* Loads a probe program; returns the fd or -errno (log filled). */
int feat_prog_load(const struct feat_load *l);

/* The expected attach type / flags the type needs for a plain load, and
 * whether loads need an attach target (tracing, lsm, ext, struct_ops). */
void feat_prog_params(int type, int *eat, uint32_t *flags, int *needs_target);
/* A vmlinux function that programs of `type` (tracing, lsm) can attach to,
 * for probes that must get past the attach check: its BTF id, or 0. */
uint32_t feat_attach_target(int type);

/* Last non-empty line of a verifier log, copied into buf. */
const char *feat_log_last_line(const char *log, char *buf, size_t size);

/* Minimal BTF blob with one `int` (id 1) loaded into the kernel: for maps
 * that need BTF (local storage). Returns an fd or -errno. */
int feat_btf_int_fd(void);

/* Id of FUNC `name` in vmlinux BTF; 0 or -errno. */
int feat_vmlinux_func(const char *name, uint32_t *id);
/* Id and size of STRUCT `name` in vmlinux BTF; 0 or -errno. */
int feat_vmlinux_struct(const char *name, uint32_t *id, uint32_t *size);

/* True for a program type the probes know (including newer ones). */
int feat_prog_type_known(int type);

/* The reason text for a permission failure. */
extern const char feat_eperm_reason[];
