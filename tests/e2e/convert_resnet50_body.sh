#!/bin/bash
# convert_resnet50_body.sh - `rksim convert` at network scale: ONNX's
# light_resnet50 (../shared/datasets/onnx-light; weights are ConstantOfShape
# nodes, so this also exercises constant folding) cut before its
# Reshape/Gemm/Softmax head: 53 convs with folded BatchNorm and fused Relu,
# residual Adds, MaxPool, global average pool; row, column and output-channel
# CBUF tiling.  The compiled file must pass `rksim check` and `rksim run`
# must match onnxref.  The constant weights make every output element equal
# (~2.3e17), so cosine says nothing: the bound is the relative error of the
# output, <= 2% (observed 0.28%).
set -u
: "${RKSIM:?}" "${RKSIM_BUILD:?}"
PY=${PYTHON:-/usr/bin/python3}
M="${RKSIM_SHARED:-}/datasets/onnx-light/light_resnet50.onnx"
[ -f "$M" ] || { echo "skip: $M absent"; exit 77; }
$PY -c 'import onnx, h5py, numpy' 2>/dev/null || { echo "skip: python onnx/h5py/numpy missing"; exit 77; }
D="$RKSIM_BUILD/convert_resnet50_body"
mkdir -p "$D"
$PY - "$M" "$D" <<'PYEOF' || { echo "FAIL: model preparation"; exit 1; }
import sys, h5py, numpy as np, onnx
from onnx import helper, TensorProto
m = onnx.load(sys.argv[1]); g = m.graph
cut = [i for i, n in enumerate(g.node) if n.op_type == 'Reshape'][0]
last = g.node[cut - 1].output[0]
del g.node[cut:]
del g.output[:]
g.output.append(helper.make_tensor_value_info(last, TensorProto.FLOAT, None))
onnx.save(m, sys.argv[2] + '/body.onnx')
with h5py.File(sys.argv[2] + '/in.h5', 'w') as f:
    f[g.input[0].name] = np.random.default_rng(1).uniform(-1, 1, (1, 3, 224, 224)).astype(np.float32)
with open(sys.argv[2] + '/out_name', 'w') as f:
    f.write(last)
PYEOF
"$RKSIM" convert "$D/body.onnx" --soc rk3588 --dtype int8 --calib "$D/in.h5" -q -o "$D/body.rknn" || { echo "FAIL: convert"; exit 1; }
"$RKSIM" check "$D/body.rknn" > "$D/check.txt"; grep -q " 0 violations" "$D/check.txt" || { echo "FAIL: check"; tail -3 "$D/check.txt"; exit 1; }
"$RKSIM" run "$D/body.rknn" "$D/in.h5" -q -o "$D/sim.h5" || { echo "FAIL: run"; exit 1; }
"$RKSIM" ref "$D/body.onnx" "$D/in.h5" -o "$D/ref.h5" > /dev/null || { echo "FAIL: ref"; exit 1; }
$PY - "$D" <<'PYEOF'
import sys, h5py, numpy as np
d = sys.argv[1]; name = open(d + '/out_name').read()
a = h5py.File(d + '/sim.h5', 'r')[name][()].astype(np.float64).ravel()
b = h5py.File(d + '/ref.h5', 'r')[name][()].astype(np.float64).ravel()
rel = np.abs(a - b).max() / np.abs(b).max()
print('%s resnet50 body: %d outputs, max relative error %.4f (<= 0.02)' % ('ok  ' if rel <= 0.02 else 'FAIL', a.size, rel))
sys.exit(0 if rel <= 0.02 else 1)
PYEOF
