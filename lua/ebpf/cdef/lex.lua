--- ebpf.cdef.lex: the tokens of C declarations, each with its line and
-- column so that every error can name where it happened. Comments are
-- skipped; preprocessor lines are refused (there is no preprocessor).
-- @module ebpf.cdef.lex

local M = {}

local PUNCT3 = { ["..."] = true, ["<<="] = true, [">>="] = true }
local PUNCT2 = { ["<<"] = true, [">>"] = true, ["<="] = true, [">="] = true, ["=="] = true, ["!="] = true,
  ["&&"] = true, ["||"] = true, ["->"] = true }
local PUNCT1 = "{}[]();,:=*+-/%<>&|^~!?."

--- Raises "ebpf.btf.cdef: LINE:COL: msg" for a token (nil: end of input).
function M.fail(tok, fmt, ...)
  local msg = select("#", ...) > 0 and fmt:format(...) or fmt
  error(("ebpf.btf.cdef: %d:%d: %s"):format(tok.line, tok.col, msg), 0)
end

--- How a token reads in a message: 'x', or "end of input".
function M.show(tok)
  if tok.kind == "eof" then return "end of input" end
  return "'" .. tok.text .. "'"
end

local function number(text, tok)
  local body = text:gsub("[uUlL]+$", "")
  local v
  if body:match("^0[xX]%x+$") then
    v = math.tointeger(tonumber(body:sub(3), 16))
  elseif body:match("^0[bB][01]+$") then
    v = math.tointeger(tonumber(body:sub(3), 2))
  elseif body:match("^0[0-7]*$") then
    v = math.tointeger(tonumber(body, 8))
  elseif body:match("^[1-9]%d*$") then
    v = math.tointeger(tonumber(body))
  end
  if not v then M.fail(tok, "invalid number '%s'", text) end
  return v
end

local ESC = { n = 10, t = 9, r = 13, ["0"] = 0, ["\\"] = 92, ["'"] = 39, ['"'] = 34, a = 7, b = 8, f = 12, v = 11 }

--- The tokens of `src`: {kind = "id"|"num"|"punct"|"eof", text, value, line, col}.
function M.tokens(src)
  if type(src) ~= "string" then error("ebpf.btf.cdef: declarations must be a string, got " .. type(src), 3) end
  local toks, i, line, bol, n = {}, 1, 1, 1, #src
  local function here(at) return { line = line, col = at - bol + 1 } end
  while i <= n do
    local c = src:sub(i, i)
    if c == "\n" then
      line, bol, i = line + 1, i + 1, i + 1
    elseif c:match("%s") then
      i = i + 1
    elseif src:sub(i, i + 1) == "/*" then
      local e = src:find("*/", i + 2, true)
      if not e then M.fail(here(i), "unterminated comment") end
      for _ in src:sub(i, e):gmatch("\n") do line = line + 1 end
      local lastnl = src:sub(1, e):match(".*()\n")
      if lastnl and lastnl > i then bol = lastnl + 1 end
      i = e + 2
    elseif src:sub(i, i + 1) == "//" then
      i = (src:find("\n", i, true) or n + 1)
    elseif c == "#" then
      M.fail(here(i), "preprocessor directives are not supported ('%s')", src:match("^#%s*%w*", i))
    elseif c:match("[%a_]") then
      local s, e = src:find("^[%w_]+", i)
      local t = here(i)
      t.kind, t.text = "id", src:sub(s, e)
      toks[#toks + 1] = t
      i = e + 1
    elseif c:match("%d") then
      local s, e = src:find("^[%w_]+", i)
      local t = here(i)
      t.kind, t.text = "num", src:sub(s, e)
      t.value = number(t.text, t)
      toks[#toks + 1] = t
      i = e + 1
    elseif c == "'" then -- a character constant: 'a', '\n', '\x41', '\101'
      local t = here(i)
      local body, e = src:match("^'(\\?[^'\n]-)'()", i)
      if not body or body == "" then M.fail(t, "bad character constant") end
      local v
      if #body == 1 then
        v = body:byte()
      elseif body:match("^\\x%x+$") then
        v = tonumber(body:sub(3), 16)
      elseif body:match("^\\[0-7]+$") then
        v = tonumber(body:sub(2), 8)
      elseif #body == 2 and ESC[body:sub(2)] then
        v = ESC[body:sub(2)]
      else
        M.fail(t, "bad character constant '%s'", body)
      end
      t.kind, t.text, t.value = "num", "'" .. body .. "'", v
      toks[#toks + 1] = t
      i = e
    else
      local t = here(i)
      local p3, p2 = src:sub(i, i + 2), src:sub(i, i + 1)
      if PUNCT3[p3] then
        t.text = p3
      elseif PUNCT2[p2] then
        t.text = p2
      elseif PUNCT1:find(c, 1, true) then
        t.text = c
      else
        M.fail(t, "unexpected character '%s'", c:byte() >= 32 and c:byte() < 127 and c or ("\\%d"):format(c:byte()))
      end
      t.kind = "punct"
      toks[#toks + 1] = t
      i = i + #t.text
    end
  end
  local eof = here(i)
  eof.kind, eof.text = "eof", ""
  toks[#toks + 1] = eof
  return toks
end

return M
