#!/bin/bash
# All Lua code passes luacheck (.luacheckrc); the C bindings pass the
# luaL_Buffer lint (tools/lint-lbuffer.lua).
set -euo pipefail
cd "$(dirname "$0")/../.."
luacheck --no-color -q lua/ebpf bin spec bench examples tools
lua5.4 tools/lint-lbuffer.lua
