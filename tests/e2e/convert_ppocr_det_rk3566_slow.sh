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
. "$(dirname "$0")/lib.sh"
e2e_ppocr_det_setup convert_ppocr_det_rk3566
e2e_det_calib_h5
e2e_det_test_input
"$RKSIM" convert "$MODEL" --soc rk3566 --dtype int8 --input-shape x=1,3,480,480 --calib "$D/calib.h5" \
  -o "$D/det.rknn" 2> "$D/convert.log" || { echo "FAIL convert"; tail -5 "$D/convert.log"; exit 1; }
tail -1 "$D/convert.log"
"$RKSIM" check "$D/det.rknn" --soc rk3566 > "$D/check.txt" && grep -q " 0 violations" "$D/check.txt" \
  || { echo "FAIL check"; tail -3 "$D/check.txt"; exit 1; }
e2e_det_compare "$D/det.rknn" int8
cat "$D/summary_int8.txt"
e2e_cos_at_least "$COS" 0.99 "PP-OCRv4 det int8 rk3566"
