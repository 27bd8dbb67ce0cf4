/* Symbols for addresses: kernel addresses through /proc/kallsyms, user
 * addresses of a live process through /proc/PID/maps and the ELF symbol
 * tables of the mapped files (or their separate debug files, found by
 * build-id or .gnu_debuglink). Both are cached per process behind a mutex;
 * results are copied out, so they stay valid whatever the caches do. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "ebpf/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EBPF_SYM_NAME_MAX 1024 /* longer names (C++) are cut */
#define EBPF_SYM_PATH_MAX 4096

/* One resolved address. name is "" when no symbol covers it; module is
 * the kernel module ("" for vmlinux) or, for user addresses, the path of
 * the mapped file as the process sees it ("[vdso]", "" when unmapped). */
struct ebpf_sym {
    uint64_t addr;   /* the address looked up */
    uint64_t start;  /* the symbol's address (kernel) or ELF vaddr (user) */
    uint64_t offset; /* addr - start, in the symbol */
    char name[EBPF_SYM_NAME_MAX];
    char module[EBPF_SYM_PATH_MAX];
};

/* A kernel address through the process-wide /proc/kallsyms table (read and
 * sorted at the first call). 1 when a symbol covers it, 0 when not (below
 * the first symbol, or more than 1 MiB past the nearest: kallsyms has no
 * sizes), -errno when kallsyms cannot be read or hides its addresses. */
EBPF_API int ebpf_sym_kernel(uint64_t addr, struct ebpf_sym *out);

struct ebpf_ksyms;
/* A kallsyms table of one's own, from kallsyms text (for tests and tools
 * reading a saved copy): NULL + errno on malformed text or no symbols. */
EBPF_API struct ebpf_ksyms *ebpf_ksyms_parse(const char *text, size_t len);
/* Same contract as ebpf_sym_kernel, on this table. */
EBPF_API int ebpf_ksyms_lookup(const struct ebpf_ksyms *ks, uint64_t addr, struct ebpf_sym *out);
/* Number of distinct symbol addresses in the table. */
EBPF_API size_t ebpf_ksyms_count(const struct ebpf_ksyms *ks);
EBPF_API void ebpf_ksyms_free(struct ebpf_ksyms *ks);

/* User addresses of process pid, /proc/PID/maps read once for the n
 * addresses: out[i] for addrs[i]. Returns how many got a symbol, or
 * -errno (-ESRCH: no such process, -EACCES: maps unreadable). Symbol
 * tables are cached per file (device, inode, mtime, size). */
EBPF_API int ebpf_sym_user(int pid, const uint64_t *addrs, size_t n, struct ebpf_sym *out);

/* The root of separate debug files (default "/usr/lib/debug"): build-id
 * files under DIR/.build-id/xx/rest.debug, debuglink files under DIR/<the
 * binary's dir>/. NULL restores the default. Clears the user cache.
 * 0 or -EINVAL (relative path, too long). */
EBPF_API int ebpf_sym_set_debug_dir(const char *dir);
/* The current root of debug files, copied into buf (cut to size). */
EBPF_API void ebpf_sym_debug_dir(char *buf, size_t size);

/* Drops both caches: kallsyms is read again (modules loaded since) and
 * every ELF file reopened at the next lookup. */
EBPF_API void ebpf_sym_cache_clear(void);

#ifdef __cplusplus
}
#endif
