#!/bin/bash
# Feature probes on other kernels: runs `ebpf features --json` inside qemu
# VMs (5.10, 6.1, 6.12, 7.2) and checks the report against the versions
# that introduced each feature (tools/check-features.lua); then the
# library's fallbacks that follow the probes (BTF sanitising, perf link vs
# ioctl, tcx vs classic tc: the #fallbacks specs of spec/features_spec.lua)
# in the same kernels, where the old ways are taken for real.
set -euo pipefail
cd "$(dirname "$0")/../.."
vm=tools/vm-run.sh
$vm --available || { echo "no run-in-kernel.sh: skipping kernel matrix"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for k in ${EBPF_FEATURE_KERNELS:-5.10 6.1 6.12 7.2}; do
  echo "--- features on $k"
  if ! "$vm" "$k" -- bin/ebpf features --json --no-helpers > "$tmp/$k.json"; then
    echo "ebpf features failed on $k"; status=1; continue
  fi
  lua5.4 tools/check-features.lua "$tmp/$k.json" || status=1
  echo "--- fallbacks on $k"
  "$vm" -t 900 "$k" -- env EBPF_BUILD=build busted --lua=lua5.4 -o utfTerminal --tags=fallbacks \
    spec/features_spec.lua || { echo "fallback specs failed on $k"; status=1; }
done
exit $status
