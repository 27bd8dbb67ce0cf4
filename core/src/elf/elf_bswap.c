/* Big-endian (bpfeb) objects: section bytes that libelf hands over
 * untranslated (SHT_PROGBITS) are turned into host order as they are
 * copied in, so the rest of the parser never knows. Symbols and
 * relocations come through gelf_*, which libelf already translates. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ebtf.h"
#include "elf_bswap.h"

static uint32_t sw32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return __builtin_bswap32(v);
}

static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }

static void swap_words(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put32(p + 4 * i, sw32(p + 4 * i));
}

void elf_bswap_insns(struct bpf_insn *insns, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char *p = (unsigned char *)&insns[i];
        /* byte 1 holds the registers: big-endian puts dst in the high
         * nibble, the host's bitfields want it in the low one */
        p[1] = (unsigned char)((p[1] >> 4) | (p[1] << 4));
        unsigned char t = p[2];
        p[2] = p[3];
        p[3] = t;
        put32(p + 4, sw32(p + 4));
    }
}

void elf_bswap_u32s(void *p, size_t n) { swap_words(p, n); }

/* .BTF.ext: the header's words, then each info block: a record size
 * followed by per-section {name, count} and records that are all
 * 32-bit words. Bounds are checked as we go (the later parse checks
 * meaning). */
static int swap_info(unsigned char *p, uint32_t len)
{
    if (len == 0)
        return 0;
    if (len < 4)
        return -EINVAL;
    swap_words(p, 1);
    uint32_t rec;
    memcpy(&rec, p, 4);
    if (rec == 0 || rec % 4)
        return -EINVAL;
    size_t off = 4;
    while (off < len) {
        if (len - off < 8)
            return -EINVAL;
        swap_words(p + off, 2);
        uint32_t n;
        memcpy(&n, p + off + 4, 4);
        off += 8;
        if ((uint64_t)n * rec > len - off)
            return -EINVAL;
        swap_words(p + off, (size_t)n * rec / 4);
        off += (size_t)n * rec;
    }
    return 0;
}

int elf_bswap_btf_ext(void *buf, size_t len)
{
    unsigned char *p = buf;
    uint16_t magic;
    if (len < 8)
        return -EINVAL;
    memcpy(&magic, p, 2);
    if (magic != __builtin_bswap16(BTF_MAGIC))
        return -EINVAL;
    magic = BTF_MAGIC;
    memcpy(p, &magic, 2);
    swap_words(p + 4, 1);
    uint32_t hdr;
    memcpy(&hdr, p + 4, 4);
    if (hdr < 24 || hdr > len || hdr % 4)
        return -EINVAL;
    swap_words(p + 8, (hdr - 8) / 4);
    uint32_t offs[3][2] = {{0}};
    for (unsigned k = 0; k < 3 && 8 + 8 * k + 8 <= hdr; k++) {
        memcpy(&offs[k][0], p + 8 + 8 * k, 4);
        memcpy(&offs[k][1], p + 12 + 8 * k, 4);
    }
    for (int k = 0; k < 3; k++) {
        uint64_t start = (uint64_t)hdr + offs[k][0];
        if (!offs[k][1])
            continue;
        if (start + offs[k][1] > len)
            return -EINVAL;
        /* blocks may not overlap, or a word would be swapped twice */
        for (int j = 0; j < k; j++)
            if (offs[j][1] && start < (uint64_t)hdr + offs[j][0] + offs[j][1] &&
                (uint64_t)hdr + offs[j][0] < start + offs[k][1])
                return -EINVAL;
        if (swap_info(p + start, offs[k][1]) < 0)
            return -EINVAL;
    }
    return 0;
}
