/* Loading struct_ops maps: the kernel's struct and its bpf_struct_ops_<name>
 * value type (vmlinux or module BTF), the object's data members copied by
 * name into that layout, the map created with btf_vmlinux_value_type_id
 * and updated with the program fds in the function-pointer slots. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/map.h"
#include "ebpf/sys.h"
#include "elf_struct_ops.h"
#include "error_internal.h"
#include "map_internal.h"

#define FAIL(err, ...) ebpf_err(err, "load", __VA_ARGS__)

void eso_kern_release(struct eso_kern *k)
{
    free(k->image);
    free(k->member);
    free(k->off);
    memset(k, 0, sizeof(*k));
}

static bool is_fptr(const struct ebpf_btf *b, uint32_t type)
{
    const struct btf_type *p = ebtf_skip_mods(b, type, NULL);
    const struct btf_type *f = p && ebtf_kind(p) == BTF_KIND_PTR ? ebtf_skip_mods(b, p->type, NULL) : NULL;
    return f && ebtf_kind(f) == BTF_KIND_FUNC_PROTO;
}

static int member_by_name(const struct ebpf_btf *b, const struct btf_type *t, const char *name)
{
    for (int i = 0; i < ebtf_vlen(t); i++)
        if (strcmp(ebtf_str(b, ebtf_members(t)[i].name_off), name) == 0)
            return i;
    return -1;
}

/* struct <name> and bpf_struct_ops_<name> in one BTF (vmlinux, then the
 * module that defines the value type). */
static int find_types(const char *map, const char *tn, const struct ebpf_btf *vmlinux, struct ebpf_btf *const *mods,
                      size_t nmods, struct eso_kern *k)
{
    char vn[300];
    snprintf(vn, sizeof(vn), "bpf_struct_ops_%s", tn);
    uint32_t tid = vmlinux ? ebtf_find_first(vmlinux, tn, BTF_KIND_STRUCT) : 0;
    uint32_t vid = vmlinux ? ebtf_find_first(vmlinux, vn, BTF_KIND_STRUCT) : 0;
    if (tid && vid) {
        k->btf = vmlinux;
        k->type_id = tid;
        k->vtype_id = vid;
        return 0;
    }
    for (size_t i = 0; i < nmods; i++) {
        uint32_t v = ebtf_find_own(mods[i], vn, BTF_KIND_STRUCT);
        uint32_t t = ebtf_find_first(mods[i], tn, BTF_KIND_STRUCT);
        if (v && t) {
            k->btf = mods[i];
            k->module = true;
            k->type_id = t;
            k->vtype_id = v;
            return 0;
        }
    }
    if (tid)
        return FAIL(ENOTSUP, "struct_ops map '%s': struct %s is not a struct_ops type of this kernel (no %s in its BTF)",
                    map, tn, vn);
    return FAIL(ENOENT, "struct_ops map '%s': struct %s not found in kernel BTF (vmlinux and modules)", map, tn);
}

