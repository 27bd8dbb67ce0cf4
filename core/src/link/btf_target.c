/* Attach targets by name in the kernel's BTF (vmlinux, then modules): a
 * small scanner over the raw type section, enough to find a named type. */
#include <errno.h>
#include <fcntl.h>
#include <linux/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ebpf/types.h"
#include "link_internal.h"

struct blob {
    unsigned char *data;
    size_t size;
};

static int read_file(const char *path, struct blob *b)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size <= 0) {
        close(fd);
        return -EINVAL;
    }
    b->data = malloc((size_t)st.st_size);
    if (!b->data) {
        close(fd);
        return -ENOMEM;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, b->data + got, (size_t)st.st_size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    b->size = got;
    return 0;
}

static size_t extra_size(const struct btf_type *t)
{
    unsigned vlen = BTF_INFO_VLEN(t->info);
    switch (BTF_INFO_KIND(t->info)) {
    case BTF_KIND_INT: return 4;
    case BTF_KIND_ARRAY: return sizeof(struct btf_array);
    case BTF_KIND_STRUCT: case BTF_KIND_UNION: return (size_t)vlen * sizeof(struct btf_member);
    case BTF_KIND_ENUM: return (size_t)vlen * sizeof(struct btf_enum);
    case BTF_KIND_FUNC_PROTO: return (size_t)vlen * sizeof(struct btf_param);
    case BTF_KIND_VAR: return sizeof(struct btf_var);
    case BTF_KIND_DATASEC: return (size_t)vlen * sizeof(struct btf_var_secinfo);
    case 17: /* DECL_TAG */ return 4;
    case 19: /* ENUM64 */ return (size_t)vlen * 12;
    default: return 0;
    }
}

/* Counts types (for split BTF numbering) and finds `name` of `kind`.
 * base_strs/base_len: strings of the base (vmlinux) for split BTF. */
static int scan(const struct blob *b, const char *base_strs, uint32_t base_str_len, uint32_t first_id,
                const char *name, int kind, uint32_t *found, uint32_t *count, const char **strs_out,
                uint32_t *str_len_out)
{
    if (b->size < sizeof(struct btf_header))
        return -EINVAL;
    const struct btf_header *h = (const void *)b->data;
    if (h->magic != BTF_MAGIC || h->hdr_len > b->size)
        return -EINVAL;
    size_t toff = (size_t)h->hdr_len + h->type_off, soff = (size_t)h->hdr_len + h->str_off;
    if (toff + h->type_len > b->size || soff + h->str_len > b->size)
        return -EINVAL;
    const char *strs = (const char *)b->data + soff;
    if (strs_out) {
        *strs_out = strs;
        *str_len_out = h->str_len;
    }
    const unsigned char *p = b->data + toff, *end = p + h->type_len;
    uint32_t id = first_id;
    *found = 0;
    while (p + sizeof(struct btf_type) <= end) {
        const struct btf_type *t = (const void *)p;
        size_t sz = sizeof(*t) + extra_size(t);
        if (p + sz > end)
            return -EINVAL;
        if (!*found && name && (int)BTF_INFO_KIND(t->info) == kind) {
            const char *n = NULL;
            uint32_t off = t->name_off;
            if (base_strs && off < base_str_len)
                n = base_strs + off;
            else if (base_strs && off - base_str_len < h->str_len)
                n = strs + (off - base_str_len);
            else if (!base_strs && off < h->str_len)
                n = strs + off;
            if (n && strcmp(n, name) == 0)
                *found = id;
        }
        id++;
        p += sz;
    }
    *count = id - first_id;
    return 0;
}

static int module_btf(int fd, struct blob *b, char *name, size_t name_size)
{
    struct bpf_btf_info info;
    char nm[64] = "";
    memset(&info, 0, sizeof(info));
    info.name = ebpf_ptr(nm);
    info.name_len = sizeof(nm);
    uint32_t len = sizeof(info);
    int r = ebpf_obj_get_info(fd, &info, &len);
    if (r < 0)
        return r;
    if (!info.kernel_btf || strcmp(nm, "vmlinux") == 0)
        return -ENOENT;
    uint32_t size = info.btf_size;
    b->data = malloc(size ? size : 1);
    if (!b->data)
        return -ENOMEM;
    memset(&info, 0, sizeof(info));
    info.btf = ebpf_ptr(b->data);
    info.btf_size = size;
    len = sizeof(info);
    r = ebpf_obj_get_info(fd, &info, &len);
    if (r < 0) {
        free(b->data);
        b->data = NULL;
        return r;
    }
    b->size = size;
    snprintf(name, name_size, "%s", nm);
    return 0;
}

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
    struct blob vm = {0};
    int r = read_file("/sys/kernel/btf/vmlinux", &vm);
    if (r < 0)
        return ebpf_err(-r, "attach", "kernel BTF: /sys/kernel/btf/vmlinux: %s (kernel without BTF?)", strerror(-r));
    uint32_t found = 0, count = 0, str_len = 0;
    const char *strs = NULL;
    r = scan(&vm, NULL, 0, 1, name, kind, &found, &count, &strs, &str_len);
    if (r < 0) {
        free(vm.data);
        return ebpf_err(EINVAL, "attach", "kernel BTF: /sys/kernel/btf/vmlinux is malformed");
    }
    if (found) {
        free(vm.data);
        return (int)found;
    }
    /* Modules: split BTF on top of vmlinux. */
    uint32_t id = 0, next;
    int nmods = 0;
    while (ebpf_obj_next_id(BPF_BTF_GET_NEXT_ID, id, &next) == 0) {
        id = next;
        int fd = ebpf_btf_fd_by_id(id);
        if (fd < 0)
            continue;
        struct blob mb = {0};
        char mname[64];
        if (module_btf(fd, &mb, mname, sizeof(mname)) < 0) {
            close(fd);
            continue;
        }
        nmods++;
        uint32_t mfound = 0, mcount = 0;
        r = scan(&mb, strs, str_len, count + 1, name, kind, &mfound, &mcount, NULL, NULL);
        free(mb.data);
        if (r == 0 && mfound) {
            free(vm.data);
            *btf_obj_fd = fd;
            return (int)mfound;
        }
        close(fd);
    }
    free(vm.data);
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
