/* BTF: parsing (raw blobs, split BTF on a base, ELF .BTF/.BTF.ext),
 * lookup, layout (sizeof/alignof, members, bitfields), kernel BTF (vmlinux
 * cached per process, modules, objects by id), the C header dumper, a
 * builder, loading into the kernel (BTF_LOAD, with sanitisation of kinds
 * the kernel lacks) and value formatting.
 *
 * Model: one contiguous blob plus an offset index; a type is the pair
 * (btf, id), materialised on demand. Ids are global across a split BTF and
 * its base: ids [0, start_id) belong to the base, id 0 is void. Raw type
 * records are the kernel UAPI structs of <linux/btf.h>. */
#pragma once
#include <linux/bpf.h>
#include <linux/btf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpf/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ebpf_btf;
struct ebpf_btf_ext;

/* ---- parsing and lifetime ---- */

/* Parses a raw BTF blob (copied), or the .BTF section of an ELF image.
 * base: NULL, or the base of a split BTF
 * (kernel module BTF on vmlinux); it must outlive the result. Malformed
 * input gives NULL + errno (EINVAL, ENOTSUP for unknown kinds, ...) and a
 * message naming the problem (ebpf_error_message()). */
EBPF_API struct ebpf_btf *ebpf_btf_new(const void *data, size_t size, const struct ebpf_btf *base);
/* A file: raw BTF, or an ELF object whose .BTF section is used. */
EBPF_API struct ebpf_btf *ebpf_btf_open_file(const char *path, const struct ebpf_btf *base);
/* An empty, writable BTF for the builder (split on base if non-NULL). */
EBPF_API struct ebpf_btf *ebpf_btf_new_empty(const struct ebpf_btf *base);
/* Frees (closes the kernel fd it holds, if any). NULL-safe; a no-op on the
 * process-wide kernel BTF returned by ebpf_btf_kernel(). */
EBPF_API void ebpf_btf_free(struct ebpf_btf *btf);

/* ---- kernel BTF ---- */

/* vmlinux BTF (/sys/kernel/btf/vmlinux, mmapped where the kernel allows,
 * else read once), parsed once per process and cached; never free it.
 * NULL + errno if the kernel has no BTF. Thread-safe. */
EBPF_API const struct ebpf_btf *ebpf_btf_kernel(void);
/* Same, from another file (tests, other kernels); not cached. */
EBPF_API struct ebpf_btf *ebpf_btf_kernel_from(const char *path);
/* Module BTF (/sys/kernel/btf/<name>), split on ebpf_btf_kernel(). */
EBPF_API struct ebpf_btf *ebpf_btf_module(const char *name);
/* A loaded BTF object by id (BTF_GET_FD_BY_ID + info): its data is parsed
 * (split on vmlinux for kernel module BTF) and the fd is kept
 * (ebpf_btf_fd). */
EBPF_API struct ebpf_btf *ebpf_btf_open_id(uint32_t id);
/* A new fd of the loaded kernel BTF object of module `name` (for
 * fd_array / attach_btf_obj_fd), found among the loaded BTF objects;
 * -ENOENT if there is none (no message). */
EBPF_API int ebpf_btf_kernel_module_fd(const char *name);
/* Next loaded BTF id after `id` (0 starts). 0, or -ENOENT at the end. */
EBPF_API int ebpf_btf_next_id(uint32_t id, uint32_t *next);
/* Name of a BTF object in the kernel ("vmlinux", a module, or "" for
 * program BTF) and whether it is kernel BTF; from the object's info. */
EBPF_API const char *ebpf_btf_kernel_name(const struct ebpf_btf *btf);
EBPF_API bool ebpf_btf_is_kernel(const struct ebpf_btf *btf);

/* ---- whole-BTF properties ---- */

/* Number of type ids including the base's and void: valid ids are
 * 0 .. type_cnt-1. */
EBPF_API uint32_t ebpf_btf_type_cnt(const struct ebpf_btf *btf);
/* First id of this BTF's own types (1, or the base's type_cnt). */
EBPF_API uint32_t ebpf_btf_start_id(const struct ebpf_btf *btf);
EBPF_API const struct ebpf_btf *ebpf_btf_base(const struct ebpf_btf *btf);
/* The string at offset off (global across base and split), NULL if out
 * of bounds. */
EBPF_API const char *ebpf_btf_str(const struct ebpf_btf *btf, uint32_t off);
/* Raw blob of this BTF's own types (header + types + strings), valid until
 * the next change; *size receives its length. */
