/*
 * cv_build.c - quantised data, lowering calls and the .rknn container.
 *
 * int8 conv arithmetic (the scheme of the vendor RK3588 files, confirmed by
 * the simulator on multiple_input_demo: sim/SEMANTICS.md D-BSDATA, D-MUL,
 * D-OUT; datasets/make_tiny.py uses the same):
 *   wq[k]  = round(w / ws[k]), ws[k] = max|w[k]| / 127     (per channel)
 *   acc    = sum wq * q_in          (pad cells hold zp_in: PAD_CON1)
 *   BS ALU alu[k] = round(b[k] / (s_in ws[k])) - zp_in * sum(wq[k])
 *   BS MUL mul[k] = round(2^14 ws[k] / ws_ref), >> 14, ws_ref = max ws
 *   BN     ReLU when fused
 *   OUT    y = rshift(v * scale, shift) + zp_out, scale / 2^shift =
 *          s_in ws_ref / s_out, scale in [2^14, 2^15) (int16 field)
 * Add (DPU, operand b through ERDMA): both sides brought to a common unit
 * u = max(s_a, s_b) / 2^14 - a by BS ALU (-zp_a) and MUL (s_a/u), b by the
 * EW converter ((b - zp_b) * s_b/u) - summed, then OUT_CVT to (s_out, zp_out).
 * fp16: weights as fp16, DPU in fp32 with OUT_CVT identity and
 * FP32TOFP16_EN (vendor dual_residual, SEMANTICS D-FP).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_fallback.h"
#include "cv_internal.h"
#include "sim_regs.h"

/* scale/2^shift ~ m with scale in [2^14, 2^15). */
rk_status cv_fixed_point(double m, const char *what, const cv_op *op, int16_t *scale, int *shift, rk_err *e)
{
    if (!(m > 0) || !isfinite(m))
        return rk_errf(e, RK_EINPUT, "%s: %s multiplier %g is not positive", op->label, what, m);
    int sh = 14 - (int)floor(log2(m));
    long sc = lround(m * ldexp(1.0, sh));
    if (sc >= 32768) {
        sc = lround(m * ldexp(1.0, sh - 1));
        sh--;
    }
    if (sh < 0 || sh > 63)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: %s multiplier %g needs a shift of %d (0..63 supported)", op->label,
                       what, m, sh);
    *scale = (int16_t)sc;
    *shift = sh;
    return RK_OK;
}

static int esz_of(rk_convert_dtype d) { return d == RK_CONVERT_INT8 ? 1 : 2; }

/* Hybrid (cv_hybrid.c): an op or tensor marked fp16 inside an int8 program. */
static rk_convert_dtype op_dtype(const rk_convert_opts *o, const cv_op *op)
{
    return op->fp16 ? RK_CONVERT_FP16 : o->dtype;
}

static rk_convert_dtype tensor_dtype(rk_convert_dtype program, const cv_tensor *t)
{
    return t->fp16 ? RK_CONVERT_FP16 : program;
}

/* ------------------------------------------------------------ tensors */

static rk_status add_rknn_tensor(rknn_model *m, const cv_soc *S, const cv_tensor *t, rk_convert_dtype dt,
                                 uint32_t *idx, rk_err *e)
{
    int esz = esz_of(dt), c2 = cv_soc_c2(S, esz);
    if (t->argb)
        c2 = t->c; /* packed channels (vendor lite inputs: native [1,1,H,W,3]) */
    int32_t nat[RK_MAX_DIMS > 5 ? RK_MAX_DIMS : 5] = {1, (t->c + c2 - 1) / c2, t->h, t->w, c2};
    int32_t shp[RK_MAX_DIMS > 4 ? RK_MAX_DIMS : 4] = {1, t->c, t->h, t->w};
    uint32_t nd = 4;
    if (t->nd) {
        nd = (uint32_t)t->ndim;
        for (int d = 0; d < t->ndim; d++)
            shp[d] = nat[d] = (int32_t)t->dims[d];
    }
    float sc = t->scale, mn = t->min, mx = t->max;
    int32_t zp = t->zp;
    rknn_tensor r;
    memset(&r, 0, sizeof(r));
    r.name = t->name;
    r.dtype = dt == RK_CONVERT_INT8 ? RK_DT_I8 : RK_DT_F16;
    r.dtype_raw = (uint8_t)r.dtype;
    r.layout = RKNN_LAYOUT_NC1HWC2;
    if (t->f32) {
        r.dtype = RK_DT_F32;
        r.dtype_raw = (uint8_t)r.dtype;
        r.layout = RKNN_LAYOUT_NCHW;
        if (!t->nd)
            nat[0] = 1, nat[1] = t->c, nat[2] = t->h, nat[3] = t->w;
        dt = RK_CONVERT_FP16; /* no quantisation parameters */
    }
    if (t->nd) {
        /* not [1,C,H,W] (a [1,T,D] input or output, ...): plain row-major,
         * graph inputs in the program's dtype.  The vendor runtime reports
         * non-4-D tensors with fmt UNDEFINED and their dims unchanged
         * (public rknn_query dumps, e.g. rockchip-linux/rknn-toolkit issue
         * 514); the layout byte it writes for them is not in ../shared:
         * 0 (none) is our choice */
        r.layout = RKNN_LAYOUT_NONE;
    }
    r.kind = t->is_input ? RKNN_KIND_INPUT : t->is_output ? RKNN_KIND_OUTPUT : RKNN_KIND_INTERNAL;
    r.native_shape = nat;
    r.n_native_shape = t->f32 || t->nd ? nd : 5;
    r.shape = shp;
    r.n_shape = nd;
    r.size = (int32_t)t->bytes;
    r.pool_offset = (int32_t)t->pool_off;
    if (dt == RK_CONVERT_INT8) {
        r.quant.method = (char *)"layer";
        r.quant.dtype = (char *)"int8";
        r.quant.scale = &sc;
        r.quant.n_scale = 1;
        r.quant.zero_point = &zp;
        r.quant.n_zero_point = 1;
        r.quant.min = &mn;
        r.quant.n_min = 1;
        r.quant.max = &mx;
        r.quant.n_max = 1;
    }
    return rknn_add_tensor(m, &r, idx, e);
}

