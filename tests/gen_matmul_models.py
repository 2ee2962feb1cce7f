#!/usr/bin/python3
"""gen_matmul_models.py - MatMul / Gemm graphs for tests/e2e/convert_matmul.sh.

Usage: /usr/bin/python3 tests/gen_matmul_models.py OUTDIR

Writes OUTDIR/<case>.onnx and OUTDIR/<case>_input.h5 (dataset 'input',
float32 [1,1,R,C] uniform in [-1, 1)).  The compiler takes 4-D NCHW inputs
only, so each graph starts from input [1,1,R,C] (a Reshape where the matrix
must be 2-D or 3-D) and ends in the tensor 'output'.  Shapes are chosen so
that M, K, N are not multiples of 16/32, M < 4, M prime, K > 1024, N large
enough for output-channel tiling; Gemm with transA / transB, alpha/beta and a
bias C; the transformer projection [1,T,D] x [D,E] + bias; a chained MLP
(MatMul+bias -> Relu -> MatMul+bias), one attention score Q K^T whose
activation x activation MatMul stays on the CPU, and a transformer encoder
block (LayerNorm, QKV, 4-head attention, output projection, MLP, residuals).  Weights from numpy's
default_rng(seed), reproducible.
"""
import os
import sys

import h5py
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(outdir, name, nodes, inits, inp, out, rng, opset=13):
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info('input', TensorProto.FLOAT, list(inp))],
        [helper.make_tensor_value_info('output', TensorProto.FLOAT, list(out))],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', opset)],
                              producer_name='rksim gen_matmul_models.py')
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(outdir, name + '.onnx'))
    x = rng.uniform(-1.0, 1.0, size=inp).astype(np.float32)
    with h5py.File(os.path.join(outdir, name + '_input.h5'), 'w') as h:
        h['input'] = x


def w(rng, *shape):
    return rng.uniform(-1.0, 1.0, size=shape).astype(np.float32) / np.sqrt(shape[0])


def shape_const(name, dims):
    return numpy_helper.from_array(np.array(dims, dtype=np.int64), name)


def matmul_4d(outdir, name, m, k, n, rng):
    """input [1,1,M,K] x B[K,N] -> output [1,1,M,N] (rows = pixels)."""
    save(outdir, name, [helper.make_node('MatMul', ['input', 'B'], ['output'], name='mm')],
         {'B': w(rng, k, n)}, (1, 1, m, k), (1, 1, m, n), rng)


def gemm(outdir, name, m, k, n, rng, trans_a=0, trans_b=0, alpha=1.0, beta=1.0, c_shape=None):
    a_shape = (k, m) if trans_a else (m, k)
    inits = {'B': w(rng, *((n, k) if trans_b else (k, n))), 'shp': np.array(a_shape, np.int64),
             'oshp': np.array([1, 1, m, n], np.int64)}
    ins = ['a', 'B']
    if c_shape is not None:
        inits['C'] = rng.uniform(-1, 1, size=c_shape).astype(np.float32)
        ins.append('C')
    nodes = [helper.make_node('Reshape', ['input', 'shp'], ['a'], name='to_matrix'),
             helper.make_node('Gemm', ins, ['y'], name='gemm', transA=trans_a, transB=trans_b, alpha=alpha,
                              beta=beta),
             helper.make_node('Reshape', ['y', 'oshp'], ['output'], name='to_4d')]
    save(outdir, name, nodes, inits, (1, 1) + a_shape, (1, 1, m, n), rng)


def proj3d(outdir, name, t, d, e, rng):
    """transformer projection: [1,T,D] x [D,E] + bias (Add folded)."""
    inits = {'W': w(rng, d, e), 'bias': rng.uniform(-1, 1, size=(e,)).astype(np.float32),
             'shp': np.array([1, t, d], np.int64)}
    nodes = [helper.make_node('Reshape', ['input', 'shp'], ['x'], name='to_seq'),
             helper.make_node('MatMul', ['x', 'W'], ['xw'], name='proj'),
             helper.make_node('Add', ['xw', 'bias'], ['output'], name='proj_bias')]
    save(outdir, name, nodes, inits, (1, 1, t, d), (1, t, e), rng)


