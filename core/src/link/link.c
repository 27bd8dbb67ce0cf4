/* Common link operations: close/detach, pin, update, info, open. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "link_internal.h"
#include "sys_internal.h"

struct ebpf_link *link_new(int kind, const char *fmt, ...)
{
    struct ebpf_link *l = calloc(1, sizeof(*l));
    if (!l)
        return ebpf_err_null(ENOMEM, "attach", "link: out of memory");
    l->kind = kind;
    l->fd = l->perf_fd = l->target_fd = l->prog_fd = l->spec_map_fd = -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->desc, sizeof(l->desc), fmt, ap);
    va_end(ap);
    return l;
}

int link_group_add(struct ebpf_link *g, struct ebpf_link *sub)
{
    struct ebpf_link **n = realloc(g->subs, (g->nsubs + 1) * sizeof(*n));
    if (!n) {
        ebpf_link_close(sub);
        return ebpf_err(ENOMEM, "attach", "link: out of memory");
    }
    g->subs = n;
    g->subs[g->nsubs++] = sub;
    return 0;
}

const char *link_prog_label(const struct ebpf_prog *p, char *buf, size_t size)
{
    const char *n = p ? ebpf_prog_name(p) : "";
    if (n && n[0])
        snprintf(buf, size, "program '%s'", n);
    else
        snprintf(buf, size, "program");
    return buf;
}

int link_fail(const struct ebpf_prog *p, int err, const char *what, const char *want_type)
{
    char lab[96];
    link_prog_label(p, lab, sizeof(lab));
    const char *tn = p ? ebpf_prog_type_name(ebpf_prog_type(p)) : NULL;
    if (want_type && (err == EINVAL || err == EPROTO || err == EOPNOTSUPP) && tn && strcmp(tn, want_type) != 0)
        return ebpf_err(err, "attach", "%s (%s): attach %s: %s (this hook needs a '%s' program)", lab, tn, what,
                        strerror(err), want_type);
    if (err == EEXIST) /* the bare errno reads like a file problem */
        return ebpf_err(err, "attach", "%s: attach %s: %s: a link already holds this program there (or the hook "
                        "takes one program and has one): close that link first", lab, what, strerror(err));
    return ebpf_err(err, "attach", "%s: attach %s: %s", lab, what, strerror(err));
}

struct ebpf_link *link_from_fd(const struct ebpf_prog *p, int fd, const char *what, const char *want_type)
{
    if (fd < 0) {
        link_fail(p, -fd, what, want_type);
        errno = -fd;
        return NULL;
    }
    struct ebpf_link *l = link_new(EBPF_LINK_BPF, "%s", what);
    if (!l) {
        close(fd);
        return NULL;
    }
    l->fd = fd;
    return l;
}

struct ebpf_link *link_from_fd_funcs(const struct ebpf_prog *p, int fd, const char *what, const char *want_type,
                                     size_t cnt)
{
    struct ebpf_link *l = link_from_fd(p, fd, what, want_type);
    if (l)
        snprintf(l->desc, sizeof(l->desc), "%s (%zu functions)", what, cnt);
    return l;
}

int link_create_raw(struct link_create_attr *lc, size_t size)
{
    union link_attr_buf b;
    memset(&b, 0, sizeof(b));
    memcpy(&b.lc, lc, size);
    if (size < EBPF_ATTR_SIZE(link_create.flags))
        size = EBPF_ATTR_SIZE(link_create.flags);
    return ebpf_sys_bpf_fd(BPF_LINK_CREATE, &b.a, size);
}

struct ebpf_link *ebpf_link_create(const struct ebpf_prog *p, int target_fd, int attach_type, uint32_t flags,
                                   const char *what)
{
    struct link_create_attr lc;
    memset(&lc, 0, sizeof(lc));
    lc.prog_fd = (uint32_t)ebpf_prog_fd(p);
    lc.target_fd = (uint32_t)target_fd;
    lc.attach_type = (uint32_t)attach_type;
    lc.flags = flags;
    int fd = link_create_raw(&lc, LC_SIZE(flags));
    return link_from_fd(p, fd, what, NULL);
}

