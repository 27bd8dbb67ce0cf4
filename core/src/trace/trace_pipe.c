/* Reading trace_pipe line by line (ebpf/trace_pipe.h): a non-blocking fd
 * and one buffer. Lines are handed out in place; the buffer is compacted
 * only when the next read needs room, and a line that does not fit is cut
 * (the kernel's lines are far shorter; a file may hold anything). */
#include "ebpf/trace_pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error_internal.h"
#include "link/link_internal.h"

#define LINE_MAX_BYTES (64 * 1024)

struct ebpf_trace_pipe {
    int fd;
    int eof;      /* read() gave 0: no more data (files, FIFOs) */
    int skipping; /* dropping the rest of a line that was cut */
    size_t start, end; /* unread bytes are buf[start, end) */
    char buf[LINE_MAX_BYTES + 1];
};

struct ebpf_trace_pipe *ebpf_trace_pipe_open(const char *path)
{
    char tp[256];
    if (!path) {
        const char *root = link_tracefs();
        if (!root)
            return NULL; /* errno and the message are set */
        snprintf(tp, sizeof(tp), "%s/trace_pipe", root);
        path = tp;
    }
    struct ebpf_trace_pipe *p = malloc(sizeof(*p));
    if (!p)
        return ebpf_err_null(ENOMEM, "trace_pipe", "out of memory");
    p->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (p->fd < 0) {
        int e = errno;
        free(p);
        if (e == EBUSY) /* the kernel allows one reader of trace_pipe */
            return ebpf_err_null(e, "trace_pipe", "open %s: %s (another reader has it open)", path, strerror(e));
        return ebpf_err_null(e, "trace_pipe", "open %s: %s", path, strerror(e));
    }
    p->eof = p->skipping = 0;
    p->start = p->end = 0;
    return p;
}

int ebpf_trace_pipe_fd(const struct ebpf_trace_pipe *p) { return p ? p->fd : -EINVAL; }

/* A complete line in the buffer (skipping the tail of a cut one): 1 with
 * the line, 0 if there is none yet. */
static int take_line(struct ebpf_trace_pipe *p, const char **line, size_t *len)
{
    while (p->start < p->end) {
        char *s = p->buf + p->start;
        char *nl = memchr(s, '\n', p->end - p->start);
        if (!nl)
            break;
        size_t n = (size_t)(nl - s);
        p->start += n + 1;
        if (p->skipping) {
            p->skipping = 0;
            continue;
        }
        *nl = 0;
        *line = s;
        *len = n;
        return 1;
    }
    return 0;
}

int ebpf_trace_pipe_next(struct ebpf_trace_pipe *p, const char **line, size_t *len)
{
    if (!p || !line || !len)
        return -EINVAL;
    for (;;) {
        if (take_line(p, line, len))
            return 1;
        size_t have = p->end - p->start;
        if (p->start > 0) { /* room for the next read at the end */
            memmove(p->buf, p->buf + p->start, have);
            p->start = 0;
            p->end = have;
        }
        if (have == LINE_MAX_BYTES) { /* no newline in a full buffer: cut */
            p->start = p->end = 0;
            int cut = !p->skipping;
            p->skipping = 1;
            if (cut) {
                p->buf[LINE_MAX_BYTES] = 0;
                *line = p->buf;
                *len = LINE_MAX_BYTES;
                return 1;
            }
            continue;
        }
        if (p->eof) {
            if (have == 0 || p->skipping) {
                p->start = p->end = 0;
                return -ENODATA;
            }
            p->buf[have] = 0; /* the last line had no newline */
            p->start = p->end = 0;
            *line = p->buf;
            *len = have;
            return 1;
        }
        ssize_t n = read(p->fd, p->buf + p->end, LINE_MAX_BYTES - have);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return 0;
            int e = errno;
            return ebpf_err(e, "trace_pipe", "read: %s", strerror(e));
        }
        if (n == 0)
            p->eof = 1;
        p->end += (size_t)n;
    }
}

void ebpf_trace_pipe_close(struct ebpf_trace_pipe *p)
{
    if (!p)
        return;
    if (p->fd >= 0)
        close(p->fd);
    free(p);
}
