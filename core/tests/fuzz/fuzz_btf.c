/* libFuzzer: the raw BTF parser and every read accessor on what it
 * accepts (lookups, layout, declarations), plus the raw round trip and a
 * parse as split BTF on a small base. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/btf.h"

static void walk(const struct ebpf_btf *b)
{
    char buf[128];
    for (uint32_t id = 0; id < ebpf_btf_type_cnt(b) && id < 2048; id++) {
        ebpf_btf_sizeof(b, id);
        ebpf_btf_alignof(b, id);
        ebpf_btf_resolve(b, id);
        ebpf_btf_skip_modifiers(b, id);
        ebpf_btf_is_signed(b, id);
        ebpf_btf_ref(b, id);
        ebpf_btf_decl(b, id, NULL, buf, sizeof(buf));
        ebpf_btf_decl(b, id, "x", buf, 8);
        ebpf_btf_enum_name_of(b, id, 1);
        const char *n = ebpf_btf_name(b, id);
        if (*n) {
            int64_t f = ebpf_btf_find(b, n, ebpf_btf_kind(b, id));
            if (f <= 0 || (uint32_t)f > id)
                abort(); /* a named type must be found, at its id or before */
            ebpf_btf_find_next(b, n, -1, id);
        }
        struct ebpf_btf_array_info a;
        struct ebpf_btf_int_info ii;
        int32_t comp;
        ebpf_btf_array(b, id, &a);
        ebpf_btf_int(b, id, &ii);
        ebpf_btf_linkage(b, id);
        ebpf_btf_decl_tag_component(b, id, &comp);
        for (uint32_t i = 0; i < ebpf_btf_vlen(b, id) && i < 32; i++) {
            struct ebpf_btf_member m;
            struct ebpf_btf_enum_value e;
            struct ebpf_btf_param p;
            struct ebpf_btf_var_secinfo v;
            ebpf_btf_member(b, id, i, &m);
            ebpf_btf_enum_value(b, id, i, &e);
            ebpf_btf_param(b, id, i, &p);
            ebpf_btf_datasec_var(b, id, i, &v);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ebpf_btf *b = ebpf_btf_new(data, size, NULL);
    if (b) {
        walk(b);
        size_t rsz;
        const void *raw = ebpf_btf_raw(b, &rsz);
        struct ebpf_btf *again = raw ? ebpf_btf_new(raw, rsz, NULL) : NULL;
        if (!again || ebpf_btf_type_cnt(again) != ebpf_btf_type_cnt(b))
            abort();
        ebpf_btf_free(again);
        /* The same bytes as split BTF on this one. */
        struct ebpf_btf *split = ebpf_btf_new(data, size, b);
        if (split)
            walk(split);
        ebpf_btf_free(split);
        ebpf_btf_free(b);
    }
    return 0;
}
