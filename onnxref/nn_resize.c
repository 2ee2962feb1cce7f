/*
 * nn_resize.c - Resize (opset 10/11/13/18/19), Upsample (7/9),
 * DepthToSpace and SpaceToDepth.
 *
 * Resize is separable: for every axis a table maps each output coordinate
 * to a few (input index, weight) taps; the output is the weighted sum over
 * the tap combinations of all axes.  Coordinate transformations, nearest
 * rounding, the cubic kernel (coefficient A, exclude_outside) and the
 * antialias filter follow the ONNX Resize spec and its reference
 * implementation (onnx/reference, backend test generator resize.py), which
 * produced the conformance data.  Notably the reference uses the *real*
 * output length scale * in (not the floored integer size) inside
 * align_corners / pytorch_half_pixel / tf_crop_and_resize.
 */
#include "nn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum rz_mode { RZ_NEAREST, RZ_LINEAR, RZ_CUBIC } rz_mode;
typedef enum rz_coord {
    RZ_HALF_PIXEL,
    RZ_HALF_PIXEL_SYM,
    RZ_PYTORCH_HALF_PIXEL,
    RZ_ALIGN_CORNERS,
    RZ_ASYMMETRIC,
    RZ_TF_HALF_PIXEL_NN,
    RZ_TF_CROP_AND_RESIZE
} rz_coord;
typedef enum rz_round { RZ_ROUND_PREFER_FLOOR, RZ_ROUND_PREFER_CEIL, RZ_FLOOR, RZ_CEIL, RZ_SIMPLE } rz_round;

/* Resize settings decoded from attributes (and the opset). */
typedef struct rz_params {
    rz_mode mode;
    rz_coord coord;
    rz_round rounding;
    float cubic_a;
    bool exclude_outside;
    bool antialias;
    float extrapolation;
} rz_params;

/* Per-axis tap table.  Invariants: for output coordinate o, taps
 * idx[o*ntaps .. o*ntaps+ntaps) are valid input indices (clamped), with
 * weights w (unused taps have weight 0); outside[o] marks
 * tf_crop_and_resize coordinates that take the extrapolation value. */
typedef struct rz_axis {
    int64_t in, out;
    int ntaps;
    int64_t *idx;
    float *w;
    bool *outside;
} rz_axis;

#define RZ_MAX_TAPS 64
/* Longest output axis Resize/Upsample will produce (larger requests are
 * malformed models; the limit keeps every size computation in range). */
#define NN_MAX_OUT_DIM ((int64_t)1 << 20)
/* Largest output tensor (128 Mi elements, 512 MiB of float32): far above
 * any detector input, and keeps a malformed model from running for
 * minutes (found by tests/fuzz/fuzz_onnxref_nn.c). */
#define NN_MAX_OUT_ELEMS ((int64_t)1 << 27)

static float cubic_coeff(float t, float a)
{
    t = fabsf(t);
    if (t <= 1.0f)
        return ((a + 2.0f) * t - (a + 3.0f)) * t * t + 1.0f;
    if (t < 2.0f)
        return ((a * t - 5.0f * a) * t + 8.0f * a) * t - 4.0f * a;
    return 0.0f;
}

/* Input coordinate of output coordinate o (ONNX coordinate_transformation_mode). */
static double original_coord(const rz_params *p, double o, double scale, int64_t in,
                             int64_t out, double roi_lo, double roi_hi)
{
    double real_out = scale * (double)in; /* as in the ONNX reference */
    switch (p->coord) {
    case RZ_HALF_PIXEL: return (o + 0.5) / scale - 0.5;
    case RZ_HALF_PIXEL_SYM: {
        double adj = (double)out / real_out, center = (double)in / 2.0;
        return center * (1.0 - adj) + (o + 0.5) / scale - 0.5;
    }
    case RZ_PYTORCH_HALF_PIXEL: return real_out == 1.0 || out == 1 ? -0.5 : (o + 0.5) / scale - 0.5;
    case RZ_ALIGN_CORNERS: return real_out == 1.0 || out == 1 ? 0.0 : o * (in - 1) / (real_out - 1);
    case RZ_ASYMMETRIC: return o / scale;
    case RZ_TF_HALF_PIXEL_NN: return (o + 0.5) / scale;
    case RZ_TF_CROP_AND_RESIZE:
        if (out == 1 || real_out == 1.0)
            return (roi_hi - roi_lo) * (in - 1) / 2.0 + roi_lo * (in - 1);
        return o * (roi_hi - roi_lo) * (in - 1) / (real_out - 1) + roi_lo * (in - 1);
    }
    return o;
}

