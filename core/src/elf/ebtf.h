/* A small read-only BTF view used by the object loader: the object's own
 * .BTF and the kernel's (vmlinux + modules, split BTF). Types are indexed
 * once; names are looked up through a hash built on first use. */
#pragma once
#include <linux/btf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ebpf_btf;

struct ebtf {
    const struct ebtf *base;  /* split BTF: the vmlinux it extends */
    const struct ebpf_btf *ext; /* backed by the library's kernel BTF (ebpf_btf_kernel): its
                                 * index and name hash are used, nothing is re-indexed */
    unsigned char *data; size_t size; bool owned;
    const char *strs; uint32_t str_len;
    const struct btf_type **types; /* index: id - start_id */
    uint32_t start_id, ntypes;     /* ids [start_id, start_id + ntypes) */
    uint32_t start_str;
    uint32_t *hash; uint32_t *chain; uint32_t hcap; /* name -> ids */
    int fd;                    /* unused (-1): module fds are opened per load */
    char *mod_name;
};

/* Parses raw BTF; copy=false borrows data (must outlive the view). base
 * (may be NULL) makes it split BTF. Returns 0 or -errno with a message in
 * *err (static string). */
int ebtf_init(struct ebtf *b, const void *data, size_t size, bool copy, const struct ebtf *base, const char **err);
void ebtf_release(struct ebtf *b);
/* Total ids (last id + 1), including the base. */
uint32_t ebtf_nr(const struct ebtf *b);
const struct btf_type *ebtf_type(const struct ebtf *b, uint32_t id);
const char *ebtf_str(const struct ebtf *b, uint32_t off);
static inline int ebtf_kind(const struct btf_type *t) { return BTF_INFO_KIND(t->info); }
static inline int ebtf_vlen(const struct btf_type *t) { return BTF_INFO_VLEN(t->info); }
/* Skips typedef, const, volatile, restrict, type tags; *out_id gets the id
 * (0 when the chain is broken and NULL is returned). */
const struct btf_type *ebtf_skip_mods(const struct ebtf *b, uint32_t id, uint32_t *out_id);
/* Size in bytes of a type (resolving modifiers, arrays), or -EINVAL. */
int64_t ebtf_size(const struct ebtf *b, uint32_t id);
/* Ids whose name is `name` (exactly): first via ebtf_find_first, then
 * ebtf_find_next; 0 at the end. kind < 0: any kind. */
uint32_t ebtf_find_first(const struct ebtf *b, const char *name, int kind);
uint32_t ebtf_find_next(const struct ebtf *b, uint32_t prev, const char *name, int kind);
/* Ids whose name, up to "___" suffixes, equals name[0..len): calls fn for
 * each (candidate search for CO-RE); stops when fn returns non-zero. */
int ebtf_for_each_essential(const struct ebtf *b, const char *name, size_t len, int kind,
                            int (*fn)(void *ctx, uint32_t id), void *ctx);
/* Length of a name without its ___flavor suffix. */
size_t ebtf_essential_len(const char *name);
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

/* Process-wide kernel BTF (vmlinux), parsed once; path NULL: default
 * /sys/kernel/btf/vmlinux. Other paths are parsed per call and must be
 * released by ebtf_kernel_put. Returns NULL + message on failure. */
const struct ebtf *ebtf_kernel_get(const char *path, const char **err);
void ebtf_kernel_put(const struct ebtf *b);
/* Module BTFs (split on vmlinux), loaded on first use with their kernel
 * BTF object fds; n in *count. Process-wide cache. */
struct ebtf *const *ebtf_kernel_modules(size_t *count);
/* A new fd of a module's kernel BTF object (the caller closes it). */
int ebtf_module_fd_open(const struct ebtf *m);
