/* Read-only BTF view for the object loader (see ebtf.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ebpf/btf.h"
#include "ebpf/sys.h"
#include "ebtf.h"

static size_t extra_size(const struct btf_type *t)
{
    int vlen = ebtf_vlen(t);
    switch (ebtf_kind(t)) {
    case BTF_KIND_INT: return 4;
    case BTF_KIND_ARRAY: return sizeof(struct btf_array);
    case BTF_KIND_STRUCT: case BTF_KIND_UNION: return (size_t)vlen * sizeof(struct btf_member);
    case BTF_KIND_ENUM: return (size_t)vlen * sizeof(struct btf_enum);
    case BTF_KIND_FUNC_PROTO: return (size_t)vlen * sizeof(struct btf_param);
    case BTF_KIND_VAR: return sizeof(struct btf_var);
    case BTF_KIND_DATASEC: return (size_t)vlen * sizeof(struct btf_var_secinfo);
    case BTF_KIND_DECL_TAG: return sizeof(struct btf_decl_tag);
    case BTF_KIND_ENUM64: return (size_t)vlen * sizeof(struct btf_enum64);
    case BTF_KIND_PTR: case BTF_KIND_FWD: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST: case BTF_KIND_RESTRICT: case BTF_KIND_FUNC: case BTF_KIND_FLOAT:
    case BTF_KIND_TYPE_TAG:
        return 0;
    default: return (size_t)-1;
    }
}

int ebtf_init(struct ebtf *b, const void *data, size_t size, bool copy, const struct ebtf *base, const char **err)
{
    memset(b, 0, sizeof(*b));
    b->fd = -1;
    b->base = base;
    if (size < sizeof(struct btf_header)) {
        *err = "BTF shorter than its header";
        return -EINVAL;
    }
    const struct btf_header *h = data;
    if (h->magic != BTF_MAGIC) {
        *err = "bad BTF magic (or foreign byte order)";
        return -EINVAL;
    }
    if (h->version != BTF_VERSION || h->hdr_len < sizeof(*h) || h->hdr_len > size) {
        *err = "unsupported BTF header";
        return -EINVAL;
    }
    uint64_t tend = (uint64_t)h->hdr_len + h->type_off + h->type_len;
    uint64_t send = (uint64_t)h->hdr_len + h->str_off + h->str_len;
    if (tend > size || send > size || ((h->hdr_len + h->type_off) & 3)) {
        *err = "BTF sections out of bounds";
        return -EINVAL;
    }
    if (copy) {
        b->data = malloc(size ? size : 1);
        if (!b->data)
            return -ENOMEM;
        memcpy(b->data, data, size);
        b->owned = true;
    } else {
        b->data = (unsigned char *)data;
    }
    b->size = size;
    h = (const struct btf_header *)b->data;
    b->strs = (const char *)b->data + h->hdr_len + h->str_off;
    b->str_len = h->str_len;
    if (b->str_len && b->strs[b->str_len - 1] != 0) {
        *err = "BTF string section not NUL-terminated";
        ebtf_release(b);
        return -EINVAL;
    }
    b->start_id = base ? ebtf_nr(base) : 1;
    b->start_str = base ? base->start_str + base->str_len : 0;
    const unsigned char *p = b->data + h->hdr_len + h->type_off, *end = p + h->type_len;
    size_t cap = 0;
    while (p < end) {
        if ((size_t)(end - p) < sizeof(struct btf_type))
            goto bad;
        const struct btf_type *t = (const struct btf_type *)p;
        size_t ex = extra_size(t);
        if (ex == (size_t)-1) {
            *err = "unknown BTF kind";
            ebtf_release(b);
            return -EINVAL;
        }
        if ((size_t)(end - p) < sizeof(*t) + ex)
            goto bad;
        if (b->ntypes == cap) {
            cap = cap ? cap * 2 : 1024;
            const struct btf_type **n = realloc(b->types, cap * sizeof(*n));
            if (!n) {
                ebtf_release(b);
                return -ENOMEM;
            }
            b->types = n;
        }
        b->types[b->ntypes++] = t;
        p += sizeof(*t) + ex;
    }
    return 0;
bad:
    *err = "truncated BTF type";
    ebtf_release(b);
    return -EINVAL;
}

void ebtf_release(struct ebtf *b)
{
    if (!b)
        return;
    if (b->owned)
        free(b->data);
    free(b->types);
    free(b->hash);
    free(b->chain);
    free(b->mod_name);
    if (b->fd >= 0)
        close(b->fd);
    memset(b, 0, sizeof(*b));
    b->fd = -1;
}

uint32_t ebtf_nr(const struct ebtf *b) { return b->ext ? ebpf_btf_type_cnt(b->ext) : b->start_id + b->ntypes; }

static const struct btf_type void_type;

const struct btf_type *ebtf_type(const struct ebtf *b, uint32_t id)
{
    if (b->ext)
        return id == 0 ? &void_type : ebpf_btf_type_by_id(b->ext, id);
    if (id < b->start_id) {
        if (b->base)
            return ebtf_type(b->base, id);
        return id == 0 ? &void_type : NULL;
    }
    id -= b->start_id;
    return id < b->ntypes ? b->types[id] : NULL;
}

const char *ebtf_str(const struct ebtf *b, uint32_t off)
{
    if (b->ext) {
        const char *r = ebpf_btf_str(b->ext, off);
        return r ? r : "";
    }
    if (off < b->start_str)
        return b->base ? ebtf_str(b->base, off) : "";
    off -= b->start_str;
    return off < b->str_len ? b->strs + off : "";
}

const struct btf_type *ebtf_skip_mods(const struct ebtf *b, uint32_t id, uint32_t *out_id)
{
    if (out_id)
        *out_id = 0; /* callers on a failed lookup never see a stale id */
    for (int depth = 0; depth < 64; depth++) {
        const struct btf_type *t = ebtf_type(b, id);
        if (!t)
            return NULL;
        switch (ebtf_kind(t)) {
        case BTF_KIND_TYPEDEF: case BTF_KIND_CONST: case BTF_KIND_VOLATILE:
        case BTF_KIND_RESTRICT: case BTF_KIND_TYPE_TAG:
            id = t->type;
            continue;
        default:
            if (out_id)
                *out_id = id;
            return t;
        }
    }
    return NULL;
}

