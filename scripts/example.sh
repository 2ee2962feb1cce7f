#!/usr/bin/env bash
# scripts/example.sh - set up (Debian packages + build) and run rksim's main
# job on the bundled example in datasets/tiny (made by our own scripts; needs
# nothing from ../shared):
#   1. describe the model            rksim info
#   2. validate its register stream  rksim check
#   3. simulate it at register level rksim run   -> build/example/out.h5
#   4. run the float ONNX source     rksim ref    -> build/example/ref.h5
#   5. compare the two per layer     rksim compare
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
RKSIM=build/sim/rksim
EX=datasets/tiny
OUT=build/example
mkdir -p "$OUT"
set -x
"$RKSIM" info "$EX/tiny_conv_rk3588.rknn"
"$RKSIM" check "$EX/tiny_conv_rk3588.rknn"
"$RKSIM" run "$EX/tiny_conv_rk3588.rknn" "$EX/input.h5" -o "$OUT/out.h5"
"$RKSIM" ref "$EX/tiny_conv.onnx" "$EX/input.h5" -o "$OUT/ref.h5"
"$RKSIM" compare "$EX/tiny_conv.onnx" "$EX/tiny_conv_rk3588.rknn" "$EX/input.h5" \
  --report html -o "$OUT/report.html"
