/* libFuzzer: the text tracefs and sysfs hand back (core/src/kernel_text.c):
 * event ids and PMU types, PMU format fields ("config:0",
 * "config:32-63"), CPU lists ("0-3,5"), kprobe_events/uprobe_events lines
 * of this library's events. Every parser sees the same input; what it
 * accepts must be in range (a shift below 64, CPUs inside the array,
 * names terminated inside their buffers). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;

    long v;
    if (ktext_long(text, 0, 2147483647L, &v) == 0 && (v < 0 || v > 2147483647L))
        abort();
    if (ktext_long(text, -5, 5, &v) == 0 && (v < -5 || v > 5))
        abort();
    int shift = -1;
    if (ktext_pmu_format_bit(text, &shift) == 0 && (shift < 0 || shift > 63))
        abort();

    enum { NCPU = 64 };
    bool *on = calloc(NCPU, sizeof(*on)); /* heap: ASan sees a write past it */
    if (on) {
        int n = ktext_cpu_list(text, on, NCPU);
        if (n > NCPU)
            abort();
        int set = 0;
        for (int i = 0; i < NCPU; i++)
            set += on[i];
        if (n >= 0 && n != set)
            abort();
        free(on);
    }

    char group[16], event[24];
    int pid = 0;
    if (ktext_probe_event(text, group, sizeof(group), event, sizeof(event), &pid) == 1) {
        if (pid <= 0 || strlen(group) >= sizeof(group) || strncmp(event, "ebpf_", 5) != 0)
            abort();
    }
    free(text);
    return 0;
}
