#!/usr/bin/python3
"""Generate small attention ONNX models for the compare tool's attention
detector (tests/test_compare_attention.c), with their inputs and expected
values computed here with torch/numpy (independent of rksim).

usage: /usr/bin/python3 tests/gen_attention_models.py OUTDIR

Writes, per model NAME:
  NAME.onnx           the model
  NAME_in0.npy ...    float32 inputs, in graph-input order
  NAME.expect         key=value lines: what the detector must find and the
                      numbers the analysis must reproduce

Models (torch is Debian's 1.13, which has no F.scaled_dot_product_attention:
that function appeared in torch 2.0, so its export cannot be tested here):
  attn_plain_op13/15  softmax(q k^T / sqrt(d)) v, one head, no mask (opsets 13, 15)
  attn_mha_add_op14/16  4 heads split with Reshape/Transpose, scale by Mul,
                      additive float mask input (opsets 14, 16)
  attn_mha_where_op17 4 heads, causal masked_fill(-inf) -> Where (opset 17)
  attn_torch_mha_op17 torch.nn.MultiheadAttention with attn_mask (opset 17;
                      torch scales q before the MatMul)
  attention_op23      one ONNX Attention node (opset 23) built with
                      onnx.helper, 4-D inputs, 2 heads, float mask; not
                      passed through the checker (onnx 1.12 predates it)
"""
import math
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper

# Softmax probabilities quantised as asymmetric int8 over [0, 1]: scale
# 1/255, zero point -128 (what rksim assumes when the model gives none).
PROB_SCALE = np.float32(1.0 / 255.0)


def prob_mass_zero(p):
    """Share of the probability mass whose int8 code is the zero point
    (round(p / s) == 0, i.e. dequantises to exactly 0)."""
    p = p.astype(np.float64)
    zero = np.round(p / np.float64(PROB_SCALE)) == 0
    return float(p[zero].sum() / p.sum()), float(zero.mean())


class Plain(torch.nn.Module):
    def forward(self, q, k, v):
        s = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
        self.probs = F.softmax(s, dim=-1)
        return torch.matmul(self.probs, v)


class MhaAdd(torch.nn.Module):
    def __init__(self, e=32, h=4):
        super().__init__()
        self.h, self.dh = h, e // h
        self.qkv = torch.nn.Linear(e, 3 * e)
        self.out = torch.nn.Linear(e, e)

    def forward(self, x, mask):
        b, s, e = x.shape
        q, k, v = self.qkv(x).split(e, dim=-1)
        q = q.reshape(b, s, self.h, self.dh).transpose(1, 2)
        k = k.reshape(b, s, self.h, self.dh).transpose(1, 2)
        v = v.reshape(b, s, self.h, self.dh).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(self.dh)) + mask
        self.probs = F.softmax(scores, dim=-1)
        ctx = torch.matmul(self.probs, v).transpose(1, 2).reshape(b, s, e)
        return self.out(ctx)


class MhaWhere(torch.nn.Module):
    def __init__(self, e=32, h=4, s=8):
        super().__init__()
        self.h, self.dh = h, e // h
        self.q = torch.nn.Linear(e, e)
        self.k = torch.nn.Linear(e, e)
        self.v = torch.nn.Linear(e, e)
        self.register_buffer("causal", torch.tril(torch.ones(s, s, dtype=torch.bool)))

    def forward(self, x):
        b, s, e = x.shape
        q = self.q(x).reshape(b, s, self.h, self.dh).transpose(1, 2)
        k = self.k(x).reshape(b, s, self.h, self.dh).transpose(1, 2)
        v = self.v(x).reshape(b, s, self.h, self.dh).transpose(1, 2)
        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(self.dh)
        scores = scores.masked_fill(~self.causal, float("-inf"))
        self.probs = F.softmax(scores, dim=-1)
        return torch.matmul(self.probs, v).transpose(1, 2).reshape(b, s, e)


class TorchMha(torch.nn.Module):
    def __init__(self, e=32, h=4):
        super().__init__()
        self.mha = torch.nn.MultiheadAttention(e, h, batch_first=True)

    def forward(self, x, mask):
        out, _ = self.mha(x, x, x, attn_mask=mask, need_weights=False)
        return out


def write_expect(path, **kv):
    with open(path, "w") as f:
        for k, v in kv.items():
            f.write(f"{k}={v}\n")


def save_inputs(outdir, name, inputs):
    for i, t in enumerate(inputs):
        np.save(os.path.join(outdir, f"{name}_in{i}.npy"), t.numpy().astype(np.float32))


