#!/usr/bin/env bash
# `rksim info` end to end on every vendor .rknn file: text and --json output,
# SoC / task count / I/O checked against ../shared/reference/rknn-format.md
# §2 and reference/dumps (independent decoders); refused and broken files
# exit with the documented codes (3 bad input, 4 unsupported, 2 usage).
set -uo pipefail
: "${RKSIM:?}" "${RKSIM_SHARED:?}" "${PYTHON:=/usr/bin/python3}"
V="$RKSIM_SHARED/datasets/rknn-vendor"
[ -d "$V" ] || exit 77
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# file | soc | tasks | inputs (names, comma separated) | outputs
while IFS='|' read -r rel soc tasks ins outs; do
  f="$V/$rel"
  "$RKSIM" info "$f" >"$tmp/out.txt" || fail "info $rel"
  grep -q "target SoC:  $soc" "$tmp/out.txt" || fail "$rel: SoC is not $soc"
  "$RKSIM" info "$f" --json >"$tmp/out.json" || fail "info --json $rel"
  "$PYTHON" - "$tmp/out.json" "$soc" "$tasks" "$ins" "$outs" <<'PY' || fail "$rel: JSON check"
import json, sys
j = json.load(open(sys.argv[1]))
soc, tasks, ins, outs = sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
assert j["soc"] == soc, j["soc"]
assert j["task_count"] == tasks, (j["task_count"], tasks)
assert j["has_program"] == (tasks > 0)
assert [t["name"] for t in j["inputs"]] == ins.split(","), j["inputs"]
assert [t["name"] for t in j["outputs"]] == (outs.split(",") if outs else []), j["outputs"]
assert sum(n["task_count"] for n in j["nodes"]) == tasks
for k in ("weight_bytes", "activation_pool_bytes", "regcmd_bytes"):
    assert j["memory"][k] >= 0
assert (j["memory"]["regcmd_bytes"] > 0) == (tasks > 0)
PY
done <<'LIST'
pp_human_segv2_custom_argmax/RK3588_pp_human_segv2_custom_argmax.rknn|rk3588|1722|x|argmax_0.tmp_0
multiple_input_demo/RK3588_multiple_input_demo.rknn|rk3588|17|input.1,input|8
multiple_input_demo/RK3566_RK3568_multiple_input_demo.rknn|rk3566|10|input.1,input|8
dual_residual_custom/RK3588_dual_residual_custom.rknn|rk3588|17|0,1|2,3
dual_residual_custom/RK3566_RK3568_dual_residual_custom.rknn|rk3566|2|0,1|2,3
legacy/old_rknpu2_multiple_input_demo_RK356X.rknn|rk3566|0|input.1,input|8
legacy/old_rknpu2_multiple_input_demo_RK3588.rknn|rk3566|0|input.1,input|8
LIST

# yolov8n (v4): loads, no command stream
"$RKSIM" info "$V/legacy/yolov8n_rknnopt_RK3566_3568_i8.rknn" >"$tmp/y.txt" || fail "info yolov8n"
grep -q "no compiled command stream" "$tmp/y.txt" || fail "yolov8n: no-program message missing"

# refusals and broken input
printf 'CYPTRKNN%0120d' 0 >"$tmp/enc.rknn"
"$RKSIM" info "$tmp/enc.rknn" 2>"$tmp/err.txt"; rc=$?
[ $rc -eq 4 ] || fail "encrypted file: exit $rc, want 4"
grep -q "encrypted" "$tmp/err.txt" || fail "encrypted file: message does not say so"
head -c 5000 "$V/multiple_input_demo/RK3588_multiple_input_demo.rknn" >"$tmp/trunc.rknn"
"$RKSIM" info "$tmp/trunc.rknn" 2>"$tmp/err.txt"; rc=$?
[ $rc -eq 3 ] || fail "truncated file: exit $rc, want 3"
grep -q "truncated" "$tmp/err.txt" || fail "truncated file: message: $(cat "$tmp/err.txt")"
"$RKSIM" info 2>/dev/null; rc=$?
[ $rc -eq 2 ] || fail "no FILE: exit $rc, want 2"
"$RKSIM" info --help | grep -q "usage: rksim info" || fail "--help"
echo "rknn_info: ok"
