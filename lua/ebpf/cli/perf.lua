--- ebpf.cli.perf: `ebpf perf [show|list]`: programs attached through perf
-- events (tracepoints, kprobes, uprobes) and raw tracepoints, found by
-- asking BPF_TASK_FD_QUERY about each such fd in /proc/*/fd.
-- @module ebpf.cli.perf

local json = require "ebpf.json"
local util = require "ebpf.cli.util"

local lib, usage_error = util.lib, util.usage_error

-- Only fds that can hold a BPF attachment are asked about.
local function candidate(target)
  return target == "anon_inode:[perf_event]" or target == "anon_inode:bpf_link" or target == "anon_inode:bpf-link"
end

local function entries()
  local core, link = lib().core, lib().link
  local list = json.array()
  local pids = {}
  for _, e in ipairs(core.listdir("/proc") or {}) do
    if e.name:match("^%d+$") then pids[#pids + 1] = math.tointeger(tonumber(e.name)) end
  end
  table.sort(pids)
  for _, pid in ipairs(pids) do
    local fds = {}
    for _, e in ipairs(core.listdir("/proc/" .. pid .. "/fd") or {}) do
      local fd = math.tointeger(tonumber(e.name))
      if fd and candidate(core.readlink(("/proc/%d/fd/%d"):format(pid, fd))) then fds[#fds + 1] = fd end
    end
    table.sort(fds)
    for _, fd in ipairs(fds) do
      local q = link.task_fd_query(pid, fd)
      if q then
        local r = json.object { { "pid", pid }, { "fd", fd }, { "prog_id", q.prog_id }, { "fd_type", q.fd_type } }
        if q.fd_type == "tracepoint" or q.fd_type == "raw_tracepoint" then
          r.tracepoint = q.name
        elseif q.fd_type == "kprobe" or q.fd_type == "kretprobe" then
          if q.name ~= "" then
            r.func = q.name
            r.offset = q.offset
          else
            r.addr = q.addr
          end
        else -- uprobe, uretprobe
          r.filename = q.name
          r.offset = q.offset
        end
        list[#list + 1] = r
      end
    end
  end
  return list
end

return {
  summary = "show programs attached to perf events (tracepoints, kprobes, uprobes)",
  usage = "ebpf perf [ show | list ]",
  run = function(ctx, args)
    local w = args:more() and args:next("perf command") or "show"
    if w ~= "show" and w ~= "list" then usage_error("unknown perf command '" .. util.printable(w) .. "'") end
    args:done()
    local list = entries()
    if ctx.json then return ctx.emit(list) end
    for _, r in ipairs(list) do
      local what = r.tracepoint or r.func or r.filename or (r.addr and ("0x%x"):format(r.addr)) or ""
      local off = r.offset and r.offset ~= 0 and ("+0x%x"):format(r.offset) or ""
      ctx.out(("pid %d  fd %d: prog_id %d  %s  %s%s\n"):format(r.pid, r.fd, r.prog_id, r.fd_type,
        util.printable(what), off))
    end
  end,
}