def mlp(outdir, name, t, d, h, e, rng):
    """[1,T,D] -> MatMul+bias -> Relu -> MatMul+bias -> Sigmoid (CPU)."""
    inits = {'W1': w(rng, d, h), 'b1': rng.uniform(-1, 1, size=(h,)).astype(np.float32),
             'W2': w(rng, h, e), 'b2': rng.uniform(-1, 1, size=(e,)).astype(np.float32),
             'shp': np.array([1, t, d], np.int64)}
    nodes = [helper.make_node('Reshape', ['input', 'shp'], ['x'], name='to_seq'),
             helper.make_node('MatMul', ['x', 'W1'], ['h0'], name='fc1'),
             helper.make_node('Add', ['h0', 'b1'], ['h1'], name='fc1_bias'),
             helper.make_node('Relu', ['h1'], ['h2'], name='fc1_relu'),
             helper.make_node('MatMul', ['h2', 'W2'], ['o0'], name='fc2'),
             helper.make_node('Add', ['o0', 'b2'], ['o1'], name='fc2_bias'),
             helper.make_node('Sigmoid', ['o1'], ['output'], name='gate')]
    save(outdir, name, nodes, inits, (1, 1, t, d), (1, t, e), rng)


def scores(outdir, name, t, d, e, rng):
    """q = x Wq, k = x Wk (NPU); q k^T (activation x activation: CPU)."""
    inits = {'Wq': w(rng, d, e), 'Wk': w(rng, d, e), 'shp': np.array([1, t, d], np.int64)}
    nodes = [helper.make_node('Reshape', ['input', 'shp'], ['x'], name='to_seq'),
             helper.make_node('MatMul', ['x', 'Wq'], ['q'], name='q_proj'),
             helper.make_node('MatMul', ['x', 'Wk'], ['k'], name='k_proj'),
             helper.make_node('Transpose', ['k'], ['kt'], name='k_t', perm=[0, 2, 1]),
             helper.make_node('MatMul', ['q', 'kt'], ['output'], name='qk')]
    save(outdir, name, nodes, inits, (1, 1, t, d), (1, t, t), rng)


