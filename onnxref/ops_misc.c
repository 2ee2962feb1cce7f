/*
 * ops_misc.c - quantisation and assorted operators: QuantizeLinear,
 * DequantizeLinear (per-tensor, per-axis, blocked), DynamicQuantizeLinear,
 * IsNaN, IsInf, EyeLike, Unique, NonMaxSuppression; RNN/GRU/LSTM (kernels in
 * misc_rnn.c); window functions, Det, MeanVarianceNormalization, GridSample,
 * RoiAlign (misc_extra.c).
 *
 * Semantics: ONNX operator specification (onnx/docs/Operators.md).  Where
 * the spec leaves a detail open, the choice follows onnxruntime's CPU
 * kernels (facts, not code) and is marked "as onnxruntime".
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "misc_extra.h"
#include "misc_rnn.h"
#include "ops_data.h"


/* ------------------------------------------------------ quantisation base */

/* Where each element's scale / zero point lives: per tensor, per channel
 * along `axis`, or per block of `block` elements along `axis`. */
typedef struct qparam_map {
    int64_t outer, dim, inner; /* x viewed as [outer, dim, inner] around axis */
    int64_t block;             /* 0 per-tensor, 1 per-axis... see qparam_index */
    int64_t sdim;              /* scale extent along axis */
    bool per_tensor;
} qparam_map;

static int64_t qparam_index(const qparam_map *m, int64_t i)
{
    if (m->per_tensor)
        return 0;
    int64_t a = (i / m->inner) % m->dim;
    if (m->block == 0)
        return a;
    int64_t o = i / (m->inner * m->dim), r = i % m->inner;
    return (o * m->sdim + a / m->block) * m->inner + r;
}

static rk_status qparam_map_build(const ox_node *n, const rk_tensor *x, const rk_tensor *scale,
                                  const rk_tensor *zp, qparam_map *m, rk_err *e)
{
    memset(m, 0, sizeof *m);
    int64_t block = ox_node_opset(n) >= 21 ? ox_attr_int_or(n, "block_size", 0) : 0;
    if (zp && !rk_shape_equal(zp, scale))
        return rk_errf(e, RK_EINPUT, "%s: zero point and scale shapes differ", L(n));
    if (block < 0)
        return rk_errf(e, RK_EINPUT, "%s: 'block_size' %lld is negative", L(n),
                       (long long)block);
    if (scale->nelem == 1 && scale->ndim <= 1 && block == 0) {
        m->per_tensor = true;
        return RK_OK;
    }
    int axis = 0;
    TRY(oxd_norm_axis(n, "'axis'", ox_attr_int_or(n, "axis", 1), x->ndim, &axis, e));
    m->outer = oxd_dims_product(x->dims, 0, axis);
    m->dim = x->dims[axis];
    m->inner = oxd_dims_product(x->dims, axis + 1, x->ndim);
    m->block = block;
    if (block == 0) {
        if (scale->ndim != 1 || scale->dims[0] != m->dim)
            return rk_errf(e, RK_EINPUT, "%s: per-axis scale must be 1-D of length %lld",
                           L(n), (long long)m->dim);
        return RK_OK;
    }
    m->sdim = m->dim / block + (m->dim % block != 0); /* ceil, no overflow */
    bool ok = scale->ndim == x->ndim;
    for (int d = 0; ok && d < x->ndim; d++)
        ok = scale->dims[d] == (d == axis ? m->sdim : x->dims[d]);
    if (!ok)
        return rk_errf(e, RK_EINPUT, "%s: blocked scale must match the input shape with "
                       "ceil(%lld/%lld) on axis %d", L(n), (long long)m->dim,
                       (long long)block, axis);
    return RK_OK;
}