EBPF_API const void *ebpf_btf_raw(const struct ebpf_btf *btf, size_t *size);
/* Kernel fd (after ebpf_btf_load or ebpf_btf_open_id), else -1. */
EBPF_API int ebpf_btf_fd(const struct ebpf_btf *btf);
/* Kernel id after load / open_id, else 0. */
EBPF_API uint32_t ebpf_btf_id(const struct ebpf_btf *btf);

/* ---- types ---- */

/* The raw record of type id, NULL for void (0) or an id out of range. */
EBPF_API const struct btf_type *ebpf_btf_type_by_id(const struct ebpf_btf *btf, uint32_t id);
/* BTF_KIND_* of id (BTF_KIND_UNKN for void), or -EINVAL if out of range. */
EBPF_API int ebpf_btf_kind(const struct ebpf_btf *btf, uint32_t id);
/* "int", "ptr", "array", "struct", "union", "enum", "fwd", "typedef",
 * "volatile", "const", "restrict", "func", "func_proto", "var", "datasec",
 * "float", "decl_tag", "type_tag", "enum64"; "void" for 0; NULL if unknown. */
EBPF_API const char *ebpf_btf_kind_name(int kind);
/* Inverse of ebpf_btf_kind_name; -1 if unknown. */
EBPF_API int ebpf_btf_kind_by_name(const char *name);
/* Name of id, "" when anonymous (or void / out of range). */
EBPF_API const char *ebpf_btf_name(const struct ebpf_btf *btf, uint32_t id);
EBPF_API uint16_t ebpf_btf_vlen(const struct ebpf_btf *btf, uint32_t id);
EBPF_API bool ebpf_btf_kflag(const struct ebpf_btf *btf, uint32_t id);
/* The referenced type of ptr, typedef, const/volatile/restrict/type_tag,
 * func (its proto), func_proto (return type), var, decl_tag; array: its
 * element type. 0 otherwise. */
EBPF_API uint32_t ebpf_btf_ref(const struct ebpf_btf *btf, uint32_t id);

/* Lookup by name: the first lookups walk the records, and once their walks
 * add up to the BTF's size a hash index is built (O(1) from then on;
 * thread-safe). kind < 0: any kind. Returns the lowest matching id (base first), or
 * -ENOENT (no message). */
EBPF_API int64_t ebpf_btf_find(const struct ebpf_btf *btf, const char *name, int kind);
/* The next match with id > after (to enumerate same-named types). */
EBPF_API int64_t ebpf_btf_find_next(const struct ebpf_btf *btf, const char *name, int kind, uint32_t after);

struct ebpf_btf_member {
    const char *name;        /* "" for anonymous members */
    uint32_t type;
    uint32_t bit_offset;
    uint32_t bitfield_size;  /* 0 if not a bitfield */
};
/* Member idx of a struct/union; 0 or -EINVAL. */
EBPF_API int ebpf_btf_member(const struct ebpf_btf *btf, uint32_t id, uint32_t idx, struct ebpf_btf_member *out);

struct ebpf_btf_enum_value {
    const char *name;
    int64_t value;           /* the value as stored (use uvalue if unsigned) */
    uint64_t uvalue;
};
/* Enumerator idx of an enum or enum64 (signedness from kflag). */
EBPF_API int ebpf_btf_enum_value(const struct ebpf_btf *btf, uint32_t id, uint32_t idx, struct ebpf_btf_enum_value *out);
/* Name of the enumerator of enum `id` with value v, NULL if none. */
EBPF_API const char *ebpf_btf_enum_name_of(const struct ebpf_btf *btf, uint32_t id, int64_t v);
/* True for signed enums (kflag) and signed ints. */
EBPF_API bool ebpf_btf_is_signed(const struct ebpf_btf *btf, uint32_t id);

struct ebpf_btf_param {
    const char *name;        /* "" if unnamed */
    uint32_t type;           /* 0 for the trailing `...` of a variadic proto */
};
/* Parameter idx of a func_proto (or a func: of its proto). */
EBPF_API int ebpf_btf_param(const struct ebpf_btf *btf, uint32_t id, uint32_t idx, struct ebpf_btf_param *out);

struct ebpf_btf_array_info { uint32_t type, index_type, nelems; };
/* Element type, index type and element count of an ARRAY type. */
EBPF_API int ebpf_btf_array(const struct ebpf_btf *btf, uint32_t id, struct ebpf_btf_array_info *out);

