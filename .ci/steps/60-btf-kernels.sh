#!/bin/bash
# BTF on other kernels (qemu, ../shared/vm/run-in-kernel.sh): 6.1 reads
# sysfs BTF without mmap and has module BTF; 6.12 has module BTF too. Runs
# the C test and the BTF spec (bpftool/clang/kernel oracles) inside each;
# in 5.10 (no kernel BTF ids, older OBJ_GET_INFO) the #oldkernels part.
set -euo pipefail
cd "$(dirname "$0")/../.."
RIK=tools/vm-run.sh
if ! $RIK --available; then
  echo "skip: run-in-kernel.sh not available"
  exit 0
fi
for k in ${BTF_KERNELS:-6.1 6.12}; do
  echo "--- BTF on $k"
  "$RIK" "$k" -- sh -c 'uname -r && ./build/test_btf && EBPF_BUILD=build busted --lua=lua5.4 spec/btf_spec.lua'
done
echo "--- BTF on 5.10 (#oldkernels)"
"$RIK" 5.10 -- sh -c 'uname -r && EBPF_BUILD=build busted --lua=lua5.4 --tags=oldkernels spec/btf_spec.lua'
