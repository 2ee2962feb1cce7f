/*
 * nn_pool.c - MaxPool (with Indices), AveragePool, LpPool, their Global
 * variants and MaxUnpool, following the ONNX pool specs: kernel_shape,
 * strides, pads, auto_pad, dilations, ceil_mode, count_include_pad,
 * storage_order.  Pools compute in float32; MaxPool also accepts float16
 * and 8-bit integers (exact through float32).
 */
#include "nn_internal.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum pool_kind { POOL_MAX, POOL_AVG, POOL_LP } pool_kind;

/* One pooling problem over planes of a [N, C, spatial...] tensor; the
 * window is in 3-D layout (nn_window_to_3d). */
typedef struct pool_job {
    pool_kind kind;
    const float *x;
    float *y;
    int64_t *idx;      /* MaxPool Indices output or NULL */
    nn_window w;
    bool include_pad;  /* AveragePool count_include_pad */
    bool col_major;    /* MaxPool storage_order = 1 */
    float p;           /* LpPool exponent */
    bool global;       /* Global*Pool: one output per plane, no Indices */
} pool_job;

static int64_t vol3(const int64_t *d)
{
    return d[0] * d[1] * d[2];
}

/* Flat index of a spatial position for the Indices output. */
static int64_t spatial_index(const pool_job *j, int64_t d, int64_t h, int64_t w)
{
    const nn_window *win = &j->w;
    int nsp = win->nsp;
    if (!j->col_major)
        return (d * win->in[1] + h) * win->in[2] + w;
    /* Column-major over the node's real spatial axes (first axis fastest). */
    if (nsp == 1)
        return w;
    if (nsp == 2)
        return h + w * win->in[1];
    return d + h * win->in[0] + w * win->in[0] * win->in[1];
}

