--- ebpf.btf.cdef: BTF types from C declarations, laid out as clang lays
-- them out for BPF (see layout.lua), so a struct written once in the
-- .bpf.c and once in Lua decodes the same bytes. A pure-Lua parser of the
-- declaration subset that event structs use: struct/union (nested,
-- anonymous), enums, every spelling of the integer types, arrays, pointers
-- (as 64-bit integers), bitfields, typedefs; names it does not know
-- (`pid_t`, `__u32`, `struct in6_addr`) come from the kernel's BTF.
-- @module ebpf.cdef

local lex = require "ebpf.cdef.lex"
local layout = require "ebpf.cdef.layout"
local importer = require "ebpf.cdef.import"

local fail, show = lex.fail, lex.show

-- Integer types by their canonical (clang's BTF) name: size, encoding.
local INTS = {
  ["char"] = { 1, "signed" }, ["signed char"] = { 1, "signed" }, ["unsigned char"] = { 1 },
  ["short"] = { 2, "signed" }, ["unsigned short"] = { 2 }, ["int"] = { 4, "signed" }, ["unsigned int"] = { 4 },
  ["long"] = { 8, "signed" }, ["unsigned long"] = { 8 }, ["long long"] = { 8, "signed" },
  ["unsigned long long"] = { 8 }, ["_Bool"] = { 1, "bool" },
}

-- Without a kernel BTF to ask, the usual fixed-width typedefs.
local FIXED = {
  __u8 = "unsigned char", __s8 = "signed char", __u16 = "unsigned short", __s16 = "short",
  __u32 = "unsigned int", __s32 = "int", __u64 = "unsigned long long", __s64 = "long long",
  u8 = "unsigned char", s8 = "signed char", u16 = "unsigned short", s16 = "short",
  u32 = "unsigned int", s32 = "int", u64 = "unsigned long long", s64 = "long long",
  size_t = "unsigned long", ssize_t = "long", pid_t = "int", uid_t = "unsigned int", gid_t = "unsigned int",
}

local KEYWORDS = {}
for w in ([[struct union enum typedef const volatile restrict signed unsigned char short int long _Bool bool
  void float double static extern register inline auto __attribute__ __attribute sizeof _Alignas __signed__
  __const __volatile__ __restrict]]):gmatch("%S+") do KEYWORDS[w] = true end
local QUALIFIERS = { const = true, volatile = true, restrict = true, __const = true, __volatile__ = true,
  __restrict = true }
local STORAGE = { static = true, extern = true, register = true, inline = true, auto = true }
local SPECIFIERS = { signed = true, __signed__ = true, unsigned = true, char = true, short = true, int = true,
  long = true, _Bool = true, bool = true, void = true, float = true, double = true }

local P = {} -- the parser's methods
P.__index = P

function P:peek(k) return self.toks[self.pos + (k or 0)] end

function P:next()
  local t = self.toks[self.pos]
  if t.kind ~= "eof" then self.pos = self.pos + 1 end
  return t
end

function P:accept(text)
  local t = self.toks[self.pos]
  if t.kind ~= "eof" and t.kind ~= "num" and t.text == text then
    self.pos = self.pos + 1
    return t
  end
end

function P:expect(text, what)
  local t = self:peek()
  if not self:accept(text) then fail(t, "expected '%s'%s, got %s", text, what and (" " .. what) or "", show(t)) end
  return t
end

---------------------------------------------------------------- types

-- A type as the parser sees it: t (the BTF type; nil for void and
-- functions), size, align, intbits (integers and enums: usable as a
-- bitfield), fields (records: member names, anonymous ones flattened).
function P:int(name)
  local d = self.int_cache[name]
  if d then return d end
  local spec = INTS[name]
  local t = self.b:find(name, "int") or self.b:add_int(name, spec[1], spec[2])
  d = { t = t, size = spec[1], align = spec[1], intbits = name == "_Bool" and 1 or spec[1] * 8 }
  self.int_cache[name] = d
  return d
end

-- Pointers are 64-bit integers: what a BPF program stores in an event.
function P:ptr()
  local u = self:int("unsigned long")
  return { t = u.t, size = 8, align = 8 } -- not an integer for bitfields
end

-- A type copied from another BTF (kernel names).
function P.from_btf(_, t)
  local r = t:resolve()
  local bits
  if r.kind == "int" then
    bits = r.encoding == "bool" and 1 or r.size * 8
  elseif r.kind == "enum" or r.kind == "enum64" then
    bits = r.size * 8
  end
  return { t = t, size = t.size, align = t.align or 1, intbits = bits }
end

function P:kernel()
  if self.kbtf == nil then
    if self.opts.kernel == false then
      self.kbtf = false
    elseif self.opts.kernel then
      self.kbtf = self.opts.kernel
    else
      self.kbtf = require("ebpf.btf").kernel() or false
    end
  end
  return self.kbtf
end

function P:import(tok, t)
  if not self.importer then
    self.importer = importer.new(self.b, function(name, size, enc)
      if INTS[name] then return self:int(name).t end
      return self.b:find(name, "int") or self.b:add_int(name, size, enc)
    end, function() return self:ptr().t end)
  end
  local ok, r = pcall(self.importer, t)
  if not ok then fail(tok, "can't use '%s' from the kernel's BTF: %s", tostring(t.name), tostring(r)) end
  return self:from_btf(r)
end

-- A typedef name: ours, the target BTF's, the kernel's, or a fixed one.
function P:typedef_name(tok)
  local name = tok.text
  local d = self.typedefs[name]
  if d then return d end
  local own = self.opts.btf and self.b:find(name, "typedef")
  if own then d = self:from_btf(own) end
  local k = not d and self:kernel()
  local kt = k and k:find(name, "typedef")
  if kt then d = self:import(tok, kt) end
  if not d and not k and FIXED[name] then
    local base = self:int(FIXED[name])
    d = { t = self.b:add_typedef(name, base.t), size = base.size, align = base.align, intbits = base.intbits }
  end
  if d then self.typedefs[name] = d end
  return d
end

-- `struct foo` without a body: resolved only when used by value (a
-- pointer to an incomplete or unknown struct is fine, as in C).
function P:tag_ref(kind, tok)
  local name = tok.text
  local tag = self.tags[name]
  if tag and tag.kind ~= kind then
    fail(tok, "'%s' was declared as '%s %s', used here as '%s %s'", name, tag.kind, name, kind, name)
  end
  return { lazy = true, name = kind .. " " .. name, resolve = function()
    tag = self.tags[name]
    if tag and tag.desc then return tag.desc end
    if tag and tag.defining then fail(tok, "'%s %s' is incomplete here (used inside its own definition)", kind, name) end
    local full = kind .. " " .. name
    local own = self.opts.btf and self.b:find(full)
    if own then return self:from_btf(own) end
    local k = self:kernel()
    local kt = k and k:find(full)
    if kt then
      local d = self:import(tok, kt)
      self.tags[name] = { kind = kind, desc = d }
      return d
    end
    fail(tok, "unknown type '%s' (not defined before, nor in the kernel's BTF)", full)
  end }
end

local function resolve(d)
  if d.lazy then return d.resolve() end
  return d
end

---------------------------------------------------------------- constant expressions

local BINARY = {
  ["||"] = 1, ["&&"] = 2, ["|"] = 3, ["^"] = 4, ["&"] = 5, ["=="] = 6, ["!="] = 6, ["<"] = 7, [">"] = 7,
  ["<="] = 7, [">="] = 7, ["<<"] = 8, [">>"] = 8, ["+"] = 9, ["-"] = 9, ["*"] = 10, ["/"] = 10, ["%"] = 10,
}

local function b2i(v) return v and 1 or 0 end

local function apply_binary(op, a, b, tok)
  if (op == "/" or op == "%") and b == 0 then fail(tok, "division by zero") end
  if (op == "<<" or op == ">>") and (b < 0 or b > 63) then fail(tok, "shift count %d out of range", b) end
  if op == "+" then return a + b elseif op == "-" then return a - b elseif op == "*" then return a * b
  elseif op == "/" then local q = a // b; if q < 0 and q * b ~= a then q = q + 1 end return q -- C truncates
  elseif op == "%" then return math.fmod(a, b)
  elseif op == "<<" then return a << b elseif op == ">>" then return a >> b
  elseif op == "&" then return a & b elseif op == "|" then return a | b elseif op == "^" then return a ~ b
  elseif op == "==" then return b2i(a == b) elseif op == "!=" then return b2i(a ~= b)
  elseif op == "<" then return b2i(a < b) elseif op == ">" then return b2i(a > b)
  elseif op == "<=" then return b2i(a <= b) elseif op == ">=" then return b2i(a >= b)
  elseif op == "&&" then return b2i(a ~= 0 and b ~= 0) else return b2i(a ~= 0 or b ~= 0) end
end

function P:primary()
  local t = self:next()
  if t.kind == "num" then return t.value end
  if t.text == "(" and t.kind == "punct" then
    local v = self:expr(1)
    self:expect(")")
    return v
  end
  if t.kind == "punct" and (t.text == "-" or t.text == "+" or t.text == "~" or t.text == "!") then
    local v = self:primary()
    if t.text == "-" then return -v elseif t.text == "~" then return ~v elseif t.text == "!" then return b2i(v == 0) end
    return v
  end
  if t.kind == "id" and t.text == "sizeof" then
    self:expect("(", "after sizeof")
    local d = self:type_name()
    self:expect(")")
    return d.size
  end
  if t.kind == "id" and self.consts[t.text] then return self.consts[t.text] end
  if t.kind == "id" then fail(t, "'%s' is not a constant", t.text) end
  fail(t, "expected a constant, got %s", show(t))
end

function P:expr(minprec)
  local v = self:primary()
  while true do
    local t = self:peek()
    local prec = t.kind == "punct" and BINARY[t.text]
    if not prec or prec < minprec then return v end
    self:next()
    v = apply_binary(t.text, v, self:expr(prec + 1), t)
  end
end

---------------------------------------------------------------- attributes

-- __attribute__((packed)), __attribute__((aligned(N))): {packed=, aligned=}
function P:attributes(into)
  into = into or {}
  while self:peek().text == "__attribute__" or self:peek().text == "__attribute" do
    self:next()
    self:expect("(")
    self:expect("(")
    repeat
      local a = self:peek()
      if a.text == ")" then break end
      if a.kind ~= "id" then fail(a, "expected an attribute name, got %s", show(a)) end
      self:next()
      local name = a.text:gsub("^__(.-)__$", "%1")
      if name == "packed" then
        into.packed = true
      elseif name == "aligned" then
        local n = 8 -- the target's largest alignment
        if self:accept("(") then
          local ntok = self:peek()
          n = self:expr(1)
          if n <= 0 or n & (n - 1) ~= 0 then fail(ntok, "requested alignment %d is not a power of 2", n) end
          self:expect(")")
        end
        into.aligned = math.max(into.aligned or 1, n)
      else
        fail(a, "unsupported attribute '%s' (packed and aligned are)", a.text)
      end
    until not self:accept(",")
    self:expect(")")
    self:expect(")")
  end
  return into
end

---------------------------------------------------------------- specifiers

-- The integer spelling of a list of specifier keywords, in any order.
local function int_name(words, tok)
  local c = {}
  for _, w in ipairs(words) do
    w = w == "__signed__" and "signed" or w == "bool" and "_Bool" or w
    c[w] = (c[w] or 0) + 1
  end
  local sign = c.unsigned and "unsigned " or ""
  local nsign = (c.signed or 0) + (c.unsigned or 0)
  local function bad()
    fail(tok, "invalid combination of type specifiers '%s'", table.concat(words, " "))
  end
  if nsign > 1 or (c.long or 0) > 2 or (c.short or 0) > 1 or (c.int or 0) > 1 or (c.char or 0) > 1 then bad() end
  for _, w in ipairs { "void", "float", "double", "_Bool" } do
    if c[w] then
      if #words ~= 1 and not (w == "double" and #words == 2 and c.long) then bad() end
      if w == "double" and c.long then fail(tok, "'long double' is not supported") end
      return w
    end
  end
  if c.char then
    if c.short or c.long or c.int then bad() end
    return c.signed and "signed char" or (sign .. "char")
  end
  if c.short then
    if c.long then bad() end
    return sign .. "short"
  end
  if c.long == 2 then return sign .. "long long" end
  if c.long == 1 then return sign .. "long" end
  return sign .. "int"
end

function P:base_of_words(words, tok)
  local name = int_name(words, tok)
  if name == "void" then return { void = true } end
  if name == "float" or name == "double" then
    local size = name == "float" and 4 or 8
    local t = self.b:find(name, "float") or self.b:add_float(name, size)
    return { t = t, size = size, align = size }
  end
  return self:int(name)
end

-- Declaration specifiers: {base=, typedef=, defined=, anon_record=, tok=}.
function P:specifiers(toplevel)
  local s = { tok = self:peek() }
  local words, wtok = {}, nil
  while true do
    local t = self:peek()
    if t.kind ~= "id" then break end
    local w = t.text
    if QUALIFIERS[w] then
      self:next()
    elseif w == "typedef" then
      if not toplevel then fail(t, "'typedef' is not allowed here") end
      if s.typedef then fail(t, "duplicate 'typedef'") end
      s.typedef = true
      self:next()
    elseif STORAGE[w] then
      fail(t, "'%s' is not supported: only types can be declared", w)
    elseif w == "__attribute__" or w == "__attribute" then
      self:attributes()
    elseif SPECIFIERS[w] then
      if s.base then fail(t, "'%s' after a complete type (%s)", w, show(s.btok)) end
      wtok = wtok or t
      words[#words + 1] = w
      self:next()
    elseif (w == "struct" or w == "union" or w == "enum") and (s.base or #words > 0) then
      break -- e.g. a missing ';' between two definitions: the caller says so
    elseif w == "struct" or w == "union" then
      self:next()
      s.btok = t
      s.base, s.defined, s.anon_record = self:record(w)
    elseif w == "enum" then
      self:next()
      s.btok = t
      s.base, s.defined = self:enum(t)
    elseif s.base or #words > 0 then
      break -- the declarator's name
    elseif KEYWORDS[w] then
      fail(t, "unexpected %s", show(t))
    else
      local d = self:typedef_name(t)
      if not d then fail(t, "unknown type name '%s'", w) end
      self:next()
      s.base, s.btok = d, t
    end
  end
  if #words > 0 then s.base = self:base_of_words(words, wtok) end
  if not s.base then fail(self:peek(), "expected a type, got %s", show(self:peek())) end
  return s
end

---------------------------------------------------------------- declarators

function P:starts_type(t)
  return t.kind == "id" and (SPECIFIERS[t.text] or QUALIFIERS[t.text] or t.text == "struct" or t.text == "union"
    or t.text == "enum" or self.typedefs[t.text] ~= nil)
end

-- A declarator: {name=, tok=, apply = fn(base desc) -> desc}. Pointers
-- bind looser than [] and (), parentheses group, as in C.
function P:declarator(abstract)
  local nptr = 0
  while self:accept("*") do
    nptr = nptr + 1
    while QUALIFIERS[self:peek().text] do self:next() end
  end
  local inner, name, tok
  local t = self:peek()
  if t.text == "(" and t.kind == "punct" and not (self:peek(1).text == ")" or self:starts_type(self:peek(1))) then
    self:next()
    inner = self:declarator(abstract)
    self:expect(")")
    name, tok = inner.name, inner.tok
  elseif t.kind == "id" and not KEYWORDS[t.text] then
    self:next()
    name, tok = t.text, t
  elseif not abstract then
    fail(t, "expected a name, got %s", show(t))
  end
  local suffixes = {}
  while true do
    local st = self:peek()
    if self:accept("[") then
      local n
      if not self:accept("]") then
        local ntok = self:peek()
        n = self:expr(1)
        if n < 0 then fail(ntok, "array size is negative (%d)", n) end
        if n > 0xffffffff then fail(ntok, "array size %d is too large", n) end
        self:expect("]")
      end
      suffixes[#suffixes + 1] = { array = n, tok = st }
    elseif st.text == "(" and st.kind == "punct" then -- a function's parameters: only its pointer is used
      local depth = 0
      repeat
        local x = self:next()
        if x.kind == "eof" then fail(st, "unbalanced '(' in a function declarator") end
        if x.text == "(" then depth = depth + 1 elseif x.text == ")" then depth = depth - 1 end
      until depth == 0
      suffixes[#suffixes + 1] = { func = true, tok = st }
    else
      break
    end
  end
  local me = self
  return { name = name, tok = tok or t, apply = function(d)
    for _ = 1, nptr do d = me:ptr() end
    for i = #suffixes, 1, -1 do
      local sx = suffixes[i]
      if sx.func then
        if d.func then fail(sx.tok, "a function can't return a function") end
        d = { func = true }
      else
        if d.func then fail(sx.tok, "array of functions") end
        d = resolve(d)
        if d.void then fail(sx.tok, "array of void") end
        if d.flexible then fail(sx.tok, "array of a struct with a flexible array member") end
        if d.size == nil then fail(sx.tok, "array of a type without a size") end
        local n = sx.array or 0
        d = { t = me.b:add_array(d.t, n), size = d.size * n, align = d.align, flexible = sx.array == nil,
          nelems = n }
      end
    end
    if inner then d = inner.apply(d) end
    return d
  end }
end

-- A type name (sizeof): specifiers and an abstract declarator.
function P:type_name()
  local s = self:specifiers(false)
  local d = self:declarator(true)
  local r = resolve(d.apply(s.base))
  if r.void or r.func then fail(s.tok, "sizeof of a type without a size") end
  return r
end

---------------------------------------------------------------- struct, union, enum

function P:record(kind)
  local attrs = self:attributes()
  local ntok = self:peek()
  local name
  if ntok.kind == "id" and not KEYWORDS[ntok.text] then
    name = ntok.text
    self:next()
  end
  if not self:accept("{") then
    if not name then fail(ntok, "expected a %s name or '{', got %s", kind, show(ntok)) end
    return self:tag_ref(kind, ntok), false, false
  end
  if name then
    local tag = self.tags[name]
    if tag and (tag.desc or tag.defining) and not tag.imported then fail(ntok, "redefinition of '%s %s'", kind, name) end
    if tag and tag.kind ~= kind then fail(ntok, "'%s' was declared as '%s %s'", name, tag.kind, name) end
    self.tags[name] = { kind = kind, defining = true }
  end
  local members, fields = {}, {}
  local function add_field(n, tok)
    if fields[n] then fail(tok, "duplicate member '%s'", n) end
    fields[n] = true
  end
  while not self:accept("}") do
    local st = self:peek()
    if st.kind == "eof" then fail(st, "expected '}' to end %s, got end of input", name and (kind .. " " .. name) or kind) end
    local s = self:specifiers(false)
    if self:accept(";") then
      if s.anon_record then
        local d = s.base
        for n in pairs(d.fields) do add_field(n, s.btok) end
        members[#members + 1] = { desc = d, size = d.size, align = d.align, named = true }
      elseif not s.defined then
        fail(st, "declaration does not declare anything")
      end
    else
      repeat
        local dtok = self:peek()
        local decl
        if dtok.text == ":" then
          decl = { tok = dtok, apply = function(d) return d end } -- unnamed bitfield
        else
          decl = self:declarator(false)
        end
        local mattrs = self:attributes()
        local bits, btok
        if self:accept(":") then
          btok = self:peek()
          bits = self:expr(1)
        end
        self:attributes(mattrs)
        local d = decl.apply(s.base)
        if d.func then fail(decl.tok, "member '%s' has a function type (use a pointer)", tostring(decl.name)) end
        d = resolve(d)
        if d.void then fail(decl.tok, "member '%s' has type void", tostring(decl.name)) end
        if decl.name then add_field(decl.name, decl.tok) end
        if bits then
          local what = decl.name and ("bit-field '" .. decl.name .. "'") or "unnamed bit-field"
          if not d.intbits then fail(decl.tok, "%s has a type that is not an integer or enum", what) end
          if bits < 0 then fail(btok, "%s has a negative width (%d)", what, bits) end
          if bits > d.intbits then
            fail(btok, "width of %s (%d bits) exceeds the width of its type (%d bits)", what, bits, d.intbits)
          end
          if bits == 0 and decl.name then fail(btok, "named bit-field '%s' has zero width", decl.name) end
        end
        members[#members + 1] = { desc = d, name = decl.name, tok = decl.tok, size = d.size, align = d.align,
          bits = bits, named = decl.name ~= nil, aligned = mattrs.aligned, flexible = d.flexible }
      until not self:accept(",")
      self:expect(";", "after a member")
    end
  end
  self:attributes(attrs)
  for i, m in ipairs(members) do
    if m.flexible and (i < #members or kind == "union") then
      fail(m.tok, "flexible array member '%s' is not at the end of the struct", m.name)
    end
    if m.desc.flexible_tail and kind == "struct" and i < #members then
      fail(m.tok, "member '%s' ends with a flexible array and is not last", tostring(m.name))
    end
  end
  local size, align = layout.record(members, kind == "union", attrs)
  local btfm = {}
  for _, m in ipairs(members) do
    if m.named then -- unnamed bitfields are padding: clang leaves them out of BTF too
      btfm[#btfm + 1] = { name = m.name, type = m.desc.t, bit_offset = m.bit_offset,
        bitfield_size = m.bits and m.bits > 0 and m.bits or nil }
    end
  end
  local add = kind == "struct" and self.b.add_struct or self.b.add_union
  local t = add(self.b, name, size, btfm)
  local d = { t = t, size = size, align = align, fields = fields,
    flexible_tail = #members > 0 and members[#members].flexible or nil }
  if name then
    self.tags[name] = { kind = kind, desc = d }
    self.named[#self.named + 1] = { kind .. " " .. name, t }
  end
  return d, name ~= nil, name == nil
end

function P:enum(kwtok)
  local ntok = self:peek()
  local name
  if ntok.kind == "id" and not KEYWORDS[ntok.text] then
    name = ntok.text
    self:next()
  end
  if not self:accept("{") then
    if not name then fail(ntok, "expected an enum name or '{', got %s", show(ntok)) end
    return self:tag_ref("enum", ntok), false
  end
  if name and self.tags[name] then fail(ntok, "redefinition of 'enum %s'", name) end
  local vals, v, lo, hi = {}, -1, 0, 0
  while not self:accept("}") do
    local t = self:next()
    if t.kind ~= "id" or KEYWORDS[t.text] then fail(t, "expected an enumerator name, got %s", show(t)) end
    if self.consts[t.text] then fail(t, "redefinition of enumerator '%s'", t.text) end
    if self:accept("=") then v = self:expr(1) else v = v + 1 end
    self.consts[t.text] = v
    vals[#vals + 1] = { name = t.text, value = v }
    lo, hi = math.min(lo, v), math.max(hi, v)
    if not self:accept(",") then
      self:expect("}", "after an enumerator")
      break
    end
  end
  if #vals == 0 then fail(kwtok, "an enum needs at least one enumerator") end
  -- clang's choice of the underlying type: int, unsigned int, else 64 bits
  local signed = lo < 0
  local size = 4
  if (signed and (lo < -0x80000000 or hi > 0x7fffffff)) or (not signed and math.ult(0xffffffff, hi)) then size = 8 end
  local t = self.b:add_enum(name, size, vals, signed)
  local d = { t = t, size = size, align = size, intbits = size * 8 }
  if name then
    self.tags[name] = { kind = "enum", desc = d }
    self.named[#self.named + 1] = { "enum " .. name, t }
  end
  return d, true
end

---------------------------------------------------------------- declarations

function P:declaration()
  local s = self:specifiers(true)
  local last
  -- the last definition may end without ';' ("struct ev { ... }", as in
  -- a one-type call); anywhere else a missing ';' is an error
  local at_end = self:peek().kind == "eof" and (s.defined or s.anon_record) and not s.typedef
  if at_end or self:accept(";") then
    if s.typedef then fail(s.tok, "typedef without a name") end
    if not s.defined and not s.anon_record then
      if s.base.lazy then return nil end -- `struct foo;`: a forward declaration
      fail(s.tok, "declaration does not declare anything")
    end
    return s.base.t
  end
  local nt = self:peek()
  if not (nt.text == "*" or nt.text == "(" or (nt.kind == "id" and not KEYWORDS[nt.text])) then
    fail(self:peek(), "expected ';' after the declaration, got %s", show(self:peek()))
  end
  repeat
    local decl = self:declarator(false)
    if not s.typedef then
      fail(decl.tok, "'%s' declares a variable: only types can be declared (use typedef)", decl.name)
    end
    local d = decl.apply(s.base)
    local name = decl.name
    if self.typedefs[name] and self.typedefs[name].own then fail(decl.tok, "redefinition of typedef '%s'", name) end
    if d.func then
      self.typedefs[name] = { func = true, own = true }
    else
      d = resolve(d)
      if d.void then fail(decl.tok, "typedef of void is not supported") end
      local t = self.b:add_typedef(name, d.t)
      self.typedefs[name] = { t = t, size = d.size, align = d.align, intbits = d.intbits, fields = d.fields,
        flexible = d.flexible, own = true }
      self.named[#self.named + 1] = { name, t }
      last = t
    end
  until not self:accept(",")
  self:expect(";", "after a declaration")
  return last
end

local M = {}

--- Parses C declarations into BTF types. Returns the type declared last
-- and a table of every named type declared ("struct ev", "ev_t", "enum
-- e"). opts: btf (a builder BTF to add to; its typedefs and tags are
-- visible), kernel (a BTF for unknown names; false: none; default the
-- running kernel's). Bad declarations raise "ebpf.btf.cdef: LINE:COL: ...".
function M.cdef(src, opts)
  if opts ~= nil and type(opts) ~= "table" then error("ebpf.btf.cdef: options must be a table", 2) end
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "btf" and k ~= "kernel" then error(("ebpf.btf.cdef: invalid field name '%s'"):format(tostring(k)), 2) end
  end
  local btf = require "ebpf.btf"
  local p = setmetatable({ toks = lex.tokens(src), pos = 1, opts = opts, b = opts.btf or btf.new(),
    int_cache = {}, typedefs = {}, tags = {}, consts = {}, named = {} }, P)
  local last
  while p:peek().kind ~= "eof" do
    last = p:declaration() or last
  end
  if not last then error("ebpf.btf.cdef: no type declared", 2) end
  local all = {}
  for _, n in ipairs(p.named) do all[n[1]] = n[2] end
  return last, all
end

return M