static void tracefs_remove(struct ebpf_link *l)
{
    if (!l->tracefs_event)
        return;
    char line[300];
    snprintf(line, sizeof(line), "-:%s", l->tracefs_event);
    link_tracefs_write(l->tracefs_uprobe ? "uprobe_events" : "kprobe_events", line);
    free(l->tracefs_event);
    l->tracefs_event = NULL;
}

static void legacy_detach(struct ebpf_link *l)
{
    if (l->kind == EBPF_LINK_LEGACY && l->target_fd >= 0) {
        union bpf_attr a;
        memset(&a, 0, sizeof(a));
        a.target_fd = (uint32_t)l->target_fd;
        a.attach_bpf_fd = (uint32_t)l->prog_fd;
        a.attach_type = (uint32_t)l->attach_type;
        ebpf_sys_bpf(BPF_PROG_DETACH, &a, EBPF_ATTR_SIZE(attach_type));
    } else if (l->kind == EBPF_LINK_STRUCT_OPS && l->target_fd >= 0) {
        uint32_t key = 0; /* unregisters the map */
        union bpf_attr a;
        memset(&a, 0, sizeof(a));
        a.map_fd = (uint32_t)l->target_fd;
        a.key = ebpf_ptr(&key);
        ebpf_sys_bpf(BPF_MAP_DELETE_ELEM, &a, EBPF_ATTR_SIZE(flags));
    } else if (l->kind == EBPF_LINK_SOCKET && l->target_fd >= 0) {
        int dummy = 0;
        setsockopt(l->target_fd, SOL_SOCKET, SO_DETACH_BPF, &dummy, sizeof(dummy));
    }
}

void link_tc_detach(struct ebpf_link *l); /* tc.c */

static void spec_ids_release(struct ebpf_link *l);

void ebpf_link_close(struct ebpf_link *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->nsubs; i++)
        ebpf_link_close(l->subs[i]);
    free(l->subs);
    if (l->kind == EBPF_LINK_TC)
        link_tc_detach(l);
    legacy_detach(l);
    if (l->fd >= 0)
        close(l->fd);
    if (l->perf_fd >= 0)
        close(l->perf_fd); /* closing the event detaches an ioctl'd program */
    tracefs_remove(l);
    spec_ids_release(l);
    if (l->target_fd >= 0)
        close(l->target_fd);
    if (l->prog_fd >= 0)
        close(l->prog_fd);
    free(l);
}

/* USDT spec slots: cleared so a later attach can reuse them. */
void link_usdt_release(int map_fd, const uint32_t *ids, size_t n); /* usdt.c */

static void spec_ids_release(struct ebpf_link *l)
{
    if (l->spec_map_fd >= 0) {
        link_usdt_release(l->spec_map_fd, l->spec_ids, l->nspec_ids);
        close(l->spec_map_fd);
        l->spec_map_fd = -1;
    }
    free(l->spec_ids);
    l->spec_ids = NULL;
}

int ebpf_link_detach(struct ebpf_link *l)
{
    if (l->fd < 0)
        return ebpf_err(EOPNOTSUPP, "detach", "link %s: not a bpf_link", l->desc);
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.link_detach.link_fd = (uint32_t)l->fd;
    int r = ebpf_sys_bpf(BPF_LINK_DETACH, &a, EBPF_ATTR_SIZE(link_detach));
    if (r < 0)
        return ebpf_err(-r, "detach", "link %s: detach: %s", l->desc, strerror(-r));
    return 0;
}

int ebpf_link_fd(const struct ebpf_link *l) { return l->fd; }
int ebpf_link_kind(const struct ebpf_link *l) { return l->kind; }
const char *ebpf_link_describe(const struct ebpf_link *l) { return l->desc; }
struct ebpf_link *ebpf_link_sub(const struct ebpf_link *l, size_t i) { return i < l->nsubs ? l->subs[i] : NULL; }

