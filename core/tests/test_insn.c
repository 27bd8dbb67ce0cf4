/* Unit tests of the instruction model and disassembler: exact round trips,
 * the text of every instruction kind (as llvm-objdump-19 prints it; for
 * load-acquire/store-release, which llvm-19 lacks, LLVM 21's syntax),
 * validity of reserved fields, comments and malformed streams. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/insn.h"

static int failures;

#define CHECK(cond, ...)                                                                  \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            failures++;                                                                   \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);    \
            fprintf(stderr, __VA_ARGS__);                                                 \
            fputc('\n', stderr);                                                          \
        }                                                                                 \
    } while (0)

static struct ebpf_insn mk(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int64_t imm)
{
    struct ebpf_insn in = {.code = code, .dst = dst, .src = src, .off = off, .imm = imm};
    in.wide = code == (BPF_LD | BPF_IMM | BPF_DW);
    return in;
}

/* Formats, checks the text, then encodes/decodes and checks the fields. */
static void expect(struct ebpf_insn in, unsigned flags, const char *want)
{
    char buf[160];
    int n = ebpf_insn_format(&in, flags, buf, sizeof(buf));
    CHECK(strcmp(buf, want) == 0 && n == (int)strlen(want), "code 0x%02x: got '%s', want '%s'", in.code, buf,
          want);
    uint8_t bytes[16];
    size_t k = ebpf_insn_encode(&in, bytes);
    struct ebpf_insn back;
    int slots = ebpf_insn_decode(bytes, k, &back);
    CHECK(slots * 8 == (int)k, "code 0x%02x: %d slots for %zu bytes", in.code, slots, k);
    CHECK(back.code == in.code && back.dst == in.dst && back.src == in.src && back.off == in.off &&
              back.imm == in.imm && back.wide == in.wide && back.hi_regs == in.hi_regs && back.hi_off == in.hi_off,
          "code 0x%02x: decode(encode) differs", in.code);
}

