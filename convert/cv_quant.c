/*
 * cv_quant.c - calibration and int8 quantisation parameters.
 *
 * "normal" calibration (rknn-toolkit2's name for min/max): the float model
 * runs in onnxref over every calibration sample and each tensor the NPU
 * program produces keeps its running min and max.  Without a calibration
 * file one deterministic sample is used: a fixed LCG filling [0, 1), i.e.
 * an image already scaled to unit range (documented; quantisation is then
 * only as good as that guess - pass --calib for real data).
 *
 * Activations: asymmetric int8, scale = (max - min) / 255,
 * zp = round(-128 - min / scale), with 0 forced into [min, max] so that
 * zero (ReLU floor, padding) is exact.  A fused Clip narrows the range to
 * its bounds: the DPU's saturation to int8 then implements the clip.
 *
 * --algo mmse: a second pass fills a 2048-bin histogram per tensor over the
 * min/max range; the range [a*min, b*max] (a, b on a geometric grid) with
 * the least expected int8 error (clipping + step^2/12) is kept.
 * --algo kl: the same histogram, TensorRT-style entropy calibration
 * (cv_kl_range below).
 *
 * Calibration data: an HDF5 file (already normalised), images (a folder or
 * an rknn-toolkit2 dataset.txt, decoded and normalised in cv_calib_src.c),
 * or the deterministic sample.
 *
 * Channel equalisation (our addition, a cross-layer-equalisation variant;
 * inferred to be harmless for the NPU because it only changes weights, BS
 * data and what the CPU node computes): per-tensor int8 loses the small
 * channels of tensors whose channel ranges differ a lot (PP-OCRv4 det: the
 * learnable-affine/HardSwish CPU groups between convs have channel ranges
 * from 1.8 to 81).  Where a tensor sits between a Conv and CPU groups only,
 * it is stored divided by eq[c] = range_c / max range (>= 1/64) per channel:
 *  - Conv -> CPU: the conv's output channel c (weights, bias) is divided by
 *    eq[c]; the CPU group starts with Mul(., eq) in float;
 *  - CPU -> Conv (the tensor's only reader): the CPU group ends with
 *    Mul(., 1/eq); the conv's weights on input channel c are multiplied by
 *    eq[c].
 * Exact in float; the stored tensor is renamed "<name>#eq" (its values are
 * not the ONNX tensor's) and gets a partner record with the factors
 * (cv_partner.c), through which compare maps it back.  PP-OCRv4 det int8: final
 * cosine 0.981 -> 0.992 (tests/e2e/convert_ppocr_det_slow.sh).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_calib.h"
#include "cv_internal.h"
#include "rk_tensorio.h"

static void observe_hist(cv_tensor *t, const float *v, int64_t n)
{
    double lo = t->min, hi = t->max, w = (hi - lo) / CV_HIST_BINS;
    int64_t plane = (int64_t)t->h * t->w;
    if (!(w > 0))
        return;
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        double x = t->eq ? (double)v[i] / t->eq[(i / plane) % t->c] : (double)v[i];
        long b = (long)floor((x - lo) / w);
        t->hist[RK_MAX(0, RK_MIN(CV_HIST_BINS - 1, b))]++;
    }
}

static void observe(cv_graph *g, cv_tensor *t, const float *v, int64_t n)
{
    if (g->hist_pass) {
        if (t->hist)
            observe_hist(t, v, n);
        return;
    }
    if (t->ch_min && n == (int64_t)t->c * t->h * t->w) {
        int64_t plane = (int64_t)t->h * t->w;
        for (int64_t i = 0; i < n; i++)
            if (isfinite(v[i])) {
                int c = (int)(i / plane);
                t->ch_min[c] = fminf(t->ch_min[c], v[i]);
                t->ch_max[c] = fmaxf(t->ch_max[c], v[i]);
            }
    }
    for (int64_t i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            continue;
        if (!t->calibrated) {
            t->min = t->max = v[i];
            t->calibrated = true;
        }
        t->min = fminf(t->min, v[i]);
        t->max = fmaxf(t->max, v[i]);
    }
}

/* The tensor entering a fused activation (a fused intermediate, so not a
 * cv_tensor): its range is kept in the op's cv_act (cv_act.c). */
