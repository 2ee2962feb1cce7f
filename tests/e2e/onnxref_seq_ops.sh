#!/usr/bin/env bash
# SplitToSequence / ConcatFromSequence (no ONNX node test covers them in
# Debian's libonnx-testdata): models built with onnx.helper, expected values
# computed by numpy (split + concatenate, unbind + stack), run through the
# conformance driver.
set -uo pipefail
: "${RKSIM_BUILD:?}" "${PYTHON:=/usr/bin/python3}"
driver="$RKSIM_BUILD/onnxref/onnxref-conformance"
[ -x "$driver" ] || { echo "no $driver" >&2; exit 1; }
"$PYTHON" -c "import onnx, numpy" 2>/dev/null || exit 77
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
"$PYTHON" - "$tmp" <<'PY' || exit 1
import os, sys, onnx, numpy as np
from onnx import helper as h, TensorProto as T, numpy_helper as nh
root = sys.argv[1]
def case(name, nodes, ins, feeds, want):
    g = h.make_graph(nodes, name, ins, [h.make_tensor_value_info('y', T.FLOAT, None)])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)]); m.ir_version = 8
    d = os.path.join(root, name, 'test_data_set_0'); os.makedirs(d)
    onnx.save(m, os.path.join(root, name, 'model.onnx'))
    for i, a in enumerate(feeds):
        onnx.save_tensor(nh.from_array(a), os.path.join(d, 'input_%d.pb' % i))
    onnx.save_tensor(nh.from_array(want), os.path.join(d, 'output_0.pb'))
x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
vx = h.make_tensor_value_info('x', T.FLOAT, [2, 3, 4])
case('test_split_sizes_concat',
     [h.make_node('SplitToSequence', ['x', 's'], ['q'], axis=2),
      h.make_node('ConcatFromSequence', ['q'], ['y'], axis=2)],
     [vx, h.make_tensor_value_info('s', T.INT64, [2])], [x, np.array([1, 3], np.int64)],
     np.concatenate(np.split(x, [1], axis=2), axis=2))
case('test_unbind_stack_last',
     [h.make_node('SplitToSequence', ['x'], ['q'], axis=1, keepdims=0),
      h.make_node('ConcatFromSequence', ['q'], ['y'], axis=-1, new_axis=1)],
     [vx], [x], np.stack([x[:, i, :] for i in range(3)], axis=-1))
case('test_split_chunk_uneven_first',
     [h.make_node('SplitToSequence', ['x', 'c'], ['q'], axis=2),
      h.make_node('SequenceAt', ['q', 'i'], ['y'])],
     [vx, h.make_tensor_value_info('c', T.INT64, []), h.make_tensor_value_info('i', T.INT64, [])],
     [x, np.array(3, np.int64), np.array(-1, np.int64)], x[:, :, 3:4])
PY
"$driver" --root "$tmp"
