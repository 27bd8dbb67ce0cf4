/* .BTF.ext: per-section func info, line info and CO-RE relocation
 * records, validated and indexed by ELF section at open. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ebtf.h"
#include "elf_internal.h"
#include "error_internal.h"

#define FAIL(err, ...) ebpf_err(err, "open", __VA_ARGS__)

static uint32_t rd32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static int find_sec(const struct ebpf_spec *s, const char *name)
{
    for (size_t i = 1; i < s->nsec; i++)
        if (s->secs[i].name && strcmp(s->secs[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int parse_info(struct ebpf_spec *s, int kind, const unsigned char *p, uint32_t len, uint32_t min_rec)
{
    static const char *const what[] = {"func info", "line info", "CO-RE relocations"};
    if (len == 0)
        return 0;
    if (len < 4)
        return FAIL(EINVAL, "object '%s': .BTF.ext %s truncated", s->name, what[kind]);
    uint32_t rec = rd32(p);
    if (rec < min_rec || rec % 4 || rec > 1024)
        return FAIL(EINVAL, "object '%s': .BTF.ext %s record size %u", s->name, what[kind], rec);
    size_t off = 4;
    while (off < len) {
        if (len - off < 8)
            return FAIL(EINVAL, "object '%s': .BTF.ext %s truncated", s->name, what[kind]);
        uint32_t name_off = rd32(p + off), n = rd32(p + off + 4);
        off += 8;
        if (n == 0 || (uint64_t)n * rec > len - off)
            return FAIL(EINVAL, "object '%s': .BTF.ext %s: bad record count", s->name, what[kind]);
        const char *name = ebtf_str(s->obtf, name_off);
        int sec = find_sec(s, name);
        if (sec < 0 || s->secs[sec].kind != ESEC_PROG)
            return FAIL(EINVAL, "object '%s': .BTF.ext %s for unknown section '%s'", s->name, what[kind], name);
        struct extsec *ns = realloc(s->ext[kind], (s->next_sec[kind] + 1) * sizeof(*ns));
        if (!ns)
            return -ENOMEM;
        s->ext[kind] = ns;
        ns[s->next_sec[kind]++] = (struct extsec){sec, rec, n, p + off};
        /* every record starts with an insn byte offset: check it */
        for (uint32_t k = 0; k < n; k++) {
            uint32_t io = rd32(p + off + (size_t)k * rec);
            if (io % 8 || io / 8 >= s->secs[sec].ninsn)
                return FAIL(EINVAL, "object '%s': .BTF.ext %s offset %u outside '%s'", s->name, what[kind], io,
                            name);
        }
        off += (size_t)n * rec;
    }
    return 0;
}

int espec_btf_ext(struct ebpf_spec *s)
{
    if (!s->btf_ext || !s->obtf)
        return 0;
    const unsigned char *p = s->btf_ext;
    size_t len = s->btf_ext_size;
    if (len < 24)
        return FAIL(EINVAL, "object '%s': .BTF.ext too short", s->name);
    uint16_t magic;
    memcpy(&magic, p, 2);
    uint32_t hdr = rd32(p + 4);
    if (magic != BTF_MAGIC || p[2] != 1 || hdr < 24 || hdr > len)
        return FAIL(EINVAL, "object '%s': bad .BTF.ext header", s->name);
    uint32_t offs[3][2] = {{rd32(p + 8), rd32(p + 12)}, {rd32(p + 16), rd32(p + 20)}, {0, 0}};
    if (hdr >= 32) {
        offs[2][0] = rd32(p + 24);
        offs[2][1] = rd32(p + 28);
    }
    static const uint32_t min_rec[3] = {8, 16, 16};
    for (int k = 0; k < 3; k++) {
        uint64_t start = (uint64_t)hdr + offs[k][0];
        if (offs[k][1] && start + offs[k][1] > len)
            return FAIL(EINVAL, "object '%s': .BTF.ext section out of bounds", s->name);
        int r = parse_info(s, k, p + start, offs[k][1], min_rec[k]);
        if (r < 0)
            return r;
    }
    return 0;
}
