/* Reading files named by users and objects: never blocks on a FIFO or a
 * device (O_NONBLOCK, regular files only), never reads without a bound. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ebpf/sys.h"
#include "error_internal.h"

static const char *kind_of(mode_t m)
{
    return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device"
         : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

int ebpf_file_open(const char *path, const char *what, size_t max, size_t *size)
{
    what = what ? what : "file";
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return ebpf_err(errno, "open", "%s '%s': %s", what, path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = errno;
        close(fd);
        return ebpf_err(e, "open", "%s '%s': %s", what, path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return ebpf_err(EINVAL, "open", "%s '%s': %s, not a regular file", what, path, kind_of(st.st_mode));
    }
    if (max && (uint64_t)st.st_size > max) {
        close(fd);
        return ebpf_err(EFBIG, "open", "%s '%s': %lld bytes, more than the limit of %zu MiB", what, path,
                        (long long)st.st_size, max >> 20);
    }
    if (size)
        *size = (size_t)st.st_size;
    return fd;
}

void *ebpf_file_read(const char *path, const char *what, size_t max, size_t *len)
{
    size_t size = 0;
    int fd = ebpf_file_open(path, what, max, &size);
    if (fd < 0) {
        errno = -fd;
        return NULL;
    }
    char *buf = malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        return ebpf_err_null(ENOMEM, "open", "%s '%s': out of memory", what ? what : "file", path);
    }
    size_t got = 0;
    while (got < size) { /* a file that shrinks meanwhile ends early; one that grows is cut at its size */
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return ebpf_err_null(e, "open", "%s '%s': read: %s", what ? what : "file", path, strerror(e));
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    *len = got;
    return buf;
}
