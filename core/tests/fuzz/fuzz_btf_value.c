/* libFuzzer: values through types. Input: u16 length of a BTF blob, the
 * blob, then value bytes; every type formats the bytes, and bit fields
 * written then read back must match. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/btf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t blen = (size_t)data[0] | (size_t)data[1] << 8;
    if (blen > size - 2)
        return 0;
    const uint8_t *val = data + 2 + blen;
    size_t vlen = size - 2 - blen;
    /* Bit access round trip on the value bytes. */
    if (vlen >= 3) {
        unsigned char buf[64] = {0};
        uint32_t bit_off = val[0] % 256, bits = val[1] % 65, nbytes = 1 + val[2] % 16;
        uint64_t v = 0, back = 0;
        memcpy(&v, val, vlen < 8 ? vlen : 8);
        if (bits && bits < 64)
            v &= (1ull << bits) - 1;
        if (bits == 0)
            bit_off &= ~7u;
        if (ebpf_btf_write_bits(buf, sizeof(buf), bit_off, nbytes, bits, v) == 0 &&
            ebpf_btf_read_bits(buf, sizeof(buf), bit_off, nbytes, bits, false, &back) == 0) {
            uint64_t want = bits ? v : (nbytes >= 8 ? v : v & ((1ull << (nbytes * 8)) - 1));
            if (back != want)
                abort();
        }
    }
    struct ebpf_btf *b = ebpf_btf_new(data + 2, blen, NULL);
    if (!b)
        return 0;
    char out[512];
    for (uint32_t id = 1; id < ebpf_btf_type_cnt(b) && id < 256; id++) {
        int n = ebpf_btf_format_value(b, id, val, vlen, out, sizeof(out));
        if (n >= 0 && strlen(out) != ((size_t)n < sizeof(out) ? (size_t)n : sizeof(out) - 1))
            abort();
    }
    ebpf_btf_free(b);
    return 0;
}
