#!/usr/bin/python3
"""make_transformer.py - a small pre-norm transformer encoder block as ONNX,
with a dynamic sequence axis, for the dynamic-input-set tests (issue 8,
acceptance point 3; tests/e2e/convert_transformer_dynamic.sh).

    y = x + Wo * MHA(LN1(x))            MHA: 4 heads, d_model 64
    z = y + W2 * GELU(W1 * LN2(y))      MLP 64 -> 128 -> 64

Attention is softmax(Q K^T / sqrt(d_head)) V: torch's
F.scaled_dot_product_attention when this torch has it (>= 2.0), else written
out (Debian's torch 1.13 has no such function; the explicit form is what it
computes without mask and dropout).  Either way the ONNX graph holds MatMul,
Mul/Div by the scale and Softmax.

Usage: /usr/bin/python3 datasets/make_transformer.py OUT.onnx
           [--inputs OUTDIR --lengths 50,100,250,60] [--seed 0] [--calib FILE]
OUT.onnx: input 'x' [1, seq, 64] float32 (seq symbolic: the tokens as torch
gives them), output 'z' [1, seq, 64].
--inputs writes OUTDIR/x_<len>.h5 (dataset 'x', N(0,1) float32 [1,len,64])
for each length (deterministic from --seed); --calib FILE writes a
calibration set [4, longest, 64] (4 samples, another seed).
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
        sdpa = getattr(F, 'scaled_dot_product_attention', None)
        if sdpa is not None:
            o = sdpa(q, k, v)
        else:  # softmax(Q K^T / sqrt(d)) V, written out (torch < 2.0)
            o = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(dh), dim=-1) @ v
        return self.proj(o.transpose(1, 2).reshape(b, t, D_MODEL))

    def forward(self, x):  # x: [1, T, 64] tokens
        y = x + self.attention(self.ln1(x))
        return y + self.fc2(F.gelu(self.fc1(self.ln2(y))))


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
    x = torch.randn(1, 50, D_MODEL)
    torch.onnx.export(model, (x,), a.out, input_names=['x'], output_names=['z'],
                      dynamic_axes={'x': {1: 'seq'}, 'z': {1: 'seq'}}, opset_version=13)
    if a.inputs:
        os.makedirs(a.inputs, exist_ok=True)
        rng = np.random.default_rng(a.seed)
        for n in [int(s) for s in a.lengths.split(',')]:
            with h5py.File(os.path.join(a.inputs, 'x_%d.h5' % n), 'w') as f:
                f['x'] = rng.standard_normal((1, n, D_MODEL)).astype(np.float32)
    if a.calib:
        rng = np.random.default_rng(a.seed + 1000)
        n = max(int(s) for s in a.lengths.split(','))
        with h5py.File(a.calib, 'w') as f:
            f['x'] = rng.standard_normal((4, n, D_MODEL)).astype(np.float32)


if __name__ == '__main__':
    main()
