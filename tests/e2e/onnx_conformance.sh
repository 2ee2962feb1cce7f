#!/usr/bin/env bash
# ONNX node-test conformance with a ratchet: every test listed in
# tests/onnx-conformance-passing.txt must still pass.  Prints the closing
# "N passed, M failed" line.  Skips (77) without libonnx-testdata.
set -uo pipefail
src="${RKSIM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}"
export RKSIM_BUILD="${RKSIM_BUILD:-$src/build}"
exec bash "$src/scripts/onnx-conformance.sh" --ratchet
