#!/usr/bin/env lua5.4
--[[ doccheck: every public function must be documented in docs/*.md.

Public functions are
  * the names in every `luaL_Reg` table of lua/*.c (metamethods "__x" aside),
  * every function declared with EBPF_API in core/include/ebpf/*.h,
  * (warnings only) `function M.name(` in lua/ebpf/*.lua.

The convention (greppable): a function is documented when its name,
immediately followed by "(", appears in docs/*.md (api.md aside, it is
generated) inside a heading, an inline code span or a fenced code block:
    ### map:lookup(key [, flags])
    `ebpf_map_lookup(m, key, value, flags)` returns ...
For Lua names only the last component counts (`m:lookup(` documents
"lookup"), so one entry documents a method shared by several types.

The Lua API is checked more strictly, name by name as the module exposes
it, by tools/apiref.lua, which also writes the reference docs/api.md.

usage: lua5.4 tools/doccheck.lua   (from the repository root)
Exit status 1 and the list of what is missing when anything is undocumented.
]]

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function ls(dir, pattern)
  local out = {}
  local p = io.popen(("ls -1 %s 2>/dev/null"):format(dir))
  for name in p:lines() do
    if name:match(pattern) then out[#out + 1] = dir .. "/" .. name end
  end
  p:close()
  table.sort(out)
  return out
end

---------------------------------------------------------------- public API

-- { {name=, file=, where=, required=bool} ... }
local function public_functions()
  local list = {}
  for _, file in ipairs(ls("lua", "%.c$")) do
    local src = read(file):gsub("/%*.-%*/", "")
    for tname, body in src:gmatch("luaL_Reg%s+([%w_]+)%s*%[%s*%]%s*=%s*(%b{})") do
      for name in body:gmatch('{%s*"([^"]+)"%s*,') do
        if not name:match("^__") then
          list[#list + 1] = { name = name, file = file, where = "luaL_Reg " .. tname, required = true, lua = true }
        end
      end
    end
  end
  for _, file in ipairs(ls("core/include/ebpf", "%.h$")) do
    local src = read(file):gsub("/%*.-%*/", "")
    for decl in src:gmatch("EBPF_API([^;{]*)") do
      -- drop __attribute__((...)) so the name is the identifier before "("
      decl = decl:gsub("__attribute__%s*%b()", "")
      local name = decl:match("([%a_][%w_]*)%s*%(")
      if name then
        list[#list + 1] = { name = name, file = file, where = "EBPF_API", required = true }
      end
    end
  end
  for _, file in ipairs(ls("lua/ebpf", "%.lua$")) do
    for line in read(file):gmatch("[^\n]+") do
      local name = line:match("^function [%w_]+[.:]([%w_]+)%s*%(")
      if name then
        list[#list + 1] = { name = name, file = file, where = "Lua module", required = false, lua = true }
      end
    end
  end
  return list
end

---------------------------------------------------------------- docs

-- name -> first docs file documenting it
local function documented_names()
  local names = {}
  local function collect(text, file)
    for ident in text:gmatch("([%a_][%w_]*)%s*%(") do
      names[ident] = names[ident] or file
    end
  end
  for _, file in ipairs(ls("docs", "%.md$")) do
    if not file:match("/api%.md$") then
      local in_fence = false
      for line in (read(file) .. "\n"):gmatch("([^\n]*)\n") do
        if line:match("^%s*```") or line:match("^%s*~~~") then
          in_fence = not in_fence
        elseif in_fence or line:match("^#+%s") then
          collect(line, file)
        else
          for span in line:gmatch("`([^`]+)`") do collect(span, file) end
        end
      end
    end
  end
  return names
end

---------------------------------------------------------------- main

for _, a in ipairs(arg) do
  if a == "-h" or a == "--help" then
    io.write((read(arg[0]) or ""):match("%-%-%[%[(.-)%]%]") or "usage: doccheck.lua\n")
    os.exit(0)
  else
    io.stderr:write("doccheck: unknown argument " .. a .. "\n")
    os.exit(2)
  end
end

local list = public_functions()
local docs = documented_names()
local missing, warnings, total = {}, {}, 0
for _, f in ipairs(list) do
  if not docs[f.name] then
    local line = ("  %s: %s (%s)"):format(f.file, f.name, f.where)
    if f.required then missing[#missing + 1] = line else warnings[#warnings + 1] = line end
  end
  if f.required then total = total + 1 end
end
if #warnings > 0 then
  io.write(("doccheck: %d Lua module function(s) without documentation (warning):\n"):format(#warnings))
  io.write(table.concat(warnings, "\n"), "\n")
end
if #missing > 0 then
  io.write(("doccheck: %d of %d public function(s) without documentation in docs/*.md:\n"):format(#missing, total))
  io.write(table.concat(missing, "\n"), "\n")
  io.write("Document each as `name(` in a heading, inline code or a code block of docs/<area>.md.\n")
  os.exit(1)
end
io.write(("doccheck: all %d public functions documented\n"):format(total))
