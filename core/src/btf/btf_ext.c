/* .BTF.ext: per-section func info, line info and CO-RE relocation
 * records, validated against the matching .BTF. */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/sys.h"
#include "btf_internal.h"
#include "elf/elf_bswap.h"
#include "error_internal.h"

/* The compiler's .BTF.ext header (not part of the kernel UAPI). Offsets
 * are relative to the end of the header. */
struct ext_header {
    uint16_t magic;
    uint8_t version;
    uint8_t flags;
    uint32_t hdr_len;
    uint32_t func_info_off, func_info_len;
    uint32_t line_info_off, line_info_len;
    uint32_t core_relo_off, core_relo_len; /* only if hdr_len covers them */
};

struct ebpf_btf_ext {
    unsigned char *data;
    size_t size;
    struct ebpf_btf_ext_sec *secs[3];
    uint32_t nsecs[3];
};

static const char *const kind_what[] = {"func info", "line info", "CO-RE relocation"};
static const uint32_t min_rec[] = {sizeof(struct bpf_func_info), sizeof(struct bpf_line_info),
                                   sizeof(struct bpf_core_relo)};

#define FAIL(...) do { ebpf_err(EINVAL, "parse", __VA_ARGS__); return -EINVAL; } while (0)

static int check_rec(const struct ebpf_btf *btf, int kind, const unsigned char *rec, const char *sec, uint32_t i)
{
    uint32_t w[4];
    memcpy(w, rec, min_rec[kind]);
    uint32_t cnt = ebpf_btf_type_cnt(btf);
    if (w[0] % 8)
        FAIL("btf.ext: %s of section '%s', record %u: instruction offset %u not a multiple of 8",
             kind_what[kind], sec, i, w[0]);
    switch (kind) {
    case EBPF_BTF_EXT_FUNC_INFO:
        if (w[1] >= cnt || ebpf_btf_kind(btf, w[1]) != BTF_KIND_FUNC)
            FAIL("btf.ext: func info of section '%s', record %u: type %u is not a func", sec, i, w[1]);
        break;
    case EBPF_BTF_EXT_LINE_INFO:
        if (!ebpf_btf_str(btf, w[1]) || !ebpf_btf_str(btf, w[2]))
            FAIL("btf.ext: line info of section '%s', record %u: string offset out of bounds", sec, i);
        break;
    case EBPF_BTF_EXT_CORE_RELO:
        if (w[1] >= cnt)
            FAIL("btf.ext: CO-RE relocation of section '%s', record %u: type id %u out of range", sec, i, w[1]);
        if (!ebpf_btf_str(btf, w[2]))
            FAIL("btf.ext: CO-RE relocation of section '%s', record %u: access string out of bounds", sec, i);
        break;
    }
    return 0;
}

static int parse_info(struct ebpf_btf_ext *x, const struct ebpf_btf *btf, int kind, uint32_t off, uint32_t len,
                      uint32_t base)
{
    if (!len)
        return 0;
    if ((uint64_t)base + off + len > x->size)
        FAIL("btf.ext: %s section out of bounds", kind_what[kind]);
    const unsigned char *p = x->data + base + off, *end = p + len;
    if (len < 4)
        FAIL("btf.ext: %s section too short", kind_what[kind]);
    uint32_t rec_size;
    memcpy(&rec_size, p, 4);
    p += 4;
    if (rec_size < min_rec[kind] || rec_size % 4 || rec_size > 1024)
        FAIL("btf.ext: %s: bad record size %u", kind_what[kind], rec_size);
    uint32_t cap = 0;
    while (p < end) {
        if (end - p < 8)
            FAIL("btf.ext: %s: truncated section header", kind_what[kind]);
        uint32_t name_off, num;
        memcpy(&name_off, p, 4);
        memcpy(&num, p + 4, 4);
        p += 8;
        const char *name = ebpf_btf_str(btf, name_off);
        if (!name || !*name)
            FAIL("btf.ext: %s: section name offset %u out of bounds", kind_what[kind], name_off);
        if (num == 0)
            FAIL("btf.ext: %s of section '%s': no records", kind_what[kind], name);
        if ((uint64_t)num * rec_size > (uint64_t)(end - p))
            FAIL("btf.ext: %s of section '%s': %u records exceed the section", kind_what[kind], name, num);
        for (uint32_t i = 0; i < num; i++)
            if (check_rec(btf, kind, p + (size_t)i * rec_size, name, i) < 0)
                return -EINVAL;
        if (x->nsecs[kind] == cap) {
            cap = cap ? cap * 2 : 8;
            struct ebpf_btf_ext_sec *ns = realloc(x->secs[kind], cap * sizeof(*ns));
            if (!ns)
                return ebpf_err(ENOMEM, "parse", "btf.ext: out of memory");
            x->secs[kind] = ns;
        }
        x->secs[kind][x->nsecs[kind]++] = (struct ebpf_btf_ext_sec){
            .name = name, .rec_size = rec_size, .count = num, .recs = p};
        p += (size_t)num * rec_size;
    }
    return 0;
}

void ebpf_btf_ext_free(struct ebpf_btf_ext *x)
{
    if (!x)
        return;
    for (int k = 0; k < 3; k++)
        free(x->secs[k]);
    free(x->data);
    free(x);
}

