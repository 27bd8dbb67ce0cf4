--- ebpf.cli: the `ebpf` command-line tool (bin/ebpf is a thin launcher).
-- `cli.main(argv, out, err)` runs one command and returns the exit status;
-- out/err are functions taking a string (default: io.stdout/io.stderr), so
-- the tool is testable in-process. Each command group lives in its own
-- module, ebpf.cli.<group>; ebpf.cli.util holds what they share.
-- @module ebpf.cli

local json = require "ebpf.json"
local util = require "ebpf.cli.util"

local M = {}

local groups = { "prog", "map", "link", "btf", "net", "cgroup", "perf", "struct_ops", "iter", "feature",
  "run", "disasm", "embed" }
-- Commands living in a module named differently.
local module_of = { run = "tools", disasm = "tools", embed = "tools", features = "feature" }

local is_command = { features = true }
for _, g in ipairs(groups) do is_command[g] = true end

local function command(name)
  if not is_command[name] then return nil end
  local mod = module_of[name] or name
  local ok, m = pcall(require, "ebpf.cli." .. mod)
  if not ok then
    if tostring(m):find("module 'ebpf.cli." .. mod .. "' not found", 1, true) then return nil end
    error(m, 0)
  end
  return m.commands and m.commands[name] or m
end

--- The text of a Lua module embedding `bytes` (an ELF object) as `name`.
function M.embed_module(bytes, name, source)
  return require("ebpf.cli.tools").embed_module(bytes, name, source)
end

