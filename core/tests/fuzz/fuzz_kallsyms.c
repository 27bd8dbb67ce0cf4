/* libFuzzer: /proc/kallsyms text ("ffffffff81000000 T _stext",
 * "... t name\t[module]") through the two readers of the core: untyped
 * __ksym externs (eext_kallsyms_scan: address, ambiguity) and the
 * ksyscall wrapper lookup (link_kallsyms_has). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf/elf_extern.h"
#include "elf/elf_internal.h"
#include "ebpf/error.h"
#include "link/link_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char n0[] = "schedule", n1[] = "a", n2[] = "__x64_sys_bpf", n3[] = "typed_sym", n4[] = "CONFIG_HZ";
    struct eext exts[] = {
        {.name = n0, .kind = EEXT_KSYM},
        {.name = n1, .kind = EEXT_KSYM},
        {.name = n2, .kind = EEXT_KSYM, .weak = true},
        {.name = n3, .kind = EEXT_KSYM, .typed = true}, /* from BTF, never from kallsyms */
        {.name = n4, .kind = EEXT_KCONFIG, .size = 4},
    };
    static char objname[] = "fuzz";
    struct ebpf_spec s;
    memset(&s, 0, sizeof(s));
    s.name = objname;
    s.exts = exts;
    s.next = sizeof(exts) / sizeof(exts[0]);
    struct eext_val ev[sizeof(exts) / sizeof(exts[0])];
    memset(ev, 0, sizeof(ev));

    FILE *f = fmemopen((void *)data, size, "r");
    if (!f)
        return 0; /* fmemopen refuses size 0 */
    int r = eext_kallsyms_scan(&s, ev, f);
    fclose(f);
    if (r < 0 && !strstr(ebpf_error_message(), "ambiguous"))
        abort(); /* the only way the scan fails */
    if (ev[3].found || ev[4].found)
        abort(); /* typed ksyms and kconfig externs are not kallsyms' business */

    f = fmemopen((void *)data, size, "r");
    if (!f)
        return 0;
    (void)link_kallsyms_has(f, "__x64_sys_bpf");
    fclose(f);
    return 0;
}
