#!/usr/bin/python3
"""gen_sim_cases.py - golden data for tests/test_sim_units.c.

Writes tests/data/sim_cases.h5: for every case, random operands (fixed
seeds) and the expected NPU result computed here in numpy, independently of
rksim's C code, from the rules in sim/SEMANTICS.md:

  int8 conv:  acc = sum_{c,ky,kx} w * x_pad                  (pad cells = pad value)
              v   = acc + cpend[k] * sum_window(x_pad)       (BS CPEND/OW, if used)
              v   = v + alu[k]                               (BS ALU add, if used)
              v   = rshift(v * mul[k], s_pos if v*mul >= 0 else s_neg, half up)
              v   = max(v, 0) if relu                        (BN ReLU)
              y   = sat8(rshift(v * scale, shift, CVT_ROUND) + offset)
  fp16 conv:  y = fp16(sum w * x) (fp32 accumulation on the NPU: compared
              with a 1-ulp tolerance by the test)
  EW (DPU flying mode): a' = rshift((a + a_alu) * a_mul, a_shift, half up),
              b' = rshift((b + b_off) * b_scale, b_shift, EW_CVT_ROUND),
              v = a' + b'  or  rshift(a' * b', truncate, half up); y = OUT_CVT(v)
  LUT (DPU flying mode, EW operand bypassed; SEMANTICS.md D-LUT, inferred):
              v = rshift((a + a_alu) * a_mul, a_shift, half up)
              per table T (LE, LO): under if v < start, over if v > end, else
                inside: i = (v - start) >> sel, f = low sel bits,
                        T[i] + rshift((T[i+1] - T[i]) * f, sel, half up)
              under: T[0]   + rshift((v - start) * uflow_scale, uflow_shift, half up)
              over:  T[n-1] + rshift((v - end) * oflow_scale, oflow_shift, half up)
              choice: inside exactly one -> it; inside both -> hybrid priority;
              under both -> uflow priority; over both -> oflow priority;
              under one and over the other -> hybrid priority (1 = LO).
              y = OUT_CVT(lut(v))
  pooling:    max / min over the window (pad = pad value); average:
              rshift(rshift(sum * (2^16/kw), 16) * (2^16/kh), 16), half up.

rshift(p, s, half_up): floor(p / 2^s) rounded on the dropped bits: up when
they exceed one half, on a tie up (half_up) or to even (CVT_ROUND 0, TRM).

The case parameters here and in tests/test_sim_units.c must agree; the C
test checks every array's shape.  Run: /usr/bin/python3 tests/gen_sim_cases.py
"""
import os
import numpy as np
import h5py

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'data', 'sim_cases.h5')


def rshift(p, s, half_up):
    p = np.asarray(p, dtype=np.int64)
    if s == 0:
        return p
    q = p >> s
    r = p - (q << s)
    half = 1 << (s - 1)
    up = (r > half) | ((r == half) & (half_up | ((q & 1) == 1)))
    return q + up.astype(np.int64)


def pad(x, pt, pb, pl, pr, v):
    return np.pad(x, ((0, 0), (pt, pb), (pl, pr)), constant_values=v)


def conv_acc(x, w, sx, sy, dx, dy, pads, padv, depthwise):
    """x [C,H,W], w [K,C,kh,kw] (or [C,1,kh,kw] depthwise); int64/float64."""
    pt, pb, pl, pr = pads
    xp = pad(x, pt, pb, pl, pr, padv)
    kh, kw = w.shape[2], w.shape[3]
    oh = (xp.shape[1] - dy * (kh - 1) - 1) // sy + 1
    ow = (xp.shape[2] - dx * (kw - 1) - 1) // sx + 1
    k = x.shape[0] if depthwise else w.shape[0]
    acc = np.zeros((k, oh, ow), dtype=xp.dtype)
    xs = np.zeros((k if depthwise else 1, oh, ow), dtype=xp.dtype)
    for ky in range(kh):
        for kx in range(kw):
            patch = xp[:, ky * dy:ky * dy + sy * (oh - 1) + 1:sy, kx * dx:kx * dx + sx * (ow - 1) + 1:sx]
            if depthwise:
                acc += patch * w[:, 0, ky, kx][:, None, None]
                xs += patch
            else:
                acc += np.einsum('chw,kc->khw', patch, w[:, :, ky, kx])
                xs += patch.sum(0, keepdims=True)
    return acc, xs


