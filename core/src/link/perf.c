/* perf events: opening, attaching a program (BPF perf link, 5.15+, or the
 * PERF_EVENT_IOC_SET_BPF ioctl before), tracefs and PMU sysfs access. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ebpf/features.h"
#include "kernel_text.h"
#include "link_internal.h"

int link_perf_event_open(void *attr, int pid, int cpu, int group_fd, unsigned long flags)
{
    long fd = syscall(__NR_perf_event_open, attr, pid, cpu, group_fd, flags | PERF_FLAG_FD_CLOEXEC);
    if (fd < 0)
        return -errno;
    return ebpf_fd_fixup((int)fd);
}

/* BPF perf link (5.15) when the feature probe says the kernel has it, the
 * PERF_EVENT_IOC_SET_BPF ioctl when it says not; an inconclusive probe
 * tries the link and falls back to the ioctl on the errors of a kernel
 * without it (EINVAL: unknown attach type; EOPNOTSUPP). */
struct ebpf_link *link_attach_perf(const struct ebpf_prog *p, int perf_fd, uint64_t cookie, const char *desc)
{
    const char *why = "";
    int st = ebpf_feature_link("perf_event", &why);
    if (st != EBPF_FEATURE_UNSUPPORTED) {
        struct link_create_attr lc;
        memset(&lc, 0, sizeof(lc));
        lc.prog_fd = (uint32_t)ebpf_prog_fd(p);
        lc.target_fd = (uint32_t)perf_fd;
        lc.attach_type = BPF_PERF_EVENT;
        lc.u.perf.bpf_cookie = cookie;
        int fd = link_create_raw(&lc, LC_SIZE(u.perf.bpf_cookie));
        if (fd >= 0) {
            struct ebpf_link *l = link_new(EBPF_LINK_BPF, "%s", desc);
            if (!l) {
                close(fd);
                close(perf_fd);
                return NULL;
            }
            l->fd = fd;
            l->perf_fd = perf_fd;
            return l;
        }
        if (st == EBPF_FEATURE_SUPPORTED || (fd != -EINVAL && fd != -EOPNOTSUPP) || cookie) {
            close(perf_fd);
            link_fail(p, -fd, desc, NULL);
            errno = -fd;
            return NULL;
        }
    } else if (cookie) {
        char lab[96];
        close(perf_fd);
        return ebpf_err_null(EOPNOTSUPP, "attach", "%s: attach %s: a bpf cookie needs a BPF perf link (5.15+): %s",
                             link_prog_label(p, lab, sizeof(lab)), desc, why);
    }
    if (ioctl(perf_fd, PERF_EVENT_IOC_SET_BPF, ebpf_prog_fd(p)) < 0) {
        int e = errno;
        close(perf_fd);
        link_fail(p, e, desc, NULL);
        errno = e;
        return NULL;
    }
    if (ioctl(perf_fd, PERF_EVENT_IOC_ENABLE, 0) < 0) {
        int e = errno;
        close(perf_fd);
        link_fail(p, e, desc, NULL);
        errno = e;
        return NULL;
    }
    struct ebpf_link *l = link_new(EBPF_LINK_PERF, "%s", desc);
    if (!l) {
        close(perf_fd);
        return NULL;
    }
    l->perf_fd = perf_fd;
    return l;
}

struct ebpf_link *ebpf_link_perf_fd(const struct ebpf_prog *p, int perf_fd, uint64_t cookie, const char *what)
{
    char d[128];
    snprintf(d, sizeof(d), "perf_event fd %d", perf_fd);
    return link_attach_perf(p, perf_fd, cookie, what ? what : d);
}

const char *link_tracefs(void)
{
    static const char *const roots[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
    for (size_t i = 0; i < 2; i++) {
        char f[128];
        snprintf(f, sizeof(f), "%s/events", roots[i]);
        if (access(f, F_OK) == 0)
            return roots[i];
    }
    /* Not mounted: mount it where the kernel expects it. */
    if (mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL) == 0)
        return roots[0];
    ebpf_err(errno, "attach", "tracefs is not mounted and mounting it on /sys/kernel/tracing failed: %s",
             strerror(errno));
    return NULL;
}

int link_tracefs_write(const char *file, const char *line)
{
    const char *root = link_tracefs();
    if (!root)
        return -errno;
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", root, file);
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, line, strlen(line));
    int e = errno;
    close(fd);
    return n < 0 ? -e : 0;
}

