/* Parsing a BPF ELF object (libelf) into a spec: sections, programs and
 * subprograms, maps (legacy, BTF-defined, global data), variables,
 * externs and relocations. No kernel access. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ebpf/sys.h"
#include "ebtf.h"
#include "elf_bswap.h"
#include "elf_internal.h"
#include "elf_struct_ops.h"
#include "error_internal.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

struct parse {
    struct ebpf_spec *s;
    Elf *elf;
    size_t shstrndx;
    GElf_Sym *syms; size_t nsym;
    Elf_Data *symdata;
    int strtab;
    const char **symnames;
    int maps_sec, legacy_sec;
    Elf_Data *maps_rel; /* .rel.maps (static init of map-in-map / prog arrays) */
};

#define FAIL(err, ...) ebpf_err(err, "open", __VA_ARGS__)

static void *xcalloc(size_t n, size_t sz) { return calloc(n ? n : 1, sz); }

struct ebpf_map_spec *emap_new(const char *name)
{
    struct ebpf_map_spec *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->name = strdup(name);
    if (!m->name) {
        free(m);
        return NULL;
    }
    m->numa_node = -1;
    m->sec = -1;
    return m;
}

void emap_free(struct ebpf_map_spec *m)
{
    if (!m)
        return;
    free(m->name);
    free(m->data);
    emap_free(m->inner);
    for (size_t i = 0; i < m->n_init; i++)
        free(m->init[i].target);
    free(m->init);
    eso_spec_free(m->st_ops);
    free(m);
}

int espec_add_map(struct ebpf_spec *s, struct ebpf_map_spec *m)
{
    struct ebpf_map_spec **n = realloc(s->maps, (s->nmap + 1) * sizeof(*n));
    if (!n) {
        emap_free(m);
        return -ENOMEM;
    }
    s->maps = n;
    s->maps[s->nmap++] = m;
    return (int)s->nmap - 1;
}

int espec_func_at(const struct ebpf_spec *s, int sec, uint32_t insn)
{
    for (size_t i = 0; i < s->nfunc; i++)
        if (s->funcs[i].sec == sec && s->funcs[i].off == insn)
            return (int)i;
    return -1;
}

void ebpf_spec_free(struct ebpf_spec *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nsec; i++) {
        free(s->secs[i].name);
        free(s->secs[i].insns);
        free(s->secs[i].rel);
    }
    free(s->secs);
    for (size_t i = 0; i < s->nfunc; i++)
        free(s->funcs[i].name);
    free(s->funcs);
    for (size_t i = 0; i < s->nprog; i++) {
        free(s->progs[i].name);
        free(s->progs[i].section);
    }
    free(s->progs);
    for (size_t i = 0; i < s->nmap; i++)
        emap_free(s->maps[i]);
    free(s->maps);
    for (size_t i = 0; i < s->nvar; i++)
        free(s->vars[i].name);
    free(s->vars);
    for (size_t i = 0; i < s->next; i++)
        free(s->exts[i].name);
    free(s->exts);
    for (int k = 0; k < 3; k++)
        free(s->ext[k]);
    ebpf_btf_free(s->obtf);
    free(s->btf);
    free(s->btf_ext);
    free(s->name);
    free(s);
}

#define ARENA_SEC ".addr_space.1" /* clang's section of address_space(1) globals */

static bool is_data_name(const char *n)
{
    return strcmp(n, ".data") == 0 || strncmp(n, ".data.", 6) == 0 || strcmp(n, ".rodata") == 0 ||
           strncmp(n, ".rodata.", 8) == 0 || strcmp(n, ".bss") == 0 || strncmp(n, ".bss.", 5) == 0;
}

static int copy_data(Elf_Data *d, void **out, size_t *len)
{
    *out = malloc(d->d_size ? d->d_size : 1);
    if (!*out)
        return -ENOMEM;
    if (d->d_size && d->d_buf)
        memcpy(*out, d->d_buf, d->d_size);
    else if (d->d_size)
        memset(*out, 0, d->d_size);
    *len = d->d_size;
    return 0;
}

