/* The BTF side of parsing: BTF-defined maps in .maps (with __array
 * inner maps and static initialisation), types of global variables and
 * of externs (.kconfig, .ksyms, kfuncs). */
#include <errno.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebtf.h"
#include "elf_internal.h"
#include "error_internal.h"

#define FAIL(err, ...) ebpf_err(err, "open", __VA_ARGS__)

static uint32_t find_datasec(const struct ebpf_btf *b, const char *name)
{
    return ebtf_find_first(b, name, BTF_KIND_DATASEC);
}

/* __uint(name, N) is `int (*name)[N]`. */
static int uint_member(const struct ebpf_btf *b, uint32_t type, uint32_t *out)
{
    const struct btf_type *t = ebtf_skip_mods(b, type, NULL);
    if (t && ebtf_kind(t) == BTF_KIND_PTR) {
        const struct btf_type *a = ebtf_type(b, t->type);
        if (a && ebtf_kind(a) == BTF_KIND_ARRAY) {
            *out = ebtf_array(a)->nelems;
            return 0;
        }
    }
    return -EINVAL;
}

/* __ulong(name, N) is an enum member whose only value is N. */
static int ulong_member(const struct ebpf_btf *b, uint32_t type, uint64_t *out)
{
    const struct btf_type *t = ebtf_skip_mods(b, type, NULL);
    if (!t || ebtf_vlen(t) < 1)
        return -EINVAL;
    if (ebtf_kind(t) == BTF_KIND_ENUM) {
        *out = (uint32_t)ebtf_enums(t)[0].val;
        return 0;
    }
    if (ebtf_kind(t) == BTF_KIND_ENUM64) {
        const struct btf_enum64 *e = ebtf_enums64(t);
        *out = (uint64_t)e->val_hi32 << 32 | e->val_lo32;
        return 0;
    }
    return -EINVAL;
}

