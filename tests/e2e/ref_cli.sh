#!/usr/bin/env bash
# `rksim ref` end to end: inputs from HDF5 (by name) and .npy (by position),
# outputs and --dump-layers to HDF5, checked against ONNX's own expected
# output (libonnx-testdata, produced by ONNX's numpy reference) with h5py;
# bad input exits with the documented codes.
set -uo pipefail
: "${RKSIM:?}" "${PYTHON:=/usr/bin/python3}"
T=/usr/share/libonnx-testdata/data/node
[ -d "$T/test_add_bcast" ] || exit 77
"$PYTHON" -c "import onnx, h5py, numpy" 2>/dev/null || exit 77
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$PYTHON" - "$T" "$tmp" <<'PY' || fail "preparing inputs"
import sys, onnx, numpy as np, h5py
from onnx import numpy_helper as nh
T, tmp = sys.argv[1], sys.argv[2]
d = T + "/test_add_bcast/test_data_set_0/"
x = nh.to_array(onnx.load_tensor(d + "input_0.pb"))
y = nh.to_array(onnx.load_tensor(d + "input_1.pb"))
np.save(tmp + "/x.npy", x); np.save(tmp + "/y.npy", y)
with h5py.File(tmp + "/in.h5", "w") as f:
    f["y"] = y; f["x"] = x          # reversed order: matched by name, not position
np.save(tmp + "/want.npy", nh.to_array(onnx.load_tensor(d + "output_0.pb")))
PY

"$RKSIM" ref "$T/test_add_bcast/model.onnx" "$tmp/in.h5" -o "$tmp/out.h5" \
  --dump-layers "$tmp/layers.h5" >/dev/null || fail "ref with HDF5 input"
"$RKSIM" ref "$T/test_add_bcast/model.onnx" "$tmp/x.npy" "$tmp/y.npy" -o "$tmp/out_npy.h5" \
  >/dev/null || fail "ref with .npy inputs"
"$PYTHON" - "$tmp" <<'PY' || fail "outputs differ from ONNX's expected output"
import sys, numpy as np, h5py
tmp = sys.argv[1]
want = np.load(tmp + "/want.npy")
for f in ("out.h5", "out_npy.h5", "layers.h5"):
    with h5py.File(tmp + "/" + f, "r") as h:
        got = h["sum"][...]
        assert got.dtype == want.dtype and got.shape == want.shape, (f, got.shape)
        assert np.allclose(got, want, rtol=1e-6, atol=0), f
PY

# --dump-layers on a multi-node graph: every node output is dumped, by name
M="$T/test_softmax_axis_0_expanded"
if [ -d "$M" ]; then
  "$PYTHON" - "$M" "$tmp" <<'PY' || fail "preparing softmax input"
import sys, onnx, numpy as np
from onnx import numpy_helper as nh
M, tmp = sys.argv[1], sys.argv[2]
np.save(tmp + "/sx.npy", nh.to_array(onnx.load_tensor(M + "/test_data_set_0/input_0.pb")))
PY
  "$RKSIM" ref "$M/model.onnx" "$tmp/sx.npy" -o "$tmp/s_out.h5" --dump-layers "$tmp/s_layers.h5" \
    --threads 2 >/dev/null || fail "ref softmax_expanded"
  "$PYTHON" - "$M" "$tmp" <<'PY' || fail "dump-layers content"
import sys, onnx, numpy as np, h5py
from onnx import numpy_helper as nh
M, tmp = sys.argv[1], sys.argv[2]
m = onnx.load(M + "/model.onnx")
names = {o for n in m.graph.node for o in n.output if o}
with h5py.File(tmp + "/s_layers.h5", "r") as h:
    keys = {k.replace("%2F", "/").replace("%25", "%") for k in h.keys()}
assert keys == names, (sorted(names - keys), sorted(keys - names))
want = nh.to_array(onnx.load_tensor(M + "/test_data_set_0/output_0.pb"))
with h5py.File(tmp + "/s_out.h5", "r") as h:
    got = h[m.graph.output[0].name][...]
assert np.allclose(got, want, rtol=1e-5, atol=1e-7)
PY
fi

# bad input: exit codes and the culprit named
expect() { # code pattern cmd...
  local code="$1" pat="$2"; shift 2
  local out; out="$("$@" 2>&1)"; local rc=$?
  [ "$rc" = "$code" ] || fail "$* exited $rc, expected $code: $out"
  echo "$out" | grep -q -- "$pat" || fail "$* message lacks '$pat': $out"
}
expect 3 "not an ONNX model" "$RKSIM" ref /etc/hostname "$tmp/x.npy" -o "$tmp/o.h5"
head -c 100 "$T/test_add_bcast/model.onnx" > "$tmp/trunc.onnx"
expect 3 "trunc.onnx" "$RKSIM" ref "$tmp/trunc.onnx" "$tmp/x.npy" -o "$tmp/o.h5"
expect 3 "input 'y'" "$RKSIM" ref "$T/test_add_bcast/model.onnx" "$tmp/x.npy" -o "$tmp/o.h5"
expect 3 "input 'x' must have rank 3" "$RKSIM" ref "$T/test_add_bcast/model.onnx" "$tmp/y.npy" "$tmp/x.npy" -o "$tmp/o.h5"
expect 2 "missing -o" "$RKSIM" ref "$T/test_add_bcast/model.onnx" "$tmp/x.npy"
# unsupported operators: every one listed (node name, opset), exit 4, before
# any input is read (the input file does not even exist)
"$PYTHON" - "$tmp" <<'PY' || fail "building the unsupported-op model"
import sys, onnx
from onnx import helper as h, TensorProto as T
g = h.make_graph([h.make_node('Relu', ['x'], ['a'], name='ok_relu'),
                  h.make_node('FrobnicateOp', ['a'], ['b'], name='frob_1', domain='example.custom'),
                  h.make_node('NoSuchOnnxOp', ['b'], ['y'], name='nosuch_2')],
                 'g', [h.make_tensor_value_info('x', T.FLOAT, [2])],
                 [h.make_tensor_value_info('y', T.FLOAT, [2])])
m = h.make_model(g, opset_imports=[h.make_opsetid('', 15), h.make_opsetid('example.custom', 1)])
onnx.save(m, sys.argv[1] + '/unsupported.onnx')
PY
expect 4 "2 unsupported operators" "$RKSIM" ref "$tmp/unsupported.onnx" "$tmp/missing.npy" -o "$tmp/o.h5"
expect 4 "FrobnicateOp 'frob_1' (opset 1) domain example.custom" "$RKSIM" ref "$tmp/unsupported.onnx" "$tmp/missing.npy" -o "$tmp/o.h5"
expect 4 "NoSuchOnnxOp 'nosuch_2' (opset 15)" "$RKSIM" ref "$tmp/unsupported.onnx" "$tmp/missing.npy" -o "$tmp/o.h5"
"$RKSIM" ref --help | grep -q "dump-layers" || fail "--help"
"$RKSIM" ref "$T/test_add_bcast/model.onnx" "$tmp/x.npy" "$tmp/y.npy" -o "$tmp/o.h5" --profile \
  | grep -q "^profile: Add  *1 " || fail "--profile lists the Add node"
echo "ref_cli: ok"
