#!/bin/bash
# conformance.sh [KERNEL] [LIST] - the kernel's own BPF selftests programs
# (tools/testing/selftests/bpf/progs/*.c of Debian's linux-source-6.1) as a
# conformance corpus: every object that compiles is loaded by libbpf
# (bpftool prog loadall) and by ebpf-lua in KERNEL ("host", the default, or
# a run-in-kernel.sh alias: 5.10, 6.1, 6.12, 7.2), and the two loads are
# compared per object (tools/conformance.lua). LIST, a file of object names
# (one a line, without .c), restricts the run to a subset (CI).
# VM_SMP (default 2) and VM_TIMEOUT (seconds, default 3000) size the VM run;
# with VM_SMP=1 under `taskset -c 1` a full corpus leaves CPU 0 free.
#
# The headers are the package's own (tools/lib/bpf, selftests, uapi) plus a
# vmlinux.h written by OUR dumper (ebpf btf dump --format c) from the 6.1
# VM kernel's BTF. Sources, headers and objects are extracted/compiled once
# into $BUILD/conformance (the build directory: never a predictable /tmp
# path) and reused; delete that directory to rebuild.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
KERNEL=${1:-host}
LIST=${2:-}
BUILD=${BUILD:-build}
W=$ROOT/$BUILD/conformance
SRC=/usr/src/linux-source-6.1.tar.xz
S=$W/linux-source-6.1
P=$S/tools/testing/selftests/bpf
CLANG=${CLANG:-clang-19}
VM=${VM:-$ROOT/tools/vm-run.sh}
export LUA_PATH="$ROOT/lua/?.lua;$ROOT/lua/?/init.lua;$ROOT/spec/?.lua;;"
export LUA_CPATH="$ROOT/$BUILD/?.so;;"

[ -r "$SRC" ] || { echo "conformance: $SRC missing (apt-get install linux-source-6.1)" >&2; exit 1; }
[ -e "$ROOT/$BUILD/ebpf/core.so" ] || { echo "conformance: build first (make build)" >&2; exit 1; }
mkdir -p -m 0700 "$W"

# 1. sources and headers (once)
if [ ! -e "$W/.extracted" ]; then
  tar -C "$W" -xJf "$SRC" --wildcards \
    'linux-source-6.1/tools/testing/selftests/bpf/progs/*' \
    'linux-source-6.1/tools/testing/selftests/bpf/*.h' \
    'linux-source-6.1/tools/lib/bpf/*' 'linux-source-6.1/tools/include/*' \
    'linux-source-6.1/scripts/bpf_doc.py'
  mkdir -p "$W/inc/bpf"
  cp "$S"/tools/lib/bpf/*.h "$W/inc/bpf/"
  python3 "$S/scripts/bpf_doc.py" --header --file "$S/tools/include/uapi/linux/bpf.h" \
    > "$W/inc/bpf/bpf_helper_defs.h"
  touch "$W/.extracted"
fi

# 2. vmlinux.h of the 6.1 VM kernel, by our dumper (raw BTF read in the VM)
if [ ! -s "$W/inc/vmlinux.h" ]; then
  "$VM" 6.1 -- lua5.4 bin/ebpf btf dump /sys/kernel/btf/vmlinux --format raw > "$W/vmlinux-6.1.btf"
  lua5.4 bin/ebpf btf dump "$W/vmlinux-6.1.btf" --format c > "$W/inc/vmlinux.h.new"
  mv "$W/inc/vmlinux.h.new" "$W/inc/vmlinux.h"
fi

# 3. the objects to run: all programs, or those of LIST
SRCS=$W/sources.$KERNEL.list
if [ -n "$LIST" ]; then
  grep -v '^#' "$LIST" | sed '/^$/d; s|^|'"$P"'/progs/|; s|$|.c|' > "$SRCS"
else
  ls "$P"/progs/*.c > "$SRCS"
fi

# 4. compile each (once: an object or its error file is kept; flags as the
# selftests Makefile's, minus -Werror: clang-19 warns where the 6.1-era
# clang did not)
mkdir -p "$W/obj" "$W/cc-errors"
compile() {
  local n; n=$(basename "$1" .c)
  [ -e "$W/obj/$n.bpf.o" ] || [ -e "$W/cc-errors/$n.txt" ] && return 0
  "$CLANG" -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -mlittle-endian \
    -I"$W/inc" -I"$P" -I"$S/tools/include/uapi" \
    -idirafter "$("$CLANG" -print-resource-dir)/include" -idirafter /usr/local/include \
    -idirafter /usr/include/x86_64-linux-gnu -idirafter /usr/include \
    -Wno-compare-distinct-pointer-types -w \
    -c "$1" -o "$W/obj/$n.bpf.o.new" 2> "$W/cc-errors/$n.txt.new" || { mv "$W/cc-errors/$n.txt.new" "$W/cc-errors/$n.txt"; rm -f "$W/obj/$n.bpf.o.new"; return 0; }
  rm -f "$W/cc-errors/$n.txt.new"
  mv "$W/obj/$n.bpf.o.new" "$W/obj/$n.bpf.o"
}
export -f compile; export W P S CLANG
xargs -P "${JOBS:-2}" -I{} bash -c 'compile "$1"' _ {} < "$SRCS"
OBJS=$W/objects.$KERNEL.list
while read -r c; do
  o=$W/obj/$(basename "$c" .c).bpf.o
  [ -e "$o" ] && echo "$o"
done < "$SRCS" > "$OBJS"
echo "conformance: $(wc -l < "$OBJS") of $(wc -l < "$SRCS") selftests programs compile" >&2

# 5. load with both loaders and compare
if [ "$KERNEL" = host ]; then
  lua5.4 tools/conformance.lua "$OBJS" "$KERNEL" "$W/report.$KERNEL.txt"
else
  "$VM" -m 2G -s "${VM_SMP:-2}" -t "${VM_TIMEOUT:-3000}" -w "$W" "$KERNEL" -- \
    lua5.4 tools/conformance.lua "$OBJS" "$KERNEL" "$W/report.$KERNEL.txt"
fi