static bool qrange(rk_dtype dt, int64_t *lo, int64_t *hi)
{
    switch (dt) {
    case RK_DT_U8: *lo = 0; *hi = 255; return true;
    case RK_DT_I8: *lo = -128; *hi = 127; return true;
    case RK_DT_U16: *lo = 0; *hi = 65535; return true;
    case RK_DT_I16: *lo = -32768; *hi = 32767; return true;
    case RK_DT_I32: *lo = INT32_MIN; *hi = INT32_MAX; return true;
    default: return false;
    }
}

/* round-half-to-even of a float, then + zp, saturated to [lo, hi]. */
static int64_t quantize_one(float x, float scale, int64_t zp, int64_t lo, int64_t hi)
{
    float q = nearbyintf(x / scale); /* default rounding mode: ties to even */
    double v = (double)q + (double)zp;
    if (v != v)
        return RK_MAX(lo, RK_MIN(hi, zp));
    if (v < (double)lo)
        return lo;
    if (v > (double)hi)
        return hi;
    return (int64_t)v;
}

static rk_status k_quantize_linear(KERNEL_ARGS)
{
    (void)ctx;
    (void)nout;
    const rk_tensor *x, *scale, *zp = oxd_opt_input(in, nin, 2);
    TRY(oxd_need_input(n, in, nin, 0, "x", &x, e));
    TRY(oxd_need_input(n, in, nin, 1, "y_scale", &scale, e));
    rk_dtype odt = zp ? zp->dtype : RK_DT_U8;
    if (!zp && ox_node_opset(n) >= 21 && ox_attr_int_or(n, "output_dtype", 0) != 0)
        odt = (rk_dtype)ox_attr_int_or(n, "output_dtype", 0);
    int64_t lo, hi;
    if (!qrange(odt, &lo, &hi) || (odt == RK_DT_I32))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: quantizing to %s is not supported "
                       "(uint8/int8/uint16/int16 only)", L(n), rk_dtype_name(odt));
    if (!oxd_is_float(x->dtype) && x->dtype != RK_DT_I32)
        return rk_errf(e, RK_EINPUT, "%s: input x must be float or int32, got %s", L(n),
                       rk_dtype_name(x->dtype));
    if (!oxd_is_float(scale->dtype))
        return rk_errf(e, RK_EINPUT, "%s: y_scale must be float, got %s", L(n),
                       rk_dtype_name(scale->dtype));
    qparam_map m = {0};
    TRY(qparam_map_build(n, x, scale, zp, &m, e));
    TRY(rk_tensor_alloc(&out[0], NULL, odt, x->ndim, x->dims, e));
    for (int64_t i = 0; i < x->nelem; i++) {
        int64_t q = qparam_index(&m, i);
        float s = (float)oxd_get_f64(scale, q);
        int64_t z = zp ? oxd_get_i64(zp, q) : 0;
        oxd_set_i64(&out[0], i, quantize_one((float)oxd_get_f64(x, i), s, z, lo, hi));
    }
    return RK_OK;
}

static rk_status k_dequantize_linear(KERNEL_ARGS)
{
    (void)ctx;
    (void)nout;
    const rk_tensor *x, *scale, *zp = oxd_opt_input(in, nin, 2);
    int64_t lo, hi;
    TRY(oxd_need_input(n, in, nin, 0, "x", &x, e));
    TRY(oxd_need_input(n, in, nin, 1, "x_scale", &scale, e));
    if (!qrange(x->dtype, &lo, &hi))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: dequantizing %s is not supported", L(n),
                       rk_dtype_name(x->dtype));
    if (!oxd_is_float(scale->dtype))
        return rk_errf(e, RK_EINPUT, "%s: x_scale must be float, got %s", L(n),
                       rk_dtype_name(scale->dtype));
    if (zp && zp->dtype != x->dtype)
        return rk_errf(e, RK_EINPUT, "%s: zero point is %s, x is %s", L(n),
                       rk_dtype_name(zp->dtype), rk_dtype_name(x->dtype));
    qparam_map m = {0};
    TRY(qparam_map_build(n, x, scale, zp, &m, e));
    /* Output type is the scale's (float32 only before opset 19). */
    TRY(rk_tensor_alloc(&out[0], NULL, scale->dtype, x->ndim, x->dims, e));
    for (int64_t i = 0; i < x->nelem; i++) {
        int64_t q = qparam_index(&m, i);
        int64_t z = zp ? oxd_get_i64(zp, q) : 0;
        float v = (float)(oxd_get_i64(x, i) - z) * (float)oxd_get_f64(scale, q);
        oxd_set_f64(&out[0], i, v);
    }
    return RK_OK;
}

