#!/bin/bash
# Builds every libFuzzer harness (core/tests/fuzz/fuzz_*.c) with clang and
# ASan+UBSan in build-fuzz, then runs each for a bounded time on its seed
# corpus testdata/fuzz/<name>/ (if any). Any crash, sanitizer report, leak
# or timeout fails the step. FUZZ_TIME: seconds for every harness; unset,
# each runs for its time below (30 s if not listed): the small text parsers
# saturate quickly, the file-based ones get a little more.
set -euo pipefail
cd "$(dirname "$0")/../.."
CC_FUZZ=${CC_FUZZ:-clang-19}
BUILD=build-fuzz
declare -A HARNESS_TIME=(
  [fuzz_kconfig]=20 [fuzz_kallsyms]=20 [fuzz_sym]=20 [fuzz_tracefs]=20 [fuzz_trace_line]=20 [fuzz_usdt_args]=20
  [fuzz_usdt_notes]=35 [fuzz_elf_symbol]=35
)

CC="$CC_FUZZ" cmake -S . -B "$BUILD" -DEBPF_FUZZ=ON -DEBPF_TESTS=OFF -DEBPF_WERROR=ON >/dev/null
cmake --build "$BUILD" -j2 --target fuzzers

status=0
for bin in "$BUILD"/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  secs=${FUZZ_TIME:-${HARNESS_TIME[$name]:-30}}
  work=$(mktemp -d)
  seeds=()
  [ -d "testdata/fuzz/$name" ] && seeds=("testdata/fuzz/$name")
  echo "--- $name: ${secs}s on ${seeds[*]:-(no seeds)}"
  # New inputs go to the scratch dir (first), the seeds stay untouched.
  if ! UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
      "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      -artifact_prefix="$BUILD/$name-" "$work" "${seeds[@]}" 2>"$BUILD/$name.log"; then
    echo "FAIL: $name (log: $BUILD/$name.log)"
    tail -n 40 "$BUILD/$name.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$BUILD/$name.log" || true
  fi
  rm -rf "$work"
done
exit $status
