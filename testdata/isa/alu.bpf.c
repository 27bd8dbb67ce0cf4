// ALU and ALU64 instructions: every operation in register and immediate
// form, 32- and 64-bit, signed div/mod and sign-extending moves (ISA v4),
// endianness conversions and unconditional byte swaps. Part compiled C
// (what clang really emits at -mcpu=v2/v3/v4), part inline assembly (every
// encoding, whatever the ISA level).
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

volatile __u64 in64[4];
volatile __s64 sin64[4];
volatile __u32 in32[4];
volatile __s32 sin32[4];
volatile __u64 out64[32];

SEC("socket")
int alu_c(struct __sk_buff *skb)
{
	__u64 a = in64[0], b = in64[1];
	__s64 sa = sin64[0];
	__u32 x = in32[0], y = in32[1];
	__s32 sx = sin32[0];

	out64[0] = a + b;
	out64[1] = a - 7;
	out64[2] = a * b;
	out64[3] = a / (b | 1);
	out64[4] = a % (b | 1);
#if __BPF_CPU_VERSION__ >= 4 /* signed div/mod exist from ISA v4 */
	out64[5] = sa / (sin64[1] | 1);
	out64[6] = sa % (sin64[1] | 1);
#endif
	out64[7] = (a << 3) | (b >> 5);
	out64[8] = sa >> 9;
	out64[9] = a ^ ~b;
	out64[10] = -a;
	out64[11] = x + y * 3;
	out64[12] = x / (y | 1) + x % (y | 1);
#if __BPF_CPU_VERSION__ >= 4
	out64[13] = sx / (sin32[1] | 1) + sx % (sin32[2] | 1);
#endif
	out64[14] = (__s64)(__s8)x + (__s64)(__s16)y + (__s64)(__s32)a;
	out64[15] = (__u32)(sx >> 3) ^ (x << (y & 31)) ^ (x >> 2);
	out64[16] = bpf_htons((__u16)x) + bpf_htonl(y) + bpf_cpu_to_be64(a);
	out64[17] = __builtin_bswap16((__u16)x) + __builtin_bswap32(y) + __builtin_bswap64(b);
	out64[18] = a & 0xffff0000ffffULL;
	out64[19] = 0x123456789abcdefULL;
	return 0;
}

SEC("socket")
int alu_asm(void *ctx)
{
	asm volatile(
		"r1 = 1\n r2 = -2\n w3 = 3\n w4 = -4\n r5 = 0x7fffffff\n r6 = r1\n w7 = w2\n"
		"r1 += r2\n r1 += 5\n w1 += w2\n w1 += -5\n"
		"r1 -= r2\n r1 -= 5\n w1 -= w2\n w1 -= 5\n"
		"r1 *= r2\n r1 *= 5\n w1 *= w2\n w1 *= 5\n"
		"r1 /= r2\n r1 /= 5\n w1 /= w2\n w1 /= 5\n"
		"r1 s/= r2\n r1 s/= 5\n w1 s/= w2\n w1 s/= -5\n"
		"r1 %%= r2\n r1 %%= 5\n w1 %%= w2\n w1 %%= 5\n"
		"r1 s%%= r2\n r1 s%%= 5\n w1 s%%= w2\n w1 s%%= -5\n"
		"r1 |= r2\n r1 |= 5\n w1 |= w2\n w1 |= 5\n"
		"r1 &= r2\n r1 &= 5\n w1 &= w2\n w1 &= 5\n"
		"r1 ^= r2\n r1 ^= 5\n w1 ^= w2\n w1 ^= 5\n"
		"r1 <<= r2\n r1 <<= 63\n w1 <<= w2\n w1 <<= 31\n"
		"r1 >>= r2\n r1 >>= 63\n w1 >>= w2\n w1 >>= 31\n"
		"r1 s>>= r2\n r1 s>>= 63\n w1 s>>= w2\n w1 s>>= 31\n"
		"r1 = -r1\n w1 = -w1\n"
		"r1 = (s8)r2\n r1 = (s16)r2\n r1 = (s32)r2\n w1 = (s8)w2\n w1 = (s16)w2\n"
		"r1 = be16 r1\n r1 = be32 r1\n r1 = be64 r1\n r1 = le16 r1\n r1 = le32 r1\n r1 = le64 r1\n"
		"r1 = bswap16 r1\n r1 = bswap32 r1\n r1 = bswap64 r1\n"
		"r1 = 0x123456789abcdef0 ll\n r2 = -1 ll\n r3 = 0 ll\n r4 = 0x80000000 ll\n"
		"r1 = addr_space_cast(r2, 0, 1)\n r1 = addr_space_cast(r2, 1, 0)\n"
		::: "r1", "r2", "r3", "r4", "r5", "r6", "r7");
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
