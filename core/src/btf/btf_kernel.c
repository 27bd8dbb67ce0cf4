/* Kernel BTF: vmlinux (mmapped from sysfs where the kernel allows it, else
 * read once; parsed once per process), modules, and objects by id. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btf_internal.h"
#include "ebpf/sys.h"
#include "error_internal.h"

#define VMLINUX_PATH "/sys/kernel/btf/vmlinux"

struct ebpf_btf *btf_load_kernel_file(const char *path, const struct ebpf_btf *base)
{
    /* The kernel's own sysfs files are opened as they are (their size is
     * exact); any other path (the kernel_btf load option) is outside input:
     * a regular file only, size capped, never a FIFO to block on. */
    int fd;
    if (!strncmp(path, "/sys/kernel/btf/", 16)) {
        fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
            return ebpf_err_null(errno, "open", "kernel btf '%s': %s", path, strerror(errno));
    } else {
        fd = ebpf_file_open(path, "kernel btf", EBPF_MAX_OBJECT_FILE, NULL);
        if (fd < 0) {
            errno = -fd;
            return NULL;
        }
    }
    struct stat st;
    void *blob = MAP_FAILED;
    size_t size = 0;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        size = (size_t)st.st_size;
        /* sysfs BTF is mmappable (read-only) on 6.16+; the pages are the
         * kernel's own, so this costs neither a copy nor RSS. */
        blob = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    }
    if (blob != MAP_FAILED) {
        close(fd);
        return btf_parse_blob(blob, size, BTF_STORE_MMAP, base, path);
    }
    /* Fall back to one read; sysfs reports the exact size. */
    size_t cap = size ? size : (1u << 20), n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            break;
        if (n == cap) {
            if (cap >= EBPF_MAX_OBJECT_FILE) {
                free(buf);
                close(fd);
                return ebpf_err_null(EFBIG, "open", "kernel btf '%s': more than the limit of %zu MiB", path,
                                     EBPF_MAX_OBJECT_FILE >> 20);
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return ebpf_err_null(e, "open", "kernel btf '%s': read: %s", path, strerror(e));
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    if (!buf)
        return ebpf_err_null(ENOMEM, "open", "kernel btf '%s': out of memory", path);
    return btf_parse_blob(buf, n, BTF_STORE_MALLOC, base, path);
}

static pthread_mutex_t kernel_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ebpf_btf *kernel_btf;

const struct ebpf_btf *ebpf_btf_kernel(void)
{
    pthread_mutex_lock(&kernel_lock);
    if (!kernel_btf) {
        struct ebpf_btf *b = btf_load_kernel_file(VMLINUX_PATH, NULL);
        if (b) {
            b->cached = true;
            b->is_kernel = true;
            strcpy(b->kname, "vmlinux");
            kernel_btf = b;
        }
    }
    struct ebpf_btf *r = kernel_btf;
    int e = errno;
    pthread_mutex_unlock(&kernel_lock);
    if (!r)
        errno = e;
    return r;
}

/* Frees the process-wide vmlinux BTF when the library is unloaded (a Lua
 * state closing dlclose()s the module), so leak checkers see no loss. It
 * runs after the other destructors (lower priority), which may still use
 * it. */
__attribute__((destructor(101))) static void kernel_btf_free(void)
{
    if (kernel_btf) {
        kernel_btf->cached = false; /* cached makes ebpf_btf_free a no-op */
        ebpf_btf_free(kernel_btf);
        kernel_btf = NULL;
    }
}

struct ebpf_btf *ebpf_btf_kernel_from(const char *path)
{
    struct ebpf_btf *b = btf_load_kernel_file(path, NULL);
    if (b)
        b->is_kernel = true;
    return b;
}

static bool valid_module_name(const char *name)
{
    if (!name || !*name || strlen(name) >= 56)
        return false;
    for (const char *p = name; *p; p++)
        if (*p == '/' || (*p == '.' && (p == name)))
            return false;
    return true;
}

static struct ebpf_btf *load_module(const char *name, const struct ebpf_btf *base)
{
    char path[320];
    snprintf(path, sizeof(path), "/sys/kernel/btf/%s", name);
    struct ebpf_btf *b = btf_load_kernel_file(path, base);
    if (b) {
        b->is_kernel = true;
        snprintf(b->kname, sizeof(b->kname), "%.63s", name); /* names are < 56 */
    }
    return b;
}

struct ebpf_btf *ebpf_btf_module(const char *name)
{
    if (!valid_module_name(name))
        return ebpf_err_null(EINVAL, "open", "module btf: invalid module name '%s'", name ? name : "(null)");
    const struct ebpf_btf *base = ebpf_btf_kernel();
    return base ? load_module(name, base) : NULL;
}

static struct ebpf_btf **modules;
static size_t nmodules;
static bool modules_listed;

struct ebpf_btf *const *btf_kernel_modules(size_t *count)
{
    const struct ebpf_btf *base = ebpf_btf_kernel();
    pthread_mutex_lock(&kernel_lock);
    if (!modules_listed && base) {
        modules_listed = true;
        DIR *d = opendir("/sys/kernel/btf");
        struct dirent *e;
        bool failed = false;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.' || strcmp(e->d_name, "vmlinux") == 0 || !valid_module_name(e->d_name))
                continue;
            struct ebpf_btf *m = load_module(e->d_name, base);
            struct ebpf_btf **n = m ? realloc(modules, (nmodules + 1) * sizeof(*n)) : NULL;
            if (!n) {
                ebpf_btf_free(m);
                failed = true; /* a module that can't be read has no candidates */
                continue;
            }
            modules = n;
            modules[nmodules++] = m;
        }
        if (d)
            closedir(d);
        if (failed)
            ebpf_error_clear();
    }
    size_t n = nmodules;
    pthread_mutex_unlock(&kernel_lock);
    *count = n;
    return modules;
}

