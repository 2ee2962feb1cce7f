#!/usr/bin/env bash
# scripts/setup.sh - one idempotent command: install every system dependency
# from Debian packages, then configure and build rksim into ./build.
#
#   bash scripts/setup.sh            # deps + release build
#   RKSIM_SKIP_APT=1 bash scripts/setup.sh   # build only
#   RKSIM_BUILD_DIR=build-asan RKSIM_CMAKE_ARGS="-DRKSIM_SANITIZE=ON" bash scripts/setup.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config clang libclang-rt-14-dev
  libopenblas-dev libprotobuf-c-dev protobuf-c-compiler
  libcmocka-dev libhdf5-dev libonnx-dev libonnx-testdata
  python3-onnx python3-numpy python3-h5py python3-pil python3-torch
  chromium
)
# Node.js + npm (for the onnxruntime-node cross-check and benchmarks): use the
# machine's own when present; Debian's npm conflicts with a non-Debian node.
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

missing=()
if [ -z "${RKSIM_SKIP_APT:-}" ]; then
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    echo "setup: all Debian packages present"
  fi
fi

BUILD_DIR="${RKSIM_BUILD_DIR:-build}"
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRKSIM_WERROR=ON ${RKSIM_CMAKE_ARGS:-}
cmake --build "$BUILD_DIR" -j"$(nproc)"
echo "setup: built $BUILD_DIR/sim/rksim"

# onnxruntime-node from npm: the independent float reference for the
# onnxref cross-check and benchmark (scripts/ort-*.sh).  Installed into the
# ignored .cache/ort; ONNXRUNTIME_NODE_INSTALL=skip avoids the GPU download
# that fails here (the CPU binaries ship inside the npm package).  Not fatal:
# the cross-check test skips when it is missing.
ORT_DIR="${RKSIM_ORT_DIR:-.cache/ort}"
if [ -z "${RKSIM_SKIP_NPM:-}" ] && command -v npm >/dev/null 2>&1 &&
   [ ! -f "$ORT_DIR/node_modules/onnxruntime-node/package.json" ]; then
  mkdir -p "$ORT_DIR"
  [ -f "$ORT_DIR/package.json" ] || echo '{"name":"rksim-ort","private":true}' > "$ORT_DIR/package.json"
  (cd "$ORT_DIR" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund onnxruntime-node >/dev/null 2>&1) &&
    echo "setup: onnxruntime-node installed in $ORT_DIR" ||
    echo "setup: npm install onnxruntime-node failed; the onnxruntime cross-check will be skipped"
fi
