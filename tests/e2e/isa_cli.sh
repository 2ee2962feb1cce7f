#!/usr/bin/env bash
# End-to-end checks of `rksim disasm`, `rksim check` and `rksim explain`:
# documented exit codes and messages for good and bad input.
# Env: RKSIM (binary), RKSIM_SHARED (../shared).  Exit 77 = skipped.
set -u
: "${RKSIM:?RKSIM not set}"
SHARED="${RKSIM_SHARED:-}"
if [ -z "$SHARED" ] || [ ! -d "$SHARED/datasets/rknn-vendor" ]; then
    echo "skip: ../shared not found"; exit 77
fi
V="$SHARED/datasets/rknn-vendor"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0

# expect CODE PATTERN -- command...   (PATTERN is grepped in stdout+stderr; "" = none)
expect() {
    local want=$1 pat=$2; shift 3
    "$@" >"$TMP/out" 2>&1
    local got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: exit $got, want $want: $*"; head -5 "$TMP/out"; fails=$((fails + 1)); return
    fi
    if [ -n "$pat" ] && ! grep -qF -- "$pat" "$TMP/out"; then
        echo "FAIL: output lacks '$pat': $*"; head -5 "$TMP/out"; fails=$((fails + 1)); return
    fi
    echo "ok: $*"
}

# --help on each command
expect 0 "usage: rksim disasm" -- "$RKSIM" disasm --help
expect 0 "usage: rksim check" -- "$RKSIM" check --help
expect 0 "usage: rksim explain" -- "$RKSIM" explain --help

# vendor v6 models pass their own SoC with zero violations
for m in multiple_input_demo/RK3588_multiple_input_demo.rknn \
         multiple_input_demo/RK3566_RK3568_multiple_input_demo.rknn \
         dual_residual_custom/RK3588_dual_residual_custom.rknn \
         dual_residual_custom/RK3566_RK3568_dual_residual_custom.rknn \
         pp_human_segv2_custom_argmax/RK3588_pp_human_segv2_custom_argmax.rknn; do
    expect 0 ", 0 violations" -- "$RKSIM" check "$V/$m"
done
# an RK3588 model checked as RK3566 reports the incompatibilities (exit 1)
expect 1 "target: lite" -- "$RKSIM" check --soc rk3566 "$V/multiple_input_demo/RK3588_multiple_input_demo.rknn"
expect 1 "CBUF banks, but rk3566 has 8" -- "$RKSIM" check --soc rk3566 "$V/multiple_input_demo/RK3588_multiple_input_demo.rknn"
# ... and an RK3566 model checked as RK3588 (0x2000 block absent there)
expect 1 "rk3588 has no B2000 block" -- "$RKSIM" check --soc rk3588 "$V/multiple_input_demo/RK3566_RK3568_multiple_input_demo.rknn"
# an older container without a command stream: unsupported (4)
expect 4 "no compiled command stream" -- "$RKSIM" check "$V/legacy/old_rknpu2_multiple_input_demo_RK3588.rknn"
# SoC whose layouts are unknown: refuses to pass (4)
expect 4 "not publicly known" -- "$RKSIM" check --soc rk3562 "$V/multiple_input_demo/RK3588_multiple_input_demo.rknn"

# crafted raw regcmd: a DPU cube 8400 wide (DATA_CUBE_WIDTH = 8399 = 0x20cf)
printf '\x30\x40\xcf\x20\x00\x00\x01\x10' >"$TMP/w8400.regcmd"
expect 1 "REGTASK: The bit width of field value exceeds the limit, target: v2, offset: 0x4030, shift = 0, limit: 0x1fff, value: 0x20cf" \
    -- "$RKSIM" check --soc rk3588 "$TMP/w8400.regcmd"
expect 0 "!overflow:WIDTH" -- "$RKSIM" disasm --soc rk3588 "$TMP/w8400.regcmd"

# bad input: size not a multiple of 8 (3), raw file without --soc (2), unknown SoC (2)
printf '0123456789ab' >"$TMP/odd.regcmd"
expect 3 "multiple of 8" -- "$RKSIM" disasm --soc rk3588 "$TMP/odd.regcmd"
expect 3 "multiple of 8" -- "$RKSIM" check --soc rk3588 "$TMP/odd.regcmd"
expect 2 "needs --soc" -- "$RKSIM" disasm "$TMP/w8400.regcmd"
expect 2 "unknown SoC 'rk9999'" -- "$RKSIM" disasm --soc rk9999 "$TMP/w8400.regcmd"
expect 2 "unknown SoC 'rk9999'" -- "$RKSIM" check --soc rk9999 "$TMP/w8400.regcmd"
expect 3 "" -- "$RKSIM" disasm --soc rk3588 "$TMP/does-not-exist"
: >"$TMP/empty.regcmd"
expect 3 "empty regcmd file" -- "$RKSIM" disasm --soc rk3588 "$TMP/empty.regcmd"

# explain: the issue's sample log (exit 1: error-level lines), stdin, empty log (3)
cat >"$TMP/build.log" <<'LOG'
E RKNN: [10:14:38.123] REGTASK: The bit width of field value exceeds the limit, target: v2, offset: 0x4030, shift = 0, limit: 0x1fff, value: 0x20cf
E RKNN: [10:14:38.124] REGTASK: The bit width of field value exceeds the limit, target: v2, offset: 0x500c, shift = 0, limit: 0x1fff, value: 0x20cf
E RKNN: [16:02:11.510] REGTASK: The bit width of field value exceeds the limit, target: v2, offset: 0x4038, shift = 16, limit: 0x1fff, value: 0x5e010
E RKNN: [09:41:07.882] REGTASK: The bit width of field value exceeds the limit, target: v2, offset: 0x5048, shift = 19, limit: 0x1fff, value: 0x4210
W RKNN: [09:41:07.880] emitUnpackRegtasks: align_surf(4) > notch_limit(8192)
D RKNN: [09:41:07.870] DatainEntries overflow, need to tiling more, datain_entries: 2100, limitation: 2048
E RKNN: [11:20:31.004] failed to config argb mode layer!
W RKNN: [10:14:37.990] Failed to config layer: 'Conv:/model.22/dfl/conv/Conv' using 3Core fallback to single core mode, core_num 3 ori_Ih 4 ori_Iw 8400 ori_Ic 16
I RKNN: [10:14:39.000] some line rksim does not know
LOG
expect 1 "8 problem lines explained (5 error-level), 1 not recognised (line 9)" -- "$RKSIM" explain "$TMP/build.log"
expect 1 "the model asks for a size of 8400" -- "$RKSIM" explain "$TMP/build.log"
expect 1 "8 problem lines explained" -- sh -c "\"$RKSIM\" explain - < \"$TMP/build.log\""
echo "W RKNN: [10:14:37.990] Failed to config layer: 'x' using 3Core fallback to single core mode, core_num 3 ori_Ih 4 ori_Iw 8400 ori_Ic 16" >"$TMP/warn.log"
expect 0 "1 problem line explained (0 error-level)" -- "$RKSIM" explain "$TMP/warn.log"
: >"$TMP/empty.log"
expect 3 "empty log" -- "$RKSIM" explain "$TMP/empty.log"
printf '\n  \n' >"$TMP/blank.log"
expect 3 "empty log" -- "$RKSIM" explain "$TMP/blank.log"
expect 3 "empty log" -- sh -c "\"$RKSIM\" explain - < /dev/null"
expect 3 "" -- "$RKSIM" explain "$TMP/no-such.log"
expect 2 "missing LOGFILE" -- "$RKSIM" explain

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"; exit 1
fi
echo "all isa CLI checks passed"
