/* ebpf.map userdata, shared with other binding files (programs take maps
 * for map-in-map / asm references; BTF installs codecs). */
#pragma once
#include <stdint.h>

#include "ebpf/map.h"
#include "lcommon.h"

/* User value slots of an ebpf.map userdata. */
#define LMAP_UV_PARENT 1 /* object keeping this map alive (collection) */
#define LMAP_UV_CODEC 2  /* BTF codec: {key=type, value=type} or nil */
#define LMAP_NUV 2

#define LMAP_MAGIC 0x6d617073u /* "maps", see ebpf_lua_checkmagic */

typedef struct {
    uint32_t magic;
    struct ebpf_map *m; /* NULL when closed */
    int type;
    uint32_t ksz, vsz;  /* key and value size */
    uint32_t vbuf;      /* bytes of a value buffer (per-CPU: all CPUs) */
    uint32_t vstride;   /* per-CPU: bytes per CPU slot */
    int ncpu;           /* per-CPU: possible CPUs */
    uint8_t percpu, keyless, holds_progs, holds_maps, has_codec, borrowed;
    uint8_t bytes_keys; /* keys are structs (lpm_trie): always strings */
    /* Keys and values are plain integers of 1/2/4/8 bytes (not per-CPU,
     * no handles): m[k] takes the short way when no codec is installed. */
    uint8_t scalar;
} lmap;

/* Checks arg idx is an open ebpf.map (raises otherwise). */
lmap *ebpf_lua_tomap(lua_State *L, int idx);
/* Pushes a new ebpf.map owning m (m may be NULL: pushes nothing, returns
 * NULL). The userdata is created before m is attached, so no leak on OOM. */
lmap *ebpf_lua_push_map(lua_State *L, struct ebpf_map *m);

/* Arena maps' memory (lmap_arena.c): m:arena_read/arena_write/arena_base. */
int ebpf_lua_map_arena_read(lua_State *L);
int ebpf_lua_map_arena_write(lua_State *L);
int ebpf_lua_map_arena_base(lua_State *L);
