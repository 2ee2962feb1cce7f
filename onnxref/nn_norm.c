/*
 * nn_norm.c - normalisation and softmax-family kernels:
 * BatchNormalization (opset 1..15, inference and training_mode),
 * InstanceNormalization, LayerNormalization (17), GroupNormalization
 * (18 per-group and 21 per-channel scale/bias), LRN, and
 * Softmax / LogSoftmax / Hardmax with both axis semantics (opset < 13:
 * input coerced to 2-D at `axis`, default 1; opset >= 13: one axis,
 * default -1).  Statistics accumulate in double.
 */
#include "nn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int64_t prod_dims(const int64_t *d, int from, int to)
{
    int64_t p = 1;
    for (int i = from; i < to; i++)
        p *= d[i];
    return p;
}

/* Fails unless t is a float32 tensor of exactly `count` elements. */
static rk_status need_param(const ox_node *n, const rk_tensor *t, const char *role,
                            int64_t count, rk_err *e)
{
    char buf[96];
    rk_status st = nn_need_f32(n, t, role, e);
    if (st)
        return st;
    if (t->nelem != count)
        return rk_errf(e, RK_EINPUT, "%s: input %s %s should have %lld elements",
                       ox_node_label(n), role, rk_shape_str(t, buf, sizeof buf),
                       (long long)count);
    return RK_OK;
}

/* ---- BatchNormalization ------------------------------------------------------- */

NN_KERNEL(nn_op_batchnorm)
{
    const rk_tensor *x, *sc, *b, *mean, *var;
    rk_status st;
    if ((st = nn_need(n, in, nin, 0, "X", &x, e)) ||
        (st = nn_need(n, in, nin, 1, "scale", &sc, e)) ||
        (st = nn_need(n, in, nin, 2, "B", &b, e)) ||
        (st = nn_need(n, in, nin, 3, "input_mean", &mean, e)) ||
        (st = nn_need(n, in, nin, 4, "input_var", &var, e)) ||
        (st = nn_need_f32(n, x, "X", e)) || (st = nn_need_rank(n, x, "X", -2, e)))
        return st;
    const int64_t nb = x->dims[0], ch = x->dims[1], plane = prod_dims(x->dims, 2, x->ndim);
    /* spatial=0 (opset < 9) gives per-activation params of C*plane values. */
    bool per_act = ox_node_opset(n) < 9 && ox_attr_int_or(n, "spatial", 1) == 0;
    int64_t pcount = per_act ? ch * plane : ch;
    if ((st = need_param(n, sc, "scale", pcount, e)) || (st = need_param(n, b, "B", pcount, e)) ||
        (st = need_param(n, mean, "input_mean", pcount, e)) ||
        (st = need_param(n, var, "input_var", pcount, e)))
        return st;
    float eps = ox_attr_float_or(n, "epsilon", 1e-5f);
    bool training = ox_node_opset(n) >= 14 && ox_attr_int_or(n, "training_mode", 0) != 0;
    if (!training && ox_node_opset(n) < 14)
        for (int i = 1; i < nout; i++)
            if (ox_node_output_used(n, i))
                return rk_errf(e, RK_EUNSUPPORTED, "%s: training outputs of "
                               "BatchNormalization before opset 14 are not supported",
                               ox_node_label(n));
    if (training && per_act)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: training with spatial=0", ox_node_label(n));
    if ((st = nn_alloc_inplace(ctx, x, &out[0], e)))
        return st;
    const float *xd = x->data, *scd = sc->data, *bd = b->data, *md = mean->data,
                *vd = var->data;
    float *y = out[0].data;
    double *bm = NULL, *bv = NULL;
    if (training) {
        /* Batch statistics (population variance), as the ONNX reference. */
        bm = rk_calloc_array((size_t)ch, sizeof *bm);
        bv = rk_calloc_array((size_t)ch, sizeof *bv);
        if (!bm || !bv) {
            st = rk_errf(e, RK_ENOMEM, "%s: out of memory", ox_node_label(n));
            goto out;
        }
        double cnt = (double)(nb * plane);
        for (int64_t c = 0; c < ch; c++) {
            double s = 0, s2 = 0;
            for (int64_t i = 0; i < nb; i++)
                for (int64_t k = 0; k < plane; k++)
                    s += xd[(i * ch + c) * plane + k];
            double mu = s / cnt;
            for (int64_t i = 0; i < nb; i++)
                for (int64_t k = 0; k < plane; k++) {
                    double d = xd[(i * ch + c) * plane + k] - mu;
                    s2 += d * d;
                }
            bm[c] = mu;
            bv[c] = s2 / cnt;
        }
    }
    for (int64_t i = 0; i < nb; i++)
        for (int64_t c = 0; c < ch; c++) {
            const float *xp = xd + (i * ch + c) * plane;
            float *yp = y + (i * ch + c) * plane;
            if (per_act) {
                for (int64_t k = 0; k < plane; k++) {
                    int64_t p = c * plane + k;
                    yp[k] = (float)((xp[k] - md[p]) / sqrt((double)vd[p] + eps) * scd[p] + bd[p]);
                }
                continue;
            }
            double mu = training ? bm[c] : md[c], v = training ? bv[c] : vd[c];
            float a = (float)(scd[c] / sqrt(v + eps));
            float o = (float)(bd[c] - mu * scd[c] / sqrt(v + eps));
            for (int64_t k = 0; k < plane; k++)
                yp[k] = xp[k] * a + o;
        }
    if (training) {
        float mom = ox_attr_float_or(n, "momentum", 0.9f);
        int64_t cd[1] = {ch};
        for (int o = 1; o < 3 && o < nout; o++) {
            if (!ox_node_output_used(n, o))
                continue;
            if ((st = rk_tensor_alloc(&out[o], NULL, RK_DT_F32, 1, cd, e)))
                goto out;
            float *r = out[o].data;
            for (int64_t c = 0; c < ch; c++)
                r[c] = o == 1 ? (float)(md[c] * mom + bm[c] * (1 - mom))
                              : (float)(vd[c] * mom + bv[c] * (1 - mom));
        }
    }
out:
    free(bm);
    free(bv);
    return st;
}

