/* libFuzzer: uprobe targets in an ELF file: function symbols (plain and
 * versioned "f@V"/"f@@V" from .symtab, .dynsym with .gnu.version and
 * verdef), addresses to file offsets (program headers), glob patterns.
 * The first input byte picks the symbol and the pattern, the rest is the
 * file. */
#include <stdint.h>
#include <stdlib.h>

#include "ebpf/error.h"
#include "ebpf/link.h"
#include "fuzz_memfile.h"
#include "link/link_internal.h"

static const char *const symbols[] = {"main", "f", "f@V1", "f@@V2", "g@@V1", "g", "f@V2", "_start", "", "@", "@@"};
static const char *const patterns[] = {"*", "f*", "[a-m]*", "main", "*@*"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned pick = data[0];
    const char *path = fuzz_memfile(data + 1, size - 1);
    const char *sym = symbols[pick % (sizeof(symbols) / sizeof(symbols[0]))];
    uint64_t off = 0;
    if (ebpf_link_elf_symbol_offset(path, sym, &off) < 0 && !ebpf_error_message()[0])
        abort();
    if (ebpf_link_elf_vaddr_offset(path, 0x401000 + pick, &off) < 0 && !ebpf_error_message()[0])
        abort();
    uint64_t *offs = NULL;
    size_t n = 0;
    const char *pat = patterns[(pick >> 4) % (sizeof(patterns) / sizeof(patterns[0]))];
    if (link_elf_glob_offsets(path, pat, &offs, &n) == 0) {
        if (!offs || !n)
            abort();
        free(offs);
    }
    return 0;
}
