#!/usr/bin/python3
"""Golden values for tests/test_onnxref_nn.c (onnxref neural-network
kernels), for cases the ONNX backend node tests do not cover.

usage: ORT_NODE_DIR=<repo>/.cache/ort /usr/bin/python3 tests/gen_onnxref_nn_golden.py \
           > tests/onnxref_nn_golden.h
(ORT_NODE_DIR: a folder with node_modules/onnxruntime-node, as installed by
scripts/ort-env.sh; required.)

Sources of truth (never rksim):
  * Attention (opset 23): a numpy transcription of the ONNX Attention spec
    written here; every case is ALSO run through onnxruntime-node 1.30 and
    must agree to 1e-5, else the script aborts (except the short-mask case,
    which onnxruntime rejects although the spec allows it).
  * Einsum: numpy.einsum.  Legacy softmax family (opset 11): numpy on the
    2-D coercion the opset-11 spec describes.
  * Conv / ConvTranspose: torch.nn.functional (Debian torch 1.13) in float64.
  * Resize opset 18/19 (antialias, axes, keep_aspect_ratio_policy,
    half_pixel_symmetric): onnxruntime-node only (onnx 1.12 has no
    reference for them).

Inputs are not stored: both sides compute them with the same formula,
fill(i, seed, scale) = float32(sin(0.37 * i + seed) * scale), and masks
as ((i * 7 + seed) % 3 != 0).  The C test must use identical case
definitions (shapes, seeds, attributes); they are listed in the *_CASES
tables below and mirrored in the test.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np


def fill(shape, seed, scale=1.5):
    n = int(np.prod(shape)) if len(shape) else 1
    i = np.arange(n, dtype=np.float64)
    return (np.sin(0.37 * i + seed) * scale).astype(np.float32).reshape(shape)


def fill_bool(shape, seed):
    n = int(np.prod(shape))
    i = np.arange(n)
    return ((i * 7 + seed) % 3 != 0).reshape(shape)


# ---------------------------------------------------------------- attention

def softmax_last(x):
    m = np.max(x, axis=-1, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=-1, keepdims=True)


def attention_ref(q, k, v, mask=None, past_k=None, past_v=None, scale=None, causal=False,
                  qh=None, kvh=None, softcap=0.0, qk_mode=0):
    """Spec transcription (Attention-23).  Softcap is applied before the mask
    (ONNX reference implementation order; keeps -inf masked keys at -inf)."""
    three_d = q.ndim == 3
    if three_d:
        b, sq, _ = q.shape
        q = q.reshape(b, sq, qh, -1).transpose(0, 2, 1, 3)
        k = k.reshape(b, k.shape[1], kvh, -1).transpose(0, 2, 1, 3)
        v = v.reshape(b, v.shape[1], kvh, -1).transpose(0, 2, 1, 3)
    q = q.astype(np.float64); k = k.astype(np.float64); v = v.astype(np.float64)
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[3])
    past = 0
    if past_k is not None:
        past = past_k.shape[2]
        k = np.concatenate([past_k.astype(np.float64), k], axis=2)
        v = np.concatenate([past_v.astype(np.float64), v], axis=2)
    present_k, present_v = k.copy(), v.copy()
    group = q.shape[1] // k.shape[1]
    k = np.repeat(k, group, axis=1)
    v = np.repeat(v, group, axis=1)
    s = np.matmul(q, np.swapaxes(k, 2, 3)) * scale
    qk0 = s.copy()
    if softcap > 0:
        s = softcap * np.tanh(s / softcap)
    qk_capped = s.copy()
    total = k.shape[2]
    bias = np.zeros(s.shape)
    if mask is not None:
        m = mask
        if m.shape[-1] < total:  # shorter mask: missing keys are masked out
            pad = [(0, 0)] * (m.ndim - 1) + [(0, total - m.shape[-1])]
            m = np.pad(m, pad, constant_values=(False if m.dtype == bool else -np.inf))
        mb = np.where(m, 0.0, -np.inf) if m.dtype == bool else m.astype(np.float64)
        bias = bias + mb
    if causal:
        i = np.arange(s.shape[2])[:, None]
        j = np.arange(total)[None, :]
        bias = bias + np.where(j > i + past, -np.inf, 0.0)
    s = s + bias
    qk_masked = s.copy()
    p = softmax_last(s)
    y = np.matmul(p, v)
    if three_d:
        y = y.transpose(0, 2, 1, 3).reshape(y.shape[0], y.shape[2], -1)
    # Mode numbering as onnxruntime 1.30 and the ONNX reference implement it
    # (1 = after softcap, 2 = after softcap + mask); the spec text, written
    # for mask-then-softcap order, lists them the other way round.
    qk = {0: qk0, 1: qk_capped, 2: qk_masked, 3: p}[qk_mode]
    return [y, present_k, present_v, qk]


# Each case: inputs (name -> (shape, seed) or ("bool", shape, seed)), attrs,
# number of outputs the C test checks.
ATT_CASES = [
    ("att_mha4d", {"Q": ((2, 2, 3, 4), 0.1), "K": ((2, 2, 5, 4), 0.2), "V": ((2, 2, 5, 3), 0.3)},
     {}, 1),
    ("att_gqa3d_causal", {"Q": ((1, 4, 16), 0.4), "K": ((1, 4, 8), 0.5), "V": ((1, 4, 6), 0.6)},
     {"q_num_heads": 4, "kv_num_heads": 2, "is_causal": 1, "scale": 0.3}, 1),
    ("att_bool_mask_short", {"Q": ((1, 2, 3, 4), 0.7), "K": ((1, 2, 5, 4), 0.8),
                             "V": ((1, 2, 5, 4), 0.9), "attn_mask": ("bool", (3, 4), 1)},
     {}, 1),
    ("att_float_mask_softcap", {"Q": ((1, 2, 3, 4), 1.0), "K": ((1, 2, 5, 4), 1.1),
                                "V": ((1, 2, 5, 4), 1.2), "attn_mask": ((1, 1, 3, 5), 1.3)},
     {"softcap": 2.0, "scale": 0.8, "qk_matmul_output_mode": 2}, 4),
    ("att_past_causal", {"Q": ((1, 2, 2, 4), 1.4), "K": ((1, 2, 2, 4), 1.5),
                         "V": ((1, 2, 2, 4), 1.6), "past_key": ((1, 2, 3, 4), 1.7),
                         "past_value": ((1, 2, 3, 4), 1.8)},
     {"is_causal": 1, "qk_matmul_output_mode": 3}, 4),
]
ATT_INPUTS = ["Q", "K", "V", "attn_mask", "past_key", "past_value"]


def make_input(spec):
    if spec[0] == "bool":
        return fill_bool(spec[1], spec[2])
    return fill(spec[0], spec[1])


def run_attention_case(inputs, attrs):
    kw = {"mask": inputs.get("attn_mask"), "past_k": inputs.get("past_key"),
          "past_v": inputs.get("past_value"), "scale": attrs.get("scale"),
          "causal": bool(attrs.get("is_causal", 0)), "qh": attrs.get("q_num_heads"),
          "kvh": attrs.get("kv_num_heads"), "softcap": attrs.get("softcap", 0.0),
          "qk_mode": attrs.get("qk_matmul_output_mode", 0)}
    return attention_ref(inputs["Q"], inputs["K"], inputs["V"], **kw)


def ort_check(name, op, opset, inputs, attrs, nout, want, order=None):
    """Runs one node with onnxruntime-node and compares with `want`.
    `order` lists the node's input slots ("" for an omitted one)."""
    ort_dir = os.environ.get("ORT_NODE_DIR")
    if not ort_dir:
        return "not checked (ORT_NODE_DIR unset)"
    import onnx
    import onnx.numpy_helper
    from onnx import helper, TensorProto
    names = list(order) if order else list(inputs.keys())
    while names and not names[-1]:
        names.pop()
    outs = [f"o{i}" for i in range(nout)]
    # Resize's roi/scales/sizes become initializers (onnxruntime's shape
    # inference needs their values); empty ones are omitted inputs.
    consts = {k: v for k, v in inputs.items() if k in ("roi", "scales", "sizes")}
    names = ["" if (k in consts and consts[k].size == 0) else k for k in names]
    inputs = {k: v for k, v in inputs.items() if k not in consts}
    inits = [onnx.numpy_helper.from_array(v, k) for k, v in consts.items() if v.size]
    node = helper.make_node(op, names, outs, **attrs)
    tmap = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(bool): TensorProto.BOOL,
            np.dtype(np.int64): TensorProto.INT64}
    g = helper.make_graph([node], name, [
        helper.make_tensor_value_info(k, tmap[v.dtype], list(v.shape)) for k, v in inputs.items()],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outs], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    here = os.path.dirname(os.path.abspath(__file__))
    with tempfile.TemporaryDirectory() as d:
        onnx.save(m, os.path.join(d, "m.onnx"))
        specs = []
        for k, v in inputs.items():
            np.save(os.path.join(d, k + ".npy"), v)
            specs.append(f"{k}={os.path.join(d, k + '.npy')}")
        r = subprocess.run(["node", os.path.join(here, "..", "scripts", "ort-run.js"),
                            os.path.join(d, "m.onnx"), os.path.join(d, "out"), "1"] + specs,
                           check=False, capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"{name}: onnxruntime failed: {r.stderr.strip()}")
        got = [np.load(os.path.join(d, "out", f"{i}.npy")) for i in range(nout)]
    if want is None:
        return got
    for i in range(nout):
        err = float(np.max(np.abs(got[i].astype(np.float64) - want[i])))
        if not err <= 1e-5:
            sys.exit(f"{name}: output {i} differs from onnxruntime by {err}")
    return "agrees with onnxruntime-node to 1e-5"