static rk_status k_dynamic_quantize_linear(KERNEL_ARGS)
{
    (void)ctx;
    const rk_tensor *x;
    TRY(oxd_need_input(n, in, nin, 0, "x", &x, e));
    if (x->dtype != RK_DT_F32)
        return rk_errf(e, RK_EINPUT, "%s: x must be float32, got %s", L(n),
                       rk_dtype_name(x->dtype));
    if (nout < 3)
        return rk_errf(e, RK_EINPUT, "%s: needs 3 outputs", L(n));
    const float *xv = x->data;
    /* The range always includes 0 so that 0 quantizes exactly (spec). */
    float mn = 0.0f, mx = 0.0f;
    for (int64_t i = 0; i < x->nelem; i++) {
        if (xv[i] != xv[i])
            return rk_errf(e, RK_EINPUT, "%s: x contains NaN at %lld", L(n), (long long)i);
        mn = fminf(mn, xv[i]);
        mx = fmaxf(mx, xv[i]);
    }
    float scale = (mx - mn) / 255.0f;
    int64_t zp = 0;
    if (scale > 0.0f) {
        float z = nearbyintf(0.0f - mn / scale);
        zp = z < 0.0f ? 0 : z > 255.0f ? 255 : (int64_t)z;
    }
    TRY(rk_tensor_alloc(&out[0], NULL, RK_DT_U8, x->ndim, x->dims, e));
    TRY(rk_tensor_alloc(&out[1], NULL, RK_DT_F32, 0, NULL, e));
    TRY(rk_tensor_alloc(&out[2], NULL, RK_DT_U8, 0, NULL, e));
    *(float *)out[1].data = scale;
    *(uint8_t *)out[2].data = (uint8_t)zp;
    uint8_t *y = out[0].data;
    /* scale == 0 means every x is 0, which quantizes to zp = 0. */
    for (int64_t i = 0; scale > 0.0f && i < x->nelem; i++)
        y[i] = (uint8_t)quantize_one(xv[i], scale, zp, 0, 255);
    return RK_OK;
}

/* ---------------------------------------------------------------- EyeLike */

static rk_status k_eyelike(KERNEL_ARGS)
{
    (void)ctx;
    (void)nout;
    const rk_tensor *x;
    TRY(oxd_need_input(n, in, nin, 0, "input", &x, e));
    if (x->ndim != 2)
        return rk_errf(e, RK_EINPUT, "%s: input must be 2-D, has rank %d", L(n), x->ndim);
    rk_dtype dt = ox_attr_has(n, "dtype") ? (rk_dtype)ox_attr_int_or(n, "dtype", 0) : x->dtype;
    if (!oxd_is_numeric(dt))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: dtype %s is not supported", L(n),
                       rk_dtype_name(dt));
    int64_t k = ox_attr_int_or(n, "k", 0);
    TRY(rk_tensor_alloc(&out[0], NULL, dt, 2, x->dims, e));
    for (int64_t i = 0; i < x->dims[0]; i++) {
        /* Column i + k, computed without overflowing on huge k. */
        if (k >= x->dims[1] || k <= -x->dims[0])
            break;
        int64_t j = i + k;
        if (j >= 0 && j < x->dims[1])
            oxd_set_f64(&out[0], i * x->dims[1] + j, 1.0);
    }
    return RK_OK;
}

/* ----------------------------------------------------------------- Unique */

/* Slices along the axis (or single elements when flattened), compared
 * lexicographically element by element. */
