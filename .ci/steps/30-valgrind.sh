#!/bin/bash
# valgrind memcheck over the C tests and the demo (errors and definite
# leaks fail). tools/valgrind.supp covers bpf(2) arguments the kernel
# allows to be NULL but valgrind's model of the command does not.
set -euo pipefail
BUILD=${BUILD:-build}
VG="valgrind -q --suppressions=tools/valgrind.supp --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite"
for t in "$BUILD"/test_*; do
  [ -x "$t" ] || continue
  echo "valgrind $t"
  $VG "$t"
done
export LUA_PATH="lua/?.lua;lua/?/init.lua;;" LUA_CPATH="$BUILD/?.so;;"
echo "valgrind examples/demo.lua"
$VG lua5.4 examples/demo.lua >/dev/null
echo "valgrind: clean"
