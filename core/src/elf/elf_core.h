/* CO-RE relocation of one instruction (see elf_core.c). */
#pragma once
#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>

struct ebpf_btf;

/* The helper id of a poisoned instruction (0xbad2310, as libbpf uses so
 * tools recognise it): "invalid func unknown#195896080". */
#define ECORE_POISON_IMM 195896080

struct ecore_env {
    const struct ebpf_btf *local;   /* object BTF */
    const struct ebpf_btf *kernel;  /* vmlinux BTF (may be NULL) */
    struct ebpf_btf *const *mods; size_t nmods;
};

/* Applies relocation r to buf[idx] (buf has n insns). Returns 0 (with
 * *poisoned when no kernel type matched and the insn was poisoned) or
 * -errno with the error set. desc receives a readable description. */
int ecore_apply(const struct ecore_env *env, const struct bpf_core_relo *r, struct bpf_insn *buf, size_t n,
                size_t idx, char *desc, size_t desclen, bool *poisoned);
