/* Parsers of the small text files the kernel hands back through tracefs
 * and sysfs (event ids, PMU types and format fields, CPU lists, the lines
 * of kprobe_events/uprobe_events). Pure functions on a string, so that
 * core/tests/fuzz/fuzz_tracefs.c can feed them anything: malformed or
 * out-of-range text gives -EINVAL or -ERANGE, never a shift, a loop or a
 * write out of bounds. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* A decimal integer ("123\n"; blanks around it allowed) in [min, max]. */
int ktext_long(const char *text, long min, long max, long *out);
/* Bit position N of a PMU format field "config:N" or "config:N-M", 0..63. */
int ktext_pmu_format_bit(const char *text, int *shift);
/* CPU list "0-3,5\n": sets on[c] for every listed c (all < n, the caller
 * zeroes on[]). The number of CPUs set, or -EINVAL (malformed, a CPU >= n,
 * a range backwards). */
int ktext_cpu_list(const char *text, bool *on, int n);
/* A kprobe_events/uprobe_events line "p:GROUP/EVENT TARGET" of an event
 * this library named (EVENT "ebpf_<kind>_<pid>_..."): 1 with group, event
 * and pid filled; 0 for any other line (or names too long for the buffers). */
int ktext_probe_event(const char *line, char *group, size_t gsize, char *event, size_t esize, int *pid);
