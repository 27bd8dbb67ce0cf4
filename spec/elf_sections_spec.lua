-- Section names interpreted exactly as libbpf does: ~200 names (every
-- convention bare, with targets, and odd ones) fed to libbpf's own
-- libbpf_prog_type_by_name() (a tiny C oracle built here against
-- Debian's libbpf-dev, test-only) and to ebpf.elf.section_info(): same
-- program type, same expected attach type, same rejections. Names newer
-- than that libbpf (1.1) are checked against libbpf's current table,
-- written out below.
local ebpf = require "ebpf"
local core = require "ebpf.core"

local ORACLE_C = [[
#include <bpf/libbpf.h>
#include <stdio.h>
#include <string.h>
static int quiet(enum libbpf_print_level l, const char *f, va_list a) { (void)l; (void)f; (void)a; return 0; }
int main(void)
{
    char line[512];
    libbpf_set_print(quiet);
    while (fgets(line, sizeof(line), stdin)) {
        line[strcspn(line, "\n")] = 0;
        enum bpf_prog_type t;
        enum bpf_attach_type a;
        if (libbpf_prog_type_by_name(line, &t, &a))
            printf("-\n");
        else
            printf("%s %s\n", libbpf_bpf_prog_type_str(t), libbpf_bpf_attach_type_str(a) ? libbpf_bpf_attach_type_str(a) : "?");
    }
    return 0;
}
]]

-- Every convention of libbpf 1.1, bare / with a target / odd suffixes.
local bases = {
  "socket", "sk_reuseport", "sk_reuseport/migrate", "kprobe", "uprobe", "uprobe.s", "kretprobe", "uretprobe",
  "uretprobe.s", "kprobe.multi", "kretprobe.multi", "ksyscall", "kretsyscall", "usdt", "tc", "classifier", "action",
  "tracepoint", "tp", "raw_tracepoint", "raw_tp", "raw_tracepoint.w", "raw_tp.w", "tp_btf", "fentry", "fmod_ret",
  "fexit", "fentry.s", "fmod_ret.s", "fexit.s", "freplace", "lsm", "lsm.s", "lsm_cgroup", "iter", "iter.s",
  "syscall", "xdp.frags/devmap", "xdp/devmap", "xdp.frags/cpumap", "xdp/cpumap", "xdp.frags", "xdp", "perf_event",
  "lwt_in", "lwt_out", "lwt_xmit", "lwt_seg6local", "sockops", "sk_skb/stream_parser", "sk_skb/stream_verdict",
  "sk_skb", "sk_msg", "lirc_mode2", "flow_dissector", "cgroup_skb/ingress", "cgroup_skb/egress", "cgroup/skb",
  "cgroup/sock_create", "cgroup/sock_release", "cgroup/sock", "cgroup/post_bind4", "cgroup/post_bind6",
  "cgroup/bind4", "cgroup/bind6", "cgroup/connect4", "cgroup/connect6", "cgroup/sendmsg4", "cgroup/sendmsg6",
  "cgroup/recvmsg4", "cgroup/recvmsg6", "cgroup/getpeername4", "cgroup/getpeername6", "cgroup/getsockname4",
  "cgroup/getsockname6", "cgroup/sysctl", "cgroup/getsockopt", "cgroup/setsockopt", "cgroup/dev", "struct_ops",
  "sk_lookup",
}
local names = {}
for _, b in ipairs(bases) do
  names[#names + 1] = b
  names[#names + 1] = b .. "/target"
  names[#names + 1] = b .. "x"
end
for _, odd in ipairs {
  "", "/", "kprobe/", "kprobe//", "socket/x", "tc/foo", "xdp/foo", "perf_event/x", "sk_skb/parser",
  "uprobe//bin/true:main", "kprobe.multi/do_*", "tracepoint/syscalls/sys_enter_openat",
  "tp/sched/sched_switch", "usdt/libc.so.6:libc:setjmp", "fentry/", "iter/task", "iter.s/task", "lsm.s/file_open",
  "struct_ops/cc_init", ".text", "license", "maps", ".maps", "KPROBE/x", "Kprobe", " kprobe", "kprobe ",
  "xdp.frags/", "xdp/devmap/x", "cgroup/", "cgroup", "cgroup_skb", "cgroup_skb/", "sockops/x", "raw_tp.w/x",
  "sk_reuseport/", "freplace/f", "lsm_cgroup/socket_bind", "ksyscall/openat", "kretsyscall/openat",
} do names[#names + 1] = odd end

-- Conventions libbpf gained after 1.1 (its current table): name -> type, attach type.
local newer = {
  ["kprobe.session"] = { "kprobe", "trace_kprobe_session" }, ["kprobe.session/do_*"] = { "kprobe", "trace_kprobe_session" },
  ["uprobe.multi"] = { "kprobe", "trace_uprobe_multi" },
  ["uprobe.multi//bin/true:*"] = { "kprobe", "trace_uprobe_multi" }, ["uretprobe.multi/x:y"] = { "kprobe", "trace_uprobe_multi" },
  ["uprobe.session"] = { "kprobe", "trace_uprobe_session" }, ["uprobe.multi.s/x:y"] = { "kprobe", "trace_uprobe_multi" },
  ["uretprobe.multi.s"] = { "kprobe", "trace_uprobe_multi" }, ["uprobe.session.s"] = { "kprobe", "trace_uprobe_session" },
  ["usdt.s/a:b:c"] = { "kprobe", "cgroup_inet_ingress" }, ["tc/ingress"] = { "sched_cls", "tcx_ingress" },
  ["tc/egress"] = { "sched_cls", "tcx_egress" }, ["tcx/ingress"] = { "sched_cls", "tcx_ingress" },
  ["tcx/egress"] = { "sched_cls", "tcx_egress" }, ["netkit/primary"] = { "sched_cls", "netkit_primary" },
  ["netkit/peer"] = { "sched_cls", "netkit_peer" }, ["tracepoint.s/a/b"] = { "tracepoint", "cgroup_inet_ingress" },
  ["tp.s"] = { "tracepoint", "cgroup_inet_ingress" }, ["raw_tp.s/x"] = { "raw_tracepoint", "cgroup_inet_ingress" },
  ["raw_tracepoint.s"] = { "raw_tracepoint", "cgroup_inet_ingress" }, ["tp_btf.s/x"] = { "tracing", "trace_raw_tp" },
  ["fsession/f"] = { "tracing", "trace_fsession" }, ["fsession.s"] = { "tracing", "trace_fsession" },
  ["fentry.multi/f*"] = { "tracing", "trace_fentry_multi" }, ["fexit.multi"] = { "tracing", "trace_fexit_multi" },
  ["fsession.multi/f"] = { "tracing", "trace_fsession_multi" }, ["fentry.multi.s/f"] = { "tracing", "trace_fentry_multi" },
  ["fexit.multi.s"] = { "tracing", "trace_fexit_multi" }, ["fsession.multi.s"] = { "tracing", "trace_fsession_multi" },
  ["sk_skb/verdict"] = { "sk_skb", "sk_skb_verdict" }, ["cgroup/connect_unix"] = { "cgroup_sock_addr", "cgroup_unix_connect" },
  ["cgroup/sendmsg_unix"] = { "cgroup_sock_addr", "cgroup_unix_sendmsg" },
  ["cgroup/recvmsg_unix"] = { "cgroup_sock_addr", "cgroup_unix_recvmsg" },
  ["cgroup/getpeername_unix"] = { "cgroup_sock_addr", "cgroup_unix_getpeername" },
  ["cgroup/getsockname_unix"] = { "cgroup_sock_addr", "cgroup_unix_getsockname" },
  ["struct_ops.s/x"] = { "struct_ops", "cgroup_inet_ingress" }, ["netfilter"] = { "netfilter", "netfilter" },
}

local function ours(name)
  local si = ebpf.elf.section_info(name)
  if not si then return "-" end
  -- libbpf reports attach type 0 (cgroup_inet_ingress) where none is meant
  return si.type .. " " .. tostring(si.attach_type or "cgroup_inet_ingress")
end

describe("section names", function()
  it("are interpreted as libbpf's libbpf_prog_type_by_name() interprets them", function()
    local cc = core.which("cc") or core.which("gcc")
    if not cc or not io.open("/usr/include/bpf/libbpf.h") then pending("no cc or libbpf-dev") return end
    local dir = assert(core.mkdtemp())
    assert(core.write_new(dir .. "/oracle.c", ORACLE_C))
    local ok, out = core.spawn { cc, "-o", dir .. "/oracle", dir .. "/oracle.c", "-lbpf" }
    assert(ok, out)
    assert(core.write_new(dir .. "/names", table.concat(names, "\n") .. "\n"))
    local p = assert(io.popen(("%s/oracle < %s/names"):format(dir, dir)))
    local answers = {}
    for l in p:lines() do answers[#answers + 1] = l end
    p:close()
    core.rmdir_private(dir)
    assert.equal(#names, #answers)
    assert.is_true(#names >= 150, #names .. " names")
    local diffs, accepted = {}, 0
    for i, n in ipairs(names) do
      local want = answers[i]
      if want ~= "-" then accepted = accepted + 1 end
      if ours(n) ~= want then diffs[#diffs + 1] = ("%q: libbpf %s, ebpf-lua %s"):format(n, want, ours(n)) end
    end
    assert.same({}, diffs)
    assert.is_true(accepted > 90 and accepted < #names - 30, accepted .. " accepted")
  end)

  it("knows libbpf's newer conventions (after 1.1)", function()
    local diffs = {}
    for n, want in pairs(newer) do
      local got = ours(n)
      if got ~= want[1] .. " " .. want[2] then diffs[#diffs + 1] = ("%q: want %s %s, got %s"):format(n, want[1], want[2], got) end
    end
    table.sort(diffs)
    assert.same({}, diffs)
  end)

  it("gives the target after the convention", function()
    assert.equal("do_*", ebpf.elf.section_info("kprobe.multi/do_*").target)
    assert.equal("", ebpf.elf.section_info("kprobe").target)
    assert.equal("/bin/true:main", ebpf.elf.section_info("uprobe//bin/true:main").target)
    assert.equal("", ebpf.elf.section_info("fentry/").target)
    assert.equal("syscalls/sys_enter_openat", ebpf.elf.section_info("tp/syscalls/sys_enter_openat").target)
  end)
end)