typedef struct unique_ctx {
    const rk_tensor *x;
    int64_t outer, count, inner;
} unique_ctx;

static int unique_cmp(const void *vctx, int64_t a, int64_t b)
{
    const unique_ctx *c = vctx;
    bool ints = oxd_is_integer(c->x->dtype);
    for (int64_t o = 0; o < c->outer; o++)
        for (int64_t r = 0; r < c->inner; r++) {
            int64_t ia = (o * c->count + a) * c->inner + r, ib = (o * c->count + b) * c->inner + r;
            if (ints) {
                int64_t va = oxd_get_i64(c->x, ia), vb = oxd_get_i64(c->x, ib);
                if (va != vb)
                    return va < vb ? -1 : 1;
            } else {
                double va = oxd_get_f64(c->x, ia), vb = oxd_get_f64(c->x, ib);
                if (va != vb)
                    return va < vb ? -1 : 1;
            }
        }
    return 0;
}

typedef struct unique_result {
    int64_t *order;  /* slice indices sorted by value (stable) */
    int64_t *group;  /* group id in output order, per original slice */
    int64_t *first;  /* per output group: first occurrence */
    int64_t *counts; /* per output group */
    int64_t ngroups;
} unique_result;

static void unique_result_free(unique_result *r)
{
    free(r->order);
    free(r->group);
    free(r->first);
    free(r->counts);
}

static rk_status unique_compute(const unique_ctx *c, bool sorted, unique_result *r, rk_err *e)
{
    size_t m = (size_t)(c->count ? c->count : 1);
    r->order = rk_malloc_array(m, sizeof(int64_t));
    r->group = rk_malloc_array(m, sizeof(int64_t));
    r->first = rk_malloc_array(m, sizeof(int64_t));
    r->counts = rk_calloc_array(m, sizeof(int64_t));
    int64_t *sorted_group = rk_malloc_array(m, sizeof(int64_t));
    if (!r->order || !r->group || !r->first || !r->counts || !sorted_group) {
        free(sorted_group);
        return rk_errf(e, RK_ENOMEM, "Unique: out of memory");
    }
    for (int64_t i = 0; i < c->count; i++)
        r->order[i] = i;
    rk_status st = oxd_stable_sort(r->order, c->count, unique_cmp, c, e);
    if (st != RK_OK) {
        free(sorted_group);
        return st;
    }
    /* Groups in value order; the stable sort puts each group's first
     * occurrence first. */
    int64_t g = -1;
    for (int64_t i = 0; i < c->count; i++) {
        if (i == 0 || unique_cmp(c, r->order[i - 1], r->order[i]) != 0) {
            g++;
            r->first[g] = r->order[i];
        }
        sorted_group[r->order[i]] = g;
    }
    r->ngroups = g + 1;
    if (!sorted) {
        /* Renumber groups by first occurrence. */
        int64_t *rank = rk_malloc_array(m, sizeof(int64_t));
        if (!rank) {
            free(sorted_group);
            return rk_errf(e, RK_ENOMEM, "Unique: out of memory");
        }
        for (int64_t i = 0; i < r->ngroups; i++)
            rank[i] = -1;
        int64_t next = 0;
        for (int64_t i = 0; i < c->count; i++)
            if (rank[sorted_group[i]] < 0) {
                rank[sorted_group[i]] = next;
                r->first[next++] = i;
            }
        for (int64_t i = 0; i < c->count; i++)
            sorted_group[i] = rank[sorted_group[i]];
        free(rank);
    }
    for (int64_t i = 0; i < c->count; i++) {
        r->group[i] = sorted_group[i];
        r->counts[sorted_group[i]]++;
    }
    free(sorted_group);
    return RK_OK;
}