static int parse_def(struct ebpf_spec *s, const struct ebpf_btf *b, uint32_t def_id, struct ebpf_map_spec *m,
                     uint32_t *values_off, int depth)
{
    const struct btf_type *t = ebtf_skip_mods(b, def_id, &def_id);
    if (!t || ebtf_kind(t) != BTF_KIND_STRUCT)
        return FAIL(EINVAL, "object '%s': map '%s': definition is not a struct", s->name, m->name);
    const struct btf_member *mem = ebtf_members(t);
    for (int i = 0; i < ebtf_vlen(t); i++) {
        const char *n = ebtf_str(b, mem[i].name_off);
        uint32_t v = 0;
        uint64_t v64 = 0;
        int r = 0;
        if (strcmp(n, "type") == 0) {
            r = uint_member(b, mem[i].type, &v);
            m->type = (int)v;
            m->has_explicit_type = true;
        } else if (strcmp(n, "max_entries") == 0) {
            r = uint_member(b, mem[i].type, &m->max_entries);
        } else if (strcmp(n, "map_flags") == 0) {
            r = uint_member(b, mem[i].type, &m->flags);
        } else if (strcmp(n, "numa_node") == 0) {
            r = uint_member(b, mem[i].type, &v);
            m->numa_node = (int)v;
        } else if (strcmp(n, "key_size") == 0 || strcmp(n, "value_size") == 0) {
            r = uint_member(b, mem[i].type, &v);
            uint32_t *dst = n[0] == 'k' ? &m->key_size : &m->value_size;
            if (!r && *dst && *dst != v)
                return FAIL(EINVAL, "object '%s': map '%s': %s %u conflicts with the type's size %u", s->name,
                            m->name, n, v, *dst);
            *dst = v;
        } else if (strcmp(n, "key") == 0 || strcmp(n, "value") == 0) {
            const struct btf_type *p = ebtf_skip_mods(b, mem[i].type, NULL);
            if (!p || ebtf_kind(p) != BTF_KIND_PTR)
                return FAIL(EINVAL, "object '%s': map '%s': '%s' must be a pointer (__type)", s->name, m->name, n);
            int64_t sz = ebpf_btf_sizeof(b, p->type);
            if (sz < 0)
                return FAIL(EINVAL, "object '%s': map '%s': %s type has no size", s->name, m->name, n);
            uint32_t *dst = n[0] == 'k' ? &m->key_size : &m->value_size;
            if (*dst && *dst != (uint32_t)sz)
                return FAIL(EINVAL, "object '%s': map '%s': %s size %u conflicts with its type's size %lld",
                            s->name, m->name, n, *dst, (long long)sz);
            *dst = (uint32_t)sz;
            if (n[0] == 'k')
                m->btf_key_id = p->type;
            else
                m->btf_value_id = p->type;
        } else if (strcmp(n, "pinning") == 0) {
            r = uint_member(b, mem[i].type, &v);
            if (!r && v > 1)
                return FAIL(EINVAL, "object '%s': map '%s': unsupported pinning %u", s->name, m->name, v);
            m->pinning = (int)v;
        } else if (strcmp(n, "map_extra") == 0) {
            r = ulong_member(b, mem[i].type, &v64);
            if (r)
                r = uint_member(b, mem[i].type, &v), v64 = v;
            m->map_extra = v64;
        } else if (strcmp(n, "values") == 0) {
            if (depth > 0)
                return FAIL(EINVAL, "object '%s': map '%s': nested __array", s->name, m->name);
            const struct btf_type *a = ebtf_skip_mods(b, mem[i].type, NULL);
            if (!a || ebtf_kind(a) != BTF_KIND_ARRAY || i != ebtf_vlen(t) - 1)
                return FAIL(EINVAL, "object '%s': map '%s': 'values' must be the last member, an __array", s->name,
                            m->name);
            const struct btf_type *p = ebtf_skip_mods(b, ebtf_array(a)->type, NULL);
            if (!p || ebtf_kind(p) != BTF_KIND_PTR)
                return FAIL(EINVAL, "object '%s': map '%s': 'values' must hold pointers", s->name, m->name);
            uint32_t tid = 0;
            const struct btf_type *inner = ebtf_skip_mods(b, p->type, &tid);
            if (!inner)
                return FAIL(EINVAL, "object '%s': map '%s': 'values' points to a missing type", s->name, m->name);
            if (values_off)
                *values_off = ebtf_member_bit_off(t, &mem[i]) / 8;
            if (inner && ebtf_kind(inner) == BTF_KIND_FUNC_PROTO) {
                m->init_progs = true;
            } else {
                size_t nl = strlen(m->name);
                char *in = malloc(nl + 7);
                if (!in)
                    return -ENOMEM;
                memcpy(in, m->name, nl);
                memcpy(in + nl, ".inner", 7);
                m->inner = emap_new(in);
                free(in);
                if (!m->inner)
                    return -ENOMEM;
                r = parse_def(s, b, tid, m->inner, NULL, depth + 1);
                if (r < 0)
                    return r;
            }
        } else {
            return FAIL(EINVAL, "object '%s': map '%s': unknown attribute '%s'", s->name, m->name, n);
        }
        if (r)
            return FAIL(EINVAL, "object '%s': map '%s': malformed attribute '%s'", s->name, m->name, n);
    }
    if (!m->has_explicit_type)
        return FAIL(EINVAL, "object '%s': map '%s': no type", s->name, m->name);
    /* map-in-map and prog arrays hold 4-byte ids/fds */
    if ((m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS || m->type == BPF_MAP_TYPE_HASH_OF_MAPS ||
         m->type == BPF_MAP_TYPE_PROG_ARRAY) && m->value_size == 0)
        m->value_size = 4;
    if ((m->type == BPF_MAP_TYPE_ARRAY_OF_MAPS || m->type == BPF_MAP_TYPE_PROG_ARRAY) && m->key_size == 0)
        m->key_size = 4;
    return 0;
}

