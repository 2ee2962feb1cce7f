#!/usr/bin/python3
"""make-calib.py - build an HDF5 calibration (or input) file for `rksim convert --calib`
/ `rksim run` / `rksim compare` from JPEG/PNG images.

rksim has no image decoder (no C dependency for one), so images are decoded here with
PIL and normalised exactly as the model's own preprocessing does:
    x = (pixel / 255 - mean) / std      per channel, RGB order (or BGR with --bgr)
then resized to H x W (bilinear) and written as one float32 dataset [S, 3, H, W] named
after the model input (rk_tensorio's HDF5 convention).

Defaults are PaddleOCR det's (ppocr/data/imaug/operators.py NormalizeImage:
mean 0.485,0.456,0.406, std 0.229,0.224,0.225, scale 1/255, RGB).

usage: make-calib.py (DIR | IMAGE...) -o OUT.h5 [--name x] [--size 480x480]
                     [--mean 0.485,0.456,0.406] [--std 0.229,0.224,0.225] [--bgr] [--max N]
"""
import argparse
import os
import sys

import h5py
import numpy as np
from PIL import Image

EXTS = ('.jpg', '.jpeg', '.png', '.bmp')


def floats(s):
    v = [float(x) for x in s.split(',')]
    if len(v) != 3:
        raise argparse.ArgumentTypeError('need 3 comma-separated values')
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('sources', nargs='+', help='image files or folders of images')
    ap.add_argument('-o', '--output', required=True)
    ap.add_argument('--name', default='x', help='dataset name = the ONNX input name (default x)')
    ap.add_argument('--size', default='480x480', help='HxW (default 480x480)')
    ap.add_argument('--mean', type=floats, default=[0.485, 0.456, 0.406])
    ap.add_argument('--std', type=floats, default=[0.229, 0.224, 0.225])
    ap.add_argument('--bgr', action='store_true', help='channel order BGR instead of RGB')
    ap.add_argument('--max', type=int, default=0, help='use at most N images (sorted by name)')
    a = ap.parse_args()
    try:
        h, w = (int(v) for v in a.size.lower().split('x'))
    except ValueError:
        sys.exit('make-calib.py: --size must be HxW, e.g. 480x480')
    files = []
    for s in a.sources:
        if os.path.isdir(s):
            files += sorted(os.path.join(s, f) for f in os.listdir(s) if f.lower().endswith(EXTS))
        else:
            files.append(s)
    if a.max > 0:
        files = files[:a.max]
    if not files:
        sys.exit('make-calib.py: no images found')
    mean = np.array(a.mean, np.float32).reshape(3, 1, 1)
    std = np.array(a.std, np.float32).reshape(3, 1, 1)
    out = np.empty((len(files), 3, h, w), np.float32)
    for i, f in enumerate(files):
        try:
            img = Image.open(f).convert('RGB').resize((w, h), Image.BILINEAR)
        except OSError as err:
            sys.exit('make-calib.py: %s: %s' % (f, err))
        x = np.asarray(img, np.float32).transpose(2, 0, 1) / 255.0
        if a.bgr:
            x = x[::-1]
        out[i] = (x - mean) / std
    with h5py.File(a.output, 'w') as hf:
        hf.create_dataset(a.name, data=out)
    print('wrote %s: %s [%d,3,%d,%d] from %d image(s)' % (a.output, a.name, len(files), h, w, len(files)))


if __name__ == '__main__':
    main()
