/* BPF maps on top of bpf(2). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ebpf/map.h"
#include "ebpf/sys.h"
#include "ebpf/types.h"
#include "error_internal.h"
#include "sys_internal.h"
#include "token_internal.h"
#include "map_internal.h"

struct ebpf_map {
    int fd;
    int type;
    uint32_t key_size, value_size, max_entries, flags, id;
    uint32_t btf_id, btf_key_type_id, btf_value_type_id;
    char name[BPF_OBJ_NAME_LEN];
    struct ebpf_map_st_ops *st; /* struct_ops: the value attach registers (loader's) */
    void *arena;     /* arena maps: the user mapping (ebpf_map_arena) */
    size_t arena_size;
};

#define MAP_NAME(m) ((m)->name[0] ? (m)->name : "(unnamed)")

void ebpf_map_create_opts_init(struct ebpf_map_create_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->numa_node = -1;
    o->inner_map_fd = -1;
    o->btf_fd = -1;
    o->value_type_btf_obj_fd = -1;
}

/* The kernel accepts [A-Za-z0-9_.] only, at most 15 chars. */
static void kernel_name(char dst[BPF_OBJ_NAME_LEN], const char *src)
{
    size_t j = 0;
    memset(dst, 0, BPF_OBJ_NAME_LEN);
    for (size_t i = 0; src && src[i] && j < BPF_OBJ_NAME_LEN - 1; i++) {
        char c = src[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '.';
        dst[j++] = ok ? c : '_';
    }
}

static int fill_from_info(struct ebpf_map *m)
{
    struct bpf_map_info info;
    int r = ebpf_map_get_info(m, &info);
    if (r < 0)
        return r;
    m->type = (int)info.type;
    m->key_size = info.key_size;
    m->value_size = info.value_size;
    m->max_entries = info.max_entries;
    m->flags = info.map_flags;
    m->id = info.id;
    m->btf_id = info.btf_id;
    m->btf_key_type_id = info.btf_key_type_id;
    m->btf_value_type_id = info.btf_value_type_id;
    memcpy(m->name, info.name, sizeof(m->name));
    m->name[sizeof(m->name) - 1] = 0;
    return 0;
}

struct ebpf_map *ebpf_map_create(const struct ebpf_map_create_opts *o)
{
    char kname[BPF_OBJ_NAME_LEN];
    const char *disp = o->name ? o->name : "(unnamed)";
    const char *tname = ebpf_map_type_name(o->type);
    if (!tname || o->type == BPF_MAP_TYPE_UNSPEC)
        return ebpf_err_null(EINVAL, "create", "map '%s': unknown map type %d", disp, o->type);
    ebpf_memlock_auto();
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_type = (uint32_t)o->type;
    a.key_size = o->key_size;
    a.value_size = o->value_size;
    a.max_entries = o->max_entries;
    a.map_flags = o->flags;
    if (o->inner_map_fd >= 0)
        a.inner_map_fd = (uint32_t)o->inner_map_fd;
    if (o->numa_node >= 0) {
        a.numa_node = (uint32_t)o->numa_node;
        a.map_flags |= BPF_F_NUMA_NODE;
    }
    kernel_name(kname, o->name);
    memcpy(a.map_name, kname, sizeof(kname));
    a.map_ifindex = o->ifindex;
    if (o->btf_fd >= 0) {
        a.btf_fd = (uint32_t)o->btf_fd;
        a.btf_key_type_id = o->btf_key_type_id;
        a.btf_value_type_id = o->btf_value_type_id;
        a.btf_vmlinux_value_type_id = o->btf_vmlinux_value_type_id;
    }
    a.map_extra = o->map_extra;
    /* value_type_btf_obj_fd (6.9) follows map_extra; older headers lack
     * it. Only with its flag (BPF_F_VTYPE_BTF_OBJ_FD), as the kernel reads it. */
    int32_t vfd = (o->flags & (1u << 15)) ? o->value_type_btf_obj_fd : -1;
    if (vfd >= 0)
        memcpy((char *)&a + EBPF_ATTR_SIZE(map_extra), &vfd, sizeof(vfd));
    /* map_token_fd (6.9) follows value_type_btf_obj_fd */
    int32_t tfd = token_pick(o->token_fd);
    if (tfd > 0) {
        a.map_flags |= EBPF_F_TOKEN_FD;
        memcpy((char *)&a + EBPF_ATTR_SIZE(map_extra) + sizeof(vfd), &tfd, sizeof(tfd));
    }
    size_t sz = tfd > 0 ? EBPF_ATTR_SIZE(map_extra) + 2 * sizeof(int32_t)
              : vfd >= 0 ? EBPF_ATTR_SIZE(map_extra) + sizeof(vfd)
              : o->map_extra ? EBPF_ATTR_SIZE(map_extra)
              : o->btf_vmlinux_value_type_id ? EBPF_ATTR_SIZE(btf_vmlinux_value_type_id)
              : o->btf_fd >= 0 ? EBPF_ATTR_SIZE(btf_value_type_id)
              : EBPF_ATTR_SIZE(map_ifindex);
    int fd = ebpf_sys_bpf_fd(BPF_MAP_CREATE, &a, sz);
    if (fd < 0) {
        const char *hint = "";
        if (fd == -EINVAL)
            hint = " (check key/value sizes, max_entries and flags for this map type)";
        else if (fd == -EPERM)
            hint = " (needs root or CAP_BPF";
        return ebpf_err_null(-fd, "create", "map '%s' (%s): create: %s%s%s%s", disp, tname, ebpf_strerror(-fd),
                             hint, fd == -EPERM ? ebpf_eperm_memlock_hint() : "", fd == -EPERM ? ")" : "");
    }
    struct ebpf_map *m = calloc(1, sizeof(*m));
    if (!m) {
        close(fd);
        return ebpf_err_null(ENOMEM, "create", "map '%s': out of memory", disp);
    }
    m->fd = fd;
    if (fill_from_info(m) < 0) {
        /* Very old kernels without info: keep what we asked for. */
        m->type = o->type;
        m->key_size = o->key_size;
        m->value_size = o->value_size;
        m->max_entries = o->max_entries;
        m->flags = a.map_flags;
    }
    /* Keep the user's full name for messages (the kernel's is truncated). */
    if (o->name) {
        strncpy(m->name, o->name, sizeof(m->name) - 1);
    }
    return m;
}

/* Wraps fd, known to be a map (the kernel's by id, or checked). Also as
 * ebpf_obj_from_new_fd takes it. */
static void *wrap_fd(int fd)
{
    struct ebpf_map *m = calloc(1, sizeof(*m));
    if (!m)
        return ebpf_err_null(ENOMEM, "open", "map: out of memory");
    m->fd = fd;
    int r = fill_from_info(m);
    if (r < 0) {
        free(m);
        return ebpf_err_null(-r, "open", "fd %d is not a map: %s", fd, ebpf_strerror(-r));
    }
    return m;
}

struct ebpf_map *ebpf_map_from_fd(int fd)
{
    return ebpf_fd_want_kind(fd, EBPF_FD_MAP) < 0 ? NULL : wrap_fd(fd);
}

struct ebpf_map *ebpf_map_open_pinned(const char *path) { return ebpf_obj_from_new_fd(ebpf_obj_get_kind(path, EBPF_FD_MAP), wrap_fd); }
struct ebpf_map *ebpf_map_open_id(uint32_t id) { return ebpf_obj_from_new_fd(ebpf_map_fd_by_id(id), wrap_fd); }

struct ebpf_map *ebpf_map_clone(const struct ebpf_map *src)
{
    int fd = ebpf_fd_dup(src->fd);
    if (fd < 0)
        return ebpf_err_null(-fd, "clone", "map '%s': dup: %s", MAP_NAME(src), ebpf_strerror(-fd));
    struct ebpf_map *m = malloc(sizeof(*m));
    if (!m) {
        close(fd);
        return ebpf_err_null(ENOMEM, "clone", "map: out of memory");
    }
    *m = *src;
    m->fd = fd;
    m->st = NULL; /* the value to register stays with the original */
    return m;
}

void ebpf_map_close(struct ebpf_map *m)
{
    if (!m)
        return;
    ebpf_map_st_ops_free(m->st);
    if (m->arena)
        munmap(m->arena, m->arena_size);
    if (m->fd >= 0)
        close(m->fd);
    free(m);
}

void ebpf_map_st_ops_free(struct ebpf_map_st_ops *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->nfds; i++)
        if (st->fds[i] >= 0)
            close(st->fds[i]);
    free(st->fds);
    free(st->value);
    free(st->type_name);
    free(st);
}

