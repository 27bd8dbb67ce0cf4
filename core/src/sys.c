/* bpf(2) wrappers and fd hygiene. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sys/statfs.h>
#include <sys/stat.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdlib.h>
#include "ebpf/sys.h"
#include "sys_internal.h"
#include "error_internal.h"

int ebpf_sys_bpf(int cmd, union bpf_attr *attr, size_t size)
{
    long r = syscall(__NR_bpf, cmd, attr, (unsigned int)size);
    return r < 0 ? -errno : (int)r;
}

int ebpf_fd_fixup(int fd)
{
    if (fd < 0)
        return fd;
    if (fd > 2) {
        /* Commands that create fds already set O_CLOEXEC in the kernel,
         * but fds from elsewhere (perf, sockets) may not have it. */
        int fl = fcntl(fd, F_GETFD);
        if (fl >= 0 && !(fl & FD_CLOEXEC))
            fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
        return fd;
    }
    int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int err = errno;
    close(fd);
    return nfd < 0 ? -err : nfd;
}

int ebpf_fd_dup(int fd)
{
    int nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    return nfd < 0 ? -errno : nfd;
}

int ebpf_sys_bpf_fd(int cmd, union bpf_attr *attr, size_t size)
{
    int fd = ebpf_sys_bpf(cmd, attr, size);
    return ebpf_fd_fixup(fd);
}

int ebpf_obj_get(const char *path, uint32_t flags)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.pathname = ebpf_ptr(path);
    a.file_flags = flags;
    int fd = ebpf_sys_bpf_fd(BPF_OBJ_GET, &a, EBPF_ATTR_SIZE(file_flags));
    if (fd < 0)
        return ebpf_err(-fd, "open pinned", "open pinned '%s': %s", path, ebpf_strerror(-fd));
    return fd;
}

int ebpf_obj_pin(int fd, const char *path)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.pathname = ebpf_ptr(path);
    a.bpf_fd = (uint32_t)fd;
    int r = ebpf_sys_bpf(BPF_OBJ_PIN, &a, EBPF_ATTR_SIZE(file_flags));
    if (r < 0)
        return ebpf_err(-r, "pin", "pin '%s': %s", path, ebpf_strerror(-r));
    return 0;
}

int ebpf_obj_get_info(int fd, void *info, uint32_t *info_len)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.info.bpf_fd = (uint32_t)fd;
    a.info.info_len = *info_len;
    a.info.info = ebpf_ptr(info);
    int r = ebpf_sys_bpf(BPF_OBJ_GET_INFO_BY_FD, &a, EBPF_ATTR_SIZE(info));
    if (r < 0)
        return ebpf_err(-r, "info", "get info of fd %d: %s", fd, ebpf_strerror(-r));
    *info_len = a.info.info_len;
    return 0;
}

static int fd_by_id(int cmd, uint32_t id, const char *what)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_id = id; /* same slot as prog_id, link_id, btf_id */
    int fd = ebpf_sys_bpf_fd(cmd, &a, EBPF_ATTR_SIZE(open_flags));
    if (fd < 0)
        return ebpf_err(-fd, "open by id", "%s id %u: %s", what, id, ebpf_strerror(-fd));
    return fd;
}

int ebpf_map_fd_by_id(uint32_t id) { return fd_by_id(BPF_MAP_GET_FD_BY_ID, id, "map"); }
int ebpf_prog_fd_by_id(uint32_t id) { return fd_by_id(BPF_PROG_GET_FD_BY_ID, id, "program"); }
int ebpf_link_fd_by_id(uint32_t id) { return fd_by_id(BPF_LINK_GET_FD_BY_ID, id, "link"); }
int ebpf_btf_fd_by_id(uint32_t id) { return fd_by_id(BPF_BTF_GET_FD_BY_ID, id, "btf"); }

void *ebpf_obj_from_new_fd(int fd, void *(*wrap)(int fd))
{
    if (fd < 0) {
        errno = -fd;
        return NULL;
    }
    void *obj = wrap(fd);
    if (!obj) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return obj;
}

int ebpf_obj_next_id(int cmd, uint32_t id, uint32_t *next)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.start_id = id;
    int r = ebpf_sys_bpf(cmd, &a, EBPF_ATTR_SIZE(open_flags));
    if (r < 0)
        return r == -ENOENT ? r : ebpf_err(-r, "next id", "next id: %s", ebpf_strerror(-r));
    *next = a.next_id;
    return 0;
}

int ebpf_enable_stats(int type)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.enable_stats.type = (uint32_t)type;
    int fd = ebpf_sys_bpf_fd(BPF_ENABLE_STATS, &a, EBPF_ATTR_SIZE(enable_stats));
    if (fd < 0)
        return ebpf_err(-fd, "enable stats", "enable stats: %s", ebpf_strerror(-fd));
    return fd;
}