/* A const tensor with its own buffer; `scale` (n_scale values, may be NULL)
 * is the symmetric int8 weight quantisation (zero points 0). */
rk_status cv_add_const(rknn_model *m, const char *name, rk_dtype dt, uint8_t layout, const int32_t *shp,
                           uint32_t ns, const void *data, size_t len, const float *scale, uint32_t n_scale,
                           rk_err *e)
{
    uint32_t b, idx;
    int32_t nat[1] = {(int32_t)len};
    rk_status st = rknn_add_buffer(m, data, len, &b, e);
    if (st)
        return st;
    rknn_tensor r;
    memset(&r, 0, sizeof(r));
    r.name = (char *)name;
    r.dtype = dt;
    r.dtype_raw = (uint8_t)dt;
    r.layout = layout;
    r.kind = RKNN_KIND_CONST;
    r.native_shape = nat;
    r.n_native_shape = 1;
    r.shape = (int32_t *)shp;
    r.n_shape = ns;
    r.size = (int32_t)len;
    r.buffer_index = (int32_t)b;
    int32_t *zp = NULL;
    if (scale && n_scale) {
        if (!(zp = calloc(n_scale, sizeof(int32_t))))
            return rk_errf(e, RK_ENOMEM, "convert: out of memory");
        r.quant.method = (char *)(n_scale > 1 ? "channel" : "layer");
        r.quant.dtype = (char *)"int8";
        r.quant.scale = (float *)scale;
        r.quant.n_scale = n_scale;
        r.quant.zero_point = zp;
        r.quant.n_zero_point = n_scale;
    }
    st = rknn_add_tensor(m, &r, &idx, e);
    free(zp);
    return st;
}

/* ------------------------------------------------------------ conv data */

/* A fused LUT activation (cv_act.c) on int8 DPU values of `unit`: the
 * tables, and OUT_CVT from the LUT's output unit to y's scale (replacing
 * the plain requantisation).  Nothing to do for other ops. */
static rk_status act_int8(const cv_op *op, double unit, const cv_tensor *y, cv_act_lut *L, const sim_asm_lut **lut,
                          int16_t *out_scale, int *out_shift, rk_err *e)
{
    if (!cv_act_uses_lut(op))
        return RK_OK;
    if (!L)
        return rk_errf(e, RK_EINTERNAL, "%s: LUT activation without table storage", op->label);
    rk_status st = cv_act_build_lut(op, unit, L, e);
    if (!st)
        st = cv_fixed_point(L->out_unit / y->scale, "LUT output", op, out_scale, out_shift, e);
    if (!st)
        *lut = &L->lut;
    return st;
}

/* A report line for a LUT activation: where the tables lie, the calibrated
 * pre-activation range. */
static void act_note(rk_convert_report *rep, const cv_op *op, const cv_act_lut *L)
{
    const cv_act *a = &op->act;
    cv_note(rep, "%s: %s in the DPU LUT, LE %d / LO %d entries over [%.4g, %.4g] (index select %d / %d), output "
            "%.4g*f+%.4g; calibrated pre-activation [%.4g, %.4g]", op->label, cv_act_name(a->kind), L->lut.n_le,
            L->lut.n_lo, -L->x_neg, L->x_pos, L->lut.le_sel, L->lut.lo_sel, a->post_mul, a->post_add,
            a->pre_seen ? a->pre_min : 0.0f, a->pre_seen ? a->pre_max : 0.0f);
}

static rk_status conv_int8(const cv_graph *g, const cv_op *op, bool per_layer, void **wraw,
                           uint8_t **bs, size_t *bl, cv_conv_q *q, float *wscale, cv_act_lut *lut, rk_err *e)
{
    const cv_tensor *x = &g->tensors[op->in[0]], *y = &g->tensors[op->out];
    int k = op->k, per = op->wpk;
    int8_t *wq = malloc((size_t)k * (size_t)per);
    *wraw = NULL;
    double *ws = calloc((size_t)k, sizeof(double));
    int32_t *alu = calloc((size_t)k, sizeof(int32_t));
    int16_t *mul = calloc((size_t)k, sizeof(int16_t));
    rk_status st = RK_OK;
    if (!wq || !ws || !alu || !mul) {
        st = rk_errf(e, RK_ENOMEM, "convert: out of memory");
        goto out;
    }
    double ws_ref = 0;
    for (int c = 0; c < k; c++) {
        double mx = 0;
        for (int i = 0; i < per; i++)
            mx = fmax(mx, fabs(op->w[(size_t)c * per + i]));
        ws[c] = mx > 0 ? mx / 127.0 : 1.0;
        ws_ref = fmax(ws_ref, ws[c]);
    }
    for (int c = 0; c < k; c++) {
        if (per_layer) /* --quant-method layer: one scale, the largest */
            ws[c] = ws_ref;
        /* the BS MUL (ws/ws_ref in 2^-14 steps) cannot express a smaller
         * ratio; channels with (near-)zero weights (BN-folded dead channels
         * in PP-OCR) would also blow the int32 bias operand up */
        ws[c] = fmax(ws[c], ws_ref / 16384.0);
        wscale[c] = (float)ws[c];
    }
    for (int c = 0; c < k; c++) {
        int64_t sum = 0;
        for (int i = 0; i < per; i++) {
            long v = lround(op->w[(size_t)c * per + i] / ws[c]);
            wq[(size_t)c * per + i] = (int8_t)RK_MAX(-127, RK_MIN(127, v));
            sum += wq[(size_t)c * per + i];
        }
        double a = (double)lround(op->b[c] / ((double)x->scale * ws[c])) - (double)x->zp * (double)sum;
        if (fabs(a) > 2147483647.0) {
            st = rk_errf(e, RK_EUNSUPPORTED, "%s: channel %d bias %g does not fit the int32 BS ALU operand at "
                         "input scale %g", op->label, c, op->b[c], x->scale);
            goto out;
        }
        alu[c] = (int32_t)a;
        mul[c] = (int16_t)lround(16384.0 * ws[c] / ws_ref);
    }
    if ((st = cv_fixed_point((double)x->scale * ws_ref / y->scale, "output", op, &q->out_scale, &q->out_shift, e)) ||
        (st = cv_soc_pack_bs(g->soc, 5, k, alu, mul, bs, bl, e)) ||
        (st = act_int8(op, (double)x->scale * ws_ref, y, lut, &q->lut, &q->out_scale, &q->out_shift, e)))
        goto out;
    if (op->act.kind == CV_ACT_LEAKY && !cv_act_uses_lut(op)) {
        /* BN PReLU: negatives times alpha, in accumulator units (before OUT_CVT) */
        q->bn_prelu = true;
        if ((st = cv_act_prelu_int8(op, &q->bn_mul, &q->bn_shift, e)))
            goto out;
    }
    *wraw = wq; /* OIHW int8, packed per channel tile by build_conv */
    wq = NULL;
    q->prec = SIM_PREC_INT8;
    q->bs_use = 5; /* ALU + MUL: the vendor's DATA_USE for int8 convs (SEMANTICS D-BSDATA) */
    q->pad_value = (uint32_t)x->zp;
    q->out_offset = y->zp;
out:
    free(wq);
    free(ws);
    free(alu);
    free(mul);
    return st;
}

