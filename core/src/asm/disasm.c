/* Disassembler: instruction text in llvm-objdump's BPF syntax (so it can be
 * compared with the oracle line by line), plus the notes llvm-objdump
 * doesn't give (helper names, jump targets, pseudo sources) as comments. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/insn.h"
#include "error_internal.h"

/* A string builder with snprintf semantics over several appends: bounded
 * (caller's buffer) or growing (malloc'd; `failed` on out of memory). */
struct out {
    char *buf;
    size_t n, len;
    int grow, failed;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    size_t room = o->len < o->n ? o->n - o->len : 0;
    int k = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (k > 0 && o->grow && !o->failed && o->len + (size_t)k + 1 > o->n) {
        size_t cap = o->n ? o->n : 256;
        while (cap < o->len + (size_t)k + 1)
            cap *= 2;
        char *nb = realloc(o->buf, cap);
        if (!nb) {
            o->failed = 1;
        } else {
            o->buf = nb;
            o->n = cap;
            vsnprintf(o->buf + o->len, cap - o->len, fmt, ap2);
        }
    }
    va_end(ap2);
    if (k > 0)
        o->len += (size_t)k;
}

/* llvm prints immediates as signed hex: 0x5, -0x1. */
static void hex(struct out *o, int64_t v)
{
    if (v < 0)
        put(o, "-0x%" PRIx64, (uint64_t)0 - (uint64_t)v);
    else
        put(o, "0x%" PRIx64, (uint64_t)v);
}

/* Memory operand "(r1 + 0x2)" / "(r1 - 0x2)". */
static void mem(struct out *o, unsigned reg, int16_t off)
{
    if (off < 0)
        put(o, "(r%u - 0x%x)", reg, (unsigned)-(int)off);
    else
        put(o, "(r%u + 0x%x)", reg, (unsigned)off);
}

static void jump_off(struct out *o, int64_t d)
{
    if (d < 0)
        put(o, "-0x%" PRIx64, (uint64_t)0 - (uint64_t)d);
    else
        put(o, "+0x%" PRIx64, (uint64_t)d);
}

static const char *const size_names[] = {"u32", "u16", "u8", "u64"};
static const char *const ssize_names[] = {"s32", "s16", "s8", "s64"};

static const char *alu_op(unsigned op)
{
    switch (op) {
    case BPF_ADD: return "+=";
    case BPF_SUB: return "-=";
    case BPF_MUL: return "*=";
    case BPF_DIV: return "/=";
    case BPF_OR: return "|=";
    case BPF_AND: return "&=";
    case BPF_LSH: return "<<=";
    case BPF_RSH: return ">>=";
    case BPF_MOD: return "%=";
    case BPF_XOR: return "^=";
    case BPF_MOV: return "=";
    case BPF_ARSH: return "s>>=";
    }
    return "?";
}

static const char *jmp_op(unsigned op)
{
    switch (op) {
    case BPF_JEQ: return "==";
    case BPF_JGT: return ">";
    case BPF_JGE: return ">=";
    case BPF_JSET: return "&";
    case BPF_JNE: return "!=";
    case BPF_JSGT: return "s>";
    case BPF_JSGE: return "s>=";
    case BPF_JLT: return "<";
    case BPF_JLE: return "<=";
    case BPF_JSLT: return "s<";
    case BPF_JSLE: return "s<=";
    }
    return "?";
}

