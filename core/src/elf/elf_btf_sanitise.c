/* The object's .BTF made acceptable to the kernel: clang leaves data
 * sections with zero sizes/offsets, extern variables and declarations the
 * kernel refuses; the fixups here edit a copy of the raw bytes in place
 * (type ids never change, so programs' func/line info and maps' BTF type
 * ids stay valid). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ebtf.h"
#include "elf_btf_sanitise.h"
#include "elf_internal.h"

#define BTF_INFO_ENC(kind, kflag, vlen) (((uint32_t)(kflag) << 31) | ((uint32_t)(kind) << 24) | ((vlen) & 0xffff))

static bool func_hidden(const struct ebpf_spec *s, const char *name)
{
    for (size_t i = 0; i < s->nfunc; i++)
        if (s->funcs[i].hidden && strcmp(s->funcs[i].name, name) == 0)
            return true;
    return false;
}

static const struct eext *kconfig_ext(const struct ebpf_spec *s, uint32_t var_id)
{
    for (size_t i = 0; i < s->next; i++)
        if (s->exts[i].kind == EEXT_KCONFIG && s->exts[i].btf_id == var_id)
            return &s->exts[i];
    return NULL;
}

/* The .kconfig DATASEC laid out as the .kconfig map's value (the spec's
 * layout: offsets and sizes of each extern, the map's value size), its
 * entries in offset order as the kernel requires: the map then carries it
 * as BTF value type, as libbpf's does. */
static void kconfig_datasec(const struct ebpf_spec *s, struct btf_type *t)
{
    struct btf_var_secinfo *vs = (struct btf_var_secinfo *)(t + 1);
    int n = ebtf_vlen(t);
    for (int k = 0; k < n; k++) {
        const struct eext *e = kconfig_ext(s, vs[k].type);
        vs[k].offset = e->off; /* every entry has one: espec_btf checked */
        vs[k].size = e->size;
    }
    t->size = s->maps[s->kconfig_map]->value_size;
    for (int i = 1; i < n; i++) /* insertion sort: few externs */
        for (int j = i; j > 0 && vs[j - 1].offset > vs[j].offset; j--) {
            struct btf_var_secinfo x = vs[j - 1];
            vs[j - 1] = vs[j];
            vs[j] = x;
        }
}

/* True when the .kconfig map has the DATASEC id as its value type (set by
 * espec_btf when every entry is a kconfig extern). */
static bool kconfig_typed(const struct ebpf_spec *s, uint32_t id)
{
    return s->kconfig_map >= 0 && s->maps[s->kconfig_map]->btf_value_id == id;
}

void esan_btf(const struct ebpf_spec *s, unsigned char *raw)
{
    const struct ebpf_btf *b = s->obtf;
    size_t rsz;
    const char *orig = ebpf_btf_raw(b, &rsz);
#define RAW_TYPE(id) ((struct btf_type *)(raw + ((const char *)ebtf_type(b, (id)) - orig)))
    uint32_t int_id = 0;
    for (uint32_t id = 1; id < ebtf_nr(b) && !int_id; id++) {
        const struct btf_type *t = ebtf_type(b, id);
        if (ebtf_kind(t) == BTF_KIND_INT && t->size == 4)
            int_id = id;
    }
    for (uint32_t id = 1; id < ebtf_nr(b); id++) {
        struct btf_type *t = RAW_TYPE(id);
        const char *name = ebtf_str(b, t->name_off);
        if (ebtf_kind(t) == BTF_KIND_FUNC && ebtf_vlen(t) == BTF_FUNC_GLOBAL && func_hidden(s, name)) {
            /* as libbpf: a __hidden global function is verified as a
             * static one (with its caller's context), e.g. usdt.bpf.h's
             * bpf_usdt_arg */
            t->info = BTF_INFO_ENC(BTF_KIND_FUNC, 0, BTF_FUNC_STATIC);
        } else if (ebtf_kind(t) == BTF_KIND_FUNC && ebtf_vlen(t) > BTF_FUNC_GLOBAL) {
            t->info = BTF_INFO_ENC(BTF_KIND_FUNC, 0, BTF_FUNC_GLOBAL); /* extern kfunc decl */
            /* a FUNC needs named parameters; clang may share the proto
             * of an unnamed function pointer type */
            struct btf_type *proto = ebtf_type(b, t->type) ? RAW_TYPE(t->type) : NULL;
            struct btf_param *pa = proto && ebtf_kind(proto) == BTF_KIND_FUNC_PROTO ? (struct btf_param *)(proto + 1) : NULL;
            for (int k = 0; pa && k < ebtf_vlen(proto); k++)
                if (pa[k].type && !pa[k].name_off)
                    pa[k].name_off = t->name_off;
        } else if (ebtf_kind(t) == BTF_KIND_VAR) {
            struct btf_var *v = (struct btf_var *)(t + 1);
            if (v->linkage != BTF_VAR_STATIC && v->linkage != BTF_VAR_GLOBAL_ALLOCATED) {
                v->linkage = BTF_VAR_GLOBAL_ALLOCATED;
                /* a kconfig extern keeps its (sized) type: it is the
                 * value's layout; ksyms may be void or opaque */
                if (int_id && !kconfig_ext(s, id))
                    t->type = int_id;
            }
        } else if (ebtf_kind(t) == BTF_KIND_DATASEC) {
            struct btf_var_secinfo *vs = (struct btf_var_secinfo *)(t + 1);
            int vlen = ebtf_vlen(t);
            if (strcmp(name, ".kconfig") == 0 && kconfig_typed(s, id)) {
                kconfig_datasec(s, t);
                continue;
            }
            if (strcmp(name, ".kconfig") == 0 || strcmp(name, ".ksyms") == 0) {
                /* externs no map is typed with: an anonymous union of
                 * ints keeps the layout valid */
                t->name_off = 0;
                t->info = BTF_INFO_ENC(BTF_KIND_UNION, 0, vlen);
                t->size = 4;
                struct btf_member *m = (struct btf_member *)vs;
                for (int k = 0; k < vlen; k++)
                    m[k] = (struct btf_member){0, int_id, 0};
                continue;
            }
            /* data sections: sizes and offsets from the ELF */
            for (size_t i = 1; i < s->nsec; i++)
                if (s->secs[i].name && strcmp(s->secs[i].name, name) == 0)
                    t->size = (uint32_t)s->secs[i].size;
            for (int k = 0; k < vlen; k++) {
                const struct btf_type *var = ebtf_type(b, vs[k].type);
                if (!var || ebtf_kind(var) != BTF_KIND_VAR)
                    continue;
                const char *vn = ebtf_str(b, var->name_off);
                int vi = ebpf_spec_var_find(s, vn);
                if (vi >= 0 && strcmp(s->maps[s->vars[vi].map]->name, name) == 0)
                    vs[k].offset = s->vars[vi].off;
                else {
                    /* .maps and .struct_ops*: a map per variable */
                    struct ebpf_map_spec *m = ebpf_spec_map_by_name(s, vn);
                    if (m && m->sec > 0 && strcmp(s->secs[m->sec].name, name) == 0)
                        vs[k].offset = (uint32_t)m->sym_off;
                }
            }
        }
    }
#undef RAW_TYPE
}
