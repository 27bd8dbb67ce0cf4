-- tcpstates: every TCP state change on the machine as it happens (the
-- tracepoint sock:inet_sock_set_state), with addresses, ports and the
-- milliseconds the socket spent in its previous state. Addresses arrive as
-- __u8 arrays: Lua strings of all their bytes. Ctrl-C or --duration ends it.
-- usage: lua5.4 examples/tcpstates.lua [--duration S] [--port P]
local ex = dofile((arg[0]:match("^(.*)/") or ".") .. "/common.lua")
local ebpf = ex.ebpf
local opt = ex.args { duration = false, port = false }

local STATES = { "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
  "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV" }
local AF_INET6 = 10

-- RFC 5952 text: the longest run of two or more zero groups becomes "::".
local function addr6(v6)
  local g = {}
  for i = 1, 16, 2 do g[#g + 1] = string.unpack(">I2", v6, i) end
  local best, best_len, start, len = 0, 0, 0, 0
  for i = 1, 8 do
    if g[i] == 0 then
      if len == 0 then start = i end
      len = len + 1
      if len > best_len then best, best_len = start, len end
    else
      len = 0
    end
  end
  local function hex(from, to)
    local t = {}
    for i = from, to do t[#t + 1] = ("%x"):format(g[i]) end
    return table.concat(t, ":")
  end
  if best_len < 2 then return hex(1, 8) end
  return hex(1, best - 1) .. "::" .. hex(best + best_len, 8)
end

local function addr(family, v4, v6)
  if family == AF_INET6 then return addr6(v6) end
  return table.concat({ v4:byte(1, 4) }, ".")
end

local coll <close> = ex.load("tcpstates")
local links <close> = assert(coll:attach()) -- luacheck: ignore (closed at exit)
local events <close> = assert(ebpf.ringbuf.reader(coll.maps.events)):decode("struct tcp_event")

print(("%-16s %-7s %-12s %-26s %-5s %-26s %-5s %-11s -> %-11s %s"):format("SKADDR", "PID", "COMM", "LADDR",
  "LPORT", "RADDR", "RPORT", "OLDSTATE", "NEWSTATE", "MS"))
local since, n = {}, 0 -- skaddr -> time of its last change
local running = ex.timer(opt.duration)
while running() do
  events:poll(100, function(e)
    if opt.port and e.sport ~= opt.port and e.dport ~= opt.port then return end
    n = n + 1
    local last = since[e.skaddr]
    since[e.skaddr] = e.newstate ~= 7 and e.ts_ns or nil -- TCP_CLOSE: forget it
    print(("%-16x %-7d %-12s %-26s %-5d %-26s %-5d %-11s -> %-11s %.3f"):format(e.skaddr, e.pid, e.comm,
      addr(e.family, e.saddr, e.saddr_v6), e.sport, addr(e.family, e.daddr, e.daddr_v6), e.dport,
      STATES[e.oldstate] or e.oldstate, STATES[e.newstate] or e.newstate, last and (e.ts_ns - last) / 1e6 or 0))
  end)
end
print(("%d state changes"):format(n))
