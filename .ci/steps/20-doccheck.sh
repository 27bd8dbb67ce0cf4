#!/bin/bash
# Every public function (luaL_Reg tables in lua/*.c, EBPF_API in
# core/include/ebpf/*.h) must be documented in docs/*.md; see
# tools/doccheck.lua for the convention. docs/c-api.md is generated from
# the header comments and must be current. Prints what is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
lua5.4 tools/gen_c_api.lua --check
lua5.4 tools/doccheck.lua
