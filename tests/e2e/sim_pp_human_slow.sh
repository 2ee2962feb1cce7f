#!/bin/bash
# sim_pp_human_slow.sh - pp_human_segv2_custom_argmax RK3588 (1722 tasks;
# the single-core chain of 461 runs) on test_image.jpg resized to 192x192
# (PIL bilinear; the C demo uses stb_image_resize), RGB, float 0..255 in
# NCHW; the model normalises (x-127.5)/127.5 itself.
# Mask = ArgMax output > 0.  Truth = the "segmentation map" panel of
# result_truth.jpg: the non-white block between x=530 and x=910 (320x319 px
# at (557,93)), person = red pixels (R > 64 and R > 2G + 20); our 192x192
# mask is resized to that panel with nearest neighbour; IoU is printed.
# Acceptance target 0.9; this test guards against regressions (>= 0.75).
set -euo pipefail
: "${RKSIM:?}" "${RKSIM_SRC:?}"
PY=${PYTHON:-/usr/bin/python3}
D="${RKSIM_SHARED:-$RKSIM_SRC/../shared}/datasets/rknn-vendor/pp_human_segv2_custom_argmax"
[ -f "$D/result_truth.jpg" ] || { echo "skip: ../shared absent"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$PY" - "$D/test_image.jpg" "$T/in.npy" <<'PYEOF'
import sys, numpy as np
from PIL import Image
im = Image.open(sys.argv[1]).convert('RGB').resize((192, 192), Image.BILINEAR)
np.save(sys.argv[2], np.asarray(im, dtype=np.float32).transpose(2, 0, 1)[None])
PYEOF
if ! "$RKSIM" run "$D/RK3588_pp_human_segv2_custom_argmax.rknn" "$T/in.npy" -o "$T/out.h5" 2> "$T/err"; then
  cat "$T/err" >&2
  if grep -Eq 'from 0x0[0-9a-f]{7} \(outside every region\)' "$T/err"; then
    echo "BLOCKED by the relocation reader (sim/rknn.c reads half of Graph[7]); skipping"; exit 77
  fi
  exit 1
fi
cat "$T/err"
"$PY" - "$T/out.h5" "$D/result_truth.jpg" <<'PYEOF'
import sys, numpy as np, h5py
from PIL import Image
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
sys.exit(0 if iou >= 0.75 else 1)
PYEOF