static int btf_maps(struct ebpf_spec *s, const struct ebpf_btf *b, const GElf_Sym *syms, const char **symnames,
                    size_t nsym, int maps_sec, Elf_Data *rel)
{
    uint32_t ds = find_datasec(b, ".maps");
    if (!ds)
        return FAIL(EINVAL, "object '%s': section '.maps' has no BTF DATASEC", s->name);
    const struct btf_type *t = ebtf_type(b, ds);
    const struct btf_var_secinfo *vs = ebtf_secinfos(t);
    size_t first = s->nmap;
    uint32_t *voff = calloc((size_t)ebtf_vlen(t) + 1, sizeof(uint32_t));
    if (!voff)
        return -ENOMEM;
    int r = 0;
    for (int i = 0; i < ebtf_vlen(t) && r >= 0; i++) {
        const struct btf_type *var = ebtf_type(b, vs[i].type);
        if (!var || ebtf_kind(var) != BTF_KIND_VAR) {
            r = FAIL(EINVAL, "object '%s': .maps holds a non-variable", s->name);
            break;
        }
        const char *name = ebtf_str(b, var->name_off);
        size_t k;
        for (k = 0; k < nsym; k++)
            if (syms[k].st_shndx == maps_sec && strcmp(symnames[k], name) == 0)
                break;
        if (k == nsym) {
            r = FAIL(EINVAL, "object '%s': map '%s' has no symbol", s->name, name);
            break;
        }
        struct ebpf_map_spec *m = emap_new(name);
        if (!m) {
            r = -ENOMEM;
            break;
        }
        m->sec = maps_sec;
        m->sym_off = syms[k].st_value;
        m->sym_size = syms[k].st_size ? syms[k].st_size : vs[i].size;
        m->btf_var_id = vs[i].type;
        r = parse_def(s, b, var->type, m, &voff[i], 0);
        if (r < 0) {
            emap_free(m);
            break;
        }
        r = espec_add_map(s, m);
    }
    /* Static initialisation: .rel.maps entries point 'values' slots at
     * programs or maps. */
    if (r >= 0 && rel) {
        size_t n = rel->d_size / sizeof(Elf64_Rel);
        for (size_t k = 0; k < n && r >= 0; k++) {
            GElf_Rel rl;
            if (!gelf_getrel(rel, (int)k, &rl) || GELF_R_SYM(rl.r_info) >= nsym) {
                r = FAIL(EINVAL, "object '%s': bad relocation in .rel.maps", s->name);
                break;
            }
            struct ebpf_map_spec *m = NULL;
            uint32_t vo = 0;
            for (size_t i = first; i < s->nmap; i++)
                if (rl.r_offset >= s->maps[i]->sym_off && rl.r_offset < s->maps[i]->sym_off + s->maps[i]->sym_size) {
                    m = s->maps[i];
                    vo = voff[i - first];
                }
            if (!m || (!m->inner && !m->init_progs) || rl.r_offset < m->sym_off + vo ||
                (rl.r_offset - m->sym_off - vo) % 8) {
                r = FAIL(EINVAL, "object '%s': .rel.maps entry at %llu initialises no map slot", s->name,
                         (unsigned long long)rl.r_offset);
                break;
            }
            uint32_t slot = (uint32_t)((rl.r_offset - m->sym_off - vo) / 8);
            struct emap_init *ni = realloc(m->init, (m->n_init + 1) * sizeof(*ni));
            if (!ni) {
                r = -ENOMEM;
                break;
            }
            m->init = ni;
            ni[m->n_init].slot = slot;
            ni[m->n_init].target = strdup(symnames[GELF_R_SYM(rl.r_info)]);
            if (!ni[m->n_init].target) {
                r = -ENOMEM;
                break;
            }
            m->n_init++;
            if (slot >= m->max_entries)
                r = FAIL(EINVAL, "object '%s': map '%s': initialised slot %u beyond max_entries %u", s->name,
                         m->name, slot, m->max_entries);
        }
    }
    free(voff);
    return r < 0 ? r : 0;
}

