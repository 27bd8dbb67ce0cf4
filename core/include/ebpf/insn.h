/* BPF instructions: a decoded model of `struct bpf_insn` byte streams that
 * round-trips exactly, the whole ISA of the kernel's instruction-set
 * document (v1-v4: sign-extending moves and loads, signed div/mod, bswap,
 * gotol, may_goto, atomics incl. load-acquire/store-release, LD_ABS/IND,
 * pseudo calls, kfuncs, every ld_imm64 pseudo source), a disassembler whose
 * text matches llvm-objdump's, and the helper id <-> name table generated
 * from the system's <linux/bpf.h>. */
#pragma once
#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpf/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ISA constants newer than some system headers (values from the kernel's
 * Documentation/bpf/standardization/instruction-set.rst). */
#ifndef BPF_MEMSX
#define BPF_MEMSX 0x80 /* sign-extending load (LDX mode) */
#endif
#ifndef BPF_JCOND
#define BPF_JCOND 0xe0 /* may_goto (JMP, src 0) */
#endif
#ifndef BPF_LOAD_ACQ
#define BPF_LOAD_ACQ 0x100 /* atomic imm: load-acquire */
#endif
#ifndef BPF_STORE_REL
#define BPF_STORE_REL 0x110 /* atomic imm: store-release */
#endif
#ifndef BPF_ADDR_SPACE_CAST
#define BPF_ADDR_SPACE_CAST 1 /* off of ALU64 MOV X: addr_space_cast */
#endif

/* One instruction. A 64-bit immediate load (code BPF_LD|BPF_IMM|BPF_DW)
 * spans two 8-byte slots and is one ebpf_insn with `wide` set; the second
 * slot's normally-zero fields are kept so that encoding gives back the very
 * same bytes. */
struct ebpf_insn {
    uint8_t code;    /* opcode byte */
    uint8_t dst;     /* 0..15 (valid: 0..10) */
    uint8_t src;     /* 0..15; for ld_imm64/call: the pseudo source */
    int16_t off;
    int64_t imm;     /* sign-extended 32-bit imm, or the 64-bit value of ld_imm64 */
    uint8_t wide;    /* 1: ld_imm64 (two slots) */
    uint8_t hi_regs; /* second slot: its dst/src byte (0 when valid) */
    int16_t hi_off;  /* second slot: its off (0 when valid) */
};

/* Number of 8-byte slots an opcode takes (2 for ld_imm64). */
EBPF_API int ebpf_insn_slots(uint8_t code);
/* Decodes one instruction at buf (len bytes available). Returns the number
 * of 8-byte slots consumed (1 or 2) or -EINVAL (with a message) if len is
 * too short. */
EBPF_API int ebpf_insn_decode(const void *buf, size_t len, struct ebpf_insn *out);
/* Encodes into buf (room for 16 bytes); returns the bytes written (8/16). */
EBPF_API size_t ebpf_insn_encode(const struct ebpf_insn *in, void *buf);
/* Counts the instructions in a byte stream; -EINVAL if len is not a
 * multiple of 8 or the last ld_imm64 is cut. */
EBPF_API long ebpf_insns_count(const void *buf, size_t len);
/* 1 if the instruction is a valid encoding of the ISA (opcode, reserved
 * fields, registers, sizes), 0 otherwise. */
EBPF_API int ebpf_insn_valid(const struct ebpf_insn *in);
/* 1 for a jump with a pc-relative target (conditional jumps, goto,
 * gotol, may_goto); *delta gets the offset in slots. */
EBPF_API int ebpf_insn_jump_delta(const struct ebpf_insn *in, int64_t *delta);

/* Disassembly flags. */
enum {
    /* llvm-objdump's default dialect: sub-64-bit loads/stores and 32-bit
     * atomics name 64-bit registers (rN); the default is its alu32 dialect
     * (wN, what `--mattr=+alu32` prints and clang -mcpu=v3+ emits). */
    EBPF_DISASM_NO_ALU32 = 1 << 0,
    EBPF_DISASM_NO_ADDR = 1 << 1,     /* no "  12: " prefix */
    EBPF_DISASM_NO_COMMENTS = 1 << 2, /* no "; ..." notes */
};

/* The instruction text as llvm-objdump -d --no-show-raw-insn prints it
 * ("r1 = 0x0 ll", "if r1 == r2 goto +0x3", "lock *(u64 *)(r1 + 0x0) += r2"),
 * "<unknown>" for invalid encodings. Writes at most n bytes (NUL included);
 * returns the length of the full text like snprintf. */
EBPF_API int ebpf_insn_format(const struct ebpf_insn *in, unsigned flags, char *buf, size_t n);
/* What llvm-objdump doesn't say, for a trailing comment: helper name,
 * jump target index (idx is this instruction's slot index), pseudo sources
 * (map fd, BTF id, subprogram), "" if nothing. Same return as above. */
EBPF_API int ebpf_insn_comment(const struct ebpf_insn *in, size_t idx, char *buf, size_t n);
/* Disassembles a byte stream, one line per instruction:
 * "   idx: text ; comment\n". Returns a malloc'd string (free() it) or NULL
 * with errno/message if len is not a multiple of 8 or out of memory. A cut
 * ld_imm64 at the end is shown as "<unknown>". */
EBPF_API char *ebpf_disasm(const void *buf, size_t len, unsigned flags);

/* Callers that know more (map names, CO-RE relocations, symbols) add their
 * own notes: `note` is called for each instruction with its slot index and
 * writes (snprintf-like) extra comment text, appended after the built-in
 * one; `base` is added to the printed indices (a function inside a
 * section). */
struct ebpf_disasm_opts {
    unsigned flags;
    size_t base;
    int (*note)(void *ctx, size_t idx, const struct ebpf_insn *in, char *buf, size_t n);
    void *ctx;
};
EBPF_API char *ebpf_disasm_opts(const void *buf, size_t len, const struct ebpf_disasm_opts *opts);

/* Helper functions, from __BPF_FUNC_MAPPER of the system's <linux/bpf.h>:
 * name without the "bpf_" prefix ("map_lookup_elem") for an id, NULL if
 * unknown; id for a name (with or without "bpf_"), -1 if unknown; the
 * number of ids (__BPF_FUNC_MAX_ID). */
EBPF_API const char *ebpf_helper_name(int id);
EBPF_API int ebpf_helper_id(const char *name);
EBPF_API int ebpf_helper_count(void);

#ifdef __cplusplus
}
#endif
