#!/usr/bin/python3
"""numpy_ref.py - a tiny float reference for small ONNX graphs (Conv, Add,
Mul, Relu, Clip, MaxPool, AveragePool, Identity), independent of rksim's C
code.  Used by tests/e2e/sim_*.sh until onnxref (`rksim ref`) covers them.

usage: numpy_ref.py MODEL.onnx OUT.npz NAME=INPUT.npy ...   (inputs by graph name)
       numpy_ref.py MODEL.onnx OUT.npz INPUT.npy ...        (inputs by position)
Writes every graph output (float32) into OUT.npz under its name.
"""
import sys
import numpy as np
import onnx
from onnx import numpy_helper


def attr(node, name, default=None):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def conv(x, w, b, node):
    strides = attr(node, 'strides', [1, 1])
    pads = attr(node, 'pads', [0, 0, 0, 0])
    dil = attr(node, 'dilations', [1, 1])
    group = attr(node, 'group', 1)
    n, c, h, wd = x.shape
    k, cg, kh, kw = w.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (h + pads[0] + pads[2] - dil[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (wd + pads[1] + pads[3] - dil[1] * (kw - 1) - 1) // strides[1] + 1
    out = np.zeros((n, k, oh, ow))
    kpg = k // group
    for g in range(group):
        xs = xp[:, g * cg:(g + 1) * cg]
        for ky in range(kh):
            for kx in range(kw):
                y0, x0 = ky * dil[0], kx * dil[1]
                patch = xs[:, :, y0:y0 + strides[0] * (oh - 1) + 1:strides[0],
                           x0:x0 + strides[1] * (ow - 1) + 1:strides[1]]
                wk = w[g * kpg:(g + 1) * kpg, :, ky, kx].astype(np.float64)
                out[:, g * kpg:(g + 1) * kpg] += np.einsum('nchw,kc->nkhw', patch, wk)
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def pool(x, node, kind):
    k = attr(node, 'kernel_shape')
    s = attr(node, 'strides', [1, 1])
    p = attr(node, 'pads', [0, 0, 0, 0])
    fill = -np.inf if kind == 'max' else 0.0
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (p[0], p[2]), (p[1], p[3])), constant_values=fill)
    oh = (x.shape[2] + p[0] + p[2] - k[0]) // s[0] + 1
    ow = (x.shape[3] + p[1] + p[3] - k[1]) // s[1] + 1
    out = np.full((x.shape[0], x.shape[1], oh, ow), fill)
    acc = []
    for ky in range(k[0]):
        for kx in range(k[1]):
            acc.append(xp[:, :, ky:ky + s[0] * (oh - 1) + 1:s[0], kx:kx + s[1] * (ow - 1) + 1:s[1]])
    st = np.stack(acc)
    return st.max(0) if kind == 'max' else st.sum(0) / (k[0] * k[1])


def run(model, feeds):
    env = dict(feeds)
    for init in model.graph.initializer:
        env[init.name] = numpy_helper.to_array(init)
    for node in model.graph.node:
        i = [env[n] if n else None for n in node.input]
        op = node.op_type
        if op == 'Conv':
            y = conv(i[0], i[1], i[2] if len(i) > 2 else None, node)
        elif op == 'Add':
            y = i[0] + i[1]
        elif op == 'Mul':
            y = i[0] * i[1]
        elif op == 'Relu':
            y = np.maximum(i[0], 0)
        elif op == 'Clip':
            y = np.clip(i[0], i[1] if len(i) > 1 else attr(node, 'min'), i[2] if len(i) > 2 else attr(node, 'max'))
        elif op == 'MaxPool':
            y = pool(i[0], node, 'max')
        elif op == 'AveragePool':
            y = pool(i[0], node, 'avg')
        elif op == 'Identity':
            y = i[0]
        else:
            raise SystemExit('numpy_ref.py: op %s not supported' % op)
        env[node.output[0]] = y
    return {o.name: np.asarray(env[o.name], dtype=np.float32) for o in model.graph.output}


def main():
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    model = onnx.load(sys.argv[1])
    names = [i.name for i in model.graph.input if i.name not in {t.name for t in model.graph.initializer}]
    feeds = {}
    for k, arg in enumerate(sys.argv[3:]):
        name, path = arg.split('=', 1) if '=' in arg and not arg.endswith('.npy=') and '=' in arg.split('/')[-1] else (names[k], arg)
        feeds[name] = np.load(path).astype(np.float64)
    np.savez(sys.argv[2], **run(model, feeds))


if __name__ == '__main__':
    main()
