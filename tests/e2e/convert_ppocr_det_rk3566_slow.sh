#!/bin/bash
# convert_ppocr_det_rk3566_slow.sh - issue 8 acceptance 1 (rk3566 part): PP-OCRv4 det
# exactly as convert_ppocr_det_slow.sh does for rk3588 (same calibration images,
# make-calib.py normalisation, 480x480 input), compiled for RK3566/RK3568
# ("lite" register family, convert/README.md), checked with `check --soc
# rk3566` (0 violations) and compared with onnxref on det_test.jpg.  61 NPU
# ops (GlobalAveragePools as depthwise convs), 47 CPU nodes; 638 tasks (every
# 15x15 layer runs one task per output surface, README "odd surfaces").
# Threshold: final output cosine >= 0.99 (0.99203 when written, equal to
# rk3588: the int8 arithmetic is the same, only the layouts differ; 0.99243
# with Conv->Conv equalisation - no LUT/PReLU fusion on lite, README).
set -u
: "${RKSIM:?}" "${RKSIM_SRC:?}" "${RKSIM_BUILD:?}"
PY=${PYTHON:-/usr/bin/python3}
SH=${RKSIM_SHARED:-}
MODEL="$SH/datasets/ppocr/ch_PP-OCRv4_det_infer.onnx"
IMG="$SH/datasets/images/ppocr"
[ -n "$SH" ] && [ -f "$MODEL" ] && [ -f "$IMG/det_test.jpg" ] || { echo "skip: ../shared PP-OCR data missing"; exit 77; }
$PY -c 'import PIL, h5py, numpy' 2>/dev/null || { echo "skip: python PIL/h5py/numpy missing"; exit 77; }
D="$RKSIM_BUILD/convert_ppocr_det_rk3566"
rm -rf "$D"; mkdir -p "$D"
calib=()
for f in "$IMG"/*.jpg; do [ "$(basename "$f")" = det_test.jpg ] || calib+=("$f"); done
$PY "$RKSIM_SRC/scripts/make-calib.py" "${calib[@]}" -o "$D/calib.h5" > /dev/null || { echo "FAIL make-calib"; exit 1; }
$PY "$RKSIM_SRC/scripts/make-calib.py" "$IMG/det_test.jpg" -o "$D/det_test.h5" > /dev/null || { echo "FAIL make-calib"; exit 1; }
"$RKSIM" convert "$MODEL" --soc rk3566 --dtype int8 --input-shape x=1,3,480,480 --calib "$D/calib.h5" \
  -o "$D/det.rknn" 2> "$D/convert.log" || { echo "FAIL convert"; tail -5 "$D/convert.log"; exit 1; }
tail -1 "$D/convert.log"
"$RKSIM" check "$D/det.rknn" --soc rk3566 > "$D/check.txt" && grep -q " 0 violations" "$D/check.txt" \
  || { echo "FAIL check"; tail -3 "$D/check.txt"; exit 1; }
"$RKSIM" compare "$MODEL" "$D/det.rknn" "$D/det_test.h5" --no-single -o "$D/compare.txt" > "$D/summary.txt" 2>&1 \
  || { echo "FAIL compare"; cat "$D/summary.txt"; exit 1; }
cat "$D/summary.txt"
cos=$(sed -n "s/.*output 'sigmoid_0.tmp_0' cosine \([0-9.]*\).*/\1/p" "$D/summary.txt")
[ -n "$cos" ] || { echo "FAIL: no output cosine in the summary"; exit 1; }
if $PY -c "import sys; sys.exit(0 if float('$cos') >= 0.99 else 1)"; then
  echo "ok   PP-OCRv4 det int8 rk3566: output cosine $cos (>= 0.99)"
else
  echo "FAIL PP-OCRv4 det int8 rk3566: output cosine $cos (< 0.99)"; exit 1
fi