struct ebpf_btf_int_info {
    uint32_t encoding;       /* BTF_INT_SIGNED | BTF_INT_CHAR | BTF_INT_BOOL */
    uint32_t offset;         /* bit offset (legacy, normally 0) */
    uint32_t bits;
};
/* Encoding, bit offset and bit count of an INT type. */
EBPF_API int ebpf_btf_int(const struct ebpf_btf *btf, uint32_t id, struct ebpf_btf_int_info *out);

/* BTF_VAR_STATIC / BTF_VAR_GLOBAL_ALLOCATED / _EXTERN of a var; BTF_FUNC_*
 * linkage of a func; -EINVAL for other kinds. */
EBPF_API int ebpf_btf_linkage(const struct ebpf_btf *btf, uint32_t id);

struct ebpf_btf_var_secinfo { uint32_t type, offset, size; };
/* Variable idx of a DATASEC: its VAR type, offset and size. */
EBPF_API int ebpf_btf_datasec_var(const struct ebpf_btf *btf, uint32_t id, uint32_t idx, struct ebpf_btf_var_secinfo *out);
/* Component index of a decl_tag (-1: the declaration itself). */
EBPF_API int ebpf_btf_decl_tag_component(const struct ebpf_btf *btf, uint32_t id, int32_t *out);

/* Follows const/volatile/restrict/type_tag. */
EBPF_API uint32_t ebpf_btf_skip_modifiers(const struct ebpf_btf *btf, uint32_t id);
/* Follows modifiers and typedefs to the underlying type. */
EBPF_API uint32_t ebpf_btf_resolve(const struct ebpf_btf *btf, uint32_t id);
/* Size in bytes (through typedefs/modifiers/arrays), or -errno (-EINVAL for
 * sizeless kinds such as func or void, -ELOOP for a reference cycle). */
EBPF_API int64_t ebpf_btf_sizeof(const struct ebpf_btf *btf, uint32_t id);
/* Natural alignment in bytes (1 for packed structs), or -errno. */
EBPF_API int64_t ebpf_btf_alignof(const struct ebpf_btf *btf, uint32_t id);

/* The C declaration of id with declarator name, e.g. "char comm[16]",
 * "int (*cb)(void *, long)", or with name NULL the type itself:
 * "struct task_struct", "typedef int pid_t", "long int f(void *)" (func),
 * "int x" (var).
 * Writes at most len bytes (NUL-terminated); returns the full length
 * (like snprintf) or -errno. */
EBPF_API int ebpf_btf_decl(const struct ebpf_btf *btf, uint32_t id, const char *name, char *buf, size_t len);

/* ---- C header dumper ---- */

/* Receives the output in chunks; a non-zero return aborts the dump. */
typedef int (*ebpf_btf_write_fn)(void *ctx, const char *data, size_t len);

enum {
    EBPF_BTF_DUMP_NO_PRESERVE = 1 << 0,  /* no preserve_access_index pragma */
    EBPF_BTF_DUMP_NO_GUARD = 1 << 1,     /* no #ifndef __VMLINUX_H__ guard */
    EBPF_BTF_DUMP_SINGLE = 1 << 2,       /* only the definition of id, no deps */
};
/* Writes C definitions: every type (id 0) or id and its dependencies,
 * ordered so that it compiles (forward declarations for cycles). Returns
 * 0 or -errno. */
EBPF_API int ebpf_btf_dump_c(const struct ebpf_btf *btf, uint32_t id, unsigned flags,
                             ebpf_btf_write_fn write, void *ctx);
/* Same into a malloc'd NUL-terminated string (*len may be NULL). */
EBPF_API char *ebpf_btf_dump_c_string(const struct ebpf_btf *btf, uint32_t id, unsigned flags, size_t *len);

/* ---- values ---- */

/* Formats the bytes of a value of type id (size bytes, >= sizeof) as text,
 * C-initializer style: {.pid = 1, .comm = "bash", .a = [1, 2]}. Returns the
 * full length like snprintf, or -errno (size too small, bad type). */
EBPF_API int ebpf_btf_format_value(const struct ebpf_btf *btf, uint32_t id, const void *data, size_t size,
                                   char *buf, size_t len);
