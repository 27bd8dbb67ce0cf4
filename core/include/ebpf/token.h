/* BPF tokens (6.9+): delegated rights to create BTF, maps and programs
 * (and attach them) for a process that is privileged only inside a user
 * namespace, granted by a bpffs mounted with delegate_cmds/maps/progs/
 * attachs options. A token is an fd. */
#pragma once
#include "ebpf/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* BPF_TOKEN_CREATE from the bpffs at `bpffs_path` (a mount point, or a
 * /proc/self/fd/N naming a mount fd). Returns the token fd (> 2, cloexec)
 * or -errno with a message naming the path. */
EBPF_API int ebpf_token_create(const char *bpffs_path);

/* The process-wide default token, used by every BTF, map and program
 * creation that gives none of its own: made once, on first use, from the
 * environment variable EBPF_BPF_TOKEN_PATH (unset or empty: no token).
 * Returns the fd, or -1 when there is none (failures to create it are
 * kept: ebpf_token_default_error()). */
EBPF_API int ebpf_token_default(void);
/* Why EBPF_BPF_TOKEN_PATH gave no token ("" when it did or is unset). */
EBPF_API const char *ebpf_token_default_error(void);

#ifdef __cplusplus
}
#endif
