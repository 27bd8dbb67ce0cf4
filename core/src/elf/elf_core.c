/* CO-RE: adjusting field offsets/sizes, type and enum facts recorded by
 * clang (.BTF.ext core relocations) to the running kernel's BTF. A
 * relocation that has no match poisons its instruction (a call to an
 * invalid helper) so only an executed failure is a verifier error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebtf.h"
#include "elf_core.h"
#include "error_internal.h"

#define MAX_ACC 64

struct acc {
    uint32_t type_id; /* containing type (struct/union/array/enum) */
    uint32_t idx;
    const char *name; /* member or enumerator name, NULL for array index */
};

struct cspec {
    const struct ebpf_btf *b;
    uint32_t root_id;
    struct acc a[MAX_ACC];
    int len;
    int raw[MAX_ACC];
    int nraw;
    uint64_t bit_off;
    uint32_t bit_sz;      /* bitfield size, 0 if not a bitfield */
    uint32_t field_type;  /* type of the accessed field */
};

static const char *const kind_names[] = {
    "byte_off", "byte_sz", "field_exists", "signed", "lshift_u64", "rshift_u64", "local_type_id",
    "target_type_id", "type_exists", "type_size", "enumval_exists", "enumval_value", "type_matches",
};

static bool is_field_kind(uint32_t k) { return k <= BPF_CORE_FIELD_RSHIFT_U64; }
static bool is_enum_kind(uint32_t k) { return k == BPF_CORE_ENUMVAL_EXISTS || k == BPF_CORE_ENUMVAL_VALUE; }

static bool is_composite(const struct btf_type *t)
{
    return t && (ebtf_kind(t) == BTF_KIND_STRUCT || ebtf_kind(t) == BTF_KIND_UNION);
}
static bool is_enum(const struct btf_type *t)
{
    return t && (ebtf_kind(t) == BTF_KIND_ENUM || ebtf_kind(t) == BTF_KIND_ENUM64);
}

/* Enumerator names match up to their ___flavour suffixes. */
static bool enum_name_eq(const char *a, const char *b)
{
    size_t la = ebtf_essential_len(a), lb = ebtf_essential_len(b);
    return la == lb && memcmp(a, b, la) == 0;
}

static int parse_access(const char *s, int *raw, int *n)
{
    *n = 0;
    while (*s) {
        if (*n >= MAX_ACC)
            return -E2BIG;
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 0 || v > 0x7fffffff)
            return -EINVAL;
        raw[(*n)++] = (int)v;
        s = end;
        if (*s == ':')
            s++;
        else if (*s)
            return -EINVAL;
    }
    return *n ? 0 : -EINVAL;
}

/* The local spec: walks the access string over the object's BTF. */
static int local_spec(const struct ebpf_btf *b, const struct bpf_core_relo *r, struct cspec *sp)
{
    memset(sp, 0, sizeof(*sp));
    sp->b = b;
    sp->root_id = r->type_id;
    const char *str = ebtf_str(b, r->access_str_off);
    if (parse_access(str, sp->raw, &sp->nraw) < 0)
        return -EINVAL;
    uint32_t id;
    const struct btf_type *t = ebtf_skip_mods(b, r->type_id, &id);
    if (!t)
        return -EINVAL;
    if (is_enum_kind(r->kind)) {
        if (!is_enum(t) || sp->nraw != 1 || sp->raw[0] >= ebtf_vlen(t))
            return -EINVAL;
        uint32_t noff = ebtf_kind(t) == BTF_KIND_ENUM ? ebtf_enums(t)[sp->raw[0]].name_off
                                                      : ebtf_enums64(t)[sp->raw[0]].name_off;
        sp->a[0] = (struct acc){id, (uint32_t)sp->raw[0], ebtf_str(b, noff)};
        sp->len = 1;
        return 0;
    }
    if (!is_field_kind(r->kind))
        return sp->nraw == 1 && sp->raw[0] == 0 ? 0 : -EINVAL;
    int64_t sz = ebpf_btf_sizeof(b, id);
    if (sz < 0)
        return -EINVAL;
    sp->a[0] = (struct acc){id, (uint32_t)sp->raw[0], NULL};
    sp->len = 1;
    sp->bit_off = (uint64_t)sp->raw[0] * (uint64_t)sz * 8;
    sp->field_type = id;
    for (int i = 1; i < sp->nraw; i++) {
        t = ebtf_skip_mods(b, id, &id);
        if (!t)
            return -EINVAL;
        if (is_composite(t)) {
            if (sp->raw[i] >= ebtf_vlen(t))
                return -EINVAL;
            const struct btf_member *m = &ebtf_members(t)[sp->raw[i]];
            sp->bit_off += ebtf_member_bit_off(t, m);
            sp->bit_sz = ebtf_member_bitfield_size(t, m);
            const char *name = ebtf_str(b, m->name_off);
            if (name[0])
                sp->a[sp->len++] = (struct acc){id, (uint32_t)sp->raw[i], name};
            id = m->type;
        } else if (ebtf_kind(t) == BTF_KIND_ARRAY) {
            const struct btf_array *a = ebtf_array(t);
            int64_t esz = ebpf_btf_sizeof(b, a->type);
            if (esz < 0)
                return -EINVAL;
            sp->a[sp->len++] = (struct acc){id, (uint32_t)sp->raw[i], NULL};
            sp->bit_off += (uint64_t)sp->raw[i] * (uint64_t)esz * 8;
            sp->bit_sz = 0;
            id = a->type;
        } else {
            return -EINVAL;
        }
    }
    sp->field_type = id;
    return 0;
}