static rk_status unique_outputs(const unique_ctx *c, const unique_result *r, bool flat,
                                int axis, rk_tensor *out, int nout, rk_err *e)
{
    const rk_tensor *x = c->x;
    int64_t dims[RK_MAX_DIMS];
    int rank = flat ? 1 : x->ndim;
    if (flat) {
        dims[0] = r->ngroups;
    } else {
        memcpy(dims, x->dims, sizeof dims);
        dims[axis] = r->ngroups;
    }
    TRY(rk_tensor_alloc(&out[0], NULL, x->dtype, rank, dims, e));
    size_t es = rk_dtype_size(x->dtype), inner = (size_t)c->inner * es;
    for (int64_t o = 0; o < c->outer; o++)
        for (int64_t g = 0; g < r->ngroups; g++)
            memcpy((char *)out[0].data + (size_t)(o * r->ngroups + g) * inner,
                   (const char *)x->data + (size_t)(o * c->count + r->first[g]) * inner, inner);
    int64_t len[3] = {r->ngroups, c->count, r->ngroups};
    const int64_t *src[3] = {r->first, r->group, r->counts};
    for (int k = 0; k < 3 && k + 1 < nout; k++) {
        TRY(rk_tensor_alloc(&out[k + 1], NULL, RK_DT_I64, 1, &len[k], e));
        if (len[k])
            memcpy(out[k + 1].data, src[k], (size_t)len[k] * sizeof(int64_t));
    }
    return RK_OK;
}

static rk_status k_unique(KERNEL_ARGS)
{
    (void)ctx;
    const rk_tensor *x;
    TRY(oxd_need_input(n, in, nin, 0, "X", &x, e));
    if (!oxd_is_numeric(x->dtype))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: unsupported dtype %s", L(n),
                       rk_dtype_name(x->dtype));
    bool flat = !ox_attr_has(n, "axis");
    int axis = 0;
    unique_ctx c = {.x = x, .outer = 1, .count = x->nelem, .inner = 1};
    if (!flat) {
        TRY(oxd_norm_axis(n, "'axis'", ox_attr_int_or(n, "axis", 0), x->ndim, &axis, e));
        c.outer = oxd_dims_product(x->dims, 0, axis);
        c.count = x->dims[axis];
        c.inner = oxd_dims_product(x->dims, axis + 1, x->ndim);
    }
    unique_result r = {0};
    rk_status st = unique_compute(&c, ox_attr_int_or(n, "sorted", 1) != 0, &r, e);
    if (st == RK_OK)
        st = unique_outputs(&c, &r, flat, axis, out, nout, e);
    unique_result_free(&r);
    if (st != RK_OK)
        for (int i = 0; i < nout; i++)
            rk_tensor_free(&out[i]);
    return st;
}

/* ------------------------------------------------------ NonMaxSuppression */

typedef struct nms_box {
    float ymin, xmin, ymax, xmax;
} nms_box;

static nms_box nms_read_box(const float *b, bool center)
{
    nms_box r;
    if (center) { /* [x_center, y_center, width, height] */
        r.xmin = b[0] - b[2] / 2.0f;
        r.xmax = b[0] + b[2] / 2.0f;
        r.ymin = b[1] - b[3] / 2.0f;
        r.ymax = b[1] + b[3] / 2.0f;
    } else { /* [y1, x1, y2, x2], either diagonal */
        r.ymin = fminf(b[0], b[2]);
        r.ymax = fmaxf(b[0], b[2]);
        r.xmin = fminf(b[1], b[3]);
        r.xmax = fmaxf(b[1], b[3]);
    }
    return r;
}

/* True when IoU(a, b) > threshold; degenerate boxes never suppress (as
 * onnxruntime). */
static bool nms_suppresses(const nms_box *a, const nms_box *b, float threshold)
{
    float ix0 = fmaxf(a->xmin, b->xmin), iy0 = fmaxf(a->ymin, b->ymin);
    float ix1 = fminf(a->xmax, b->xmax), iy1 = fminf(a->ymax, b->ymax);
    if (ix1 <= ix0 || iy1 <= iy0)
        return false;
    float inter = (ix1 - ix0) * (iy1 - iy0);
    float area_a = (a->xmax - a->xmin) * (a->ymax - a->ymin);
    float area_b = (b->xmax - b->xmin) * (b->ymax - b->ymin);
    float uni = area_a + area_b - inter;
    if (inter <= 0.0f || area_a <= 0.0f || area_b <= 0.0f || uni <= 0.0f)
        return false;
    return inter / uni > threshold;
}

