/* ebpf.asm's C side: decoding/encoding instruction bytes to/from tables,
 * the disassembler and the helper table. The builder DSL itself is pure
 * Lua (lua/ebpf/asm.lua). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/insn.h"
#include "lcommon.h"

/* Fields of one instruction table: code, dst, src, off, imm; ld_imm64 adds
 * wide = true (and hi_regs/hi_off when its reserved fields are non-zero). */
static void push_insn(lua_State *L, const struct ebpf_insn *in)
{
    lua_createtable(L, 0, 6);
    lua_pushinteger(L, in->code);
    lua_setfield(L, -2, "code");
    lua_pushinteger(L, in->dst);
    lua_setfield(L, -2, "dst");
    lua_pushinteger(L, in->src);
    lua_setfield(L, -2, "src");
    lua_pushinteger(L, in->off);
    lua_setfield(L, -2, "off");
    lua_pushinteger(L, in->imm);
    lua_setfield(L, -2, "imm");
    if (in->code == (BPF_LD | BPF_IMM | BPF_DW) && !in->wide) {
        lua_pushboolean(L, 0); /* a lone first slot: keep it one slot */
        lua_setfield(L, -2, "wide");
    }
    if (in->wide) {
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "wide");
        if (in->hi_regs) {
            lua_pushinteger(L, in->hi_regs);
            lua_setfield(L, -2, "hi_regs");
        }
        if (in->hi_off) {
            lua_pushinteger(L, in->hi_off);
            lua_setfield(L, -2, "hi_off");
        }
    }
}

static lua_Integer field(lua_State *L, int idx, const char *k, lua_Integer lo, lua_Integer hi, int i)
{
    lua_getfield(L, idx, k);
    lua_Integer v = 0;
    if (!lua_isnil(L, -1)) {
        int isnum;
        v = lua_tointegerx(L, -1, &isnum);
        if (!isnum)
            luaL_error(L, "instruction %d: field '%s' must be an integer, got %s", i, k, luaL_typename(L, -1));
        if (v < lo || v > hi)
            luaL_error(L, "instruction %d: field '%s' out of range: %I not in [%I, %I]", i, k, (LUAI_UACINT)v,
                       (LUAI_UACINT)lo, (LUAI_UACINT)hi);
    }
    lua_pop(L, 1);
    return v;
}

/* Reads the instruction table at idx (i names it in errors). The imm of a
 * one-slot instruction may be given signed or unsigned 32-bit. */
static void to_insn(lua_State *L, int idx, struct ebpf_insn *in, int i)
{
    if (!lua_istable(L, idx))
        luaL_error(L, "instruction %d must be a table, got %s", i, luaL_typename(L, idx));
    memset(in, 0, sizeof(*in));
    lua_getfield(L, idx, "code");
    if (lua_isnil(L, -1))
        luaL_error(L, "instruction %d: field 'code' is required", i);
    lua_pop(L, 1);
    in->code = (uint8_t)field(L, idx, "code", 0, 255, i);
    in->dst = (uint8_t)field(L, idx, "dst", 0, 15, i);
    in->src = (uint8_t)field(L, idx, "src", 0, 15, i);
    in->off = (int16_t)field(L, idx, "off", INT16_MIN, INT16_MAX, i);
    lua_getfield(L, idx, "wide");
    in->wide = lua_isnil(L, -1) ? in->code == (BPF_LD | BPF_IMM | BPF_DW) : lua_toboolean(L, -1);
    lua_pop(L, 1);
    if (in->wide) {
        in->imm = field(L, idx, "imm", LUA_MININTEGER, LUA_MAXINTEGER, i);
        in->hi_regs = (uint8_t)field(L, idx, "hi_regs", 0, 255, i);
        in->hi_off = (int16_t)field(L, idx, "hi_off", INT16_MIN, INT16_MAX, i);
    } else {
        in->imm = (int32_t)(uint32_t)field(L, idx, "imm", INT32_MIN, UINT32_MAX, i);
    }
}

/* decode(bytes) -> { insn tables } (raises on bad length: a programming
 * error, the bytes come from the caller). */
static int asm_decode(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    if (len % 8)
        return luaL_error(L, "instruction bytes must be a multiple of 8, got %d", (int)len);
    lua_newtable(L);
    int n = 0;
    for (size_t at = 0; at < len;) {
        struct ebpf_insn in;
        int k = ebpf_insn_decode(s + at, len - at, &in);
        if (k < 0)
            return luaL_error(L, "instruction at slot %d: %s", (int)(at / 8), ebpf_error_message());
        push_insn(L, &in);
        lua_rawseti(L, -2, ++n);
        at += (size_t)k * 8;
    }
    return 1;
}

/* encode(list) -> bytes */
static int asm_encode(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (lua_Integer i = 1; i <= n; i++) {
        struct ebpf_insn in;
        uint8_t buf[16];
        lua_rawgeti(L, 1, i);
        to_insn(L, lua_gettop(L), &in, (int)i);
        lua_pop(L, 1);
        size_t k = ebpf_insn_encode(&in, buf);
        luaL_addlstring(&b, (const char *)buf, k);
    }
    luaL_pushresult(&b);
    return 1;
}

