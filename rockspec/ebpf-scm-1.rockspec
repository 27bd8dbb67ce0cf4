rockspec_format = "3.0"
package = "ebpf"
version = "scm-1"
source = {
  url = "git+https://github.com/ebpf-lua/ebpf-lua.git",
  branch = "main",
}
description = {
  summary = "eBPF for Lua 5.4: maps, programs, ELF/CO-RE loading, links and event readers, without libbpf",
  detailed = [[
A C11 core implementing eBPF user space on the raw bpf(2) syscall (ELF
loading, CO-RE, BTF, an assembler, maps, programs, every attach kind,
ring/perf buffer readers, feature probes), exposed to Lua as
garbage-collected objects. Depends only on libelf and zlib.
]],
  homepage = "https://github.com/ebpf-lua/ebpf-lua",
  license = "MIT",
  labels = { "ebpf", "bpf", "tracing", "linux" },
}
dependencies = {
  "lua >= 5.4, < 5.5",
}
external_dependencies = {
  LIBELF = { header = "libelf.h", library = "elf" },
  ZLIB = { header = "zlib.h", library = "z" },
}
test = {
  type = "busted",
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
    -- external-dependency hints reach CMake (see CMakeLists.txt)
    LIBELF_DIR = "$(LIBELF_DIR)",
    LIBELF_INCDIR = "$(LIBELF_INCDIR)",
    LIBELF_LIBDIR = "$(LIBELF_LIBDIR)",
    ZLIB_DIR = "$(ZLIB_DIR)",
  },
  install = {
    bin = { ebpf = "bin/ebpf" },
  },
}