static void observe_pre(cv_graph *g, const char *name, const rk_tensor *t)
{
    for (int k = 0; k < g->n_ops && !g->hist_pass; k++) {
        cv_act *a = &g->ops[k].act;
        if (!a->pre_name || strcmp(a->pre_name, name) != 0)
            continue;
        const float *v = t->data;
        for (int64_t i = 0; i < t->nelem; i++) {
            if (!isfinite(v[i]))
                continue;
            if (!a->pre_seen) {
                a->pre_min = a->pre_max = v[i];
                a->pre_seen = true;
            }
            a->pre_min = fminf(a->pre_min, v[i]);
            a->pre_max = fmaxf(a->pre_max, v[i]);
        }
    }
}

static rk_status on_node(void *user, const ox_model *m, const ox_node *n, const rk_tensor *out, int nout,
                         rk_err *e)
{
    cv_graph *g = user;
    (void)m;
    for (int i = 0; i < nout; i++) {
        int ti = cv_find_tensor(g, ox_node_output_name(n, i));
        if (ti >= 0 && out[i].dtype == RK_DT_F32)
            observe(g, &g->tensors[ti], out[i].data, out[i].nelem);
        if (out[i].dtype == RK_DT_F32)
            observe_pre(g, ox_node_output_name(n, i), &out[i]);
    }
    (void)e;
    return RK_OK;
}

static rk_status run_sample(ox_model *m, cv_graph *g, rk_tensor *ins, rk_err *e)
{
    for (int i = 0; i < g->n_inputs; i++)
        observe(g, &g->tensors[g->inputs[i]], ins[i].data, ins[i].nelem);
    int nout = ox_model_num_outputs(m);
    rk_tensor *outs = calloc((size_t)nout + 1, sizeof(*outs));
    if (!outs)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    ox_run_opts ro = {.threads = 1, .on_node = on_node, .user = g};
    rk_status st = ox_run(m, ins, g->n_inputs, &ro, outs, e);
    for (int i = 0; i < nout; i++)
        rk_tensor_free(&outs[i]);
    free(outs);
    return st ? rk_err_wrap(e, "calibration run of the float model") : RK_OK;
}

/* One deterministic sample in [0, 1) per input (LCG, seed fixed). */
static rk_status calib_default(ox_model *m, cv_graph *g, rk_err *e)
{
    rk_tensor ins[8];
    memset(ins, 0, sizeof(ins));
    if (g->n_inputs > 8)
        return rk_errf(e, RK_EUNSUPPORTED, "more than 8 model inputs");
    uint32_t s = 0x12345678u;
    rk_status st = RK_OK;
    for (int i = 0; !st && i < g->n_inputs; i++) {
        const cv_tensor *t = &g->tensors[g->inputs[i]];
        int64_t d[RK_MAX_DIMS];
        int nd = cv_tensor_dims(t, d);
        if ((st = rk_tensor_alloc(&ins[i], t->name, RK_DT_F32, nd, d, e)))
            break;
        float *v = ins[i].data;
        for (int64_t k = 0; k < ins[i].nelem; k++) {
            s = s * 1664525u + 1013904223u;
            v[k] = (float)(s >> 8) / 16777216.0f;
        }
    }
    if (!st)
        st = run_sample(m, g, ins, e);
    for (int i = 0; i < 8; i++)
        rk_tensor_free(&ins[i]);
    return st;
}

/* Samples in calibration dataset d for an input of shape want[nd]: the
 * input's rank with S replacing a leading 1 ([S,C,H,W] for [1,C,H,W], [S,T,D]
 * for [1,T,D]), or one more axis in front ([S,T,D] for [T,D]); 0 when the
 * shape fits neither. */
