/* Hand-assembled producers and consumers for the reader tests and
 * benchmarks: a SEC("syscall") bpf_loop + bpf_ringbuf_output producer (the
 * anchors' W2 shape), an XDP bpf_perf_event_output producer (W3 shape) and
 * a bpf_user_ringbuf_drain consumer. Callbacks need BTF func_info, so a
 * minimal BTF (int, one proto, two static funcs) is built and loaded. */
#pragma once
#include <linux/bpf.h>
#include <linux/btf.h>
#include <stdint.h>
#include <string.h>

#include "ebpf/map.h"
#include "ebpf/prog.h"
#include "ebpf/sys.h"

#define RP_I(op, d, s, o, i) ((struct bpf_insn){.code = (op), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define RP_LD_MAP(d, fd) RP_I(0x18, d, BPF_PSEUDO_MAP_FD, 0, fd), RP_I(0, 0, 0, 0, 0)
#define RP_LD_FUNC(d, rel) RP_I(0x18, d, BPF_PSEUDO_FUNC, 0, rel), RP_I(0, 0, 0, 0, 0)

/* BTF: [1] int, [2] int(void) proto, [3] func "main", [4] func "cb". */
static inline int rp_btf_load(void)
{
    static const char strs[] = "\0int\0main\0cb";
    uint32_t types[] = {
        1, BTF_KIND_INT << 24, 4, (BTF_INT_SIGNED << 24) | 32,
        0, BTF_KIND_FUNC_PROTO << 24, 1,
        5, BTF_KIND_FUNC << 24 | BTF_FUNC_STATIC, 2,
        10, BTF_KIND_FUNC << 24 | BTF_FUNC_STATIC, 2,
    };
    unsigned char blob[sizeof(struct btf_header) + sizeof(types) + sizeof(strs)];
    struct btf_header h = {.magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h),
                           .type_off = 0, .type_len = sizeof(types), .str_off = sizeof(types),
                           .str_len = sizeof(strs)};
    memcpy(blob, &h, sizeof(h));
    memcpy(blob + sizeof(h), types, sizeof(types));
    memcpy(blob + sizeof(h) + sizeof(types), strs, sizeof(strs));
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.btf = ebpf_ptr(blob);
    a.btf_size = sizeof(blob);
    return ebpf_sys_bpf_fd(BPF_BTF_LOAD, &a, EBPF_ATTR_SIZE(btf_log_level));
}

static inline struct ebpf_prog *rp_load(const char *name, int type, uint32_t flags, const struct bpf_insn *insns,
                                        size_t cnt, int btf_fd, uint32_t cb_off)
{
    struct bpf_func_info fi[2] = {{0, 3}, {cb_off, 4}};
    struct ebpf_prog_load_opts o;
    ebpf_prog_load_opts_init(&o);
    o.name = name;
    o.type = type;
    o.flags = flags;
    o.insns = insns;
    o.insn_cnt = cnt;
    if (btf_fd >= 0) {
        o.prog_btf_fd = btf_fd;
        o.func_info = fi;
        o.func_info_rec_size = sizeof(fi[0]);
        o.func_info_cnt = 2;
    }
    return ebpf_prog_load(&o);
}

/* ctx {u64 n}: bpf_loop(n) { bpf_ringbuf_output(rb, {i, i + 1}, 16, 0) },
 * returns the loops run (the callback stops at the first failure). */
static inline struct ebpf_prog *rp_ringbuf_loop(int rb_fd, int btf_fd)
{
    const struct bpf_insn insns[] = {
        RP_I(0x79, 6, 1, 0, 0), RP_I(0xbf, 1, 6, 0, 0), RP_LD_FUNC(2, 5), RP_I(0xb7, 3, 0, 0, 0),
        RP_I(0xb7, 4, 0, 0, 0), RP_I(0x85, 0, 0, 0, BPF_FUNC_loop), RP_I(0x95, 0, 0, 0, 0),
        /* callback (insn 8) */
        RP_I(0x7b, 10, 1, -16, 0), RP_I(0x07, 1, 0, 0, 1), RP_I(0x7b, 10, 1, -8, 0), RP_LD_MAP(1, rb_fd),
        RP_I(0xbf, 2, 10, 0, 0), RP_I(0x07, 2, 0, 0, -16), RP_I(0xb7, 3, 0, 0, 16), RP_I(0xb7, 4, 0, 0, 0),
        RP_I(0x85, 0, 0, 0, BPF_FUNC_ringbuf_output), RP_I(0x15, 0, 0, 1, 0), RP_I(0xb7, 0, 0, 0, 1),
        RP_I(0x95, 0, 0, 0, 0),
    };
    return rp_load("rb_loop", BPF_PROG_TYPE_SYSCALL, BPF_F_SLEEPABLE, insns, sizeof(insns) / sizeof(insns[0]),
                   btf_fd, 8);
}

/* bpf_user_ringbuf_drain(urb, cb): cb adds the sample's first u64 to
 * sum[0] (offset 0) and counts it (offset 8). Returns the drained count. */
