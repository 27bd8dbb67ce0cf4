/* Attach targets by name in the kernel's BTF (vmlinux, then modules),
 * through the BTF module: the process-wide vmlinux BTF and its hash index,
 * so a lookup neither re-reads nor re-scans the kernel's types. */
#include <errno.h>
#include <linux/btf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/btf.h"
#include "ebpf/types.h"
#include "link_internal.h"

static const char *kind_name(int kind)
{
    switch (kind) {
    case BTF_KIND_FUNC: return "function";
    case BTF_KIND_TYPEDEF: return "typedef";
    case BTF_KIND_STRUCT: return "struct";
    default: return "type";
    }
}

int ebpf_link_kernel_btf_id(const char *name, int kind, int *btf_obj_fd)
{
    *btf_obj_fd = -1;
    const struct ebpf_btf *vm = ebpf_btf_kernel();
    if (!vm) {
        int e = errno ? errno : ENOENT;
        return ebpf_err(e, "attach", "kernel BTF: /sys/kernel/btf/vmlinux: %s (kernel without BTF?)", strerror(e));
    }
    int64_t found = ebpf_btf_find(vm, name, kind);
    if (found > 0)
        return (int)found;
    /* Modules: split BTF on top of vmlinux, found among the loaded BTF
     * objects (their fd goes to the program load as attach_btf_obj_fd). */
    uint32_t id = 0, next;
    int nmods = 0;
    while (ebpf_btf_next_id(id, &next) == 0) {
        id = next;
        struct ebpf_btf *m = ebpf_btf_open_id(id);
        if (!m)
            continue;
        if (!ebpf_btf_is_kernel(m) || strcmp(ebpf_btf_kernel_name(m), "vmlinux") == 0) {
            ebpf_btf_free(m);
            continue;
        }
        nmods++;
        int64_t mfound = ebpf_btf_find(m, name, kind);
        if (mfound > 0) {
            int fd = ebpf_fd_dup(ebpf_btf_fd(m));
            ebpf_btf_free(m);
            if (fd < 0)
                return ebpf_err(-fd, "attach", "kernel BTF: dup module BTF fd: %s", strerror(-fd));
            *btf_obj_fd = fd;
            return (int)mfound;
        }
        ebpf_btf_free(m);
    }
    return ebpf_err(ENOENT, "attach", "kernel BTF: no %s '%s' in vmlinux or %d module(s)", kind_name(kind), name,
                    nmods);
}

int ebpf_link_tracing_target(int attach_type, const char *name, int *btf_obj_fd)
{
    char full[256];
    int kind = BTF_KIND_FUNC;
    switch (attach_type) {
    case BPF_TRACE_RAW_TP:
        snprintf(full, sizeof(full), "btf_trace_%s", name);
        kind = BTF_KIND_TYPEDEF;
        break;
    case BPF_LSM_MAC:
    case BPF_LSM_CGROUP:
        snprintf(full, sizeof(full), "bpf_lsm_%s", name);
        break;
    default:
        snprintf(full, sizeof(full), "%s", name);
    }
    int r = ebpf_link_kernel_btf_id(full, kind, btf_obj_fd);
    if (r == -ENOENT) {
        const char *an = ebpf_attach_type_name(attach_type);
        return ebpf_err(ENOENT, "attach", "%s target '%s' not found: %s", an ? an : "tracing", name,
                        ebpf_error_message());
    }
    return r;
}
