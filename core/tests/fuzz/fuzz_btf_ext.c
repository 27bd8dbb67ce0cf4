/* libFuzzer: the .BTF.ext parser. Input: u16 length of a .BTF blob, the
 * blob, then the .BTF.ext bytes validated against it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/btf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t blen = (size_t)data[0] | (size_t)data[1] << 8;
    if (blen > size - 2)
        return 0;
    struct ebpf_btf *b = ebpf_btf_new(data + 2, blen, NULL);
    if (!b)
        return 0;
    struct ebpf_btf_ext *x = ebpf_btf_ext_new(data + 2 + blen, size - 2 - blen, b);
    if (x) {
        for (int k = 0; k < 3; k++) {
            for (uint32_t i = 0; i < ebpf_btf_ext_sec_cnt(x, k); i++) {
                const struct ebpf_btf_ext_sec *s = ebpf_btf_ext_sec(x, k, i);
                if (!s || ebpf_btf_ext_find_sec(x, k, s->name) == NULL)
                    abort();
                for (uint32_t j = 0; j < s->count; j++) {
                    struct bpf_func_info fi;
                    struct bpf_line_info li;
                    struct bpf_core_relo cr;
                    if (k == EBPF_BTF_EXT_FUNC_INFO && (ebpf_btf_ext_func_info(s, j, &fi) ||
                                                        ebpf_btf_kind(b, fi.type_id) != BTF_KIND_FUNC))
                        abort();
                    if (k == EBPF_BTF_EXT_LINE_INFO && (ebpf_btf_ext_line_info(s, j, &li) ||
                                                        !ebpf_btf_str(b, li.file_name_off)))
                        abort();
                    if (k == EBPF_BTF_EXT_CORE_RELO && (ebpf_btf_ext_core_relo(s, j, &cr) ||
                                                        !ebpf_btf_str(b, cr.access_str_off)))
                        abort();
                }
            }
        }
        ebpf_btf_ext_free(x);
    }
    ebpf_btf_free(b);
    return 0;
}
