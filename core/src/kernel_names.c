/* Enum names from the running kernel's BTF: enum bpf_func_id,
 * bpf_map_type, bpf_prog_type, bpf_attach_type and bpf_link_type. The
 * generated tables of the build's headers come first (types.c,
 * insn_helpers.c); these fill in values newer than those headers, so a
 * library built on Debian 12's 6.1 headers names the helpers, map and
 * attach types of a 6.18 or 7.x kernel without hand-typed tables.
 * Loaded once per process; the kernel ABI never renumbers a value. */
#include "kernel_names.h"

#include <ctype.h>
#include <linux/btf.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/btf.h"
#include "error_internal.h"

struct kname {
    char *name;
    int value;
};

static const struct {
    const char *enum_name;
    const char *prefix;
} sources[KENUM_COUNT] = {
    [KENUM_FUNC] = {"bpf_func_id", "BPF_FUNC_"},
    [KENUM_MAP] = {"bpf_map_type", "BPF_MAP_TYPE_"},
    [KENUM_PROG] = {"bpf_prog_type", "BPF_PROG_TYPE_"},
    [KENUM_ATTACH] = {"bpf_attach_type", "BPF_"},
    [KENUM_LINK] = {"bpf_link_type", "BPF_LINK_TYPE_"},
};

static struct {
    struct kname *v;
    int n;
    int limit;
} tables[KENUM_COUNT];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load_enum(const struct ebpf_btf *k, enum kenum e)
{
    int64_t id = ebpf_btf_find(k, sources[e].enum_name, BTF_KIND_ENUM);
    if (id <= 0)
        return;
    uint16_t vlen = ebpf_btf_vlen(k, (uint32_t)id);
    struct kname *v = calloc(vlen ? vlen : 1, sizeof(*v));
    if (!v)
        return;
    size_t plen = strlen(sources[e].prefix);
    int n = 0;
    for (uint16_t i = 0; i < vlen; i++) {
        struct ebpf_btf_enum_value ev;
        if (ebpf_btf_enum_value(k, (uint32_t)id, i, &ev) < 0 || !ev.name)
            continue;
        /* __MAX_BPF_ATTACH_TYPE, __BPF_FUNC_MAX_ID: bounds, not values */
        if (strncmp(ev.name, sources[e].prefix, plen) != 0 || ev.value < 0 || ev.value > 0xffff)
            continue;
        char *name = strdup(ev.name + plen);
        if (!name)
            break;
        for (char *c = name; *c; c++)
            *c = (char)tolower((unsigned char)*c);
        v[n].name = name;
        v[n].value = (int)ev.value;
        if (v[n].value + 1 > tables[e].limit)
            tables[e].limit = v[n].value + 1;
        n++;
    }
    tables[e].v = v;
    tables[e].n = n;
}

static void load(void)
{
    /* A failure to read kernel BTF only means no extra names: it must not
     * replace the error the caller may be formatting a message for. */
    struct ebpf_err_saved saved;
    ebpf_err_save(&saved);
    const struct ebpf_btf *k = ebpf_btf_kernel();
    if (k)
        for (int e = 0; e < KENUM_COUNT; e++)
            load_enum(k, (enum kenum)e);
    ebpf_err_restore(&saved);
}

__attribute__((destructor)) static void unload(void)
{
    for (int e = 0; e < KENUM_COUNT; e++) {
        for (int i = 0; i < tables[e].n; i++)
            free(tables[e].v[i].name);
        free(tables[e].v);
        tables[e].v = NULL;
        tables[e].n = 0;
    }
}

const char *kenum_name(enum kenum e, int v)
{
    pthread_once(&once, load);
    for (int i = 0; i < tables[e].n; i++)
        if (tables[e].v[i].value == v)
            return tables[e].v[i].name;
    return NULL;
}

int kenum_value(enum kenum e, const char *name)
{
    if (!name)
        return -1;
    pthread_once(&once, load);
    for (int i = 0; i < tables[e].n; i++)
        if (strcmp(tables[e].v[i].name, name) == 0)
            return tables[e].v[i].value;
    return -1;
}

const char *kenum_at(enum kenum e, int i, int *v)
{
    pthread_once(&once, load);
    if (i < 0 || i >= tables[e].n)
        return NULL;
    if (v)
        *v = tables[e].v[i].value;
    return tables[e].v[i].name;
}

int kenum_limit(enum kenum e)
{
    pthread_once(&once, load);
    return tables[e].limit;
}
