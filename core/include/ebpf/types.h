/* Names of the UAPI enums (map, program, attach and link types), from one
 * table generated out of the system's <linux/bpf.h>, completed with the
 * values newer than those headers from the running kernel's BTF. */
#pragma once
#include "ebpf/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Each returns the value for a lower-case name ("hash", "xdp",
 * "cgroup_inet_ingress"), or -1 if unknown. */
EBPF_API int ebpf_map_type_by_name(const char *name);
EBPF_API int ebpf_prog_type_by_name(const char *name);
EBPF_API int ebpf_attach_type_by_name(const char *name);
EBPF_API int ebpf_link_type_by_name(const char *name);
/* Each returns the name for a value, or NULL if unknown. */
EBPF_API const char *ebpf_map_type_name(int type);
EBPF_API const char *ebpf_prog_type_name(int type);
EBPF_API const char *ebpf_attach_type_name(int type);
EBPF_API const char *ebpf_link_type_name(int type);
/* Iteration over a table: the i-th name (NULL past the end) and value. */
EBPF_API const char *ebpf_map_type_at(int i, int *value);
EBPF_API const char *ebpf_prog_type_at(int i, int *value);
EBPF_API const char *ebpf_attach_type_at(int i, int *value);

/* Map flags (BPF_F_*) by name: "no_prealloc", "rdonly_prog", "mmapable",
 * ... Returns the bit or 0 if unknown. */
EBPF_API unsigned int ebpf_map_flag_by_name(const char *name);
EBPF_API const char *ebpf_map_flag_at(int i, unsigned int *bit);
/* Program load flags: "sleepable", "strict_alignment", "any_alignment",
 * "test_rnd_hi32", "test_state_freq", "xdp_has_frags". */
EBPF_API unsigned int ebpf_prog_flag_by_name(const char *name);

#ifdef __cplusplus
}
#endif
