/*
 * misc_extra.c - operators outside the CNN/transformer core that models
 * still use: HannWindow/HammingWindow/BlackmanWindow, Det,
 * MeanVarianceNormalization, GridSample (2-D), RoiAlign.  Listed in
 * ox_ops_misc[] (ops_misc.c).
 *
 * Semantics: ONNX operator specification.  GridSample follows the ONNX
 * definition, which mirrors PyTorch's grid_sample (unnormalisation,
 * padding and bicubic A = -0.75 are PyTorch's).  RoiAlign's bilinear
 * sampling rules and max mode are as onnxruntime (see roi_sample).
 */
#include "misc_extra.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops_data.h"

/* ---------------------------------------------------------------- windows */

/* Generalised cosine window w[k] = a0 - a1 cos(2 pi k / N) + a2 cos(4 pi k / N),
 * N = size (periodic) or size - 1 (symmetric). */
static rk_status cosine_window(const ox_node *n, const rk_tensor *const *in, int nin,
                               rk_tensor *out, double a0, double a1, double a2, rk_err *e)
{
    const rk_tensor *st;
    int64_t size = 0;
    TRY(oxd_need_input(n, in, nin, 0, "size", &st, e));
    TRY(oxd_read_scalar_i64(n, st, "'size'", &size, e));
    if (size < 0 || size > (INT64_C(1) << 24))
        return rk_errf(e, RK_EINPUT, "%s: window size %lld is invalid", L(n), (long long)size);
    rk_dtype dt = (rk_dtype)ox_attr_int_or(n, "output_datatype", RK_DT_F32);
    if (!oxd_is_numeric(dt))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: output_datatype %d is not supported", L(n),
                       (int)dt);
    bool periodic = ox_attr_int_or(n, "periodic", 1) != 0;
    double N = (double)(periodic ? size : size - 1);
    TRY(rk_tensor_alloc(&out[0], NULL, dt, 1, &size, e));
    for (int64_t k = 0; k < size; k++) {
        double x = N > 0 ? 2.0 * M_PI * (double)k / N : 0.0;
        oxd_set_f64(&out[0], k, a0 - a1 * cos(x) + a2 * cos(2.0 * x));
    }
    return RK_OK;
}

rk_status oxm_hann_window(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                          rk_tensor *out, int nout, rk_err *e)
{
    (void)ctx;
    (void)nout;
    return cosine_window(n, in, nin, out, 0.5, 0.5, 0.0, e);
}

rk_status oxm_hamming_window(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in,
                             int nin, rk_tensor *out, int nout, rk_err *e)
{
    (void)ctx;
    (void)nout;
    /* ONNX uses the exact Hamming coefficients 25/46 and 21/46. */
    return cosine_window(n, in, nin, out, 25.0 / 46.0, 21.0 / 46.0, 0.0, e);
}

rk_status oxm_blackman_window(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in,
                              int nin, rk_tensor *out, int nout, rk_err *e)
{
    (void)ctx;
    (void)nout;
    return cosine_window(n, in, nin, out, 0.42, 0.5, 0.08, e);
}

/* -------------------------------------------------------------------- Det */

/* Determinant of an m x m matrix by LU with partial pivoting, in double. */
static double det_lu(double *a, int64_t m)
{
    double det = 1.0;
    for (int64_t c = 0; c < m; c++) {
        int64_t piv = c;
        for (int64_t r = c + 1; r < m; r++)
            if (fabs(a[r * m + c]) > fabs(a[piv * m + c]))
                piv = r;
        if (a[piv * m + c] == 0.0)
            return 0.0;
        if (piv != c) {
            for (int64_t k = 0; k < m; k++) {
                double t = a[c * m + k];
                a[c * m + k] = a[piv * m + k];
                a[piv * m + k] = t;
            }
            det = -det;
        }
        double p = a[c * m + c];
        det *= p;
        for (int64_t r = c + 1; r < m; r++) {
            double f = a[r * m + c] / p;
            for (int64_t k = c; k < m; k++)
                a[r * m + k] -= f * a[c * m + k];
        }
    }
    return det;
}

