/* ebpf.spec / ebpf.collection (ELF objects) and their BTF value codec. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "lcommon.h"

#define EBPF_SPEC_MT "ebpf.spec"
#define EBPF_COLL_MT "ebpf.collection"

struct ebpf_btf;
/* Pushes the Lua value of `size` bytes at p of BTF type id (raw bytes for
 * a type without a decodable shape). */
void elf_codec_decode(lua_State *L, const struct ebpf_btf *b, uint32_t id, const unsigned char *p, size_t size);
/* Encodes the value at idx into p (size bytes, zeroed first: fields a table
 * leaves out are 0); raises naming `what` on a mismatch, an unknown field
 * or a value out of its field's range. */
void elf_codec_encode(lua_State *L, int idx, const struct ebpf_btf *b, uint32_t id, unsigned char *p, size_t size,
                      const char *what);
