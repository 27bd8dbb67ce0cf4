/* USDT (SystemTap SDT) probes: .note.stapsdt parsing, x86-64 argument
 * specs, and one uprobe per site whose bpf cookie indexes the spec map
 * read by <ebpf/bpf_usdt.h>. Semaphores are bumped by the kernel through
 * the uprobe's ref_ctr_offset. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/sys.h"
#include "link_internal.h"

static int vaddr_to_off(Elf *e, uint64_t vaddr, uint64_t *off)
{
    size_t n = 0;
    elf_getphdrnum(e, &n);
    for (size_t i = 0; i < n; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
            continue;
        if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_memsz) {
            *off = vaddr - ph.p_vaddr + ph.p_offset;
            return 0;
        }
    }
    return -ENOENT;
}

int ebpf_usdt_notes(const char *path, struct ebpf_usdt_note **out, size_t *cnt)
{
    *out = NULL;
    *cnt = 0;
    elf_version(EV_CURRENT);
    int fd = ebpf_file_open(path, "usdt binary", 0, NULL);
    if (fd < 0)
        return fd;
    Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    if (!e || elf_kind(e) != ELF_K_ELF) {
        if (e)
            elf_end(e);
        close(fd);
        return ebpf_err(ENOEXEC, "attach", "usdt: '%s' is not an ELF file", path);
    }
    size_t shstrndx;
    elf_getshdrstrndx(e, &shstrndx);
    Elf_Scn *scn = NULL, *notes = NULL;
    uint64_t base_addr = 0;
    int have_base = 0;
    while ((scn = elf_nextscn(e, scn))) {
        GElf_Shdr sh;
        if (!gelf_getshdr(scn, &sh))
            continue;
        const char *n = elf_strptr(e, shstrndx, sh.sh_name);
        if (!n)
            continue;
        if (!strcmp(n, ".note.stapsdt") && sh.sh_type == SHT_NOTE)
            notes = scn;
        else if (!strcmp(n, ".stapsdt.base")) {
            base_addr = sh.sh_addr;
            have_base = 1;
        }
    }
    int r = 0;
    size_t cap = 0;
    struct ebpf_usdt_note *v = NULL;
    Elf_Data *d = notes ? elf_getdata(notes, NULL) : NULL;
    size_t off = 0, next, name_off, desc_off;
    GElf_Nhdr nh;
    while (d && (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
        off = next;
        if (nh.n_type != 3 || nh.n_namesz != 8 || memcmp((char *)d->d_buf + name_off, "stapsdt", 8) != 0)
            continue;
        if (nh.n_descsz < 24 + 3 || desc_off + nh.n_descsz > d->d_size) {
            r = ebpf_err(EINVAL, "attach", "usdt: '%s': malformed stapsdt note", path);
            break;
        }
        const char *desc = (const char *)d->d_buf + desc_off;
        const char *end = desc + nh.n_descsz;
        if (*cnt == cap) {
            cap = cap ? cap * 2 : 16;
            struct ebpf_usdt_note *nv = realloc(v, cap * sizeof(*v));
            if (!nv) {
                r = ebpf_err(ENOMEM, "attach", "usdt: out of memory");
                break;
            }
            v = nv;
        }
        struct ebpf_usdt_note *u = &v[*cnt];
        memset(u, 0, sizeof(*u));
        memcpy(&u->pc, desc, 8);
        memcpy(&u->base, desc + 8, 8);
        memcpy(&u->semaphore, desc + 16, 8);
        const char *s = desc + 24;
        const char *fields[3] = {0};
        for (int i = 0; i < 3; i++) {
            const char *z = memchr(s, 0, (size_t)(end - s));
            if (!z) {
                fields[i] = NULL;
                break;
            }
            fields[i] = s;
            s = z + 1;
            if (s >= end && i < 2) {
                break;
            }
        }
        if (!fields[0] || !fields[1]) {
            r = ebpf_err(EINVAL, "attach", "usdt: '%s': malformed stapsdt note strings", path);
            break;
        }
        snprintf(u->provider, sizeof(u->provider), "%s", fields[0]);
        snprintf(u->name, sizeof(u->name), "%s", fields[1]);
        snprintf(u->args, sizeof(u->args), "%s", fields[2] ? fields[2] : "");
        /* Prelinked/moved binaries: shift by where .stapsdt.base ended up. */
        uint64_t pc = u->pc, sema = u->semaphore;
        if (have_base && u->base) {
            pc += base_addr - u->base;
            if (sema)
                sema += base_addr - u->base;
        }
        if (vaddr_to_off(e, pc, &u->pc_offset) < 0) {
            r = ebpf_err(EINVAL, "attach", "usdt: '%s': %s:%s at 0x%llx is outside loadable segments", path,
                         u->provider, u->name, (unsigned long long)pc);
            break;
        }
        if (sema && vaddr_to_off(e, sema, &u->sema_offset) < 0) {
            r = ebpf_err(EINVAL, "attach", "usdt: '%s': semaphore of %s:%s is outside loadable segments", path,
                         u->provider, u->name);
            break;
        }
        (*cnt)++;
    }
    elf_end(e);
    close(fd);
    if (r < 0) {
        free(v);
        *cnt = 0;
        return r;
    }
    *out = v;
    return 0;
}

