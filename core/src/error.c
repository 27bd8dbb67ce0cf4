/* Per-thread last-error slot of the core (see ebpf/error.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error_internal.h"

static _Thread_local char msg_buf[1024];
static _Thread_local int last_errno;
static _Thread_local const char *last_op = "";
static _Thread_local char *last_log;

const char *ebpf_error_message(void) { return msg_buf; }
int ebpf_error_errno(void) { return last_errno; }
const char *ebpf_error_log(void) { return last_log; }
const char *ebpf_error_op(void) { return last_op; }

void ebpf_error_clear(void)
{
    msg_buf[0] = 0;
    last_errno = 0;
    last_op = "";
    free(last_log);
    last_log = NULL;
}

static void vset(int err, const char *op, const char *fmt, va_list ap)
{
    char tmp[sizeof(msg_buf)];
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    /* A message may quote the previous one, hence the copy. */
    memcpy(msg_buf, tmp, sizeof(msg_buf));
    last_errno = err;
    last_op = op ? op : "";
    free(last_log);
    last_log = NULL;
}

int ebpf_err(int err, const char *op, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(err, op, fmt, ap);
    va_end(ap);
    return -err;
}

void *ebpf_err_null(int err, const char *op, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vset(err, op, fmt, ap);
    va_end(ap);
    errno = err;
    return NULL;
}

void ebpf_err_set_log(char *log)
{
    free(last_log);
    last_log = log;
}

const char *ebpf_errno_name(int err)
{
    switch (err) {
#define E(x) case x: return #x;
    E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC)
    E(EBADF) E(ECHILD) E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(EBUSY)
    E(EEXIST) E(EXDEV) E(ENODEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE)
    E(EMFILE) E(ENOTTY) E(EFBIG) E(ENOSPC) E(ESPIPE) E(EROFS) E(EMLINK)
    E(EPIPE) E(EDOM) E(ERANGE) E(EDEADLK) E(ENAMETOOLONG) E(ENOLCK) E(ENOSYS)
    E(ENOTEMPTY) E(ELOOP) E(ENOMSG) E(EIDRM) E(ENODATA) E(ETIME) E(EPROTO)
    E(EBADMSG) E(EOVERFLOW) E(EILSEQ) E(ENOTSOCK) E(EDESTADDRREQ) E(EMSGSIZE)
    E(EPROTOTYPE) E(ENOPROTOOPT) E(EPROTONOSUPPORT) E(EOPNOTSUPP)
    E(EAFNOSUPPORT) E(EADDRINUSE) E(EADDRNOTAVAIL) E(ENETDOWN)
    E(ENETUNREACH) E(ECONNABORTED) E(ECONNRESET) E(ENOBUFS) E(EISCONN)
    E(ENOTCONN) E(ETIMEDOUT) E(ECONNREFUSED) E(EALREADY) E(EINPROGRESS)
    E(ESTALE) E(ECANCELED) E(EOWNERDEAD) E(ENOTRECOVERABLE) E(ERFKILL)
#undef E
    case 524: return "ENOTSUPP"; /* kernel-internal, leaks out of bpf(2) */
    default: return "E?";
    }
}

const char *ebpf_strerror(int err)
{
    if (err == 524)
        return "Operation not supported by this kernel or object type";
    return strerror(err);
}

void ebpf_err_save(struct ebpf_err_saved *s)
{
    _Static_assert(sizeof(s->msg) == sizeof(msg_buf), "saved message size");
    s->sys_errno = errno;
    memcpy(s->msg, msg_buf, sizeof(msg_buf));
    s->err = last_errno;
    s->op = last_op;
    s->log = last_log; /* ownership moves to s */
    last_log = NULL;
}

void ebpf_err_restore(struct ebpf_err_saved *s)
{
    memcpy(msg_buf, s->msg, sizeof(msg_buf));
    last_errno = s->err;
    last_op = s->op;
    free(last_log);
    last_log = s->log;
    s->log = NULL;
    errno = s->sys_errno;
}
