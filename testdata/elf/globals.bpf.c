// Global data: .data, .rodata, .bss and named .data.*/.rodata.* sections
// become array maps; programs read constants and update counters.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct pair { int a; unsigned short b; char tag[6]; };

const volatile int k_mult = 3;                    /* .rodata, set from Lua */
const volatile struct pair k_pair = { 7, 9, "abc" };
int counter = 100;                                /* .data */
long long hits;                                   /* .bss */
struct pair last;                                 /* .bss */
char greeting[16] SEC(".data.strs") = "hello";
const volatile unsigned int k_table[4] SEC(".rodata.tab") = { 10, 20, 30, 40 };

SEC("socket")
int add_counter(struct __sk_buff *skb)
{
    counter += k_mult;
    hits++;
    last.a = counter;
    last.b = (unsigned short)k_pair.b;
    last.tag[0] = greeting[0];
    return counter + k_table[2];
}

char LICENSE[] SEC("license") = "GPL";
