/* struct_ops maps: SEC(".struct_ops") / SEC(".struct_ops.link") variables
 * of a kernel struct type (struct tcp_congestion_ops, ...). Parsing makes
 * one BPF_MAP_TYPE_STRUCT_OPS map spec per variable; loading lays the
 * variable out as the kernel's bpf_struct_ops_<name> value, with the
 * programs' fds in the function-pointer slots. */
#pragma once
#include <gelf.h>
#include <stddef.h>
#include <stdint.h>

#include "ebtf.h"
#include "elf_internal.h"

struct ebpf_map;

/* Parse: maps of the .struct_ops* sections and the programs their
 * function pointers name (made autoload). */
int espec_struct_ops(struct ebpf_spec *s, Elf *elf, const GElf_Sym *syms, const char **symnames, size_t nsym);
void eso_spec_free(struct eso_spec *st);

/* A struct_ops map resolved against the kernel's BTF at load. */
struct eso_kern {
    const struct ebpf_btf *btf;   /* vmlinux or the module defining the struct */
    bool module;
    uint32_t type_id;         /* struct <name> */
    uint32_t vtype_id;        /* struct bpf_struct_ops_<name> */
    uint32_t value_size;
    unsigned char *image;     /* the value in the kernel's layout */
    uint32_t *member;         /* per slot: member index (expected_attach_type) */
    uint32_t *off;            /* per slot: offset in image */
};

/* Finds the kernel types (vmlinux, then modules) and copies the data
 * members by name into the kernel layout. 0 or -errno with a message. */
int eso_resolve(const struct ebpf_spec *s, const struct ebpf_map_spec *m, const struct ebpf_btf *vmlinux,
                struct ebpf_btf *const *mods, size_t nmods, struct eso_kern *k);
void eso_kern_release(struct eso_kern *k);
/* The struct_ops target of program pi: *kern and *member of the first
 * map slot using it; -ESRCH if none, -EINVAL if two maps disagree. */
int eso_prog_target(const struct ebpf_spec *s, const struct eso_kern *ks, size_t pi, const struct eso_kern **kern,
                    uint32_t *member);
/* Creates the map (kernel value type, object BTF fd required). */
struct ebpf_map *eso_create(const struct ebpf_spec *s, const struct ebpf_map_spec *m, const struct eso_kern *k,
                            int btf_fd, int mod_btf_fd);
/* Gives the map the value attach registers: the kernel layout with (dups
 * of) the program fds prog_fd(ctx, index) in the slots. Key 0 is not
 * updated here: loading does not register (as libbpf), attaching does
 * (ebpf_link_struct_ops_map). */
int eso_prepare(const struct ebpf_map_spec *m, struct eso_kern *k, struct ebpf_map *map,
                int (*prog_fd)(void *ctx, int prog), void *ctx);