int link_read_text(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, size - 1);
    int e = errno;
    close(fd);
    if (n < 0)
        return -e;
    buf[n] = 0;
    return 0;
}

int link_read_int(const char *path, long *out)
{
    char buf[64];
    int r = link_read_text(path, buf, sizeof(buf));
    return r < 0 ? r : ktext_long(buf, 0, INT_MAX, out);
}

int link_tracefs_event_id(const char *category, const char *name)
{
    const char *root = link_tracefs();
    if (!root)
        return -errno;
    char path[512];
    snprintf(path, sizeof(path), "%s/events/%s/%s/id", root, category, name);
    long id;
    int r = link_read_int(path, &id);
    return r < 0 ? r : (int)id;
}

int link_pmu_format_bit(const char *pmu, const char *field, int *shift)
{
    char path[256], buf[64];
    snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/format/%s", pmu, field);
    int r = link_read_text(path, buf, sizeof(buf));
    return r < 0 ? r : ktext_pmu_format_bit(buf, shift);
}

void link_probe_name(char *buf, size_t size, const char *kind, const char *what, uint64_t off)
{
    static unsigned counter;
    char clean[64];
    size_t j = 0;
    for (size_t i = 0; what && what[i] && j < sizeof(clean) - 1; i++) {
        char c = what[i];
        clean[j++] = ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) ? c : '_';
    }
    clean[j] = 0;
    snprintf(buf, size, "ebpf_%s_%d_%u_%s_0x%llx", kind, (int)getpid(), __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED),
             clean, (unsigned long long)off);
}

/* perf_event kind: software/hardware events, one per CPU when cpu < 0. */
static int online_cpus(int **out)
{
    char buf[4096];
    int r = link_read_text("/sys/devices/system/cpu/online", buf, sizeof(buf));
    if (r < 0)
        return r;
    enum { MAX_CPUS = 1 << 15 }; /* above the kernel's NR_CPUS limit (8192) */
    bool *on = calloc(MAX_CPUS, sizeof(*on));
    if (!on)
        return -ENOMEM;
    int n = ktext_cpu_list(buf, on, MAX_CPUS);
    int *cpus = n > 0 ? malloc((size_t)n * sizeof(int)) : NULL;
    if (n > 0 && !cpus)
        n = -ENOMEM;
    for (int c = 0, k = 0; n > 0 && c < MAX_CPUS; c++)
        if (on[c])
            cpus[k++] = c;
    free(on);
    if (n <= 0) {
        free(cpus);
        return n < 0 ? n : -EINVAL;
    }
    *out = cpus;
    return n;
}

static struct ebpf_link *perf_one(const struct ebpf_prog *p, const struct ebpf_perf_event_opts *o, int cpu)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.type = o->type;
    a.config = o->config;
    if (o->sample_freq) {
        a.freq = 1;
        a.sample_freq = o->sample_freq;
    } else {
        a.sample_period = o->sample_period ? o->sample_period : 1;
    }
    char what[96];
    snprintf(what, sizeof(what), "perf_event type %u config %llu cpu %d%s", o->type,
             (unsigned long long)o->config, cpu, o->pid > 0 ? " (pid filtered)" : "");
    int fd = link_perf_event_open(&a, o->pid > 0 ? o->pid : -1, cpu, -1, 0);
    if (fd < 0) {
        link_fail(p, -fd, what, NULL);
        errno = -fd;
        return NULL;
    }
    return link_attach_perf(p, fd, o->cookie, what);
}

struct ebpf_link *ebpf_link_perf_event(const struct ebpf_prog *p, const struct ebpf_perf_event_opts *o)
{
    if (o->cpu >= 0 || o->pid > 0)
        return perf_one(p, o, o->cpu);
    int *cpus = NULL;
    int n = online_cpus(&cpus);
    if (n < 0)
        return ebpf_err_null(-n, "attach", "perf_event: reading online CPUs: %s", strerror(-n));
    struct ebpf_link *g = link_new(EBPF_LINK_GROUP, "perf_event type %u config %llu on %d CPUs", o->type,
                                   (unsigned long long)o->config, n);
    for (int i = 0; g && i < n; i++) {
        struct ebpf_link *s = perf_one(p, o, cpus[i]);
        if (!s || link_group_add(g, s) < 0) {
            int e = errno;
            ebpf_link_close(g);
            g = NULL;
            errno = e;
        }
    }
    free(cpus);
    return g;
}
