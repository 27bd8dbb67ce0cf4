/* BPF streams (6.17+): a program's stdout/stderr, read with
 * BPF_PROG_STREAM_READ_BY_FD (newer than the build's <linux/bpf.h>). */
#include <errno.h>
#include <string.h>

#include "ebpf/prog.h"
#include "ebpf/sys.h"
#include "error_internal.h"

#define CMD_PROG_STREAM_READ_BY_FD 37

/* The command's attr; the layout is ABI. */
struct stream_read_attr {
    uint64_t buf;
    uint32_t len;
    uint32_t stream_id;
    uint32_t prog_fd;
};

int ebpf_prog_stream_read(const struct ebpf_prog *p, int stream_id, void *buf, uint32_t len)
{
    const char *name = ebpf_prog_name(p);
    if (stream_id != 1 && stream_id != 2)
        return ebpf_err(EINVAL, "stream", "program '%s': stream %d: only 1 (stdout) and 2 (stderr) exist",
                        name ? name : "", stream_id);
    union {
        union bpf_attr a;
        struct stream_read_attr s;
    } b;
    memset(&b, 0, sizeof(b));
    b.s.buf = ebpf_ptr(buf);
    b.s.len = len;
    b.s.stream_id = (uint32_t)stream_id;
    b.s.prog_fd = (uint32_t)ebpf_prog_fd(p);
    int r = ebpf_sys_bpf(CMD_PROG_STREAM_READ_BY_FD, &b.a, sizeof(b.s));
    if (r < 0) {
        int e = -r;
        return ebpf_err(e, "stream", "program '%s': reading its %s stream: %s%s", name ? name : "",
                        stream_id == 1 ? "stdout" : "stderr", strerror(e),
                        e == EINVAL ? " (BPF streams need Linux 6.17)" : "");
    }
    return r;
}
