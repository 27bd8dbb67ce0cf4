/* program:line_info() and program:func_info(): the kernel's BTF line and
 * function records of a loaded program, with their strings resolved in the
 * program's BTF (for `ebpf prog dump xlated`, which prints source lines). */
#include <stdlib.h>
#include <string.h>

#include "ebpf/btf.h"
#include "ebpf/prog.h"
#include "lprog.h"

/* The program's BTF (NULL when it has none or it cannot be read: the
 * records then carry offsets only). */
static struct ebpf_btf *prog_btf(const struct ebpf_prog *p)
{
    struct bpf_prog_info info;
    if (ebpf_prog_get_info(p, &info) < 0 || !info.btf_id)
        return NULL;
    return ebpf_btf_open_id(info.btf_id);
}

static void set_str(lua_State *L, const struct ebpf_btf *b, uint32_t off, const char *k)
{
    const char *s = b ? ebpf_btf_str(b, off) : NULL;
    if (s) {
        lua_pushstring(L, s);
        lua_setfield(L, -2, k);
    }
}

static void set_int(lua_State *L, lua_Integer v, const char *k)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

/* line_info() -> { {insn=, file=, line=, line_num=, col=}, ... } */
int ebpf_lua_prog_line_info(lua_State *L)
{
    lprog *lp = ebpf_lua_toprog(L, 1);
    void *recs = NULL;
    uint32_t n = 0, rs = 0;
    if (ebpf_prog_line_info(lp->p, &recs, &n, &rs) < 0)
        return ebpf_lua_fail(L);
    struct ebpf_btf *b = n ? prog_btf(lp->p) : NULL;
    lua_createtable(L, (int)n, 0);
    for (uint32_t i = 0; i < n && rs >= sizeof(struct bpf_line_info); i++) {
        struct bpf_line_info li;
        memcpy(&li, (char *)recs + (size_t)i * rs, sizeof(li));
        lua_createtable(L, 0, 5);
        set_int(L, li.insn_off, "insn");
        set_int(L, li.line_col >> 10, "line_num");
        set_int(L, li.line_col & 0x3ff, "col");
        set_str(L, b, li.file_name_off, "file");
        set_str(L, b, li.line_off, "line");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    ebpf_btf_free(b);
    free(recs);
    return 1;
}

/* func_info() -> { {insn=, type_id=, name=}, ... } */
int ebpf_lua_prog_func_info(lua_State *L)
{
    lprog *lp = ebpf_lua_toprog(L, 1);
    void *recs = NULL;
    uint32_t n = 0, rs = 0;
    if (ebpf_prog_func_info(lp->p, &recs, &n, &rs) < 0)
        return ebpf_lua_fail(L);
    struct ebpf_btf *b = n ? prog_btf(lp->p) : NULL;
    lua_createtable(L, (int)n, 0);
    for (uint32_t i = 0; i < n && rs >= sizeof(struct bpf_func_info); i++) {
        struct bpf_func_info fi;
        memcpy(&fi, (char *)recs + (size_t)i * rs, sizeof(fi));
        lua_createtable(L, 0, 3);
        set_int(L, fi.insn_off, "insn");
        set_int(L, fi.type_id, "type_id");
        const char *name = b ? ebpf_btf_name(b, fi.type_id) : NULL;
        if (name && name[0]) {
            lua_pushstring(L, name);
            lua_setfield(L, -2, "name");
        }
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    ebpf_btf_free(b);
    free(recs);
    return 1;
}
