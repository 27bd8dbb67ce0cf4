/* libFuzzer harness for the instruction decoder and disassembler: any
 * bytes must decode/encode to the same bytes and disassemble without a
 * crash, leak or out-of-bounds access, in every dialect. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/insn.h"

static int long_note(void *ctx, size_t idx, const struct ebpf_insn *in, char *buf, size_t n)
{
    (void)ctx;
    (void)in;
    if (idx % 3)
        return 0;
    memset(buf, 'n', n); /* not terminated: the disassembler must cope */
    return (int)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Whole streams (the disassembler refuses lengths not a multiple of 8). */
    static const unsigned dialects[] = {0, EBPF_DISASM_NO_ALU32 | EBPF_DISASM_NO_ADDR, EBPF_DISASM_NO_COMMENTS};
    for (size_t i = 0; i < sizeof(dialects) / sizeof(dialects[0]); i++) {
        char *text = ebpf_disasm(data, size, dialects[i]);
        if (size % 8 == 0 && !text)
            abort();
        free(text);
    }
    /* A caller note that fills its buffer to the brim. */
    struct ebpf_disasm_opts o = {.flags = size ? data[0] & 7 : 0, .base = size, .note = long_note};
    char *text = ebpf_disasm_opts(data, size, &o);
    free(text);

    /* Instruction by instruction: decode, format, comment, re-encode. */
    size_t at = 0;
    while (at + 8 <= size) {
        struct ebpf_insn in;
        int k = ebpf_insn_decode(data + at, size - at, &in);
        if (k < 0)
            break;
        char text[160], note[160], tiny[3];
        int n = ebpf_insn_format(&in, 0, text, sizeof(text));
        if (n < 0 || (size_t)n >= sizeof(text) || strlen(text) != (size_t)n)
            abort();
        if (ebpf_insn_format(&in, EBPF_DISASM_NO_ALU32, tiny, sizeof(tiny)) < 0 || strlen(tiny) > 2)
            abort();
        n = ebpf_insn_comment(&in, at / 8, note, sizeof(note));
        if (n < 0 || (size_t)n >= sizeof(note))
            abort();
        int64_t delta;
        (void)ebpf_insn_jump_delta(&in, &delta);
        (void)ebpf_insn_valid(&in);
        uint8_t back[16];
        size_t w = ebpf_insn_encode(&in, back);
        if (w != (size_t)k * 8 || memcmp(back, data + at, w) != 0)
            abort(); /* the round trip must be exact */
        at += w;
    }
    (void)ebpf_insns_count(data, size);
    return 0;
}