static unsigned opt_flags(lua_State *L, int idx)
{
    unsigned flags = 0;
    if (lua_isnoneornil(L, idx))
        return 0;
    static const char *const fields[] = {"alu32", "addresses", "comments", "notes", "base", NULL};
    ebpf_lua_check_fields(L, idx, fields);
    if (!ebpf_lua_opt_bool(L, idx, "alu32", 1))
        flags |= EBPF_DISASM_NO_ALU32;
    if (!ebpf_lua_opt_bool(L, idx, "addresses", 1))
        flags |= EBPF_DISASM_NO_ADDR;
    if (!ebpf_lua_opt_bool(L, idx, "comments", 1))
        flags |= EBPF_DISASM_NO_COMMENTS;
    return flags;
}

/* format(insn [, idx [, opts]]) -> text, comment */
static int asm_format(lua_State *L)
{
    struct ebpf_insn in;
    to_insn(L, 1, &in, 1);
    lua_Integer idx = luaL_optinteger(L, 2, 0);
    unsigned flags = opt_flags(L, 3);
    char text[128], note[128];
    ebpf_insn_format(&in, flags, text, sizeof(text));
    ebpf_insn_comment(&in, (size_t)idx, note, sizeof(note));
    lua_pushstring(L, text);
    lua_pushstring(L, note);
    return 2;
}

/* valid(insn) -> boolean */
static int asm_valid(lua_State *L)
{
    struct ebpf_insn in;
    to_insn(L, 1, &in, 1);
    lua_pushboolean(L, ebpf_insn_valid(&in));
    return 1;
}

/* opts.notes[idx]: extra comment text. Only raw reads of strings here:
 * nothing may raise inside the core's callback. */
struct notes_ctx {
    lua_State *L;
    int idx;
};

static int note_cb(void *ctx, size_t idx, const struct ebpf_insn *in, char *buf, size_t n)
{
    (void)in;
    struct notes_ctx *c = ctx;
    int k = 0;
    if (lua_rawgeti(c->L, c->idx, (lua_Integer)idx) == LUA_TSTRING)
        k = snprintf(buf, n, "%s", lua_tostring(c->L, -1));
    lua_pop(c->L, 1);
    return k;
}

/* disassemble(bytes [, opts]) -> string; opts: alu32, addresses, comments,
 * notes = { [slot] = "text" }, base = first slot index. */
static int asm_disassemble(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    struct ebpf_disasm_opts o = {.flags = opt_flags(L, 2)};
    struct notes_ctx nc = {L, 0};
    if (len % 8)
        return luaL_error(L, "instruction bytes must be a multiple of 8, got %d", (int)len);
    if (lua_istable(L, 2)) {
        lua_Integer base = ebpf_lua_opt_int(L, 2, "base", 0);
        if (base < 0)
            return luaL_error(L, "field 'base' must be >= 0");
        o.base = (size_t)base;
        lua_getfield(L, 2, "notes");
        if (lua_istable(L, -1)) {
            nc.idx = lua_gettop(L);
            o.note = note_cb;
            o.ctx = &nc;
        } else if (!lua_isnil(L, -1)) {
            return luaL_error(L, "field 'notes' must be a table, got %s", luaL_typename(L, -1));
        }
    }
    char *text = ebpf_disasm_opts(s, len, &o);
    if (!text)
        return luaL_error(L, "%s", ebpf_error_message());
    lua_pushstring(L, text);
    free(text);
    return 1;
}

/* helper_id(name) -> id or nil; helper_name(id) -> name or nil */
static int helper_id(lua_State *L)
{
    int id = ebpf_helper_id(luaL_checkstring(L, 1));
    if (id < 0)
        return 0;
    lua_pushinteger(L, id);
    return 1;
}

static int helper_name(lua_State *L)
{
    lua_Integer id = luaL_checkinteger(L, 1);
    const char *name = id > 0 && id < ebpf_helper_count() ? ebpf_helper_name((int)id) : NULL;
    if (!name)
        return 0;
    lua_pushstring(L, name);
    return 1;
}

/* helpers() -> { [name] = id } */
static int helpers(lua_State *L)
{
    lua_createtable(L, 0, ebpf_helper_count());
    int n = ebpf_helper_count();
    for (int i = 1; i < n; i++) {
        const char *name = ebpf_helper_name(i);
        if (!name)
            continue;
        lua_pushinteger(L, i);
        lua_setfield(L, -2, name);
    }
    return 1;
}

void ebpf_lua_open_asm(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"asm_decode", asm_decode},
        {"asm_encode", asm_encode},
        {"asm_format", asm_format},
        {"asm_valid", asm_valid},
        {"asm_disassemble", asm_disassemble},
        {"helper_id", helper_id},
        {"helper_name", helper_name},
        {"helpers", helpers},
        {NULL, NULL},
    };
    ebpf_lua_set_funcs(L, funcs);
}