/* Reads an integer field: nbytes (1..16, only the low 64 bits are kept) at
 * bit offset bit_off within data, bitfield of bits (0: whole bytes),
 * sign-extended when is_signed. Storage is little-endian (x86, arm64 and
 * BPF's usual byte order). Returns 0 or -EINVAL if out of bounds. */
EBPF_API int ebpf_btf_read_bits(const void *data, size_t size, uint32_t bit_off, uint32_t nbytes,
                                uint32_t bits, bool is_signed, uint64_t *out);
/* Writes an integer field, the inverse of ebpf_btf_read_bits. */
EBPF_API int ebpf_btf_write_bits(void *data, size_t size, uint32_t bit_off, uint32_t nbytes, uint32_t bits,
                                 uint64_t v);

/* ---- builder (encoding) ---- */

/* Each add returns the new type id (> 0) or -errno; names may be NULL or
 * "" for anonymous. Strings are deduplicated. Members/enumerators/params/
 * secinfos attach to the type added last. A parsed BTF becomes writable
 * (its blob is copied on first change). */
EBPF_API int64_t ebpf_btf_add_str(struct ebpf_btf *btf, const char *s);   /* string offset */
EBPF_API int64_t ebpf_btf_add_int(struct ebpf_btf *btf, const char *name, uint32_t size, uint32_t encoding);
EBPF_API int64_t ebpf_btf_add_float(struct ebpf_btf *btf, const char *name, uint32_t size);
EBPF_API int64_t ebpf_btf_add_ptr(struct ebpf_btf *btf, uint32_t type);
EBPF_API int64_t ebpf_btf_add_array(struct ebpf_btf *btf, uint32_t elem, uint32_t index_type, uint32_t nelems);
EBPF_API int64_t ebpf_btf_add_struct(struct ebpf_btf *btf, const char *name, uint32_t size);
EBPF_API int64_t ebpf_btf_add_union(struct ebpf_btf *btf, const char *name, uint32_t size);
EBPF_API int ebpf_btf_add_member(struct ebpf_btf *btf, const char *name, uint32_t type, uint32_t bit_offset,
                                 uint32_t bitfield_size);
EBPF_API int64_t ebpf_btf_add_enum(struct ebpf_btf *btf, const char *name, uint32_t size, bool is_signed);
EBPF_API int64_t ebpf_btf_add_enum64(struct ebpf_btf *btf, const char *name, uint32_t size, bool is_signed);
/* For enum (value must fit 32 bits) and enum64. */
EBPF_API int ebpf_btf_add_enum_value(struct ebpf_btf *btf, const char *name, int64_t value);
/* fwd_kind: BTF_KIND_STRUCT, BTF_KIND_UNION or BTF_KIND_ENUM. */
EBPF_API int64_t ebpf_btf_add_fwd(struct ebpf_btf *btf, const char *name, int fwd_kind);
EBPF_API int64_t ebpf_btf_add_typedef(struct ebpf_btf *btf, const char *name, uint32_t type);
EBPF_API int64_t ebpf_btf_add_volatile(struct ebpf_btf *btf, uint32_t type);
EBPF_API int64_t ebpf_btf_add_const(struct ebpf_btf *btf, uint32_t type);
EBPF_API int64_t ebpf_btf_add_restrict(struct ebpf_btf *btf, uint32_t type);
EBPF_API int64_t ebpf_btf_add_type_tag(struct ebpf_btf *btf, const char *value, uint32_t type);
EBPF_API int64_t ebpf_btf_add_func(struct ebpf_btf *btf, const char *name, uint32_t proto, int linkage);
EBPF_API int64_t ebpf_btf_add_func_proto(struct ebpf_btf *btf, uint32_t ret);
EBPF_API int ebpf_btf_add_param(struct ebpf_btf *btf, const char *name, uint32_t type);
EBPF_API int64_t ebpf_btf_add_var(struct ebpf_btf *btf, const char *name, uint32_t type, int linkage);
EBPF_API int64_t ebpf_btf_add_datasec(struct ebpf_btf *btf, const char *name, uint32_t size);
EBPF_API int ebpf_btf_add_datasec_var(struct ebpf_btf *btf, uint32_t var, uint32_t offset, uint32_t size);
EBPF_API int64_t ebpf_btf_add_decl_tag(struct ebpf_btf *btf, const char *value, uint32_t type, int32_t component);
/* A writable pointer to this BTF's own type id (to patch sizes, offsets,
 * linkage in place, e.g. DATASEC fixups at ELF load); NULL for base ids.
 * Pointers are invalidated by the next add. */
