/* Internal model of a parsed BPF object (struct ebpf_spec) shared by the
 * parser, the relocator and the loader. */
#pragma once
#include "uapi_newer.h"
#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpf/elf.h"

struct ebpf_btf;

/* UAPI values newer than the system headers (Debian 12 ships 6.1). */
#define BPF_PROG_TYPE_NETFILTER_ 32 /* BPF_PROG_TYPE_NETFILTER (6.4) */
#define EBPF_BPF_F_XDP_HAS_FRAGS (1u << 5)
#define EBPF_BPF_F_LINK (1u << 13)            /* struct_ops maps activated by a link (6.4) */
#define EBPF_BPF_F_VTYPE_BTF_OBJ_FD (1u << 15) /* struct_ops value type in module BTF (6.9) */

enum emap_kind { EMAP_USER, EMAP_DATA, EMAP_RODATA, EMAP_BSS, EMAP_KCONFIG };

struct emap_init { /* static initialisation of a map-in-map / prog array slot */
    uint32_t slot;
    char *target; /* program or map name */
};

/* A function-pointer member of a struct_ops variable set to a program. */
struct eso_slot {
    uint32_t off;       /* byte offset in the object's struct */
    int prog;           /* program index */
};

/* What a SEC(".struct_ops[.link]") variable adds to its map spec. */
struct eso_spec {
    char *type_name;    /* the kernel struct ("tcp_congestion_ops") */
    uint32_t type_id;   /* that struct in the object BTF */
    struct eso_slot *slots; size_t nslots;
};

struct ebpf_map_spec {
    char *name;
    enum emap_kind kind;
    int sec;            /* ELF section defining it */
    uint64_t sym_off;   /* offset of its symbol in that section */
    uint64_t sym_size;
    int type;
    uint32_t key_size, value_size, max_entries, flags;
    int numa_node;      /* -1 none */
    uint64_t map_extra;
    int pinning;
    uint32_t btf_key_id, btf_value_id; /* object BTF */
    uint32_t btf_var_id;               /* .maps VAR (its struct) */
    void *data;         /* initial image of a global data map (NULL: zero) */
    size_t data_size;
    struct ebpf_map_spec *inner; /* map-in-map template (owned) */
    struct emap_init *init; size_t n_init;
    bool init_progs;    /* init targets are programs (prog array) */
    bool has_explicit_type;
    uint32_t legacy_unknown_at; /* legacy def: offset of a non-zero byte past
                                   the fields understood (0: none) */
    struct eso_spec *st_ops; /* struct_ops maps (data: the object's struct) */
};

/* A function: a program entry or a .text subprogram. */
struct efunc {
    char *name;
    int sec;
    uint32_t off, cnt;  /* instruction index and count within the section */
    bool hidden;        /* global with hidden/internal visibility: static in BTF */
};

enum erel_kind {
    EREL_NONE = 0,
    EREL_MAP,          /* ld_imm64 map fd */
    EREL_MAP_VALUE,    /* ld_imm64 map value (global data), off = byte offset */
    EREL_CALL,         /* bpf-to-bpf call, target = func index */
    EREL_FUNC_PTR,     /* ld_imm64 of a function address, target = func */
    EREL_EXTERN,       /* reference to an extern (kconfig/ksym/kfunc) */
    EREL_ARENA,        /* ld_imm64 of an __arena global: off in the arena's data image */
};

struct erel {
    uint32_t insn;      /* instruction index within the section */
    enum erel_kind kind;
    int target;         /* map index, func index or extern index */
    int64_t off;        /* MAP_VALUE: byte offset in the map value */
};

enum esec_kind { ESEC_OTHER, ESEC_PROG, ESEC_DATA, ESEC_MAPS, ESEC_LEGACY_MAPS, ESEC_ARENA };

struct esec {
    char *name;
    enum esec_kind kind;
    struct bpf_insn *insns; /* ESEC_PROG: a copy */
    uint32_t ninsn;
    struct erel *rel; size_t nrel; /* sorted by insn */
    int map;                /* ESEC_DATA: its map index; ESEC_ARENA: the arena map */
    size_t size;
};

struct evar {
    char *name;
    int map;           /* for __arena globals: the arena map (data image = its spec's data) */
    uint32_t off, size;
    uint32_t btf_type; /* object BTF type of the variable's value */
};

enum eext_kind { EEXT_KCONFIG, EEXT_KSYM, EEXT_KFUNC };

struct eext {
    char *name;
    enum eext_kind kind;
    bool weak;
    uint32_t btf_id;   /* VAR or FUNC in the object BTF, 0 if none */
    uint32_t type_id;  /* resolved type of the var / func proto */
    uint32_t off;      /* KCONFIG: offset in the .kconfig map */
    uint32_t size;
    bool typed;        /* KSYM: has a BTF type other than void */
};

struct ebpf_prog_spec {
    const struct ebpf_spec *owner;
    char *name;
    char *section;
    int func;          /* entry function */
    const struct ebpf_sec_info *info;
    const char *target; /* points into section */
    int type, eat;
    uint32_t flags;
    bool autoload;
    bool eat_set;      /* expected attach type meaningful (even if 0) */
};

struct ebpf_spec {
    char *name;
    char license[128];
    uint32_t kern_version;
    struct esec *secs; size_t nsec;
    struct efunc *funcs; size_t nfunc;
    struct ebpf_prog_spec *progs; size_t nprog;
    struct ebpf_map_spec **maps; size_t nmap;
    struct evar *vars; size_t nvar;
    struct eext *exts; size_t next;
    int kconfig_map;   /* index or -1 */
    int arena_sec;     /* the .addr_space.1 section (__arena globals) or -1 */
    void *btf; size_t btf_size;         /* .BTF copy */
    void *btf_ext; size_t btf_ext_size; /* .BTF.ext copy */
    struct ebpf_btf *obtf;              /* .btf parsed, NULL if none */
    struct extsec *ext[3]; size_t next_sec[3]; /* .BTF.ext: func, line, core */
    bool big_endian;                    /* bpfeb object: converted for inspection, never loaded */
};

/* One section's records of .BTF.ext (func info, line info or CO-RE). */
struct extsec {
    int sec;             /* ELF section index */
    uint32_t rec_size, n;
    const unsigned char *recs;
};
enum { EXT_FUNC, EXT_LINE, EXT_CORE };
int espec_btf_ext(struct ebpf_spec *s);

/* parse helpers shared between files */
struct ebpf_map_spec *emap_new(const char *name);
void emap_free(struct ebpf_map_spec *m);
int espec_add_map(struct ebpf_spec *s, struct ebpf_map_spec *m);
int espec_func_at(const struct ebpf_spec *s, int sec, uint32_t insn);
int espec_find_ext(const struct ebpf_spec *s, const char *name);
