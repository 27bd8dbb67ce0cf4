/* libFuzzer: the C header dumper on any BTF the parser accepts (whole
 * header, one type with dependencies, one definition). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/btf.h"

static int sink(void *ctx, const char *data, size_t len)
{
    size_t *total = ctx;
    if (memchr(data, 0, len))
        abort(); /* text only */
    *total += len;
    return *total > (64u << 20); /* cap the output of pathological input */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ebpf_btf *b = ebpf_btf_new(data, size, NULL);
    if (!b)
        return 0;
    size_t total = 0;
    ebpf_btf_dump_c(b, 0, 0, sink, &total);
    for (uint32_t id = 1; id < ebpf_btf_type_cnt(b) && id < 64; id++) {
        total = 0;
        ebpf_btf_dump_c(b, id, EBPF_BTF_DUMP_NO_GUARD, sink, &total);
        size_t len;
        char *s = ebpf_btf_dump_c_string(b, id, EBPF_BTF_DUMP_SINGLE, &len);
        if (s && strlen(s) != len)
            abort();
        free(s);
    }
    ebpf_btf_free(b);
    return 0;
}
