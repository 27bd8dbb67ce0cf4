#!/bin/bash
# ELF loader: bounded libFuzzer run of fuzz_elf_open (parse only) on the
# seed corpus; fails on any crash, leak or sanitizer report.
set -euo pipefail
CC=$(command -v clang-19 || command -v clang-14 || command -v clang)
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
mkdir -p "$OUT/corpus"
cmake -S . -B build >/dev/null
cmake --build build --target ebpf_gen >/dev/null
"$CC" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -D_GNU_SOURCE \
  -Icore/include -Icore/src -Ibuild/gen core/tests/fuzz/fuzz_elf_open.c core/src/*.c core/src/elf/*.c \
  -lelf -lz -lpthread -o "$OUT/fuzz_elf_open"
cp testdata/fuzz/elf_open/* "$OUT/corpus/"
"$OUT/fuzz_elf_open" -max_total_time="${EBPF_FUZZ_SECONDS:-60}" -max_len=65536 "$OUT/corpus"
