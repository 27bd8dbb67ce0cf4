/* BPF side of ebpf-lua's USDT support: include in a BPF C program (after
 * vmlinux.h or the kernel headers, <bpf/bpf_helpers.h> and
 * <bpf/bpf_tracing.h>) and write
 *
 *     SEC("usdt/path/to/binary:provider:name")
 *     int BPF_USDT(handler, int a, long b) { ... }
 *
 * bpf_usdt_arg_cnt(), bpf_usdt_arg(), bpf_usdt_cookie() and BPF_USDT() are
 * used as with libbpf's usdt.bpf.h. The library decodes each probe site's
 * argument string into a struct ebpf_usdt_spec, stores it in the
 * ebpf_usdt_specs array and gives the site's uprobe the slot index as its
 * bpf cookie (kernels 5.15+). Layouts must match <ebpf/link.h>. */
#ifndef EBPF_BPF_USDT_H
#define EBPF_BPF_USDT_H

#ifndef EBPF_USDT_MAX_SPECS
#define EBPF_USDT_MAX_SPECS 256
#endif
#define EBPF_USDT_MAX_ARGS 12

enum ebpf_usdt_arg_kind {
    EBPF_USDT_ARG_CONST = 0,
    EBPF_USDT_ARG_REG = 1,
    EBPF_USDT_ARG_REG_DEREF = 2,
};

struct ebpf_usdt_arg {
    __u64 val_off;   /* the constant, or the displacement of a memory operand */
    __u32 kind;
    __s16 reg_off;   /* offset of the register in struct pt_regs */
    __u8 is_signed;
    __s8 bitshift;   /* 64 - size in bits: extends narrow arguments */
};

struct ebpf_usdt_spec {
    struct ebpf_usdt_arg args[EBPF_USDT_MAX_ARGS];
    __u64 usr_cookie;
    __s16 arg_cnt;
    __s16 in_use;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, EBPF_USDT_MAX_SPECS);
    __type(key, int);
    __type(value, struct ebpf_usdt_spec);
} ebpf_usdt_specs SEC(".maps");

static __always_inline struct ebpf_usdt_spec *ebpf_usdt__spec(struct pt_regs *ctx)
{
    int slot = (int)bpf_get_attach_cookie(ctx);
    return bpf_map_lookup_elem(&ebpf_usdt_specs, &slot);
}

/* Number of arguments of the probe that fired, or -ESRCH (-3). */
static __always_inline int bpf_usdt_arg_cnt(struct pt_regs *ctx)
{
    struct ebpf_usdt_spec *s = ebpf_usdt__spec(ctx);
    return s ? s->arg_cnt : -3;
}

/* Fetches argument n (0-based) into *res, sign- or zero-extended to 64
 * bits. Returns 0, -ENOENT (-2) past the last argument, -ESRCH (-3)
 * without a spec, or the error of the memory read. */
static __always_inline int bpf_usdt_arg(struct pt_regs *ctx, __u64 n, long *res)
{
    struct ebpf_usdt_spec *s = ebpf_usdt__spec(ctx);
    struct ebpf_usdt_arg *a;
    unsigned long val = 0;
    int err;

    *res = 0;
    if (!s)
        return -3;
    if (n >= EBPF_USDT_MAX_ARGS || n >= (__u64)s->arg_cnt)
        return -2;
    a = &s->args[n];
    switch (a->kind) {
    case EBPF_USDT_ARG_CONST:
        val = a->val_off;
        break;
    case EBPF_USDT_ARG_REG:
        err = bpf_probe_read_kernel(&val, sizeof(val), (void *)ctx + a->reg_off);
        if (err)
            return err;
        break;
    case EBPF_USDT_ARG_REG_DEREF:
        err = bpf_probe_read_kernel(&val, sizeof(val), (void *)ctx + a->reg_off);
        if (err)
            return err;
        err = bpf_probe_read_user(&val, sizeof(val), (void *)(val + a->val_off));
        if (err)
            return err;
        break;
    default:
        return -22;
    }
    val <<= a->bitshift;
    if (a->is_signed)
        val = (unsigned long)((long)val >> a->bitshift);
    else
        val >>= a->bitshift;
    *res = (long)val;
    return 0;
}

/* The cookie given when attaching (ebpf.link.usdt{cookie=...}). */
static __always_inline long bpf_usdt_cookie(struct pt_regs *ctx)
{
    struct ebpf_usdt_spec *s = ebpf_usdt__spec(ctx);
    return s ? (long)s->usr_cookie : 0;
}

/* BPF_USDT(name, typed args...): a handler receiving the probe's
 * arguments already fetched. Argument list expansion, by count: */
#define ebpf_usdt__v(i) ({ long _v = 0; bpf_usdt_arg(ctx, i, &_v); _v; })
#define ebpf_usdt__a0() ctx
#define ebpf_usdt__a1(x) ebpf_usdt__a0(), ebpf_usdt__v(0)
#define ebpf_usdt__a2(x, r...) ebpf_usdt__a1(r), ebpf_usdt__v(1)
#define ebpf_usdt__a3(x, r...) ebpf_usdt__a2(r), ebpf_usdt__v(2)
#define ebpf_usdt__a4(x, r...) ebpf_usdt__a3(r), ebpf_usdt__v(3)
#define ebpf_usdt__a5(x, r...) ebpf_usdt__a4(r), ebpf_usdt__v(4)
#define ebpf_usdt__a6(x, r...) ebpf_usdt__a5(r), ebpf_usdt__v(5)
#define ebpf_usdt__a7(x, r...) ebpf_usdt__a6(r), ebpf_usdt__v(6)
#define ebpf_usdt__a8(x, r...) ebpf_usdt__a7(r), ebpf_usdt__v(7)
#define ebpf_usdt__a9(x, r...) ebpf_usdt__a8(r), ebpf_usdt__v(8)
#define ebpf_usdt__a10(x, r...) ebpf_usdt__a9(r), ebpf_usdt__v(9)
#define ebpf_usdt__a11(x, r...) ebpf_usdt__a10(r), ebpf_usdt__v(10)
#define ebpf_usdt__a12(x, r...) ebpf_usdt__a11(r), ebpf_usdt__v(11)
#define ebpf_usdt__nth(_, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, N, ...) N
#define ebpf_usdt__count(...) ebpf_usdt__nth(_, ##__VA_ARGS__, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
#define ebpf_usdt__cat(a, b) a##b
#define ebpf_usdt__pick(a, b) ebpf_usdt__cat(a, b)
#define ebpf_usdt__args(args...) ebpf_usdt__pick(ebpf_usdt__a, ebpf_usdt__count(args))(args)

#define BPF_USDT(name, args...)                                                   \
    name(struct pt_regs *ctx);                                                    \
    static __always_inline typeof(name(0)) ebpf_usdt__##name(struct pt_regs *ctx, ##args); \
    typeof(name(0)) name(struct pt_regs *ctx)                                     \
    {                                                                             \
        _Pragma("GCC diagnostic push")                                            \
        _Pragma("GCC diagnostic ignored \"-Wint-conversion\"")                    \
        return ebpf_usdt__##name(ebpf_usdt__args(args));                          \
        _Pragma("GCC diagnostic pop")                                             \
    }                                                                             \
    static __always_inline typeof(name(0)) ebpf_usdt__##name(struct pt_regs *ctx, ##args)

#endif