rk_status oxm_det(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                  rk_tensor *out, int nout, rk_err *e)
{
    (void)ctx;
    (void)nout;
    const rk_tensor *x;
    TRY(oxd_need_input(n, in, nin, 0, "X", &x, e));
    if (x->ndim < 2 || x->dims[x->ndim - 1] != x->dims[x->ndim - 2] || !oxd_is_float(x->dtype))
        return rk_errf(e, RK_EINPUT, "%s: X must be float with shape [*, M, M]", L(n));
    int64_t m = x->dims[x->ndim - 1], mats = oxd_dims_product(x->dims, 0, x->ndim - 2);
    TRY(rk_tensor_alloc(&out[0], NULL, x->dtype, x->ndim - 2, x->dims, e));
    double *a = rk_malloc_array((size_t)((m * m) != 0 ? m * m : 1), sizeof *a);
    if (!a) {
        rk_tensor_free(&out[0]);
        return rk_errf(e, RK_ENOMEM, "%s: out of memory", L(n));
    }
    for (int64_t i = 0; i < mats; i++) {
        for (int64_t k = 0; k < m * m; k++)
            a[k] = oxd_get_f64(x, i * m * m + k);
        oxd_set_f64(&out[0], i, det_lu(a, m));
    }
    free(a);
    return RK_OK;
}

/* ---------------------------------------------- MeanVarianceNormalization */

/* Y = (X - E[X]) / (sqrt(E[X^2] - E[X]^2) + 1e-9) over 'axes' (default
 * [0, 2, 3]), as the ONNX function body defines it. */
rk_status oxm_mvn(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                  rk_tensor *out, int nout, rk_err *e)
{
    (void)ctx;
    (void)nout;
    const rk_tensor *x;
    TRY(oxd_need_input(n, in, nin, 0, "X", &x, e));
    if (!oxd_is_float(x->dtype))
        return rk_errf(e, RK_EINPUT, "%s: X must be float", L(n));
    static const int64_t dflt[3] = {0, 2, 3};
    const int64_t *axes = dflt;
    int count = ox_attr_ints(n, "axes", &axes);
    if (count < 0) {
        axes = dflt;
        count = 3;
    }
    bool mask[RK_MAX_DIMS];
    TRY(oxd_norm_axes(n, "'axes'", axes, count, x->ndim, mask, e));
    /* Group index of each element: its coordinate on the kept axes. */
    int64_t groups = 1, gstride[RK_MAX_DIMS], strides[RK_MAX_DIMS];
    oxd_strides(x, strides);
    for (int d = x->ndim - 1; d >= 0; d--) {
        gstride[d] = mask[d] ? 0 : groups;
        if (!mask[d])
            groups *= x->dims[d];
    }
    double *sum = rk_calloc_array((size_t)groups * 2, sizeof *sum);
    if (!sum)
        return rk_errf(e, RK_ENOMEM, "%s: out of memory", L(n));
    int64_t per_group = groups ? x->nelem / groups : 0;
    int64_t *gidx = rk_malloc_array((size_t)(x->nelem ? x->nelem : 1), sizeof *gidx);
    rk_status st = gidx ? rk_tensor_alloc(&out[0], NULL, x->dtype, x->ndim, x->dims, e)
                        : rk_errf(e, RK_ENOMEM, "%s: out of memory", L(n));
    for (int64_t i = 0; st == RK_OK && i < x->nelem; i++) {
        int64_t g = 0, rem = i;
        for (int d = 0; d < x->ndim; d++) {
            g += (rem / strides[d]) * gstride[d];
            rem %= strides[d];
        }
        gidx[i] = g;
        double v = oxd_get_f64(x, i);
        sum[2 * g] += v;
        sum[2 * g + 1] += v * v;
    }
    for (int64_t i = 0; st == RK_OK && i < x->nelem; i++) {
        double mean = sum[2 * gidx[i]] / (double)per_group;
        double var = sum[2 * gidx[i] + 1] / (double)per_group - mean * mean;
        oxd_set_f64(&out[0], i, (oxd_get_f64(x, i) - mean) / (sqrt(var > 0 ? var : 0) + 1e-9));
    }
    free(sum);
    free(gidx);
    return st;
}

/* ------------------------------------------------------------- GridSample */

typedef enum gs_mode { GS_LINEAR, GS_NEAREST, GS_CUBIC } gs_mode;
typedef enum gs_pad { GS_ZEROS, GS_BORDER, GS_REFLECTION } gs_pad;

typedef struct gs_setup {
    gs_mode mode;
    gs_pad pad;
    bool align;
    int64_t h, w;
} gs_setup;

static double gs_reflect(double v, double twice_low, double twice_high)
{
    if (twice_low == twice_high)
        return 0.0;
    double lo = twice_low / 2.0, span = (twice_high - twice_low) / 2.0;
    v = fabs(v - lo);
    double extra = fmod(v, span);
    int64_t flips = (int64_t)floor(v / span);
    return flips % 2 == 0 ? extra + lo : span - extra + lo;
}

