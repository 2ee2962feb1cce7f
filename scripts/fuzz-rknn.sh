#!/usr/bin/env bash
# scripts/fuzz-rknn.sh - bounded libFuzzer run of the .rknn reader/writer
# (tests/fuzz/fuzz_rknn.c) under ASan/UBSan, seeded with the vendor .rknn
# files below 1 MiB in ../shared/datasets/rknn-vendor (copied into the
# build dir's corpus, never into the repo; the two multi-MiB files cover
# no extra structure and would slow the run ~30x).
#   RKSIM_FUZZ_SECONDS=60 bash scripts/fuzz-rknn.sh
# Skips with a message (exit 0) when clang is absent; exits non-zero when
# the fuzzer finds a crash, leak, UB or round-trip failure (reproducer in
# build-fuzz-rknn/findings/).
# The whole tree is compiled with -fsanitize=fuzzer-no-link so libFuzzer
# sees coverage inside the libraries, not only in the target file.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${RKSIM_FUZZ_SECONDS:-60}
SHARED=${RKSIM_SHARED:-../shared}
B=build-fuzz-rknn
if ! command -v clang >/dev/null; then
  echo "fuzz-rknn: clang not found; skipping (install clang and libclang-rt-14-dev)"
  exit 0
fi
CC=clang cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Debug -DRKSIM_FUZZ=ON \
  -DRKSIM_SANITIZE=ON -DRKSIM_TESTS=ON -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link >/dev/null
# build-time generators may leak under ASan; only the fuzz run checks leaks
ASAN_OPTIONS=detect_leaks=0 cmake --build "$B" -j2 --target fuzz_rknn >/dev/null
mkdir -p "$B/corpus" "$B/findings"
find "$SHARED/datasets/rknn-vendor" -name '*.rknn' -size -1024k -exec cp -f {} "$B/corpus/" \; 2>/dev/null || true
echo "fuzz-rknn: ${SECS}s, $(ls "$B/corpus" | wc -l) corpus files"
if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 "$B/tests/fuzz_rknn" "$B/corpus" \
      -max_total_time="$SECS" -rss_limit_mb=2048 -max_len=1048576 -timeout=10 \
      -artifact_prefix="$B/findings/" -print_final_stats=1 2>"$B/fuzz_rknn.log"; then
  echo "fuzz-rknn: FOUND A FAILURE:"; tail -40 "$B/fuzz_rknn.log"; exit 1
fi
grep -E "^Done|cov:" "$B/fuzz_rknn.log" | tail -2 | sed 's/^/fuzz-rknn: /'