static int calib_samples(const rk_tensor *d, const int64_t *want, int nd)
{
    int lead = d->ndim - nd; /* 1: a stacking axis in front */
    if ((lead != 0 && lead != 1) || d->dims[0] < 1 || d->dims[0] > INT32_MAX)
        return 0;
    for (int k = lead ? 0 : 1; k < nd; k++)
        if (d->dims[k + lead] != want[k])
            return 0;
    if (!lead && want[0] != 1 && d->dims[0] != want[0])
        return 0;
    return !lead && want[0] != 1 ? 1 : (int)d->dims[0];
}

/* HDF5 calibration set: one dataset per input, named like the input, float
 * data of the input's shape [1,C,H,W] or a stack [S,C,H,W] of S samples
 * (any rank: calib_samples). */
static rk_status calib_h5(ox_model *m, cv_graph *g, const char *path, int *n_samples, rk_err *e)
{
    rk_tensor_list l = {0};
    rk_tensor f[8], ins[8];
    memset(f, 0, sizeof(f));
    memset(ins, 0, sizeof(ins));
    int S = -1;
    rk_status st = rk_h5_read(path, &l, e);
    if (st)
        return rk_err_wrap(e, "calibration file");
    if (g->n_inputs > 8)
        st = rk_errf(e, RK_EUNSUPPORTED, "more than 8 model inputs");
    for (int i = 0; !st && i < g->n_inputs; i++) {
        const cv_tensor *t = &g->tensors[g->inputs[i]];
        rk_tensor *d = rk_tensor_list_find(&l, t->name);
        if (!d) {
            st = rk_errf(e, RK_EINPUT, "calibration file %s has no dataset '%s' (one per model input)", path,
                         t->name);
            break;
        }
        int64_t want[RK_MAX_DIMS];
        int nd = cv_tensor_dims(t, want), ns = calib_samples(d, want, nd);
        if (ns < 1 || (S >= 0 && ns != S)) {
            char shp[160];
            int len = snprintf(shp, sizeof(shp), "[S");
            for (int k = want[0] == 1 ? 1 : 0; k < nd && len > 0 && len < (int)sizeof(shp); k++)
                len += snprintf(shp + len, sizeof(shp) - (size_t)len, ",%lld", (long long)want[k]);
            st = rk_errf(e, RK_EINPUT,
                         "calibration dataset '%s' in %s must be %s] float (S samples, same S for every input)",
                         t->name, path, shp);
            break;
        }
        S = ns;
        st = rk_tensor_to_f32(&f[i], d, e);
    }
    for (int s = 0; !st && s < S; s++) {
        for (int i = 0; !st && i < g->n_inputs; i++) {
            const cv_tensor *t = &g->tensors[g->inputs[i]];
            int64_t d[RK_MAX_DIMS];
            int nd = cv_tensor_dims(t, d);
            rk_tensor_free(&ins[i]);
            if (!(st = rk_tensor_alloc(&ins[i], t->name, RK_DT_F32, nd, d, e)))
                memcpy(ins[i].data, (const float *)f[i].data + (size_t)s * (size_t)ins[i].nelem,
                       (size_t)ins[i].nelem * sizeof(float));
        }
        if (!st)
            st = run_sample(m, g, ins, e);
    }
    for (int i = 0; i < 8; i++) {
        rk_tensor_free(&f[i]);
        rk_tensor_free(&ins[i]);
    }
    rk_tensor_list_free(&l);
    *n_samples = S;
    return st;
}

