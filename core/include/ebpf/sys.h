/* The raw bpf(2) layer: one thin wrapper per command, returning >= 0 or
 * -errno, and fd hygiene (never 0-2, always close-on-exec). */
#pragma once
#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpf/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* bpf(cmd, attr, size). The attr is passed with exactly `size` bytes; the
 * kernel rejects non-zero bytes past what it knows (E2BIG), so callers pass
 * the offsetofend() of the last field they set. Returns >= 0 or -errno. */
EBPF_API int ebpf_sys_bpf(int cmd, union bpf_attr *attr, size_t size);
/* Same, for commands that return a new fd: the fd is moved above 2 and
 * made close-on-exec. */
EBPF_API int ebpf_sys_bpf_fd(int cmd, union bpf_attr *attr, size_t size);

/* Files named by users or objects: opened O_RDONLY|O_NONBLOCK|O_CLOEXEC,
 * refused unless regular (a FIFO never blocks, a device is never read)
 * and, when max > 0, unless at most max bytes. Returns the fd (size in
 * *size) or -errno with a message naming `what` and the path. */
EBPF_API int ebpf_file_open(const char *path, const char *what, size_t max, size_t *size);
/* The whole file through ebpf_file_open (malloc'd, length in *len). */
EBPF_API void *ebpf_file_read(const char *path, const char *what, size_t max, size_t *len);
/* Size limits of the library's own readers (documented in docs/security.md). */
#define EBPF_MAX_OBJECT_FILE ((size_t)1 << 30)  /* ELF objects and BTF files */
/* Moves fd above 2 (stdio is never clobbered by a BPF object) with
 * O_CLOEXEC; closes the original on success. Returns the fd or -errno. */
EBPF_API int ebpf_fd_fixup(int fd);
/* dup() with the same guarantees. */
EBPF_API int ebpf_fd_dup(int fd);

/* Object fds by id / pinned path / info, shared by maps, programs, links
 * and BTF. Return a new fd or -errno. */
EBPF_API int ebpf_obj_get(const char *path, uint32_t flags);
EBPF_API int ebpf_obj_pin(int fd, const char *path);
/* Removes a pinned BPF object: only a path on a bpffs, only a BPF object
 * (a directory or anything BPF_OBJ_GET does not open is refused), the
 * last component never followed; 0 or -errno with a message. */
EBPF_API int ebpf_obj_unpin(const char *path);
/* A name from an object (map, program) used as one path component under
 * a pin directory: refused when empty, "." or "..", or holding '/' or
 * control characters. 0 or -EINVAL with a message naming `what`. */
EBPF_API int ebpf_check_pin_name(const char *name, const char *what);
EBPF_API int ebpf_obj_get_info(int fd, void *info, uint32_t *info_len);
EBPF_API int ebpf_map_fd_by_id(uint32_t id);
EBPF_API int ebpf_prog_fd_by_id(uint32_t id);
EBPF_API int ebpf_link_fd_by_id(uint32_t id);
EBPF_API int ebpf_btf_fd_by_id(uint32_t id);
/* Next id after `id` of the object kind given by cmd (BPF_MAP_GET_NEXT_ID,
 * BPF_PROG_GET_NEXT_ID, BPF_LINK_GET_NEXT_ID, BPF_BTF_GET_NEXT_ID).
 * Returns 0 and sets *next, -ENOENT at the end. */
EBPF_API int ebpf_obj_next_id(int cmd, uint32_t id, uint32_t *next);
/* BPF_ENABLE_STATS: returns an fd keeping stats on while open. */
EBPF_API int ebpf_enable_stats(int type);

/* Number of possible CPUs (/sys/devices/system/cpu/possible), cached. */
EBPF_API int ebpf_num_possible_cpus(void);

/* Memlock rlimit: removes it only where the kernel still charges BPF memory
 * to RLIMIT_MEMLOCK (before memcg accounting, 5.11). Returns 1 if it was
 * raised, 0 if nothing was needed, -errno on failure. */
EBPF_API int ebpf_rlimit_remove_memlock(void);
/* 1 if the kernel charges BPF memory to memcg (no rlimit needed). */
EBPF_API int ebpf_memcg_accounting(void);

#define ebpf_offsetofend(type, field) \
    (offsetof(type, field) + sizeof(((type *)0)->field))
#define EBPF_ATTR_SIZE(field) ebpf_offsetofend(union bpf_attr, field)

static inline uint64_t ebpf_ptr(const void *p) { return (uint64_t)(uintptr_t)p; }

#ifdef __cplusplus
}
#endif
