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
# The second half repeats the sweep for --soc rk3566 (RK3566/RK3568 "lite":
# 8-byte atoms, 8 CBUF banks, its own register layouts) with the same
# thresholds and `check --soc rk3566`, plus the lite-specific cases (pools
# as depthwise convs, MaxPool refused, REGTASK 'target: lite', the CBUF wall
# that converts for rk3588 but not for rk3566 under --no-tiling) and, with
# ../shared, a register-for-register comparison with the first task of both
# lite vendor files.
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
SOC=rk3588
run_case() { # name dtype threshold [extra convert options]; target $SOC
  local n=$1 dt=$2 thr=$3
  shift 3
  "$RKSIM" convert "$D/$n.onnx" --soc $SOC --dtype "$dt" --calib "$D/${n}_input.h5" "$@" -q -o "$D/$n.rknn" \
    || { echo "FAIL $n: convert"; fail=1; return; }
  "$RKSIM" check "$D/$n.rknn" --soc $SOC > "$D/$n.check" || { echo "FAIL $n: check"; cat "$D/$n.check"; fail=1; return; }
  grep -q " 0 violations" "$D/$n.check" || { echo "FAIL $n: violations"; fail=1; return; }
  "$RKSIM" run "$D/$n.rknn" "$D/${n}_input.h5" -q -o "$D/${n}_sim.h5" || { echo "FAIL $n: run"; fail=1; return; }
  # onnxref's output does not depend on the target: computed once per model
  [ -f "$D/${n}_ref.h5" ] || "$RKSIM" ref "$D/$n.onnx" "$D/${n}_input.h5" -o "$D/${n}_ref.h5" > /dev/null \
    || { echo "FAIL $n: ref"; fail=1; return; }
  local c; c=$(cosine "$D/${n}_sim.h5" "$D/${n}_ref.h5")
  if $PY -c "import sys; sys.exit(0 if float('$c') >= $thr else 1)"; then
    echo "ok   $SOC $n $dt $* cosine $c (>= $thr)"
  else
    echo "FAIL $SOC $n $dt cosine $c (< $thr)"; fail=1
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

# ------------------------------------------------------------------ rk3566
# Extra models for the lite cases, built with the generator's own helpers:
#  - avgpools: conv -> AveragePool 3x3 s2 p1 -> GlobalAveragePool (odd
#    sizes; lowered as depthwise convs on rk3566);
#  - cbuf_wall: 3x3 conv 64 -> 64 over 40x80: input 7 banks + weights 2+1
#    banks = 10 fit RK3588's 12 banks but not RK3566's 8.
$PY - "$RKSIM_SRC/tests" "$D" <<'PYEOF' || { echo "FAIL: lite model generator"; exit 1; }
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
from onnx import helper
import gen_convert_models as g
rng = np.random.default_rng(3566)
inits = {}
nodes = [g.conv_node('conv', 'input', 'a0', 5, 13, 3, 1, 1, False, rng, inits),
         helper.make_node('AveragePool', ['a0'], ['p0'], name='avgpool', kernel_shape=[3, 3], strides=[2, 2],
                          pads=[1, 1, 1, 1], count_include_pad=1),
         helper.make_node('GlobalAveragePool', ['p0'], ['output'], name='gap')]
g.save(sys.argv[2], 'avgpools', nodes, inits, (1, 5, 15, 13), ['output'], rng)
inits = {}
nodes = [g.conv_node('conv', 'input', 'output', 64, 64, 3, 1, 1, False, rng, inits)]
g.save(sys.argv[2], 'cbuf_wall', nodes, inits, (1, 64, 40, 80), ['output'], rng)
PYEOF
SOC=rk3566
for c in k1s1 k3s1 k3s2 k1s2 k3s1p0 dw3s1 dw3s2 k5s1 k7s2 dw5s1; do
  run_case "sweep_int8_$c" int8 0.99
  run_case "sweep_fp16_$c" fp16 0.999
done
run_case sweep_int8_k3s2 int8 0.99 --quant-method layer
# fp16 with bias + BatchNorm + Relu (the int8 sweep models): lite BRDMA
# groups of 4 with fp32 ALU operands (SEMANTICS D-FPDATA, lite table)
run_case sweep_int8_k3s2 fp16 0.999
run_case sweep_int8_dw3s1 fp16 0.999
run_case residual int8 0.99
run_case cbuf_tiles int8 0.99
run_case ch_tiles int8 0.99
run_case dfl_wide int8 0.99
run_case wide3x3 int8 0.99
run_case avgpools int8 0.99
run_case avgpools fp16 0.999
run_case cbuf_wall int8 0.99
"$RKSIM" info "$D/cbuf_wall.rknn" | grep -q "RKNPU lite" || { echo "FAIL cbuf_wall: not a lite container"; fail=1; }
"$RKSIM" info "$D/cbuf_wall.rknn" | grep -q "tasks: *[2-9]" || { echo "FAIL cbuf_wall: not row-tiled on rk3566"; fail=1; }

# MaxPool: no lite PPU recipe -> refused with the reason, exit 4
out=$("$RKSIM" convert "$D/pools.onnx" --soc rk3566 --dtype int8 -q -o "$D/x.rknn" 2>&1); rc=$?
if [ $rc -eq 4 ] && grep -q "MaxPool 'maxpool'.*not lowered for rk3566" <<<"$out"; then echo "ok   rk3566 MaxPool refused"
else echo "FAIL rk3566 MaxPool (rc $rc): $out"; fail=1; fi

# --no-tiling on rk3566: the REGTASK line names the lite target and its limit
out=$("$RKSIM" convert "$D/dfl_wide.onnx" --soc rk3566 --dtype int8 --no-tiling -q -o "$D/x.rknn" 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q "REGTASK: The bit width of field value exceeds the limit, target: lite" <<<"$out" \
   && grep -q "limit: 0x7ff" <<<"$out" && grep -q "dfl_conv" <<<"$out"; then echo "ok   rk3566 dfl_wide --no-tiling: $(head -1 <<<"$out")"
else echo "FAIL rk3566 dfl_wide --no-tiling (rc $rc): $out"; fail=1; fi

# The SoC wall: under --no-tiling cbuf_wall converts for rk3588 (10 of 12
# banks, 0 violations) but not for rk3566 (8 banks): exit 4 naming rk3566
"$RKSIM" convert "$D/cbuf_wall.onnx" --soc rk3588 --dtype int8 --calib "$D/cbuf_wall_input.h5" --no-tiling -q \
  -o "$D/wall88.rknn" && "$RKSIM" check "$D/wall88.rknn" --soc rk3588 | grep -q " 0 violations" \
  && echo "ok   cbuf_wall --no-tiling converts for rk3588" || { echo "FAIL cbuf_wall rk3588 --no-tiling"; fail=1; }
out=$("$RKSIM" convert "$D/cbuf_wall.onnx" --soc rk3566 --dtype int8 --no-tiling -q -o "$D/x.rknn" 2>&1); rc=$?
if [ $rc -eq 4 ] && grep -q "Conv 'conv'.*more than the 8 of rk3566" <<<"$out"; then echo "ok   cbuf_wall --no-tiling refused for rk3566: $out"
else echo "FAIL cbuf_wall rk3566 --no-tiling (rc $rc): $out"; fail=1; fi

# Vendor ground truth: the first task of each lite vendor file against the
# same conv compiled by us for rk3566 (dual_residual_custom RK3566: identity
# 1x1 fp16 conv 3->3 over 10x10; multiple_input_demo RK3566_RK3568: its
# test.onnx, int8, task 0 = 3x3 conv 3->8 over 128x128).  Every register both
# programs write must be equal (including the packed-channel ARGB input
# mode), except the documented differences (convert/README.md): the DMA
# width of an ARGB row and CBUF_CON1[23:16] (FC_DATA_SIZE0, CBUF_CON1),
# FEATURE_GRAINS (CONV_CON2), the vendor's CPEND/OW scheme (BS_OW_CFG,
# BRDMA_CFG), the calibrated OUT_CVT scale, the PC tail.
SH=${RKSIM_SHARED:-}
VD="$SH/datasets/rknn-vendor"
if [ -n "$SH" ] && [ -f "$VD/dual_residual_custom/RK3566_RK3568_dual_residual_custom.rknn" ] \
   && [ -f "$VD/multiple_input_demo/RK3566_RK3568_multiple_input_demo.rknn" ]; then
  $PY - "$D" "$VD" <<'PYEOF' || { echo "FAIL: vendor-comparison inputs"; fail=1; }
import sys, numpy as np, onnx, h5py
from onnx import helper, TensorProto, numpy_helper
d, vd = sys.argv[1], sys.argv[2]
g = helper.make_graph([helper.make_node('Conv', ['input', 'w'], ['output'], name='conv', kernel_shape=[1, 1])], 'id3',
                      [helper.make_tensor_value_info('input', TensorProto.FLOAT, [1, 3, 10, 10])],
                      [helper.make_tensor_value_info('output', TensorProto.FLOAT, [1, 3, 10, 10])],
                      [numpy_helper.from_array(np.eye(3, dtype=np.float32).reshape(3, 3, 1, 1), 'w')])
m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]); m.ir_version = 8
onnx.save(m, d + '/lite_id3.onnx')
a = np.load(vd + '/multiple_input_demo/image1_nchw.npy').astype(np.float32)
b = np.load(vd + '/multiple_input_demo/image2_nchw.npy').astype(np.float32)
with h5py.File(d + '/lite_mi_input.h5', 'w') as f:
    f['input'] = a if a.shape[1] == 3 else b
    f['input.1'] = b if b.shape[1] == 1 else a