/* Images (cv_calib_src.c): one model input with 3 channels. */
static rk_status calib_images(ox_model *m, cv_graph *g, const rk_convert_opts *o, int *n_samples, rk_err *e)
{
    if (g->n_inputs != 1 || g->tensors[g->inputs[0]].c != 3 || g->tensors[g->inputs[0]].nd)
        return rk_errf(e, RK_EUNSUPPORTED,
                       "image calibration (%s) needs a model with one 3-channel [1,3,H,W] input; this one has %d "
                       "input%s (first: %s%d channels) - use --calib FILE.h5",
                       o->calib_images, g->n_inputs, g->n_inputs == 1 ? "" : "s",
                       g->n_inputs && g->tensors[g->inputs[0]].nd ? "not 4-D, " : "",
                       g->n_inputs && !g->tensors[g->inputs[0]].nd ? g->tensors[g->inputs[0]].c : 0);
    const cv_tensor *t = &g->tensors[g->inputs[0]];
    cv_calib_list l;
    rk_status st = cv_calib_list_open(o->calib_images, &l, e);
    for (int i = 0; !st && i < l.n; i++) {
        rk_tensor in;
        memset(&in, 0, sizeof(in));
        st = cv_calib_image_sample(l.paths[i], o, t->name, t->h, t->w, &in, e);
        if (!st)
            st = run_sample(m, g, &in, e);
        rk_tensor_free(&in);
    }
    *n_samples = l.n;
    cv_calib_list_free(&l);
    return st;
}

static void derive_int8(cv_tensor *t)
{
    float lo = fminf(t->min, 0.0f), hi = fmaxf(t->max, 0.0f);
    if (hi - lo < 1e-8f)
        hi = lo + 1e-8f;
    t->scale = (hi - lo) / 255.0f;
    long zp = lroundf(-128.0f - lo / t->scale);
    t->zp = (int32_t)RK_MAX(-128, RK_MIN(127, zp));
}

/* ------------------------------------------------ channel equalisation */

static int producer_op(const cv_graph *g, int ti)
{
    for (int k = 0; k < g->n_ops; k++) {
        if (g->ops[k].kind != CV_CPU && g->ops[k].out == ti)
            return k;
        for (int j = 0; j < g->ops[k].n_cpu_out; j++)
            if (g->ops[k].cpu_out[j] == ti)
                return k;
    }
    return -1;
}

/* Per-channel range accumulators of t, empty ([+inf, -inf]) until the
 * calibration passes fill them. */
static rk_status alloc_channel_ranges(cv_tensor *t, rk_err *e)
{
    t->ch_min = malloc((size_t)t->c * sizeof(float));
    t->ch_max = malloc((size_t)t->c * sizeof(float));
    if (!t->ch_min || !t->ch_max)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    for (int c = 0; c < t->c; c++) {
        t->ch_min[c] = INFINITY;
        t->ch_max[c] = -INFINITY;
    }
    return RK_OK;
}

/* Candidates: the input of a Conv, produced by a CPU group (float, so it
 * can emit any per-channel scaling for free) and read by no other op. */
