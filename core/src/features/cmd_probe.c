/* Probes for bpf(2) commands newer than the build's <linux/bpf.h>: the
 * command with a bogus fd. A kernel that knows the command looks the fd
 * up and answers EBADF; one that does not answers EINVAL. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ebpf/sys.h"
#include "error_internal.h"
#include "features_internal.h"

#define BAD_FD 0x7ffffff0u /* never an open fd */

static int probe_cmd(struct feat_result *r, int cmd, const void *attr, size_t size, const char *what)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    memcpy(&a, attr, size);
    feat_count();
    int e = -ebpf_sys_bpf(cmd, &a, size);
    char buf[160];
    if (e == EBADF) {
        snprintf(buf, sizeof(buf), "%s: the command exists (a bogus fd is refused with EBADF)", what);
        return feat_set(r, EBPF_FEATURE_SUPPORTED, buf, 1);
    }
    if (e == EINVAL) {
        snprintf(buf, sizeof(buf), "kernel does not know %s (EINVAL)", what);
        return feat_set(r, EBPF_FEATURE_UNSUPPORTED, buf, 1);
    }
    if (e == EPERM || e == EACCES)
        return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, feat_eperm_reason, 0);
    snprintf(buf, sizeof(buf), "%s: unexpected answer %s", what, ebpf_errno_name(e));
    return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, buf, 1);
}

int feat_misc_streams(struct feat_result *r)
{
    static char sink[8];
    struct { uint64_t buf; uint32_t len, stream_id, prog_fd, pad; } a;
    memset(&a, 0, sizeof(a)); /* the kernel refuses non-zero bytes past the last field */
    a.buf = ebpf_ptr(sink);
    a.len = sizeof(sink);
    a.stream_id = 1;
    a.prog_fd = BAD_FD;
    return probe_cmd(r, 37 /* BPF_PROG_STREAM_READ_BY_FD */, &a, sizeof(a), "BPF streams (6.17)");
}

int feat_misc_token(struct feat_result *r)
{
    struct { uint32_t flags, bpffs_fd; } a = {0, BAD_FD};
    return probe_cmd(r, 36 /* BPF_TOKEN_CREATE */, &a, sizeof(a), "BPF tokens (6.9)");
}