# ------------------------------------------------------------------- other

EINSUM_CASES = [
    ("ein_bhid", "bhid,bhjd->bhij", [((2, 3, 4, 5), 0.1), ((2, 3, 6, 5), 0.2)]),
    ("ein_bhij", "bhij,bhjd->bhid", [((2, 3, 4, 6), 0.3), ((2, 3, 6, 5), 0.4)]),
    ("ein_bij", "bij,bjk->bik", [((3, 4, 5), 0.5), ((3, 5, 2), 0.6)]),
    ("ein_implicit", "ij,jk", [((3, 4), 0.7), ((4, 5), 0.8)]),
    ("ein_ellipsis_t", "...ij->...ji", [((2, 3, 4), 0.9)]),
    ("ein_trace_sum", "ii->", [((4, 4), 1.0)]),
]

LEGACY_SOFTMAX = [  # opset 11: input coerced to 2-D at axis
    ("softmax11_axis1", "Softmax", 1, ((2, 3, 4), 0.2)),
    ("logsoftmax11_default", "LogSoftmax", None, ((2, 3, 4), 0.3)),
    ("hardmax11_axis1", "Hardmax", 1, ((2, 3, 4), 0.4)),
]

CONV_CASES = [
    # name, x shape, w shape, seeds, attrs, bias
    ("conv_dw_mult2", (1, 6, 9, 11), (12, 1, 3, 3), {"group": 6, "strides": [2, 2],
                                                      "pads": [1, 2, 1, 0], "dilations": [1, 2]}),
    ("conv_group2", (2, 4, 7, 7), (6, 2, 3, 3), {"group": 2, "pads": [1, 1, 1, 1]}),
    ("conv_3d", (1, 2, 5, 6, 7), (3, 2, 2, 3, 3), {"strides": [1, 2, 1],
                                                   "pads": [0, 1, 1, 0, 1, 1]}),
    ("conv_1d_dw", (1, 3, 20), (3, 1, 5), {"group": 3, "dilations": [2], "pads": [4, 4]}),
    ("conv_pointwise", (1, 5, 6, 7), (4, 5, 1, 1), {}),
]
# Large enough that im2col runs in several column chunks (k_g = 16*7*7 =
# 784 rows, chunk = 2^21 / 784 = 2674 columns < 60*60 outputs).
CONV_CHUNK = ("conv_chunked", (1, 16, 60, 60), (4, 16, 7, 7), {"pads": [3, 3, 3, 3]})
CONVT_CASE = ("convt_group_dil", (1, 4, 4, 5), (4, 3, 3, 3),
              {"group": 2, "strides": [2, 1], "dilations": [1, 2], "pads": [1, 0, 0, 1],
               "output_padding": [1, 0]})


