#!/usr/bin/env bash
# scripts/bench-onnxref.sh - speed and peak memory of onnxref (`rksim ref`)
# against onnxruntime-node on PP-OCRv4 det (1x3x480x480) and rec
# (1x3x48x320), with 1 and 2 threads.  A benchmark, not a test.
#
#   scripts/bench-onnxref.sh [--runs 5] [--threads "1 2"] [--models "det rec"]
#
# Every round runs each (model, threads) pair once with each engine,
# interleaved, so machine load affects both alike; medians over the rounds
# are reported.  Measured:
#   wall   whole process (`rksim ref` / node ort-run.js): start-up + model
#          load + inference + output write, wall clock; peak RSS of that
#          process from /usr/bin/time
#   infer  in-process inference only, median of 3 runs inside one process
#          (warm): onnxruntime InferenceSession.run() (ort-run.js) and
#          onnxref ox_run() (scripts/onnxref-time.c, compiled here against
#          the build's static libraries)
# Ratios are onnxref / onnxruntime (target: time <= 1.5, RSS <= 2.0).
# Threads: onnxref pins OpenBLAS to one thread per call and splits each GEMM
# over its own --threads workers; onnxruntime gets intraOpNumThreads=N,
# interOpNumThreads=1.  OPENBLAS_NUM_THREADS is exported as N as well.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=ort-env.sh
. "$here/ort-env.sh"
runs=5 thread_list="1 2" models="det rec"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift ;;
    --threads) thread_list="$2"; shift ;;
    --models) models="$2"; shift ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-onnxref: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
ort_env_setup || exit $?
shared="${RKSIM_SHARED:-$src/../shared}"
[ -d "$shared/datasets/ppocr" ] || { echo "bench-onnxref: no $shared/datasets/ppocr" >&2; exit 77; }
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
log="$work/log.tsv"
for m in $models; do
  "$PYTHON" "$here/ort_compare.py" inputs "ppocr_$m" "$shared" "$work/$m" >/dev/null || exit 2
done
build="$(dirname "$(dirname "$RKSIM")")"
# shellcheck disable=SC2046
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$src/onnxref" -I"$src/common" \
   "$here/onnxref-time.c" "$build/onnxref/librksim_onnxref.a" "$build/common/librksim_common.a" \
   $(pkg-config --libs libprotobuf-c openblas hdf5) -lpthread -lm -o "$work/onnxref-time" || {
  echo "bench-onnxref: cannot build scripts/onnxref-time.c against $build" >&2; exit 2; }
timed() { # timed LABEL CMD... : appends "LABEL wall_seconds peak_rss_kb" to the log
  local label="$1"; shift
  local t0 t1
  # wall from the ns clock (time's %e has only 10 ms resolution); RSS from time
  t0="$(date +%s%N)"
  /usr/bin/time -f "%M" -o "$work/time.txt" "$@" >"$work/out.txt" 2>"$work/err.txt" || {
    echo "bench-onnxref: $label failed: $(tail -2 "$work/err.txt")" >&2; return 1; }
  t1="$(date +%s%N)"
  echo "$label $(( (t1 - t0) / 1000 ))e-6 $(tail -1 "$work/time.txt")" >>"$log"
}
echo "onnxref vs onnxruntime-node $ORT_VERSION; $runs interleaved rounds; $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for r in $(seq 1 "$runs"); do
  for m in $models; do
    model="$shared/datasets/ppocr/ch_PP-OCRv4_${m}_infer.onnx"
    for t in $thread_list; do
      export OPENBLAS_NUM_THREADS="$t" OMP_NUM_THREADS="$t"
      timed "ref $m $t" "$RKSIM" ref "$model" "$work/$m/in0.npy" -o "$work/ref.h5" --threads "$t" || exit 1
      ORT_REPEAT=1 timed "ort $m $t" node "$here/ort-run.js" "$model" "$work/ort" "$t" \
        "#0=$work/$m/in0.npy" || exit 1
      ORT_REPEAT=3 node "$here/ort-run.js" "$model" "$work/ort" "$t" "#0=$work/$m/in0.npy" \
        >"$work/out.txt" || exit 1
      echo "ortrun $m $t $("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_ms"] / 1000)' "$work/out.txt") 0" >>"$log"
      "$work/onnxref-time" "$model" "$t" 3 "$work/$m/in0.npy" >"$work/out.txt" || exit 1
      echo "refrun $m $t $(awk '{print $4 / 1000}' "$work/out.txt") 0" >>"$log"
    done
  done
  echo "round $r/$runs done" >&2
done
"$PYTHON" - "$log" <<'EOF'
import statistics
import sys
rows = {}
for line in open(sys.argv[1]):
    kind, model, threads, wall, rss = line.split()
    rows.setdefault((kind, model, threads), []).append((float(wall), float(rss)))
def med(kind, m, t, i):
    return statistics.median(v[i] for v in rows[(kind, m, t)])
print(f"{'model':5s} {'thr':>3s} | {'ref wall':>8s} {'ort wall':>8s} {'ratio':>6s} | "
      f"{'ref RSS':>8s} {'ort RSS':>8s} {'ratio':>6s} | {'ref infer':>9s} {'ort infer':>9s} {'ratio':>6s}")
for (kind, m, t) in sorted(k for k in rows if k[0] == "ref"):
    rw, ow = med("ref", m, t, 0), med("ort", m, t, 0)
    rr, orr = med("ref", m, t, 1) / 1024, med("ort", m, t, 1) / 1024
    ri = med("refrun", m, t, 0)
    oi = med("ortrun", m, t, 0)
    print(f"{m:5s} {t:>3s} | {rw:7.3f}s {ow:7.3f}s {rw / ow:6.2f} | {rr:6.1f}MB {orr:6.1f}MB "
          f"{rr / orr:6.2f} | {ri:8.3f}s {oi:8.3f}s {ri / oi:6.2f}")
print("ratios = onnxref / onnxruntime; targets: time <= 1.5, peak RSS <= 2.0")
EOF
