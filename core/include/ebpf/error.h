/* Error reporting of the core: every call returns >= 0 or -errno (ints) or
 * NULL with errno set (pointers), and leaves a readable message naming the
 * entity ("map 'events': create: Operation not permitted") in a per-thread
 * slot, plus the full verifier log when a load failed. */
#pragma once
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EBPF_API __attribute__((visibility("default")))

/* The message of the last failure on this thread ("" if none). */
EBPF_API const char *ebpf_error_message(void);
/* The errno of the last failure on this thread. */
EBPF_API int ebpf_error_errno(void);
/* The verifier (or BTF) log of the last failed load, or NULL. */
EBPF_API const char *ebpf_error_log(void);
/* The operation of the last failure ("create", "load", ...). */
EBPF_API const char *ebpf_error_op(void);
/* Symbolic name of an errno value ("EPERM"), or "E?" if unknown. */
EBPF_API const char *ebpf_errno_name(int err);
/* Forget the last failure. */
EBPF_API void ebpf_error_clear(void);

#ifdef __cplusplus
}
#endif