def torch_conv(x, w, b, attrs, transpose=False):
    import torch
    import torch.nn.functional as F
    nsp = x.ndim - 2
    pads = attrs.get("pads", [0] * 2 * nsp)
    xt = torch.from_numpy(x.astype(np.float64))
    # asymmetric pads: pad explicitly, then convolve with zero padding
    if not transpose:
        padspec = []
        for d in reversed(range(nsp)):
            padspec += [pads[d], pads[d + nsp]]
        xt = F.pad(xt, padspec)
        fn = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nsp]
        y = fn(xt, torch.from_numpy(w.astype(np.float64)), torch.from_numpy(b.astype(np.float64)),
               stride=attrs.get("strides", [1] * nsp), dilation=attrs.get("dilations", [1] * nsp),
               groups=attrs.get("group", 1))
        return y.numpy()
    fn = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[nsp]
    y = fn(xt, torch.from_numpy(w.astype(np.float64)), torch.from_numpy(b.astype(np.float64)),
           stride=attrs.get("strides", [1] * nsp), dilation=attrs.get("dilations", [1] * nsp),
           groups=attrs.get("group", 1), output_padding=attrs.get("output_padding", [0] * nsp))
    y = y.numpy()
    sl = [slice(None), slice(None)]
    for d in range(nsp):  # crop pads (begin, end) from the full output
        sl.append(slice(pads[d], y.shape[2 + d] - pads[d + nsp]))
    return y[tuple(sl)]