CASES = {}


def int8_conv(name, seed, c, h, w, k, kh, kw, sx=1, sy=1, dx=1, dy=1, pads=(0, 0, 0, 0), padv=-128,
              depthwise=False, use=5, s_pos=14, s_neg=14, relu=False, scale=20000, shift=24, offset=-5,
              half_up=False):
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (c, h, w), dtype=np.int64)
    wt = rng.integers(-128, 128, ((c if depthwise else k), 1 if depthwise else c, kh, kw), dtype=np.int64)
    kk = c if depthwise else k
    alu = rng.integers(-40000, 40000, kk, dtype=np.int64)
    cpend = rng.integers(-8, 8, kk, dtype=np.int64)
    mul = rng.integers(12000, 20000, kk, dtype=np.int64)
    acc, xs = conv_acc(x, wt, sx, sy, dx, dy, pads, padv, depthwise)
    v = acc.copy()
    if use & 2:
        v = v + cpend[:, None, None] * xs
    if use & 1:
        v = v + alu[:, None, None]
    if use & 4:
        p = v * mul[:, None, None]
        v = np.where(p >= 0, rshift(p, s_pos, True), rshift(p, s_neg, True))
    if relu:
        v = np.maximum(v, 0)
    y = np.clip(rshift(v * scale, shift, half_up) + offset, -128, 127)
    CASES[name] = dict(x=x.astype(np.int8), w=wt.astype(np.int8), alu=alu.astype(np.int32),
                       cpend=cpend.astype(np.int16), mul=mul.astype(np.int16), y=y.astype(np.int8))


def fp16_conv(name, seed, c, h, w, k, kh, kw, sx=1, sy=1, dx=1, dy=1, pads=(0, 0, 0, 0), depthwise=False):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((c, h, w)).astype(np.float16)
    wt = (rng.standard_normal(((c if depthwise else k), 1 if depthwise else c, kh, kw)) * 0.3).astype(np.float16)
    acc, _ = conv_acc(x.astype(np.float64), wt.astype(np.float64), sx, sy, dx, dy, pads, 0.0, depthwise)
    CASES[name] = dict(x=x, w=wt, y=acc.astype(np.float16))


def f32_bits(a):
    return np.asarray(a, dtype=np.float32).view(np.int32)


