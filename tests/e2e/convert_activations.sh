#!/bin/bash
# convert_activations.sh - activations fused into Conv / Add (cv_graph.c
# fuse_followers, cv_act.c), end to end.  Graphs generated here with
# onnx/numpy; inputs are a dense sweep: a 1x1 conv with weights [S, S/127]
# (exact in int8) over two channels of the int8 grid k/16 gives every
# pre-activation value S*(x0 + x1/127) the int8 input can produce (65536
# pixels).  Gates:
#  - `rksim check`: 0 violations for every file;
#  - `rksim compare` thresholds against onnxref: int8 --min-cosine 0.999,
#    fp16 0.99999 (entire and single mode);
#  - int8 rk3588 (fused): max error vs numpy's float function of the exact
#    pre-activation <= 0.55 output quanta (0.5 = int8 rounding; quanta =
#    (max(y,0) - min(y,0)) / 255 of the numpy output, the min/max
#    calibration on the same data); Add cases: numpy's function of the sum
#    of the simulator's own int8 operands (exposed as graph outputs),
#    clipped to the output range calibrated on the float sum, so only the
#    LUT stage is measured: <= 0.55 quanta;
#  - the convert report: fused (rk3588 int8; LeakyRelu also fp16) or a
#    "not fused" note with the reason and a CPU node (fp16 LUT, rk3566).
set -u
: "${RKSIM:?}" "${RKSIM_SRC:?}" "${RKSIM_BUILD:?}"
PY=${PYTHON:-/usr/bin/python3}
$PY -c 'import onnx, h5py, numpy' 2>/dev/null || { echo "skip: python onnx/h5py/numpy missing"; exit 77; }
D="$RKSIM_BUILD/convert_activations"
rm -rf "$D"; mkdir -p "$D"
$PY - "$D" <<'PYEOF' || { echo "FAIL: generator"; exit 1; }
import sys, os, json, numpy as np, onnx, h5py
from onnx import helper, numpy_helper, TensorProto
out = sys.argv[1]
N = helper.make_node
g16 = (np.arange(256) - 128) / 16.0
x = np.zeros((1, 2, 256, 256), np.float32)
x[0, 0] = g16[None, :]
x[0, 1] = g16[:, None]
with h5py.File(os.path.join(out, 'sweep.h5'), 'w') as f:
    f['input'] = x
def save(name, nodes, inits, outs=('output',)):
    g = helper.make_graph(nodes, name, [helper.make_tensor_value_info('input', TensorProto.FLOAT, [1, 2, 256, 256])],
                          [helper.make_tensor_value_info(o, TensorProto.FLOAT, ['n', 'c', 'h', 'w']) for o in outs],
                          [numpy_helper.from_array(np.asarray(v, np.float32), k) for k, v in inits.items()])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 14)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, name + '.onnx'))
sig = lambda p: 1 / (1 + np.exp(-p))
hsig = lambda p, a=0.2, b=0.5: np.clip(a * p + b, 0, 1)
golden = {}
def dense(name, S, nodes, fn):
    i = {'w': np.array([S, S / 127.0], np.float32).reshape(1, 2, 1, 1)}
    n = nodes(i)
    save(name, [N('Conv', ['input', 'w'], ['pre'], name='conv', kernel_shape=[1, 1])] + n, i)
    w = i['w'].astype(np.float64).ravel()
    y = fn(w[0] * x[0, 0].astype(np.float64) + w[1] * x[0, 1])
    np.save(os.path.join(out, name + '_golden.npy'), y)
dense('sigmoid', 1.5, lambda i: [N('Sigmoid', ['pre'], ['output'], name='act')], sig)
dense('tanh', 0.5, lambda i: [N('Tanh', ['pre'], ['output'], name='act')], np.tanh)
dense('hardsigmoid', 0.6, lambda i: [N('HardSigmoid', ['pre'], ['output'], name='act')], hsig)
dense('hardswish', 0.6, lambda i: [N('HardSwish', ['pre'], ['output'], name='act')], lambda p: p * hsig(p, 1 / 6., 0.5))
dense('silu', 1.0, lambda i: [N('Sigmoid', ['pre'], ['s'], name='sig'), N('Mul', ['pre', 's'], ['output'], name='mul')],
      lambda p: p * sig(p))