/* ---- Instance / Group normalisation ------------------------------------------- */

/* Normalises `count` values of x into y: (x - mean) / sqrt(var + eps). */
static void standardise(const float *x, float *y, int64_t count, double eps, double *mean_out,
                        double *inv_std_out)
{
    double s = 0, s2 = 0;
    for (int64_t i = 0; i < count; i++)
        s += x[i];
    double mu = count ? s / (double)count : 0.0;
    for (int64_t i = 0; i < count; i++) {
        double d = x[i] - mu;
        s2 += d * d;
    }
    double inv = 1.0 / sqrt((count ? s2 / (double)count : 0.0) + eps);
    for (int64_t i = 0; i < count; i++)
        y[i] = (float)((x[i] - mu) * inv);
    if (mean_out)
        *mean_out = mu;
    if (inv_std_out)
        *inv_std_out = inv;
}

NN_KERNEL(nn_op_instancenorm)
{
    const rk_tensor *x, *sc, *b;
    rk_status st;
    if ((st = nn_need(n, in, nin, 0, "input", &x, e)) ||
        (st = nn_need(n, in, nin, 1, "scale", &sc, e)) ||
        (st = nn_need(n, in, nin, 2, "B", &b, e)) || (st = nn_need_f32(n, x, "input", e)) ||
        (st = nn_need_rank(n, x, "input", -3, e)) ||
        (st = need_param(n, sc, "scale", x->dims[1], e)) ||
        (st = need_param(n, b, "B", x->dims[1], e)) ||
        (st = nn_alloc_inplace(ctx, x, &out[0], e)))
        return st;
    double eps = ox_attr_float_or(n, "epsilon", 1e-5f);
    int64_t ch = x->dims[1], plane = prod_dims(x->dims, 2, x->ndim);
    const float *scd = sc->data, *bd = b->data;
    for (int64_t p = 0; p < x->dims[0] * ch; p++) {
        float *y = (float *)out[0].data + p * plane;
        standardise((const float *)x->data + p * plane, y, plane, eps, NULL, NULL);
        for (int64_t k = 0; k < plane; k++)
            y[k] = y[k] * scd[p % ch] + bd[p % ch];
    }
    return RK_OK;
}

