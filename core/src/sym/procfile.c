/* Reading /proc text files (kallsyms, PID/maps): their stat size is 0,
 * so they are read to EOF, bounded, with the guarantees of ebpf_file_open
 * (non-blocking, regular file, close-on-exec). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/sys.h"
#include "error_internal.h"
#include "sym_internal.h"

char *sym_read_proc(const char *path, const char *what, size_t max, size_t *len)
{
    int fd = ebpf_file_open(path, what, 0, NULL);
    if (fd < 0) {
        errno = -fd;
        return NULL;
    }
    size_t cap = 1 << 16, got = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            close(fd);
            return ebpf_err_null(ENOMEM, "read", "%s '%s': out of memory", what, path);
        }
        if (got + 1 >= cap) {
            if (cap >= max) {
                free(buf);
                close(fd);
                return ebpf_err_null(EFBIG, "read", "%s '%s': more than %zu MiB", what, path, max >> 20);
            }
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (!nb)
                free(buf);
            buf = nb;
            continue;
        }
        ssize_t r = read(fd, buf + got, cap - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return ebpf_err_null(e, "read", "%s '%s': %s", what, path, strerror(e));
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = 0;
    *len = got;
    return buf;
}