def export(module, inputs, names, outdir, name, opset):
    path = os.path.join(outdir, name + ".onnx")
    torch.onnx.export(module, tuple(inputs), path, opset_version=opset, input_names=names,
                      output_names=["out"], do_constant_folding=True)
    save_inputs(outdir, name, inputs)
    return path


def causal_add_mask(s):
    m = torch.zeros(1, 1, s, s)
    m[:, :, torch.triu(torch.ones(s, s, dtype=torch.bool), 1)] = -1e9
    return m


def gen_torch_models(outdir):
    torch.manual_seed(7)
    s, d = 8, 16
    q, k, v = (torch.randn(1, s, d) * 2.0 for _ in range(3))
    m = Plain().eval()
    with torch.no_grad():
        m(q, k, v)
    mass, frac = prob_mass_zero(m.probs.numpy())
    for opset in (13, 15):
        name = "attn_plain_op%d" % opset
        export(m, [q, k, v], ["q", "k", "v"], outdir, name, opset)
        write_expect(os.path.join(outdir, name + ".expect"), kind="decomposed",
                     has_mask=0, num_heads=1, heads_split=0, scale=1 / math.sqrt(d), scale_place="post",
                     prob_mass_zero=mass, prob_frac_zero=frac)

    x = torch.randn(1, s, 32)
    mask = causal_add_mask(s)
    m = MhaAdd().eval()
    with torch.no_grad():
        m(x, mask)
    mass, frac = prob_mass_zero(m.probs.numpy())
    for opset in (14, 16):
        name = "attn_mha_add_op%d" % opset
        export(m, [x, mask], ["x", "mask"], outdir, name, opset)
        write_expect(os.path.join(outdir, name + ".expect"), kind="decomposed",
                     has_mask=1, mask_op="Add", num_heads=4, heads_split=1,
                     scale=1 / math.sqrt(8), scale_place="post", prob_mass_zero=mass, prob_frac_zero=frac)

    m = MhaWhere().eval()
    with torch.no_grad():
        m(x)
    mass, frac = prob_mass_zero(m.probs.numpy())
    export(m, [x], ["x"], outdir, "attn_mha_where_op17", 17)
    write_expect(os.path.join(outdir, "attn_mha_where_op17.expect"), kind="decomposed",
                 has_mask=1, mask_op="Where", num_heads=4, heads_split=1, scale=1 / math.sqrt(8),
                 scale_place="post", prob_mass_zero=mass, prob_frac_zero=frac)

    m = TorchMha().eval()
    amask = causal_add_mask(s)[0, 0]
    export(m, [x, amask], ["x", "mask"], outdir, "attn_torch_mha_op17", 17)
    write_expect(os.path.join(outdir, "attn_torch_mha_op17.expect"), kind="decomposed",
                 has_mask=1, mask_op="Add", heads_split=1, scale=1 / math.sqrt(8),
                 scale_place="pre+post")


def gen_attention_op(outdir):
    """One opset-23 Attention node.  Q,K,V [B=1, H=2, S=4, D=8], float mask
    [4, 4]; Y [1, 2, 4, 8]."""
    shape = [1, 2, 4, 8]
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, shape) for n in "QKV"]
    inputs.append(helper.make_tensor_value_info("mask", TensorProto.FLOAT, [4, 4]))
    out = helper.make_tensor_value_info("Y", TensorProto.FLOAT, shape)
    node = helper.make_node("Attention", ["Q", "K", "V", "mask"], ["Y"], name="attn0",
                            scale=0.25)
    graph = helper.make_graph([node], "attention23", inputs, [out])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 23)])
    model.ir_version = 10  # opset 23 needs IR 11 in onnx >= 1.18; onnxref reads either
    path = os.path.join(outdir, "attention_op23.onnx")
    with open(path, "wb") as f:
        f.write(model.SerializeToString())  # no onnx.checker: 1.12 knows no Attention
    rng = np.random.default_rng(3)
    for i in range(3):
        np.save(os.path.join(outdir, f"attention_op23_in{i}.npy"),
                rng.standard_normal(shape).astype(np.float32))
    np.save(os.path.join(outdir, "attention_op23_in3.npy"), np.zeros((4, 4), np.float32))
    write_expect(os.path.join(outdir, "attention_op23.expect"), kind="Attention-op",
                 has_mask=1, num_heads=2, heads_split=1, scale=0.25, scale_place="attr")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    gen_torch_models(outdir)
    gen_attention_op(outdir)


if __name__ == "__main__":
    main()
