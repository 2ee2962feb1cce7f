#!/bin/bash
# convert_transformer_dynamic.sh - dynamic input sets (issue 8, acceptance 3).
# A transformer encoder block made with Debian's torch
# (datasets/make_transformer.py: input x [1,T,64] as torch gives the
# tokens, LayerNorm, QKV, 4-head softmax(QK^T/sqrt(d))V attention, output
# projection, residuals, GELU MLP; output z [1,T,64]) is converted int8 and
# fp16 with the input-shape sets T = 50, 100, 250.
# Checks:
#  - the [1,T,64] input is stored as such (plain layout, the program's
#    dtype) and `info` lists the 3 sets; `run` reports which set it picked;
#  - per set, `compare` against onnxref: final cosine >= 0.999 (fp16) and
#    >= 0.99 (int8).  Why these bars: fp16 keeps 11 significant bits
#    (relative error ~5e-4 per op; measured 1.00000, SQNR ~73 dB), 0.999 is
#    the issue's fp16 bar; int8 is per-tensor 8-bit at the NPU boundaries
#    and at the input (measured 0.9999 when written), 0.99 is the issue's
#    int8 bar;
#  - `check`: every set of the multi-set file checked (3 summaries, 0
#    violations each) and 0 in the single-shape compiles of sets 2 and 3;
#    `info --json --set N` of the multi-set file must equal the
#    single compile's (nodes, tensors with quantisation, task counts);
#  - T = 60, and the right T with a wrong rank ([1,50,64,1], [50,64]), are
#    refused with exit 3 and the message listing the sets.
# Inputs: N(0,1) per length from the generator; int8 calibration: 4 other
# N(0,1) samples of the largest set (each set uses its leading slice).
set -u
: "${RKSIM:?}" "${RKSIM_SRC:?}" "${RKSIM_BUILD:?}"
PY=${PYTHON:-/usr/bin/python3}
$PY -c 'import torch, onnx, h5py, numpy' 2>/dev/null || { echo "skip: python torch/onnx/h5py/numpy missing"; exit 77; }
D="$RKSIM_BUILD/convert_transformer_dynamic"
rm -rf "$D"; mkdir -p "$D"
fail() { echo "FAIL $*"; exit 1; }
$PY "$RKSIM_SRC/datasets/make_transformer.py" "$D/block.onnx" --inputs "$D" --lengths 50,100,250,60 \
  --calib "$D/calib.h5" > "$D/gen.log" 2>&1 || { cat "$D/gen.log"; fail "make_transformer.py"; }
# the right length in the wrong rank: [1,50,64,1] and [50,64]
$PY -c 'import h5py, sys; x = h5py.File(sys.argv[1])["x"][()]
h5py.File(sys.argv[2], "w")["x"] = x[..., None]; h5py.File(sys.argv[3], "w")["x"] = x[0]' \
  "$D/x_50.h5" "$D/x_r4.h5" "$D/x_r2.h5" || fail "wrong-rank inputs"
