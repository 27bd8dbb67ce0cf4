#!/bin/bash
# ThreadSanitizer over the C tests (issue 12): builds the core, the C
# tests and their testdata with clang-19 -fsanitize=thread in build-tsan,
# then runs every build-tsan/test_* (test_threads: 8 threads loading,
# probing and looking up sections at once). Any data race, any failed
# check or a test over its time limit fails the step.
# TSAN_ITERS: loads per thread in test_threads (default 50).
set -euo pipefail
cd "$(dirname "$0")/../.."
CC_TSAN=${CC_TSAN:-clang-19}
BUILD=build-tsan

CC="$CC_TSAN" cmake -S . -B "$BUILD" -DEBPF_TSAN=ON -DEBPF_WERROR=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS_RELWITHDEBINFO="-g -O1" >/dev/null
cmake --build "$BUILD" -j2 >"$BUILD/build.log" 2>&1 || { tail -n 40 "$BUILD/build.log"; exit 1; }

status=0
for t in "$BUILD"/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  start=$SECONDS
  # The tests find their testdata objects under $BUILD (run from the
  # source tree, as ctest does).
  if BUILD="$BUILD" EBPF_THREADS_ITERS="${TSAN_ITERS:-50}" \
      TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
      timeout 120 "$t" >"$BUILD/$name.log" 2>&1; then
    echo "tsan $name: ok ($((SECONDS - start))s)"
  else
    echo "FAIL: tsan $name (log: $BUILD/$name.log)"
    tail -n 60 "$BUILD/$name.log"
    status=1
  fi
done
exit $status
