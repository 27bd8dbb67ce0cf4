/* ELF side of uprobes: finding a binary like the dynamic loader does and
 * turning a (versioned) function symbol or address into a file offset. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ebpf/sys.h"
#include "link_internal.h"

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Directories listed in /etc/ld.so.cache (format glibc-ld.so.cache1.1). */
static int ldcache_find(const char *name, char *out, size_t size)
{
    FILE *f = fopen("/etc/ld.so.cache", "re");
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (len <= 48 || len > (64 << 20)) {
        fclose(f);
        return 0;
    }
    char *buf = malloc((size_t)len + 1);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        fclose(f);
        return 0;
    }
    fclose(f);
    buf[len] = 0;
    const char magic[] = "glibc-ld.so.cache1.1";
    char *base = memmem(buf, (size_t)len, magic, sizeof(magic) - 1);
    int ok = 0;
    if (base && (size_t)(base - buf) + 48 <= (size_t)len) { /* the whole header: its count at +20 */
        size_t hoff = (size_t)(base - buf);
        uint32_t n;
        memcpy(&n, base + 20, 4);
        size_t eoff = hoff + 48;
        for (uint32_t i = 0; i < n && eoff + 24 <= (size_t)len; i++, eoff += 24) {
            uint32_t key, val;
            memcpy(&key, buf + eoff + 4, 4);
            memcpy(&val, buf + eoff + 8, 4);
            /* New format: offsets from the start of the new header. */
            if (hoff + key >= (size_t)len || hoff + val >= (size_t)len)
                continue;
            if (strcmp(buf + hoff + key, name) == 0 && is_file(buf + hoff + val)) {
                snprintf(out, size, "%s", buf + hoff + val);
                ok = 1;
                break;
            }
        }
    }
    free(buf);
    return ok;
}

static int search_dirs(const char *dirs, const char *name, char *out, size_t size, char *tried, size_t tsize)
{
    if (!dirs)
        return 0;
    char *copy = strdup(dirs);
    if (!copy)
        return 0;
    int ok = 0;
    char *save = NULL;
    for (char *d = strtok_r(copy, ":", &save); d && !ok; d = strtok_r(NULL, ":", &save)) {
        if (!d[0])
            continue;
        snprintf(out, size, "%s/%s", d, name);
        ok = is_file(out);
        if (!ok && strlen(tried) + strlen(d) + 3 < tsize) {
            strcat(tried, tried[0] ? ", " : "");
            strcat(tried, d);
        }
    }
    free(copy);
    return ok;
}

int ebpf_link_resolve_binary(const char *name, char *out, size_t size)
{
    if (!name || !name[0])
        return ebpf_err(EINVAL, "attach", "uprobe: no binary path given");
    if (strchr(name, '/')) {
        if (!is_file(name))
            return ebpf_err(ENOENT, "attach", "uprobe: binary '%s' not found", name);
        snprintf(out, size, "%s", name);
        return 0;
    }
    char tried[1024] = "";
    if (strstr(name, ".so")) {
        if (search_dirs(getenv("LD_LIBRARY_PATH"), name, out, size, tried, sizeof(tried)))
            return 0;
        if (ldcache_find(name, out, size))
            return 0;
        strcat(tried, tried[0] ? ", /etc/ld.so.cache" : "/etc/ld.so.cache");
        static const char std[] = "/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:/lib64:/usr/lib64:/lib:/usr/lib:/usr/local/lib";
        if (search_dirs(std, name, out, size, tried, sizeof(tried)))
            return 0;
        return ebpf_err(ENOENT, "attach", "uprobe: library '%s' not found (looked in LD_LIBRARY_PATH, %s)", name, tried);
    }
    if (search_dirs(getenv("PATH"), name, out, size, tried, sizeof(tried)))
        return 0;
    return ebpf_err(ENOENT, "attach", "uprobe: binary '%s' not found in PATH (%s)", name, tried);
}

struct elf_file {
    int fd;
    Elf *e;
};

static int elf_open_file(const char *path, struct elf_file *ef)
{
    elf_version(EV_CURRENT);
    ef->fd = ebpf_file_open(path, "uprobe binary", 0, NULL);
    if (ef->fd < 0)
        return ef->fd;
    ef->e = elf_begin(ef->fd, ELF_C_READ_MMAP, NULL);
    if (!ef->e || elf_kind(ef->e) != ELF_K_ELF) {
        if (ef->e)
            elf_end(ef->e);
        close(ef->fd);
        return ebpf_err(ENOEXEC, "attach", "uprobe: '%s' is not an ELF file", path);
    }
    return 0;
}

