/*
 * ops_training.c - optimizer update operators of the ai.onnx.preview.training
 * domain (opset 1): Adagrad, Adam, Momentum.  Deterministic elementwise
 * formulas, taken from the ONNX operator docs:
 *
 *   Adagrad:  r = R / (1 + T*decay_factor); g = norm_coefficient*X + G;
 *             H' = H + g*g;  X' = X - r*g / (sqrt(H') + epsilon)
 *   Adam:     g = norm_coefficient*X + G; V' = alpha*V + (1-alpha)*g;
 *             H' = beta*H + (1-beta)*g*g;
 *             R' = T > 0 ? R*sqrt(1-beta^T)/(1-alpha^T) : R;
 *             X' = (1-norm_coefficient_post) * (X - R'*V'/(sqrt(H')+epsilon))
 *   Momentum: g = norm_coefficient*X + G; b = T > 0 ? beta : 1;
 *             V' = alpha*V + b*g;  standard: X' = X - R*V';
 *             nesterov: X' = X - R*(g + alpha*V')
 *
 * Computed in double, stored in each tensor's type (float32/float64).
 */
#include <math.h>
#include <string.h>

#include "ox_op.h"

static double ld(const rk_tensor *t, int64_t i)
{
    return t->dtype == RK_DT_F64 ? ((const double *)t->data)[i] : ((const float *)t->data)[i];
}

static void st(rk_tensor *t, int64_t i, double v)
{
    if (t->dtype == RK_DT_F64)
        ((double *)t->data)[i] = v;
    else
        ((float *)t->data)[i] = (float)v;
}

static double scalar(const rk_tensor *t)
{
    switch (t->dtype) {
    case RK_DT_F32: return ((const float *)t->data)[0];
    case RK_DT_F64: return ((const double *)t->data)[0];
    case RK_DT_I64: return (double)((const int64_t *)t->data)[0];
    default: return NAN;
    }
}

/* Checks R, T and `groups` lists of n same-shaped float tensors after
 * them; n = (nin - 2) / groups.  Allocates the outputs like their inputs:
 * output k of list j is shaped like input list `out_like[j]`. */
static rk_status setup(const ox_node *n, const rk_tensor *const *in, int nin, int groups,
                       rk_tensor *out, int nout, int *count, rk_err *e)
{
    const char *lbl = ox_node_label(n);
    if (nin < 2 + groups || (nin - 2) % groups != 0)
        return rk_errf(e, RK_EINPUT, "%s: expects R, T and %d lists of equal length", lbl,
                       groups);
    int c = (nin - 2) / groups;
    if (nout != (groups - 1) * c)
        return rk_errf(e, RK_EINPUT, "%s: %d outputs for %d optimized tensors", lbl, nout, c);
    for (int i = 0; i < nin; i++)
        if (!in[i] || in[i]->nelem < 1)
            return rk_errf(e, RK_EINPUT, "%s: input #%d missing or empty", lbl, i);
    if (in[1]->dtype != RK_DT_I64 || (in[0]->dtype != RK_DT_F32 && in[0]->dtype != RK_DT_F64))
        return rk_errf(e, RK_EINPUT, "%s: R must be float, T int64", lbl);
    for (int k = 0; k < c; k++)
        for (int g = 0; g < groups; g++) {
            const rk_tensor *x = in[2 + k], *t = in[2 + g * c + k];
            if ((t->dtype != RK_DT_F32 && t->dtype != RK_DT_F64) || !rk_shape_equal(t, x))
                return rk_errf(e, RK_EINPUT, "%s: input #%d must be float and shaped like "
                               "input #%d", lbl, 2 + g * c + k, 2 + k);
        }
    /* outputs: X' list, then the state lists (input groups 2..) */
    for (int j = 0; j < groups - 1; j++)
        for (int k = 0; k < c; k++) {
            const rk_tensor *like = in[2 + (j == 0 ? 0 : j + 1) * c + k];
            rk_status s = rk_tensor_alloc(&out[j * c + k], NULL, like->dtype, like->ndim,
                                          like->dims, e);
            if (s != RK_OK)
                return s;
        }
    *count = c;
    return RK_OK;
}

