#!/bin/bash
# Map types created without BTF key/value types as libbpf creates them
# (spec/elf_maptypes_spec.lua, bpftool's libbpf as the oracle) and the
# automatic RLIMIT_MEMLOCK raise (spec/memlock_spec.lua: 5.10 charges it)
# inside the 5.10, 6.1, 6.12 and 7.2 kernels. About 25 s per kernel.
set -euo pipefail
cd "$(dirname "$0")/../.."
vm=tools/vm-run.sh
$vm --available || { echo "no run-in-kernel.sh: skipping"; exit 0; }
status=0
# Debian kernels have no /proc/config.gz, and this machine's /boot holds no
# config of the VM kernels: the .kconfig externs (spec "externs", like
# libbpf) need the VM kernel's own config, taken from its package in the
# runner's cache and put at /boot/config-$(uname -r) inside the VM (whose
# writes go to a throwaway overlay).
cache=${RIK_CACHE:-/tmp/run-in-kernel-cache}
cfgdir=$cache/none
# (Debian 14 ships it as /lib/modules/VER/config, which the VM sees.)
put_config='r=$(uname -r); c=$(find "$1" "$2" -name "config-$r" 2>/dev/null | head -1);
  [ -z "$c" ] && [ -e "/lib/modules/$r/config" ] && c=/lib/modules/$r/config;
  [ -n "$c" ] && mkdir -p /boot && cp "$c" "/boot/config-$r" || true;
  EBPF_BUILD=build busted --lua=lua5.4 -o utfTerminal spec/elf_maptypes_spec.lua'
for k in ${EBPF_MAPTYPES_KERNELS:-5.10 6.1 6.12 7.2}; do
  echo "--- map types on $k"
  "$vm" -t 600 "$k" -- bash -c "$put_config" _ "$cache" "$cfgdir" || status=1
done
exit $status
