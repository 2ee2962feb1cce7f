/*
 * ops_loss.c - NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss
 * (opsets 12 and 13; 13 only widened the types).
 *
 * Semantics from the ONNX operator docs and their numpy reference: the
 * input (N, C, d1..dk) is viewed as (N, C, D); loss[n, d] =
 * -input[n, target[n, d], d] * w, with w = weight[target] (1 without
 * weights) and w = 0 where target == ignore_index.  reduction "none" keeps
 * the (N, d1..dk) shape, "sum" adds, "mean" divides the sum by the sum of
 * w.  Computed in double; the output has the input's element type.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops_data.h"

typedef enum { RED_NONE, RED_SUM, RED_MEAN } reduction;

/* Checked geometry of a loss node.  Invariants: N*C*D == input nelem,
 * N*D == target nelem, targets are int32/int64. */
typedef struct loss_geom {
    int64_t N, C, D;
    reduction red;
    bool has_ignore;
    int64_t ignore;
} loss_geom;

static rk_status loss_check(const ox_node *n, const rk_tensor *x, const rk_tensor *target,
                            const rk_tensor *weight, loss_geom *g, rk_err *e)
{
    const char *lbl = ox_node_label(n);
    if (!oxd_is_float(x->dtype))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: input type %s", lbl, rk_dtype_name(x->dtype));
    if (target->dtype != RK_DT_I32 && target->dtype != RK_DT_I64)
        return rk_errf(e, RK_EINPUT, "%s: target must be int32/int64, is %s", lbl,
                       rk_dtype_name(target->dtype));
    if (x->ndim < 2 || target->ndim != x->ndim - 1 || target->dims[0] != x->dims[0])
        return rk_errf(e, RK_EINPUT, "%s: input must be (N, C, d1..dk) and target (N, d1..dk)",
                       lbl);
    for (int i = 1; i < target->ndim; i++)
        if (target->dims[i] != x->dims[i + 1])
            return rk_errf(e, RK_EINPUT, "%s: target dimension %d is %lld, input has %lld", lbl,
                           i, (long long)target->dims[i], (long long)x->dims[i + 1]);
    g->N = x->dims[0];
    g->C = x->dims[1];
    g->D = 1;
    for (int i = 2; i < x->ndim; i++)
        g->D *= x->dims[i];
    if (weight && (weight->ndim != 1 || weight->dims[0] != g->C || weight->dtype != x->dtype))
        return rk_errf(e, RK_EINPUT, "%s: weight must be a %s vector of C=%lld", lbl,
                       rk_dtype_name(x->dtype), (long long)g->C);
    const char *r = ox_attr_string_or(n, "reduction", "mean");
    if (strcmp(r, "none") == 0)
        g->red = RED_NONE;
    else if (strcmp(r, "sum") == 0)
        g->red = RED_SUM;
    else if (strcmp(r, "mean") == 0)
        g->red = RED_MEAN;
    else
        return rk_errf(e, RK_EINPUT, "%s: reduction '%s' (none, sum or mean)", lbl, r);
    g->has_ignore = ox_attr_has(n, "ignore_index");
    g->ignore = ox_attr_int_or(n, "ignore_index", 0);
    return RK_OK;
}

static int64_t target_at(const rk_tensor *t, int64_t i)
{
    return t->dtype == RK_DT_I32 ? ((const int32_t *)t->data)[i] : ((const int64_t *)t->data)[i];
}

/* logp(n, c, d) is read from `lp` (the input itself for NLL, the
 * log-softmax for SCE).  Writes out[0]. */
