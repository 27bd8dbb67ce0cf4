/* Internals of symbol lookup (ebpf/sym.h): the /proc reader, the ELF
 * symbol tables of user files and the parser of /proc/PID/maps lines. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "ebpf/sym.h"

/* A /proc file read whole: stat gives size 0 there, so read to EOF, up
 * to max bytes (-EFBIG beyond). NUL-terminated, length in *len; NULL +
 * errno with the message set. */
char *sym_read_proc(const char *path, const char *what, size_t max, size_t *len);

/* Function symbols of one ELF file, sorted by address, with the loadable
 * segments to turn file offsets into virtual addresses. */
struct usym {
    uint64_t addr, size;
    const char *name; /* in the table's pool */
};
struct useg {
    uint64_t off, filesz, vaddr;
};
struct usymtab {
    struct usym *syms;
    size_t n;
    char *pool;
    struct useg *segs;
    size_t nsegs;
    char debug_from[24]; /* "", "build-id" or "debuglink": where .symtab came from */
};

/* Builds the table of the open ELF file fd; path is the file's name as the
 * process sees it (the directory for .gnu_debuglink lookups), debug_dir
 * the root of separate debug files. 0 or -errno with the message set. */
int usymtab_load(int fd, const char *path, const char *debug_dir, struct usymtab *t);
void usymtab_free(struct usymtab *t);
/* ELF vaddr of a file offset through the PT_LOAD segments; 0 if in none. */
int usymtab_vaddr(const struct usymtab *t, uint64_t off, uint64_t *vaddr);
/* The symbol covering vaddr, or NULL. */
const struct usym *usymtab_find(const struct usymtab *t, uint64_t vaddr);

/* One line of /proc/PID/maps. path points into the line (NUL-terminated
 * by the parser); "" for anonymous mappings. */
struct umap {
    uint64_t start, end, pgoff;
    int exec;
    const char *path;
};
/* Parses the line in place (its '\n' already replaced by NUL): 0, or
 * -EINVAL when it is not a maps line. */
int umap_parse_line(char *line, struct umap *m);

/* Drops the kallsyms table (ebpf_sym_cache_clear). */
void sym_kernel_cache_clear(void);
