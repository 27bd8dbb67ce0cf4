-- ebpf.btf.cdef: C declarations -> BTF, checked against clang. The same
-- declarations are compiled with `clang -target bpf -g` (a global of each
-- type), the object's BTF is read with ebpf.btf.load, and every size,
-- member offset and bitfield of ours must equal clang's.
local ebpf = require "ebpf"
local helpers = require "helpers"

local DECLS = [[
/* event structs as tools write them */
struct cd_basic { __u32 pid; char comm[16]; };
struct cd_spell {
  unsigned long long a; signed char b; _Bool c; unsigned d; short int e; long int f;
  unsigned short int g; long long int h; int long unsigned i; char j; unsigned char k;
  signed l; long m; double n; float o; long signed int p; unsigned char q;
};
struct cd_kernel { pid_t pid; size_t sz; u8 x; __s64 y; u64 z; uid_t uid; __u16 w; };   // kernel typedefs
struct cd_nested {
  int a;
  struct cd_inner { char c; long l; } in;
  struct { short s; char t; };
  union { int u; char v[3]; } un;
  union { long w; char x; };
};
struct cd_bits {
  unsigned a:3; unsigned b:30; int c:1; unsigned long long d:40; unsigned long long e:30;
  char f:2; int :0; int g:5; short h:9; short :4; short i:4; _Bool j:1; unsigned :7; char k;
};
struct cd_bits2 { char a; int b:20; int c:20; long long d:33; char e; };
struct cd_bits3 { int :3; char a; };
enum cd_e { CD_A, CD_B = 5, CD_C, };
enum cd_neg { CD_N = -1, CD_M = 1 << 20 };
enum cd_big { CD_BIG = 0x100000000 };
enum cd_u { CD_U = 0x80000000u };
struct cd_enums { enum cd_e e; enum cd_neg n; enum cd_big b; char after; enum cd_e f:3; enum cd_u u; };
struct cd_arrays { int m[2][3]; char s[2][5][3]; int *ptrs[4]; int (*pa)[8]; struct cd_basic evs[2]; char tail; };
struct cd_ptrs { void *p; char c; struct cd_undefined *u; int (*fn)(int, char *); const char *const name; };
typedef struct { int x; char y; } cd_anon_t;
typedef unsigned int cd_u32, *cd_u32p, cd_arr_t[CD_C];
struct cd_typedefs { cd_anon_t a; cd_u32 b; cd_u32p c; cd_arr_t d; volatile cd_u32 e; };
union cd_union { char c; long l; int i[3]; };
struct cd_flex { int n; char data[]; };
struct cd_packed { char a; int b; short c; } __attribute__((packed));
struct cd_packbits { char a; unsigned b:7; unsigned c:20; } __attribute__((__packed__));
struct cd_aligned { char a; int b __attribute__((aligned(16))); } __attribute__((aligned(32)));
struct cd_sizes { char buf[sizeof(struct cd_basic) * 2]; char b2[(1 << 3) + CD_B % 3 - -1]; char b3['A']; };
struct cd_kstruct { struct in6_addr addr; __be16 port; };
struct cd_empty { };
]]

local function compile(src)
  local dir = helpers.sh("mktemp -d"):gsub("%s+$", "")
  local f = assert(io.open(dir .. "/t.c", "wb"))
  f:write(src)
  f:close()
  local vmlinux = helpers.build .. "/testdata"
  -- clang 15+ (Debian: clang-19) emits 64-bit enums as ENUM64; clang 14 truncates them
  local cc = os.execute("command -v clang-19 >/dev/null") and "clang-19" or "clang"
  local out = io.popen(("%s -target bpf -g -O2 -I %s -c %s/t.c -o %s/t.o 2>&1"):format(cc, vmlinux, dir, dir)):read("a")
  local b = ebpf.btf.load(dir .. "/t.o")
  helpers.sh("rm -rf " .. dir)
  assert(b, out)
  return b
end