PYEOF
  "$RKSIM" convert "$D/lite_id3.onnx" --soc rk3566 --dtype fp16 -q -o "$D/lite_id3.rknn" \
    && "$RKSIM" convert "$VD/multiple_input_demo/test.onnx" --soc rk3566 --dtype int8 --calib "$D/lite_mi_input.h5" \
         -q -o "$D/lite_mi.rknn" || { echo "FAIL lite vendor comparison: convert"; fail=1; }
  cmp_first_task() { # ours.rknn our_task vendor.rknn name
    "$RKSIM" disasm "$1" > "$D/ours.dis" && "$RKSIM" disasm "$3" > "$D/vendor.dis" || { echo "FAIL $4: disasm"; fail=1; return; }
    out=$($PY - "$D/ours.dis" "$2" "$D/vendor.dis" <<'PYEOF'
import re, sys
LINE = re.compile(r'^(T\d+) \[\s*\d+\]\s+\S+\s+(\S+)\s+(0x[0-9a-f]+)')
def regs(path, task):  # first value each register gets in the task
    r = {}
    for line in open(path):
        m = LINE.match(line)
        if m and m.group(1) == task:
            r.setdefault(m.group(2), m.group(3))
    return r
ours, vend = regs(sys.argv[1], sys.argv[2]), regs(sys.argv[3], 'T0')
known = {'CNA_FC_DATA_SIZE0', 'CNA_CBUF_CON1', 'CNA_CONV_CON2', 'DPU_BS_OW_CFG',
         'DPU_RDMA_BRDMA_CFG', 'DPU_OUT_CVT_SCALE', 'PC_BASE_ADDRESS', 'PC_REGISTER_AMOUNTS'}
common = sorted(set(ours) & set(vend) - known)
bad = [f'{k} ours {ours[k]} vendor {vend[k]}' for k in common if ours[k] != vend[k]]
print(len(common), '; '.join(bad))
sys.exit(1 if bad or len(common) < 40 else 0)
PYEOF
    ) && echo "ok   $4: $(cut -d' ' -f1 <<<"$out") common registers equal the vendor's" \
      || { echo "FAIL $4 differs from the vendor: $out"; fail=1; }
  }
  cmp_first_task "$D/lite_id3.rknn" T0 "$VD/dual_residual_custom/RK3566_RK3568_dual_residual_custom.rknn" \
    "rk3566 fp16 1x1 conv vs vendor dual_residual lite"
  cmp_first_task "$D/lite_mi.rknn" T1 "$VD/multiple_input_demo/RK3566_RK3568_multiple_input_demo.rknn" \
    "rk3566 int8 3x3 conv vs vendor multiple_input lite"
else
  echo "skip lite vendor comparison: ../shared vendor files missing"
fi

exit $fail
