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

/* What kind of BPF object an fd is, from the name of its anonymous inode
 * (/proc/self/fd): the kernel hands out the same info command for every
 * kind, so a map fd would pass for a program's. EBPF_FD_UNKNOWN when /proc
 * cannot tell (not mounted). */
enum ebpf_fd_kind { EBPF_FD_UNKNOWN, EBPF_FD_PROG, EBPF_FD_MAP, EBPF_FD_LINK, EBPF_FD_BTF, EBPF_FD_OTHER };
enum ebpf_fd_kind ebpf_fd_kind(int fd);
/* "a program", "a map", "a link", "BTF", "not a BPF object". */
const char *ebpf_fd_kind_name(enum ebpf_fd_kind k);
/* 0 when fd is of kind `want` (or /proc cannot tell), else -EINVAL with
 * "fd N is a map, not a program". For fds from the user: those from the
 * kernel by id or checked by ebpf_obj_get_kind need no second look. */
int ebpf_fd_want_kind(int fd, enum ebpf_fd_kind want);
/* ebpf_obj_get that also wants the pinned object to be of kind `want`:
 * the fd, or -errno with a message naming the path and what it holds. */
int ebpf_obj_get_kind(const char *path, enum ebpf_fd_kind want);
