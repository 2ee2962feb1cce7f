#!/bin/bash
# convert_repeat_interleave.sh - torch exports of repeat_interleave (Debian
# torch, opset 13) convert and compute the right numbers.  Their ONNX graphs
# carry the repeats as int64 shape arithmetic (ConstantOfShape, Equal, Where,
# Expand, an 8-output Split of the repeats); convert folds all of it at
# compile time (cv_graph.c fold_constants) and runs the float part (Split of
# the conv output, Expand, Reshape, Concat) as one CPU node.  Golden: torch's
# own output for the same input (independent of onnxref and of rksim).
# Then a data-dependent integer tensor (ArgMax feeding a graph output) is
# refused with exit 4 and a hint naming the cause.
set -u
: "${RKSIM:?}" "${RKSIM_BUILD:?}"
PY=${PYTHON:-/usr/bin/python3}
$PY -c 'import torch, onnx, h5py, numpy' 2>/dev/null || { echo "skip: python torch/onnx/h5py/numpy missing"; exit 77; }
D="$RKSIM_BUILD/convert_repeat_interleave"
rm -rf "$D"; mkdir -p "$D"
$PY - "$D" <<'PYEOF' 2>"$D/gen.log" || { echo "FAIL: generator"; cat "$D/gen.log"; exit 1; }
import sys, os, warnings, numpy as np, torch, h5py
warnings.filterwarnings('ignore')
out = sys.argv[1]
torch.manual_seed(20261121)
class ByInt(torch.nn.Module):
    def __init__(s):
        super().__init__(); s.c = torch.nn.Conv2d(3, 8, 3, padding=1)
    def forward(s, x):
        return s.c(x).repeat_interleave(2, dim=1)
class ByTensor(ByInt):
    def forward(s, x):
        return torch.repeat_interleave(s.c(x), torch.tensor([1, 2, 1, 3, 1, 2, 1, 2]), dim=1)
class ArgMaxOut(ByInt):
    def forward(s, x):
        return torch.argmax(s.c(x), dim=1, keepdim=True)
x = torch.randn(1, 3, 16, 16)
with h5py.File(os.path.join(out, 'input.h5'), 'w') as f:
    f['input'] = x.numpy()
for name, m in (('ri_int', ByInt()), ('ri_tensor', ByTensor()), ('argmax_out', ArgMaxOut())):
    m.eval()
    torch.onnx.export(m, x, os.path.join(out, name + '.onnx'), opset_version=13,
                      input_names=['input'], output_names=['output'])
    with torch.no_grad():
        np.save(os.path.join(out, name + '_torch.npy'), m(x).numpy())
PYEOF
fail=0
for name in ri_int ri_tensor; do
  for dt in fp16 int8; do
    min=$([ $dt = fp16 ] && echo 0.9999 || echo 0.99)
    calib=$([ $dt = int8 ] && echo "--calib $D/input.h5" || echo "")
    if ! "$RKSIM" convert "$D/$name.onnx" --soc rk3588 --dtype $dt $calib -o "$D/${name}_$dt.rknn" 2>"$D/${name}_$dt.log"; then
      echo "FAIL $name $dt: convert"; tail -5 "$D/${name}_$dt.log"; fail=1; continue
    fi
    "$RKSIM" run "$D/${name}_$dt.rknn" "$D/input.h5" -o "$D/${name}_$dt.h5" --quiet \
      || { echo "FAIL $name $dt: run"; fail=1; continue; }
    $PY - "$D/${name}_$dt.h5" "$D/${name}_torch.npy" "$min" "$name $dt" <<'PYEOF' || fail=1
import sys, numpy as np, h5py
with h5py.File(sys.argv[1], 'r') as f:
    y = np.asarray(f[list(f.keys())[0]], dtype=np.float64)
t = np.load(sys.argv[2]).astype(np.float64)
if y.shape != t.shape:
    print('FAIL %s: shape %s, torch %s' % (sys.argv[4], y.shape, t.shape)); sys.exit(1)
cos = float((y * t).sum() / np.sqrt((y * y).sum() * (t * t).sum()))
ok = cos >= float(sys.argv[3])
print('%s %s: output %s vs torch cosine %.6f (>= %s)' % ('ok  ' if ok else 'FAIL', sys.argv[4], list(t.shape), cos, sys.argv[3]))
sys.exit(0 if ok else 1)
PYEOF
  done
done
"$RKSIM" convert "$D/argmax_out.onnx" --soc rk3588 --dtype fp16 -o "$D/argmax.rknn" 2>"$D/argmax.log"
rc=$?
if [ $rc -eq 4 ] && grep -q "depends on the input data" "$D/argmax.log"; then
  echo "ok   data-dependent int64 output refused (exit 4): $(grep -o "output '[^']*' is int64" "$D/argmax.log" | head -1)"
else
  echo "FAIL argmax_out: exit $rc"; cat "$D/argmax.log"; fail=1
fi
exit $fail