static void test_text(void)
{
    expect(mk(0x07, 1, 0, 0, -4), 0, "r1 += -0x4");
    expect(mk(0x0c, 1, 2, 0, 0), 0, "w1 += w2");
    expect(mk(0x3f, 1, 2, 1, 0), 0, "r1 s/= r2");
    expect(mk(0x94, 1, 0, 1, -5), 0, "w1 s%= -0x5");
    expect(mk(0xc7, 1, 0, 0, 63), 0, "r1 s>>= 0x3f");
    expect(mk(0x87, 1, 0, 0, 0), 0, "r1 = -r1");
    expect(mk(0x84, 1, 0, 0, 0), 0, "w1 = -w1");
    expect(mk(0xbf, 1, 2, 8, 0), 0, "r1 = (s8)r2");
    expect(mk(0xbf, 1, 2, 32, 0), 0, "r1 = (s32)r2");
    expect(mk(0xbc, 1, 2, 16, 0), 0, "w1 = (s16)w2");
    expect(mk(0xbf, 1, 2, 1, 0x10005), 0, "r1 = addr_space_cast(r2, 0x1, 0x5)");
    /* the kernel's per-CPU move (off -1), only ever in xlated code */
    expect(mk(0xbf, 0, 0, -1, 0), 0, "r0 = &(void __percpu *)(r0)");
    expect(mk(0xbf, 3, 7, -1, 0), 0, "r3 = &(void __percpu *)(r7)");
    expect(mk(0xdc, 1, 0, 0, 16), 0, "r1 = be16 r1");
    expect(mk(0xd4, 1, 0, 0, 64), 0, "r1 = le64 r1");
    expect(mk(0xd7, 1, 0, 0, 32), 0, "r1 = bswap32 r1");
    expect(mk(0x18, 1, 0, 0, 0x123456789LL), 0, "r1 = 0x123456789 ll");
    expect(mk(0x18, 1, 0, 0, INT64_MIN), 0, "r1 = -0x8000000000000000 ll");
    expect(mk(0x18, 1, 1, 0, 5), 0, "ld_pseudo r1, 0x1, 0x5");
    expect(mk(0x18, 1, 2, 0, (7LL << 32) | 5), 0, "ld_pseudo r1, 0x2, 0x5");
    expect(mk(0x18, 1, 4, 0, -1), 0, "ld_pseudo r1, 0x4, 0xffffffff");
    expect(mk(0x30, 0, 0, 0, 4), 0, "r0 = *(u8 *)skb[0x4]");
    expect(mk(0x40, 0, 3, 0, 0), 0, "r0 = *(u32 *)skb[r3]");
    expect(mk(0x71, 0, 1, 2, 0), 0, "w0 = *(u8 *)(r1 + 0x2)");
    expect(mk(0x71, 0, 1, 2, 0), EBPF_DISASM_NO_ALU32, "r0 = *(u8 *)(r1 + 0x2)");
    expect(mk(0x79, 0, 1, 32767, 0), 0, "r0 = *(u64 *)(r1 + 0x7fff)");
    expect(mk(0x91, 0, 1, -2, 0), 0, "r0 = *(s8 *)(r1 - 0x2)");
    expect(mk(0x62, 10, 0, -8, 7), 0, "*(u32 *)(r10 - 0x8) = 0x7");
    expect(mk(0x7b, 10, 3, -32768, 0), 0, "*(u64 *)(r10 - 0x8000) = r3");
    expect(mk(0x63, 1, 3, 2, 0), 0, "*(u32 *)(r1 + 0x2) = w3");
    expect(mk(0xc3, 1, 2, 0, 0x00), 0, "lock *(u32 *)(r1 + 0x0) += w2");
    expect(mk(0xdb, 1, 2, 0, 0x50), 0, "lock *(u64 *)(r1 + 0x0) &= r2");
    expect(mk(0xc3, 1, 2, 0, 0x41), 0, "w2 = atomic_fetch_or((u32 *)(r1 + 0x0), w2)");
    expect(mk(0xdb, 1, 2, 0, 0xe1), 0, "r2 = xchg_64(r1 + 0x0, r2)");
    expect(mk(0xc3, 1, 2, -4, 0xe1), 0, "w2 = xchg32_32(r1 - 0x4, w2)");
    expect(mk(0xdb, 1, 2, 8, 0xf1), 0, "r0 = cmpxchg_64(r1 + 0x8, r0, r2)");
    expect(mk(0xdb, 0, 1, 8, BPF_LOAD_ACQ), 0, "r0 = load_acquire((u64 *)(r1 + 0x8))");
    expect(mk(0xd3, 0, 1, 0, BPF_LOAD_ACQ), 0, "w0 = load_acquire((u8 *)(r1 + 0x0))");
    expect(mk(0xcb, 1, 2, -2, BPF_STORE_REL), 0, "store_release((u16 *)(r1 - 0x2), w2)");
    expect(mk(0xdb, 1, 2, 0, BPF_STORE_REL), 0, "store_release((u64 *)(r1 + 0x0), r2)");
    expect(mk(0x05, 0, 0, -1, 0), 0, "goto -0x1");
    expect(mk(0x06, 0, 0, 0, 0x100), 0, "gotol +0x100");
    expect(mk(0x15, 1, 0, 3, 0), 0, "if r1 == 0x0 goto +0x3");
    expect(mk(0x2e, 1, 2, 0, 0), 0, "if w1 > w2 goto +0x0");
    expect(mk(0xc6, 1, 0, 1, -5), 0, "if w1 s< -0x5 goto +0x1");
    expect(mk(0x4d, 1, 2, 1, 0), 0, "if r1 & r2 goto +0x1");
    expect(mk(0xe5, 0, 0, 2, 0), 0, "may_goto +0x2");
    expect(mk(0x85, 0, 0, 0, 1), 0, "call 0x1");
    expect(mk(0x85, 0, 1, 0, -1), 0, "call -0x1");
    expect(mk(0x8d, 1, 0, 0, 0), 0, "callx r1");
    expect(mk(0x95, 0, 0, 0, 0), 0, "exit");
}