static rk_status op_adagrad(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                            rk_tensor *out, int nout, rk_err *e)
{
    int c;
    rk_status s = setup(n, in, nin, 3, out, nout, &c, e);
    if (s != RK_OK)
        return s;
    double decay = ox_attr_float_or(n, "decay_factor", 0), eps = ox_attr_float_or(n, "epsilon", 1e-6f);
    double norm = ox_attr_float_or(n, "norm_coefficient", 0);
    double r = scalar(in[0]) / (1 + scalar(in[1]) * decay);
    for (int k = 0; k < c; k++) {
        const rk_tensor *X = in[2 + k], *G = in[2 + c + k], *H = in[2 + 2 * c + k];
        for (int64_t i = 0; i < X->nelem; i++) {
            double g = norm * ld(X, i) + ld(G, i);
            double h = ld(H, i) + g * g;
            st(&out[c + k], i, h);
            st(&out[k], i, ld(X, i) - r * g / (sqrt(h) + eps));
        }
    }
    return RK_OK;
}

static rk_status op_adam(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                         rk_tensor *out, int nout, rk_err *e)
{
    int c = 0;
    rk_status s = setup(n, in, nin, 4, out, nout, &c, e);
    if (s != RK_OK)
        return s;
    double alpha = ox_attr_float_or(n, "alpha", 0.9f), beta = ox_attr_float_or(n, "beta", 0.999f);
    double eps = ox_attr_float_or(n, "epsilon", 1e-6f);
    double norm = ox_attr_float_or(n, "norm_coefficient", 0);
    double post = ox_attr_float_or(n, "norm_coefficient_post", 0);
    double R = scalar(in[0]), T = scalar(in[1]);
    double ra = T > 0 ? R * sqrt(1 - pow(beta, T)) / (1 - pow(alpha, T)) : R;
    for (int k = 0; k < c; k++) {
        const rk_tensor *X = in[2 + k], *G = in[2 + c + k], *V = in[2 + 2 * c + k],
                        *H = in[2 + 3 * c + k];
        for (int64_t i = 0; i < X->nelem; i++) {
            double g = norm * ld(X, i) + ld(G, i);
            double v = alpha * ld(V, i) + (1 - alpha) * g;
            double h = beta * ld(H, i) + (1 - beta) * g * g;
            st(&out[c + k], i, v);
            st(&out[2 * c + k], i, h);
            st(&out[k], i, (1 - post) * (ld(X, i) - ra * v / (sqrt(h) + eps)));
        }
    }
    return RK_OK;
}

static rk_status op_momentum(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                             rk_tensor *out, int nout, rk_err *e)
{
    const char *mode = ox_attr_string_or(n, "mode", "standard");
    bool nesterov = strcmp(mode, "nesterov") == 0;
    if (!nesterov && strcmp(mode, "standard") != 0)
        return rk_errf(e, RK_EINPUT, "%s: mode '%s' (standard or nesterov)", ox_node_label(n),
                       mode);
    int c;
    rk_status s = setup(n, in, nin, 3, out, nout, &c, e);
    if (s != RK_OK)
        return s;
    double alpha = ox_attr_float_or(n, "alpha", 0), beta = ox_attr_float_or(n, "beta", 0);
    double norm = ox_attr_float_or(n, "norm_coefficient", 0);
    double R = scalar(in[0]), b = scalar(in[1]) > 0 ? beta : 1;
    for (int k = 0; k < c; k++) {
        const rk_tensor *X = in[2 + k], *G = in[2 + c + k], *V = in[2 + 2 * c + k];
        for (int64_t i = 0; i < X->nelem; i++) {
            double g = norm * ld(X, i) + ld(G, i);
            double v = alpha * ld(V, i) + b * g;
            st(&out[c + k], i, v);
            st(&out[k], i, ld(X, i) - R * (nesterov ? g + alpha * v : v));
        }
    }
    return RK_OK;
}

const ox_op_def ox_ops_training[] = {
    {"ai.onnx.preview.training", "Adagrad", 1, op_adagrad},
    {"ai.onnx.preview.training", "Adam", 1, op_adam},
    {"ai.onnx.preview.training", "Momentum", 1, op_momentum},
    {NULL, NULL, 0, NULL},
};