/* Section pass: classify, copy what we keep. */
static int scan_sections(struct parse *P)
{
    struct ebpf_spec *s = P->s;
    size_t n;
    if (elf_getshdrnum(P->elf, &n) != 0 || n == 0 || n > 65535)
        return FAIL(EINVAL, "object '%s': bad section count", s->name);
    s->secs = xcalloc(n, sizeof(*s->secs));
    if (!s->secs)
        return -ENOMEM;
    s->nsec = n;
    P->maps_sec = P->legacy_sec = -1;
    P->strtab = -1;
    for (size_t i = 0; i < n; i++)
        s->secs[i].map = -1;
    for (size_t i = 1; i < n; i++) {
        Elf_Scn *scn = elf_getscn(P->elf, i);
        GElf_Shdr sh;
        if (!scn || !gelf_getshdr(scn, &sh))
            return FAIL(EINVAL, "object '%s': bad section header %zu", s->name, i);
        const char *name = elf_strptr(P->elf, P->shstrndx, sh.sh_name);
        if (!name)
            return FAIL(EINVAL, "object '%s': section %zu has no name", s->name, i);
        struct esec *sec = &s->secs[i];
        sec->name = strdup(name);
        if (!sec->name)
            return -ENOMEM;
        sec->size = sh.sh_size;
        Elf_Data *d = NULL;
        if (sh.sh_type != SHT_NOBITS && sh.sh_type != SHT_NULL) {
            d = elf_getdata(scn, NULL);
            if (!d && sh.sh_size)
                return FAIL(EINVAL, "object '%s': cannot read section '%s': %s", s->name, name, elf_errmsg(-1));
            if (d && d->d_size != sh.sh_size)
                return FAIL(EINVAL, "object '%s': section '%s' is truncated", s->name, name);
        }
        if (sh.sh_type == SHT_SYMTAB) {
            if (P->symdata)
                return FAIL(EINVAL, "object '%s': several symbol tables", s->name);
            if (sh.sh_entsize != sizeof(Elf64_Sym) || !d)
                return FAIL(EINVAL, "object '%s': bad symbol table", s->name);
            P->symdata = d;
            P->nsym = d->d_size / sizeof(Elf64_Sym);
            P->strtab = (int)sh.sh_link;
        } else if (strcmp(name, "license") == 0 && d) {
            size_t l = d->d_size < sizeof(s->license) - 1 ? d->d_size : sizeof(s->license) - 1;
            if (l && d->d_buf)
                memcpy(s->license, d->d_buf, l);
            s->license[l] = 0;
        } else if (strcmp(name, "version") == 0 && d) {
            if (d->d_size != 4)
                return FAIL(EINVAL, "object '%s': section 'version' must be 4 bytes", s->name);
            memcpy(&s->kern_version, d->d_buf, 4);
            if (s->big_endian)
                s->kern_version = __builtin_bswap32(s->kern_version);
        } else if ((strcmp(name, ".BTF") == 0 && s->btf) || (strcmp(name, ".BTF.ext") == 0 && s->btf_ext) ||
                   (strcmp(name, "maps") == 0 && P->legacy_sec >= 0) || (strcmp(name, ".maps") == 0 && P->maps_sec >= 0)) {
            return FAIL(EINVAL, "object '%s': duplicate section '%s'", s->name, name);
        } else if (strcmp(name, ".BTF") == 0 && d) {
            if (copy_data(d, &s->btf, &s->btf_size) < 0)
                return -ENOMEM;
            const char *why = "";
            if (s->big_endian && btf_is_swapped(s->btf, s->btf_size) && btf_bswap(s->btf, s->btf_size, &why) < 0)
                return FAIL(EINVAL, "object '%s': big-endian .BTF: %s", s->name, why);
        } else if (strcmp(name, ".BTF.ext") == 0 && d) {
            if (copy_data(d, &s->btf_ext, &s->btf_ext_size) < 0)
                return -ENOMEM;
            if (s->big_endian && elf_bswap_btf_ext(s->btf_ext, s->btf_ext_size) < 0)
                return FAIL(EINVAL, "object '%s': malformed big-endian .BTF.ext", s->name);
        } else if (strcmp(name, "maps") == 0) {
            sec->kind = ESEC_LEGACY_MAPS;
            P->legacy_sec = (int)i;
        } else if (strcmp(name, ".maps") == 0) {
            sec->kind = ESEC_MAPS;
            P->maps_sec = (int)i;
        } else if (sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR)) {
            if (sh.sh_size % sizeof(struct bpf_insn))
                return FAIL(EINVAL, "object '%s': section '%s' size is not a multiple of 8", s->name, name);
            sec->kind = ESEC_PROG;
            sec->ninsn = (uint32_t)(sh.sh_size / sizeof(struct bpf_insn));
            size_t len;
            if (d && copy_data(d, (void **)&sec->insns, &len) < 0)
                return -ENOMEM;
            if (d && s->big_endian)
                elf_bswap_insns(sec->insns, sec->ninsn);
        } else if ((sh.sh_type == SHT_PROGBITS || sh.sh_type == SHT_NOBITS) && strcmp(name, ARENA_SEC) == 0) {
            /* __arena globals: their image goes into the arena map once
             * the .maps section is known (bind_arena) */
            if (s->arena_sec >= 0)
                return FAIL(EINVAL, "object '%s': duplicate section '%s'", s->name, name);
            s->arena_sec = (int)i;
            sec->kind = ESEC_ARENA;
        } else if ((sh.sh_type == SHT_PROGBITS || sh.sh_type == SHT_NOBITS) && (sh.sh_flags & SHF_ALLOC) &&
                   is_data_name(name)) {
            if (sh.sh_size == 0)
                continue;
            if (sh.sh_size > (1u << 30))
                return FAIL(E2BIG, "object '%s': section '%s' is too large", s->name, name);
            struct ebpf_map_spec *m = emap_new(name);
            if (!m)
                return -ENOMEM;
            m->kind = name[1] == 'r' ? EMAP_RODATA : name[1] == 'b' ? EMAP_BSS : EMAP_DATA;
            m->sec = (int)i;
            m->type = BPF_MAP_TYPE_ARRAY;
            m->key_size = 4;
            m->value_size = (uint32_t)sh.sh_size;
            m->max_entries = 1;
            m->flags = m->kind == EMAP_RODATA ? BPF_F_RDONLY_PROG : 0;
            if (sh.sh_type == SHT_PROGBITS && d && copy_data(d, &m->data, &m->data_size) < 0) {
                emap_free(m);
                return -ENOMEM;
            }
            int idx = espec_add_map(s, m);
            if (idx < 0)
                return idx;
            sec->kind = ESEC_DATA;
            sec->map = idx;
        }
    }
    if (!P->symdata)
        return FAIL(EINVAL, "object '%s': no symbol table", s->name);
    return 0;
}

