#!/usr/bin/env lua5.4
--[[ apiref: the Lua API reference (docs/api.md), generated from the docs,
checked against the module as Lua sees it.

What is public is read from the running module, not from the sources: every
function reachable from `require "ebpf"` (ebpf.x, ebpf.x.y, callable tables
such as `ebpf.map{...}`) and every method of every object type (the
metatables the module registers, and the few Lua-side classes listed in
CLASSES below). So a name in the reference is a name a user can call.

What is documented is read from docs/*.md: an *entry* is a heading, a table
row whose first cell starts with a code span, or a list item that starts
with a code span, whose text begins with a Lua signature:
    ### ebpf.map.from_id(id)
    | `b:find(name [, kind])` | First type named ... |
    - `set:close()` closes every link ...
Methods are written with a receiver (`m:lookup(`); each page declares what
its receivers are, in a comment the renderer hides:
    <!-- receivers: m=ebpf.map p=ebpf.program -->
(a later declaration of the same receiver on the page replaces it). A
receiver may name a module: with a=ebpf.asm, `a.mov(` is ebpf.asm.mov.
Inside <!-- bare: ebpf.asm --> ... <!-- bare: --> a table row or list item
may name functions bare: `mov(dst, src)`, `be16/be32(dst)`, `jeq jne (d, s, t)`.

Fails (exit 1) when a public function has no entry, when an entry names a
function that does not exist (a stale or wrongly attributed entry), when an
entry has no description, or when a receiver is undeclared. --write
(re)writes docs/api.md: per module and type, every function with its
signature, what it returns, its errors and a link to its entry.

usage: lua5.4 tools/apiref.lua [--write|--check]   (from the repository
        root, with LUA_PATH/LUA_CPATH finding the built module)
  --check  also fails when docs/api.md differs from what --write makes
]]

local ebpf = require "ebpf"

-- Objects made by Lua code (not registered metatables): how to get one.
-- Their type name is the metatable's __name.
local CLASSES = {
  function() return ebpf.asm.insns {} end,
  function() return ebpf.link.linkset {} end,
}

-- Module tables that are implementation, not API.
local SKIP_MODULES = { ["ebpf.core"] = true }

local function read(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

---------------------------------------------------------------- what Lua sees

-- public[name] = { kind = "function"|"method", owner = module or type }
local public = {}

local function add(name, kind, owner) public[name] = public[name] or { kind = kind, owner = owner } end

local function walk_module(t, path, seen)
  if seen[t] or SKIP_MODULES[path] then return end
  seen[t] = true
  local mt = getmetatable(t)
  if type(mt) == "table" and mt.__call then add(path, "function", path:match("^(.*)%.") or path) end
  for k, v in pairs(t) do
    if type(k) == "string" and not k:match("^_") then
      local name = path .. "." .. k
      if type(v) == "function" then
        add(name, "function", path)
      elseif type(v) == "table" then
        walk_module(v, name, seen)
      end
    end
  end
end

-- The method table behind a metatable: __methods, a table __index, or the
-- table an __index closure looks methods up in (its first table upvalue;
-- for a closure wrapping another __index, see below).
local function methods_of(mt)
  if type(mt.__methods) == "table" then return mt.__methods end
  local idx = rawget(mt, "__index")
  if type(idx) == "table" then return idx end
  if type(idx) == "function" then
    local tables, inner = {}, nil
    for i = 1, 8 do
      local n, v = debug.getupvalue(idx, i)
      if n == nil then break end
      if type(v) == "table" and n ~= "_ENV" then
        tables[#tables + 1] = v
      elseif type(v) == "function" and not inner then
        inner = v
      end
    end
    if not inner then return tables[1] end
    -- An __index that Lua code wrapped around the type's own (ebpf.link
    -- adds coll:attach so): the wrapped one's methods, plus the names of
    -- its table upvalues that the wrapper itself answers with a function
    -- when asked for a stand-in object (the wrapped __index raises on it).
    local out = {}
    for k, v in pairs(methods_of({ __index = inner }) or {}) do out[k] = v end
    local stand_in = {}
    for _, t in ipairs(tables) do
      for k in pairs(t) do
        if type(k) == "string" and out[k] == nil then
          local ok, v = pcall(idx, stand_in, k)
          if ok and type(v) == "function" then out[k] = v end
        end
      end
    end
    return out
  end
  return nil
end

local function add_type(tname, mt)
  local methods = methods_of(mt)
  if not methods then return end
  for k, v in pairs(methods) do
    if type(k) == "string" and type(v) == "function" and not k:match("^_") and v ~= rawget(mt, "__index") then
      add(tname .. ":" .. k, "method", tname)
    end
  end
end

walk_module(ebpf, "ebpf", {})
for name, mt in pairs(debug.getregistry()) do
  if type(name) == "string" and name:match("^ebpf%.") and type(mt) == "table" and mt.__name == name then
    add_type(name, mt)
  end
end
for _, make in ipairs(CLASSES) do
  local mt = getmetatable(make())
  add_type(assert(mt.__name, "a class in CLASSES needs a __name"), mt)
end

---------------------------------------------------------------- what the docs say

local function ls_docs()
  local out = {}
  local p = io.popen("ls -1 docs")
  for n in p:lines() do
    if n:match("%.md$") and n ~= "api.md" and n ~= "c-api.md" then out[#out + 1] = n end
  end
  p:close()
  table.sort(out)
  return out
end

-- GitHub's heading anchor: lower case, punctuation dropped, spaces to "-".
local function slug(text)
  local s = text:lower():gsub("`", "")
  s = s:gsub("[^%w%s_%-]", ""):gsub("%s", "-")
  return s
end

-- entries[name] = { {page=, anchor=, sig=, text=, line=} ... }
local entries, problems = {}, {}
-- <!-- mirror: T=M -->: methods of type T that are also functions of
-- module M (chaining forms, e.g. list:mov(...) of ebpf.asm.mov) share
-- M's entries.
local mirrors = {}
local function problem(fmt, ...) problems[#problems + 1] = fmt:format(...) end

-- The signatures at the start of an entry's text. Several may share one
-- entry: "a(x), b(y)", "a(x) / b(y)", "a(x) or b(y)", and names sharing
-- one argument list: "be16/be32/be64(dst)" or "jeq jne jgt (dst, src, t)".
local NAME = "[%a_][%w_]*[%.:]?[%w_%.:]*"
local function signatures(s)
  local out = {}
  local rest = s
  while true do
    rest = rest:gsub("^[%s`,/;]+", ""):gsub("^or%s+", "")
    local group, args = rest:match("^(" .. NAME .. "[%s/%w_%.:]-)%s*(%b())")
    local open_brace = false
    if not group then
      group, args = rest:match("^(" .. NAME .. ")%s*(%b{})")
      open_brace = true
    end
    if not group then break end
    local consumed = #rest:match("^" .. group:gsub("%p", "%%%0") .. "%s*") + #args
    local ret = rest:sub(consumed + 1):match("^%s*%->%s*([^`|]+)")
    local list = {}
    for n in group:gmatch("[^%s/]+") do list[#list + 1] = n end
    -- "a b c (x)" and "a/b/c(x)" only for plain names
    if #list > 1 then
      for _, n in ipairs(list) do
        if not n:match("^[%a_][%w_]*$") then list = { group } break end
      end
    end
    for _, n in ipairs(list) do
      if not n:match("^" .. NAME .. "$") then return out, rest end
      local sig = n .. args
      if ret then sig = sig .. " -> " .. ret:gsub("%s+$", "") end
      out[#out + 1] = { name = n, sig = sig, ret = ret, brace = open_brace }
    end
    rest = rest:sub(consumed + 1):gsub("^%s*%->%s*[^`|,;]+", "")
    if not rest:match("^[%s`]*[,/;]%s*[%a_]") and not rest:match("^[%s`]*or%s") then break end
  end
  return out, rest
end

-- A documented name as the module's: "ebpf.x.y", "recv:method" (receiver
-- declared on the page), "alias.x" (an alias of a module declared as a
-- receiver, e.g. a=ebpf.asm), or a bare name inside a <!-- bare: M -->
-- block. nil: not a Lua API name (a C function, a Lua builtin).
local function resolve(name, receivers, bare, page, lineno)
  local recv, sep, rest = name:match("^([%a_][%w_]*)([:%.])([%a_][%w_%.]*)$")
  if recv == "ebpf" then return { name } end
  if name == "ebpf" then return { name } end
  -- a module alias called itself: a{...} is ebpf.asm{...}
  if receivers[name] and receivers[name][1]:match("^ebpf") and not name:find("[:%.]") then
    return { receivers[name][1] }
  end
  if recv then
    local types = receivers[recv]
    if not types then
      if sep == "." then return nil end -- e.g. string.format, table.concat
      problem("docs/%s:%d: receiver '%s' in %s is not declared (<!-- receivers: %s=TYPE -->)", page, lineno, recv, name, recv)
      return {}
    end
    local out = {}
    for _, t in ipairs(types) do out[#out + 1] = t .. sep .. rest end
    return out
  end
  if bare and name:match("^[%a_][%w_]*$") then return { bare .. "." .. name } end
  return nil
end

for _, page in ipairs(ls_docs()) do
  local receivers, bare, anchor, in_fence, lineno = {}, nil, "", false, 0
  local entry -- the entry whose description is being collected
  local function flush()
    if not entry then return end
    local text = entry.text:gsub("^%s+", ""):gsub("%s+$", "")
    if text == "" then problem("docs/%s:%d: %s has no description", page, entry.line, entry.sig) end
    for _, n in ipairs(entry.names) do
      entries[n] = entries[n] or {}
      table.insert(entries[n], { page = page, anchor = entry.anchor, sig = entry.sig, tail = entry.tails[n],
        ret = entry.ret, text = text, line = entry.line })
    end
    entry = nil
  end
  local function start(sigs, rest, is_heading)
    local names, first, tails = {}, nil, {}
    for _, s in ipairs(sigs) do
      local rs = resolve(s.name, receivers, is_heading and nil or bare, page, lineno)
      if rs then
        first = first or s
        for _, n in ipairs(rs) do
          names[#names + 1] = n
          tails[n] = s.sig:sub(#s.name + 1) -- "(args) -> ret"
        end
      end
    end
    if #names == 0 then return false end
    flush()
    entry = { names = names, tails = tails, sig = first.sig, ret = first.ret, text = rest or "", line = lineno, anchor = anchor, heading = is_heading }
    return true
  end
  for line in (read("docs/" .. page) .. "\n"):gmatch("([^\n]*)\n") do
    lineno = lineno + 1
    local decl = line:match("<!%-%-%s*receivers:%s*(.-)%s*%-%->")
    local bare_decl = line:match("<!%-%-%s*bare:%s*(.-)%s*%-%->")
    local mirror_t, mirror_m = line:match("<!%-%-%s*mirror:%s*([%w_%.]+)=([%w_%.]+)%s*%-%->")
    if mirror_t then
      mirrors[#mirrors + 1] = { type = mirror_t, module = mirror_m, page = page, line = lineno }
    elseif bare_decl then
      bare = bare_decl ~= "" and bare_decl or nil
    elseif decl then
      for r, t in decl:gmatch("([%a_][%w_]*)=([%w_%.,]+)") do
        receivers[r] = {}
        for one in t:gmatch("[^,]+") do table.insert(receivers[r], one) end
      end
    elseif line:match("^%s*```") or line:match("^%s*~~~") then
      in_fence = not in_fence
      if entry and entry.heading then entry.text = entry.text .. " (example)" end
    elseif not in_fence then
      local level, htext = line:match("^(#+)%s+(.*)$")
      if level then
        anchor = slug(htext)
        local sigs = signatures(htext:gsub("`", ""))
        if not start(sigs, "", true) then flush() end
      else
        -- a row's first cell or an item's leading code spans name it
        local cell, rest = line:match("^|%s*(`[^|]*)|(.*)$")
        local item = line:match("^[-*]%s+(`.*)$")
        local sigs, after
        if cell then
          sigs = signatures((cell:gsub("`", "")))
          after = rest:gsub("|%s*$", "")
        elseif item then
          sigs, after = signatures((item:gsub("`", "")))
        end
        if sigs and start(sigs, after or "", false) then
          -- a row is one entry: its text is on this line
          if cell then flush() end
        elseif entry then
          if line:match("^%s*$") and not entry.heading then
            flush()
          elseif not line:match("^|%s*%-") then
            entry.text = entry.text .. " " .. line
          end
        end
      end
    end
  end
  flush()
end

---------------------------------------------------------------- check

for _, m in ipairs(mirrors) do
  local used = false
  for n, p in pairs(public) do
    local meth = p.owner == m.type and n:match(":([%w_]+)$")
    local src = meth and entries[m.module .. "." .. meth]
    if src and not entries[n] then
      entries[n] = src
      used = true
    end
  end
  if not used then problem("docs/%s:%d: mirror %s=%s matches nothing", m.page, m.line, m.type, m.module) end
end

local names = {}
for n in pairs(public) do names[#names + 1] = n end
table.sort(names)
local undocumented = {}
for _, n in ipairs(names) do
  if not entries[n] then undocumented[#undocumented + 1] = n end
end
for n, list in pairs(entries) do
  if not public[n] then
    for _, e in ipairs(list) do
      problem("docs/%s:%d: %s documents '%s', which the module does not have", e.page, e.line, e.sig, n)
    end
  end
end
table.sort(problems)

---------------------------------------------------------------- write

-- First sentence of a description (for the index line).
local function summary(text)
  local s = text:gsub("`", "\1"):match("^(.-[%.;])%s") or text
  s = s:gsub("\1", "`")
  if #s > 160 then s = s:sub(1, 157):gsub("%s+%S*$", "") .. "…" end
  return s
end

local function returns(e)
  if e.ret then return e.ret end
  local t = e.text
  local r = t:match("[Rr]eturns ([^%.;]+)") or t:match("[Gg]ives ([^%.;]+)") or t:match("[Yy]ields ([^%.;]+)")
  return r
end

local function errors(e)
  local t = e.text
  local r = t:match("([^%.;]*[Rr]aises?[^%.;]*)") or t:match("([^%.;]*nil, err[^%.;]*)")
  return r and r:gsub("^%s+", "") or nil
end

local function write()
  local groups, order = {}, {}
  for _, n in ipairs(names) do
    local key = public[n].owner .. (public[n].kind == "method" and " (methods)" or "")
    if not groups[key] then
      groups[key] = {}
      order[#order + 1] = key
    end
    table.insert(groups[key], n)
  end
  table.sort(order)
  local out = {
    "# Lua API reference\n\n",
    "Generated by `lua5.4 tools/apiref.lua --write` from the entries in the other pages;\n",
    "do not edit. Every function and method the `ebpf` module exposes, with its signature,\n",
    "what it returns, its errors and the entry that documents it. Unless an entry says\n",
    "otherwise, the conventions of [core.md](core.md) hold: kernel and environment failures\n",
    "return `nil, err, errno` (`err` an `ebpf.error`), programming errors (wrong types,\n",
    "sizes, unknown options, use after close) raise.\n\n",
    "The C API has its own reference: [c-api.md](c-api.md).\n",
  }
  local function cell(x) return x and (x:gsub("|", "\\|"):gsub("%s+", " ")) or "—" end
  for _, key in ipairs(order) do
    out[#out + 1] = ("\n## %s\n\n"):format(key)
    out[#out + 1] = "| Function | Returns | Errors | Documented in |\n|---|---|---|---|\n"
    for _, n in ipairs(groups[key]) do
      local e = entries[n] and entries[n][1]
      if e then
        out[#out + 1] = ("| `%s%s` — %s | %s | %s | [%s](%s#%s) |\n"):format(cell(n), cell(e.tail or "()"),
          cell(summary(e.text)), cell(returns(e)), cell(errors(e) or "convention"), e.page, e.page, e.anchor)
      else
        out[#out + 1] = ("| `%s` | | | **undocumented** |\n"):format(n)
      end
    end
  end
  return table.concat(out)
end

local mode = arg[1]
if mode and mode ~= "--write" and mode ~= "--check" then
  io.stderr:write("usage: lua5.4 tools/apiref.lua [--write|--check]\n")
  os.exit(2)
end
if mode == "--write" then
  local f = assert(io.open("docs/api.md", "w"))
  f:write(write())
  f:close()
elseif mode == "--check" and read("docs/api.md") ~= write() then
  problem("docs/api.md is not current: run lua5.4 tools/apiref.lua --write")
end
if #problems > 0 or #undocumented > 0 then
  if #undocumented > 0 then
    io.write(("apiref: %d of %d Lua functions have no entry in docs/*.md:\n"):format(#undocumented, #names))
    for _, n in ipairs(undocumented) do io.write("  ", n, "\n") end
  end
  for _, p in ipairs(problems) do io.write("apiref: ", p, "\n") end
  os.exit(1)
end
io.write(("apiref: all %d Lua functions documented\n"):format(#names))
