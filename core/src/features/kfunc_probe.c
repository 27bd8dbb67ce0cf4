/* kfunc probes: is kernel function NAME callable from programs of a type?
 * The function is looked up by name in vmlinux BTF, then in module BTF
 * (split BTF on top of vmlinux), and a program calling it is loaded: the
 * verifier says "calling kernel function X is not allowed" when the
 * function is not a kfunc for that program type; any later complaint
 * (arguments) means the call itself resolved. A small BTF walker lives
 * here so the probe does not depend on the BTF library. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ebpf/sys.h"
#include "error_internal.h"
#include "features_internal.h"

#define BTF_DIR "/sys/kernel/btf"

struct raw_btf {
    unsigned char *data;
    size_t size;
    const struct btf_header *h;
    const char *strs;
    uint32_t str_len;
    uint32_t ntypes;
};

static int read_file(const char *path, unsigned char **out, size_t *size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t cap = 1 << 20, n = 0;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            close(fd);
            return -ENOMEM;
        }
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                close(fd);
                return -ENOMEM;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return -e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    *out = buf;
    *size = n;
    return 0;
}

/* Size of a type record (header plus kind-specific data), or 0 if the
 * kind is unknown. */
static size_t type_size(const struct btf_type *t)
{
    uint32_t vlen = BTF_INFO_VLEN(t->info);
    size_t s = sizeof(*t);
    switch (BTF_INFO_KIND(t->info)) {
    case BTF_KIND_INT: return s + 4;
    case BTF_KIND_PTR: case BTF_KIND_FWD: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST: case BTF_KIND_RESTRICT: case BTF_KIND_FUNC: case BTF_KIND_FLOAT:
    case BTF_KIND_TYPE_TAG: return s;
    case BTF_KIND_ARRAY: return s + sizeof(struct btf_array);
    case BTF_KIND_STRUCT: case BTF_KIND_UNION: return s + vlen * sizeof(struct btf_member);
    case BTF_KIND_ENUM: return s + vlen * sizeof(struct btf_enum);
    case BTF_KIND_FUNC_PROTO: return s + vlen * sizeof(struct btf_param);
    case BTF_KIND_VAR: return s + sizeof(struct btf_var);
    case BTF_KIND_DATASEC: return s + vlen * sizeof(struct btf_var_secinfo);
    case BTF_KIND_DECL_TAG: return s + sizeof(struct btf_decl_tag);
    case BTF_KIND_ENUM64: return s + vlen * sizeof(struct btf_enum64);
    default: return 0;
    }
}

static int btf_open(struct raw_btf *b, const char *path)
{
    memset(b, 0, sizeof(*b));
    int r = read_file(path, &b->data, &b->size);
    if (r < 0)
        return r;
    const struct btf_header *h = (const void *)b->data;
    if (b->size < sizeof(*h) || h->magic != BTF_MAGIC || h->hdr_len > b->size ||
        (uint64_t)h->hdr_len + h->type_off + h->type_len > b->size ||
        (uint64_t)h->hdr_len + h->str_off + h->str_len > b->size) {
        free(b->data);
        return -EINVAL;
    }
    b->h = h;
    b->strs = (const char *)b->data + h->hdr_len + h->str_off;
    b->str_len = h->str_len;
    return 0;
}

static const char *btf_str(const struct raw_btf *base, const struct raw_btf *b, uint32_t off)
{
    /* Split BTF continues the base's string offsets. */
    if (base) {
        if (off < base->str_len)
            return base->strs + off;
        off -= base->str_len;
    }
    if (off >= b->str_len || !memchr(b->strs + off, 0, b->str_len - off))
        return "";
    return b->strs + off;
}

/* Walks b's types; returns the local index (1-based) of the type of
 * `kind` named `name` (its size or type in *size_type), 0 if absent, and
 * sets b->ntypes. */
static uint32_t find_type(struct raw_btf *b, const struct raw_btf *base, int kind, const char *name,
                          uint32_t *size_type)
{
    const unsigned char *p = b->data + b->h->hdr_len + b->h->type_off;
    const unsigned char *end = p + b->h->type_len;
    uint32_t idx = 0, found = 0;
    while (p + sizeof(struct btf_type) <= end) {
        const struct btf_type *t = (const void *)p;
        size_t s = type_size(t);
        if (!s || p + s > end)
            break;
        idx++;
        if (!found && (int)BTF_INFO_KIND(t->info) == kind && !strcmp(btf_str(base, b, t->name_off), name)) {
            found = idx;
            if (size_type)
                *size_type = t->size;
        }
        p += s;
    }
    b->ntypes = idx;
    return found;
}

