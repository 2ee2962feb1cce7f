/*
 * ops_reduce.c - reductions and index-producing operators: ReduceMean/Sum/
 * Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare, ArgMax/ArgMin, TopK,
 * CumSum, NonZero, OneHot.
 *
 * Semantics: ONNX operator specification (onnx/docs/Operators.md).  Float
 * inputs accumulate in double and round once on store, so float32 results
 * are at least as accurate as numpy's float32 pairwise sums the ONNX test
 * data was generated with.  Integer inputs of Sum/Prod/Max/Min/L1/
 * SumSquare/Mean accumulate in int64 (Mean then truncates), others via double.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops_data.h"


/* ------------------------------------------------------------- reductions */

typedef enum red_kind {
    R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_LOGSUM, R_LOGSUMEXP, R_SUMSQ
} red_kind;

/* The reduction geometry: for every input axis, the output stride it moves
 * (0 on reduced axes), the output shape, and how many inputs meet in one
 * output element. */
typedef struct red_plan {
    const rk_tensor *x;
    int64_t ostride[RK_MAX_DIMS];
    int64_t count; /* elements reduced into each output */
    int out_ndim;
    int64_t out_dims[RK_MAX_DIMS];
} red_plan;

/* Which opset moved 'axes' from attribute to input for this op. */
static int axes_input_since(const ox_node *n)
{
    return strcmp(ox_node_op_type(n), "ReduceSum") == 0 ? 13 : 18;
}

/* Reads the axes; *count = -1 when none are given.  *noop tells whether an
 * absent/empty axes list means identity (noop_with_empty_axes). */
static rk_status red_read_axes(const ox_node *n, const rk_tensor *const *in, int nin,
                               int64_t *axes, int *count, bool *noop, rk_err *e)
{
    *count = -1;
    *noop = false;
    if (ox_node_opset(n) < axes_input_since(n)) {
        const int64_t *v;
        int c = ox_attr_ints(n, "axes", &v);
        if (c > RK_MAX_DIMS)
            return rk_errf(e, RK_EINPUT, "%s: 'axes' has %d entries", L(n), c);
        if (c > 0)
            memcpy(axes, v, (size_t)c * sizeof *v);
        *count = c;
        return RK_OK;
    }
    *noop = ox_attr_int_or(n, "noop_with_empty_axes", 0) != 0;
    const rk_tensor *t = oxd_opt_input(in, nin, 1);
    if (t)
        TRY(oxd_read_ints(n, t, "'axes'", axes, RK_MAX_DIMS, count, e));
    return RK_OK;
}

static rk_status red_plan_build(const ox_node *n, const rk_tensor *x, const bool *mask,
                                bool keepdims, red_plan *p, rk_err *e)
{
    (void)e;
    (void)n;
    p->x = x;
    p->count = 1;
    p->out_ndim = 0;
    for (int d = 0; d < x->ndim; d++) {
        if (mask[d]) {
            p->count *= x->dims[d];
            if (keepdims)
                p->out_dims[p->out_ndim++] = 1;
        } else {
            p->out_dims[p->out_ndim++] = x->dims[d];
        }
    }
    /* Output strides of the kept axes, walked from the innermost. */
    int64_t s = 1;
    for (int d = x->ndim - 1; d >= 0; d--) {
        p->ostride[d] = mask[d] ? 0 : s;
        if (!mask[d])
            s *= x->dims[d];
    }
    return RK_OK;
}

/* Calls run(ctx, in_offset, out_offset, len, out_step) for each innermost
 * run of the input. */
typedef void (*red_run_fn)(void *ctx, int64_t in_off, int64_t out_off, int64_t len,
                           int64_t out_step);