static void fmt_alu(struct out *o, const struct ebpf_insn *in, int is64)
{
    char p = is64 ? 'r' : 'w';
    unsigned op = BPF_OP(in->code);
    int x = BPF_SRC(in->code) == BPF_X;
    if (op == BPF_END) {
        /* llvm names 64-bit registers for every byte-order conversion. */
        const char *kind = is64 ? "bswap" : (x ? "be" : "le");
        put(o, "r%u = %s%d r%u", in->dst, kind, (int)in->imm, in->dst);
        return;
    }
    if (op == BPF_NEG) {
        put(o, "%c%u = -%c%u", p, in->dst, p, in->dst);
        return;
    }
    if (op == BPF_MOV && x && in->off) {
        if (in->off == BPF_ADDR_SPACE_CAST)
            put(o, "r%u = addr_space_cast(r%u, 0x%x, 0x%x)", in->dst, in->src,
                (unsigned)((uint32_t)in->imm >> 16), (unsigned)((uint32_t)in->imm & 0xffff));
        else
            put(o, "%c%u = (s%d)%c%u", p, in->dst, in->off, p, in->src);
        return;
    }
    put(o, "%c%u %s%s ", p, in->dst, in->off == 1 ? "s" : "", alu_op(op));
    if (x)
        put(o, "%c%u", p, in->src);
    else
        hex(o, in->imm);
}

static void fmt_jmp(struct out *o, const struct ebpf_insn *in, int is32)
{
    char p = is32 ? 'w' : 'r';
    unsigned op = BPF_OP(in->code);
    switch (op) {
    case BPF_JA:
        if (is32) {
            put(o, "gotol ");
            jump_off(o, in->imm);
        } else {
            put(o, "goto ");
            jump_off(o, in->off);
        }
        return;
    case BPF_CALL:
        if (BPF_SRC(in->code) == BPF_X)
            put(o, "callx r%u", in->dst);
        else {
            put(o, "call ");
            hex(o, in->imm);
        }
        return;
    case BPF_EXIT:
        put(o, "exit");
        return;
    case BPF_JCOND:
        put(o, "may_goto ");
        jump_off(o, in->off);
        return;
    }
    put(o, "if %c%u %s ", p, in->dst, jmp_op(op));
    if (BPF_SRC(in->code) == BPF_X)
        put(o, "%c%u", p, in->src);
    else
        hex(o, in->imm);
    put(o, " goto ");
    jump_off(o, in->off);
}

static void fmt_atomic(struct out *o, const struct ebpf_insn *in, unsigned flags)
{
    unsigned sz = BPF_SIZE(in->code) >> 3;
    int dw = BPF_SIZE(in->code) == BPF_DW;
    /* Sub-64-bit operands are wN in llvm's alu32 dialect. */
    char p = dw || (flags & EBPF_DISASM_NO_ALU32) ? 'r' : 'w';
    const char *sn = size_names[sz];
    switch (in->imm) {
    case BPF_LOAD_ACQ:
        put(o, "%c%u = load_acquire((%s *)", p, in->dst, sn);
        mem(o, in->src, in->off);
        put(o, ")");
        return;
    case BPF_STORE_REL:
        put(o, "store_release((%s *)", sn);
        mem(o, in->dst, in->off);
        put(o, ", %c%u)", p, in->src);
        return;
    case BPF_XCHG:
        put(o, "%c%u = xchg%s(r%u %c 0x%x, %c%u)", p, in->src, dw ? "_64" : "32_32", in->dst,
            in->off < 0 ? '-' : '+', (unsigned)(in->off < 0 ? -(int)in->off : in->off), p, in->src);
        return;
    case BPF_CMPXCHG:
        put(o, "%c0 = cmpxchg%s(r%u %c 0x%x, %c0, %c%u)", p, dw ? "_64" : "32_32", in->dst,
            in->off < 0 ? '-' : '+', (unsigned)(in->off < 0 ? -(int)in->off : in->off), p, p, in->src);
        return;
    }
    const char *name = "add", *op = "+=";
    switch (in->imm & ~BPF_FETCH) {
    case BPF_OR: name = "or"; op = "|="; break;
    case BPF_AND: name = "and"; op = "&="; break;
    case BPF_XOR: name = "xor"; op = "^="; break;
    }
    if (in->imm & BPF_FETCH) {
        put(o, "%c%u = atomic_fetch_%s((%s *)", p, in->src, name, sn);
        mem(o, in->dst, in->off);
        put(o, ", %c%u)", p, in->src);
    } else {
        put(o, "lock *(%s *)", sn);
        mem(o, in->dst, in->off);
        put(o, " %s %c%u", op, p, in->src);
    }
}

