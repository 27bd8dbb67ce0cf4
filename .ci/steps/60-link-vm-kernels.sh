#!/bin/bash
# Link area: attach kinds this machine's kernel refuses (kprobes, fentry,
# fmod_ret, LSM) proven inside Debian's 5.10, 6.1, 6.12 and 7.2 kernels under qemu
# (about a minute per kernel under TCG).
set -euo pipefail
cd "$(dirname "$0")/../.."
make link-vm-test
