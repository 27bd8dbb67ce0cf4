#!/bin/bash
# Link area: attach kinds this machine's kernel refuses (kprobes, fentry,
# fmod_ret, LSM) proven inside Debian's 6.1 and 6.12 kernels under qemu
# (a few minutes per kernel under TCG).
set -euo pipefail
cd "$(dirname "$0")/../.."
make link-vm-test