static inline struct ebpf_prog *rp_user_ringbuf_drain(int urb_fd, int sum_fd, int btf_fd)
{
    const struct bpf_insn insns[] = {
        RP_LD_MAP(1, urb_fd), RP_LD_FUNC(2, 5), RP_I(0xb7, 3, 0, 0, 0), RP_I(0xb7, 4, 0, 0, 0),
        RP_I(0x85, 0, 0, 0, BPF_FUNC_user_ringbuf_drain), RP_I(0x95, 0, 0, 0, 0),
        /* callback (insn 8) */
        RP_I(0xbf, 6, 1, 0, 0), RP_I(0xbf, 1, 10, 0, 0), RP_I(0x07, 1, 0, 0, -8), RP_I(0xb7, 2, 0, 0, 8),
        RP_I(0xbf, 3, 6, 0, 0), RP_I(0xb7, 4, 0, 0, 0), RP_I(0xb7, 5, 0, 0, 0),
        RP_I(0x85, 0, 0, 0, BPF_FUNC_dynptr_read), RP_I(0x55, 0, 0, 11, 0), RP_I(0x62, 10, 0, -12, 0),
        RP_LD_MAP(1, sum_fd), RP_I(0xbf, 2, 10, 0, 0), RP_I(0x07, 2, 0, 0, -12),
        RP_I(0x85, 0, 0, 0, BPF_FUNC_map_lookup_elem), RP_I(0x15, 0, 0, 4, 0), RP_I(0x79, 1, 10, -8, 0),
        RP_I(0xdb, 0, 1, 0, BPF_ADD), RP_I(0xb7, 1, 0, 0, 1), RP_I(0xdb, 0, 1, 8, BPF_ADD),
        RP_I(0xb7, 0, 0, 0, 0), RP_I(0x95, 0, 0, 0, 0),
    };
    return rp_load("urb_drain", BPF_PROG_TYPE_SYSCALL, BPF_F_SLEEPABLE, insns, sizeof(insns) / sizeof(insns[0]),
                   btf_fd, 8);
}

/* XDP: seq = state[0]++; bpf_perf_event_output(ctx, events, CURRENT_CPU,
 * {seq, seq + 1}, 16); failures counted in state[1]. */
static inline struct ebpf_prog *rp_perf_xdp(int events_fd, int state_fd)
{
    const struct bpf_insn insns[] = {
        RP_I(0xbf, 6, 1, 0, 0), RP_I(0x62, 10, 0, -4, 0), RP_LD_MAP(1, state_fd), RP_I(0xbf, 2, 10, 0, 0),
        RP_I(0x07, 2, 0, 0, -4), RP_I(0x85, 0, 0, 0, BPF_FUNC_map_lookup_elem), RP_I(0x15, 0, 0, 17, 0),
        RP_I(0xbf, 7, 0, 0, 0), RP_I(0xb7, 1, 0, 0, 1), RP_I(0xdb, 7, 1, 0, BPF_ADD | BPF_FETCH),
        RP_I(0x7b, 10, 1, -24, 0), RP_I(0x07, 1, 0, 0, 1), RP_I(0x7b, 10, 1, -16, 0), RP_I(0xbf, 1, 6, 0, 0),
        RP_LD_MAP(2, events_fd), RP_I(0xb4, 3, 0, 0, -1), RP_I(0xbf, 4, 10, 0, 0), RP_I(0x07, 4, 0, 0, -24),
        RP_I(0xb7, 5, 0, 0, 16), RP_I(0x85, 0, 0, 0, BPF_FUNC_perf_event_output), RP_I(0x15, 0, 0, 2, 0),
        RP_I(0xb7, 1, 0, 0, 1), RP_I(0xdb, 7, 1, 8, BPF_ADD), RP_I(0xb7, 0, 0, 0, 2), RP_I(0x95, 0, 0, 0, 0),
    };
    return rp_load("perf_out", BPF_PROG_TYPE_XDP, 0, insns, sizeof(insns) / sizeof(insns[0]), -1, 0);
}

/* Same with 24-byte records {seq, seq + 1, seq + 1}: 40 bytes on the ring
 * (8 header + 4 size + 28), which does not divide a ring's size, so
 * records keep straddling its end. */
static inline struct ebpf_prog *rp_perf_xdp24(int events_fd, int state_fd)
{
    const struct bpf_insn insns[] = {
        RP_I(0xbf, 6, 1, 0, 0), RP_I(0x62, 10, 0, -4, 0), RP_LD_MAP(1, state_fd), RP_I(0xbf, 2, 10, 0, 0),
        RP_I(0x07, 2, 0, 0, -4), RP_I(0x85, 0, 0, 0, BPF_FUNC_map_lookup_elem), RP_I(0x15, 0, 0, 18, 0),
        RP_I(0xbf, 7, 0, 0, 0), RP_I(0xb7, 1, 0, 0, 1), RP_I(0xdb, 7, 1, 0, BPF_ADD | BPF_FETCH),
        RP_I(0x7b, 10, 1, -32, 0), RP_I(0x07, 1, 0, 0, 1), RP_I(0x7b, 10, 1, -24, 0), RP_I(0x7b, 10, 1, -16, 0),
        RP_I(0xbf, 1, 6, 0, 0), RP_LD_MAP(2, events_fd), RP_I(0xb4, 3, 0, 0, -1), RP_I(0xbf, 4, 10, 0, 0),
        RP_I(0x07, 4, 0, 0, -32), RP_I(0xb7, 5, 0, 0, 24), RP_I(0x85, 0, 0, 0, BPF_FUNC_perf_event_output),
        RP_I(0x15, 0, 0, 2, 0), RP_I(0xb7, 1, 0, 0, 1), RP_I(0xdb, 7, 1, 8, BPF_ADD), RP_I(0xb7, 0, 0, 0, 2),
        RP_I(0x95, 0, 0, 0, 0),
    };
    return rp_load("perf_out24", BPF_PROG_TYPE_XDP, 0, insns, sizeof(insns) / sizeof(insns[0]), -1, 0);
}

static inline struct ebpf_map *rp_map(int type, uint32_t ksz, uint32_t vsz, uint32_t max)
{
    struct ebpf_map_create_opts o;
    ebpf_map_create_opts_init(&o);
    o.type = type;
    o.key_size = ksz;
    o.value_size = vsz;
    o.max_entries = max;
    return ebpf_map_create(&o);
}