static bool names_match(const struct ebpf_btf *lb, const struct btf_type *lt, const struct ebpf_btf *tb,
                        const struct btf_type *tt)
{
    const char *ln = ebtf_str(lb, lt->name_off), *tn = ebtf_str(tb, tt->name_off);
    if (!ln[0] || !tn[0])
        return true;
    size_t a = ebtf_essential_len(ln), c = ebtf_essential_len(tn);
    return a == c && memcmp(ln, tn, a) == 0;
}

/* Field types compatible across BTFs (names already matched above). */
static bool fields_compat(const struct ebpf_btf *lb, uint32_t lid, const struct ebpf_btf *tb, uint32_t tid, int depth)
{
    const struct btf_type *l = ebtf_skip_mods(lb, lid, NULL), *t = ebtf_skip_mods(tb, tid, NULL);
    if (!l || !t || depth > 16)
        return false;
    if (is_composite(l) && is_composite(t))
        return true;
    if (is_enum(l) && is_enum(t))
        return names_match(lb, l, tb, t);
    if (ebtf_kind(l) != ebtf_kind(t))
        return false;
    switch (ebtf_kind(l)) {
    case BTF_KIND_PTR: case BTF_KIND_FLOAT: case BTF_KIND_INT:
        return true;
    case BTF_KIND_FWD:
        return names_match(lb, l, tb, t);
    case BTF_KIND_ARRAY:
        return fields_compat(lb, ebtf_array(l)->type, tb, ebtf_array(t)->type, depth + 1);
    default:
        return false;
    }
}

/* Finds member `name` in composite tid, descending into anonymous
 * members; adds its bit offset. */
static int find_member(const struct ebpf_btf *b, uint32_t tid, const char *name, uint64_t *bit_off,
                       uint32_t *mtype, uint32_t *bsz, int depth)
{
    const struct btf_type *t = ebtf_skip_mods(b, tid, &tid);
    if (!is_composite(t) || depth > 16)
        return 0;
    const struct btf_member *m = ebtf_members(t);
    for (int i = 0; i < ebtf_vlen(t); i++) {
        const char *n = ebtf_str(b, m[i].name_off);
        if (n[0] && strcmp(n, name) == 0) {
            *bit_off += ebtf_member_bit_off(t, &m[i]);
            *mtype = m[i].type;
            *bsz = ebtf_member_bitfield_size(t, &m[i]);
            return 1;
        }
        if (!n[0]) {
            uint64_t sub = *bit_off + ebtf_member_bit_off(t, &m[i]);
            if (find_member(b, m[i].type, name, &sub, mtype, bsz, depth + 1)) {
                *bit_off = sub;
                return 1;
            }
        }
    }
    return 0;
}

/* Matches the local spec against a target root type; fills the target
 * spec's offsets. Returns 1 on match, 0 if not. */
