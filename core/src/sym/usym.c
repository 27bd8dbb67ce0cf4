/* User addresses of a live process: /proc/PID/maps says which file an
 * address maps and at what file offset, the file's segments turn that
 * into the ELF vaddr its symbols use. Files are opened through
 * /proc/PID/map_files (the very file mapped, even deleted or in another
 * mount namespace), else /proc/PID/root/PATH; symbol tables are cached by
 * the identity of the file (device, inode, mtime, size). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ebpf/sys.h"
#include "error_internal.h"
#include "sym_internal.h"

#define MAPS_MAX ((size_t)64 << 20)
#define CACHE_MAX 64 /* files kept between calls */
#define DEBUG_DIR_DEFAULT "/usr/lib/debug"

struct ucache {
    dev_t dev;
    ino_t ino;
    struct timespec mtime;
    off_t size;
    int ok; /* 0: not an ELF file (remembered so that it is not reread) */
    struct usymtab t;
    struct ucache *next;
};

static pthread_mutex_t umutex = PTHREAD_MUTEX_INITIALIZER;
static struct ucache *ucache; /* most recently used first */
static char debug_dir[PATH_MAX] = DEBUG_DIR_DEFAULT;

static void cache_clear_locked(void)
{
    while (ucache) {
        struct ucache *c = ucache;
        ucache = c->next;
        usymtab_free(&c->t);
        free(c);
    }
}

/* Keeps the CACHE_MAX most recent entries; only between calls, so that
 * no entry a call is using goes away. */
static void cache_trim_locked(void)
{
    struct ucache **pp = &ucache;
    for (int i = 0; *pp && i < CACHE_MAX; i++)
        pp = &(*pp)->next;
    while (*pp) {
        struct ucache *c = *pp;
        *pp = c->next;
        usymtab_free(&c->t);
        free(c);
    }
}

static const char *hexnum(const char *s, uint64_t *v)
{
    uint64_t a = 0;
    int n = 0;
    for (; isxdigit((unsigned char)*s); s++, n++) {
        if (n == 16)
            return NULL;
        a = a << 4 | (uint64_t)(isdigit((unsigned char)*s) ? *s - '0' : (*s | 0x20) - 'a' + 10);
    }
    *v = a;
    return n ? s : NULL;
}

int umap_parse_line(char *line, struct umap *m)
{
    const char *s = hexnum(line, &m->start);
    if (!s || *s != '-' || !(s = hexnum(s + 1, &m->end)) || *s != ' ' || m->end < m->start)
        return -EINVAL;
    s++;
    if (strlen(s) < 5 || s[4] != ' ')
        return -EINVAL;
    m->exec = s[2] == 'x';
    if (!(s = hexnum(s + 5, &m->pgoff)) || *s != ' ')
        return -EINVAL;
    s += 1 + strcspn(s + 1, " "); /* device */
    if (*s != ' ')
        return -EINVAL;
    s++;
    while (isdigit((unsigned char)*s)) /* inode */
        s++;
    while (*s == ' ')
        s++;
    m->path = s;
    return 0;
}

/* The cached table of the file behind mapping m of pid, opened now and
 * matched by identity; NULL when it cannot be opened or is no ELF. */
static struct ucache *table_for(int pid, const struct umap *m)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof(p), "/proc/%d/map_files/%llx-%llx", pid, (unsigned long long)m->start,
             (unsigned long long)m->end);
    int fd = ebpf_file_open(p, "mapped file", 0, NULL);
    if (fd < 0 && snprintf(p, sizeof(p), "/proc/%d/root%s", pid, m->path) < (int)sizeof(p))
        fd = ebpf_file_open(p, "mapped file", 0, NULL);
    if (fd < 0) {
        ebpf_error_clear(); /* an unreadable file leaves its frames unnamed, no failure */
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return NULL;
    }
    struct ucache **pp = &ucache;
    for (; *pp; pp = &(*pp)->next) {
        struct ucache *c = *pp;
        if (c->dev == st.st_dev && c->ino == st.st_ino && c->size == st.st_size &&
            c->mtime.tv_sec == st.st_mtim.tv_sec && c->mtime.tv_nsec == st.st_mtim.tv_nsec) {
            *pp = c->next; /* to the front */
            c->next = ucache;
            ucache = c;
            close(fd);
            return c->ok ? c : NULL;
        }
    }
    struct ucache *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return NULL;
    }
    c->dev = st.st_dev;
    c->ino = st.st_ino;
    c->size = st.st_size;
    c->mtime = st.st_mtim;
    c->ok = usymtab_load(fd, m->path, debug_dir, &c->t) == 0;
    if (!c->ok)
        ebpf_error_clear();
    close(fd);
    c->next = ucache;
    ucache = c;
    return c->ok ? c : NULL;
}

