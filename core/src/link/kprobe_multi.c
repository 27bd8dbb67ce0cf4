/* kprobe.multi: one link over many kernel functions (5.18+), by symbols,
 * addresses or a glob over available_filter_functions. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link_internal.h"

static int collect(const char *pattern, char ***out, size_t *cnt)
{
    const char *root = link_tracefs();
    if (!root)
        return -errno;
    char path[256];
    snprintf(path, sizeof(path), "%s/available_filter_functions", root);
    FILE *f = fopen(path, "re");
    if (!f)
        return -errno;
    char line[512];
    size_t n = 0, cap = 0;
    char **v = NULL;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, " \t\n")] = 0; /* "name [module]" */
        if (fnmatch(pattern, line, 0) != 0 || strstr(line, "__ftrace_invalid_address__"))
            continue;
        int dup = 0; /* static functions may repeat; a multi link needs unique names */
        for (size_t i = 0; i < n && !dup; i++)
            dup = !strcmp(v[i], line);
        if (dup)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nv = realloc(v, cap * sizeof(*v));
            if (!nv)
                break;
            v = nv;
        }
        v[n++] = strdup(line);
    }
    fclose(f);
    *out = v;
    *cnt = n;
    return 0;
}

struct ebpf_link *ebpf_link_kprobe_multi(const struct ebpf_prog *p, const struct ebpf_kprobe_multi_opts *o)
{
    /* A session program (6.10+) runs at entry and return through one link
     * whose attach type is the program's own. */
    int session = ebpf_prog_expected_attach_type(p) == UAPI_ATTACH_TRACE_KPROBE_SESSION;
    if (session && o->retprobe)
        return ebpf_err_null(EINVAL, "attach", "kprobe.session: a session program runs at entry and return already; "
                                               "retprobe does not apply");
    char what[256];
    snprintf(what, sizeof(what), "%s%s %s", session ? "kprobe.session" : "kprobe.multi", o->retprobe ? " (return)" : "",
             o->pattern ? o->pattern : o->syms && o->cnt ? o->syms[0] : "(addresses)");
    char **found = NULL;
    size_t cnt = o->cnt;
    const char **syms = o->syms;
    if (o->pattern) {
        int r = collect(o->pattern, &found, &cnt);
        if (r < 0)
            return ebpf_err_null(-r, "attach", "%s: reading available_filter_functions: %s", what, strerror(-r));
        if (cnt == 0) {
            free(found);
            return ebpf_err_null(ENOENT, "attach", "%s: no traceable kernel function matches '%s'", what, o->pattern);
        }
        syms = (const char **)found;
    }
    if (cnt == 0)
        return ebpf_err_null(EINVAL, "attach", "%s: no targets", what);
    struct link_create_attr lc;
    memset(&lc, 0, sizeof(lc));
    lc.prog_fd = (uint32_t)ebpf_prog_fd(p);
    lc.attach_type = session ? UAPI_ATTACH_TRACE_KPROBE_SESSION : BPF_TRACE_KPROBE_MULTI;
    lc.u.kmulti.flags = o->retprobe ? BPF_F_KPROBE_MULTI_RETURN : 0;
    lc.u.kmulti.cnt = (uint32_t)cnt;
    lc.u.kmulti.syms = ebpf_ptr(syms);
    lc.u.kmulti.addrs = syms ? 0 : ebpf_ptr(o->addrs);
    lc.u.kmulti.cookies = ebpf_ptr(o->cookies);
    int fd = link_create_raw(&lc, LC_SIZE(u.kmulti.cookies));
    if (found) {
        for (size_t i = 0; i < cnt; i++)
            free(found[i]);
        free(found);
    }
    if (fd == -ESRCH || fd == -ENOENT)
        return ebpf_err_null(-fd, "attach", "%s: a target function was not found", what);
    return link_from_fd_funcs(p, fd, what, "kprobe", cnt);
}
