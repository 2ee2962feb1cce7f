/*
 * cv_act.c - the numbers of activations fused into a Conv or Add beyond
 * Relu/Clip (the pattern matching is cv_graph.c fuse_followers).
 *
 * LeakyRelu after a Conv: the DPU BN stage's PReLU multiply (SEMANTICS D-MUL:
 * MUL_PRELU multiplies the negative values only; int8 operand alpha ~ m / 2^s
 * with m in [2^14, 2^15) from cv_fixed_point, relative error <= 2^-15;
 * fp16 programs: alpha as fp16 bits, D-FPSTAGE / D-FPDATA, inferred).
 *
 * Every other activation (and LeakyRelu after an int8 Add, whose sum only
 * exists after the EW stage, i.e. after BN) runs in the DPU LUT (SEMANTICS
 * D-LUT-RAM / D-LUT: table layout and interpolation inferred from NVDLA's
 * SDP LINEAR mode and allbilly's hardware-run sigmoid programming, which
 * puts negative inputs in LE = [-16384, 0] and positive ones in LO = [0,
 * 16384] with index select 5, underflow on LE, overflow on LO).  We keep
 * that split and choose our own ranges (inferred, simulator-checked only):
 *  - the value entering the LUT is the DPU integer v (conv: the accumulator
 *    after the BS bias/per-channel scale, unit s_in * ws_ref; Add: the sum in
 *    the Add's common unit), so no extra requantisation step rounds it;
 *  - LE covers [-x_neg, 0] and LO [0, x_pos] (real values) with n <= 512
 *    intervals of 2^sel integer units each (sel the smallest index select
 *    that fits): x_neg / x_pos are where the function is (nearly) linear
 *    beyond - the breakpoints of HardSigmoid / HardSwish (exact), +-12 for
 *    Sigmoid and SiLU (sigmoid(-12) = 6e-6), +-6 for Tanh (1 - tanh 6 =
 *    1.2e-5) - so inputs outside the calibrated range still come out right;
 *    a side that keeps growing (SiLU / HardSwish / LeakyRelu) is widened to
 *    the calibrated pre-activation range (cv_quant.c), so that calibrated
 *    inputs stay inside the int16 entries (the LUT's output width beyond
 *    the table is not documented; rksim keeps it wide);
 *  - outside the tables the under/overflow slopes continue the asymptote
 *    (0, or 1 for SiLU / HardSwish, alpha / 1 for LeakyRelu), encoded as
 *    int16 scale >> 5-bit shift;
 *  - entries are int16 in units of out_unit = max|f| / 32000 over the table
 *    points; OUT_CVT maps out_unit to the output tensor's int8 scale.
 * Error budget (dense sweep, tests/test_convert_act.c): interpolation of
 * intervals <= x / 256 (Sigmoid: < 3e-5), table rounding out_unit / 2, and
 * the int8 output rounding (0.5 quanta).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_internal.h"

const char *cv_act_name(cv_act_kind k)
{
    switch (k) {
    case CV_ACT_NONE: return "none";
    case CV_ACT_LEAKY: return "LeakyRelu";
    case CV_ACT_SIGMOID: return "Sigmoid";
    case CV_ACT_SILU: return "SiLU";
    case CV_ACT_HARDSIGMOID: return "HardSigmoid";
    case CV_ACT_HARDSWISH: return "HardSwish";
    case CV_ACT_TANH: return "Tanh";
    }
    return "?";
}

static double hard_sigmoid(double alpha, double beta, double x)
{
    return fmax(0.0, fmin(1.0, alpha * x + beta));
}

static double act_value(const cv_act *a, double x)
{
    switch (a->kind) {
    case CV_ACT_NONE: return x;
    case CV_ACT_LEAKY: return x >= 0 ? x : a->alpha * x;
    case CV_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case CV_ACT_SILU: return x / (1.0 + exp(-x));
    case CV_ACT_HARDSIGMOID: return hard_sigmoid(a->alpha, a->beta, x);
    case CV_ACT_HARDSWISH: return x * hard_sigmoid(a->alpha, a->beta, x);
    case CV_ACT_TANH: return tanh(x);
    }
    return x;
}

double cv_act_eval(const cv_act *a, double x)
{
    return a->post_mul * act_value(a, x) + a->post_add;
}

bool cv_act_uses_lut(const cv_op *op)
{
    return op->act.kind != CV_ACT_NONE && !(op->act.kind == CV_ACT_LEAKY && op->kind == CV_CONV);
}

/* Where the tables end (real inputs, > 0 each side) and the fused
 * function's slope beyond them (per real input unit). */
