/* Loading clang-compiled BPF objects. Two phases:
 *  - ebpf_spec_open_*(): parse an ELF object into an editable spec (maps,
 *    programs, global variables), no kernel involved;
 *  - ebpf_collection_load(): create maps, relocate (maps, globals, calls,
 *    CO-RE, kconfig, ksyms) and load every program into the kernel.
 * Section names follow libbpf's conventions (see ebpf_sec_info_find). */
#pragma once
#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpf/error.h"
#include "ebpf/map.h"
#include "ebpf/prog.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- section-name conventions ---- */

/* How a program is attached (for auto-attach layers). */
enum ebpf_attach_kind {
    EBPF_ATTACH_NONE = 0,    /* loaded only, attached by other means */
    EBPF_ATTACH_SOCKET,      /* socket filter: setsockopt SO_ATTACH_BPF */
    EBPF_ATTACH_KPROBE,      /* target: function[+offset] */
    EBPF_ATTACH_KRETPROBE,
    EBPF_ATTACH_KPROBE_MULTI, /* target: glob */
    EBPF_ATTACH_KRETPROBE_MULTI,
    EBPF_ATTACH_KSYSCALL,    /* target: syscall name */
    EBPF_ATTACH_KRETSYSCALL,
    EBPF_ATTACH_UPROBE,      /* target: binary:function[+offset] */
    EBPF_ATTACH_URETPROBE,
    EBPF_ATTACH_UPROBE_MULTI,
    EBPF_ATTACH_URETPROBE_MULTI,
    EBPF_ATTACH_USDT,        /* target: binary:provider:name */
    EBPF_ATTACH_TRACEPOINT,  /* target: category/name */
    EBPF_ATTACH_RAW_TRACEPOINT, /* target: name */
    EBPF_ATTACH_TRACING,     /* tp_btf/fentry/fexit/fmod_ret/lsm: BTF target */
    EBPF_ATTACH_ITER,        /* target: iterator name */
    EBPF_ATTACH_XDP,
    EBPF_ATTACH_TC,          /* classic tc (clsact) */
    EBPF_ATTACH_TCX,         /* tcx ingress/egress */
    EBPF_ATTACH_NETKIT,
    EBPF_ATTACH_CGROUP,      /* cgroup programs: expected attach type says where */
    EBPF_ATTACH_SOCKMAP,     /* sk_skb / sk_msg: attach to a sockmap */
    EBPF_ATTACH_NETNS,       /* flow_dissector, sk_lookup */
    EBPF_ATTACH_NETFILTER,
    EBPF_ATTACH_PERF_EVENT,
    EBPF_ATTACH_STRUCT_OPS,
    EBPF_ATTACH_FREPLACE,    /* target: function of another program */
    EBPF_ATTACH_LIRC,
    EBPF_ATTACH_LWT,
    EBPF_ATTACH_SK_REUSEPORT,
    EBPF_ATTACH_SYSCALL,     /* BPF_PROG_TYPE_SYSCALL: run only */
    EBPF_ATTACH_TRACING_MULTI, /* fentry/fexit/fsession.multi (7.2): target: glob */
    EBPF_ATTACH_KIND_MAX
};

struct ebpf_sec_info {
    const char *prefix;       /* convention matched ("tracepoint/", "xdp") */
    int prog_type;            /* BPF_PROG_TYPE_* */
    int expected_attach_type; /* BPF_* attach type (0 if none) */
    enum ebpf_attach_kind kind;
    bool sleepable;           /* BPF_F_SLEEPABLE */
    bool frags;               /* BPF_F_XDP_HAS_FRAGS */
    bool btf_target;          /* target is a BTF name resolved at load */
    bool has_attach_type;     /* expected_attach_type is meaningful (even if 0) */
};

/* The convention for a section name, or NULL; *target (may be NULL)
 * receives the part after the prefix ("syscalls/sys_enter_openat"), or ""
 * when there is none. */
EBPF_API const struct ebpf_sec_info *ebpf_sec_info_find(const char *section, const char **target);
/* Lower-case name of an attach kind ("tracepoint", "tracing", ...). */
EBPF_API const char *ebpf_attach_kind_name(enum ebpf_attach_kind kind);
/* The i-th convention of the table (NULL past the end). */
EBPF_API const struct ebpf_sec_info *ebpf_sec_info_at(int i);

/* ---- spec (parse only) ---- */

struct ebpf_spec;
struct ebpf_map_spec;
struct ebpf_prog_spec;

/* Parses an object. The bytes are copied; name (may be NULL) names the
 * object in messages and internal map names. */
