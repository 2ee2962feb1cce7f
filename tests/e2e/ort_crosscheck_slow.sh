#!/usr/bin/env bash
# onnxref vs onnxruntime on real models (scripts/ort-crosscheck.sh): PP-OCRv4
# det/rec, every onnx-light model and multiple_input_demo, relative error
# <= 1e-4 of each output's range.  Runs only when onnxruntime-node is already
# installed in <repo>/.cache/ort (scripts/ort-crosscheck.sh installs it with
# npm; CI has no network for that), otherwise skips (77).
set -uo pipefail
: "${RKSIM:?}" "${RKSIM_SRC:?}" "${PYTHON:=/usr/bin/python3}"
ort_dir="${RKSIM_ORT_DIR:-$RKSIM_SRC/.cache/ort}"
[ -f "$ort_dir/node_modules/onnxruntime-node/package.json" ] || exit 77
[ -n "${RKSIM_SHARED:-}" ] && [ -d "$RKSIM_SHARED/datasets/ppocr" ] || exit 77
command -v node >/dev/null || exit 77
"$PYTHON" -c "import h5py, numpy, PIL" 2>/dev/null || exit 77
RKSIM="$RKSIM" RKSIM_ORT_DIR="$ort_dir" RKSIM_SHARED="$RKSIM_SHARED" PYTHON="$PYTHON" \
  exec bash "$RKSIM_SRC/scripts/ort-crosscheck.sh" --threads 2