static void act_domain(const cv_act *a, double *xn, double *xp, double *slope_n, double *slope_p)
{
    double lin_n = 0, lin_p = 0; /* slopes of act() beyond the tables */
    *xn = *xp = 1.0;
    switch (a->kind) {
    case CV_ACT_LEAKY:
        *xn = *xp = 1e-3; /* linear on each side: any range is exact (widened below) */
        lin_n = a->alpha;
        lin_p = 1;
        break;
    case CV_ACT_SIGMOID:
    case CV_ACT_SILU:
        *xn = *xp = 12.0;
        lin_p = a->kind == CV_ACT_SILU ? 1 : 0;
        break;
    case CV_ACT_TANH:
        *xn = *xp = 6.0;
        break;
    case CV_ACT_HARDSIGMOID:
    case CV_ACT_HARDSWISH: {
        /* breakpoints alpha*x + beta = 0 and = 1 (alpha > 0, 0 < beta < 1:
         * checked by the pattern matcher): flat / linear beyond them */
        double x0 = -a->beta / a->alpha, x1 = (1.0 - a->beta) / a->alpha;
        *xn = fmax(-x0, 1e-3);
        *xp = fmax(x1, 1e-3);
        lin_p = a->kind == CV_ACT_HARDSWISH ? 1 : 0;
        break;
    }
    case CV_ACT_NONE:
        *xn = *xp = 1.0;
        lin_n = lin_p = 1;
        break;
    }
    *slope_n = a->post_mul * lin_n;
    *slope_p = a->post_mul * lin_p;
    /* a side that keeps growing beyond its table: cover the calibrated
     * pre-activation range too, so calibrated inputs give LUT outputs
     * inside the int16 entries (only inputs beyond calibration, which
     * OUT_CVT saturates anyway, leave them) */
    if (a->pre_seen && lin_n != 0)
        *xn = fmax(*xn, -a->pre_min);
    if (a->pre_seen && lin_p != 0)
        *xp = fmax(*xp, a->pre_max);
}

/* Index select and interval count for one table covering x integer units:
 * the smallest sel with ceil(x / 2^sel) <= 512 (513 entries at most). */
static rk_status table_grid(const cv_op *op, double x, int *sel, int *n, rk_err *e)
{
    for (int s = 0; s <= 31; s++) {
        double cnt = ceil(x / ldexp(1.0, s));
        if (cnt <= 512) {
            *sel = s;
            *n = (int)fmax(1.0, cnt);
            return RK_OK;
        }
    }
    return rk_errf(e, RK_EUNSUPPORTED, "%s: fused %s needs a LUT range of %g DPU units (more than 512 intervals "
                   "of 2^31)", op->label, cv_act_name(op->act.kind), x);
}

/* slope (LUT output units per input unit) as int16 scale >> 5-bit shift
 * (LUT_*_SLOPE_SCALE / _SHIFT, SEMANTICS D-LUT); the largest shift that
 * keeps |scale| <= 32767 gives the most precision. */
static rk_status slope_code(const cv_op *op, double slope, int16_t *scale, int *shift, rk_err *e)
{
    *scale = 0;
    *shift = 0;
    if (slope == 0)
        return RK_OK;
    if (fabs(slope) > 32767.0)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: fused %s needs a LUT slope of %g output units per input unit "
                       "(int16 scale)", op->label, cv_act_name(op->act.kind), slope);
    int sh = (int)floor(log2(32767.0 / fabs(slope)));
    sh = RK_MAX(0, RK_MIN(31, sh));
    long sc = lround(slope * ldexp(1.0, sh));
    while (labs(sc) > 32767 && sh > 0)
        sc = lround(slope * ldexp(1.0, --sh));
    *scale = (int16_t)sc;
    *shift = sh;
    return RK_OK;
}

