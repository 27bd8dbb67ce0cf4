/* Function symbols of a user ELF file (.symtab and .dynsym) with its
 * loadable segments. A stripped file's .symtab comes from its separate
 * debug file, found as gdb finds it: by build-id
 * (DEBUG/.build-id/xx/rest.debug, its build-id checked), then by
 * .gnu_debuglink (DIR/name, DIR/.debug/name, DEBUG/DIR/name, its CRC32
 * checked). Names are copied out: the ELF is closed when this returns. */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "ebpf/sys.h"
#include "error_internal.h"
#include "sym_internal.h"

#define ELF_FILE_MAX ((size_t)4 << 30) /* mmapped, not read: a generous cap */
#define BUILD_ID_MAX 64

struct bsym {
    uint64_t addr, size;
    size_t name; /* offset in the pool while building */
    int prio;    /* higher wins between symbols at one address */
};

struct builder {
    struct bsym *v;
    size_t n, cap;
    char *pool;
    size_t plen, pcap;
};

static int add_sym(struct builder *b, uint64_t addr, uint64_t size, const char *name, int prio)
{
    size_t nl = strlen(name) + 1;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        struct bsym *v = realloc(b->v, cap * sizeof(*v));
        if (!v)
            return -ENOMEM;
        b->v = v;
        b->cap = cap;
    }
    if (b->plen + nl > b->pcap) {
        size_t cap = b->pcap ? b->pcap : 4096;
        while (cap < b->plen + nl)
            cap *= 2;
        char *p = realloc(b->pool, cap);
        if (!p)
            return -ENOMEM;
        b->pool = p;
        b->pcap = cap;
    }
    memcpy(b->pool + b->plen, name, nl);
    b->v[b->n++] = (struct bsym){addr, size, b->plen, prio};
    b->plen += nl;
    return 0;
}

/* Defined functions of every section of this type (SHT_SYMTAB/SHT_DYNSYM). */
static int collect(Elf *e, Elf64_Word type, struct builder *b, int prio)
{
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(e, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        size_t cnt = d && d->d_buf ? d->d_size / sh.sh_entsize : 0;
        for (size_t i = 0; i < cnt; i++) {
            GElf_Sym s;
            if (!gelf_getsym(d, (int)i, &s))
                continue;
            int t = GELF_ST_TYPE(s.st_info);
            if ((t != STT_FUNC && t != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF || !s.st_value)
                continue;
            const char *name = elf_strptr(e, sh.sh_link, s.st_name);
            if (!name || !name[0])
                continue;
            /* between names of one address: sized, global, unversioned
             * ("__clock_nanosleep"), default version ("f@@V"), then "f@V" */
            const char *at = strchr(name, '@');
            int p = prio + 8 * (s.st_size > 0) + 4 * (GELF_ST_BIND(s.st_info) == STB_GLOBAL) + 2 * !at +
                    (at && at[1] == '@');
            uint64_t size = s.st_size;
            GElf_Shdr in;
            if (!size && s.st_shndx < SHN_LORESERVE && gelf_getshdr(elf_getscn(e, s.st_shndx), &in) &&
                s.st_value >= in.sh_addr && s.st_value < in.sh_addr + in.sh_size)
                size = in.sh_addr + in.sh_size - s.st_value; /* no size (assembly): up to its section's end */
            if (add_sym(b, s.st_value, size, name, p) < 0)
                return -ENOMEM;
        }
    }
    return 0;
}

static int has_symtab(Elf *e)
{
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(e, scn))) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB && sh.sh_entsize && sh.sh_size > sh.sh_entsize)
            return 1;
    }
    return 0;
}

/* The GNU build-id note: its length, 0 if none. */
static size_t build_id(Elf *e, unsigned char *id)
{
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(e, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        if (!d || !d->d_buf)
            continue;
        GElf_Nhdr nh;
        size_t off = 0, noff, doff;
        while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
            if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && !memcmp((char *)d->d_buf + noff, "GNU", 4) &&
                nh.n_descsz > 0 && nh.n_descsz <= BUILD_ID_MAX) {
                memcpy(id, (char *)d->d_buf + doff, nh.n_descsz);
                return nh.n_descsz;
            }
        }
    }
    return 0;
}