void ebpf_map_set_st_ops(struct ebpf_map *m, struct ebpf_map_st_ops *st)
{
    ebpf_map_st_ops_free(m->st);
    m->st = st;
}

const struct ebpf_map_st_ops *ebpf_map_st_ops(const struct ebpf_map *m) { return m->st; }

int ebpf_map_fd(const struct ebpf_map *m) { return m->fd; }
int ebpf_map_type(const struct ebpf_map *m) { return m->type; }
uint32_t ebpf_map_key_size(const struct ebpf_map *m) { return m->key_size; }
uint32_t ebpf_map_value_size(const struct ebpf_map *m) { return m->value_size; }
uint32_t ebpf_map_max_entries(const struct ebpf_map *m) { return m->max_entries; }
uint32_t ebpf_map_flags(const struct ebpf_map *m) { return m->flags; }
uint32_t ebpf_map_id(const struct ebpf_map *m) { return m->id; }
const char *ebpf_map_name(const struct ebpf_map *m) { return m->name; }
uint32_t ebpf_map_btf_key_type_id(const struct ebpf_map *m) { return m->btf_key_type_id; }
uint32_t ebpf_map_btf_value_type_id(const struct ebpf_map *m) { return m->btf_value_type_id; }
uint32_t ebpf_map_btf_id(const struct ebpf_map *m) { return m->btf_id; }

