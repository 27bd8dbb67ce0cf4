/* Name <-> value tables for the UAPI enums (generated from the build's
 * headers, completed from the running kernel's BTF) and flags. */
#include <linux/bpf.h>
#include <string.h>

#include "ebpf/types.h"
#include "kernel_names.h"
#include "uapi_newer.h"
#include "uapi_enums.h"

struct name_val { const char *name; int value; };

#define ENTRY(n, v) {n, v},
static const struct name_val map_types[] = { EBPF_UAPI_MAP_TYPES(ENTRY) };
static const struct name_val prog_types[] = { EBPF_UAPI_PROG_TYPES(ENTRY) };
static const struct name_val attach_types[] = { EBPF_UAPI_ATTACH_TYPES(ENTRY) };
static const struct name_val link_types[] = { EBPF_UAPI_LINK_TYPES(ENTRY) };
#undef ENTRY

/* Newer than the headers but used by the library (uapi_newer.h). */
#define NEWER(id, n, v) {n, v},
static const struct name_val newer_map_types[] = { EBPF_UAPI_NEWER_MAP_TYPES(NEWER) };
static const struct name_val newer_prog_types[] = { EBPF_UAPI_NEWER_PROG_TYPES(NEWER) };
static const struct name_val newer_attach_types[] = { EBPF_UAPI_NEWER_ATTACH_TYPES(NEWER) };
static const struct name_val newer_link_types[] = { EBPF_UAPI_NEWER_LINK_TYPES(NEWER) };
#undef NEWER

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int by_name(const struct name_val *t, int n, const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return t[i].value;
    return -1;
}

static const char *by_value(const struct name_val *t, int n, int v)
{
    for (int i = 0; i < n; i++)
        if (t[i].value == v)
            return t[i].name;
    return NULL;
}

static const char *at(const struct name_val *t, int n, int i, int *v)
{
    if (i < 0 || i >= n)
        return NULL;
    if (v)
        *v = t[i].value;
    return t[i].name;
}

/* The build's table, then the values newer than it that the library
 * uses (uapi_newer.h), then the running kernel's BTF (kernel_names.c). */
struct names {
    const struct name_val *t, *newer;
    int n, n_newer;
};
#define NAMES(t) (&(const struct names){t, newer_##t, N(t), N(newer_##t)})

static int lookup_name(const struct names *s, enum kenum e, const char *name)
{
    int v = by_name(s->t, s->n, name);
    if (v < 0)
        v = by_name(s->newer, s->n_newer, name);
    return v >= 0 ? v : kenum_value(e, name);
}

static const char *lookup_value(const struct names *s, enum kenum e, int v)
{
    const char *name = by_value(s->t, s->n, v);
    if (!name)
        name = by_value(s->newer, s->n_newer, v);
    return name ? name : kenum_name(e, v);
}

/* The i-th of the build's entries, the library's newer ones, then the
 * kernel's that neither has. */
static const char *lookup_at(const struct names *s, enum kenum e, int i, int *v)
{
    if (i < s->n)
        return at(s->t, s->n, i, v);
    if (i < s->n + s->n_newer)
        return at(s->newer, s->n_newer, i - s->n, v);
    int extra = i - s->n - s->n_newer;
    int kv;
    const char *name;
    for (int k = 0; (name = kenum_at(e, k, &kv)); k++) {
        if (by_value(s->t, s->n, kv) || by_value(s->newer, s->n_newer, kv))
            continue;
        if (extra-- == 0) {
            if (v)
                *v = kv;
            return name;
        }
    }
    return NULL;
}

#define WITH_NEWER(t, e, s) lookup_name(NAMES(t), e, s)
#define WITH_NEWER_V(t, e, v) lookup_value(NAMES(t), e, v)
#define WITH_NEWER_AT(t, e, i, v) lookup_at(NAMES(t), e, i, v)

int ebpf_map_type_by_name(const char *s) { return WITH_NEWER(map_types, KENUM_MAP, s); }
int ebpf_prog_type_by_name(const char *s) { return WITH_NEWER(prog_types, KENUM_PROG, s); }
int ebpf_attach_type_by_name(const char *s) { return WITH_NEWER(attach_types, KENUM_ATTACH, s); }
int ebpf_link_type_by_name(const char *s) { return WITH_NEWER(link_types, KENUM_LINK, s); }
const char *ebpf_map_type_name(int v) { return WITH_NEWER_V(map_types, KENUM_MAP, v); }
const char *ebpf_prog_type_name(int v) { return WITH_NEWER_V(prog_types, KENUM_PROG, v); }
const char *ebpf_attach_type_name(int v) { return WITH_NEWER_V(attach_types, KENUM_ATTACH, v); }
const char *ebpf_link_type_name(int v) { return WITH_NEWER_V(link_types, KENUM_LINK, v); }
const char *ebpf_map_type_at(int i, int *v) { return WITH_NEWER_AT(map_types, KENUM_MAP, i, v); }
const char *ebpf_prog_type_at(int i, int *v) { return WITH_NEWER_AT(prog_types, KENUM_PROG, i, v); }
const char *ebpf_attach_type_at(int i, int *v) { return WITH_NEWER_AT(attach_types, KENUM_ATTACH, i, v); }

struct name_flag { const char *name; unsigned int bit; };

static const struct name_flag map_flags[] = {
    {"no_prealloc", BPF_F_NO_PREALLOC},
    {"no_common_lru", BPF_F_NO_COMMON_LRU},
    {"numa_node", BPF_F_NUMA_NODE},
    {"rdonly", BPF_F_RDONLY},
    {"wronly", BPF_F_WRONLY},
    {"stack_build_id", BPF_F_STACK_BUILD_ID},
    {"zero_seed", BPF_F_ZERO_SEED},
    {"rdonly_prog", BPF_F_RDONLY_PROG},
    {"wronly_prog", BPF_F_WRONLY_PROG},
    {"clone", BPF_F_CLONE},
    {"mmapable", BPF_F_MMAPABLE},
    {"preserve_elems", BPF_F_PRESERVE_ELEMS},
    {"inner_map", BPF_F_INNER_MAP},
    {"link", 1u << 13},             /* BPF_F_LINK (6.4): struct_ops map activated by a link */
    {"vtype_btf_obj_fd", 1u << 15}, /* BPF_F_VTYPE_BTF_OBJ_FD (6.9) */
};

static const struct name_flag prog_flags[] = {
    {"strict_alignment", BPF_F_STRICT_ALIGNMENT},
    {"any_alignment", BPF_F_ANY_ALIGNMENT},
    {"test_rnd_hi32", BPF_F_TEST_RND_HI32},
    {"test_state_freq", BPF_F_TEST_STATE_FREQ},
    {"sleepable", BPF_F_SLEEPABLE},
    {"xdp_has_frags", BPF_F_XDP_HAS_FRAGS},
};

static unsigned int flag_by_name(const struct name_flag *t, int n, const char *s)
{
    for (int i = 0; s && i < n; i++)
        if (strcmp(t[i].name, s) == 0)
            return t[i].bit;
    return 0;
}

unsigned int ebpf_map_flag_by_name(const char *s) { return flag_by_name(map_flags, N(map_flags), s); }
unsigned int ebpf_prog_flag_by_name(const char *s) { return flag_by_name(prog_flags, N(prog_flags), s); }

const char *ebpf_map_flag_at(int i, unsigned int *bit)
{
    if (i < 0 || i >= N(map_flags))
        return NULL;
    if (bit)
        *bit = map_flags[i].bit;
    return map_flags[i].name;
}