# Resize opset 18/19 features; golden from onnxruntime only.
RESIZE_CASES = [  # name, opset, X shape, attrs, scales, sizes
    ("resize_antialias_linear", 18, (1, 1, 6, 8), {"mode": "linear", "antialias": 1,
                                                   "axes": [2, 3]}, [0.5, 0.4], None),
    ("resize_antialias_cubic", 18, (1, 1, 6, 8), {"mode": "cubic", "antialias": 1,
                                                  "axes": [2, 3]}, [0.5, 0.5], None),
    ("resize_keep_ratio_not_larger", 18, (1, 1, 4, 6),
     {"mode": "linear", "keep_aspect_ratio_policy": "not_larger", "axes": [2, 3]}, None, [2, 3]),
    ("resize_half_pixel_symmetric", 19, (1, 2, 4, 5),
     {"mode": "linear", "coordinate_transformation_mode": "half_pixel_symmetric"},
     [1.0, 1.0, 1.5, 0.6], None),
]


def c_array(name, arr):
    flat = np.asarray(arr, dtype=np.float64).reshape(-1)
    body = ", ".join(("%.9g" % v) if np.isfinite(v) else ("NAN" if np.isnan(v) else
                                                           ("INFINITY" if v > 0 else "-INFINITY"))
                     for v in flat)
    shape = ", ".join(str(int(d)) for d in np.shape(arr))
    return (f"/* shape [{shape}] */\nstatic const float {name}[{flat.size}] = {{{body}}};\n")