bool ebpf_map_is_percpu(const struct ebpf_map *m)
{
    switch (m->type) {
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
    case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
        return true;
    default:
        return false;
    }
}

bool ebpf_map_is_keyless(const struct ebpf_map *m)
{
    return m->type == BPF_MAP_TYPE_QUEUE || m->type == BPF_MAP_TYPE_STACK ||
           m->type == BPF_MAP_TYPE_BLOOM_FILTER;
}

size_t ebpf_map_value_buf_size(const struct ebpf_map *m)
{
    if (!ebpf_map_is_percpu(m))
        return m->value_size;
    int n = ebpf_num_possible_cpus();
    if (n < 1)
        n = 1;
    return (size_t)((m->value_size + 7) & ~7u) * (size_t)n;
}

static int elem_op(const struct ebpf_map *m, int cmd, const void *key, const void *value,
                   uint64_t flags, const char *op)
{
    union bpf_attr a;
    memset(&a, 0, EBPF_ATTR_SIZE(flags));
    a.map_fd = (uint32_t)m->fd;
    a.key = ebpf_ptr(key);
    a.value = ebpf_ptr(value);
    a.flags = flags;
    int r = ebpf_sys_bpf(cmd, &a, EBPF_ATTR_SIZE(flags));
    if (r < 0 && r != -ENOENT)
        return ebpf_err(-r, op, "map '%s': %s: %s", MAP_NAME(m), op, ebpf_strerror(-r));
    return r;
}

int ebpf_map_lookup(const struct ebpf_map *m, const void *key, void *value, uint64_t flags)
{
    return elem_op(m, BPF_MAP_LOOKUP_ELEM, key, value, flags, "lookup");
}

int ebpf_map_update(const struct ebpf_map *m, const void *key, const void *value, uint64_t flags)
{
    int r = elem_op(m, BPF_MAP_UPDATE_ELEM, key, value, flags, "update");
    if (r == -ENOENT) /* BPF_EXIST on a missing key */
        return ebpf_err(ENOENT, "update", "map '%s': update: key does not exist", MAP_NAME(m));
    return r;
}

int ebpf_map_delete(const struct ebpf_map *m, const void *key)
{
    return elem_op(m, BPF_MAP_DELETE_ELEM, key, NULL, 0, "delete");
}

int ebpf_map_lookup_and_delete(const struct ebpf_map *m, const void *key, void *value, uint64_t flags)
{
    return elem_op(m, BPF_MAP_LOOKUP_AND_DELETE_ELEM, key, value, flags, "lookup_and_delete");
}

int ebpf_map_next_key(const struct ebpf_map *m, const void *key, void *next_key)
{
    union bpf_attr a;
    memset(&a, 0, EBPF_ATTR_SIZE(flags));
    a.map_fd = (uint32_t)m->fd;
    a.key = ebpf_ptr(key);
    a.next_key = ebpf_ptr(next_key);
    int r = ebpf_sys_bpf(BPF_MAP_GET_NEXT_KEY, &a, EBPF_ATTR_SIZE(next_key));
    if (r < 0 && r != -ENOENT)
        return ebpf_err(-r, "next_key", "map '%s': next_key: %s", MAP_NAME(m), ebpf_strerror(-r));
    return r;
}

int ebpf_map_freeze(const struct ebpf_map *m)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_fd = (uint32_t)m->fd;
    int r = ebpf_sys_bpf(BPF_MAP_FREEZE, &a, EBPF_ATTR_SIZE(map_fd));
    if (r < 0)
        return ebpf_err(-r, "freeze", "map '%s': freeze: %s", MAP_NAME(m), ebpf_strerror(-r));
    return 0;
}

