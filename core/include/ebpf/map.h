/* BPF maps: create, open (pinned / id / fd), element operations, batches,
 * pinning and info. An ebpf_map owns one fd. */
#pragma once
#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpf/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ebpf_map;

struct ebpf_map_create_opts {
    const char *name;          /* may be NULL; truncated to 15 chars for the kernel */
    int type;                  /* BPF_MAP_TYPE_* */
    uint32_t key_size;
    uint32_t value_size;
    uint32_t max_entries;
    uint32_t flags;            /* BPF_F_* */
    int numa_node;             /* < 0: none */
    int inner_map_fd;          /* < 0: none (map-in-map template) */
    uint64_t map_extra;        /* bloom filter hashes, arena address */
    int btf_fd;                /* < 0: no BTF */
    uint32_t btf_key_type_id;
    uint32_t btf_value_type_id;
    uint32_t btf_vmlinux_value_type_id;
    uint32_t ifindex;          /* offload device, 0: none */
    int value_type_btf_obj_fd; /* struct_ops: module BTF fd of the value type, used with
                                * flag BPF_F_VTYPE_BTF_OBJ_FD (1 << 15, 6.9+) */
    int token_fd;              /* > 0: a BPF token (ebpf/token.h); 0: the default token, if any */
};

/* Fills opts with the neutral defaults (no numa, no inner map, no BTF). */
EBPF_API void ebpf_map_create_opts_init(struct ebpf_map_create_opts *opts);
EBPF_API struct ebpf_map *ebpf_map_create(const struct ebpf_map_create_opts *opts);
/* Wraps an existing map fd (ownership moves to the map); reads its info.
 * An fd of a program, link or BTF is refused (EINVAL), here and in
 * open_pinned: the kernel's info command alone would not tell. */
EBPF_API struct ebpf_map *ebpf_map_from_fd(int fd);
EBPF_API struct ebpf_map *ebpf_map_open_pinned(const char *path);
EBPF_API struct ebpf_map *ebpf_map_open_id(uint32_t id);
/* A second handle on the same kernel map (dup'ed fd). */
EBPF_API struct ebpf_map *ebpf_map_clone(const struct ebpf_map *m);
/* Closes the fd and frees; NULL-safe. */
EBPF_API void ebpf_map_close(struct ebpf_map *m);

EBPF_API int ebpf_map_fd(const struct ebpf_map *m);
EBPF_API int ebpf_map_type(const struct ebpf_map *m);
EBPF_API uint32_t ebpf_map_key_size(const struct ebpf_map *m);
EBPF_API uint32_t ebpf_map_value_size(const struct ebpf_map *m);
EBPF_API uint32_t ebpf_map_max_entries(const struct ebpf_map *m);
EBPF_API uint32_t ebpf_map_flags(const struct ebpf_map *m);
EBPF_API uint32_t ebpf_map_id(const struct ebpf_map *m);
EBPF_API const char *ebpf_map_name(const struct ebpf_map *m);
EBPF_API uint32_t ebpf_map_btf_key_type_id(const struct ebpf_map *m);
EBPF_API uint32_t ebpf_map_btf_value_type_id(const struct ebpf_map *m);
EBPF_API uint32_t ebpf_map_btf_id(const struct ebpf_map *m);
/* True for per-CPU maps, whose values hold one slot per possible CPU. */
EBPF_API bool ebpf_map_is_percpu(const struct ebpf_map *m);
/* Bytes of a value buffer for lookup/update: value_size, or for per-CPU
 * maps round_up(value_size, 8) * possible CPUs. */
EBPF_API size_t ebpf_map_value_buf_size(const struct ebpf_map *m);
/* True for maps without keys (queue, stack, bloom filter). */
EBPF_API bool ebpf_map_is_keyless(const struct ebpf_map *m);

/* Element operations. Return 0, -ENOENT when absent (not an error, no
 * message), or -errno. flags: BPF_ANY, BPF_NOEXIST, BPF_EXIST, BPF_F_LOCK. */
EBPF_API int ebpf_map_lookup(const struct ebpf_map *m, const void *key, void *value, uint64_t flags);
EBPF_API int ebpf_map_update(const struct ebpf_map *m, const void *key, const void *value, uint64_t flags);
EBPF_API int ebpf_map_delete(const struct ebpf_map *m, const void *key);
EBPF_API int ebpf_map_lookup_and_delete(const struct ebpf_map *m, const void *key, void *value, uint64_t flags);
/* key NULL: first key. */
EBPF_API int ebpf_map_next_key(const struct ebpf_map *m, const void *key, void *next_key);
EBPF_API int ebpf_map_freeze(const struct ebpf_map *m);
/* BPF_MAP_TYPE_ARENA (6.9), newer than Debian 12's <linux/bpf.h>. */
#define EBPF_MAP_TYPE_ARENA 33
/* An arena map's memory (6.9+), mapped into this process on the first
 * call at the map's fixed address (map_extra) or where the kernel puts
 * it; unmapped when the map closes. NULL with a message on failure. */
EBPF_API void *ebpf_map_arena(struct ebpf_map *m, size_t *size);

/* Batches. in_batch NULL starts; out_batch receives a token of
 * ebpf_map_batch_token_size() bytes. *count is in/out. Returns 0, -ENOENT
 * when the map is exhausted (*count may still be > 0), or -errno. */
EBPF_API size_t ebpf_map_batch_token_size(const struct ebpf_map *m);
EBPF_API int ebpf_map_lookup_batch(const struct ebpf_map *m, const void *in_batch, void *out_batch,
                                   void *keys, void *values, uint32_t *count, uint64_t elem_flags);
EBPF_API int ebpf_map_lookup_and_delete_batch(const struct ebpf_map *m, const void *in_batch, void *out_batch,
                                              void *keys, void *values, uint32_t *count, uint64_t elem_flags);
EBPF_API int ebpf_map_update_batch(const struct ebpf_map *m, const void *keys, const void *values,
                                   uint32_t *count, uint64_t elem_flags);
EBPF_API int ebpf_map_delete_batch(const struct ebpf_map *m, const void *keys, uint32_t *count,
                                   uint64_t elem_flags);

EBPF_API int ebpf_map_pin(const struct ebpf_map *m, const char *path);
EBPF_API int ebpf_map_unpin(const char *path);
/* Kernel's view; info is zeroed first. */
EBPF_API int ebpf_map_get_info(const struct ebpf_map *m, struct bpf_map_info *info);

#ifdef __cplusplus
}
#endif