/* Kernel fd of the module BTF object named `module`, or -errno. */
static int module_btf_fd(const char *module)
{
    uint32_t id = 0;
    while (ebpf_obj_next_id(BPF_BTF_GET_NEXT_ID, id, &id) == 0) {
        int fd = ebpf_btf_fd_by_id(id);
        if (fd < 0)
            continue;
        char name[64] = {0};
        struct bpf_btf_info info;
        memset(&info, 0, sizeof(info));
        info.name = ebpf_ptr(name);
        info.name_len = sizeof(name);
        uint32_t len = sizeof(info);
        if (ebpf_obj_get_info(fd, &info, &len) == 0 && info.kernel_btf && !strcmp(name, module))
            return fd;
        close(fd);
    }
    ebpf_error_clear(); /* the walk's own failures are not the caller's */
    return -ENOENT;
}

int feat_vmlinux_struct(const char *name, uint32_t *id, uint32_t *size)
{
    struct raw_btf vm;
    int r = btf_open(&vm, BTF_DIR "/vmlinux");
    if (r < 0)
        return r;
    *id = find_type(&vm, NULL, BTF_KIND_STRUCT, name, size);
    free(vm.data);
    return *id ? 0 : -ENOENT;
}

int feat_vmlinux_func(const char *name, uint32_t *id)
{
    struct raw_btf vm;
    int r = btf_open(&vm, BTF_DIR "/vmlinux");
    if (r < 0)
        return r;
    *id = find_type(&vm, NULL, BTF_KIND_FUNC, name, NULL);
    free(vm.data);
    return *id ? 0 : -ENOENT;
}

struct kfunc_entry {
    char *name;
    int prog_type;
    struct feat_result r;
};
static struct kfunc_entry *entries;
static size_t nentries, centries;

static int lookup(const char *name, uint32_t *id, char *module, size_t msize)
{
    struct raw_btf vm;
    int r = btf_open(&vm, BTF_DIR "/vmlinux");
    if (r < 0)
        return r;
    *id = find_type(&vm, NULL, BTF_KIND_FUNC, name, NULL);
    module[0] = 0;
    if (!*id) {
        DIR *d = opendir(BTF_DIR);
        struct dirent *e;
        while (d && !*id && (e = readdir(d))) {
            if (e->d_name[0] == '.' || !strcmp(e->d_name, "vmlinux"))
                continue;
            char path[512];
            snprintf(path, sizeof(path), BTF_DIR "/%s", e->d_name);
            struct raw_btf m;
            if (btf_open(&m, path) < 0)
                continue;
            uint32_t local = find_type(&m, &vm, BTF_KIND_FUNC, name, NULL);
            if (local) {
                *id = vm.ntypes + local;
                snprintf(module, msize, "%.*s", (int)(msize - 1), e->d_name);
            }
            free(m.data);
        }
        if (d)
            closedir(d);
    }
    free(vm.data);
    return 0;
}