rk_status cv_act_build_lut(const cv_op *op, double unit, cv_act_lut *L, rk_err *e)
{
    memset(L, 0, sizeof(*L));
    const cv_act *a = &op->act;
    if (!(unit > 0) || !isfinite(unit))
        return rk_errf(e, RK_EINTERNAL, "%s: LUT input unit %g", op->label, unit);
    double xn, xp, sn, sp;
    act_domain(a, &xn, &xp, &sn, &sp);
    /* the DPU value v is an int32 (accumulator / Add sum): no range beyond
     * 2^30 units can occur (keeps START/END in their 32-bit registers) */
    xn = fmin(xn, ldexp(unit, 30));
    xp = fmin(xp, ldexp(unit, 30));
    int sel_n, sel_p, n_n, n_p;
    rk_status st = table_grid(op, xn / unit, &sel_n, &n_n, e);
    if (!st)
        st = table_grid(op, xp / unit, &sel_p, &n_p, e);
    if (st)
        return st;
    double step_n = ldexp(1.0, sel_n), step_p = ldexp(1.0, sel_p);
    double fmaxabs = 0;
    for (int i = 0; i <= n_n; i++)
        fmaxabs = fmax(fmaxabs, fabs(cv_act_eval(a, (i - n_n) * step_n * unit)));
    for (int i = 0; i <= n_p; i++)
        fmaxabs = fmax(fmaxabs, fabs(cv_act_eval(a, i * step_p * unit)));
    /* 32000, not 32767: interpolation between two entries stays in int16 */
    L->out_unit = fmaxabs > 0 ? fmaxabs / 32000.0 : 1.0;
    for (int i = 0; i <= n_n; i++)
        L->le[i] = (int16_t)lround(cv_act_eval(a, (i - n_n) * step_n * unit) / L->out_unit);
    for (int i = 0; i <= n_p; i++)
        L->lo[i] = (int16_t)lround(cv_act_eval(a, i * step_p * unit) / L->out_unit);
    sim_asm_lut *l = &L->lut;
    l->le = L->le;
    l->lo = L->lo;
    l->n_le = n_n + 1;
    l->n_lo = n_p + 1;
    l->le_start = -(int32_t)((int64_t)n_n << sel_n);
    l->le_end = 0;
    l->lo_start = 0;
    l->lo_end = (int32_t)((int64_t)n_p << sel_p);
    l->le_sel = sel_n;
    l->lo_sel = sel_p;
    /* below LE: underflow priority LE; above LO / inside both (0): LO */
    l->uflow_lo = false;
    l->oflow_lo = true;
    l->hybrid_lo = true;
    int16_t su, so;
    int hu, ho;
    if ((st = slope_code(op, sn * unit / L->out_unit, &su, &hu, e)) ||
        (st = slope_code(op, sp * unit / L->out_unit, &so, &ho, e)))
        return st;
    l->le_uflow_scale = l->lo_uflow_scale = su;
    l->le_uflow_shift = l->lo_uflow_shift = hu;
    l->le_oflow_scale = l->lo_oflow_scale = so;
    l->le_oflow_shift = l->lo_oflow_shift = ho;
    L->x_neg = n_n * step_n * unit;
    L->x_pos = n_p * step_p * unit;
    return RK_OK;
}

rk_status cv_act_prelu_int8(const cv_op *op, uint16_t *mul, int *shift, rk_err *e)
{
    float al = op->act.alpha;
    int16_t sc;
    rk_status st = cv_fixed_point(fabs((double)al), "LeakyRelu alpha", op, &sc, shift, e);
    if (st)
        return st;
    *mul = (uint16_t)(al < 0 ? -sc : sc);
    return RK_OK;
}

/* Noise ratio of one per-tensor int8 scale against per-channel scales for
 * the output of a LUT activation: C * R^2 / sum(r_c^2), R the tensor's
 * range, r_c the channels' (each with 0 inside, as the quantiser forces). */
