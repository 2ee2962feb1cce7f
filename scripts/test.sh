#!/usr/bin/env bash
# scripts/test.sh - the whole test suite, as CI runs it:
#   1. setup (Debian packages + warnings-as-errors build in ./build)
#   2. ctest in ./build (unit tests, end-to-end cases, ONNX conformance ratchet)
#   3. an AddressSanitizer+UBSan build in ./build-asan and its ctest run
#   4. a bounded libFuzzer run of each parser (RKSIM_FUZZ_SECONDS, default 60)
# Set RKSIM_SKIP_ASAN=1 / RKSIM_SKIP_FUZZ=1 to shorten a local run.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=$(nproc)

bash scripts/setup.sh

echo "== tests (release build)"
ctest --test-dir build --output-on-failure -j"$JOBS" --timeout 1800

if [ -z "${RKSIM_SKIP_ASAN:-}" ]; then
  echo "== tests (AddressSanitizer + UBSan build)"
  RKSIM_SKIP_APT=1 RKSIM_BUILD_DIR=build-asan \
    RKSIM_CMAKE_ARGS="-DRKSIM_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug" bash scripts/setup.sh >/dev/null
  # Slow whole-model and benchmark-style cases are covered by the release run.
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan --output-on-failure -j"$JOBS" --timeout 1800 -LE slow
fi

if [ -z "${RKSIM_SKIP_FUZZ:-}" ]; then
  echo "== fuzzing (${RKSIM_FUZZ_SECONDS:-60} s per target)"
  bash scripts/fuzz.sh
fi
echo "== all tests passed"