static int load_symbols(struct parse *P)
{
    P->syms = xcalloc(P->nsym, sizeof(GElf_Sym));
    P->symnames = xcalloc(P->nsym, sizeof(char *));
    if (!P->syms || !P->symnames)
        return -ENOMEM;
    for (size_t i = 0; i < P->nsym; i++) {
        if (!gelf_getsym(P->symdata, (int)i, &P->syms[i]))
            return FAIL(EINVAL, "object '%s': bad symbol %zu", P->s->name, i);
        const char *n = elf_strptr(P->elf, (size_t)P->strtab, P->syms[i].st_name);
        P->symnames[i] = n ? n : "";
        if (P->syms[i].st_shndx >= P->s->nsec && P->syms[i].st_shndx < SHN_LORESERVE)
            return FAIL(EINVAL, "object '%s': symbol '%s' has a bad section", P->s->name, P->symnames[i]);
    }
    return 0;
}

static int cmp_func(const void *a, const void *b)
{
    const struct efunc *x = a, *y = b;
    if (x->sec != y->sec)
        return x->sec < y->sec ? -1 : 1;
    return x->off < y->off ? -1 : x->off > y->off;
}

static int add_func(struct ebpf_spec *s, const char *name, int sec, uint32_t off, uint32_t cnt)
{
    struct efunc *n = realloc(s->funcs, (s->nfunc + 1) * sizeof(*n));
    if (!n)
        return -ENOMEM;
    s->funcs = n;
    struct efunc *f = &s->funcs[s->nfunc];
    f->name = strdup(name);
    if (!f->name)
        return -ENOMEM;
    f->sec = sec;
    f->off = off;
    f->cnt = cnt;
    f->hidden = false;
    s->nfunc++;
    return 0;
}

static void sanitize_name(char *n)
{
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') || *n == '_'))
            *n = '_';
}

