/* Loading a spec: object BTF, maps (pinning, replacement, global data),
 * then every program (linked with its subprograms, relocated, CO-RE
 * adjusted) and the static initialisation of map slots. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ebpf/btf.h"
#include "ebpf/sys.h"
#include "ebtf.h"
#include "ebpf/features.h"
#include "ebpf/token.h"
#include "elf_btf_sanitise.h"
#include "elf_core.h"
#include "elf_extern.h"
#include "elf_internal.h"
#include "elf_struct_ops.h"
#include "error_internal.h"

struct cmap {
    char *name;
    struct ebpf_map *map;
    void *mem;
    size_t mem_size;
    bool mem_borrowed; /* an arena's globals: the map owns the mapping */
    char *pin_path; /* to pin once everything loaded */
};

struct cprog {
    char *name;
    struct ebpf_prog *prog;
};

struct ebpf_collection {
    struct cmap *maps; size_t nmap;
    struct cprog *progs; size_t nprog;
    int btf_fd;
    size_t arena_off; /* where the __arena globals start in the arena */
};

struct ld {
    const struct ebpf_spec *s;
    const struct ebpf_load_opts *o;
    struct ebpf_collection *c;
    const struct ebpf_btf *kbtf;   /* NULL until needed */
    bool kbtf_owned, kbtf_tried;
    struct ebpf_btf *const *mods; size_t nmods; bool mods_tried;
    struct eext_val *ev;
    int *fd_array; size_t nfd;
    struct { const struct ebpf_btf *mod; int fd; } *modfds; size_t nmodfd; /* closed after load */
    unsigned char *kconfig;
    struct eso_kern *so;       /* per map: struct_ops maps resolved against the kernel */
    int token;                 /* opts->token_path's BPF token, or 0: the default token */
};

/* ---- kernel BTF ---- */

static const struct ebpf_btf *kernel_btf(struct ld *L)
{
    if (!L->kbtf_tried) {
        L->kbtf_tried = true;
        const char *path = L->o ? L->o->kernel_btf : NULL;
        L->kbtf = path ? ebpf_btf_kernel_from(path) : ebpf_btf_kernel();
        L->kbtf_owned = path != NULL;
        if (!L->kbtf) { /* the library's message names the file */
            int e = errno ? errno : ENOENT;
            char err[256];
            snprintf(err, sizeof(err), "%s", ebpf_error_message());
            ebpf_err(e, "load", "object '%s': %s", L->s->name, err);
        }
    }
    return L->kbtf;
}

static void kernel_mods(struct ld *L)
{
    if (L->mods_tried)
        return;
    L->mods_tried = true;
    if (!L->kbtf_owned && kernel_btf(L))
        L->mods = btf_kernel_modules(&L->nmods);
}

static int mod_fd(struct ld *L, const struct ebpf_btf *m);

/* ---- struct_ops maps: kernel layout before the maps, update after the programs ---- */

static int resolve_struct_ops(struct ld *L)
{
    const struct ebpf_spec *s = L->s;
    for (size_t i = 0; i < s->nmap; i++) {
        if (!s->maps[i]->st_ops)
            continue;
        if (!L->so && !(L->so = calloc(s->nmap, sizeof(*L->so))))
            return -ENOMEM;
        const struct ebpf_btf *k = kernel_btf(L);
        if (!k)
            return -ENOENT;
        kernel_mods(L);
        int r = eso_resolve(s, s->maps[i], k, L->mods, L->nmods, &L->so[i]);
        if (r < 0)
            return r;
    }
    return 0;
}

static int loaded_prog_fd(void *ctx, int prog)
{
    const struct ebpf_collection *c = ctx;
    return c->progs[prog].prog ? ebpf_prog_fd(c->progs[prog].prog) : -1;
}

/* struct_ops maps get their value to register at attach (not now) */
static int prepare_struct_ops(struct ld *L)
{
    for (size_t i = 0; L->so && i < L->s->nmap; i++) {
        if (!L->so[i].image)
            continue;
        int r = eso_prepare(L->s->maps[i], &L->so[i], L->c->maps[i].map, loaded_prog_fd, L->c);
        if (r < 0)
            return r;
    }
    return 0;
}

/* attach_btf_id (the kernel struct) and expected attach type (the member
 * index) of a struct_ops program. */
static int struct_ops_target(struct ld *L, size_t pi, struct ebpf_prog_load_opts *o)
{
    const struct eso_kern *k = NULL;
    uint32_t member = 0;
    int r = eso_prog_target(L->s, L->so, pi, &k, &member); /* L->so is NULL only without struct_ops maps */
    if (r < 0)
        return r;
    o->attach_btf_id = k->type_id;
    o->expected_attach_type = (int)member;
    if (k->module) {
        int fd = mod_fd(L, k->btf);
        if (fd < 0)
            return fd;
        o->attach_btf_obj_fd = fd;
    }
    return 0;
}

/* ---- object BTF: sanitised for the kernel and loaded ---- */

static int load_btf(struct ld *L)
{
    const struct ebpf_spec *s = L->s;
    L->c->btf_fd = -1;
    if (!s->obtf)
        return 0;
    size_t rsz = 0;
    const char *orig = ebpf_btf_raw(s->obtf, &rsz);
    unsigned char *raw = malloc(rsz ? rsz : 1);
    if (!raw)
        return -ENOMEM;
    memcpy(raw, orig, rsz);
    esan_btf(s, raw); /* in place: same offsets as s->obtf's records */
    /* The BTF loader rewrites the kinds the feature probes find missing
     * (ids kept); the object keeps its own dup of the fd. */
    struct ebpf_btf *eb = ebpf_btf_new(raw, rsz, NULL);
    struct ebpf_btf_load_opts bo = {.token_fd = L->token};
    int fd = eb ? ebpf_btf_load(eb, &bo) : -1;
    if (fd >= 0)
        fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        ebpf_error_clear();
    ebpf_btf_free(eb);
    free(raw);
    /* A kernel refusing the object's BTF still loads programs, without
     * func/line info (as libbpf does). */
    L->c->btf_fd = fd >= 0 ? fd : -1;
    return 0;
}

