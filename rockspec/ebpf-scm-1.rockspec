rockspec_format = "3.0"
package = "ebpf"
version = "scm-1"
source = {
  url = "git+file:///dev/null", -- built from a checkout with `luarocks make`
}
description = {
  summary = "eBPF for Lua 5.4: maps, programs, ELF/CO-RE loading, links and event readers, without libbpf",
  detailed = [[
A C11 core implementing eBPF user space on the raw bpf(2) syscall (ELF
loading, CO-RE, BTF, an assembler, maps, programs, every attach kind,
ring/perf buffer readers, feature probes), exposed to Lua as
garbage-collected objects. Depends only on libelf and zlib.
]],
  license = "MIT",
  labels = { "ebpf", "bpf", "tracing", "linux" },
}
dependencies = {
  "lua >= 5.4, < 5.5",
}
external_dependencies = {
  LIBELF = { header = "libelf.h" },
  ZLIB = { header = "zlib.h" },
}
build = {
  type = "cmake",
  variables = {
    CMAKE_BUILD_TYPE = "Release",
    CMAKE_INSTALL_PREFIX = "$(PREFIX)",
    LUA_INCDIR = "$(LUA_INCDIR)",
    LUADIR = "$(LUADIR)",
    LIBDIR = "$(LIBDIR)",
    BINDIR = "$(BINDIR)",
    EBPF_TESTS = "OFF",
  },
  install = {
    bin = { ebpf = "bin/ebpf" },
  },
}
