/*
 * convert.c - rk_convert_onnx: load, passes, calibration, lowering,
 * container; then every regcmd entry is run through the ISA validator so a
 * file we write never fails `rksim check`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_internal.h"

/* Validate every entry of the program we made (belt and braces: each field
 * was packed with the width check already). */
static rk_status validate_program(const rknn_model *m, rk_soc soc, rk_err *e)
{
    for (size_t i = 0; i < m->n_regcmd; i++) {
        isa_violation v[4];
        size_t n = isa_validate_entry(soc, m->regcmd[i], v, 4);
        for (size_t k = 0; k < n && k < 4; k++)
            if (!isa_violation_is_note(v[k].kind))
                return rk_errf(e, RK_EINTERNAL,
                               "compiler bug: regcmd entry %zu (%s) fails validation: %s %s", i,
                               v[k].reg ? v[k].reg->name : "?", isa_violation_kind_name(v[k].kind), v[k].detail);
    }
    return RK_OK;
}

/* Appends src's notes and counts to dst (may be NULL), frees src. */
static void report_move(rk_convert_report *dst, rk_convert_report *src)
{
    for (size_t i = 0; dst && i < src->n_notes; i++)
        cv_note(dst, "%s", src->notes[i]);
    if (dst) {
        dst->n_npu_ops += src->n_npu_ops;
        dst->n_cpu_ops += src->n_cpu_ops;
        dst->n_tasks += src->n_tasks;
        dst->n_tiled_ops += src->n_tiled_ops;
        dst->n_fused += src->n_fused;
        if (src->unsupported && !dst->unsupported) {
            dst->unsupported = src->unsupported;
            src->unsupported = NULL;
        }
    }
    rk_convert_report_free(src);
}

/* Graph passes and calibration, rebuilt when fusions are refused: LUT
 * activations whose layer a hybrid config names float16 (before
 * calibration: no float LUT), and int8 LUT activations whose output would
 * quantise badly with one scale (cv_act_judge, after calibration: it needs
 * the per-channel ranges).  At most three builds; refusing never creates
 * new LUT fusions, and spreads are properties of the float model. */
static rk_status build_graph(ox_model *om, const rk_convert_opts *opts, const rk_hybrid_cfg *hy, cv_graph *g,
                             rk_convert_report *rep, rk_err *e)
{
    rk_convert_report judged;
    memset(&judged, 0, sizeof(judged));
    rk_status st = RK_OK;
    for (int pass = 0;; pass++) {
        rk_convert_report r1;
        memset(&r1, 0, sizeof(r1));
        int refused = 0;
        g->hybrid = hy; /* MatMul lowering plans the named ops in fp16 (cv_matmul.c) */
        st = cv_graph_build(om, opts, g, &r1, e);
        if (!st && hy && hy->n_layers)
            st = cv_act_hybrid_refuse(g, hy, &refused, &judged, e);
        /* fp16 programs carry no quantisation parameters: no calibration run;
         * with --no-cpu-fallback a refused activation could not run at all */
        if (!st && !refused && opts->dtype == RK_CONVERT_INT8 && !(st = cv_calibrate(om, g, opts, &r1, e)) &&
            !opts->no_cpu_fallback && pass < 2)
            st = cv_act_judge(g, opts->algo == RK_CALIB_KL ? CV_ACT_MAX_SPREAD_KL : CV_ACT_MAX_SPREAD, &refused,
                              &judged, e);
        if (st || !refused) {
            report_move(rep, &judged);
            report_move(rep, &r1);
            return st;
        }
        rk_convert_report_free(&r1);
        char **names = g->act_refused, **as_fp16 = g->act_fp16;
        int n = g->n_act_refused, n16 = g->n_act_fp16;
        g->act_refused = g->act_fp16 = NULL;
        g->n_act_refused = g->n_act_fp16 = 0;
        cv_graph_free(g);
        g->act_refused = names;
        g->n_act_refused = n;
        g->act_fp16 = as_fp16;
        g->n_act_fp16 = n16;
    }
}

rk_status rk_convert_onnx(const char *onnx_path, const rk_convert_opts *opts, rknn_model **out,
                          rk_convert_report *rep, rk_err *e)
{
    *out = NULL;
    if (!cv_soc_get(opts->soc))
        return rk_errf(e, RK_EUNSUPPORTED, "convert: no lowering for --soc %s (lowered: rk3588, rk3566/rk3568)",
                       rk_soc_name(opts->soc));
    if (opts->hybrid_cfg && opts->dtype != RK_CONVERT_INT8)
        return rk_errf(e, RK_EUSAGE, "convert: a hybrid config moves layers of an int8 program to fp16; use it "
                       "with --dtype int8");
    if (opts->dynamic_input)
        return rk_convert_onnx_sets(onnx_path, opts, out, rep, e);
    ox_model *om = NULL;
    cv_graph g;
    rk_hybrid_cfg hy;
    memset(&g, 0, sizeof(g));
    memset(&hy, 0, sizeof(hy));
    rk_status st = opts->hybrid_cfg ? rk_hybrid_cfg_read(opts->hybrid_cfg, &hy, e) : RK_OK;
    if (st)
        return st;
    if ((st = ox_model_load_file(onnx_path, &om, e))) {
        rk_hybrid_cfg_free(&hy);
        return st;
    }
    if (opts->dtype == RK_CONVERT_FP16 && opts->calib_h5)
        cv_note(rep, "--calib %s ignored: fp16 programs need no calibration", opts->calib_h5);
    if ((st = build_graph(om, opts, opts->hybrid_cfg ? &hy : NULL, &g, rep, e)) ||
        (opts->hybrid_cfg && (st = cv_hybrid_apply(&g, &hy, rep, e))) || (st = cv_cpu_finish(om, &g, e)) ||
        (st = cv_hybrid_finish(om, &g, e)) || (st = cv_build_model(&g, opts, out, rep, e)))
        goto done;
    if ((st = validate_program(*out, opts->soc, e))) {
        rknn_free(*out);
        *out = NULL;
    }
done:
    rk_hybrid_cfg_free(&hy);
    cv_graph_free(&g);
    ox_model_free(om);
    return st;
}