static bool all_zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* One member of the object's struct, placed by name in the kernel's. */
static int place_member(const struct ebpf_spec *s, const struct ebpf_map_spec *m, const struct btf_type *ot,
                        int i, const struct btf_type *kt, uint32_t data_off, struct eso_kern *k)
{
    const struct ebpf_btf *ob = s->obtf;
    const struct btf_member *om = &ebtf_members(ot)[i];
    const char *name = ebtf_str(ob, om->name_off);
    const char *tn = m->st_ops->type_name;
    uint32_t mo = ebtf_member_bit_off(ot, om) / 8, obits = ebtf_member_bitfield_size(ot, om);
    bool ofp = is_fptr(ob, om->type);
    int64_t msz = ofp ? 8 : obits ? (ebtf_member_bit_off(ot, om) % 8 + obits + 7) / 8 : ebpf_btf_sizeof(ob, om->type);
    if (msz < 0 || mo + (uint64_t)msz > m->data_size)
        return FAIL(EINVAL, "struct_ops map '%s': member '%s' of struct %s has no size", m->name, name, tn);
    int slot = -1;
    for (size_t j = 0; j < m->st_ops->nslots; j++)
        if (m->st_ops->slots[j].off == mo)
            slot = (int)j;
    bool set = slot >= 0 || !all_zero((const unsigned char *)m->data + mo, (size_t)msz);
    int ki = member_by_name(k->btf, kt, name);
    if (ki < 0) {
        if (set) /* an unset member the kernel lacks is fine (newer headers) */
            return FAIL(ENOENT, "struct_ops map '%s': the kernel's struct %s has no member '%s'", m->name, tn, name);
        return 0;
    }
    const struct btf_member *km = &ebtf_members(kt)[ki];
    uint32_t ko = data_off + ebtf_member_bit_off(kt, km) / 8;
    bool kfp = is_fptr(k->btf, km->type);
    if (!set)
        return 0;
    if (ofp != kfp)
        return FAIL(EINVAL, "struct_ops map '%s': member '%s' of struct %s is %s in the object but not in the kernel",
                    m->name, name, tn, ofp ? "a function pointer" : "data");
    if (ofp) {
        k->member[slot] = (uint32_t)ki;
        k->off[slot] = ko;
        return 0;
    }
    if (obits || ebtf_member_bitfield_size(kt, km))
        return FAIL(ENOTSUP, "struct_ops map '%s': member '%s' of struct %s is a bitfield (not supported)", m->name,
                    name, tn);
    int64_t ksz = ebpf_btf_sizeof(k->btf, km->type);
    if (ksz != msz)
        return FAIL(EINVAL, "struct_ops map '%s': member '%s' of struct %s is %lld bytes in the object but %lld in "
                    "the kernel", m->name, name, tn, (long long)msz, (long long)ksz);
    if (ko + (uint64_t)msz > k->value_size)
        return FAIL(EINVAL, "struct_ops map '%s': member '%s' lies outside the kernel's value", m->name, name);
    memcpy(k->image + ko, (const unsigned char *)m->data + mo, (size_t)msz);
    return 0;
}

int eso_resolve(const struct ebpf_spec *s, const struct ebpf_map_spec *m, const struct ebpf_btf *vmlinux,
                struct ebpf_btf *const *mods, size_t nmods, struct eso_kern *k)
{
    memset(k, 0, sizeof(*k));
    const char *tn = m->st_ops->type_name;
    int r = find_types(m->name, tn, vmlinux, mods, nmods, k);
    if (r < 0)
        return r;
    const struct btf_type *vt = ebtf_type(k->btf, k->vtype_id), *kt = ebtf_type(k->btf, k->type_id);
    uint32_t data_off = UINT32_MAX;
    for (int i = 0; i < ebtf_vlen(vt); i++) {
        uint32_t id = 0;
        ebtf_skip_mods(k->btf, ebtf_members(vt)[i].type, &id);
        if (id == k->type_id)
            data_off = ebtf_member_bit_off(vt, &ebtf_members(vt)[i]) / 8;
    }
    if (data_off == UINT32_MAX || data_off + kt->size > vt->size)
        return FAIL(EINVAL, "struct_ops map '%s': bpf_struct_ops_%s of the kernel holds no struct %s", m->name, tn, tn);
    k->value_size = vt->size;
    size_t ns = m->st_ops->nslots;
    k->image = calloc(1, vt->size);
    k->member = calloc(ns ? ns : 1, sizeof(uint32_t));
    k->off = calloc(ns ? ns : 1, sizeof(uint32_t));
    if (!k->image || !k->member || !k->off)
        return -ENOMEM;
    const struct btf_type *ot = ebtf_type(s->obtf, m->st_ops->type_id);
    for (int i = 0; i < ebtf_vlen(ot); i++)
        if ((r = place_member(s, m, ot, i, kt, data_off, k)) < 0)
            return r;
    return 0;
}

