#!/bin/bash
# convert_vendor_demo.sh - `rksim convert` on the float source model of a
# vendor example (../shared/datasets/rknn-vendor/multiple_input_demo/test.onnx:
# two inputs, two convs, Add), calibrated on the example's own images, run
# by the simulator and compared layer by layer with onnxref (`rksim compare`,
# the same code path as for the vendor's RK3588 file).  Bound: every layer
# cosine >= 0.99 (int8 per-tensor activations; the vendor's own compiled file
# reaches 0.999971 on this input, sim/SEMANTICS.md V1).
set -u
: "${RKSIM:?}" "${RKSIM_BUILD:?}"
PY=${PYTHON:-/usr/bin/python3}
S="${RKSIM_SHARED:-}/datasets/rknn-vendor/multiple_input_demo"
[ -f "$S/test.onnx" ] || { echo "skip: $S/test.onnx absent"; exit 77; }
$PY -c 'import onnx, h5py, numpy' 2>/dev/null || { echo "skip: python onnx/h5py/numpy missing"; exit 77; }
D="$RKSIM_BUILD/convert_vendor_demo"
mkdir -p "$D"
# the example's uint8 images as float32, under the ONNX input names
$PY - "$S" "$D/in.h5" <<'PYEOF' || { echo "FAIL: input preparation"; exit 1; }
import sys, h5py, numpy as np, onnx
src, out = sys.argv[1], sys.argv[2]
names = [i.name for i in onnx.load(src + '/test.onnx').graph.input]
with h5py.File(out, 'w') as f:
    f[names[0]] = np.load(src + '/image1_nchw.npy').astype(np.float32)
    f[names[1]] = np.load(src + '/image2_nchw.npy').astype(np.float32)
PYEOF
"$RKSIM" convert "$S/test.onnx" --soc rk3588 --dtype int8 --calib "$D/in.h5" -q -o "$D/test.rknn" \
  || { echo "FAIL: convert"; exit 1; }
"$RKSIM" check "$D/test.rknn" | grep -q " 0 violations" || { echo "FAIL: check"; exit 1; }
if "$RKSIM" compare "$S/test.onnx" "$D/test.rknn" "$D/in.h5" --min-cosine 0.99 > "$D/compare.txt" 2>&1; then
  echo "ok   $(tail -1 "$D/compare.txt")"
else
  echo "FAIL: compare"; tail -20 "$D/compare.txt"; exit 1
fi
