#!/bin/bash
# Conformance with libbpf on a corpus others wrote: a fixed subset of the
# kernel's 6.1 BPF selftests programs (tools/conformance-ci.list), compiled
# against our own vmlinux.h of the 6.1 kernel, loaded by libbpf (bpftool)
# and by ebpf-lua inside the 6.1 VM. Fails on any object libbpf loads and
# we refuse, and on any program whose translated instructions differ
# (CONFORMANCE_STRICT). Bounded: one VM boot, VM_TIMEOUT seconds at most.
set -euo pipefail
cd "$(dirname "$0")/../.."
VM=${VM:-$PWD/tools/vm-run.sh}
if ! "$VM" --available; then
  echo "skip: run-in-kernel.sh not available"
  exit 0
fi
start=$(date +%s)
CONFORMANCE_STRICT=1 VM="$VM" VM_TIMEOUT=${VM_TIMEOUT:-1500} \
  tools/conformance.sh 6.1 tools/conformance-ci.list || {
  grep -v '^EQUAL\|^BOTH-REFUSE' build/conformance/report.6.1.txt || true
  exit 1
}
echo "conformance step: $(( $(date +%s) - start )) s"
