#!/bin/bash
# bench-sim.sh - simulator speed: wall time and simulated MAC/s of `rksim run`
# on the biggest vendor model that runs end to end, next to this machine's
# single-thread OpenBLAS sgemm rate measured in the same run, and the ratio
# simulated MAC/s : (sgemm FLOP/s / 2).  Target: >= 25 %.
#
# usage: scripts/bench-sim.sh [BUILD_DIR]   (default: build)
# env:   RKSIM (binary), RKSIM_SHARED (default ../shared), REPEAT (default 3)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
RKSIM=${RKSIM:-$BUILD/sim/rksim}
SHARED=${RKSIM_SHARED:-$SRC/../shared}
REPEAT=${REPEAT:-3}
PY=/usr/bin/python3
export OPENBLAS_NUM_THREADS=1
[ -x "$RKSIM" ] || { echo "bench-sim: $RKSIM not built" >&2; exit 2; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

# 1. this machine's sgemm rate (one thread), 512x512x512, best of 5
cat > "$T/sgemm.c" <<'CEOF'
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(void) {
    const int n = 512; float *a = malloc(sizeof(float)*n*n), *b = malloc(sizeof(float)*n*n), *c = malloc(sizeof(float)*n*n);
    for (int i = 0; i < n*n; i++) { a[i] = (float)(i % 7) - 3; b[i] = (float)(i % 5) - 2; }
    openblas_set_num_threads(1);
    double best = 1e9;
    for (int r = 0; r < 5; r++) {
        struct timespec t0, t1; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
        double dt = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
        if (dt < best) best = dt;
    }
    printf("%.6e\n", 2.0 * n * n * n / best);
    return 0;
}
CEOF
cc -O2 $(pkg-config --cflags openblas) "$T/sgemm.c" -o "$T/sgemm" $(pkg-config --libs openblas)
SGEMM=$("$T/sgemm")

# 2. the model: pp_human_segv2 (1722 tasks) when it runs, else the biggest that does
V="$SHARED/datasets/rknn-vendor"
run_model() { # name model inputs...  -> "name|wall|cpu|gmac", best CPU time of REPEAT runs
  local name=$1; shift
  local best=""
  for i in $(seq "$REPEAT"); do
    if ! "$RKSIM" run "$@" -o "$T/out.h5" > /dev/null 2> "$T/err"; then return 1; fi
    local line; line=$(grep 'rksim run:.*GMAC' "$T/err")
    local gmac wall cpu
    gmac=$(echo "$line" | sed -n 's/.*, \([0-9.]*\) GMAC, .*/\1/p')
    wall=$(echo "$line" | sed -n 's/.*GMAC, \([0-9.]*\) s wall.*/\1/p')
    cpu=$(echo "$line" | sed -n 's/.*s wall, \([0-9.]*\) s CPU.*/\1/p')
    if [ -z "$best" ] || awk "BEGIN{exit !($cpu < ${best%%|*})}"; then best="$cpu|$wall|$gmac"; fi
  done
  echo "$name|$best"
}
RESULT=""
if [ -f "$V/pp_human_segv2_custom_argmax/RK3588_pp_human_segv2_custom_argmax.rknn" ]; then
  "$PY" - "$V/pp_human_segv2_custom_argmax/test_image.jpg" "$T/pp_in.npy" <<'PYEOF'
import sys, numpy as np
from PIL import Image
im = Image.open(sys.argv[1]).convert('RGB').resize((192, 192), Image.BILINEAR)
np.save(sys.argv[2], np.asarray(im, dtype=np.float32).transpose(2, 0, 1)[None])
PYEOF
  RESULT=$(run_model pp_human_segv2_RK3588 "$V/pp_human_segv2_custom_argmax/RK3588_pp_human_segv2_custom_argmax.rknn" "$T/pp_in.npy" || true)
fi
if [ -z "$RESULT" ] && [ -f "$V/multiple_input_demo/RK3588_multiple_input_demo.rknn" ]; then
  echo "bench-sim: pp_human_segv2 does not run to the end yet; using multiple_input_demo" >&2
  RESULT=$(run_model multiple_input_demo_RK3588 "$V/multiple_input_demo/RK3588_multiple_input_demo.rknn" \
           "$V/multiple_input_demo/image1_nchw.npy" "$V/multiple_input_demo/image2_nchw.npy")
fi
if [ -z "$RESULT" ]; then
  RESULT=$(run_model tiny_conv "$SRC/datasets/tiny/tiny_conv_rk3588.rknn" "$SRC/datasets/tiny/input.h5")
fi
IFS='|' read -r NAME CPU WALL GMAC <<< "$RESULT"

# 3. peak memory: max RSS of one run minus that of the same binary printing
# its help (process, libraries), against the DRAM image size rksim reports
MEM="0|0|0"
if [ -x /usr/bin/time ] && [ "$NAME" = pp_human_segv2_RK3588 ]; then
  /usr/bin/time -o "$T/rss_base" -f '%M' "$RKSIM" run --help > /dev/null 2>&1 || true
  if /usr/bin/time -o "$T/rss_run" -f '%M' "$RKSIM" run \
      "$V/pp_human_segv2_custom_argmax/RK3588_pp_human_segv2_custom_argmax.rknn" "$T/pp_in.npy" \
      -o "$T/out.h5" > /dev/null 2> "$T/err"; then
    DRAM=$(sed -n 's/.*DRAM image \([0-9.]*\) MiB.*/\1/p' "$T/err")
    MEM="$(tail -1 "$T/rss_base")|$(tail -1 "$T/rss_run")|${DRAM:-0}"
  fi
fi
"$PY" - "$NAME" "$GMAC" "$WALL" "$CPU" "$SGEMM" "$MEM" <<'PYEOF'
import sys
name, gmac, wall, cpu, sgemm = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
base_kb, run_kb, dram_mib = (float(v) for v in sys.argv[6].split('|'))
macs = gmac * 1e9 / cpu if cpu > 0 else 0.0
print('model                 %s' % name)
print('wall time (sim run)   %.4f s   (CPU %.4f s; the machine is shared, the rate uses CPU time)' % (wall, cpu))
print('simulated MACs        %.4g' % (gmac * 1e9))
print('simulated MAC/s       %.4g' % macs)
print('OpenBLAS sgemm        %.4g FLOP/s (1 thread, 512^3, best of 5)' % sgemm)
print('ratio MAC/s : sgemm FLOP/s / 2 = %.1f %%  (target >= 25 %%)' % (100.0 * macs / (sgemm / 2)))
if dram_mib > 0:
    extra = (run_kb - base_kb) / 1024.0
    print('peak memory           %.1f MiB max RSS - %.1f MiB baseline = %.1f MiB = %.2fx the %.1f MiB DRAM image '
          '(target <= 3x)' % (run_kb / 1024.0, base_kb / 1024.0, extra, extra / dram_mib, dram_mib))
PYEOF