static rk_status mark_eq_candidates(cv_graph *g, rk_err *e)
{
    for (int k = 0; k < g->n_ops; k++) {
        const cv_op *op = &g->ops[k];
        if (op->kind != CV_CONV)
            continue;
        int ti = op->in[0], readers = 0;
        cv_tensor *t = &g->tensors[ti];
        int p = producer_op(g, ti);
        if (t->is_input || t->is_output || t->ch_min || p < 0 || g->ops[p].kind != CV_CPU)
            continue;
        for (int j = 0; j < g->n_ops; j++)
            for (int i = 0; i < g->ops[j].n_in; i++)
                readers += g->ops[j].in[i] == ti;
        if (readers != 1)
            continue;
        if (alloc_channel_ranges(t, e))
            return RK_ENOMEM;
        t->eq_op = k;
    }
    /* outputs of LUT activations: per-channel ranges for cv_act_judge */
    for (int k = 0; k < g->n_ops; k++) {
        cv_tensor *t = &g->tensors[g->ops[k].out];
        if (!cv_act_uses_lut(&g->ops[k]) || t->ch_min)
            continue;
        if (alloc_channel_ranges(t, e))
            return RK_ENOMEM;
        t->act_probe = true;
    }
    /* Conv outputs read only by CPU groups, or by exactly one Conv (then
     * the reader's input weights compensate: cross-layer equalisation,
     * needed since fused activations turn Conv -> CPU -> Conv links into
     * Conv -> Conv ones).  No fused Clip: its per-tensor saturation would
     * not commute with per-channel scaling; no LUT activation: f(x / e) !=
     * f(x) / e (ReLU and LeakyRelu commute with positive scales) */
    for (int k = 0; k < g->n_ops; k++) {
        const cv_op *op = &g->ops[k];
        if (op->kind != CV_CONV || isfinite(op->clip_hi) || cv_act_uses_lut(op))
            continue;
        int ti = op->out, readers = 0, cpu_readers = 0, conv_reader = -1;
        cv_tensor *t = &g->tensors[ti];
        if (t->is_output || t->ch_min)
            continue;
        for (int j = 0; j < g->n_ops; j++)
            for (int i = 0; i < g->ops[j].n_in; i++)
                if (g->ops[j].in[i] == ti) {
                    readers++;
                    cpu_readers += g->ops[j].kind == CV_CPU;
                    if (g->ops[j].kind == CV_CONV && i == 0)
                        conv_reader = j;
                }
        bool to_conv = readers == 1 && conv_reader >= 0;
        if (!readers || (readers != cpu_readers && !to_conv))
            continue;
        t->eq_to_conv = to_conv;
        t->eq_reader = conv_reader;
        if (alloc_channel_ranges(t, e))
            return RK_ENOMEM;
        t->eq_op = k;
        t->eq_out = true;
    }
    return RK_OK;
}

/* eq[c] = range_c / max range (>= 1/64, so weights shrink at most 64x):
 * every channel then spans the tensor's int8 range; the conv's weights for
 * input channel c are multiplied by eq[c], which cancels it exactly. */
static rk_status equalise(cv_graph *g, rk_convert_report *rep, rk_err *e)
{
    int n = 0;
    for (int i = 0; i < g->n_tensors; i++) {
        cv_tensor *t = &g->tensors[i];
        if (!t->ch_min || !t->calibrated || t->act_probe)
            continue;
        float big = 0;
        for (int c = 0; c < t->c; c++)
            big = fmaxf(big, fmaxf(t->ch_max[c], 0.0f) - fminf(t->ch_min[c], 0.0f));
        if (!(big > 0))
            continue;
        if (!(t->eq = malloc((size_t)t->c * sizeof(float))))
            return rk_errf(e, RK_ENOMEM, "convert: out of memory");
        float lo = 0, hi = 0;
        for (int c = 0; c < t->c; c++) {
            float r = isfinite(t->ch_min[c]) ? fmaxf(t->ch_max[c], 0.0f) - fminf(t->ch_min[c], 0.0f) : 0.0f;
            t->eq[c] = fmaxf(r / big, 1.0f / 64.0f);
            if (isfinite(t->ch_min[c])) {
                lo = fminf(lo, t->ch_min[c] / t->eq[c]);
                hi = fmaxf(hi, t->ch_max[c] / t->eq[c]);
            }
        }
        t->min = lo;
        t->max = hi;
        cv_op *op = &g->ops[t->eq_op];
        int taps = op->kh * op->kw;
        if (t->eq_out) {
            for (int k = 0; k < op->k; k++) {
                for (int j = 0; j < op->wpk; j++)
                    op->w[(size_t)k * op->wpk + j] /= t->eq[k];
                op->b[k] /= t->eq[k];
            }
            n++;
            if (!t->eq_to_conv)
                continue;
            op = &g->ops[t->eq_reader]; /* the reader takes eq back, as an input below */
            taps = op->kh * op->kw;
        }
        for (int k = 0; k < op->k; k++)
            for (int j = 0; j < op->wpk; j++) {
                int c = op->depthwise ? k : j / taps;
                op->w[(size_t)k * op->wpk + j] *= t->eq[c];
            }
        n += !t->eq_out;
    }
    if (n)
        cv_note(rep, "channel equalisation: %d tensor%s between a Conv and CPU nodes or two Convs stored "
                "per-channel rescaled ('#eq'; conv weights and the CPU node's float graph compensate)", n,
                n > 1 ? "s" : "");
    return RK_OK;
}