/* ---- maps ---- */

static char *pin_path(struct ld *L, const char *name)
{
    if (ebpf_check_pin_name(name, "pinned map") < 0) { /* names from objects are data, not paths */
        errno = EINVAL;
        return NULL;
    }
    const char *root = L->o && L->o->pin_root ? L->o->pin_root : "/sys/fs/bpf";
    size_t n = strlen(root) + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", root, name);
    return p;
}

/* max_entries as created: a perf event array without one gets a slot per
 * CPU; a ring buffer's size is rounded up to a power-of-2 multiple of the
 * page size, the only sizes the kernel takes (libbpf does the same, so
 * objects written for it say 1000 and mean "at least 1000"). */
static uint32_t kernel_max_entries(const struct ebpf_map_spec *ms)
{
    uint32_t n = ms->max_entries;
    if (ms->type == BPF_MAP_TYPE_PERF_EVENT_ARRAY && !n)
        return (uint32_t)ebpf_num_possible_cpus();
    if ((ms->type == BPF_MAP_TYPE_RINGBUF || ms->type == BPF_MAP_TYPE_USER_RINGBUF) && n) {
        long pg = sysconf(_SC_PAGESIZE);
        uint64_t sz = pg > 0 ? (uint64_t)pg : 4096;
        while (sz < n)
            sz <<= 1;
        if (sz <= UINT32_MAX) /* else the kernel refuses n, as it should */
            return (uint32_t)sz;
    }
    return n;
}

static int check_compat(const struct ebpf_map_spec *ms, const struct ebpf_map *m, const char *what)
{
    char diff[160] = "";
    uint32_t maxe = kernel_max_entries(ms);
    if (ebpf_map_type(m) != ms->type)
        snprintf(diff, sizeof(diff), "type %d vs %d", ebpf_map_type(m), ms->type);
    else if (ebpf_map_key_size(m) != ms->key_size)
        snprintf(diff, sizeof(diff), "key_size %u vs %u", ebpf_map_key_size(m), ms->key_size);
    else if (ebpf_map_value_size(m) != ms->value_size)
        snprintf(diff, sizeof(diff), "value_size %u vs %u", ebpf_map_value_size(m), ms->value_size);
    else if (ebpf_map_max_entries(m) != maxe)
        snprintf(diff, sizeof(diff), "max_entries %u vs %u", ebpf_map_max_entries(m), maxe);
    else if ((ebpf_map_flags(m) & ~(uint32_t)BPF_F_MMAPABLE) != (ms->flags & ~(uint32_t)BPF_F_MMAPABLE))
        snprintf(diff, sizeof(diff), "map_flags 0x%x vs 0x%x", ebpf_map_flags(m), ms->flags);
    if (diff[0])
        return ebpf_err(EINVAL, "load", "map '%s': %s is incompatible: %s (existing vs object)", ms->name, what,
                        diff);
    return 0;
}

static void kname(char *dst, size_t len, const struct ebpf_spec *s, const struct ebpf_map_spec *m)
{
    if (m->kind == EMAP_USER) {
        snprintf(dst, len, "%s", m->name);
        return;
    }
    /* libbpf's rule: the object's name (up to its first '.') as a prefix,
     * as much as leaves room for the section name (at least 7 chars);
     * none for a section with a second '.' (".rodata.str1.1"). */
    size_t olen = strcspn(s->name, ".");
    size_t sfx = strlen(m->name) > 7 ? strlen(m->name) : 7;
    size_t pfx = strchr(m->name + 1, '.') ? 0 : sfx + 1 >= 16 ? 0 : 16 - sfx - 1;
    if (pfx > olen)
        pfx = olen;
    snprintf(dst, len, "%.*s%s", (int)pfx, s->name, m->name);
    for (char *c = dst; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_' ||
              *c == '.'))
            *c = '_';
}

/* Map types whose key/value the kernel never types with BTF (fds, stacks,
 * queues, arenas, ...): BTF key/value ids are not passed for them, as
 * libbpf does; some kernels refuse them outright (ENOTSUPP). */
static bool map_takes_btf_types(int type)
{
    switch (type) {
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY: case BPF_MAP_TYPE_CGROUP_ARRAY: case BPF_MAP_TYPE_STACK_TRACE:
    case BPF_MAP_TYPE_ARRAY_OF_MAPS: case BPF_MAP_TYPE_HASH_OF_MAPS: case BPF_MAP_TYPE_DEVMAP:
    case BPF_MAP_TYPE_DEVMAP_HASH: case BPF_MAP_TYPE_CPUMAP: case BPF_MAP_TYPE_XSKMAP:
    case BPF_MAP_TYPE_SOCKMAP: case BPF_MAP_TYPE_SOCKHASH: case BPF_MAP_TYPE_QUEUE:
    case BPF_MAP_TYPE_STACK: case EBPF_MAP_TYPE_ARENA: case BPF_MAP_TYPE_STRUCT_OPS:
        return false;
    default:
        return true;
    }
}

