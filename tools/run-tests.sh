#!/bin/bash
# Builds (if needed) and runs the whole test suite: C tests (ctest) and the
# busted specs, then prints one closing line "N passed, N failed, N skipped".
# Env: BUILD (build dir, default build), CMAKE_ARGS, BUSTED_ARGS.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
cmake -S . -B "$BUILD" ${CMAKE_ARGS:-} >/dev/null || exit 1
cmake --build "$BUILD" -j"$(nproc)" || exit 1

passed=0 failed=0 skipped=0
if ls "$BUILD"/test_* >/dev/null 2>&1; then
  out=$(cd "$BUILD" && ctest --output-on-failure 2>&1)
  echo "$out"
  n=$(echo "$out" | sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1 \2/p' | tail -1)
  if [ -n "$n" ]; then
    f=${n% *}; t=${n#* }
    passed=$((passed + t - f)); failed=$((failed + f))
  else
    failed=$((failed + 1))
  fi
fi

out=$(EBPF_BUILD="$BUILD" busted --lua=lua5.4 -o utfTerminal ${BUSTED_ARGS:-} 2>&1)
echo "$out"
line=$(echo "$out" | grep -E '[0-9]+ successes? / [0-9]+ failures? / [0-9]+ errors? / [0-9]+ pending' | tail -1)
if [ -n "$line" ]; then
  read -r s _ _ f _ _ e _ _ p _ <<<"$(echo "$line" | tr -d '\033' | sed 's/\[[0-9;]*m//g')"
  passed=$((passed + s)); failed=$((failed + f + e)); skipped=$((skipped + p))
else
  echo "busted did not report a result" >&2
  failed=$((failed + 1))
fi
echo
echo "ebpf-lua tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