static void red_walk(const red_plan *p, red_run_fn run, void *ctx)
{
    const rk_tensor *x = p->x;
    if (x->nelem == 0)
        return;
    if (x->ndim == 0) {
        run(ctx, 0, 0, 1, 0);
        return;
    }
    int last = x->ndim - 1;
    int64_t len = x->dims[last], coord[RK_MAX_DIMS] = {0}, out_off = 0;
    for (int64_t in_off = 0; in_off < x->nelem; in_off += len) {
        run(ctx, in_off, out_off, len, p->ostride[last]);
        for (int d = last - 1; d >= 0; d--) {
            out_off += p->ostride[d];
            if (++coord[d] < x->dims[d])
                break;
            out_off -= p->ostride[d] * x->dims[d];
            coord[d] = 0;
        }
    }
}

typedef struct fred_ctx {
    const rk_tensor *x;
    red_kind kind;
    double *acc;
    const double *shift; /* LogSumExp second pass: per-output max */
    bool max_pass;       /* LogSumExp first pass */
} fred_ctx;

static double fred_value(const rk_tensor *x, int64_t i)
{
    return x->dtype == RK_DT_F32 ? ((const float *)x->data)[i] : oxd_get_f64(x, i);
}

static void fred_run(void *vctx, int64_t in_off, int64_t out_off, int64_t len,
                     int64_t out_step)
{
    fred_ctx *c = vctx;
    double *acc = c->acc + out_off;
    red_kind k = c->max_pass ? R_MAX : c->kind;
    for (int64_t i = 0; i < len; i++) {
        double v = fred_value(c->x, in_off + i), *a = acc + i * out_step;
        switch (k) {
        case R_SUM: case R_MEAN: case R_LOGSUM: *a += v; break;
        case R_L1: *a += fabs(v); break;
        case R_L2: case R_SUMSQ: *a += v * v; break;
        case R_PROD: *a *= v; break;
        /* NaN propagates like numpy's max/min. */
        case R_MAX: if (v > *a || v != v) *a = v; break;
        case R_MIN: if (v < *a || v != v) *a = v; break;
        case R_LOGSUMEXP: *a += exp(v - c->shift[out_off + i * out_step]); break;
        }
    }
}

static double red_init(red_kind k)
{
    switch (k) {
    case R_PROD: return 1.0;
    case R_MAX: return -INFINITY;
    case R_MIN: return INFINITY;
    default: return 0.0;
    }
}

static double red_finish(red_kind k, double a, double shift, int64_t count)
{
    switch (k) {
    case R_MEAN: return a / (double)count;
    case R_L2: return sqrt(a);
    case R_LOGSUM: return log(a);
    case R_LOGSUMEXP: return isinf(shift) ? shift : shift + log(a);
    default: return a;
    }
}

static rk_status reduce_float(const red_plan *p, red_kind kind, rk_tensor *o, rk_err *e)
{
    int64_t nout = o->nelem;
    double *acc = rk_malloc_array((size_t)(nout ? nout : 1), sizeof *acc);
    double *shift = kind == R_LOGSUMEXP ? rk_malloc_array((size_t)(nout ? nout : 1),
                                                          sizeof *shift)
                                        : NULL;
    if (!acc || (kind == R_LOGSUMEXP && !shift)) {
        free(acc);
        free(shift);
        return rk_errf(e, RK_ENOMEM, "reduction: out of memory");
    }
    fred_ctx c = {.x = p->x, .kind = kind, .acc = acc};
    if (kind == R_LOGSUMEXP) {
        /* Pass 1: per-output max, so exp() never overflows. */
        for (int64_t i = 0; i < nout; i++)
            acc[i] = -INFINITY;
        c.max_pass = true;
        red_walk(p, fred_run, &c);
        memcpy(shift, acc, (size_t)nout * sizeof *acc);
        c.max_pass = false;
        c.shift = shift;
    }
    for (int64_t i = 0; i < nout; i++)
        acc[i] = red_init(kind);
    red_walk(p, fred_run, &c);
    for (int64_t i = 0; i < nout; i++)
        oxd_set_f64(o, i, red_finish(kind, acc[i], shift ? shift[i] : 0.0, p->count));
    free(acc);
    free(shift);
    return RK_OK;
}

