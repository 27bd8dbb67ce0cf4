--- ebpf.cli.tools: commands that work on files and scripts rather than
-- kernel objects: run (a Lua script with the library set up), disasm (an
-- ELF object's programs) and embed (an object as a Lua module).
-- @module ebpf.cli.tools

local util = require "ebpf.cli.util"

local lib, usage_error, fail = util.lib, util.usage_error, util.fail

local M = { commands = {} }
local commands = M.commands

-- Regular files only, bounded (a FIFO or /dev/zero is refused, not read).
local function read_file(path, what)
  local s, err = lib().core.read_file(path, what or "file")
  if not s then fail(tostring(err)) end
  return s
end

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
  run = function(ctx, args)
    local o, pos, err = ctx.opts, args.list, ctx.err
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
    local sargs = { [0] = script }
    for i = 2, #pos do sargs[i - 1] = pos[i] end
    _G.arg = sargs
    package.loaded.ebpf = eb
    -- SIGINT/SIGTERM/SIGHUP end the library's waits (the script's loops
    -- return), then everything the script opened is closed (its links and
    -- their tracefs events included) and the exit status is 128+signal.
    if eb.signal then eb.signal.watch { "SIGINT", "SIGTERM", "SIGHUP" } end
    local rok, rerr = xpcall(chunk, debug.traceback, table.unpack(sargs, 1, #sargs))
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
  run = function(ctx, args)
    local pos, out = args.list, ctx.out
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
    if not found then
      if pos[2] then fail(("no program '%s' in %s"):format(pos[2], path)) end
      fail(path .. ": no programs (the object has no code sections)")
    end
  end,
}

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
  run = function(ctx, args)
    local o, pos, out = ctx.opts, args.list, ctx.out
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

return M