SETS="x=1,50,64;x=1,100,64;x=1,250,64"
for dt in int8 fp16; do
  "$RKSIM" convert "$D/block.onnx" --soc rk3588 --dtype $dt --calib "$D/calib.h5" --dynamic-input "$SETS" \
    -o "$D/$dt.rknn" 2> "$D/convert_$dt.log" || { tail -5 "$D/convert_$dt.log"; fail "convert $dt"; }
  tail -1 "$D/convert_$dt.log"
  "$RKSIM" info "$D/$dt.rknn" > "$D/info_$dt.txt" || fail "info $dt"
  grep -q "input-shape sets (3" "$D/info_$dt.txt" && grep -q "3: \[1,250,64\]" "$D/info_$dt.txt" \
    || { cat "$D/info_$dt.txt"; fail "info $dt does not list the 3 sets"; }
  want_in="  x  *shape \[1,50,64\] $([ $dt = fp16 ] && echo float16 || echo int8) none native \[1,50,64\]"
  grep -q "$want_in" "$D/info_$dt.txt" || { cat "$D/info_$dt.txt"; fail "info $dt: input x is not [1,50,64] $dt plain"; }
  grep -q "  z  *shape \[1,50,64\] float32 none native \[1,50,64\]" "$D/info_$dt.txt" \
    || { cat "$D/info_$dt.txt"; fail "info $dt: output z is not [1,50,64] float32 plain"; }
  "$RKSIM" check "$D/$dt.rknn" > "$D/check_$dt.txt" || { cat "$D/check_$dt.txt"; fail "check $dt"; }
  [ "$(grep -c " 0 violations" "$D/check_$dt.txt")" = 3 ] || fail "check $dt: not 3 clean sets: $(cat "$D/check_$dt.txt")"
  [ "$(grep -c "^# input-shape set [123] of 3" "$D/check_$dt.txt")" = 3 ] || fail "check $dt: sets not listed"
  echo "$dt set 1: $(cat "$D/check_$dt.txt")"
  "$RKSIM" info --json "$D/$dt.rknn" > "$D/info_$dt.json" || fail "info --json $dt"
  min=$([ $dt = fp16 ] && echo 0.999 || echo 0.99)
  set_no=0
  for n in 50 100 250; do
    set_no=$((set_no + 1))
    if [ $n != 50 ]; then
      # the set's own compile (calibration cut to T like the set's), checked
      # like set 1 above; same task count
      $PY -c 'import h5py, sys; f = h5py.File(sys.argv[1]); h5py.File(sys.argv[2], "w")["x"] = f["x"][:, :int(sys.argv[3])]' \
        "$D/calib.h5" "$D/calib_$n.h5" $n || fail "calib T=$n"
      "$RKSIM" convert "$D/block.onnx" --soc rk3588 --dtype $dt --calib "$D/calib_$n.h5" \
        --input-shape x=1,$n,64 -o "$D/${dt}_$n.rknn" -q 2>/dev/null || fail "convert $dt T=$n alone"
      "$RKSIM" check "$D/${dt}_$n.rknn" > "$D/check_${dt}_$n.txt" || fail "check $dt T=$n"
      grep -q " 0 violations" "$D/check_${dt}_$n.txt" || fail "check $dt T=$n: $(cat "$D/check_${dt}_$n.txt")"
      echo "$dt set $set_no: $(cat "$D/check_${dt}_$n.txt")"
      $PY - "$D/$dt.rknn" "$D/${dt}_$n.rknn" "$RKSIM" $set_no <<'PYEOF' || fail "$dt T=$n differs from its own compile"
import json, subprocess, sys
def info(*a):
    return json.loads(subprocess.run([sys.argv[3], 'info', '--json'] + list(a), capture_output=True,
                                     check=True).stdout)
multi, alone = info('--set', sys.argv[4], sys.argv[1]), info(sys.argv[2])
for k in ('task_count', 'segments', 'inputs', 'outputs', 'nodes', 'tensors', 'memory'):
    assert multi[k] == alone[k], k
PYEOF
    fi
    "$RKSIM" info --json --set $set_no "$D/$dt.rknn" | $PY -c 'import json, sys
d = json.load(sys.stdin); io = ("InputOperator", "OutputOperator")
npu = sum(1 for n in d["nodes"] if n["task_count"] > 0)
cpu = sum(1 for n in d["nodes"] if n["task_count"] == 0 and n["type"] not in io)
print("%s set %s: %d NPU ops (%d tasks), %d CPU nodes" % (sys.argv[1], sys.argv[2], npu, d["task_count"], cpu))' \
      $dt "$set_no [1,$n,64]" || fail "info --json --set $set_no"
    "$RKSIM" run "$D/$dt.rknn" "$D/x_$n.h5" -o "$D/out_${dt}_$n.h5" 2> "$D/run_${dt}_$n.log" \
      || { cat "$D/run_${dt}_$n.log"; fail "run $dt T=$n"; }
    grep -q "input-shape set $set_no of 3: \[1,$n,64\]" "$D/run_${dt}_$n.log" \
      || { cat "$D/run_${dt}_$n.log"; fail "run $dt T=$n did not pick set $set_no"; }
    "$RKSIM" compare "$D/block.onnx" "$D/$dt.rknn" "$D/x_$n.h5" --no-single -o "$D/compare_${dt}_$n.txt" \
      > "$D/summary_${dt}_$n.txt" 2>&1 || { cat "$D/summary_${dt}_$n.txt"; fail "compare $dt T=$n"; }
    cos=$(sed -n "s/.*output 'z' cosine \([0-9.]*\).*/\1/p" "$D/summary_${dt}_$n.txt" | tail -1)
    [ -n "$cos" ] || { cat "$D/summary_${dt}_$n.txt"; fail "compare $dt T=$n: no cosine"; }
    awk -v c="$cos" -v m="$min" 'BEGIN { exit !(c >= m) }' || fail "$dt T=$n: cosine $cos < $min"
    echo "ok  $dt T=$n: final cosine $cos (>= $min)"
  done
  "$RKSIM" run "$D/$dt.rknn" "$D/x_60.h5" -q > "$D/run60_$dt.txt" 2>&1
  rc=$?
  [ $rc = 3 ] || { cat "$D/run60_$dt.txt"; fail "$dt T=60: exit $rc, expected 3"; }
  grep -q "input 'x' has shape \[1,60,64\]; this model accepts \[1,50,64\], \[1,100,64\], \[1,250,64\]" \
    "$D/run60_$dt.txt" || { cat "$D/run60_$dt.txt"; fail "$dt T=60: message"; }
  echo "ok  $dt T=60 refused (exit 3): $(cat "$D/run60_$dt.txt")"
  for bad in r4 r2; do
    "$RKSIM" run "$D/$dt.rknn" "$D/x_$bad.h5" -q > "$D/run_${bad}_$dt.txt" 2>&1
    rc=$?
    [ $rc = 3 ] && grep -q "input 'x' has shape .*; this model accepts \[1,50,64\]" "$D/run_${bad}_$dt.txt" \
      || { cat "$D/run_${bad}_$dt.txt"; fail "$dt wrong rank ($bad): exit $rc"; }
    echo "ok  $dt wrong rank refused (exit 3): $(cat "$D/run_${bad}_$dt.txt")"
  done
done
echo "ok  dynamic input sets: int8 and fp16, T = 50/100/250 compiled, run and compared; T = 60 refused"
