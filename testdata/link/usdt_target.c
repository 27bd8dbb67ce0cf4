/* Target of the USDT specs: fires ebpftest:hit(i, i*3, &value) N times and
 * ebpftest:plain(42) once; prints how many times the hit semaphore was
 * seen set (the kernel bumps it while a uprobe with ref_ctr is attached). */
#define _SDT_HAS_SEMAPHORES 1
#include <stdio.h>
#include <stdlib.h>
#include <sys/sdt.h>

__attribute__((section(".probes"), used)) unsigned short ebpftest_hit_semaphore;
__attribute__((section(".probes"), used)) unsigned short ebpftest_plain_semaphore;


int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1;
    int active = 0;
    volatile long value = 7; /* on the stack: a memory operand */
    for (int i = 0; i < n; i++) {
        if (ebpftest_hit_semaphore) {
            active++;
            long big = (long)i * 3;
            STAP_PROBE3(ebpftest, hit, i, big, value);
            value += 2;
        }
    }
    STAP_PROBE1(ebpftest, plain, 42);
    printf("%d\n", active);
    return 0;
}
