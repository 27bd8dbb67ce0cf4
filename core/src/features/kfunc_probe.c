/* kfunc probes: is kernel function NAME callable from programs of a type?
 * The function is looked up by name in vmlinux BTF, then in module BTF
 * (split BTF on top of vmlinux), and a program calling it is loaded: the
 * verifier says "calling kernel function X is not allowed" when the
 * function is not a kfunc for that program type; any later complaint
 * (arguments) means the call itself resolved. Names are looked up in the
 * process-wide kernel BTF of the BTF library (parsed once, hashed). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ebpf/btf.h"
#include "ebpf/sys.h"
#include "error_internal.h"
#include "features_internal.h"

#define BTF_DIR "/sys/kernel/btf"

int feat_vmlinux_struct(const char *name, uint32_t *id, uint32_t *size)
{
    const struct ebpf_btf *vm = ebpf_btf_kernel();
    if (!vm)
        return -(errno ? errno : ENOENT);
    int64_t found = ebpf_btf_find(vm, name, BTF_KIND_STRUCT);
    if (found <= 0)
        return -ENOENT;
    *id = (uint32_t)found;
    *size = ebpf_btf_type_by_id(vm, *id)->size;
    return 0;
}

int feat_vmlinux_func(const char *name, uint32_t *id)
{
    const struct ebpf_btf *vm = ebpf_btf_kernel();
    if (!vm)
        return -(errno ? errno : ENOENT);
    int64_t found = ebpf_btf_find(vm, name, BTF_KIND_FUNC);
    if (found <= 0)
        return -ENOENT;
    *id = (uint32_t)found;
    return 0;
}

struct kfunc_entry {
    char *name;
    int prog_type;
    struct feat_result r;
};
static struct kfunc_entry *entries;
static size_t nentries, centries;

/* The FUNC named `name` in vmlinux BTF, else in a module's (module gets
 * its name); *id 0 if nowhere. -errno if the kernel has no BTF. */
static int lookup(const char *name, uint32_t *id, char *module, size_t msize)
{
    const struct ebpf_btf *vm = ebpf_btf_kernel();
    if (!vm)
        return -(errno ? errno : ENOENT);
    module[0] = 0;
    int64_t found = ebpf_btf_find(vm, name, BTF_KIND_FUNC);
    *id = found > 0 ? (uint32_t)found : 0;
    DIR *d = *id ? NULL : opendir(BTF_DIR);
    struct dirent *e;
    while (d && !*id && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "vmlinux"))
            continue;
        struct ebpf_btf *m = ebpf_btf_module(e->d_name);
        if (!m)
            continue;
        found = ebpf_btf_find(m, name, BTF_KIND_FUNC);
        if (found > 0) {
            *id = (uint32_t)found; /* split BTF: ids continue vmlinux's */
            snprintf(module, msize, "%.*s", (int)(msize - 1), e->d_name);
        }
        ebpf_btf_free(m);
    }
    if (d)
        closedir(d);
    ebpf_error_clear(); /* modules that failed to parse are not the caller's error */
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
        fds[1] = ebpf_btf_kernel_module_fd(module);
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