static struct ebpf_map *create_one(struct ld *L, const struct ebpf_map_spec *ms, int inner_fd, bool mmapable)
{
    struct ebpf_map_create_opts o;
    ebpf_map_create_opts_init(&o);
    o.token_fd = L->token;
    char name[64];
    kname(name, sizeof(name), L->s, ms);
    o.name = name;
    o.type = ms->type;
    o.key_size = ms->key_size;
    o.value_size = ms->value_size;
    o.max_entries = kernel_max_entries(ms);
    o.flags = ms->flags | (mmapable ? BPF_F_MMAPABLE : 0);
    o.numa_node = ms->numa_node;
    if (ms->numa_node >= 0)
        o.flags |= BPF_F_NUMA_NODE;
    o.map_extra = ms->map_extra;
    o.inner_map_fd = inner_fd;
    bool btf = L->c->btf_fd >= 0 && ms->btf_value_id && map_takes_btf_types(ms->type);
    if (btf) {
        o.btf_fd = L->c->btf_fd;
        o.btf_key_type_id = ms->btf_key_id;
        o.btf_value_type_id = ms->btf_value_id;
    }
    struct ebpf_map *m = ebpf_map_create(&o);
    if (!m && btf) { /* any refusal with BTF types: once more without them, as libbpf */
        int e = errno;
        char first[512];
        snprintf(first, sizeof(first), "%s", ebpf_error_message());
        o.btf_fd = -1;
        o.btf_key_type_id = o.btf_value_type_id = 0;
        m = ebpf_map_create(&o);
        if (!m && errno == EINVAL && e != EINVAL) /* report what the kernel said first */
            ebpf_err(e, "create", "%s", first);
    }
    return m;
}

/* Maps the arena (before any program references it: the verifier needs
 * its user address) and copies the __arena globals' image in at the
 * offset chosen by arena_layout(). */
static int arena_init(struct ld *L, const struct ebpf_map_spec *ms, struct cmap *cm)
{
    size_t size;
    unsigned char *mem = ebpf_map_arena(cm->map, &size);
    if (!mem)
        return -ebpf_error_errno();
    if (ms->data_size) {
        if (L->c->arena_off + ms->data_size > size)
            return ebpf_err(E2BIG, "load", "map '%s': __arena globals do not fit the arena", ms->name);
        memcpy(mem + L->c->arena_off, ms->data, ms->data_size);
        cm->mem = mem + L->c->arena_off;
        cm->mem_size = ms->data_size;
        cm->mem_borrowed = true;
    }
    return 0;
}

/* __arena globals go at the end of the arena, as libbpf puts them, where
 * ld_imm64 may carry the offset (ldimm64_full_range_off probe); else at
 * its start. */
static void arena_layout(struct ld *L)
{
    const struct ebpf_spec *s = L->s;
    for (size_t i = 0; i < s->nmap; i++) {
        const struct ebpf_map_spec *ms = s->maps[i];
        if (ms->type != EBPF_MAP_TYPE_ARENA || !ms->data_size)
            continue;
        size_t page = (size_t)sysconf(_SC_PAGESIZE);
        size_t total = (size_t)ms->max_entries * page, need = (ms->data_size + page - 1) / page * page;
        if (total >= need && ebpf_feature_misc("ldimm64_full_range_off", NULL) == EBPF_FEATURE_SUPPORTED)
            L->c->arena_off = total - need;
    }
}

static int create_maps(struct ld *L)
{
    const struct ebpf_spec *s = L->s;
    for (size_t i = 0; i < s->nmap; i++) {
        const struct ebpf_map_spec *ms = s->maps[i];
        struct cmap *cm = &L->c->maps[i];
        cm->name = strdup(ms->name);
        if (!cm->name)
            return -ENOMEM;
        const struct ebpf_map *rep = NULL;
        for (size_t k = 0; L->o && k < L->o->n_replace; k++)
            if (strcmp(L->o->replace[k].name, ms->name) == 0)
                rep = L->o->replace[k].map;
        if (ms->legacy_unknown_at && !rep)
            return ebpf_err(EINVAL, "load", "map '%s': its legacy definition has a non-zero field at byte %u, "
                            "past struct bpf_map_def, that this loader does not understand", ms->name,
                            ms->legacy_unknown_at);
        if (rep && ms->st_ops)
            return ebpf_err(EINVAL, "load", "map '%s': struct_ops maps cannot be replaced", ms->name);
        if (rep) {
            int r = check_compat(ms, rep, "the replacement map");
            if (r < 0)
                return r;
            cm->map = ebpf_map_clone(rep);
            if (!cm->map)
                return -errno;
            continue;
        }
        if (ms->pinning == 1 && ms->kind == EMAP_USER) {
            char *path = pin_path(L, ms->name);
            if (!path)
                return errno == EINVAL ? -EINVAL : -ENOMEM;
            int fd = ebpf_obj_get(path, 0);
            if (fd >= 0) {
                struct ebpf_map *pm = ebpf_map_from_fd(fd);
                if (!pm) {
                    int e = errno;
                    ebpf_err(e, "load", "map '%s': pinned object at %s is not a map", ms->name, path);
                    free(path);
                    return -e;
                }
                char what[600];
                snprintf(what, sizeof(what), "the map pinned at %s", path);
                int r = check_compat(ms, pm, what);
                free(path);
                if (r < 0) {
                    ebpf_map_close(pm);
                    return r;
                }
                cm->map = pm;
                continue; /* reused: not initialised again */
            }
            cm->pin_path = path;
        }
        if (ms->st_ops) {
            int mfd = L->so[i].module ? mod_fd(L, L->so[i].btf) : -1;
            if (L->so[i].module && mfd < 0)
                return mfd;
            cm->map = eso_create(L->s, ms, &L->so[i], L->c->btf_fd, mfd);
            if (!cm->map)
                return -errno;
            continue;
        }
        int inner_fd = -1;
        struct ebpf_map *inner = NULL;
        if (ms->inner) {
            inner = create_one(L, ms->inner, -1, false);
            if (!inner)
                return ebpf_err(errno, "load", "map '%s': inner map template: %s", ms->name, ebpf_error_message());
            inner_fd = ebpf_map_fd(inner);
        }
        bool data = ms->kind != EMAP_USER;
        cm->map = create_one(L, ms, inner_fd, data);
        if (cm->map && ms->type == EBPF_MAP_TYPE_ARENA) {
            int r = arena_init(L, ms, cm);
            if (r < 0)
                return r;
        }
        if (!cm->map && data) /* kernels before 5.5: no mmapable arrays */
            cm->map = create_one(L, ms, inner_fd, false);
        ebpf_map_close(inner);
        if (!cm->map)
            return -errno;
        if (data) {
            const void *img = ms->kind == EMAP_KCONFIG ? L->kconfig : ms->data;
            uint32_t key = 0;
            int r = 0;
            if (img)
                r = ebpf_map_update(cm->map, &key, img, 0);
            if (r == 0 && (ms->kind == EMAP_RODATA || ms->kind == EMAP_KCONFIG))
                r = ebpf_map_freeze(cm->map);
            if (r < 0)
                return r;
            if (ebpf_map_flags(cm->map) & BPF_F_MMAPABLE) {
                int ro = ms->kind == EMAP_RODATA || ms->kind == EMAP_KCONFIG;
                size_t sz = ((size_t)ms->value_size + 4095) & ~(size_t)4095;
                void *p = mmap(NULL, sz, ro ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, ebpf_map_fd(cm->map), 0);
                if (p != MAP_FAILED) {
                    cm->mem = p;
                    cm->mem_size = sz;
                }
            }
        }
    }
    return 0;
}

