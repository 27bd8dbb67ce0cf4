#!/bin/bash
# All Lua code passes luacheck (.luacheckrc).
set -euo pipefail
cd "$(dirname "$0")/../.."
luacheck --no-color -q lua/ebpf bin spec bench examples tools