static void test_invalid(void)
{
    static const struct { uint8_t code, dst, src; int16_t off; int32_t imm; } bad[] = {
        {0x07, 1, 2, 0, 5},      /* K form with a src register */
        {0x0f, 1, 2, 0, 5},      /* X form with an imm */
        {0x07, 11, 0, 0, 0},     /* r11 */
        {0x87, 1, 0, 0, 5},      /* neg with an imm */
        {0x37, 1, 0, 2, 0},      /* div with off 2 */
        {0xbc, 1, 2, 32, 0},     /* movsx32 from 32 bits */
        {0xd7, 1, 0, 0, 15},     /* bswap15 */
        {0xdf, 1, 0, 0, 16},     /* bswap "to be" */
        {0x95, 0, 0, 0, 1},      /* exit with imm */
        {0x96, 0, 0, 0, 0},      /* exit in JMP32 */
        {0x85, 0, 3, 0, 1},      /* call with src 3 */
        {0xdb, 1, 2, 0, 0x10},   /* unknown atomic op */
        {0xd3, 1, 2, 0, 0x00},   /* atomic add on u8 */
        {0x99, 0, 1, 0, 0},      /* ldsx u64 */
        {0x38, 0, 0, 0, 0},      /* ld_abs dw */
        {0xf5, 0, 0, 0, 0},      /* jmp op 0xf0 */
        {0xe4, 1, 0, 0, 0},      /* alu op 0xe0 */
        {0x00, 0, 0, 0, 0},      /* LD imm w */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct ebpf_insn in = mk(bad[i].code, bad[i].dst, bad[i].src, bad[i].off, bad[i].imm);
        char buf[64];
        CHECK(!ebpf_insn_valid(&in), "case %zu (code 0x%02x) accepted", i, bad[i].code);
        ebpf_insn_format(&in, 0, buf, sizeof(buf));
        CHECK(strcmp(buf, "<unknown>") == 0, "case %zu: '%s'", i, buf);
    }
    struct ebpf_insn in = mk(0x18, 1, 7, 0, 0); /* pseudo source 7 */
    CHECK(!ebpf_insn_valid(&in), "ld_imm64 src 7 accepted");
}

static int add_note(void *ctx, size_t idx, const struct ebpf_insn *in, char *buf, size_t n)
{
    (void)ctx;
    (void)in;
    return snprintf(buf, n, "note %zu", idx);
}