def fp16_conv_dpu(name, seed, c, h, w, k, kh, kw, pads=(0, 0, 0, 0), use=1, relu=True, relux=None):
    """fp16 conv through the float DPU (SEMANTICS.md D-FPSTAGE/D-FPDATA):
    v = fp32(acc); v = v + bias[k] (fp32 bits in the BRDMA ALU slot);
    v = v * mul[k] (fp16 bits in the MUL slot, if use & 4); ReLU; ReLUx
    min(v, relux); y = fp16(v) rounded to nearest even.  acc is summed in
    float64 and rounded once to fp32 (the NPU's fp32 order is unknown: the
    test allows 1 fp16 ulp)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((c, h, w)).astype(np.float16)
    wt = (rng.standard_normal((k, c, kh, kw)) * 0.3).astype(np.float16)
    bias = (rng.standard_normal(k) * 0.7).astype(np.float32)
    mul = rng.uniform(0.5, 2.0, k).astype(np.float16)
    acc, _ = conv_acc(x.astype(np.float64), wt.astype(np.float64), 1, 1, 1, 1, pads, 0.0, False)
    v = acc.astype(np.float32)
    if use & 1:
        v = v + bias[:, None, None]
    if use & 4:
        v = v * mul.astype(np.float32)[:, None, None]
    if relu:
        v = np.maximum(v, np.float32(0))
    if relux is not None:
        v = np.minimum(v, np.float32(relux))
    CASES[name] = dict(x=x, w=wt, alu=f32_bits(bias), mul=mul.view(np.int16),
                       cpend=np.zeros(k, np.int16), y=v.astype(np.float16))


def fp16_ew_case(name, seed, c, h, w, a_alu, a_mul, algo, mul, relu=False):
    """fp16 DPU flying EW (SEMANTICS.md D-FPSTAGE/D-FPEW): a' = (a + a_alu) * a_mul
    in fp32 (a_alu fp32, a_mul an fp16 value), BN ReLU on a' if relu,
    v = a' op b (b fp16 from ERDMA), y = fp16(v) to nearest even.  Every step is one fp32 IEEE
    operation, so the expected bits are exact."""
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal((c, h, w)) * 2).astype(np.float16)
    b = (rng.standard_normal((c, h, w)) * 2).astype(np.float16)
    a2 = (a.astype(np.float32) + np.float32(a_alu)) * np.float32(np.float16(a_mul))
    if relu:  # BN ReLU (sim_asm_ew's relu): before the EW stage
        a2 = np.maximum(a2, np.float32(0))
    b2 = b.astype(np.float32)
    if mul:
        v = a2 * b2
    elif algo == 2:
        v = a2 + b2
    elif algo == 4:
        v = a2 - b2
    elif algo == 0:
        v = np.maximum(a2, b2)
    else:
        v = np.minimum(a2, b2)
    CASES[name] = dict(a=a, b=b, y=v.astype(np.float32).astype(np.float16))


def fp16_ew_chan_case(name, seed, c, h, w, algo):
    """fp16 flying EW with a per-channel fp32 operand from ERDMA
    (DATA_MODE 0, size code 3; SEMANTICS.md D-FPEW): BS/BN bypassed except the
    BS ALU add of 0 and MUL by 1.0, v = a op b[c] in fp32, y = fp16(v)."""
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal((c, h, w)) * 2).astype(np.float16)
    b = rng.standard_normal(c).astype(np.float32) * np.float32(1.3)
    a2 = a.astype(np.float32)
    bb = b[:, None, None]
    v = {2: a2 + bb, 4: a2 - bb, 0: np.maximum(a2, bb), 1: np.minimum(a2, bb)}[algo]
    CASES[name] = dict(a=a, b=b.astype(np.float32), y=v.astype(np.float32).astype(np.float16))


def ew_case(name, seed, c, h, w, a_alu, a_mul, a_shift, b_off, b_scale, b_shift, b_half_up, algo, mul,
            truncate, scale, shift, offset, half_up, relu=False):
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, (c, h, w), dtype=np.int64)
    b = rng.integers(-128, 128, (c, h, w), dtype=np.int64)
    a2 = rshift((a + a_alu) * a_mul, a_shift, True)
    b2 = rshift((b + b_off) * b_scale, b_shift, b_half_up)
    if mul:
        v = rshift(a2 * b2, truncate, True)
    elif algo == 2:
        v = a2 + b2
    elif algo == 4:
        v = a2 - b2
    elif algo == 0:
        v = np.maximum(a2, b2)
    else:
        v = np.minimum(a2, b2)
    if relu:
        v = np.maximum(v, 0)
    y = np.clip(rshift(v * scale, shift, half_up) + offset, -128, 127)
    CASES[name] = dict(a=a.astype(np.int8), b=b.astype(np.int8), y=y.astype(np.int8))


def lut_case(name, seed, c, h, w, a_mul, le, lo, prio, scale, shift, offset):
    """le/lo = dict(start, end, sel, n, uscale, ushift, oscale, oshift, f);
    table entries T[i] = round(f(start + i * 2^sel)), int16."""
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, (c, h, w), dtype=np.int64)
    a[0, 0, :4] = [-128, 127, 0, -1]   # both extremes and the tables' seam
    v = rshift(a * a_mul, 0, True)
    tabs = {}
    for key, t in (('le', le), ('lo', lo)):
        grid = t['start'] + np.arange(t['n'], dtype=np.int64) * (1 << t['sel'])
        tabs[key] = np.clip(np.round(t['f'](grid)), -32768, 32767).astype(np.int64)

    def where(t, x):
        return np.where(x < t['start'], -1, np.where(x > t['end'], 1, 0))

    def value(t, T, x):
        under = T[0] + rshift((x - t['start']) * t['uscale'], t['ushift'], True)
        over = T[-1] + rshift((x - t['end']) * t['oscale'], t['oshift'], True)
        off = np.clip(x - t['start'], 0, (t['n'] - 1) << t['sel'])
        i = off >> t['sel']
        f = off & ((1 << t['sel']) - 1)
        i1 = np.minimum(i + 1, t['n'] - 1)
        inside = T[i] + rshift((T[i1] - T[i]) * f, t['sel'], True)
        w = where(t, x)
        return np.where(w < 0, under, np.where(w > 0, over, inside))

    wl, wo = where(le, v), where(lo, v)
    hybrid_lo, oflow_lo, uflow_lo = prio
    use_lo = np.where((wl == 0) & (wo != 0), False,
             np.where((wo == 0) & (wl != 0), True,
             np.where((wl < 0) & (wo < 0), uflow_lo,
             np.where((wl > 0) & (wo > 0), oflow_lo, hybrid_lo))))
    r = np.where(use_lo, value(lo, tabs['lo'], v), value(le, tabs['le'], v))
    y = np.clip(rshift(r * scale, shift, False) + offset, -128, 127)
    CASES[name] = dict(a=a.astype(np.int8), le=tabs['le'].astype(np.int16), lo=tabs['lo'].astype(np.int16),
                       y=y.astype(np.int8))


def pool_case(name, seed, c, h, w, kh, kw, sy, sx, pads, method, padv):
    rng = np.random.default_rng(seed)
    x = rng.integers(-128, 128, (c, h, w), dtype=np.int64)
    pt, pb, pl, pr = pads
    xp = pad(x, pt, pb, pl, pr, padv)
    oh = (xp.shape[1] - kh) // sy + 1
    ow = (xp.shape[2] - kw) // sx + 1
    win = np.stack([xp[:, ky:ky + sy * (oh - 1) + 1:sy, kx:kx + sx * (ow - 1) + 1:sx]
                    for ky in range(kh) for kx in range(kw)])
    if method == 1:
        y = win.max(0)
    elif method == 2:
        y = win.min(0)
    else:
        s = win.sum(0)
        y = rshift(rshift(s * (65536 // kw), 16, True) * (65536 // kh), 16, True)
    CASES[name] = dict(x=x.astype(np.int8), y=np.clip(y, -128, 127).astype(np.int8))


def chain_case(name, seed):
    """conv 3x3 (pad 1, ReLU) -> conv 1x1: two tasks in one PC chain."""
    rng = np.random.default_rng(seed)
    c, h, w, k1, k2 = 8, 6, 7, 16, 8
    x = rng.integers(-128, 128, (c, h, w), dtype=np.int64)
    w1 = rng.integers(-128, 128, (k1, c, 3, 3), dtype=np.int64)
    w2 = rng.integers(-128, 128, (k2, k1, 1, 1), dtype=np.int64)
    a1 = rng.integers(-40000, 40000, k1, dtype=np.int64)
    a2 = rng.integers(-40000, 40000, k2, dtype=np.int64)
    m1 = rng.integers(12000, 20000, k1, dtype=np.int64)
    m2 = rng.integers(12000, 20000, k2, dtype=np.int64)
    acc, _ = conv_acc(x, w1, 1, 1, 1, 1, (1, 1, 1, 1), -128, False)
    v = rshift((acc + a1[:, None, None]) * m1[:, None, None], 14, True)
    v = np.maximum(v, 0)
    y1 = np.clip(rshift(v * 24000, 24, False) - 128, -128, 127)
    acc2, _ = conv_acc(y1, w2, 1, 1, 1, 1, (0, 0, 0, 0), -128, False)
    v2 = rshift((acc2 + a2[:, None, None]) * m2[:, None, None], 14, True)
    y2 = np.clip(rshift(v2 * 21000, 24, False) + 3, -128, 127)
    CASES[name] = dict(x=x.astype(np.int8), w1=w1.astype(np.int8), w2=w2.astype(np.int8),
                       alu1=a1.astype(np.int32), alu2=a2.astype(np.int32), mul1=m1.astype(np.int16),
                       mul2=m2.astype(np.int16), y1=y1.astype(np.int8), y=y2.astype(np.int8))


def main():
    # name, seed, C, H, W, K, kh, kw, ...  (mirrored in test_sim_units.c)
    int8_conv('i8_1x1', 1, 20, 5, 6, 24, 1, 1)
    int8_conv('i8_3x3_pad', 2, 8, 7, 6, 16, 3, 3, pads=(1, 1, 1, 1))
    int8_conv('i8_3x3_stride2', 3, 16, 9, 8, 8, 3, 3, sx=2, sy=2, pads=(1, 1, 1, 1))
    int8_conv('i8_3x3_dil2', 4, 8, 8, 9, 8, 3, 3, dx=2, dy=2, pads=(2, 2, 2, 2), padv=0)
    int8_conv('i8_dw3x3', 5, 24, 6, 7, 24, 3, 3, pads=(1, 1, 1, 1), depthwise=True, use=1)
    int8_conv('i8_cpend_relu', 6, 40, 6, 5, 8, 3, 3, pads=(1, 0, 1, 0), use=7, relu=True)
    int8_conv('rq_negshift_even', 7, 8, 4, 4, 8, 1, 1, use=5, s_pos=12, s_neg=16, scale=1, shift=3,
              offset=0, half_up=False)
    int8_conv('rq_negshift_up', 7, 8, 4, 4, 8, 1, 1, use=5, s_pos=12, s_neg=16, scale=1, shift=3,
              offset=0, half_up=True)
    fp16_conv('f16_1x1', 11, 12, 5, 6, 8, 1, 1)
    fp16_conv('f16_3x3_pad', 12, 8, 6, 5, 8, 3, 3, pads=(1, 1, 1, 1))
    fp16_conv('f16_3x3_stride2', 13, 8, 9, 8, 16, 3, 3, sx=2, sy=2, pads=(1, 1, 1, 1))
    fp16_conv('f16_3x3_dil2', 14, 8, 8, 8, 8, 3, 3, dx=2, dy=2, pads=(2, 2, 2, 2))
    fp16_conv('f16_dw3x3', 15, 16, 6, 6, 16, 3, 3, pads=(1, 1, 1, 1), depthwise=True)
    ew_case('ew_add', 21, 20, 5, 6, a_alu=128, a_mul=16384, a_shift=0, b_off=17, b_scale=17176, b_shift=1,
            b_half_up=False, algo=2, mul=False, truncate=0, scale=31695, shift=29, offset=-128, half_up=False)
    ew_case('ew_mul', 22, 16, 4, 5, a_alu=3, a_mul=1, a_shift=0, b_off=-2, b_scale=1, b_shift=0,
            b_half_up=True, algo=0, mul=True, truncate=4, scale=3, shift=2, offset=1, half_up=True)
    # LUT cases (parameters mirrored in test_sim_units.c)
    tanh = lambda x: 16000 * np.tanh(x / 2600.0)
    lut_case('lut_tanh', 51, 16, 4, 5, a_mul=97,
             le=dict(start=-8192, end=0, sel=4, n=513, uscale=300, ushift=8, oscale=0, oshift=0, f=tanh),
             lo=dict(start=0, end=8192, sel=4, n=513, uscale=0, ushift=0, oscale=-200, oshift=7, f=tanh),
             prio=(True, True, False), scale=1, shift=8, offset=0)
    lut_case('lut_gap', 52, 16, 4, 5, a_mul=97,
             le=dict(start=-8192, end=-1024, sel=4, n=449, uscale=0, ushift=0, oscale=60, oshift=6, f=tanh),
             lo=dict(start=1024, end=8192, sel=3, n=897, uscale=-20, ushift=5, oscale=0, oshift=0,
                     f=lambda x: 12000 - 0.5 * x),
             prio=(False, False, True), scale=3, shift=9, offset=-5)
    # float DPU stages (parameters mirrored in test_sim_units.c)
    fp16_conv_dpu('f16_bias_relu', 16, 12, 6, 5, 8, 3, 3, pads=(1, 1, 1, 1), use=1, relu=True)
    fp16_conv_dpu('f16_bias_mul_relux', 17, 8, 5, 6, 16, 1, 1, use=5, relu=True, relux=0.75)
    fp16_ew_case('f16_ew_add', 61, 12, 5, 6, a_alu=0.25, a_mul=1.5, algo=2, mul=False)
    fp16_ew_case('f16_ew_mul_relu', 62, 16, 4, 5, a_alu=-0.5, a_mul=0.75, algo=0, mul=True, relu=True)
    fp16_ew_chan_case('f16_ew_chan_minus', 63, 12, 3, 7, algo=4)
    pool_case('pool_max3x3', 31, 20, 7, 8, 3, 3, 2, 2, (1, 1, 1, 1), 1, -128)
    pool_case('pool_avg2x2', 32, 16, 6, 6, 2, 2, 2, 2, (0, 0, 0, 0), 0, 0)
    pool_case('pool_avg3x3_pad', 33, 16, 5, 5, 3, 3, 1, 1, (1, 1, 1, 1), 0, 0)
    chain_case('chain2', 41)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with h5py.File(OUT, 'w') as f:
        for case, arrs in CASES.items():
            for k, v in arrs.items():
                f.create_dataset('%s.%s' % (case, k), data=v)
    print('wrote', OUT, len(CASES), 'cases')


if __name__ == '__main__':
    main()
