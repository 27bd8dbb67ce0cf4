/* Feature probes: program types, map types and flags, helpers per program
 * type and named features (ISA levels, bounded loops, ...). See
 * ebpf/features.h for the contract. */
#include <errno.h>
#include <linux/btf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "ebpf/sys.h"
#include "ebpf/types.h"
#include "error_internal.h"
#include "features_internal.h"

#define MAX_TYPES 64 /* program and map type values are small and dense */
#define LOG_SIZE (16u * 1024)

static pthread_mutex_t feat_mutex = PTHREAD_MUTEX_INITIALIZER;
static unsigned long probe_count;

const char feat_eperm_reason[] =
    "permission denied (needs root or CAP_BPF with CAP_PERFMON/CAP_NET_ADMIN; lockdown or a "
    "security policy may refuse this type; before 5.11 a low RLIMIT_MEMLOCK also gives EPERM)";

void feat_lock(void) { pthread_mutex_lock(&feat_mutex); }
void feat_unlock(void) { pthread_mutex_unlock(&feat_mutex); }
void feat_count(void) { probe_count++; }

unsigned long ebpf_features_probe_count(void)
{
    feat_lock();
    unsigned long n = probe_count;
    feat_unlock();
    return n;
}

/* Copied reasons, kept for the life of the library like the caches, and
 * freed when it is unloaded (a Lua state closing dlclose()s the module:
 * memory checkers would see static pointers vanish). */
static char **kept;
static size_t nkept, ckept;

static const char *keep(const char *s)
{
    if (nkept == ckept) {
        size_t nc = ckept ? ckept * 2 : 32;
        char **nk = realloc(kept, nc * sizeof(*nk));
        if (!nk)
            return "(out of memory)";
        kept = nk;
        ckept = nc;
    }
    char *d = strdup(s);
    if (!d)
        return "(out of memory)";
    kept[nkept++] = d;
    return d;
}

static struct feat_result *helper_cache; /* [MAX_TYPES][nhelpers] */

__attribute__((destructor)) static void feat_free(void)
{
    for (size_t i = 0; i < nkept; i++)
        free(kept[i]);
    free(kept);
    free(helper_cache);
}

int feat_set(struct feat_result *r, int status, const char *reason, int copy)
{
    const char *s = reason ? reason : "";
    if (copy && *s)
        s = keep(s);
    r->status = (unsigned char)status;
    r->reason = s;
    r->done = 1;
    return status;
}

static const char forced_reason[] = "forced by ebpf_feature_override()";

int feat_get(const struct feat_result *r, const char **reason)
{
    if (r->forced) {
        if (reason)
            *reason = forced_reason;
        return r->forced - 1;
    }
    if (!r->done)
        return -1;
    if (reason)
        *reason = r->reason;
    return r->status;
}

const char *ebpf_feature_status_name(int status)
{
    switch (status) {
    case EBPF_FEATURE_UNSUPPORTED: return "unsupported";
    case EBPF_FEATURE_SUPPORTED: return "supported";
    case EBPF_FEATURE_INCONCLUSIVE: return "inconclusive";
    default: return NULL;
    }
}

int feat_bpf(int cmd, union bpf_attr *attr, size_t size)
{
    feat_count();
    return ebpf_sys_bpf_fd(cmd, attr, size);
}

static uint32_t kernel_version_code(void)
{
    /* Only kprobe loads before 5.0 check it; after, it is ignored. */
    struct utsname u;
    unsigned a = 0, b = 0, c = 0;
    if (uname(&u) == 0)
        sscanf(u.release, "%u.%u.%u", &a, &b, &c);
    return (a << 16) | (b << 8) | (c > 255 ? 255 : c);
}

int feat_prog_load(const struct feat_load *l)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.prog_type = (uint32_t)l->type;
    a.insns = ebpf_ptr(l->insns);
    a.insn_cnt = (uint32_t)l->insn_cnt;
    a.license = ebpf_ptr("GPL");
    a.kern_version = kernel_version_code();
    a.prog_flags = l->flags;
    a.expected_attach_type = (uint32_t)l->expected_attach_type;
    a.attach_btf_id = l->attach_btf_id;
    if (l->log && l->log_size) {
        l->log[0] = 0;
        a.log_buf = ebpf_ptr(l->log);
        a.log_size = l->log_size;
        a.log_level = 1;
    }
    size_t size = EBPF_ATTR_SIZE(attach_btf_obj_fd);
    if (l->fd_array) {
        a.fd_array = ebpf_ptr(l->fd_array);
        size = EBPF_ATTR_SIZE(fd_array);
    }
    return feat_bpf(BPF_PROG_LOAD, &a, size);
}

