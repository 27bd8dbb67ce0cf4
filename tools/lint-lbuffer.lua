#!/usr/bin/env lua5.4
--[[ lint-lbuffer: nothing may be pushed onto the Lua stack while a
luaL_Buffer is open, except a value handed straight to luaL_addvalue or
popped again before the next buffer operation (the buffer keeps its box
on the stack; a push in between makes the next operation use the wrong
slot: the use-after-free of issue 12). Checks lua/*.c between
luaL_buffinit and luaL_pushresult: every push must be followed, within
the next three statements, by luaL_addvalue or lua_pop. Exit 1 on a
finding. usage: lua5.4 tools/lint-lbuffer.lua (from the repository root) ]]
local bad = 0
local p = io.popen("ls lua/*.c")
for file in p:lines() do
  local lines = {}
  for l in io.lines(file) do lines[#lines + 1] = l end
  local open = false
  for i, l in ipairs(lines) do
    if l:match("luaL_buffinit") then open = true
    elseif l:match("luaL_pushresult") or l:match("^}") then open = false
    elseif open and (l:match("lua_push") or l:match("lua_get") or l:match("lua_raw?geti?") or
                     l:match("luaL_tolstring") or l:match("luaL_getmetafield")) then
      local ok = false
      for k = i, math.min(i + 3, #lines) do
        if lines[k]:match("luaL_addvalue") or lines[k]:match("lua_pop") or lines[k]:match("return ") then
          ok = true
          break
        end
      end
      if not ok then
        print(("%s:%d: push while a luaL_Buffer is open: %s"):format(file, i, l:gsub("^%s+", "")))
        bad = bad + 1
      end
    end
  end
end
p:close()
if bad > 0 then os.exit(1) end
print("lint-lbuffer: clean")
