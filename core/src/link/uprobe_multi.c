/* uprobe.multi: one link over many offsets of one binary (6.6+). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "link_internal.h"


struct ebpf_link *ebpf_link_uprobe_multi(const struct ebpf_prog *p, const struct ebpf_uprobe_multi_opts *o)
{
    char path[PATH_MAX];
    if (ebpf_link_resolve_binary(o->path, path, sizeof(path)) < 0)
        return NULL;
    int session = ebpf_prog_expected_attach_type(p) == UAPI_ATTACH_TRACE_UPROBE_SESSION;
    if (session && o->retprobe)
        return ebpf_err_null(EINVAL, "attach", "uprobe.session: a session program runs at entry and return already; "
                                               "retprobe does not apply");
    const char *kind = session ? "uprobe.session" : "uprobe.multi";
    char what[PATH_MAX + 200];
    uint64_t *offs = NULL;
    size_t cnt = o->cnt;
    if (o->pattern) {
        if (link_elf_glob_offsets(path, o->pattern, &offs, &cnt) < 0) {
            errno = ebpf_error_errno();
            return NULL;
        }
        snprintf(what, sizeof(what), "%s%s %s:%s (%zu targets)", kind, o->retprobe ? " (return)" : "", path,
                 o->pattern, cnt);
    } else {
        snprintf(what, sizeof(what), "%s%s %s (%zu targets)", kind, o->retprobe ? " (return)" : "", path, cnt);
        if (!cnt)
            return ebpf_err_null(EINVAL, "attach", "%s: no targets", what);
        offs = calloc(cnt, sizeof(uint64_t));
        if (!offs)
            return ebpf_err_null(ENOMEM, "attach", "%s: out of memory", what);
    }
    for (size_t i = 0; i < cnt && !o->pattern; i++) {
        if (o->syms) {
            if (ebpf_link_elf_symbol_offset(path, o->syms[i], &offs[i]) < 0) {
                free(offs);
                errno = ebpf_error_errno();
                return NULL;
            }
        } else {
            offs[i] = o->offsets[i];
        }
    }
    struct link_create_attr lc;
    memset(&lc, 0, sizeof(lc));
    lc.prog_fd = (uint32_t)ebpf_prog_fd(p);
    lc.attach_type = session ? UAPI_ATTACH_TRACE_UPROBE_SESSION : UAPI_ATTACH_TRACE_UPROBE_MULTI;
    lc.u.umulti.path = ebpf_ptr(path);
    lc.u.umulti.offsets = ebpf_ptr(offs);
    lc.u.umulti.ref_ctr_offsets = ebpf_ptr(o->ref_ctr_offsets);
    lc.u.umulti.cookies = ebpf_ptr(o->cookies);
    lc.u.umulti.cookies = o->pattern ? 0 : lc.u.umulti.cookies; /* cookies pair with explicit targets */
    lc.u.umulti.ref_ctr_offsets = o->pattern ? 0 : lc.u.umulti.ref_ctr_offsets;
    lc.u.umulti.cnt = (uint32_t)cnt;
    lc.u.umulti.flags = o->retprobe ? 1 /* BPF_F_UPROBE_MULTI_RETURN */ : 0;
    lc.u.umulti.pid = o->pid > 0 ? (uint32_t)o->pid : 0;
    int fd = link_create_raw(&lc, LC_SIZE(u.umulti.pid));
    free(offs);
    return link_from_fd(p, fd, what, "kprobe");
}
