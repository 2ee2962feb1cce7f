#!/usr/bin/env bash
# End-to-end check of the cycle model through the CLI:
#   rksim run MODEL.rknn --perf-only --perf-json FILE [--param NAME=VALUE]
# on every shared vendor v6 model.  Checks the eval_perf-style table, the
# JSON's internal consistency (every task in one layer, frame time = sum of
# layer times, positive cycles), the multi-core variants (--param cores=3 is
# faster on pp_human_segv2), that a bad --param is a usage error (exit 2),
# and that the 1722-task model is estimated well under a second.
# Skips (77) until `rksim run` offers --perf-only, or without ../shared.
set -u
: "${RKSIM:?RKSIM not set}" "${RKSIM_SHARED:?RKSIM_SHARED not set}"
PY=${PYTHON:-/usr/bin/python3}
V="$RKSIM_SHARED/datasets/rknn-vendor"
[ -d "$V" ] || { echo "skip: $V absent"; exit 77; }
if ! "$RKSIM" run --help 2>&1 | grep -q -- '--perf-only'; then
    echo "skip: 'rksim run' has no --perf-only yet"
    exit 77
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0

models=(
    "$V/multiple_input_demo/RK3588_multiple_input_demo.rknn"
    "$V/multiple_input_demo/RK3566_RK3568_multiple_input_demo.rknn"
    "$V/dual_residual_custom/RK3588_dual_residual_custom.rknn"
    "$V/dual_residual_custom/RK3566_RK3568_dual_residual_custom.rknn"
    "$V/pp_human_segv2_custom_argmax/RK3588_pp_human_segv2_custom_argmax.rknn"
)

check_json() { # FILE
    "$PY" - "$1" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
tasks, layers, tot = r["tasks"], r["layers"], r["totals"]
seen = [0] * len(tasks)
frame = 0.0
for l in layers:
    for t in l["tasks"]:
        seen[t] += 1
        assert tasks[t]["node"] == l["id"], (t, l["id"])
    frame += l["time_us"]
    if l["active_tasks"]:
        assert l["time_us"] > 0, l
assert all(s == 1 for s in seen), "a task is in no layer or in two"
assert all(t["time_cycles"] > 0 for t in tasks)
act = [t for t in tasks if t["active"]]
assert len(act) == tot["active_tasks"] > 0
assert abs(frame - tot["frame_time_us"]) <= 1e-3 * max(frame, 1), (frame, tot)
assert sum(t["ddr_bytes"] for t in act) == tot["rw_bytes"]
assert all(p["source"] in ("documented", "measured", "assumed", "user") for p in r["params"])
print("%-45s %5d tasks %8.1f us" % (sys.argv[1].split("/")[-1], len(tasks), tot["frame_time_us"]))
EOF
}

for m in "${models[@]}"; do
    name=$(basename "$m" .rknn)
    out="$TMP/$name.txt" json="$TMP/$name.json"
    start=$(date +%s%N)
    if ! "$RKSIM" run "$m" --perf-only --perf-json "$json" >"$out" 2>"$TMP/err"; then
        echo "FAIL: rksim run $name --perf-only: $(cat "$TMP/err")"; fail=1; continue
    fi
    ms=$(( ($(date +%s%N) - start) / 1000000 ))
    grep -q 'Total Operator Elapsed Per Frame Time(us)' "$out" || { echo "FAIL: $name: no frame time line"; fail=1; }
    grep -q 'Cycles(DDR/NPU/Total)' "$out" || { echo "FAIL: $name: no table header"; fail=1; }
    check_json "$json" || { echo "FAIL: $name: inconsistent JSON"; fail=1; }
    case "$name" in *pp_human*) [ "$ms" -lt 1000 ] || { echo "FAIL: $name took $ms ms"; fail=1; };; esac
done

pp="$V/pp_human_segv2_custom_argmax/RK3588_pp_human_segv2_custom_argmax.rknn"
t1=$("$RKSIM" run "$pp" --perf-only --perf-json "$TMP/c1.json" >/dev/null 2>&1 &&
     "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["frame_time_us"])' "$TMP/c1.json")
t3=$("$RKSIM" run "$pp" --perf-only --param cores=3 --perf-json "$TMP/c3.json" >/dev/null 2>&1 &&
     "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["totals"]["frame_time_us"])' "$TMP/c3.json")
if [ -z "$t1" ] || [ -z "$t3" ] || ! "$PY" -c "import sys; sys.exit(0 if $t3 < $t1 else 1)"; then
    echo "FAIL: 3-core variant ($t3 us) not faster than 1 core ($t1 us)"; fail=1
fi

"$RKSIM" run "$pp" --perf-only --param no_such_param=1 >/dev/null 2>"$TMP/err"
rc=$?
[ "$rc" -eq 2 ] || { echo "FAIL: bad --param exit $rc (want 2)"; fail=1; }
grep -q 'clock_mhz' "$TMP/err" || { echo "FAIL: bad --param message does not list the names"; fail=1; }

exit $fail