static rk_status conv_fp16(const cv_graph *g, const cv_op *op, void **wraw, uint8_t **bs, size_t *bl,
                           cv_conv_q *q, rk_convert_report *rep, rk_err *e)
{
    size_t nw = (size_t)op->k * (size_t)op->wpk;
    uint16_t *wh = malloc(nw * sizeof(uint16_t));
    rk_status st = RK_OK;
    if (!(*wraw = wh))
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    for (size_t i = 0; i < nw; i++)
        wh[i] = rk_f32_to_f16(op->w[i]);
    q->prec = SIM_PREC_FP16;
    q->out_scale = 1;
    bool any_bias = false;
    for (int c = 0; c < op->k; c++)
        any_bias |= op->b[c] != 0.0f;
    if (any_bias) {
        /* fp32 bias bits in the ALU slots (inferred: the DPU works in fp32 for
         * fp16 convs); rksim run does not simulate a float BS stage yet. */
        int32_t *alu = malloc((size_t)op->k * sizeof(int32_t));
        if (!alu)
            return rk_errf(e, RK_ENOMEM, "convert: out of memory");
        memcpy(alu, op->b, (size_t)op->k * sizeof(int32_t));
        st = cv_soc_pack_bs(g->soc, 1, op->k, alu, NULL, bs, bl, e);
        free(alu);
        q->bs_use = 1;
        cv_note(rep, "%s: fp16 bias programmed in the DPU BS ALU as fp32 (inferred layout, sim/SEMANTICS.md "
                "D-FPDATA)", op->label);
    }
    if (op->relu)
        cv_note(rep, "%s: fp16 fused ReLU in DPU BN (inferred float BN semantics, sim/SEMANTICS.md D-FP)",
                op->label);
    if (!st && cv_act_uses_lut(op))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: fused %s needs the DPU LUT, which fp16 convs cannot use here (the "
                       "float LUT is not simulated)", op->label, cv_act_name(op->act.kind));
    if (op->act.kind == CV_ACT_LEAKY) {
        /* BN PReLU with an fp16 register operand (SEMANTICS D-FPSTAGE / D-FPDATA, inferred) */
        q->bn_prelu = true;
        q->bn_mul = rk_f32_to_f16(op->act.alpha);
        cv_note(rep, "%s: fp16 fused LeakyRelu in DPU BN (PReLU multiply by fp16 %.6g; inferred float BN "
                "semantics, sim/SEMANTICS.md D-FPDATA)", op->label, rk_f16_to_f32(q->bn_mul));
    }
    return st;
}

/* Native weights, packed per channel tile of kg kernels (cv_conv_kgroup)
 * and concatenated: the layout of one whole pack when kg is a multiple of
 * the weight group (sim_asm_pack_weights sizes are exact), and the only
 * contiguous one when a lite conv is tiled per 8-byte-atom surface. */
static rk_status pack_weights_tiled(const cv_graph *g, const cv_op *op, int prec, bool no_tiling, const void *raw,
                                    uint8_t **out, size_t *len, rk_err *e)
{
    int esz = prec == SIM_PREC_INT8 ? 1 : 2, c = g->tensors[op->in[0]].c;
    int kg = cv_conv_kgroup(g, op, prec, no_tiling);
    uint8_t *all = NULL;
    size_t n = 0;
    *out = NULL;
    for (int k0 = 0; k0 < op->k; k0 += kg) {
        int kn = RK_MIN(kg, op->k - k0);
        uint8_t *part = NULL;
        size_t pl = 0;
        rk_status st = cv_soc_pack_weights(g->soc, prec, op->depthwise, kn, op->depthwise ? kn : c, op->kh, op->kw,
                                           (const uint8_t *)raw + (size_t)k0 * (size_t)op->wpk * (size_t)esz,
                                           &part, &pl, e);
        uint8_t *grown = st ? NULL : realloc(all, n + pl + 1);
        if (!grown) {
            free(part);
            free(all);
            return st ? st : rk_errf(e, RK_ENOMEM, "convert: out of memory");
        }
        all = grown;
        memcpy(all + n, part, pl);
        n += pl;
        free(part);
    }
    *out = all;
    *len = n;
    return RK_OK;
}