double cv_act_spread(const cv_tensor *t)
{
    if (!t->ch_min || !t->ch_max)
        return 1.0;
    double lo = 0, hi = 0, sum = 0;
    int n = 0;
    for (int c = 0; c < t->c; c++) {
        if (!isfinite(t->ch_min[c]))
            continue;
        double r = fmax(t->ch_max[c], 0.0) - fmin(t->ch_min[c], 0.0);
        lo = fmin(lo, t->ch_min[c]);
        hi = fmax(hi, t->ch_max[c]);
        sum += r * r;
        n++;
    }
    return sum > 0 ? n * (hi - lo) * (hi - lo) / sum : 1.0;
}

static rk_status push_name(char ***list, int *n, const char *name, rk_err *e)
{
    char **p = realloc(*list, (size_t)(*n + 1) * sizeof(*p));
    if (!p)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    *list = p;
    if (!(p[*n] = strdup(name)))
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    (*n)++;
    return RK_OK;
}

rk_status cv_act_hybrid_refuse(cv_graph *g, const rk_hybrid_cfg *cfg, int *n_new, rk_convert_report *rep, rk_err *e)
{
    *n_new = 0;
    for (int i = 0; cfg && i < g->n_ops; i++) {
        const cv_op *op = &g->ops[i];
        if (!cv_act_uses_lut(op))
            continue;
        for (int k = 0; k < cfg->n_layers; k++) {
            if (strcmp(cfg->layers[k], g->tensors[op->out].name) != 0)
                continue;
            rk_status st = push_name(&g->act_refused, &g->n_act_refused, op->name, e);
            if (!st)
                st = push_name(&g->act_fp16, &g->n_act_fp16, op->name, e);
            if (st)
                return st;
            (*n_new)++;
            cv_note(rep, "hybrid: %s named float16: not fused with its %s (no float LUT is simulated); the %s runs in "
                    "fp16, the activation on the CPU in float", op->label, cv_act_name(op->act.kind),
                    op->kind == CV_ADD ? "Add" : "Conv");
            break;
        }
    }
    return RK_OK;
}

/*
 * Why judge: a fused LUT activation writes its output with one int8 scale
 * (OUT_CVT has no per-channel form), while the CPU path it replaces stores
 * the conv output and the activation's output per-channel equalised
 * (cv_quant.c) - at the price of quantising the pre-activation too.  The
 * spread C * R^2 / sum(r_c^2) is how much more rounding noise the one
 * scale gives than per-channel ones (noise ~ step^2, signal ~ r_c^2).
 * Threshold 4 (CV_ACT_MAX_SPREAD), chosen on PP-OCRv4 det (28 LUT
 * activations, spreads 1.3 .. 41; final cosine on det_test.jpg, which is
 * not in the calibration set: all fused 0.98724, threshold 2 0.99242, 4
 * 0.99419, 8 0.99399, none fused 0.99243) - one model, so a tuned choice.
 * --algo kl: 2 (CV_ACT_MAX_SPREAD_KL): the entropy window clips the one
 * scale's range, which a spread tensor pays for in its small channels
 * (det, 16-image folder calibration: none 0.97383, 2 0.97402, 4 0.96734,
 * all 0.94802; normal 0.99255 / 0.99259 / 0.99368, mmse 0.99110 / 0.99120
 * / 0.99163 for none / 2 / 4).
 */
rk_status cv_act_judge(cv_graph *g, double max_spread, int *n_new, rk_convert_report *rep, rk_err *e)
{
    *n_new = 0;
    for (int i = 0; i < g->n_ops; i++) {
        const cv_op *op = &g->ops[i];
        if (!cv_act_uses_lut(op))
            continue;
        double spread = cv_act_spread(&g->tensors[op->out]);
        if (spread <= max_spread)
            continue;
        rk_status st = push_name(&g->act_refused, &g->n_act_refused, op->name, e);
        if (st)
            return st;
        (*n_new)++;
        cv_note(rep, "%s: %s left on the CPU after calibration: its output's channel ranges spread %.1f > %.0f "
                "(C*R^2/sum r_c^2; one per-tensor int8 scale would lose the small channels)", op->label,
                cv_act_name(op->act.kind), spread, max_spread);
    }
    return RK_OK;
}
