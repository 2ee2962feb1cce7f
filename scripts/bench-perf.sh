#!/usr/bin/env bash
# Print the cycle model's calibration tables (eval_perf conv point, matmul
# blog points: measured vs rksim, ratio) and the per-model summary for the
# shared vendor models, from an existing build.
#   scripts/bench-perf.sh [BUILD_DIR]     (default: build)
# Exit status: that of the calibration test (non-zero if a point is out of
# its tolerance: 10% for eval_perf, 25% for the matmul blog).
set -u
BUILD=${1:-build}
for t in test_perf_calib test_perf; do
    [ -x "$BUILD/tests/$t" ] || { echo "bench-perf: $BUILD/tests/$t missing; build first" >&2; exit 2; }
done
"$BUILD/tests/test_perf_calib" | grep -v '^\[' 
rc=${PIPESTATUS[0]}
echo "Vendor models (default parameters, 1 core unless stated):"
"$BUILD/tests/test_perf" | grep -E '^  ' 
exit "$rc"
