#!/usr/bin/env bash
# e2e: `rksim compare` on the vendor multiple_input_demo (RK3588 and
# RK3566_RK3568 .rknn) against its source test.onnx.  Checks: exit 0, every
# report format written, every NPU layer of the vendor dump matched with
# entire and single metrics, formats agree, the output's metrics equal
# numpy's (float reference computed in numpy, simulated output from
# `rksim run`), the hybrid cfg, and the HTML rendered by headless Chromium
# (screenshot not blank, table rows and SVG plot in the DOM).
set -u
PY=${PYTHON:-/usr/bin/python3}
HERE=$(cd "$(dirname "$0")" && pwd)
D="${RKSIM_SHARED:-}/datasets/rknn-vendor/multiple_input_demo"
if [ ! -f "$D/test.onnx" ]; then
    echo "skip: $D not found (../shared absent)"
    exit 77
fi
OUT=$(mktemp -d "${RKSIM_BUILD:-/tmp}/compare-e2e.XXXXXX")
fail() { echo "FAIL: $*"; exit 1; }
ran=0

for soc in RK3588 RK3566_RK3568; do
    M="$D/${soc}_multiple_input_demo.rknn"
    P="$OUT/$soc"
    echo "== $soc"
    lenient=()
    "$RKSIM" compare "$D/test.onnx" "$M" "$D/image1_nchw.npy" "$D/image2_nchw.npy" \
        --report all -o "$P" --hybrid-cfg "$P.cfg" --top 2 >"$P.stdout" 2>"$P.stderr"
    rc=$?
    if [ $rc -eq 4 ] && grep -q 'rerun with --lenient' "$P.stderr"; then
        # The simulator stops at a register mode it does not model yet; the
        # compare checks below still hold with --lenient, which is said loudly.
        echo "NOTE: $soc: $(cat "$P.stderr")"
        echo "NOTE: $soc: checking with --lenient (simulator results of the unmodelled task may be wrong)"
        lenient=(--lenient)
        "$RKSIM" compare "$D/test.onnx" "$M" "$D/image1_nchw.npy" "$D/image2_nchw.npy" --lenient \
            --report all -o "$P" --hybrid-cfg "$P.cfg" --top 2 >"$P.stdout" 2>"$P.stderr"
        rc=$?
    fi
    if [ $rc -ne 0 ]; then
        # Only the simulator's own failure on this model may excuse it, and it
        # is reported loudly: compare itself must work wherever `run` does.
        if ! "$RKSIM" run "$M" "$D/image1_nchw.npy" "$D/image2_nchw.npy" "${lenient[@]}" \
            -o "$P.sim.h5" --quiet >"$P.run.log" 2>&1; then
            echo "NOT CHECKED: $soc: the simulator cannot run this model yet: $(cat "$P.run.log")"
            continue
        fi
        fail "$soc: compare exit $rc: $(cat "$P.stderr")"
    fi
    for ext in txt json csv xml html; do
        [ -s "$P.$ext" ] || fail "$soc: $P.$ext not written"
    done
    grep -q '^compare: .* layers matched' "$P.stdout" || fail "$soc: no summary line on stdout"
    cat "$P.stdout"
    grep -q '^custom_quantize_layers:$' "$P.cfg" || fail "$soc: hybrid cfg lacks custom_quantize_layers"
    [ "$(grep -c ': float16' "$P.cfg")" -eq 2 ] || fail "$soc: hybrid cfg should list the 2 worst layers"
    "$RKSIM" run "$M" "$D/image1_nchw.npy" "$D/image2_nchw.npy" "${lenient[@]}" -o "$P.sim.h5" \
        --quiet 2>/dev/null || fail "$soc: rksim run failed"
    "$PY" "$HERE/compare_check.py" "$P" "$RKSIM_SHARED/reference/dumps/multiple_input_demo_${soc}.fb.txt" \
        "$D/test.onnx" "$P.sim.h5" "$D/image1_nchw.npy" "$D/image2_nchw.npy" || fail "$soc: report checks"

    nlayers=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["layers"]))' "$P.json")
    CHROMIUM=/usr/bin/chromium
    [ -x "$CHROMIUM" ] || fail "$CHROMIUM missing (scripts/setup.sh installs it)"
    flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run
           --disable-background-networking --disable-component-update --disable-sync
           --user-data-dir="$(mktemp -d "$OUT/chrome.XXXXXX")")
    timeout 120 "$CHROMIUM" "${flags[@]}" --screenshot="$P.png" --window-size=1200,900 \
        "file://$P.html" >"$P.chrome.log" 2>&1 || fail "$soc: chromium screenshot failed: $(tail -3 "$P.chrome.log")"
    timeout 120 "$CHROMIUM" "${flags[@]}" --dump-dom "file://$P.html" >"$P.dom.html" 2>>"$P.chrome.log" \
        || fail "$soc: chromium --dump-dom failed"
    "$PY" "$HERE/compare_html_check.py" "$P.png" "$P.dom.html" "$nlayers" || fail "$soc: HTML did not render"
    if [ "$soc" = RK3588 ]; then
        # The same inputs as NHWC files with --nhwc must give the same report.
        "$PY" -c 'import numpy as np, sys
for src, dst in zip(sys.argv[1::2], sys.argv[2::2]):
    np.save(dst, np.load(src).transpose(0, 2, 3, 1))' \
            "$D/image1_nchw.npy" "$OUT/img1_nhwc.npy" "$D/image2_nchw.npy" "$OUT/img2_nhwc.npy"
        "$RKSIM" compare "$D/test.onnx" "$M" "$OUT/img1_nhwc.npy" "$OUT/img2_nhwc.npy" --nhwc \
            --report csv -o "$P.nhwc.csv" >/dev/null || fail "$soc: --nhwc run failed"
        cmp -s "$P.csv" "$P.nhwc.csv" || fail "$soc: --nhwc report differs from the NCHW one"
        echo "ok: --nhwc inputs give the identical report"
    fi
    ran=$((ran + 1))
done
[ $ran -gt 0 ] || { echo "skip: the simulator ran neither model"; exit 77; }
echo "compare_multiple_input_demo: $ran SoC(s) checked; outputs in $OUT"