dense('x_hardsigmoid', 0.6, lambda i: [N('HardSigmoid', ['pre'], ['h'], name='hsig', alpha=1 / 6.),
                                       N('Mul', ['h', 'pre'], ['output'], name='mul')], lambda p: p * hsig(p, 1 / 6., 0.5))
for a in (0.01, 0.1, 0.2):
    dense('leaky%g' % a, 1.0, lambda i, a=a: [N('LeakyRelu', ['pre'], ['output'], name='act', alpha=a)],
          lambda p, a=a: np.where(p >= 0, p, np.float32(a) * p))
def paddle(i):  # Paddle2ONNX PP-LCNet: affine, x*Clip(x+3,0,6)/6, affine
    i.update(m1=[0.94], a1=[0.5], m2=[0.476], a2=[-0.0076], three=3.0, zero=0.0, six=6.0)
    return [N('Mul', ['m1', 'pre'], ['p1'], name='lab1_mul'), N('Add', ['p1', 'a1'], ['p2'], name='lab1_add'),
            N('Add', ['p2', 'three'], ['p3'], name='hs_add'), N('Clip', ['p3', 'zero', 'six'], ['p4'], name='hs_clip'),
            N('Mul', ['p2', 'p4'], ['p5'], name='hs_mul'), N('Div', ['p5', 'six'], ['p6'], name='hs_div'),
            N('Mul', ['m2', 'p6'], ['p7'], name='lab2_mul'), N('Add', ['p7', 'a2'], ['output'], name='lab2_add')]
f32 = lambda v: np.float64(np.float32(v))
dense('paddle_hardswish', 0.7, paddle,
      lambda p: f32(0.476) * (lambda q: q * np.clip(q + 3, 0, 6) / 6)(f32(0.94) * p + f32(0.5)) + f32(-0.0076))
def add_case(name, act):
    i = {'wa': np.array([1.0, 1 / 127.], np.float32).reshape(1, 2, 1, 1),
         'wb': np.array([0.5, -0.5 / 127], np.float32).reshape(1, 2, 1, 1)}
    save(name, [N('Conv', ['input', 'wa'], ['a'], name='ca', kernel_shape=[1, 1]),
                N('Conv', ['input', 'wb'], ['b'], name='cb', kernel_shape=[1, 1]),
                N('Add', ['a', 'b'], ['s'], name='add')] + act, i, outs=('output', 'a', 'b'))
add_case('add_sigmoid', [N('Sigmoid', ['s'], ['output'], name='act')])
add_case('add_leaky', [N('LeakyRelu', ['s'], ['output'], name='act', alpha=0.1)])
add_case('add_silu', [N('Sigmoid', ['s'], ['g'], name='sig'), N('Mul', ['g', 's'], ['output'], name='mul')])
add_case('add_hardswish', [N('HardSwish', ['s'], ['output'], name='act')])
json.dump({'add_sigmoid': 'sig', 'add_leaky': 'leaky', 'add_silu': 'silu', 'add_hardswish': 'hswish'},
          open(os.path.join(out, 'add_cases.json'), 'w'))
