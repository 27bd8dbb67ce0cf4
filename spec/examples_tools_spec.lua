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

-- Histograms as {[low] = count}: ours (ebpf.hist.log2 rows "lo -> hi : n")
-- and bpftrace's hist() ("[0]", "[1]", "[2, 4)", "[4K, 8K)"); bpftrace's
-- [0] and [1] are our first bucket "0 -> 1", [2^k, 2^(k+1)) our 2^k row.
local SUFFIX = { [""] = 1, K = 1 << 10, M = 1 << 20, G = 1 << 30 }
local function our_hist(out)
  local h, total = {}, 0
  for lo, count in out:gmatch("\n%s*(%d+) %-> %d+%s+: (%d+)") do
    h[tonumber(lo)] = tonumber(count)
    total = total + tonumber(count)
  end
  return h, total
end
local function bt_hist(out)
  local h, total = {}, 0
  for lo, suf, count in out:gmatch("\n%[(%d+)(%a?)[,%]][^\n]-%s(%d+)%s+|") do
    lo = tonumber(lo) * SUFFIX[suf]
    if lo == 1 then lo = 0 end
    h[lo] = (h[lo] or 0) + tonumber(count)
    total = total + tonumber(count)
  end
  return h, total
end
-- log2 index of the fullest bucket, and of the first and last non-empty ones
local function shape(h)
  local mode, max, first, last = nil, -1, math.huge, -1
  for lo, c in pairs(h) do
    local i = lo == 0 and 0 or math.floor(math.log(lo, 2) + 0.5)
    if c > max then mode, max = i, c end
    if c > 0 then first, last = math.min(first, i), math.max(last, i) end
  end
  return mode, first, last
end

-- Largest gap between the two histograms' cumulative shares over log2 buckets
-- (a Kolmogorov-Smirnov distance): robust where a mode is not, e.g. for the
-- two-humped run queue latency of a busy machine.
local function cdf_distance(a, b)
  local function totals(h)
    local n, by = 0, {}
    for lo, c in pairs(h) do
      local i = lo == 0 and 0 or math.floor(math.log(lo, 2) + 0.5)
      by[i] = (by[i] or 0) + c
      n = n + c
    end
    return by, n
  end
  local ba, na = totals(a)
  local bb, nb = totals(b)
  local fa, fb, worst = 0, 0, 0
  for i = 0, 64 do
    fa, fb = fa + (ba[i] or 0) / na, fb + (bb[i] or 0) / nb
    worst = math.max(worst, math.abs(fa - fb))
  end
  return worst
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

  it("biolatency: the same block I/O latency histogram as bpftrace's hist(), on a disk of its own", function()
    -- a loop device over a file under /tmp: a real block device (its requests
    -- pass the block tracepoints) that no other process on the machine uses,
    -- so both tools see exactly the requests made here
    local img = X.tmpdir()
    local ok, loop = pcall(helpers.sh, ("dd if=/dev/zero of=%s/img bs=1M count=8 2>/dev/null && losetup -f --show %s/img")
      :format(X.quote(img), X.quote(img)))
    loop = ok and loop:match("^/dev/(loop%d+)")
    if helpers.skip_unless(loop, "no loop device to run block I/O on (losetup: " .. tostring(loop) .. ")") then
      os.execute("rm -rf " .. X.quote(img))
      return
    end
    local major, minor = helpers.read_file("/sys/block/" .. loop .. "/dev"):match("(%d+):(%d+)")
    local dev = (tonumber(major) << 20) | tonumber(minor)
    local ex, bt
    local run_ok, run_err = pcall(function()
      ex, bt = X.side_by_side("biolatency.lua", "--disk " .. loop,
        ("tracepoint:block:block_rq_issue /args->dev == %d/ { @start[args->sector] = nsecs; } "
        .. "tracepoint:block:block_rq_complete /args->dev == %d && @start[args->sector]/ { "
        .. "@usecs = hist((nsecs - @start[args->sector]) / 1000); delete(@start[args->sector]); } "
        .. "END { clear(@start); }"):format(dev, dev),
        function()
          -- direct I/O bypasses the page cache: one request per 4 KiB block
          helpers.sh(("dd if=/dev/zero of=/dev/%s bs=4k count=300 oflag=direct 2>/dev/null && "
            .. "dd if=/dev/%s of=/dev/null bs=4k count=300 iflag=direct 2>/dev/null"):format(loop, loop))
        end)
    end)
    os.execute(("losetup -d /dev/%s; rm -rf %s"):format(loop, X.quote(img)))
    assert(run_ok, run_err)
    local mine, n = our_hist(ex)
    local theirs, tn = bt_hist(bt)
    assert.equal(n, tonumber(ex:match("\n(%d+) I/O requests\n")), ex)
    assert.is_true(tn >= 600, bt) -- 300 writes, 300 reads
    assert.is_true(math.abs(n - tn) <= 2, ("ours %d, bpftrace %d\n%s\n%s"):format(n, tn, ex, bt))
    -- bucket boundaries agree (every bucket of bpftrace's is one of ours), and the shapes
    for lo, c in pairs(theirs) do
      if c > 0 then assert.is_not_nil(mine[lo], ("bpftrace bucket %d missing in\n%s"):format(lo, ex)) end
    end
    local m1, f1, l1 = shape(mine)
    local m2, f2, l2 = shape(theirs)
    assert.is_true(math.abs(m1 - m2) <= 1 and math.abs(f1 - f2) <= 1 and math.abs(l1 - l2) <= 1, ex .. "\n" .. bt)
  end)

  it("runqlat: a run queue latency histogram of the shape bpftrace's hist() has", function()
    local ex, bt = X.side_by_side("runqlat.lua", "",
      "tracepoint:sched:sched_wakeup, tracepoint:sched:sched_wakeup_new { @q[args->pid] = nsecs; } "
      -- prev_state: 0 runnable, 256 (TASK_REPORT_MAX) preempted
      .. "tracepoint:sched:sched_switch { if ((args->prev_state & 255) == 0) { @q[args->prev_pid] = nsecs; } "
      .. "$t = @q[args->next_pid]; if ($t) { @usecs = hist((nsecs - $t) / 1000); delete(@q[args->next_pid]); } } "
      .. "END { clear(@q); }",
      function()
        -- more runnable threads than the machine's CPUs, and many short sleeps
        helpers.sh("for i in 1 2 3 4; do timeout 1 sh -c 'while :; do :; done' & done; "
          .. "for i in $(seq 40); do sleep 0.01; done; wait")
      end)
    local mine, n = our_hist(ex)
    local theirs, tn = bt_hist(bt)
    assert.equal(n, tonumber(ex:match("\n(%d+) run queue waits\n")), ex)
    assert.is_true(n >= 50 and tn >= 50, ("ours %d, bpftrace %d"):format(n, tn))
    -- both watched the same wake-ups at the same time: same spread of latencies
    local _, f1, l1 = shape(mine)
    local _, f2, l2 = shape(theirs)
    assert.is_true(f1 <= l2 and f2 <= l1, ex .. "\n" .. bt)
    local d = cdf_distance(mine, theirs)
    assert.is_true(d <= 0.25, ("distributions differ by %.2f\n%s\n%s"):format(d, ex, bt))
  end)
end)