/* x86-64 register -> offset in struct pt_regs. */
static int reg_offset(const char *r)
{
    static const struct { const char *names[4]; int off; } regs[] = {
        {{"rax", "eax", "ax", "al"}, 80}, {{"rbx", "ebx", "bx", "bl"}, 40},
        {{"rcx", "ecx", "cx", "cl"}, 88}, {{"rdx", "edx", "dx", "dl"}, 96},
        {{"rsi", "esi", "si", "sil"}, 104}, {{"rdi", "edi", "di", "dil"}, 112},
        {{"rbp", "ebp", "bp", "bpl"}, 32}, {{"rsp", "esp", "sp", "spl"}, 152},
        {{"r8", "r8d", "r8w", "r8b"}, 72}, {{"r9", "r9d", "r9w", "r9b"}, 64},
        {{"r10", "r10d", "r10w", "r10b"}, 56}, {{"r11", "r11d", "r11w", "r11b"}, 48},
        {{"r12", "r12d", "r12w", "r12b"}, 24}, {{"r13", "r13d", "r13w", "r13b"}, 16},
        {{"r14", "r14d", "r14w", "r14b"}, 8}, {{"r15", "r15d", "r15w", "r15b"}, 0},
        {{"rip", "eip", "ip", ""}, 128},
    };
    for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
        for (int k = 0; k < 4; k++)
            if (regs[i].names[k][0] && !strcmp(regs[i].names[k], r))
                return regs[i].off;
    return -1;
}

static int parse_reg(const char **sp, int *off)
{
    const char *s = *sp;
    if (*s != '%')
        return -1;
    s++;
    char name[8];
    size_t n = 0;
    while (isalnum((unsigned char)*s) && n < sizeof(name) - 1)
        name[n++] = *s++;
    name[n] = 0;
    *off = reg_offset(name);
    *sp = s;
    return *off < 0 ? -1 : 0;
}

