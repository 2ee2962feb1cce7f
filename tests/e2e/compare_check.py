#!/usr/bin/python3
"""Independent checks of one `rksim compare --report all` run (used by
compare_multiple_input_demo.sh).  Nothing here reuses rksim code: the expected
layer list comes from the vendor dump in ../shared/reference/dumps, the float
reference from numpy (the ONNX graph's Conv/Add evaluated from its
initializers), the simulated output from `rksim run -o`, and the metrics are
recomputed with numpy.

usage: compare_check.py PREFIX DUMP.fb.txt MODEL.onnx SIM_OUT.h5 IMG1.npy IMG2.npy
"""
import csv
import json
import re
import sys
import xml.etree.ElementTree as ET

import h5py
import numpy as np
import onnx
from onnx import numpy_helper


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def npu_layers(dump_path):
    """(output tensor names, names of outputs whose node reads only graph
    inputs besides consts) for every non-I/O node in the vendor dump."""
    names, kinds, outs, fed_by_inputs = {}, {}, [], []
    text = open(dump_path).read()
    for m in re.finditer(r"tensor (\d+) \{.*?'kind': (\d+),.*?'name': '([^']*)'", text):
        kinds[int(m.group(1))] = int(m.group(2))
        names[int(m.group(1))] = m.group(3)
    for m in re.finditer(r"node\[\d+\] .*?type='([^']*)' .*?in=\[([\d, ]*)\] out=\[([\d, ]*)\]", text):
        if m.group(1) in ("InputOperator", "OutputOperator"):
            continue
        ins = [int(x) for x in m.group(2).split(",") if x.strip()]
        o = [names[int(x)] for x in m.group(3).split(",") if x.strip()]
        outs += o
        # kind 1 = graph input, 4 = const (rknn-format.md 1.4)
        if all(kinds[i] in (1, 4) for i in ins):
            fed_by_inputs += o
    return outs, fed_by_inputs


def conv2d(x, w, b, attrs):
    """ONNX Conv (NCHW, group 1, dilation 1) by direct summation."""
    pads = attrs.get("pads", [0, 0, 0, 0])
    strides = attrs.get("strides", [1, 1])
    assert attrs.get("group", 1) == 1 and attrs.get("dilations", [1, 1]) == [1, 1]
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, c, h, wd = x.shape
    co, ci, kh, kw = w.shape
    oh = (h - kh) // strides[0] + 1
    ow = (wd - kw) // strides[1] + 1
    out = np.zeros((n, co, oh, ow), np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = x[:, :, i:i + strides[0] * oh:strides[0], j:j + strides[1] * ow:strides[1]]
            out += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    return out + b.reshape(1, -1, 1, 1)


def numpy_reference(model_path, inputs):
    m = onnx.load(model_path)
    vals = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in m.graph.initializer}
    feed = [i.name for i in m.graph.input if i.name not in vals]
    for name, arr in zip(feed, inputs):
        vals[name] = arr.astype(np.float64)
    for node in m.graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        ins = [vals[i] for i in node.input]
        if node.op_type == "Conv":
            vals[node.output[0]] = conv2d(ins[0], ins[1], ins[2], attrs)
        elif node.op_type == "Add":
            vals[node.output[0]] = ins[0] + ins[1]
        else:
            fail("numpy reference: op %s not handled" % node.op_type)
    return vals


def check_metrics(name, ref, sim, got):
    x, y = ref.astype(np.float64).ravel(), sim.astype(np.float64).ravel()
    d = y - x
    want = {
        "cosine": x.dot(y) / (np.linalg.norm(x) * np.linalg.norm(y)),
        "euclidean": np.linalg.norm(d),
        "max_abs": np.abs(d).max(),
        "mean_abs": np.abs(d).mean(),
        "sqnr_db": 10 * np.log10((x * x).sum() / (d * d).sum()),
    }
    for k, v in want.items():
        g = float(got[k])
        if abs(g - v) > 1e-4 * max(1.0, abs(v)):
            fail("%s %s: report %r, numpy %r" % (name, k, g, v))
    print("ok: %s entire metrics equal numpy's (cos %.6f, sqnr %.2f dB)" %
          (name, want["cosine"], want["sqnr_db"]))


def main():
    prefix, dump, model, sim_h5, img1, img2 = sys.argv[1:7]
    rep = json.load(open(prefix + ".json"))
    if rep["schema"] != "rksim-compare/1":
        fail("schema")
    layers = {l["tensor"]: l for l in rep["layers"]}
    expected, fed_by_inputs = npu_layers(dump)
    if not expected:
        fail("no NPU layers parsed from " + dump)
    for t in expected:
        l = layers.get(t)
        if l is None or l["onnx_tensor"] is None:
            fail("NPU layer output %r not matched" % t)
        if l["entire"] is None or l["single"] is None:
            fail("layer %r lacks entire or single metrics: note %r" % (t, l["note"]))
    if rep["unmatched"]["rknn"]:
        fail("unmatched rknn layers: %r" % rep["unmatched"]["rknn"])
    print("ok: all %d NPU layers matched (%s)" % (len(expected), ", ".join(expected)))
    # A layer reading only graph inputs gets the same quantised input in both
    # modes, so its single-mode run must reproduce the entire-mode numbers.
    for t in fed_by_inputs:
        a, b = layers[t]["entire"], layers[t]["single"]
        if a["cosine"] != b["cosine"] or a["euclidean"] != b["euclidean"]:
            fail("layer %r reads only graph inputs but single %r != entire %r" % (t, b, a))
    print("ok: single == entire for layers fed by graph inputs only (%s)" % ", ".join(fed_by_inputs))

    # The demo's uint8 images are exact in the inputs' int8 (scale 1, zp -128),
    # so every input row must have cosine 1 (RK3566 once dumped (x+128) mod 256).
    for l in rep["layers"]:
        if l["is_input"] and l["entire"] and abs(l["entire"]["cosine"] - 1) > 1e-6:
            fail("input layer %r: cosine %r (expected 1: exact int8 input)"
                 % (l["tensor"], l["entire"]["cosine"]))
    print("ok: input rows exact")
    rows = list(csv.DictReader(open(prefix + ".csv")))
    n_modes = sum((l["entire"] is not None) + (l["single"] is not None) for l in rep["layers"])
    if len(rows) != n_modes:
        fail("csv has %d rows, expected %d" % (len(rows), n_modes))
    root = ET.parse(prefix + ".xml").getroot()
    cases = root.findall(".//testcase")
    if len(cases) != len(rep["layers"]) + len(rep["unmatched"]["rknn"]):
        fail("junit: %d testcases for %d layers" % (len(cases), len(rep["layers"])))
    txt = open(prefix + ".txt").read()
    for t in expected:
        if not re.search(r"^\[\w+\] %s\s+\d\.\d{5} \| " % re.escape(t), txt, re.M):
            fail("text table lacks an error_analysis-style row for %r" % t)
    print("ok: json, csv (%d rows), junit (%d testcases), txt agree" % (len(rows), len(cases)))

    ref = numpy_reference(model, [np.load(img1), np.load(img2)])
    with h5py.File(sim_h5, "r") as f:
        for name in f:
            check_metrics(name, ref[name], f[name][()], layers[name]["entire"])


if __name__ == "__main__":
    main()