static int64_t nearest_index(const rz_params *p, double x, double scale)
{
    double f = floor(x);
    switch (p->rounding) {
    case RZ_ROUND_PREFER_FLOOR: return (int64_t)(x - f == 0.5 ? f : floor(x + 0.5));
    case RZ_ROUND_PREFER_CEIL: return (int64_t)(x - f == 0.5 ? f + 1 : floor(x + 0.5));
    case RZ_FLOOR: return (int64_t)f;
    case RZ_CEIL: return (int64_t)ceil(x);
    case RZ_SIMPLE: return (int64_t)(scale < 1.0 ? ceil(x) : x); /* onnxruntime, opset <= 10 */
    }
    return (int64_t)f;
}

static int64_t clamp_index(int64_t i, int64_t in)
{
    return i < 0 ? 0 : (i >= in ? in - 1 : i);
}

/* Fills taps for one output coordinate; returns false for "outside". */
static bool axis_taps(const rz_params *p, rz_axis *ax, int64_t o, double scale, double roi_lo,
                      double roi_hi)
{
    int64_t *idx = ax->idx + o * ax->ntaps;
    float *w = ax->w + o * ax->ntaps;
    double x = original_coord(p, (double)o, scale, ax->in, ax->out, roi_lo, roi_hi);
    for (int t = 0; t < ax->ntaps; t++) {
        idx[t] = 0;
        w[t] = 0.0f;
    }
    if (isnan(x) || (p->coord == RZ_TF_CROP_AND_RESIZE && (x < 0 || x > (double)(ax->in - 1))))
        return false;
    /* Far outside the input every tap clamps to the edge anyway; bounding x
     * keeps the integer conversions below defined. */
    x = x < -1e12 ? -1e12 : (x > 1e12 ? 1e12 : x);
    if (p->mode == RZ_NEAREST || ax->ntaps == 1) {
        if (ax->ntaps == 1 && p->mode != RZ_NEAREST)
            idx[0] = clamp_index((int64_t)llround(x), ax->in); /* identity axis */
        else
            idx[0] = clamp_index(nearest_index(p, x, scale), ax->in);
        w[0] = 1.0f;
        return true;
    }
    /* Linear / cubic, optionally antialiased (filter stretched by 1/scale
     * when downsampling). */
    double support = p->mode == RZ_LINEAR ? 1.0 : 2.0;
    double fscale = (p->antialias && scale < 1.0) ? scale : 1.0;
    double radius = support / fscale;
    int64_t first = (int64_t)floor(x - radius) + 1, last = (int64_t)ceil(x + radius) - 1;
    if (fscale == 1.0) { /* the plain kernel: exactly 2 or 4 points */
        first = (int64_t)floor(x) - (p->mode == RZ_LINEAR ? 0 : 1);
        last = first + (p->mode == RZ_LINEAR ? 1 : 3);
    }
    double sum = 0.0;
    int t = 0;
    for (int64_t i = first; i <= last && t < ax->ntaps; i++) {
        double d = ((double)i - x) * fscale;
        double c = p->mode == RZ_LINEAR ? fmax(0.0, 1.0 - fabs(d)) : cubic_coeff((float)d, p->cubic_a);
        if (p->exclude_outside && (i < 0 || i >= ax->in))
            c = 0.0; /* exclude_outside drops taps beyond the edge, then renormalises;
                      * otherwise edge values repeat (clamped index) */
        idx[t] = clamp_index(i, ax->in);
        w[t] = (float)c;
        sum += c;
        t++;
    }
    if ((p->exclude_outside || fscale != 1.0) && sum != 0.0)
        for (int k = 0; k < t; k++)
            w[k] = (float)(w[k] / sum);
    return true;
}

