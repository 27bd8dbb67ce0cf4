/* Decoders compiled once per BTF type, for paths that decode many values
 * of one type (event readers): a flat struct or union of plain members
 * (byte-aligned integers, enums, pointers, bools, floats, char arrays)
 * becomes a list of (name, offset, size, how) steps, so a record is decoded
 * with no BTF lookups and no intermediate string. The result is the same
 * table type:decode(bytes) gives; other types have no plan and go through
 * the general decoder. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbtf.h"

enum { ST_UINT, ST_SINT, ST_BOOL, ST_F32, ST_F64, ST_CHARS, ST_BYTES };

struct step {
    const char *name; /* into the plan's own copy: stable key pointers */
    uint32_t off, size;
    uint8_t how;
};

struct lbtf_plan {
    int n;
    size_t need;     /* the type's size */
    char *names;     /* the names, back to back */
    char tname[64];  /* for the size message */
    struct step steps[];
};

#define PLAN_MAX_STEPS 64


/* The step for one member, or -1 if it needs the general decoder. */
static int member_step(const struct ebpf_btf *b, const struct ebpf_btf_member *m, struct step *st)
{
    if (!*m->name || m->bitfield_size || m->bit_offset % 8)
        return -1;
    uint32_t r = ebpf_btf_resolve(b, m->type);
    int kind = ebpf_btf_kind(b, r);
    int64_t sz = ebpf_btf_sizeof(b, r);
    if (sz <= 0)
        return -1;
    st->off = m->bit_offset / 8;
    st->size = (uint32_t)sz;
    switch (kind) {
    case BTF_KIND_INT: {
        struct ebpf_btf_int_info ii;
        if (ebpf_btf_int(b, r, &ii) < 0 || ii.offset || ii.bits != sz * 8)
            return -1;
        if (sz != 1 && sz != 2 && sz != 4 && sz != 8)
            return -1;
        st->how = (ii.encoding & BTF_INT_BOOL) ? ST_BOOL : ebpf_btf_is_signed(b, r) ? ST_SINT : ST_UINT;
        return 0;
    }
    case BTF_KIND_ENUM: case BTF_KIND_ENUM64: case BTF_KIND_PTR:
        if (sz != 1 && sz != 2 && sz != 4 && sz != 8)
            return -1;
        st->how = ebpf_btf_is_signed(b, r) ? ST_SINT : ST_UINT;
        return 0;
    case BTF_KIND_FLOAT:
        if (sz != 4 && sz != 8)
            return -1;
        st->how = sz == 4 ? ST_F32 : ST_F64;
        return 0;
    case BTF_KIND_ARRAY: {
        struct ebpf_btf_array_info a;
        if (ebpf_btf_array(b, r, &a) < 0 || !ebpf_lua_btf_is_byte(b, a.type))
            return -1;
        st->how = ebpf_lua_btf_is_text_char(b, a.type) ? ST_CHARS : ST_BYTES; /* as the general decoder */
        return 0;
    }
    default:
        return -1;
    }
}

struct lbtf_plan *ebpf_lua_btf_plan(const struct ebpf_btf *b, uint32_t id)
{
    uint32_t r = ebpf_btf_resolve(b, id);
    int kind = ebpf_btf_kind(b, r);
    if (kind != BTF_KIND_STRUCT && kind != BTF_KIND_UNION)
        return NULL;
    int64_t size = ebpf_btf_sizeof(b, r);
    int n = ebpf_btf_vlen(b, r);
    if (size <= 0 || n < 1 || n > PLAN_MAX_STEPS)
        return NULL;
    struct step steps[PLAN_MAX_STEPS];
    size_t names_len = 0;
    for (int i = 0; i < n; i++) {
        struct ebpf_btf_member m;
        if (ebpf_btf_member(b, r, (uint32_t)i, &m) < 0 || member_step(b, &m, &steps[i]) < 0)
            return NULL;
        if ((uint64_t)steps[i].off + steps[i].size > (uint64_t)size)
            return NULL; /* malformed: the general decoder reports it */
        steps[i].name = m.name;
        names_len += strlen(m.name) + 1;
    }
    struct lbtf_plan *p = malloc(sizeof(*p) + (size_t)n * sizeof(struct step));
    char *names = malloc(names_len);
    if (!p || !names) {
        free(p);
        free(names);
        return NULL;
    }
    p->n = n;
    p->need = (size_t)size;
    p->names = names;
    const char *tn = ebpf_btf_name(b, r);
    snprintf(p->tname, sizeof(p->tname), "%s", tn && *tn ? tn : "(anon)");
    for (int i = 0; i < n; i++) {
        size_t l = strlen(steps[i].name) + 1;
        memcpy(names, steps[i].name, l);
        p->steps[i] = steps[i];
        p->steps[i].name = names;
        names += l;
    }
    return p;
}

void ebpf_lua_btf_plan_free(struct lbtf_plan *p)
{
    if (!p)
        return;
    free(p->names);
    free(p);
}

static inline uint64_t rd(const uint8_t *q, uint32_t size)
{
    switch (size) {
    case 1: return q[0];
    case 2: { uint16_t v; memcpy(&v, q, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, q, 4); return v; }
    default: { uint64_t v; memcpy(&v, q, 8); return v; }
    }
}

void ebpf_lua_btf_plan_push(lua_State *L, const struct lbtf_plan *p, const void *data, size_t size)
{
    if (size < p->need)
        luaL_error(L, "btf decode: type %s needs %d bytes, got %d", p->tname, (int)p->need, (int)size);
    const uint8_t *d = data;
    lua_createtable(L, 0, p->n);
    for (const struct step *s = p->steps, *e = s + p->n; s < e; s++) {
        const uint8_t *q = d + s->off;
        switch (s->how) {
        case ST_UINT:
            lua_pushinteger(L, (lua_Integer)rd(q, s->size));
            break;
        case ST_SINT: {
            uint64_t v = rd(q, s->size);
            if (s->size < 8) {
                uint64_t sign = (uint64_t)1 << (s->size * 8 - 1);
                v = (v ^ sign) - sign;
            }
            lua_pushinteger(L, (lua_Integer)v);
            break;
        }
        case ST_BOOL:
            lua_pushboolean(L, rd(q, s->size) != 0);
            break;
        case ST_F32: {
            float f;
            memcpy(&f, q, 4);
            lua_pushnumber(L, (lua_Number)f);
            break;
        }
        case ST_F64: {
            double f;
            memcpy(&f, q, 8);
            lua_pushnumber(L, (lua_Number)f);
            break;
        }
        case ST_BYTES:
            lua_pushlstring(L, (const char *)q, s->size);
            break;
        default:
            lua_pushlstring(L, (const char *)q, strnlen((const char *)q, s->size));
        }
        lua_setfield(L, -2, s->name);
    }
}
