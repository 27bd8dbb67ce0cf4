/* ebpf.spec / ebpf.collection (ELF objects) and their BTF value codec. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "lcommon.h"

#define EBPF_SPEC_MT "ebpf.spec"
#define EBPF_COLL_MT "ebpf.collection"

struct ebpf_btf;
/* Pushes the Lua value of `size` bytes at p of BTF type id. */
void elf_codec_decode(lua_State *L, const struct ebpf_btf *b, uint32_t id, const unsigned char *p, size_t size, int depth);
/* Encodes the value at idx into p (size bytes, zero-filled by the caller
 * for partial tables); raises naming `what` on a mismatch. */
void elf_codec_encode(lua_State *L, int idx, const struct ebpf_btf *b, uint32_t id, unsigned char *p, size_t size,
                      const char *what, int depth);
