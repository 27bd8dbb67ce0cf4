--- ebpf.cli: the `ebpf` command-line tool (bin/ebpf is a thin launcher).
-- `cli.main(argv, out, err)` runs one command and returns the exit status;
-- out/err are functions taking a string (default: io.stdout/io.stderr), so
-- the tool is testable in-process.
-- @module ebpf.cli

local json = require "ebpf.json"

local M = {}

local ebpf -- required on first use, so `ebpf --help` works without the C module
local function lib()
  ebpf = ebpf or require "ebpf"
  return ebpf
end

-- A usage error (bad arguments): exit status 2.
local Usage = {}
local function usage_error(msg) error(setmetatable({ msg = msg }, Usage), 0) end
-- A runtime failure (kernel, files): exit status 1.
local Fail = {}
local function fail(msg) error(setmetatable({ msg = tostring(msg) }, Fail), 0) end

---------------------------------------------------------------- output

-- Aligned columns: rows is a list of lists of strings, the first the header.
local function columns(rows)
  local w = {}
  for _, r in ipairs(rows) do
    for i, c in ipairs(r) do
      local len = utf8.len(c) or #c
      if not w[i] or len > w[i] then w[i] = len end
    end
  end
  local lines = {}
  for _, r in ipairs(rows) do
    local parts = {}
    for i, c in ipairs(r) do
      parts[i] = i == #r and c or c .. (" "):rep(w[i] - (utf8.len(c) or #c))
    end
    lines[#lines + 1] = (table.concat(parts, "  "):gsub("%s+$", ""))
  end
  return table.concat(lines, "\n") .. "\n"
end

local function hex(s, sep)
  return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) .. (sep or " ") end):gsub("%s+$", ""))
end

local function kv_block(pairs_list)
  local rows = {}
  for _, p in ipairs(pairs_list) do
    if p[2] ~= nil then rows[#rows + 1] = { p[1] .. ":", tostring(p[2]) } end
  end
  return columns(rows)
end

---------------------------------------------------------------- arguments

-- Parses argv against a command spec: flags = { ["--json"] = false (no
-- value) | true (takes a value) | "list" (takes a value, may repeat: a
-- list of them) }, with "-h/--help" always accepted.
local function parse(argv, first, flags)
  local opts, pos = {}, {}
  local i = first
  while i <= #argv do
    local a = argv[i]
    if a == "--" then
      for j = i + 1, #argv do pos[#pos + 1] = argv[j] end
      break
    elseif a == "-h" or a == "--help" then
      opts.help = true
    elseif a:sub(1, 1) == "-" and #a > 1 then
      local name, val = a:match("^(%-%-?[^=]+)=(.*)$")
      name = name or a
      local takes = flags[name]
      if takes == nil then usage_error("unknown option " .. name) end
      if takes then
        if not val then
          i = i + 1
          val = argv[i]
          if not val then usage_error("option " .. name .. " needs a value") end
        end
        local key = name:gsub("^%-+", ""):gsub("%-", "_")
        if takes == "list" then opts[key] = opts[key] or {} end
        if type(opts[key]) == "table" then
          table.insert(opts[key], val)
        else
          opts[key] = val
        end
      else
        if val then usage_error("option " .. name .. " takes no value") end
        opts[(name:gsub("^%-+", ""):gsub("%-", "_"))] = true
      end
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  return opts, pos
end

-- Kernel object ids are u32: a larger number is a usage error here, not a
-- range error raised from inside the library.
local function check_id(s, what)
  local n = tonumber(s)
  if not n or math.type(n) ~= "integer" or n < 0 or n > 0xffffffff then
    usage_error(("%s id must be an integer from 0 to 4294967295, got '%s'"):format(what, tostring(s)))
  end
  return n
end

---------------------------------------------------------------- records

local boot_time
local function wall_clock(ns_since_boot)
  if not boot_time then
    local f = io.open("/proc/uptime")
    local up = f and tonumber(f:read("l"):match("^(%S+)")) or 0
    if f then f:close() end
    boot_time = os.time() - up
  end
  return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(boot_time + ns_since_boot / 1e9))
end