/* Equalised tensors are renamed "<name>#eq" once calibration is done (the
 * calibration passes find tensors by their ONNX names): the stored values
 * are not the ONNX tensor's, so compare must not match them by name (it
 * uses their partner record, cv_partner.c). */
static rk_status rename_equalised(cv_graph *g, rk_err *e)
{
    for (int i = 0; i < g->n_tensors; i++) {
        cv_tensor *t = &g->tensors[i];
        if (!t->eq)
            continue;
        size_t l = strlen(t->name);
        char *nm = malloc(l + 4);
        if (!nm)
            return rk_errf(e, RK_ENOMEM, "convert: out of memory");
        memcpy(nm, t->name, l);
        memcpy(nm + l, "#eq", 4);
        free(t->name);
        t->name = nm;
    }
    return RK_OK;
}

/* Expected squared error of int8 quantisation over [a, b] for the
 * histogram of t: clipped values cost their distance to the bound, kept
 * ones the uniform rounding noise step^2 / 12. */
static double quant_mse(const cv_tensor *t, double a, double b)
{
    double lo = t->min, w = ((double)t->max - lo) / CV_HIST_BINS, step = (b - a) / 255.0, err = 0;
    for (int k = 0; k < CV_HIST_BINS; k++) {
        if (!t->hist[k])
            continue;
        double v = lo + (k + 0.5) * w, d = v < a ? a - v : v > b ? v - b : 0;
        err += (double)t->hist[k] * (d * d + step * step / 12.0);
    }
    return err;
}

/* MMSE: the [a*min, b*max] (a, b in a geometric grid from 1 down to ~1%)
 * with the least quant_mse; zero stays inside the range. */
static void choose_mmse_range(cv_tensor *t)
{
    double lo = fmin(t->min, 0.0), hi = fmax(t->max, 0.0);
    double best = INFINITY, ba = 1, bb = 1;
    for (int i = 0; i < 40; i++) {
        double fa = pow(0.89, i);
        if (lo == 0 && i)
            break;
        for (int j = 0; j < 40; j++) {
            double fb = pow(0.89, j);
            if (hi == 0 && j)
                break;
            double err = quant_mse(t, lo * fa, hi * fb);
            if (err < best) {
                best = err;
                ba = fa;
                bb = fb;
            }
        }
    }
    t->min = (float)(lo * ba);
    t->max = (float)(hi * bb);
}

/*
 * KL-divergence calibration, TensorRT's entropy method (NVIDIA, "8-bit
 * Inference with TensorRT", GTC 2017) adapted to asymmetric int8:
 *  - the bin holding 0 (lo <= 0 <= hi) does not count: zeros (ReLU/Clip
 *    floors, padding, masked outputs) are exact in int8 whatever the range
 *    (the zero point), so they say nothing about where to clip, but as one
 *    spike holding up to 60 % of a tensor (PP-OCRv4 det head) they dominate
 *    the divergence and push the window inwards.  The same rule exists in
 *    NVIDIA's pytorch-quantization (histogram bin 0 of |x| replaced by bin
 *    1), PPQ (its first 0.2 % of bins emptied) and ncnn (exact zeros not
 *    binned);
 *  - candidate windows of i bins, i = max(CV_KL_LEVELS, nbins / 2) ..
 *    nbins: PaddleSlim's KL (cal_kl_threshold) starts at half the
 *    histogram too; narrower windows clip tails that flat-background images
 *    make look empty (README "--algo kl").  TensorRT grows [0, i) over a
 *    histogram of |x|; here the histogram is signed, so a window keeps the
 *    zero point's share: with zb = round(-lo / width), the zero bin
 *    boundary, it starts at zb - round(i * zb / nbins) (all non-negative
 *    tensors: [0, i) exactly as TensorRT);
 *  - P = the window's counts with everything left of it added to its first
 *    bin and everything right of it to its last bin (clipping);
 *  - Q = the window's original counts merged into CV_KL_LEVELS groups of
 *    consecutive bins (bin j -> group j * LEVELS / i), each group's total
 *    spread evenly over its non-empty bins (empty bins stay 0);
 *  - KL(P||Q) over normalised P, Q; a bin with P > 0 and Q = 0 makes the
 *    divergence infinite (that window is not a candidate);
 *  - the least divergence wins, ties to the wider window (NVIDIA's
 *    pytorch-quantization also keeps the last minimum); no finite candidate
 *    or an empty histogram: the whole [lo, hi].
 * The window's value range is [lo + a * width, lo + (a + i) * width].
 */