/* Parses the exec mappings of the maps text (in place). */
static int parse_maps(char *text, struct umap **out, size_t *n)
{
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        struct umap m;
        if (umap_parse_line(line, &m) == 0 && m.exec) {
            if (*n == cap) {
                cap = cap ? cap * 2 : 64;
                struct umap *v = realloc(*out, cap * sizeof(*v));
                if (!v)
                    return -ENOMEM;
                *out = v;
            }
            (*out)[(*n)++] = m;
        }
        if (!nl)
            break;
        line = nl + 1;
    }
    return 0;
}

static void resolve(int pid, struct umap *maps, struct ucache **tabs, char *tried, size_t nmaps, uint64_t addr,
                    struct ebpf_sym *out, int *found)
{
    memset(out, 0, offsetof(struct ebpf_sym, name));
    out->addr = addr;
    out->name[0] = out->module[0] = 0;
    size_t i;
    for (i = 0; i < nmaps && !(addr >= maps[i].start && addr < maps[i].end); i++)
        ;
    if (i == nmaps)
        return;
    struct umap *m = &maps[i];
    snprintf(out->module, sizeof(out->module), "%s", m->path);
    if (m->path[0] != '/')
        return; /* [vdso], [heap], anonymous JIT code: no file to read */
    if (!tried[i]) {
        tried[i] = 1;
        tabs[i] = table_for(pid, m);
    }
    uint64_t vaddr;
    const struct usym *s;
    if (!tabs[i] || !usymtab_vaddr(&tabs[i]->t, addr - m->start + m->pgoff, &vaddr) ||
        !(s = usymtab_find(&tabs[i]->t, vaddr)))
        return;
    out->start = s->addr;
    out->offset = vaddr - s->addr;
    snprintf(out->name, sizeof(out->name), "%s", s->name);
    (*found)++;
}

int ebpf_sym_user(int pid, const uint64_t *addrs, size_t n, struct ebpf_sym *out)
{
    if (pid <= 0 || (n && (!addrs || !out)))
        return ebpf_err(EINVAL, "symbols", "user symbols: invalid pid %d or no addresses", pid);
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/maps", pid);
    size_t len;
    char *text = sym_read_proc(path, "memory map", MAPS_MAX, &len);
    if (!text) {
        int e = errno;
        if (e == ENOENT)
            return ebpf_err(ESRCH, "symbols", "process %d: no such process", pid);
        return -e;
    }
    struct umap *maps;
    size_t nmaps;
    int r = parse_maps(text, &maps, &nmaps);
    struct ucache **tabs = calloc(nmaps ? nmaps : 1, sizeof(*tabs));
    char *tried = calloc(nmaps ? nmaps : 1, 1);
    if (r < 0 || !tabs || !tried) {
        free(maps);
        free(tabs);
        free(tried);
        free(text);
        return ebpf_err(ENOMEM, "symbols", "process %d: out of memory", pid);
    }
    int found = 0;
    pthread_mutex_lock(&umutex);
    cache_trim_locked();
    for (size_t i = 0; i < n; i++)
        resolve(pid, maps, tabs, tried, nmaps, addrs[i], &out[i], &found);
    pthread_mutex_unlock(&umutex);
    free(maps);
    free(tabs);
    free(tried);
    free(text);
    return found;
}

int ebpf_sym_set_debug_dir(const char *dir)
{
    if (dir && (dir[0] != '/' || strlen(dir) >= sizeof(debug_dir) - 256))
        return ebpf_err(EINVAL, "symbols", "debug directory '%s': must be an absolute path shorter than %zu bytes",
                        dir, sizeof(debug_dir) - 256);
    pthread_mutex_lock(&umutex);
    snprintf(debug_dir, sizeof(debug_dir), "%s", dir ? dir : DEBUG_DIR_DEFAULT);
    size_t l = strlen(debug_dir);
    while (l > 1 && debug_dir[l - 1] == '/') /* "dir/" joins as "dir" */
        debug_dir[--l] = 0;
    cache_clear_locked();
    pthread_mutex_unlock(&umutex);
    return 0;
}

void ebpf_sym_debug_dir(char *buf, size_t size)
{
    if (!buf || !size)
        return;
    pthread_mutex_lock(&umutex);
    snprintf(buf, size, "%s", debug_dir);
    pthread_mutex_unlock(&umutex);
}

void ebpf_sym_cache_clear(void)
{
    pthread_mutex_lock(&umutex);
    cache_clear_locked();
    pthread_mutex_unlock(&umutex);
    sym_kernel_cache_clear();
}
