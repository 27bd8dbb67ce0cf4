/* ebpf.btf and ebpf.btf_type userdata, shared with other binding files
 * (the ELF loader hands out its BTF, maps install BTF codecs). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "ebpf/btf.h"
#include "lcommon.h"

#define EBPF_BTF_MT "ebpf.btf"
#define EBPF_BTF_TYPE_MT "ebpf.btf_type"

typedef struct {
    struct ebpf_btf *b; /* NULL when closed */
    uint8_t owned;      /* freed on close (not for the shared kernel BTF) */
} lbtf;

typedef struct {
    uint32_t id;
} lbtf_type;

/* Checks arg idx is an open ebpf.btf. */
lbtf *ebpf_lua_tobtf(lua_State *L, int idx);
/* Pushes a new ebpf.btf for b (owned: freed at close/gc). b NULL pushes
 * nothing and returns NULL. parent_idx (0: none) is kept alive with it
 * (the base of a split BTF, or the object that owns b). */
lbtf *ebpf_lua_push_btf(lua_State *L, struct ebpf_btf *b, int owned, int parent_idx);
/* Pushes the type id of the ebpf.btf at btf_idx. */
void ebpf_lua_push_btf_type(lua_State *L, int btf_idx, uint32_t id);
/* The BTF and id of the type at idx (raises if not a type / btf closed). */
const struct ebpf_btf *ebpf_lua_check_btf_type(lua_State *L, int idx, uint32_t *id);
/* Installs the value codec of types key_id / value_id (0: none) of the
 * ebpf.btf at btf_idx on the ebpf.map at map_idx (map:set_codec). */
void ebpf_lua_btf_install_codec(lua_State *L, int map_idx, int btf_idx, uint32_t key_id, uint32_t value_id);

/* Decoders compiled once per type (lbtf_plan.c): a flat struct/union of
 * plain members gets a plan, other types NULL (use type:decode). A plan
 * holds no reference to the BTF. plan_push pushes the table type:decode
 * would give for data (raises if size is short). */
struct lbtf_plan;
struct lbtf_plan *ebpf_lua_btf_plan(const struct ebpf_btf *b, uint32_t id);
void ebpf_lua_btf_plan_free(struct lbtf_plan *p);
void ebpf_lua_btf_plan_push(lua_State *L, const struct lbtf_plan *p, const void *data, size_t size);

/* A 1-byte integer (through typedefs): what byte arrays are made of. */
bool ebpf_lua_btf_is_byte(const struct ebpf_btf *b, uint32_t id);
/* Plain `char` (or an explicit CHAR encoding): only arrays of it are C
 * strings cut at the first NUL; other byte arrays keep all their bytes. */
bool ebpf_lua_btf_is_text_char(const struct ebpf_btf *b, uint32_t id);

/* Values <-> bytes through a BTF type, for any owner of a struct ebpf_btf
 * (type:encode/decode, object globals, collection map codecs): encodes the
 * Lua value at idx into buf (size bytes, zeroed first), errors prefixed
 * with `what` (NULL: "btf encode"); decodes pushes the value at p. */
void ebpf_lua_btf_encode_into(lua_State *L, int idx, const struct ebpf_btf *b, uint32_t id, unsigned char *buf,
                              size_t size, const char *what);
void ebpf_lua_btf_decode_from(lua_State *L, const struct ebpf_btf *b, uint32_t id, const unsigned char *p,
                              size_t size);
