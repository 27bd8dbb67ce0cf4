#!/bin/bash
# The newest attach kinds (spec/link_newest_spec.lua: kprobe/uprobe
# sessions, tracing multi, netkit, periodic perf events, BPF_PROG_QUERY)
# inside the 6.12 and 7.2 kernels, where EBPF_LINK_VM=1 makes a missing
# kprobe a failure (a kernel too old for a feature stays a skip with its
# version), and the kernel-BTF names of attach types newer than the build's
# headers (spec/kernel_names_spec.lua). About 30 s per kernel under TCG.
set -euo pipefail
cd "$(dirname "$0")/../.."
vm=tools/vm-run.sh
$vm --available || { echo "no run-in-kernel.sh: skipping"; exit 0; }
status=0
for k in ${EBPF_NEWEST_KERNELS:-6.12 7.2}; do
  echo "--- newest links on $k"
  "$vm" -t 900 "$k" -- env EBPF_LINK_VM=1 EBPF_BUILD=build busted --lua=lua5.4 -o utfTerminal \
    spec/link_newest_spec.lua spec/kernel_names_spec.lua || status=1
done
exit $status
