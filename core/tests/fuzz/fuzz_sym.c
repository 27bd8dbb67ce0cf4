/* libFuzzer: the text parsers of symbol lookup: kallsyms text through
 * ebpf_ksyms_parse + lookups (sorted table, bisection, aliases, modules),
 * and the same bytes as /proc/PID/maps lines (umap_parse_line). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/sym.h"
#include "sym/sym_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ebpf_ksyms *ks = ebpf_ksyms_parse((const char *)data, size);
    if (ks) {
        static struct ebpf_sym s;
        static const uint64_t probes[] = {0, 1, 0xffffffff81000000ull, 0xffffffffc0000000ull, ~0ull};
        for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
            int r = ebpf_ksyms_lookup(ks, probes[i], &s);
            if (r < 0 || r > 1 || (r == 1 && (s.start > probes[i] || s.offset != probes[i] - s.start)))
                abort();
        }
        ebpf_ksyms_free(ks);
    }
    char *copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = 0;
    for (char *line = copy, *nl; line; line = nl) {
        nl = strchr(line, '\n');
        if (nl)
            *nl++ = 0;
        struct umap m;
        if (umap_parse_line(line, &m) == 0 && (m.end < m.start || !m.path))
            abort();
    }
    free(copy);
    return 0;
}