/* The kernel's BPF_MOV64_PERCPU_REG (off -1, BPF_ADDR_PERCPU in its
 * filter.h): the verifier inlines per-CPU helpers with it, so it shows in
 * xlated code although a loader may not use it. */
static int is_percpu_mov(const struct ebpf_insn *in)
{
    return in->code == (BPF_ALU64 | BPF_MOV | BPF_X) && in->off == -1 && in->imm == 0 && in->dst < 11 &&
           in->src < 11;
}

static void fmt(struct out *o, const struct ebpf_insn *in, unsigned flags)
{
    if (is_percpu_mov(in)) {
        put(o, "r%u = &(void __percpu *)(r%u)", in->dst, in->src);
        return;
    }
    if (!ebpf_insn_valid(in)) {
        put(o, "<unknown>");
        return;
    }
    unsigned cls = BPF_CLASS(in->code), mode = BPF_MODE(in->code), sz = BPF_SIZE(in->code) >> 3;
    char p = sz == 3 || (flags & EBPF_DISASM_NO_ALU32) ? 'r' : 'w';
    switch (cls) {
    case BPF_LD:
        if (in->wide) {
            if (in->src)
                put(o, "ld_pseudo r%u, 0x%x, 0x%" PRIx32, in->dst, in->src, (uint32_t)(uint64_t)in->imm);
            else {
                put(o, "r%u = ", in->dst);
                hex(o, in->imm);
                put(o, " ll");
            }
        } else if (mode == BPF_ABS) {
            put(o, "r0 = *(%s *)skb[", size_names[sz]);
            hex(o, in->imm);
            put(o, "]");
        } else {
            put(o, "r0 = *(%s *)skb[r%u]", size_names[sz], in->src);
        }
        return;
    case BPF_LDX:
        if (mode == BPF_MEMSX)
            put(o, "r%u = *(%s *)", in->dst, ssize_names[sz]);
        else
            put(o, "%c%u = *(%s *)", p, in->dst, size_names[sz]);
        mem(o, in->src, in->off);
        return;
    case BPF_ST:
        put(o, "*(%s *)", size_names[sz]);
        mem(o, in->dst, in->off);
        put(o, " = ");
        hex(o, in->imm);
        return;
    case BPF_STX:
        if (mode == BPF_ATOMIC) {
            fmt_atomic(o, in, flags);
            return;
        }
        put(o, "*(%s *)", size_names[sz]);
        mem(o, in->dst, in->off);
        put(o, " = %c%u", p, in->src);
        return;
    case BPF_ALU:
    case BPF_ALU64:
        fmt_alu(o, in, cls == BPF_ALU64);
        return;
    case BPF_JMP:
    case BPF_JMP32:
        fmt_jmp(o, in, cls == BPF_JMP32);
        return;
    }
}

int ebpf_insn_format(const struct ebpf_insn *in, unsigned flags, char *buf, size_t n)
{
    struct out o = {buf, n, 0, 0, 0};
    if (n)
        buf[0] = 0;
    fmt(&o, in, flags);
    return (int)o.len;
}