void feat_prog_params(int type, int *eat, uint32_t *flags, int *needs_target)
{
    *eat = 0;
    *flags = 0;
    *needs_target = 0;
    switch (type) {
    case BPF_PROG_TYPE_CGROUP_SOCK_ADDR: *eat = BPF_CGROUP_INET4_CONNECT; break;
    case BPF_PROG_TYPE_CGROUP_SOCKOPT: *eat = BPF_CGROUP_GETSOCKOPT; break;
    case BPF_PROG_TYPE_SK_LOOKUP: *eat = BPF_SK_LOOKUP; break;
    case BPF_PROG_TYPE_SYSCALL: *flags = BPF_F_SLEEPABLE; break;
    case UAPI_PROG_NETFILTER: *eat = UAPI_ATTACH_NETFILTER; break;
    case BPF_PROG_TYPE_TRACING: *eat = BPF_TRACE_FENTRY; *needs_target = 1; break;
    case BPF_PROG_TYPE_LSM: *eat = BPF_LSM_MAC; *needs_target = 1; break;
    case BPF_PROG_TYPE_EXT:
    case BPF_PROG_TYPE_STRUCT_OPS: *needs_target = 1; break;
    default: break;
    }
}

/* Lines the verifier appends after the actual complaint. */
static int stats_line(const char *s, size_t n)
{
    static const char *const prefixes[] = {"processed ", "verification time", "stack depth", NULL};
    for (int i = 0; prefixes[i]; i++) {
        size_t pl = strlen(prefixes[i]);
        if (n >= pl && !strncmp(s, prefixes[i], pl))
            return 1;
    }
    return 0;
}

uint32_t feat_attach_target(int type)
{
    /* Functions the kernel keeps for exactly this (tests of fentry and
     * LSM attachment); looked up once. Called with the lock held. */
    static uint32_t tracing_id, lsm_id;
    static int tracing_done, lsm_done;
    if (type == BPF_PROG_TYPE_TRACING) {
        if (!tracing_done) {
            tracing_done = 1;
            if (feat_vmlinux_func("bpf_fentry_test1", &tracing_id) < 0)
                tracing_id = 0;
        }
        return tracing_id;
    }
    if (type == BPF_PROG_TYPE_LSM) {
        if (!lsm_done) {
            lsm_done = 1;
            if (feat_vmlinux_func("bpf_lsm_file_open", &lsm_id) < 0)
                lsm_id = 0;
        }
        return lsm_id;
    }
    return 0;
}

const char *feat_log_last_line(const char *log, char *buf, size_t size)
{
    buf[0] = 0;
    if (!log)
        return buf;
    size_t end = strlen(log);
    for (;;) {
        while (end > 0 && (log[end - 1] == '\n' || log[end - 1] == ' '))
            end--;
        if (end == 0)
            return buf;
        size_t start = end;
        while (start > 0 && log[start - 1] != '\n')
            start--;
        if (!stats_line(log + start, end - start)) {
            size_t n = end - start < size - 1 ? end - start : size - 1;
            memcpy(buf, log + start, n);
            buf[n] = 0;
            return buf;
        }
        if (start == 0) { /* only statistics: no complaint to quote */
            snprintf(buf, size, "(no message)");
            return buf;
        }
        end = start;
    }
}

/* ---- type tables, including types newer than the build's headers ---- */

struct extra { const char *name; int value; };
static const struct extra prog_extras[] = { {"netfilter", UAPI_PROG_NETFILTER} };
static const struct extra map_extras[] = {
    {"cgrp_storage", FEAT_MAP_TYPE_CGRP_STORAGE},
    {"arena", FEAT_MAP_TYPE_ARENA},
};

static const char *type_at(const char *(*table_at)(int, int *), const struct extra *ex, int nex, int i, int *value)
{
    int n = 0;
    while (table_at(n, NULL))
        n++;
    if (i < n)
        return table_at(i, value);
    /* Extras the iterated table does not list; skip those it does. */
    for (int j = 0, k = n; j < nex; j++) {
        int listed = 0, v;
        for (int m = 0; m < n && !listed; m++)
            listed = table_at(m, &v) && v == ex[j].value;
        if (listed)
            continue;
        if (k++ == i) {
            if (value)
                *value = ex[j].value;
            return ex[j].name;
        }
    }
    return NULL;
}

