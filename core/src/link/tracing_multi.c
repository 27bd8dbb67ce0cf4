/* Tracing multi (7.2): one fentry/fexit/fsession program on many kernel
 * functions through one link, the targets given as vmlinux BTF ids of
 * FUNCs (by name, or a glob over the functions ftrace can patch). */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/btf.h"
#include "link_internal.h"

/* Traceable function names (available_filter_functions), sorted, so a
 * BTF FUNC that ftrace cannot patch is never handed to the kernel. */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char **traceable(size_t *n)
{
    const char *root = link_tracefs();
    if (!root)
        return NULL;
    char path[256];
    snprintf(path, sizeof(path), "%s/available_filter_functions", root);
    FILE *f = fopen(path, "re");
    if (!f)
        return NULL;
    char line[512];
    size_t cnt = 0, cap = 0;
    char **v = NULL;
    while (fgets(line, sizeof(line), f)) {
        if (strchr(line, '[')) /* module functions: not in vmlinux BTF */
            continue;
        line[strcspn(line, " \t\n")] = 0;
        if (cnt == cap) {
            cap = cap ? cap * 2 : 4096;
            char **nv = realloc(v, cap * sizeof(*v));
            if (!nv)
                break;
            v = nv;
        }
        if (!(v[cnt] = strdup(line)))
            break;
        cnt++;
    }
    fclose(f);
    if (v)
        qsort(v, cnt, sizeof(*v), cmp_str);
    *n = cnt;
    return v;
}

static void free_names(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* BTF ids of the vmlinux FUNCs matching a glob that ftrace can patch. */
static int glob_ids(const struct ebpf_btf *vmlinux, const char *pattern, uint32_t **out, size_t *cnt)
{
    size_t nt = 0;
    char **tr = traceable(&nt);
    if (!tr)
        return -errno ? -errno : -ENOENT;
    uint32_t *ids = NULL;
    size_t n = 0, cap = 0;
    uint32_t total = ebpf_btf_type_cnt(vmlinux);
    for (uint32_t id = 1; id < total; id++) {
        if (ebpf_btf_kind(vmlinux, id) != BTF_KIND_FUNC)
            continue;
        const char *name = ebpf_btf_name(vmlinux, id);
        if (!name || fnmatch(pattern, name, 0) != 0 || !bsearch(&name, tr, nt, sizeof(*tr), cmp_str))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            uint32_t *ni = realloc(ids, cap * sizeof(*ids));
            if (!ni) {
                free(ids);
                free_names(tr, nt);
                return -ENOMEM;
            }
            ids = ni;
        }
        ids[n++] = id;
    }
    free_names(tr, nt);
    *out = ids;
    *cnt = n;
    return 0;
}

static const char *kind_name(int eat)
{
    switch (eat) {
    case UAPI_ATTACH_TRACE_FENTRY_MULTI: return "fentry.multi";
    case UAPI_ATTACH_TRACE_FEXIT_MULTI: return "fexit.multi";
    case UAPI_ATTACH_TRACE_FSESSION_MULTI: return "fsession.multi";
    default: return NULL;
    }
}

struct ebpf_link *ebpf_link_tracing_multi(const struct ebpf_prog *p, const struct ebpf_tracing_multi_opts *o)
{
    int eat = ebpf_prog_expected_attach_type(p);
    const char *kind = kind_name(eat);
    char lab[128];
    if (!kind)
        return ebpf_err_null(EINVAL, "attach", "%s: tracing multi needs a program loaded with expected attach type "
                                               "trace_fentry_multi, trace_fexit_multi or trace_fsession_multi",
                             link_prog_label(p, lab, sizeof(lab)));
    char what[256];
    snprintf(what, sizeof(what), "%s %s", kind,
             o->pattern ? o->pattern : o->funcs && o->cnt ? o->funcs[0] : "(BTF ids)");
    const struct ebpf_btf *vmlinux = ebpf_btf_kernel();
    if (!vmlinux && (o->pattern || o->funcs))
        return ebpf_err_null(ENOENT, "attach", "%s: the kernel has no BTF", what);
    uint32_t *ids = NULL;
    size_t cnt = o->cnt;
    if (o->pattern) {
        int r = glob_ids(vmlinux, o->pattern, &ids, &cnt);
        if (r < 0)
            return ebpf_err_null(-r, "attach", "%s: listing traceable functions: %s", what, strerror(-r));
        if (!cnt) {
            free(ids);
            return ebpf_err_null(ENOENT, "attach", "%s: no traceable kernel function matches '%s'", what,
                                 o->pattern);
        }
    } else {
        if (!cnt || (!o->funcs && !o->btf_ids))
            return ebpf_err_null(EINVAL, "attach", "%s: no targets", what);
        ids = calloc(cnt, sizeof(*ids));
        if (!ids)
            return ebpf_err_null(ENOMEM, "attach", "%s: out of memory", what);
        for (size_t i = 0; i < cnt; i++) {
            if (!o->funcs) {
                ids[i] = o->btf_ids[i];
                continue;
            }
            int64_t id = ebpf_btf_find(vmlinux, o->funcs[i], BTF_KIND_FUNC);
            if (id <= 0) {
                free(ids);
                return ebpf_err_null(ENOENT, "attach", "%s: no kernel function '%s' in vmlinux BTF", what,
                                     o->funcs[i]);
            }
            ids[i] = (uint32_t)id;
        }
    }
    struct link_create_attr lc;
    memset(&lc, 0, sizeof(lc));
    lc.prog_fd = (uint32_t)ebpf_prog_fd(p);
    lc.attach_type = (uint32_t)eat;
    lc.u.tmulti.ids = ebpf_ptr(ids);
    lc.u.tmulti.cookies = o->pattern ? 0 : ebpf_ptr(o->cookies); /* cookies pair with explicit targets */
    lc.u.tmulti.cnt = (uint32_t)cnt;
    int fd = link_create_raw(&lc, LC_SIZE(u.tmulti.cnt));
    free(ids);
    return link_from_fd_funcs(p, fd, what, "tracing", cnt);
}
