#!/bin/bash
# sim_pp_human_slow.sh - pp_human_segv2_custom_argmax RK3588 (1722 tasks;
# the single-core chain of 461 runs) on test_image.jpg.
#
# Preprocessing = the one that made result_truth.jpg: the example's
# model/convert/test.py (airockchip/rknn-toolkit2, rknn_custom_gpu_op_demo)
# reads the image with OpenCV, converts BGR->RGB and calls cv.resize to
# 192x192 (INTER_LINEAR: half-pixel centres, 2x2 taps, no antialiasing;
# emulated below in float, +-1 LSB of OpenCV's fixed point), float 0..255 in
# NCHW; the model normalises (x-127.5)/127.5 itself.
#
# Three checks:
#  1. Calibration agreement (independent source: the vendor's calibration
#     ranges stored in the .rknn, computed by the toolkit from the FLOAT model
#     on this same picture - relu_0 reaches its calibration max exactly only
#     with this preprocessing).  For every activation with a calibration range,
#     |max(sim) - calibration max| in output quanta; require relu_0 exact
#     (< 0.6 quantum) and at least 45 of the 98 tensors within 0.6 quantum
#     (measured 50; PIL's antialiased resize gives 25).
#  2. Mask IoU vs the "segmentation map" panel of result_truth.jpg: the
#     non-white block between x=530 and x=910 (320x319 px at (557,93)), the
#     192x192 label map drawn by matplotlib, person = red pixels (R > 64 and
#     R > 2G + 20; the threshold moves the IoU by < 0.015 between R > 32 and
#     R > 96); our 192x192 mask (ArgMax output > 0) is resized to that panel
#     with nearest neighbour.  Measured 0.751 (target 0.9, NOT met; guard
#     >= 0.74).  The gap is not in the simulator: check 3 re-runs this file's
#     own network in float (no activation or input rounding), also with every
#     weight jittered by up to +-8 LSB, and gets 0.69-0.80 against the truth
#     while agreeing 0.89-0.99 with rksim; no preprocessing variant (BGR,
#     PIL resizes, the truth picture's own input panel, 4 input rounding
#     rules) exceeds 0.80.  The truth was made by the toolkit's PC simulator
#     from an rk3576 build (test.py target_platform), not from this file
#     (SEMANTICS.md "pp_human_segv2 evidence").
#  3. scripts/pp-human-mask.py --float-check: every one of the 73 conv layers
#     equals, per channel, an affine function of the integer convolution of
#     its simulated input with the file's int8 weights (+ weight zero-point
#     window sum, + addend) within 1 output quantum (measured 0.88), and the
#     float re-run of the network agrees with rksim's mask (IoU >= 0.95,
#     measured 0.98).  Catches layout/tiling/padding/saturation regressions
#     in the conv path independently of unit_conv.c's own decoding.
set -euo pipefail
: "${RKSIM:?}" "${RKSIM_SRC:?}"
PY=${PYTHON:-/usr/bin/python3}
D="${RKSIM_SHARED:-$RKSIM_SRC/../shared}/datasets/rknn-vendor/pp_human_segv2_custom_argmax"
M="$D/RK3588_pp_human_segv2_custom_argmax.rknn"
[ -f "$D/result_truth.jpg" ] || { echo "skip: ../shared absent"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$PY" - "$D/test_image.jpg" "$T/in.npy" <<'PYEOF'
import sys, numpy as np
from PIL import Image
a = np.asarray(Image.open(sys.argv[1]).convert('RGB'), dtype=np.float64)
H, W, _ = a.shape; OH = OW = 192
def taps(n_in, n_out):
    f = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, None)
    i0 = np.minimum(np.floor(f).astype(int), n_in - 1)
    return i0, np.minimum(i0 + 1, n_in - 1), f - np.floor(f)
y0, y1, wy = taps(H, OH); x0, x1, wx = taps(W, OW)
rows = a[y0] * (1 - wy)[:, None, None] + a[y1] * wy[:, None, None]
r = rows[:, x0] * (1 - wx)[None, :, None] + rows[:, x1] * wx[None, :, None]
r = np.clip(np.round(r), 0, 255).astype(np.float32)
np.save(sys.argv[2], np.ascontiguousarray(r.transpose(2, 0, 1)[None]))
PYEOF
if ! "$RKSIM" run "$M" "$T/in.npy" -o "$T/out.h5" --dump-layers "$T/layers.h5" 2> "$T/err"; then
  cat "$T/err" >&2
  exit 1
fi
cat "$T/err"
"$RKSIM" info "$M" --json > "$T/info.json"
"$PY" - "$T/out.h5" "$D/result_truth.jpg" "$T/layers.h5" "$T/info.json" <<'PYEOF'
import sys, json, numpy as np, h5py
from PIL import Image
ok = True
# 1. calibration agreement
info = json.load(open(sys.argv[4])); L = h5py.File(sys.argv[3])
near = tot = 0; relu0 = None
for t in info['tensors']:
    q = t['quant']; k = t['name'].replace('/', '%2F')
    if not q or not q['max'] or t['name'] == 'x' or k not in L: continue
    d = abs(float(L[k][...].max()) - q['max'][0]) / q['scale'][0]
    tot += 1; near += d < 0.6
    if t['name'] == 'relu_0.tmp_0': relu0 = d
print('calibration: %d/%d tensors reach their calibration max within 0.6 quantum; relu_0 off by %.2f quanta'
      % (near, tot, relu0))
ok &= relu0 is not None and relu0 < 0.6 and near >= 45
# 2. mask IoU
m = h5py.File(sys.argv[1])['argmax_0.tmp_0'][...][0]
im = np.asarray(Image.open(sys.argv[2]).convert('RGB')).astype(int)
sub = im[:, 530:910]; nonwhite = sub.sum(2) < 600
rows = np.where(nonwhite.mean(1) > 0.5)[0]; cols = np.where(nonwhite.mean(0) > 0.5)[0]
y0, y1, x0, x1 = rows.min(), rows.max() + 1, cols.min() + 530, cols.max() + 1 + 530
panel = im[y0:y1, x0:x1]
truth = (panel[:, :, 0] > 64) & (panel[:, :, 0] > 2 * panel[:, :, 1] + 20)
H, W = truth.shape
pred = np.asarray(Image.fromarray((m > 0.5).astype(np.uint8) * 255).resize((W, H), Image.NEAREST)) > 127
iou = (pred & truth).sum() / (pred | truth).sum()
print('pp_human_segv2 RK3588: panel %dx%d at (%d,%d), truth person %.1f%%, sim %.1f%%, IoU %.4f (target 0.9)'
      % (W, H, x0, y0, 100 * truth.mean(), 100 * pred.mean(), iou))
ok &= iou >= 0.74
sys.exit(0 if ok else 1)
PYEOF
"$PY" "$RKSIM_SRC/scripts/pp-human-mask.py" --rksim "$RKSIM" \
  --shared "${RKSIM_SHARED:-$RKSIM_SRC/../shared}" --float-check --samples 1