#define NEXTRA(a) ((int)(sizeof(a) / sizeof((a)[0])))

const char *ebpf_feature_prog_type_at(int i, int *value)
{
    return type_at(ebpf_prog_type_at, prog_extras, NEXTRA(prog_extras), i, value);
}

const char *ebpf_feature_map_type_at(int i, int *value)
{
    return type_at(ebpf_map_type_at, map_extras, NEXTRA(map_extras), i, value);
}

static int by_name(const char *(*at)(int, int *), const char *name)
{
    const char *n;
    int v;
    for (int i = 0; name && (n = at(i, &v)); i++)
        if (!strcmp(n, name))
            return v;
    return -1;
}

int ebpf_feature_prog_type_by_name(const char *name) { return by_name(ebpf_feature_prog_type_at, name); }
int ebpf_feature_map_type_by_name(const char *name) { return by_name(ebpf_feature_map_type_at, name); }

static const char *name_of(const char *(*at)(int, int *), int value)
{
    const char *n;
    int v;
    for (int i = 0; (n = at(i, &v)); i++)
        if (v == value)
            return n;
    return NULL;
}

/* ---- program types ---- */

#define INSN(op, d, s, o, i) ((struct bpf_insn){.code = (op), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i)})
#define MOV64_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static struct feat_result prog_cache[MAX_TYPES];

static int probe_prog_type(int type, const char **reason)
{
    int eat, needs_target;
    uint32_t flags;
    feat_prog_params(type, &eat, &flags, &needs_target);
    struct bpf_insn insns[] = { MOV64_IMM(0, 0), EXIT() };
    char *log = calloc(1, LOG_SIZE); /* zeroed: checkers cannot see the kernel write */
    struct feat_load l = {.type = type, .expected_attach_type = eat, .flags = flags, .insns = insns,
                          .insn_cnt = 2, .log = log, .log_size = log ? LOG_SIZE : 0};
    int fd = feat_prog_load(&l);
    struct feat_result *r = &prog_cache[type];
    char line[160], buf[256];
    int st;
    if (fd >= 0) {
        close(fd);
        st = feat_set(r, EBPF_FEATURE_SUPPORTED, "", 0);
    } else if (fd == -EPERM || fd == -EACCES) {
        st = feat_set(r, EBPF_FEATURE_INCONCLUSIVE, feat_eperm_reason, 0);
    } else if ((fd == -EINVAL || fd == -FEAT_ENOTSUPP) && log && log[0] && needs_target) {
        /* The verifier ran and asked for the attach target: the kernel
         * knows the type. */
        snprintf(buf, sizeof(buf), "type known; loads need an attach target (verifier: %s)",
                 feat_log_last_line(log, line, sizeof(line)));
        st = feat_set(r, EBPF_FEATURE_SUPPORTED, buf, 1);
    } else if (fd == -EINVAL && !(log && log[0])) {
        st = feat_set(r, EBPF_FEATURE_UNSUPPORTED,
                      "kernel rejects the type before verification (EINVAL, no verifier log)", 0);
    } else if (fd == -EINVAL) {
        snprintf(buf, sizeof(buf), "verifier rejected a trivial program: %s",
                 feat_log_last_line(log, line, sizeof(line)));
        st = feat_set(r, EBPF_FEATURE_INCONCLUSIVE, buf, 1);
    } else if (fd == -E2BIG) {
        st = feat_set(r, EBPF_FEATURE_UNSUPPORTED,
                      "kernel's bpf_attr predates the fields this type needs (E2BIG)", 0);
    } else if (fd == -EOPNOTSUPP || fd == -FEAT_ENOTSUPP) {
        st = feat_set(r, EBPF_FEATURE_UNSUPPORTED, "not supported by this kernel build (EOPNOTSUPP)", 0);
    } else {
        snprintf(buf, sizeof(buf), "load failed: %s (%s)", strerror(-fd), ebpf_errno_name(-fd));
        st = feat_set(r, EBPF_FEATURE_INCONCLUSIVE, buf, 1);
    }
    free(log);
    if (reason)
        *reason = r->reason;
    return st;
}

int feat_prog_type_known(int type)
{
    return type > 0 && type < MAX_TYPES && name_of(ebpf_feature_prog_type_at, type);
}

static int check_prog_type(int type)
{
    if (!feat_prog_type_known(type))
        return ebpf_err(EINVAL, "probe", "feature probe: unknown program type %d", type);
    return 0;
}