/* floor(a / b) for b > 0 and any sign of a. */
static int64_t floor_div64(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Kernel taps [*k0, *k1) of one axis whose input position start + k*dil
 * lies inside the input; *padded counts the taps inside the padded extent
 * (count_include_pad).  Ranges, not loops: kernels may be huge. */
static void tap_range(const nn_window *w, int a, int64_t o, int64_t *k0, int64_t *k1,
                      int64_t *padded)
{
    int64_t start = o * w->stride[a] - w->pad_lo[a], dil = w->dil[a], k = w->kernel[a];
    int64_t lo = -floor_div64(start, dil); /* ceil(-start / dil) */
    int64_t hi = floor_div64(w->in[a] - 1 - start, dil) + 1;
    int64_t phi = floor_div64(w->in[a] + w->pad_hi[a] - 1 - start, dil) + 1;
    *k0 = RK_MAX(0, lo);
    *k1 = RK_MAX(*k0, RK_MIN(k, hi));
    *padded = RK_MAX(0, RK_MIN(k, phi));
}

static void pool_one(const pool_job *j, int64_t plane, int64_t od, int64_t oh, int64_t ow)
{
    const nn_window *w = &j->w;
    const float *x = j->x + plane * vol3(w->in);
    float acc = j->kind == POOL_MAX ? -INFINITY : 0.0f;
    int64_t best = -1, count = 0, k0[3], k1[3], pc[3];

    tap_range(w, 0, od, &k0[0], &k1[0], &pc[0]);
    tap_range(w, 1, oh, &k0[1], &k1[1], &pc[1]);
    tap_range(w, 2, ow, &k0[2], &k1[2], &pc[2]);
    for (int64_t kd = k0[0]; kd < k1[0]; kd++) {
        int64_t id = od * w->stride[0] - w->pad_lo[0] + kd * w->dil[0];
        for (int64_t kh = k0[1]; kh < k1[1]; kh++) {
            int64_t ih = oh * w->stride[1] - w->pad_lo[1] + kh * w->dil[1];
            const float *xr = x + (id * w->in[1] + ih) * w->in[2];
            for (int64_t kw = k0[2]; kw < k1[2]; kw++) {
                int64_t iw = ow * w->stride[2] - w->pad_lo[2] + kw * w->dil[2];
                float v = xr[iw];
                count++;
                if (j->kind == POOL_MAX) {
                    if (v > acc || best < 0) {
                        acc = v;
                        best = spatial_index(j, id, ih, iw);
                    }
                } else if (j->kind == POOL_AVG) {
                    acc += v;
                } else {
                    acc += powf(fabsf(v), j->p);
                }
            }
        }
    }
    int64_t o = (od * w->out[1] + oh) * w->out[2] + ow;
    float *y = j->y + plane * vol3(w->out);
    if (j->kind == POOL_AVG)
        acc = acc / (float)(j->include_pad ? pc[0] * pc[1] * pc[2] : RK_MAX(1, count));
    else if (j->kind == POOL_LP)
        acc = powf(acc, 1.0f / j->p);
    y[o] = acc;
    if (j->idx)
        j->idx[plane * vol3(w->out) + o] = best < 0 ? 0 : plane * vol3(w->in) + best;
}

/* Global average / max / Lp over whole contiguous planes (no Indices). */
NN_HOT static void global_planes(const pool_job *j, int64_t begin, int64_t end)
{
    const int64_t vol = vol3(j->w.in);
    for (int64_t p = begin; p < end; p++) {
        const float *x = j->x + p * vol;
        if (j->kind == POOL_MAX) {
            float m = vol ? x[0] : -INFINITY;
            for (int64_t i = 1; i < vol; i++)
                m = x[i] > m ? x[i] : m;
            j->y[p] = m;
        } else if (j->kind == POOL_AVG) {
            double s = 0.0;
            for (int64_t i = 0; i < vol; i++)
                s += x[i];
            j->y[p] = (float)(s / (double)RK_MAX(1, vol));
        } else {
            double s = 0.0;
            for (int64_t i = 0; i < vol; i++)
                s += pow(fabs((double)x[i]), j->p);
            j->y[p] = (float)pow(s, 1.0 / j->p);
        }
    }
}

static void pool_planes(void *arg, int64_t begin, int64_t end)
{
    const pool_job *j = arg;
    if (j->global) {
        global_planes(j, begin, end);
        return;
    }
    for (int64_t p = begin; p < end; p++)
        for (int64_t od = 0; od < j->w.out[0]; od++)
            for (int64_t oh = 0; oh < j->w.out[1]; oh++)
                for (int64_t ow = 0; ow < j->w.out[2]; ow++)
                    pool_one(j, p, od, oh, ow);
}

/* Common driver: validates, converts to float32, pools, converts back. */
static rk_status pool_run(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                          rk_tensor *out, int nout, pool_kind kind, bool global, rk_err *e)
{
    const rk_tensor *x;
    rk_tensor xf = {0}, yf = {0};
    pool_job j = {0};
    int64_t kernel[NN_MAX_SPATIAL], dims[RK_MAX_DIMS];
    rk_status st;

    if ((st = nn_need(n, in, nin, 0, "X", &x, e)) || (st = nn_need_rank(n, x, "X", -3, e)))
        return st;
    int nsp = x->ndim - 2;
    if (nsp > NN_MAX_SPATIAL)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: %d spatial dims (supported: up to %d)",
                       ox_node_label(n), nsp, NN_MAX_SPATIAL);
    bool ok_type = x->dtype == RK_DT_F32 ||
                   (kind == POOL_MAX && (x->dtype == RK_DT_F16 || x->dtype == RK_DT_U8 ||
                                         x->dtype == RK_DT_I8));
    if (!ok_type)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: input X has type %s, not supported",
                       ox_node_label(n), rk_dtype_name(x->dtype));
    if (global) {
        memset(&j.w, 0, sizeof j.w);
        j.w.nsp = nsp;
        for (int d = 0; d < nsp; d++) {
            j.w.in[d] = j.w.kernel[d] = x->dims[2 + d];
            j.w.stride[d] = j.w.dil[d] = j.w.out[d] = 1;
        }
    } else {
        if ((st = nn_kernel_shape_attr(n, nsp, kernel, e)) ||
            (st = nn_window_init(n, nsp, x->dims + 2, kernel, true, &j.w, e)))
            return st;
    }
    nn_window_to_3d(&j.w);
    j.kind = kind;
    j.global = global;
    j.include_pad = ox_attr_int_or(n, "count_include_pad", 0) != 0;
    j.col_major = ox_attr_int_or(n, "storage_order", 0) != 0;
    j.p = kind == POOL_LP ? (float)ox_attr_int_or(n, "p", 2) : 2.0f;
    if (kind == POOL_LP && ox_attr_kind(n, "p") == OX_ATTR_FLOAT)
        j.p = ox_attr_float_or(n, "p", 2.0f); /* LpPool-1 had a float p */
    dims[0] = x->dims[0];
    dims[1] = x->dims[1];
    for (int d = 0; d < nsp; d++)
        dims[2 + d] = j.w.out[NN_MAX_SPATIAL - nsp + d];
    if (x->dtype == RK_DT_F32) {
        j.x = x->data;
    } else {
        if ((st = rk_tensor_to_f32(&xf, x, e)))
            return st;
        j.x = xf.data;
    }
    if ((st = rk_tensor_alloc(&yf, NULL, RK_DT_F32, x->ndim, dims, e)))
        goto out;
    j.y = yf.data;
    if (kind == POOL_MAX && nout > 1 && ox_node_output_used(n, 1)) {
        if ((st = rk_tensor_alloc(&out[1], NULL, RK_DT_I64, x->ndim, dims, e)))
            goto out;
        j.idx = out[1].data;
    }
    ox_parallel_for(ctx, x->dims[0] * x->dims[1], 1, pool_planes, &j);
    if (x->dtype == RK_DT_F32) {
        out[0] = yf;
        yf = (rk_tensor){0};
    } else {
        st = nn_from_f32(n, &yf, x->dtype, &out[0], e);
    }
