#!/usr/bin/python3
"""make_tiny.py - the tiny example model that needs nothing outside the repo.

Writes, into datasets/tiny/:
  tiny_conv.onnx     float model: Conv 3x3 (3 -> 8 channels, pad 1) + Relu
  input.h5           one input, dataset 'input', float32 [1,3,8,8] in [0,1)
  tiny_params.h5     the int8 quantisation of that model (weights, DPU
                     bias/scale data, output converter), read by the C
                     generator that assembles tiny_conv_rk3588.rknn
                     (tests/test_sim_tiny.c; see datasets/tiny/README.md)

The weights in the .onnx are exactly the dequantised int8 weights of the
.rknn (w = wq * ws[k], b = bq * s_in * ws[k]), so `rksim compare` sees only
activation quantisation error.

Quantisation (the scheme of the vendor files, sim/SEMANTICS.md D-* rules):
  input  q = round(x / s_in) + zp_in, s_in = 1/255, zp_in = -128; pad value = zp_in
  acc    = sum wq * q   (int32, CNA+CORE)
  BS     v = ((acc + alu[k]) * mul[k]) >> 14, alu = bq + 128 * sum(wq), mul = 2^14 ws[k]/max(ws)
  BN     ReLU
  OUT_CVT y = (v * scale) >> shift + zp_out, saturated to int8
Run: /usr/bin/python3 datasets/make_tiny.py
"""
import os
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper
import h5py

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'tiny')


def conv_ref(x, w, b):
    n, c, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    out = np.zeros((n, w.shape[0], h, wd))
    for ky in range(3):
        for kx in range(3):
            out += np.einsum('nchw,kc->nkhw', xp[:, :, ky:ky + h, kx:kx + wd], w[:, :, ky, kx])
    return out + b.reshape(1, -1, 1, 1)


def main():
    rng = np.random.default_rng(2026)
    os.makedirs(HERE, exist_ok=True)
    C, K, H, W = 3, 8, 8, 8
    x = rng.random((1, C, H, W)).astype(np.float32)
    w_f = rng.standard_normal((K, C, 3, 3)) * 0.3
    b_f = rng.standard_normal(K) * 0.1
    s_in, zp_in = 1.0 / 255.0, -128
    ws = np.abs(w_f).reshape(K, -1).max(1) / 127.0
    wq = np.clip(np.round(w_f / ws[:, None, None, None]), -127, 127).astype(np.int8)
    bq = np.round(b_f / (s_in * ws)).astype(np.int64)
    # the float model uses exactly the dequantised weights
    w = (wq.astype(np.float64) * ws[:, None, None, None]).astype(np.float32)
    b = (bq * s_in * ws).astype(np.float32)
    y = np.maximum(conv_ref(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64)), 0)
    s_out = float(y.max()) / 255.0
    zp_out = -128
    alu = bq + 128 * wq.astype(np.int64).reshape(K, -1).sum(1)
    ws_ref = ws.max()
    mul = np.round(16384 * ws / ws_ref).astype(np.int64)
    m = s_in * ws_ref / s_out
    shift = int(14 - np.floor(np.log2(m)))
    scale = int(np.round(m * 2 ** shift))
    assert 1 << 14 <= scale < 1 << 16 and 0 < shift < 64

    graph = helper.make_graph(
        [helper.make_node('Conv', ['input', 'conv.weight', 'conv.bias'], ['conv_out'],
                          kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
         helper.make_node('Relu', ['conv_out'], ['output'])],
        'tiny_conv',
        [helper.make_tensor_value_info('input', TensorProto.FLOAT, [1, C, H, W])],
        [helper.make_tensor_value_info('output', TensorProto.FLOAT, [1, K, H, W])],
        [numpy_helper.from_array(w, 'conv.weight'), numpy_helper.from_array(b, 'conv.bias')])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], producer_name='rksim make_tiny.py')
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, 'tiny_conv.onnx'))
    with h5py.File(os.path.join(HERE, 'input.h5'), 'w') as f:
        f.create_dataset('input', data=x)
    with h5py.File(os.path.join(HERE, 'tiny_params.h5'), 'w') as f:
        f.create_dataset('wq', data=wq)                                 # [K,C,3,3] int8, OIHW
        f.create_dataset('alu', data=alu.astype(np.int32))              # BS ALU (bias) per channel
        f.create_dataset('mul', data=mul.astype(np.int16))              # BS MUL per channel (>> 14)
        f.create_dataset('out_cvt', data=np.array([scale, shift, zp_out], dtype=np.int32))
        f.create_dataset('in_quant', data=np.array([s_in, zp_in], dtype=np.float32))
        f.create_dataset('out_quant', data=np.array([s_out, zp_out], dtype=np.float32))
    print('wrote', HERE, 'out_cvt scale', scale, 'shift', shift, 's_out', s_out)


if __name__ == '__main__':
    main()
