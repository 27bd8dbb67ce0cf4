/* EBPF_HOT marks the functions on the per-element paths (m[k], m[k] = v,
 * m[k] = nil, prog:run(data)). The compiler puts them in .text.hot, which
 * the linker lays out contiguously, so that the path spans a couple of code
 * pages instead of one per source file: without PCID every bpf(2) flushes
 * the TLB under page-table isolation, and each distinct page touched after
 * the syscall costs a page walk. */
#pragma once
#if defined(__GNUC__)
#define EBPF_HOT __attribute__((hot))
#else
#define EBPF_HOT
#endif