/* Functions of every code section; programs are those outside .text. */
static int collect_funcs(struct parse *P)
{
    struct ebpf_spec *s = P->s;
    for (size_t i = 0; i < P->nsym; i++) {
        const GElf_Sym *sym = &P->syms[i];
        if (GELF_ST_TYPE(sym->st_info) != STT_FUNC || sym->st_shndx == SHN_UNDEF || sym->st_shndx >= s->nsec)
            continue;
        struct esec *sec = &s->secs[sym->st_shndx];
        if (sec->kind != ESEC_PROG)
            continue;
        if (sym->st_value % 8 || sym->st_size % 8 || sym->st_value / 8 >= sec->ninsn ||
            sym->st_size / 8 > sec->ninsn - sym->st_value / 8)
            return FAIL(EINVAL, "object '%s': function '%s' lies outside section '%s'", s->name, P->symnames[i],
                        sec->name);
        if (!P->symnames[i][0])
            return FAIL(EINVAL, "object '%s': unnamed function in section '%s'", s->name, sec->name);
        int r = add_func(s, P->symnames[i], sym->st_shndx, (uint32_t)(sym->st_value / 8),
                         (uint32_t)(sym->st_size / 8));
        if (r < 0)
            return r;
        int vis = GELF_ST_VISIBILITY(sym->st_other);
        s->funcs[s->nfunc - 1].hidden = GELF_ST_BIND(sym->st_info) != STB_LOCAL &&
                                        (vis == STV_HIDDEN || vis == STV_INTERNAL);
    }
    /* A code section without function symbols is one program. */
    for (size_t i = 1; i < s->nsec; i++) {
        if (s->secs[i].kind != ESEC_PROG || !s->secs[i].ninsn)
            continue;
        bool any = false;
        for (size_t f = 0; f < s->nfunc && !any; f++)
            any = s->funcs[f].sec == (int)i;
        if (!any) {
            char *nm = strdup(s->secs[i].name);
            if (!nm)
                return -ENOMEM;
            sanitize_name(nm);
            int r = add_func(s, nm, (int)i, 0, s->secs[i].ninsn);
            free(nm);
            if (r < 0)
                return r;
        }
    }
    if (s->nfunc)
        qsort(s->funcs, s->nfunc, sizeof(*s->funcs), cmp_func);
    for (size_t f = 0; f < s->nfunc; f++) {
        struct efunc *fn = &s->funcs[f];
        uint32_t end = s->secs[fn->sec].ninsn;
        if (f + 1 < s->nfunc && s->funcs[f + 1].sec == fn->sec)
            end = s->funcs[f + 1].off;
        if (f > 0 && s->funcs[f - 1].sec == fn->sec && s->funcs[f - 1].off == fn->off)
            return FAIL(EINVAL, "object '%s': functions '%s' and '%s' overlap", s->name, s->funcs[f - 1].name,
                        fn->name);
        if (!fn->cnt || fn->off + fn->cnt > end)
            fn->cnt = end - fn->off;
    }
    /* Programs: functions outside .text, in section order. */
    s->progs = xcalloc(s->nfunc, sizeof(*s->progs));
    if (!s->progs)
        return -ENOMEM;
    for (size_t f = 0; f < s->nfunc; f++) {
        struct efunc *fn = &s->funcs[f];
        const char *secname = s->secs[fn->sec].name;
        if (strcmp(secname, ".text") == 0)
            continue;
        for (size_t k = 0; k < s->nprog; k++)
            if (strcmp(s->progs[k].name, fn->name) == 0)
                return FAIL(EINVAL, "object '%s': two programs named '%s'", s->name, fn->name);
        struct ebpf_prog_spec *p = &s->progs[s->nprog];
        p->name = strdup(fn->name);
        p->section = strdup(secname);
        if (!p->name || !p->section) {
            free(p->name);
            free(p->section);
            return -ENOMEM;
        }
        s->nprog++;
        p->func = (int)f;
        p->owner = s;
        p->info = ebpf_sec_info_find(p->section, &p->target);
        p->type = p->info ? p->info->prog_type : BPF_PROG_TYPE_UNSPEC;
        p->eat = p->info ? p->info->expected_attach_type : 0;
        p->eat_set = p->info && p->info->has_attach_type;
        p->flags = (p->info && p->info->sleepable ? BPF_F_SLEEPABLE : 0) |
                   (p->info && p->info->frags ? EBPF_BPF_F_XDP_HAS_FRAGS : 0);
        /* struct_ops need their struct_ops map and freplace a target
         * program: neither is loaded by default */
        p->autoload = p->info && p->info->kind != EBPF_ATTACH_STRUCT_OPS && p->info->kind != EBPF_ATTACH_FREPLACE;
    }
    return 0;
}

/* Bytes of a legacy definition past struct bpf_map_def. iproute2's struct
 * bpf_elf_map adds id, pinning, inner_id, inner_idx (u32 each); pinning
 * PIN_GLOBAL_NS (2) is pinning by name and understood. Any other non-zero
 * byte is a field this loader does not know: recorded, and the map is
 * refused at creation (as cilium/ebpf does) rather than made without it. */
static void legacy_extra(struct ebpf_map_spec *m, const unsigned char *def, size_t defsz)
{
    enum { PINNING_OFF = 24, PIN_GLOBAL_NS = 2 };
    uint32_t pinning = 0;
    if (defsz >= PINNING_OFF + 4)
        memcpy(&pinning, def + PINNING_OFF, 4);
    if (pinning == PIN_GLOBAL_NS)
        m->pinning = 1;
    for (size_t off = 20; off < defsz; off++) {
        bool understood = pinning == PIN_GLOBAL_NS && off >= PINNING_OFF && off < PINNING_OFF + 4;
        if (def[off] && !understood) {
            m->legacy_unknown_at = (uint32_t)off;
            return;
        }
    }
}

/* Legacy `maps` section: struct bpf_map_def {type, key_size, value_size,
 * max_entries, map_flags} per symbol (iproute2 objects append fields). */
