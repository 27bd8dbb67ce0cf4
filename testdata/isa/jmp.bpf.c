// JMP and JMP32: every condition in register and immediate form, goto and
// gotol (32-bit offset), may_goto, exit, calls to helpers, to bpf-to-bpf
// subprograms (pseudo call), to kfuncs, and function addresses (ld_imm64
// with BPF_PSEUDO_FUNC) through bpf_loop callbacks.
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

volatile __u64 in64[4];
volatile __s64 sin64[4];
volatile __u32 in32[4];
volatile __s32 sin32[4];
volatile __u64 out64[8];

extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

static __attribute__((noinline)) __u64 sub_add(__u64 a, __u64 b)
{
	return a * 3 + b;
}

__attribute__((noinline)) int global_sub(int x)
{
	return x > 10 ? x - 10 : x + 1;
}

static long loop_cb(__u64 i, void *ctx)
{
	*(__u64 *)ctx += i;
	return i > 20;
}

SEC("socket")
int jmp_c(struct __sk_buff *skb)
{
	__u64 a = in64[0], b = in64[1];
	__s64 sa = sin64[0];
	__u32 x = in32[0], y = in32[1];
	__s32 sx = sin32[0];
	__u64 acc = 0;

	if (a == b) acc += 1;
	if (a != 17) acc += 2;
	if (a > b) acc += 3;
	if (a >= 5) acc += 4;
	if (a < b * 2) acc += 5;
	if (a <= 100) acc += 6;
	if (sa > -5) acc += 7;
	if (sa >= (__s64)b) acc += 8;
	if (sa < -100) acc += 9;
	if (sa <= 3) acc += 10;
	if (a & 0x40) acc += 11;
	if (x == y) acc += 12;
	if (x > 7) acc += 13;
	if (x <= y) acc += 14;
	if (sx < -3) acc += 15;
	if (sx >= (__s32)y) acc += 16;
	for (int i = 0; i < 8 && i < (int)x; i++)
		acc += in64[i & 3];
	acc += sub_add(a, b) + global_sub((int)x);
	acc += bpf_get_prandom_u32() & 1;
	bpf_loop(8, loop_cb, &acc, 0);
	bpf_rcu_read_lock();
	bpf_rcu_read_unlock();
	out64[0] = acc;
	return 0;
}

SEC("socket")
int jmp_asm(void *ctx)
{
	asm volatile(
		"r1 = 1\n r2 = 2\n w3 = 3\n"
		"if r1 == r2 goto +1\n if r1 == 5 goto +1\n if w1 == w2 goto +1\n if w1 == 5 goto +1\n"
		"if r1 != r2 goto +1\n if r1 != 5 goto +1\n if w1 != w2 goto +1\n if w1 != -5 goto +1\n"
		"if r1 > r2 goto +1\n if r1 > 5 goto +1\n if w1 > w2 goto +1\n if w1 > 5 goto +1\n"
		"if r1 >= r2 goto +1\n if r1 >= 5 goto +1\n if w1 >= w2 goto +1\n if w1 >= 5 goto +1\n"
		"if r1 < r2 goto +1\n if r1 < 5 goto +1\n if w1 < w2 goto +1\n if w1 < 5 goto +1\n"
		"if r1 <= r2 goto +1\n if r1 <= 5 goto +1\n if w1 <= w2 goto +1\n if w1 <= 5 goto +1\n"
		"if r1 s> r2 goto +1\n if r1 s> -5 goto +1\n if w1 s> w2 goto +1\n if w1 s> -5 goto +1\n"
		"if r1 s>= r2 goto +1\n if r1 s>= -5 goto +1\n if w1 s>= w2 goto +1\n if w1 s>= -5 goto +1\n"
		"if r1 s< r2 goto +1\n if r1 s< -5 goto +1\n if w1 s< w2 goto +1\n if w1 s< -5 goto +1\n"
		"if r1 s<= r2 goto +1\n if r1 s<= -5 goto +1\n if w1 s<= w2 goto +1\n if w1 s<= -5 goto +1\n"
		"if r1 & r2 goto +1\n if r1 & 5 goto +1\n if w1 & w2 goto +1\n if w1 & 5 goto +1\n"
		"goto +0\n goto -1\n gotol +0\n gotol -2\n may_goto +0\n"
		"call 5\n call 0x7fffffff\n"
		::: "r0", "r1", "r2", "r3", "r4", "r5");
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