static rk_status parse_params(const ox_node *n, rz_params *p, bool upsample, rk_err *e)
{
    int opset = ox_node_opset(n);
    const char *mode = ox_attr_string_or(n, "mode", "nearest");
    memset(p, 0, sizeof *p);
    if (!strcmp(mode, "nearest"))
        p->mode = RZ_NEAREST;
    else if (!strcmp(mode, "linear") || !strcmp(mode, "bilinear") || !strcmp(mode, "trilinear"))
        p->mode = RZ_LINEAR;
    else if (!strcmp(mode, "cubic") && !upsample)
        p->mode = RZ_CUBIC;
    else
        return rk_errf(e, RK_EINPUT, "%s: unknown mode '%s'", ox_node_label(n), mode);
    p->cubic_a = ox_attr_float_or(n, "cubic_coeff_a", -0.75f);
    p->exclude_outside = ox_attr_int_or(n, "exclude_outside", 0) != 0;
    p->antialias = ox_attr_int_or(n, "antialias", 0) != 0 && p->mode != RZ_NEAREST;
    p->extrapolation = ox_attr_float_or(n, "extrapolation_value", 0.0f);
    if (upsample || opset < 11) {
        /* Upsample and Resize-10: asymmetric coordinates; nearest picks
         * floor when upsampling (onnxruntime's "simple" rounding). */
        p->coord = RZ_ASYMMETRIC;
        p->rounding = RZ_SIMPLE;
        return RK_OK;
    }
    static const struct { const char *name; rz_coord c; } coords[] = {
        {"half_pixel", RZ_HALF_PIXEL}, {"half_pixel_symmetric", RZ_HALF_PIXEL_SYM},
        {"pytorch_half_pixel", RZ_PYTORCH_HALF_PIXEL}, {"align_corners", RZ_ALIGN_CORNERS},
        {"asymmetric", RZ_ASYMMETRIC}, {"tf_half_pixel_for_nn", RZ_TF_HALF_PIXEL_NN},
        {"tf_crop_and_resize", RZ_TF_CROP_AND_RESIZE}};
    static const struct { const char *name; rz_round r; } rounds[] = {
        {"round_prefer_floor", RZ_ROUND_PREFER_FLOOR}, {"round_prefer_ceil", RZ_ROUND_PREFER_CEIL},
        {"floor", RZ_FLOOR}, {"ceil", RZ_CEIL}};
    const char *cm = ox_attr_string_or(n, "coordinate_transformation_mode", "half_pixel");
    const char *nm = ox_attr_string_or(n, "nearest_mode", "round_prefer_floor");
    size_t i;
    for (i = 0; i < RK_ARRAY_LEN(coords) && strcmp(cm, coords[i].name); i++)
        ;
    if (i == RK_ARRAY_LEN(coords))
        return rk_errf(e, RK_EINPUT, "%s: unknown coordinate_transformation_mode '%s'",
                       ox_node_label(n), cm);
    p->coord = coords[i].c;
    for (i = 0; i < RK_ARRAY_LEN(rounds) && strcmp(nm, rounds[i].name); i++)
        ;
    if (i == RK_ARRAY_LEN(rounds))
        return rk_errf(e, RK_EINPUT, "%s: unknown nearest_mode '%s'", ox_node_label(n), nm);
    p->rounding = rounds[i].r;
    return RK_OK;
}

/* Output sizes and per-axis scales from scales / sizes (+ axes and
 * keep_aspect_ratio_policy, opset 18). */