static int match_field(const struct cspec *ls, const struct ebpf_btf *tb, uint32_t troot, struct cspec *ts)
{
    memset(ts, 0, sizeof(*ts));
    ts->b = tb;
    ts->root_id = troot;
    int64_t sz = ebpf_btf_sizeof(tb, troot);
    if (sz < 0)
        return 0;
    ts->bit_off = (uint64_t)ls->a[0].idx * (uint64_t)sz * 8;
    uint32_t id = troot;
    for (int i = 1; i < ls->len; i++) {
        const struct btf_type *t = ebtf_skip_mods(tb, id, &id);
        if (!t)
            return 0;
        if (ls->a[i].name) {
            uint32_t mt, bsz;
            if (!is_composite(t) || !find_member(tb, id, ls->a[i].name, &ts->bit_off, &mt, &bsz, 0))
                return 0;
            /* type of the local member at this step */
            const struct btf_type *lt = ebtf_type(ls->b, ls->a[i].type_id);
            uint32_t lmt = ebtf_members(lt)[ls->a[i].idx].type;
            if (!fields_compat(ls->b, lmt, tb, mt, 0))
                return 0;
            ts->bit_sz = bsz;
            id = mt;
        } else {
            if (ebtf_kind(t) != BTF_KIND_ARRAY)
                return 0;
            const struct btf_array *a = ebtf_array(t);
            if (a->nelems && ls->a[i].idx >= a->nelems)
                return 0;
            int64_t esz = ebpf_btf_sizeof(tb, a->type);
            if (esz < 0)
                return 0;
            ts->bit_off += (uint64_t)ls->a[i].idx * (uint64_t)esz * 8;
            ts->bit_sz = 0;
            id = a->type;
        }
    }
    ts->field_type = id;
    return 1;
}

/* A simplified "types match": same kind, and for composites every
 * local member exists in the target with a compatible type. */
static bool types_match(const struct ebpf_btf *lb, uint32_t lid, const struct ebpf_btf *tb, uint32_t tid)
{
    const struct btf_type *l = ebtf_skip_mods(lb, lid, &lid), *t = ebtf_skip_mods(tb, tid, &tid);
    if (!l || !t)
        return false;
    if (is_enum(l) && is_enum(t)) {
        for (int i = 0; i < ebtf_vlen(l); i++) {
            const char *n = ebtf_str(lb, ebtf_kind(l) == BTF_KIND_ENUM ? ebtf_enums(l)[i].name_off
                                                                       : ebtf_enums64(l)[i].name_off);
            bool found = false;
            for (int k = 0; k < ebtf_vlen(t) && !found; k++)
                found = enum_name_eq(n, ebtf_str(tb, ebtf_kind(t) == BTF_KIND_ENUM ? ebtf_enums(t)[k].name_off
                                                                             : ebtf_enums64(t)[k].name_off));
            if (!found)
                return false;
        }
        return true;
    }
    if (ebtf_kind(l) != ebtf_kind(t))
        return false;
    if (is_composite(l)) {
        const struct btf_member *m = ebtf_members(l);
        for (int i = 0; i < ebtf_vlen(l); i++) {
            const char *n = ebtf_str(lb, m[i].name_off);
            uint64_t bo = 0;
            uint32_t mt, bsz;
            if (n[0] && (!find_member(tb, tid, n, &bo, &mt, &bsz, 0) || !fields_compat(lb, m[i].type, tb, mt, 0)))
                return false;
        }
        return true;
    }
    if (ebtf_kind(l) == BTF_KIND_INT)
        return l->size == t->size;
    return fields_compat(lb, lid, tb, tid, 0);
}

static bool int_signed(const struct ebpf_btf *b, uint32_t id)
{
    const struct btf_type *t = ebtf_skip_mods(b, id, NULL);
    if (!t)
        return false;
    if (ebtf_kind(t) == BTF_KIND_INT)
        return BTF_INT_ENCODING(*(const uint32_t *)(t + 1)) & BTF_INT_SIGNED;
    if (is_enum(t))
        return BTF_INFO_KFLAG(t->info);
    return false;
}