/* ---- programs ---- */

struct pb {
    struct bpf_insn *insns; size_t n, cap;
    int *order; size_t norder; /* funcs in layout order */
    int64_t *pos;              /* per spec func: position or -1 */
};

static const struct erel *rel_at(const struct esec *sec, uint32_t insn)
{
    size_t lo = 0, hi = sec->nrel;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (sec->rel[mid].insn < insn)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < sec->nrel && sec->rel[lo].insn == insn ? &sec->rel[lo] : NULL;
}

/* Target function of a call / function pointer at insn i of func f. */
static int call_target(const struct ebpf_spec *s, const struct efunc *f, uint32_t i)
{
    const struct esec *sec = &s->secs[f->sec];
    const struct bpf_insn *in = &sec->insns[f->off + i];
    const struct erel *r = rel_at(sec, f->off + i);
    if (r && (r->kind == EREL_CALL || r->kind == EREL_FUNC_PTR))
        return r->target;
    if (!r && in->code == (BPF_JMP | BPF_CALL) && in->src_reg == BPF_PSEUDO_CALL) {
        int64_t t = (int64_t)f->off + i + in->imm + 1;
        if (t < 0 || t >= sec->ninsn)
            return -2;
        int fi = espec_func_at(s, f->sec, (uint32_t)t);
        return fi >= 0 ? fi : -2;
    }
    return -1;
}

