/* Big-endian object bytes to host order (see elf_bswap.c). */
#pragma once
#include <linux/bpf.h>
#include <stddef.h>

/* Instructions in place: regs nibbles, off and imm. */
void elf_bswap_insns(struct bpf_insn *insns, size_t n);
/* n 32-bit words in place (legacy map definitions). */
void elf_bswap_u32s(void *p, size_t n);
/* .BTF.ext in place; 0 or -EINVAL if malformed. */
int elf_bswap_btf_ext(void *buf, size_t len);