/* The .gnu_debuglink name (one path component) and CRC; 0 if none. */
static int debuglink(Elf *e, char *name, size_t size, uint32_t *crc)
{
    size_t shstr;
    if (elf_getshdrstrndx(e, &shstr) != 0)
        return 0;
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(e, scn))) {
        GElf_Shdr sh;
        const char *sn;
        if (!gelf_getshdr(scn, &sh) || !(sn = elf_strptr(e, shstr, sh.sh_name)) || strcmp(sn, ".gnu_debuglink"))
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        if (!d || !d->d_buf || d->d_size < 8)
            return 0;
        const char *s = d->d_buf;
        size_t nl = strnlen(s, d->d_size);
        size_t crc_off = (nl + 4) & ~(size_t)3; /* the name, its NUL, padding to 4 */
        if (!nl || nl >= size || crc_off + 4 > d->d_size || memchr(s, '/', nl) || !strcmp(s, ".") || !strcmp(s, ".."))
            return 0;
        memcpy(name, s, nl + 1);
        memcpy(crc, s + crc_off, 4);
        return 1;
    }
    return 0;
}

static uint32_t file_crc(int fd)
{
    unsigned char buf[1 << 16];
    uLong crc = crc32(0L, Z_NULL, 0);
    off_t pos = 0;
    ssize_t r;
    while ((r = pread(fd, buf, sizeof(buf), pos)) > 0) {
        crc = crc32(crc, buf, (uInt)r);
        pos += r;
    }
    return (uint32_t)crc;
}

/* An ELF with a .symtab at path, or NULL. want_id/want_crc: checks. */
static Elf *open_debug(const char *path, const struct stat *self, const unsigned char *want_id, size_t idlen,
                       const uint32_t *want_crc, int *fdp)
{
    int fd = ebpf_file_open(path, "debug file", ELF_FILE_MAX, NULL);
    if (fd < 0) {
        ebpf_error_clear(); /* a candidate that is not there is no failure */
        return NULL;
    }
    struct stat st;
    Elf *e = NULL;
    if (fstat(fd, &st) == 0 && !(st.st_dev == self->st_dev && st.st_ino == self->st_ino) &&
        (!want_crc || file_crc(fd) == *want_crc))
        e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (e && elf_kind(e) == ELF_K_ELF && has_symtab(e)) {
        unsigned char id[BUILD_ID_MAX];
        if (!want_id || (build_id(e, id) == idlen && !memcmp(id, want_id, idlen))) {
            *fdp = fd;
            return e;
        }
    }
    if (e)
        elf_end(e);
    close(fd);
    return NULL;
}

static Elf *find_debug(Elf *e, int fd, const char *path, const char *debug_dir, int *dfd, char *from, size_t fsize)
{
    struct stat self;
    if (fstat(fd, &self) < 0)
        return NULL;
    char cand[PATH_MAX];
    unsigned char id[BUILD_ID_MAX];
    size_t idlen = build_id(e, id);
    if (idlen >= 2) {
        int n = snprintf(cand, sizeof(cand), "%s/.build-id/%02x/", debug_dir, id[0]);
        for (size_t i = 1; i < idlen && n > 0 && (size_t)n + 3 < sizeof(cand); i++)
            n += snprintf(cand + n, sizeof(cand) - (size_t)n, "%02x", id[i]);
        if (n > 0 && (size_t)n + 7 < sizeof(cand)) {
            strcpy(cand + n, ".debug");
            Elf *d = open_debug(cand, &self, id, idlen, NULL, dfd);
            if (d) {
                snprintf(from, fsize, "build-id");
                return d;
            }
        }
    }
    char name[256];
    uint32_t crc;
    if (path[0] != '/' || !debuglink(e, name, sizeof(name), &crc))
        return NULL;
    const char *slash = strrchr(path, '/');
    int dl = (int)(slash - path); /* the binary's directory, "" for "/" */
    const char *fmts[] = {"%.*s/%s", "%.*s/.debug/%s", "%s%.*s/%s"};
    for (int k = 0; k < 3; k++) {
        int n = k < 2 ? snprintf(cand, sizeof(cand), fmts[k], dl, path, name)
                      : snprintf(cand, sizeof(cand), fmts[k], debug_dir, dl, path, name);
        if (n <= 0 || (size_t)n >= sizeof(cand))
            continue;
        Elf *d = open_debug(cand, &self, NULL, 0, &crc, dfd);
        if (d) {
            snprintf(from, fsize, "debuglink");
            return d;
        }
    }
    return NULL;
}

