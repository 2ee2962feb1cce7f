#!/usr/bin/env bash
# scripts/onnx-conformance.sh - run ONNX's own backend node tests (Debian
# libonnx-testdata: model.onnx + test_data_set_0 per test) through onnxref.
#
#   scripts/onnx-conformance.sh                    # every test, per-test lines + "N passed, M failed"
#   scripts/onnx-conformance.sh --filter conv      # only tests whose name contains "conv"
#   scripts/onnx-conformance.sh --ratchet          # also fail if a test listed in
#                                                  # tests/onnx-conformance-passing.txt fails
#   scripts/onnx-conformance.sh --update-ratchet   # rewrite that list from this run
#   scripts/onnx-conformance.sh --summary          # per-op failure counts at the end
#   scripts/onnx-conformance.sh --threads 2        # kernels use 2 threads (default 1)
#
# Env: RKSIM_BUILD (build dir holding onnxref/onnxref-conformance, default
# ./build), ONNX_NODE_TESTS (default /usr/share/libonnx-testdata/data/node).
# Exit: 0 ok (or ratchet held), 1 failures (or ratchet broken), 77 no test data.
set -uo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${RKSIM_BUILD:-$src/build}"
data="${ONNX_NODE_TESTS:-/usr/share/libonnx-testdata/data/node}"
ratchet_file="$src/tests/onnx-conformance-passing.txt"
mode=plain filter="" summary=0 threads=1
while [ $# -gt 0 ]; do
  case "$1" in
    --ratchet) mode=ratchet ;;
    --update-ratchet) mode=update ;;
    --filter) filter="$2"; shift ;;
    --summary) summary=1 ;;
    --threads) threads="$2"; shift ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "onnx-conformance: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
driver="$build/onnxref/onnxref-conformance"
if [ ! -x "$driver" ]; then
  echo "onnx-conformance: $driver not built (cmake --build $build)" >&2; exit 2
fi
if [ ! -d "$data" ]; then
  echo "onnx-conformance: no test data at $data (apt install libonnx-testdata)" >&2; exit 77
fi
out="$(mktemp)"; trap 'rm -f "$out"' EXIT
args=(--root "$data" --threads "$threads")
[ -n "$filter" ] && args+=(--filter "$filter")
"$driver" "${args[@]}" | tee "$out" | grep -v -E '^[0-9]+ passed, [0-9]+ failed$'
if [ "$summary" = 1 ]; then
  echo "--- failures per operator (test name prefix) ---"
  grep -E '^(FAIL|UNSUPPORTED) ' "$out" | sed -E 's/^[A-Z]+ test_([a-z0-9]+).*/\1/' | sort | uniq -c | sort -rn
fi
closing="$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -1)"
if [ -z "$closing" ]; then
  echo "onnx-conformance: the driver did not finish" >&2; exit 1
fi
status=0
case "$mode" in
  update)
    grep '^PASS ' "$out" | awk '{print $2}' | sort > "$ratchet_file"
    echo "onnx-conformance: wrote $(wc -l < "$ratchet_file") passing tests to $ratchet_file" ;;
  ratchet)
    if [ ! -f "$ratchet_file" ]; then
      echo "onnx-conformance: $ratchet_file missing" >&2; status=1
    else
      broken="$(comm -23 <(grep -v '^#' "$ratchet_file" | sort) <(grep '^PASS ' "$out" | awk '{print $2}' | sort))"
      if [ -n "$filter" ]; then broken="$(echo "$broken" | grep -F -- "$filter" || true)"; fi
      if [ -n "$broken" ]; then
        echo "onnx-conformance: RATCHET BROKEN: these tests passed before and fail now:" >&2
        echo "$broken" | sed 's/^/  /' >&2
        status=1
      else
        echo "onnx-conformance: ratchet holds ($(grep -vc '^#' "$ratchet_file") listed tests pass)"
      fi
    fi ;;
  plain)
    echo "$closing" | grep -q ' 0 failed$' || status=1 ;;
esac
echo "$closing"
exit $status