int64_t ebtf_size(const struct ebtf *b, uint32_t id)
{
    int64_t mult = 1;
    for (int depth = 0; depth < 64; depth++) {
        const struct btf_type *t = ebtf_skip_mods(b, id, &id);
        if (!t)
            return -EINVAL;
        switch (ebtf_kind(t)) {
        case BTF_KIND_INT: case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_ENUM:
        case BTF_KIND_ENUM64: case BTF_KIND_DATASEC: case BTF_KIND_FLOAT:
            return mult * t->size;
        case BTF_KIND_PTR:
            return mult * 8;
        case BTF_KIND_ARRAY: {
            const struct btf_array *a = ebtf_array(t);
            mult *= a->nelems;
            if (mult > (1ll << 40))
                return -EINVAL;
            id = a->type;
            continue;
        }
        case BTF_KIND_VAR:
            id = t->type;
            continue;
        default:
            return -EINVAL;
        }
    }
    return -EINVAL;
}

size_t ebtf_essential_len(const char *name)
{
    size_t n = strlen(name);
    /* The last "x___y" separator starts the flavour suffix. */
    for (size_t i = n >= 4 ? n - 4 : 0; i >= 1; i--)
        if (name[i - 1] != '_' && name[i] == '_' && name[i + 1] == '_' && name[i + 2] == '_' &&
            name[i + 3] && name[i + 3] != '_')
            return i;
    return n;
}