EBPF_API struct ebpf_spec *ebpf_spec_open_mem(const void *buf, size_t len, const char *name);
EBPF_API struct ebpf_spec *ebpf_spec_open_file(const char *path);
EBPF_API void ebpf_spec_free(struct ebpf_spec *s);

/* Object name, license string and version section of the object. */
EBPF_API const char *ebpf_spec_name(const struct ebpf_spec *s);
EBPF_API const char *ebpf_spec_license(const struct ebpf_spec *s);
EBPF_API uint32_t ebpf_spec_kern_version(const struct ebpf_spec *s);
/* Raw .BTF section of the object (NULL if none). */
EBPF_API const void *ebpf_spec_btf(const struct ebpf_spec *s, size_t *size);

/* Maps of the object (BTF-defined, legacy and global data), by index or
 * name; NULL past the end or when absent. */
EBPF_API size_t ebpf_spec_map_count(const struct ebpf_spec *s);
EBPF_API struct ebpf_map_spec *ebpf_spec_map_at(const struct ebpf_spec *s, size_t i);
EBPF_API struct ebpf_map_spec *ebpf_spec_map_by_name(const struct ebpf_spec *s, const char *name);

/* Map spec fields. Global data maps are named after their section
 * (".rodata", ".data.foo", ".kconfig"). */
EBPF_API const char *ebpf_map_spec_name(const struct ebpf_map_spec *m);
EBPF_API int ebpf_map_spec_type(const struct ebpf_map_spec *m);
EBPF_API uint32_t ebpf_map_spec_key_size(const struct ebpf_map_spec *m);
EBPF_API uint32_t ebpf_map_spec_value_size(const struct ebpf_map_spec *m);
EBPF_API uint32_t ebpf_map_spec_max_entries(const struct ebpf_map_spec *m);
EBPF_API uint32_t ebpf_map_spec_flags(const struct ebpf_map_spec *m);
/* LIBBPF_PIN_BY_NAME (1) or 0. */
EBPF_API int ebpf_map_spec_pinning(const struct ebpf_map_spec *m);
/* Section of a global data map (".rodata", ...), or NULL for plain maps. */
EBPF_API const char *ebpf_map_spec_data_section(const struct ebpf_map_spec *m);
/* BTF type ids (object BTF) of key/value, 0 when unknown. */
EBPF_API uint32_t ebpf_map_spec_btf_key_type_id(const struct ebpf_map_spec *m);
EBPF_API uint32_t ebpf_map_spec_btf_value_type_id(const struct ebpf_map_spec *m);
EBPF_API void ebpf_map_spec_set_max_entries(struct ebpf_map_spec *m, uint32_t n);
EBPF_API void ebpf_map_spec_set_flags(struct ebpf_map_spec *m, uint32_t flags);
EBPF_API void ebpf_map_spec_set_pinning(struct ebpf_map_spec *m, int pinning);

/* Programs of the object (one per function in a program section), by
 * index or name; NULL past the end or when absent. */
EBPF_API size_t ebpf_spec_prog_count(const struct ebpf_spec *s);
EBPF_API struct ebpf_prog_spec *ebpf_spec_prog_at(const struct ebpf_spec *s, size_t i);
EBPF_API struct ebpf_prog_spec *ebpf_spec_prog_by_name(const struct ebpf_spec *s, const char *name);

/* Program spec fields: function name, section, program type and expected
 * attach type (from the section-name table, editable below). */
EBPF_API const char *ebpf_prog_spec_name(const struct ebpf_prog_spec *p);
EBPF_API const char *ebpf_prog_spec_section(const struct ebpf_prog_spec *p);
EBPF_API int ebpf_prog_spec_type(const struct ebpf_prog_spec *p);
EBPF_API int ebpf_prog_spec_expected_attach_type(const struct ebpf_prog_spec *p);
/* Convention of the section (NULL when unknown: such programs are parsed
 * but cannot be loaded unless a type is set). */
EBPF_API const struct ebpf_sec_info *ebpf_prog_spec_sec_info(const struct ebpf_prog_spec *p);
/* Attach target from the section name ("" if none). */
EBPF_API const char *ebpf_prog_spec_attach_target(const struct ebpf_prog_spec *p);
EBPF_API bool ebpf_prog_spec_autoload(const struct ebpf_prog_spec *p);
EBPF_API void ebpf_prog_spec_set_autoload(struct ebpf_prog_spec *p, bool on);
EBPF_API void ebpf_prog_spec_set_type(struct ebpf_prog_spec *p, int prog_type, int expected_attach_type);
/* Instructions of the program's own function (before linking). */
EBPF_API const struct bpf_insn *ebpf_prog_spec_insns(const struct ebpf_prog_spec *p, size_t *cnt);

