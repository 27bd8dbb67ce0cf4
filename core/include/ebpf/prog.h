/* BPF programs: load (with the full verifier log on failure), test-run,
 * pin, open and info. An ebpf_prog owns one fd. */
#pragma once
#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "ebpf/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ebpf_prog;

struct ebpf_prog_load_opts {
    const char *name;             /* for the kernel (truncated to 15) and messages */
    const char *section;          /* for messages only, may be NULL */
    int type;                     /* BPF_PROG_TYPE_* */
    int expected_attach_type;     /* BPF_* attach type, 0 if none */
    const struct bpf_insn *insns;
    size_t insn_cnt;
    const char *license;          /* NULL: "GPL" */
    uint32_t kern_version;
    uint32_t flags;               /* BPF_F_SLEEPABLE, ... */
    uint32_t attach_btf_id;
    int attach_btf_obj_fd;        /* < 0: vmlinux */
    int attach_prog_fd;           /* < 0: none (freplace/fentry on a program) */
    uint32_t ifindex;
    int prog_btf_fd;              /* < 0: none */
    const void *func_info; uint32_t func_info_rec_size; uint32_t func_info_cnt;
    const void *line_info; uint32_t line_info_rec_size; uint32_t line_info_cnt;
    const int *fd_array;          /* module BTF fds for kfuncs, may be NULL */
    uint32_t log_level;           /* 0: log only when loading fails */
    uint32_t log_size_max;        /* 0: default cap (1 GiB) */
    int token_fd;                 /* > 0: a BPF token (ebpf/token.h); 0: the default token, if any */
};

EBPF_API void ebpf_prog_load_opts_init(struct ebpf_prog_load_opts *opts);
/* Loads; on failure the error log (ebpf_error_log()) holds the whole
 * verifier log, retried with a growing buffer until it fits. */
EBPF_API struct ebpf_prog *ebpf_prog_load(const struct ebpf_prog_load_opts *opts);
/* Wraps an existing program fd (ownership moves); an fd of a map, link or
 * BTF is refused (EINVAL), here and in open_pinned. */
EBPF_API struct ebpf_prog *ebpf_prog_from_fd(int fd);
EBPF_API struct ebpf_prog *ebpf_prog_open_pinned(const char *path);
EBPF_API struct ebpf_prog *ebpf_prog_open_id(uint32_t id);
EBPF_API struct ebpf_prog *ebpf_prog_clone(const struct ebpf_prog *p);
EBPF_API void ebpf_prog_close(struct ebpf_prog *p);

EBPF_API int ebpf_prog_fd(const struct ebpf_prog *p);
EBPF_API int ebpf_prog_type(const struct ebpf_prog *p);
EBPF_API int ebpf_prog_expected_attach_type(const struct ebpf_prog *p);
EBPF_API const char *ebpf_prog_name(const struct ebpf_prog *p);
EBPF_API uint32_t ebpf_prog_id(const struct ebpf_prog *p);
EBPF_API size_t ebpf_prog_insn_cnt(const struct ebpf_prog *p);
/* The verifier log of a load with log_level > 0 that succeeded, or NULL. */
EBPF_API const char *ebpf_prog_log(const struct ebpf_prog *p);

struct ebpf_prog_run_opts {
    const void *data_in; uint32_t data_size_in;
    void *data_out; uint32_t data_size_out;   /* in: capacity, out: size */
    const void *ctx_in; uint32_t ctx_size_in;
    void *ctx_out; uint32_t ctx_size_out;     /* in: capacity, out: size */
    uint32_t repeat;
    uint32_t flags;                           /* BPF_F_TEST_RUN_ON_CPU, ... */
    uint32_t cpu;
    uint32_t batch_size;
    uint32_t retval;                          /* out */
    uint32_t duration;                        /* out: ns per run */
};
/* BPF_PROG_TEST_RUN. Returns 0 or -errno. */
EBPF_API int ebpf_prog_run(const struct ebpf_prog *p, struct ebpf_prog_run_opts *opts);

EBPF_API int ebpf_prog_pin(const struct ebpf_prog *p, const char *path);
/* BPF streams (6.17+): reads (and consumes) up to `len` bytes of the
 * program's stdout (stream 1) or stderr (stream 2): what it printed with
 * bpf_stream_printk and what the kernel reported about it (a may_goto
 * timeout, an arena fault, a deadlock). Returns the byte count (0: empty)
 * or -errno with a message. */
EBPF_API int ebpf_prog_stream_read(const struct ebpf_prog *p, int stream_id, void *buf, uint32_t len);
EBPF_API int ebpf_prog_get_info(const struct ebpf_prog *p, struct bpf_prog_info *info);
/* Translated (post-verifier) instructions and map ids; *out is malloc'd. */
EBPF_API int ebpf_prog_xlated(const struct ebpf_prog *p, void **out, uint32_t *len);
EBPF_API int ebpf_prog_map_ids(const struct ebpf_prog *p, uint32_t **out, uint32_t *count);
/* The BTF line info (struct bpf_line_info records: insn_off in xlated
 * instructions, file/line string offsets into the program's BTF, line <<
 * 10 | column) and func info (struct bpf_func_info: insn_off, type_id)
 * the kernel kept for a program; *out is malloc'd, *count records of
 * *rec_size bytes (the kernel's record size, >= the struct). A program
 * loaded without BTF gives 0 records. Returns 0 or -errno. */
EBPF_API int ebpf_prog_line_info(const struct ebpf_prog *p, void **out, uint32_t *count, uint32_t *rec_size);
EBPF_API int ebpf_prog_func_info(const struct ebpf_prog *p, void **out, uint32_t *count, uint32_t *rec_size);

#ifdef __cplusplus
}
#endif
