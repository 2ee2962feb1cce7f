#!/bin/bash
# sim_tiny.sh - the repo's own tiny model (no ../shared needed): rksim run on
# datasets/tiny/tiny_conv_rk3588.rknn vs a numpy float reference of
# datasets/tiny/tiny_conv.onnx (tests/ref/numpy_ref.py); cosine >= 0.999.
set -euo pipefail
: "${RKSIM:?}" "${RKSIM_SRC:?}"
PY=${PYTHON:-/usr/bin/python3}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
D="$RKSIM_SRC/datasets/tiny"
"$RKSIM" run "$D/tiny_conv_rk3588.rknn" "$D/input.h5" -o "$T/out.h5" --quiet
"$PY" - "$D" "$T" <<'PYEOF'
import sys, numpy as np, h5py
sys.path.insert(0, sys.argv[1] + '/../../tests/ref')
import numpy_ref, onnx
d, t = sys.argv[1], sys.argv[2]
x = h5py.File(d + '/input.h5')['input'][...]
ref = numpy_ref.run(onnx.load(d + '/tiny_conv.onnx'), {'input': x.astype(np.float64)})['output'].ravel()
sim = h5py.File(t + '/out.h5')['output'][...].ravel()
cos = float(ref @ sim / np.linalg.norm(ref) / np.linalg.norm(sim))
print('tiny_conv: cosine %.6f max abs err %.4g' % (cos, np.abs(ref - sim).max()))
sys.exit(0 if cos >= 0.999 else 1)
PYEOF