int ebpf_feature_prog_type(int type, const char **reason)
{
    int r = check_prog_type(type);
    if (r < 0)
        return r;
    feat_lock();
    int st = feat_get(&prog_cache[type], reason);
    if (st < 0)
        st = probe_prog_type(type, reason);
    feat_unlock();
    return st;
}

/* ---- map types ---- */

struct map_probe {
    uint32_t key, value, max, flags;
    uint64_t extra;
    int inner;    /* needs an inner map template */
    int btf;      /* 1: BTF for key and value (local storage); 2: a BTF fd only */
    int numa;
    uint32_t vmlinux_value_type_id; /* struct_ops */
    const char *inconclusive; /* cannot be decided by a plain create */
};

static int page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? (int)p : 4096;
}

static struct map_probe map_params(int type)
{
    struct map_probe p = {.key = 4, .value = 4, .max = 1};
    switch (type) {
    case BPF_MAP_TYPE_STACK_TRACE: p.value = 8; break;
    case BPF_MAP_TYPE_LPM_TRIE: p.key = 8; p.flags = BPF_F_NO_PREALLOC; break;
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
    case BPF_MAP_TYPE_HASH_OF_MAPS: p.inner = 1; break;
    case BPF_MAP_TYPE_CGROUP_STORAGE:
    case BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
        p.key = sizeof(struct bpf_cgroup_storage_key);
        p.max = 0;
        break;
    case BPF_MAP_TYPE_QUEUE:
    case BPF_MAP_TYPE_STACK:
    case BPF_MAP_TYPE_BLOOM_FILTER: p.key = 0; break;
    case BPF_MAP_TYPE_SK_STORAGE:
    case BPF_MAP_TYPE_INODE_STORAGE:
    case BPF_MAP_TYPE_TASK_STORAGE:
    case FEAT_MAP_TYPE_CGRP_STORAGE:
        p.max = 0;
        p.flags = BPF_F_NO_PREALLOC;
        p.btf = 1;
        break;
    case BPF_MAP_TYPE_RINGBUF:
    case BPF_MAP_TYPE_USER_RINGBUF:
        p.key = p.value = 0;
        p.max = (uint32_t)page_size(); /* a power-of-2 multiple of the page size */
        break;
    case FEAT_MAP_TYPE_ARENA:
        p.key = p.value = 0;
        p.max = 1; /* pages */
        p.flags = BPF_F_MMAPABLE;
        break;
    case BPF_MAP_TYPE_STRUCT_OPS: {
        /* The value is the kernel's wrapper of a struct_ops type; an
         * unknown map type gives the same EINVAL as a bad one, so only a
         * well-formed request decides. */
        static const char *const wrappers[] = {"bpf_struct_ops_tcp_congestion_ops",
                                               "bpf_struct_ops_bpf_dummy_ops", NULL};
        p.inconclusive = "needs a struct_ops value type from vmlinux BTF, and none was found";
        for (int i = 0; wrappers[i]; i++) {
            uint32_t id, size;
            if (feat_vmlinux_struct(wrappers[i], &id, &size) == 0) {
                p.value = size;
                p.vmlinux_value_type_id = id;
                p.btf = 2; /* the kernel wants some BTF fd, even unused */
                p.inconclusive = NULL;
                break;
            }
        }
        break;
    }
    default: break;
    }
    return p;
}

static int map_create(int type, const struct map_probe *p, int inner_fd, int btf_fd)
{
    union bpf_attr a;
    memset(&a, 0, sizeof(a));
    a.map_type = (uint32_t)type;
    a.key_size = p->key;
    a.value_size = p->value;
    a.max_entries = p->max;
    a.map_flags = p->flags;
    a.map_extra = p->extra;
    a.btf_vmlinux_value_type_id = p->vmlinux_value_type_id;
    if (inner_fd >= 0)
        a.inner_map_fd = (uint32_t)inner_fd;
    if (btf_fd >= 0) {
        a.btf_fd = (uint32_t)btf_fd;
        if (p->btf == 1) {
            a.btf_key_type_id = 1;
            a.btf_value_type_id = 1;
        }
    }
    /* map_extra (5.16) only when used, so older kernels take the call. */
    size_t size = p->extra ? EBPF_ATTR_SIZE(map_extra) : EBPF_ATTR_SIZE(btf_vmlinux_value_type_id);
    return feat_bpf(BPF_MAP_CREATE, &a, size);
}

