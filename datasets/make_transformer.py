#!/usr/bin/python3
"""make_transformer.py - a small pre-norm transformer encoder block as ONNX,
with a dynamic sequence axis, for the dynamic-input-set tests (issue 8,
acceptance point 3; tests/e2e/convert_transformer_dynamic.sh).

    s = Conv1x1(x)                      token embedding (64 -> 64), an NPU op
    y = s + Wo * MHA(LN1(s))            MHA: 4 heads, d_model 64
    z = y + W2 * GELU(W1 * LN2(y))      MLP 64 -> 128 -> 64

Attention is written out as softmax(Q K^T / sqrt(d_head)) V: Debian's torch
(1.13) has no F.scaled_dot_product_attention, and the explicit form is what
that function computes (no mask, no dropout).

Usage: /usr/bin/python3 datasets/make_transformer.py OUT.onnx
           [--inputs OUTDIR --lengths 50,100,250,60] [--seed 0]
OUT.onnx: input 'x' [1, 64, seq, 1] float32 (seq symbolic), output 'y' the
same shape.  The tokens travel as NCHW (channels = d_model, the sequence
along H) because `rksim convert` takes 4-D NCHW inputs only
(convert/cv_graph.c add_inputs), and along H (not W) so that the 1x1 conv
has more than 4 rows and is lowered to the NPU; the block reshapes to
[1, seq, 64] after it.
--inputs writes OUTDIR/x_<len>.h5 (dataset 'x', N(0,1) float32
[1,64,len,1]) for each length (deterministic from --seed); --calib FILE
writes a calibration set (4 samples of the longest length, another seed).
"""
import argparse
import math
import os

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

D_MODEL, HEADS, D_MLP = 64, 4, 128


class EncoderBlock(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Conv2d(D_MODEL, D_MODEL, 1)
        self.ln1 = nn.LayerNorm(D_MODEL)
        self.qkv = nn.Linear(D_MODEL, 3 * D_MODEL)
        self.proj = nn.Linear(D_MODEL, D_MODEL)
        self.ln2 = nn.LayerNorm(D_MODEL)
        self.fc1 = nn.Linear(D_MODEL, D_MLP)
        self.fc2 = nn.Linear(D_MLP, D_MODEL)

    def attention(self, h):
        b, t, _ = h.shape
        dh = D_MODEL // HEADS
        q, k, v = self.qkv(h).split(D_MODEL, dim=-1)
        q = q.reshape(b, t, HEADS, dh).transpose(1, 2)  # [b, heads, t, dh]
        k = k.reshape(b, t, HEADS, dh).transpose(1, 2)
        v = v.reshape(b, t, HEADS, dh).transpose(1, 2)
        # softmax(Q K^T / sqrt(d)) V, written out (no SDPA in torch 1.13)
        a = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(dh), dim=-1)
        o = (a @ v).transpose(1, 2).reshape(b, t, D_MODEL)
        return self.proj(o)

    def forward(self, x):
        s = self.embed(x).flatten(2).transpose(1, 2)  # NCHW [1, 64, T, 1] -> tokens [1, T, 64]
        y = s + self.attention(self.ln1(s))
        z = y + self.fc2(F.gelu(self.fc1(self.ln2(y))))
        return z.transpose(1, 2).unsqueeze(3)  # back to [1, 64, T, 1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('--inputs', help='directory for x_<len>.h5 test inputs')
    ap.add_argument('--lengths', default='50,100,250,60')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--calib', help='write a calibration HDF5 here')
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    model = EncoderBlock().eval()
    x = torch.randn(1, D_MODEL, 50, 1)
    torch.onnx.export(model, (x,), a.out, input_names=['x'], output_names=['y'],
                      dynamic_axes={'x': {2: 'seq'}, 'y': {2: 'seq'}}, opset_version=13)
    if a.inputs:
        os.makedirs(a.inputs, exist_ok=True)
        rng = np.random.default_rng(a.seed)
        for n in [int(s) for s in a.lengths.split(',')]:
            with h5py.File(os.path.join(a.inputs, 'x_%d.h5' % n), 'w') as f:
                f['x'] = rng.standard_normal((1, D_MODEL, n, 1)).astype(np.float32)
    if a.calib:
        rng = np.random.default_rng(a.seed + 1000)
        n = max(int(s) for s in a.lengths.split(','))
        with h5py.File(a.calib, 'w') as f:
            f['x'] = rng.standard_normal((4, D_MODEL, n, 1)).astype(np.float32)


if __name__ == '__main__':
    main()