static rk_status resize_geometry(const ox_node *n, const rk_tensor *x, const rk_tensor *scales,
                                 const float *attr_scales, int n_attr_scales,
                                 const rk_tensor *sizes, double *scale, int64_t *out,
                                 int *axes, int *naxes, rk_err *e)
{
    const int64_t *av;
    int na = ox_attr_ints(n, "axes", &av);
    rk_status st;
    if (na < 0) {
        na = x->ndim;
        for (int d = 0; d < na; d++)
            axes[d] = d;
    } else {
        for (int i = 0; i < na; i++)
            if ((st = nn_axis(n, "axes", av[i], x->ndim, &axes[i], e)))
                return st;
    }
    *naxes = na;
    for (int d = 0; d < x->ndim; d++) {
        scale[d] = 1.0;
        out[d] = x->dims[d];
    }
    if (sizes) {
        if (sizes->nelem != na)
            return rk_errf(e, RK_EINPUT, "%s: sizes has %lld values; expected %d",
                           ox_node_label(n), (long long)sizes->nelem, na);
        const char *pol = ox_attr_string_or(n, "keep_aspect_ratio_policy", "stretch");
        bool not_larger = !strcmp(pol, "not_larger"), not_smaller = !strcmp(pol, "not_smaller");
        if (!not_larger && !not_smaller && strcmp(pol, "stretch"))
            return rk_errf(e, RK_EINPUT, "%s: unknown keep_aspect_ratio_policy '%s'",
                           ox_node_label(n), pol);
        double common = not_larger ? INFINITY : 0.0;
        for (int i = 0; i < na; i++) {
            int64_t s = nn_get_i64(sizes, i);
            if (s < 0 || s > NN_MAX_OUT_DIM)
                return rk_errf(e, RK_EINPUT, "%s: sizes[%d]=%lld is outside [0, %lld]",
                               ox_node_label(n), i, (long long)s, (long long)NN_MAX_OUT_DIM);
            double r = x->dims[axes[i]] ? (double)s / (double)x->dims[axes[i]] : 1.0;
            common = not_larger ? fmin(common, r) : fmax(common, r);
            out[axes[i]] = s;
            scale[axes[i]] = r;
        }
        if ((not_larger || not_smaller) && !(common >= 0.0 && common <= (double)NN_MAX_OUT_DIM))
            return rk_errf(e, RK_EINPUT, "%s: keep_aspect_ratio_policy gives scale %g",
                           ox_node_label(n), common);
        if (not_larger || not_smaller)
            for (int i = 0; i < na; i++) {
                scale[axes[i]] = common;
                /* round half away from zero (C round), as onnxruntime */
                out[axes[i]] = (int64_t)round(common * (double)x->dims[axes[i]]);
            }
        return RK_OK;
    }
    int cnt = scales ? (int)scales->nelem : n_attr_scales;
    if (cnt != na)
        return rk_errf(e, RK_EINPUT, "%s: scales has %d values; expected %d (one per %s)",
                       ox_node_label(n), cnt, na, na == x->ndim ? "dimension" : "axis");
    for (int i = 0; i < na; i++) {
        double s = scales ? nn_get_f64(scales, i) : attr_scales[i];
        if (!(s > 0.0))
            return rk_errf(e, RK_EINPUT, "%s: scales[%d]=%g must be positive", ox_node_label(n),
                           i, s);
        if (!((double)s * (double)x->dims[axes[i]] <= (double)NN_MAX_OUT_DIM))
            return rk_errf(e, RK_EINPUT, "%s: scales[%d]=%g makes axis %d longer than %lld",
                           ox_node_label(n), i, s, axes[i], (long long)NN_MAX_OUT_DIM);
        scale[axes[i]] = s;
        /* floor(in * scale) with a float32 product, as onnxruntime. */
        out[axes[i]] = (int64_t)floorf((float)s * (float)x->dims[axes[i]]);
    }
    return RK_OK;
}

/* One separable pass along an axis: src is [outer, ax->in, inner], dst
 * [outer, ax->out, inner]. */
NN_HOT static void resize_pass(const rz_axis *ax, const float *src, float *dst, int64_t outer,
                        int64_t inner, float extrapolation)
{
    bool gather = inner == 1 && ax->ntaps == 1; /* nearest along the last axis */
    for (int64_t o = 0; gather && o < ax->out; o++)
        gather = !ax->outside[o] && ax->w[o] == 1.0f;
    for (int64_t b = 0; b < outer; b++) {
        const float *s = src + b * ax->in * inner;
        float *dblk = dst + b * ax->out * inner;
        if (gather) {
            for (int64_t o = 0; o < ax->out; o++)
                dblk[o] = s[ax->idx[o]];
            continue;
        }
        for (int64_t o = 0; o < ax->out; o++) {
            float *d = dblk + o * inner;
            if (ax->outside[o]) {
                for (int64_t i = 0; i < inner; i++)
                    d[i] = extrapolation;
                continue;
            }
            const int64_t *idx = ax->idx + o * ax->ntaps;
            const float *w = ax->w + o * ax->ntaps;
            if (inner == 1) {
                float acc = 0.0f;
                for (int t = 0; t < ax->ntaps; t++)
                    acc += w[t] * s[idx[t]];
                d[0] = acc;
                continue;
            }
            if (ax->ntaps == 1 && w[0] == 1.0f) {
                memcpy(d, s + idx[0] * inner, (size_t)inner * sizeof *d);
                continue;
            }
            for (int64_t i = 0; i < inner; i++)
                d[i] = 0.0f;
            for (int t = 0; t < ax->ntaps; t++) {
                if (w[t] == 0.0f)
                    continue;
                const float *r = s + idx[t] * inner;
                for (int64_t i = 0; i < inner; i++)
                    d[i] += w[t] * r[i];
            }
        }
    }
}