EBPF_API struct btf_type *ebpf_btf_type_mut(struct ebpf_btf *btf, uint32_t id);

/* ---- loading into the kernel ---- */

struct ebpf_btf_load_opts {
    uint32_t log_level;      /* 0: log only on failure */
    bool no_sanitize;        /* load the blob as is */
    int token_fd;            /* > 0: a BPF token (ebpf/token.h); 0: the default token, if any */
};
/* BTF_LOAD of this BTF's own types (split BTF: on its base's kernel object
 * when the base is kernel BTF). Kinds the feature probes (ebpf/features.h,
 * once per process) call unsupported are rewritten first, keeping ids and
 * sizes; kinds they call inconclusive are rewritten only if the kernel
 * refuses the blob as it is.
 * Returns the fd (also kept: ebpf_btf_fd; freed with the BTF) or -errno,
 * with the kernel's BTF log in ebpf_error_log(). opts may be NULL. */
EBPF_API int ebpf_btf_load(struct ebpf_btf *btf, const struct ebpf_btf_load_opts *opts);
/* The blob as the running kernel would get it after sanitisation
 * (malloc'd, *size set), for inspection and tests. */
EBPF_API void *ebpf_btf_sanitized_raw(const struct ebpf_btf *btf, size_t *size);
/* 1 if the running kernel accepts BTF kind `kind`, 0 if not: the answer
 * of ebpf_feature_btf_kind() (EBPF_BTF_FEAT_FUNC_LINKAGE: of the misc
 * feature "btf_func_global"); -errno with the reason when the probe is
 * inconclusive (-EPERM for permissions), -EINVAL for an unknown kind. */
#define EBPF_BTF_FEAT_FUNC_LINKAGE 64
EBPF_API int ebpf_btf_kernel_supports(int kind);

/* ---- .BTF.ext ---- */

enum ebpf_btf_ext_kind {
    EBPF_BTF_EXT_FUNC_INFO = 0,
    EBPF_BTF_EXT_LINE_INFO = 1,
    EBPF_BTF_EXT_CORE_RELO = 2,
};
/* Records of one ELF section (insn_off fields are BYTE offsets within the
 * section, as emitted by the compiler). recs points into the ext data and
 * holds count records of rec_size bytes (rec_size >= the UAPI struct). */
struct ebpf_btf_ext_sec {
    const char *name;        /* section name, from the .BTF strings */
    uint32_t rec_size;
    uint32_t count;
    const void *recs;
};
/* Parses .BTF.ext (copied); btf is the matching .BTF (names, type ids and
 * strings are validated against it) and must outlive the result. */
EBPF_API struct ebpf_btf_ext *ebpf_btf_ext_new(const void *data, size_t size, const struct ebpf_btf *btf);
/* The .BTF.ext section of an ELF object: a file (path) or an image in
 * memory (path NULL). */
EBPF_API struct ebpf_btf_ext *ebpf_btf_ext_from_elf(const void *image, size_t size, const char *path,
                                                   const struct ebpf_btf *btf);
EBPF_API void ebpf_btf_ext_free(struct ebpf_btf_ext *ext);
EBPF_API uint32_t ebpf_btf_ext_sec_cnt(const struct ebpf_btf_ext *ext, enum ebpf_btf_ext_kind kind);
EBPF_API const struct ebpf_btf_ext_sec *ebpf_btf_ext_sec(const struct ebpf_btf_ext *ext, enum ebpf_btf_ext_kind kind,
                                                         uint32_t idx);
/* The records of a section by name, NULL if it has none. */
EBPF_API const struct ebpf_btf_ext_sec *ebpf_btf_ext_find_sec(const struct ebpf_btf_ext *ext,
                                                              enum ebpf_btf_ext_kind kind, const char *name);
/* Record i of a section, copied into the UAPI struct. 0 or -EINVAL. */
EBPF_API int ebpf_btf_ext_func_info(const struct ebpf_btf_ext_sec *sec, uint32_t i, struct bpf_func_info *out);
EBPF_API int ebpf_btf_ext_line_info(const struct ebpf_btf_ext_sec *sec, uint32_t i, struct bpf_line_info *out);
EBPF_API int ebpf_btf_ext_core_relo(const struct ebpf_btf_ext_sec *sec, uint32_t i, struct bpf_core_relo *out);

#ifdef __cplusplus
}
#endif