static rk_status nll(const ox_node *n, const rk_tensor *lp, const rk_tensor *target,
                     const rk_tensor *weight, const loss_geom *g, rk_tensor *out, rk_err *e)
{
    rk_status st = g->red == RED_NONE
                       ? rk_tensor_alloc(out, NULL, lp->dtype, target->ndim, target->dims, e)
                       : rk_tensor_alloc(out, NULL, lp->dtype, 0, NULL, e);
    if (st != RK_OK)
        return st;
    double sum = 0, wsum = 0;
    for (int64_t i = 0; i < g->N; i++)
        for (int64_t d = 0; d < g->D; d++) {
            int64_t k = i * g->D + d, t = target_at(target, k);
            double loss = 0, w = 0;
            if (!(g->has_ignore && t == g->ignore)) {
                if (t < 0 || t >= g->C) {
                    rk_tensor_free(out);
                    return rk_errf(e, RK_EINPUT, "%s: target %lld at element %lld is outside "
                                   "[0, %lld)", ox_node_label(n), (long long)t, (long long)k,
                                   (long long)g->C);
                }
                w = weight ? oxd_load_f64(weight, t) : 1.0;
                loss = -oxd_load_f64(lp, (i * g->C + t) * g->D + d) * w;
            }
            if (g->red == RED_NONE)
                oxd_store_f64(out, k, loss);
            sum += loss;
            wsum += w;
        }
    if (g->red == RED_SUM)
        oxd_store_f64(out, 0, sum);
    else if (g->red == RED_MEAN)
        oxd_store_f64(out, 0, sum / wsum); /* all ignored: 0/0 = NaN, as numpy's reference */
    return RK_OK;
}

static rk_status op_nllloss(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                            rk_tensor *out, int nout, rk_err *e)
{
    if (nin < 2 || !in[0] || !in[1])
        return rk_errf(e, RK_EINPUT, "%s: needs input and target", ox_node_label(n));
    const rk_tensor *weight = nin > 2 ? in[2] : NULL;
    loss_geom g;
    rk_status st = loss_check(n, in[0], in[1], weight, &g, e);
    return st == RK_OK ? nll(n, in[0], in[1], weight, &g, &out[0], e) : st;
}

/* log_softmax over axis 1 of the (N, C, D) view, in the input's type. */
static rk_status log_softmax_c(const rk_tensor *x, const loss_geom *g, rk_tensor *lp, rk_err *e)
{
    rk_status st = rk_tensor_alloc(lp, NULL, x->dtype, x->ndim, x->dims, e);
    if (st != RK_OK)
        return st;
    for (int64_t i = 0; i < g->N; i++)
        for (int64_t d = 0; d < g->D; d++) {
            double mx = -INFINITY, s = 0;
            for (int64_t c = 0; c < g->C; c++)
                mx = fmax(mx, oxd_load_f64(x, (i * g->C + c) * g->D + d));
            for (int64_t c = 0; c < g->C; c++)
                s += exp(oxd_load_f64(x, (i * g->C + c) * g->D + d) - mx);
            double ls = log(s);
            for (int64_t c = 0; c < g->C; c++) {
                int64_t k = (i * g->C + c) * g->D + d;
                oxd_store_f64(lp, k, oxd_load_f64(x, k) - mx - ls);
            }
        }
    return RK_OK;
}

static rk_status op_sce(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                        rk_tensor *out, int nout, rk_err *e)
{
    if (nin < 2 || !in[0] || !in[1])
        return rk_errf(e, RK_EINPUT, "%s: needs scores and labels", ox_node_label(n));
    const rk_tensor *weight = nin > 2 ? in[2] : NULL;
    loss_geom g;
    rk_tensor lp = {0};
    rk_status st = loss_check(n, in[0], in[1], weight, &g, e);
    if (st == RK_OK)
        st = log_softmax_c(in[0], &g, &lp, e);
    if (st == RK_OK)
        st = nll(n, &lp, in[1], weight, &g, &out[0], e);
    if (st == RK_OK && nout > 1 && ox_node_output_used(n, 1)) {
        out[1] = lp; /* log_prob output */
        return RK_OK;
    }
    rk_tensor_free(&lp);
    return st;
}

const ox_op_def ox_ops_loss[] = {
    {"", "NegativeLogLikelihoodLoss", 12, op_nllloss},
    {"", "SoftmaxCrossEntropyLoss", 12, op_sce},
    {NULL, NULL, 0, NULL},
};