static double kl_window(const uint32_t *hist, int nbins, int a, int i, double *q)
{
    double psum = 0, qsum = 0, kl = 0, left = 0, right = 0;
    for (int k = 0; k < a; k++)
        left += hist[k];
    for (int k = a + i; k < nbins; k++)
        right += hist[k];
    for (int grp = 0, j = 0; grp < CV_KL_LEVELS; grp++) {
        int j0 = j, nz = 0;
        double tot = 0;
        for (; j < i && (int)((int64_t)j * CV_KL_LEVELS / i) == grp; j++) {
            tot += hist[a + j];
            nz += hist[a + j] != 0;
        }
        for (int k = j0; k < j; k++)
            q[k] = hist[a + k] ? tot / nz : 0;
    }
    for (int j = 0; j < i; j++) {
        psum += hist[a + j];
        qsum += q[j];
    }
    psum += left + right;
    if (!(psum > 0) || !(qsum > 0))
        return INFINITY;
    for (int j = 0; j < i; j++) {
        double p = hist[a + j] + (j == 0 ? left : 0) + (j == i - 1 ? right : 0);
        if (p <= 0)
            continue;
        if (q[j] <= 0)
            return INFINITY;
        kl += p / psum * log((p / psum) / (q[j] / qsum));
    }
    return kl;
}

/* The bin observe_hist puts an exact 0 into, or -1 when 0 is outside. */
static long kl_zero_bin(int nbins, double lo, double hi, double width)
{
    if (!(lo <= 0 && hi >= 0))
        return -1;
    long zb = (long)floor(-lo / width);
    return RK_MAX(0, RK_MIN(nbins - 1, zb));
}

void cv_kl_range(const uint32_t *hist, int nbins, double lo, double hi, double *out_lo, double *out_hi)
{
    *out_lo = lo;
    *out_hi = hi;
    double width = (hi - lo) / nbins;
    if (!(width > 0) || nbins < CV_KL_LEVELS)
        return;
    double *q = malloc((size_t)nbins * sizeof(double));
    uint32_t *h = malloc((size_t)nbins * sizeof(uint32_t));
    if (!q || !h) {
        free(q);
        free(h);
        return; /* informational fallback: the min/max range */
    }
    memcpy(h, hist, (size_t)nbins * sizeof(uint32_t));
    long zero = kl_zero_bin(nbins, lo, hi, width);
    if (zero >= 0)
        h[zero] = 0;
    long zb = lround(-lo / width);
    zb = RK_MAX(0, RK_MIN(nbins, zb));
    double best = INFINITY;
    for (int i = RK_MAX(CV_KL_LEVELS, nbins / 2); i <= nbins; i++) {
        int a = (int)(zb - lround((double)i * (double)zb / nbins));
        a = RK_MAX(0, RK_MIN(nbins - i, a));
        double kl = kl_window(h, nbins, a, i, q);
        if (kl <= best) {
            best = kl;
            *out_lo = lo + a * width;
            *out_hi = lo + (a + i) * width;
        }
    }
    free(q);
    free(h);
}