int ebpf_usdt_parse_args(const char *args, struct ebpf_usdt_spec *spec)
{
    memset(spec, 0, sizeof(*spec));
    const char *s = args;
    int n = 0;
    while (*s) {
        while (*s == ' ')
            s++;
        if (!*s)
            break;
        if (n >= EBPF_USDT_MAX_ARGS)
            return ebpf_err(E2BIG, "attach", "usdt: more than %d arguments in '%s'", EBPF_USDT_MAX_ARGS, args);
        struct ebpf_usdt_arg *a = &spec->args[n];
        char *e;
        long size = strtol(s, &e, 10);
        if (e == s || *e != '@')
            return ebpf_err(EINVAL, "attach", "usdt: cannot parse argument %d of '%s'", n + 1, args);
        s = e + 1;
        /* bounded before the negation: -LONG_MIN overflows */
        long asz = size < -8 || size > 8 ? 0 : size < 0 ? -size : size;
        if (asz != 1 && asz != 2 && asz != 4 && asz != 8)
            return ebpf_err(EINVAL, "attach", "usdt: argument %d of '%s' has size %ld", n + 1, args, size);
        a->is_signed = size < 0;
        a->bitshift = (int8_t)(64 - asz * 8);
        int off;
        if (*s == '$') {
            a->kind = EBPF_USDT_ARG_CONST;
            a->val_off = (uint64_t)strtoll(s + 1, &e, 0);
            if (e == s + 1)
                return ebpf_err(EINVAL, "attach", "usdt: bad constant in argument %d of '%s'", n + 1, args);
            s = e;
        } else if (*s == '%') {
            if (parse_reg(&s, &off) < 0)
                return ebpf_err(EINVAL, "attach", "usdt: unknown register in argument %d of '%s'", n + 1, args);
            a->kind = EBPF_USDT_ARG_REG;
            a->reg_off = (int16_t)off;
        } else {
            long long disp = 0;
            if (*s != '(') {
                disp = strtoll(s, &e, 0);
                if (e == s)
                    return ebpf_err(EINVAL, "attach", "usdt: unsupported operand in argument %d of '%s'", n + 1, args);
                s = e;
            }
            if (*s != '(')
                return ebpf_err(EINVAL, "attach", "usdt: unsupported operand in argument %d of '%s'", n + 1, args);
            s++;
            if (parse_reg(&s, &off) < 0 || *s != ')')
                return ebpf_err(EINVAL, "attach", "usdt: unsupported operand in argument %d of '%s'", n + 1, args);
            s++;
            a->kind = EBPF_USDT_ARG_REG_DEREF;
            a->reg_off = (int16_t)off;
            a->val_off = (uint64_t)disp;
        }
        if (*s && *s != ' ')
            return ebpf_err(EINVAL, "attach", "usdt: trailing text in argument %d of '%s'", n + 1, args);
        n++;
    }
    spec->arg_cnt = (int16_t)n;
    return 0;
}

/* Finds a free slot in the spec map and writes the spec there. */
static int spec_alloc(int map_fd, const struct ebpf_usdt_spec *spec)
{
    struct bpf_map_info info;
    memset(&info, 0, sizeof(info));
    uint32_t len = sizeof(info);
    int r = ebpf_obj_get_info(map_fd, &info, &len);
    if (r < 0)
        return r;
    if (info.type != BPF_MAP_TYPE_ARRAY || info.value_size != sizeof(*spec))
        return -EINVAL;
    for (uint32_t i = 0; i < info.max_entries; i++) {
        struct ebpf_usdt_spec cur;
        union bpf_attr a;
        memset(&a, 0, sizeof(a));
        a.map_fd = (uint32_t)map_fd;
        a.key = ebpf_ptr(&i);
        a.value = ebpf_ptr(&cur);
        if (ebpf_sys_bpf(BPF_MAP_LOOKUP_ELEM, &a, EBPF_ATTR_SIZE(flags)) < 0 || cur.in_use)
            continue;
        struct ebpf_usdt_spec w = *spec;
        w.in_use = 1;
        a.value = ebpf_ptr(&w);
        r = ebpf_sys_bpf(BPF_MAP_UPDATE_ELEM, &a, EBPF_ATTR_SIZE(flags));
        if (r < 0)
            return r;
        return (int)i;
    }
    return -ENOSPC;
}

