#!/bin/bash
# Every public function (luaL_Reg tables in lua/*.c, EBPF_API in
# core/include/ebpf/*.h) must be documented in docs/*.md; see
# tools/doccheck.lua for the convention. Prints what is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
lua5.4 tools/doccheck.lua
