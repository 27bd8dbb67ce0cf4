#!/bin/bash
# Runs spec/link_kernel_spec.lua (kprobes, kprobe.multi, ksyscall, fentry,
# fexit, fmod_ret, LSM: what this machine's kernel refuses) inside other
# kernels with ../shared/vm/run-in-kernel.sh. EBPF_LINK_VM=1 makes every
# skip a failure there. Usage: tools/link-vm-test.sh [KERNEL...] (default:
# 5.10 6.1 6.12 7.2: ~1 min each under TCG). Needs a build (make build) first.
set -u
cd "$(dirname "$0")/.."
VM=tools/vm-run.sh
BUILD=${BUILD:-build}
kernels=("$@")
[ ${#kernels[@]} -eq 0 ] && kernels=(5.10 6.1 6.12 7.2)
rc=0
for k in "${kernels[@]}"; do
  echo "=== link specs in kernel $k ==="
  # bpf in the LSM list enables the BPF LSM (off by default in Debian).
  "$VM" -t 900 -A "lsm=lockdown,capability,yama,bpf" "$k" -- \
    env EBPF_LINK_VM=1 EBPF_BUILD="$BUILD" busted --lua=lua5.4 -o utfTerminal spec/link_kernel_spec.lua
  r=$?
  echo "=== kernel $k: exit $r ==="
  [ $r -ne 0 ] && rc=1
done
exit $rc