/* Lite int8 graph inputs of <= 4 channels read only by convs are fed as
 * unsigned bytes through the CNA converter, as in the vendor lite files
 * (their image inputs have 1 and 3 channels; wider inputs: no evidence, kept
 * signed).  Every reader must use the converter: rksim's runtime re-encodes
 * the tensor in DRAM for it (sim/cpuops.c lite_unsigned_input), so an Add,
 * a CPU node or an output reading the same bytes would see u, not q. */
static bool lite_unsigned_input(const cv_graph *g, int ti)
{
    const cv_tensor *t = &g->tensors[ti];
    if (!g->soc->lite || g->dtype != RK_CONVERT_INT8 || !t->is_input || t->is_output || t->c > 4)
        return false;
    for (int k = 0; k < g->n_ops; k++)
        for (int j = 0; j < g->ops[k].n_in; j++)
            if (g->ops[k].in[j] == ti && g->ops[k].kind != CV_CONV &&
                !(g->ops[k].kind == CV_AVGPOOL && j == 0)) /* lite AveragePool = a conv */
                return false;
    return true;
}

static rk_status build_conv(rknn_model *m, sim_asm *a, const cv_graph *g, const cv_op *op, const rk_convert_opts *o,
                            uint32_t op_idx, rk_convert_report *rep, rk_err *e)
{
    uint8_t *wn = NULL, *bs = NULL;
    void *wraw = NULL;
    size_t wl = 0, bl = 0;
    cv_conv_q q;
    memset(&q, 0, sizeof(q));
    char wname[200], bname[200];
    snprintf(wname, sizeof(wname), "%s.weight", op->name);
    snprintf(bname, sizeof(bname), "%s.bias", op->name);
    float *wscale = calloc((size_t)op->k, sizeof(float));
    if (!wscale)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    rk_convert_dtype dt = op_dtype(o, op);
    cv_act_lut *lut = cv_act_uses_lut(op) ? malloc(sizeof(*lut)) : NULL;
    if (cv_act_uses_lut(op) && !lut) {
        free(wscale);
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    }
    rk_status st = dt == RK_CONVERT_INT8
                       ? conv_int8(g, op, o->weights_per_layer, &wraw, &bs, &bl, &q, wscale, lut, e)
                       : conv_fp16(g, op, &wraw, &bs, &bl, &q, rep, e);
    if (!st && q.lut)
        act_note(rep, op, lut);
    if (!st)
        st = pack_weights_tiled(g, op, q.prec, o->no_tiling, wraw, &wn, &wl, e);
    free(wraw);
    int32_t wshape[4] = {op->k, op->depthwise ? 1 : g->tensors[op->in[0]].c, op->kh, op->kw};
    int32_t bshape[1] = {op->k};
    if (!st)
        st = cv_add_const(m, wname, dt == RK_CONVERT_INT8 ? RK_DT_I8 : RK_DT_F16, RKNN_LAYOUT_NATIVE_WEIGHT,
                       wshape, 4, wn, wl, dt == RK_CONVERT_INT8 ? wscale : NULL,
                       o->weights_per_layer ? 1 : op->k, e);
    free(wscale);
    if (!st && bs)
        st = cv_add_const(m, bname, RK_DT_I32, RKNN_LAYOUT_NONE, bshape, 1, bs, bl, NULL, 0, e);
    q.unsigned_input = lite_unsigned_input(g, op->in[0]);
    q.in_name = g->tensors[op->in[0]].name;
    q.out_name = g->tensors[op->out].name;
    q.w_name = wname;
    q.bs_name = bname;
    int tiles = 0;
    if (!st)
        st = cv_emit_conv(a, g, op, &q, o->no_tiling, op_idx, &tiles, e);
    if (!st && tiles > 1) {
        rep->n_tiled_ops++;
        cv_note(rep, "%s: %d tasks (%s, output %dx%d)", op->label, tiles,
                g->soc->lite && (g->tensors[op->out].h * g->tensors[op->out].w) % 2
                    ? "CBUF/width tiling and one task per surface: odd-sized 8-byte-atom surfaces"
                    : "CBUF/width tiling",
                g->tensors[op->out].h, g->tensors[op->out].w);
    }
    free(wn);
    free(bs);
    free(lut);
    return st;
}

/*
 * fp16 Add on the DPU (flying mode): a from MRDMA, b per pixel from ERDMA
 * as fp16 (ERDMA_DATA_SIZE 2), EW ALU add in fp32, FP32TOFP16_EN at
 * OUT_CVT; BS passes a through (ALU + 0.0f, MUL x 1.0).  The register
 * recipe is cv_emit_add's int8 one with sim_asm_ew_task's fp16 fields
 * (SEMANTICS D-FPSTAGE / D-FPEW: operand formats inferred, unit-tested
 * against numpy in test_sim_units).
 * A fused ReLU is the EW ReLU (after the addition); a fused Clip with a
 * finite upper bound would need ReLUx (EW_RELUX_CMP, only assumed): refused.
 */
static rk_status build_add_fp16(sim_asm *a, const cv_graph *g, const cv_op *op, uint32_t op_idx, rk_err *e)
{
    if (isfinite(op->clip_hi) || (isfinite(op->clip_lo) && op->clip_lo != 0.0f))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: fp16 Add with a fused Clip [%g, %g] is not lowered (needs the "
                       "assumed float ReLUx, SEMANTICS D-FPEW); only Add and Add+Relu", op->label, op->clip_lo,
                       op->clip_hi);
    cv_add_q q;
    memset(&q, 0, sizeof(q));
    q.prec = SIM_PREC_FP16;
    q.a_alu = 0;        /* BS: + 0.0f (fp32 bits) */
    q.a_mul = 0x3C00;   /* BS: x 1.0 (fp16 bits) */
    q.b_scale = 1;      /* unused: EW converter bypassed */
    q.out_scale = 1;    /* float OUT_CVT must be the identity (SEMANTICS D-FP) */
    return cv_emit_add(a, g, op, &q, op_idx, e);
}

