/* The object loader's BTF helpers: thin inlines over the library's
 * struct ebpf_btf, so that the object's .BTF, vmlinux and module BTF share
 * one parser, one index and one kernel/module cache (btf.c, btf_kernel.c). */
#pragma once
#include <linux/btf.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../btf/btf_internal.h"
#include "ebpf/btf.h"

/* Total ids (last id + 1), including the base. */
static inline uint32_t ebtf_nr(const struct ebpf_btf *b) { return ebpf_btf_type_cnt(b); }
/* The record of id; void (0) is an all-zero record, an id out of range NULL. */
static inline const struct btf_type *ebtf_type(const struct ebpf_btf *b, uint32_t id)
{
    static const struct btf_type void_type;
    return id ? btf_t(b, id) : &void_type;
}
/* The string at off; "" when out of bounds. */
static inline const char *ebtf_str(const struct ebpf_btf *b, uint32_t off)
{
    const char *s = ebpf_btf_str(b, off);
    return s ? s : "";
}
static inline int ebtf_kind(const struct btf_type *t) { return BTF_INFO_KIND(t->info); }
static inline int ebtf_vlen(const struct btf_type *t) { return BTF_INFO_VLEN(t->info); }
/* Skips typedef, const, volatile, restrict, type tags; *out_id gets the id
 * (0 when the chain is broken and NULL is returned). */
static inline const struct btf_type *ebtf_skip_mods(const struct ebpf_btf *b, uint32_t id, uint32_t *out_id)
{
    id = ebpf_btf_resolve(b, id);
    const struct btf_type *t = ebtf_type(b, id);
    int k = t ? ebtf_kind(t) : BTF_KIND_TYPEDEF;
    bool chain = k == BTF_KIND_TYPEDEF || k == BTF_KIND_CONST || k == BTF_KIND_VOLATILE ||
                 k == BTF_KIND_RESTRICT || k == BTF_KIND_TYPE_TAG; /* broken or too long */
    if (out_id)
        *out_id = chain ? 0 : id;
    return chain ? NULL : t;
}
/* The lowest id named `name` (exactly) after `after`, 0 if none. Searches
 * the base too: ebtf_find_own keeps to a split BTF's own types. */
static inline uint32_t ebtf_find_next(const struct ebpf_btf *b, uint32_t after, const char *name, int kind)
{
    int64_t id = ebpf_btf_find_next(b, name, kind, after);
    return id > 0 ? (uint32_t)id : 0;
}
static inline uint32_t ebtf_find_first(const struct ebpf_btf *b, const char *name, int kind)
{
    return ebtf_find_next(b, 0, name, kind);
}
/* A module's own type named `name` (not its base's), 0 if none. */
static inline uint32_t ebtf_find_own(const struct ebpf_btf *b, const char *name, int kind)
{
    return ebtf_find_next(b, ebpf_btf_start_id(b) - 1, name, kind);
}
/* Length of a name without its ___flavour suffix: the last "x___y"
 * separator starts it. */
static inline size_t ebtf_essential_len(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = n >= 4 ? n - 4 : 0; i >= 1; i--)
        if (name[i - 1] != '_' && name[i] == '_' && name[i + 1] == '_' && name[i + 2] == '_' &&
            name[i + 3] && name[i + 3] != '_')
            return i;
    return n;
}
/* Members of struct/union, params of func_proto, enum values: raw access. */
static inline const struct btf_member *ebtf_members(const struct btf_type *t) { return (const struct btf_member *)(t + 1); }
static inline const struct btf_enum *ebtf_enums(const struct btf_type *t) { return (const struct btf_enum *)(t + 1); }
static inline const struct btf_enum64 *ebtf_enums64(const struct btf_type *t) { return (const struct btf_enum64 *)(t + 1); }
static inline const struct btf_param *ebtf_params(const struct btf_type *t) { return (const struct btf_param *)(t + 1); }
static inline const struct btf_array *ebtf_array(const struct btf_type *t) { return (const struct btf_array *)(t + 1); }
static inline const struct btf_var_secinfo *ebtf_secinfos(const struct btf_type *t) { return (const struct btf_var_secinfo *)(t + 1); }
static inline uint32_t ebtf_member_bit_off(const struct btf_type *t, const struct btf_member *m)
{
    return BTF_INFO_KFLAG(t->info) ? BTF_MEMBER_BIT_OFFSET(m->offset) : m->offset;
}
static inline uint32_t ebtf_member_bitfield_size(const struct btf_type *t, const struct btf_member *m)
{
    return BTF_INFO_KFLAG(t->info) ? BTF_MEMBER_BITFIELD_SIZE(m->offset) : 0;
}
