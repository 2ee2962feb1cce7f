#!/usr/bin/python3
"""gen_convert_models.py - small ONNX graphs for the `rksim convert` tests.

Usage: /usr/bin/python3 tests/gen_convert_models.py OUTDIR

Writes OUTDIR/<case>.onnx and OUTDIR/<case>_input.h5 (dataset named like the
model input, float32 [1,C,H,W]) for
  - the conv sweep (kernel 1/3/5/7, stride 1/2, group 1 / depthwise, channel
    counts that are not multiples of 16, odd spatial sizes), in an int8
    variant (bias, BatchNormalization and Relu to exercise folding/fusion)
    and an fp16 variant (no bias/activation: the simulator does not run a
    float DPU BS/BN stage yet, sim/SEMANTICS.md D-FP);
  - residual: conv -> relu, conv, Add, Relu (DPU elementwise through ERDMA);
  - pools: conv, MaxPool 3x3 s2 p1, AveragePool 2x2 s2, GlobalAveragePool;
  - chain_int8 / chain_fp16: conv s2 -> (relu) -> depthwise -> (Clip 0..6) ->
    1x1 -> MaxPool -> 3x3 head: multi-surface intermediates feeding convs;
  - cbuf_tiles: a 64-channel 96x96 3x3 conv whose input does not fit the
    CBUF (row tiling);
  - ch_tiles: 3x3 conv 160 -> 300 channels whose weights exceed the CBUF
    (output-channel tiling, a partial last group of 76 kernels);
  - dfl_wide: a YOLOv8-DFL-like 1x1 conv over 1x16x4x8400 (column tiling;
    REGTASK error under --no-tiling);
  - wide3x3: a padded 3x3 stride-2 conv over width 4501 (column tiles with
    halo and left/right padding only on the outer tiles);
  - unsupported: Conv -> Softmax, Sigmoid (the one-error-lists-all check).
Weights come from numpy's default_rng(seed) so the files are reproducible.
"""
import os
import sys

import h5py
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SWEEP = [  # name, C, K, H, W, k, stride, pad, depthwise
    ('k1s1', 5, 7, 9, 11, 1, 1, 0, False),
    ('k3s1', 3, 20, 13, 9, 3, 1, 1, False),
    ('k3s2', 19, 33, 15, 17, 3, 2, 1, False),
    ('k1s2', 24, 10, 11, 7, 1, 2, 0, False),
    ('k3s1p0', 17, 9, 7, 7, 3, 1, 0, False),
    ('dw3s1', 21, 21, 9, 13, 3, 1, 1, True),
    ('dw3s2', 40, 40, 17, 11, 3, 2, 1, True),
    ('k5s1', 6, 12, 13, 11, 5, 1, 2, False),
    ('k7s2', 3, 17, 23, 19, 7, 2, 3, False),
    ('dw5s1', 18, 18, 11, 9, 5, 1, 2, True),
]


def save(outdir, name, nodes, inits, inp, out, rng, lo=-1.0, hi=1.0):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info('input', TensorProto.FLOAT, list(inp))],
        [helper.make_tensor_value_info(out[0], TensorProto.FLOAT, ['n', 'c', 'h', 'w'])],
        [numpy_helper.from_array(v.astype(np.float32), k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)],
                              producer_name='rksim gen_convert_models.py')
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(outdir, name + '.onnx'))
    x = rng.uniform(lo, hi, size=inp).astype(np.float32)
    with h5py.File(os.path.join(outdir, name + '_input.h5'), 'w') as f:
        f.create_dataset('input', data=x)


def conv_node(name, x, y, c, k, ks, s, p, dw, rng, inits, bias=True):
    w = rng.standard_normal((k, 1 if dw else c, ks, ks)) * (1.0 / np.sqrt(ks * ks * (1 if dw else c)))
    inits[name + '.w'] = w
    ins = [x, name + '.w']
    if bias:
        inits[name + '.b'] = rng.standard_normal(k) * 0.1
        ins.append(name + '.b')
    return helper.make_node('Conv', ins, [y], name=name, kernel_shape=[ks, ks], strides=[s, s],
                            pads=[p] * 4, group=c if dw else 1)


def sweep(outdir, rng):
    for name, c, k, h, w, ks, s, p, dw in SWEEP:
        inits = {}
        nodes = [conv_node('conv', 'input', 'c0', c, k, ks, s, p, dw, rng, inits)]
        inits['bn.g'] = rng.uniform(0.5, 1.5, k)
        inits['bn.b'] = rng.standard_normal(k) * 0.1
        inits['bn.m'] = rng.standard_normal(k) * 0.1
        inits['bn.v'] = rng.uniform(0.5, 1.5, k)
        nodes.append(helper.make_node('BatchNormalization', ['c0', 'bn.g', 'bn.b', 'bn.m', 'bn.v'], ['b0'], name='bn'))
        nodes.append(helper.make_node('Relu', ['b0'], ['output'], name='relu'))
        save(outdir, 'sweep_int8_' + name, nodes, inits, (1, c, h, w), ['output'], rng)
        inits = {}
        nodes = [conv_node('conv', 'input', 'output', c, k, ks, s, p, dw, rng, inits, bias=False)]
        save(outdir, 'sweep_fp16_' + name, nodes, inits, (1, c, h, w), ['output'], rng)