local function prog_record(id)
  local p, err = lib().program.from_id(id)
  if not p then return nil, err end
  local info, ierr = p:info()
  p:close()
  if not info then return nil, ierr end
  return {
    id = info.id, type = info.type, name = info.name, tag = info.tag,
    gpl_compatible = info.gpl_compatible, loaded_at = wall_clock(info.load_time),
    uid = info.created_by_uid, xlated_size = info.xlated_size, jited_size = info.jited_size,
    map_ids = json.array(info.map_ids or {}), btf_id = info.btf_id,
    run_cnt = info.run_cnt, run_time_ns = info.run_time_ns, verified_insns = info.verified_insns,
  }
end

local function map_record(id)
  local m, err = lib().map.from_id(id)
  if not m then return nil, err end
  local info, ierr = m:info()
  m:close()
  if not info then return nil, ierr end
  return {
    id = info.id, type = info.type, name = info.name, key_size = info.key_size,
    value_size = info.value_size, max_entries = info.max_entries, flags = json.array(info.flags or {}),
    btf_id = info.btf_id, memlock = info.memlock, frozen = info.frozen, map_extra = info.map_extra,
  }
end

-- Every object of a kind, skipping those that vanish while we look.
local function all(ids, record)
  local list = {}
  local ok, ierr = pcall(function()
    for id in ids() do
      local r, err = record(id)
      if r then
        list[#list + 1] = r
      elseif not (type(err) == "table" and err.code == "ENOENT") then
        fail(err)
      end
    end
  end)
  if not ok then
    if type(ierr) == "table" and getmetatable(ierr) == Fail then error(ierr, 0) end
    -- the iterator's own error (e.g. EPERM without root): the message, not our file and line
    local msg = tostring(ierr):gsub("^[^:\n]*%.lua:%d+: ", "")
    if msg:find("not permitted", 1, true) then msg = msg .. " (listing BPF objects needs root or CAP_SYS_ADMIN)" end
    fail(msg)
  end
  return list
end

---------------------------------------------------------------- commands

local commands = {}

commands.prog = {
  summary = "list, show or disassemble loaded programs",
  usage = "ebpf prog list [--json]\n       ebpf prog show ID [--json]\n       ebpf prog dump ID",
  flags = { ["--json"] = false },
  run = function(o, pos, out)
    local sub = pos[1]
    if sub == "list" then
      local list = all(lib().program.ids, prog_record)
      if o.json then return out(json.encode(json.array(list)) .. "\n") end
      local rows = { { "ID", "TYPE", "NAME", "TAG", "XLATED", "JITED", "MAPS", "LOADED" } }
      for _, p in ipairs(list) do
        rows[#rows + 1] = { tostring(p.id), p.type, p.name, p.tag, tostring(p.xlated_size),
          tostring(p.jited_size), table.concat(p.map_ids, ","), p.loaded_at }
      end
      return out(columns(rows))
    elseif sub == "show" then
      local id = check_id(pos[2], "program")
      local p, err = prog_record(id)
      if not p then fail(err) end
      if o.json then return out(json.encode(p) .. "\n") end
      return out(kv_block {
        { "id", p.id }, { "type", p.type }, { "name", p.name }, { "tag", p.tag },
        { "gpl", p.gpl_compatible }, { "loaded_at", p.loaded_at }, { "uid", p.uid },
        { "xlated", p.xlated_size .. " bytes" }, { "jited", p.jited_size .. " bytes" },
        { "verified_insns", p.verified_insns }, { "maps", table.concat(p.map_ids, ",") },
        { "btf_id", p.btf_id ~= 0 and p.btf_id or nil },
        { "run_cnt", p.run_cnt ~= 0 and p.run_cnt or nil },
      })
    elseif sub == "dump" then
      -- The instructions as the verifier left them (xlated), disassembled.
      local id = check_id(pos[2], "program")
      local eb = lib()
      if not (eb.asm and eb.asm.disassemble) then fail("ebpf prog dump needs the ebpf.asm module") end
      local p, err = eb.program.from_id(id)
      if not p then fail(err) end
      local info, ierr = p:info()
      p:close()
      if not info then fail(ierr) end
      if not info.xlated or #info.xlated == 0 then
        fail(("program %d: no translated instructions (kernel.bpf_jit_harden or no permission)"):format(id))
      end
      return out(eb.asm.disassemble(info.xlated))
    end
    usage_error("expected 'list', 'show ID' or 'dump ID'")
  end,
}

-- Bytes of a key as the map API returns it (integers for 1/2/4/8 bytes).
local function as_bytes(v, size)
  if type(v) == "string" then return v end
  return string.pack(size == 8 and "<i8" or ("<I" .. size), v)
end

-- The BTF module: ebpf.btf, or the C module's table before init.lua exports it.
local function btf_mod()
  local eb = lib()
  return eb.btf or eb.core.btf
end

-- Key and value BTF types of a map with BTF, or nil (no BTF, or no
-- ebpf.btf module); decoding is best effort and never fails the dump.
local function map_types(info)
  local btf = btf_mod()
  if not (btf and btf.from_id) or info.btf_id == 0 or info.btf_value_type_id == 0 then return nil end
  local ok, b = pcall(btf.from_id, info.btf_id)
  if not ok or not b then return nil end
  local kt = info.btf_key_type_id ~= 0 and b:type(info.btf_key_type_id) or nil
  local vt = b:type(info.btf_value_type_id)
  return { btf = b, key = kt, value = vt }
end

local function decode(t, bytes)
  if not t then return nil end
  local ok, v = pcall(t.decode, t, bytes)
  return ok and v or nil
end

local function dump_entries(m, info)
  local eb = lib()
  local types = map_types(info)
  local entries = {}
  local ncpu = eb.possible_cpus and eb.possible_cpus() or 1
  local percpu = info.type:find("percpu") ~= nil
  for k in m:keys() do
    local kb = as_bytes(k, info.key_size)
    local vb, err = m:lookup_bytes(kb)
    local e = { key = kb }
    if vb then
      if percpu then
        local stride = (info.value_size + 7) // 8 * 8
        e.values = {}
        for c = 0, ncpu - 1 do
          e.values[c + 1] = vb:sub(c * stride + 1, c * stride + info.value_size)
        end
      else
        e.value = vb
      end
      if types then
        e.decoded_key = decode(types.key, kb)
        if percpu then
          e.decoded_value = {}
          for c, v in ipairs(e.values) do e.decoded_value[c] = decode(types.value, v) end
        else
          e.decoded_value = decode(types.value, vb)
        end
      end
    else
      e.error = tostring(err)
    end
    entries[#entries + 1] = e
  end
  return entries, types ~= nil
end

local function bytes_json(s)
  local t = {}
  for i = 1, #s do t[i] = ("0x%02x"):format(s:byte(i)) end
  return json.array(t)
end

local function plain(v, depth)
  -- Decoded values may be tables with metatables; copy to plain data.
  depth = depth or 0
  if type(v) ~= "table" or depth > 16 then
    return type(v) == "userdata" and tostring(v) or v
  end
  local t = {}
  for k, x in pairs(v) do t[k] = plain(x, depth + 1) end
  return t
end

commands.map = {
  summary = "list, show or dump maps",
  usage = "ebpf map list [--json]\n       ebpf map show ID [--json]\n       ebpf map dump ID [--json]",
  flags = { ["--json"] = false },
  run = function(o, pos, out)
    local sub = pos[1]
    if sub == "list" then
      local list = all(lib().map.ids, map_record)
      if o.json then return out(json.encode(json.array(list)) .. "\n") end
      local rows = { { "ID", "TYPE", "NAME", "KEY", "VALUE", "MAX", "FLAGS", "MEMLOCK" } }
      for _, m in ipairs(list) do
        rows[#rows + 1] = { tostring(m.id), m.type, m.name, tostring(m.key_size), tostring(m.value_size),
          tostring(m.max_entries), table.concat(m.flags, ","), tostring(m.memlock or "") }
      end
      return out(columns(rows))
    elseif sub == "show" then
      local m, err = map_record(check_id(pos[2], "map"))
      if not m then fail(err) end
      if o.json then return out(json.encode(m) .. "\n") end
      return out(kv_block {
        { "id", m.id }, { "type", m.type }, { "name", m.name }, { "key", m.key_size .. " bytes" },
        { "value", m.value_size .. " bytes" }, { "max_entries", m.max_entries },
        { "flags", #m.flags > 0 and table.concat(m.flags, ",") or nil },
        { "btf_id", m.btf_id ~= 0 and m.btf_id or nil }, { "memlock", m.memlock },
        { "frozen", m.frozen },
      })
    elseif sub == "dump" then
      local id = check_id(pos[2], "map")
      local m, err = lib().map.from_id(id)
      if not m then fail(err) end
      local info = assert(m:info())
      if info.key_size == 0 then
        m:close()
        fail(("map %d (%s) has no keys to dump"):format(id, info.type))
      end
      local ok, entries, decoded = pcall(dump_entries, m, info)
      m:close()
      if not ok then fail(entries) end
      if o.json then
        local list = {}
        for i, e in ipairs(entries) do
          local j = { key = bytes_json(e.key), error = e.error }
          if e.value then j.value = bytes_json(e.value) end
          if e.values then
            j.values = {}
            for c, v in ipairs(e.values) do j.values[c] = { cpu = c - 1, value = bytes_json(v) } end
          end
          if decoded then
            j.formatted = { key = plain(e.decoded_key), value = plain(e.decoded_value) }
          end
          list[i] = j
        end
        return out(json.encode(json.array(list)) .. "\n")
      end
      local lines = {}
      for _, e in ipairs(entries) do
        local l = "key: " .. hex(e.key)
        if e.value then
          l = l .. "  value: " .. hex(e.value)
        elseif e.values then
          for c, v in ipairs(e.values) do l = l .. ("\n  cpu%d: %s"):format(c - 1, hex(v)) end
        else
          l = l .. "  error: " .. e.error
        end
        if decoded then
          l = l .. "\n  = " .. json.encode(plain(e.decoded_key)) .. " -> " .. json.encode(plain(e.decoded_value))
        end
        lines[#lines + 1] = l
      end
      lines[#lines + 1] = ("Found %d element%s"):format(#entries, #entries == 1 and "" or "s")
      return out(table.concat(lines, "\n") .. "\n")
    end
    usage_error("expected 'list', 'show ID' or 'dump ID'")
  end,
}

commands.link = {
  summary = "list links",
  usage = "ebpf link list [--json]",
  flags = { ["--json"] = false },
  run = function(o, pos, out)
    if pos[1] ~= "list" then usage_error("expected 'list'") end
    local core = lib().core
    local list = all(lib().link.ids, core.link_info)
    if o.json then return out(json.encode(json.array(list)) .. "\n") end
    local rows = { { "ID", "TYPE", "PROG", "ATTACH", "TARGET" } }
    for _, l in ipairs(list) do
      local target = l.tp_name or (l.ifindex and ("ifindex " .. l.ifindex))
        or (l.cgroup_id and ("cgroup " .. l.cgroup_id)) or (l.netns_ino and ("netns " .. l.netns_ino))
        or (l.target_btf_id and l.target_btf_id ~= 0 and ("btf " .. l.target_btf_id)) or ""
      rows[#rows + 1] = { tostring(l.id), l.type, tostring(l.prog_id), l.attach_type or "", target }
    end
    return out(columns(rows))
  end,
}

-- Regular files only, bounded (a FIFO or /dev/zero is refused, not read).
local function read_file(path, what)
  local s, err = lib().core.read_file(path, what or "file")
  if not s then fail(tostring(err)) end
  return s
end

commands.btf = {
  summary = "list BTF objects, dump one as C (vmlinux.h) or raw",
  usage = "ebpf btf list [--json]\n       ebpf btf dump ID|FILE [--format c|raw]",
  flags = { ["--json"] = false, ["--format"] = true },
  run = function(o, pos, out)
    local sub = pos[1]
    local core = lib().core
    if sub == "list" then
      local list = all(lib().btf.ids, core.btf_info)
      if o.json then return out(json.encode(json.array(list)) .. "\n") end
      local rows = { { "ID", "NAME", "SIZE", "KERNEL" } }
      for _, b in ipairs(list) do
        rows[#rows + 1] = { tostring(b.id), b.name, tostring(b.size), b.kernel and "yes" or "no" }
      end
      return out(columns(rows))
    elseif sub == "dump" then
      local what = pos[2] or usage_error("btf dump needs an id or a file")
      local format = o.format or "c"
      if format ~= "c" and format ~= "raw" then usage_error("--format must be 'c' or 'raw'") end
      local by_id = what:match("^%d+$") ~= nil
      if format == "raw" then
        if by_id then
          local b, err = core.btf_bytes(tonumber(what))
          if not b then fail(err) end
          return out(b)
        end
        return out(read_file(what))
      end
      local btf = btf_mod()
      if not (btf and btf.load) then
        fail("btf dump --format c needs the ebpf.btf module, which is not available")
      end
      local b, err
      if by_id then
        b, err = btf.from_id(tonumber(what))
      else
        b, err = btf.load(what)
      end
      if not b then fail(err) end
      local text, derr = b:dump_c()
      if not text then fail(derr) end
      return out(text)
    end
    usage_error("expected 'list' or 'dump ID|FILE'")
  end,
}

local order = { "prog_types", "map_types", "map_flags", "helpers", "btf_kinds", "links", "misc" }

commands.features = {
  summary = "probe what the running kernel supports",
  usage = "ebpf features [--json] [--no-helpers] [--kfunc NAME]...",
  flags = { ["--json"] = false, ["--no-helpers"] = false, ["--kfunc"] = "list" },
  run = function(o, pos, out)
    if #pos > 0 then usage_error("unexpected argument '" .. pos[1] .. "'") end
    local kfuncs = o.kfunc
    for _, name in ipairs(kfuncs or {}) do
      if not name:match("^[%a_][%w_]*$") then usage_error("--kfunc needs a function name, got '" .. name .. "'") end
    end
    local r = lib().features.report { helpers = not o.no_helpers, kfuncs = kfuncs }
    if o.json then return out(json.encode(r, { indent = "  " }) .. "\n") end
    local buf = { ("kernel %s\n"):format(r.kernel or "?") }
    local function section(title, t)
      local names = {}
      for k in pairs(t) do names[#names + 1] = k end
      table.sort(names)
      local rows = {}
      for _, n in ipairs(names) do
        local e = t[n]
        rows[#rows + 1] = { n, e.status, e.reason or "" }
      end
      buf[#buf + 1] = "\n" .. title .. "\n"
      if #rows > 0 then buf[#buf + 1] = columns(rows):gsub("[^\n]+", "  %0") end
    end
    for _, key in ipairs(order) do
      if key == "helpers" then
        if r.helpers then
          buf[#buf + 1] = "\nhelpers per program type (count; unavailable/inconclusive omitted)\n"
          local pts = {}
          for k in pairs(r.helpers) do pts[#pts + 1] = k end
          table.sort(pts)
          for _, pt in ipairs(pts) do
            local yes, inc = {}, 0
            for h, st in pairs(r.helpers[pt]) do
              if st == "supported" then yes[#yes + 1] = h elseif st == "inconclusive" then inc = inc + 1 end
            end
            table.sort(yes)
            buf[#buf + 1] = ("  %s: %d%s\n"):format(pt, #yes, inc > 0 and (" (%d inconclusive)"):format(inc) or "")
            if #yes > 0 then buf[#buf + 1] = "    " .. table.concat(yes, " ") .. "\n" end
          end
        end
      else
        section(key:gsub("_", " "), r[key])
      end
    end
    if r.kfuncs then section("kfuncs (syscall programs)", r.kfuncs) end
    return out(table.concat(buf))
  end,
}

local function mounted(fstype, dir)
  local f = io.open("/proc/mounts")
  if not f then return false end
  for line in f:lines() do
    local _, mnt, t = line:match("^(%S+) (%S+) (%S+)")
    if mnt == dir and t == fstype then
      f:close()
      return true
    end
  end
  f:close()
  return false
end

-- Mounts tracefs and bpffs where missing (as root; silently skipped
-- otherwise: the script then gets the library's own error if it needs them).
local function ensure_mounts(err)
  local wanted = { { "tracefs", "/sys/kernel/tracing", "nodev" }, { "bpf", "/sys/fs/bpf", "bpf" } }
  for _, m in ipairs(wanted) do
    local fstype, dir, src = m[1], m[2], m[3]
    if not mounted(fstype, dir) and io.open(dir) then
      local ok = os.execute(("mount -t %s %s %s 2>/dev/null"):format(fstype, src, dir))
      if not ok then err(("ebpf run: note: could not mount %s on %s\n"):format(fstype, dir)) end
    end
  end
end

commands.run = {
  summary = "run a Lua script with ebpf loaded, memlock raised, tracefs/bpffs mounted",
  usage = "ebpf run SCRIPT.lua [ARGS...] | ebpf run -e 'CODE' [ARGS...]",
  flags = { ["-e"] = true },
  stop_at_first_positional = true,
  run = function(o, pos, _, err)
    local chunk, lerr, script
    if o.e then -- a one-liner: ARGS are all the script's
      script = "-e"
      table.insert(pos, 1, script)
      -- `ebpf` is a global there (other globals as usual)
      chunk, lerr = load(o.e, "=(command line)", "t", setmetatable({ ebpf = lib() }, { __index = _G }))
    else
      script = pos[1] or usage_error("ebpf run needs a script (or -e 'CODE')")
      chunk, lerr = load(read_file(script, "script"), "@" .. script) -- (a FIFO is refused, not waited on)
    end
    if not chunk then fail(lerr) end
    local eb = lib()
    local ok, merr = eb.rlimit.remove_memlock()
    if ok == nil then err("ebpf run: note: " .. tostring(merr) .. "\n") end
    ensure_mounts(err)
    -- The script sees the usual globals: arg (script at 0) and ... .
    local args = { [0] = script }
    for i = 2, #pos do args[i - 1] = pos[i] end
    _G.arg = args
    package.loaded.ebpf = eb
    -- SIGINT/SIGTERM/SIGHUP end the library's waits (the script's loops
    -- return), then everything the script opened is closed (its links and
    -- their tracefs events included) and the exit status is 128+signal.
    if eb.signal then eb.signal.watch { "SIGINT", "SIGTERM", "SIGHUP" } end
    local rok, rerr = xpcall(chunk, debug.traceback, table.unpack(args, 1, #args))
    local sig = eb.signal and eb.signal.pending()
    if sig then
      collectgarbage("collect")
      collectgarbage("collect") -- finalizers close links, readers, maps
      return 128 + ({ SIGHUP = 1, SIGINT = 2, SIGTERM = 15 })[sig]
    end
    if not rok then fail(rerr) end
  end,
}

commands.disasm = {
  summary = "disassemble the programs of a BPF ELF object",
  usage = "ebpf disasm OBJECT.o [PROGRAM]",
  flags = {},
  run = function(_, pos, out)
    local path = pos[1] or usage_error("ebpf disasm needs an object file")
    local eb = lib()
    if not (eb.elf and eb.asm and eb.elf.open and eb.asm.disassemble) then
      fail("ebpf disasm needs the ebpf.elf and ebpf.asm modules, which are not available")
    end
    local spec, err = eb.elf.open(path)
    if not spec then fail(err) end
    local names = {}
    for name in pairs(spec.programs) do names[#names + 1] = name end
    table.sort(names)
    local found = false
    for _, name in ipairs(names) do
      if not pos[2] or pos[2] == name then
        found = true
        local p = spec.programs[name]
        out(("%s (section %s):\n"):format(name, p.section or "?"))
        local insns = p.insns
        if type(insns) == "function" then insns = p:insns() end
        out(eb.asm.disassemble(insns))
      end
    end
    if not found then fail(("no program '%s' in %s"):format(pos[2], path)) end
  end,
}

---------------------------------------------------------------- embed

-- Lua string literal for arbitrary bytes: printable ASCII stays, the rest
-- becomes \ddd (always three digits, so a following digit is safe); lines
-- are split with \z, which the Lua lexer skips along with the whitespace
-- that follows (so a line never starts with a literal space).
local function lua_bytes_literal(s)
  local parts, line = {}, {}
  local width = 0
  for i = 1, #s do
    local b = s:byte(i)
    local piece
    -- A space right after \z would be skipped with the line break.
    if b > 32 and b < 127 and b ~= 34 and b ~= 92 or (b == 32 and width > 0) then
      piece = string.char(b)
    else
      piece = ("\\%03d"):format(b)
    end
    line[#line + 1] = piece
    width = width + #piece
    if width >= 96 then
      parts[#parts + 1] = table.concat(line)
      line, width = {}, 0
    end
  end
  parts[#parts + 1] = table.concat(line)
  return '"' .. table.concat(parts, "\\z\n  ") .. '"'
end

--- The text of a Lua module embedding `bytes` (an ELF object) as `name`.
function M.embed_module(bytes, name, source)
  return table.concat {
    -- No outside text in comments: names and file names only in %q strings.
    ("-- Generated by `ebpf embed` (%d bytes of BPF object; see M.source); do not edit.\n"):format(#bytes),
    "-- require(M.name).load(opts) -> collection, as ebpf.load(bytes, opts).\n",
    "local M = {}\n\n",
    ("M.name = %q\n"):format(name),
    ("M.source = %q\n"):format(source),
    "M.object = ", lua_bytes_literal(bytes), "\n\n",
    "--- Loads the embedded object: a collection of maps and programs.\n",
    "function M.load(opts)\n",
    "  return require(\"ebpf\").load(M.object, opts)\n",
    "end\n\n",
    "--- Parses the embedded object into an editable spec (no kernel needed).\n",
    "function M.spec()\n",
    "  local ebpf = require(\"ebpf\")\n",
    "  return (ebpf.elf and ebpf.elf.open or ebpf.open)(M.object)\n",
    "end\n\n",
    "return M\n",
  }
end

commands.embed = {
  summary = "write a Lua module carrying a BPF object (like bpf2go)",
  usage = "ebpf embed OBJECT.o --name MODULE [-o FILE]",
  flags = { ["--name"] = true, ["-o"] = true, ["--output"] = true },
  run = function(o, pos, out)
    local path = pos[1] or usage_error("ebpf embed needs an object file")
    local name = o.name or usage_error("ebpf embed needs --name MODULE")
    if not name:match("^[%a_][%w_]*$") and not name:match("^[%a_][%w_.]*[%w_]$") then
      usage_error("--name must be a Lua module name (letters, digits, _ and .), got '" .. name .. "'")
    end
    local bytes = read_file(path, "object")
    if bytes:sub(1, 4) ~= "\127ELF" then fail(path .. ": not an ELF object") end
    local text = M.embed_module(bytes, name, path:match("[^/]+$"))
    local dest = o.o or o.output
    if dest then
      local f, err = io.open(dest, "wb")
      if not f then fail(err) end
      f:write(text)
      f:close()
      return
    end
    return out(text)
  end,
}

---------------------------------------------------------------- main

local command_order = { "prog", "map", "link", "btf", "features", "run", "disasm", "embed" }

local function help_text()
  local rows = {}
  for _, c in ipairs(command_order) do rows[#rows + 1] = { "  " .. c, commands[c].summary } end
  return "usage: ebpf COMMAND [ARGS...] [--json] [--help]\n\n" ..
    "eBPF objects of the running kernel, feature probes and tools for BPF objects.\n\ncommands:\n" ..
    columns(rows) .. "\n'ebpf COMMAND --help' describes a command. Most commands need root.\n"
end

--- Runs the tool; returns the exit status (0 ok, 1 failure, 2 usage).
function M.main(argv, out, err)
  local status
  out = out or function(s) io.stdout:write(s) end
  err = err or function(s) io.stderr:write(s) end
  local cmd = argv[1]
  if not cmd or cmd == "-h" or cmd == "--help" or cmd == "help" then
    out(help_text())
    return cmd and 0 or 2
  end
  if cmd == "--version" or cmd == "version" then
    out("ebpf " .. lib().version .. "\n")
    return 0
  end
  local c = commands[cmd]
  if not c then
    err(("ebpf: unknown command '%s'\n"):format(cmd) .. help_text())
    return 2
  end
  local ok, e = pcall(function()
    -- A command line from exec cannot hold a NUL; one passed to M.main
    -- would cut a path short (io.open, the C core), so it is refused.
    for i = 2, #argv do
      if type(argv[i]) ~= "string" then usage_error(("argument %d is not a string"):format(i - 1)) end
      if argv[i]:find("\0", 1, true) then usage_error(("argument %d contains a NUL byte"):format(i - 1)) end
    end
    local opts, pos
    if c.stop_at_first_positional then
      -- `ebpf run script.lua --flag` passes --flag to the script.
      local first = 2
      while argv[first] and argv[first]:sub(1, 1) == "-" do
        first = first + (c.flags[argv[first]] and 2 or 1) -- an option's value is not the script
      end
      opts, pos = parse({ table.unpack(argv, 1, first - 1) }, 2, c.flags)
      for i = first, #argv do pos[#pos + 1] = argv[i] end
    else
      opts, pos = parse(argv, 2, c.flags)
    end
    if opts.help then
      out("usage: " .. c.usage .. "\n\n" .. c.summary .. ".\n")
      return
    end
    status = c.run(opts, pos, out, err)
  end)
  if ok then return status or 0 end
  local mt = type(e) == "table" and getmetatable(e)
  if mt == Usage then
    err(("ebpf %s: %s\nusage: %s\n"):format(cmd, e.msg, c.usage))
    return 2
  elseif mt == Fail then
    err(("ebpf %s: %s\n"):format(cmd, e.msg))
    return 1
  end
  err(("ebpf %s: %s\n"):format(cmd, tostring(e)))
  return 1
end

return M
