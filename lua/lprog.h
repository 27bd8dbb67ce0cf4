/* ebpf.program userdata, shared with other binding files. */
#pragma once
#include "ebpf/prog.h"
#include "lcommon.h"

#define LPROG_UV_PARENT 1 /* object keeping this program alive */
#define LPROG_UV_EXTRA 2  /* free slot for attach layers (e.g. section info) */
#define LPROG_NUV 2

#define LPROG_MAGIC 0x70726f67u /* "prog", see ebpf_lua_checkmagic */

typedef struct {
    uint32_t magic;
    struct ebpf_prog *p; /* NULL when closed */
} lprog;

lprog *ebpf_lua_toprog(lua_State *L, int idx);
/* Pushes a new ebpf.program owning p; if p is NULL pushes nothing and
 * returns NULL. */
lprog *ebpf_lua_push_prog(lua_State *L, struct ebpf_prog *p);
/* Gets instruction bytes from the value at idx: a string (length a
 * multiple of 8) or an object with a tobytes() method (ebpf.asm lists).
 * Pushes the bytes string and returns its pointer and count. */
const void *ebpf_lua_insns(lua_State *L, int idx, size_t *cnt);
/* lprog_lines.c: program:line_info() and program:func_info(). */
int ebpf_lua_prog_line_info(lua_State *L);
int ebpf_lua_prog_func_info(lua_State *L);
