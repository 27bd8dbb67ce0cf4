/* struct_ops maps become active at attach, as with libbpf: the loader only
 * creates the map and its programs; attaching updates key 0 with the value
 * the loader prepared. A plain map is registered by that update (the link
 * unregisters it by deleting key 0 at close); a BPF_F_LINK map is then
 * activated through a bpf_link whose target is the map (5.17+ for the
 * map-based link, 6.4 for struct_ops). */
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "link_internal.h"
#include "map_internal.h"

struct ebpf_link *ebpf_link_struct_ops(int map_fd, const char *name)
{
    char what[128];
    snprintf(what, sizeof(what), "struct_ops %s", name ? name : "map");
    struct link_create_attr lc;
    memset(&lc, 0, sizeof(lc));
    lc.prog_fd = (uint32_t)map_fd; /* the map goes where the program would */
    lc.attach_type = UAPI_ATTACH_STRUCT_OPS;
    int fd = link_create_raw(&lc, LC_SIZE(flags));
    if (fd < 0)
        return ebpf_err_null(-fd, "attach", "%s: %s%s", what, strerror(-fd),
                             fd == -EINVAL   ? " (the map must be a struct_ops map created with the 'link' flag)"
                             : fd == -EEXIST ? " (one of that name is already registered)"
                                             : "");
    struct ebpf_link *l = link_new(EBPF_LINK_BPF, "%s", what);
    if (!l) {
        close(fd);
        return NULL;
    }
    l->fd = fd;
    return l;
}

static int register_value(const struct ebpf_map *m, const struct ebpf_map_st_ops *st, bool is_link)
{
    uint32_t key = 0;
    int r = ebpf_map_update(m, &key, st->value, 0);
    /* a link map's value is set once; linking it again after a link
     * closed finds it set (EBUSY) and ready */
    if (r == 0 || (is_link && r == -EBUSY)) {
        ebpf_error_clear();
        return 0;
    }
    return ebpf_err(-r, "attach", "struct_ops map '%s' (struct %s): update: %s%s", ebpf_map_name(m), st->type_name,
                    strerror(-r),
                    r == -EEXIST ? " (one of that name is already registered)"
                    : r == -EBUSY ? " (a plain struct_ops map registers once: load the object again)"
                    : r == -EINVAL ? " (the kernel rejected the value: a required function pointer unset, or a "
                                     "data member it does not accept)"
                    : r == -EOPNOTSUPP ? " (this struct_ops type cannot be registered)" : "");
}

struct ebpf_link *ebpf_link_struct_ops_map(const struct ebpf_map *m)
{
    const char *name = ebpf_map_name(m);
    if (ebpf_map_type(m) != BPF_MAP_TYPE_STRUCT_OPS)
        return ebpf_err_null(EINVAL, "attach", "map '%s': not a struct_ops map", name);
    bool is_link = (ebpf_map_flags(m) & EBPF_F_LINK) != 0;
    const struct ebpf_map_st_ops *st = ebpf_map_st_ops(m);
    if (st && register_value(m, st, is_link) < 0)
        return NULL;
    if (is_link)
        return ebpf_link_struct_ops(ebpf_map_fd(m), name);
    if (!st)
        return ebpf_err_null(EINVAL, "attach", "struct_ops map '%s': no value to register (only maps of a loaded "
                             "object carry one; a plain map from elsewhere is registered by updating key 0)", name);
    struct ebpf_link *l = link_new(EBPF_LINK_STRUCT_OPS, "struct_ops %s", name);
    if (!l)
        goto undo;
    l->target_fd = ebpf_fd_dup(ebpf_map_fd(m));
    if (l->target_fd < 0) {
        int e = -l->target_fd;
        l->target_fd = -1;
        ebpf_link_close(l);
        ebpf_err(e, "attach", "struct_ops map '%s': dup: %s", name, strerror(e));
        goto undo;
    }
    return l;
undo: { /* registered but no link to undo it: unregister now */
        int e = errno;
        uint32_t key = 0;
        ebpf_map_delete(m, &key);
        errno = e;
        return NULL;
    }
}

int ebpf_link_keep_registered(struct ebpf_link *l)
{
    if (l->kind != EBPF_LINK_STRUCT_OPS || l->target_fd < 0)
        return ebpf_err(EINVAL, "keep registered", "link '%s' is not a plain struct_ops registration", l->desc);
    close(l->target_fd); /* the fd close would unregister through */
    l->target_fd = -1;
    return 0;
}
