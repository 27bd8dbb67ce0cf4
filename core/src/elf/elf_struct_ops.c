/* Parsing struct_ops variables: each variable of a .struct_ops or
 * .struct_ops.link section is a map; the section's relocations name the
 * programs its function pointers hold. No kernel access. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elf_struct_ops.h"
#include "error_internal.h"

#define FAIL(err, ...) ebpf_err(err, "open", __VA_ARGS__)

static bool is_st_ops_sec(const char *n, bool *link)
{
    *link = strcmp(n, ".struct_ops.link") == 0 || strncmp(n, ".struct_ops.link.", 17) == 0;
    return *link || strcmp(n, ".struct_ops") == 0 || strncmp(n, ".struct_ops.", 12) == 0;
}

void eso_spec_free(struct eso_spec *st)
{
    if (!st)
        return;
    free(st->type_name);
    free(st->slots);
    free(st);
}

/* One variable of the section: a STRUCT_OPS map spec holding its bytes. */
static int add_var(struct ebpf_spec *s, int sec, bool link, const struct btf_type *var, Elf_Data *d,
                   const GElf_Sym *syms, const char **symnames, size_t nsym)
{
    const struct ebpf_btf *b = s->obtf;
    const char *name = ebtf_str(b, var->name_off);
    size_t k;
    for (k = 0; k < nsym; k++)
        if (syms[k].st_shndx == sec && strcmp(symnames[k], name) == 0)
            break;
    if (k == nsym)
        return FAIL(EINVAL, "object '%s': struct_ops variable '%s' has no symbol", s->name, name);
    uint32_t tid = 0;
    const struct btf_type *t = ebtf_skip_mods(b, var->type, &tid);
    if (!t || ebtf_kind(t) != BTF_KIND_STRUCT || !t->name_off)
        return FAIL(EINVAL, "object '%s': struct_ops variable '%s' is not of a named struct type", s->name, name);
    uint64_t off = syms[k].st_value;
    if (off + t->size > s->secs[sec].size)
        return FAIL(EINVAL, "object '%s': struct_ops variable '%s' lies outside '%s'", s->name, name,
                    s->secs[sec].name);
    struct ebpf_map_spec *m = emap_new(name);
    if (!m)
        return -ENOMEM;
    m->type = BPF_MAP_TYPE_STRUCT_OPS;
    m->has_explicit_type = true;
    m->key_size = 4;
    m->value_size = t->size; /* the object's struct; the kernel's value size is known at load */
    m->max_entries = 1;
    m->flags = link ? EBPF_BPF_F_LINK : 0;
    m->sec = sec;
    m->sym_off = off;
    m->sym_size = t->size;
    m->data = calloc(1, t->size ? t->size : 1);
    m->data_size = t->size;
    m->st_ops = calloc(1, sizeof(*m->st_ops));
    const char *tn = ebtf_str(b, t->name_off); /* "tcp_congestion_ops___mine" names the kernel's too */
    if (!m->data || !m->st_ops || !(m->st_ops->type_name = strndup(tn, ebtf_essential_len(tn)))) {
        emap_free(m);
        return -ENOMEM;
    }
    m->st_ops->type_id = tid;
    if (d && d->d_buf)
        memcpy(m->data, (const char *)d->d_buf + off, t->size);
    return espec_add_map(s, m) < 0 ? -ENOMEM : 0;
}

/* The member of struct t at byte offset off that is a function pointer,
 * or NULL. */
static const char *fptr_member_at(const struct ebpf_btf *b, const struct btf_type *t, uint64_t off)
{
    const struct btf_member *mem = ebtf_members(t);
    for (int i = 0; i < ebtf_vlen(t); i++) {
        if (ebtf_member_bit_off(t, &mem[i]) != off * 8)
            continue;
        const struct btf_type *p = ebtf_skip_mods(b, mem[i].type, NULL);
        const struct btf_type *f = p && ebtf_kind(p) == BTF_KIND_PTR ? ebtf_skip_mods(b, p->type, NULL) : NULL;
        return f && ebtf_kind(f) == BTF_KIND_FUNC_PROTO ? ebtf_str(b, mem[i].name_off) : NULL;
    }
    return NULL;
}

