/* kprobe/kretprobe: the kprobe PMU (perf_event_open with the function name,
 * 4.17+) or, without it, a tracefs kprobe_events entry opened as a
 * tracepoint. ksyscall maps a syscall name to its arch entry point. */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kernel_text.h"
#include "link_internal.h"

static int pmu_type(const char *pmu)
{
    char path[128];
    long t;
    snprintf(path, sizeof(path), "/sys/bus/event_source/devices/%s/type", pmu);
    int r = link_read_int(path, &t);
    return r < 0 ? r : (int)t;
}

/* perf_event_open on a [ku]probe PMU. name is the function (kprobe) or the
 * path (uprobe); the probe point goes in config1/config2. */
int link_probe_pmu_open(const char *pmu, int retprobe, const char *name, uint64_t addr_or_off,
                        uint64_t ref_ctr_offset, int pid)
{
    int type = pmu_type(pmu);
    if (type < 0)
        return type;
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.type = (uint32_t)type;
    if (retprobe) {
        int bit;
        int r = link_pmu_format_bit(pmu, "retprobe", &bit);
        if (r < 0)
            return r;
        a.config |= 1ULL << bit;
    }
    if (ref_ctr_offset) {
        int bit;
        int r = link_pmu_format_bit(pmu, "ref_ctr_offset", &bit);
        if (r < 0)
            return r;
        a.config |= ref_ctr_offset << bit;
    }
    a.config1 = ebpf_ptr(name);      /* kprobe_func / uprobe_path */
    a.config2 = addr_or_off;         /* probe_offset / kprobe_addr */
    a.sample_period = 1;
    a.wakeup_events = 1;
    return link_perf_event_open(&a, pid > 0 ? pid : -1, pid > 0 ? -1 : 0, -1, 0);
}

/* Events this library named (ebpf_<kind>_<pid>_...) whose process is
 * gone: left behind by a process killed before it could remove them.
 * Removed before a new one is added; one still open cannot be (EBUSY). */
static void remove_stale(const char *file)
{
    const char *root = link_tracefs();
    if (!root)
        return;
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", root, file);
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    char *line = NULL, stale[16][240];
    size_t cap = 0;
    int n = 0;
    while (n < 16 && getline(&line, &cap, f) >= 0) {
        char group[64], name[160];
        int pid;
        if (!ktext_probe_event(line, group, sizeof(group), name, sizeof(name), &pid) || pid == (int)getpid())
            continue;
        if (kill(pid, 0) == 0 || errno != ESRCH)
            continue;
        snprintf(stale[n++], sizeof(stale[0]), "-:%s/%s", group, name);
    }
    free(line);
    fclose(f);
    for (int i = 0; i < n; i++)
        link_tracefs_write(file, stale[i]);
}

/* Legacy: add "p:kprobes/NAME target" to kprobe_events, open its id. */
int link_probe_tracefs_open(int uprobe, const char *event, const char *def, int pid, char **added)
{
    const char *file = uprobe ? "uprobe_events" : "kprobe_events";
    const char *group = uprobe ? "uprobes" : "kprobes";
    remove_stale(file);
    int r = link_tracefs_write(file, def);
    if (r < 0)
        return r;
    char full[200];
    snprintf(full, sizeof(full), "%s/%s", group, event);
    *added = strdup(full);
    int id = link_tracefs_event_id(group, event);
    if (id < 0)
        return id;
    struct perf_event_attr a;
    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.type = PERF_TYPE_TRACEPOINT;
    a.config = (uint64_t)id;
    a.sample_period = 1;
    a.wakeup_events = 1;
    return link_perf_event_open(&a, pid > 0 ? pid : -1, pid > 0 ? -1 : 0, -1, 0);
}

static void remove_event(int uprobe, char *added)
{
    if (!added)
        return;
    char line[256];
    snprintf(line, sizeof(line), "-:%s", added);
    link_tracefs_write(uprobe ? "uprobe_events" : "kprobe_events", line);
    free(added);
}

struct ebpf_link *link_probe_finish(const struct ebpf_prog *p, int fd, char *added, int uprobe, uint64_t cookie,
                                    const char *what)
{
    if (fd < 0) {
        remove_event(uprobe, added);
        errno = -fd;
        return NULL;
    }
    struct ebpf_link *l = link_attach_perf(p, fd, cookie, what);
    if (!l) {
        int e = errno;
        remove_event(uprobe, added);
        errno = e;
        return NULL;
    }
    l->tracefs_event = added;
    l->tracefs_uprobe = uprobe;
    return l;
}