static rk_status build_add(sim_asm *a, const cv_graph *g, const cv_op *op, const rk_convert_opts *o, uint32_t op_idx,
                           rk_convert_report *rep, rk_err *e)
{
    if (op_dtype(o, op) != RK_CONVERT_INT8 && op->act.kind != CV_ACT_NONE)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: fp16 Add with a fused %s is not lowered (the sum exists only after "
                       "the BN stage; float LUT / EW PReLU not simulated)", op->label, cv_act_name(op->act.kind));
    if (op_dtype(o, op) != RK_CONVERT_INT8)
        return build_add_fp16(a, g, op, op_idx, e);
    const cv_tensor *ta = &g->tensors[op->in[0]], *tb = &g->tensors[op->in[1]], *ty = &g->tensors[op->out];
    double u = fmax(ta->scale, tb->scale) / 16384.0;
    cv_add_q q;
    memset(&q, 0, sizeof(q));
    q.a_alu = -ta->zp;
    q.a_mul = (int16_t)lround(ta->scale / u);
    q.b_offset = -tb->zp;
    q.b_scale = (int16_t)lround(tb->scale / u);
    q.out_offset = ty->zp;
    cv_act_lut *lut = cv_act_uses_lut(op) ? malloc(sizeof(*lut)) : NULL;
    if (cv_act_uses_lut(op) && !lut)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    rk_status st = cv_fixed_point(u / ty->scale, "output", op, &q.out_scale, &q.out_shift, e);
    if (!st)
        st = act_int8(op, u, ty, lut, &q.lut, &q.out_scale, &q.out_shift, e);
    if (!st && q.lut)
        act_note(rep, op, lut);
    if (!st)
        st = cv_emit_add(a, g, op, &q, op_idx, e);
    free(lut);
    return st;
}

/*
 * RK3566/RK3568 pooling.  No vendor lite stream has a PPU task, and the
 * simulator's PPU unit reads RK3588's 16-byte atoms, so a lite PPU task
 * could be neither derived nor checked.  AveragePool (pad cells counted,
 * which cv_graph.c guarantees) is exactly a depthwise conv with weights
 * 1/(kh*kw), so it runs on CNA+CORE+DPU like any depthwise conv (int8: the
 * weights quantise to 127 each, exact up to the per-channel scale).
 * MaxPool has no such form: refused with the reason.
 */
static rk_status build_pool_lite(rknn_model *m, sim_asm *a, const cv_graph *g, const cv_op *op,
                                 const rk_convert_opts *o, uint32_t op_idx, rk_convert_report *rep, rk_err *e)
{
    if (op->kind == CV_MAXPOOL)
        return rk_errf(e, RK_EUNSUPPORTED,
                       "%s: MaxPool is not lowered for %s (no vendor RK3566/RK3568 PPU stream has been decoded and "
                       "rksim's PPU unit models RK3588's 16-byte atoms only); convert with --soc rk3588",
                       op->label, rk_soc_name(g->soc->soc));
    const cv_tensor *x = &g->tensors[op->in[0]];
    const isa_reg *ws2 = isa_reg_lookup_name(g->soc->soc, "CNA_WEIGHT_SIZE2");
    const isa_field *fw = ws2 ? isa_field_lookup(ws2, "WEIGHT_WIDTH") : NULL;
    const isa_field *fh = ws2 ? isa_field_lookup(ws2, "WEIGHT_HEIGHT") : NULL;
    if (!fw || !fh)
        return rk_errf(e, RK_EINTERNAL, "%s: CNA_WEIGHT_SIZE2 unknown to the ISA database", op->label);
    if ((uint32_t)op->kw > isa_field_max(fw) || (uint32_t)op->kh > isa_field_max(fh))
        return rk_errf(e, RK_EUNSUPPORTED,
                       "%s: a %dx%d average pool on %s runs as a depthwise conv, whose kernel is at most %ux%u "
                       "(CNA_WEIGHT_SIZE2.WEIGHT_WIDTH/HEIGHT); use a smaller input or convert for rk3588 (PPU)",
                       op->label, op->kh, op->kw, rk_soc_name(g->soc->soc), isa_field_max(fh), isa_field_max(fw));
    cv_op dw = *op;
    int taps = op->kh * op->kw;
    dw.kind = CV_CONV;
    dw.depthwise = true;
    dw.k = x->c;
    dw.wpk = taps;
    dw.has_bias = false;
    dw.relu = false;
    dw.w = malloc(sizeof(float) * (size_t)x->c * (size_t)taps);
    dw.b = calloc((size_t)x->c, sizeof(float));
    rk_status st = RK_OK;
    if (!dw.w || !dw.b)
        st = rk_errf(e, RK_ENOMEM, "convert: out of memory");
    for (int i = 0; !st && i < x->c * taps; i++)
        dw.w[i] = 1.0f / (float)taps;
    if (!st)
        st = build_conv(m, a, g, &dw, o, op_idx, rep, e);
    if (!st)
        cv_note(rep, "%s: AveragePool lowered as a depthwise %dx%d conv (no lite PPU recipe)", op->label, op->kh,
                op->kw);
    free(dw.w);
    free(dw.b);
    return st;
}