static rk_status resize_core(ox_ctx *ctx, const ox_node *n, const rk_tensor *x,
                             const rz_params *p, const double *scale, const int64_t *out_dims,
                             const double *roi_lo, const double *roi_hi, rk_tensor *y,
                             rk_err *e)
{
    rz_axis ax[RK_MAX_DIMS];
    rk_tensor xf = {0}, yf = {0};
    rk_status st = RK_OK;
    int nd = x->ndim;
    memset(ax, 0, sizeof ax);
    if (x->dtype != RK_DT_F32 && x->dtype != RK_DT_F16 && x->dtype != RK_DT_U8 &&
        x->dtype != RK_DT_I8 && x->dtype != RK_DT_I32 && x->dtype != RK_DT_F64)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: input X has type %s, not supported",
                       ox_node_label(n), rk_dtype_name(x->dtype));
    /* The separable passes cost about (output elements) x (taps per axis)
     * summed over axes; refuse absurd requests rather than run for minutes. */
    double out_elems = 1.0;
    for (int d = 0; d < nd; d++)
        out_elems *= (double)out_dims[d];
    if (out_elems > (double)NN_MAX_OUT_ELEMS)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: output of %.3g elements exceeds the %lld-element "
                       "limit", ox_node_label(n), out_elems, (long long)NN_MAX_OUT_ELEMS);
    if (out_elems == 0.0) /* nothing to interpolate (an axis is empty) */
        return rk_tensor_alloc(y, NULL, x->dtype, nd, out_dims, e);
    for (int d = 0; d < nd; d++) {
        ax[d].in = x->dims[d];
        ax[d].out = out_dims[d];
        bool identity = ax[d].in == ax[d].out && scale[d] == 1.0 &&
                        p->coord != RZ_TF_CROP_AND_RESIZE;
        int taps = p->mode == RZ_NEAREST ? 1 : (p->mode == RZ_LINEAR ? 2 : 4);
        if (p->antialias && scale[d] < 1.0 && p->mode != RZ_NEAREST)
            taps = (int)RK_MIN(RZ_MAX_TAPS, (int64_t)ceil(taps / scale[d]) + 2);
        ax[d].ntaps = identity ? 1 : taps;
        if ((double)ax[d].out * ax[d].ntaps > (double)NN_MAX_OUT_ELEMS) {
            st = rk_errf(e, RK_EUNSUPPORTED, "%s: axis %d needs %lld x %d interpolation taps "
                         "(limit %lld)", ox_node_label(n), d, (long long)ax[d].out,
                         ax[d].ntaps, (long long)NN_MAX_OUT_ELEMS);
            goto out;
        }
        ax[d].idx = rk_calloc_array((size_t)RK_MAX(1, ax[d].out * ax[d].ntaps), sizeof(int64_t));
        ax[d].w = rk_calloc_array((size_t)RK_MAX(1, ax[d].out * ax[d].ntaps), sizeof(float));
        ax[d].outside = rk_calloc_array((size_t)RK_MAX(1, ax[d].out), sizeof(bool));
        if (!ax[d].idx || !ax[d].w || !ax[d].outside) {
            st = rk_errf(e, RK_ENOMEM, "%s: out of memory", ox_node_label(n));
            goto out;
        }
        if (ax[d].in == 0 && ax[d].out > 0) {
            st = rk_errf(e, RK_EINPUT, "%s: cannot resize an empty axis %d", ox_node_label(n), d);
            goto out;
        }
        for (int64_t o = 0; o < ax[d].out; o++)
            ax[d].outside[o] = !axis_taps(p, &ax[d], o, scale[d], roi_lo[d], roi_hi[d]);
    }
    /* Separable passes, one per axis that changes: each output row along
     * the axis is a weighted sum of whole input rows (contiguous inner
     * blocks), which vectorises well.  Extrapolated coordinates
     * (tf_crop_and_resize) take the constant; later passes keep it since
     * tap weights sum to 1. */
    if ((st = rk_tensor_to_f32(&xf, x, e)))
        goto out;
    int64_t cur[RK_MAX_DIMS];
    for (int d = 0; d < nd; d++)
        cur[d] = x->dims[d];
    for (int d = 0; d < nd; d++) {
        bool identity = ax[d].ntaps == 1 && ax[d].in == ax[d].out;
        for (int64_t o = 0; identity && o < ax[d].out; o++)
            identity = ax[d].idx[o] == o && !ax[d].outside[o];
        if (identity)
            continue;
        int64_t outer = 1, inner = 1;
        for (int k = 0; k < d; k++)
            outer *= cur[k];
        for (int k = d + 1; k < nd; k++)
            inner *= cur[k];
        cur[d] = ax[d].out;
        rk_tensor next = {0};
        if ((st = rk_tensor_alloc(&next, NULL, RK_DT_F32, nd, cur, e)))
            goto out;
        resize_pass(&ax[d], xf.data, next.data, outer, inner, p->extrapolation);
        rk_tensor_free(&xf);
        xf = next;
    }
    yf = xf;
    xf = (rk_tensor){0};
    if (x->dtype == RK_DT_F32) {
        *y = yf;
        yf = (rk_tensor){0};
    } else {
        st = nn_from_f32(n, &yf, x->dtype, y, e);
    }