typedef struct ired_ctx {
    const rk_tensor *x;
    red_kind kind;
    int64_t *acc;
} ired_ctx;

static void ired_run(void *vctx, int64_t in_off, int64_t out_off, int64_t len,
                     int64_t out_step)
{
    ired_ctx *c = vctx;
    for (int64_t i = 0; i < len; i++) {
        int64_t v = oxd_get_i64(c->x, in_off + i), *a = c->acc + out_off + i * out_step;
        /* Wrapping arithmetic through uint64_t: integer reductions overflow
         * modulo 2^64 like numpy's int64, never with undefined behaviour. */
        switch (c->kind) {
        case R_SUM: case R_MEAN: *a = (int64_t)((uint64_t)*a + (uint64_t)v); break;
        case R_L1: *a = (int64_t)((uint64_t)*a + (uint64_t)(v < 0 ? -(uint64_t)v : (uint64_t)v)); break;
        case R_SUMSQ: *a = (int64_t)((uint64_t)*a + (uint64_t)v * (uint64_t)v); break;
        case R_PROD: *a = (int64_t)((uint64_t)*a * (uint64_t)v); break;
        case R_MAX: if (v > *a) *a = v; break;
        case R_MIN: if (v < *a) *a = v; break;
        default: break;
        }
    }
}

static rk_status reduce_int(const red_plan *p, red_kind kind, rk_tensor *o, rk_err *e)
{
    int64_t nout = o->nelem;
    int64_t *acc = rk_malloc_array((size_t)(nout ? nout : 1), sizeof *acc);
    if (!acc)
        return rk_errf(e, RK_ENOMEM, "reduction: out of memory");
    int64_t init = kind == R_PROD ? 1 : kind == R_MAX ? INT64_MIN : kind == R_MIN ? INT64_MAX : 0;
    for (int64_t i = 0; i < nout; i++)
        acc[i] = init;
    ired_ctx c = {.x = p->x, .kind = kind, .acc = acc};
    red_walk(p, ired_run, &c);
    for (int64_t i = 0; i < nout; i++)
        oxd_set_i64(o, i, kind == R_MEAN && p->count ? acc[i] / p->count : acc[i]);
    free(acc);
    return RK_OK;
}

static rk_status reduce_kernel(const ox_node *n, const rk_tensor *const *in, int nin,
                               rk_tensor *out, red_kind kind, rk_err *e)
{
    const rk_tensor *x;
    int64_t axes[RK_MAX_DIMS];
    bool mask[RK_MAX_DIMS], noop;
    int count = 0;
    red_plan p = {0};
    TRY(oxd_need_input(n, in, nin, 0, "data", &x, e));
    if (!oxd_is_numeric(x->dtype))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: cannot reduce %s", L(n),
                       rk_dtype_name(x->dtype));
    TRY(red_read_axes(n, in, nin, axes, &count, &noop, e));
    if (count <= 0 && noop) {
        TRY(rk_tensor_copy(&out[0], x, e));
        return rk_tensor_set_name(&out[0], NULL);
    }
    if (count <= 0) {
        for (int d = 0; d < x->ndim; d++)
            mask[d] = true;
    } else {
        TRY(oxd_norm_axes(n, "'axes'", axes, count, x->ndim, mask, e));
    }
    TRY(red_plan_build(n, x, mask, ox_attr_int_or(n, "keepdims", 1) != 0, &p, e));
    TRY(rk_tensor_alloc(&out[0], NULL, x->dtype, p.out_ndim, p.out_dims, e));
    bool int_path = oxd_is_integer(x->dtype) &&
                    (kind == R_SUM || kind == R_MEAN || kind == R_MAX || kind == R_MIN ||
                     kind == R_PROD || kind == R_L1 || kind == R_SUMSQ);
    rk_status st = int_path ? reduce_int(&p, kind, &out[0], e)
                            : reduce_float(&p, kind, &out[0], e);
    if (st != RK_OK)
        rk_tensor_free(&out[0]);
    return st;
}