static int legacy_maps(struct parse *P)
{
    struct ebpf_spec *s = P->s;
    if (P->legacy_sec < 0)
        return 0;
    Elf_Data *d = elf_getdata(elf_getscn(P->elf, (size_t)P->legacy_sec), NULL);
    size_t nsyms = 0;
    for (size_t i = 0; i < P->nsym; i++)
        if (P->syms[i].st_shndx == P->legacy_sec && GELF_ST_TYPE(P->syms[i].st_info) != STT_SECTION &&
            P->symnames[i][0])
            nsyms++;
    if (d && d->d_size && !nsyms)
        /* clang emits no symbol for a static definition, and programs
         * then reference the section itself */
        return FAIL(EINVAL, "object '%s': legacy 'maps' section has %zu bytes but no map symbol (a map "
                    "defined static? map definitions must be global)", s->name, d->d_size);
    if (!d || !nsyms)
        return 0;
    size_t defsz = d->d_size / nsyms;
    if (defsz < 20 || d->d_size % nsyms)
        return FAIL(EINVAL, "object '%s': legacy 'maps' section has %zu bytes for %zu maps", s->name, d->d_size,
                    nsyms);
    for (size_t i = 0; i < P->nsym; i++) {
        const GElf_Sym *sym = &P->syms[i];
        if (sym->st_shndx != P->legacy_sec || GELF_ST_TYPE(sym->st_info) == STT_SECTION || !P->symnames[i][0])
            continue;
        if (sym->st_value + 20 > d->d_size)
            return FAIL(EINVAL, "object '%s': legacy map '%s' out of bounds", s->name, P->symnames[i]);
        if (GELF_ST_BIND(sym->st_info) == STB_LOCAL)
            /* programs reach a static definition through the section, not
             * through its symbol: which map they mean is guesswork */
            return FAIL(EINVAL, "object '%s': legacy map '%s' is static; map definitions must be global", s->name,
                        P->symnames[i]);
        uint32_t f[5];
        memcpy(f, (const char *)d->d_buf + sym->st_value, sizeof(f));
        if (s->big_endian)
            elf_bswap_u32s(f, 5);
        struct ebpf_map_spec *m = emap_new(P->symnames[i]);
        if (!m)
            return -ENOMEM;
        m->sec = P->legacy_sec;
        m->sym_off = sym->st_value;
        m->sym_size = defsz;
        m->type = (int)f[0];
        m->key_size = f[1];
        m->value_size = f[2];
        m->max_entries = f[3];
        m->flags = f[4];
        if (sym->st_value + defsz <= d->d_size)
            legacy_extra(m, (const unsigned char *)d->d_buf + sym->st_value, defsz);
        int r = espec_add_map(s, m);
        if (r < 0)
            return r;
    }
    return 0;
}

static int find_map_at(const struct ebpf_spec *s, int sec, uint64_t off)
{
    for (size_t i = 0; i < s->nmap; i++) {
        const struct ebpf_map_spec *m = s->maps[i];
        if (m->sec == sec && m->kind == EMAP_USER && off >= m->sym_off && off < m->sym_off + (m->sym_size ? m->sym_size : 1))
            return (int)i;
    }
    return -1;
}

