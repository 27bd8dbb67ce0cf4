/* Internal layout of struct ebpf_btf, shared by the btf_*.c files. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpf/btf.h"

enum btf_storage {
    BTF_STORE_NONE,   /* nothing owned (empty builder) */
    BTF_STORE_MALLOC, /* blob is malloc'd */
    BTF_STORE_MMAP,   /* blob is mmapped (kernel sysfs) */
};

struct ebpf_btf {
    const struct ebpf_btf *base;
    uint32_t start_id;   /* first own id */
    uint32_t start_str;  /* first own string offset (base's total) */
    uint32_t nr;         /* own types */

    /* One contiguous blob (header + types + strings) while read-only. */
    void *blob;
    size_t blob_size;
    enum btf_storage storage;

    const char *types;   /* own type records */
    uint32_t types_len;
    const char *strs;    /* own strings */
    uint32_t strs_len;

    /* idx[i].off: offset of own type start_id+i in types; idx[i].next and
     * buckets[h & mask] hold 1 + own index of the next / first type of a
     * name-hash chain (0 ends). Offsets and links share one array so the
     * parse touches as few pages as possible. */
    struct btf_idx { uint32_t off, next; } *idx;
    uint32_t idx_cap;
    uint32_t *buckets;   /* parsed BTF: NULL until lookups need it (btf.c) */
    uint32_t nbuckets;   /* power of two */
    uint64_t scanned;    /* types walked by lookups made without buckets */
    void *idx_map;       /* parse: one mmap holding idx and room for buckets */
    uint32_t *map_buckets; /* that room (buckets == map_buckets: not malloc'd) */
    uint32_t map_nbuckets;
    size_t idx_map_size;

    /* Writable mode (builder): types and strings in growable buffers. */
    bool writable;
    char *wtypes; size_t wtypes_cap;
    char *wstrs; size_t wstrs_cap;
    uint32_t *sbuckets;  /* string dedup: 1 + string offset, open addressing */
    uint32_t snbuckets, snused;
    uint32_t last;       /* id of the type added last (for members etc.) */

    /* Raw blob cache for writable BTF (ebpf_btf_raw). */
    void *raw;
    size_t raw_size;

    /* Kernel side. */
    int fd;
    uint32_t kid;
    bool is_kernel;
    bool cached;         /* the process-wide vmlinux: free is a no-op */
    char kname[64];
};

/* Size in bytes of the data following a btf_type of this kind/vlen; -1 if
 * the kind is unknown. */
long btf_extra_size(uint32_t info);
/* Raw BTF of the other byte order (magic 0x9FEB)? */
bool btf_is_swapped(const void *blob, size_t size);
/* Converts such BTF to host order in place; 0, or -EINVAL with *why. */
int btf_bswap(void *blob, size_t size, const char **why);
/* The id's record without bounds messages (NULL if out of range). */
static inline const struct btf_type *btf_t(const struct ebpf_btf *b, uint32_t id)
{
    while (id < b->start_id) {
        if (!b->base)
            return NULL;
        b = b->base;
    }
    if (id == 0 || id - b->start_id >= b->nr)
        return NULL;
    return (const struct btf_type *)(b->types + b->idx[id - b->start_id].off);
}
static inline uint32_t btf_kind_of(const struct btf_type *t) { return BTF_INFO_KIND(t->info); }
static inline uint32_t btf_vlen_of(const struct btf_type *t) { return BTF_INFO_VLEN(t->info); }
static inline bool btf_kflag_of(const struct btf_type *t) { return BTF_INFO_KFLAG(t->info); }

/* Name hash shared by the index and lookups. */
uint32_t btf_name_hash(const char *s, const char *end);
/* Parses blob (ownership moves in per storage) into a new BTF. */
struct ebpf_btf *btf_parse_blob(void *blob, size_t size, enum btf_storage storage, const struct ebpf_btf *base,
                                const char *what);
/* Makes a parsed BTF writable (copies types/strings). 0 or -errno. */
int btf_make_writable(struct ebpf_btf *b);
/* Inserts own index i into the name index (growing it as needed). */
int btf_index_add(struct ebpf_btf *b, uint32_t i);
/* Appends a type record + extra bytes; returns the new id or -errno. */
int64_t btf_append(struct ebpf_btf *b, const struct btf_type *t, const void *extra, size_t extra_len);

/* A growable string (for declarations, the dumper and value text). */
struct btf_sb {
    char *s;
    size_t len, cap;
    bool oom;
};
void sb_put(struct btf_sb *sb, const char *s, size_t n);
void sb_puts(struct btf_sb *sb, const char *s);
void sb_printf(struct btf_sb *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_free(struct btf_sb *sb);

/* Writes the base type of a declaration (struct/union/enum/typedef/int
 * name, or an inline body for anonymous types in the dumper). */
typedef void (*btf_base_fn)(void *ctx, struct btf_sb *sb, uint32_t id);
/* Appends the C declaration of id with declarator name (may be ""/NULL)
 * to sb. Returns 0 or -errno (cycle, bad id). */
int btf_decl_sb(const struct ebpf_btf *b, uint32_t id, const char *name, struct btf_sb *sb, btf_base_fn base,
                void *ctx);
/* Max hops through reference chains before declaring a cycle. */
#define BTF_MAX_CHAIN 64
/* Moves the index from the parse mmap to malloc'd arrays with room for
 * at least cap types (builder). 0 or -ENOMEM. */
int btf_index_to_heap(struct ebpf_btf *b, uint32_t cap);
/* Kernel BTF file: mmapped where possible, else read once. */
struct ebpf_btf *btf_load_kernel_file(const char *path, const struct ebpf_btf *base);
/* Module BTFs of /sys/kernel/btf (split on ebpf_btf_kernel()), read on
 * first use and cached per process like vmlinux; n in *count. */
struct ebpf_btf *const *btf_kernel_modules(size_t *count);
/* BPF_OBJ_GET_INFO of a BTF object with its name (name[0..name_len),
 * NUL-terminated): kernels before 5.11 refuse the name and kernel_btf
 * fields with E2BIG, so it retries without them (name stays ""). -errno. */
struct bpf_btf_info;
int btf_obj_info(int fd, struct bpf_btf_info *info, char *name, uint32_t name_len);
/* Alignment C gives the type as the dumper writes it (no inference of
 * __aligned attributes from gaps, which the dumper writes as padding). */
int64_t btf_align_natural(const struct ebpf_btf *b, uint32_t id);
/* Section `name` of an ELF file (fd >= 0) or in-memory image, malloc'd
 * into *out. 0, -ENOENT if absent (message set), or -errno. */
int btf_elf_section(int fd, const void *image, size_t image_size, const char *path, const char *name, void **out,
                    size_t *size);
