#!/bin/bash
# .ksyms and kfuncs from module BTF: spec/elf_ksyms_spec.lua in 6.12 and
# 6.1 VMs with nf_conntrack and kvm loaded as modules (this machine builds
# them in and lists no data symbols in kallsyms). Typed per-CPU ksyms of
# vmlinux and of kvm, kfunc calls through the module BTF fd's fd_array
# slot: nothing may be pending there.
set -euo pipefail
VM=tools/vm-run.sh
$VM --available || { echo "no run-in-kernel.sh: skipped"; exit 0; }
# The VM's busybox modprobe reads the modules.dep the runner makes; a host
# kmod modprobe (first on PATH when kmod is installed) wants modules.dep.bin.
run='/run/rik-bin/modprobe -a nf_conntrack kvm &&
  test -e /sys/kernel/btf/nf_conntrack && test -e /sys/kernel/btf/kvm &&
  busted --lua=lua5.4 -o plainTerminal spec/elf_ksyms_spec.lua'
for k in 6.12 6.1; do
  out=$(timeout 900 "$VM" "$k" -- bash -c "$run" 2>&1) || { echo "$out"; exit 1; }
  echo "$k: $(echo "$out" | grep -E "[0-9]+ successes")"
  echo "$out" | grep -q " 0 pending" || { echo "$out"; exit 1; }
done