static void elf_close_file(struct elf_file *ef)
{
    elf_end(ef->e);
    close(ef->fd);
}

/* Version name of dynsym entry i (from .gnu.version + verdef/verneed), or
 * NULL; *hidden is set for non-default versions. */
static const char *sym_version(Elf *e, Elf_Scn *versym, Elf_Scn *verdef, size_t i, int *hidden)
{
    *hidden = 0;
    if (!versym || !verdef)
        return NULL;
    Elf_Data *vd = elf_getdata(versym, NULL);
    if (!vd || (i + 1) * 2 > vd->d_size)
        return NULL;
    uint16_t ver;
    memcpy(&ver, (char *)vd->d_buf + i * 2, 2);
    *hidden = (ver & 0x8000) != 0;
    ver &= 0x7fff;
    if (ver <= 1)
        return NULL;
    GElf_Shdr sh;
    if (!gelf_getshdr(verdef, &sh))
        return NULL;
    Elf_Data *dd = elf_getdata(verdef, NULL);
    if (!dd)
        return NULL;
    size_t off = 0;
    for (size_t k = 0; k < sh.sh_info && off + sizeof(GElf_Verdef) <= dd->d_size; k++) {
        GElf_Verdef def;
        if (!gelf_getverdef(dd, (int)off, &def))
            return NULL;
        if (def.vd_ndx == ver && def.vd_cnt > 0) {
            GElf_Verdaux aux;
            if (off + def.vd_aux + sizeof(aux) > dd->d_size || !gelf_getverdaux(dd, (int)(off + def.vd_aux), &aux))
                return NULL;
            return elf_strptr(e, sh.sh_link, aux.vda_name);
        }
        if (!def.vd_next)
            break;
        off += def.vd_next;
    }
    return NULL;
}

int ebpf_link_elf_vaddr_offset(const char *path, uint64_t vaddr, uint64_t *off)
{
    struct elf_file ef;
    int r = elf_open_file(path, &ef);
    if (r < 0)
        return r;
    size_t n = 0;
    elf_getphdrnum(ef.e, &n);
    r = ebpf_err(ENOENT, "attach", "uprobe: address 0x%llx is in no loadable segment of '%s'",
                 (unsigned long long)vaddr, path);
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(ef.e, (int)i, &ph) || ph.p_type != PT_LOAD)
            continue;
        if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_memsz) {
            *off = vaddr - ph.p_vaddr + ph.p_offset;
            ebpf_error_clear();
            r = 0;
            break;
        }
    }
    elf_close_file(&ef);
    return r;
}

