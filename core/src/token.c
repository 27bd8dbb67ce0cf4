/* BPF tokens: BPF_TOKEN_CREATE (newer than the build's <linux/bpf.h>) and
 * the process-wide default token from EBPF_BPF_TOKEN_PATH. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/sys.h"
#include "ebpf/token.h"
#include "error_internal.h"
#include "sys_internal.h"

#define CMD_TOKEN_CREATE 36

int ebpf_token_create(const char *path)
{
    if (!path || !path[0])
        return ebpf_err(EINVAL, "token", "token: no bpffs path");
    int dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return ebpf_err(errno, "token", "token: opening bpffs '%s': %s", path, strerror(errno));
    if (ebpf_fd_on_bpffs(dir) != 1) {
        close(dir);
        return ebpf_err(EINVAL, "token", "token: '%s' is not a bpffs", path);
    }
    struct { uint32_t flags, bpffs_fd; } t = {0, (uint32_t)dir};
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    memcpy(&a, &t, sizeof(t));
    int fd = ebpf_sys_bpf_fd(CMD_TOKEN_CREATE, &a, sizeof(t));
    close(dir);
    if (fd < 0) {
        const char *hint = fd == -ENOENT ? " (the bpffs delegates nothing: mount it with delegate_cmds=...)"
                         : fd == -EINVAL ? " (a kernel before 6.9, or a bpffs not mounted in a user namespace)"
                         : "";
        return ebpf_err(-fd, "token", "token from bpffs '%s': %s%s", path, strerror(-fd), hint);
    }
    return fd;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int default_fd = -1;
static char default_err[256];

static void make_default(void)
{
    const char *p = getenv("EBPF_BPF_TOKEN_PATH");
    if (!p || !p[0])
        return;
    int fd = ebpf_token_create(p);
    if (fd < 0)
        snprintf(default_err, sizeof(default_err), "EBPF_BPF_TOKEN_PATH: %s", ebpf_error_message());
    else
        default_fd = fd;
}

int ebpf_token_default(void)
{
    pthread_once(&once, make_default);
    return default_fd;
}

const char *ebpf_token_default_error(void)
{
    pthread_once(&once, make_default);
    return default_err;
}
