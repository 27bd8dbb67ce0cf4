/* libFuzzer: an ELF file's USDT notes (.note.stapsdt, .stapsdt.base,
 * program headers) through ebpf_usdt_notes, then each note's argument
 * string through ebpf_usdt_parse_args, as ebpf_link_usdt does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/error.h"
#include "ebpf/link.h"
#include "fuzz_memfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ebpf_usdt_note *notes = NULL;
    size_t n = 0;
    if (ebpf_usdt_notes(fuzz_memfile(data, size), &notes, &n) < 0) {
        if (notes || n || !ebpf_error_message()[0])
            abort();
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const struct ebpf_usdt_note *u = &notes[i];
        /* strings are terminated inside their arrays */
        if (!memchr(u->provider, 0, sizeof(u->provider)) || !memchr(u->name, 0, sizeof(u->name)) ||
            !memchr(u->args, 0, sizeof(u->args)))
            abort();
        struct ebpf_usdt_spec spec;
        (void)ebpf_usdt_parse_args(u->args, &spec);
    }
    free(notes);
    return 0;
}
