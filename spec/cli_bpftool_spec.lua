-- The `ebpf` command against bpftool (the oracle) on the same kernel
-- objects: programs and maps loaded here from testdata objects, links on
-- a veth pair, a cgroup, a tracepoint, pins under a private bpffs dir.
-- Every `ebpf -j` output must parse with Python's json module (not our
-- decoder), and the facts both tools print must agree.
local helpers = require "spec.helpers"
local ebpf = require "ebpf"
local json_decode = require "spec.json_decode"

local function q(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end

-- Every output of `ebpf -j`, checked by Python's json module at the end
-- (one interpreter for all: Python starts slowly here).
local outputs = {}

-- Validates texts with Python's strict parser; returns the list of failures.
local function python_json_check(list)
  local dir = assert(ebpf.core.mkdtemp())
  for i, o in ipairs(list) do assert(ebpf.core.write_new(("%s/%d.json"):format(dir, i), o.text)) end
  local p = io.popen(("python3 -c %s %s 2>&1"):format(q([[
import json, os, sys
d = sys.argv[1]
for n in sorted(os.listdir(d), key=lambda x: int(x.split('.')[0])):
    try:
        json.loads(open(os.path.join(d, n), 'rb').read().decode('utf-8', 'strict'))
    except Exception as e:
        print(n.split('.')[0], e)
]]), q(dir)))
  local res = p:read("a")
  p:close()
  ebpf.core.rmdir_private(dir)
  local bad = {}
  for idx, msg in res:gmatch("(%d+) ([^\n]*)") do
    bad[#bad + 1] = list[tonumber(idx)].args .. ": " .. msg
  end
  return bad, res
end

-- Runs bin/ebpf -j ARGS; returns exit status and the decoded output
-- (asserting that it is valid JSON for Python).
local function ours(args, want_code, prefix)
  local errf = os.tmpname()
  local p = assert(io.popen(("%s env EBPF_BUILD=%s bin/ebpf -j %s 2>%s"):format(prefix or "", q(helpers.build), args,
    q(errf))))
  local out = p:read("a")
  local _, _, code = p:close()
  local err = helpers.read_file(errf)
  os.remove(errf)
  assert.are.equal(want_code or 0, code, "ebpf -j " .. args .. ": " .. err .. out)
  if out == "" then return code, nil, out end
  outputs[#outputs + 1] = { args = args, text = out }
  return code, json_decode(out), out
end

local have_bpftool = os.execute("command -v bpftool >/dev/null 2>&1")

local function theirs(args, prefix)
  local p = assert(io.popen((prefix or "") .. " env -u LD_PRELOAD bpftool -j " .. args .. " 2>/dev/null"))
  local out = p:read("a")
  p:close()
  if out == "" then return nil end
  local ok, v = pcall(json_decode, out)
  if ok then return v end
  return nil, out -- bpftool's own JSON breaks on some bytes (see the hostile test)
end

local function by(list, field)
  local t = {}
  for _, x in ipairs(list or {}) do t[x[field]] = x end
  return t
end

local function sorted(list)
  local c = {}
  for i, v in ipairs(list or {}) do c[i] = v end
  table.sort(c)
  return c
end

-- bpftool prints bitfields as hex strings ("0x1"); ours are numbers.
local function normalize(v)
  if type(v) == "string" and v:match("^0x%x+$") then return tonumber(v) end
  if type(v) ~= "table" then return v end
  local t = {}
  for k, x in pairs(v) do t[k] = normalize(x) end
  return t
end

describe("ebpf command vs bpftool", function()
  local coll, gcoll, dir

  setup(function()
    coll = assert(ebpf.load(helpers.testdata("elf/btfmaps.bpf.o")))
    gcoll = assert(ebpf.load(helpers.testdata("elf/globals.bpf.o")))
    assert(coll.programs.fill:run(string.rep("\0", 64)))
    dir = helpers.bpffs_dir("cli")
  end)

  teardown(function()
    if coll then coll:close() end
    if gcoll then gcoll:close() end
    if dir then os.execute("rm -rf " .. q(dir)) end
  end)

  before_each(function()
    if not have_bpftool then pending("bpftool not installed") end
  end)

  it("prog show: same id, name, type, tag, sizes, maps, btf and load time", function()
    local _, list = ours("prog show")
    local bt = by(theirs("prog show"), "id")
    local checked = 0
    for _, p in ipairs(list) do
      local b = bt[p.id]
      if b then
        for _, f in ipairs { "name", "type", "tag", "gpl_compatible", "uid", "bytes_xlated", "jited",
          "bytes_jited", "bytes_memlock", "btf_id", "loaded_at" } do
          assert.are.same(b[f], p[f], ("prog %d: %s"):format(p.id, f))
        end
        assert.are.same(sorted(b.map_ids), sorted(p.map_ids))
        checked = checked + 1
      end
    end
    assert.is_true(checked >= 2)
    local id = coll.programs.fill:info().id
    -- one program by id, name, tag and pin: an object, as bpftool's
    local _, one = ours("prog show id " .. id)
    assert.are.equal(id, one.id)
    assert.are.same(theirs("prog show id " .. id).tag, one.tag)
    local _, named = ours("prog show name fill")
    assert.are.equal("fill", (named.name or named[1].name))
    local _, tagged = ours("prog show tag " .. one.tag)
    assert.are.equal(one.tag, tagged.tag or tagged[1].tag)
    assert(coll.programs.fill:pin(dir .. "/fill"))
    local _, pinned = ours("prog show pinned " .. q(dir .. "/fill"))
    assert.are.equal(id, pinned.id)
  end)

  it("prog dump xlated: every instruction, the same source lines, maps, helpers and per-CPU moves", function()
    local id = coll.programs.fill:info().id
    local _, mine = ours("prog dump xlated id " .. id)
    local bt = theirs("prog dump xlated id " .. id)
    assert.are.equal(#bt, #mine)
    local percpu = 0
    for i, b in ipairs(bt) do
      local m = mine[i]
      assert.are.equal(b.src, m.src, "insn " .. i)
      assert.is_nil(m.disasm:find("<unknown>", 1, true), m.disasm)
      local bmap = b.disasm:match("map%[id:%d+%]")
      assert.are.equal(bmap, m.disasm:match("map%[id:%d+%]"), "insn " .. i)
      local bcall = b.disasm:match("call ([%w_]+)#")
      if bcall then assert.are.equal(bcall, m.disasm:match("call ([%w_]+)#"), "insn " .. i) end
      -- bpftool 7.1 predates BPF_MOV64_PERCPU_REG and shows it as "rN = rN"
      local d, s = m.disasm:match("^r(%d+) = &%(void __percpu %*%)%(r(%d+)%)$")
      if d then
        percpu = percpu + 1
        assert.is_truthy(b.disasm:find("r" .. d .. " = r" .. s, 1, true) or b.disasm:find("__percpu", 1, true))
      end
    end
    assert.is_true(percpu >= 1, "the per-CPU array lookup is inlined with a per-CPU move")
    assert.are.equal("int fill(struct __sk_buff *skb)", mine[1].src)
  end)

  it("prog dump xlated: subprogram calls and callbacks reach the instruction and function bpftool names", function()
    local c <close> = assert(ebpf.load(helpers.testdata("elf/subprogs.bpf.o")))
    local calls = 0
    for _, p in pairs(c.programs) do
      local id = p:info().id
      local _, mine = ours("prog dump xlated id " .. id)
      local bt = theirs("prog dump xlated id " .. id)
      assert.are.equal(#bt, #mine)
      for i, b in ipairs(bt) do
        assert.are.equal(b.src, mine[i].src)
        assert.are.equal(b.proto ~= nil, mine[i].proto ~= nil, "function start at " .. i)
        local rel, name = b.disasm:match("call pc([+-]%d+)#bpf_prog_%x+_([%w_]+)")
        if rel then
          calls = calls + 1
          local mrel, mname = mine[i].disasm:match("^call pc([+-]%d+) ; %-> %d+ ([%w_]+)$")
          assert.are.equal(rel, mrel, mine[i].disasm)
          assert.are.equal(name, mname)
        end
        local sub = b.disasm:match("= subprog%[([+-]%d+)%]")
        if sub then assert.are.equal(sub, mine[i].disasm:match("= subprog%[([+-]%d+)%]")) end
      end
    end
    assert.is_true(calls >= 3)
  end)

  it("map show: same fields for every map of both objects", function()
    local _, list = ours("map show")
    local bt = by(theirs("map show"), "id")
    local ids = {}
    for _, c in ipairs { coll, gcoll } do
      for _, m in pairs(c.maps) do ids[#ids + 1] = m:info().id end
    end
    local mine = by(list, "id")
    for _, id in ipairs(ids) do
      -- bpftool 7.1's list keeps a stale btf_id from the map before one
      -- without BTF: `show id` is the oracle for a single map
      local b, m = theirs("map show id " .. id), mine[id]
      assert.is_not_nil(bt[id], "map " .. id)
      assert.is_not_nil(m, "map " .. id)
      for _, f in ipairs { "name", "type", "flags", "bytes_key", "bytes_value", "max_entries", "bytes_memlock",
        "frozen", "btf_id" } do
        assert.are.same(b[f], m[f], ("map %d: %s (%s vs %s) %s"):format(id, f, tostring(b[f]), tostring(m[f]), require("ebpf.json").encode(m)))
      end
    end
  end)

  it("map dump: the same bytes and BTF-formatted values, struct members in declaration order", function()
    for _, name in ipairs { "stats", "pcpu", "sized" } do
      local id = coll.maps[name]:info().id
      local _, mine, text = ours("map dump id " .. id)
      local bt = theirs("map dump id " .. id)
      assert.are.equal(#bt, #mine, name)
      local function keyed(list)
        local t = {}
        for _, e in ipairs(list) do t[table.concat(e.key, ",")] = e end
        return t
      end
      local mk = keyed(mine)
      for k, b in pairs(keyed(bt)) do
        local m = mk[k]
        assert.is_not_nil(m, name .. " key " .. k)
        assert.are.same(b.value, m.value)
        assert.are.same(b.values, m.values)
        if b.formatted then assert.are.same(normalize(b.formatted), normalize(m.formatted), name) end
      end
      if name == "stats" then
        -- declaration order, not alphabetical: id before name, count .. level
        assert.is_true(text:find('"id"', 1, true) < text:find('"name"', 1, true))
        local c, d, f, l = text:find('"count"', 1, true), text:find('"delta"', 1, true),
          text:find('"flag"', 1, true), text:find('"level"', 1, true)
        assert.is_true(c < d and d < f and f < l, text)
      end
    end
  end)

  it("map lookup, update, delete, getnext, freeze, pin and create agree with bpftool", function()
    local m = coll.maps.sized
    local id = m:info().id
    local _, r = ours("map update id " .. id .. " key 7 0 0 0 value hex 2a 00 00 00")
    assert.is_nil(r)
    local b = theirs("map lookup id " .. id .. " key 7 0 0 0")
    assert.are.same({ "0x2a", "0x00", "0x00", "0x00" }, b.value)
    local _, l = ours("map lookup id " .. id .. " key hex 07000000")
    assert.are.same(b.value, l.value)
    local _, g = ours("map getnext id " .. id)
    assert.are.same(theirs("map getnext id " .. id).next_key, g.next_key)
    ours("map delete id " .. id .. " key 7 0 0 0")
    assert.is_nil(m:lookup(7))
    -- create + pin, seen by bpftool through the pin
    local pin = dir .. "/created"
    local _, c = ours(("map create %s type hash key 4 value 8 entries 4 name s4_created"):format(q(pin)))
    local bc = theirs("map show pinned " .. q(pin))
    assert.are.equal(c.id, bc.id)
    assert.are.equal("s4_created", bc.name)
    assert.are.equal(8, bc.bytes_value)
    ours("map freeze pinned " .. q(pin))
    assert.are.equal(1, theirs("map show pinned " .. q(pin)).frozen)
    local _, e = ours("map update pinned " .. q(pin) .. " key 1 0 0 0 value 1 0 0 0 0 0 0 0", 1)
    assert.is_string(e.error)
    ours(("map pin id %d %s"):format(id, q(dir .. "/sized")))
    assert.are.equal(id, theirs("map show pinned " .. q(dir .. "/sized")).id)
    -- queue: push here, bpftool peeks
    local qm <close> = assert(ebpf.map { type = "queue", key_size = 0, value_size = 4, max_entries = 4, name = "s4q" })
    local qid = qm:info().id
    ours("map push id " .. qid .. " value 5 0 0 0")
    assert.are.same({ "0x05", "0x00", "0x00", "0x00" }, theirs("map peek id " .. qid).value)
    local _, pk = ours("map pop id " .. qid)
    assert.are.same({ "0x05", "0x00", "0x00", "0x00" }, pk.value)
  end)

  it("prog load, loadall, pin and run: bpftool finds the pins and gets the same return value", function()
    local all, maps = dir .. "/all", dir .. "/maps"
    local _, pinned = ours(("prog loadall %s %s pinmaps %s"):format(q(helpers.testdata("elf/btfmaps.bpf.o")), q(all),
      q(maps)))
    assert.are.equal("fill", pinned[1].name)
    local b = theirs("prog show pinned " .. q(all .. "/fill"))
    assert.are.equal(pinned[1].id, b.id)
    assert.are.equal("fill", b.name)
    assert.are.equal("stats", theirs("map show pinned " .. q(maps .. "/stats")).name)
    assert.are.equal("btfmaps.rodata", theirs("map show pinned " .. q(maps .. "/_rodata")).name)
    -- an existing map in place of the object's own (`map name NAME MAP`)
    local mine_map <close> = assert(ebpf.map { type = "lru_hash", key_size = 4, value_size = 4, max_entries = 32,
      name = "s4_sized" })
    local mid = mine_map:info().id
    local _, re = ours(("prog loadall %s %s map name sized id %d"):format(q(helpers.testdata("elf/btfmaps.bpf.o")),
      q(dir .. "/re"), mid))
    local found = false
    for _, x in ipairs(theirs("prog show id " .. re[1].id).map_ids) do found = found or x == mid end
    assert.is_true(found, "the program uses the given map")
    os.execute("rm -rf " .. q(dir .. "/re"))
    local one = dir .. "/one"
    local _, l1 = ours(("prog load %s %s type socket_filter"):format(q(helpers.testdata("misc/minimal.bpf.o")), q(one)))
    assert.are.equal("socket_filter", theirs("prog show pinned " .. q(one)).type)
    assert.are.equal(l1[1].id, theirs("prog show pinned " .. q(one)).id)
    ours(("prog pin id %d %s"):format(l1[1].id, q(dir .. "/again")))
    assert.are.equal(l1[1].id, theirs("prog show pinned " .. q(dir .. "/again")).id)
    -- test run from a file: the same return value as bpftool's run
    local pkt = os.tmpname()
    local f = assert(io.open(pkt, "wb"))
    f:write(string.rep("\0", 64))
    f:close()
    local _, r = ours(("prog run pinned %s data_in %s repeat 3"):format(q(all .. "/fill"), q(pkt)))
    local br = theirs(("prog run pinned %s data_in %s"):format(q(all .. "/fill"), q(pkt)))
    os.remove(pkt)
    assert.are.equal(br.retval, r.retval)
    assert.are.equal("integer", math.type(r.duration))
    -- a failing load pins nothing
    local _, e = ours(("prog loadall %s %s"):format(q(helpers.testdata("elf/fail.bpf.o")), q(dir .. "/bad")), 1)
    assert.is_string(e.error)
    assert.is_nil(io.open(dir .. "/bad/fill"))
    -- btf dump of a map's and a program's BTF: C with their types
    local id = coll.maps.stats:info().id
    local p = assert(io.popen(("EBPF_BUILD=%s bin/ebpf btf dump map id %d"):format(q(helpers.build), id)))
    local c = p:read("a")
    p:close()
    assert.matches("struct key {", c, 1, true)
    assert.matches("struct val {", c, 1, true)
    os.execute("rm -rf " .. q(all) .. " " .. q(maps))
  end)

  it("struct_ops register and unregister, as bpftool's struct_ops show sees them", function()
    local _, reg = ours(("struct_ops register %s %s"):format(q(helpers.testdata("struct_ops/tcp_cc.bpf.o")), q(dir)), nil)
    if helpers.skip_unless(reg and not reg.error, "struct_ops register failed (name taken?)") then return end
    local bt = by(theirs("struct_ops show"), "id")
    local plain, linked = nil, {}
    for _, r in ipairs(reg) do
      if r.link then linked[#linked + 1] = r else plain = r end
    end
    finally(function()
      for _, r in ipairs(linked) do ebpf.unpin(r.link) end
      if plain then os.execute(("EBPF_BUILD=%s bin/ebpf struct_ops unregister id %d 2>/dev/null"):format(q(helpers.build),
        plain.id)) end
    end)
    for _, r in ipairs(reg) do
      assert.is_not_nil(bt[r.id], r.name)
      assert.are.equal(r.name, bt[r.id].name)
    end
    assert.is_not_nil(plain)
    assert.is_true(#linked >= 1)
    -- the linked ones live by their pinned links, the plain one by its registration
    for _, r in ipairs(linked) do
      local lk = theirs("link show pinned " .. q(r.link))
      assert.are.equal(r.id, lk.map_id or lk.struct_ops and lk.struct_ops.map_id or r.id)
    end
    ours("struct_ops unregister id " .. plain.id)
    local after = by(theirs("struct_ops show") or {}, "id")
    assert.is_nil(after[plain.id])
  end)

  it("map event_pipe prints the records a program writes to a perf event array, until SIGINT", function()
    local pe <close> = assert(ebpf.map { type = "perf_event_array", key_size = 4, value_size = 4,
      max_entries = ebpf.possible_cpus(), name = "s4_events" })
    local I = helpers.insns
    local p <close> = assert(ebpf.program { type = "socket_filter", name = "s4_emit", insns = I {
      { 0xbf, 6, 1 },                               -- r6 = ctx
      { 0x7a, 10, 0, -8, 0x2a },                    -- *(u64 *)(r10 - 8) = 42
      { 0xbf, 1, 6 },                               -- r1 = ctx
      { 0x18, 2, 1, 0, pe:fd() }, { 0 },            -- r2 = map
      { 0x18, 3, 0, 0, -1 }, { 0 },                 -- r3 = BPF_F_CURRENT_CPU (0xffffffff)
      { 0xbf, 4, 10 }, { 0x07, 4, 0, 0, -8 },       -- r4 = &value
      { 0xb7, 5, 0, 0, 8 },                         -- r5 = 8 bytes
      { 0x85, 0, 0, 0, 25 },                        -- bpf_perf_event_output
      { 0xb7, 0, 0, 0, 0 }, { 0x95 },
    } })
    local outf = os.tmpname()
    -- in the background: the exit status lands in outf.rc when it has ended
    assert(os.execute(("(EBPF_BUILD=%s timeout -s INT 8 bin/ebpf -j map event_pipe id %d > %s 2>&1 & echo $! > %s.pid; "
      .. "wait $!; echo $? > %s.rc) &"):format(q(helpers.build), pe:info().id, q(outf), q(outf), q(outf))))
    -- records written before the reader is in the map go nowhere: emit
    -- until the first one shows (the command prints line by line), then two more
    local seen = false
    for _ = 1, 60 do
      assert(p:run(string.rep("\0", 64)))
      ebpf.sleep(0.1)
      if helpers.read_file(outf) ~= "" then
        seen = true
        break
      end
    end
    assert.is_true(seen, "no record from ebpf map event_pipe")
    for _ = 1, 2 do assert(p:run(string.rep("\0", 64))) end
    ebpf.sleep(0.3)
    -- Ctrl-C (to the timeout we started, which passes it on) ends the stream
    local pid = helpers.read_file(outf .. ".pid"):match("%d+")
    os.execute("kill -INT " .. pid)
    os.remove(outf .. ".pid")
    local rc
    for _ = 1, 150 do
      ebpf.sleep(0.1)
      local f = io.open(outf .. ".rc")
      rc = f and f:read("l")
      if f then f:close() end
      if rc and rc ~= "" then break end
    end
    local text = helpers.read_file(outf)
    assert.are.equal("0", rc) -- Ctrl-C is the normal end of the stream
    os.remove(outf .. ".rc")
    os.remove(outf)
    local n = 0
    for line in text:gmatch("[^\n]+") do
      local r = json_decode(line)
      outputs[#outputs + 1] = { args = "map event_pipe", text = line }
      n = n + 1
      assert.are.same({ "0x2a", "0x00", "0x00", "0x00", "0x00", "0x00", "0x00", "0x00" }, { table.unpack(r.data, 1, 8) })
    end
    assert.are.equal(3, n, text)
  end)

  it("btf show: the same sizes, names and the programs and maps using each", function()
    local _, list = ours("btf show")
    local bt = by(theirs("btf show"), "id")
    local btf_id = coll.programs.fill:info().btf_id
    local found
    for _, b in ipairs(list) do
      local t = bt[b.id]
      if t then
        assert.are.equal(t.size, b.size)
        assert.are.equal(t.kernel, b.kernel)
        assert.are.equal(t.name, b.name)
        if b.id == btf_id then
          found = true
          assert.are.same(sorted(t.prog_ids), sorted(b.prog_ids))
          assert.are.same(sorted(t.map_ids), sorted(b.map_ids))
        end
      end
    end
    assert.is_true(found)
  end)

  it("link show, pin and detach: raw tracepoint, tracepoint (perf) and iterator", function()
    local p = assert(ebpf.program { type = "raw_tracepoint", name = "s4_rawtp", insns = helpers.return_imm(0) })
    local l = assert(ebpf.link.raw_tracepoint(p, "sys_enter"))
    local lid = l:info().id
    local _, one = ours("link show id " .. lid)
    local b = theirs("link show id " .. lid)
    assert.are.equal(b.id, one.id)
    assert.are.equal(b.prog_id, one.prog_id)
    assert.are.equal(b.type, one.type)
    assert.are.equal(b.tp_name, one.tp_name)
    ours(("link pin id %d %s"):format(lid, q(dir .. "/rawtp")))
    assert.are.equal(lid, theirs("link show pinned " .. q(dir .. "/rawtp")).id)
    l:close()
    p:close()
    os.remove(dir .. "/rawtp")
    ebpf.unpin(dir .. "/rawtp")
    -- iter pin: the pinned iterator link is bpftool's too
    local pin = dir .. "/tasks"
    ours(("iter pin %s %s"):format(q(helpers.testdata("link/iter_task.bpf.o")), q(pin)))
    local it = theirs("link show pinned " .. q(pin))
    assert.are.equal("iter", it.type)
    assert.truthy(#helpers.read_file(pin) > 0)
    ebpf.unpin(pin)
  end)

  it("perf: the tracepoint and raw tracepoint fds of this process, as bpftool finds them", function()
    local p = assert(ebpf.program { type = "tracepoint", name = "s4_tp", insns = helpers.return_imm(0) })
    local ok, l = pcall(ebpf.link.tracepoint, p, "syscalls", "sys_enter_getpid")
    if helpers.skip_unless(ok and l, "tracepoint attach failed: " .. tostring(l), true) then
      p:close()
      return
    end
    local pid = ebpf.core.getpid and ebpf.core.getpid() or tonumber(helpers.read_file("/proc/self/stat"):match("^(%d+)"))
    local _, mine = ours("perf")
    local bt = theirs("perf") or {}
    local function of_pid(list)
      local t = {}
      for _, e in ipairs(list) do
        if e.pid == pid then t[e.fd] = e end
      end
      return t
    end
    local m, b = of_pid(mine), of_pid(bt)
    local n = 0
    for fd, e in pairs(b) do
      n = n + 1
      assert.is_not_nil(m[fd], "fd " .. fd)
      assert.are.equal(e.prog_id, m[fd].prog_id)
      assert.are.equal(e.fd_type, m[fd].fd_type)
      assert.are.equal(e.tracepoint, m[fd].tracepoint)
    end
    assert.is_true(n >= 1)
    l:close()
    p:close()
  end)

  it("net show: xdp, classic tc and tcx on a veth pair, as bpftool sees them", function()
    local a = ("s4c%da"):format(math.random(10000, 99999))
    local peer = a:sub(1, -2) .. "b"
    if not os.execute(("ip link add %s type veth peer name %s 2>/dev/null"):format(a, peer)) then
      return helpers.skip_unless(false, "cannot create a veth pair")
    end
    finally(function() os.execute(("ip link del %s 2>/dev/null"):format(a)) end)
    local xp = assert(ebpf.program { type = "xdp", name = "s4_xdp", insns = helpers.return_imm(2) })
    local tp = assert(ebpf.program { type = "sched_cls", name = "s4_tc", insns = helpers.return_imm(0) })
    local xl = assert(ebpf.link.xdp(xp, a, { mode = "generic" }))
    local cl = assert(ebpf.link.tc(tp, a, { mode = "classic" }))
    local tl = assert(ebpf.link.tcx(tp, a, { direction = "egress" }))
    -- a netfilter link accepting everything, at a priority of its own
    local np = assert(ebpf.program { type = "netfilter", name = "s4_nf", insns = helpers.return_imm(1),
      expected_attach_type = "netfilter" })
    local nl = assert(ebpf.link.netfilter(np, { family = "ipv4", hook = "local_in", priority = 1234 }))
    local _, mine = ours("net show dev " .. a)
    local b = theirs("net show dev " .. a)
    mine, b = mine[1], b[1]
    assert.are.equal(1, #b.xdp)
    assert.are.equal(1, #mine.xdp)
    for _, f in ipairs { "devname", "ifindex", "mode", "id" } do assert.are.equal(b.xdp[1][f], mine.xdp[1][f], f) end
    local function kind(list, k)
      for _, e in ipairs(list) do if e.kind == k then return e end end
    end
    local bc, mc = kind(b.tc, "clsact/ingress"), kind(mine.tc, "clsact/ingress")
    assert.is_not_nil(bc)
    assert.is_not_nil(mc)
    assert.are.equal(bc.id, mc.id)
    assert.are.equal(bc.name, mc.name)
    assert.are.equal(bc.ifindex, mc.ifindex)
    -- tcx: bpftool 7.1 predates it; the query is the oracle
    local tx = kind(mine.tc, "tcx/egress")
    assert.is_not_nil(tx)
    assert.are.equal(tp:info().id, tx.prog_id)
    assert.are.equal(tl:info().id, tx.link_id)
    local nf
    for _, e in ipairs(mine.netfilter) do if e.link_id == nl:info().id then nf = e end end
    assert.is_not_nil(nf)
    assert.are.same({ "ipv4", "input", 1234, np:info().id }, { nf.pf, nf.hook, nf.prio, nf.prog_id })
    assert.are.equal(np:info().id, theirs("link show id " .. nl:info().id).prog_id)
    nl:close()
    np:close()
    -- the links of these attachments
    local _, lk = ours("link show id " .. xl:info().id)
    assert.are.equal("xdp", lk.type)
    assert.are.equal(a, lk.devname)
    -- detach through the CLI: the tcx hook is empty afterwards
    ours("link detach id " .. tl:info().id)
    assert.are.equal(0, #ebpf.link.query(a, "tcx_egress").programs)
    tl:close()
    cl:close()
    xl:close()
    tp:close()
    xp:close()
  end)

  it("net show: the flow dissector of a network namespace, as bpftool shows it there", function()
    local ns = ("ebpfcli%d"):format(math.random(10000, 99999))
    if not os.execute("ip netns add " .. ns .. " 2>/dev/null") then
      return helpers.skip_unless(false, "cannot create a network namespace")
    end
    finally(function() os.execute("ip netns del " .. ns .. " 2>/dev/null") end)
    local p <close> = assert(ebpf.program { type = "flow_dissector", name = "s4_flow", insns = helpers.return_imm(0) })
    local l <close> = assert(ebpf.link.netns(p, "/var/run/netns/" .. ns))
    assert.are.equal("netns", l:info().type)
    local inside = "ip netns exec " .. ns
    local _, mine = ours("net show", 0, inside)
    assert.are.equal(1, #mine[1].flow_dissector)
    local fd = mine[1].flow_dissector[1]
    assert.are.equal(p:info().id, fd.id)
    assert.are.equal("s4_flow", fd.name)
    -- bpftool 7.1 prints this member as `["id":N]`, not JSON: read its raw text
    local b, raw = theirs("net show", inside)
    local bid = b and b[1].flow_dissector[1].id or tonumber(raw:match('"flow_dissector":%[{?"id":(%d+)'))
    assert.are.equal(fd.id, bid)
    -- outside the namespace it is not there
    local _, host = ours("net show")
    for _, e in ipairs(host[1].flow_dissector) do assert.are_not.equal(fd.id, e.id) end
  end)

  it("cgroup show and tree: the cgroup's attachments, as bpftool lists them", function()
    local root
    for line in io.lines("/proc/mounts") do
      local mnt, t = line:match("^%S+ (%S+) (%S+)")
      if t == "cgroup2" then root = mnt end
    end
    if helpers.skip_unless(root, "no cgroup v2 mount", true) then return end
    local cg = ("%s/ebpf_cli_%d"):format(root, math.random(1, 1 << 30))
    assert(os.execute("mkdir " .. q(cg)))
    finally(function() os.execute("rmdir " .. q(cg)) end)
    local p = assert(ebpf.program { type = "cgroup_skb", name = "s4_cg", insns = helpers.return_imm(1),
      expected_attach_type = "cgroup_inet_ingress" })
    local l = assert(ebpf.link.cgroup(p, cg, { attach_type = "cgroup_inet_ingress" }))
    local _, mine = ours("cgroup show " .. q(cg))
    local b = theirs("cgroup show " .. q(cg))
    assert.are.equal(1, #mine)
    assert.are.equal(#b, #mine)
    for _, f in ipairs { "id", "attach_type", "attach_flags", "name" } do assert.are.equal(b[1][f], mine[1][f], f) end
    -- effective: a child cgroup runs its parent's program too
    local child = cg .. "/child"
    assert(os.execute("mkdir " .. q(child)))
    local _, eff = ours("cgroup show " .. q(child) .. " effective")
    local beff = theirs("cgroup show " .. q(child) .. " effective")
    os.execute("rmdir " .. q(child))
    assert.are.equal(1, #eff)
    assert.are.equal(p:info().id, eff[1].id)
    assert.are.equal(beff[1].id, eff[1].id)
    assert.are.equal(beff[1].attach_type, eff[1].attach_type)
    local _, tree = ours("cgroup tree " .. q(root))
    local bt = theirs("cgroup tree " .. q(root))
    local function find(list)
      for _, c in ipairs(list) do if c.cgroup == cg then return c end end
    end
    local mt, btt = find(tree), find(bt)
    assert.is_not_nil(mt)
    assert.is_not_nil(btt)
    assert.are.equal(btt.programs[1].id, mt.programs[1].id)
    -- the link itself
    local _, lk = ours("link show id " .. l:info().id)
    local blk = theirs("link show id " .. l:info().id)
    assert.are.equal(blk.cgroup_id, lk.cgroup_id)
    assert.are.equal(blk.attach_type, lk.attach_type)
    l:close()
    p:close()
  end)

  it("struct_ops show: the registered struct_ops maps, as bpftool names them", function()
    local c, err = ebpf.load(helpers.testdata("struct_ops/tcp_cc.bpf.o"))
    if helpers.skip_unless(c, "struct_ops object does not load: " .. tostring(err)) then return end
    local links = {}
    for _, m in pairs(c.maps) do
      local info = m:info()
      if info.type == "struct_ops" and info.map_flags & (1 << 13) ~= 0 then
        local l, lerr = ebpf.link.struct_ops(m)
        if helpers.skip_unless(l, "struct_ops link: " .. tostring(lerr)) then
          c:close()
          return
        end
        links[#links + 1] = l
      end
    end
    local _, mine = ours("struct_ops show")
    local bt = by(theirs("struct_ops show") or {}, "id")
    local n = 0
    for _, s in ipairs(mine) do
      local b = bt[s.id]
      if b then
        n = n + 1
        assert.are.equal(b.name, s.name)
        assert.are.equal(b.kernel_struct_ops, s.kernel_struct_ops)
      end
    end
    assert.is_true(n >= 1)
    for _, l in ipairs(links) do l:close() end
    c:close()
  end)

  it("errors under --json are JSON objects with a message and a non-zero exit, as bpftool's", function()
    local _, e = ours("prog show id 4000000000", 1)
    assert.is_string(e.error)
    assert.is_string(theirs("prog show id 4000000000").error)
    _, e = ours("map show nosuch", 2)
    assert.matches("map id must be", e.error)
    _, e = ours("frobnicate", 2)
    assert.matches("unknown command", e.error)
    -- hostile bytes in what is echoed back: still valid JSON
    _, e = ours("map show pinned " .. q("/sys/fs/bpf/\255\1\"q\n\\"), 1)
    assert.is_string(e.error)
    _, e = ours("prog show name " .. q("\192\128\"x"), 1)
    assert.is_string(e.error)
    -- -p pretty prints, and works after the command too
    local _, pr, text = ours("btf show -p")
    assert.is_table(pr)
    assert.matches("\n  ", text)
  end)

  it("prints invalid UTF-8, control bytes and quotes in values as valid JSON", function()
    local b = ebpf.btf.new()
    local u32 = b:add_int("u32", 4)
    local ch = b:add_int("char", 1, "char")
    local arr = b:add_array(ch, 8)
    local m <close> = assert(ebpf.map { type = "array", max_entries = 1, name = "s4_hostile", btf = b,
      key_type = u32, value_type = arr })
    m[0] = "\255\"\n\1\\a\192\0"
    local id = m:info().id
    local _, mine = ours("map dump id " .. id)
    local want = { "0xff", "0x22", "0x0a", "0x01", "0x5c", "0x61", "0xc0", "0x00" }
    assert.are.same(want, mine[1].value)
    -- the decoded char array is not UTF-8: bytes, not a broken string
    assert.are.same({ "0xff", "0x22", "0x0a", "0x01", "0x5c", "0x61", "0xc0" }, mine[1].formatted.value)
    local _, l = ours("map lookup id " .. id .. " key 0 0 0 0")
    assert.are.same(want, l.value)
    -- bpftool 7.1 prints these bytes as raw quotes and backslashes: not JSON
    local bt, raw = theirs("map dump id " .. id)
    if bt then
      assert.are.same(want, bt[1].value)
    else
      assert.matches('"0xff","0x22"', raw, 1, true) -- its raw bytes still agree
    end
  end)

  it("feature: the program and map types bpftool finds, and valid JSON", function()
    local _, mine = ours("feature --no-helpers")
    local bt = theirs("feature probe kernel")
    if helpers.skip_unless(bt, "bpftool feature probe failed") then return end
    for name, e in pairs(mine.prog_types) do
      local have = bt.program_types["have_" .. name .. "_prog_type"]
      if have ~= nil and e.status ~= "inconclusive" then
        assert.are.equal(have, e.status == "supported", "prog type " .. name)
      end
    end
    for name, e in pairs(mine.map_types) do
      local have = bt.map_types["have_" .. name .. "_map_type"]
      if have ~= nil and e.status ~= "inconclusive" then
        assert.are.equal(have, e.status == "supported", "map type " .. name)
      end
    end
  end)
  it("every JSON output of these tests parses with Python's json module", function()
    assert.is_true(#outputs > 30)
    local bad, raw = python_json_check(outputs)
    assert.are.same({}, bad, raw)
  end)
end)