struct ebpf_btf_ext *ebpf_btf_ext_new(const void *data, size_t size, const struct ebpf_btf *btf)
{
    if (!btf)
        return ebpf_err_null(EINVAL, "parse", "btf.ext: needs the object's .BTF");
    struct ext_header h;
    memset(&h, 0, sizeof(h));
    if (!data || size < offsetof(struct ext_header, core_relo_off))
        return ebpf_err_null(EINVAL, "parse", "btf.ext: %zu bytes, too short for a header", size);
    uint16_t magic;
    memcpy(&magic, data, 2);
    if (magic == __builtin_bswap16(BTF_MAGIC)) {
        /* big-endian object's .BTF.ext: parse a host-order copy */
        void *copy = malloc(size);
        if (!copy)
            return ebpf_err_null(ENOMEM, "parse", "btf.ext: out of memory");
        memcpy(copy, data, size);
        struct ebpf_btf_ext *x = NULL;
        if (elf_bswap_btf_ext(copy, size) < 0)
            ebpf_err(EINVAL, "parse", "btf.ext: malformed byte-swapped (big-endian) .BTF.ext");
        else
            x = ebpf_btf_ext_new(copy, size, btf);
        int e = errno;
        free(copy);
        errno = e;
        return x;
    }
    memcpy(&h, data, offsetof(struct ext_header, core_relo_off));
    if (h.magic != BTF_MAGIC)
        return ebpf_err_null(EINVAL, "parse", "btf.ext: bad magic 0x%04x", h.magic);
    if (h.version != BTF_VERSION)
        return ebpf_err_null(EINVAL, "parse", "btf.ext: unsupported version %u", h.version);
    if (h.hdr_len < offsetof(struct ext_header, core_relo_off) || h.hdr_len > size)
        return ebpf_err_null(EINVAL, "parse", "btf.ext: bad header length %u", h.hdr_len);
    if (h.hdr_len >= sizeof(h))
        memcpy(&h.core_relo_off, (const char *)data + offsetof(struct ext_header, core_relo_off), 8);
    struct ebpf_btf_ext *x = calloc(1, sizeof(*x));
    if (!x)
        return ebpf_err_null(ENOMEM, "parse", "btf.ext: out of memory");
    x->data = malloc(size);
    if (!x->data) {
        free(x);
        return ebpf_err_null(ENOMEM, "parse", "btf.ext: out of memory");
    }
    memcpy(x->data, data, size);
    x->size = size;
    if (parse_info(x, btf, EBPF_BTF_EXT_FUNC_INFO, h.func_info_off, h.func_info_len, h.hdr_len) < 0 ||
        parse_info(x, btf, EBPF_BTF_EXT_LINE_INFO, h.line_info_off, h.line_info_len, h.hdr_len) < 0 ||
        parse_info(x, btf, EBPF_BTF_EXT_CORE_RELO, h.core_relo_off, h.core_relo_len, h.hdr_len) < 0) {
        int e = ebpf_error_errno();
        ebpf_btf_ext_free(x);
        errno = e ? e : EINVAL;
        return NULL;
    }
    return x;
}

uint32_t ebpf_btf_ext_sec_cnt(const struct ebpf_btf_ext *x, enum ebpf_btf_ext_kind kind)
{
    return (unsigned)kind < 3 ? x->nsecs[kind] : 0;
}

const struct ebpf_btf_ext_sec *ebpf_btf_ext_sec(const struct ebpf_btf_ext *x, enum ebpf_btf_ext_kind kind,
                                                uint32_t idx)
{
    if ((unsigned)kind >= 3 || idx >= x->nsecs[kind])
        return NULL;
    return &x->secs[kind][idx];
}

const struct ebpf_btf_ext_sec *ebpf_btf_ext_find_sec(const struct ebpf_btf_ext *x, enum ebpf_btf_ext_kind kind,
                                                     const char *name)
{
    if ((unsigned)kind >= 3 || !name)
        return NULL;
    for (uint32_t i = 0; i < x->nsecs[kind]; i++)
        if (!strcmp(x->secs[kind][i].name, name))
            return &x->secs[kind][i];
    return NULL;
}

static int get_rec(const struct ebpf_btf_ext_sec *s, uint32_t i, void *out, size_t n)
{
    if (!s || i >= s->count || s->rec_size < n)
        return -EINVAL;
    memcpy(out, (const unsigned char *)s->recs + (size_t)i * s->rec_size, n);
    return 0;
}

int ebpf_btf_ext_func_info(const struct ebpf_btf_ext_sec *s, uint32_t i, struct bpf_func_info *out)
{
    return get_rec(s, i, out, sizeof(*out));
}

int ebpf_btf_ext_line_info(const struct ebpf_btf_ext_sec *s, uint32_t i, struct bpf_line_info *out)
{
    return get_rec(s, i, out, sizeof(*out));
}

int ebpf_btf_ext_core_relo(const struct ebpf_btf_ext_sec *s, uint32_t i, struct bpf_core_relo *out)
{
    return get_rec(s, i, out, sizeof(*out));
}

struct ebpf_btf_ext *ebpf_btf_ext_from_elf(const void *image, size_t size, const char *path,
                                           const struct ebpf_btf *btf)
{
    void *data = NULL;
    size_t n = 0;
    int r;
    if (path) {
        int fd = ebpf_file_open(path, "btf.ext", EBPF_MAX_OBJECT_FILE, NULL);
        if (fd < 0) {
            errno = -fd;
            return NULL;
        }
        r = btf_elf_section(fd, NULL, 0, path, ".BTF.ext", &data, &n);
        close(fd);
    } else {
        /* libelf may convert the image in place: work on a copy. */
        void *img = malloc(size ? size : 1);
        if (!img)
            return ebpf_err_null(ENOMEM, "open", "btf.ext: out of memory");
        memcpy(img, image, size);
        r = btf_elf_section(-1, img, size, "(ELF image)", ".BTF.ext", &data, &n);
        free(img);
    }
    if (r < 0) {
        errno = -r;
        return NULL;
    }
    struct ebpf_btf_ext *x = ebpf_btf_ext_new(data, n, btf);
    int e = errno;
    free(data);
    errno = e;
    return x;
}
