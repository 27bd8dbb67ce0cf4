/* Helper function ids and names, from the __BPF_FUNC_MAPPER X-macro of the
 * system's <linux/bpf.h> (one source of truth). Before Linux 6.2 the
 * mapper passes (name) and puts commas between entries; after, it passes
 * (name, id, ...) without commas (and defines ___BPF_FUNC_MAPPER). */
#include <linux/bpf.h>
#include <string.h>

#include "ebpf/features.h"

struct helper { const char *name; int id; };

#ifdef ___BPF_FUNC_MAPPER
#define EBPF_HELPER_ENTRY(name, ...) {#name, BPF_FUNC_##name},
#else
#define EBPF_HELPER_ENTRY(name, ...) {#name, BPF_FUNC_##name}
#endif
static const struct helper helpers[] = { __BPF_FUNC_MAPPER(EBPF_HELPER_ENTRY) };
#undef EBPF_HELPER_ENTRY

#define NHELPERS ((int)(sizeof(helpers) / sizeof(helpers[0])))

const char *ebpf_helper_name(int id)
{
    /* Ids are dense and in order, but don't rely on it. */
    if (id >= 0 && id < NHELPERS && helpers[id].id == id)
        return helpers[id].name;
    for (int i = 0; i < NHELPERS; i++)
        if (helpers[i].id == id)
            return helpers[i].name;
    return NULL;
}

int ebpf_helper_by_name(const char *name)
{
    if (!name)
        return -1;
    if (!strncmp(name, "bpf_", 4))
        name += 4;
    for (int i = 0; i < NHELPERS; i++)
        if (!strcmp(helpers[i].name, name))
            return helpers[i].id;
    return -1;
}

const char *ebpf_helper_at(int i, int *id)
{
    if (i < 0 || i >= NHELPERS)
        return NULL;
    if (id)
        *id = helpers[i].id;
    return helpers[i].name;
}
