#!/bin/bash
# convert_sweep.sh - `rksim convert` end to end: a conv sweep (kernel 1/3/5/7,
# stride 1/2, group 1 / depthwise, channels not multiples of 16, odd sizes)
# compiled to int8 and fp16, executed by `rksim run`, compared with onnxref's
# float output (`rksim ref`; numpy computes the cosine).  Thresholds: int8
# cosine >= 0.99 (per-tensor 8-bit activations: expected ~0.9999), fp16 >=
# 0.999 (fp16 weights/outputs, fp32 accumulation).  Also: CBUF row tiling,
# a residual Add+Relu on the DPU, width tiling of a 1x16x4x8400 conv, the REGTASK error under --no-tiling,
# the one-error-lists-all for unsupported ops under --no-cpu-fallback, the CPU
# fallback node (Softmax+Sigmoid run by the simulator), and that info/disasm/check read
# the files.  Models come from tests/gen_convert_models.py (numpy, seeded).
set -u
: "${RKSIM:?}" "${RKSIM_SRC:?}" "${RKSIM_BUILD:?}"
PY=${PYTHON:-/usr/bin/python3}
$PY -c 'import onnx, h5py, numpy' 2>/dev/null || { echo "skip: python onnx/h5py/numpy missing"; exit 77; }
D="$RKSIM_BUILD/convert_models"
rm -rf "$D"; mkdir -p "$D"
$PY "$RKSIM_SRC/tests/gen_convert_models.py" "$D" || { echo "FAIL: generator"; exit 1; }
fail=0
cosine() { # sim.h5 ref.h5 -> prints cosine
  $PY -c "
import h5py, numpy as np, sys
a = h5py.File(sys.argv[1], 'r')['output'][()].astype(np.float64).ravel()
b = h5py.File(sys.argv[2], 'r')['output'][()].astype(np.float64).ravel()
print('%.7f' % (np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-30)))" "$1" "$2"
}
run_case() { # name dtype threshold [extra convert options]
  local n=$1 dt=$2 thr=$3
  shift 3
  "$RKSIM" convert "$D/$n.onnx" --soc rk3588 --dtype "$dt" --calib "$D/${n}_input.h5" "$@" -q -o "$D/$n.rknn" \
    || { echo "FAIL $n: convert"; fail=1; return; }
  "$RKSIM" check "$D/$n.rknn" > "$D/$n.check" || { echo "FAIL $n: check"; cat "$D/$n.check"; fail=1; return; }
  grep -q " 0 violations" "$D/$n.check" || { echo "FAIL $n: violations"; fail=1; return; }
  "$RKSIM" run "$D/$n.rknn" "$D/${n}_input.h5" -q -o "$D/${n}_sim.h5" || { echo "FAIL $n: run"; fail=1; return; }
  "$RKSIM" ref "$D/$n.onnx" "$D/${n}_input.h5" -o "$D/${n}_ref.h5" > /dev/null || { echo "FAIL $n: ref"; fail=1; return; }
  local c; c=$(cosine "$D/${n}_sim.h5" "$D/${n}_ref.h5")
  if $PY -c "import sys; sys.exit(0 if float('$c') >= $thr else 1)"; then
    echo "ok   $n $dt $* cosine $c (>= $thr)"
  else
    echo "FAIL $n $dt cosine $c (< $thr)"; fail=1
  fi
}
for c in k1s1 k3s1 k3s2 k1s2 k3s1p0 dw3s1 dw3s2 k5s1 k7s2 dw5s1; do
  run_case "sweep_int8_$c" int8 0.99
  run_case "sweep_fp16_$c" fp16 0.999
done
# one weight scale per layer instead of per channel: still within the bound
run_case sweep_int8_k3s2 int8 0.99 --quant-method layer
run_case pools int8 0.99
run_case residual int8 0.99
run_case chain_int8 int8 0.99
run_case chain_fp16 fp16 0.999
run_case cbuf_tiles int8 0.99
run_case ch_tiles int8 0.99
run_case dfl_wide int8 0.99
run_case wide3x3 int8 0.99
# per-layer report of a converted multi-op model through `rksim compare`
# (the same code path as vendor files), every layer cosine >= 0.99
"$RKSIM" compare "$D/chain_int8.onnx" "$D/chain_int8.rknn" "$D/chain_int8_input.h5" --min-cosine 0.99 \
  > "$D/chain_int8.compare" 2>&1 && echo "ok   chain_int8 compare: $(tail -1 "$D/chain_int8.compare")" \
  || { echo "FAIL chain_int8 compare"; tail -5 "$D/chain_int8.compare"; fail=1; }
"$RKSIM" info "$D/cbuf_tiles.rknn" | grep -q "tasks: *[2-9]" || { echo "FAIL cbuf_tiles: not row-tiled"; fail=1; }
"$RKSIM" disasm "$D/dfl_wide.rknn" > /dev/null || { echo "FAIL dfl_wide: disasm"; fail=1; }

# --no-tiling: the vendor REGTASK line plus our explanation naming the node, exit 1
out=$("$RKSIM" convert "$D/dfl_wide.onnx" --soc rk3588 --dtype int8 --no-tiling -q -o "$D/x.rknn" 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q "REGTASK: The bit width of field value exceeds the limit, target: v2" <<<"$out" \
   && grep -q "dfl_conv" <<<"$out"; then echo "ok   dfl_wide --no-tiling: $(head -1 <<<"$out")"
else echo "FAIL dfl_wide --no-tiling (rc $rc): $out"; fail=1; fi

# CBUF overflow under --no-tiling: a clear "unsupported" (exit 4) naming the node
out=$("$RKSIM" convert "$D/cbuf_tiles.onnx" --soc rk3588 --dtype int8 --no-tiling -q -o "$D/x.rknn" 2>&1); rc=$?
if [ $rc -eq 4 ] && grep -q "Conv 'conv'.*CBUF data banks" <<<"$out"; then echo "ok   cbuf_tiles --no-tiling refused"
else echo "FAIL cbuf_tiles --no-tiling (rc $rc): $out"; fail=1; fi

# fp16 Add+Relu on the DPU (more shapes: convert_add_fp16.sh)
run_case residual fp16 0.999 --no-cpu-fallback

# unsupported ops under --no-cpu-fallback: one error listing every node, exit 4
out=$("$RKSIM" convert "$D/unsupported.onnx" --soc rk3588 --dtype int8 --no-cpu-fallback -q -o "$D/x.rknn" 2>&1); rc=$?
if [ $rc -eq 4 ] && grep -q "Softmax 'softmax'" <<<"$out" && grep -q "Sigmoid 'sigmoid'" <<<"$out"; then
  echo "ok   unsupported listed: $(head -1 <<<"$out")"
else echo "FAIL unsupported (rc $rc): $out"; fail=1; fi

# the same model with the CPU fallback (default): Softmax + Sigmoid become one
# CPU node (float, onnxref kernels) between int8 tensors; run and compared
# with onnxref like the sweep.  Bound: the output (sigmoid of a softmax over
# 8 values, in [0.5, 0.75]) is int8 over [0, 0.75]: ~0.9999 expected.
run_case unsupported int8 0.999
"$RKSIM" info "$D/unsupported.rknn" | grep -q "Softmax:softmax .*softmax#onnx_node" \
  || { echo "FAIL unsupported: no CPU node with its ONNX definition"; fail=1; }

exit $fail