/* Before vmlinux (their base) is freed, at unload like it. */
__attribute__((destructor(102))) static void kernel_modules_free(void)
{
    for (size_t i = 0; i < nmodules; i++)
        ebpf_btf_free(modules[i]);
    free(modules);
    modules = NULL;
    nmodules = 0;
    modules_listed = false;
}

int ebpf_btf_next_id(uint32_t id, uint32_t *next)
{
    return ebpf_obj_next_id(BPF_BTF_GET_NEXT_ID, id, next);
}

int btf_obj_info(int fd, struct bpf_btf_info *info, char *name, uint32_t name_len)
{
    memset(info, 0, sizeof(*info));
    memset(name, 0, name_len);
    info->name = ebpf_ptr(name);
    info->name_len = name_len;
    uint32_t len = sizeof(*info);
    int r = ebpf_obj_get_info(fd, info, &len);
    if (r == -E2BIG) { /* before 5.11: no name or kernel_btf fields */
        memset(info, 0, sizeof(*info));
        len = offsetof(struct bpf_btf_info, name);
        r = ebpf_obj_get_info(fd, info, &len);
    }
    return r;
}

struct ebpf_btf *ebpf_btf_open_id(uint32_t id)
{
    int fd = ebpf_btf_fd_by_id(id);
    if (fd < 0) {
        errno = -fd;
        return NULL;
    }
    struct bpf_btf_info info;
    char name[64] = {0};
    int r = btf_obj_info(fd, &info, name, sizeof(name));
    if (r < 0) {
        close(fd);
        errno = -r;
        return NULL;
    }
    uint32_t size = info.btf_size;
    /* Zeroed: memory checkers don't model the kernel filling it. */
    void *data = calloc(1, size ? size : 1);
    if (!data) {
        close(fd);
        return ebpf_err_null(ENOMEM, "open by id", "btf id %u: out of memory", id);
    }
    memset(&info, 0, sizeof(info));
    info.btf = ebpf_ptr(data);
    info.btf_size = size;
    uint32_t len = sizeof(info);
    r = ebpf_obj_get_info(fd, &info, &len);
    if (r < 0 || info.btf_size > size) {
        free(data);
        close(fd);
        if (r >= 0)
            r = ebpf_err(EAGAIN, "open by id", "btf id %u: data changed size", id);
        errno = -r;
        return NULL;
    }
    name[sizeof(name) - 1] = 0;
    bool kern = info.kernel_btf;
    const struct ebpf_btf *base = NULL;
    if (kern && strcmp(name, "vmlinux")) {
        base = ebpf_btf_kernel();
        if (!base) {
            free(data);
            close(fd);
            return NULL;
        }
    }
    char what[96];
    snprintf(what, sizeof(what), "id %u", id);
    struct ebpf_btf *b = btf_parse_blob(data, info.btf_size, BTF_STORE_MALLOC, base, what);
    if (!b) {
        int e = errno;
        close(fd);
        errno = e;
        return NULL;
    }
    b->fd = fd;
    b->kid = id;
    b->is_kernel = kern;
    snprintf(b->kname, sizeof(b->kname), "%s", name);
    return b;
}

int ebpf_btf_kernel_module_fd(const char *name)
{
    uint32_t id = 0;
    while (ebpf_obj_next_id(BPF_BTF_GET_NEXT_ID, id, &id) == 0) {
        int fd = ebpf_btf_fd_by_id(id);
        if (fd < 0)
            continue;
        char nbuf[64] = {0};
        struct bpf_btf_info info;
        memset(&info, 0, sizeof(info));
        info.name = ebpf_ptr(nbuf);
        info.name_len = sizeof(nbuf);
        uint32_t len = sizeof(info);
        if (ebpf_obj_get_info(fd, &info, &len) == 0 && info.kernel_btf && strcmp(nbuf, name) == 0)
            return fd;
        close(fd);
    }
    ebpf_error_clear(); /* the walk's own failures are not the caller's */
    return -ENOENT;
}