static int array_fd(void)
{
    struct map_probe p = {.key = 4, .value = 4, .max = 1};
    return map_create(BPF_MAP_TYPE_ARRAY, &p, -1, -1);
}

static int classify_map(struct feat_result *r, int fd, const char *what)
{
    char buf[256];
    if (fd >= 0) {
        close(fd);
        return feat_set(r, EBPF_FEATURE_SUPPORTED, "", 0);
    }
    switch (-fd) {
    case EPERM:
    case EACCES: return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, feat_eperm_reason, 0);
    case EINVAL:
        snprintf(buf, sizeof(buf), "kernel rejects the %s (EINVAL)", what);
        return feat_set(r, EBPF_FEATURE_UNSUPPORTED, buf, 1);
    case E2BIG:
        return feat_set(r, EBPF_FEATURE_UNSUPPORTED, "kernel's bpf_attr predates a field it needs (E2BIG)", 0);
    case EOPNOTSUPP:
    case FEAT_ENOTSUPP:
        return feat_set(r, EBPF_FEATURE_UNSUPPORTED, "not supported by this kernel build (EOPNOTSUPP)", 0);
    default:
        snprintf(buf, sizeof(buf), "create failed: %s (%s)", strerror(-fd), ebpf_errno_name(-fd));
        return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, buf, 1);
    }
}

static struct feat_result map_cache[MAX_TYPES];

static int probe_map_type(int type)
{
    struct feat_result *r = &map_cache[type];
    struct map_probe p = map_params(type);
    if (p.inconclusive)
        return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, p.inconclusive, 0);
    int inner = -1, btf = -1;
    char buf[256];
    if (p.inner && (inner = array_fd()) < 0) {
        snprintf(buf, sizeof(buf), "cannot create the inner map template: %s", strerror(-inner));
        return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, buf, 1);
    }
    if (p.btf && (btf = feat_btf_int_fd()) < 0) {
        if (inner >= 0)
            close(inner);
        snprintf(buf, sizeof(buf), "needs BTF, and loading BTF failed: %s", strerror(-btf));
        return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, buf, 1);
    }
    int fd = map_create(type, &p, inner, btf);
    if (inner >= 0)
        close(inner);
    if (btf >= 0)
        close(btf);
    return classify_map(r, fd, "map type");
}

int ebpf_feature_map_type(int type, const char **reason)
{
    if (type <= 0 || type >= MAX_TYPES || !name_of(ebpf_feature_map_type_at, type))
        return ebpf_err(EINVAL, "probe", "feature probe: unknown map type %d", type);
    feat_lock();
    int st = feat_get(&map_cache[type], reason);
    if (st < 0) {
        st = probe_map_type(type);
        if (reason)
            *reason = map_cache[type].reason;
    }
    feat_unlock();
    return st;
}

/* ---- map flags ---- */

static struct feat_result flag_cache[32];

static int probe_map_flag(unsigned int flag, struct feat_result *r)
{
    int type = BPF_MAP_TYPE_ARRAY;
    struct map_probe p = {.key = 4, .value = 4, .max = 1, .flags = flag};
    int btf = -1;
    switch (flag) {
    case BPF_F_NO_PREALLOC:
    case BPF_F_ZERO_SEED:
    case BPF_F_NUMA_NODE: type = BPF_MAP_TYPE_HASH; break;
    case BPF_F_NO_COMMON_LRU: type = BPF_MAP_TYPE_LRU_HASH; break;
    case BPF_F_STACK_BUILD_ID:
        type = BPF_MAP_TYPE_STACK_TRACE;
        p.value = sizeof(struct bpf_stack_build_id);
        break;
    case BPF_F_PRESERVE_ELEMS: type = BPF_MAP_TYPE_PERF_EVENT_ARRAY; break;
    case BPF_F_CLONE:
        type = BPF_MAP_TYPE_SK_STORAGE;
        p.max = 0;
        p.flags |= BPF_F_NO_PREALLOC;
        p.btf = 1;
        if ((btf = feat_btf_int_fd()) < 0)
            return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, "needs BTF, and loading BTF failed", 0);
        break;
    default: break;
    }
    int fd = map_create(type, &p, -1, btf);
    if (btf >= 0)
        close(btf);
    return classify_map(r, fd, "flag");
}

