/* Extern resolution (see elf_extern.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "elf_internal.h"

struct ebpf_btf;

struct eext_val {
    bool found;
    uint64_t addr;   /* untyped ksym */
    uint32_t btf_id; /* typed ksym / kfunc */
    const struct ebpf_btf *mod; /* module BTF holding it, NULL for vmlinux */
};

uint32_t eext_kernel_version(void);
/* Fills the .kconfig image (zeroed by the caller). 0 or -errno. */
int eext_kconfig(const struct ebpf_spec *s, const struct ebpf_btf *kbtf, unsigned char *img);
/* Resolves every untyped ksym from /proc/kallsyms in one pass. */
int eext_kallsyms(const struct ebpf_spec *s, struct eext_val *ev);
/* Typed ksym / kfunc e in vmlinux BTF then module BTFs; a type that does
 * not fit the kernel's is an error. 0 (out->found false if absent) or -errno. */
int eext_ksym(const struct ebpf_spec *s, const struct eext *e, const struct ebpf_btf *kbtf, struct ebpf_btf *const *mods,
              size_t nmods, struct eext_val *out);
