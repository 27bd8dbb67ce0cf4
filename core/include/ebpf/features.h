/* Feature probes: what the running kernel supports. Every probe asks the
 * kernel the smallest possible question (a two-instruction program, a
 * one-entry map, a one-type BTF blob, a link_create on a bogus target),
 * runs only when called (nothing at start-up), and is cached for the life
 * of the process. Results are tri-state: supported, unsupported, or
 * inconclusive when the kernel's answer does not decide (no permission,
 * a probe that needs a real attach target, ...), always with a reason.
 * Thread-safe. */
#pragma once
#include <stdint.h>

#include "ebpf/error.h"
#include "ebpf/insn.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ebpf_feature_status {
    EBPF_FEATURE_UNSUPPORTED = 0,
    EBPF_FEATURE_SUPPORTED = 1,
    EBPF_FEATURE_INCONCLUSIVE = 2,
};

/* "supported", "unsupported", "inconclusive" (NULL for other values). */
EBPF_API const char *ebpf_feature_status_name(int status);

/* Each probe returns an ebpf_feature_status (>= 0), or -errno for bad
 * arguments (unknown type or name, with a message). *reason, when not
 * NULL, receives a string valid for the life of the process that says why
 * ("" when plainly supported). */

/* Program type: loads `r0 = 0; exit` (with the expected attach type or
 * flags the type requires). Types that need an attach target (tracing,
 * lsm, ext, struct_ops) are supported when the verifier got as far as
 * asking for the target. */
EBPF_API int ebpf_feature_prog_type(int prog_type, const char **reason);
/* Map type: creates a minimal map with the parameters the type needs. */
EBPF_API int ebpf_feature_map_type(int map_type, const char **reason);
/* Map flag (one BPF_F_* bit), on a map type that accepts it. */
EBPF_API int ebpf_feature_map_flag(unsigned int flag, const char **reason);
/* Helper `helper_id` callable from programs of `prog_type`: loads a call
 * and reads the verifier log ("unknown func" / "cannot use helper"). */
EBPF_API int ebpf_feature_helper(int prog_type, int helper_id, const char **reason);
/* BTF kind (BTF_KIND_*) accepted by BPF_BTF_LOAD. */
EBPF_API int ebpf_feature_btf_kind(int kind, const char **reason);
/* Named features: see ebpf_feature_misc_at() for the list ("bounded_loops",
 * "isa_v2", "isa_v3", "isa_v4", "bpf_cookie", "ringbuf", "mmapable_maps",
 * "btf", "btf_func_global", "global_data", "log_true_size", ...). */
EBPF_API int ebpf_feature_misc(const char *name, const char **reason);
EBPF_API const char *ebpf_feature_misc_at(int i);
/* Link kinds made by BPF_LINK_CREATE: "perf_event", "kprobe_multi",
 * "uprobe_multi", "tcx", "netfilter", "xdp", "netkit", "tracing", "cgroup".
 * Probed with a target the kernel must refuse; the errno tells whether the
 * attach path exists. */
EBPF_API int ebpf_feature_link(const char *kind, const char **reason);
EBPF_API const char *ebpf_feature_link_at(int i);
/* Kernel function `name` (vmlinux or module BTF) callable from programs of
 * `prog_type` (0: syscall programs). */
EBPF_API int ebpf_feature_kfunc(const char *name, int prog_type, const char **reason);

/* Names of program/map types the probes know, including types newer than
 * the system's <linux/bpf.h> (e.g. "netfilter", "arena"). */
EBPF_API const char *ebpf_feature_prog_type_at(int i, int *value);
EBPF_API const char *ebpf_feature_map_type_at(int i, int *value);
EBPF_API int ebpf_feature_prog_type_by_name(const char *name);
EBPF_API int ebpf_feature_map_type_by_name(const char *name);
/* BTF kind names ("int", "enum64", ...). */
EBPF_API const char *ebpf_btf_kind_at(int i, int *kind);

/* Makes the probe `name` of `kind` ("btf_kind", "link" or "misc": what
 * the library's fallbacks ask) answer `status` from now on, with
 * the reason "forced by ebpf_feature_override()"; status -1 lifts the
 * override (the probed answer, if any, is still cached). The library's
 * own fallbacks (BTF sanitising, perf link vs ioctl, tcx vs classic tc)
 * follow it: for tests, and to work around a kernel a probe misjudges.
 * Returns 0 or -EINVAL (unknown kind or name, bad status). */
EBPF_API int ebpf_feature_override(const char *kind, const char *name, int status);

/* Number of kernel calls made by probes so far (the cache is working when
 * a repeated probe leaves it unchanged). */
EBPF_API unsigned long ebpf_features_probe_count(void);

/* Helper names and ids: ebpf_helper_name(), ebpf_helper_id() and
 * ebpf_helper_count() of ebpf/insn.h. */

#ifdef __cplusplus
}
#endif
