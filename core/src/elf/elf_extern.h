/* Extern resolution (see elf_extern.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

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
/* The kernel-probed values of libbpf's virtual LINUX_HAS_* externs. */
struct eext_virtual {
    bool syscall_wrapper; /* LINUX_HAS_SYSCALL_WRAPPER */
    bool bpf_cookie;      /* LINUX_HAS_BPF_COOKIE */
};
/* The parsing part of eext_kconfig, exposed for the fuzzer
 * (core/tests/fuzz/fuzz_kconfig.c): the image from config text cfg (NUL-
 * terminated, NULL when there is no config); vv NULL: both virtual values 1. */
int eext_kconfig_text(const struct ebpf_spec *s, const struct eext_virtual *vv, const char *cfg, unsigned char *img);
/* Value text of CONFIG_name in cfg ("y", "m", "42", "\"str\""; "n" for
 * "# CONFIG_name is not set"), *len its length; NULL if absent. */
const char *eext_config_value(const char *cfg, const char *name, size_t *len);
/* Stores value text v (vl bytes) into dst (e->size bytes) as e's type. */
int eext_kconfig_store(const struct eext *e, const struct ebpf_btf *b, unsigned char *dst, const char *v, size_t vl);
/* Resolves every untyped ksym from /proc/kallsyms in one pass. */
int eext_kallsyms(const struct ebpf_spec *s, struct eext_val *ev);
/* The same from an open kallsyms text (fuzzed by fuzz_kallsyms.c). */
int eext_kallsyms_scan(const struct ebpf_spec *s, struct eext_val *ev, FILE *f);
/* Typed ksym / kfunc e in vmlinux BTF then module BTFs; a type that does
 * not fit the kernel's is an error. 0 (out->found false if absent) or -errno. */
int eext_ksym(const struct ebpf_spec *s, const struct eext *e, const struct ebpf_btf *kbtf, struct ebpf_btf *const *mods,
              size_t nmods, struct eext_val *out);