static int parse_cpu_list(const char *s)
{
    /* "0-3,5,7-8": the count is max+1 for the possible mask, which is
     * always a prefix range in practice; be exact anyway. */
    int max = -1;
    while (*s && *s != '\n') {
        int a = 0, b;
        if (*s < '0' || *s > '9')
            return -EINVAL;
        while (*s >= '0' && *s <= '9')
            a = a * 10 + (*s++ - '0');
        b = a;
        if (*s == '-') {
            s++;
            b = 0;
            while (*s >= '0' && *s <= '9')
                b = b * 10 + (*s++ - '0');
        }
        if (b > max)
            max = b;
        if (*s == ',')
            s++;
    }
    return max + 1;
}

int ebpf_num_possible_cpus(void)
{
    static int cached; /* benign race: every thread computes the same */
    if (cached > 0)
        return cached;
    char buf[256] = {0};
    int fd = open("/sys/devices/system/cpu/possible", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ebpf_err(errno, "cpus", "open /sys/devices/system/cpu/possible: %s", ebpf_strerror(errno));
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return ebpf_err(EIO, "cpus", "read /sys/devices/system/cpu/possible failed");
    int c = parse_cpu_list(buf);
    if (c <= 0)
        return ebpf_err(EINVAL, "cpus", "cannot parse possible cpus '%s'", buf);
    cached = c;
    return c;
}

int ebpf_memcg_accounting(void)
{
    static int cached = -1;
    if (cached >= 0)
        return cached;
    struct rlimit old;
    if (getrlimit(RLIMIT_MEMLOCK, &old) < 0)
        return -errno;
    /* With a zero limit a map create only succeeds when the kernel charges
     * memcg instead of RLIMIT_MEMLOCK. Lowering is always allowed. */
    struct rlimit zero = {0, old.rlim_max};
    if (setrlimit(RLIMIT_MEMLOCK, &zero) < 0)
        return -errno;
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_type = BPF_MAP_TYPE_ARRAY;
    a.key_size = 4;
    a.value_size = 4;
    a.max_entries = 1;
    int fd = ebpf_sys_bpf_fd(BPF_MAP_CREATE, &a, EBPF_ATTR_SIZE(map_extra));
    setrlimit(RLIMIT_MEMLOCK, &old);
    if (fd >= 0) {
        close(fd);
        return cached = 1;
    }
    if (fd == -EPERM)
        return cached = 0;
    return fd;
}

int ebpf_rlimit_remove_memlock(void)
{
    int memcg = ebpf_memcg_accounting();
    if (memcg < 0)
        return ebpf_err(-memcg, "rlimit", "detect memlock accounting: %s", ebpf_strerror(-memcg));
    if (memcg)
        return 0;
    struct rlimit inf = {RLIM_INFINITY, RLIM_INFINITY};
    if (setrlimit(RLIMIT_MEMLOCK, &inf) < 0)
        return ebpf_err(errno, "rlimit", "raise RLIMIT_MEMLOCK: %s", ebpf_strerror(errno));
    return 1;
}

/* Before the first BTF, map or program creation of the process: on
 * kernels that charge BPF memory to RLIMIT_MEMLOCK (before 5.11) the limit
 * is raised, as libbpf 1.x does; EBPF_MEMLOCK_AUTO=0 leaves it alone. */
static pthread_once_t memlock_once = PTHREAD_ONCE_INIT;
static int memlock_charged; /* 1: the kernel charges memlock (the hint names it) */

static void memlock_auto_once(void)
{
    const char *env = getenv("EBPF_MEMLOCK_AUTO");
    int e = errno;
    int memcg = ebpf_memcg_accounting();
    memlock_charged = memcg == 0;
    if (memcg == 0 && !(env && !strcmp(env, "0"))) {
        struct rlimit inf = {RLIM_INFINITY, RLIM_INFINITY};
        setrlimit(RLIMIT_MEMLOCK, &inf); /* without CAP_SYS_RESOURCE this may fail: the hint says so */
    }
    errno = e;
}

void ebpf_memlock_auto(void) { pthread_once(&memlock_once, memlock_auto_once); }

const char *ebpf_eperm_memlock_hint(void)
{
    ebpf_memlock_auto();
    if (!memlock_charged)
        return "";
    struct rlimit r;
    if (getrlimit(RLIMIT_MEMLOCK, &r) == 0 && r.rlim_cur == RLIM_INFINITY)
        return "";
    return "; this kernel charges BPF memory to RLIMIT_MEMLOCK, which is too low: raise it (ulimit -l, "
           "ebpf.rlimit.remove_memlock() as root)";
}

#define BPF_FS_MAGIC_ 0xcafe4a11

enum ebpf_fd_kind ebpf_fd_kind(int fd)
{
    char path[64], target[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n < 0)
        return EBPF_FD_UNKNOWN;
    target[n] = 0;
    /* The kernel names them "bpf-prog", "bpf-map", "btf", and links
     * "bpf_link" when created but "bpf-link" when opened by pin or id. */
    static const struct { const char *name; enum ebpf_fd_kind kind; } kinds[] = {
        {"anon_inode:bpf-prog", EBPF_FD_PROG}, {"anon_inode:bpf-map", EBPF_FD_MAP},
        {"anon_inode:bpf_link", EBPF_FD_LINK}, {"anon_inode:bpf-link", EBPF_FD_LINK},
        {"anon_inode:btf", EBPF_FD_BTF},
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (!strcmp(target, kinds[i].name))
            return kinds[i].kind;
    /* Another anonymous inode may be a BPF object under a name a future
     * kernel gives it: left for the kernel to judge. */
    return strncmp(target, "anon_inode:", 11) ? EBPF_FD_OTHER : EBPF_FD_UNKNOWN;
}

const char *ebpf_fd_kind_name(enum ebpf_fd_kind k)
{
    switch (k) {
    case EBPF_FD_PROG: return "a program";
    case EBPF_FD_MAP: return "a map";
    case EBPF_FD_LINK: return "a link";
    case EBPF_FD_BTF: return "BTF";
    case EBPF_FD_OTHER: return "not a BPF object";
    default: return "of an unknown kind";
    }
}

int ebpf_fd_want_kind(int fd, enum ebpf_fd_kind want)
{
    enum ebpf_fd_kind kind = ebpf_fd_kind(fd);
    if (kind == EBPF_FD_UNKNOWN || kind == want)
        return 0;
    return ebpf_err(EINVAL, "open", "fd %d is %s, not %s", fd, ebpf_fd_kind_name(kind), ebpf_fd_kind_name(want));
}

int ebpf_obj_get_kind(const char *path, enum ebpf_fd_kind want)
{
    int fd = ebpf_obj_get(path, 0);
    if (fd < 0)
        return fd;
    enum ebpf_fd_kind kind = ebpf_fd_kind(fd);
    if (kind == EBPF_FD_UNKNOWN || kind == want)
        return fd;
    close(fd);
    return ebpf_err(EINVAL, "open pinned", "open pinned '%s': it is %s, not %s", path, ebpf_fd_kind_name(kind),
                    ebpf_fd_kind_name(want));
}

int ebpf_fd_on_bpffs(int fd)
{
    struct statfs sf;
    if (fstatfs(fd, &sf) < 0)
        return -errno;
    return (unsigned long)sf.f_type == BPF_FS_MAGIC_;
}

int ebpf_check_pin_name(const char *name, const char *what)
{
    bool bad = !name[0] || !strcmp(name, ".") || !strcmp(name, "..");
    for (const unsigned char *c = (const unsigned char *)name; !bad && *c; c++)
        bad = *c == '/' || *c < 0x20 || *c == 0x7f;
    if (bad)
        return ebpf_err(EINVAL, "pin", "%s: the name '%s' cannot be a pin path component (empty, '.', '..', "
                                       "'/' or control characters)", what, name);
    return 0;
}

int ebpf_obj_unpin(const char *path)
{
    char dir[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(dir))
        return ebpf_err(EINVAL, "unpin", "unpin '%s': bad path", path);
    memcpy(dir, path, n + 1);
    while (n > 1 && dir[n - 1] == '/') /* "x/" names x */
        dir[--n] = 0;
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : dir;
    if (!strcmp(base, ".") || !strcmp(base, "..") || !base[0])
        return ebpf_err(EINVAL, "unpin", "unpin '%s': not a pinned object's path", path);
    int dfd;
    if (slash == dir)
        dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    else if (slash) {
        *slash = 0;
        dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    } else
        dfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return ebpf_err(errno, "unpin", "unpin '%s': %s", path, strerror(errno));
    struct stat st;
    int e = 0;
    const char *why = NULL;
    if (ebpf_fd_on_bpffs(dfd) != 1)
        e = EINVAL, why = "not on a bpffs (only pinned BPF objects are removed)";
    else if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
        e = errno, why = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        e = EISDIR, why = S_ISDIR(st.st_mode) ? "a directory, not a pinned object" : "not a pinned object";
    if (!e) {
        /* only what the kernel opens as a BPF object */
        char full[4200];
        snprintf(full, sizeof(full), "/proc/self/fd/%d/%s", dfd, base);
        union bpf_attr a;
        memset(&a, 0, sizeof(a));
        a.pathname = ebpf_ptr(full);
        int fd = ebpf_sys_bpf_fd(BPF_OBJ_GET, &a, EBPF_ATTR_SIZE(file_flags));
        if (fd < 0)
            e = -fd, why = "not a BPF object";
        else
            close(fd);
    }
    if (!e && unlinkat(dfd, base, 0) < 0)
        e = errno, why = strerror(errno);
    close(dfd);
    if (e)
        return ebpf_err(e, "unpin", "unpin '%s': %s", path, why);
    return 0;
}
