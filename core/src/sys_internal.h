/* Internal side of sys.h, shared by the creation paths. */
#pragma once

/* Raises RLIMIT_MEMLOCK once where the kernel charges it (< 5.11), before
 * the first creation; the EPERM hint that names memlock ("" when it is not
 * the cause). */
void ebpf_memlock_auto(void);
const char *ebpf_eperm_memlock_hint(void);
/* 1 if fd is on a bpffs, 0 if not, -errno if fstatfs fails. */
int ebpf_fd_on_bpffs(int fd);