-- clang's type and ours agree in layout (kinds aside: pointers are integers here)
local function same_layout(want, got, path)
  want, got = want:resolve(), got:resolve()
  assert.equal(want.size, got.size, path .. ": size")
  if want.kind == "ptr" then
    assert.same({ "int", 8 }, { got.kind, got.size }, path)
    return
  end
  local wk = want.kind == "enum64" and "enum" or want.kind
  local gk = got.kind == "enum64" and "enum" or got.kind
  assert.equal(wk, gk, path .. ": kind")
  if wk == "struct" or wk == "union" then
    assert.equal(#want.members, #got.members, path .. ": members")
    for i, wm in ipairs(want.members) do
      local gm = got.members[i]
      local p = path .. "." .. (wm.name or "<anon>")
      assert.same({ wm.name, wm.bit_offset, wm.bitfield_size }, { gm.name, gm.bit_offset, gm.bitfield_size }, p)
      same_layout(wm.type, gm.type, p)
    end
  elseif wk == "array" then
    assert.equal(want.nelems, got.nelems, path .. ": nelems")
    same_layout(want.type, got.type, path .. "[]")
  elseif wk == "int" then
    assert.same({ want.encoding, want.bits }, { got.encoding, got.bits }, path)
  elseif wk == "enum" then
    assert.same(want.values, got.values, path)
    assert.equal(want.kflag, got.kflag, path .. ": signedness")
  end
end

describe("ebpf.btf.cdef", function()
  it("lays out every declaration as clang does (sizes, offsets, bitfields, from clang's BTF)", function()
    if helpers.skip_unless(io.open(helpers.build .. "/testdata/vmlinux.h"), "no vmlinux.h (kernel BTF)", true) then
      return
    end
    local _, all = ebpf.btf.cdef(DECLS)
    local globals, names, n = {}, {}, 0
    for name in pairs(all) do names[#names + 1] = name end
    table.sort(names)
    for _, name in ipairs(names) do
      n = n + 1
      globals[#globals + 1] = ("%s cd_global_%d;"):format(name, n)
    end
    local clang = compile('#include "vmlinux.h"\n' .. DECLS .. "\n" .. table.concat(globals, "\n") .. "\n")
    assert.is_true(#names >= 25)
    for _, name in ipairs(names) do
      local want = assert(clang:find(name), "clang's BTF has no " .. name)
      same_layout(want, all[name], name)
    end
  end)

  it("one declaration returns its type; char arrays decode as strings; encode/decode round trip", function()
    local t = ebpf.btf.cdef("struct ev { __u32 pid; char comm[16]; }")
    assert.same({ "struct", "ev", 20 }, { t.kind, t.name, t.size })
    local v = t:decode(t:encode { pid = 42, comm = "bash" })
    assert.same({ pid = 42, comm = "bash" }, v)
    local e = ebpf.btf.cdef("enum color { RED, GREEN = 4 }; typedef enum color color_t;")
    assert.same({ "typedef", "color_t" }, { e.kind, e.name })
    assert.equal("GREEN", e:resolve():enum_name(4))
    local b = ebpf.btf.cdef("struct bits { unsigned a:3; int b:5; _Bool c:1; };")
    assert.same({ a = 5, b = -3, c = true }, b:decode(b:encode { a = 5, b = -3, c = true }))
  end)

  it("kernel typedefs and structs by value come from the kernel's BTF", function()
    local k = ebpf.btf.kernel()
    if helpers.skip_unless(k, "no kernel BTF", true) then return end
    local t = ebpf.btf.cdef("struct x { pid_t pid; struct in6_addr a; };")
    assert.equal("pid_t", t.members[1].type.name)
    assert.equal(k:find("struct in6_addr").size, t.members[2].type.size)
    -- without the kernel: the fixed-width names still work, others fail clearly
    local u = ebpf.btf.cdef("struct y { __u64 a; u8 b; };", { kernel = false })
    assert.equal(16, u.size)
    local ok, msg = pcall(ebpf.btf.cdef, "struct z { __be16 p; };", { kernel = false })
    assert.is_false(ok)
    assert.equal("ebpf.btf.cdef: 1:12: unknown type name '__be16'", msg)
  end)

  it("types are accepted by maps (key and value), reader:decode and a builder BTF", function()
    local k = ebpf.btf.cdef("struct key { __u32 pid; __u32 cpu; };")
    local v = ebpf.btf.cdef("struct val { __u64 count; char comm[16]; };", { btf = k.btf })
    local m <close> = assert(ebpf.map { type = "hash", max_entries = 8, key_type = k, value_type = v })
    m[{ pid = 1, cpu = 2 }] = { count = 7, comm = "lua" }
    assert.same({ count = 7, comm = "lua" }, m[{ pid = 1, cpu = 2 }])
    assert.equal(24, #m:lookup_bytes({ pid = 1, cpu = 2 }))
    local other = ebpf.btf.cdef("struct other { int x; };")
    assert.error_matches(function() ebpf.map { type = "hash", max_entries = 8, key_type = other, value_type = v } end,
      "another btf")

    -- ring buffer records of testdata/readers/events.bpf.c, through the same declaration
    local coll <close> = assert(ebpf.load(helpers.testdata("readers/events.bpf.o")))
    local ev = ebpf.btf.cdef([[
      struct event {
        __u32 pid; __u32 kind : 4; __u32 flags : 12; __s32 delta : 16; char comm[16];
        __u16 grid[2][3]; struct { __u8 a; __u8 b[2]; } inner[2]; __u64 seq;
      };]])
    local r <close> = assert(ebpf.ringbuf.reader(coll.maps.events)):decode(ev)
    assert.equal(0, coll.programs.emit:run(nil, { ctx = string.pack("<I8i8", 9, -5) }))
    local rec = r:read(1000)
    assert.same({ pid = 4321, kind = 5, flags = 0xabc, delta = -5, comm = "hello-readers",
      grid = { { 0, 1, 2 }, { 10, 11, 12 } }, inner = { { a = 1, b = "\2\3" }, { a = 4, b = "\5\6" } }, seq = 9 }, rec)
  end)

  local function err(src, pat)
    local ok, msg = pcall(ebpf.btf.cdef, src, { kernel = false })
    assert.is_false(ok, src)
    assert.matches(pat, msg, 1, true)
  end

  it("bad declarations raise naming the token and its line:column", function()
    err("struct a { foo_t x; };", "ebpf.btf.cdef: 1:12: unknown type name 'foo_t'")
    err("struct a { int x }", "1:18: expected ';' after a member, got '}'")
    err("struct a { int x; int x; };", "1:23: duplicate member 'x'")
    err("struct a { int x; struct { char x; }; };", "duplicate member 'x'")
    err("struct a { int x:33; };", "1:18: width of bit-field 'x' (33 bits) exceeds the width of its type (32 bits)")
    err("struct a { _Bool b:2; };", "(2 bits) exceeds the width of its type (1 bits)")
    err("struct a { int x:0; };", "named bit-field 'x' has zero width")
    err("struct a { char *p:3; int y; };", "not an integer or enum")
    err("struct a { int x; }\nstruct b { int y; };", "2:1: expected ';' after the declaration, got 'struct'")
    err("struct a { int x; };\nstruct a { int y; };", "2:8: redefinition of 'struct a'")
    err("struct a { struct nope n; };", "1:19: unknown type 'struct nope'")
    err("struct a { struct a self; };", "incomplete here")
    err("struct a { char d[]; int n; };", "flexible array member 'd' is not at the end")
    err("struct a { long short x; };", "invalid combination of type specifiers 'long short'")
    err("struct a { unsigned signed x; };", "invalid combination")
    err("struct a { int f(int); };", "member 'f' has a function type")
    err("int x;", "1:5: 'x' declares a variable")
    err("struct a { int x[-1]; };", "array size is negative")
    err("struct a { int x[1/0]; };", "division by zero")
    err("struct a { int x[N]; };", "'N' is not a constant")
    err("struct a { int x; /* open", "unterminated comment")
    err("#include <x.h>\nstruct a { int x; };", "1:1: preprocessor directives are not supported")
    err("struct a { int x; } __attribute__((weird));", "unsupported attribute 'weird'")
    err("struct a { int x @ };", "unexpected character '@'")
    err("enum e { A, A };", "redefinition of enumerator 'A'")
    err("struct a { void v; };", "has type void")
    err("struct a { int x;", "expected '}' to end struct a, got end of input")
    err("union u; struct u *p;", "")
    assert.error_matches(function() ebpf.btf.cdef(42) end, "declarations must be a string")
    assert.error_matches(function() ebpf.btf.cdef("struct a;") end, "no type declared")
    assert.error_matches(function() ebpf.btf.cdef("struct a {int x;};", { btff = 1 }) end, "invalid field name 'btff'")
  end)

  it("hostile input: deep nesting, huge arrays and long garbage fail cleanly", function()
    local deep = string.rep("struct { ", 150) .. "int x; " .. string.rep("}; ", 150)
    local t = ebpf.btf.cdef("struct d { " .. deep .. "};")
    assert.equal(4, t.size)
    err("struct a { char x[0x100000000]; };", "too large")
    for _, g in ipairs { string.rep("(", 5000), string.rep("*", 100) .. "x", "struct", "struct {", "}", "enum {}",
      "typedef", "struct a { int x : ; };", "\0\1\2", string.rep("struct a", 1000) } do
      local ok, msg = pcall(ebpf.btf.cdef, g, { kernel = false })
      assert.is_false(ok)
      assert.matches("^ebpf.btf.cdef: ", msg)
    end
  end)
end)
