/* Probes for bpf(2) commands newer than the build's <linux/bpf.h>: the
 * command with a bogus fd. A kernel that knows the command looks the fd
 * up and answers EBADF; one that does not answers EINVAL. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* Whether ld_imm64 of a map value may carry any offset (the verifier's
 * old 512 MiB limit on direct value offsets was lifted for arenas): a
 * socket filter loading an array value at offset 1 GiB fails either way,
 * and the log says which limit it hit. Decides where __arena globals go. */
int feat_misc_ldimm64_full_range_off(struct feat_result *r)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_type = BPF_MAP_TYPE_ARRAY;
    a.key_size = 4;
    a.value_size = 4;
    a.max_entries = 1;
    feat_count();
    int mfd = ebpf_sys_bpf_fd(BPF_MAP_CREATE, &a, EBPF_ATTR_SIZE(max_entries));
    if (mfd < 0)
        return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, mfd == -EPERM ? feat_eperm_reason : "cannot create an array",
                        mfd != -EPERM);
    struct bpf_insn insns[] = {
        {.code = BPF_LD | BPF_IMM | BPF_DW, .dst_reg = 1, .src_reg = BPF_PSEUDO_MAP_VALUE, .imm = mfd},
        {.imm = 1 << 30},
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
        {.code = BPF_JMP | BPF_EXIT},
    };
    char log[1024] = {0}; /* zeroed: checkers cannot see the kernel write */
    struct feat_load l = {.type = BPF_PROG_TYPE_SOCKET_FILTER, .insns = insns, .insn_cnt = 4, .log = log,
                          .log_size = sizeof(log)};
    int pfd = feat_prog_load(&l);
    close(mfd);
    if (pfd >= 0) {
        close(pfd);
        return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, "a 1 GiB offset into a 4-byte value was accepted", 1);
    }
    if (pfd == -EPERM)
        return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, feat_eperm_reason, 0);
    if (strstr(log, "direct value offset of"))
        return feat_set(r, EBPF_FEATURE_UNSUPPORTED, "this verifier limits direct value offsets (newer kernels lift the limit for arenas)", 0);
    if (strstr(log, "invalid access to map value pointer"))
        return feat_set(r, EBPF_FEATURE_SUPPORTED, "", 0);
    char buf[200];
    snprintf(buf, sizeof(buf), "unexpected verifier answer: %s", feat_log_last_line(log, buf + 100, 100));
    return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, buf, 1);
}
