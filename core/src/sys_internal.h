/* Internal side of sys.h, shared by the creation and opening paths. */
#pragma once

/* Raises RLIMIT_MEMLOCK once where the kernel charges it (< 5.11), before
 * the first creation; the EPERM hint that names memlock ("" when it is not
 * the cause). */
void ebpf_memlock_auto(void);
const char *ebpf_eperm_memlock_hint(void);
/* 1 if fd is on a bpffs, 0 if not, -errno if fstatfs fails. */
int ebpf_fd_on_bpffs(int fd);
/* The opening tail of open_pinned / open_id: fd is what the kernel gave
 * (or -errno); wrap makes the object that owns it. On failure, NULL with
 * errno set, and the fd is closed. */
void *ebpf_obj_from_new_fd(int fd, void *(*wrap)(int fd));
