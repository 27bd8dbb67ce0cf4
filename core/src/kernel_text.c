/* Parsers of tracefs/sysfs text (see kernel_text.h). Hand-written with
 * strtol rather than sscanf: scanf's numeric conversions have undefined
 * behaviour on overflow and accept trailing garbage. */
#include "kernel_text.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_blanks(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return s;
}

/* A decimal number at s without sign; *end after it. -EINVAL/-ERANGE. */
static int number(const char *s, long max, long *out, const char **end)
{
    if (!isdigit((unsigned char)*s))
        return -EINVAL;
    char *e;
    errno = 0;
    long v = strtol(s, &e, 10);
    if (errno == ERANGE || v > max)
        return -ERANGE;
    *out = v;
    *end = e;
    return 0;
}

int ktext_long(const char *text, long min, long max, long *out)
{
    const char *s = skip_blanks(text);
    bool neg = *s == '-';
    long v;
    int r = number(s + neg, LONG_MAX, &v, &s);
    if (r < 0)
        return r;
    if (*skip_blanks(s))
        return -EINVAL;
    v = neg ? -v : v; /* v >= 0: the negation cannot overflow */
    if (v < min || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

int ktext_pmu_format_bit(const char *text, int *shift)
{
    const char *s = skip_blanks(text);
    if (strncmp(s, "config:", 7) != 0)
        return -EINVAL;
    long lo, hi;
    int r = number(s + 7, 63, &lo, &s);
    if (r < 0)
        return r;
    if (*s == '-') {
        if ((r = number(s + 1, 63, &hi, &s)) < 0)
            return r;
        if (hi < lo)
            return -EINVAL;
    }
    if (*skip_blanks(s))
        return -EINVAL;
    *shift = (int)lo;
    return 0;
}

int ktext_cpu_list(const char *text, bool *on, int n)
{
    const char *s = skip_blanks(text);
    int count = 0;
    while (*s) {
        long a, b;
        int r = number(s, (long)n - 1, &a, &s);
        if (r < 0)
            return -EINVAL;
        b = a;
        if (*s == '-' && (number(s + 1, (long)n - 1, &b, &s) < 0 || b < a))
            return -EINVAL;
        for (long c = a; c <= b; c++) { /* b < n: bounded by the caller's array */
            count += !on[c];
            on[c] = true;
        }
        if (*s == ',')
            s++;
        else if (*skip_blanks(s))
            return -EINVAL;
        else
            break;
    }
    return count;
}

/* Copies [s, s+len) into buf (size bytes) if it fits with its NUL. */
static bool copy_field(char *buf, size_t size, const char *s, size_t len)
{
    if (len == 0 || len >= size)
        return false;
    memcpy(buf, s, len);
    buf[len] = 0;
    return true;
}

int ktext_probe_event(const char *line, char *group, size_t gsize, char *event, size_t esize, int *pid)
{
    /* "p:kprobes/ebpf_kprobe_1234_7_do_sys_openat2_0x0 do_sys_openat2" */
    if (!line[0] || line[1] != ':')
        return 0;
    const char *g = line + 2, *slash = strchr(g, '/');
    if (!slash || !copy_field(group, gsize, g, (size_t)(slash - g)) || strpbrk(group, " \t\n"))
        return 0;
    const char *ev = slash + 1;
    if (!copy_field(event, esize, ev, strcspn(ev, " \t\n")))
        return 0;
    if (strncmp(event, "ebpf_", 5) != 0)
        return 0;
    const char *k = event + 5;
    size_t kl = strspn(k, "abcdefghijklmnopqrstuvwxyz");
    if (kl == 0 || k[kl] != '_')
        return 0;
    long p;
    const char *end;
    if (number(k + kl + 1, INT_MAX, &p, &end) < 0 || *end != '_' || p <= 0)
        return 0;
    *pid = (int)p;
    return 1;
}