size_t ebpf_map_batch_token_size(const struct ebpf_map *m)
{
    /* Hash maps use a bucket index (u32), arrays the key itself. */
    return m->key_size > 4 ? m->key_size : 4;
}

static int batch_op(const struct ebpf_map *m, int cmd, const void *in, void *out, const void *keys,
                    const void *values, uint32_t *count, uint64_t elem_flags, const char *op)
{
    union bpf_attr a;
    memset(&a, 0, EBPF_ATTR_SIZE(batch));
    a.batch.in_batch = ebpf_ptr(in);
    a.batch.out_batch = ebpf_ptr(out);
    a.batch.keys = ebpf_ptr(keys);
    a.batch.values = ebpf_ptr(values);
    a.batch.count = *count;
    a.batch.map_fd = (uint32_t)m->fd;
    a.batch.elem_flags = elem_flags;
    int r = ebpf_sys_bpf(cmd, &a, EBPF_ATTR_SIZE(batch));
    *count = a.batch.count;
    if (r < 0 && r != -ENOENT)
        return ebpf_err(-r, op, "map '%s': %s: %s", MAP_NAME(m), op, ebpf_strerror(-r));
    return r;
}

int ebpf_map_lookup_batch(const struct ebpf_map *m, const void *in, void *out, void *keys,
                          void *values, uint32_t *count, uint64_t ef)
{
    return batch_op(m, BPF_MAP_LOOKUP_BATCH, in, out, keys, values, count, ef, "lookup_batch");
}

int ebpf_map_lookup_and_delete_batch(const struct ebpf_map *m, const void *in, void *out, void *keys,
                                     void *values, uint32_t *count, uint64_t ef)
{
    return batch_op(m, BPF_MAP_LOOKUP_AND_DELETE_BATCH, in, out, keys, values, count, ef,
                    "lookup_and_delete_batch");
}

int ebpf_map_update_batch(const struct ebpf_map *m, const void *keys, const void *values,
                          uint32_t *count, uint64_t ef)
{
    return batch_op(m, BPF_MAP_UPDATE_BATCH, NULL, NULL, keys, values, count, ef, "update_batch");
}

int ebpf_map_delete_batch(const struct ebpf_map *m, const void *keys, uint32_t *count, uint64_t ef)
{
    return batch_op(m, BPF_MAP_DELETE_BATCH, NULL, NULL, keys, NULL, count, ef, "delete_batch");
}

int ebpf_map_pin(const struct ebpf_map *m, const char *path)
{
    int r = ebpf_obj_pin(m->fd, path);
    if (r < 0)
        return ebpf_err(-r, "pin", "map '%s': pin '%s': %s", MAP_NAME(m), path, ebpf_strerror(-r));
    return 0;
}

int ebpf_map_unpin(const char *path)
{
    return ebpf_obj_unpin(path);
}

int ebpf_map_get_info(const struct ebpf_map *m, struct bpf_map_info *info)
{
    memset(info, 0, sizeof(*info));
    uint32_t len = sizeof(*info);
    return ebpf_obj_get_info(m->fd, info, &len);
}

/* An arena's pages live at one user address for the map's life: the
 * address the map was created with (map_extra), or the one the kernel
 * picks at the first mmap. Pointers the programs store in the arena are
 * such user addresses. */
void *ebpf_map_arena(struct ebpf_map *m, size_t *size)
{
    if (m->type != EBPF_MAP_TYPE_ARENA)
        return ebpf_err_null(EINVAL, "arena", "map '%s': not an arena map", MAP_NAME(m));
    if (!m->arena) {
        struct bpf_map_info info;
        if (ebpf_map_get_info(m, &info) < 0)
            return NULL;
        long page = sysconf(_SC_PAGESIZE);
        size_t len = (size_t)m->max_entries * (size_t)page;
        void *want = (void *)(uintptr_t)info.map_extra;
        void *p = mmap(want, len, PROT_READ | PROT_WRITE, MAP_SHARED | (want ? MAP_FIXED_NOREPLACE : 0), m->fd, 0);
        if (p == MAP_FAILED)
            return ebpf_err_null(errno, "arena", "map '%s': mmap of %zu bytes%s: %s", MAP_NAME(m), len,
                                 want ? " at its map_extra address" : "", strerror(errno));
        if (want && p != want) { /* a kernel without MAP_FIXED_NOREPLACE put it elsewhere */
            munmap(p, len);
            return ebpf_err_null(EEXIST, "arena", "map '%s': its address range %p is in use", MAP_NAME(m), want);
        }
        m->arena = p;
        m->arena_size = len;
    }
    if (size)
        *size = m->arena_size;
    return m->arena;
}
