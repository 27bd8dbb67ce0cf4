/* C-level tests of the core that Lua can't reach: error slots, fd
 * fixup, attr sizes and the C map/program API. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "ebpf/error.h"
#include "ebpf/map.h"
#include "ebpf/prog.h"
#include "ebpf/sys.h"
#include "ebpf/types.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static void test_fd_fixup(void)
{
    /* With fd 0 free, a new object would get 0: fixup moves it above 2. */
    int saved = dup(0);
    close(0);
    struct ebpf_map_create_opts o;
    ebpf_map_create_opts_init(&o);
    o.type = BPF_MAP_TYPE_ARRAY;
    o.key_size = 4;
    o.value_size = 4;
    o.max_entries = 1;
    struct ebpf_map *m = ebpf_map_create(&o);
    CHECK(m != NULL);
    if (m) {
        CHECK(ebpf_map_fd(m) > 2);
        int fl = fcntl(ebpf_map_fd(m), F_GETFD);
        CHECK(fl & FD_CLOEXEC);
    }
    CHECK(fcntl(0, F_GETFD) < 0); /* 0 is still free: nothing leaked there */
    ebpf_map_close(m);
    dup2(saved, 0);
    close(saved);
}

static void test_map_api(void)
{
    struct ebpf_map_create_opts o;
    ebpf_map_create_opts_init(&o);
    o.name = "c_api_map";
    o.type = BPF_MAP_TYPE_HASH;
    o.key_size = 4;
    o.value_size = 8;
    o.max_entries = 16;
    struct ebpf_map *m = ebpf_map_create(&o);
    CHECK(m != NULL);
    if (!m)
        return;
    uint32_t k = 5;
    uint64_t v = 77, out = 0;
    CHECK(ebpf_map_update(m, &k, &v, BPF_NOEXIST) == 0);
    CHECK(ebpf_map_update(m, &k, &v, BPF_NOEXIST) == -EEXIST);
    CHECK(strstr(ebpf_error_message(), "map 'c_api_map': update: File exists") != NULL);
    CHECK(ebpf_map_lookup(m, &k, &out, 0) == 0 && out == 77);
    k = 6;
    CHECK(ebpf_map_lookup(m, &k, &out, 0) == -ENOENT);
    CHECK(ebpf_map_is_percpu(m) == false);
    CHECK(ebpf_map_value_buf_size(m) == 8);
    CHECK(strcmp(ebpf_map_name(m), "c_api_map") == 0);
    struct bpf_map_info info;
    CHECK(ebpf_map_get_info(m, &info) == 0 && info.max_entries == 16);
    ebpf_map_close(m);
    ebpf_map_close(NULL); /* NULL-safe */

    o.type = BPF_MAP_TYPE_PERCPU_ARRAY;
    o.value_size = 4;
    m = ebpf_map_create(&o);
    CHECK(m && ebpf_map_value_buf_size(m) == 8u * (size_t)ebpf_num_possible_cpus());
    ebpf_map_close(m);

    o.type = 9999;
    CHECK(ebpf_map_create(&o) == NULL && errno == EINVAL);
    CHECK(strstr(ebpf_error_message(), "unknown map type 9999") != NULL);
}

static void test_prog_api(void)
{
    struct bpf_insn bad[1] = {{.code = BPF_JMP | BPF_EXIT}};
    struct ebpf_prog_load_opts o;
    ebpf_prog_load_opts_init(&o);
    o.name = "c_bad";
    o.section = "socket";
    o.type = BPF_PROG_TYPE_SOCKET_FILTER;
    o.insns = bad;
    o.insn_cnt = 1;
    CHECK(ebpf_prog_load(&o) == NULL && errno == EACCES);
    CHECK(strstr(ebpf_error_message(), "program 'c_bad' (section 'socket'): load:") != NULL);
    CHECK(ebpf_error_log() && strstr(ebpf_error_log(), "R0 !read_ok"));
    CHECK(strcmp(ebpf_errno_name(ebpf_error_errno()), "EACCES") == 0);

    struct bpf_insn good[2] = {
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .imm = 9},
        {.code = BPF_JMP | BPF_EXIT},
    };
    o.insns = good;
    o.insn_cnt = 2;
    struct ebpf_prog *p = ebpf_prog_load(&o);
    CHECK(p != NULL);
    if (!p)
        return;
    unsigned char pkt[32] = {0}, out[64];
    struct ebpf_prog_run_opts r;
    memset(&r, 0, sizeof(r));
    r.data_in = pkt;
    r.data_size_in = sizeof(pkt);
    r.data_out = out;
    r.data_size_out = sizeof(out);
    CHECK(ebpf_prog_run(p, &r) == 0 && r.retval == 9 && r.data_size_out == sizeof(pkt));
    void *x = NULL;
    uint32_t xl = 0;
    CHECK(ebpf_prog_xlated(p, &x, &xl) == 0 && xl == sizeof(good) && memcmp(x, good, xl) == 0);
    free(x);
    ebpf_prog_close(p);
}

static void test_names(void)
{
    CHECK(ebpf_map_type_by_name("ringbuf") == BPF_MAP_TYPE_RINGBUF);
    CHECK(strcmp(ebpf_prog_type_name(BPF_PROG_TYPE_XDP), "xdp") == 0);
    CHECK(ebpf_attach_type_by_name("trace_fentry") == BPF_TRACE_FENTRY);
    CHECK(ebpf_map_type_by_name("nope") == -1);
    CHECK(ebpf_map_flag_by_name("mmapable") == BPF_F_MMAPABLE);
    CHECK(strcmp(ebpf_errno_name(EPERM), "EPERM") == 0);
}

int main(void)
{
    test_fd_fixup();
    test_map_api();
    test_prog_api();
    test_names();
    if (failures)
        fprintf(stderr, "%d checks failed\n", failures);
    else
        printf("test_core: all checks passed\n");
    return failures != 0;
}