static int cmp_bsym(const void *pa, const void *pb)
{
    const struct bsym *a = pa, *b = pb;
    if (a->addr != b->addr)
        return a->addr < b->addr ? -1 : 1;
    if (a->prio != b->prio)
        return b->prio - a->prio;
    return a->name < b->name ? -1 : a->name > b->name; /* pool offsets: the order of the tables */
}

static int load_segments(Elf *e, struct usymtab *t)
{
    size_t n = 0;
    if (elf_getphdrnum(e, &n) != 0)
        return 0;
    t->segs = calloc(n ? n : 1, sizeof(*t->segs));
    if (!t->segs)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD)
            t->segs[t->nsegs++] = (struct useg){ph.p_offset, ph.p_filesz, ph.p_vaddr};
    }
    return 0;
}

int usymtab_load(int fd, const char *path, const char *debug_dir, struct usymtab *t)
{
    memset(t, 0, sizeof(*t));
    elf_version(EV_CURRENT);
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (!e || elf_kind(e) != ELF_K_ELF) {
        if (e)
            elf_end(e);
        return ebpf_err(ENOEXEC, "symbols", "'%s' is not an ELF file", path);
    }
    struct builder b = {0};
    int r = load_segments(e, t);
    if (r == 0)
        r = collect(e, SHT_SYMTAB, &b, 16);
    if (r == 0)
        r = collect(e, SHT_DYNSYM, &b, 0);
    if (r == 0 && !has_symtab(e)) {
        int dfd = -1;
        Elf *d = find_debug(e, fd, path, debug_dir, &dfd, t->debug_from, sizeof(t->debug_from));
        if (d) {
            r = collect(d, SHT_SYMTAB, &b, 16);
            elf_end(d);
            close(dfd);
        }
    }
    elf_end(e);
    if (r == 0 && b.n) {
        qsort(b.v, b.n, sizeof(*b.v), cmp_bsym);
        t->syms = malloc(b.n * sizeof(*t->syms));
        if (!t->syms)
            r = -ENOMEM;
    }
    if (r < 0) {
        free(b.v);
        free(b.pool);
        usymtab_free(t);
        return ebpf_err(-r, "symbols", "'%s': out of memory", path);
    }
    for (size_t i = 0; i < b.n; i++) /* one symbol per address, the best first after sorting */
        if (!t->n || t->syms[t->n - 1].addr != b.v[i].addr)
            t->syms[t->n++] = (struct usym){b.v[i].addr, b.v[i].size, b.pool + b.v[i].name};
    free(b.v);
    t->pool = b.pool;
    return 0;
}

void usymtab_free(struct usymtab *t)
{
    free(t->syms);
    free(t->pool);
    free(t->segs);
    memset(t, 0, sizeof(*t));
}

int usymtab_vaddr(const struct usymtab *t, uint64_t off, uint64_t *vaddr)
{
    for (size_t i = 0; i < t->nsegs; i++) {
        const struct useg *s = &t->segs[i];
        if (off >= s->off && off - s->off < s->filesz) {
            *vaddr = off - s->off + s->vaddr;
            return 1;
        }
    }
    return 0;
}

const struct usym *usymtab_find(const struct usymtab *t, uint64_t vaddr)
{
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->syms[mid].addr <= vaddr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!lo)
        return NULL;
    const struct usym *s = &t->syms[lo - 1];
    if (s->size && vaddr - s->addr >= s->size)
        return NULL; /* past its end: a gap, PLT stubs, padding */
    return s;
}