NN_KERNEL(nn_op_groupnorm)
{
    const rk_tensor *x, *sc, *b;
    rk_status st;
    char buf[96];
    if ((st = nn_need(n, in, nin, 0, "X", &x, e)) ||
        (st = nn_need(n, in, nin, 1, "scale", &sc, e)) ||
        (st = nn_need(n, in, nin, 2, "bias", &b, e)) || (st = nn_need_f32(n, x, "X", e)) ||
        (st = nn_need_f32(n, sc, "scale", e)) || (st = nn_need_f32(n, b, "bias", e)) ||
        (st = nn_need_rank(n, x, "X", -2, e)))
        return st;
    int64_t groups = ox_attr_int_or(n, "num_groups", 0), ch = x->dims[1];
    if (groups < 1 || groups > RK_MAX(1, ch) || ch % groups)
        return rk_errf(e, RK_EINPUT, "%s: num_groups=%lld does not divide the %lld channels of "
                       "X %s", ox_node_label(n), (long long)groups, (long long)ch,
                       rk_shape_str(x, buf, sizeof buf));
    /* Opset 18: scale/bias per group; opset 21: per channel. */
    int64_t want = ox_node_opset(n) >= 21 ? ch : groups;
    if (sc->nelem != want && sc->nelem == ch)
        want = ch; /* tolerate per-channel params under opset 18 */
    if ((st = need_param(n, sc, "scale", want, e)) || (st = need_param(n, b, "bias", want, e)) ||
        (st = nn_alloc_inplace(ctx, x, &out[0], e)))
        return st;
    double eps = ox_attr_float_or(n, "epsilon", 1e-5f);
    int64_t plane = prod_dims(x->dims, 2, x->ndim), cpg = ch / groups;
    const float *scd = sc->data, *bd = b->data;
    for (int64_t i = 0; i < x->dims[0] * groups; i++) {
        float *y = (float *)out[0].data + i * cpg * plane;
        standardise((const float *)x->data + i * cpg * plane, y, cpg * plane, eps, NULL, NULL);
        for (int64_t c = 0; c < cpg; c++) {
            int64_t pc = want == ch ? (i % groups) * cpg + c : i % groups;
            for (int64_t k = 0; k < plane; k++)
                y[c * plane + k] = y[c * plane + k] * scd[pc] + bd[pc];
        }
    }
    return RK_OK;
}

/* ---- LayerNormalization ------------------------------------------------------------ */

