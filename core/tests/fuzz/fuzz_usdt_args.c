/* libFuzzer: USDT argument specs as found in .note.stapsdt ("-4@%edi
 * 8@-16(%rbp) 1@$255") through ebpf_usdt_parse_args. A parsed spec must
 * be one the BPF side (<ebpf/bpf_usdt.h>) can use as is. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/error.h"
#include "ebpf/link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *args = malloc(size + 1);
    if (!args)
        return 0;
    memcpy(args, data, size);
    args[size] = 0;
    struct ebpf_usdt_spec spec;
    if (ebpf_usdt_parse_args(args, &spec) < 0) {
        if (!ebpf_error_message()[0])
            abort(); /* an error always says why */
    } else {
        if (spec.arg_cnt < 0 || spec.arg_cnt > EBPF_USDT_MAX_ARGS)
            abort();
        for (int i = 0; i < spec.arg_cnt; i++) {
            const struct ebpf_usdt_arg *a = &spec.args[i];
            if (a->bitshift != 0 && a->bitshift != 32 && a->bitshift != 48 && a->bitshift != 56)
                abort(); /* sizes 8, 4, 2, 1 only */
            if (a->kind != EBPF_USDT_ARG_CONST && a->kind != EBPF_USDT_ARG_REG && a->kind != EBPF_USDT_ARG_REG_DEREF)
                abort();
            /* register offsets inside struct pt_regs (21 u64 on x86-64) */
            if (a->kind != EBPF_USDT_ARG_CONST && (a->reg_off < 0 || a->reg_off > 160 || a->reg_off % 8))
                abort();
        }
    }
    free(args);
    return 0;
}
