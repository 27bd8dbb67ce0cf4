/* Names of UAPI enum values that the build's <linux/bpf.h> does not know,
 * read once from the running kernel's BTF (see kernel_names.c). */
#pragma once

enum kenum { KENUM_FUNC, KENUM_MAP, KENUM_PROG, KENUM_ATTACH, KENUM_LINK, KENUM_COUNT };

/* The lower-case name of value v ("map_lookup_elem", "arena",
 * "trace_fentry_multi"), or NULL when the kernel's BTF lacks it. */
const char *kenum_name(enum kenum e, int v);
/* The value of a lower-case name, or -1. */
int kenum_value(enum kenum e, const char *name);
/* The i-th entry in the kernel's order (NULL past the end). */
const char *kenum_at(enum kenum e, int i, int *v);
/* Largest value + 1 (0 without kernel BTF). */
int kenum_limit(enum kenum e);
