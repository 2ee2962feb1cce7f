#!/usr/bin/python3
"""pp-human-mask.py - compare rksim's pp_human_segv2 person mask with the
"segmentation map" panel of the vendor's result_truth.jpg, and (--float-check)
test whether ANY run of this .rknn's network could reproduce that panel.

Preprocessing is the example's (airockchip/rknn-toolkit2 rknn_custom_gpu_op_demo
model/convert/test.py): cv.imread -> BGR2RGB -> cv.resize(192x192) INTER_LINEAR
(emulated in float: half-pixel centres, 2x2 taps, no antialiasing), uint8 HWC;
the model normalises (x-127.5)/127.5 itself.

Mask extraction from the picture (1500x500, matplotlib figsize 15x5 at 100 dpi,
four subplots): the middle panel is the non-white block between x=530 and x=910
(320x319 px at (557,93)), the 192x192 label map drawn by imshow (person =
pascal colour (128,0,0), background black; edges blended by the renderer and
JPEG).  person := R > 64 and R > 2G + 20 (half of 128: a 50 % coverage rule).
Our 192x192 ArgMax is scaled to the panel with nearest neighbour.

--float-check (evidence for sim/SEMANTICS.md "pp_human_segv2 evidence"):
  1. per conv layer: the simulated output equals, per channel, an affine
     function of the exact integer convolution of the SIMULATED input with the
     file's int8 weights (plus the window-sum term of the weight zero point,
     plus the addend for ConvAdd) -- max residual in output quanta (rounding
     alone gives <= 0.5 + fit noise).  Pads are chosen by the fit.
  2. the same network re-run in float (no activation rounding or saturation,
     no input rounding; Resize = float bilinear half-pixel, Add/Concat float),
     with the per-channel affines from step 1 (channels that are clipped almost
     everywhere or span < 8 quanta get theirs from the file's per-channel
     MUL/CPEND/ALU words),
     and again with the weights jittered by U(-0.5, 0.5) LSB (= a float model
     whose round-to-nearest quantisation gives exactly this file).
     If the truth panel were a run of this network on this image, one of these
     would approach it.

usage: pp-human-mask.py [--rksim PATH] [--shared DIR] [--png OUT.png]
                        [--float-check] [--samples N] [--max-resid Q] [--min-self-iou F]
exit: 0 ok, 1 a --float-check threshold failed, 3 model not found
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

import h5py
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------- inputs

def cv_resize_linear(a, oh=192, ow=192):
    a = a.astype(np.float64)
    h, w, _ = a.shape

    def taps(n_in, n_out):
        f = np.clip((np.arange(n_out) + 0.5) * n_in / n_out - 0.5, 0, None)
        i0 = np.minimum(np.floor(f).astype(int), n_in - 1)
        return i0, np.minimum(i0 + 1, n_in - 1), f - np.floor(f)
    y0, y1, wy = taps(h, oh)
    x0, x1, wx = taps(w, ow)
    rows = a[y0] * (1 - wy)[:, None, None] + a[y1] * wy[:, None, None]
    r = rows[:, x0] * (1 - wx)[None, :, None] + rows[:, x1] * wx[None, :, None]
    return np.clip(np.round(r), 0, 255)


def truth_panel(path):
    """The 'segmentation map' panel: (person mask, (x0, y0)) at panel resolution."""
    im = np.asarray(Image.open(path).convert('RGB')).astype(int)
    sub = im[:, 530:910]
    nonwhite = sub.sum(2) < 600
    rows = np.where(nonwhite.mean(1) > 0.5)[0]
    cols = np.where(nonwhite.mean(0) > 0.5)[0]
    y0, y1, x0, x1 = rows.min(), rows.max() + 1, cols.min() + 530, cols.max() + 1 + 530
    p = im[y0:y1, x0:x1]
    return (p[:, :, 0] > 64) & (p[:, :, 0] > 2 * p[:, :, 1] + 20), (x0, y0)


def to_panel(mask192, shape):
    h, w = shape
    img = Image.fromarray(mask192.astype(np.uint8) * 255).resize((w, h), Image.NEAREST)
    return np.asarray(img) > 127


def iou(a, b):
    return (a & b).sum() / (a | b).sum()


# ------------------------------------------------- minimal .rknn reading
# Only what --float-check needs: tensor name/native_shape/shape/size/buffer
# (Graph[0] slot 0, Tensor slots 3/4/5/12/18) and Model[20] buffers
# (sim/rknn_schema.c has the full table).

class FB:
    def __init__(self, data):
        self.d = data

    def u32(self, p):
        return struct.unpack_from('<I', self.d, p)[0]

    def field(self, tbl, slot):
        vt = tbl - struct.unpack_from('<i', self.d, tbl)[0]
        vsize = struct.unpack_from('<H', self.d, vt)[0]
        if 4 + 2 * slot >= vsize:
            return None
        off = struct.unpack_from('<H', self.d, vt + 4 + 2 * slot)[0]
        return tbl + off if off else None

    def vec(self, tbl, slot):
        p = self.field(tbl, slot)
        if p is None:
            return None, 0
        v = p + self.u32(p)
        return v + 4, self.u32(v)

    def tables(self, tbl, slot):
        v, n = self.vec(tbl, slot)
        return [v + 4 * i + self.u32(v + 4 * i) for i in range(n)]

    def ints(self, tbl, slot):
        v, n = self.vec(tbl, slot)
        return list(struct.unpack_from('<%di' % n, self.d, v)) if v else []

    def str(self, tbl, slot):
        v, n = self.vec(tbl, slot)
        return self.d[v:v + n].decode() if v else ''

    def i32(self, tbl, slot):
        p = self.field(tbl, slot)
        return struct.unpack_from('<i', self.d, p)[0] if p is not None else 0


def read_consts(path):
    d = open(path, 'rb').read()
    # "RKNN" u32 0 | u64 version | u64 data_size | [40 zero bytes if version > 1]
    version = struct.unpack_from('<Q', d, 8)[0] & 0xff
    start = 24 + (40 if version > 1 else 0)
    fb = FB(d[start:])
    root = fb.u32(0)
    graph = fb.tables(root, 2)[0]
    bufs = []
    for b in fb.tables(root, 20):
        v, n = fb.vec(b, 0)
        bufs.append(fb.d[v:v + n] if v else b'')
    out = {}
    for t in fb.tables(graph, 0):
        name = fb.str(t, 5)
        bi = fb.i32(t, 18)
        size = fb.i32(t, 12)
        if 0 < bi < len(bufs) and len(bufs[bi]) >= size > 0:
            out[name] = (fb.ints(t, 3), fb.ints(t, 4), bufs[bi][:size])
    return out


# ------------------------------------------------------ --float-check

def weights_oihw(native, shape, raw):
    """C-WT layout [co1][ci1][kh][kw][co2][ci2]; native shapes listing several
    6-tuples describe partial last co/ci groups (240 = 7x32 + 16)."""
    co, ci, kh, kw = shape
    w8 = np.frombuffer(raw, np.int8)
    parts = [native[i:i + 6] for i in range(0, len(native), 6)]
    cog = [parts[0][4]] * parts[0][0]
    cig = [parts[0][5]] * parts[0][1]
    if len(parts) > 1:
        if parts[1][5] != parts[0][5]:
            cig.append(parts[1][5])
        if parts[-1][4] != parts[0][4]:
            cog.append(parts[-1][4])
    w = np.zeros((sum(cog), sum(cig), kh, kw))
    pos, o0 = 0, 0
    for a in cog:
        i0 = 0
        for b in cig:
            n = kh * kw * a * b
            w[o0:o0 + a, i0:i0 + b] = w8[pos:pos + n].reshape(kh, kw, a, b).transpose(2, 3, 0, 1)
            pos += n
            i0 += b
        o0 += a
    if pos != w8.size:
        raise SystemExit('weight size mismatch for native shape %s' % native)
    return w[:co, :ci]


def bs_words(raw, co):
    """D-BSDATA: groups of 8 channels [ALU i32 x8][CPEND i16 x8][MUL i16 x8]
    (the file pads the buffer to a multiple of 32 channels: 16 ch -> 256 B)."""
    ng = len(raw) // 64
    if len(raw) % 64 or ng * 8 < co:
        return None
    alu, cp, mu = [], [], []
    for g in range(ng):
        b = raw[g * 64:(g + 1) * 64]
        alu += list(np.frombuffer(b[:32], np.int32))
        cp += list(np.frombuffer(b[32:48], np.int16))
        mu += list(np.frombuffer(b[48:], np.int16))
    return np.array(alu[:co], float), np.array(cp[:co], float), np.array(mu[:co], float)


class Net:
    def __init__(self, info, consts, layers):
        import torch
        self.torch = torch
        torch.set_num_threads(1)
        self.nodes = info['nodes']
        self.ts = {t['name']: t for t in info['tensors']}
        self.consts = consts
        self.L = layers
        self.coef, self.pads, self.wcache = {}, {}, {}

    def q(self, name):
        t = self.ts[name]['quant']
        return t['scale'][0], t['zero_point'][0]

    def sim(self, name):
        """simulated tensor as (q - zp) integers"""
        s, z = self.q(name)
        return np.round(self.L[name.replace('/', '%2F')][...].astype(np.float64) / s)

    def weights(self, name):
        if name not in self.wcache:
            native, shape, raw = self.consts[name]
            self.wcache[name] = weights_oihw(native, shape, raw)
        return self.wcache[name]

    def conv_terms(self, nd, xq, pads, stride, jitter=None):
        F = self.torch.nn.functional
        w = self.weights(nd['inputs'][1])
        if jitter is not None:
            w = w + jitter.uniform(-0.5, 0.5, w.shape)
        x = F.pad(self.torch.tensor(xq), (pads[1], pads[3], pads[0], pads[2]))
        acc = F.conv2d(x, self.torch.tensor(w), stride=stride).numpy()[0]
        ones = self.torch.ones((1,) + w.shape[1:], dtype=self.torch.float64)
        xs = F.conv2d(x, ones, stride=stride).numpy()[0]
        return acc, xs

    def fit_layer(self, nd):
        """Per-channel least squares on the simulator's own run; returns the
        max residual in output quanta over unsaturated outputs."""
        xn, on = nd['inputs'][0], nd['outputs'][0]
        xq, yq = self.sim(xn), self.sim(on)[0]
        _, z = self.q(on)
        ih, oh = xq.shape[2], yq.shape[1]
        kh = self.weights(nd['inputs'][1]).shape[2]
        stride = max(1, round(ih / oh))
        add = self.sim(nd['inputs'][3])[0] if len(nd['inputs']) > 3 and nd['type'].startswith('ConvAdd') else None
        best = None
        cands = {(kh // 2,) * 4, (0, 0, kh // 2, kh // 2), (0, 0, kh - 1, kh - 1)} if kh > 1 else {(0, 0, 0, 0)}
        for pads in cands:
            acc, xs = self.conv_terms(nd, xq, pads, stride)
            if acc.shape[1:] != yq.shape[1:]:
                continue
            coefs, worst = [], 0.0
            for c in range(acc.shape[0]):
                cols = [acc[c].ravel(), xs[0].ravel()] + ([add[c].ravel()] if add is not None else [])
                A = np.stack(cols + [np.ones(acc[c].size)], 1)
                t = yq[c].ravel()
                ok = (t + z > -128) & (t + z < 127)
                if ok.sum() < 8 or np.ptp(t[ok]) < 8:  # too little signal to fit
                    coefs.append(None)
                    continue
                k = np.linalg.lstsq(A[ok], t[ok], rcond=None)[0]
                coefs.append(k)
                worst = max(worst, np.abs(A[ok] @ k - t[ok]).max())
            if best is None or worst < best[0]:
                best = (worst, pads, coefs)
        worst, pads, coefs = best
        self.pads[nd['name']] = (pads, stride)
        self.coef[nd['name']] = coefs
        self.fill_dead(nd, coefs)
        return worst

    def fill_dead(self, nd, coefs):
        """Channels saturated almost everywhere (or spanning < 8 quanta): scale
        from the file's MUL word relative to the fitted channels, the CPEND word
        for the zero-point term, bias from a layer-wide model of the ALU word."""
        dead = [c for c, k in enumerate(coefs) if k is None]
        if not dead:
            return
        good = [c for c, k in enumerate(coefs) if k is not None]
        words = bs_words(self.consts[nd['inputs'][2]][2], len(coefs)) if len(nd['inputs']) > 2 else None
        if words is None or len(good) < 4:
            for c in dead:
                coefs[c] = np.zeros(len(coefs[good[0]]) if good else 3)
            return
        alu, cp, mu = words
        sumw = self.weights(nd['inputs'][1]).reshape(len(coefs), -1).sum(1)
        a = np.array([coefs[c][0] for c in good])
        K = np.mean(a / mu[good])
        B = np.stack([a * alu[good], a * sumw[good], a * cp[good], np.ones(len(good))], 1)
        kb = np.linalg.lstsq(B, np.array([coefs[c][-1] for c in good]), rcond=None)[0]
        n_add = len(coefs[good[0]]) - 3
        for c in dead:
            ac = K * mu[c]
            bc = kb @ np.array([ac * alu[c], ac * sumw[c], ac * cp[c], 1.0])
            coefs[c] = np.array([ac, ac * cp[c]] + [np.mean([coefs[g][2] for g in good])] * n_add + [bc])

    def run_float(self, x, jitter=None):
        """Real-valued propagation; returns the 2x192x192 logits."""
        F = self.torch.nn.functional
        V = {'x': x}
        for nd in self.nodes:
            t, name = nd['type'], nd['name']
            if t in ('InputOperator', 'OutputOperator', 'Reshape'):
                continue
            if t == 'ArgMax':
                return V[nd['inputs'][0]][0]
            on = nd['outputs'][0]
            if t.startswith('Conv'):
                xn = nd['inputs'][0]
                pads, stride = self.pads[name]
                acc, xs = self.conv_terms(nd, V[xn] / self.q(xn)[0], pads, stride, jitter)
                add = V[nd['inputs'][3]][0] / self.q(nd['inputs'][3])[0] if len(nd['inputs']) > 3 else None
                y = np.empty_like(acc)
                for c, k in enumerate(self.coef[name]):
                    y[c] = k[0] * acc[c] + k[1] * xs[0] + k[-1] + (k[2] * add[c] if add is not None else 0)
                y = y[None] * self.q(on)[0]
                V[on] = np.maximum(y, 0) if 'Relu' in t else y
            elif t == 'Resize':
                oh, ow = self.ts[on]['shape'][2:]
                V[on] = F.interpolate(self.torch.tensor(V[nd['inputs'][0]]), size=(oh, ow),
                                      mode='bilinear', align_corners=False).numpy()
            elif t in ('Add', 'AddRelu'):
                y = V[nd['inputs'][0]] + V[nd['inputs'][1]]
                V[on] = np.maximum(y, 0) if t == 'AddRelu' else y
            elif t == 'Concat':
                V[on] = np.concatenate([V[i] for i in nd['inputs']], 1)
            else:
                raise SystemExit('float-check: unhandled op %s (%s)' % (t, name))
        raise SystemExit('float-check: no ArgMax node')


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--rksim', default=os.path.join(HERE, '..', 'build', 'sim', 'rksim'))
    ap.add_argument('--shared', default=os.path.join(HERE, '..', '..', 'shared'))
    ap.add_argument('--png', help='write truth | sim | difference (red truth only, blue sim only)')
    ap.add_argument('--float-check', action='store_true')
    ap.add_argument('--samples', type=int, default=4, help='weight-jitter samples for --float-check')
    ap.add_argument('--max-resid', type=float, default=1.0,
                    help='--float-check fails (exit 1) when a conv layer residual exceeds this (quanta)')
    ap.add_argument('--min-self-iou', type=float, default=0.95,
                    help='--float-check fails (exit 1) when a float re-run agrees less with rksim')
    a = ap.parse_args()
    d = os.path.join(a.shared, 'datasets', 'rknn-vendor', 'pp_human_segv2_custom_argmax')
    model = os.path.join(d, 'RK3588_pp_human_segv2_custom_argmax.rknn')
    if not os.path.exists(model):
        print('pp-human-mask: %s not found (--shared)' % model, file=sys.stderr)
        return 3
    img = cv_resize_linear(np.asarray(Image.open(os.path.join(d, 'test_image.jpg')).convert('RGB')))
    truth, (px, py) = truth_panel(os.path.join(d, 'result_truth.jpg'))
    with tempfile.TemporaryDirectory() as tmp:
        np.save(os.path.join(tmp, 'in.npy'), np.ascontiguousarray(img.astype(np.float32).transpose(2, 0, 1)[None]))
        subprocess.run([a.rksim, 'run', model, os.path.join(tmp, 'in.npy'), '-o', os.path.join(tmp, 'o.h5'),
                        '--dump-layers', os.path.join(tmp, 'l.h5'), '--quiet'], check=True)
        info = json.loads(subprocess.run([a.rksim, 'info', model, '--json'], check=True,
                                         capture_output=True, text=True).stdout)
        with h5py.File(os.path.join(tmp, 'o.h5')) as f:
            sim = f['argmax_0.tmp_0'][...][0] > 0.5
        pred = to_panel(sim, truth.shape)
        print('panel %dx%d at (%d,%d): truth person %.1f%%, rksim %.1f%%, IoU %.4f'
              % (truth.shape[1], truth.shape[0], px, py, 100 * truth.mean(), 100 * pred.mean(), iou(pred, truth)))
        if a.png:
            vis = np.zeros(truth.shape + (3,), np.uint8)
            vis[truth & pred] = 255
            vis[truth & ~pred] = (255, 0, 0)
            vis[pred & ~truth] = (0, 128, 255)
            t3 = np.repeat(truth[:, :, None] * 255, 3, 2).astype(np.uint8)
            p3 = np.repeat(pred[:, :, None] * 255, 3, 2).astype(np.uint8)
            Image.fromarray(np.concatenate([t3, p3, vis], 1)).save(a.png)
        if not a.float_check:
            return 0
        with h5py.File(os.path.join(tmp, 'l.h5')) as layers:
            net = Net(info, read_consts(model), layers)
            worst = []
            for nd in info['nodes']:
                if nd['type'].startswith('Conv'):
                    worst.append((net.fit_layer(nd), nd['name']))
            w = max(worst)
            print('per-layer: %d conv layers, simulated output = per-channel affine of the integer conv '
                  'of the simulated input with the file weights, max residual %.2f quantum (%s)'
                  % (len(worst), w[0], w[1]))
            # independence of the fitted scales: a[c] / MUL[c] should be one
            # constant per layer, a2[c] / a[c] the CPEND word (D-BSDATA, D-OW)
            dev, cpd = [], []
            for nd in info['nodes']:
                if not nd['type'].startswith('Conv'):
                    continue
                cs = net.coef[nd['name']]
                alu, cp, mu = bs_words(net.consts[nd['inputs'][2]][2], len(cs))
                k = np.array([c[:2] for c in cs])
                sel = mu > 1000
                r = k[sel, 0] / mu[sel]
                dev.append(np.abs(r / np.median(r) - 1).max())
                cpd.append(np.abs(k[sel, 1] / k[sel, 0] - cp[sel]).max())
            print('per-channel scales: a/MUL word constant per layer within %.2f %% (median layer; worst %.1f %%), '
                  'zero-point term / a = CPEND word within %.2f (median; worst %.2f)'
                  % (100 * np.median(dev), 100 * max(dev), np.median(cpd), max(cpd)))
            x = ((img - 127.5) / 127.5).transpose(2, 0, 1)[None]
            ok = w[0] <= a.max_resid
            runs = [('float activations', None)] + [('weights jittered, seed %d' % s, np.random.default_rng(s))
                                                    for s in range(a.samples)]
            for label, jit in runs:
                lg = net.run_float(x, jit)
                m = lg[1] - lg[0] > 0
                print('%-26s IoU vs truth %.4f, vs rksim %.4f' % (label, iou(to_panel(m, truth.shape), truth),
                                                                   iou(m, sim)))
                ok &= iou(m, sim) >= a.min_self_iou
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