def main():
    if not os.environ.get("ORT_NODE_DIR"):
        sys.exit("gen_onnxref_nn_golden: set ORT_NODE_DIR (see the usage line)")
    out = ["/* Generated by tests/gen_onnxref_nn_golden.py: do not edit.",
           " * Golden values from numpy / torch / onnxruntime-node, never rksim;",
           " * see the generator for the source of each case. */",
           "#ifndef ONNXREF_NN_GOLDEN_H", "#define ONNXREF_NN_GOLDEN_H", "#include <math.h>", ""]
    for name, specs, attrs, nout in ATT_CASES:
        inputs = {k: make_input(v) for k, v in specs.items()}
        want = run_attention_case(inputs, attrs)
        if name == "att_bool_mask_short":
            # onnxruntime 1.30 rejects a mask shorter than total_sequence_length,
            # which the spec allows ("padded ... with negative infinity").
            note = "not checked: onnxruntime 1.30 rejects short masks"
        else:
            order = [k if k in inputs else "" for k in ATT_INPUTS]
            note = ort_check(name, "Attention", 23, inputs, attrs, nout, want[:nout], order)
        out.append(f"/* {name}: numpy spec transcription; {note} */")
        for i in range(nout):
            out.append(c_array(f"{name}_out{i}", want[i]))
    for name, eq, specs in EINSUM_CASES:
        ops = [fill(s, seed) for s, seed in specs]
        out.append(f"/* {name}: numpy.einsum('{eq}') */")
        out.append(c_array(f"{name}_out", np.einsum(eq, *[o.astype(np.float64) for o in ops])))
    for name, op, axis, (shape, seed) in LEGACY_SOFTMAX:
        x = fill(shape, seed).astype(np.float64)
        ax = 1 if axis is None else axis
        x2 = x.reshape(int(np.prod(shape[:ax])), -1)
        if op == "Softmax":
            y = softmax_last(x2)
        elif op == "LogSoftmax":
            y = np.log(softmax_last(x2))
        else:
            y = np.zeros_like(x2)
            y[np.arange(x2.shape[0]), np.argmax(x2, axis=1)] = 1
        out.append(f"/* {name}: numpy on the opset-11 2-D coercion at axis {ax} */")
        out.append(c_array(f"{name}_out", y.reshape(shape)))
    for name, xs, ws, attrs in CONV_CASES:
        x, w, b = fill(xs, 0.1), fill(ws, 0.2, 0.5), fill((ws[0],), 0.3)
        out.append(f"/* {name}: torch.nn.functional conv (float64), attrs {json.dumps(attrs)} */")
        out.append(c_array(f"{name}_out", torch_conv(x, w, b, attrs)))
    name, xs, ws, attrs = CONV_CHUNK
    x, w, b = fill(xs, 0.1), fill(ws, 0.2, 0.5), fill((ws[0],), 0.3)
    y = torch_conv(x, w, b, attrs).reshape(-1)
    idx = (np.arange(97) * 148) % y.size  # 97 positions spread over every chunk
    out.append(f"/* {name}: torch conv2d (float64) at 97 sampled flat positions */")
    out.append(f"static const int {name}_pos[97] = {{{', '.join(str(int(i)) for i in idx)}}};")
    out.append(c_array(f"{name}_out", y[idx]))
    name, xs, ws, attrs = CONVT_CASE
    x, w, b = fill(xs, 0.4), fill(ws, 0.5, 0.5), fill((ws[1] * attrs["group"],), 0.6)
    out.append(f"/* {name}: torch conv_transpose2d (float64), attrs {json.dumps(attrs)} */")
    out.append(c_array(f"{name}_out", torch_conv(x, w, b, attrs, transpose=True)))
    for name, opset, xs, attrs, scales, sizes in RESIZE_CASES:
        inputs = {"X": fill(xs, 0.5)}
        axes_attrs = dict(attrs)
        inputs["roi"] = np.zeros((0,), np.float32)
        inputs["scales"] = np.array(scales if scales else [], np.float32)
        if sizes is not None:
            inputs["sizes"] = np.array(sizes, np.int64)
        if not os.environ.get("ORT_NODE_DIR"):
            out.append(f"/* {name}: skipped, ORT_NODE_DIR unset */")
            continue
        got = ort_check(name, "Resize", opset, inputs, axes_attrs, 1, None)
        out.append(f"/* {name}: onnxruntime-node, attrs {json.dumps(axes_attrs)} */")
        out.append(c_array(f"{name}_out", got[0]))
    # GroupNormalization: numpy from the spec (opset 18 per-group scale/bias,
    # opset 21 per-channel), epsilon 1e-5, population variance per group.
    for name, xs, groups, per_channel in (("groupnorm18", (2, 4, 3, 3), 2, False),
                                          ("groupnorm21", (2, 6, 2, 2), 3, True)):
        x = fill(xs, 0.7).astype(np.float64)
        npar = xs[1] if per_channel else groups
        sc, bi = fill((npar,), 0.8), fill((npar,), 0.9)
        g = x.reshape(xs[0], groups, -1)
        z = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5)).reshape(xs)
        if per_channel:
            y = z * sc.reshape(1, -1, 1, 1) + bi.reshape(1, -1, 1, 1)
        else:
            rep = xs[1] // groups
            y = z * np.repeat(sc, rep).reshape(1, -1, 1, 1) + np.repeat(bi, rep).reshape(1, -1, 1, 1)
        out.append(f"/* {name}: numpy from the GroupNormalization spec, num_groups={groups} */")
        out.append(c_array(f"{name}_out", y))
    # LpPool p=3, kernel 3x3, strides 2, pads 1 (padding contributes 0) and
    # GlobalLpPool p=2: numpy from the spec.
    x = fill((1, 2, 5, 5), 1.1).astype(np.float64)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    y = np.zeros((1, 2, 3, 3))
    for i in range(3):
        for j in range(3):
            win = xp[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
            y[:, :, i, j] = (np.abs(win) ** 3).sum(axis=(2, 3)) ** (1 / 3)
    out.append("/* lppool_p3: numpy, kernel 3x3, strides 2, pads 1, p=3 */")
    out.append(c_array("lppool_p3_out", y))
    x = fill((1, 3, 4, 4), 1.2).astype(np.float64)
    out.append("/* globallppool: numpy, p=2 */")
    out.append(c_array("globallppool_out", np.sqrt((x ** 2).sum(axis=(2, 3), keepdims=True))))
    out.append("#endif")
    print("\n".join(out))


if __name__ == "__main__":
    main()