-- Options every command takes, anywhere on the line (as bpftool's).
local global_flags = { ["-j"] = "json", ["--json"] = "json", ["-p"] = "pretty", ["--pretty"] = "pretty",
  ["-h"] = "help", ["--help"] = "help" }

-- Parses argv[first..] against a command's flags = { ["--x"] = false (no
-- value) | true (takes a value) | "list" (repeatable) }; global flags are
-- accepted anywhere (up to `stop`, an index after which everything is
-- positional).
local function parse(argv, first, flags, stop)
  local opts, pos = {}, {}
  local i = first
  while i <= #argv do
    local a = argv[i]
    if stop and i >= stop then
      pos[#pos + 1] = a
    elseif a == "--" then
      for j = i + 1, #argv do pos[#pos + 1] = argv[j] end
      break
    elseif global_flags[a] then
      opts[global_flags[a]] = true
    elseif a:sub(1, 1) == "-" and #a > 1 and not a:match("^%-%d") then
      local name, val = a:match("^(%-%-?[^=]+)=(.*)$")
      name = name or a
      local takes = flags[name]
      if takes == nil then util.usage_error("unknown option " .. util.printable(name)) end
      local key = name:gsub("^%-+", ""):gsub("%-", "_")
      if takes then
        if not val then
          i = i + 1
          val = argv[i]
          if not val then util.usage_error("option " .. name .. " needs a value") end
        end
        if takes == "list" then opts[key] = opts[key] or {} end
        if type(opts[key]) == "table" then
          table.insert(opts[key], val)
        else
          opts[key] = val
        end
      else
        if val then util.usage_error("option " .. name .. " takes no value") end
        opts[key] = true
      end
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  return opts, pos
end

local function help_text()
  local rows = {}
  for _, name in ipairs(groups) do
    local c = command(name)
    if c then rows[#rows + 1] = { "  " .. name, c.summary } end
  end
  return "usage: ebpf [-j|--json] [-p|--pretty] COMMAND [ARGS...] [--help]\n\n" ..
    "eBPF objects of the running kernel, feature probes and tools for BPF objects.\n" ..
    "Objects are named 'id N', 'name NAME', 'tag TAG' (programs), 'pinned PATH' or by a bare id.\n\n" ..
    "commands:\n" .. util.columns(rows) .. "\n'ebpf COMMAND --help' describes a command. Most commands need root.\n"
end

-- Index after which `run` passes everything to the script: the first
-- positional after the command (an option's value is not the script).
local function run_stop(argv, c)
  local i = 2
  while argv[i] and argv[i]:sub(1, 1) == "-" and argv[i] ~= "-" do
    if argv[i] == "--" then return i + 1 end
    i = i + ((c.flags[argv[i]] and not argv[i]:find("=", 1, true)) and 2 or 1)
  end
  return i + 1
end

--- Runs the tool; returns the exit status (0 ok, 1 failure, 2 usage).
function M.main(argv, out, err)
  out = out or function(s) io.stdout:write(s) end
  err = err or function(s) io.stderr:write(s) end
  -- Global options may come before the command (`ebpf -j prog show`).
  local pre, first = {}, 1
  while argv[first] and global_flags[argv[first]] do
    pre[global_flags[argv[first]]] = true
    first = first + 1
  end
  local want_json = pre.json or pre.pretty
  local name = argv[first]
  local c, cmd_label
  local ctx = { out = out, err = err }
  local status
  local ok, e = pcall(function()
    for i = 1, #argv do
      -- arguments count from after the command (the command is 0)
      local n = i - first
      if type(argv[i]) ~= "string" then util.usage_error(("argument %d is not a string"):format(n)) end
      -- A command line from exec cannot hold a NUL; one passed to M.main
      -- would cut a path short (io.open, the C core), so it is refused.
      if argv[i]:find("\0", 1, true) then util.usage_error(("argument %d contains a NUL byte"):format(n)) end
    end
    if name == "help" or (pre.help and not name) then
      out(help_text())
      return
    end
    if not name then util.usage_error("missing command") end
    if name == "--version" or name == "-V" or name == "version" then
      if want_json then
        out(json.encode(json.object { { "version", util.lib().version } }) .. "\n")
      else
        out("ebpf " .. util.lib().version .. "\n")
      end
      status = 0
      return
    end
    c = command(name)
    if not c then
      cmd_label = nil
      util.usage_error(("unknown command '%s'"):format(util.printable(name)))
    end
    cmd_label = name
    local rest = { table.unpack(argv, first, #argv) }
    local stop = c.stop_at_first_positional and run_stop(rest, c) or nil
    local opts, pos = parse(rest, 2, c.flags or {}, stop)
    for k in pairs(pre) do opts[k] = true end
    want_json = opts.json or opts.pretty
    if opts.help or (pos[1] == "help" and not c.stop_at_first_positional) then
      out("usage: " .. c.usage .. "\n\n" .. c.summary .. ".\n")
      return
    end
    ctx.opts = opts
    ctx.json = want_json and true or false
    ctx.pretty = opts.pretty and true or false
    ctx.emit = function(v)
      out(json.encode(v, ctx.pretty and { indent = "  " } or nil) .. "\n")
    end
    status = c.run(ctx, util.args(pos))
  end)
  if ok then return status or 0 end
  local mt = type(e) == "table" and getmetatable(e)
  -- what the kernel or the user gave may hold any bytes: escaped
  local msg = util.printable_text(mt and e.msg or tostring(e))
  if not c then -- no command to parse the rest: -j anywhere still asks for JSON
    for _, a in ipairs(argv) do
      if a == "--" then break end
      if global_flags[a] == "json" or global_flags[a] == "pretty" then want_json = true end
    end
  end
  local code = mt == util.Usage and 2 or 1
  if want_json then
    -- bpftool's shape: one object with the message, on stdout.
    out(json.encode(json.object { { "error", msg } }, pre.pretty and { indent = "  " } or nil) .. "\n")
    return code
  end
  if mt == util.Usage then
    if c then
      err(("ebpf %s: %s\nusage: %s\n"):format(cmd_label, msg, c.usage))
    else
      err(("ebpf: %s\n"):format(msg) .. help_text())
    end
    return 2
  end
  err(("ebpf %s: %s\n"):format(cmd_label or "", msg))
  return 1
end

return M
