#!/bin/bash
# bench-sim.sh - simulator speed: wall time and simulated MAC/s of `rksim run`
# on the biggest vendor model that runs end to end, next to this machine's
# single-thread OpenBLAS sgemm rate measured in the same run, and the ratio
# simulated MAC/s : (sgemm FLOP/s / 2).  Target: >= 25 %.  Peak memory
# against the model's DRAM image (target <= 3x).
#
# What is measured (printed with the figures):
# - build: CMAKE_BUILD_TYPE from BUILD_DIR/CMakeCache.txt.  CI and the README
#   build RelWithDebInfo (-O2 -g, the top CMakeLists default and
#   scripts/setup.sh); Debug, sanitizer and fuzzing builds are refused
#   (BENCH_ANY_BUILD=1 runs them anyway, marked NOT COMPARABLE).
# - MACs: the multiply-accumulates of the convolutions the NPU program runs
#   (sim_stats.macs): output pixels x WEIGHT_KERNELS x DATAIN_CHANNEL_REAL x
#   taps for direct convs, pixels x real channels x taps for depthwise ones;
#   channel padding (DATAOUT/DATAIN aligned to 16/32) is not counted; the
#   compiler-inserted resize convs the NPU really executes are.
# - time: sim_run alone (rksim's own wall and CPU clocks: no model load or
#   parse, no input read, no output write) -> the ratio; and the whole
#   `rksim run` process (exec, load, parse, DRAM image, run, HDF5 write;
#   child wall clock and getrusage) with its own ratio.  Best of REPEAT runs.
#
# usage: scripts/bench-sim.sh [BUILD_DIR]   (default: build)
# env:   RKSIM (binary), RKSIM_SHARED (default ../shared), REPEAT (default 5),
#        BENCH_ANY_BUILD=1
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
RKSIM=${RKSIM:-$BUILD/sim/rksim}
SHARED=${RKSIM_SHARED:-$SRC/../shared}
REPEAT=${REPEAT:-5}
PY=/usr/bin/python3
export OPENBLAS_NUM_THREADS=1
[ -x "$RKSIM" ] || { echo "bench-sim: $RKSIM not built" >&2; exit 2; }

# 0. which build is this?
BUILD_TYPE=unknown SANITIZE=unknown FUZZ=unknown
if [ -f "$BUILD/CMakeCache.txt" ]; then
  cache() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD/CMakeCache.txt" | head -1; }
  BUILD_TYPE=$(cache CMAKE_BUILD_TYPE); BUILD_TYPE=${BUILD_TYPE:-none}
  SANITIZE=$(cache RKSIM_SANITIZE); FUZZ=$(cache RKSIM_FUZZ)
fi
BUILD_NOTE=""
case "$BUILD_TYPE/$SANITIZE/$FUZZ" in
  Release/OFF/OFF|RelWithDebInfo/OFF/OFF|MinSizeRel/OFF/OFF) ;;
  *) if [ "${BENCH_ANY_BUILD:-0}" != 1 ]; then
       echo "bench-sim: $BUILD is CMAKE_BUILD_TYPE=$BUILD_TYPE, RKSIM_SANITIZE=$SANITIZE, RKSIM_FUZZ=$FUZZ:" \
            "not an optimised plain build; use the RelWithDebInfo build of scripts/setup.sh" \
            "(or BENCH_ANY_BUILD=1)" >&2
       exit 2
     fi
     BUILD_NOTE="  ** NOT COMPARABLE: not an optimised plain build **" ;;
esac
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

# whole-process figures of one child: wall, user+sys CPU (getrusage, us
# resolution; /usr/bin/time only has 10 ms) and max RSS in KiB
cat > "$T/ptime.py" <<'PYEOF'
import resource, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
t0 = time.perf_counter()
with open(out + '.stdout', 'wb') as so, open(out + '.stderr', 'wb') as se:
    rc = subprocess.call(cmd, stdout=so, stderr=se)
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(out, 'w') as f:
    f.write('%.6f %.6f %d\n' % (wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss))
sys.exit(rc)
PYEOF
ptime() { "$PY" "$T/ptime.py" "$@"; }