#define DEFINE_REDUCE(fn, kind)                                       \
    static rk_status fn(KERNEL_ARGS)                                  \
    {                                                                 \
        (void)ctx;                                                    \
        (void)nout;                                                   \
        return reduce_kernel(n, in, nin, out, kind, e);               \
    }

DEFINE_REDUCE(k_reduce_sum, R_SUM)
DEFINE_REDUCE(k_reduce_mean, R_MEAN)
DEFINE_REDUCE(k_reduce_max, R_MAX)
DEFINE_REDUCE(k_reduce_min, R_MIN)
DEFINE_REDUCE(k_reduce_prod, R_PROD)
DEFINE_REDUCE(k_reduce_l1, R_L1)
DEFINE_REDUCE(k_reduce_l2, R_L2)
DEFINE_REDUCE(k_reduce_log_sum, R_LOGSUM)
DEFINE_REDUCE(k_reduce_log_sum_exp, R_LOGSUMEXP)
DEFINE_REDUCE(k_reduce_sum_square, R_SUMSQ)

/* ---------------------------------------------------------- ArgMax/ArgMin */

static rk_status arg_extreme(const ox_node *n, const rk_tensor *const *in, int nin,
                             rk_tensor *out, bool want_max, rk_err *e)
{
    const rk_tensor *x;
    int axis = 0;
    TRY(oxd_need_input(n, in, nin, 0, "data", &x, e));
    if (!oxd_is_numeric(x->dtype))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: unsupported dtype %s", L(n),
                       rk_dtype_name(x->dtype));
    TRY(oxd_norm_axis(n, "'axis'", ox_attr_int_or(n, "axis", 0), x->ndim, &axis, e));
    bool keepdims = ox_attr_int_or(n, "keepdims", 1) != 0;
    bool last = ox_node_opset(n) >= 12 && ox_attr_int_or(n, "select_last_index", 0) != 0;
    int64_t dim = x->dims[axis];
    if (dim == 0)
        return rk_errf(e, RK_EINPUT, "%s: axis %d is empty", L(n), axis);
    int64_t dims[RK_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < x->ndim; d++)
        if (d != axis)
            dims[nd++] = x->dims[d];
        else if (keepdims)
            dims[nd++] = 1;
    TRY(rk_tensor_alloc(&out[0], NULL, RK_DT_I64, nd, dims, e));
    int64_t outer = oxd_dims_product(x->dims, 0, axis);
    int64_t inner = oxd_dims_product(x->dims, axis + 1, x->ndim);
    int64_t *o = out[0].data;
    for (int64_t a = 0; a < outer; a++)
        for (int64_t b = 0; b < inner; b++) {
            int64_t base = a * dim * inner + b, best = 0;
            double bv = oxd_get_f64(x, base);
            for (int64_t k = 1; k < dim; k++) {
                double v = oxd_get_f64(x, base + k * inner);
                bool better = want_max ? (last ? v >= bv : v > bv) : (last ? v <= bv : v < bv);
                if (better) {
                    bv = v;
                    best = k;
                }
            }
            o[a * inner + b] = best;
        }
    return RK_OK;
}

static rk_status k_argmax(KERNEL_ARGS)
{
    (void)ctx;
    (void)nout;
    return arg_extreme(n, in, nin, out, true, e);
}

static rk_status k_argmin(KERNEL_ARGS)
{
    (void)ctx;
    (void)nout;
    return arg_extreme(n, in, nin, out, false, e);
}

/* ------------------------------------------------------------------- TopK */

typedef struct topk_ctx {
    const double *vals;
    bool largest;
} topk_ctx;

/* Ties keep the lower index first (the sort is stable), as ONNX requires. */
static int topk_cmp(const void *vctx, int64_t a, int64_t b)
{
    const topk_ctx *c = vctx;
    double va = c->vals[a], vb = c->vals[b];
    if (c->largest)
        return va > vb ? -1 : va < vb ? 1 : 0;
    return va < vb ? -1 : va > vb ? 1 : 0;
}

