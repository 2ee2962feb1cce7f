#!/bin/bash
# convert_ppocr_rec_slow.sh - PP-OCRv4 rec (SVTR: real attention) converted to
# int8 for rk3588 with --input-shape x=1,3,48,320: the convs run on the NPU,
# everything else (Shape arithmetic folded at compile time; attention
# MatMul/Softmax, LayerNorm, Reshape/Transpose, ...) as float CPU nodes.
# Calibration: rec_test.png itself (the only text-line image in ../shared, so
# the calibration is optimistic), PaddleOCR rec normalisation (x/255-0.5)/0.5.
# Checks: final cosine >= 0.999 (0.99985 when written) and the CTC-decoded
# text (ppocr_keys_v1.txt) equal to the float model's.
set -u
: "${RKSIM:?}" "${RKSIM_SRC:?}" "${RKSIM_BUILD:?}"
PY=${PYTHON:-/usr/bin/python3}
SH=${RKSIM_SHARED:-}
MODEL="$SH/datasets/ppocr/ch_PP-OCRv4_rec_infer.onnx"
KEYS="$SH/datasets/ppocr/ppocr_keys_v1.txt"
IMG="$SH/datasets/images/ppocr/rec_test.png"
[ -n "$SH" ] && [ -f "$MODEL" ] && [ -f "$IMG" ] && [ -f "$KEYS" ] || { echo "skip: ../shared PP-OCR data missing"; exit 77; }
$PY -c 'import PIL, h5py, numpy' 2>/dev/null || { echo "skip: python PIL/h5py/numpy missing"; exit 77; }
D="$RKSIM_BUILD/convert_ppocr_rec"
rm -rf "$D"; mkdir -p "$D"
$PY "$RKSIM_SRC/scripts/make-calib.py" "$IMG" --size 48x320 --mean 0.5,0.5,0.5 --std 0.5,0.5,0.5 \
  -o "$D/rec.h5" > /dev/null || { echo "FAIL make-calib"; exit 1; }
"$RKSIM" convert "$MODEL" --soc rk3588 --dtype int8 --input-shape x=1,3,48,320 --calib "$D/rec.h5" \
  -o "$D/rec.rknn" 2> "$D/convert.log" || { echo "FAIL convert"; tail -5 "$D/convert.log"; exit 1; }
tail -1 "$D/convert.log"
"$RKSIM" compare "$MODEL" "$D/rec.rknn" "$D/rec.h5" --no-single -o "$D/compare.txt" > "$D/summary.txt" 2>&1 \
  || { echo "FAIL compare"; cat "$D/summary.txt"; exit 1; }
cat "$D/summary.txt"
"$RKSIM" run "$D/rec.rknn" "$D/rec.h5" -q -o "$D/sim.h5" || { echo "FAIL run"; exit 1; }
"$RKSIM" ref "$MODEL" "$D/rec.h5" -o "$D/ref.h5" > /dev/null || { echo "FAIL ref"; exit 1; }
cos=$(sed -n "s/.*output '[^']*' cosine \([0-9.]*\).*/\1/p" "$D/summary.txt")
$PY - "$D/sim.h5" "$D/ref.h5" "$KEYS" "$cos" <<'PYEOF'
import sys, h5py
sim, ref, keys_path, cos = sys.argv[1:5]
keys = ['<blank>'] + [l.rstrip('\n') for l in open(keys_path, encoding='utf-8')] + [' ']
def decode(path):
    h = h5py.File(path, 'r')
    idx = h[list(h.keys())[0]][()].argmax(-1).ravel()
    out, prev = [], -1
    for i in idx:
        if i != prev and i != 0:
            out.append(keys[i])
        prev = i
    return ''.join(out)
a, b = decode(sim), decode(ref)
ok = a == b and cos and float(cos) >= 0.999
print('%s  PP-OCRv4 rec int8 rk3588: cosine %s (>= 0.999), text sim %r float %r' % ('ok' if ok else 'FAIL', cos, a, b))
sys.exit(0 if ok else 1)
PYEOF
