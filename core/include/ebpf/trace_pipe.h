/* bpf_printk output: the lines of tracefs `trace_pipe` (or of a file in
 * its format), split into lines and parsed into their fields
 * (comm-pid [cpu] flags timestamp: event: message). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "ebpf/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One parsed line. The strings point into the line given to the parser
 * (not NUL-terminated: use the lengths). */
struct ebpf_trace_line {
    const char *comm;   /* task name, without the padding before it */
    size_t comm_len;
    int pid;
    int tgid;           /* -1 unless the record-tgid option is on */
    int cpu;
    const char *flags;  /* irq/preempt flags ("d..31"); length 0 without irq-info */
    size_t flags_len;
    uint64_t ts_ns;     /* timestamp: seconds.micro as ns; a counter clock's raw value */
    const char *event;  /* "bpf_trace_printk", "" for ": msg", NULL when absent */
    size_t event_len;
    const char *msg;    /* the rest of the line */
    size_t msg_len;
};

/* Parses `len` bytes of one line (no newline needed) such as
 * `  my-task x-1234  [001] d..31  5.123456: bpf_trace_printk: hello`.
 * The task name may hold blanks, dashes and brackets: the `-pid [cpu]`
 * part is found where the kernel puts it (after a 16-column name), else
 * the leftmost one that is followed by a well-formed header. Returns 0, or
 * -EINVAL for anything else (never reads past `len`). */
EBPF_API int ebpf_trace_line_parse(const char *line, size_t len, struct ebpf_trace_line *out);

struct ebpf_trace_pipe;

/* Opens `path` non-blocking, or with path NULL tracefs' trace_pipe
 * (/sys/kernel/tracing or /sys/kernel/debug/tracing; tracefs is mounted
 * if it is not). NULL + errno with a message on failure. Reading
 * trace_pipe consumes what it returns, for every reader of the machine. */
EBPF_API struct ebpf_trace_pipe *ebpf_trace_pipe_open(const char *path);
/* The file's fd: poll it for POLLIN (e.g. in an epoll set with readers). */
EBPF_API int ebpf_trace_pipe_fd(const struct ebpf_trace_pipe *p);
/* The next whole line, without its newline: 1 with *line and *len (valid
 * until the next call), 0 when none is there yet, -ENODATA at the end of
 * a file (not for trace_pipe itself), -errno on read errors. Lines longer
 * than 64 KiB are cut there (the rest is dropped). */
EBPF_API int ebpf_trace_pipe_next(struct ebpf_trace_pipe *p, const char **line, size_t *len);
/* Closes the fd and frees p; NULL-safe. */
EBPF_API void ebpf_trace_pipe_close(struct ebpf_trace_pipe *p);

#ifdef __cplusplus
}
#endif
