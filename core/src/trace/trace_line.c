/* The trace_pipe line parser (ebpf/trace_pipe.h). Hand-written and
 * bounded by the length it is given: lines come from the kernel but also
 * from any file a caller names, and the fuzzer (fuzz_trace_line) feeds it
 * anything. The task name is free text (blanks, dashes, brackets), so the
 * fields are found from the `-pid [cpu]` part rightwards, not by splitting. */
#include "ebpf/trace_pipe.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

/* The kernel prints the name right-aligned in 16 columns ("%16s-%-7d"). */
#define COMM_COLUMNS 16
/* How far a dash is looked for when the line does not follow that layout. */
#define COMM_MAX 64

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static const char *skip_blanks(const char *p, const char *e)
{
    while (p < e && *p == ' ')
        p++;
    return p;
}

/* A decimal of at most 10 digits <= INT_MAX at *pp; advances *pp. */
static int small_number(const char **pp, const char *e, int *out)
{
    const char *p = *pp;
    long long v = 0;
    int n = 0;
    while (p < e && is_digit(*p) && n < 11) {
        v = v * 10 + (*p++ - '0');
        n++;
    }
    if (n == 0 || n > 10 || v > INT_MAX)
        return -EINVAL;
    *out = (int)v;
    *pp = p;
    return 0;
}

/* "SEC.FRAC:" or "COUNTER:" followed by a blank or the end; *pp after the
 * colon. FRAC is scaled to nanoseconds (digits past 9 are ignored). */
static int timestamp(const char **pp, const char *e, uint64_t *ns)
{
    const char *p = *pp;
    uint64_t sec = 0;
    int n = 0;
    while (p < e && is_digit(*p)) {
        if (sec > (UINT64_MAX - 9) / 10)
            return -EINVAL;
        sec = sec * 10 + (uint64_t)(*p++ - '0');
        n++;
    }
    if (n == 0)
        return -EINVAL;
    uint64_t v = sec;
    if (p < e && *p == '.') {
        p++;
        uint64_t frac = 0;
        int f = 0;
        while (p < e && is_digit(*p)) {
            if (f < 9)
                frac = frac * 10 + (uint64_t)(*p - '0');
            f++;
            p++;
        }
        if (f == 0 || sec > UINT64_MAX / 1000000000u - 1)
            return -EINVAL;
        for (int i = f; i < 9; i++)
            frac *= 10;
        v = sec * 1000000000u + frac;
    }
    if (p >= e || *p != ':' || (p + 1 < e && p[1] != ' '))
        return -EINVAL;
    *ns = v;
    *pp = p + 1;
    return 0;
}

/* "EVENT: msg" (EVENT may be empty): the event and the message apart. */
static void split_event(const char *p, const char *e, struct ebpf_trace_line *o)
{
    const char *q = p;
    while (q < e && (is_digit(*q) || *q == '_' || *q == '.' || (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')))
        q++;
    if (q < e && *q == ':' && (q + 1 == e || q[1] == ' ')) {
        o->event = p;
        o->event_len = (size_t)(q - p);
        p = q + 1 < e ? q + 2 : e;
    } else {
        o->event = NULL;
        o->event_len = 0;
    }
    o->msg = p;
    o->msg_len = (size_t)(e - p);
}

/* Everything from the dash before the pid to the end of the line. */
static int header(const char *d, const char *e, struct ebpf_trace_line *o)
{
    const char *p = d + 1;
    if (small_number(&p, e, &o->pid) < 0 || p >= e || *p != ' ')
        return -EINVAL;
    p = skip_blanks(p, e);
    o->tgid = -1;
    if (p < e && *p == '(') { /* record-tgid: "(   1234)" or "(-------)" */
        p = skip_blanks(p + 1, e);
        if (p < e && *p == '-') {
            while (p < e && *p == '-')
                p++;
        } else if (small_number(&p, e, &o->tgid) < 0) {
            return -EINVAL;
        }
        if (p >= e || *p != ')' || p + 1 >= e || p[1] != ' ')
            return -EINVAL;
        p = skip_blanks(p + 1, e);
    }
    if (p >= e || *p != '[')
        return -EINVAL;
    p++;
    if (small_number(&p, e, &o->cpu) < 0 || p >= e || *p != ']' || p + 1 >= e || p[1] != ' ')
        return -EINVAL;
    p = skip_blanks(p + 1, e);
    /* irq-info flags ("d..31") before the timestamp, unless that option is off */
    const char *t = p;
    if (timestamp(&t, e, &o->ts_ns) == 0) {
        o->flags = p;
        o->flags_len = 0;
    } else {
        const char *f = p;
        while (p < e && *p != ' ')
            p++;
        if (p == f || p - f > 16 || p >= e)
            return -EINVAL;
        o->flags = f;
        o->flags_len = (size_t)(p - f);
        t = skip_blanks(p, e);
        if (timestamp(&t, e, &o->ts_ns) < 0)
            return -EINVAL;
    }
    if (t < e)
        t++; /* the blank after the colon */
    split_event(t, e, o);
    return 0;
}

static void set_comm(const char *s, const char *d, struct ebpf_trace_line *o)
{
    s = skip_blanks(s, d);
    o->comm = s;
    o->comm_len = (size_t)(d - s);
}

int ebpf_trace_line_parse(const char *line, size_t len, struct ebpf_trace_line *out)
{
    if (!line || !out)
        return -EINVAL;
    const char *e = line + len;
    while (e > line && (e[-1] == '\n' || e[-1] == '\r'))
        e--;
    struct ebpf_trace_line o;
    memset(&o, 0, sizeof(o));
    /* The kernel's layout: the dash right after the 16 name columns. */
    if (e - line > COMM_COLUMNS && line[COMM_COLUMNS] == '-' && header(line + COMM_COLUMNS, e, &o) == 0) {
        set_comm(line, line + COMM_COLUMNS, &o);
        *out = o;
        return 0;
    }
    /* Otherwise (a longer name, other padding): the leftmost dash that
     * starts a well-formed header. */
    const char *s = skip_blanks(line, e);
    for (const char *d = s + 1; d < e && d - s <= COMM_MAX; d++) {
        if (*d == '-' && header(d, e, &o) == 0) {
            set_comm(s, d, &o);
            *out = o;
            return 0;
        }
    }
    return -EINVAL;
}