/* One relocation of the section: a function pointer set to a program. */
static int add_slot(struct ebpf_spec *s, int sec, const GElf_Rel *rel, const GElf_Sym *syms, const char **symnames,
                    size_t nsym)
{
    struct ebpf_map_spec *m = NULL;
    for (size_t i = 0; i < s->nmap && !m; i++)
        if (s->maps[i]->st_ops && s->maps[i]->sec == sec && rel->r_offset >= s->maps[i]->sym_off &&
            rel->r_offset < s->maps[i]->sym_off + s->maps[i]->sym_size)
            m = s->maps[i];
    size_t si = GELF_R_SYM(rel->r_info);
    if (!m || si >= nsym)
        return FAIL(EINVAL, "object '%s': relocation at %llu of '%s' is in no struct_ops variable", s->name,
                    (unsigned long long)rel->r_offset, s->secs[sec].name);
    uint64_t off = rel->r_offset - m->sym_off;
    const struct btf_type *t = ebtf_type(s->obtf, m->st_ops->type_id);
    const char *member = off % 8 == 0 && off + 8 <= m->data_size ? fptr_member_at(s->obtf, t, off) : NULL;
    if (!member)
        return FAIL(EINVAL, "object '%s': struct_ops map '%s': relocation at offset %llu is not on a function "
                    "pointer of struct %s", s->name, m->name, (unsigned long long)off, m->st_ops->type_name);
    const GElf_Sym *sym = &syms[si];
    uint64_t addend;
    memcpy(&addend, (unsigned char *)m->data + off, 8); /* REL: the addend is in place */
    memset((unsigned char *)m->data + off, 0, 8);
    uint64_t at = sym->st_value + (GELF_ST_TYPE(sym->st_info) == STT_SECTION ? addend : 0);
    int f = sym->st_shndx < s->nsec && s->secs[sym->st_shndx].kind == ESEC_PROG && at % 8 == 0
                ? espec_func_at(s, sym->st_shndx, (uint32_t)(at / 8)) : -1;
    int pi = -1;
    for (size_t i = 0; f >= 0 && i < s->nprog && pi < 0; i++)
        if (s->progs[i].func == f)
            pi = (int)i;
    if (pi < 0)
        return FAIL(EINVAL, "object '%s': struct_ops map '%s': member '%s' points to '%s', which is not a program "
                    "(define it in a SEC(\"struct_ops/...\") section)", s->name, m->name, member, symnames[si]);
    struct ebpf_prog_spec *p = &s->progs[pi];
    if (p->type != BPF_PROG_TYPE_STRUCT_OPS)
        return FAIL(EINVAL, "object '%s': struct_ops map '%s': member '%s' points to program '%s' of section '%s', "
                    "not a struct_ops program", s->name, m->name, member, p->name, p->section);
    struct eso_slot *n = realloc(m->st_ops->slots, (m->st_ops->nslots + 1) * sizeof(*n));
    if (!n)
        return -ENOMEM;
    m->st_ops->slots = n;
    n[m->st_ops->nslots++] = (struct eso_slot){(uint32_t)off, pi};
    p->autoload = true; /* what a struct_ops map uses is loaded */
    return 0;
}

int espec_struct_ops(struct ebpf_spec *s, Elf *elf, const GElf_Sym *syms, const char **symnames, size_t nsym)
{
    for (size_t i = 1; i < s->nsec; i++) {
        bool link;
        if (!s->secs[i].name || !is_st_ops_sec(s->secs[i].name, &link))
            continue;
        const char *sn = s->secs[i].name;
        if (!s->obtf)
            return FAIL(EINVAL, "object '%s': section '%s' needs BTF (compile with -g)", s->name, sn);
        uint32_t ds = ebtf_find_first(s->obtf, sn, BTF_KIND_DATASEC);
        if (!ds)
            return FAIL(EINVAL, "object '%s': section '%s' has no BTF DATASEC", s->name, sn);
        Elf_Data *d = elf_getdata(elf_getscn(elf, i), NULL);
        const struct btf_type *t = ebtf_type(s->obtf, ds);
        const struct btf_var_secinfo *vs = ebtf_secinfos(t);
        for (int k = 0; k < ebtf_vlen(t); k++) {
            const struct btf_type *var = ebtf_type(s->obtf, vs[k].type);
            if (!var || ebtf_kind(var) != BTF_KIND_VAR)
                return FAIL(EINVAL, "object '%s': '%s' holds a non-variable", s->name, sn);
            int r = add_var(s, (int)i, link, var, d, syms, symnames, nsym);
            if (r < 0)
                return r;
        }
        for (size_t j = 1; j < s->nsec; j++) {
            GElf_Shdr sh;
            Elf_Scn *scn = elf_getscn(elf, j);
            if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type != SHT_REL || sh.sh_info != i)
                continue;
            Elf_Data *rd = elf_getdata(scn, NULL);
            size_t n = rd ? rd->d_size / sizeof(Elf64_Rel) : 0;
            for (size_t r = 0; r < n; r++) {
                GElf_Rel rel;
                if (!gelf_getrel(rd, (int)r, &rel))
                    return FAIL(EINVAL, "object '%s': bad relocation of '%s'", s->name, sn);
                int e = add_slot(s, (int)i, &rel, syms, symnames, nsym);
                if (e < 0)
                    return e;
            }
        }
    }
    return 0;
}