int ebpf_feature_map_flag(unsigned int flag, const char **reason)
{
    int bit = -1;
    unsigned int b;
    for (int i = 0; ebpf_map_flag_at(i, &b); i++)
        if (b == flag)
            bit = __builtin_ctz(flag);
    if (bit < 0)
        return ebpf_err(EINVAL, "probe", "feature probe: unknown map flag 0x%x", flag);
    feat_lock();
    int st = feat_get(&flag_cache[bit], reason);
    if (st < 0) {
        st = probe_map_flag(flag, &flag_cache[bit]);
        if (reason)
            *reason = flag_cache[bit].reason;
    }
    feat_unlock();
    return st;
}

/* ---- helpers per program type ---- */

static int nhelpers;

static int probe_helper(int type, int id, struct feat_result *r)
{
    const char *why;
    int pst = feat_get(&prog_cache[type], &why);
    if (pst < 0)
        pst = probe_prog_type(type, &why);
    if (pst == EBPF_FEATURE_UNSUPPORTED)
        return feat_set(r, EBPF_FEATURE_UNSUPPORTED, "program type not supported", 0);
    if (pst == EBPF_FEATURE_INCONCLUSIVE)
        return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, why, 0);
    int eat, needs_target;
    uint32_t flags;
    feat_prog_params(type, &eat, &flags, &needs_target);
    uint32_t target = needs_target ? feat_attach_target(type) : 0;
    if (needs_target && !target)
        return feat_set(r, EBPF_FEATURE_INCONCLUSIVE,
                        "program type needs an attach target before the verifier looks at calls", 0);
    /* The verifier resolves the helper before it checks the arguments, so
     * any later complaint (uninitialised r1, ...) means it exists. */
    struct bpf_insn insns[] = { INSN(BPF_JMP | BPF_CALL, 0, 0, 0, id), MOV64_IMM(0, 0), EXIT() };
    char *log = calloc(1, LOG_SIZE); /* zeroed: checkers cannot see the kernel write */
    struct feat_load l = {.type = type, .expected_attach_type = eat, .flags = flags, .insns = insns,
                          .insn_cnt = 3, .attach_btf_id = target, .log = log, .log_size = log ? LOG_SIZE : 0};
    int fd = feat_prog_load(&l);
    char line[160], buf[256];
    int st;
    if (fd >= 0) {
        close(fd);
        st = feat_set(r, EBPF_FEATURE_SUPPORTED, "", 0);
    } else if (target && (fd == -EPERM || fd == -EACCES) && !(log && log[0])) {
        st = feat_set(r, EBPF_FEATURE_INCONCLUSIVE, feat_eperm_reason, 0);
    } else if (log && (strstr(log, "invalid func ") || strstr(log, "unknown func ") ||
                       strstr(log, "cannot use helper") || strstr(log, "cannot call helper"))) {
        st = feat_set(r, EBPF_FEATURE_UNSUPPORTED, feat_log_last_line(log, line, sizeof(line)), 1);
    } else if (log && strstr(log, "might sleep")) {
        st = feat_set(r, EBPF_FEATURE_SUPPORTED, "in sleepable programs only", 0);
    } else if (log && log[0]) {
        /* Rejected later, for its arguments (EACCES "R1 !read_ok"). */
        st = feat_set(r, EBPF_FEATURE_SUPPORTED, "", 0);
    } else if (fd == -EPERM || fd == -EACCES) {
        st = feat_set(r, EBPF_FEATURE_INCONCLUSIVE, feat_eperm_reason, 0);
    } else {
        snprintf(buf, sizeof(buf), "load failed without a verifier log: %s (%s)", strerror(-fd),
                 ebpf_errno_name(-fd));
        st = feat_set(r, EBPF_FEATURE_INCONCLUSIVE, buf, 1);
    }
    free(log);
    return st;
}

int ebpf_feature_helper(int type, int id, const char **reason)
{
    int r = check_prog_type(type);
    if (r < 0)
        return r;
    if (id <= 0 || !ebpf_helper_name(id))
        return ebpf_err(EINVAL, "probe", "feature probe: unknown helper id %d", id);
    feat_lock();
    if (!helper_cache) {
        nhelpers = ebpf_helper_count();
        helper_cache = calloc((size_t)MAX_TYPES * (size_t)nhelpers, sizeof(*helper_cache));
        if (!helper_cache) {
            feat_unlock();
            return ebpf_err(ENOMEM, "probe", "feature probe: out of memory");
        }
    }
    struct feat_result *c = &helper_cache[type * nhelpers + id];
    int st = feat_get(c, reason);
    if (st < 0) {
        st = probe_helper(type, id, c);
        if (reason)
            *reason = c->reason;
    }
    feat_unlock();
    return st;
}

/* ---- named features ---- */