out:
    for (int d = 0; d < nd; d++) {
        free(ax[d].idx);
        free(ax[d].w);
        free(ax[d].outside);
    }
    rk_tensor_free(&xf);
    rk_tensor_free(&yf);
    (void)ctx;
    return st;
}

static const rk_tensor *non_empty(const rk_tensor *t)
{
    return (t && t->nelem > 0) ? t : NULL;
}

NN_KERNEL(nn_op_resize)
{
    const rk_tensor *x;
    rz_params p;
    double scale[RK_MAX_DIMS], roi_lo[RK_MAX_DIMS], roi_hi[RK_MAX_DIMS];
    int64_t out_dims[RK_MAX_DIMS];
    int axes[RK_MAX_DIMS], naxes;
    rk_status st;
    if ((st = nn_need(n, in, nin, 0, "X", &x, e)) || (st = parse_params(n, &p, false, e)))
        return st;
    bool v10 = ox_node_opset(n) < 11;
    const rk_tensor *roi = v10 ? NULL : non_empty(nn_in(in, nin, 1));
    const rk_tensor *scales = non_empty(nn_in(in, nin, v10 ? 1 : 2));
    const rk_tensor *sizes = v10 ? NULL : non_empty(nn_in(in, nin, 3));
    if (!scales && !sizes)
        return rk_errf(e, RK_EINPUT, "%s: neither scales nor sizes is given", ox_node_label(n));
    if (scales && sizes)
        return rk_errf(e, RK_EINPUT, "%s: both scales and sizes are given; ONNX allows one",
                       ox_node_label(n));
    if ((st = resize_geometry(n, x, scales, NULL, 0, sizes, scale, out_dims, axes, &naxes, e)))
        return st;
    for (int d = 0; d < x->ndim; d++) {
        roi_lo[d] = 0.0;
        roi_hi[d] = 1.0;
    }
    if (roi && p.coord == RZ_TF_CROP_AND_RESIZE) {
        if (roi->nelem != 2 * naxes)
            return rk_errf(e, RK_EINPUT, "%s: roi has %lld values; expected %d",
                           ox_node_label(n), (long long)roi->nelem, 2 * naxes);
        for (int i = 0; i < naxes; i++) {
            roi_lo[axes[i]] = nn_get_f64(roi, i);
            roi_hi[axes[i]] = nn_get_f64(roi, naxes + i);
            if (!isfinite(roi_lo[axes[i]]) || !isfinite(roi_hi[axes[i]]))
                return rk_errf(e, RK_EINPUT, "%s: roi for axis %d is not finite",
                               ox_node_label(n), axes[i]);
        }
    }
    return resize_core(ctx, n, x, &p, scale, out_dims, roi_lo, roi_hi, &out[0], e);
}