/* Appends f, then (depth first, in instruction order) what it calls. */
static int append_func(struct pb *b, const struct ebpf_spec *s, int fi, const char *prog, int depth)
{
    const struct efunc *f = &s->funcs[fi];
    if (depth > 256)
        return ebpf_err(ELOOP, "load", "program '%s': subprogram nesting too deep", prog);
    if (b->n + f->cnt > b->cap) {
        size_t nc = (b->cap ? b->cap * 2 : 256);
        while (nc < b->n + f->cnt)
            nc *= 2;
        struct bpf_insn *ni = realloc(b->insns, nc * sizeof(*ni));
        if (!ni)
            return -ENOMEM;
        b->insns = ni;
        b->cap = nc;
    }
    b->pos[fi] = (int64_t)b->n;
    b->order[b->norder++] = fi;
    memcpy(b->insns + b->n, s->secs[f->sec].insns + f->off, f->cnt * sizeof(struct bpf_insn));
    b->n += f->cnt;
    for (uint32_t i = 0; i < f->cnt; i++) {
        int t = call_target(s, f, i);
        if (t == -2)
            return ebpf_err(EINVAL, "load", "program '%s': call from '%s' to no function", prog, f->name);
        if (t >= 0 && b->pos[t] < 0) {
            int r = append_func(b, s, t, prog, depth + 1);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

/* fd of a module's BTF object, opened once per load. */
static int mod_fd(struct ld *L, const struct ebpf_btf *m)
{
    for (size_t i = 0; i < L->nmodfd; i++)
        if (L->modfds[i].mod == m)
            return L->modfds[i].fd;
    const char *name = ebpf_btf_kernel_name(m);
    int fd = ebpf_btf_kernel_module_fd(name);
    if (fd < 0)
        return ebpf_err(-fd, "load", "module BTF '%s': no kernel object", name);
    void *n = realloc(L->modfds, (L->nmodfd + 1) * sizeof(*L->modfds));
    if (!n) {
        close(fd);
        return -ENOMEM;
    }
    L->modfds = n;
    L->modfds[L->nmodfd].mod = m;
    L->modfds[L->nmodfd].fd = fd;
    L->nmodfd++;
    return fd;
}

static void ld_release(struct ld *L)
{
    for (size_t i = 0; i < L->nmodfd; i++)
        close(L->modfds[i].fd);
    free(L->modfds);
    free(L->ev);
    free(L->fd_array);
    free(L->kconfig);
    for (size_t i = 0; L->so && i < L->s->nmap; i++)
        eso_kern_release(&L->so[i]);
    free(L->so);
    if (L->token > 0)
        close(L->token);
    if (L->kbtf_owned)
        ebpf_btf_free((struct ebpf_btf *)L->kbtf);
}

static int map_fd_of(struct ld *L, int mi) { return ebpf_map_fd(L->c->maps[mi].map); }

static int fd_array_add(struct ld *L, int fd)
{
    for (size_t i = 1; i < L->nfd; i++)
        if (L->fd_array[i] == fd)
            return (int)i;
    int *n = realloc(L->fd_array, (L->nfd + 2) * sizeof(int));
    if (!n)
        return -ENOMEM;
    L->fd_array = n;
    if (L->nfd == 0)
        L->fd_array[L->nfd++] = -1; /* slot 0 means vmlinux */
    L->fd_array[L->nfd] = fd;
    return (int)L->nfd++;
}

/* kconfig: a value in the .kconfig map; typed ksyms and kfunc addresses
 * (bpf_ksym_exists): BTF_ID ld_imm64 with the module BTF fd, or 0 if weak
 * and absent; untyped ksyms: the kallsyms address; kfunc calls: the BTF
 * id with the fd_array slot of the module BTF fd (0: vmlinux). */
static int reloc_extern(struct ld *L, struct bpf_insn *in, const char *prog, int target)
{
    const struct eext *e = &L->s->exts[target];
    const struct eext_val *v = &L->ev[target];
    int mfd = v->found && v->mod ? mod_fd(L, v->mod) : 0;
    if (mfd < 0)
        return mfd;
    if (e->kind == EEXT_KCONFIG) {
        in->src_reg = BPF_PSEUDO_MAP_VALUE;
        in->imm = map_fd_of(L, L->s->kconfig_map);
        in[1].imm = (int32_t)(e->off + (uint32_t)in[1].imm);
    } else if (e->kind == EEXT_KFUNC && in->code == (BPF_JMP | BPF_CALL)) {
        /* weak and absent: imm 0, off 0, which the verifier accepts in dead code */
        in->src_reg = BPF_PSEUDO_KFUNC_CALL;
        in->imm = v->found ? (int32_t)v->btf_id : 0;
        in->off = 0;
        if (mfd > 0) {
            int slot = fd_array_add(L, mfd);
            if (slot < 0)
                return slot;
            in->off = (int16_t)slot;
        }
    } else if (in->code != (BPF_LD | BPF_IMM | BPF_DW)) {
        return ebpf_err(EINVAL, "load", "program '%s': kfunc '%s' not called", prog, e->name);
    } else if ((e->typed || e->kind == EEXT_KFUNC) && v->found) {
        in->src_reg = BPF_PSEUDO_BTF_ID;
        in->imm = (int32_t)v->btf_id;
        in[1].imm = mfd;
    } else {
        in->src_reg = 0;
        in->imm = (int32_t)(uint32_t)v->addr;
        in[1].imm = (int32_t)(uint32_t)(v->addr >> 32);
    }
    return 0;
}

static int apply_relocs(struct ld *L, struct pb *b, const char *prog)
{
    const struct ebpf_spec *s = L->s;
    for (size_t k = 0; k < b->norder; k++) {
        const struct efunc *f = &s->funcs[b->order[k]];
        const struct esec *sec = &s->secs[f->sec];
        size_t base = (size_t)b->pos[b->order[k]];
        for (uint32_t i = 0; i < f->cnt; i++) {
            struct bpf_insn *in = &b->insns[base + i];
            size_t at = base + i;
            const struct erel *r = rel_at(sec, f->off + i);
            int t = call_target(s, f, i);
            if (t >= 0) {
                in->imm = (int32_t)(b->pos[t] - (int64_t)at - 1);
                if (in->code == (BPF_LD | BPF_IMM | BPF_DW)) {
                    in->src_reg = BPF_PSEUDO_FUNC;
                    in[1].imm = 0;
                }
                continue;
            }
            if (!r)
                continue;
            switch (r->kind) {
            case EREL_MAP:
                in->src_reg = BPF_PSEUDO_MAP_FD;
                in->imm = map_fd_of(L, r->target);
                in[1].imm = 0;
                break;
            case EREL_MAP_VALUE:
                in->src_reg = BPF_PSEUDO_MAP_VALUE;
                in->imm = map_fd_of(L, r->target);
                in[1].imm = (int32_t)r->off;
                break;
            case EREL_ARENA:
                in->src_reg = BPF_PSEUDO_MAP_VALUE;
                in->imm = map_fd_of(L, r->target);
                in[1].imm = (int32_t)(r->off + (int64_t)L->c->arena_off);
                break;
            case EREL_EXTERN: {
                int rr = reloc_extern(L, in, prog, r->target);
                if (rr < 0)
                    return rr;
                break;
            }
            default:
                break;
            }
        }
    }
    return 0;
}

struct poisoned { size_t insn; char desc[200]; };

static int apply_core(struct ld *L, struct pb *b, const char *prog, struct poisoned **pz, size_t *npz)
{
    const struct ebpf_spec *s = L->s;
    struct ecore_env env = {s->obtf, NULL, NULL, 0};
    bool env_ready = false;
    for (size_t k = 0; k < b->norder; k++) {
        const struct efunc *f = &s->funcs[b->order[k]];
        for (size_t e = 0; e < s->next_sec[EXT_CORE]; e++) {
            const struct extsec *x = &s->ext[EXT_CORE][e];
            if (x->sec != f->sec)
                continue;
            for (uint32_t j = 0; j < x->n; j++) {
                struct bpf_core_relo r;
                memcpy(&r, x->recs + (size_t)j * x->rec_size, sizeof(r));
                uint32_t ii = r.insn_off / 8;
                if (ii < f->off || ii >= f->off + f->cnt)
                    continue;
                if (!env_ready && r.kind != BPF_CORE_TYPE_ID_LOCAL) {
                    env.kernel = kernel_btf(L);
                    if (!env.kernel)
                        return -ENOENT;
                    kernel_mods(L);
                    env.mods = L->mods;
                    env.nmods = L->nmods;
                    env_ready = true;
                }
                size_t at = (size_t)b->pos[b->order[k]] + (ii - f->off);
                char desc[200];
                bool pois;
                int rr = ecore_apply(&env, &r, b->insns, b->n, at, desc, sizeof(desc), &pois);
                if (rr < 0) {
                    char msg[900];
                    snprintf(msg, sizeof(msg), "%s", ebpf_error_message());
                    return ebpf_err(-rr, "load", "program '%s': %s", prog, msg);
                }
                if (pois) {
                    struct poisoned *np = realloc(*pz, (*npz + 1) * sizeof(*np));
                    if (!np)
                        return -ENOMEM;
                    *pz = np;
                    np[*npz].insn = at;
                    snprintf(np[*npz].desc, sizeof(np[*npz].desc), "%s", desc);
                    (*npz)++;
                }
            }
        }
    }
    return 0;
}

/* func_info / line_info of the linked program: the records of each
 * function, moved to its position. NULL if some function has none. */
static void *gather(const struct ebpf_spec *s, const struct pb *b, int kind, uint32_t *rec_size, uint32_t *cnt)
{
    *cnt = 0;
    *rec_size = 0;
    size_t cap = 0;
    unsigned char *out = NULL;
    for (size_t k = 0; k < b->norder; k++) {
        const struct efunc *f = &s->funcs[b->order[k]];
        size_t before = *cnt;
        for (size_t e = 0; e < s->next_sec[kind]; e++) {
            const struct extsec *x = &s->ext[kind][e];
            if (x->sec != f->sec)
                continue;
            if (*rec_size && *rec_size != x->rec_size)
                goto none;
            *rec_size = x->rec_size;
            for (uint32_t j = 0; j < x->n; j++) {
                const unsigned char *rec = x->recs + (size_t)j * x->rec_size;
                uint32_t off;
                memcpy(&off, rec, 4);
                off /= 8;
                if (off < f->off || off >= f->off + f->cnt)
                    continue;
                if (*cnt == cap) {
                    cap = cap ? cap * 2 : 64;
                    unsigned char *n = realloc(out, cap * x->rec_size);
                    if (!n)
                        goto none;
                    out = n;
                }
                unsigned char *dst = out + (size_t)*cnt * x->rec_size;
                memcpy(dst, rec, x->rec_size);
                uint32_t noff = (uint32_t)b->pos[b->order[k]] + (off - f->off);
                memcpy(dst, &noff, 4);
                (*cnt)++;
            }
        }
        if (kind == EXT_FUNC && *cnt != before + 1)
            goto none;
    }
    return out;
none:
    free(out);
    *cnt = 0;
    return NULL;
}

static int attach_btf(struct ld *L, const struct ebpf_prog_spec *p, struct ebpf_prog_load_opts *o)
{
    if (!p->info || !p->info->btf_target)
        return 0;
    char name[256];
    int kind = BTF_KIND_FUNC;
    const char *t = p->target;
    if (p->info->expected_attach_type == BPF_TRACE_RAW_TP) {
        snprintf(name, sizeof(name), "btf_trace_%s", t);
        kind = BTF_KIND_TYPEDEF;
    } else if (p->type == BPF_PROG_TYPE_LSM) {
        snprintf(name, sizeof(name), "bpf_lsm_%s", t);
    } else if (p->info->expected_attach_type == BPF_TRACE_ITER) {
        snprintf(name, sizeof(name), "bpf_iter_%s", t);
    } else {
        snprintf(name, sizeof(name), "%s", t);
    }
    const char *colon = strchr(name, ':'); /* fentry/module:func */
    const char *fname = colon ? colon + 1 : name;
    const struct ebpf_btf *k = kernel_btf(L);
    if (!k)
        return -ENOENT;
    uint32_t id = ebtf_find_first(k, fname, kind);
    if (id) {
        o->attach_btf_id = id;
        return 0;
    }
    kernel_mods(L);
    for (size_t m = 0; m < L->nmods; m++) {
        id = ebtf_find_own(L->mods[m], fname, kind);
        if (id) {
            int fd = mod_fd(L, L->mods[m]);
            if (fd < 0)
                return fd;
            o->attach_btf_id = id;
            o->attach_btf_obj_fd = fd;
            return 0;
        }
    }
    return ebpf_err(ESRCH, "load", "program '%s' (section '%s'): attach target '%s' not found in kernel BTF", p->name,
                    p->section, name);
}

static int load_prog(struct ld *L, size_t pi)
{
    const struct ebpf_spec *s = L->s;
    const struct ebpf_prog_spec *p = &s->progs[pi];
    struct pb b;
    memset(&b, 0, sizeof(b));
    b.order = calloc(s->nfunc, sizeof(int));
    b.pos = malloc(s->nfunc * sizeof(int64_t));
    struct poisoned *pz = NULL;
    size_t npz = 0;
    void *fi = NULL, *li = NULL;
    int r = -ENOMEM;
    if (!b.order || !b.pos)
        goto out;
    for (size_t i = 0; i < s->nfunc; i++)
        b.pos[i] = -1;
    if ((r = append_func(&b, s, p->func, p->name, 0)) < 0 || (r = apply_relocs(L, &b, p->name)) < 0 ||
        (r = apply_core(L, &b, p->name, &pz, &npz)) < 0)
        goto out;
    struct ebpf_prog_load_opts o;
    ebpf_prog_load_opts_init(&o);
    o.token_fd = L->token;
    o.name = p->name;
    o.section = p->section;
    o.type = p->type;
    o.expected_attach_type = p->eat;
    o.insns = b.insns;
    o.insn_cnt = b.n;
    o.license = s->license;
    o.kern_version = s->kern_version ? s->kern_version : eext_kernel_version();
    o.flags = p->flags;
    o.log_level = L->o ? L->o->log_level : 0;
    if ((r = p->type == BPF_PROG_TYPE_STRUCT_OPS ? struct_ops_target(L, pi, &o) : attach_btf(L, p, &o)) < 0)
        goto out;
    if (L->c->btf_fd >= 0) {
        uint32_t fsz, fcnt, lsz, lcnt;
        fi = gather(s, &b, EXT_FUNC, &fsz, &fcnt);
        if (fi) {
            li = gather(s, &b, EXT_LINE, &lsz, &lcnt);
            o.prog_btf_fd = L->c->btf_fd;
            o.func_info = fi;
            o.func_info_rec_size = fsz;
            o.func_info_cnt = fcnt;
            if (li) {
                o.line_info = li;
                o.line_info_rec_size = lsz;
                o.line_info_cnt = lcnt;
            }
        }
    }
    if (L->nfd)
        o.fd_array = L->fd_array;
    L->c->progs[pi].prog = ebpf_prog_load(&o);
    if (!L->c->progs[pi].prog) {
        r = -errno;
        const char *log = ebpf_error_log();
        for (size_t k = 0; k < npz && log; k++) {
            /* name a relocation only when the verifier reached its poisoned
             * insn: a load refused for another reason (EPERM, an earlier
             * verifier error) is not a CO-RE failure */
            char needle[64];
            snprintf(needle, sizeof(needle), "%zu: (85) call unknown#%d", pz[k].insn, ECORE_POISON_IMM);
            if (strstr(log, needle)) {
                char *keep = log ? strdup(log) : NULL;
                char msg[1024];
                snprintf(msg, sizeof(msg), "%s", ebpf_error_message());
                ebpf_err(-r, "load", "%s; CO-RE relocation failed (no match in kernel BTF): %s at insn %zu", msg,
                         pz[k].desc, pz[k].insn);
                ebpf_err_set_log(keep);
                break;
            }
        }
    }
out:
    if (r == -ENOMEM && !ebpf_error_message()[0])
        ebpf_err(ENOMEM, "load", "program '%s': out of memory", p->name);
    free(b.insns);
    free(b.order);
    free(b.pos);
    free(pz);
    free(fi);
    free(li);
    return L->c->progs[pi].prog ? 0 : (r < 0 ? r : -EINVAL);
}

/* ---- static initialisation of map slots ---- */

static int init_slots(struct ld *L)
{
    const struct ebpf_spec *s = L->s;
    for (size_t i = 0; i < s->nmap; i++) {
        const struct ebpf_map_spec *ms = s->maps[i];
        for (size_t k = 0; k < ms->n_init; k++) {
            int fd = -1;
            const char *t = ms->init[k].target;
            if (ms->init_progs) {
                for (size_t p = 0; p < s->nprog; p++)
                    if (strcmp(s->progs[p].name, t) == 0 && L->c->progs[p].prog)
                        fd = ebpf_prog_fd(L->c->progs[p].prog);
            } else {
                for (size_t m = 0; m < s->nmap; m++)
                    if (strcmp(s->maps[m]->name, t) == 0)
                        fd = ebpf_map_fd(L->c->maps[m].map);
            }
            if (fd < 0) {
                if (ms->init_progs)
                    continue; /* program not loaded (autoload off) */
                return ebpf_err(ENOENT, "load", "map '%s': slot %u: no map '%s'", ms->name, ms->init[k].slot, t);
            }
            uint32_t key = ms->init[k].slot, val = (uint32_t)fd;
            int r = ebpf_map_update(L->c->maps[i].map, &key, &val, 0);
            if (r < 0)
                return r;
        }
    }
    return 0;
}

struct ebpf_collection *ebpf_collection_load(const struct ebpf_spec *s, const struct ebpf_load_opts *opts)
{
    struct ld L;
    memset(&L, 0, sizeof(L));
    L.s = s;
    L.o = opts;
    ebpf_error_clear();
    if (s->big_endian)
        /* instructions and data would reach the kernel in the wrong byte order */
        return ebpf_err_null(ENOTSUP, "load",
                             "object '%s' is big-endian (bpfeb) and the running kernel is little-endian: it can "
                             "be inspected, not loaded",
                             s->name);
    struct ebpf_collection *c = calloc(1, sizeof(*c));
    int r = -ENOMEM;
    if (!c)
        goto fail;
    L.c = c;
    c->btf_fd = -1;
    c->maps = calloc(s->nmap ? s->nmap : 1, sizeof(*c->maps));
    c->progs = calloc(s->nprog ? s->nprog : 1, sizeof(*c->progs));
    L.ev = calloc(s->next ? s->next : 1, sizeof(*L.ev));
    if (!c->maps || !c->progs || !L.ev)
        goto fail;
    c->nmap = s->nmap;
    c->nprog = s->nprog;
    if (opts && opts->token_path && (r = L.token = ebpf_token_create(opts->token_path)) < 0) {
        L.token = 0;
        goto fail;
    }
    for (size_t i = 0; i < s->nprog; i++)
        if (!(c->progs[i].name = strdup(s->progs[i].name)))
            goto fail;
    /* externs */
    if (s->kconfig_map >= 0) {
        L.kconfig = calloc(1, s->maps[s->kconfig_map]->value_size);
        if (!L.kconfig)
            goto fail;
        bool need_k = false;
        for (size_t i = 0; i < s->next; i++)
            need_k |= s->exts[i].kind == EEXT_KCONFIG && !strcmp(s->exts[i].name, "LINUX_HAS_SYSCALL_WRAPPER");
        if ((r = eext_kconfig(s, need_k ? kernel_btf(&L) : NULL, L.kconfig)) < 0)
            goto fail;
    }
    if ((r = eext_kallsyms(s, L.ev)) < 0)
        goto fail;
    for (size_t i = 0; i < s->next; i++) {
        const struct eext *e = &s->exts[i];
        if (e->kind == EEXT_KCONFIG)
            continue;
        if (e->kind == EEXT_KSYM && !e->typed) {
            if (!L.ev[i].found && !e->weak) {
                r = ebpf_err(ENOENT, "load", "object '%s': ksym '%s' not found in /proc/kallsyms", s->name, e->name);
                goto fail;
            }
            continue;
        }
        const struct ebpf_btf *k = (e->kind == EEXT_KFUNC || e->typed) ? kernel_btf(&L) : NULL;
        if (k)
            kernel_mods(&L);
        if ((r = eext_ksym(s, e, k, L.mods, L.nmods, &L.ev[i])) < 0)
            goto fail;
        if (!L.ev[i].found && !e->weak) {
            r = ebpf_err(ENOENT, "load", "object '%s': %s '%s' not found in the kernel", s->name,
                         e->kind == EEXT_KFUNC ? "kfunc" : "ksym", e->name);
            goto fail;
        }
    }
    arena_layout(&L);
    if ((r = load_btf(&L)) < 0 || (r = resolve_struct_ops(&L)) < 0 || (r = create_maps(&L)) < 0)
        goto fail;
    for (size_t i = 0; i < s->nprog; i++) {
        if (!s->progs[i].autoload)
            continue;
        if ((r = load_prog(&L, i)) < 0)
            goto fail;
    }
    if ((r = init_slots(&L)) < 0 || (r = prepare_struct_ops(&L)) < 0)
        goto fail;
    for (size_t i = 0; i < c->nmap; i++) {
        if (c->maps[i].pin_path && c->maps[i].map) {
            r = ebpf_map_pin(c->maps[i].map, c->maps[i].pin_path);
            if (r < 0)
                goto fail;
        }
        free(c->maps[i].pin_path);
        c->maps[i].pin_path = NULL;
    }
    ld_release(&L);
    return c;
fail:
    if (r == -ENOMEM && !ebpf_error_message()[0])
        ebpf_err(ENOMEM, "load", "object '%s': out of memory", s->name);
    {
        int e = ebpf_error_errno() ? ebpf_error_errno() : (r < 0 ? -r : EINVAL);
        char *log = ebpf_error_log() ? strdup(ebpf_error_log()) : NULL;
        char msg[1024];
        snprintf(msg, sizeof(msg), "%s", ebpf_error_message());
        const char *op = ebpf_error_op();
        ebpf_collection_close(c);
        ld_release(&L);
        ebpf_err(e, op && op[0] ? op : "load", "%s", msg);
        ebpf_err_set_log(log);
        errno = e;
    }
    return NULL;
}

void ebpf_collection_close(struct ebpf_collection *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nmap; i++) {
        if (c->maps[i].mem && !c->maps[i].mem_borrowed)
            munmap(c->maps[i].mem, c->maps[i].mem_size);
        ebpf_map_close(c->maps[i].map);
        free(c->maps[i].name);
        free(c->maps[i].pin_path);
    }
    for (size_t i = 0; i < c->nprog; i++) {
        ebpf_prog_close(c->progs[i].prog);
        free(c->progs[i].name);
    }
    if (c->btf_fd >= 0)
        close(c->btf_fd);
    free(c->maps);
    free(c->progs);
    free(c);
}

size_t ebpf_collection_map_count(const struct ebpf_collection *c) { return c->nmap; }
size_t ebpf_collection_prog_count(const struct ebpf_collection *c) { return c->nprog; }

struct ebpf_map *ebpf_collection_map_at(const struct ebpf_collection *c, size_t i, const char **name)
{
    if (i >= c->nmap)
        return NULL;
    if (name)
        *name = c->maps[i].name;
    return c->maps[i].map;
}

struct ebpf_map *ebpf_collection_map(const struct ebpf_collection *c, const char *name)
{
    for (size_t i = 0; i < c->nmap; i++)
        if (c->maps[i].name && strcmp(c->maps[i].name, name) == 0)
            return c->maps[i].map;
    return NULL;
}

struct ebpf_prog *ebpf_collection_prog_at(const struct ebpf_collection *c, size_t i, const char **name)
{
    if (i >= c->nprog)
        return NULL;
    if (name)
        *name = c->progs[i].name;
    return c->progs[i].prog;
}

struct ebpf_prog *ebpf_collection_prog(const struct ebpf_collection *c, const char *name)
{
    for (size_t i = 0; i < c->nprog; i++)
        if (strcmp(c->progs[i].name, name) == 0)
            return c->progs[i].prog;
    return NULL;
}

struct ebpf_map *ebpf_collection_take_map(struct ebpf_collection *c, size_t i)
{
    if (i >= c->nmap)
        return NULL;
    struct ebpf_map *m = c->maps[i].map;
    c->maps[i].map = NULL;
    return m;
}

struct ebpf_prog *ebpf_collection_take_prog(struct ebpf_collection *c, size_t i)
{
    if (i >= c->nprog)
        return NULL;
    struct ebpf_prog *p = c->progs[i].prog;
    c->progs[i].prog = NULL;
    return p;
}

void *ebpf_collection_map_mmap(const struct ebpf_collection *c, size_t i, size_t *size)
{
    if (i >= c->nmap)
        return NULL;
    if (size)
        *size = c->maps[i].mem_size;
    return c->maps[i].mem;
}

int ebpf_collection_btf_fd(const struct ebpf_collection *c) { return c->btf_fd; }

size_t ebpf_collection_arena_offset(const struct ebpf_collection *c) { return c->arena_off; }
