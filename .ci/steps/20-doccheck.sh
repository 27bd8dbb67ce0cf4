#!/bin/bash
# Documentation is complete and current:
# - every public C function (EBPF_API in core/include/ebpf/*.h) is documented
#   (tools/doccheck.lua), and docs/c-api.md, generated from the header
#   comments, is current;
# - every Lua function and method the built module exposes has an entry in
#   docs/*.md, no entry names a function that does not exist, and the
#   reference docs/api.md generated from them is current (tools/apiref.lua).
set -euo pipefail
cd "$(dirname "$0")/../.."
lua5.4 tools/gen_c_api.lua --check
lua5.4 tools/doccheck.lua
BUILD=${BUILD:-build}
LUA_PATH="$PWD/lua/?.lua;$PWD/lua/?/init.lua;;" LUA_CPATH="$PWD/$BUILD/?.so;;" \
  lua5.4 tools/apiref.lua --check