/* Value of a field relocation from a (local or target) spec. */
static int field_value(const struct cspec *sp, uint32_t kind, uint64_t *val, uint32_t *mem_sz)
{
    int64_t fsz = ebpf_btf_sizeof(sp->b, sp->field_type);
    if (fsz < 0)
        return -EINVAL;
    uint32_t byte_sz = (uint32_t)fsz, bit_sz = sp->bit_sz;
    uint64_t byte_off;
    if (!bit_sz) {
        byte_off = sp->bit_off / 8;
        bit_sz = byte_sz * 8;
    } else {
        if (byte_sz == 0 || byte_sz > 8)
            return -EINVAL;
        byte_off = sp->bit_off / 8 / byte_sz * byte_sz;
        while (sp->bit_off + bit_sz - byte_off * 8 > byte_sz * 8) {
            if (byte_sz >= 8)
                return -EINVAL;
            byte_sz *= 2;
            byte_off = sp->bit_off / 8 / byte_sz * byte_sz;
        }
    }
    *mem_sz = byte_sz;
    switch (kind) {
    case BPF_CORE_FIELD_BYTE_OFFSET: *val = byte_off; break;
    case BPF_CORE_FIELD_BYTE_SIZE: *val = byte_sz; break;
    case BPF_CORE_FIELD_EXISTS: *val = 1; break;
    case BPF_CORE_FIELD_SIGNED: *val = int_signed(sp->b, sp->field_type); break;
    case BPF_CORE_FIELD_LSHIFT_U64: *val = 64 - (sp->bit_off + bit_sz - byte_off * 8); break;
    case BPF_CORE_FIELD_RSHIFT_U64: *val = 64 - bit_sz; break;
    default: return -EINVAL;
    }
    return 0;
}

struct cand_ctx {
    const struct ebpf_btf *lb, *tb;
    const struct bpf_core_relo *r;
    const struct cspec *ls;
    int lkind;
    bool found;
    uint64_t val;
    uint32_t mem_sz;
    int err;
};

static int try_cand(struct cand_ctx *x, uint32_t id)
{
    const struct btf_type *t = ebtf_type(x->tb, id);
    int k = ebtf_kind(t);
    bool kind_ok = k == x->lkind || (x->lkind == BTF_KIND_ENUM && k == BTF_KIND_ENUM64) ||
                   (x->lkind == BTF_KIND_ENUM64 && k == BTF_KIND_ENUM);
    if (!kind_ok)
        return 0;
    uint64_t v = 0;
    uint32_t msz = 0;
    uint32_t kind = x->r->kind;
    if (is_field_kind(kind)) {
        struct cspec ts;
        if (!match_field(x->ls, x->tb, id, &ts))
            return 0;
        if (field_value(&ts, kind, &v, &msz) < 0)
            return 0;
    } else if (is_enum_kind(kind)) {
        const char *want = x->ls->a[0].name;
        bool hit = false;
        for (int i = 0; i < ebtf_vlen(t) && !hit; i++) {
            if (k == BTF_KIND_ENUM) {
                const struct btf_enum *e = &ebtf_enums(t)[i];
                if (enum_name_eq(ebtf_str(x->tb, e->name_off), want)) {
                    hit = true;
                    v = BTF_INFO_KFLAG(t->info) ? (uint64_t)(int64_t)e->val : (uint64_t)(uint32_t)e->val;
                }
            } else {
                const struct btf_enum64 *e = &ebtf_enums64(t)[i];
                if (enum_name_eq(ebtf_str(x->tb, e->name_off), want)) {
                    hit = true;
                    v = (uint64_t)e->val_hi32 << 32 | e->val_lo32;
                }
            }
        }
        if (!hit)
            return 0;
        if (kind == BPF_CORE_ENUMVAL_EXISTS)
            v = 1;
    } else {
        if (kind == BPF_CORE_TYPE_MATCHES && !types_match(x->lb, x->r->type_id, x->tb, id))
            return 0;
        if ((kind == BPF_CORE_TYPE_EXISTS || kind == BPF_CORE_TYPE_SIZE || kind == BPF_CORE_TYPE_ID_TARGET) &&
            !fields_compat(x->lb, x->r->type_id, x->tb, id, 0) && !is_composite(t))
            return 0;
        if (kind == BPF_CORE_TYPE_SIZE) {
            int64_t sz = ebpf_btf_sizeof(x->tb, id);
            if (sz < 0)
                return 0;
            v = (uint64_t)sz;
        } else if (kind == BPF_CORE_TYPE_ID_TARGET) {
            v = id;
        } else {
            v = 1;
        }
    }
    if (x->found && (v != x->val || msz != x->mem_sz)) {
        x->err = -ESRCH; /* ambiguous: candidates disagree */
        return 1;
    }
    x->found = true;
    x->val = v;
    x->mem_sz = msz;
    return 0;
}