/* Loads a socket filter and classifies: EINVAL with a log = the verifier
 * does not know the instructions. */
static int probe_insns(struct feat_result *r, const struct bpf_insn *insns, int n, const char *what)
{
    char *log = calloc(1, LOG_SIZE); /* zeroed: checkers cannot see the kernel write */
    struct feat_load l = {.type = BPF_PROG_TYPE_SOCKET_FILTER, .insns = insns, .insn_cnt = n, .log = log,
                          .log_size = log ? LOG_SIZE : 0};
    int fd = feat_prog_load(&l);
    char line[160], buf[256];
    int st;
    if (fd >= 0) {
        close(fd);
        st = feat_set(r, EBPF_FEATURE_SUPPORTED, "", 0);
    } else if (fd == -EPERM || fd == -EACCES) {
        st = feat_set(r, EBPF_FEATURE_INCONCLUSIVE, feat_eperm_reason, 0);
    } else if (fd == -EINVAL && log && log[0]) {
        snprintf(buf, sizeof(buf), "verifier rejects %s: %s", what, feat_log_last_line(log, line, sizeof(line)));
        st = feat_set(r, EBPF_FEATURE_UNSUPPORTED, buf, 1);
    } else {
        snprintf(buf, sizeof(buf), "load failed: %s (%s)", strerror(-fd), ebpf_errno_name(-fd));
        st = feat_set(r, EBPF_FEATURE_INCONCLUSIVE, buf, 1);
    }
    free(log);
    return st;
}

static int misc_bounded_loops(struct feat_result *r)
{
    struct bpf_insn insns[] = {
        MOV64_IMM(0, 0),
        INSN(BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 0, 1),
        INSN(BPF_JMP | BPF_JLT | BPF_K, 0, 0, -2, 4), /* back-edge */
        EXIT(),
    };
    return probe_insns(r, insns, 4, "a bounded loop (back-edge)");
}

static int misc_isa_v2(struct feat_result *r)
{
    struct bpf_insn insns[] = { MOV64_IMM(0, 0), INSN(BPF_JMP | BPF_JLT | BPF_K, 0, 0, 0, 1), EXIT() };
    return probe_insns(r, insns, 3, "JLT (ISA v2)");
}

static int misc_isa_v3(struct feat_result *r)
{
    struct bpf_insn insns[] = {
        INSN(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, 0),
        INSN(BPF_JMP32 | BPF_JLT | BPF_K, 0, 0, 0, 1),
        EXIT(),
    };
    return probe_insns(r, insns, 3, "JMP32 (ISA v3)");
}

static int misc_isa_v4(struct feat_result *r)
{
    struct bpf_insn insns[] = {
        MOV64_IMM(1, 0),
        INSN(BPF_ALU64 | BPF_MOV | BPF_X, 0, 1, 8, 0),  /* r0 = (s8)r1 */
        INSN(BPF_ALU64 | BPF_END | BPF_TO_LE, 0, 0, 0, 16), /* r0 = bswap16 r0 */
        MOV64_IMM(0, 0),
        EXIT(),
    };
    return probe_insns(r, insns, 5, "MOVSX/BSWAP (ISA v4)");
}

static int misc_global_data(struct feat_result *r)
{
    int m = array_fd();
    if (m < 0)
        return classify_map(r, m, "array map");
    struct bpf_insn insns[] = {
        INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_VALUE, 0, m), INSN(0, 0, 0, 0, 0),
        INSN(BPF_ST | BPF_MEM | BPF_W, 1, 0, 0, 42),
        MOV64_IMM(0, 0),
        EXIT(),
    };
    int st = probe_insns(r, insns, 5, "a direct map value reference (global data)");
    close(m);
    return st;
}

/* Result of a feature decided by another probe (st < 0: that probe failed). */
static int copy_result(struct feat_result *r, int st, const char *why)
{
    if (st < 0)
        return feat_set(r, EBPF_FEATURE_INCONCLUSIVE, "probe failed", 0);
    if (why == forced_reason) { /* not cached: lifting the override brings the probe back */
        r->reason = why;
        return st;
    }
    return feat_set(r, st, why, 0);
}

static int misc_bpf_cookie(struct feat_result *r)
{
    const char *why;
    feat_unlock(); /* the helper probe takes the lock itself */
    int st = ebpf_feature_helper(BPF_PROG_TYPE_TRACEPOINT, BPF_FUNC_get_attach_cookie, &why);
    feat_lock();
    return copy_result(r, st, why);
}

