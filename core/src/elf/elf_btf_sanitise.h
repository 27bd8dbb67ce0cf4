/* The object's BTF fixed up for the kernel (see elf_btf_sanitise.c). */
#pragma once

struct ebpf_spec;

/* raw: a copy of s->obtf's raw bytes (ebpf_btf_raw), edited in place. */
void esan_btf(const struct ebpf_spec *s, unsigned char *raw);