static void describe(const struct ebpf_btf *lb, const struct bpf_core_relo *r, const struct cspec *ls, char *buf,
                     size_t len)
{
    const struct btf_type *t = ebtf_skip_mods(lb, r->type_id, NULL);
    const char *kn = r->kind < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[r->kind] : "?";
    int n = snprintf(buf, len, "%s of '%s%s'", kn,
                     t ? (ebtf_kind(t) == BTF_KIND_STRUCT ? "struct " : ebtf_kind(t) == BTF_KIND_UNION ? "union "
                          : is_enum(t) ? "enum " : "") : "",
                     t ? ebtf_str(lb, t->name_off) : "?");
    for (int i = 1; ls && i < ls->len && n > 0 && (size_t)n < len; i++)
        n += ls->a[i].name ? snprintf(buf + n, len - (size_t)n, ".%s", ls->a[i].name)
                           : snprintf(buf + n, len - (size_t)n, "[%u]", ls->a[i].idx);
    if (ls && is_enum_kind(r->kind) && n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, "::%s", ls->a[0].name);
    if (n > 0 && (size_t)n < len)
        snprintf(buf + n, len - (size_t)n, " (access '%s')", ebtf_str(lb, r->access_str_off));
}

/* Tries the types of b after id `after` named name[0..len): kernel types
 * carry no ___flavour suffixes, so the essential name is looked up
 * exactly. */
static void each_cand(const struct ebpf_btf *b, uint32_t after, const char *name, size_t len, struct cand_ctx *c)
{
    char buf[256];
    if (len >= sizeof(buf))
        return;
    memcpy(buf, name, len);
    buf[len] = 0;
    for (uint32_t id = ebtf_find_next(b, after, buf, -1); id; id = ebtf_find_next(b, id, buf, -1))
        if (try_cand(c, id))
            return;
}

static void poison(struct bpf_insn *insn)
{
    insn->code = BPF_JMP | BPF_CALL;
    insn->dst_reg = 0;
    insn->src_reg = 0;
    insn->off = 0;
    insn->imm = ECORE_POISON_IMM;
}

