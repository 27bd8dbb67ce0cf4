/* Helper id <-> name, from the X-macro of the system's <linux/bpf.h>,
 * then from the running kernel's BTF. */
#include <string.h>

#include "ebpf/insn.h"
#include "kernel_names.h"

#ifdef ___BPF_FUNC_MAPPER
/* 6.2+ headers: FN(name, id) with explicit ids and no separating commas. */
#define HELPER_NAME(name, id, ...) [id] = #name,
static const char *const helper_names[] = { ___BPF_FUNC_MAPPER(HELPER_NAME) };
#else
/* Older headers: FN(name), comma-separated, in id order. */
#define HELPER_NAME(name) #name
static const char *const helper_names[] = { __BPF_FUNC_MAPPER(HELPER_NAME) };
#endif
#undef HELPER_NAME

_Static_assert(sizeof(helper_names) / sizeof(helper_names[0]) == __BPF_FUNC_MAX_ID,
               "__BPF_FUNC_MAPPER does not match __BPF_FUNC_MAX_ID");

/* Helpers newer than the build's headers are named from the running
 * kernel's BTF (enum bpf_func_id), see kernel_names.c. */
int ebpf_helper_count(void)
{
    int k = kenum_limit(KENUM_FUNC);
    return k > __BPF_FUNC_MAX_ID ? k : __BPF_FUNC_MAX_ID;
}

const char *ebpf_helper_name(int id)
{
    if (id <= 0)
        return NULL; /* 0 is "unspec", not a helper */
    if (id >= __BPF_FUNC_MAX_ID)
        return kenum_name(KENUM_FUNC, id);
    return helper_names[id];
}

int ebpf_helper_id(const char *name)
{
    if (!name)
        return -1;
    if (strncmp(name, "bpf_", 4) == 0)
        name += 4;
    for (int i = 1; i < __BPF_FUNC_MAX_ID; i++)
        if (strcmp(helper_names[i], name) == 0)
            return i;
    int v = kenum_value(KENUM_FUNC, name);
    return v > 0 ? v : -1;
}
