/* libFuzzer: arbitrary bytes opened as a BPF ELF object (parse only, no
 * kernel), then every accessor of the spec walked. */
#include <stddef.h>
#include <stdint.h>

#include "ebpf/elf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ebpf_spec *s = ebpf_spec_open_mem(data, size, "fuzz");
    if (!s)
        return 0;
    for (size_t i = 0; i < ebpf_spec_prog_count(s); i++) {
        struct ebpf_prog_spec *p = ebpf_spec_prog_at(s, i);
        size_t n;
        (void)ebpf_prog_spec_insns(p, &n);
        (void)ebpf_prog_spec_attach_target(p);
    }
    for (size_t i = 0; i < ebpf_spec_map_count(s); i++)
        (void)ebpf_map_spec_value_size(ebpf_spec_map_at(s, i));
    for (size_t i = 0; i < ebpf_spec_var_count(s); i++) {
        uint32_t off, sz, ty;
        struct ebpf_map_spec *m;
        ebpf_spec_var_at(s, i, &m, &off, &sz, &ty);
        size_t dsz;
        unsigned char *d = ebpf_map_spec_data(m, &dsz);
        if (d && off + sz <= dsz)
            (void)d[off];
    }
    ebpf_spec_free(s);
    return 0;
}