static void comment(struct out *o, const struct ebpf_insn *in, size_t idx)
{
    int64_t d;
    if (is_percpu_mov(in))
        return;
    if (!ebpf_insn_valid(in)) {
        put(o, "code 0x%02x dst %u src %u off %d imm %" PRId64, in->code, in->dst, in->src, in->off,
            in->imm);
        return;
    }
    if (ebpf_insn_jump_delta(in, &d)) {
        put(o, "-> %" PRId64, (int64_t)idx + 1 + d);
        return;
    }
    unsigned cls = BPF_CLASS(in->code);
    if (cls == BPF_JMP && BPF_OP(in->code) == BPF_CALL && BPF_SRC(in->code) == BPF_K) {
        if (in->src == BPF_PSEUDO_CALL)
            put(o, "subprog -> %" PRId64, (int64_t)idx + 1 + in->imm);
        else if (in->src == BPF_PSEUDO_KFUNC_CALL)
            put(o, in->off ? "kfunc btf id %" PRId64 " (module %d)" : "kfunc btf id %" PRId64, in->imm,
                in->off);
        else {
            const char *name = ebpf_helper_name((int)in->imm);
            if (name)
                put(o, "bpf_%s", name);
            else
                put(o, "unknown helper");
        }
        return;
    }
    if (in->wide && in->src) {
        int32_t lo = (int32_t)(uint32_t)(uint64_t)in->imm, hi = (int32_t)((uint64_t)in->imm >> 32);
        switch (in->src) {
        case BPF_PSEUDO_MAP_FD: put(o, "map fd %d", lo); break;
        case BPF_PSEUDO_MAP_VALUE: put(o, "map fd %d value + %d", lo, hi); break;
        case BPF_PSEUDO_BTF_ID: put(o, "btf id %d", lo); break;
        case BPF_PSEUDO_FUNC: put(o, "func -> %" PRId64, (int64_t)idx + 1 + lo); break;
        case BPF_PSEUDO_MAP_IDX: put(o, "map idx %d", lo); break;
        case BPF_PSEUDO_MAP_IDX_VALUE: put(o, "map idx %d value + %d", lo, hi); break;
        }
        return;
    }
    if (cls == BPF_LD && BPF_MODE(in->code) == BPF_IND && in->imm)
        put(o, "skb[r%u + %" PRId64 "]", in->src, in->imm);
}

int ebpf_insn_comment(const struct ebpf_insn *in, size_t idx, char *buf, size_t n)
{
    struct out o = {buf, n, 0, 0, 0};
    if (n)
        buf[0] = 0;
    comment(&o, in, idx);
    return (int)o.len;
}

char *ebpf_disasm(const void *buf, size_t len, unsigned flags)
{
    struct ebpf_disasm_opts o = {.flags = flags};
    return ebpf_disasm_opts(buf, len, &o);
}

char *ebpf_disasm_opts(const void *buf, size_t len, const struct ebpf_disasm_opts *opts)
{
    unsigned flags = opts->flags;
    if (len % 8) {
        ebpf_err(EINVAL, "disassemble", "instruction bytes must be a multiple of 8, got %zu", len);
        errno = EINVAL;
        return NULL;
    }
    struct out o = {malloc(256), 256, 0, 1, 0};
    if (!o.buf)
        return ebpf_err_null(ENOMEM, "disassemble", "out of memory");
    o.buf[0] = 0; /* a valid string even for no instructions */
    const uint8_t *p = buf;
    for (size_t at = 0; at < len;) {
        struct ebpf_insn in;
        size_t idx = opts->base + at / 8;
        if (!(flags & EBPF_DISASM_NO_ADDR))
            put(&o, "%5zu: ", idx);
        if (len - at < 8u * (size_t)ebpf_insn_slots(p[at])) { /* cut ld_imm64 */
            put(&o, "<unknown>");
            if (!(flags & EBPF_DISASM_NO_COMMENTS))
                put(&o, " ; ld_imm64 cut at the end");
            put(&o, "\n");
            break;
        }
        int k = ebpf_insn_decode(p + at, len - at, &in);
        fmt(&o, &in, flags);
        if (!(flags & EBPF_DISASM_NO_COMMENTS)) {
            char c[128] = "", extra[256] = "";
            struct out co = {c, sizeof(c), 0, 0, 0};
            comment(&co, &in, idx);
            if (opts->note)
                opts->note(opts->ctx, idx, &in, extra, sizeof(extra));
            extra[sizeof(extra) - 1] = 0;
            if (c[0] || extra[0])
                put(&o, " ; %s%s%s", c, c[0] && extra[0] ? " " : "", extra);
        }
        put(&o, "\n");
        at += (size_t)k * 8;
    }
    if (o.failed) {
        free(o.buf);
        return ebpf_err_null(ENOMEM, "disassemble", "out of memory");
    }
    return o.buf;
}