static rk_status topk_read_k(const ox_node *n, const rk_tensor *const *in, int nin,
                             int64_t dim, int64_t *k, rk_err *e)
{
    if (ox_node_opset(n) < 10) {
        if (!ox_attr_has(n, "k"))
            return rk_errf(e, RK_EINPUT, "%s: attribute 'k' is missing", L(n));
        *k = ox_attr_int_or(n, "k", 0);
    } else {
        const rk_tensor *kt;
        TRY(oxd_need_input(n, in, nin, 1, "K", &kt, e));
        TRY(oxd_read_scalar_i64(n, kt, "'K'", k, e));
    }
    if (*k < 0 || *k > dim)
        return rk_errf(e, RK_EINPUT, "%s: K = %lld outside [0, %lld]", L(n), (long long)*k,
                       (long long)dim);
    return RK_OK;
}

static rk_status k_topk(KERNEL_ARGS)
{
    (void)ctx;
    const rk_tensor *x;
    int axis = 0;
    int64_t k = 0;
    TRY(oxd_need_input(n, in, nin, 0, "X", &x, e));
    if (nout < 2 || !oxd_is_numeric(x->dtype))
        return rk_errf(e, RK_EINPUT, "%s: needs a numeric input and two outputs", L(n));
    TRY(oxd_norm_axis(n, "'axis'", ox_attr_int_or(n, "axis", -1), x->ndim, &axis, e));
    int64_t dim = x->dims[axis];
    TRY(topk_read_k(n, in, nin, dim, &k, e));
    bool largest = ox_node_opset(n) < 11 || ox_attr_int_or(n, "largest", 1) != 0;
    /* 'sorted' = 0 leaves the order unspecified; sorted order is a valid one. */
    int64_t dims[RK_MAX_DIMS];
    memcpy(dims, x->dims, sizeof dims);
    dims[axis] = k;
    TRY(rk_tensor_alloc(&out[0], NULL, x->dtype, x->ndim, dims, e));
    TRY(rk_tensor_alloc(&out[1], NULL, RK_DT_I64, x->ndim, dims, e));
    double *vals = rk_malloc_array((size_t)(dim ? dim : 1), sizeof *vals);
    int64_t *idx = rk_malloc_array((size_t)(dim ? dim : 1), sizeof *idx);
    rk_status st = vals && idx ? RK_OK : rk_errf(e, RK_ENOMEM, "%s: out of memory", L(n));
    int64_t outer = oxd_dims_product(x->dims, 0, axis);
    int64_t inner = oxd_dims_product(x->dims, axis + 1, x->ndim);
    size_t es = rk_dtype_size(x->dtype);
    topk_ctx c = {.vals = vals, .largest = largest};
    for (int64_t a = 0; st == RK_OK && a < outer; a++)
        for (int64_t b = 0; st == RK_OK && b < inner; b++) {
            int64_t base = a * dim * inner + b, obase = a * k * inner + b;
            for (int64_t j = 0; j < dim; j++) {
                vals[j] = oxd_get_f64(x, base + j * inner);
                idx[j] = j;
            }
            st = oxd_stable_sort(idx, dim, topk_cmp, &c, e);
            for (int64_t j = 0; st == RK_OK && j < k; j++) {
                memcpy((char *)out[0].data + (size_t)(obase + j * inner) * es,
                       (const char *)x->data + (size_t)(base + idx[j] * inner) * es, es);
                ((int64_t *)out[1].data)[obase + j * inner] = idx[j];
            }
        }
    free(vals);
    free(idx);
    if (st != RK_OK) {
        rk_tensor_free(&out[0]);
        rk_tensor_free(&out[1]);
    }
    return st;
}

/* ----------------------------------------------------------------- CumSum */