int eso_prog_target(const struct ebpf_spec *s, const struct eso_kern *ks, size_t pi, const struct eso_kern **kern,
                    uint32_t *member)
{
    const char *first = NULL;
    for (size_t i = 0; i < s->nmap; i++) {
        const struct eso_spec *st = s->maps[i]->st_ops;
        for (size_t j = 0; st && ks[i].image && j < st->nslots; j++) {
            if (st->slots[j].prog != (int)pi)
                continue;
            if (!first) {
                first = s->maps[i]->name;
                *kern = &ks[i];
                *member = ks[i].member[j];
            } else if ((*kern)->btf != ks[i].btf || (*kern)->type_id != ks[i].type_id || *member != ks[i].member[j]) {
                return FAIL(EINVAL, "program '%s': struct_ops maps '%s' and '%s' use it for different members",
                            s->progs[pi].name, first, s->maps[i]->name);
            }
        }
    }
    if (!first)
        return FAIL(ESRCH, "program '%s' (section '%s'): no struct_ops map uses it (set a function pointer of a "
                    "SEC(\".struct_ops\") variable to it)", s->progs[pi].name, s->progs[pi].section);
    return 0;
}

struct ebpf_map *eso_create(const struct ebpf_spec *s, const struct ebpf_map_spec *m, const struct eso_kern *k,
                            int btf_fd, int mod_btf_fd)
{
    if (btf_fd < 0)
        return ebpf_err_null(EINVAL, "load", "object '%s': struct_ops map '%s' needs the object's BTF, which the "
                             "kernel refused", s->name, m->name);
    struct ebpf_map_create_opts o;
    ebpf_map_create_opts_init(&o);
    o.name = m->name;
    o.type = BPF_MAP_TYPE_STRUCT_OPS;
    o.key_size = 4;
    o.value_size = k->value_size;
    o.max_entries = 1;
    o.flags = m->flags;
    o.btf_fd = btf_fd;
    o.btf_vmlinux_value_type_id = k->vtype_id;
    if (k->module) {
        o.flags |= EBPF_BPF_F_VTYPE_BTF_OBJ_FD;
        o.value_type_btf_obj_fd = mod_btf_fd;
    }
    return ebpf_map_create(&o);
}

int eso_prepare(const struct ebpf_map_spec *m, struct eso_kern *k, struct ebpf_map *map,
                int (*prog_fd)(void *ctx, int prog), void *ctx)
{
    struct ebpf_map_st_ops *st = calloc(1, sizeof(*st));
    if (!st)
        return -ENOMEM;
    size_t n = m->st_ops->nslots;
    st->fds = malloc((n ? n : 1) * sizeof(int));
    st->value = malloc(k->value_size ? k->value_size : 1);
    st->type_name = strdup(m->st_ops->type_name);
    if (!st->fds || !st->value || !st->type_name) {
        ebpf_map_st_ops_free(st);
        return -ENOMEM;
    }
    memcpy(st->value, k->image, k->value_size);
    for (size_t j = 0; j < n; j++) {
        int fd = prog_fd(ctx, m->st_ops->slots[j].prog);
        if (fd < 0) {
            ebpf_map_st_ops_free(st);
            return FAIL(ENOENT, "struct_ops map '%s': a program it uses is not loaded (autoload off?)", m->name);
        }
        int dup = ebpf_fd_dup(fd);
        if (dup < 0) {
            ebpf_map_st_ops_free(st);
            return FAIL(-dup, "struct_ops map '%s': dup: %s", m->name, ebpf_strerror(-dup));
        }
        st->fds[st->nfds++] = dup;
        uint64_t v = (uint64_t)dup;
        memcpy((unsigned char *)st->value + k->off[j], &v, sizeof(v));
    }
    ebpf_map_set_st_ops(map, st);
    return 0;
}
