/* libFuzzer: trace_pipe text (core/src/trace/): the input is read through
 * the line reader (as a file) and every line it hands out goes through
 * the line parser. Whatever is parsed must point inside its line, with
 * non-negative pid and cpu; the reader must end (-ENODATA) and never hand
 * out more than 64 KiB at once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/trace_pipe.h"
#include "fuzz_memfile.h"

static int inside(const char *p, size_t n, const char *line, size_t len)
{
    return p >= line && p + n <= line + len;
}

static void check_line(const char *line, size_t len)
{
    struct ebpf_trace_line t;
    if (ebpf_trace_line_parse(line, len, &t) != 0)
        return;
    if (t.pid < 0 || t.cpu < 0 || t.tgid < -1)
        abort();
    if (!inside(t.comm, t.comm_len, line, len) || !inside(t.msg, t.msg_len, line, len) ||
        !inside(t.flags, t.flags_len, line, len) || (t.event && !inside(t.event, t.event_len, line, len)))
        abort();
    if (t.comm + t.comm_len > t.msg) /* fields in order */
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the parser on the raw bytes, in a buffer of exactly their size */
    char *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    check_line(copy, size);
    free(copy);

    struct ebpf_trace_pipe *p = ebpf_trace_pipe_open(fuzz_memfile(data, size));
    if (!p)
        abort();
    const char *line;
    size_t len;
    int r, lines = 0;
    while ((r = ebpf_trace_pipe_next(p, &line, &len)) == 1) {
        if (len > 64 * 1024 || line[len] != 0)
            abort();
        check_line(line, len);
        if (++lines > (int)size + 1)
            abort();
    }
    if (r != -ENODATA)
        abort();
    ebpf_trace_pipe_close(p);
    return 0;
}