static uint32_t hash_name(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static int build_hash(struct ebtf *b)
{
    uint32_t cap = 64;
    while (cap < b->ntypes * 2u)
        cap <<= 1;
    uint32_t *hash = calloc(cap, sizeof(uint32_t));
    uint32_t *chain = calloc(b->ntypes ? b->ntypes : 1, sizeof(uint32_t));
    if (!hash || !chain) {
        free(hash);
        free(chain);
        return -ENOMEM;
    }
    /* Insert in reverse so chains list ids in ascending order. */
    for (uint32_t i = b->ntypes; i-- > 0;) {
        const char *n = ebtf_str(b, b->types[i]->name_off);
        if (!n[0])
            continue;
        uint32_t h = hash_name(n, ebtf_essential_len(n)) & (cap - 1);
        chain[i] = hash[h];
        hash[h] = i + 1;
    }
    b->hash = hash;
    b->chain = chain;
    b->hcap = cap;
    return 0;
}

static pthread_mutex_t hash_lock = PTHREAD_MUTEX_INITIALIZER;

static int ensure_hash(const struct ebtf *cb)
{
    struct ebtf *b = (struct ebtf *)cb; /* lazily built index: logically const */
    if (__atomic_load_n(&b->hash, __ATOMIC_ACQUIRE))
        return 0;
    pthread_mutex_lock(&hash_lock);
    int r = b->hash ? 0 : build_hash(b);
    pthread_mutex_unlock(&hash_lock);
    return r;
}

int ebtf_for_each_essential(const struct ebtf *b, const char *name, size_t len, int kind,
                            int (*fn)(void *ctx, uint32_t id), void *ctx)
{
    if (b->base) {
        int r = ebtf_for_each_essential(b->base, name, len, kind, fn, ctx);
        if (r)
            return r;
    }
    if (b->ext) {
        /* the library's index hashes full names: look the essential name
         * up exactly (kernel types do not carry ___flavour suffixes) */
        char buf[256];
        if (len >= sizeof(buf))
            return 0;
        memcpy(buf, name, len);
        buf[len] = 0;
        for (int64_t id = ebpf_btf_find(b->ext, buf, kind); id > 0;
             id = ebpf_btf_find_next(b->ext, buf, kind, (uint32_t)id)) {
            int r = fn(ctx, (uint32_t)id);
            if (r)
                return r;
        }
        return 0;
    }
    if (!b->ntypes || ensure_hash(b) < 0)
        return 0;
    uint32_t h = hash_name(name, len) & (b->hcap - 1);
    for (uint32_t i = b->hash[h]; i; i = b->chain[i - 1]) {
        const struct btf_type *t = b->types[i - 1];
        if (kind >= 0 && ebtf_kind(t) != kind)
            continue;
        const char *n = ebtf_str(b, t->name_off);
        if (ebtf_essential_len(n) == len && memcmp(n, name, len) == 0) {
            int r = fn(ctx, b->start_id + i - 1);
            if (r)
                return r;
        }
    }
    return 0;
}

struct find_ctx {
    const struct ebtf *b;
    const char *name;
    uint32_t after, found;
};

static int find_cb(void *c, uint32_t id)
{
    struct find_ctx *f = c;
    if (id <= f->after)
        return 0;
    if (strcmp(ebtf_str(f->b, ebtf_type(f->b, id)->name_off), f->name) != 0)
        return 0;
    f->found = id;
    return 1;
}

uint32_t ebtf_find_next(const struct ebtf *b, uint32_t prev, const char *name, int kind)
{
    struct find_ctx f = {b, name, prev, 0};
    ebtf_for_each_essential(b, name, ebtf_essential_len(name), kind, find_cb, &f);
    return f.found;
}

uint32_t ebtf_find_first(const struct ebtf *b, const char *name, int kind)
{
    return ebtf_find_next(b, 0, name, kind);
}

/* ---- kernel BTF cache ---- */

static int read_file(const char *path, unsigned char **out, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t cap = 1 << 20, n = 0;
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size > 0)
        cap = (size_t)st.st_size + 1;
    unsigned char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            close(fd);
            return -ENOMEM;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            close(fd);
            return -e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == cap) {
            cap *= 2;
            unsigned char *nb = realloc(buf, cap);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    close(fd);
    *out = buf;
    *len = n;
    return 0;
}