NN_KERNEL(nn_op_layernorm)
{
    const rk_tensor *x, *sc, *b = nn_in(in, nin, 2);
    rk_status st;
    int axis;
    char xs[96], ss[96];
    if ((st = nn_need(n, in, nin, 0, "X", &x, e)) ||
        (st = nn_need(n, in, nin, 1, "Scale", &sc, e)) || (st = nn_need_f32(n, x, "X", e)) ||
        (st = nn_need_f32(n, sc, "Scale", e)) || (b && (st = nn_need_f32(n, b, "B", e))) ||
        (st = nn_axis(n, "axis", ox_attr_int_or(n, "axis", -1), x->ndim, &axis, e)))
        return st;
    const int64_t outer = prod_dims(x->dims, 0, axis), inner = prod_dims(x->dims, axis, x->ndim);
    /* Scale and B broadcast unidirectionally onto X[axis:]. */
    const rk_tensor *params[2] = {sc, b};
    for (int i = 0; i < 2; i++) {
        const rk_tensor *t = params[i];
        if (!t)
            continue;
        bool ok = t->ndim <= x->ndim - axis;
        for (int d = 0; ok && d < t->ndim; d++) {
            int64_t xd = x->dims[x->ndim - t->ndim + d];
            ok = t->dims[d] == xd || t->dims[d] == 1;
        }
        if (!ok)
            return rk_errf(e, RK_EINPUT, "%s: %s %s does not broadcast to X %s from axis %d",
                           ox_node_label(n), i ? "B" : "Scale",
                           rk_shape_str(t, ss, sizeof ss), rk_shape_str(x, xs, sizeof xs),
                           axis);
    }
    if ((st = nn_alloc_inplace(ctx, x, &out[0], e)))
        return st;
    int64_t sdims[RK_MAX_DIMS];
    for (int d = 0; d < x->ndim; d++)
        sdims[d] = d < axis ? x->dims[d] : 1;
    for (int o = 1; o < 3 && o < nout; o++)
        if (ox_node_output_used(n, o) &&
            (st = rk_tensor_alloc(&out[o], NULL, RK_DT_F32, x->ndim, sdims, e)))
            return st;
    float *y = out[0].data;
    for (int64_t r = 0; r < outer; r++) {
        double mu, inv;
        standardise((const float *)x->data + r * inner, y + r * inner, inner,
                    ox_attr_float_or(n, "epsilon", 1e-5f), &mu, &inv);
        if (nout > 1 && out[1].data)
            ((float *)out[1].data)[r] = (float)mu;
        if (nout > 2 && out[2].data)
            ((float *)out[2].data)[r] = (float)inv;
    }
    for (int i = 0; i < 2; i++) {
        const rk_tensor *t = params[i];
        if (!t)
            continue;
        const float *pd = t->data;
        for (int64_t k = 0; k < inner; k++) {
            /* Map k (over X[axis:]) onto t's broadcast index. */
            int64_t rem = k, pidx = 0, pstride = 1;
            for (int d = x->ndim - 1; d >= axis; d--) {
                int64_t c = rem % x->dims[d];
                rem /= x->dims[d];
                int td = d - (x->ndim - t->ndim);
                if (td >= 0) {
                    if (t->dims[td] != 1)
                        pidx += c * pstride;
                    pstride *= t->dims[td];
                }
            }
            for (int64_t r = 0; r < outer; r++) {
                float *v = y + r * inner + k;
                *v = i == 0 ? *v * pd[pidx] : *v + pd[pidx];
            }
        }
    }
    return RK_OK;
}

/* ---- LRN ---------------------------------------------------------------------------- */

NN_KERNEL(nn_op_lrn)
{
    const rk_tensor *x;
    rk_status st;
    if ((st = nn_need(n, in, nin, 0, "X", &x, e)) || (st = nn_need_f32(n, x, "X", e)) ||
        (st = nn_need_rank(n, x, "X", -3, e)))
        return st;
    int64_t size = ox_attr_int_or(n, "size", 0);
    if (size < 1)
        return rk_errf(e, RK_EINPUT, "%s: attribute size=%lld must be >= 1 (required)",
                       ox_node_label(n), (long long)size);
    if ((st = rk_tensor_alloc(&out[0], NULL, RK_DT_F32, x->ndim, x->dims, e)))
        return st;
    double alpha = ox_attr_float_or(n, "alpha", 1e-4f), beta = ox_attr_float_or(n, "beta", 0.75f);
    double bias = ox_attr_float_or(n, "bias", 1.0f);
    int64_t ch = x->dims[1], plane = prod_dims(x->dims, 2, x->ndim);
    int64_t lo = (size - 1) / 2, hi = size - 1 - lo; /* floor / ceil of (size-1)/2 */
    const float *xd = x->data;
    float *y = out[0].data;
    for (int64_t b = 0; b < x->dims[0]; b++)
        for (int64_t c = 0; c < ch; c++)
            for (int64_t k = 0; k < plane; k++) {
                double sq = 0;
                for (int64_t j = RK_MAX(0, c - lo); j <= RK_MIN(ch - 1, c + hi); j++) {
                    double v = xd[(b * ch + j) * plane + k];
                    sq += v * v;
                }
                int64_t i = (b * ch + c) * plane + k;
                y[i] = (float)(xd[i] / pow(bias + alpha / (double)size * sq, beta));
            }
    return RK_OK;
}

/* ---- Softmax family --------------------------------------------------------------- */

typedef enum smax_kind { SMAX_SOFT, SMAX_LOG, SMAX_HARD } smax_kind;

/* Softmax / LogSoftmax of one contiguous row (the common inner == 1 case),
 * vectorised: nn_expf and 8 partial sums.  ys may alias xs (in place):
 * each element is read before it is written. */
