#!/usr/bin/python3
"""scripts/ort_compare.py - input preparation and output comparison for
scripts/ort-crosscheck.sh and scripts/bench-onnxref.sh.

  ort_compare.py inputs CASE SHARED OUTDIR   write CASE's input .npy files
                                             and print "NAME=FILE" per input
  ort_compare.py compare REF.h5 ORTDIR NAMES PRIMARY
                                             print max abs / relative error per
                                             output (NAMES: comma list of ORT
                                             output names, in order; PRIMARY:
                                             the model's own outputs)
  ort_compare.py expose MODEL OUT.onnx       copy MODEL with every node output
                                             also made a graph output, so both
                                             engines' intermediates compare

Cases: ppocr_det, ppocr_rec (PaddleOCR preprocessing: RGB, bilinear resize,
(x/255 - 0.5) / 0.5, NCHW), light_<name> (onnx-light models: one uniform
[-1, 1) random input, seeded from the case name so runs repeat),
multiple_input (the demo's own image1/image2 .npy files).
"""
import os
import sys
import zlib

import numpy as np


def ppocr_input(path, width, height):
    from PIL import Image
    img = Image.open(path).convert("RGB").resize((width, height), Image.BILINEAR)
    x = (np.asarray(img, dtype=np.float32) / 255.0 - 0.5) / 0.5
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None])


def write_inputs(case, shared, outdir):
    os.makedirs(outdir, exist_ok=True)
    ds = os.path.join(shared, "datasets")
    pairs = []
    if case == "ppocr_det":
        pairs.append(("#0", ppocr_input(os.path.join(ds, "images/ppocr/det_test.jpg"), 480, 480)))
    elif case == "ppocr_rec":
        pairs.append(("#0", ppocr_input(os.path.join(ds, "images/ppocr/rec_test.png"), 320, 48)))
    elif case == "multiple_input":
        d = os.path.join(ds, "rknn-vendor/multiple_input_demo")
        pairs.append(("input.1", np.load(os.path.join(d, "image1_nchw.npy")).astype(np.float32)))
        pairs.append(("input", np.load(os.path.join(d, "image2_nchw.npy")).astype(np.float32)))
    elif case.startswith("light_"):
        rng = np.random.default_rng(zlib.crc32(case.encode()))
        pairs.append(("#0", rng.uniform(-1.0, 1.0, (1, 3, 224, 224)).astype(np.float32)))
    else:
        sys.exit(f"ort_compare: unknown case {case}")
    for i, (name, arr) in enumerate(pairs):
        path = os.path.join(outdir, f"in{i}.npy")
        np.save(path, arr)
        print(f"{name}={path}")


def expose(model_path, out_path):
    import onnx
    from onnx import TensorProto, helper, shape_inference
    m = onnx.load(model_path)
    try:
        typed = {v.name: v for v in shape_inference.infer_shapes(m).graph.value_info}
    except Exception:  # noqa: BLE001 - untyped outputs still work below
        typed = {}
    have = {o.name for o in m.graph.output}
    for node in m.graph.node:
        for name in node.output:
            if name and name not in have:
                have.add(name)
                vi = typed.get(name)
                m.graph.output.append(vi if vi is not None else helper.make_tensor_value_info(
                    name, TensorProto.FLOAT, None))
    onnx.save(m, out_path)


def compare(ref_h5, ortdir, names, primary):
    """Compares every ORT output with rksim's; `primary` are the model's own
    outputs (the acceptance metric), the rest exposed intermediates."""
    import h5py
    worst = {True: 0.0, False: 0.0}
    rows = {True: [], False: []}
    skipped = 0
    with h5py.File(ref_h5, "r") as f:
        for i, name in enumerate(names.split(",")):
            want = np.load(os.path.join(ortdir, f"{i}.npy"))
            # rksim escapes '/' in tensor names as %2F (HDF5 path separator).
            key = name if name in f else name.replace("%", "%25").replace("/", "%2F")
            if key not in f:
                print(f"  output {name}: MISSING from {ref_h5}")
                return 2
            got = np.asarray(f[key])
            is_primary = name in primary
            if not is_primary and (got.dtype.kind not in "f" or want.dtype.kind not in "f"):
                skipped += 1  # e.g. Dropout masks: not activations
                continue
            got, want = got.astype(np.float64), want.astype(np.float64)
            if got.shape != want.shape:
                print(f"  output {name}: shape {got.shape} != onnxruntime {want.shape}")
                return 2
            err = float(np.max(np.abs(got - want))) if want.size else 0.0
            rng = float(want.max() - want.min()) if want.size else 0.0
            # A constant output (range 0) is judged against its magnitude.
            denom = rng if rng > 0 else max(float(np.max(np.abs(want))) if want.size else 0.0,
                                            1e-30)
            rel = err / denom
            worst[is_primary] = max(worst[is_primary], rel)
            rows[is_primary].append(
                (rel, f"  {'output' if is_primary else 'tensor'} {name:24s} "
                      f"{'x'.join(map(str, want.shape)):>14s}  max_abs_err {err:.3e}  "
                      f"range {rng:.3e}  rel_to_range {rel:.3e}"))
    for _, line in rows[True]:
        print(line)
    if rows[False]:
        print(f"  {len(rows[False])} intermediate tensors compared ({skipped} non-float "
              f"skipped); the 2 worst:")
        for _, line in sorted(rows[False], key=lambda r: -r[0])[:2]:
            print(line)
    print(f"WORST_REL {worst[True]:.6e}")
    print(f"WORST_INTERMEDIATE {worst[False]:.6e}")
    return 0


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "inputs":
        write_inputs(sys.argv[2], sys.argv[3], sys.argv[4])
        return 0
    if len(sys.argv) == 6 and sys.argv[1] == "compare":
        return compare(sys.argv[2], sys.argv[3], sys.argv[4], set(sys.argv[5].split(",")))
    if len(sys.argv) == 4 and sys.argv[1] == "expose":
        expose(sys.argv[2], sys.argv[3])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