/* Types of global variables and the DATASEC of each data map. */
static void data_types(struct ebpf_spec *s, const struct ebpf_btf *b)
{
    for (size_t i = 0; i < s->nmap; i++) {
        struct ebpf_map_spec *m = s->maps[i];
        if (m->kind == EMAP_USER || m->kind == EMAP_KCONFIG)
            continue;
        uint32_t ds = find_datasec(b, m->name);
        if (!ds)
            continue;
        m->btf_value_id = ds;
        const struct btf_type *t = ebtf_type(b, ds);
        const struct btf_var_secinfo *vs = ebtf_secinfos(t);
        for (int k = 0; k < ebtf_vlen(t); k++) {
            const struct btf_type *var = ebtf_type(b, vs[k].type);
            if (!var || ebtf_kind(var) != BTF_KIND_VAR)
                continue;
            int vi = ebpf_spec_var_find(s, ebtf_str(b, var->name_off));
            if (vi >= 0 && s->vars[vi].map == (int)i)
                s->vars[vi].btf_type = var->type;
        }
    }
}

/* Natural alignment of a type (ints/enums/pointers by size, arrays by
 * element, records by their largest member). */
static uint32_t type_align(const struct ebpf_btf *b, uint32_t id, int depth)
{
    const struct btf_type *t = ebtf_skip_mods(b, id, &id);
    if (!t || depth > 16)
        return 1;
    switch (ebtf_kind(t)) {
    case BTF_KIND_INT: case BTF_KIND_ENUM: case BTF_KIND_ENUM64: case BTF_KIND_FLOAT:
        return t->size >= 8 ? 8 : t->size ? t->size : 1;
    case BTF_KIND_PTR:
        return 8;
    case BTF_KIND_ARRAY:
        return type_align(b, ebtf_array(t)->type, depth + 1);
    case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
        uint32_t a = 1;
        for (int i = 0; i < ebtf_vlen(t); i++) {
            uint32_t m = type_align(b, ebtf_members(t)[i].type, depth + 1);
            a = m > a ? m : a;
        }
        return a;
    }
    default:
        return 1;
    }
}

static uint32_t kc_align(const struct ebpf_btf *b, const struct eext *e)
{
    return type_align(b, ebtf_type(b, e->btf_id)->type, 0);
}

