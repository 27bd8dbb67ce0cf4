/* Accessors and edits of a parsed spec. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elf_internal.h"
#include "error_internal.h"

const char *ebpf_spec_name(const struct ebpf_spec *s) { return s->name; }
const char *ebpf_spec_license(const struct ebpf_spec *s) { return s->license; }
uint32_t ebpf_spec_kern_version(const struct ebpf_spec *s) { return s->kern_version; }

const void *ebpf_spec_btf(const struct ebpf_spec *s, size_t *size)
{
    if (size)
        *size = s->btf_size;
    return s->btf;
}

size_t ebpf_spec_map_count(const struct ebpf_spec *s) { return s->nmap; }
struct ebpf_map_spec *ebpf_spec_map_at(const struct ebpf_spec *s, size_t i) { return i < s->nmap ? s->maps[i] : NULL; }

struct ebpf_map_spec *ebpf_spec_map_by_name(const struct ebpf_spec *s, const char *name)
{
    for (size_t i = 0; i < s->nmap; i++)
        if (strcmp(s->maps[i]->name, name) == 0)
            return s->maps[i];
    return NULL;
}

const char *ebpf_map_spec_name(const struct ebpf_map_spec *m) { return m->name; }
int ebpf_map_spec_type(const struct ebpf_map_spec *m) { return m->type; }
uint32_t ebpf_map_spec_key_size(const struct ebpf_map_spec *m) { return m->key_size; }
uint32_t ebpf_map_spec_value_size(const struct ebpf_map_spec *m) { return m->value_size; }
uint32_t ebpf_map_spec_max_entries(const struct ebpf_map_spec *m) { return m->max_entries; }
uint32_t ebpf_map_spec_flags(const struct ebpf_map_spec *m) { return m->flags; }
int ebpf_map_spec_pinning(const struct ebpf_map_spec *m) { return m->pinning; }
const char *ebpf_map_spec_data_section(const struct ebpf_map_spec *m) { return m->kind == EMAP_USER ? NULL : m->name; }
uint32_t ebpf_map_spec_btf_key_type_id(const struct ebpf_map_spec *m) { return m->btf_key_id; }
uint32_t ebpf_map_spec_btf_value_type_id(const struct ebpf_map_spec *m) { return m->btf_value_id; }
void ebpf_map_spec_set_max_entries(struct ebpf_map_spec *m, uint32_t n) { m->max_entries = n; }
void ebpf_map_spec_set_flags(struct ebpf_map_spec *m, uint32_t f) { m->flags = f; }
void ebpf_map_spec_set_pinning(struct ebpf_map_spec *m, int p) { m->pinning = p; }

void *ebpf_map_spec_data(struct ebpf_map_spec *m, size_t *size)
{
    if (size)
        *size = m->data ? m->data_size : 0;
    return m->data;
}

size_t ebpf_spec_prog_count(const struct ebpf_spec *s) { return s->nprog; }
struct ebpf_prog_spec *ebpf_spec_prog_at(const struct ebpf_spec *s, size_t i) { return i < s->nprog ? &s->progs[i] : NULL; }

struct ebpf_prog_spec *ebpf_spec_prog_by_name(const struct ebpf_spec *s, const char *name)
{
    for (size_t i = 0; i < s->nprog; i++)
        if (strcmp(s->progs[i].name, name) == 0)
            return &s->progs[i];
    return NULL;
}

const char *ebpf_prog_spec_name(const struct ebpf_prog_spec *p) { return p->name; }
const char *ebpf_prog_spec_section(const struct ebpf_prog_spec *p) { return p->section; }
int ebpf_prog_spec_type(const struct ebpf_prog_spec *p) { return p->type; }
int ebpf_prog_spec_expected_attach_type(const struct ebpf_prog_spec *p) { return p->eat; }
const struct ebpf_sec_info *ebpf_prog_spec_sec_info(const struct ebpf_prog_spec *p) { return p->info; }
const char *ebpf_prog_spec_attach_target(const struct ebpf_prog_spec *p) { return p->target ? p->target : ""; }
bool ebpf_prog_spec_autoload(const struct ebpf_prog_spec *p) { return p->autoload; }
void ebpf_prog_spec_set_autoload(struct ebpf_prog_spec *p, bool on) { p->autoload = on; }

void ebpf_prog_spec_set_type(struct ebpf_prog_spec *p, int type, int eat)
{
    p->type = type;
    p->eat = eat;
}

size_t ebpf_spec_var_count(const struct ebpf_spec *s) { return s->nvar; }

const char *ebpf_spec_var_at(const struct ebpf_spec *s, size_t i, struct ebpf_map_spec **map, uint32_t *offset,
                             uint32_t *size, uint32_t *type)
{
    if (i >= s->nvar)
        return NULL;
    const struct evar *v = &s->vars[i];
    if (map)
        *map = s->maps[v->map];
    if (offset)
        *offset = v->off;
    if (size)
        *size = v->size;
    if (type)
        *type = v->btf_type;
    return v->name;
}

int ebpf_spec_var_find(const struct ebpf_spec *s, const char *name)
{
    for (size_t i = 0; i < s->nvar; i++)
        if (strcmp(s->vars[i].name, name) == 0)
            return (int)i;
    return -1;
}

int ebpf_spec_var_set(struct ebpf_spec *s, size_t i, const void *data, size_t size)
{
    if (i >= s->nvar)
        return ebpf_err(ENOENT, "set", "object '%s': no variable %zu", s->name, i);
    struct evar *v = &s->vars[i];
    struct ebpf_map_spec *m = s->maps[v->map];
    if (size != v->size)
        return ebpf_err(EINVAL, "set", "variable '%s': expected %u bytes, got %zu", v->name, v->size, size);
    if (!m->data) { /* .bss: give it an initial image */
        m->data = calloc(1, m->value_size);
        if (!m->data)
            return ebpf_err(ENOMEM, "set", "variable '%s': out of memory", v->name);
        m->data_size = m->value_size;
    }
    memcpy((char *)m->data + v->off, data, size);
    return 0;
}

const struct bpf_insn *ebpf_prog_spec_insns(const struct ebpf_prog_spec *p, size_t *cnt)
{
    const struct efunc *f = &p->owner->funcs[p->func];
    *cnt = f->cnt;
    return p->owner->secs[f->sec].insns + f->off;
}
