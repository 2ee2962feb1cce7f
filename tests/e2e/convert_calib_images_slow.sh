#!/bin/bash
# convert_calib_images_slow.sh - issue 8: `rksim convert --calib DIR` calibrates from the
# images themselves (own JPEG/PNG decoding, rknn-toolkit2 mean/std semantics), no HDF5
# preparation.  PP-OCRv4 det int8 rk3588, --input-shape x=1,3,480,480, calibrated on every
# image in ../shared/datasets/images/ppocr (16: 15 JPEG incl. 2 progressive + rec_test.png)
# with PaddleOCR det's normalisation (mean 123.675,116.28,103.53, std 58.395,57.12,57.375,
# RGB), with --algo normal, mmse and kl; then `rksim compare` against onnxref on det_test.jpg
# (input built by scripts/make-calib.py, as convert_ppocr_det_slow.sh does).
# Threshold: final output cosine >= 0.99 for each (0.99119 normal, 0.99259 mmse, 0.99371 kl
# when written; kl was 0.97254 before it ignored the zero bin and kept windows of at least
# half the histogram, convert/README.md "--algo kl").  Also: the vendor-style dataset_20.txt
# there lists files that are absent -> exit 3 naming the first one and its line.
. "$(dirname "$0")/lib.sh"
e2e_ppocr_det_setup convert_calib_images
NORM=(--mean-values 123.675,116.28,103.53 --std-values 58.395,57.12,57.375)

# a dataset.txt naming missing files: clear error, exit 3
"$RKSIM" convert "$MODEL" --soc rk3588 --dtype int8 --input-shape x=1,3,480,480 \
  --calib "$IMG/dataset_20.txt" "${NORM[@]}" -o "$D/bad.rknn" -q 2> "$D/list.err"
rc=$?
if [ $rc -ne 3 ] || ! grep -q "dataset_20.txt line 1: image './french_0.jpg' not found" "$D/list.err"; then
  echo "FAIL dataset_20.txt: exit $rc, $(cat "$D/list.err")"; exit 1
fi
echo "ok   $(cat "$D/list.err")"

# a valid dataset.txt (paths relative to the list's folder, a blank line) on a one-conv model
$PY - "$IMG" "$D" <<'PYEOF' || { echo "FAIL: list/model preparation"; exit 1; }
import os, sys, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
img, d = sys.argv[1], sys.argv[2]
with open(os.path.join(d, 'dataset.txt'), 'w') as f:
    for n in ['ger_1.jpg', '254.jpg', '', 'rec_test.png']:
        f.write((os.path.relpath(os.path.join(img, n), d) if n else '') + '\n')
w = numpy_helper.from_array(np.random.default_rng(2).normal(0, 0.3, (8, 3, 3, 3)).astype(np.float32), 'w')
g = helper.make_graph([helper.make_node('Conv', ['x', 'w'], ['y'], pads=[1, 1, 1, 1])], 'g',
                      [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 3, 32, 48])],
                      [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, 8, 32, 48])], [w])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 13)]), os.path.join(d, 'conv.onnx'))
PYEOF
"$RKSIM" convert "$D/conv.onnx" --soc rk3588 --dtype int8 --calib "$D/dataset.txt" "${NORM[@]}" --bgr \
  -o "$D/conv.rknn" 2> "$D/list_ok.log" || { echo "FAIL convert --calib dataset.txt"; cat "$D/list_ok.log"; exit 1; }
grep -q "min/max over 3 samples" "$D/list_ok.log" && grep -q "BGR order" "$D/list_ok.log" \
  || { echo "FAIL: dataset.txt calibration notes"; cat "$D/list_ok.log"; exit 1; }
echo "ok   --calib dataset.txt: $(grep 'min/max over' "$D/list_ok.log")"

e2e_det_test_input
status=0
for algo in normal mmse kl; do
  "$RKSIM" convert "$MODEL" --soc rk3588 --dtype int8 --input-shape x=1,3,480,480 --calib "$IMG" "${NORM[@]}" \
    --algo $algo -o "$D/det_$algo.rknn" --verbose 2> "$D/convert_$algo.log" \
    || { echo "FAIL convert --algo $algo"; tail -5 "$D/convert_$algo.log"; exit 1; }
  grep "calibration" "$D/convert_$algo.log"
  grep -q "min/max over 16 samples" "$D/convert_$algo.log" || { echo "FAIL: expected 16 calibration images"; exit 1; }
  e2e_det_compare "$D/det_$algo.rknn" $algo
  e2e_cos_at_least "$COS" 0.99 "PP-OCRv4 det int8 rk3588 --calib DIR --algo $algo" || status=1
done
exit $status
