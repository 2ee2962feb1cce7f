#!/usr/bin/python3
"""gen_calib_golden.py - golden data for tests/test_convert_calib.c, written into OUTDIR.

usage: gen_calib_golden.py OUTDIR

OUTDIR/kl_cases.txt   per case two lines:  NAME LO HI NBINS EXP_LO EXP_HI EXP_KL
                      and the NBINS histogram counts.  EXP_* come from the numpy
                      implementation below of TensorRT's entropy calibration (NVIDIA,
                      "8-bit Inference with TensorRT", GTC 2017: reference P = the clipped
                      window, candidate Q = the window merged into 256 levels and expanded over
                      its non-empty bins, least KL(P||Q), ties to the wider window), with the
                      rules convert/cv_quant.c documents: the bin holding 0 does not count
                      (as in NVIDIA's pytorch-quantization, PPQ, ncnn), windows span at least
                      half the histogram (as PaddleSlim's cal_kl_threshold) and are anchored
                      at the zero point for signed histograms.  Independent code: numpy
                      vector ops, not a port of the C loops.
OUTDIR/sample.png, sample_*.npy   a 37x23 RGB PNG and the float32 [1,3,H,W] tensor the
                      calibration loader must make from it: PIL resize BILINEAR then
                      (pixel - mean) / std per model channel, RGB or BGR (PIL + numpy).
"""
import math
import os
import sys

import numpy as np
from PIL import Image

LEVELS = 256


def kl_reference(hist, lo, hi):
    n = len(hist)
    w = (hi - lo) / n
    zb = min(max(math.floor(-lo / w + 0.5), 0), n)
    best, res = math.inf, (lo, hi)
    h = hist.astype(np.float64)
    if lo <= 0 <= hi:  # the bin an exact zero falls into carries no weight
        h[min(max(math.floor(-lo / w), 0), n - 1)] = 0
    for i in range(max(LEVELS, n // 2), n + 1):
        a = min(max(zb - math.floor(i * zb / n + 0.5), 0), n - i)
        win = h[a:a + i]
        p = win.copy()
        p[0] += h[:a].sum()
        p[-1] += h[a + i:].sum()
        grp = (np.arange(i) * LEVELS) // i
        tot = np.bincount(grp, weights=win, minlength=LEVELS)
        nz = np.bincount(grp, weights=(win > 0).astype(np.float64), minlength=LEVELS)
        q = np.where(win > 0, tot[grp] / np.maximum(nz[grp], 1), 0.0)
        if p.sum() <= 0 or q.sum() <= 0:
            continue
        p /= p.sum()
        q /= q.sum()
        m = p > 0
        if np.any(q[m] <= 0):
            continue
        kl = float(np.sum(p[m] * np.log(p[m] / q[m])))
        if kl <= best:
            best, res = kl, (lo + a * w, lo + (a + i) * w)
    return res, best


def hist_of(x, lo, hi, n=2048):
    return np.histogram(np.clip(x, lo, hi), bins=n, range=(lo, hi))[0].astype(np.uint32)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(8)
    cases = []
    g = rng.normal(0, 1, 200000)
    cases.append(('gauss', g, g.min(), g.max()))
    lap = rng.laplace(0, 1, 200000)
    cases.append(('laplace', lap, lap.min(), lap.max()))
    relu = np.maximum(rng.normal(0.5, 1, 200000), 0)
    relu[:20] = 40.0 + rng.random(20)  # a few far outliers
    cases.append(('relu_outliers', relu, 0.0, relu.max()))
    mixed = np.concatenate([rng.exponential(0.3, 150000), -rng.exponential(2.0, 50000)])
    cases.append(('asym_signed', mixed, mixed.min(), mixed.max()))
    neg = -np.abs(rng.standard_t(3, 100000))
    cases.append(('all_negative', neg, neg.min(), 0.0))
    sig = 1 / (1 + np.exp(-rng.normal(0, 3, 100000)))
    cases.append(('positive_offset', sig, sig.min(), sig.max()))
    masked = np.where(rng.random(200000) < 0.4, 0.0, rng.laplace(0.2, 1, 200000))  # signed, 40 % exact zeros
    cases.append(('signed_zero_spike', masked, masked.min(), masked.max()))
    with open(os.path.join(out, 'kl_cases.txt'), 'w') as f:
        for name, x, lo, hi in cases:
            hist = hist_of(x, lo, hi)
            (elo, ehi), kl = kl_reference(hist, float(lo), float(hi))
            f.write('%s %.17g %.17g %d %.17g %.17g %.17g\n' % (name, lo, hi, len(hist), elo, ehi, kl))
            f.write(' '.join(str(int(v)) for v in hist) + '\n')

    base = rng.integers(0, 256, (23, 37, 3)).astype(np.uint8)
    Image.fromarray(base).save(os.path.join(out, 'sample.png'))
    mean = np.array([123.675, 116.28, 103.53], np.float32).reshape(3, 1, 1)
    std = np.array([58.395, 57.12, 57.375], np.float32).reshape(3, 1, 1)
    for tag, (w, h), bgr in [('rgb', (16, 10), False), ('bgr', (50, 31), True)]:
        img = np.asarray(Image.open(os.path.join(out, 'sample.png')).convert('RGB').resize((w, h), Image.BILINEAR),
                         np.float32).transpose(2, 0, 1)
        if bgr:
            img = img[::-1]
        np.save(os.path.join(out, 'sample_%s.npy' % tag), ((img - mean) / std)[None].astype(np.float32))
    print('wrote %d KL cases and 2 sample cases to %s' % (len(cases), out))


if __name__ == '__main__':
    main()