out:
    rk_tensor_free(&xf);
    rk_tensor_free(&yf);
    return st;
}

NN_KERNEL(nn_op_maxpool)
{
    return pool_run(ctx, n, in, nin, out, nout, POOL_MAX, false, e);
}

NN_KERNEL(nn_op_avgpool)
{
    return pool_run(ctx, n, in, nin, out, nout, POOL_AVG, false, e);
}

NN_KERNEL(nn_op_lppool)
{
    return pool_run(ctx, n, in, nin, out, nout, POOL_LP, false, e);
}

NN_KERNEL(nn_op_global_maxpool)
{
    return pool_run(ctx, n, in, nin, out, nout, POOL_MAX, true, e);
}

NN_KERNEL(nn_op_global_avgpool)
{
    return pool_run(ctx, n, in, nin, out, nout, POOL_AVG, true, e);
}

NN_KERNEL(nn_op_global_lppool)
{
    return pool_run(ctx, n, in, nin, out, nout, POOL_LP, true, e);
}

/* MaxUnpool (opset 9/11): scatters X into zeros at the flat positions I. */
NN_KERNEL(nn_op_maxunpool)
{
    const rk_tensor *x, *ind, *oshape = nn_in(in, nin, 2);
    int64_t kernel[NN_MAX_SPATIAL], dims[RK_MAX_DIMS] = {0}, pads[2 * NN_MAX_SPATIAL] = {0};
    int64_t strides[NN_MAX_SPATIAL] = {1, 1, 1};
    char buf[96];
    rk_status st;

    if ((st = nn_need(n, in, nin, 0, "X", &x, e)) || (st = nn_need(n, in, nin, 1, "I", &ind, e)) ||
        (st = nn_need_f32(n, x, "X", e)) || (st = nn_need_rank(n, x, "X", -3, e)))
        return st;
    int nsp = x->ndim - 2;
    if (nsp > NN_MAX_SPATIAL || ind->nelem != x->nelem)
        return rk_errf(e, RK_EINPUT, "%s: X %s and I must have the same shape (up to %d "
                       "spatial dims)", ox_node_label(n), rk_shape_str(x, buf, sizeof buf),
                       NN_MAX_SPATIAL);
    if ((st = nn_kernel_shape_attr(n, nsp, kernel, e)))
        return st;
    if ((st = nn_read_ints(n, "strides", nsp, 1, NN_MAX_GEOM, strides, e)) ||
        (st = nn_read_ints(n, "pads", 2 * nsp, 0, NN_MAX_GEOM, pads, e)))
        return st;
    dims[0] = x->dims[0];
    dims[1] = x->dims[1];
    for (int d = 0; d < nsp; d++)
        dims[2 + d] = (x->dims[2 + d] - 1) * strides[d] + kernel[d] - pads[d] - pads[d + nsp];
    /* Indices address the inferred (default) output shape; an explicit
     * output_shape only enlarges the canvas: each index is split into
     * coordinates of the default shape and re-linearised (ONNX test
     * maxunpool_export_with_output_shape shows this). */
    int64_t odims[RK_MAX_DIMS], dflt_count = 1;
    for (int d = 0; d < x->ndim; d++) {
        odims[d] = dims[d];
        dflt_count *= dims[d];
    }
    if (oshape) {
        if (oshape->nelem != x->ndim)
            return rk_errf(e, RK_EINPUT, "%s: output_shape has %lld values; expected %d",
                           ox_node_label(n), (long long)oshape->nelem, x->ndim);
        for (int d = 0; d < x->ndim; d++) {
            odims[d] = nn_get_i64(oshape, d);
            if (odims[d] < dims[d])
                return rk_errf(e, RK_EINPUT, "%s: output_shape[%d]=%lld is smaller than the "
                               "inferred %lld", ox_node_label(n), d, (long long)odims[d],
                               (long long)dims[d]);
        }
    }
    if ((st = rk_tensor_alloc(&out[0], NULL, RK_DT_F32, x->ndim, odims, e)))
        return st;
    float *y = out[0].data;
    const float *xd = x->data;
    for (int64_t i = 0; i < x->nelem; i++) {
        int64_t at = nn_get_i64(ind, i);
        if (at < 0 || at >= dflt_count) {
            rk_tensor_free(&out[0]);
            return rk_errf(e, RK_EINPUT, "%s: index I[%lld]=%lld is outside the pooled input "
                           "of %lld elements", ox_node_label(n), (long long)i, (long long)at,
                           (long long)dflt_count);
        }
        int64_t rem = at, pos = 0, stride = 1;
        for (int d = x->ndim - 1; d >= 0; d--) {
            pos += (rem % dims[d]) * stride;
            rem /= dims[d];
            stride *= odims[d];
        }
        y[pos] = xd[i];
    }
    return RK_OK;
}