static rk_status k_cumsum(KERNEL_ARGS)
{
    (void)ctx;
    (void)nout;
    const rk_tensor *x, *at;
    int64_t axis_v = 0;
    int axis = 0;
    TRY(oxd_need_input(n, in, nin, 0, "x", &x, e));
    TRY(oxd_need_input(n, in, nin, 1, "axis", &at, e));
    TRY(oxd_read_scalar_i64(n, at, "'axis'", &axis_v, e));
    TRY(oxd_norm_axis(n, "'axis'", axis_v, x->ndim, &axis, e));
    if (!oxd_is_numeric(x->dtype))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: unsupported dtype %s", L(n),
                       rk_dtype_name(x->dtype));
    bool exclusive = ox_attr_int_or(n, "exclusive", 0) != 0;
    bool reverse = ox_attr_int_or(n, "reverse", 0) != 0;
    bool ints = oxd_is_integer(x->dtype);
    TRY(rk_tensor_alloc(&out[0], NULL, x->dtype, x->ndim, x->dims, e));
    int64_t dim = x->dims[axis];
    int64_t outer = oxd_dims_product(x->dims, 0, axis);
    int64_t inner = oxd_dims_product(x->dims, axis + 1, x->ndim);
    for (int64_t a = 0; a < outer; a++)
        for (int64_t b = 0; b < inner; b++) {
            double fsum = 0.0;
            int64_t isum = 0;
            for (int64_t s = 0; s < dim; s++) {
                int64_t j = reverse ? dim - 1 - s : s;
                int64_t i = (a * dim + j) * inner + b;
                if (exclusive)
                    ints ? oxd_set_i64(&out[0], i, isum) : oxd_set_f64(&out[0], i, fsum);
                if (ints)
                    isum = (int64_t)((uint64_t)isum + (uint64_t)oxd_get_i64(x, i));
                else
                    fsum += oxd_get_f64(x, i);
                if (!exclusive)
                    ints ? oxd_set_i64(&out[0], i, isum) : oxd_set_f64(&out[0], i, fsum);
            }
        }
    return RK_OK;
}

/* ---------------------------------------------------------------- NonZero */

static rk_status k_nonzero(KERNEL_ARGS)
{
    (void)ctx;
    (void)nout;
    const rk_tensor *x;
    TRY(oxd_need_input(n, in, nin, 0, "X", &x, e));
    if (!oxd_is_numeric(x->dtype))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: unsupported dtype %s", L(n),
                       rk_dtype_name(x->dtype));
    int64_t nnz = 0;
    for (int64_t i = 0; i < x->nelem; i++)
        nnz += oxd_get_f64(x, i) != 0.0;
    /* A scalar is treated as a 1-element vector (numpy.nonzero, onnxruntime). */
    int rank = x->ndim ? x->ndim : 1;
    int64_t dims[2] = {rank, nnz}, xdims[RK_MAX_DIMS];
    memcpy(xdims, x->dims, sizeof xdims);
    if (x->ndim == 0)
        xdims[0] = 1;
    TRY(rk_tensor_alloc(&out[0], NULL, RK_DT_I64, 2, dims, e));
    int64_t *o = out[0].data, coord[RK_MAX_DIMS] = {0}, k = 0;
    for (int64_t i = 0; i < x->nelem; i++) {
        if (oxd_get_f64(x, i) != 0.0) {
            for (int d = 0; d < rank; d++)
                o[d * nnz + k] = coord[d];
            k++;
        }
        for (int d = rank - 1; d >= 0; d--) {
            if (++coord[d] < xdims[d])
                break;
            coord[d] = 0;
        }
    }
    return RK_OK;
}

/* ----------------------------------------------------------------- OneHot */