def encoder(outdir, name, t, d, heads, hidden, rng):
    """a transformer encoder block: LayerNorm, QKV projection (+bias), per-head
    softmax(q k^T / sqrt(dh)) v (CPU), output projection, residual, LayerNorm,
    MLP with Relu, residual.  The four const-B MatMuls run on the NPU."""
    dh = d // heads
    inits = {'shp': np.array([1, t, d], np.int64), 'g1': np.ones(d, np.float32),
             'be1': np.zeros(d, np.float32), 'g2': rng.uniform(0.5, 1.5, d).astype(np.float32),
             'be2': rng.uniform(-0.1, 0.1, d).astype(np.float32),
             'Wqkv': w(rng, d, 3 * d), 'bqkv': rng.uniform(-0.2, 0.2, 3 * d).astype(np.float32),
             'Wo': w(rng, d, d), 'bo': rng.uniform(-0.2, 0.2, d).astype(np.float32),
             'W1': w(rng, d, hidden), 'b1': rng.uniform(-0.2, 0.2, hidden).astype(np.float32),
             'W2': w(rng, hidden, d), 'b2': rng.uniform(-0.2, 0.2, d).astype(np.float32),
             'hshape': np.array([1, t, 3, heads, dh], np.int64), 'oshape': np.array([1, t, d], np.int64),
             'scale': np.array(1.0 / np.sqrt(dh), np.float32)}
    mk = helper.make_node
    nodes = [mk('Reshape', ['input', 'shp'], ['x'], name='to_seq'),
             mk('LayerNormalization', ['x', 'g1', 'be1'], ['ln1'], name='ln1', axis=-1),
             mk('MatMul', ['ln1', 'Wqkv'], ['qkv0'], name='qkv'),
             mk('Add', ['qkv0', 'bqkv'], ['qkv1'], name='qkv_bias'),
             mk('Reshape', ['qkv1', 'hshape'], ['qkv2'], name='split_heads'),
             mk('Transpose', ['qkv2'], ['qkv3'], name='heads_first', perm=[2, 0, 3, 1, 4]),
             mk('Split', ['qkv3'], ['q0', 'k0', 'v0'], name='split_qkv', axis=0),
             mk('Squeeze', ['q0', 'ax0'], ['q'], name='sq_q'),
             mk('Squeeze', ['k0', 'ax0'], ['k'], name='sq_k'),
             mk('Squeeze', ['v0', 'ax0'], ['v'], name='sq_v'),
             mk('Transpose', ['k'], ['kt'], name='k_t', perm=[0, 1, 3, 2]),
             mk('MatMul', ['q', 'kt'], ['s0'], name='scores'),
             mk('Mul', ['s0', 'scale'], ['s1'], name='scale_scores'),
             mk('Softmax', ['s1'], ['p'], name='softmax', axis=-1),
             mk('MatMul', ['p', 'v'], ['o0'], name='attn_v'),
             mk('Transpose', ['o0'], ['o1'], name='merge_heads', perm=[0, 2, 1, 3]),
             mk('Reshape', ['o1', 'oshape'], ['o2'], name='merge'),
             mk('MatMul', ['o2', 'Wo'], ['o3'], name='out_proj'),
             mk('Add', ['o3', 'bo'], ['o4'], name='out_bias'),
             mk('Add', ['x', 'o4'], ['r1'], name='residual1'),
             mk('LayerNormalization', ['r1', 'g2', 'be2'], ['ln2'], name='ln2', axis=-1),
             mk('MatMul', ['ln2', 'W1'], ['h0'], name='fc1'),
             mk('Add', ['h0', 'b1'], ['h1'], name='fc1_bias'),
             mk('Relu', ['h1'], ['h2'], name='fc1_relu'),
             mk('MatMul', ['h2', 'W2'], ['m0'], name='fc2'),
             mk('Add', ['m0', 'b2'], ['m1'], name='fc2_bias'),
             mk('Add', ['r1', 'm1'], ['output'], name='residual2')]
    inits['ax0'] = np.array([0], np.int64)
    save(outdir, name, nodes, inits, (1, 1, t, d), (1, t, d), rng, opset=17)


def main():
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(8)
    matmul_4d(outdir, 'mm_m3', 3, 20, 7, rng)          # M < 4, one surface
    matmul_4d(outdir, 'mm_m1', 1, 40, 19, rng)         # a single row, two surfaces
    matmul_4d(outdir, 'mm_prime', 37, 45, 50, rng)     # M prime, nothing a multiple of 16
    matmul_4d(outdir, 'mm_bigk', 10, 1100, 33, rng)    # K > 1024
    matmul_4d(outdir, 'mm_bign', 23, 200, 1000, rng)   # weights beyond the CBUF: channel tiles
    matmul_4d(outdir, 'mm_rows', 1031, 24, 36, rng)    # many rows (prime): wide H x W, row tiles
    gemm(outdir, 'gemm_tb_bias', 25, 60, 70, rng, trans_b=1, alpha=0.5, beta=2.0, c_shape=(70,))
    gemm(outdir, 'gemm_ta', 19, 24, 40, rng, trans_a=1, c_shape=(1, 40))
    gemm(outdir, 'gemm_plain', 2, 300, 17, rng)
    proj3d(outdir, 'proj3d', 50, 96, 161, rng)
    mlp(outdir, 'mlp', 33, 40, 72, 24, rng)
    scores(outdir, 'scores', 20, 48, 24, rng)
    encoder(outdir, 'encoder', 50, 64, 4, 128, rng)


if __name__ == '__main__':
    main()