int espec_find_ext(const struct ebpf_spec *s, const char *name)
{
    for (size_t i = 0; i < s->next; i++)
        if (strcmp(s->exts[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int cmp_rel(const void *a, const void *b)
{
    const struct erel *x = a, *y = b;
    return x->insn < y->insn ? -1 : x->insn > y->insn;
}

/* One relocation of a code section. */
static int one_reloc(struct parse *P, int secidx, const GElf_Rel *rel, struct erel *out)
{
    struct ebpf_spec *s = P->s;
    struct esec *sec = &s->secs[secidx];
    size_t symi = GELF_R_SYM(rel->r_info);
    if (symi >= P->nsym)
        return FAIL(EINVAL, "object '%s': relocation in '%s' has a bad symbol", s->name, sec->name);
    if (rel->r_offset % 8 || rel->r_offset / 8 >= sec->ninsn)
        return FAIL(EINVAL, "object '%s': relocation in '%s' at bad offset %llu", s->name, sec->name,
                    (unsigned long long)rel->r_offset);
    const GElf_Sym *sym = &P->syms[symi];
    const char *sname = P->symnames[symi];
    uint32_t idx = (uint32_t)(rel->r_offset / 8);
    const struct bpf_insn *insn = &sec->insns[idx];
    bool ld64 = insn->code == (BPF_LD | BPF_IMM | BPF_DW);
    bool call = insn->code == (BPF_JMP | BPF_CALL);
    memset(out, 0, sizeof(*out));
    out->insn = idx;
    if (ld64 && idx + 1 >= sec->ninsn)
        return FAIL(EINVAL, "object '%s': truncated ld_imm64 in '%s'", s->name, sec->name);
    if (!ld64 && !call)
        return FAIL(EINVAL, "object '%s': relocation of '%s' at insn %u of '%s' is not on a call or ld_imm64",
                    s->name, sname, idx, sec->name);
    if (sym->st_shndx == SHN_UNDEF) {
        int e = espec_find_ext(s, sname);
        if (e < 0)
            return FAIL(ENOENT, "object '%s': unknown extern '%s' (declare it __kconfig or __ksym with BTF)",
                        s->name, sname);
        if (call)
            s->exts[e].kind = EEXT_KFUNC; /* a kfunc as a value: its address (bpf_ksym_exists) */
        out->kind = EREL_EXTERN;
        out->target = e;
        return 0;
    }
    if (sym->st_shndx >= s->nsec)
        return FAIL(EINVAL, "object '%s': relocation against special symbol '%s'", s->name, sname);
    struct esec *ts = &s->secs[sym->st_shndx];
    if (call) {
        if (insn->src_reg != BPF_PSEUDO_CALL || ts->kind != ESEC_PROG)
            return FAIL(EINVAL, "object '%s': bad call relocation to '%s' in '%s'", s->name, sname, sec->name);
        int64_t t = (int64_t)(sym->st_value / 8) + insn->imm + 1;
        int f = t >= 0 && t < ts->ninsn ? espec_func_at(s, sym->st_shndx, (uint32_t)t) : -1;
        if (f < 0)
            return FAIL(EINVAL, "object '%s': call in '%s' to no function (%s+%lld)", s->name, sec->name, ts->name,
                        (long long)t);
        out->kind = EREL_CALL;
        out->target = f;
        return 0;
    }
    switch (ts->kind) {
    case ESEC_PROG: {
        int64_t b = (int64_t)sym->st_value + insn->imm;
        int f = b >= 0 && b % 8 == 0 ? espec_func_at(s, sym->st_shndx, (uint32_t)(b / 8)) : -1;
        if (f < 0)
            return FAIL(EINVAL, "object '%s': function pointer in '%s' to no function", s->name, sec->name);
        out->kind = EREL_FUNC_PTR;
        out->target = f;
        return 0;
    }
    case ESEC_MAPS:
    case ESEC_LEGACY_MAPS: {
        uint64_t off = sym->st_value;
        if (GELF_ST_TYPE(sym->st_info) == STT_SECTION)
            off += (uint32_t)insn->imm;
        int m = find_map_at(s, sym->st_shndx, off);
        if (m < 0)
            return FAIL(EINVAL, "object '%s': reference in '%s' to no map ('%s'+%llu)", s->name, sec->name, sname,
                        (unsigned long long)off);
        out->kind = EREL_MAP;
        out->target = m;
        return 0;
    }
    case ESEC_ARENA:
        out->kind = EREL_ARENA;
        out->target = ts->map;
        out->off = (int64_t)sym->st_value + insn->imm;
        if (out->off < 0 || (uint64_t)out->off >= ts->size)
            return FAIL(EINVAL, "object '%s': reference in '%s' outside '%s'", s->name, sec->name, ts->name);
        return 0;
    case ESEC_DATA:
        out->kind = EREL_MAP_VALUE;
        out->target = ts->map;
        out->off = (int64_t)sym->st_value + insn->imm;
        if (out->off < 0 || (uint64_t)out->off >= ts->size)
            return FAIL(EINVAL, "object '%s': reference in '%s' outside '%s'", s->name, sec->name, ts->name);
        return 0;
    default:
        return FAIL(EINVAL, "object '%s': reference in '%s' to symbol '%s' of unsupported section '%s'", s->name,
                    sec->name, sname, ts->name);
    }
}

static int relocations(struct parse *P)
{
    struct ebpf_spec *s = P->s;
    for (size_t i = 1; i < s->nsec; i++) {
        Elf_Scn *scn = elf_getscn(P->elf, i);
        GElf_Shdr sh;
        if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type != SHT_REL)
            continue;
        if (sh.sh_info >= s->nsec)
            return FAIL(EINVAL, "object '%s': relocation section '%s' targets no section", s->name, s->secs[i].name);
        int t = (int)sh.sh_info;
        Elf_Data *d = elf_getdata(scn, NULL);
        if (!d)
            continue;
        if (t == P->maps_sec)
            continue; /* handled with the BTF maps */
        if (s->secs[t].kind != ESEC_PROG)
            continue; /* .BTF, .BTF.ext, debug info */
        size_t n = d->d_size / sizeof(Elf64_Rel);
        struct esec *sec = &s->secs[t];
        if (sec->rel)
            return FAIL(EINVAL, "object '%s': two relocation sections for '%s'", s->name, sec->name);
        sec->rel = xcalloc(n, sizeof(struct erel));
        if (!sec->rel)
            return -ENOMEM;
        for (size_t k = 0; k < n; k++) {
            GElf_Rel rel;
            if (!gelf_getrel(d, (int)k, &rel))
                return FAIL(EINVAL, "object '%s': bad relocation in '%s'", s->name, s->secs[i].name);
            int r = one_reloc(P, t, &rel, &sec->rel[sec->nrel]);
            if (r < 0)
                return r;
            sec->nrel++;
        }
        if (sec->nrel)
            qsort(sec->rel, sec->nrel, sizeof(*sec->rel), cmp_rel);
        for (size_t k = 1; k < sec->nrel; k++)
            if (sec->rel[k].insn == sec->rel[k - 1].insn)
                return FAIL(EINVAL, "object '%s': two relocations on insn %u of '%s'", s->name, sec->rel[k].insn,
                            sec->name);
    }
    return 0;
}

/* Variables: named object symbols of the data sections. */
static int collect_vars(struct parse *P)
{
    struct ebpf_spec *s = P->s;
    s->vars = xcalloc(P->nsym, sizeof(*s->vars));
    if (!s->vars)
        return -ENOMEM;
    for (size_t i = 0; i < P->nsym; i++) {
        const GElf_Sym *sym = &P->syms[i];
        int t = GELF_ST_TYPE(sym->st_info);
        if ((t != STT_OBJECT && t != STT_NOTYPE) || sym->st_shndx == SHN_UNDEF || sym->st_shndx >= s->nsec)
            continue;
        const char *n = P->symnames[i];
        struct esec *sec = &s->secs[sym->st_shndx];
        if ((sec->kind != ESEC_DATA && sec->kind != ESEC_ARENA) || !n[0] || n[0] == '.' || sym->st_size == 0)
            continue;
        if (sym->st_value + sym->st_size > sec->size)
            return FAIL(EINVAL, "object '%s': variable '%s' lies outside '%s'", s->name, n, sec->name);
        if (ebpf_spec_var_find(s, n) >= 0)
            continue; /* static variables of the same name: first wins */
        struct evar *v = &s->vars[s->nvar];
        v->name = strdup(n);
        if (!v->name)
            return -ENOMEM;
        v->map = sec->map; /* -1 for the arena until bind_arena */
        v->off = (uint32_t)sym->st_value;
        v->size = (uint32_t)sym->st_size;
        s->nvar++;
    }
    return 0;
}

/* __arena globals (.addr_space.1) live in the object's one arena map:
 * its spec holds their initial image, copied into the arena at load. */
static int bind_arena(struct parse *P)
{
    struct ebpf_spec *s = P->s;
    if (s->arena_sec < 0)
        return 0;
    struct esec *sec = &s->secs[s->arena_sec];
    int arena = -1;
    for (size_t i = 0; i < s->nmap; i++) {
        if (s->maps[i]->type != EBPF_MAP_TYPE_ARENA)
            continue;
        if (arena >= 0)
            return FAIL(EINVAL, "object '%s': __arena globals need one arena map, found '%s' and '%s'", s->name,
                        s->maps[arena]->name, s->maps[i]->name);
        arena = (int)i;
    }
    if (arena < 0)
        return FAIL(EINVAL, "object '%s': __arena globals (section '%s') need an arena map declared in "
                            "SEC(\".maps\")", s->name, sec->name);
    struct ebpf_map_spec *m = s->maps[arena];
    long page = 4096;
    if ((sec->size + (size_t)page - 1) / (size_t)page > m->max_entries)
        return FAIL(E2BIG, "object '%s': arena map '%s' (%u pages) is too small for %zu bytes of __arena globals",
                    s->name, m->name, m->max_entries, sec->size);
    m->data = calloc(1, sec->size ? sec->size : 1);
    if (!m->data)
        return -ENOMEM;
    m->data_size = sec->size;
    Elf_Scn *scn = elf_getscn(P->elf, (size_t)s->arena_sec);
    Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
    if (d && d->d_buf && d->d_size == sec->size)
        memcpy(m->data, d->d_buf, d->d_size);
    sec->map = arena;
    for (size_t i = 0; i < s->nvar; i++)
        if (s->vars[i].map < 0)
            s->vars[i].map = arena;
    return 0;
}

/* Externs: undefined global symbols; typed through BTF in espec_btf(). */
static int collect_externs(struct parse *P)
{
    struct ebpf_spec *s = P->s;
    s->exts = xcalloc(P->nsym, sizeof(*s->exts));
    if (!s->exts)
        return -ENOMEM;
    for (size_t i = 1; i < P->nsym; i++) {
        const GElf_Sym *sym = &P->syms[i];
        int b = GELF_ST_BIND(sym->st_info);
        if (sym->st_shndx != SHN_UNDEF || (b != STB_GLOBAL && b != STB_WEAK) || !P->symnames[i][0])
            continue;
        struct eext *e = &s->exts[s->next];
        e->name = strdup(P->symnames[i]);
        if (!e->name)
            return -ENOMEM;
        e->weak = b == STB_WEAK;
        e->kind = GELF_ST_TYPE(sym->st_info) == STT_FUNC ? EEXT_KFUNC : EEXT_KSYM;
        s->next++;
    }
    return 0;
}

int espec_btf(struct ebpf_spec *s, const GElf_Sym *syms, const char **symnames, size_t nsym, int maps_sec,
              Elf_Data *maps_data, Elf_Data *maps_rel);

struct ebpf_spec *ebpf_spec_open_mem(const void *buf, size_t len, const char *name)
{
    struct ebpf_spec *s = calloc(1, sizeof(*s));
    if (!s)
        return ebpf_err_null(ENOMEM, "open", "out of memory");
    s->kconfig_map = -1;
    s->arena_sec = -1;
    s->name = strdup(name && name[0] ? name : "object");
    struct parse P;
    memset(&P, 0, sizeof(P));
    P.s = s;
    int r = -ENOMEM;
    if (!s->name)
        goto fail;
    elf_version(EV_CURRENT);
    if (!buf || len < sizeof(Elf64_Ehdr)) {
        r = FAIL(EINVAL, "object '%s': not an ELF file (%zu bytes)", s->name, len);
        goto fail;
    }
    P.elf = elf_memory((char *)buf, len);
    if (!P.elf) {
        r = FAIL(EINVAL, "object '%s': not an ELF file: %s", s->name, elf_errmsg(-1));
        goto fail;
    }
    GElf_Ehdr eh;
    if (elf_kind(P.elf) != ELF_K_ELF || !gelf_getehdr(P.elf, &eh)) {
        r = FAIL(EINVAL, "object '%s': not an ELF file", s->name);
        goto fail;
    }
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_BPF || eh.e_type != ET_REL) {
        r = FAIL(EINVAL, "object '%s': not a BPF relocatable object (class %d, machine %d, type %d)", s->name,
                 eh.e_ident[EI_CLASS], eh.e_machine, eh.e_type);
        goto fail;
    }
    if (eh.e_ident[EI_DATA] != ELFDATA2LSB && eh.e_ident[EI_DATA] != ELFDATA2MSB) {
        r = FAIL(EINVAL, "object '%s': unknown ELF byte order %d", s->name, eh.e_ident[EI_DATA]);
        goto fail;
    }
    /* bpfeb: opened for inspection (section bytes converted as they come
     * in), refused at load since the kernel here is little-endian */
    s->big_endian = eh.e_ident[EI_DATA] == ELFDATA2MSB;
    if (elf_getshdrstrndx(P.elf, &P.shstrndx) != 0) {
        r = FAIL(EINVAL, "object '%s': no section name table", s->name);
        goto fail;
    }
    if ((r = scan_sections(&P)) < 0 || (r = load_symbols(&P)) < 0 || (r = collect_funcs(&P)) < 0 ||
        (r = legacy_maps(&P)) < 0 || (r = collect_vars(&P)) < 0 || (r = collect_externs(&P)) < 0)
        goto fail;
    {
        Elf_Data *md = P.maps_sec >= 0 ? elf_getdata(elf_getscn(P.elf, (size_t)P.maps_sec), NULL) : NULL;
        /* relocations need the BTF maps; .rel.maps is found first */
        for (size_t i = 1; i < s->nsec; i++) {
            GElf_Shdr sh;
            Elf_Scn *scn = elf_getscn(P.elf, i);
            if (scn && gelf_getshdr(scn, &sh) && sh.sh_type == SHT_REL && (int)sh.sh_info == P.maps_sec)
                P.maps_rel = elf_getdata(scn, NULL);
        }
        r = espec_btf(s, P.syms, P.symnames, P.nsym, P.maps_sec, md, P.maps_rel);
        if (r < 0 || (r = espec_struct_ops(s, P.elf, P.syms, P.symnames, P.nsym)) < 0 || (r = bind_arena(&P)) < 0)
            goto fail;
    }
    if ((r = relocations(&P)) < 0 || (r = espec_btf_ext(s)) < 0)
        goto fail;
    free(P.syms);
    free(P.symnames);
    elf_end(P.elf);
    return s;
fail:
    if (r == -ENOMEM)
        ebpf_err(ENOMEM, "open", "object '%s': out of memory", s->name ? s->name : "?");
    free(P.syms);
    free(P.symnames);
    if (P.elf)
        elf_end(P.elf);
    int e = ebpf_error_errno();
    ebpf_spec_free(s);
    errno = e ? e : EINVAL;
    return NULL;
}

struct ebpf_spec *ebpf_spec_open_file(const char *path)
{
    size_t len;
    char *buf = ebpf_file_read(path, "object", EBPF_MAX_OBJECT_FILE, &len);
    if (!buf)
        return NULL;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    char name[256];
    snprintf(name, sizeof(name), "%s", base);
    char *dot = strstr(name, ".bpf.o");
    if (!dot)
        dot = strrchr(name, '.');
    if (dot && dot != name)
        *dot = 0;
    struct ebpf_spec *s = ebpf_spec_open_mem(buf, len, name);
    int e = errno;
    free(buf);
    errno = e;
    return s;
}
