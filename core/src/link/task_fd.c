/* BPF_TASK_FD_QUERY: what a process's perf event fd (or raw tracepoint fd)
 * has attached, for `ebpf perf` (which walks /proc/<pid>/fd). */
#include <errno.h>
#include <string.h>

#include "ebpf/link.h"
#include "ebpf/sys.h"
#include "ebpf/types.h"
#include "error_internal.h"

int ebpf_task_fd_query(int pid, int fd, struct ebpf_task_fd_info *out)
{
    if (!out || pid < 0 || fd < 0)
        return ebpf_err(EINVAL, "task fd query", "needs a pid, an fd and an out struct");
    memset(out, 0, sizeof(*out));
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.task_fd_query.pid = (uint32_t)pid;
    a.task_fd_query.fd = (uint32_t)fd;
    a.task_fd_query.buf = ebpf_ptr(out->name);
    a.task_fd_query.buf_len = sizeof(out->name);
    int r = ebpf_sys_bpf(BPF_TASK_FD_QUERY, &a, sizeof(a));
    if (r < 0)
        return ebpf_err(-r, "task fd query", "pid %d fd %d: %s", pid, fd, ebpf_strerror(-r));
    out->name[sizeof(out->name) - 1] = 0; /* cut names longer than the buffer stay terminated */
    out->prog_id = a.task_fd_query.prog_id;
    out->fd_type = a.task_fd_query.fd_type;
    out->probe_offset = a.task_fd_query.probe_offset;
    out->probe_addr = a.task_fd_query.probe_addr;
    return 0;
}
