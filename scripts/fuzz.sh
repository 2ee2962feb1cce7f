#!/usr/bin/env bash
# scripts/fuzz.sh - build every libFuzzer target (tests/fuzz/fuzz_*.c) with
# clang + ASan/UBSan into build-fuzz and run each for a bounded time.
#   RKSIM_FUZZ_SECONDS=60 bash scripts/fuzz.sh [TARGET...]
# Seeds: the vendor .rknn files and ONNX models in ../shared (read in place),
# the .npy/.h5 inputs there, plus anything in tests/fuzz/seeds/<target>/.
# Exits non-zero when a target finds a crash (the reproducer is kept in
# build-fuzz/findings/<target>/).
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${RKSIM_FUZZ_SECONDS:-60}
SHARED=${RKSIM_SHARED:-../shared}
if ! command -v clang >/dev/null; then
  echo "fuzz: clang not found; skipping fuzzing (install clang and libclang-rt-14-dev)"
  exit 0
fi
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DRKSIM_FUZZ=ON \
  -DRKSIM_SANITIZE=ON -DRKSIM_TESTS=ON -DRKSIM_WERROR=ON >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$src" .c)"); done
fi
# Build-time generators may leak under ASan; only the fuzz runs check leaks.
ASAN_OPTIONS=detect_leaks=0 cmake --build build-fuzz -j"$(nproc)" --target "${targets[@]}" >/dev/null

seed_files() { # the seed files for one target
  case "$1" in
    # The two multi-MiB vendor files add no structure and slow runs ~30x.
    fuzz_rknn) find "$SHARED/datasets/rknn-vendor" -name '*.rknn' -size -1024k 2>/dev/null ;;
    fuzz_onnx) find "$SHARED/datasets/rknn-vendor" "$SHARED/datasets/onnx-light" \
                 -name '*.onnx' -size -2M 2>/dev/null ;;
    fuzz_npy)  find "$SHARED/datasets/rknn-vendor" -name '*.npy' 2>/dev/null ;;
    fuzz_image) find "$SHARED/datasets/images" \( -name '*.jpg' -o -name '*.png' \) -size -12k 2>/dev/null ;;
  esac
  [ -d "tests/fuzz/seeds/$1" ] && find "tests/fuzz/seeds/$1" -type f
  return 0
}

status=0
for t in "${targets[@]}"; do
  corpus="build-fuzz/corpus/$t"; findings="build-fuzz/findings/$t"
  mkdir -p "$corpus" "$findings"
  seed_files "$t" | while read -r f; do cp -f "$f" "$corpus/" 2>/dev/null || true; done
  echo "fuzz: $t for ${SECONDS_PER_TARGET}s ($(ls "$corpus" | wc -l) seeds)"
  if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1 "build-fuzz/tests/$t" "$corpus" \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=4096 -max_len=1048576 -timeout=10 \
        -artifact_prefix="$findings/" -print_final_stats=1 2>"build-fuzz/$t.log"; then
    echo "fuzz: $t FOUND A FAILURE:"; tail -40 "build-fuzz/$t.log"; status=1
  else
    grep -E "stat::number_of_executed_runs|Done" "build-fuzz/$t.log" | tail -2 | sed "s/^/fuzz: $t: /"
  fi
done
exit $status