/* Finds a function symbol's address; name may be "f", "f@V" or "f@@V". */
static int find_symbol(struct elf_file *ef, const char *path, const char *symbol, uint64_t *vaddr)
{
    char base[256];
    snprintf(base, sizeof(base), "%s", symbol);
    const char *want_ver = NULL;
    int want_default = 0;
    char *at = strchr(base, '@');
    if (at) {
        *at = 0;
        want_default = at[1] == '@';
        want_ver = at + 1 + want_default;
    }
    Elf_Scn *versym = NULL, *verdef = NULL, *scn = NULL;
    while ((scn = elf_nextscn(ef->e, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            continue;
        if (sh.sh_type == SHT_GNU_versym)
            versym = scn;
        else if (sh.sh_type == SHT_GNU_verdef)
            verdef = scn;
    }
    int found = 0, nsyms = 0;
    uint64_t addr = 0;
    /* .symtab first (full names, maybe already "f@V"), then .dynsym. */
    for (int pass = 0; pass < 2 && !found; pass++) {
        scn = NULL;
        while ((scn = elf_nextscn(ef->e, scn)) && !found) {
            GElf_Shdr sh;
            if (!gelf_getshdr(scn, &sh) || sh.sh_type != (pass == 0 ? SHT_SYMTAB : SHT_DYNSYM) || !sh.sh_entsize)
                continue;
            Elf_Data *d = elf_getdata(scn, NULL);
            if (!d)
                continue;
            size_t cnt = d->d_size / sh.sh_entsize;
            nsyms += (int)cnt;
            for (size_t i = 0; i < cnt; i++) {
                GElf_Sym s;
                if (!gelf_getsym(d, (int)i, &s))
                    continue;
                int type = GELF_ST_TYPE(s.st_info);
                if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF || !s.st_value)
                    continue;
                const char *n = elf_strptr(ef->e, sh.sh_link, s.st_name);
                if (!n)
                    continue;
                size_t bl = strlen(base);
                if (strncmp(n, base, bl) != 0)
                    continue;
                if (n[bl] == 0) {
                    int hidden = 0;
                    const char *v = pass == 1 ? sym_version(ef->e, versym, verdef, i, &hidden) : NULL;
                    if (want_ver) {
                        if (!v || strcmp(v, want_ver) != 0 || (want_default && hidden))
                            continue;
                    } else if (hidden) {
                        if (!addr)
                            addr = s.st_value; /* fallback: only a hidden version exists */
                        continue;
                    }
                    addr = s.st_value;
                    found = 1;
                    break;
                }
                if (n[bl] == '@') { /* .symtab style "f@V" / "f@@V" */
                    const char *v = n + bl + 1;
                    int dflt = *v == '@';
                    v += dflt;
                    if (want_ver ? (strcmp(v, want_ver) == 0 && (!want_default || dflt)) : dflt) {
                        addr = s.st_value;
                        found = 1;
                        break;
                    }
                }
            }
        }
    }
    if (!found && addr && !want_ver)
        found = 1;
    if (!found) {
        if (!nsyms)
            return ebpf_err(ENOENT, "attach", "uprobe: '%s' has no symbol table (.symtab/.dynsym); give an offset or address", path);
        return ebpf_err(ENOENT, "attach", "uprobe: function '%s' not found in .symtab/.dynsym of '%s'", symbol, path);
    }
    *vaddr = addr;
    return 0;
}

int ebpf_link_elf_symbol_offset(const char *path, const char *symbol, uint64_t *off)
{
    struct elf_file ef;
    int r = elf_open_file(path, &ef);
    if (r < 0)
        return r;
    uint64_t vaddr = 0;
    r = find_symbol(&ef, path, symbol, &vaddr);
    elf_close_file(&ef);
    if (r < 0)
        return r;
    return ebpf_link_elf_vaddr_offset(path, vaddr, off);
}


/* File offsets of every defined function symbol matching a glob
 * (uprobe.multi patterns); duplicates (.symtab and .dynsym) once. */
int link_elf_glob_offsets(const char *path, const char *pattern, uint64_t **out, size_t *cnt)
{
    struct elf_file ef;
    int r = elf_open_file(path, &ef);
    if (r < 0)
        return r;
    uint64_t *v = NULL;
    size_t n = 0, cap = 0;
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(ef.e, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) || !sh.sh_entsize)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        size_t syms = d ? d->d_size / sh.sh_entsize : 0;
        for (size_t i = 0; i < syms; i++) {
            GElf_Sym s;
            if (!gelf_getsym(d, (int)i, &s))
                continue;
            int type = GELF_ST_TYPE(s.st_info);
            if ((type != STT_FUNC && type != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF || !s.st_value)
                continue;
            const char *nm = elf_strptr(ef.e, sh.sh_link, s.st_name);
            if (!nm || fnmatch(pattern, nm, 0) != 0)
                continue;
            size_t j;
            for (j = 0; j < n && v[j] != s.st_value; j++)
                ;
            if (j < n)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                uint64_t *nv = realloc(v, cap * sizeof(*v));
                if (!nv) {
                    free(v);
                    elf_close_file(&ef);
                    return ebpf_err(ENOMEM, "attach", "uprobe: out of memory");
                }
                v = nv;
            }
            v[n++] = s.st_value; /* vaddr for now */
        }
    }
    elf_close_file(&ef);
    if (!n) {
        free(v);
        return ebpf_err(ENOENT, "attach", "uprobe: no function matches '%s' in .symtab/.dynsym of '%s'", pattern, path);
    }
    for (size_t i = 0; i < n; i++) {
        if (ebpf_link_elf_vaddr_offset(path, v[i], &v[i]) < 0) {
            free(v);
            return -ebpf_error_errno();
        }
    }
    *out = v;
    *cnt = n;
    return 0;
}