def extras(outdir, rng):
    inits = {}
    nodes = [conv_node('conv1', 'input', 'a0', 12, 24, 3, 1, 1, False, rng, inits),
             helper.make_node('Relu', ['a0'], ['a1'], name='relu1'),
             conv_node('conv2', 'a1', 'b0', 24, 24, 1, 1, 0, False, rng, inits),
             conv_node('conv3', 'input', 'c0', 12, 24, 1, 1, 0, False, rng, inits),
             helper.make_node('Add', ['b0', 'c0'], ['s0'], name='add'),
             helper.make_node('Relu', ['s0'], ['output'], name='relu2')]
    save(outdir, 'residual', nodes, inits, (1, 12, 11, 13), ['output'], rng)

    inits = {}
    nodes = [conv_node('conv', 'input', 'a0', 6, 20, 3, 1, 1, False, rng, inits),
             helper.make_node('MaxPool', ['a0'], ['p0'], name='maxpool', kernel_shape=[3, 3], strides=[2, 2],
                              pads=[1, 1, 1, 1]),
             helper.make_node('AveragePool', ['p0'], ['p1'], name='avgpool', kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node('GlobalAveragePool', ['p1'], ['output'], name='gap')]
    save(outdir, 'pools', nodes, inits, (1, 6, 19, 21), ['output'], rng)

    inits = {}
    nodes = [conv_node('conv1', 'input', 'a0', 3, 20, 3, 2, 1, False, rng, inits),
             helper.make_node('Relu', ['a0'], ['a1'], name='relu1'),
             conv_node('dw', 'a1', 'b0', 20, 20, 3, 1, 1, True, rng, inits),
             helper.make_node('Clip', ['b0', 'clip.lo', 'clip.hi'], ['b1'], name='relu6'),
             conv_node('pw', 'b1', 'c0', 20, 37, 1, 1, 0, False, rng, inits),
             helper.make_node('MaxPool', ['c0'], ['d0'], name='pool', kernel_shape=[2, 2], strides=[2, 2]),
             conv_node('head', 'd0', 'output', 37, 5, 3, 1, 1, False, rng, inits)]
    inits['clip.lo'] = np.array(0.0)
    inits['clip.hi'] = np.array(6.0)
    save(outdir, 'chain_int8', nodes, inits, (1, 3, 33, 29), ['output'], rng, 0.0, 6.0)

    inits = {}
    nodes = [conv_node('conv1', 'input', 'a0', 3, 20, 3, 2, 1, False, rng, inits, bias=False),
             conv_node('dw', 'a0', 'b0', 20, 20, 3, 1, 1, True, rng, inits, bias=False),
             helper.make_node('MaxPool', ['b0'], ['c0'], name='pool', kernel_shape=[3, 3], strides=[2, 2],
                              pads=[1, 1, 1, 1]),
             conv_node('head', 'c0', 'output', 20, 9, 1, 1, 0, False, rng, inits, bias=False)]
    save(outdir, 'chain_fp16', nodes, inits, (1, 3, 33, 29), ['output'], rng)

    inits = {}
    nodes = [conv_node('conv', 'input', 'a0', 64, 32, 3, 1, 1, False, rng, inits),
             helper.make_node('Relu', ['a0'], ['output'], name='relu')]
    save(outdir, 'cbuf_tiles', nodes, inits, (1, 64, 96, 96), ['output'], rng)

    inits = {}
    nodes = [conv_node('conv', 'input', 'a0', 160, 300, 3, 1, 1, False, rng, inits),
             helper.make_node('Relu', ['a0'], ['output'], name='relu')]
    save(outdir, 'ch_tiles', nodes, inits, (1, 160, 9, 11), ['output'], rng)

    inits = {'dfl.w': np.arange(16, dtype=np.float32).reshape(1, 16, 1, 1) / 16.0}
    nodes = [helper.make_node('Conv', ['input', 'dfl.w'], ['output'], name='dfl_conv', kernel_shape=[1, 1])]
    save(outdir, 'dfl_wide', nodes, inits, (1, 16, 4, 8400), ['output'], rng, 0.0, 1.0)

    inits = {}
    nodes = [conv_node('conv', 'input', 'output', 8, 6, 3, 2, 1, False, rng, inits)]
    save(outdir, 'wide3x3', nodes, inits, (1, 8, 7, 4501), ['output'], rng)

    inits = {}
    nodes = [conv_node('conv', 'input', 'a0', 3, 8, 3, 1, 1, False, rng, inits),
             helper.make_node('Softmax', ['a0'], ['a1'], name='softmax', axis=1),
             helper.make_node('Sigmoid', ['a1'], ['output'], name='sigmoid')]
    save(outdir, 'unsupported', nodes, inits, (1, 3, 8, 8), ['output'], rng)


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(8)
    sweep(outdir, rng)
    extras(outdir, rng)


if __name__ == '__main__':
    main()
