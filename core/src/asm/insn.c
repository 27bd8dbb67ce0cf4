/* Instruction model: decoding and encoding of struct bpf_insn streams
 * (exact round trip) and the validity rules of the ISA. */
#include <errno.h>
#include <string.h>

#include "ebpf/insn.h"
#include "error_internal.h"

#define LD_IMM64 (BPF_LD | BPF_IMM | BPF_DW)

int ebpf_insn_slots(uint8_t code) { return code == LD_IMM64 ? 2 : 1; }

/* Little-endian fields, read bytewise: no alignment or host-order
 * assumptions about the caller's buffer. */
static int16_t rd16(const uint8_t *p) { return (int16_t)(uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int ebpf_insn_decode(const void *buf, size_t len, struct ebpf_insn *out)
{
    const uint8_t *p = buf;
    if (len < 8)
        return ebpf_err(EINVAL, "decode", "instruction cut: %zu bytes left, need 8", len);
    memset(out, 0, sizeof(*out));
    out->code = p[0];
    out->dst = p[1] & 0x0f;
    out->src = p[1] >> 4;
    out->off = rd16(p + 2);
    out->imm = (int32_t)rd32(p + 4);
    if (out->code != LD_IMM64)
        return 1;
    if (len < 16)
        return ebpf_err(EINVAL, "decode", "ld_imm64 cut: %zu bytes left, need 16", len);
    out->wide = 1;
    out->hi_regs = p[9];
    out->hi_off = rd16(p + 10);
    /* The value: low half from slot 1, high half from slot 2 (imm field). */
    out->imm = (int64_t)(((uint64_t)rd32(p + 12) << 32) | rd32(p + 4));
    /* Slot 2's opcode byte is reserved (0): a non-zero one is kept by
     * treating the pair as two separate slots, so bytes still round-trip. */
    if (p[8] != 0) {
        out->wide = 0;
        out->hi_regs = 0;
        out->hi_off = 0;
        out->imm = (int32_t)rd32(p + 4);
        return 1;
    }
    return 2;
}

size_t ebpf_insn_encode(const struct ebpf_insn *in, void *buf)
{
    uint8_t *p = buf;
    p[0] = in->code;
    p[1] = (uint8_t)((in->src & 0x0f) << 4 | (in->dst & 0x0f));
    wr16(p + 2, (uint16_t)in->off);
    wr32(p + 4, (uint32_t)(uint64_t)in->imm);
    if (!in->wide)
        return 8;
    p[8] = 0;
    p[9] = in->hi_regs;
    wr16(p + 10, (uint16_t)in->hi_off);
    wr32(p + 12, (uint32_t)((uint64_t)in->imm >> 32));
    return 16;
}

long ebpf_insns_count(const void *buf, size_t len)
{
    if (len % 8)
        return ebpf_err(EINVAL, "decode", "instruction bytes must be a multiple of 8, got %zu", len);
    long n = 0;
    const uint8_t *p = buf;
    for (size_t at = 0; at < len; n++) {
        struct ebpf_insn in;
        int k = ebpf_insn_decode(p + at, len - at, &in);
        if (k < 0)
            return k;
        at += (size_t)k * 8;
    }
    return n;
}

static int reg_ok(unsigned r) { return r <= 10; }

static int valid_alu(const struct ebpf_insn *in, int is64)
{
    unsigned op = BPF_OP(in->code), x = BPF_SRC(in->code) == BPF_X;
    if (!reg_ok(in->dst))
        return 0;
    if (op == BPF_END) {
        if (is64 && x)
            return 0; /* bswap has no "to big-endian" variant */
        return in->src == 0 && in->off == 0 && (in->imm == 16 || in->imm == 32 || in->imm == 64);
    }
    if (op == BPF_NEG)
        return !x && in->src == 0 && in->off == 0 && in->imm == 0;
    if (op > BPF_END)
        return 0;
    if (x ? (!reg_ok(in->src) || (in->imm != 0 && !(is64 && op == BPF_MOV && in->off == BPF_ADDR_SPACE_CAST)))
          : in->src != 0)
        return 0;
    if (in->off == 0)
        return 1;
    if (op == BPF_DIV || op == BPF_MOD)
        return in->off == 1; /* sdiv / smod */
    if (op == BPF_MOV && x) {
        if (in->off == 8 || in->off == 16)
            return 1; /* movsx */
        if (is64 && (in->off == 32 || in->off == BPF_ADDR_SPACE_CAST))
            return 1;
    }
    return 0;
}

static int valid_jmp(const struct ebpf_insn *in, int is32)
{
    unsigned op = BPF_OP(in->code), x = BPF_SRC(in->code) == BPF_X;
    switch (op) {
    case BPF_JA:
        if (x || in->dst || in->src)
            return 0;
        return is32 ? in->off == 0 : in->imm == 0;
    case BPF_CALL:
        if (is32 || in->off != 0)
            return 0;
        if (x) /* callx rN: llvm knows it, the kernel reserves it */
            return reg_ok(in->dst) && in->src == 0 && in->imm == 0;
        return in->dst == 0 && in->src <= BPF_PSEUDO_KFUNC_CALL;
    case BPF_EXIT:
        return !is32 && !x && !in->dst && !in->src && !in->off && !in->imm;
    case BPF_JCOND:
        return !is32 && !x && !in->dst && !in->src && !in->imm;
    case 0xf0:
        return 0;
    default:
        if (!reg_ok(in->dst))
            return 0;
        return x ? reg_ok(in->src) && in->imm == 0 : in->src == 0;
    }
}

static int valid_atomic(const struct ebpf_insn *in)
{
    unsigned sz = BPF_SIZE(in->code);
    switch (in->imm) {
    case BPF_ADD: case BPF_OR: case BPF_AND: case BPF_XOR:
    case BPF_ADD | BPF_FETCH: case BPF_OR | BPF_FETCH:
    case BPF_AND | BPF_FETCH: case BPF_XOR | BPF_FETCH:
    case BPF_XCHG: case BPF_CMPXCHG:
        return sz == BPF_W || sz == BPF_DW;
    case BPF_LOAD_ACQ: case BPF_STORE_REL:
        return 1;
    default:
        return 0;
    }
}

int ebpf_insn_valid(const struct ebpf_insn *in)
{
    unsigned cls = BPF_CLASS(in->code), mode = BPF_MODE(in->code), sz = BPF_SIZE(in->code);
    if (in->code == LD_IMM64)
        return in->wide && reg_ok(in->dst) && in->src <= BPF_PSEUDO_MAP_IDX_VALUE && in->off == 0 &&
               in->hi_regs == 0 && in->hi_off == 0;
    if (in->wide)
        return 0;
    switch (cls) {
    case BPF_LD:
        if (sz == BPF_DW || in->dst != 0 || in->off != 0)
            return 0;
        if (mode == BPF_ABS)
            return in->src == 0;
        if (mode == BPF_IND)
            return reg_ok(in->src);
        return 0;
    case BPF_LDX:
        if (!reg_ok(in->dst) || !reg_ok(in->src) || in->imm != 0)
            return 0;
        return mode == BPF_MEM || (mode == BPF_MEMSX && sz != BPF_DW);
    case BPF_ST:
        return mode == BPF_MEM && reg_ok(in->dst) && in->src == 0;
    case BPF_STX:
        if (!reg_ok(in->dst) || !reg_ok(in->src))
            return 0;
        if (mode == BPF_MEM)
            return in->imm == 0;
        return mode == BPF_ATOMIC && valid_atomic(in);
    case BPF_ALU:
        return valid_alu(in, 0);
    case BPF_ALU64:
        return valid_alu(in, 1);
    case BPF_JMP:
        return valid_jmp(in, 0);
    case BPF_JMP32:
        return valid_jmp(in, 1);
    }
    return 0;
}

int ebpf_insn_jump_delta(const struct ebpf_insn *in, int64_t *delta)
{
    unsigned cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
    if (in->wide || (cls != BPF_JMP && cls != BPF_JMP32) || op == BPF_CALL || op == BPF_EXIT)
        return 0;
    if (cls == BPF_JMP32 && op == BPF_JA)
        *delta = in->imm; /* gotol */
    else
        *delta = in->off;
    return 1;
}