/* Applies the padding mode to a (real or integer) source coordinate. */
static double gs_pad_coord(const gs_setup *s, double v, int64_t size)
{
    if (s->pad == GS_BORDER) {
        v = fmin(fmax(v, 0.0), (double)(size - 1));
    } else if (s->pad == GS_REFLECTION) {
        v = s->align ? gs_reflect(v, 0.0, 2.0 * (double)(size - 1))
                     : gs_reflect(v, -1.0, 2.0 * (double)size - 1.0);
        v = fmin(fmax(v, 0.0), (double)(size - 1));
    }
    return v;
}

static double gs_unnormalize(const gs_setup *s, double g, int64_t size)
{
    return s->align ? (g + 1.0) / 2.0 * (double)(size - 1) : ((g + 1.0) * (double)size - 1.0) / 2.0;
}

/* Pixel at integral coordinates (y, x) of one channel plane; 0 outside
 * (and for NaN, which fails every comparison) before any integer cast. */
static double gs_pixel(const gs_setup *s, const float *plane, double y, double x)
{
    if (!(y >= 0.0 && y < (double)s->h && x >= 0.0 && x < (double)s->w))
        return 0.0;
    return plane[(int64_t)y * s->w + (int64_t)x];
}

static void cubic_coeffs(double t, double c[4])
{
    const double A = -0.75;
    double x;
    x = t + 1.0;
    c[0] = ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A;
    x = t;
    c[1] = ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0;
    x = 1.0 - t;
    c[2] = ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0;
    c[3] = 1.0 - c[0] - c[1] - c[2];
}

static double gs_sample(const gs_setup *s, const float *plane, double gx, double gy)
{
    double x = gs_unnormalize(s, gx, s->w), y = gs_unnormalize(s, gy, s->h);
    if (s->mode == GS_CUBIC) {
        /* Bicubic pads each integer tap, not the real coordinate. */
        double x0 = floor(x), y0 = floor(y), cx[4], cy[4], acc = 0.0;
        cubic_coeffs(x - x0, cx);
        cubic_coeffs(y - y0, cy);
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++) {
                double ty = gs_pad_coord(s, y0 - 1 + i, s->h);
                double tx = gs_pad_coord(s, x0 - 1 + j, s->w);
                acc += cy[i] * cx[j] * gs_pixel(s, plane, ty, tx);
            }
        return acc;
    }
    x = gs_pad_coord(s, x, s->w);
    y = gs_pad_coord(s, y, s->h);
    if (s->mode == GS_NEAREST)
        return gs_pixel(s, plane, nearbyint(y), nearbyint(x));
    double x0 = floor(x), y0 = floor(y), fx = x - x0, fy = y - y0;
    return (1 - fy) * ((1 - fx) * gs_pixel(s, plane, y0, x0) + fx * gs_pixel(s, plane, y0, x0 + 1)) +
           fy * ((1 - fx) * gs_pixel(s, plane, y0 + 1, x0) + fx * gs_pixel(s, plane, y0 + 1, x0 + 1));
}

static rk_status gs_parse(const ox_node *n, gs_setup *s, rk_err *e)
{
    const char *m = ox_attr_string_or(n, "mode", "bilinear");
    const char *p = ox_attr_string_or(n, "padding_mode", "zeros");
    /* Opset 20 renamed bilinear/bicubic to linear/cubic. */
    if (strcmp(m, "bilinear") == 0 || strcmp(m, "linear") == 0)
        s->mode = GS_LINEAR;
    else if (strcmp(m, "nearest") == 0)
        s->mode = GS_NEAREST;
    else if (strcmp(m, "bicubic") == 0 || strcmp(m, "cubic") == 0)
        s->mode = GS_CUBIC;
    else
        return rk_errf(e, RK_EINPUT, "%s: unknown mode '%s'", L(n), m);
    if (strcmp(p, "zeros") == 0)
        s->pad = GS_ZEROS;
    else if (strcmp(p, "border") == 0)
        s->pad = GS_BORDER;
    else if (strcmp(p, "reflection") == 0)
        s->pad = GS_REFLECTION;
    else
        return rk_errf(e, RK_EINPUT, "%s: unknown padding_mode '%s'", L(n), p);
    s->align = ox_attr_int_or(n, "align_corners", 0) != 0;
    return RK_OK;
}