static rk_status build_pool(sim_asm *a, const cv_graph *g, const cv_op *op, const rk_convert_opts *o,
                            uint32_t op_idx, rk_err *e)
{
    const cv_tensor *x = &g->tensors[op->in[0]];
    bool i8 = op_dtype(o, op) == RK_CONVERT_INT8;
    sim_asm_pool p;
    memset(&p, 0, sizeof(p));
    p.prec = i8 ? SIM_PREC_INT8 : SIM_PREC_FP16;
    p.in_w = x->w;
    p.in_h = x->h;
    p.c = x->c;
    p.kw = op->kw;
    p.kh = op->kh;
    p.sx = op->sx;
    p.sy = op->sy;
    p.pad_top = op->pt;
    p.pad_left = op->pl;
    p.pad_bottom = op->pb;
    p.pad_right = op->pr;
    p.method = op->kind == CV_MAXPOOL ? 1 : 0; /* TRM POOLING_METHOD */
    /* pad cells: the smallest value for max, real zero (zp) for average */
    p.pad_value = op->kind == CV_MAXPOOL ? (i8 ? (uint32_t)-128 : 0xFC00u) : (i8 ? (uint32_t)x->zp : 0u);
    p.in_tensor = x->name;
    p.out_tensor = g->tensors[op->out].name;
    sim_asm_pool_task(a, &p, op_idx);
    if (a->st) {
        *e = a->err;
        return rk_err_wrap(e, "%s (PPU pooling)", op->label);
    }
    return RK_OK;
}

/* ------------------------------------------------------------ nodes */

static const char *node_type(const cv_op *op)
{
    switch (op->kind) {
    case CV_CONV:
    case CV_MATMUL: /* a 1x1 conv on the NPU (cv_matmul.c) */
        return op->relu ? "ConvRelu" : "Conv";
    case CV_ADD: return op->relu ? "AddRelu" : "Add";
    case CV_MAXPOOL: return "MaxPool";
    case CV_AVGPOOL: return "AveragePool";
    case CV_CPU: return op->cvt ? "Cast" : op->n_cpu_nodes ? ox_node_op_type(op->cpu_nodes[0]) : "Transpose"; /* MatMul unpack */
    }
    return "?";
}

static rk_status add_io_node(rknn_model *m, const char *type, const char *tname, int32_t ti, bool is_in, rk_err *e)
{
    char nm[200];
    snprintf(nm, sizeof(nm), "%s:%s", type, tname);
    rknn_node n;
    memset(&n, 0, sizeof(n));
    n.type = (char *)type;
    n.name = nm;
    if (is_in) {
        n.outputs = &ti;
        n.n_outputs = 1;
    } else {
        n.inputs = &ti;
        n.n_inputs = 1;
    }
    uint32_t idx;
    return rknn_add_node(m, &n, &idx, e);
}

static rk_status add_op_node(rknn_model *m, const cv_graph *g, const cv_op *op, rk_err *e)
{
    char nm[200], wn[200], bn[200];
    bool conv = op->kind == CV_CONV || op->kind == CV_MATMUL;
    snprintf(nm, sizeof(nm), "%s:%s", conv ? "Conv" : node_type(op), op->name);
    int32_t ins[4];
    uint32_t ni = 0;
    for (int i = 0; i < op->n_in; i++)
        ins[ni++] = g->tensors[op->in[i]].rknn_index;
    if (conv) {
        snprintf(wn, sizeof(wn), "%s.weight", op->name);
        snprintf(bn, sizeof(bn), "%s.bias", op->name);
        int32_t wi = rknn_find_tensor(m, wn), bi = rknn_find_tensor(m, bn);
        if (wi >= 0)
            ins[ni++] = wi;
        if (bi >= 0)
            ins[ni++] = bi;
    }
    int32_t out = g->tensors[op->out].rknn_index;
    rknn_node n;
    memset(&n, 0, sizeof(n));
    n.type = (char *)node_type(op);
    n.name = nm;
    n.inputs = ins;
    n.n_inputs = ni;
    n.outputs = &out;
    n.n_outputs = 1;
    uint32_t idx;
    return rknn_add_node(m, &n, &idx, e);
}

/* A CPU group: activation inputs + the ONNX blob const (cv_cpu.c), every
 * produced tensor as an output, no tasks. */
static rk_status add_cpu_node(rknn_model *m, const cv_graph *g, const cv_op *op, rk_err *e)
{
    char nm[200], bn[240];
    snprintf(nm, sizeof(nm), "%s:%s", node_type(op), op->name);
    snprintf(bn, sizeof(bn), "%s%s", op->name, SIM_CPU_ONNX_BLOB_SUFFIX);
    int32_t shp[1] = {(int32_t)op->blob_len};
    if (op->blob_len > INT32_MAX)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: CPU node definition of %zu bytes", op->label, op->blob_len);
    rk_status st = cv_add_const(m, bn, RK_DT_U8, RKNN_LAYOUT_NONE, shp, 1, op->blob, op->blob_len, NULL, 0, e);
    if (st)
        return st;
    int32_t *ins = calloc((size_t)op->n_in + 1, sizeof(int32_t));
    int32_t *outs = calloc((size_t)op->n_cpu_out + 1, sizeof(int32_t));
    if (!ins || !outs) {
        free(ins), free(outs);
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    }
    for (int i = 0; i < op->n_in; i++)
        ins[i] = g->tensors[op->in[i]].rknn_index;
    ins[op->n_in] = rknn_find_tensor(m, bn);
    for (int i = 0; i < op->n_cpu_out; i++)
        outs[i] = g->tensors[op->cpu_out[i]].rknn_index;
    rknn_node n;
    memset(&n, 0, sizeof(n));
    n.type = (char *)node_type(op);
    n.name = nm;
    n.inputs = ins;
    n.n_inputs = (uint32_t)op->n_in + 1;
    n.outputs = outs;
    n.n_outputs = (uint32_t)op->n_cpu_out;
    uint32_t idx;
    st = rknn_add_node(m, &n, &idx, e);
    free(ins);
    free(outs);
    return st;
}

