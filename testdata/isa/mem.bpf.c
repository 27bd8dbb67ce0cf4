// Memory instructions: LDX/ST/STX in every size, sign-extending loads
// (ISA v4), atomics with and without fetch, xchg and cmpxchg, the legacy
// packet loads (LD_ABS/LD_IND), and 64-bit immediate loads that reference
// maps, global variables (map values) and kernel symbols (BTF ids).
#include <linux/bpf.h>
#include <linux/types.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

__u64 bss_var;
__u64 data_var = 5;
const volatile __u64 rodata_var = 7;
volatile __s8 s8v;
volatile __s16 s16v;
volatile __s32 s32v;
volatile __u8 u8v;
volatile __u16 u16v;
volatile __u32 u32v;
volatile __s64 out[8];

extern const int bpf_prog_active __ksym;

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

SEC("socket")
int mem_c(struct __sk_buff *skb)
{
	__u32 key = 1;
	__u64 *v = bpf_map_lookup_elem(&counts, &key);
	if (v) {
		__sync_fetch_and_add(v, 1);
		__sync_fetch_and_or(v, 2);
		__sync_fetch_and_and(v, ~4ULL);
		__sync_fetch_and_xor(v, 8);
	}
	out[0] = s8v + s16v + s32v;
	out[1] = u8v + u16v + u32v;
	u8v = 1;
	u16v = 2;
	u32v = 3;
	out[2] = bss_var + data_var + rodata_var;
	bss_var = 0x1234;
	out[3] = load_byte(skb, 14) + load_half(skb, 12) + load_word(skb, skb->len & 7);
	out[4] = (long)&bpf_prog_active;
	return 0;
}

SEC("socket")
int mem_asm(void *ctx)
{
	asm volatile(
		"r1 = r10\n r1 += -64\n r2 = 1\n w3 = 2\n r6 = r1\n"
		"r0 = *(u8 *)(r1 + 0)\n r0 = *(u16 *)(r1 + 2)\n r0 = *(u32 *)(r1 - 4)\n r0 = *(u64 *)(r1 + 32767)\n"
		"r0 = *(s8 *)(r1 + 1)\n r0 = *(s16 *)(r1 - 2)\n r0 = *(s32 *)(r1 + 4)\n"
		"*(u8 *)(r1 + 0) = r2\n *(u16 *)(r1 + 2) = r2\n *(u32 *)(r1 + 4) = r2\n *(u64 *)(r1 - 32768) = r2\n"
		"*(u8 *)(r1 + 0) = 1\n *(u16 *)(r1 + 2) = -2\n *(u32 *)(r1 + 4) = 3\n *(u64 *)(r1 + 8) = -4\n"
		"lock *(u32 *)(r1 + 0) += w3\n lock *(u64 *)(r1 + 8) += r2\n"
		"lock *(u32 *)(r1 + 0) |= w3\n lock *(u64 *)(r1 + 8) |= r2\n"
		"lock *(u32 *)(r1 + 0) &= w3\n lock *(u64 *)(r1 + 8) &= r2\n"
		"lock *(u32 *)(r1 + 0) ^= w3\n lock *(u64 *)(r1 + 8) ^= r2\n"
		"w3 = atomic_fetch_add((u32 *)(r1 + 0), w3)\n r2 = atomic_fetch_add((u64 *)(r1 + 8), r2)\n"
		"w3 = atomic_fetch_or((u32 *)(r1 + 0), w3)\n r2 = atomic_fetch_or((u64 *)(r1 + 8), r2)\n"
		"w3 = atomic_fetch_and((u32 *)(r1 + 0), w3)\n r2 = atomic_fetch_and((u64 *)(r1 + 8), r2)\n"
		"w3 = atomic_fetch_xor((u32 *)(r1 + 0), w3)\n r2 = atomic_fetch_xor((u64 *)(r1 + 8), r2)\n"
		"w3 = xchg32_32(r1 + 0, w3)\n r2 = xchg_64(r1 + 8, r2)\n"
		"w0 = cmpxchg32_32(r1 + 0, w0, w3)\n r0 = cmpxchg_64(r1 + 8, r0, r2)\n"
		"r0 = *(u8 *)skb[1]\n r0 = *(u16 *)skb[2]\n r0 = *(u32 *)skb[4]\n"
		"r0 = *(u8 *)skb[r2]\n r0 = *(u16 *)skb[r2]\n r0 = *(u32 *)skb[r2]\n"
		::: "r0", "r1", "r2", "r3", "r4", "r5", "memory");
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