rk_status oxm_grid_sample(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                          rk_tensor *out, int nout, rk_err *e)
{
    (void)ctx;
    (void)nout;
    const rk_tensor *x, *grid;
    gs_setup s = {0};
    TRY(oxd_need_input(n, in, nin, 0, "X", &x, e));
    TRY(oxd_need_input(n, in, nin, 1, "grid", &grid, e));
    TRY(gs_parse(n, &s, e));
    if (x->dtype != RK_DT_F32 || grid->dtype != RK_DT_F32 || x->ndim != 4 || grid->ndim != 4 ||
        grid->dims[0] != x->dims[0] || grid->dims[3] != 2)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: only 2-D float32 sampling (X [N,C,H,W], grid "
                       "[N,Ho,Wo,2]) is supported", L(n));
    int64_t N = x->dims[0], C = x->dims[1], ho = grid->dims[1], wo = grid->dims[2];
    s.h = x->dims[2];
    s.w = x->dims[3];
    int64_t dims[4] = {N, C, ho, wo};
    TRY(rk_tensor_alloc(&out[0], NULL, RK_DT_F32, 4, dims, e));
    const float *g = grid->data, *xv = x->data;
    float *o = out[0].data;
    for (int64_t b = 0; b < N; b++)
        for (int64_t c = 0; c < C; c++) {
            const float *plane = xv + (b * C + c) * s.h * s.w;
            for (int64_t i = 0; i < ho * wo; i++) {
                const float *gp = g + (b * ho * wo + i) * 2;
                o[(b * C + c) * ho * wo + i] = (float)gs_sample(&s, plane, gp[0], gp[1]);
            }
        }
    return RK_OK;
}

/* --------------------------------------------------------------- RoiAlign */

typedef struct roi_setup {
    int64_t h, w, ph, pw, sampling;
    float scale;
    bool half_pixel, max_mode;
} roi_setup;

/* Bilinear sample at (y, x) as onnxruntime does it: points more than one
 * pixel outside contribute 0, coordinates clamp at 0 and at the last
 * pixel.  Returns the four weighted corner values in v[4]. */
static void roi_sample(const roi_setup *s, const float *plane, double y, double x, double v[4])
{
    v[0] = v[1] = v[2] = v[3] = 0.0;
    if (s->h == 0 || s->w == 0 || y < -1.0 || y > (double)s->h || x < -1.0 || x > (double)s->w)
        return;
    y = fmax(y, 0.0);
    x = fmax(x, 0.0);
    int64_t y0 = (int64_t)y, x0 = (int64_t)x, y1, x1;
    if (y0 >= s->h - 1) {
        y0 = y1 = s->h - 1;
        y = (double)y0;
    } else {
        y1 = y0 + 1;
    }
    if (x0 >= s->w - 1) {
        x0 = x1 = s->w - 1;
        x = (double)x0;
    } else {
        x1 = x0 + 1;
    }
    double ly = y - (double)y0, lx = x - (double)x0, hy = 1.0 - ly, hx = 1.0 - lx;
    v[0] = hy * hx * plane[y0 * s->w + x0];
    v[1] = hy * lx * plane[y0 * s->w + x1];
    v[2] = ly * hx * plane[y1 * s->w + x0];
    v[3] = ly * lx * plane[y1 * s->w + x1];
}

/* One output bin: average of the samples, or (max mode, as onnxruntime)
 * the largest weighted corner value over all samples. */
static float roi_bin(const roi_setup *s, const float *plane, const double *roi, int64_t py,
                     int64_t px)
{
    double rh = roi[3] - roi[1], rw = roi[2] - roi[0];
    if (!s->half_pixel) {
        rh = fmax(rh, 1.0);
        rw = fmax(rw, 1.0);
    }
    double bh = rh / (double)s->ph, bw = rw / (double)s->pw;
    int64_t gh = s->sampling > 0 ? s->sampling : (int64_t)ceil(rh / (double)s->ph);
    int64_t gw = s->sampling > 0 ? s->sampling : (int64_t)ceil(rw / (double)s->pw);
    if (gh <= 0 || gw <= 0)
        return 0.0f; /* an empty (inverted) roi has no samples */
    double count = (double)(gh * gw), acc = 0.0, best = -INFINITY;
    for (int64_t iy = 0; iy < gh; iy++)
        for (int64_t ix = 0; ix < gw; ix++) {
            double y = roi[1] + (double)py * bh + ((double)iy + 0.5) * bh / (double)gh;
            double x = roi[0] + (double)px * bw + ((double)ix + 0.5) * bw / (double)gw;
            double v[4];
            roi_sample(s, plane, y, x, v);
            acc += v[0] + v[1] + v[2] + v[3];
            best = fmax(best, fmax(fmax(v[0], v[1]), fmax(v[2], v[3])));
        }
    if (s->max_mode)
        return (float)best;
    return (float)(acc / count);
}