/* Global variables: symbols of the data sections. */
EBPF_API size_t ebpf_spec_var_count(const struct ebpf_spec *s);
/* i-th variable: name, its map (global data map), offset and size; type
 * (may be NULL) receives its BTF type id in the object BTF (0 unknown). */
EBPF_API const char *ebpf_spec_var_at(const struct ebpf_spec *s, size_t i, struct ebpf_map_spec **map,
                                      uint32_t *offset, uint32_t *size, uint32_t *type);
/* Index of a variable by name, or -1. */
EBPF_API int ebpf_spec_var_find(const struct ebpf_spec *s, const char *name);
/* Initial bytes of a global data map (NULL for .bss: zero), size in *size;
 * writable before load (set constants in .rodata). */
EBPF_API void *ebpf_map_spec_data(struct ebpf_map_spec *m, size_t *size);
/* Writes a variable's initial value (size must match). For .bss the
 * section gets an initial image. Returns 0 or -errno. */
EBPF_API int ebpf_spec_var_set(struct ebpf_spec *s, size_t i, const void *data, size_t size);

/* ---- load ---- */

struct ebpf_collection;

struct ebpf_map_replacement {
    const char *name;
    const struct ebpf_map *map; /* borrowed; its fd is dup'ed */
};

struct ebpf_load_opts {
    const char *pin_root;         /* maps with pinning=by_name: <pin_root>/<name>; NULL: /sys/fs/bpf */
    const char *kernel_btf;       /* path of kernel BTF; NULL: /sys/kernel/btf/vmlinux */
    uint32_t log_level;           /* verifier log level for every program */
    const struct ebpf_map_replacement *replace; size_t n_replace;
    const char *token_path;       /* a delegated bpffs: BTF, maps and programs made with its BPF token
                                   * (6.9+); NULL: the default token (EBPF_BPF_TOKEN_PATH), if any */
};

/* Creates the maps and loads every autoload program. On failure returns
 * NULL, everything created is released, and the error names the object,
 * the program and section (with the full verifier log) or the map. */
EBPF_API struct ebpf_collection *ebpf_collection_load(const struct ebpf_spec *s, const struct ebpf_load_opts *opts);
/* Closes every map and program still owned. NULL-safe. */
EBPF_API void ebpf_collection_close(struct ebpf_collection *c);

EBPF_API size_t ebpf_collection_map_count(const struct ebpf_collection *c);
/* i-th map in spec order (NULL if taken); name in *name. */
EBPF_API struct ebpf_map *ebpf_collection_map_at(const struct ebpf_collection *c, size_t i, const char **name);
EBPF_API struct ebpf_map *ebpf_collection_map(const struct ebpf_collection *c, const char *name);
EBPF_API size_t ebpf_collection_prog_count(const struct ebpf_collection *c);
/* i-th program in spec order (NULL if not loaded or taken). */
EBPF_API struct ebpf_prog *ebpf_collection_prog_at(const struct ebpf_collection *c, size_t i, const char **name);
EBPF_API struct ebpf_prog *ebpf_collection_prog(const struct ebpf_collection *c, const char *name);
/* Moves ownership of the i-th map / program to the caller (the
 * collection forgets it). */
EBPF_API struct ebpf_map *ebpf_collection_take_map(struct ebpf_collection *c, size_t i);
EBPF_API struct ebpf_prog *ebpf_collection_take_prog(struct ebpf_collection *c, size_t i);
/* Memory of a global data map mmapped after load (NULL if not mmapable:
 * use map lookup/update on key 0 instead), size in *size. .rodata is
 * mapped read-only. Valid while the collection lives. */
EBPF_API void *ebpf_collection_map_mmap(const struct ebpf_collection *c, size_t i, size_t *size);
/* Where the __arena globals start in the arena map (0, or its end minus
 * their pages where the kernel allows it, as libbpf places them). For the
 * arena map, ebpf_collection_map_mmap() gives that window, valid while
 * the arena map is open (it owns the mapping: ebpf_map_arena()). */
EBPF_API size_t ebpf_collection_arena_offset(const struct ebpf_collection *c);
/* fd of the object's BTF as loaded into the kernel (-1 if none). */
EBPF_API int ebpf_collection_btf_fd(const struct ebpf_collection *c);

#ifdef __cplusplus
}
#endif
