/* Raw BTF of the other byte order (e.g. a bpfeb object read on a
 * little-endian host) turned into host order in place, so the parser
 * and everything after it only ever see host-order BTF. Every field of
 * the header and of each type record is a 32-bit word (the magic and
 * version/flags bytes aside); the string section is bytes and stays. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "btf_internal.h"

static void swap_words(unsigned char *p, size_t nwords)
{
    for (size_t i = 0; i < nwords; i++, p += 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        v = __builtin_bswap32(v);
        memcpy(p, &v, 4);
    }
}

bool btf_is_swapped(const void *blob, size_t size)
{
    uint16_t magic;
    if (size < 2)
        return false;
    memcpy(&magic, blob, 2);
    return magic == __builtin_bswap16(BTF_MAGIC);
}

int btf_bswap(void *blob, size_t size, const char **why)
{
    unsigned char *p = blob;
    struct btf_header hdr;
    if (size < sizeof(hdr)) {
        *why = "too short for a BTF header";
        return -EINVAL;
    }
    if (!btf_is_swapped(blob, size)) {
        *why = "not byte-swapped BTF";
        return -EINVAL;
    }
    uint16_t magic = BTF_MAGIC;
    memcpy(p, &magic, 2);
    /* hdr_len first: it bounds the rest of the header (unknown tail words too) */
    swap_words(p + 4, 1);
    memcpy(&hdr, p, sizeof(hdr));
    if (hdr.hdr_len < sizeof(hdr) || hdr.hdr_len > size || hdr.hdr_len % 4) {
        *why = "bad header length";
        return -EINVAL;
    }
    swap_words(p + 8, (hdr.hdr_len - 8) / 4);
    memcpy(&hdr, p, sizeof(hdr));
    size_t data_len = size - hdr.hdr_len;
    if ((uint64_t)hdr.type_off + hdr.type_len > data_len || hdr.type_off % 4 || hdr.type_len % 4) {
        *why = "type section out of bounds or misaligned";
        return -EINVAL;
    }
    unsigned char *t = p + hdr.hdr_len + hdr.type_off;
    size_t off = 0;
    while (off < hdr.type_len) {
        if (hdr.type_len - off < sizeof(struct btf_type)) {
            *why = "truncated type record";
            return -EINVAL;
        }
        swap_words(t + off, 3);
        uint32_t info;
        memcpy(&info, t + off + 4, 4);
        long extra = btf_extra_size(info);
        if (extra < 0) {
            *why = "unknown type kind";
            return -EINVAL;
        }
        off += sizeof(struct btf_type);
        if ((uint64_t)extra > hdr.type_len - off) {
            *why = "type record extends past the type section";
            return -EINVAL;
        }
        /* every kind's trailing records are 32-bit words too (enum64
         * keeps its lo/hi halves in place, each swapped) */
        swap_words(t + off, (size_t)extra / 4);
        off += (size_t)extra;
    }
    return 0;
}
