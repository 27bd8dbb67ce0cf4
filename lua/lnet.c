/* ebpf.link.net_devices(), ebpf.link.tc_filters(), ebpf.link.task_fd_query():
 * what is attached where, from rtnetlink and BPF_TASK_FD_QUERY (for the
 * `ebpf net` and `ebpf perf` commands; BPF_PROG_QUERY is ebpf.link.query). */
#include <linux/if_link.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/link.h"
#include "lcommon.h"

static void set_int(lua_State *L, lua_Integer v, const char *k)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, k);
}

static const char *xdp_mode(uint8_t m)
{
    switch (m) {
    case XDP_ATTACHED_DRV: return "driver";
    case XDP_ATTACHED_SKB: return "generic";
    case XDP_ATTACHED_HW: return "offload";
    case XDP_ATTACHED_MULTI: return "multi";
    default: return NULL;
    }
}

/* net_devices() -> { {ifindex=, name=, xdp={mode=, prog_id=, skb=, drv=, hw=}?}, ... } */
static int l_net_devices(lua_State *L)
{
    struct ebpf_net_dev *d = NULL;
    size_t n = 0;
    if (ebpf_net_devices(&d, &n) < 0)
        return ebpf_lua_fail(L);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_createtable(L, 0, 3);
        set_int(L, d[i].ifindex, "ifindex");
        lua_pushstring(L, d[i].name);
        lua_setfield(L, -2, "name");
        const char *mode = xdp_mode(d[i].xdp_attached);
        if (mode) {
            lua_createtable(L, 0, 5);
            lua_pushstring(L, mode);
            lua_setfield(L, -2, "mode");
            if (d[i].xdp_prog_id)
                set_int(L, d[i].xdp_prog_id, "prog_id");
            if (d[i].xdp_skb_prog_id)
                set_int(L, d[i].xdp_skb_prog_id, "generic");
            if (d[i].xdp_drv_prog_id)
                set_int(L, d[i].xdp_drv_prog_id, "driver");
            if (d[i].xdp_hw_prog_id)
                set_int(L, d[i].xdp_hw_prog_id, "offload");
            lua_setfield(L, -2, "xdp");
        }
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    free(d);
    return 1;
}

/* tc_filters(ifindex, "ingress"|"egress") -> { {prog_id=, name=, handle=, prio=, direct_action=}, ... } */
static int l_tc_filters(lua_State *L)
{
    int ifindex = (int)ebpf_lua_check_range(L, 1, "ifindex", 1, EBPF_I32_MAX);
    static const char *const dirs[] = {"ingress", "egress", NULL};
    int egress = luaL_checkoption(L, 2, "ingress", dirs);
    struct ebpf_tc_filter *f = NULL;
    size_t n = 0;
    if (ebpf_tc_filters(ifindex, egress, &f, &n) < 0)
        return ebpf_lua_fail(L);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_createtable(L, 0, 5);
        set_int(L, f[i].prog_id, "prog_id");
        set_int(L, f[i].handle, "handle");
        set_int(L, f[i].prio, "prio");
        lua_pushstring(L, f[i].name);
        lua_setfield(L, -2, "name");
        lua_pushboolean(L, f[i].direct_action);
        lua_setfield(L, -2, "direct_action");
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    free(f);
    return 1;
}

static const char *fd_type_name(uint32_t t)
{
    switch (t) {
    case BPF_FD_TYPE_RAW_TRACEPOINT: return "raw_tracepoint";
    case BPF_FD_TYPE_TRACEPOINT: return "tracepoint";
    case BPF_FD_TYPE_KPROBE: return "kprobe";
    case BPF_FD_TYPE_KRETPROBE: return "kretprobe";
    case BPF_FD_TYPE_UPROBE: return "uprobe";
    case BPF_FD_TYPE_URETPROBE: return "uretprobe";
    default: return "unknown";
    }
}

/* task_fd_query(pid, fd) -> {prog_id=, fd_type=, name=, offset=, addr=} or nil, err, errno */
static int l_task_fd_query(lua_State *L)
{
    int pid = (int)ebpf_lua_check_range(L, 1, "pid", 0, EBPF_I32_MAX);
    int fd = (int)ebpf_lua_check_range(L, 2, "fd", 0, EBPF_I32_MAX);
    struct ebpf_task_fd_info *info = malloc(sizeof(*info));
    if (!info)
        return luaL_error(L, "out of memory");
    if (ebpf_task_fd_query(pid, fd, info) < 0) {
        free(info);
        return ebpf_lua_fail(L);
    }
    lua_createtable(L, 0, 5);
    set_int(L, info->prog_id, "prog_id");
    lua_pushstring(L, fd_type_name(info->fd_type));
    lua_setfield(L, -2, "fd_type");
    lua_pushstring(L, info->name);
    lua_setfield(L, -2, "name");
    set_int(L, (lua_Integer)info->probe_offset, "offset");
    set_int(L, (lua_Integer)info->probe_addr, "addr");
    free(info);
    return 1;
}

/* Adds the functions to the module's `link` table (opened before). */
void ebpf_lua_open_net(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"net_devices", l_net_devices},
        {"tc_filters", l_tc_filters},
        {"task_fd_query", l_task_fd_query},
        {NULL, NULL},
    };
    lua_getfield(L, -1, "link");
    luaL_setfuncs(L, funcs, 0);
    lua_pop(L, 1);
}