static pthread_mutex_t kernel_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ebtf *vmlinux;
static struct ebtf **modules;
static size_t nmodules;
static int modules_loaded;

static struct ebtf *parse_path(const char *path, const struct ebtf *base, const char **err)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    int r = read_file(path, &buf, &len);
    if (r < 0) {
        *err = "cannot read kernel BTF";
        errno = -r;
        return NULL;
    }
    struct ebtf *b = malloc(sizeof(*b));
    if (!b) {
        free(buf);
        errno = ENOMEM;
        return NULL;
    }
    r = ebtf_init(b, buf, len, false, base, err);
    if (r < 0) {
        free(buf);
        free(b);
        errno = -r;
        return NULL;
    }
    b->owned = true;
    return b;
}

const struct ebtf *ebtf_kernel_get(const char *path, const char **err)
{
    if (path) {
        struct ebtf *b = parse_path(path, NULL, err);
        if (b)
            ensure_hash(b);
        return b;
    }
    pthread_mutex_lock(&kernel_lock);
    if (!vmlinux) {
        /* one kernel BTF per process: the one ebpf.btf uses too */
        const struct ebpf_btf *k = ebpf_btf_kernel();
        size_t sz = 0;
        const struct btf_header *h = k ? ebpf_btf_raw(k, &sz) : NULL;
        if (h && sz >= sizeof(*h)) {
            vmlinux = calloc(1, sizeof(*vmlinux));
            if (vmlinux) {
                vmlinux->ext = k;
                vmlinux->fd = -1;
                vmlinux->start_id = 1;
                vmlinux->ntypes = ebpf_btf_type_cnt(k) - 1;
                vmlinux->str_len = h->str_len;
            }
        } else {
            *err = k ? "kernel BTF has no raw data" : ebpf_error_message();
        }
    }
    struct ebtf *b = vmlinux;
    pthread_mutex_unlock(&kernel_lock);
    return b;
}

void ebtf_kernel_put(const struct ebtf *b)
{
    if (!b || b == vmlinux)
        return;
    struct ebtf *m = (struct ebtf *)b;
    ebtf_release(m);
    free(m);
}

/* The kernel BTF cache lives as long as the library: free it when the
 * library is unloaded (the Lua module is dlclose'd at lua_close), so leak
 * checkers see no loss. */
__attribute__((destructor)) static void kernel_cache_free(void)
{
    for (size_t i = 0; i < nmodules; i++) {
        ebtf_release(modules[i]);
        free(modules[i]);
    }
    free(modules);
    modules = NULL;
    nmodules = 0;
    if (vmlinux) {
        ebtf_release(vmlinux);
        free(vmlinux);
        vmlinux = NULL;
    }
}

int ebtf_module_fd_open(const struct ebtf *m)
{
    return m->mod_name ? ebpf_btf_kernel_module_fd(m->mod_name) : -ENOENT;
}

struct ebtf *const *ebtf_kernel_modules(size_t *count)
{
    const char *err;
    const struct ebtf *base = ebtf_kernel_get(NULL, &err);
    pthread_mutex_lock(&kernel_lock);
    if (!modules_loaded && base) {
        modules_loaded = 1;
        DIR *d = opendir("/sys/kernel/btf");
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.' || strcmp(e->d_name, "vmlinux") == 0)
                continue;
            char path[512];
            snprintf(path, sizeof(path), "/sys/kernel/btf/%s", e->d_name);
            struct ebtf *m = parse_path(path, base, &err);
            if (!m)
                continue;
            struct ebtf **n = realloc(modules, (nmodules + 1) * sizeof(*n));
            if (!n) {
                ebtf_release(m);
                free(m);
                break;
            }
            modules = n;
            m->mod_name = strdup(e->d_name); /* fds are opened per load (no process-wide fds) */
            modules[nmodules++] = m;
        }
        if (d)
            closedir(d);
    }
    pthread_mutex_unlock(&kernel_lock);
    *count = nmodules;
    return modules;
}
