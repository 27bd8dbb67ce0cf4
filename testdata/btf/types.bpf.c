/* Rich BTF for the parser, dumper and value codec tests: bitfields,
 * packed/aligned structs, anonymous members, enum64, floats, function
 * pointers, arrays of arrays, tags, globals (VAR/DATASEC), a map with BTF
 * key/value types, and CO-RE relocations (.BTF.ext). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#define __tag(x) __attribute__((btf_decl_tag(x)))
#define __ttag(x) __attribute__((btf_type_tag(x)))

enum color { RED = 1, GREEN = 2, BLUE = 4 };
enum big64 { BIG_SMALL = 1, BIG_LARGE = 0x1234567890ULL };
enum neg { NEG_MINUS = -5, NEG_PLUS = 7 };

struct bits {
    unsigned int a : 3;
    unsigned int b : 5;
    int c : 7;
    unsigned long long d : 33;
    unsigned char e;
} __tag("bits_tag");

struct packed_s {
    char c;
    int i;
    short s;
} __attribute__((packed));

struct aligned_s {
    int x;
    long y __attribute__((aligned(16)));
};

struct with_anon {
    int kind;
    union {
        int i;
        float f;
    };
    struct {
        short lo, hi;
    } pair;
    struct {
        char tag_a;
        char tag_b;
    };
};

typedef int (*cb_t)(void *ctx, long n);

struct value {
    unsigned int pid;
    char comm[16];
    int matrix[2][3];
    enum color color;
    enum big64 big;
    enum neg neg;
    double ratio;
    float f;
    _Bool flag;
    struct bits bits;
    struct packed_s packed;
    struct with_anon anon;
    cb_t cb;
    int *__ttag("user") uptr;
    unsigned long long u64;
    signed char s8;
};

struct key {
    unsigned int id;
    unsigned short port;
    unsigned char proto;
};

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 16);
    __type(key, struct key);
    __type(value, struct value);
} values SEC(".maps");

struct value global_value = {.pid = 1};
volatile const int rodata_knob = 42;
struct aligned_s bss_aligned;

struct core_target {
    int first;
    long second;
    struct bits b;
} __attribute__((preserve_access_index));

__noinline int helper_fn(struct core_target *t, int n) __tag("helper")
{
    return BPF_CORE_READ(t, first) + n;
}

SEC("socket")
int prog(struct __sk_buff *skb)
{
    struct key k = {.id = skb->len};
    struct value *v = bpf_map_lookup_elem(&values, &k);
    struct core_target t = {};
    int r = 0;
    if (v)
        r = v->pid;
    if (bpf_core_field_exists(t.second))
        r += bpf_core_field_size(t.second);
    r += bpf_core_type_size(struct core_target);
    r += helper_fn(&t, rodata_knob);
    return r + bss_aligned.x + global_value.pid;
}

char LICENSE[] SEC("license") = "GPL";