typedef struct nms_params {
    int64_t max_out;
    float iou;
    bool has_score_threshold;
    float score_threshold;
    bool center;
} nms_params;

static int nms_score_cmp(const void *vctx, int64_t a, int64_t b)
{
    const float *s = vctx;
    return s[a] > s[b] ? -1 : s[a] < s[b] ? 1 : 0;
}

static rk_status nms_read_params(const ox_node *n, const rk_tensor *const *in, int nin,
                                 nms_params *p, rk_err *e)
{
    const rk_tensor *tm = oxd_opt_input(in, nin, 2), *ti = oxd_opt_input(in, nin, 3);
    const rk_tensor *ts = oxd_opt_input(in, nin, 4);
    double v = 0.0;
    p->max_out = 0;
    p->iou = 0.0f;
    p->has_score_threshold = ts != NULL;
    p->score_threshold = 0.0f;
    p->center = ox_attr_int_or(n, "center_point_box", 0) != 0;
    if (tm)
        TRY(oxd_read_scalar_i64(n, tm, "'max_output_boxes_per_class'", &p->max_out, e));
    if (ti) {
        TRY(oxd_read_scalar_f64(n, ti, "'iou_threshold'", &v, e));
        p->iou = (float)v;
    }
    if (ts) {
        TRY(oxd_read_scalar_f64(n, ts, "'score_threshold'", &v, e));
        p->score_threshold = (float)v;
    }
    if (p->max_out < 0)
        p->max_out = 0;
    return RK_OK;
}

/* One (batch, class): candidates by descending score (ties: lower index
 * first), greedily kept unless they overlap a kept box too much.  Appends
 * the kept box indices to sel. */
static rk_status nms_one_class(const float *boxes, const float *scores, int64_t nbox,
                               const nms_params *p, int64_t *cand, int64_t *sel,
                               int64_t *nsel, rk_err *e)
{
    int64_t ncand = 0;
    for (int64_t i = 0; i < nbox; i++)
        if (!p->has_score_threshold || scores[i] > p->score_threshold)
            cand[ncand++] = i;
    TRY(oxd_stable_sort(cand, ncand, nms_score_cmp, scores, e));
    int64_t kept = 0;
    for (int64_t c = 0; c < ncand && kept < p->max_out; c++) {
        nms_box b = nms_read_box(boxes + cand[c] * 4, p->center);
        bool drop = false;
        for (int64_t k = 0; k < kept && !drop; k++) {
            nms_box s = nms_read_box(boxes + sel[k] * 4, p->center);
            drop = nms_suppresses(&s, &b, p->iou);
        }
        if (!drop)
            sel[kept++] = cand[c];
    }
    *nsel = kept;
    return RK_OK;
}