/*
 * The assembler links every task into one PC chain; a CPU node between two
 * NPU ops must split it (the runtime submits the NPU work before and after
 * the CPU node as separate jobs).  A task is followed by a CPU node when the
 * next task's op_idx is not the same or the next node (every NPU node has
 * tasks).  Its tail is restored to the unlinked form (PC_BASE_ADDRESS 0,
 * amount 0) the assembler gives the last task.
 */
static rk_status split_chains_at_cpu_nodes(rknn_model *m, rk_err *e)
{
    if (!m->n_tasks)
        return RK_OK;
    int32_t ri = rknn_find_tensor(m, "regcmd");
    const rknn_buffer *b = ri >= 0 ? rknn_tensor_buffer(m, &m->graphs[0].tensors[ri]) : NULL;
    if (!b || (const uint64_t *)(const void *)b->data != m->regcmd)
        return rk_errf(e, RK_EINTERNAL, "convert: the installed program has no regcmd buffer");
    uint64_t *w = (uint64_t *)(void *)b->data;
    for (size_t i = 0; i + 1 < m->n_tasks; i++) {
        if (m->tasks[i + 1].op_idx <= m->tasks[i].op_idx + 1)
            continue;
        size_t tail = (size_t)(m->tasks[i].regcmd_addr / 8) + m->tasks[i].regcfg_amount;
        if (tail + 1 >= m->n_regcmd)
            return rk_errf(e, RK_EINTERNAL, "convert: task %zu tail outside the regcmd buffer", i);
        w[tail] = 0;
        w[tail + 1] = isa_regcmd_encode(ISA_TARGET_PC, 0, R_PC_REGISTER_AMOUNTS);
    }
    return RK_OK;
}

/*
 * Activation memory planning: one pool, first-fit reuse by liveness.
 * A tensor lives from the op producing it (graph inputs: before the first
 * op) to the last op reading it (graph outputs: to the end, because
 * sim_get_output / the runtime read them after the run).  An op's output
 * never shares bytes with its own inputs (both are live at that op).  Safe
 * for per-layer dumps: the simulator captures a node's output right after
 * the node's last task (sim.h), and our tasks run in op order.
 */
static rk_status plan_pool(cv_graph *g, rk_convert_dtype dt, rk_convert_report *rep, rk_err *e)
{
    /* bytes for the channels rounded up to 16 bytes on both SoCs: the DPU
     * writes 16 bytes' worth of channels (lite: two 8-byte surfaces; vendor
     * lite '7': 8 int8 channels of 128x128 in 262144 bytes, New_input_0: 3
     * fp16 channels of 10x10 in 1600) */
    int nt = g->n_tensors;
    int *born = malloc(sizeof(int) * (size_t)nt), *dies = malloc(sizeof(int) * (size_t)nt);
    int *order = malloc(sizeof(int) * (size_t)nt);
    if (!born || !dies || !order) {
        free(born), free(dies), free(order);
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    }
    for (int i = 0; i < nt; i++) {
        cv_tensor *t = &g->tensors[i];
        int esz = esz_of(tensor_dtype(dt, t));
        t->bytes = t->f32    ? (uint32_t)t->c * (uint32_t)t->h * (uint32_t)t->w * 4u
                   : t->nd   ? (uint32_t)t->c * (uint32_t)esz /* plain non-4-D input: c = elements */
                   : t->argb ? (uint32_t)t->h * (uint32_t)RK_ALIGN_UP(t->w * t->c * esz, 8)
                             : (uint32_t)((t->c * esz + 15) / 16) * (uint32_t)t->h * (uint32_t)t->w * 16u;
        born[i] = -1;
        dies[i] = t->is_output ? INT32_MAX : -1;
    }
    for (int k = 0; k < g->n_ops; k++) {
        born[g->ops[k].out] = k;
        /* a CPU group writes all its outputs at once: each lives at least
         * through op k, so none overlaps another it writes */
        for (int j = 0; j < g->ops[k].n_cpu_out; j++) {
            born[g->ops[k].cpu_out[j]] = k;
            dies[g->ops[k].cpu_out[j]] = RK_MAX(dies[g->ops[k].cpu_out[j]], k);
        }
        for (int j = 0; j < g->ops[k].n_in; j++)
            if (dies[g->ops[k].in[j]] != INT32_MAX)
                dies[g->ops[k].in[j]] = RK_MAX(dies[g->ops[k].in[j]], k);
    }
    int n_order = 0;
    uint64_t total = 0, naive = 0;
    for (int i = 0; i < nt; i++) {
        cv_tensor *t = &g->tensors[i];
        /* first fit among the tensors still alive at born[i] */
        uint64_t off = 0;
        for (bool moved = true; moved;) {
            moved = false;
            for (int k = 0; k < n_order; k++) {
                const cv_tensor *o = &g->tensors[order[k]];
                bool alive = dies[order[k]] >= born[i];
                if (alive && off < (uint64_t)o->pool_off + o->bytes && (uint64_t)o->pool_off < off + t->bytes) {
                    off = RK_ALIGN_UP((uint64_t)o->pool_off + o->bytes, 64);
                    moved = true;
                }
            }
        }
        if (off + t->bytes > INT32_MAX) {
            free(born), free(dies), free(order);
            return rk_errf(e, RK_EUNSUPPORTED, "activation pool beyond 2 GiB at tensor '%s'", t->name);
        }
        t->pool_off = (uint32_t)off;
        order[n_order++] = i;
        total = RK_MAX(total, off + t->bytes);
        naive += RK_ALIGN_UP(t->bytes, 64);
    }
    cv_note(rep, "activation pool: %llu bytes with reuse (%llu without)", (unsigned long long)total,
            (unsigned long long)naive);
    free(born), free(dies), free(order);
    return RK_OK;
}

