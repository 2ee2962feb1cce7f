# scripts/ort-env.sh - sourced by ort-crosscheck.sh and bench-onnxref.sh:
# makes onnxruntime-node available in an ignored folder and sets
# ORT_NODE_DIR, RKSIM (the rksim binary) and PYTHON.
#   RKSIM_ORT_DIR  where onnxruntime-node lives (default: <repo>/.cache/ort,
#                  ignored by git via /.cache/)
#   RKSIM_BUILD    build dir holding sim/rksim (default: <repo>/build)
#   PYTHON         Debian python with numpy/h5py/PIL (default /usr/bin/python3)
ort_env_setup() {
  src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  export ORT_NODE_DIR="${RKSIM_ORT_DIR:-$src/.cache/ort}"
  RKSIM="${RKSIM:-${RKSIM_BUILD:-$src/build}/sim/rksim}"
  PYTHON="${PYTHON:-/usr/bin/python3}"
  if [ ! -x "$RKSIM" ]; then
    echo "$(basename "$0"): $RKSIM not built (cmake --build \$RKSIM_BUILD)" >&2; return 2
  fi
  if ! command -v node >/dev/null; then
    echo "$(basename "$0"): node is not installed" >&2; return 77
  fi
  if [ ! -f "$ORT_NODE_DIR/node_modules/onnxruntime-node/package.json" ]; then
    echo "$(basename "$0"): installing onnxruntime-node into $ORT_NODE_DIR" >&2
    mkdir -p "$ORT_NODE_DIR"
    [ -f "$ORT_NODE_DIR/package.json" ] || echo '{"name":"rksim-ort","private":true}' > "$ORT_NODE_DIR/package.json"
    # ONNXRUNTIME_NODE_INSTALL=skip: no CUDA/TensorRT downloads; the CPU
    # binaries ship inside the npm package.
    if ! (cd "$ORT_NODE_DIR" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund \
          onnxruntime-node >&2); then
      echo "$(basename "$0"): npm install onnxruntime-node failed (offline?)" >&2; return 77
    fi
  fi
  ORT_VERSION="$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' \
    "$ORT_NODE_DIR/node_modules/onnxruntime-node/package.json" | head -1)"
  export RKSIM PYTHON ORT_VERSION
}