static rk_status k_onehot(KERNEL_ARGS)
{
    (void)ctx;
    (void)nout;
    const rk_tensor *idx, *dt, *vals;
    double depth_f = 0.0;
    TRY(oxd_need_input(n, in, nin, 0, "indices", &idx, e));
    TRY(oxd_need_input(n, in, nin, 1, "depth", &dt, e));
    TRY(oxd_need_input(n, in, nin, 2, "values", &vals, e));
    TRY(oxd_read_scalar_f64(n, dt, "'depth'", &depth_f, e));
    if (!(depth_f >= 1.0 && depth_f <= (double)(INT64_C(1) << 31)))
        return rk_errf(e, RK_EINPUT, "%s: 'depth' %g is not a positive count", L(n), depth_f);
    if (vals->nelem != 2 || !oxd_is_numeric(idx->dtype))
        return rk_errf(e, RK_EINPUT, "%s: 'values' must hold [off, on] and 'indices' be "
                       "numeric", L(n));
    int64_t depth = (int64_t)depth_f;
    int rank = idx->ndim + 1, axis;
    TRY(oxd_norm_axis(n, "'axis'", ox_attr_int_or(n, "axis", -1), rank, &axis, e));
    if (rank > RK_MAX_DIMS)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: output rank %d exceeds %d", L(n), rank,
                       RK_MAX_DIMS);
    int64_t dims[RK_MAX_DIMS];
    for (int d = 0, s = 0; d < rank; d++)
        dims[d] = d == axis ? depth : idx->dims[s++];
    TRY(rk_tensor_alloc(&out[0], NULL, vals->dtype, rank, dims, e));
    size_t es = rk_dtype_size(vals->dtype);
    const char *off = vals->data, *on = (const char *)vals->data + es;
    for (int64_t i = 0; i < out[0].nelem; i++)
        memcpy((char *)out[0].data + (size_t)i * es, off, es);
    int64_t inner = oxd_dims_product(idx->dims, axis, idx->ndim);
    for (int64_t i = 0; i < idx->nelem; i++) {
        int64_t v = oxd_get_i64(idx, i), o = i / inner, r = i % inner;
        if (v < 0 && ox_node_opset(n) >= 11)
            v += depth;
        if (v < 0 || v >= depth)
            continue; /* out-of-range indices give an all-'off' vector (spec) */
        memcpy((char *)out[0].data + (size_t)((o * depth + v) * inner + r) * es, on, es);
    }
    return RK_OK;
}

/* ------------------------------------------------------------------ table */

#define REDUCE_VERSIONS(name, fn) \
    {"", name, 1, fn}, {"", name, 11, fn}, {"", name, 13, fn}, {"", name, 18, fn}

const ox_op_def ox_ops_reduce[] = {
    {"", "ReduceSum", 1, k_reduce_sum},
    {"", "ReduceSum", 11, k_reduce_sum},
    {"", "ReduceSum", 13, k_reduce_sum}, /* axes input, noop_with_empty_axes */
    REDUCE_VERSIONS("ReduceMean", k_reduce_mean),
    REDUCE_VERSIONS("ReduceMax", k_reduce_max),
    REDUCE_VERSIONS("ReduceMin", k_reduce_min),
    REDUCE_VERSIONS("ReduceProd", k_reduce_prod),
    REDUCE_VERSIONS("ReduceL1", k_reduce_l1),
    REDUCE_VERSIONS("ReduceL2", k_reduce_l2),
    REDUCE_VERSIONS("ReduceLogSum", k_reduce_log_sum),
    REDUCE_VERSIONS("ReduceLogSumExp", k_reduce_log_sum_exp),
    REDUCE_VERSIONS("ReduceSumSquare", k_reduce_sum_square),
    {"", "ArgMax", 1, k_argmax},
    {"", "ArgMax", 11, k_argmax},
    {"", "ArgMax", 12, k_argmax}, /* select_last_index */
    {"", "ArgMin", 1, k_argmin},
    {"", "ArgMin", 11, k_argmin},
    {"", "ArgMin", 12, k_argmin},
    {"", "TopK", 1, k_topk},      /* k attribute */
    {"", "TopK", 10, k_topk},     /* K input */
    {"", "TopK", 11, k_topk},     /* largest, sorted */
    {"", "CumSum", 11, k_cumsum},
    {"", "NonZero", 9, k_nonzero},
    {"", "OneHot", 9, k_onehot},
    {"", "OneHot", 11, k_onehot}, /* negative indices */
    {NULL, NULL, 0, NULL},
};
