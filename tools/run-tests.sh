#!/bin/bash
# Builds (if needed) and runs the whole test suite: C tests (ctest) and the
# busted specs, then prints one closing line "N passed, N failed, N skipped"
# computed from the structured results (ctest's JUnit XML, busted's TAP) by
# tools/test_results.lua. Both are kept in $BUILD/test-results/.
# Env: BUILD (build dir, default build), CMAKE_ARGS, BUSTED_ARGS.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
cmake -S . -B "$BUILD" ${CMAKE_ARGS:-} >/dev/null || exit 1
cmake --build "$BUILD" -j"$(nproc)" || exit 1

R=$PWD/$BUILD/test-results
rm -rf "$R" && mkdir -p "$R"
args=()
if ls "$BUILD"/test_* >/dev/null 2>&1; then
  (cd "$BUILD" && ctest --output-on-failure --output-junit "$R/ctest.xml")
  args+=(--junit "$R/ctest.xml")
fi

# TAP on the terminal as it runs (failures carry their message) and in a file
EBPF_BUILD="$BUILD" busted --lua=lua5.4 -o TAP ${BUSTED_ARGS:-} 2>&1 | tee "$R/busted.tap"
args+=(--tap "$R/busted.tap")

lua5.4 tools/test_results.lua "${args[@]}"