static void test_stream(void)
{
    /* r1 = map fd 3 ll; call 1; if r0 == 0 goto +1; r0 = 1; exit; with an
     * ld_imm64 whose reserved second-slot fields are set (must round-trip). */
    static const uint8_t prog[] = {
        0x18, 0x11, 0, 0, 3, 0, 0, 0,   0, 0, 0, 0, 0, 0, 0, 0,
        0x85, 0, 0, 0, 1, 0, 0, 0,
        0x15, 0, 1, 0, 0, 0, 0, 0,
        0xb7, 0, 0, 0, 1, 0, 0, 0,
        0x18, 0x02, 0, 0, 1, 0, 0, 0,   0, 0x5a, 0x34, 0x12, 2, 0, 0, 0,
        0x95, 0, 0, 0, 0, 0, 0, 0,
    };
    CHECK(ebpf_insns_count(prog, sizeof(prog)) == 6, "count %ld", ebpf_insns_count(prog, sizeof(prog)));
    uint8_t out[sizeof(prog)];
    size_t at = 0, w = 0;
    while (at < sizeof(prog)) {
        struct ebpf_insn in;
        int k = ebpf_insn_decode(prog + at, sizeof(prog) - at, &in);
        CHECK(k > 0, "decode at %zu", at);
        if (k <= 0)
            return;
        w += ebpf_insn_encode(&in, out + w);
        at += (size_t)k * 8;
    }
    CHECK(w == sizeof(prog) && memcmp(out, prog, sizeof(prog)) == 0, "stream round trip");

    char *text = ebpf_disasm(prog, sizeof(prog), 0);
    CHECK(text != NULL, "disasm");
    if (text) {
        const char *want = "    0: ld_pseudo r1, 0x1, 0x3 ; map fd 3\n"
                           "    2: call 0x1 ; bpf_map_lookup_elem\n"
                           "    3: if r0 == 0x0 goto +0x1 ; -> 5\n"
                           "    4: r0 = 0x1\n"
                           "    5: <unknown> ; code 0x18 dst 2 src 0 off 0 imm 8589934593\n"
                           "    7: exit\n";
        CHECK(strcmp(text, want) == 0, "disasm text:\n%s", text);
        free(text);
    }
    text = ebpf_disasm(prog, 16, EBPF_DISASM_NO_ADDR | EBPF_DISASM_NO_COMMENTS);
    CHECK(text && strcmp(text, "ld_pseudo r1, 0x1, 0x3\n") == 0, "flags: %s", text ? text : "(null)");
    free(text);

    /* Notes from the caller and a base index. */
    struct ebpf_disasm_opts o = {.flags = EBPF_DISASM_NO_ALU32, .base = 100, .note = add_note};
    text = ebpf_disasm_opts(prog + 16, 24, &o);
    CHECK(text && strcmp(text, "  100: call 0x1 ; bpf_map_lookup_elem note 100\n"
                               "  101: if r0 == 0x0 goto +0x1 ; -> 103 note 101\n"
                               "  102: r0 = 0x1 ; note 102\n") == 0, "notes: %s", text ? text : "(null)");
    free(text);
    text = ebpf_disasm(prog, 0, 0);
    CHECK(text && text[0] == 0, "empty stream");
    free(text);

    /* A cut ld_imm64 and a length that is not a multiple of 8. */
    struct ebpf_insn in;
    CHECK(ebpf_insn_decode(prog, 8, &in) == -EINVAL, "cut ld_imm64 decoded");
    CHECK(ebpf_insns_count(prog, 8) == -EINVAL, "cut ld_imm64 counted");
    CHECK(ebpf_insns_count(prog, 12) == -EINVAL, "12 bytes counted");
    text = ebpf_disasm(prog, 8, 0);
    CHECK(text && strstr(text, "<unknown>"), "cut ld_imm64 text: %s", text ? text : "(null)");
    free(text);
    errno = 0;
    CHECK(ebpf_disasm(prog, 12, 0) == NULL && errno == EINVAL, "12 bytes disassembled");

    /* A second slot with an opcode is not part of the ld_imm64. */
    uint8_t odd[16] = {0x18, 0x01, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0};
    CHECK(ebpf_insn_decode(odd, 16, &in) == 1 && !in.wide, "lone ld_imm64 slot");
    CHECK(ebpf_insns_count(odd, 16) == 2, "lone slot count");

    /* Truncated output buffers still report the full length. */
    char small[5];
    struct ebpf_insn c = mk(0x85, 0, 0, 0, 1);
    CHECK(ebpf_insn_format(&c, 0, small, sizeof(small)) == 8 && strcmp(small, "call") == 0, "'%s'", small);
    CHECK(ebpf_insn_comment(&c, 0, small, sizeof(small)) == 19, "comment length");
}

static void test_helpers(void)
{
    CHECK(ebpf_helper_id("map_lookup_elem") == BPF_FUNC_map_lookup_elem, "map_lookup_elem");
    CHECK(ebpf_helper_id("bpf_ktime_get_ns") == BPF_FUNC_ktime_get_ns, "bpf_ktime_get_ns");
    CHECK(ebpf_helper_id("nope") == -1 && ebpf_helper_id(NULL) == -1, "unknown helper");
    CHECK(ebpf_helper_name(BPF_FUNC_ringbuf_output) && strcmp(ebpf_helper_name(BPF_FUNC_ringbuf_output),
                                                              "ringbuf_output") == 0, "ringbuf_output");
    CHECK(ebpf_helper_name(0) == NULL && ebpf_helper_name(-1) == NULL && ebpf_helper_name(100000) == NULL,
          "out of range names");
    /* ids past the headers' are named from the running kernel's BTF */
    CHECK(ebpf_helper_count() >= __BPF_FUNC_MAX_ID, "count");
    for (int i = 1; i < ebpf_helper_count(); i++)
        CHECK(ebpf_helper_id(ebpf_helper_name(i)) == i, "helper %d", i);
}

int main(void)
{
    test_text();
    test_invalid();
    test_stream();
    test_helpers();
    if (failures)
        fprintf(stderr, "test_insn: %d failures\n", failures);
    else
        printf("test_insn: ok\n");
    return failures ? 1 : 0;
}