NN_KERNEL(nn_op_upsample)
{
    const rk_tensor *x, *scales = NULL;
    rz_params p;
    double scale[RK_MAX_DIMS], roi_lo[RK_MAX_DIMS], roi_hi[RK_MAX_DIMS];
    int64_t out_dims[RK_MAX_DIMS];
    int axes[RK_MAX_DIMS], naxes;
    const float *attr = NULL;
    int nattr = 0;
    rk_status st;
    if ((st = nn_need(n, in, nin, 0, "X", &x, e)) || (st = parse_params(n, &p, true, e)))
        return st;
    if (ox_node_opset(n) >= 9) {
        if ((st = nn_need(n, in, nin, 1, "scales", &scales, e)))
            return st;
    } else if ((nattr = ox_attr_floats(n, "scales", &attr)) < 0) {
        return rk_errf(e, RK_EINPUT, "%s: required attribute scales is missing",
                       ox_node_label(n));
    }
    if ((st = resize_geometry(n, x, scales, attr, nattr, NULL, scale, out_dims, axes, &naxes, e)))
        return st;
    for (int d = 0; d < x->ndim; d++) {
        roi_lo[d] = 0.0;
        roi_hi[d] = 1.0;
    }
    return resize_core(ctx, n, x, &p, scale, out_dims, roi_lo, roi_hi, &out[0], e);
}

/* ---- DepthToSpace / SpaceToDepth ---------------------------------------------------- */

/* Generic 6-D permutation copy: dst[perm order] = src viewed as dims6. */
static void permute6(const uint8_t *src, uint8_t *dst, const int64_t *dims6, const int *perm,
                     size_t esz)
{
    int64_t st[6], od[6], ost[6];
    for (int64_t d = 5, s = 1; d >= 0; d--) {
        st[d] = s;
        s *= dims6[d];
    }
    for (int d = 0; d < 6; d++)
        od[d] = dims6[perm[d]];
    for (int64_t d = 5, s = 1; d >= 0; d--) {
        ost[d] = s;
        s *= od[d];
    }
    int64_t c[6] = {0}, total = od[0] * od[1] * od[2] * od[3] * od[4] * od[5];
    for (int64_t i = 0; i < total; i++) {
        int64_t off = 0;
        for (int d = 0; d < 6; d++)
            off += c[d] * st[perm[d]];
        memcpy(dst + i * esz, src + off * esz, esz);
        for (int d = 5; d >= 0; d--) {
            if (++c[d] < od[d])
                break;
            c[d] = 0;
        }
    }
    (void)ost;
}

static rk_status block_op(const ox_node *n, const rk_tensor *const *in, int nin, rk_tensor *out,
                          bool to_space, rk_err *e)
{
    const rk_tensor *x;
    rk_status st;
    char buf[96];
    if ((st = nn_need(n, in, nin, 0, "input", &x, e)) || (st = nn_need_rank(n, x, "input", 4, e)))
        return st;
    int64_t b = ox_attr_int_or(n, "blocksize", 0);
    int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    size_t esz = rk_dtype_size(x->dtype);
    if (b < 1 || b > NN_MAX_GEOM || esz == 0 || (to_space && C % (b * b)) ||
        (!to_space && (H % b || W % b)))
        return rk_errf(e, RK_EINPUT, "%s: blocksize=%lld does not fit input %s",
                       ox_node_label(n), (long long)b, rk_shape_str(x, buf, sizeof buf));
    int64_t od[4];
    int perm[6];
    int64_t d6[6];
    if (to_space) {
        bool crd = !strcmp(ox_attr_string_or(n, "mode", "DCR"), "CRD");
        od[0] = N; od[1] = C / (b * b); od[2] = H * b; od[3] = W * b;
        if (crd) {
            int64_t v[6] = {N, C / (b * b), b, b, H, W};
            int p[6] = {0, 1, 4, 2, 5, 3};
            memcpy(d6, v, sizeof d6);
            memcpy(perm, p, sizeof perm);
        } else {
            int64_t v[6] = {N, b, b, C / (b * b), H, W};
            int p[6] = {0, 3, 4, 1, 5, 2};
            memcpy(d6, v, sizeof d6);
            memcpy(perm, p, sizeof perm);
        }
    } else {
        od[0] = N; od[1] = C * b * b; od[2] = H / b; od[3] = W / b;
        int64_t v[6] = {N, C, H / b, b, W / b, b};
        int p[6] = {0, 3, 5, 1, 2, 4};
        memcpy(d6, v, sizeof d6);
        memcpy(perm, p, sizeof perm);
    }
    if ((st = rk_tensor_alloc(&out[0], NULL, x->dtype, 4, od, e)))
        return st;
    permute6(x->data, out[0].data, d6, perm, esz);
    return RK_OK;
}

NN_KERNEL(nn_op_depth_to_space)
{
    (void)ctx;
    return block_op(n, in, nin, out, true, e);
}

NN_KERNEL(nn_op_space_to_depth)
{
    (void)ctx;
    return block_op(n, in, nin, out, false, e);
}
