#!/bin/bash
# convert_add_fp16.sh - fp16 Add on the DPU (cv_build.c build_add_fp16), in
# the style of convert_sweep.sh: small graphs generated here with onnx/numpy
# (seeded), compiled with --dtype fp16 --no-cpu-fallback (so the Add must be
# an NPU op), run by the simulator and compared with onnxref's float output
# (`rksim ref`; numpy computes the cosine).  Cases: channel counts not
# multiples of the fp16 C2 (8) - 5, 12, 33 - odd spatial sizes, Add of two
# conv outputs, of the graph input and a conv output, Add+Relu, and a chain of
# two Adds.  Threshold cosine >= 0.999 (fp16 tensors, fp32 DPU arithmetic:
# ~0.99999 expected).  Also: the same graphs in int8 (>= 0.99) and the
# rknn node type 'Add'/'AddRelu' in `rksim info`.
set -u
: "${RKSIM:?}" "${RKSIM_SRC:?}" "${RKSIM_BUILD:?}"
PY=${PYTHON:-/usr/bin/python3}
$PY -c 'import onnx, h5py, numpy' 2>/dev/null || { echo "skip: python onnx/h5py/numpy missing"; exit 77; }
D="$RKSIM_BUILD/convert_add_fp16"
rm -rf "$D"; mkdir -p "$D"
$PY - "$D" <<'PYEOF' || { echo "FAIL: generator"; exit 1; }
import sys, os, numpy as np, onnx, h5py
from onnx import helper, numpy_helper, TensorProto
out = sys.argv[1]
rng = np.random.default_rng(20261121)
def conv(name, x, y, ci, co, k, inits):
    inits[name + '.w'] = (rng.standard_normal((co, ci, k, k)) / np.sqrt(ci * k * k)).astype(np.float32)
    inits[name + '.b'] = (rng.standard_normal(co) * 0.1).astype(np.float32)
    return helper.make_node('Conv', [x, name + '.w', name + '.b'], [y], name=name, kernel_shape=[k, k],
                            pads=[k // 2] * 4)
def save(name, nodes, inits, shape):
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info('input', TensorProto.FLOAT, list(shape))],
                          [helper.make_tensor_value_info('output', TensorProto.FLOAT, ['n', 'c', 'h', 'w'])],
                          [numpy_helper.from_array(v, k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + '.onnx'))
    with h5py.File(os.path.join(out, name + '_input.h5'), 'w') as f:
        f['input'] = rng.uniform(-1, 1, (1,) + tuple(shape[1:])).astype(np.float32)
for c, h, w in ((5, 7, 9), (12, 11, 13), (33, 5, 17)):
    i = {}
    save('add_convs_c%d' % c, [conv('ca', 'input', 'a', c, c, 3, i), conv('cb', 'input', 'b', c, c, 1, i),
                               helper.make_node('Add', ['a', 'b'], ['output'], name='add')], i, (1, c, h, w))
    i = {}
    save('add_input_relu_c%d' % c, [conv('ca', 'input', 'a', c, c, 3, i),
                                    helper.make_node('Add', ['input', 'a'], ['s'], name='add'),
                                    helper.make_node('Relu', ['s'], ['output'], name='relu')], i, (1, c, h, w))
i = {}
save('add_chain', [conv('ca', 'input', 'a', 16, 16, 3, i), helper.make_node('Add', ['input', 'a'], ['s'], name='add1'),
                   conv('cb', 's', 'b', 16, 16, 1, i), helper.make_node('Add', ['s', 'b'], ['output'], name='add2')],
     i, (1, 16, 9, 31))
PYEOF
fail=0
cosine() {
  $PY -c "
import h5py, numpy as np, sys
a = h5py.File(sys.argv[1], 'r')['output'][()].astype(np.float64).ravel()
b = h5py.File(sys.argv[2], 'r')['output'][()].astype(np.float64).ravel()
print('%.7f' % (np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-30)))" "$1" "$2"
}
run_case() { # name dtype threshold
  local n=$1 dt=$2 thr=$3 o="$D/$1_$2"
  "$RKSIM" convert "$D/$n.onnx" --soc rk3588 --dtype "$dt" --calib "$D/${n}_input.h5" --no-cpu-fallback -q -o "$o.rknn" \
    || { echo "FAIL $n $dt: convert"; fail=1; return; }
  "$RKSIM" info "$o.rknn" | grep -Eq "\bAdd(Relu)?:add" || { echo "FAIL $n $dt: no NPU Add node"; fail=1; return; }
  "$RKSIM" run "$o.rknn" "$D/${n}_input.h5" -q -o "${o}_sim.h5" || { echo "FAIL $n $dt: run"; fail=1; return; }
  "$RKSIM" ref "$D/$n.onnx" "$D/${n}_input.h5" -o "$D/${n}_ref.h5" > /dev/null || { echo "FAIL $n: ref"; fail=1; return; }
  local c; c=$(cosine "${o}_sim.h5" "$D/${n}_ref.h5")
  if $PY -c "import sys; sys.exit(0 if float('$c') >= $thr else 1)"; then echo "ok   $n $dt cosine $c (>= $thr)"
  else echo "FAIL $n $dt cosine $c (< $thr)"; fail=1; fi
}
for n in add_convs_c5 add_convs_c12 add_convs_c33 add_input_relu_c5 add_input_relu_c12 add_input_relu_c33 add_chain; do
  run_case "$n" fp16 0.999
  run_case "$n" int8 0.99
done
# hybrid: add1 of the chain in fp16 inside the int8 program (--hybrid): its
# int8 operands get conversion nodes (Cast), its fp16 output is converted
# back once for both int8 readers; bound 0.99 as int8
printf 'custom_quantize_layers:\n    s: float16  # add1\n' > "$D/chain.cfg"
"$RKSIM" convert "$D/add_chain.onnx" --soc rk3588 --dtype int8 --calib "$D/add_chain_input.h5" --hybrid "$D/chain.cfg" \
  -o "$D/add_chain_hybrid.rknn" 2> "$D/hybrid.log" || { echo "FAIL hybrid convert"; cat "$D/hybrid.log"; fail=1; }
grep -q "hybrid: 1 NPU op in fp16, 0 CPU outputs stored fp16, 3 int8<->fp16 conversion nodes" "$D/hybrid.log" \
  || { echo "FAIL hybrid: expected 1 fp16 op and 3 conversions"; cat "$D/hybrid.log"; fail=1; }
"$RKSIM" run "$D/add_chain_hybrid.rknn" "$D/add_chain_input.h5" -q -o "$D/add_chain_hybrid_sim.h5" \
  || { echo "FAIL hybrid run"; fail=1; }
c=$(cosine "$D/add_chain_hybrid_sim.h5" "$D/add_chain_ref.h5")
if $PY -c "import sys; sys.exit(0 if float('$c') >= 0.99 else 1)"; then echo "ok   add_chain hybrid (add1 fp16) cosine $c (>= 0.99)"
else echo "FAIL add_chain hybrid cosine $c"; fail=1; fi
exit $fail