/* cv_tensor.f32: CPU-produced tensors no NPU op reads. */
static void mark_float_tensors(cv_graph *g, rk_convert_report *rep)
{
    int n = 0;
    for (int k = 0; k < g->n_ops; k++)
        for (int j = 0; j < g->ops[k].n_cpu_out; j++)
            g->tensors[g->ops[k].cpu_out[j]].f32 = true;
    for (int k = 0; k < g->n_ops; k++)
        for (int j = 0; g->ops[k].kind != CV_CPU && j < g->ops[k].n_in; j++)
            g->tensors[g->ops[k].in[j]].f32 = false;
    for (int i = 0; i < g->n_tensors; i++) {
        /* only CPU nodes read nd tensors; graph inputs keep the program's
         * dtype (the InputOperator quantises them, as for 4-D inputs) */
        g->tensors[i].f32 |= g->tensors[i].nd && !g->tensors[i].is_input;
        n += g->tensors[i].f32;
    }
    if (n)
        cv_note(rep, "%d CPU-node tensor%s read by no NPU op kept in float32 (NCHW)", n, n > 1 ? "s" : "");
}

/* cv_tensor.argb: lite graph inputs of <= 4 channels that only direct
 * convs read (the vendor lite files feed their 1- and 3-channel image
 * inputs this way, CONV_CON1.ARGB_IN = 7 + C; depthwise/pool/Add/CPU
 * readers: no example, kept NC1HWC2), narrow enough for one column tile. */
static void mark_lite_packed_inputs(cv_graph *g, rk_convert_report *rep)
{
    const isa_reg *r = isa_reg_lookup_name(g->soc->soc, "CNA_DATA_SIZE0");
    const isa_field *f = r ? isa_field_lookup(r, "DATAIN_WIDTH") : NULL;
    for (int i = 0; g->soc->lite && f && i < g->n_inputs; i++) {
        int ti = g->inputs[i];
        cv_tensor *t = &g->tensors[ti];
        bool ok = !t->is_output && !t->nd && !t->f32 && t->c <= 4 && (uint32_t)t->w <= isa_field_max(f);
        for (int k = 0; ok && k < g->n_ops; k++)
            for (int j = 0; j < g->ops[k].n_in; j++)
                if (g->ops[k].in[j] == ti && (g->ops[k].kind != CV_CONV || g->ops[k].depthwise))
                    ok = false;
        t->argb = ok;
        if (ok)
            cv_note(rep, "input '%s': %d channels packed per pixel (lite ARGB input mode, as the vendor's)",
                    t->name, t->c);
    }
}

/* Fills pool offsets and rknn indices into g's tensors, then builds the model. */
rk_status cv_build_model(cv_graph *g, const rk_convert_opts *o, rknn_model **out, rk_convert_report *rep,
                         rk_err *e)
{
    rknn_model *m = NULL;
    sim_asm a;
    *out = NULL;
    if (!(g->soc = cv_soc_get(o->soc)))
        return rk_errf(e, RK_EUNSUPPORTED, "convert: no lowering for --soc %s (lowered: rk3588, rk3566/rk3568)",
                       rk_soc_name(o->soc));
    sim_asm_init(&a, o->soc);
    mark_float_tensors(g, rep);
    mark_lite_packed_inputs(g, rep);
    rk_status st = plan_pool(g, o->dtype, rep, e);
    if (!st)
        st = rknn_new(g->soc->format, g->soc->platform, &m, e);
    for (int i = 0; !st && i < g->n_tensors; i++) {
        uint32_t idx;
        st = add_rknn_tensor(m, g->soc, &g->tensors[i], tensor_dtype(o->dtype, &g->tensors[i]), &idx, e);
        g->tensors[i].rknn_index = (int32_t)idx;
    }
    if (!st)
        st = cv_partners_add(m, g, rep, e);
    /* node order: inputs, NPU ops (op_idx = node index), outputs */
    uint32_t node = 0;
    for (int i = 0; !st && i < g->n_inputs; i++, node++)
        st = add_io_node(m, "InputOperator", g->tensors[g->inputs[i]].name, g->tensors[g->inputs[i]].rknn_index,
                         true, e);
    for (int i = 0; !st && i < g->n_ops; i++, node++) {
        const cv_op *op = &g->ops[i];
        if (op->kind == CV_MATMUL && op->n_in == 2)
            st = cv_matmul_build_dynamic(&a, g, op, o->no_tiling, node, rep, e);
        else if (op->kind == CV_CONV || op->kind == CV_MATMUL)
            st = build_conv(m, &a, g, op, o, node, rep, e);
        else if (op->kind == CV_ADD)
            st = build_add(&a, g, op, o, node, rep, e);
        else if (op->kind != CV_CPU)
            st = g->soc->lite ? build_pool_lite(m, &a, g, op, o, node, rep, e) : build_pool(&a, g, op, o, node, e);
        if (!st)
            st = op->kind == CV_CPU ? add_cpu_node(m, g, op, e) : add_op_node(m, g, op, e);
        if (op->kind != CV_CPU)
            rep->n_npu_ops++;
    }
    for (int i = 0; !st && i < g->n_outputs; i++)
        st = add_io_node(m, "OutputOperator", g->tensors[g->outputs[i]].name, g->tensors[g->outputs[i]].rknn_index,
                         false, e);
    for (int i = 0; !st && i < g->n_inputs; i++)
        st = rknn_add_graph_input(m, g->tensors[g->inputs[i]].rknn_index, e);
    for (int i = 0; !st && i < g->n_outputs; i++)
        st = rknn_add_graph_output(m, g->tensors[g->outputs[i]].rknn_index, e);
    if (!st)
        st = sim_asm_install(&a, m, e);
    if (!st)
        st = split_chains_at_cpu_nodes(m, e);
    if (!st)
        rep->n_tasks = a.nt;
    sim_asm_free(&a);
    if (st) {
        rknn_free(m);
        return st;
    }
    *out = m;
    return RK_OK;
}
