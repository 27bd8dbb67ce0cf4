/* Name <-> value tables for the UAPI enums (generated) and flags. */
#include <linux/bpf.h>
#include <string.h>

#include "ebpf/types.h"
#include "uapi_enums.h"

struct name_val { const char *name; int value; };

#define ENTRY(n, v) {n, v},
static const struct name_val map_types[] = { EBPF_UAPI_MAP_TYPES(ENTRY) };
static const struct name_val prog_types[] = { EBPF_UAPI_PROG_TYPES(ENTRY) };
static const struct name_val attach_types[] = { EBPF_UAPI_ATTACH_TYPES(ENTRY) };
static const struct name_val link_types[] = { EBPF_UAPI_LINK_TYPES(ENTRY) };
#undef ENTRY

/* Values newer than the system's UAPI headers (Debian 12 ships 6.1):
 * consulted after the generated tables; the kernel ABI never renumbers. */
static const struct name_val newer_prog_types[] = {{"netfilter", 32}};
static const struct name_val newer_attach_types[] = {
    {"struct_ops", 44}, {"netfilter", 45}, {"tcx_ingress", 46}, {"tcx_egress", 47},
    {"trace_uprobe_multi", 48}, {"cgroup_unix_connect", 49}, {"cgroup_unix_sendmsg", 50},
    {"cgroup_unix_recvmsg", 51}, {"cgroup_unix_getpeername", 52}, {"cgroup_unix_getsockname", 53},
    {"netkit_primary", 54}, {"netkit_peer", 55}, {"trace_kprobe_session", 56},
    {"trace_uprobe_session", 57}, {"trace_fsession", 58}, {"trace_fentry_multi", 59},
    {"trace_fexit_multi", 60}, {"trace_fsession_multi", 61}};
static const struct name_val newer_map_types[] = {{"cgrp_storage", 32}, {"arena", 33}};
static const struct name_val newer_link_types[] = {
    {"netfilter", 10}, {"tcx", 11}, {"uprobe_multi", 12}, {"netkit", 13}, {"sockmap", 14}, {"tracing_multi", 15}};

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

#define WITH_NEWER(t, s) (by_name(t, N(t), s) >= 0 ? by_name(t, N(t), s) : by_name(newer_##t, N(newer_##t), s))
#define WITH_NEWER_V(t, v) (by_value(t, N(t), v) ? by_value(t, N(t), v) : by_value(newer_##t, N(newer_##t), v))
int ebpf_map_type_by_name(const char *s) { return WITH_NEWER(map_types, s); }
int ebpf_prog_type_by_name(const char *s) { return WITH_NEWER(prog_types, s); }
int ebpf_attach_type_by_name(const char *s) { return WITH_NEWER(attach_types, s); }
int ebpf_link_type_by_name(const char *s) { return WITH_NEWER(link_types, s); }
const char *ebpf_map_type_name(int v) { return WITH_NEWER_V(map_types, v); }
const char *ebpf_prog_type_name(int v) { return WITH_NEWER_V(prog_types, v); }
const char *ebpf_attach_type_name(int v) { return WITH_NEWER_V(attach_types, v); }
const char *ebpf_link_type_name(int v) { return WITH_NEWER_V(link_types, v); }
const char *ebpf_map_type_at(int i, int *v) { return at(map_types, N(map_types), i, v); }
const char *ebpf_prog_type_at(int i, int *v) { return at(prog_types, N(prog_types), i, v); }
const char *ebpf_attach_type_at(int i, int *v) { return at(attach_types, N(attach_types), i, v); }

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
