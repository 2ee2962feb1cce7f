#!/usr/bin/env bash
# e2e: `rksim compare` threshold gates on multiple_input_demo RK3588.
# The simulated int8 layers measure cosine ~0.99997 and SQNR ~42 dB here, so:
#   --min-cosine 0.99999         must fail: exit 1, first failing layer named,
#                                JUnit with <failure> per failed check;
#   --min-sqnr 45                must fail the same way;
#   --min-cosine 0.999 --min-sqnr 30  must pass: exit 0, JUnit failures="0".
# (--min-cosine 0.9999 passes on this model: its worst cosine is 0.99997.)
set -u
D="${RKSIM_SHARED:-}/datasets/rknn-vendor/multiple_input_demo"
[ -f "$D/test.onnx" ] || { echo "skip: ../shared absent"; exit 77; }
OUT=$(mktemp -d "${RKSIM_BUILD:-/tmp}/compare-thr.XXXXXX")
fail() { echo "FAIL: $*"; exit 1; }
# compare needs the simulator: if it cannot run this model at all, say so.
if ! "$RKSIM" run "$D/RK3588_multiple_input_demo.rknn" "$D/image1_nchw.npy" "$D/image2_nchw.npy" \
    -o "$OUT/sim.h5" --quiet >"$OUT/run.log" 2>&1; then
    echo "skip: the simulator cannot run RK3588_multiple_input_demo.rknn: $(tail -3 "$OUT/run.log")"
    exit 77
fi
run() {
    local name=$1; shift
    "$RKSIM" compare "$D/test.onnx" "$D/RK3588_multiple_input_demo.rknn" "$D/image1_nchw.npy" \
        "$D/image2_nchw.npy" --report junit -o "$OUT/$name.xml" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
}

run strict --min-cosine 0.99999; rc=$?
cat "$OUT/strict.out" "$OUT/strict.err"
[ $rc -eq 1 ] || fail "strict cosine: exit $rc, want 1"
grep -q 'below threshold: Conv:Conv_1 (entire cosine 0.9999[0-9] < 0.99999' "$OUT/strict.err" \
    || fail "strict cosine: first failing layer not named on stderr"
grep -q 'failures="2"' "$OUT/strict.xml" || fail "strict cosine: JUnit failures != 2"
[ "$(grep -c '<failure type="threshold" message="entire cosine' "$OUT/strict.xml")" -eq 2 ] \
    || fail "strict cosine: want one entire-cosine <failure> per NPU layer"
[ "$(grep -c '<failure type="threshold" message="single cosine' "$OUT/strict.xml")" -eq 2 ] \
    || fail "strict cosine: want one single-cosine <failure> per NPU layer"
grep -q '<testcase classname="[^"]*" name="\[ConvAdd\] Conv:Conv_0"' "$OUT/strict.xml" \
    || fail "strict cosine: no testcase for the ConvAdd layer"

run sqnr --min-sqnr 45; rc=$?
[ $rc -eq 1 ] || fail "strict sqnr: exit $rc, want 1"
grep -q 'message="entire SQNR 4[0-4]\.[0-9][0-9] &lt; 45 dB"' "$OUT/sqnr.xml" || fail "strict sqnr: JUnit message"

run loose --min-cosine 0.999 --min-sqnr 30; rc=$?
cat "$OUT/loose.out"
[ $rc -eq 0 ] || fail "loose: exit $rc, want 0: $(cat "$OUT/loose.err")"
grep -q 'failures="0"' "$OUT/loose.xml" || fail "loose: JUnit reports failures"
grep -q '<failure' "$OUT/loose.xml" && fail "loose: JUnit has <failure>"
grep -q 'PASSED' "$OUT/loose.out" || fail "loose: summary does not say PASSED"

"$RKSIM" compare "$D/test.onnx" "$D/RK3588_multiple_input_demo.rknn" "$D/image1_nchw.npy" \
    --min-cosine abc >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "bad threshold value: exit $rc, want 2"
"$RKSIM" compare "$D/test.onnx" "$D/RK3588_multiple_input_demo.rknn" "$D/image1_nchw.npy" \
    >/dev/null 2>"$OUT/missing.err"; rc=$?
[ $rc -eq 2 ] || fail "missing second input: exit $rc, want 2"
grep -q "no input tensor for ONNX input 'input'" "$OUT/missing.err" || fail "missing input not named"
echo "compare_thresholds: strict fails (exit 1), loose passes (exit 0), usage errors exit 2"
