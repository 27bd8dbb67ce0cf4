/* BPF programs on top of bpf(2). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/prog.h"
#include "ebpf/sys.h"
#include "ebpf/types.h"
#include "error_internal.h"
#include "sys_internal.h"
#include "token_internal.h"

struct ebpf_prog {
    int fd;
    int type;
    int expected_attach_type;
    uint32_t id;
    size_t insn_cnt;
    char *log;
    char name[64];
};

#define LOG_START (64u * 1024)
#define LOG_CAP_DEFAULT (1u << 30) /* the kernel's own cap (UINT_MAX >> 2) */

void ebpf_prog_load_opts_init(struct ebpf_prog_load_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->attach_btf_obj_fd = -1;
    o->attach_prog_fd = -1;
    o->prog_btf_fd = -1;
}

static void kernel_name(char *dst, const char *src)
{
    size_t j = 0;
    memset(dst, 0, BPF_OBJ_NAME_LEN);
    for (size_t i = 0; src && src[i] && j < BPF_OBJ_NAME_LEN - 1; i++) {
        char c = src[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '.';
        dst[j++] = ok ? c : '_';
    }
}

/* log_true_size (6.4) follows core_relo_rec_size; the system headers may
 * predate it, so it is addressed by offset in a padded attr. */
#define LOG_TRUE_SIZE_OFF EBPF_ATTR_SIZE(core_relo_rec_size)
struct prog_attr {
    union bpf_attr a;
    unsigned char pad[64];
};

static int do_load(const struct ebpf_prog_load_opts *o, char *log, uint32_t log_size,
                   uint32_t log_level, uint32_t *true_size)
{
    ebpf_memlock_auto();
    struct prog_attr pa;
    memset(&pa, 0, sizeof(pa));
    union bpf_attr *a = &pa.a;
    a->prog_type = (uint32_t)o->type;
    a->insn_cnt = (uint32_t)o->insn_cnt;
    a->insns = ebpf_ptr(o->insns);
    a->license = ebpf_ptr(o->license ? o->license : "GPL");
    a->log_level = log ? log_level : 0;
    a->log_size = log ? log_size : 0;
    a->log_buf = ebpf_ptr(log);
    a->kern_version = o->kern_version;
    a->prog_flags = o->flags;
    kernel_name(a->prog_name, o->name);
    a->prog_ifindex = o->ifindex;
    a->expected_attach_type = (uint32_t)o->expected_attach_type;
    if (o->prog_btf_fd >= 0) {
        a->prog_btf_fd = (uint32_t)o->prog_btf_fd;
        a->func_info_rec_size = o->func_info_rec_size;
        a->func_info = ebpf_ptr(o->func_info);
        a->func_info_cnt = o->func_info_cnt;
        a->line_info_rec_size = o->line_info_rec_size;
        a->line_info = ebpf_ptr(o->line_info);
        a->line_info_cnt = o->line_info_cnt;
    }
    a->attach_btf_id = o->attach_btf_id;
    if (o->attach_prog_fd >= 0)
        a->attach_prog_fd = (uint32_t)o->attach_prog_fd;
    else if (o->attach_btf_obj_fd >= 0)
        a->attach_btf_obj_fd = (uint32_t)o->attach_btf_obj_fd;
    a->fd_array = ebpf_ptr(o->fd_array);
    /* Pass only up to the last field in use, so older kernels with a
     * smaller bpf_attr accept the call. */
    size_t sz = EBPF_ATTR_SIZE(attach_btf_obj_fd);
    if (o->fd_array)
        sz = EBPF_ATTR_SIZE(fd_array);
    if (log && true_size)
        sz = LOG_TRUE_SIZE_OFF + sizeof(uint32_t);
    int32_t tfd = token_pick(o->token_fd); /* prog_token_fd (6.9) follows log_true_size */
    if (tfd > 0) {
        a->prog_flags |= EBPF_F_TOKEN_FD;
        memcpy((unsigned char *)&pa + LOG_TRUE_SIZE_OFF + sizeof(uint32_t), &tfd, sizeof(tfd));
        sz = LOG_TRUE_SIZE_OFF + 2 * sizeof(uint32_t);
    }
    int fd = ebpf_sys_bpf_fd(BPF_PROG_LOAD, a, sz);
    if (true_size) {
        uint32_t ts = 0;
        memcpy(&ts, (unsigned char *)&pa + LOG_TRUE_SIZE_OFF, sizeof(ts));
        *true_size = log ? ts : 0;
    }
    return fd;
}

static int kernel_has_log_true_size = -1;

/* Loads with a log, growing it until the whole log fits. Returns the fd
 * or -errno; *logp receives the malloc'd log. */
static int load_with_log(const struct ebpf_prog_load_opts *o, uint32_t level, char **logp)
{
    uint32_t cap = o->log_size_max ? o->log_size_max : LOG_CAP_DEFAULT;
    uint32_t size = LOG_START;
    int fd;
    for (;;) {
        char *log = calloc(1, size); /* zeroed: memory checkers cannot see the kernel write */
        if (!log)
            return -ENOMEM;
        log[0] = 0;
        uint32_t true_size = 0;
        fd = do_load(o, log, size, level, kernel_has_log_true_size ? &true_size : NULL);
        if (fd == -E2BIG && kernel_has_log_true_size != 0 && true_size == 0) {
            /* Kernel without log_true_size (< 6.4): retry without it. */
            kernel_has_log_true_size = 0;
            free(log);
            continue;
        }
        if (true_size)
            kernel_has_log_true_size = 1;
        /* ENOSPC: the log was truncated (the program may even be fine). */
        if (fd == -ENOSPC && size < cap) {
            free(log);
            uint64_t next = true_size > size ? (uint64_t)true_size + 1 : (uint64_t)size * 4;
            size = next > cap ? cap : (uint32_t)next;
            continue;
        }
        *logp = log;
        return fd;
    }
}

struct ebpf_prog *ebpf_prog_load(const struct ebpf_prog_load_opts *o)
{
    const char *disp = o->name ? o->name : "(unnamed)";
    const char *sec = o->section ? o->section : NULL;
    char where[192];
    if (sec)
        snprintf(where, sizeof(where), "program '%s' (section '%s')", disp, sec);
    else
        snprintf(where, sizeof(where), "program '%s'", disp);
    if (!ebpf_prog_type_name(o->type) || o->type == BPF_PROG_TYPE_UNSPEC)
        return ebpf_err_null(EINVAL, "load", "%s: unknown program type %d", where, o->type);
    if (!o->insns || o->insn_cnt == 0)
        return ebpf_err_null(EINVAL, "load", "%s: no instructions", where);
    if (o->insn_cnt > (1u << 24))
        return ebpf_err_null(E2BIG, "load", "%s: %zu instructions is too many", where, o->insn_cnt);

    char *log = NULL;
    int fd;
    if (o->log_level)
        fd = load_with_log(o, o->log_level, &log);
    else
        fd = do_load(o, NULL, 0, 0, NULL);
    if (fd < 0 && !log && fd != -ENOMEM) {
        /* Load failed quietly: reload with the log on to say why. */
        int fd2 = load_with_log(o, 1, &log);
        if (fd2 >= 0) { /* flaky: it loaded the second time */
            fd = fd2;
        }
    }
    if (fd < 0) {
        const char *hint = "";
        if (fd == -EPERM)
            hint = " (needs root or CAP_BPF+CAP_PERFMON; some kernels forbid this program type";
        ebpf_err(-fd, "load", "%s: load: %s%s%s%s", where, ebpf_strerror(-fd), hint,
                 fd == -EPERM ? ebpf_eperm_memlock_hint() : "", fd == -EPERM ? ")" : "");
        if (log && !log[0]) {
            free(log);
            log = NULL;
        }
        ebpf_err_set_log(log);
        errno = -fd;
        return NULL;
    }
    struct ebpf_prog *p = calloc(1, sizeof(*p));
    if (!p) {
        close(fd);
        free(log);
        return ebpf_err_null(ENOMEM, "load", "%s: out of memory", where);
    }
    p->fd = fd;
    p->type = o->type;
    p->expected_attach_type = o->expected_attach_type;
    p->insn_cnt = o->insn_cnt;
    p->log = o->log_level ? log : (free(log), NULL);
    snprintf(p->name, sizeof(p->name), "%s", o->name ? o->name : "");
    struct bpf_prog_info info;
    if (ebpf_prog_get_info(p, &info) == 0)
        p->id = info.id;
    return p;
}

/* Wraps fd, known to be a program (the kernel's by id, or checked). Also
 * as ebpf_obj_from_new_fd takes it. */
static void *wrap_fd(int fd)
{
    struct ebpf_prog *p = calloc(1, sizeof(*p));
    if (!p)
        return ebpf_err_null(ENOMEM, "open", "program: out of memory");
    p->fd = fd;
    struct bpf_prog_info info;
    int r = ebpf_prog_get_info(p, &info);
    if (r < 0) {
        free(p);
        return ebpf_err_null(-r, "open", "fd %d is not a program: %s", fd, ebpf_strerror(-r));
    }
    p->type = (int)info.type;
    p->id = info.id;
    p->insn_cnt = info.xlated_prog_len / sizeof(struct bpf_insn);
    snprintf(p->name, sizeof(p->name), "%.*s", (int)sizeof(info.name), info.name);
    return p;
}

struct ebpf_prog *ebpf_prog_from_fd(int fd)
{
    return ebpf_fd_want_kind(fd, EBPF_FD_PROG) < 0 ? NULL : wrap_fd(fd);
}

struct ebpf_prog *ebpf_prog_open_pinned(const char *path) { return ebpf_obj_from_new_fd(ebpf_obj_get_kind(path, EBPF_FD_PROG), wrap_fd); }
struct ebpf_prog *ebpf_prog_open_id(uint32_t id) { return ebpf_obj_from_new_fd(ebpf_prog_fd_by_id(id), wrap_fd); }

struct ebpf_prog *ebpf_prog_clone(const struct ebpf_prog *src)
{
    int fd = ebpf_fd_dup(src->fd);
    if (fd < 0)
        return ebpf_err_null(-fd, "clone", "program '%s': dup: %s", src->name, ebpf_strerror(-fd));
    struct ebpf_prog *p = malloc(sizeof(*p));
    if (!p) {
        close(fd);
        return ebpf_err_null(ENOMEM, "clone", "program: out of memory");
    }
    *p = *src;
    p->fd = fd;
    p->log = NULL;
    return p;
}

void ebpf_prog_close(struct ebpf_prog *p)
{
    if (!p)
        return;
    if (p->fd >= 0)
        close(p->fd);
    free(p->log);
    free(p);
}

int ebpf_prog_fd(const struct ebpf_prog *p) { return p->fd; }
int ebpf_prog_type(const struct ebpf_prog *p) { return p->type; }
int ebpf_prog_expected_attach_type(const struct ebpf_prog *p) { return p->expected_attach_type; }
const char *ebpf_prog_name(const struct ebpf_prog *p) { return p->name; }
uint32_t ebpf_prog_id(const struct ebpf_prog *p) { return p->id; }
size_t ebpf_prog_insn_cnt(const struct ebpf_prog *p) { return p->insn_cnt; }
const char *ebpf_prog_log(const struct ebpf_prog *p) { return p->log; }

int ebpf_prog_run(const struct ebpf_prog *p, struct ebpf_prog_run_opts *o)
{
    union bpf_attr a;
    memset(&a, 0, EBPF_ATTR_SIZE(test.batch_size));
    a.test.prog_fd = (uint32_t)p->fd;
    a.test.data_in = ebpf_ptr(o->data_in);
    a.test.data_size_in = o->data_size_in;
    a.test.data_out = ebpf_ptr(o->data_out);
    a.test.data_size_out = o->data_out ? o->data_size_out : 0;
    a.test.ctx_in = ebpf_ptr(o->ctx_in);
    a.test.ctx_size_in = o->ctx_size_in;
    a.test.ctx_out = ebpf_ptr(o->ctx_out);
    a.test.ctx_size_out = o->ctx_out ? o->ctx_size_out : 0;
    a.test.repeat = o->repeat;
    a.test.flags = o->flags;
    a.test.cpu = o->cpu;
    a.test.batch_size = o->batch_size;
    size_t sz = o->batch_size ? EBPF_ATTR_SIZE(test.batch_size)
              : (o->flags || o->cpu) ? EBPF_ATTR_SIZE(test.cpu)
              : EBPF_ATTR_SIZE(test.ctx_out);
    int r = ebpf_sys_bpf(BPF_PROG_TEST_RUN, &a, sz);
    o->retval = a.test.retval;
    o->duration = a.test.duration;
    o->data_size_out = a.test.data_size_out;
    o->ctx_size_out = a.test.ctx_size_out;
    if (r < 0) {
        return ebpf_err(-r, "run", "program '%s': test run: %s%s", p->name, ebpf_strerror(-r),
                        r == -524 ? " (this program type has no test run)" :
                        r == -ENOSPC ? " (output buffer too small)" : "");
    }
    return 0;
}

int ebpf_prog_pin(const struct ebpf_prog *p, const char *path)
{
    int r = ebpf_obj_pin(p->fd, path);
    if (r < 0)
        return ebpf_err(-r, "pin", "program '%s': pin '%s': %s", p->name, path, ebpf_strerror(-r));
    return 0;
}

int ebpf_prog_get_info(const struct ebpf_prog *p, struct bpf_prog_info *info)
{
    memset(info, 0, sizeof(*info));
    uint32_t len = sizeof(*info);
    return ebpf_obj_get_info(p->fd, info, &len);
}

int ebpf_prog_xlated(const struct ebpf_prog *p, void **out, uint32_t *len)
{
    struct bpf_prog_info info;
    int r = ebpf_prog_get_info(p, &info);
    if (r < 0)
        return r;
    uint32_t n = info.xlated_prog_len;
    void *buf = calloc(1, n ? n : 1); /* zeroed: checkers can't see the kernel write */
    if (!buf)
        return -ENOMEM;
    memset(&info, 0, sizeof(info));
    info.xlated_prog_len = n;
    info.xlated_prog_insns = ebpf_ptr(buf);
    uint32_t ilen = sizeof(info);
    r = ebpf_obj_get_info(p->fd, &info, &ilen);
    if (r < 0) {
        free(buf);
        return r;
    }
    *out = buf;
    *len = info.xlated_prog_len < n ? info.xlated_prog_len : n;
    return 0;
}

int ebpf_prog_map_ids(const struct ebpf_prog *p, uint32_t **out, uint32_t *count)
{
    struct bpf_prog_info info;
    int r = ebpf_prog_get_info(p, &info);
    if (r < 0)
        return r;
    uint32_t n = info.nr_map_ids;
    uint32_t *ids = calloc(n ? n : 1, sizeof(uint32_t));
    if (!ids)
        return -ENOMEM;
    memset(&info, 0, sizeof(info));
    info.nr_map_ids = n;
    info.map_ids = ebpf_ptr(ids);
    uint32_t ilen = sizeof(info);
    r = ebpf_obj_get_info(p->fd, &info, &ilen);
    if (r < 0) {
        free(ids);
        return r;
    }
    *out = ids;
    *count = info.nr_map_ids < n ? info.nr_map_ids : n;
    return 0;
}

/* One array of the info struct (line info, func info): asks for the count
 * and record size first, then the records, which the kernel writes in its
 * own record size (kept, so newer record layouts still parse). */
static int prog_info_array(const struct ebpf_prog *p, int func, void **out, uint32_t *count, uint32_t *rec_size)
{
    struct bpf_prog_info info;
    int r = ebpf_prog_get_info(p, &info);
    if (r < 0)
        return r;
    uint32_t n = func ? info.nr_func_info : info.nr_line_info;
    uint32_t rs = func ? info.func_info_rec_size : info.line_info_rec_size;
    void *buf = calloc(n && rs ? n : 1, rs ? rs : 1);
    if (!buf)
        return ebpf_err(ENOMEM, "program info", "out of memory");
    memset(&info, 0, sizeof(info));
    if (func) {
        info.nr_func_info = n;
        info.func_info_rec_size = rs;
        info.func_info = ebpf_ptr(buf);
    } else {
        info.nr_line_info = n;
        info.line_info_rec_size = rs;
        info.line_info = ebpf_ptr(buf);
    }
    uint32_t ilen = sizeof(info);
    r = ebpf_obj_get_info(p->fd, &info, &ilen);
    if (r < 0) {
        free(buf);
        return r;
    }
    uint32_t got = func ? info.nr_func_info : info.nr_line_info;
    *out = buf;
    *count = got < n ? got : n;
    *rec_size = rs;
    return 0;
}

int ebpf_prog_line_info(const struct ebpf_prog *p, void **out, uint32_t *count, uint32_t *rec_size)
{
    return prog_info_array(p, 0, out, count, rec_size);
}

int ebpf_prog_func_info(const struct ebpf_prog *p, void **out, uint32_t *count, uint32_t *rec_size)
{
    return prog_info_array(p, 1, out, count, rec_size);
}