static int externs(struct ebpf_spec *s, const struct ebpf_btf *b)
{
    uint32_t kc = find_datasec(b, ".kconfig"), ks = find_datasec(b, ".ksyms");
    uint32_t kconfig_size = 0;
    for (size_t i = 0; i < s->next; i++) {
        struct eext *e = &s->exts[i];
        bool found = false;
        for (int pass = 0; pass < 2 && !found; pass++) {
            uint32_t ds = pass ? ks : kc;
            if (!ds)
                continue;
            const struct btf_type *t = ebtf_type(b, ds);
            const struct btf_var_secinfo *vs = ebtf_secinfos(t);
            for (int k = 0; k < ebtf_vlen(t) && !found; k++) {
                const struct btf_type *v = ebtf_type(b, vs[k].type);
                if (!v || strcmp(ebtf_str(b, v->name_off), e->name) != 0)
                    continue;
                found = true;
                e->btf_id = vs[k].type;
                if (ebtf_kind(v) == BTF_KIND_FUNC) {
                    e->kind = EEXT_KFUNC;
                    e->type_id = v->type;
                } else if (ebtf_kind(v) == BTF_KIND_VAR) {
                    e->kind = pass ? EEXT_KSYM : EEXT_KCONFIG;
                    uint32_t rid;
                    const struct btf_type *rt = ebtf_skip_mods(b, v->type, &rid);
                    e->type_id = rid;
                    e->typed = rt && ebtf_kind(rt) != 0 && rid != 0;
                    if (e->kind == EEXT_KCONFIG) {
                        int64_t sz = ebpf_btf_sizeof(b, v->type);
                        if (sz <= 0 || sz > 4096)
                            return FAIL(EINVAL, "object '%s': kconfig '%s' has a bad type", s->name, e->name);
                        e->size = (uint32_t)sz;
                    }
                }
            }
        }
        if (!found && e->kind == EEXT_KFUNC) {
            uint32_t id = ebtf_find_first(b, e->name, BTF_KIND_FUNC);
            if (id) {
                e->btf_id = id;
                e->type_id = ebtf_type(b, id)->type;
            }
        }
    }
    /* Layout like libbpf (largest alignment first, then smallest size, then by name), so the
     * translated programs match libbpf's byte for byte. */
    size_t nk = 0;
    for (size_t i = 0; i < s->next; i++)
        nk += s->exts[i].kind == EEXT_KCONFIG;
    struct eext **order = calloc(nk ? nk : 1, sizeof(*order));
    if (!order)
        return -ENOMEM;
    nk = 0;
    for (size_t i = 0; i < s->next; i++)
        if (s->exts[i].kind == EEXT_KCONFIG)
            order[nk++] = &s->exts[i];
    for (size_t i = 1; i < nk; i++) /* insertion sort: few externs */
        for (size_t j = i; j > 0; j--) {
            uint32_t a1 = kc_align(b, order[j - 1]), a2 = kc_align(b, order[j]);
            uint32_t s1 = order[j - 1]->size, s2 = order[j]->size;
            if (a1 > a2 || (a1 == a2 && (s1 < s2 || (s1 == s2 && strcmp(order[j - 1]->name, order[j]->name) <= 0))))
                break;
            struct eext *t = order[j - 1];
            order[j - 1] = order[j];
            order[j] = t;
        }
    for (size_t i = 0; i < nk; i++) {
        uint32_t al = kc_align(b, order[i]);
        kconfig_size = (kconfig_size + al - 1) & ~(al - 1);
        order[i]->off = kconfig_size;
        kconfig_size += order[i]->size;
    }
    free(order);
    if (kconfig_size) {
        struct ebpf_map_spec *m = emap_new(".kconfig");
        if (!m)
            return -ENOMEM;
        m->kind = EMAP_KCONFIG;
        m->type = BPF_MAP_TYPE_ARRAY;
        m->key_size = 4;
        m->value_size = kconfig_size; /* as libbpf: the end of the last extern, not rounded */
        m->max_entries = 1;
        m->flags = BPF_F_RDONLY_PROG;
        int r = espec_add_map(s, m);
        if (r < 0)
            return r;
        s->kconfig_map = r;
        /* typed by its DATASEC (laid out for the kernel by esan_btf) when
         * every entry of it is a kconfig extern */
        bool all = true;
        const struct btf_type *t = ebtf_type(b, kc);
        for (int k = 0; k < ebtf_vlen(t) && all; k++) {
            all = false;
            for (size_t i = 0; i < s->next && !all; i++)
                all = s->exts[i].kind == EEXT_KCONFIG && s->exts[i].btf_id == ebtf_secinfos(t)[k].type;
        }
        if (all)
            m->btf_value_id = kc;
    }
    return 0;
}

int espec_btf(struct ebpf_spec *s, const GElf_Sym *syms, const char **symnames, size_t nsym, int maps_sec,
              Elf_Data *maps_data, Elf_Data *maps_rel)
{
    (void)maps_data;
    if (s->btf) {
        /* the raw parse: an ELF image as .BTF is not BTF (ebpf_btf_new would take its .BTF) */
        void *copy = malloc(s->btf_size ? s->btf_size : 1);
        if (!copy)
            return -ENOMEM;
        memcpy(copy, s->btf, s->btf_size);
        s->obtf = btf_parse_blob(copy, s->btf_size, BTF_STORE_MALLOC, NULL, ".BTF");
        if (!s->obtf) {
            int e = errno ? errno : EINVAL;
            if (e == ENOMEM)
                return -ENOMEM;
            char msg[256];
            snprintf(msg, sizeof(msg), "%s", ebpf_error_message());
            return FAIL(e, "object '%s': %s", s->name, msg);
        }
    }
    if (maps_sec >= 0) {
        if (!s->obtf)
            return FAIL(EINVAL, "object '%s': section '.maps' needs BTF (compile with -g)", s->name);
        int r = btf_maps(s, s->obtf, syms, symnames, nsym, maps_sec, maps_rel);
        if (r < 0)
            return r;
    }
    if (s->obtf) {
        data_types(s, s->obtf);
        int r = externs(s, s->obtf);
        if (r < 0)
            return r;
    }
    return 0;
}
