-- The tracing tools of examples/ against bpftrace on the same events:
-- each spec triggers its own events while both run, stops both with
-- SIGINT (the example must then print its summary and exit 0), and
-- compares the events both saw, field by field.
local ebpf = require "ebpf"
local helpers = require "helpers"
local X = require "examples_util"
local U = require "sym_util"

local function sorted(t)
  table.sort(t)
  return t
end

describe("examples vs bpftrace", function()
  it("opensnoop: pid, comm, flags and path of every openat", function()
    local ex, bt = X.side_by_side("opensnoop.lua", "",
      'tracepoint:syscalls:sys_enter_openat { printf("%d %s %d %s\\n", pid, comm, args->flags, str(args->filename)); }',
      function(dir)
        helpers.sh(("cd %s && cat ./a ./b 2>/dev/null; touch ./c; head -c1 ./c >/dev/null"):format(X.quote(dir)))
      end)
    -- relative paths (./a ./b ./c): this spec's events only
    local function rel(out, pat, conv)
      local t = {}
      for pid, comm, flags, path in out:gmatch(pat) do
        if path:match("^%./[abc]$") then t[#t + 1] = table.concat({ pid, comm, conv(flags), path }, " ") end
      end
      return sorted(t)
    end
    local mine = rel(ex, "\n(%d+)%s+(%S+)%s+(%d+)%s+([^\n]*)", function(f) return tonumber(f, 8) end)
    local theirs = rel(bt, "\n(%d+) (%S+) (%d+) ([^\n]*)", tonumber)
    assert.equal(4, #theirs, bt)
    assert.same(theirs, mine)
    assert.matches("\n%d+ opens\n", ex)
  end)

  it("execsnoop: pid and arguments of every exec", function()
    local mark = "ebpf-lua-exec-" .. tostring(os.time()) .. tostring(math.random(1e6))
    -- bpftrace's view: the first four arguments (str() cuts at 63 bytes, as the example does)
    local ex, bt = X.side_by_side("execsnoop.lua", "--quiet", 'tracepoint:syscalls:sys_enter_execve { '
      .. 'printf("%d|%s|%s|%s|%s\\n", pid, str(args->argv[0]), str(args->argv[1]), str(args->argv[2]), '
      .. 'str(args->argv[3])); }',
      function()
        helpers.sh(("/bin/echo %s one 'two three' >/dev/null; /usr/bin/env /bin/true %s x; /bin/sh -c 'exit 0' %s")
          :format(mark, mark, mark))
      end)
    local theirs, mine = {}, {}
    for pid, args in bt:gmatch("\n(%d+)|([^\n]*)") do
      if args:find(mark, 1, true) then theirs[#theirs + 1] = pid .. "|" .. args:gsub("|*$", "") end
    end
    for line in ex:gmatch("[^\n]+") do
      local pid, args = line:match("^[%d.]+%s+(%d+)%s+%d+%s+%d+%s+%S+%s+%S+%s+(.*)$")
      if args and args:find(mark, 1, true) then
        mine[#mine + 1] = pid .. "|" .. args
      end
    end
    -- the example joins all arguments with spaces; every exec here has at most four
    for i, l in ipairs(theirs) do theirs[i] = l:gsub("|", " "):gsub("^(%d+) ", "%1|") end
    sorted(theirs)
    sorted(mine)
    assert.equal(5, #theirs, table.concat(theirs, "\n")) -- popen's sh, echo, env, true, sh
    assert.same(theirs, mine)
    assert.matches("\n%d+ execs in [%d.]+ s\n", ex)
  end)

  it("tcpstates: socket, pid, comm, addresses, ports and states of each TCP state change", function()
    local port = 20000 + (tonumber(tostring(os.time()):sub(-4)) * 7 + math.random(1000)) % 40000
    local fmt = '"%lx %d %s %s %d %s %d %d %d\\n", args->skaddr, pid, comm, ntop(args->SA), args->sport, '
      .. 'ntop(args->DA), args->dport, args->oldstate, args->newstate'
    local function probe(family, sa, da)
      return ("tracepoint:sock:inet_sock_set_state /args->protocol == 6 && args->family == %d && args->dport == %d/ "
        .. "{ printf(%s); } "):format(family, port, fmt:gsub("SA", sa):gsub("DA", da))
    end
    local ex, bt = X.side_by_side("tcpstates.lua", "--port " .. port,
      probe(2, "saddr", "daddr") .. probe(10, "saddr_v6", "daddr_v6"),
      function()
        -- refused connections: CLOSE -> SYN_SENT -> CLOSE, over IPv4 and IPv6
        for _, host in ipairs { "127.0.0.1", "::1", "127.0.0.1" } do
          os.execute(("bash -c 'exec 3<>/dev/tcp/%s/%d' 2>/dev/null"):format(host, port))
        end
      end)
    local STATES = { "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
      "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV" }
    local theirs, mine = {}, {}
    for line in bt:gmatch("[^\n]+") do
      local sk, pid, comm, la, lp, ra, rp, old, new = line:match("^(%x+) (%d+) (%S+) (%S+) (%d+) (%S+) (%d+) (%d+) (%d+)$")
      if sk then
        theirs[#theirs + 1] = table.concat({ sk, pid, comm, la, lp, ra, rp, STATES[tonumber(old)],
          STATES[tonumber(new)] }, " ")
      end
    end
    for line in ex:gmatch("[^\n]+") do
      local f = {}
      for w in line:gmatch("%S+") do f[#f + 1] = w end
      if #f == 11 and f[9] == "->" and f[1]:match("^%x+$") then
        mine[#mine + 1] = table.concat({ f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[10] }, " ")
      end
    end
    assert.equal(6, #theirs, bt)
    assert.same(sorted(theirs), sorted(mine))
    assert.matches("\n6 state changes\n", ex)
  end)

  it("bashreadline: the lines an interactive bash reads, typed through a pty", function()
    local mark = "ebpf-lua-rl-" .. tostring(os.time()) .. tostring(math.random(1e6))
    local ex, bt = X.side_by_side("bashreadline.lua", "",
      'uretprobe:/bin/bash:readline { printf("%d %s\\n", pid, str(retval)); }',
      function(dir)
        -- `script` gives bash a pty, so it is interactive and reads with readline
        local input = dir .. "/input"
        local f = assert(io.open(input, "w"))
        f:write(("echo %s one\n: %s two\nexit\n"):format(mark, mark))
        f:close()
        helpers.sh(("script -qfec 'bash --norc --noprofile -i' /dev/null < %s > /dev/null"):format(X.quote(input)))
      end)
    local function collect(out, pat)
      local t, ours = {}, {}
      for pid, line in out:gmatch(pat) do
        if line:find(mark, 1, true) then ours[pid] = true end
      end
      for pid, line in out:gmatch(pat) do
        if ours[pid] then t[#t + 1] = pid .. " " .. line end -- our shell's lines, its "exit" too
      end
      return sorted(t)
    end
    local theirs = collect(bt, "\n(%d+) ([^\n]*)")
    local mine = collect(ex, "\n[%d:]+%s+(%d+)%s+([^\n]*)")
    assert.equal(3, #theirs, bt)
    assert.same(theirs, mine)
    assert.matches("\n%d+ lines\n", ex)
  end)
  it("profile: the busy function of a program in both tools' user stacks", function()
    local dir = U.build()
    local bin = dir .. "/symtarget"
    local own = {} -- the functions of the test program, by nm
    for name in helpers.sh("nm --defined-only " .. X.quote(bin)):gmatch("%x+ [Tt] ([^\n]+)") do own[name] = true end
    local pid
    local ok, ex, bt = pcall(X.side_by_side, "profile.lua", "--freq 99",
      'profile:hz:99 /comm == "symtarget"/ { @[ustack, kstack] = count(); }',
      function()
        pid = U.start(bin, "spin 2") -- stays alive (asleep) after spinning: its symbols are read at the end
        ebpf.sleep(2.2)
      end)
    if pid then U.stop(pid) end
    U.remove(dir)
    assert(ok, ex)
    -- {function = samples} of the program's own functions, and the total
    local function tally(stacks)
      local t, total = {}, 0
      for frames, n in stacks do
        total = total + n
        local seen = {}
        for name in frames:gmatch("[^;]+") do
          if own[name] and not seen[name] then
            seen[name] = true
            t[name] = (t[name] or 0) + n
          end
        end
      end
      return t, total
    end
    local function top(t, total)
      local set = {}
      for name, n in pairs(t) do
        if n >= total * 0.2 then set[#set + 1] = name end
      end
      return sorted(set)
    end
    local mine, mine_total = tally(coroutine.wrap(function()
      for frames, n in ex:gmatch("\nsymtarget;([^\n]*) (%d+)") do coroutine.yield(frames, tonumber(n)) end
    end))
    local theirs, theirs_total = tally(coroutine.wrap(function()
      for block, n in bt:gmatch("@%[(.-)%]: (%d+)") do
        local user = block:match("^(.-)\n,") or block -- ustack, then kstack after ", "
        local names = {}
        for name in user:gmatch("\n%s+([^%s+]+)") do names[#names + 1] = name end
        coroutine.yield(table.concat(names, ";"), tonumber(n))
      end
    end))
    assert.is_true(mine_total >= 50, ex)
    assert.is_true(theirs_total >= 50, bt)
    assert.same(top(theirs, theirs_total), top(mine, mine_total))
    print(("\n  profile: %d samples, bpftrace: %d; top functions of both: %s"):format(mine_total, theirs_total,
      table.concat(top(mine, mine_total), ", ")))
    assert.is_true(mine.ebpf_sym_spin >= mine_total * 0.5, ex)
    assert.matches("\n%d+ samples, %d+ distinct stacks\n", ex)
  end)
end)