struct ebpf_link *ebpf_link_kprobe(const struct ebpf_prog *p, const struct ebpf_kprobe_opts *o)
{
    char what[256];
    const char *kind = o->retprobe ? "kretprobe" : "kprobe";
    if (o->func)
        snprintf(what, sizeof(what), "%s %s+0x%llx", kind, o->func, (unsigned long long)o->offset);
    else
        snprintf(what, sizeof(what), "%s 0x%llx", kind, (unsigned long long)o->addr);
    if (ebpf_prog_type(p) != BPF_PROG_TYPE_KPROBE) {
        char lab[96];
        const char *tn = ebpf_prog_type_name(ebpf_prog_type(p));
        return ebpf_err_null(EINVAL, "attach", "%s (%s): attach %s: wrong program type (this hook needs a 'kprobe' program)",
                             link_prog_label(p, lab, sizeof(lab)), tn ? tn : "?", what);
    }
    int fd = -ENOENT;
    char *added = NULL;
    int use_pmu = !o->force_tracefs && !o->maxactive && pmu_type("kprobe") >= 0;
    if (use_pmu) {
        fd = link_probe_pmu_open("kprobe", o->retprobe, o->func, o->func ? o->offset : o->addr, 0, -1);
    } else {
        char ev[128], def[512];
        link_probe_name(ev, sizeof(ev), kind, o->func ? o->func : "addr", o->offset);
        char maxact[16] = "";
        if (o->retprobe && o->maxactive)
            snprintf(maxact, sizeof(maxact), "%d", o->maxactive);
        if (o->func)
            snprintf(def, sizeof(def), "%c%s:kprobes/%s %s+%llu", o->retprobe ? 'r' : 'p', maxact, ev, o->func,
                     (unsigned long long)o->offset);
        else
            snprintf(def, sizeof(def), "%c%s:kprobes/%s 0x%llx", o->retprobe ? 'r' : 'p', maxact, ev,
                     (unsigned long long)o->addr);
        fd = link_probe_tracefs_open(0, ev, def, -1, &added);
    }
    if (fd < 0) {
        int e = -fd;
        if (added) {
            char line[256];
            snprintf(line, sizeof(line), "-:%s", added);
            link_tracefs_write("kprobe_events", line);
            free(added);
        }
        if (e == ENOENT || e == EINVAL)
            return ebpf_err_null(e, "attach", "%s: %s (function not found or not probeable%s)", what, strerror(e),
                                 access("/sys/bus/event_source/devices/kprobe", F_OK) == 0 ? ""
                                                                                       : "; kernel without kprobe PMU");
        return ebpf_err_null(e, "attach", "%s: %s", what, strerror(e));
    }
    return link_probe_finish(p, fd, added, 0, o->cookie, what);
}

/* Whether kallsyms text f lists a symbol named exactly `name` (the last
 * space-separated field, before a tab and module or the end of line). */
int link_kallsyms_has(FILE *f, const char *name)
{
    char *line = NULL;
    size_t cap = 0, nl = strlen(name);
    int found = 0;
    while (!found && getline(&line, &cap, f) >= 0) {
        char *s = strrchr(line, ' ');
        found = s && !strncmp(s + 1, name, nl) && (s[1 + nl] == '\n' || s[1 + nl] == '\t' || s[1 + nl] == 0);
    }
    free(line);
    return found;
}

int ebpf_link_syscall_func(const char *syscall, char *buf, size_t size)
{
    /* computed per call (uname is cheap): no lazily set static for
     * threads to race on */
    struct utsname u;
    const char *m = uname(&u) == 0 ? u.machine : "";
    const char *prefix = !strcmp(m, "x86_64") ? "__x64_" : !strcmp(m, "aarch64") ? "__arm64_"
                       : !strcmp(m, "s390x") ? "__s390x_" : !strncmp(m, "riscv", 5) ? "__riscv_"
                       : !strncmp(m, "ppc", 3) ? "__powerpc_" : "";
    /* Kernels before 4.17 have no wrappers: the plain sys_ name. */
    char cand[160];
    snprintf(cand, sizeof(cand), "%ssys_%s", prefix, syscall);
    int have_wrapped = 1; /* without kallsyms, assume a wrapper */
    FILE *f = fopen("/proc/kallsyms", "re");
    if (f) {
        setvbuf(f, NULL, _IOFBF, 1 << 17);
        have_wrapped = link_kallsyms_has(f, cand);
        fclose(f);
    }
    if (prefix[0] && have_wrapped)
        return snprintf(buf, size, "%s", cand) >= (int)size ? -ENAMETOOLONG : 0;
    return snprintf(buf, size, "sys_%s", syscall) >= (int)size ? -ENAMETOOLONG : 0;
}

struct ebpf_link *ebpf_link_ksyscall(const struct ebpf_prog *p, const char *syscall, int retprobe, uint64_t cookie)
{
    char fn[160];
    if (ebpf_link_syscall_func(syscall, fn, sizeof(fn)) < 0)
        return ebpf_err_null(ENAMETOOLONG, "attach", "ksyscall %s: name too long", syscall);
    struct ebpf_kprobe_opts o;
    memset(&o, 0, sizeof(o));
    o.func = fn;
    o.retprobe = retprobe;
    o.cookie = cookie;
    struct ebpf_link *l = ebpf_link_kprobe(p, &o);
    if (l)
        snprintf(l->desc, sizeof(l->desc), "ksyscall%s %s (%s)", retprobe ? " (return)" : "", syscall, fn);
    return l;
}
