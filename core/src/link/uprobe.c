/* uprobe/uretprobe: binary + symbol/offset/address -> file offset, then the
 * uprobe PMU (4.17+) or a tracefs uprobe_events entry. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "link_internal.h"

int link_probe_pmu_open(const char *pmu, int retprobe, const char *name, uint64_t addr_or_off,
                        uint64_t ref_ctr_offset, int pid);
int link_probe_tracefs_open(int uprobe, const char *event, const char *def, int pid, char **added);
struct ebpf_link *link_probe_finish(const struct ebpf_prog *p, int fd, char *added, int uprobe, uint64_t cookie,
                                    const char *what);

struct ebpf_link *ebpf_link_uprobe(const struct ebpf_prog *p, const struct ebpf_uprobe_opts *o)
{
    const char *kind = o->retprobe ? "uretprobe" : "uprobe";
    char path[PATH_MAX];
    if (ebpf_link_resolve_binary(o->path, path, sizeof(path)) < 0)
        return NULL;
    char what[PATH_MAX + 200];
    uint64_t off = o->offset;
    if (o->symbol) {
        uint64_t so;
        if (ebpf_link_elf_symbol_offset(path, o->symbol, &so) < 0) {
            errno = ebpf_error_errno();
            return NULL;
        }
        off += so;
        snprintf(what, sizeof(what), "%s %s:%s+0x%llx", kind, path, o->symbol, (unsigned long long)o->offset);
    } else if (o->address) {
        if (ebpf_link_elf_vaddr_offset(path, o->address, &off) < 0) {
            errno = ebpf_error_errno();
            return NULL;
        }
        snprintf(what, sizeof(what), "%s %s:0x%llx (address)", kind, path, (unsigned long long)o->address);
    } else {
        snprintf(what, sizeof(what), "%s %s:0x%llx", kind, path, (unsigned long long)off);
    }
    if (o->pid > 0) {
        size_t l = strlen(what);
        snprintf(what + l, sizeof(what) - l, " pid %d", o->pid);
    }
    if (ebpf_prog_type(p) != BPF_PROG_TYPE_KPROBE) {
        char lab[96];
        const char *tn = ebpf_prog_type_name(ebpf_prog_type(p));
        return ebpf_err_null(EINVAL, "attach", "%s (%s): attach %s: wrong program type (this hook needs a 'kprobe' program)",
                             link_prog_label(p, lab, sizeof(lab)), tn ? tn : "?", what);
    }
    int fd;
    char *added = NULL;
    if (!o->force_tracefs && access("/sys/bus/event_source/devices/uprobe/type", F_OK) == 0) {
        fd = link_probe_pmu_open("uprobe", o->retprobe, path, off, o->ref_ctr_offset, o->pid);
    } else {
        char ev[128], def[PATH_MAX + 300];
        const char *bn = strrchr(path, '/');
        link_probe_name(ev, sizeof(ev), kind, bn ? bn + 1 : path, off);
        int n = snprintf(def, sizeof(def), "%c:uprobes/%s %s:0x%llx", o->retprobe ? 'r' : 'p', ev, path,
                         (unsigned long long)off);
        if (o->ref_ctr_offset)
            snprintf(def + n, sizeof(def) - (size_t)n, "(0x%llx)", (unsigned long long)o->ref_ctr_offset);
        fd = link_probe_tracefs_open(1, ev, def, o->pid, &added);
    }
    if (fd < 0) {
        if (added) {
            char line[256];
            snprintf(line, sizeof(line), "-:%s", added);
            link_tracefs_write("uprobe_events", line);
            free(added);
        }
        return ebpf_err_null(-fd, "attach", "%s: %s", what, strerror(-fd));
    }
    return link_probe_finish(p, fd, added, 1, o->cookie, what);
}