void link_usdt_release(int map_fd, const uint32_t *ids, size_t n)
{
    struct ebpf_usdt_spec z;
    memset(&z, 0, sizeof(z));
    for (size_t i = 0; i < n; i++) {
        union bpf_attr a;
        memset(&a, 0, sizeof(a));
        a.map_fd = (uint32_t)map_fd;
        a.key = ebpf_ptr(&ids[i]);
        a.value = ebpf_ptr(&z);
        ebpf_sys_bpf(BPF_MAP_UPDATE_ELEM, &a, EBPF_ATTR_SIZE(flags));
    }
}

struct ebpf_link *ebpf_link_usdt(const struct ebpf_prog *p, const struct ebpf_usdt_opts *o)
{
    char path[PATH_MAX];
    if (ebpf_link_resolve_binary(o->path, path, sizeof(path)) < 0)
        return NULL;
    struct ebpf_usdt_note *notes;
    size_t n;
    if (ebpf_usdt_notes(path, &notes, &n) < 0)
        return NULL;
    struct ebpf_link *g = link_new(EBPF_LINK_GROUP, "usdt %s:%s:%s", path, o->provider, o->name);
    if (!g) {
        free(notes);
        return NULL;
    }
    if (o->spec_map_fd >= 0) {
        g->spec_map_fd = ebpf_fd_dup(o->spec_map_fd);
        g->spec_ids = calloc(n ? n : 1, sizeof(uint32_t));
        if (g->spec_map_fd < 0 || !g->spec_ids) {
            free(notes);
            ebpf_link_close(g);
            return ebpf_err_null(ENOMEM, "attach", "usdt %s:%s: out of memory", o->provider, o->name);
        }
    }
    size_t sites = 0;
    int err = 0;
    for (size_t i = 0; i < n && !err; i++) {
        if (strcmp(notes[i].provider, o->provider) || strcmp(notes[i].name, o->name))
            continue;
        uint64_t cookie = 0;
        if (o->spec_map_fd >= 0) {
            struct ebpf_usdt_spec spec;
            if (ebpf_usdt_parse_args(notes[i].args, &spec) < 0) {
                err = ebpf_error_errno();
                break;
            }
            spec.usr_cookie = o->cookie;
            int id = spec_alloc(o->spec_map_fd, &spec);
            if (id < 0) {
                err = -id;
                ebpf_err(err, "attach", "usdt %s:%s: spec map: %s%s", o->provider, o->name, strerror(err),
                         id == -EINVAL ? " (not an array of struct ebpf_usdt_spec)" : id == -ENOSPC ? " (map full)" : "");
                break;
            }
            g->spec_ids[g->nspec_ids++] = (uint32_t)id;
            cookie = (uint64_t)id;
        }
        struct ebpf_uprobe_opts uo;
        memset(&uo, 0, sizeof(uo));
        uo.path = path;
        uo.offset = notes[i].pc_offset;
        uo.pid = o->pid;
        uo.ref_ctr_offset = notes[i].sema_offset;
        uo.cookie = cookie;
        struct ebpf_link *s = ebpf_link_uprobe(p, &uo);
        if (!s || link_group_add(g, s) < 0) {
            err = ebpf_error_errno();
            break;
        }
        snprintf(s->desc, sizeof(s->desc), "usdt %.150s:%.50s:%.50s site %zu (0x%llx)", path, o->provider, o->name, sites,
                 (unsigned long long)notes[i].pc_offset);
        sites++;
    }
    free(notes);
    if (!err && sites == 0) {
        ebpf_link_close(g);
        return ebpf_err_null(ENOENT, "attach", "usdt: no probe %s:%s in '%s' (.note.stapsdt)", o->provider, o->name, path);
    }
    if (err) {
        char msg[512];
        snprintf(msg, sizeof(msg), "%s", ebpf_error_message());
        ebpf_link_close(g);
        return ebpf_err_null(err, "attach", "%s", msg);
    }
    size_t dl = strlen(g->desc);
    snprintf(g->desc + dl, sizeof(g->desc) - dl, " (%zu site%s)", sites, sites == 1 ? "" : "s");
    return g;
}