static int probe(const char *name, int type, struct feat_result *r)
{
    char buf[320], line[200], module[64];
    uint32_t id = 0;
    int lr = lookup(name, &id, module, sizeof(module));
    if (lr < 0) {
        snprintf(buf, sizeof(buf), "cannot read kernel BTF (%s): %s", BTF_DIR "/vmlinux", strerror(-lr));
        return feat_set(r, lr == -ENOENT ? EBPF_FEATURE_UNSUPPORTED : EBPF_FEATURE_INCONCLUSIVE, buf, 1);
    }
    if (!id) {
        snprintf(buf, sizeof(buf), "no function '%s' in vmlinux or module BTF", name);
        return feat_set(r, EBPF_FEATURE_UNSUPPORTED, buf, 1);
    }
    int fds[2] = {-1, -1};
    int16_t off = 0;
    if (module[0]) {
        fds[1] = module_btf_fd(module);
        if (fds[1] < 0) {
            snprintf(buf, sizeof(buf), "'%s' is in module %s, whose BTF object was not found", name, module);
            return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, buf, 1);
        }
        off = 1; /* index into fd_array; 0 means vmlinux */
    }
    int eat, needs_target;
    uint32_t flags;
    feat_prog_params(type, &eat, &flags, &needs_target);
    uint32_t target = needs_target ? feat_attach_target(type) : 0;
    if (needs_target && !target) {
        if (fds[1] >= 0)
            close(fds[1]);
        return feat_set(r, EBPF_FEATURE_INCONCLUSIVE,
                        "program type needs an attach target before the verifier looks at calls", 0);
    }
    struct bpf_insn insns[] = {
        {.code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_KFUNC_CALL, .off = off, .imm = (int32_t)id},
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
        {.code = BPF_JMP | BPF_EXIT},
    };
    char *log = calloc(1, 16384); /* zeroed: checkers cannot see the kernel write */
    struct feat_load l = {.type = type, .expected_attach_type = eat, .flags = flags, .insns = insns,
                          .insn_cnt = 3, .fd_array = module[0] ? fds : NULL, .attach_btf_id = target, .log = log,
                          .log_size = log ? 16384 : 0};
    int fd = feat_prog_load(&l);
    if (fds[1] >= 0)
        close(fds[1]);
    int st;
    if (fd >= 0) {
        close(fd);
        snprintf(buf, sizeof(buf), "%s%s", module[0] ? "from module " : "", module);
        st = feat_set(r, EBPF_FEATURE_SUPPORTED, buf, 1);
    } else if (log && strstr(log, "is not allowed")) {
        st = feat_set(r, EBPF_FEATURE_UNSUPPORTED, feat_log_last_line(log, line, sizeof(line)), 1);
    } else if (log && (strstr(log, "not supported") || strstr(log, "is not a function") ||
                       strstr(log, "JIT does not support"))) {
        st = feat_set(r, EBPF_FEATURE_UNSUPPORTED, feat_log_last_line(log, line, sizeof(line)), 1);
    } else if (fd == -EPERM || (fd == -EACCES && !(log && log[0]))) {
        st = feat_set(r, EBPF_FEATURE_INCONCLUSIVE, feat_eperm_reason, 0);
    } else if (log && log[0]) {
        /* Resolved, then rejected for its arguments: callable. */
        snprintf(buf, sizeof(buf), "callable%s%s (the probe was rejected later: %s)", module[0] ? " from module " : "",
                 module, feat_log_last_line(log, line, sizeof(line)));
        st = feat_set(r, EBPF_FEATURE_SUPPORTED, buf, 1);
    } else {
        snprintf(buf, sizeof(buf), "load failed: %s (%s)", strerror(-fd), ebpf_errno_name(-fd));
        st = feat_set(r, EBPF_FEATURE_INCONCLUSIVE, buf, 1);
    }
    free(log);
    return st;
}

int ebpf_feature_kfunc(const char *name, int type, const char **reason)
{
    if (!name || !*name)
        return ebpf_err(EINVAL, "probe", "feature probe: kfunc name missing");
    if (type == 0)
        type = BPF_PROG_TYPE_SYSCALL;
    if (!feat_prog_type_known(type))
        return ebpf_err(EINVAL, "probe", "feature probe: unknown program type %d", type);
    feat_lock();
    for (size_t i = 0; i < nentries; i++) {
        if (entries[i].prog_type == type && !strcmp(entries[i].name, name)) {
            int st = feat_get(&entries[i].r, reason);
            feat_unlock();
            return st;
        }
    }
    if (nentries == centries) {
        size_t nc = centries ? centries * 2 : 16;
        struct kfunc_entry *ne = realloc(entries, nc * sizeof(*ne));
        if (!ne) {
            feat_unlock();
            return ebpf_err(ENOMEM, "probe", "feature probe: out of memory");
        }
        entries = ne;
        centries = nc;
    }
    struct kfunc_entry *e = &entries[nentries];
    memset(e, 0, sizeof(*e));
    e->name = strdup(name);
    if (!e->name) {
        feat_unlock();
        return ebpf_err(ENOMEM, "probe", "feature probe: out of memory");
    }
    e->prog_type = type;
    nentries++;
    int st = probe(name, type, &e->r);
    if (reason)
        *reason = e->r.reason;
    feat_unlock();
    return st;
}