PYEOF
fail=0
# max error in output quanta: conv sweeps against the numpy golden, Add
# cases against numpy's function of the simulator's own operands a + b
maxq() {
  $PY - "$1" "$2" "$3" <<'PYEOF'
import sys, json, h5py, numpy as np
sim, name, D = sys.argv[1], sys.argv[2], sys.argv[3]
f = h5py.File(sim, 'r')
y = f['output'][()].astype(np.float64)[0, 0]
cases = json.load(open(D + '/add_cases.json'))
if name in cases:
    fn = {'sig': lambda s: 1 / (1 + np.exp(-s)), 'leaky': lambda s: np.where(s >= 0, s, np.float32(0.1) * s),
          'silu': lambda s: s / (1 + np.exp(-s)), 'hswish': lambda s: s * np.clip(s / 6 + 0.5, 0, 1)}[cases[name]]
    # the output range calibrated on the float sum (min/max, 0 inside); the
    # int8 operands' sum can pass it, where the int8 output saturates
    x = h5py.File(D + '/sweep.h5', 'r')['input'][()].astype(np.float64)[0]
    c = lambda w0, w1: np.float64(np.float32(w0)) * x[0] + np.float64(np.float32(w1)) * x[1]
    yf = fn(c(1.0, 1 / 127.) + c(0.5, -0.5 / 127))
    lo, hi = min(yf.min(), 0), max(yf.max(), 0)
    g = np.clip(fn(f['a'][()].astype(np.float64)[0, 0] + f['b'][()].astype(np.float64)[0, 0]), lo, hi)
    q = (hi - lo) / 255
else:
    g = np.load(D + '/' + name + '_golden.npy')
    q = (max(g.max(), 0) - min(g.min(), 0)) / 255
print('%.4f' % (np.abs(y - g).max() / q))
PYEOF
}
run_case() { # name soc dtype expect(fused|cpu) [max quanta]
  local n=$1 soc=$2 dt=$3 want=$4 lim=${5:-} o="$D/$1_$2_$3"
  "$RKSIM" convert "$D/$n.onnx" --soc "$soc" --dtype "$dt" --calib "$D/sweep.h5" --verbose -o "$o.rknn" \
    > "$o.log" 2>&1 || { echo "FAIL $n $soc $dt: convert"; tail -3 "$o.log"; fail=1; return; }
  local summary; summary=$(tail -1 "$o.log")
  if [ "$want" = fused ]; then
    grep -q " 0 CPU nodes" <<<"$summary" && grep -q "fused into" "$o.log" \
      || { echo "FAIL $n $soc $dt: not fused: $summary"; fail=1; }
  else
    grep -q "not fused: " "$o.log" && ! grep -q " 0 CPU nodes" <<<"$summary" \
      || { echo "FAIL $n $soc $dt: expected a CPU activation with a reason: $summary"; fail=1; }
  fi
  "$RKSIM" check "$o.rknn" --soc "$soc" > "$o.check" && grep -q " 0 violations" "$o.check" \
    || { echo "FAIL $n $soc $dt: check"; tail -2 "$o.check"; fail=1; }
  local thr=0.999; [ "$dt" = fp16 ] && thr=0.99999
  "$RKSIM" compare "$D/$n.onnx" "$o.rknn" "$D/sweep.h5" --min-cosine $thr -o "$o.cmp" > "$o.sum" 2>&1 \
    || { echo "FAIL $n $soc $dt: compare --min-cosine $thr: $(tail -1 "$o.sum")"; fail=1; return; }
  local msg="ok   $n $soc $dt ($want): $(sed -n "s/.*\(output '[a-z]*' cosine [0-9.]*\).*/\1/p" "$o.sum")"
  if [ -n "$lim" ]; then
    "$RKSIM" run "$o.rknn" "$D/sweep.h5" -q -o "${o}_sim.h5" || { echo "FAIL $n: run"; fail=1; return; }
    local q; q=$(maxq "${o}_sim.h5" "$n" "$D")
    if $PY -c "import sys; sys.exit(0 if float('$q') <= $lim else 1)"; then msg="$msg, max error $q quanta (<= $lim)"
    else echo "FAIL $n $soc $dt: max error $q quanta (> $lim)"; fail=1; return; fi
  fi
  echo "$msg"
}
for n in sigmoid tanh hardsigmoid hardswish silu x_hardsigmoid paddle_hardswish add_sigmoid add_silu add_hardswish; do
  run_case $n rk3588 int8 fused 0.55
  run_case $n rk3588 fp16 cpu
  run_case $n rk3566 int8 cpu
done
for n in leaky0.01 leaky0.1 leaky0.2 add_leaky; do
  run_case $n rk3588 int8 fused 0.55
  [ $n = add_leaky ] && run_case $n rk3588 fp16 cpu || run_case $n rk3588 fp16 fused
  run_case $n rk3566 int8 cpu
  [ $n = add_leaky ] || run_case $n rk3566 fp16 cpu # (fp16 Add itself is a CPU node on rk3566)
done
exit $fail