int ebpf_link_pin(struct ebpf_link *l, const char *path)
{
    if (l->fd < 0)
        return ebpf_err(EOPNOTSUPP, "pin", "link %s: pin '%s': only bpf_links can be pinned (this one is %s)",
                        l->desc, path, l->kind == EBPF_LINK_PERF ? "a perf event ioctl attachment"
                                        : l->kind == EBPF_LINK_GROUP ? "a group of links" : "a legacy attachment");
    int r = ebpf_obj_pin(l->fd, path);
    if (r < 0)
        return ebpf_err(-r, "pin", "link %s: pin '%s': %s", l->desc, path, strerror(-r));
    l->pinned = 1;
    return 0;
}

int ebpf_link_unpin(struct ebpf_link *l, const char *path)
{
    if (ebpf_obj_unpin(path) < 0)
        return -ebpf_error_errno();
    l->pinned = 0;
    return 0;
}

int ebpf_link_get_info(const struct ebpf_link *l, struct bpf_link_info *info)
{
    memset(info, 0, sizeof(*info));
    if (l->fd < 0)
        return ebpf_err(EOPNOTSUPP, "info", "link %s: not a bpf_link", l->desc);
    uint32_t len = sizeof(*info);
    int r = ebpf_obj_get_info(l->fd, info, &len);
    if (r < 0)
        return ebpf_err(-r, "info", "link %s: info: %s", l->desc, strerror(-r));
    return 0;
}

static void describe_from_info(struct ebpf_link *l)
{
    struct bpf_link_info info;
    uint32_t len = sizeof(info);
    memset(&info, 0, sizeof(info));
    if (ebpf_obj_get_info(l->fd, &info, &len) < 0)
        return;
    const char *tn = ebpf_link_type_name((int)info.type);
    snprintf(l->desc, sizeof(l->desc), "%s link id %u (program id %u)", tn ? tn : "bpf", info.id, info.prog_id);
}

struct ebpf_link *ebpf_link_from_fd(int fd)
{
    struct ebpf_link *l = link_new(EBPF_LINK_BPF, "link");
    if (!l)
        return NULL;
    l->fd = fd;
    describe_from_info(l);
    return l;
}

static struct ebpf_link *from_new_fd(int fd, const char *what)
{
    if (fd < 0)
        return ebpf_err_null(-fd, "open", "link %s: %s", what, strerror(-fd));
    struct bpf_link_info info;
    uint32_t len = sizeof(info);
    memset(&info, 0, sizeof(info));
    int r = ebpf_obj_get_info(fd, &info, &len);
    if (r < 0 || len < offsetof(struct bpf_link_info, prog_id) + 4 || info.id == 0) {
        close(fd);
        return ebpf_err_null(EINVAL, "open", "link %s: not a bpf_link", what);
    }
    struct ebpf_link *l = ebpf_link_from_fd(fd);
    if (!l) {
        close(fd);
        return NULL;
    }
    l->pinned = 1; /* opened, not created here: closing must not detach */
    return l;
}

struct ebpf_link *ebpf_link_open_pinned(const char *path)
{
    int fd = ebpf_obj_get_kind(path, EBPF_FD_LINK);
    return fd < 0 ? NULL : from_new_fd(fd, path);
}

struct ebpf_link *ebpf_link_open_id(uint32_t id)
{
    char what[32];
    snprintf(what, sizeof(what), "id %u", id);
    return from_new_fd(ebpf_link_fd_by_id(id), what);
}

int ebpf_link_update(struct ebpf_link *l, int prog_fd, int old_prog_fd)
{
    if (l->fd < 0)
        return ebpf_err(EOPNOTSUPP, "update", "link %s: only bpf_links can be updated", l->desc);
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.link_update.link_fd = (uint32_t)l->fd;
    a.link_update.new_prog_fd = (uint32_t)prog_fd;
    if (old_prog_fd >= 0) {
        a.link_update.flags = BPF_F_REPLACE;
        a.link_update.old_prog_fd = (uint32_t)old_prog_fd;
    }
    int r = ebpf_sys_bpf(BPF_LINK_UPDATE, &a, EBPF_ATTR_SIZE(link_update));
    if (r < 0)
        return ebpf_err(-r, "update", "link %s: update: %s%s", l->desc, strerror(-r),
                        r == -EOPNOTSUPP ? " (this link type cannot change its program)" : "");
    return 0;
}
