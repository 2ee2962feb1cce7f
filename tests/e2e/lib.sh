# lib.sh - shared preamble of the PP-OCRv4 det e2e scripts, sourced (not a test:
# tests/CMakeLists.txt leaves it out of the e2e glob).
#
#   . "$(dirname "$0")/lib.sh"
#   e2e_ppocr_det_setup NAME      checks RKSIM/RKSIM_SRC/RKSIM_BUILD, sets PY, SH, MODEL
#                                 (ch_PP-OCRv4_det_infer.onnx), IMG (the ppocr image folder)
#                                 and a fresh work dir D=$RKSIM_BUILD/NAME; exits 77 when
#                                 ../shared's PP-OCR data or python PIL/h5py/numpy is missing
#   e2e_det_test_input            $D/det_test.h5 = det_test.jpg through scripts/make-calib.py
#   e2e_det_calib_h5              $D/calib.h5 = every ppocr .jpg except det_test.jpg (make-calib.py)
#   e2e_det_compare RKNN TAG      rksim compare MODEL RKNN $D/det_test.h5 --no-single, report in
#                                 $D/compare_TAG.txt, summary in $D/summary_TAG.txt; sets COS to
#                                 the final output's cosine (exits 1 when compare fails or
#                                 prints none)
#   e2e_cos_at_least COS MIN TEXT prints "ok   TEXT: output cosine COS (>= MIN)" and returns 0,
#                                 or the FAIL line and returns 1
set -u
: "${RKSIM:?}" "${RKSIM_SRC:?}" "${RKSIM_BUILD:?}"
PY=${PYTHON:-/usr/bin/python3}
SH=${RKSIM_SHARED:-}

e2e_ppocr_det_setup() {
  MODEL="$SH/datasets/ppocr/ch_PP-OCRv4_det_infer.onnx"
  IMG="$SH/datasets/images/ppocr"
  [ -n "$SH" ] && [ -f "$MODEL" ] && [ -f "$IMG/det_test.jpg" ] || { echo "skip: ../shared PP-OCR data missing"; exit 77; }
  $PY -c 'import PIL, h5py, numpy' 2>/dev/null || { echo "skip: python PIL/h5py/numpy missing"; exit 77; }
  D="$RKSIM_BUILD/$1"
  rm -rf "$D"; mkdir -p "$D"
}

e2e_det_test_input() {
  $PY "$RKSIM_SRC/scripts/make-calib.py" "$IMG/det_test.jpg" -o "$D/det_test.h5" > /dev/null \
    || { echo "FAIL make-calib det_test.jpg"; exit 1; }
}

e2e_det_calib_h5() {
  local calib=() f
  for f in "$IMG"/*.jpg; do [ "$(basename "$f")" = det_test.jpg ] || calib+=("$f"); done
  $PY "$RKSIM_SRC/scripts/make-calib.py" "${calib[@]}" -o "$D/calib.h5" > /dev/null \
    || { echo "FAIL make-calib (calibration images)"; exit 1; }
}

e2e_det_compare() {
  "$RKSIM" compare "$MODEL" "$1" "$D/det_test.h5" --no-single -o "$D/compare_$2.txt" > "$D/summary_$2.txt" 2>&1 \
    || { echo "FAIL compare ($2)"; cat "$D/summary_$2.txt"; exit 1; }
  COS=$(sed -n "s/.*output 'sigmoid_0.tmp_0' cosine \([0-9.]*\).*/\1/p" "$D/summary_$2.txt")
  [ -n "$COS" ] || { echo "FAIL: no output cosine in the summary ($2)"; cat "$D/summary_$2.txt"; exit 1; }
}

e2e_cos_at_least() {
  if $PY -c "import sys; sys.exit(0 if float('$1') >= $2 else 1)"; then
    echo "ok   $3: output cosine $1 (>= $2)"
  else
    echo "FAIL $3: output cosine $1 (< $2)"; return 1
  fi
}
