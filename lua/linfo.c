/* Kernel object info by id for the `ebpf` command: links and BTF objects
 * (maps and programs have their own classes). Each returns a plain table,
 * or nil, err, errno (the object may vanish between listing and opening). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "btf/btf_internal.h"
#include "ebpf/sys.h"
#include "ebpf/types.h"
#include "lcommon.h"

/* Link types newer than the build's <linux/bpf.h>; values are ABI. */
static const char *link_type_name(uint32_t t)
{
    const char *n = ebpf_link_type_name((int)t);
    if (n)
        return n;
    switch (t) {
    case 10: return "netfilter";
    case 11: return "tcx";
    case 12: return "uprobe_multi";
    case 13: return "netkit";
    case 14: return "sockmap";
    default: return "unknown";
    }
}

/* link_info(id) -> {id, type, prog_id, ...} */
static int link_info(lua_State *L)
{
    uint32_t id = (uint32_t)ebpf_lua_check_range(L, 1, "link id", 0, 0xffffffffLL);
    int fd = ebpf_link_fd_by_id(id);
    if (fd < 0)
        return ebpf_lua_fail(L);
    /* The info struct grows with every kernel: take the kernel's size. */
    union {
        struct bpf_link_info info;
        unsigned char raw[512];
    } u;
    char name[256] = {0};
    memset(&u, 0, sizeof(u));
    uint32_t len = sizeof(u);
    int r = ebpf_obj_get_info(fd, &u, &len);
    if (r == 0 && u.info.type == BPF_LINK_TYPE_RAW_TRACEPOINT) {
        /* Second call with a buffer for the tracepoint name. */
        memset(&u, 0, sizeof(u));
        u.info.raw_tracepoint.tp_name = ebpf_ptr(name);
        u.info.raw_tracepoint.tp_name_len = sizeof(name);
        len = sizeof(u);
        r = ebpf_obj_get_info(fd, &u, &len);
    }
    close(fd);
    if (r < 0)
        return ebpf_lua_fail(L);
    const struct bpf_link_info *i = &u.info;
    lua_createtable(L, 0, 8);
    lua_pushinteger(L, i->id);
    lua_setfield(L, -2, "id");
    lua_pushstring(L, link_type_name(i->type));
    lua_setfield(L, -2, "type");
    lua_pushinteger(L, i->prog_id);
    lua_setfield(L, -2, "prog_id");
    const char *an = NULL;
    switch (i->type) {
    case BPF_LINK_TYPE_RAW_TRACEPOINT:
        lua_pushstring(L, name);
        lua_setfield(L, -2, "tp_name");
        break;
    case BPF_LINK_TYPE_TRACING:
        an = ebpf_attach_type_name((int)i->tracing.attach_type);
        lua_pushinteger(L, i->tracing.target_obj_id);
        lua_setfield(L, -2, "target_obj_id");
        lua_pushinteger(L, i->tracing.target_btf_id);
        lua_setfield(L, -2, "target_btf_id");
        break;
    case BPF_LINK_TYPE_CGROUP:
        an = ebpf_attach_type_name((int)i->cgroup.attach_type);
        lua_pushinteger(L, (lua_Integer)i->cgroup.cgroup_id);
        lua_setfield(L, -2, "cgroup_id");
        break;
    case BPF_LINK_TYPE_NETNS:
        an = ebpf_attach_type_name((int)i->netns.attach_type);
        lua_pushinteger(L, i->netns.netns_ino);
        lua_setfield(L, -2, "netns_ino");
        break;
    case BPF_LINK_TYPE_XDP:
    case 11: /* tcx: {ifindex, attach_type} */
    case 13: /* netkit: same layout */
        lua_pushinteger(L, i->xdp.ifindex);
        lua_setfield(L, -2, "ifindex");
        if (i->type != BPF_LINK_TYPE_XDP) {
            uint32_t at;
            memcpy(&at, (const unsigned char *)&i->xdp.ifindex + 4, sizeof(at));
            an = ebpf_attach_type_name((int)at); /* named by the kernel's BTF */
        }
        break;
    case 9: /* struct_ops: {map_id} (the union starts at byte 16) */
    case 10: { /* netfilter: {pf, hooknum, priority, flags} */
        uint32_t f[4];
        memcpy(f, u.raw + 16, sizeof(f));
        static const char *const nf[] = {"map_id", "pf", "hooknum", "priority", "flags"};
        int first = i->type == 9 ? 0 : 1, n = i->type == 9 ? 1 : 4;
        for (int k = 0; k < n; k++) {
            lua_pushinteger(L, k == 2 && i->type == 10 ? (lua_Integer)(int32_t)f[k] : (lua_Integer)f[k]);
            lua_setfield(L, -2, nf[first + k]);
        }
        break;
    }
    default: break;
    }
    if (an) {
        lua_pushstring(L, an);
        lua_setfield(L, -2, "attach_type");
    }
    return 1;
}

/* btf_info(id) -> {id, name, size, kernel} */
static int btf_info(lua_State *L)
{
    uint32_t id = (uint32_t)ebpf_lua_check_range(L, 1, "btf id", 0, 0xffffffffLL);
    int fd = ebpf_btf_fd_by_id(id);
    if (fd < 0)
        return ebpf_lua_fail(L);
    char name[128];
    struct bpf_btf_info info;
    int r = btf_obj_info(fd, &info, name, sizeof(name));
    close(fd);
    if (r < 0)
        return ebpf_lua_fail(L);
    lua_createtable(L, 0, 4);
    lua_pushinteger(L, info.id);
    lua_setfield(L, -2, "id");
    lua_pushstring(L, name);
    lua_setfield(L, -2, "name");
    lua_pushinteger(L, info.btf_size);
    lua_setfield(L, -2, "size");
    lua_pushboolean(L, info.kernel_btf);
    lua_setfield(L, -2, "kernel");
    return 1;
}

/* btf_bytes(id) -> raw BTF blob of a kernel BTF object */
static int btf_bytes(lua_State *L)
{
    uint32_t id = (uint32_t)ebpf_lua_check_range(L, 1, "btf id", 0, 0xffffffffLL);
    int fd = ebpf_btf_fd_by_id(id);
    if (fd < 0)
        return ebpf_lua_fail(L);
    struct bpf_btf_info info;
    memset(&info, 0, sizeof(info));
    uint32_t len = sizeof(info);
    int r = ebpf_obj_get_info(fd, &info, &len);
    if (r == 0) {
        uint32_t size = info.btf_size;
        void *buf = lua_newuserdatauv(L, size ? size : 1, 0);
        memset(&info, 0, sizeof(info));
        info.btf = ebpf_ptr(buf);
        info.btf_size = size;
        len = sizeof(info);
        r = ebpf_obj_get_info(fd, &info, &len);
        if (r == 0)
            lua_pushlstring(L, buf, info.btf_size < size ? info.btf_size : size);
    }
    close(fd);
    if (r < 0)
        return ebpf_lua_fail(L);
    return 1;
}

void ebpf_lua_open_info(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"link_info", link_info},
        {"btf_info", btf_info},
        {"btf_bytes", btf_bytes},
        {NULL, NULL},
    };
    luaL_setfuncs(L, funcs, 0);
}