static void choose_kl_range(cv_tensor *t)
{
    double a, b;
    cv_kl_range(t->hist, CV_HIST_BINS, t->min, t->max, &a, &b);
    t->min = (float)a;
    t->max = (float)b;
}

static rk_status calib_pass(ox_model *m, cv_graph *g, const rk_convert_opts *o, int *samples, rk_err *e)
{
    if (o->calib_h5)
        return calib_h5(m, g, o->calib_h5, samples, e);
    return o->calib_images ? calib_images(m, g, o, samples, e) : calib_default(m, g, e);
}

rk_status cv_calibrate(ox_model *m, cv_graph *g, const rk_convert_opts *o, rk_convert_report *rep, rk_err *e)
{
    int samples = 1;
    rk_status st = mark_eq_candidates(g, e);
    if (!st)
        st = calib_pass(m, g, o, &samples, e);
    if (!st)
        st = equalise(g, rep, e);
    if (st)
        return st;
    if (o->algo == RK_CALIB_MMSE || o->algo == RK_CALIB_KL) {
        for (int i = 0; i < g->n_tensors; i++)
            if (g->tensors[i].calibrated && !(g->tensors[i].hist = calloc(CV_HIST_BINS, sizeof(uint32_t))))
                return rk_errf(e, RK_ENOMEM, "convert: out of memory");
        g->hist_pass = true;
        st = calib_pass(m, g, o, &samples, e);
        g->hist_pass = false;
        if (st)
            return st;
        for (int i = 0; i < g->n_tensors; i++)
            if (g->tensors[i].hist) {
                if (o->algo == RK_CALIB_KL)
                    choose_kl_range(&g->tensors[i]);
                else
                    choose_mmse_range(&g->tensors[i]);
            }
        cv_note(rep, "calibration: %s ranges from %d-bin histograms (second pass)",
                o->algo == RK_CALIB_KL ? "KL-divergence" : "MMSE", CV_HIST_BINS);
    }
    cv_note(rep, "calibration: min/max over %d sample%s (%s)", samples, samples == 1 ? "" : "s",
            o->calib_h5       ? o->calib_h5
            : o->calib_images ? o->calib_images
                              : "deterministic [0,1) input; pass --calib for real data");
    if (!o->calib_h5 && o->calib_images)
        cv_note(rep, "calibration images: resized to the input's HxW (Pillow bilinear), %s order, "
                "x = (pixel - mean) / std with mean %g,%g,%g std %g,%g,%g", o->calib_bgr ? "BGR" : "RGB",
                o->calib_mean[0], o->calib_mean[1], o->calib_mean[2], o->calib_std[0] != 0 ? o->calib_std[0] : 1,
                o->calib_std[1] != 0 ? o->calib_std[1] : 1, o->calib_std[2] != 0 ? o->calib_std[2] : 1);
    if ((st = rename_equalised(g, e)))
        return st;
    for (int i = 0; i < g->n_ops; i++) {
        const cv_op *op = &g->ops[i];
        cv_tensor *t = &g->tensors[op->out];
        if (!t->calibrated)
            return rk_errf(e, RK_EINTERNAL, "calibration saw no value of tensor '%s' (%s)", t->name, op->label);
        t->min = fmaxf(t->min, op->clip_lo);
        t->max = fminf(t->max, op->clip_hi);
    }
    for (int i = 0; i < g->n_tensors; i++)
        derive_int8(&g->tensors[i]);
    /* Max pooling commutes with a monotonic quantiser and average pooling
     * (pad cells = zp, counted) is affine, so the output keeps the input's
     * parameters and the PPU needs no requantisation (our choice; the TRM
     * lists no PPU output converter). */
    for (int i = 0; i < g->n_ops; i++) {
        const cv_op *op = &g->ops[i];
        if (op->kind == CV_MAXPOOL || op->kind == CV_AVGPOOL) {
            g->tensors[op->out].scale = g->tensors[op->in[0]].scale;
            g->tensors[op->out].zp = g->tensors[op->in[0]].zp;
        }
    }
    return RK_OK;
}
