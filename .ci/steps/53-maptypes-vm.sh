#!/bin/bash
# Map types created without BTF key/value types as libbpf creates them
# (spec/elf_maptypes_spec.lua, bpftool's libbpf as the oracle) and the
# automatic RLIMIT_MEMLOCK raise (spec/memlock_spec.lua: 5.10 charges it)
# inside the 5.10, 6.1, 6.12 and 7.2 kernels. About 25 s per kernel.
set -euo pipefail
cd "$(dirname "$0")/../.."
vm=/work/shared/vm/run-in-kernel.sh
[ -x "$vm" ] || { echo "no $vm: skipping"; exit 0; }
status=0
for k in ${EBPF_MAPTYPES_KERNELS:-5.10 6.1 6.12 7.2}; do
  echo "--- map types on $k"
  "$vm" -t 600 "$k" -- env EBPF_BUILD=build busted --lua=lua5.4 -o utfTerminal spec/elf_maptypes_spec.lua ||
    status=1
done
exit $status