int ecore_apply(const struct ecore_env *env, const struct bpf_core_relo *r, struct bpf_insn *buf, size_t n,
                size_t idx, char *desc, size_t desclen, bool *poisoned)
{
    *poisoned = false;
    struct cspec ls;
    const struct ebpf_btf *lb = env->local;
    if (r->kind > BPF_CORE_TYPE_MATCHES)
        return ebpf_err(ENOTSUP, "load", "CO-RE relocation kind %u is not supported", r->kind);
    if (local_spec(lb, r, &ls) < 0)
        return ebpf_err(EINVAL, "load", "CO-RE relocation: bad access string '%s' on type %u",
                        ebtf_str(lb, r->access_str_off), r->type_id);
    describe(lb, r, &ls, desc, desclen);
    struct bpf_insn *insn = &buf[idx];
    uint64_t val = 0;
    uint32_t lmem = 0, tmem = 0;
    bool ok = true;
    if (r->kind == BPF_CORE_TYPE_ID_LOCAL) {
        val = r->type_id;
    } else {
        uint32_t lid;
        const struct btf_type *lt = ebtf_skip_mods(lb, r->type_id, &lid);
        /* type-based relocations (exists, size, matches, target id) are
         * about the named type itself, a typedef included: as libbpf,
         * candidates are kernel types of its kind and name */
        if (!is_field_kind(r->kind) && !is_enum_kind(r->kind)) {
            const struct btf_type *raw = ebtf_type(lb, r->type_id);
            if (raw && ebtf_kind(raw) == BTF_KIND_TYPEDEF)
                lt = raw;
        }
        const char *lname = lt ? ebtf_str(lb, lt->name_off) : "";
        if (!lt || !lname[0])
            return ebpf_err(EINVAL, "load", "CO-RE relocation %s: the root type must be named", desc);
        if (!env->kernel)
            return ebpf_err(ENOENT, "load", "CO-RE relocation %s: no kernel BTF", desc);
        struct cand_ctx c = {lb, env->kernel, r, &ls, ebtf_kind(lt), false, 0, 0, 0};
        if (is_field_kind(r->kind)) {
            uint64_t lv;
            if (field_value(&ls, BPF_CORE_FIELD_BYTE_SIZE, &lv, &lmem) < 0)
                return ebpf_err(EINVAL, "load", "CO-RE relocation %s: bad local field", desc);
        }
        size_t el = ebtf_essential_len(lname);
        each_cand(env->kernel, 0, lname, el, &c);
        for (size_t m = 0; !c.found && !c.err && m < env->nmods; m++) {
            c.tb = env->mods[m]; /* its own types: its base is vmlinux, searched above */
            each_cand(c.tb, ebpf_btf_start_id(c.tb) - 1, lname, el, &c);
        }
        if (c.err)
            return ebpf_err(ESRCH, "load", "CO-RE relocation %s: candidates in the kernel disagree", desc);
        val = c.val;
        tmem = c.mem_sz;
        if (!c.found) {
            /* as libbpf: every type-based relocation (exists, matches,
             * size, target id) and enumval_exists gives 0 when no kernel
             * type matches; field and enumval_value ones are poisoned */
            if (r->kind == BPF_CORE_FIELD_EXISTS || r->kind == BPF_CORE_TYPE_EXISTS ||
                r->kind == BPF_CORE_TYPE_MATCHES || r->kind == BPF_CORE_ENUMVAL_EXISTS ||
                r->kind == BPF_CORE_TYPE_ID_TARGET || r->kind == BPF_CORE_TYPE_SIZE)
                val = 0;
            else
                ok = false;
        }
    }
    int cls = BPF_CLASS(insn->code);
    if (!ok) {
        if (insn->code == (BPF_LD | BPF_IMM | BPF_DW) && idx + 1 < n)
            poison(&buf[idx + 1]);
        poison(insn);
        *poisoned = true;
        return 0;
    }
    if (cls == BPF_ALU || cls == BPF_ALU64) {
        if (BPF_SRC(insn->code) != BPF_K)
            return ebpf_err(EINVAL, "load", "CO-RE relocation %s: insn %zu is not an immediate ALU op", desc, idx);
        if (val > UINT32_MAX)
            return ebpf_err(ERANGE, "load", "CO-RE relocation %s: value %llu does not fit", desc,
                            (unsigned long long)val);
        insn->imm = (int32_t)(uint32_t)val;
    } else if (cls == BPF_LDX || cls == BPF_ST || cls == BPF_STX) {
        if (val > INT16_MAX)
            return ebpf_err(ERANGE, "load", "CO-RE relocation %s: offset %llu too large", desc,
                            (unsigned long long)val);
        insn->off = (int16_t)val;
        if (r->kind == BPF_CORE_FIELD_BYTE_OFFSET && tmem && lmem != tmem) {
            static const int sizes[9] = {-1, BPF_B, BPF_H, -1, BPF_W, -1, -1, -1, BPF_DW};
            int insn_sz = BPF_SIZE(insn->code) == BPF_B ? 1 : BPF_SIZE(insn->code) == BPF_H ? 2
                        : BPF_SIZE(insn->code) == BPF_W ? 4 : 8;
            if ((uint32_t)insn_sz != lmem || tmem > 8 || sizes[tmem] < 0) {
                poison(insn);
                *poisoned = true;
                return 0;
            }
            insn->code = (uint8_t)((insn->code & ~0x18) | sizes[tmem]);
        }
    } else if (insn->code == (BPF_LD | BPF_IMM | BPF_DW) && idx + 1 < n) {
        insn->imm = (int32_t)(uint32_t)val;
        buf[idx + 1].imm = (int32_t)(uint32_t)(val >> 32);
    } else {
        return ebpf_err(EINVAL, "load", "CO-RE relocation %s: unsupported instruction 0x%02x at %zu", desc,
                        insn->code, idx);
    }
    return 0;
}