static rk_status k_nms(KERNEL_ARGS)
{
    (void)ctx;
    (void)nout;
    const rk_tensor *boxes, *scores;
    nms_params p = {0};
    TRY(oxd_need_input(n, in, nin, 0, "boxes", &boxes, e));
    TRY(oxd_need_input(n, in, nin, 1, "scores", &scores, e));
    TRY(nms_read_params(n, in, nin, &p, e));
    if (boxes->dtype != RK_DT_F32 || scores->dtype != RK_DT_F32 || boxes->ndim != 3 ||
        scores->ndim != 3 || boxes->dims[2] != 4 || scores->dims[0] != boxes->dims[0] ||
        scores->dims[2] != boxes->dims[1])
        return rk_errf(e, RK_EINPUT, "%s: needs float32 boxes [B, N, 4] and scores "
                       "[B, C, N]", L(n));
    int64_t nb = boxes->dims[0], nc = scores->dims[1], nbox = boxes->dims[1];
    size_t m = (size_t)(nbox ? nbox : 1);
    int64_t *cand = rk_malloc_array(m, sizeof *cand), *sel = rk_malloc_array(m, sizeof *sel);
    /* Selected triples; at most min(nbox, max_out) per (batch, class). */
    int64_t cap = nb * nc * RK_MIN(nbox, p.max_out), total = 0;
    int64_t *trip = rk_malloc_array((size_t)(cap ? cap : 1) * 3, sizeof *trip);
    rk_status st = cand && sel && trip ? RK_OK : rk_errf(e, RK_ENOMEM, "%s: out of memory",
                                                          L(n));
    for (int64_t b = 0; st == RK_OK && b < nb; b++)
        for (int64_t c = 0; st == RK_OK && c < nc; c++) {
            int64_t ns = 0;
            st = nms_one_class((const float *)boxes->data + b * nbox * 4,
                               (const float *)scores->data + (b * nc + c) * nbox, nbox, &p,
                               cand, sel, &ns, e);
            for (int64_t k = 0; st == RK_OK && k < ns; k++, total++) {
                trip[3 * total] = b;
                trip[3 * total + 1] = c;
                trip[3 * total + 2] = sel[k];
            }
        }
    if (st == RK_OK) {
        int64_t dims[2] = {total, 3};
        st = rk_tensor_alloc(&out[0], NULL, RK_DT_I64, 2, dims, e);
        if (st == RK_OK && total)
            memcpy(out[0].data, trip, (size_t)total * 3 * sizeof *trip);
    }
    free(cand);
    free(sel);
    free(trip);
    return st;
}

/* ------------------------------------------------------------------ table */

const ox_op_def ox_ops_misc[] = {
    {"", "QuantizeLinear", 10, k_quantize_linear},
    {"", "QuantizeLinear", 13, k_quantize_linear},   /* axis */
    {"", "QuantizeLinear", 19, k_quantize_linear},
    {"", "QuantizeLinear", 21, k_quantize_linear},   /* block_size, output_dtype */
    {"", "DequantizeLinear", 10, k_dequantize_linear},
    {"", "DequantizeLinear", 13, k_dequantize_linear},
    {"", "DequantizeLinear", 19, k_dequantize_linear},
    {"", "DequantizeLinear", 21, k_dequantize_linear},
    {"", "DynamicQuantizeLinear", 11, k_dynamic_quantize_linear},
    /* IsNaN/IsInf live in ops_elementwise.c. */
    {"", "EyeLike", 9, k_eyelike},
    {"", "Unique", 11, k_unique},
    {"", "NonMaxSuppression", 10, k_nms},
    {"", "NonMaxSuppression", 11, k_nms},
    {"", "RNN", 1, oxm_rnn},
    {"", "RNN", 7, oxm_rnn},
    {"", "RNN", 14, oxm_rnn},                        /* layout */
    {"", "GRU", 1, oxm_gru},
    {"", "GRU", 7, oxm_gru},
    {"", "GRU", 14, oxm_gru},
    {"", "LSTM", 1, oxm_lstm},
    {"", "LSTM", 7, oxm_lstm},
    {"", "LSTM", 14, oxm_lstm},
    {"", "HannWindow", 17, oxm_hann_window},
    {"", "HammingWindow", 17, oxm_hamming_window},
    {"", "BlackmanWindow", 17, oxm_blackman_window},
    {"", "Det", 11, oxm_det},
    {"", "MeanVarianceNormalization", 9, oxm_mvn},
    {"", "GridSample", 16, oxm_grid_sample},
    {"", "GridSample", 20, oxm_grid_sample},         /* linear/cubic names */
    {"", "RoiAlign", 10, oxm_roi_align},
    {"", "RoiAlign", 16, oxm_roi_align},             /* coordinate_transformation_mode */
    {NULL, NULL, 0, NULL},
};