static rk_status roi_parse(const ox_node *n, roi_setup *s, rk_err *e)
{
    const char *mode = ox_attr_string_or(n, "mode", "avg");
    if (strcmp(mode, "avg") != 0 && strcmp(mode, "max") != 0)
        return rk_errf(e, RK_EINPUT, "%s: unknown mode '%s'", L(n), mode);
    s->max_mode = strcmp(mode, "max") == 0;
    /* RoiAlign-10 behaves as 'output_half_pixel'; opset 16 defaults to half_pixel. */
    const char *ctm = ox_node_opset(n) >= 16
                          ? ox_attr_string_or(n, "coordinate_transformation_mode", "half_pixel")
                          : "output_half_pixel";
    if (strcmp(ctm, "half_pixel") != 0 && strcmp(ctm, "output_half_pixel") != 0)
        return rk_errf(e, RK_EINPUT, "%s: unknown coordinate_transformation_mode '%s'", L(n),
                       ctm);
    s->half_pixel = strcmp(ctm, "half_pixel") == 0;
    s->ph = ox_attr_int_or(n, "output_height", 1);
    s->pw = ox_attr_int_or(n, "output_width", 1);
    s->sampling = ox_attr_int_or(n, "sampling_ratio", 0);
    s->scale = ox_attr_float_or(n, "spatial_scale", 1.0f);
    if (s->ph < 1 || s->pw < 1 || s->ph > 65536 || s->pw > 65536 || s->sampling < 0 ||
        s->sampling > 65536)
        return rk_errf(e, RK_EINPUT, "%s: output size or sampling_ratio out of range", L(n));
    return RK_OK;
}

rk_status oxm_roi_align(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                        rk_tensor *out, int nout, rk_err *e)
{
    (void)ctx;
    (void)nout;
    const rk_tensor *x, *rois, *bi;
    roi_setup s = {0};
    TRY(oxd_need_input(n, in, nin, 0, "X", &x, e));
    TRY(oxd_need_input(n, in, nin, 1, "rois", &rois, e));
    TRY(oxd_need_input(n, in, nin, 2, "batch_indices", &bi, e));
    TRY(roi_parse(n, &s, e));
    if (x->dtype != RK_DT_F32 || x->ndim != 4 || rois->ndim != 2 || rois->dims[1] != 4 ||
        !oxd_is_float(rois->dtype) || bi->ndim != 1 || bi->dims[0] != rois->dims[0])
        return rk_errf(e, RK_EINPUT, "%s: needs float32 X [N,C,H,W], rois [R,4], "
                       "batch_indices [R]", L(n));
    TRY(oxd_need_dtype_int(n, bi, "'batch_indices'", e));
    int64_t R = rois->dims[0], C = x->dims[1];
    s.h = x->dims[2];
    s.w = x->dims[3];
    int64_t dims[4] = {R, C, s.ph, s.pw};
    TRY(rk_tensor_alloc(&out[0], NULL, RK_DT_F32, 4, dims, e));
    float *o = out[0].data;
    double off = s.half_pixel ? 0.5 : 0.0;
    for (int64_t r = 0; r < R; r++) {
        int64_t b = oxd_get_i64(bi, r);
        if (b < 0 || b >= x->dims[0]) {
            rk_tensor_free(&out[0]);
            return rk_errf(e, RK_EINPUT, "%s: batch index %lld out of range", L(n),
                           (long long)b);
        }
        double roi[4];
        for (int k = 0; k < 4; k++)
            roi[k] = oxd_get_f64(rois, r * 4 + k) * (double)s.scale - off;
        /* An adaptive sampling grid (sampling_ratio 0) grows with the roi:
         * refuse non-finite or absurd rois instead of looping for ages. */
        double gh = ceil((roi[3] - roi[1]) / (double)s.ph), gw = ceil((roi[2] - roi[0]) / (double)s.pw);
        if (!isfinite(roi[0] + roi[1] + roi[2] + roi[3]) ||
            (s.sampling == 0 && gh * gw > (double)(1 << 20))) {
            rk_tensor_free(&out[0]);
            return rk_errf(e, RK_EINPUT, "%s: roi %lld is not finite or too large to sample",
                           L(n), (long long)r);
        }
        for (int64_t c = 0; c < C; c++) {
            const float *plane = (const float *)x->data + (b * C + c) * s.h * s.w;
            for (int64_t py = 0; py < s.ph; py++)
                for (int64_t px = 0; px < s.pw; px++)
                    o[((r * C + c) * s.ph + py) * s.pw + px] = roi_bin(&s, plane, roi, py, px);
        }
    }
    return RK_OK;
}