static int misc_ringbuf(struct feat_result *r)
{
    const char *why;
    feat_unlock();
    int st = ebpf_feature_map_type(BPF_MAP_TYPE_RINGBUF, &why);
    feat_lock();
    return copy_result(r, st, why);
}

static int misc_mmapable(struct feat_result *r)
{
    const char *why;
    feat_unlock();
    int st = ebpf_feature_map_flag(BPF_F_MMAPABLE, &why);
    feat_lock();
    return copy_result(r, st, why);
}

static int misc_btf(struct feat_result *r)
{
    const char *why;
    feat_unlock();
    int st = ebpf_feature_btf_kind(BTF_KIND_INT, &why);
    feat_lock();
    return copy_result(r, st, why);
}

static int misc_vmlinux_btf(struct feat_result *r)
{
    if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
        return feat_set(r, EBPF_FEATURE_SUPPORTED, "", 0);
    return feat_set(r, EBPF_FEATURE_UNSUPPORTED,
                    "/sys/kernel/btf/vmlinux is missing (kernel built without CONFIG_DEBUG_INFO_BTF): "
                    "CO-RE and BTF-typed programs need an external BTF file", 0);
}

int feat_btf_func_global(struct feat_result *r); /* btf_probe.c */
int feat_misc_streams(struct feat_result *r);    /* cmd_probe.c */
int feat_misc_token(struct feat_result *r);
int feat_misc_ldimm64_full_range_off(struct feat_result *r);

struct misc { const char *name; int (*probe)(struct feat_result *); };
static const struct misc miscs[] = {
    {"bounded_loops", misc_bounded_loops},
    {"isa_v2", misc_isa_v2},
    {"isa_v3", misc_isa_v3},
    {"isa_v4", misc_isa_v4},
    {"global_data", misc_global_data},
    {"bpf_cookie", misc_bpf_cookie},
    {"ringbuf", misc_ringbuf},
    {"mmapable_maps", misc_mmapable},
    {"btf", misc_btf},
    {"btf_func_global", feat_btf_func_global},
    {"vmlinux_btf", misc_vmlinux_btf},
    {"streams", feat_misc_streams},
    {"token", feat_misc_token},
    {"ldimm64_full_range_off", feat_misc_ldimm64_full_range_off},
};
#define NMISC ((int)(sizeof(miscs) / sizeof(miscs[0])))
static struct feat_result misc_cache[NMISC];

const char *ebpf_feature_misc_at(int i)
{
    return i >= 0 && i < NMISC ? miscs[i].name : NULL;
}

int ebpf_feature_misc(const char *name, const char **reason)
{
    for (int i = 0; name && i < NMISC; i++) {
        if (strcmp(miscs[i].name, name))
            continue;
        feat_lock();
        int st = feat_get(&misc_cache[i], reason);
        if (st < 0) {
            st = miscs[i].probe(&misc_cache[i]);
            if (reason)
                *reason = misc_cache[i].reason;
        }
        feat_unlock();
        return st;
    }
    return ebpf_err(EINVAL, "probe", "feature probe: unknown feature '%s'", name ? name : "(null)");
}

/* ---- overrides ---- */

static struct feat_result *misc_slot(const char *name)
{
    for (int i = 0; i < NMISC; i++)
        if (!strcmp(miscs[i].name, name))
            return &misc_cache[i];
    return NULL;
}

int ebpf_feature_override(const char *kind, const char *name, int status)
{
    if (!kind || !name)
        return ebpf_err(EINVAL, "probe", "feature override: kind and name are required");
    if (status < -1 || status > EBPF_FEATURE_INCONCLUSIVE)
        return ebpf_err(EINVAL, "probe", "feature override: invalid status %d", status);
    /* The kinds the library's fallbacks ask; misc features derived from
     * them (copy_result) never cache a forced answer. */
    struct feat_result *r;
    if (!strcmp(kind, "btf_kind"))
        r = feat_btf_kind_slot(name);
    else if (!strcmp(kind, "link"))
        r = feat_link_slot(name);
    else if (!strcmp(kind, "misc"))
        r = misc_slot(name);
    else
        return ebpf_err(EINVAL, "probe", "feature override: '%s' probes can't be overridden (only btf_kind, link, "
                                         "misc)", kind);
    if (!r)
        return ebpf_err(EINVAL, "probe", "feature override: unknown %s '%s'", kind, name);
    feat_lock();
    r->forced = (unsigned char)(status + 1);
    feat_unlock();
    return 0;
}