# 1. this machine's sgemm rate (one thread), 512x512x512, best of 20 (shared machine)
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
    for (int r = 0; r < 20; r++) {
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
run_model() { # name model inputs... -> "name|cpu|wall|gmac|pcpu|pwall|rss_kb": best of REPEAT
  local name=$1; shift
  local cpu="" wall="" pcpu="" pwall="" rss=0 gmac=""
  for i in $(seq "$REPEAT"); do
    if ! ptime "$T/time" "$RKSIM" run "$@" -o "$T/out.h5"; then return 1; fi
    cp "$T/time.stderr" "$T/err"
    local line; line=$(grep 'rksim run:.*GMAC' "$T/err")
    local g w c pw pc m
    g=$(echo "$line" | sed -n 's/.*, \([0-9.]*\) GMAC, .*/\1/p')
    w=$(echo "$line" | sed -n 's/.*GMAC, \([0-9.]*\) s wall.*/\1/p')
    c=$(echo "$line" | sed -n 's/.*s wall, \([0-9.]*\) s CPU.*/\1/p')
    read -r pw pc m < "$T/time"
    gmac=$g
    cpu=$(awk -v a="$cpu" -v b="$c" 'BEGIN{print (a == "" || b < a) ? b : a}')
    wall=$(awk -v a="$wall" -v b="$w" 'BEGIN{print (a == "" || b < a) ? b : a}')
    pcpu=$(awk -v a="$pcpu" -v b="$pc" 'BEGIN{print (a == "" || b < a) ? b : a}')
    pwall=$(awk -v a="$pwall" -v b="$pw" 'BEGIN{print (a == "" || b < a) ? b : a}')
    rss=$(( m > rss ? m : rss ))
  done
  DRAM=$(sed -n 's/.*DRAM image \([0-9.]*\) MiB.*/\1/p' "$T/err")
  echo "$name|$cpu|$wall|$gmac|$pcpu|$pwall|$rss|${DRAM:-0}"
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
IFS='|' read -r NAME CPU WALL GMAC PCPU PWALL RSS DRAM <<< "$RESULT"

# 3. peak memory: max RSS of the runs above minus that of the same binary
# printing its help (process, libraries), against the DRAM image rksim reports
ptime "$T/rss_base" "$RKSIM" run --help || true
read -r _ START BASE < "$T/rss_base"
"$PY" - "$NAME" "$GMAC" "$WALL" "$CPU" "$SGEMM" "$PWALL" "$PCPU" "$BASE|$RSS|$DRAM" \
  "$BUILD_TYPE" "$SANITIZE" "$BUILD_NOTE" "$REPEAT" "$START" <<'PYEOF'
import sys
name, gmac, wall, cpu, sgemm, pwall, pcpu = sys.argv[1], *(float(v) for v in sys.argv[2:8])
base_kb, run_kb, dram_mib = (float(v) for v in sys.argv[8].split('|'))
btype, san, note, rep, start = sys.argv[9], sys.argv[10], sys.argv[11], sys.argv[12], float(sys.argv[13])
macs = gmac * 1e9
half = sgemm / 2
print('build                 CMAKE_BUILD_TYPE=%s, RKSIM_SANITIZE=%s%s' % (btype, san, note))
print('model                 %s (best of %s runs per figure)' % (name, rep))
print('simulated MACs        %.4g (real conv MACs: kernels x real input channels x taps x pixels, no channel padding)' % macs)
print('sim_run only          %.4f s wall, %.4f s CPU (no load/parse/input/output)' % (wall, cpu))
print('whole `rksim run`     %.4f s wall, %.4f s CPU (user+sys: exec, load, parse, run, HDF5 write; of which '
      '%.4f s CPU is process start-up, measured on `rksim run --help`)' % (pwall, pcpu, start))
print('simulated MAC/s       %.4g (sim_run CPU), %.4g (whole process CPU)' % (macs / cpu if cpu else 0, macs / pcpu if pcpu else 0))
print('OpenBLAS sgemm        %.4g FLOP/s (1 thread, 512^3, best of 20)' % sgemm)
print('ratio MAC/s : sgemm FLOP/s / 2 = %.1f %% sim_run, %.1f %% whole process  (target >= 25 %%)'
      % (100.0 * macs / cpu / half if cpu else 0, 100.0 * macs / pcpu / half if pcpu else 0))
if dram_mib > 0:
    extra = (run_kb - base_kb) / 1024.0
    print('peak memory           %.1f MiB max RSS - %.1f MiB baseline (`rksim run --help`) = %.1f MiB = %.2fx the '
          '%.1f MiB DRAM image (target <= 3x)' % (run_kb / 1024.0, base_kb / 1024.0, extra, extra / dram_mib, dram_mib))
PYEOF
