#!/bin/bash
# vm-run.sh - run a command in another kernel through ../shared/vm/
# run-in-kernel.sh (same options and arguments), retrying the VM when it died
# before the command started. Under TCG a stock kernel now and then oopses
# while it boots (seen: int3 in sched_clock_cpu at 1.7 s, ftrace patching),
# which says nothing about the code under test; a crash after the command
# started is reported as it is (exit 125, kernel log on stderr).
#   tools/vm-run.sh --available    exit 0 when a runner is there
#   tools/vm-run.sh [RUNNER-OPTIONS] KERNEL -- CMD [ARGS...]
# VM_BOOT_TRIES (default 3) bounds the boots; RIK names the runner.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
rik=${RIK:-}
for c in "$rik" "$here/../shared/vm/run-in-kernel.sh" /work/shared/vm/run-in-kernel.sh; do
  if [ -n "$c" ] && [ -x "$c" ]; then rik=$c; break; fi
done
if [ "${1:-}" = "--available" ]; then [ -n "$rik" ] && [ -x "$rik" ]; exit; fi
[ -n "$rik" ] && [ -x "$rik" ] || { echo "vm-run: no run-in-kernel.sh (set RIK)" >&2; exit 125; }

# Split the runner's options and KERNEL from the command after "--".
pre=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do pre+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
[ $# -gt 0 ] || { echo "vm-run: no command (usage: vm-run.sh [OPTS] KERNEL -- CMD...)" >&2; exit 125; }

mark=$(mktemp -d) || exit 125
trap 'rm -rf "$mark"' EXIT
tries=${VM_BOOT_TRIES:-3}
for ((i = 1; ; i++)); do
  rm -f "$mark/started"
  "$rik" -w "$mark" "${pre[@]}" -- sh -c ': > "$0"; exec "$@"' "$mark/started" "$@"
  rc=$?
  if [ $rc -ne 125 ] || [ -e "$mark/started" ] || [ $i -ge $tries ]; then exit $rc; fi
  echo "vm-run: the VM died before the command started (boot $i of $tries); booting again" >&2
done