NN_HOT static void softmax_row(const float *xs, float *ys, int64_t len, smax_kind kind)
{
    float mx = -INFINITY, part[8] = {0};
    for (int64_t k = 0; k < len; k++)
        mx = xs[k] > mx ? xs[k] : mx;
    int64_t k = 0;
    if (kind == SMAX_SOFT) {
        for (k = 0; k < len; k++)
            ys[k] = nn_expf(xs[k] - mx);
        for (k = 0; k + 8 <= len; k += 8)
            for (int j = 0; j < 8; j++)
                part[j] += ys[k + j];
    } else {
        for (k = 0; k + 8 <= len; k += 8)
            for (int j = 0; j < 8; j++)
                part[j] += nn_expf(xs[k + j] - mx);
    }
    double sum = 0.0;
    for (int j = 0; j < 8; j++)
        sum += part[j];
    for (; k < len; k++)
        sum += kind == SMAX_SOFT ? ys[k] : nn_expf(xs[k] - mx);
    if (kind == SMAX_SOFT) {
        float inv = (float)(1.0 / sum);
        for (k = 0; k < len; k++)
            ys[k] *= inv;
    } else {
        float shift = mx + (float)log(sum);
        for (k = 0; k < len; k++)
            ys[k] = xs[k] - shift;
    }
}

static rk_status softmax_family(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in,
                                int nin, rk_tensor *out, smax_kind kind, rk_err *e)
{
    const rk_tensor *x;
    rk_status st;
    int axis;
    if ((st = nn_need(n, in, nin, 0, "input", &x, e)) || (st = nn_need_f32(n, x, "input", e)))
        return st;
    bool legacy = ox_node_opset(n) < 13;
    int rank = x->ndim > 0 ? x->ndim : 1;
    if ((st = nn_axis(n, "axis", ox_attr_int_or(n, "axis", legacy ? 1 : -1), rank, &axis, e)) ||
        (st = nn_alloc_inplace(ctx, x, &out[0], e)))
        return st;
    /* Legacy: rows of the 2-D coercion [prod(:axis), prod(axis:)].
     * Current: one axis, with `inner` interleaved elements after it. */
    int64_t outer = prod_dims(x->dims, 0, axis);
    int64_t len = legacy ? prod_dims(x->dims, axis, x->ndim) : (x->ndim ? x->dims[axis] : 1);
    int64_t inner = legacy ? 1 : prod_dims(x->dims, axis + 1, x->ndim);
    const float *xd = x->data;
    float *y = out[0].data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            const float *xs = xd + o * len * inner + i;
            float *ys = y + o * len * inner + i;
            if (inner == 1 && kind != SMAX_HARD) {
                softmax_row(xs, ys, len, kind);
                continue;
            }
            float mx = -INFINITY;
            int64_t arg = 0;
            for (int64_t k = 0; k < len; k++)
                if (xs[k * inner] > mx) {
                    mx = xs[k * inner];
                    arg = k;
                }
            if (kind == SMAX_HARD) {
                for (int64_t k = 0; k < len; k++)
                    ys[k * inner] = k == arg ? 1.0f : 0.0f;
                continue;
            }
            double sum = 0;
            for (int64_t k = 0; k < len; k++) {
                float ev = expf(xs[k * inner] - mx);
                sum += ev;
                if (kind == SMAX_SOFT)
                    ys[k * inner] = ev;
            }
            if (kind == SMAX_SOFT) {
                float inv = (float)(1.0 / sum);
                for (int64_t k = 0; k < len; k++)
                    ys[k * inner] *= inv;
            } else {
                float lse = (float)log(sum);
                for (int64_t k = 0; k < len; k++)
                    ys[k * inner] = xs[k * inner] - mx - lse;
            }
        }
    return RK_OK;
}

NN_KERNEL(nn_op_softmax)
{
    return softmax_family(ctx, n, in, nin, out, SMAX_SOFT, e);
}

NN_KERNEL(nn_op_logsoftmax)
{
    return softmax_family(ctx, n, in, nin, out, SMAX_LOG, e);
}

NN_KERNEL(nn_op_hardmax)
{
    return softmax_family(ctx, n, in, nin, out, SMAX_HARD, e);
}
