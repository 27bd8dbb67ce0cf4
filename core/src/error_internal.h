/* Internal side of error.h: setting the per-thread error. */
#pragma once
#include "ebpf/error.h"

/* Records err (positive errno) with a printf message; returns -err so
 * callers can `return ebpf_err(...)`. */
int ebpf_err(int err, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, and sets errno; returns NULL, for pointer-returning functions. */
void *ebpf_err_null(int err, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Takes ownership of a malloc'd log (may be NULL) for the last error. */
void ebpf_err_set_log(char *log);
/* strerror() that also names the kernel-internal ENOTSUPP (524), which
 * bpf(2) returns for operations a kernel or map type lacks. */
const char *ebpf_strerror(int err);

/* The calling thread's error slot, set aside and put back around work
 * whose own failures must not replace the caller's error (e.g. naming a
 * type while formatting a message loads kernel BTF). */
struct ebpf_err_saved {
    char msg[1024];
    int err;
    const char *op;
    char *log;
    int sys_errno;
};
void ebpf_err_save(struct ebpf_err_saved *s);
void ebpf_err_restore(struct ebpf_err_saved *s);
