/* Target of the uprobe specs: calls target_add(i, 1000) N times (N from
 * argv[1]) and prints the sum. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline, used)) int target_add(int a, int b)
{
    __asm__ volatile("" ::: "memory");
    return a + b;
}

__attribute__((noinline, used)) long target_mul(long a, long b)
{
    __asm__ volatile("" ::: "memory");
    return a * b;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1;
    long sum = 0;
    for (int i = 0; i < n; i++)
        sum += target_add(i, 1000);
    sum += target_mul(6, 7);
    printf("%ld\n", sum);
    return 0;
}
