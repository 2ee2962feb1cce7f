/*
 * ops_shape.c - data-movement operators: Reshape, Flatten, Squeeze,
 * Unsqueeze, Transpose, Concat, Split, Slice, Gather, GatherElements,
 * GatherND, ScatterND, ScatterElements/Scatter, Expand, Tile, Pad, Shape,
 * Size, ConstantOfShape, Constant, Range, Cast, CastLike, Compress, Trilu,
 * ReverseSequence.
 *
 * Semantics follow the ONNX operator specification (onnx/docs/Operators.md,
 * one table entry per opset that changed an op's inputs or attributes).
 * All kernels except Cast/Range/Constant copy raw elements, so they accept
 * every fixed-size dtype.  String tensors (owned char * elements) reach only
 * Cast/CastLike here: the runner refuses them for every other op
 * (runner.c, refuse_strings).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h> /* strcasecmp */

#include "ops_data.h"

#define UNUSED_KERNEL_ARGS \
    (void)ctx;             \
    (void)nout

/* Bound on element counts computed from user-supplied shapes, to refuse
 * overflow before rk_tensor_alloc sees it (rk_tensor_alloc caps at 2^40). */
#define SHAPE_LIMIT (INT64_C(1) << 40)

static rk_status check_product(const ox_node *n, const int64_t *dims, int ndim, rk_err *e)
{
    int64_t p = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] < 0)
            return rk_errf(e, RK_EINPUT, "%s: output dimension %d is negative (%lld)",
                           L(n), i, (long long)dims[i]);
        if (dims[i] && p > SHAPE_LIMIT / dims[i])
            return rk_errf(e, RK_EINPUT, "%s: output shape is too large", L(n));
        p *= dims[i];
    }
    return RK_OK;
}

/* Output with x's bytes under a new shape of the same element count. */
static rk_status alloc_reshaped(const ox_node *n, rk_tensor *o, const rk_tensor *x, int ndim,
                                const int64_t *dims, rk_err *e)
{
    TRY(rk_tensor_alloc(o, NULL, x->dtype, ndim, dims, e));
    if (o->nelem != x->nelem) {
        rk_tensor_free(o);
        return rk_errf(e, RK_EINTERNAL, "%s: reshape element count mismatch", L(n));
    }
    if (x->nelem)
        memcpy(o->data, x->data, rk_tensor_bytes(x));
    return RK_OK;
}

/* Fills count elements of size es with one value.  Storage from
 * rk_tensor_alloc is already zero, so an all-zero value costs nothing;
 * otherwise the filled prefix doubles with each memcpy. */
static void fill_repeat(void *dst, size_t count, const void *value, size_t es)
{
    bool zero = true;
    for (size_t i = 0; i < es; i++)
        zero = zero && ((const uint8_t *)value)[i] == 0;
    if (zero || count == 0)
        return;
    memcpy(dst, value, es);
    size_t done = 1;
    while (done < count) {
        size_t n = RK_MIN(done, count - done);
        memcpy((char *)dst + done * es, dst, n * es);
        done += n;
    }
}

/* ---------------------------------------------------------------- Reshape */

/* Resolves 0 (copy input dim unless allowzero) and a single -1. */
static rk_status reshape_resolve(const ox_node *n, const rk_tensor *x, const int64_t *shape,
                                 int count, bool allowzero, int64_t *dims, rk_err *e)
{
    int infer = -1;
    int64_t known = 1;
    bool has_zero = false;
    for (int i = 0; i < count; i++) {
        int64_t v = shape[i];
        if (v == -1) {
            if (infer >= 0)
                return rk_errf(e, RK_EINPUT, "%s: 'shape' has more than one -1", L(n));
            infer = i;
            continue;
        }
        if (v == 0 && !allowzero) {
            if (i >= x->ndim)
                return rk_errf(e, RK_EINPUT,
                               "%s: 'shape'[%d] is 0 (copy) but the input has rank %d",
                               L(n), i, x->ndim);
            v = x->dims[i];
        }
        if (v < 0)
            return rk_errf(e, RK_EINPUT, "%s: 'shape'[%d] = %lld is invalid", L(n), i,
                           (long long)v);
        if (v == 0)
            has_zero = true;
        if (v && known > SHAPE_LIMIT / v)
            return rk_errf(e, RK_EINPUT, "%s: 'shape' is too large", L(n));
        known *= v;
        dims[i] = v;
    }
    if (infer >= 0) {
        if (has_zero || known == 0)
            return rk_errf(e, RK_EINPUT,
                           "%s: cannot infer the -1 dimension next to a zero dimension",
                           L(n));
        if (x->nelem % known)
            return rk_errf(e, RK_EINPUT,
                           "%s: %lld input elements do not divide into 'shape' (known "
                           "product %lld)",
                           L(n), (long long)x->nelem, (long long)known);
        dims[infer] = x->nelem / known;
    } else if (known != x->nelem) {
        return rk_errf(e, RK_EINPUT,
                       "%s: 'shape' has %lld elements but the input has %lld", L(n),
                       (long long)known, (long long)x->nelem);
    }
    return RK_OK;
}

static rk_status k_reshape(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x, *shape_t;
    int64_t shape[RK_MAX_DIMS], dims[RK_MAX_DIMS];
    int count = 0;
    TRY(oxd_need_input(n, in, nin, 0, "data", &x, e));
    if (ox_node_opset(n) < 5) {
        const int64_t *v;
        count = ox_attr_ints(n, "shape", &v);
        if (count < 0)
            return rk_errf(e, RK_EINPUT, "%s: attribute 'shape' is missing", L(n));
        if (count > RK_MAX_DIMS)
            return rk_errf(e, RK_EUNSUPPORTED, "%s: 'shape' rank %d exceeds %d", L(n), count,
                           RK_MAX_DIMS);
        if (count > 0)
            memcpy(shape, v, (size_t)count * sizeof *v);
    } else {
        TRY(oxd_need_input(n, in, nin, 1, "shape", &shape_t, e));
        TRY(oxd_read_ints(n, shape_t, "'shape'", shape, RK_MAX_DIMS, &count, e));
    }
    bool allowzero = ox_node_opset(n) >= 14 && ox_attr_int_or(n, "allowzero", 0) != 0;
    TRY(reshape_resolve(n, x, shape, count, allowzero, dims, e));
    return alloc_reshaped(n, &out[0], x, count, dims, e);
}

/* ---------------------------------------------------------------- Flatten */

static rk_status k_flatten(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x;
    TRY(oxd_need_input(n, in, nin, 0, "input", &x, e));
    int64_t axis = ox_attr_int_or(n, "axis", 1);
    if (axis < -(int64_t)x->ndim || axis > x->ndim)
        return rk_errf(e, RK_EINPUT, "%s: 'axis' %lld is outside [-%d, %d]", L(n),
                       (long long)axis, x->ndim, x->ndim);
    int a = (int)(axis < 0 ? axis + x->ndim : axis);
    int64_t dims[2] = {oxd_dims_product(x->dims, 0, a), oxd_dims_product(x->dims, a, x->ndim)};
    return alloc_reshaped(n, &out[0], x, 2, dims, e);
}

/* ------------------------------------------------------ Squeeze/Unsqueeze */

/* Axes from the attribute (before opset 13) or the second input (13+).
 * *count = -1 when neither is given. */
static rk_status axes_attr_or_input(const ox_node *n, const rk_tensor *const *in, int nin,
                                    int input_since, int input_index, int64_t *axes,
                                    int max, int *count, rk_err *e)
{
    *count = -1;
    if (ox_node_opset(n) < input_since) {
        const int64_t *v;
        int c = ox_attr_ints(n, "axes", &v);
        if (c < 0)
            return RK_OK;
        if (c > max)
            return rk_errf(e, RK_EINPUT, "%s: 'axes' has %d entries, at most %d", L(n), c,
                           max);
        if (c > 0)
            memcpy(axes, v, (size_t)c * sizeof *v);
        *count = c;
        return RK_OK;
    }
    const rk_tensor *t = oxd_opt_input(in, nin, input_index);
    if (!t)
        return RK_OK;
    return oxd_read_ints(n, t, "'axes'", axes, max, count, e);
}

static rk_status k_squeeze(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x;
    int64_t axes[RK_MAX_DIMS], dims[RK_MAX_DIMS];
    bool mask[RK_MAX_DIMS];
    int count, nd = 0;
    TRY(oxd_need_input(n, in, nin, 0, "data", &x, e));
    TRY(axes_attr_or_input(n, in, nin, 13, 1, axes, RK_MAX_DIMS, &count, e));
    if (count >= 0) {
        TRY(oxd_norm_axes(n, "'axes'", axes, count, x->ndim, mask, e));
        for (int d = 0; d < x->ndim; d++)
            if (mask[d] && x->dims[d] != 1)
                return rk_errf(e, RK_EINPUT, "%s: cannot squeeze axis %d of size %lld",
                               L(n), d, (long long)x->dims[d]);
    } else {
        for (int d = 0; d < x->ndim; d++)
            mask[d] = x->dims[d] == 1;
    }
    for (int d = 0; d < x->ndim; d++)
        if (!mask[d])
            dims[nd++] = x->dims[d];
    return alloc_reshaped(n, &out[0], x, nd, dims, e);
}

static rk_status k_unsqueeze(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x;
    int64_t axes[RK_MAX_DIMS], dims[RK_MAX_DIMS];
    bool mask[RK_MAX_DIMS];
    int count = 0;
    TRY(oxd_need_input(n, in, nin, 0, "data", &x, e));
    TRY(axes_attr_or_input(n, in, nin, 13, 1, axes, RK_MAX_DIMS, &count, e));
    if (count < 0)
        return rk_errf(e, RK_EINPUT, "%s: 'axes' is required", L(n));
    int rank = x->ndim + count;
    if (rank > RK_MAX_DIMS)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: output rank %d exceeds %d", L(n), rank,
                       RK_MAX_DIMS);
    TRY(oxd_norm_axes(n, "'axes'", axes, count, rank, mask, e));
    for (int d = 0, src = 0; d < rank; d++)
        dims[d] = mask[d] ? 1 : x->dims[src++];
    return alloc_reshaped(n, &out[0], x, rank, dims, e);
}

/* -------------------------------------------------------------- Transpose */

static rk_status k_transpose(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x;
    TRY(oxd_need_input(n, in, nin, 0, "data", &x, e));
    int64_t perm[RK_MAX_DIMS], dims[RK_MAX_DIMS], strides[RK_MAX_DIMS], vstr[RK_MAX_DIMS];
    const int64_t *p;
    int count = ox_attr_ints(n, "perm", &p);
    if (count < 0) {
        for (int d = 0; d < x->ndim; d++)
            perm[d] = x->ndim - 1 - d;
    } else {
        if (count != x->ndim)
            return rk_errf(e, RK_EINPUT, "%s: 'perm' has %d entries for rank %d", L(n),
                           count, x->ndim);
        if (count > 0)
            memcpy(perm, p, (size_t)count * sizeof *p);
    }
    bool seen[RK_MAX_DIMS] = {false};
    for (int d = 0; d < x->ndim; d++) {
        if (perm[d] < 0 || perm[d] >= x->ndim || seen[perm[d]])
            return rk_errf(e, RK_EINPUT, "%s: 'perm' is not a permutation of 0..%d", L(n),
                           x->ndim - 1);
        seen[perm[d]] = true;
    }
    oxd_strides(x, strides);
    for (int d = 0; d < x->ndim; d++) {
        dims[d] = x->dims[perm[d]];
        vstr[d] = strides[perm[d]];
    }
    TRY(rk_tensor_alloc(&out[0], NULL, x->dtype, x->ndim, dims, e));
    oxd_strided_copy(out[0].data, x->data, 0, x->ndim, dims, vstr, rk_dtype_size(x->dtype));
    return RK_OK;
}

/* ----------------------------------------------------------------- Concat */

static rk_status k_concat(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    if (nin < 1 || !in[0])
        return rk_errf(e, RK_EINPUT, "%s: needs at least one input", L(n));
    const rk_tensor *first = in[0];
    if (first->ndim == 0)
        return rk_errf(e, RK_EINPUT, "%s: cannot concatenate scalars", L(n));
    /* Concat-1 had an optional axis defaulting to 1; from opset 4 it is required. */
    if (ox_node_opset(n) >= 4 && !ox_attr_has(n, "axis"))
        return rk_errf(e, RK_EINPUT, "%s: attribute 'axis' is missing", L(n));
    int axis = 0;
    TRY(oxd_norm_axis(n, "'axis'", ox_attr_int_or(n, "axis", 1), first->ndim, &axis, e));
    int64_t dims[RK_MAX_DIMS];
    memcpy(dims, first->dims, sizeof dims);
    dims[axis] = 0;
    for (int i = 0; i < nin; i++) {
        const rk_tensor *t = in[i];
        if (!t)
            return rk_errf(e, RK_EINPUT, "%s: input %d is missing", L(n), i);
        if (t->dtype != first->dtype || t->ndim != first->ndim)
            return rk_errf(e, RK_EINPUT, "%s: input %d (%s, rank %d) differs from input 0 "
                           "(%s, rank %d)", L(n), i, rk_dtype_name(t->dtype), t->ndim,
                           rk_dtype_name(first->dtype), first->ndim);
        for (int d = 0; d < t->ndim; d++)
            if (d != axis && t->dims[d] != first->dims[d])
                return rk_errf(e, RK_EINPUT,
                               "%s: input %d has %lld at axis %d, input 0 has %lld", L(n), i,
                               (long long)t->dims[d], d, (long long)first->dims[d]);
        dims[axis] += t->dims[axis];
    }
    TRY(check_product(n, dims, first->ndim, e));
    TRY(rk_tensor_alloc(&out[0], NULL, first->dtype, first->ndim, dims, e));
    size_t es = rk_dtype_size(first->dtype);
    int64_t outer = oxd_dims_product(dims, 0, axis);
    int64_t inner = oxd_dims_product(dims, axis + 1, first->ndim);
    char *dst = out[0].data;
    for (int64_t o = 0; o < outer; o++) {
        for (int i = 0; i < nin; i++) {
            size_t chunk = (size_t)(in[i]->dims[axis] * inner) * es;
            if (!chunk)
                continue;
            memcpy(dst, (const char *)in[i]->data + (size_t)o * chunk, chunk);
            dst += chunk;
        }
    }
    return RK_OK;
}

/* ------------------------------------------------------------------ Split */

/* The split sizes, from wherever this opset keeps them. */
static rk_status split_sizes(const ox_node *n, const rk_tensor *const *in, int nin,
                             int64_t dim, int nout, int64_t *sizes, rk_err *e)
{
    int opset = ox_node_opset(n), count = -1;
    const rk_tensor *split_in = opset >= 13 || opset == 1 ? oxd_opt_input(in, nin, 1) : NULL;
    if (split_in) {
        TRY(oxd_read_ints(n, split_in, "'split'", sizes, nout, &count, e));
    } else if (opset < 13) {
        const int64_t *v;
        count = ox_attr_ints(n, "split", &v);
        if (count > nout)
            return rk_errf(e, RK_EINPUT, "%s: 'split' has %d entries for %d outputs", L(n),
                           count, nout);
        if (count > 0)
            memcpy(sizes, v, (size_t)count * sizeof *v);
    }
    if (count >= 0 && opset >= 18 && ox_attr_has(n, "num_outputs"))
        return rk_errf(e, RK_EINPUT, "%s: both 'split' and 'num_outputs' are given", L(n));
    if (count < 0 && opset >= 18 && ox_attr_has(n, "num_outputs")) {
        int64_t parts = ox_attr_int_or(n, "num_outputs", 0);
        if (parts != nout)
            return rk_errf(e, RK_EINPUT, "%s: 'num_outputs' %lld but %d outputs", L(n),
                           (long long)parts, nout);
        /* Opset 18: chunks of ceil(dim / n), the last one smaller. */
        int64_t chunk = (dim + nout - 1) / nout;
        for (int i = 0; i < nout; i++)
            sizes[i] = RK_MIN(chunk, RK_MAX(dim - chunk * i, 0));
        count = nout;
    } else if (count < 0) {
        if (dim % nout)
            return rk_errf(e, RK_EINPUT, "%s: axis of size %lld does not split evenly into "
                           "%d outputs", L(n), (long long)dim, nout);
        for (int i = 0; i < nout; i++)
            sizes[i] = dim / nout;
        count = nout;
    }
    if (count != nout)
        return rk_errf(e, RK_EINPUT, "%s: 'split' has %d entries for %d outputs", L(n), count,
                       nout);
    int64_t total = 0;
    for (int i = 0; i < nout; i++) {
        if (sizes[i] < 0 || sizes[i] > dim - total)
            return rk_errf(e, RK_EINPUT, "%s: 'split'[%d] = %lld is negative or overruns the "
                           "axis of %lld", L(n), i, (long long)sizes[i], (long long)dim);
        total += sizes[i];
    }
    if (total != dim)
        return rk_errf(e, RK_EINPUT, "%s: 'split' sums to %lld, the axis has %lld", L(n),
                       (long long)total, (long long)dim);
    return RK_OK;
}

static rk_status k_split(KERNEL_ARGS)
{
    (void)ctx;
    const rk_tensor *x;
    TRY(oxd_need_input(n, in, nin, 0, "input", &x, e));
    if (nout < 1)
        return rk_errf(e, RK_EINPUT, "%s: has no outputs", L(n));
    int axis = 0;
    TRY(oxd_norm_axis(n, "'axis'", ox_attr_int_or(n, "axis", 0), x->ndim, &axis, e));
    int64_t *sizes = rk_calloc_array((size_t)nout, sizeof *sizes);
    if (!sizes)
        return rk_errf(e, RK_ENOMEM, "%s: out of memory", L(n));
    rk_status st = split_sizes(n, in, nin, x->dims[axis], nout, sizes, e);
    size_t es = rk_dtype_size(x->dtype);
    int64_t outer = oxd_dims_product(x->dims, 0, axis);
    int64_t inner = oxd_dims_product(x->dims, axis + 1, x->ndim);
    size_t in_row = (size_t)(x->dims[axis] * inner) * es, offset = 0;
    for (int i = 0; st == RK_OK && i < nout; i++) {
        int64_t dims[RK_MAX_DIMS];
        memcpy(dims, x->dims, sizeof dims);
        dims[axis] = sizes[i];
        st = rk_tensor_alloc(&out[i], NULL, x->dtype, x->ndim, dims, e);
        if (st != RK_OK)
            break;
        size_t chunk = (size_t)(sizes[i] * inner) * es;
        for (int64_t o = 0; o < outer && chunk; o++)
            memcpy((char *)out[i].data + (size_t)o * chunk,
                   (const char *)x->data + (size_t)o * in_row + offset, chunk);
        offset += chunk;
    }
    free(sizes);
    return st;
}

/* ------------------------------------------------------------------ Slice */

typedef struct slice_spec {
    int64_t starts[RK_MAX_DIMS], ends[RK_MAX_DIMS], axes[RK_MAX_DIMS], steps[RK_MAX_DIMS];
    int count;
} slice_spec;

static rk_status slice_read_attrs(const ox_node *n, slice_spec *s, rk_err *e)
{
    const int64_t *st, *en, *ax;
    int ns = ox_attr_ints(n, "starts", &st), ne = ox_attr_ints(n, "ends", &en);
    int na = ox_attr_ints(n, "axes", &ax);
    if (ns < 0 || ne < 0 || ns != ne || ns > RK_MAX_DIMS || (na >= 0 && na != ns))
        return rk_errf(e, RK_EINPUT, "%s: 'starts'/'ends'/'axes' are missing or differ in "
                       "length", L(n));
    s->count = ns;
    for (int i = 0; i < ns; i++) {
        s->starts[i] = st[i];
        s->ends[i] = en[i];
        s->axes[i] = na >= 0 ? ax[i] : i;
        s->steps[i] = 1;
    }
    return RK_OK;
}

static rk_status slice_read_inputs(const ox_node *n, const rk_tensor *const *in, int nin,
                                   slice_spec *s, rk_err *e)
{
    const rk_tensor *ts, *te, *ta = oxd_opt_input(in, nin, 3), *tp = oxd_opt_input(in, nin, 4);
    int ns, ne, na, np;
    TRY(oxd_need_input(n, in, nin, 1, "starts", &ts, e));
    TRY(oxd_need_input(n, in, nin, 2, "ends", &te, e));
    TRY(oxd_read_ints(n, ts, "'starts'", s->starts, RK_MAX_DIMS, &ns, e));
    TRY(oxd_read_ints(n, te, "'ends'", s->ends, RK_MAX_DIMS, &ne, e));
    na = np = ns;
    if (ta)
        TRY(oxd_read_ints(n, ta, "'axes'", s->axes, RK_MAX_DIMS, &na, e));
    else
        for (int i = 0; i < ns; i++)
            s->axes[i] = i;
    if (tp)
        TRY(oxd_read_ints(n, tp, "'steps'", s->steps, RK_MAX_DIMS, &np, e));
    else
        for (int i = 0; i < ns; i++)
            s->steps[i] = 1;
    if (ne != ns || na != ns || np != ns)
        return rk_errf(e, RK_EINPUT, "%s: 'starts' (%d), 'ends' (%d), 'axes' (%d) and "
                       "'steps' (%d) differ in length", L(n), ns, ne, na, np);
    s->count = ns;
    return RK_OK;
}

/* Clamps one axis per the ONNX Slice rules; returns the output length. */
static int64_t slice_clamp(int64_t dim, int64_t step, int64_t *start, int64_t end)
{
    int64_t st = *start;
    if (st < 0)
        st += dim;
    if (end < 0)
        end += dim;
    if (dim == 0) {
        *start = 0;
        return 0;
    }
    if (step > 0) {
        st = RK_MIN(RK_MAX(st, 0), dim);
        end = RK_MIN(RK_MAX(end, 0), dim);
        *start = st;
        return end > st ? (end - st - 1) / step + 1 : 0; /* no overflow for huge steps */
    }
    st = RK_MIN(RK_MAX(st, 0), dim - 1);
    end = RK_MIN(RK_MAX(end, -1), dim - 1);
    *start = st;
    /* -step cannot overflow: step == INT64_MIN would give length 1 either way. */
    int64_t mag = step == INT64_MIN ? INT64_MAX : -step;
    return st > end ? (st - end - 1) / mag + 1 : 0;
}

static rk_status k_slice(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x;
    slice_spec s = {0};
    TRY(oxd_need_input(n, in, nin, 0, "data", &x, e));
    if (ox_node_opset(n) < 10)
        TRY(slice_read_attrs(n, &s, e));
    else
        TRY(slice_read_inputs(n, in, nin, &s, e));
    int64_t dims[RK_MAX_DIMS], strides[RK_MAX_DIMS], vstr[RK_MAX_DIMS], base = 0;
    bool seen[RK_MAX_DIMS] = {false};
    oxd_strides(x, strides);
    memcpy(dims, x->dims, sizeof dims);
    memcpy(vstr, strides, sizeof vstr);
    for (int i = 0; i < s.count; i++) {
        int a = 0;
        TRY(oxd_norm_axis(n, "'axes' entry", s.axes[i], x->ndim, &a, e));
        if (seen[a])
            return rk_errf(e, RK_EINPUT, "%s: 'axes' names axis %d twice", L(n), a);
        seen[a] = true;
        if (s.steps[i] == 0)
            return rk_errf(e, RK_EINPUT, "%s: 'steps' for axis %d is 0", L(n), a);
        int64_t start = s.starts[i];
        dims[a] = slice_clamp(x->dims[a], s.steps[i], &start, s.ends[i]);
        base += start * strides[a];
        /* With two or more outputs |step| < dim, so the product is small;
         * with fewer the stride is never used (and a huge step would overflow). */
        vstr[a] = dims[a] > 1 ? strides[a] * s.steps[i] : 0;
    }
    TRY(rk_tensor_alloc(&out[0], NULL, x->dtype, x->ndim, dims, e));
    if (out[0].nelem)
        oxd_strided_copy(out[0].data, x->data, base, x->ndim, dims, vstr,
                         rk_dtype_size(x->dtype));
    return RK_OK;
}

/* ----------------------------------------------------------------- Gather */

/* Index value i of an int32/int64 tensor, wrapped once if negative and
 * range-checked against dim. */
static rk_status fetch_index(const ox_node *n, const rk_tensor *idx, int64_t i, int64_t dim,
                             int64_t *out, rk_err *e)
{
    int64_t v = oxd_get_i64(idx, i);
    int64_t w = v < 0 ? v + dim : v;
    if (w < 0 || w >= dim)
        return rk_errf(e, RK_EINPUT, "%s: index %lld is out of range for a dimension of %lld",
                       L(n), (long long)v, (long long)dim);
    *out = w;
    return RK_OK;
}

static rk_status k_gather(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x, *idx;
    TRY(oxd_need_input(n, in, nin, 0, "data", &x, e));
    TRY(oxd_need_input(n, in, nin, 1, "indices", &idx, e));
    TRY(oxd_need_dtype_int(n, idx, "'indices'", e));
    int axis = 0;
    TRY(oxd_norm_axis(n, "'axis'", ox_attr_int_or(n, "axis", 0), x->ndim, &axis, e));
    int rank = x->ndim - 1 + idx->ndim;
    if (rank > RK_MAX_DIMS)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: output rank %d exceeds %d", L(n), rank,
                       RK_MAX_DIMS);
    int64_t dims[RK_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < axis; d++)
        dims[nd++] = x->dims[d];
    for (int d = 0; d < idx->ndim; d++)
        dims[nd++] = idx->dims[d];
    for (int d = axis + 1; d < x->ndim; d++)
        dims[nd++] = x->dims[d];
    TRY(rk_tensor_alloc(&out[0], NULL, x->dtype, rank, dims, e));
    size_t es = rk_dtype_size(x->dtype);
    int64_t outer = oxd_dims_product(x->dims, 0, axis), dim = x->dims[axis];
    size_t inner = (size_t)oxd_dims_product(x->dims, axis + 1, x->ndim) * es;
    char *dst = out[0].data;
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t j = 0; j < idx->nelem; j++) {
            int64_t k = 0;
            rk_status st = fetch_index(n, idx, j, dim, &k, e);
            if (st != RK_OK) {
                rk_tensor_free(&out[0]);
                return st;
            }
            memcpy(dst, (const char *)x->data + (size_t)(o * dim + k) * inner, inner);
            dst += inner;
        }
    }
    return RK_OK;
}

/* Walks every coordinate of `shape` (rank r) and calls visit with the
 * element's linear index and its coordinate. */
typedef rk_status (*coord_visit_fn)(void *ctx, int64_t linear, const int64_t *coord,
                                    rk_err *e);

static rk_status for_each_coord(const rk_tensor *shape, coord_visit_fn visit, void *vctx,
                                rk_err *e)
{
    int64_t coord[RK_MAX_DIMS] = {0};
    for (int64_t i = 0; i < shape->nelem; i++) {
        TRY(visit(vctx, i, coord, e));
        for (int d = shape->ndim - 1; d >= 0; d--) {
            if (++coord[d] < shape->dims[d])
                break;
            coord[d] = 0;
        }
    }
    return RK_OK;
}

/* Shared state of GatherElements and ScatterElements: data element offset
 * for an index coordinate with the axis coordinate replaced. */
typedef enum scatter_reduction {
    RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN
} scatter_reduction;

typedef struct elements_ctx {
    const ox_node *n;
    const rk_tensor *data, *idx, *updates;
    rk_tensor *out;
    int axis;
    int64_t strides[RK_MAX_DIMS];
    size_t es;
    scatter_reduction red;
} elements_ctx;

static rk_status elements_offset(elements_ctx *c, int64_t linear, const int64_t *coord,
                                 int64_t *off, rk_err *e)
{
    int64_t k = 0;
    TRY(fetch_index(c->n, c->idx, linear, c->data->dims[c->axis], &k, e));
    int64_t o = 0;
    for (int d = 0; d < c->data->ndim; d++)
        o += (d == c->axis ? k : coord[d]) * c->strides[d];
    *off = o;
    return RK_OK;
}

static rk_status gather_elements_visit(void *vctx, int64_t linear, const int64_t *coord,
                                       rk_err *e)
{
    elements_ctx *c = vctx;
    int64_t off = 0;
    TRY(elements_offset(c, linear, coord, &off, e));
    memcpy((char *)c->out->data + (size_t)linear * c->es,
           (const char *)c->data->data + (size_t)off * c->es, c->es);
    return RK_OK;
}

/* indices must have data's rank and fit inside data on the other axes. */
static rk_status elements_check(const ox_node *n, const rk_tensor *x, const rk_tensor *idx,
                                int axis, rk_err *e)
{
    TRY(oxd_need_dtype_int(n, idx, "'indices'", e));
    if (idx->ndim != x->ndim)
        return rk_errf(e, RK_EINPUT, "%s: 'indices' rank %d differs from data rank %d", L(n),
                       idx->ndim, x->ndim);
    for (int d = 0; d < x->ndim; d++)
        if (d != axis && idx->dims[d] > x->dims[d])
            return rk_errf(e, RK_EINPUT, "%s: 'indices' dimension %d (%lld) exceeds data's "
                           "(%lld)", L(n), d, (long long)idx->dims[d],
                           (long long)x->dims[d]);
    return RK_OK;
}

static rk_status k_gather_elements(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x, *idx;
    TRY(oxd_need_input(n, in, nin, 0, "data", &x, e));
    TRY(oxd_need_input(n, in, nin, 1, "indices", &idx, e));
    elements_ctx c = {.n = n, .data = x, .idx = idx, .out = &out[0],
                      .es = rk_dtype_size(x->dtype)};
    TRY(oxd_norm_axis(n, "'axis'", ox_attr_int_or(n, "axis", 0), x->ndim, &c.axis, e));
    TRY(elements_check(n, x, idx, c.axis, e));
    oxd_strides(x, c.strides);
    TRY(rk_tensor_alloc(&out[0], NULL, x->dtype, idx->ndim, idx->dims, e));
    rk_status st = for_each_coord(idx, gather_elements_visit, &c, e);
    if (st != RK_OK)
        rk_tensor_free(&out[0]);
    return st;
}

/* --------------------------------------------------------------- GatherND */

/* Data offset (in elements) addressed by the index tuple at tuple_start. */
static rk_status nd_offset(const ox_node *n, const rk_tensor *x, const rk_tensor *idx,
                           int64_t tuple_start, int first_axis, int m, const int64_t *strides,
                           int64_t *off, rk_err *e)
{
    int64_t o = 0;
    for (int k = 0; k < m; k++) {
        int64_t v = 0;
        TRY(fetch_index(n, idx, tuple_start + k, x->dims[first_axis + k], &v, e));
        o += v * strides[first_axis + k];
    }
    *off = o;
    return RK_OK;
}

static rk_status k_gather_nd(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x, *idx;
    TRY(oxd_need_input(n, in, nin, 0, "data", &x, e));
    TRY(oxd_need_input(n, in, nin, 1, "indices", &idx, e));
    TRY(oxd_need_dtype_int(n, idx, "'indices'", e));
    int64_t b = ox_node_opset(n) >= 12 ? ox_attr_int_or(n, "batch_dims", 0) : 0;
    if (x->ndim < 1 || idx->ndim < 1 || b < 0 || b >= RK_MIN(x->ndim, idx->ndim))
        return rk_errf(e, RK_EINPUT, "%s: 'batch_dims' %lld invalid for data rank %d, "
                       "indices rank %d", L(n), (long long)b, x->ndim, idx->ndim);
    int q = idx->ndim, m = (int)idx->dims[q - 1];
    if (m < 1 || m > x->ndim - b)
        return rk_errf(e, RK_EINPUT, "%s: index tuples of length %d do not fit data rank %d "
                       "with %lld batch dims", L(n), m, x->ndim, (long long)b);
    for (int d = 0; d < b; d++)
        if (x->dims[d] != idx->dims[d])
            return rk_errf(e, RK_EINPUT, "%s: batch dimension %d differs (%lld vs %lld)",
                           L(n), d, (long long)x->dims[d], (long long)idx->dims[d]);
    int rank = q - 1 + x->ndim - (int)b - m;
    if (rank > RK_MAX_DIMS)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: output rank %d exceeds %d", L(n), rank,
                       RK_MAX_DIMS);
    int64_t dims[RK_MAX_DIMS], strides[RK_MAX_DIMS];
    int nd = 0;
    for (int d = 0; d < q - 1; d++)
        dims[nd++] = idx->dims[d];
    for (int d = (int)b + m; d < x->ndim; d++)
        dims[nd++] = x->dims[d];
    oxd_strides(x, strides);
    TRY(rk_tensor_alloc(&out[0], NULL, x->dtype, rank, dims, e));
    size_t es = rk_dtype_size(x->dtype);
    int64_t slice = oxd_dims_product(x->dims, (int)b + m, x->ndim);
    int64_t nbatch = oxd_dims_product(x->dims, 0, (int)b);
    int64_t batch_stride = oxd_dims_product(x->dims, (int)b, x->ndim);
    int64_t tuples = oxd_dims_product(idx->dims, (int)b, q - 1);
    char *dst = out[0].data;
    for (int64_t bi = 0; bi < nbatch; bi++) {
        for (int64_t t = 0; t < tuples; t++) {
            int64_t off = 0;
            rk_status st = nd_offset(n, x, idx, (bi * tuples + t) * m, (int)b, m, strides,
                                     &off, e);
            if (st != RK_OK) {
                rk_tensor_free(&out[0]);
                return st;
            }
            memcpy(dst, (const char *)x->data + (size_t)(bi * batch_stride + off) * es,
                   (size_t)slice * es);
            dst += (size_t)slice * es;
        }
    }
    return RK_OK;
}

/* -------------------------------------------------------------- Scatter* */

static rk_status read_reduction(const ox_node *n, scatter_reduction *red, rk_err *e)
{
    const char *r = ox_attr_string_or(n, "reduction", "none");
    static const struct { const char *name; scatter_reduction red; int since; } names[] = {
        {"none", RED_NONE, 1}, {"add", RED_ADD, 16}, {"mul", RED_MUL, 16},
        {"max", RED_MAX, 18}, {"min", RED_MIN, 18},
    };
    for (size_t i = 0; i < RK_ARRAY_LEN(names); i++) {
        if (strcmp(r, names[i].name) == 0) {
            if (ox_node_opset(n) < names[i].since)
                return rk_errf(e, RK_EINPUT, "%s: reduction '%s' needs opset %d", L(n), r,
                               names[i].since);
            *red = names[i].red;
            return RK_OK;
        }
    }
    return rk_errf(e, RK_EINPUT, "%s: unknown reduction '%s'", L(n), r);
}

/* out[oi] = reduce(out[oi], upd[ui]); integers combine in int64, floats in
 * double, so every dtype rounds once on store. */
static void scatter_combine(rk_tensor *o, int64_t oi, const rk_tensor *u, int64_t ui,
                            scatter_reduction red, size_t es)
{
    if (red == RED_NONE) {
        memcpy((char *)o->data + (size_t)oi * es, (const char *)u->data + (size_t)ui * es,
               es);
        return;
    }
    if (oxd_is_integer(o->dtype)) {
        int64_t a = oxd_get_i64(o, oi), b = oxd_get_i64(u, ui), r;
        switch (red) {
        case RED_ADD: r = (int64_t)((uint64_t)a + (uint64_t)b); break;
        case RED_MUL: r = (int64_t)((uint64_t)a * (uint64_t)b); break;
        case RED_MAX: r = RK_MAX(a, b); break;
        default: r = RK_MIN(a, b); break;
        }
        oxd_set_i64(o, oi, r);
        return;
    }
    double a = oxd_get_f64(o, oi), b = oxd_get_f64(u, ui), r;
    switch (red) {
    case RED_ADD: r = a + b; break;
    case RED_MUL: r = a * b; break;
    case RED_MAX: r = fmax(a, b); break;
    default: r = fmin(a, b); break;
    }
    oxd_set_f64(o, oi, r);
}

static rk_status scatter_elements_visit(void *vctx, int64_t linear, const int64_t *coord,
                                        rk_err *e)
{
    elements_ctx *c = vctx;
    int64_t off = 0;
    TRY(elements_offset(c, linear, coord, &off, e));
    scatter_combine(c->out, off, c->updates, linear, c->red, c->es);
    return RK_OK;
}

static rk_status k_scatter_elements(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x, *idx, *upd;
    TRY(oxd_need_input(n, in, nin, 0, "data", &x, e));
    TRY(oxd_need_input(n, in, nin, 1, "indices", &idx, e));
    TRY(oxd_need_input(n, in, nin, 2, "updates", &upd, e));
    elements_ctx c = {.n = n, .data = x, .idx = idx, .updates = upd, .out = &out[0],
                      .es = rk_dtype_size(x->dtype), .red = RED_NONE};
    TRY(oxd_norm_axis(n, "'axis'", ox_attr_int_or(n, "axis", 0), x->ndim, &c.axis, e));
    TRY(elements_check(n, x, idx, c.axis, e));
    if (strcmp(ox_node_op_type(n), "ScatterElements") == 0)
        TRY(read_reduction(n, &c.red, e));
    if (upd->dtype != x->dtype || !rk_shape_equal(upd, idx))
        return rk_errf(e, RK_EINPUT, "%s: 'updates' must match data's dtype and indices' "
                       "shape", L(n));
    oxd_strides(x, c.strides);
    TRY(rk_tensor_copy(&out[0], x, e));
    rk_status st = for_each_coord(idx, scatter_elements_visit, &c, e);
    if (st != RK_OK)
        rk_tensor_free(&out[0]);
    return st;
}

static rk_status k_scatter_nd(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x, *idx, *upd;
    scatter_reduction red = RED_NONE;
    TRY(oxd_need_input(n, in, nin, 0, "data", &x, e));
    TRY(oxd_need_input(n, in, nin, 1, "indices", &idx, e));
    TRY(oxd_need_input(n, in, nin, 2, "updates", &upd, e));
    TRY(oxd_need_dtype_int(n, idx, "'indices'", e));
    TRY(read_reduction(n, &red, e));
    int q = idx->ndim;
    int m = q ? (int)idx->dims[q - 1] : 0;
    if (q < 1 || m < 1 || m > x->ndim)
        return rk_errf(e, RK_EINPUT, "%s: 'indices' shape does not address data of rank %d",
                       L(n), x->ndim);
    /* updates.shape == indices.shape[:-1] + data.shape[m:] */
    bool ok = upd->dtype == x->dtype && upd->ndim == q - 1 + x->ndim - m;
    for (int d = 0; ok && d < upd->ndim; d++)
        ok = upd->dims[d] == (d < q - 1 ? idx->dims[d] : x->dims[m + d - (q - 1)]);
    if (!ok)
        return rk_errf(e, RK_EINPUT, "%s: 'updates' must be %s with shape indices[:-1] + "
                       "data[%d:]", L(n), rk_dtype_name(x->dtype), m);
    int64_t strides[RK_MAX_DIMS];
    oxd_strides(x, strides);
    TRY(rk_tensor_copy(&out[0], x, e));
    size_t es = rk_dtype_size(x->dtype);
    int64_t slice = oxd_dims_product(x->dims, m, x->ndim), tuples = idx->nelem / m;
    for (int64_t t = 0; t < tuples; t++) {
        int64_t off = 0;
        rk_status st = nd_offset(n, x, idx, t * m, 0, m, strides, &off, e);
        if (st != RK_OK) {
            rk_tensor_free(&out[0]);
            return st;
        }
        for (int64_t j = 0; j < slice; j++)
            scatter_combine(&out[0], off + j, upd, t * slice + j, red, es);
    }
    return RK_OK;
}

/* ----------------------------------------------------------------- Expand */

static rk_status k_expand(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x, *shape_t;
    int64_t shape[RK_MAX_DIMS], dims[RK_MAX_DIMS], strides[RK_MAX_DIMS], vstr[RK_MAX_DIMS];
    int count = 0;
    TRY(oxd_need_input(n, in, nin, 0, "input", &x, e));
    TRY(oxd_need_input(n, in, nin, 1, "shape", &shape_t, e));
    TRY(oxd_read_ints(n, shape_t, "'shape'", shape, RK_MAX_DIMS, &count, e));
    int rank = RK_MAX(count, x->ndim);
    oxd_strides(x, strides);
    for (int d = 0; d < rank; d++) {
        int xd = d - (rank - x->ndim), sd = d - (rank - count);
        int64_t a = xd >= 0 ? x->dims[xd] : 1, b = sd >= 0 ? shape[sd] : 1;
        if (b < 0 || (a != b && a != 1 && b != 1))
            return rk_errf(e, RK_EINPUT, "%s: input dimension %lld cannot broadcast to "
                           "%lld at output axis %d", L(n), (long long)a, (long long)b, d);
        dims[d] = a == 1 ? b : a;
        vstr[d] = (xd >= 0 && a == dims[d]) ? strides[xd] : 0;
    }
    TRY(check_product(n, dims, rank, e));
    TRY(rk_tensor_alloc(&out[0], NULL, x->dtype, rank, dims, e));
    oxd_strided_copy(out[0].data, x->data, 0, rank, dims, vstr, rk_dtype_size(x->dtype));
    return RK_OK;
}

/* ------------------------------------------------------------------- Tile */

static rk_status tile_repeats(const ox_node *n, const rk_tensor *const *in, int nin,
                              const rk_tensor *x, int64_t *reps, rk_err *e)
{
    if (ox_node_opset(n) < 6) {
        /* Tile-1: scalar 'tiles' repeats along scalar 'axis'. */
        const rk_tensor *tt, *ta;
        int64_t tiles, axis;
        int a = 0;
        TRY(oxd_need_input(n, in, nin, 1, "tiles", &tt, e));
        TRY(oxd_need_input(n, in, nin, 2, "axis", &ta, e));
        TRY(oxd_read_scalar_i64(n, tt, "'tiles'", &tiles, e));
        TRY(oxd_read_scalar_i64(n, ta, "'axis'", &axis, e));
        TRY(oxd_norm_axis(n, "'axis'", axis, x->ndim, &a, e));
        for (int d = 0; d < x->ndim; d++)
            reps[d] = d == a ? tiles : 1;
    } else {
        const rk_tensor *tr;
        int count = 0;
        TRY(oxd_need_input(n, in, nin, 1, "repeats", &tr, e));
        TRY(oxd_read_ints(n, tr, "'repeats'", reps, RK_MAX_DIMS, &count, e));
        if (count != x->ndim)
            return rk_errf(e, RK_EINPUT, "%s: 'repeats' has %d entries for rank %d", L(n),
                           count, x->ndim);
    }
    for (int d = 0; d < x->ndim; d++)
        if (reps[d] < 0)
            return rk_errf(e, RK_EINPUT, "%s: repeat %lld on axis %d is negative", L(n),
                           (long long)reps[d], d);
    return RK_OK;
}

static rk_status k_tile(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x;
    int64_t reps[RK_MAX_DIMS], dims[RK_MAX_DIMS], strides[RK_MAX_DIMS];
    int64_t vdims[OXD_MAX_VIEW_DIMS], vstr[OXD_MAX_VIEW_DIMS];
    TRY(oxd_need_input(n, in, nin, 0, "input", &x, e));
    TRY(tile_repeats(n, in, nin, x, reps, e));
    oxd_strides(x, strides);
    /* The output is the view [r0, d0, r1, d1, ...] with zero strides on
     * the repeat axes. */
    for (int d = 0; d < x->ndim; d++) {
        if (x->dims[d] && reps[d] > SHAPE_LIMIT / x->dims[d])
            return rk_errf(e, RK_EINPUT, "%s: output shape is too large", L(n));
        dims[d] = x->dims[d] * reps[d];
        vdims[2 * d] = reps[d];
        vdims[2 * d + 1] = x->dims[d];
        vstr[2 * d] = 0;
        vstr[2 * d + 1] = strides[d];
    }
    TRY(check_product(n, dims, x->ndim, e));
    TRY(rk_tensor_alloc(&out[0], NULL, x->dtype, x->ndim, dims, e));
    oxd_strided_copy(out[0].data, x->data, 0, 2 * x->ndim, vdims, vstr,
                     rk_dtype_size(x->dtype));
    return RK_OK;
}

/* -------------------------------------------------------------------- Pad */

typedef enum pad_mode { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP } pad_mode;

/* Per axis: the kept input range [lo, lo + len) after negative pads crop,
 * and the positive padding before it. */
typedef struct pad_plan {
    int rank;
    pad_mode mode;
    int64_t lo[RK_MAX_DIMS], len[RK_MAX_DIMS], before[RK_MAX_DIMS], dims[RK_MAX_DIMS];
    int64_t strides[RK_MAX_DIMS];
} pad_plan;

/* Input coordinate for output coordinate o on axis d, or -1 for the
 * constant value. */
static int64_t pad_map(const pad_plan *p, int d, int64_t o)
{
    int64_t c = o - p->before[d], len = p->len[d];
    if (c >= 0 && c < len)
        return p->lo[d] + c;
    switch (p->mode) {
    case PAD_CONSTANT:
        return -1;
    case PAD_EDGE:
        c = c < 0 ? 0 : len - 1;
        break;
    case PAD_WRAP:
        c = ((c % len) + len) % len;
        break;
    case PAD_REFLECT:
        if (len == 1) {
            c = 0;
        } else {
            /* Reflection without repeating the edge is periodic in 2(len-1). */
            int64_t period = 2 * (len - 1);
            c = ((c % period) + period) % period;
            if (c >= len)
                c = period - c;
        }
        break;
    }
    return p->lo[d] + c;
}

static rk_status pad_parse_mode(const ox_node *n, pad_mode *mode, rk_err *e)
{
    const char *m = ox_attr_string_or(n, "mode", "constant");
    if (strcmp(m, "constant") == 0)
        *mode = PAD_CONSTANT;
    else if (strcmp(m, "reflect") == 0)
        *mode = PAD_REFLECT;
    else if (strcmp(m, "edge") == 0)
        *mode = PAD_EDGE;
    else if (strcmp(m, "wrap") == 0 && ox_node_opset(n) >= 19)
        *mode = PAD_WRAP;
    else
        return rk_errf(e, RK_EINPUT, "%s: unknown pad mode '%s'", L(n), m);
    return RK_OK;
}

/* Reads pads (attribute 'paddings' in opset 1, 'pads' in 2-10, input from
 * 11, with optional 'axes' input from 18) into begin/end per axis. */
static rk_status pad_read_pads(const ox_node *n, const rk_tensor *const *in, int nin,
                               int rank, int64_t *begin, int64_t *end, rk_err *e)
{
    int64_t pads[2 * RK_MAX_DIMS], axes[RK_MAX_DIMS];
    int count, naxes = rank, opset = ox_node_opset(n);
    bool have_axes = false;
    if (opset < 11) {
        const int64_t *v;
        count = ox_attr_ints(n, opset < 2 ? "paddings" : "pads", &v);
        if (count < 0)
            return rk_errf(e, RK_EINPUT, "%s: attribute '%s' is missing", L(n),
                           opset < 2 ? "paddings" : "pads");
        if (count > 2 * RK_MAX_DIMS)
            return rk_errf(e, RK_EINPUT, "%s: too many pads (%d)", L(n), count);
        if (count > 0)
            memcpy(pads, v, (size_t)count * sizeof *v);
    } else {
        const rk_tensor *tp, *ta = opset >= 18 ? oxd_opt_input(in, nin, 3) : NULL;
        TRY(oxd_need_input(n, in, nin, 1, "pads", &tp, e));
        TRY(oxd_read_ints(n, tp, "'pads'", pads, 2 * RK_MAX_DIMS, &count, e));
        if (ta) {
            TRY(oxd_read_ints(n, ta, "'axes'", axes, RK_MAX_DIMS, &naxes, e));
            have_axes = true;
        }
    }
    if (!have_axes)
        for (int d = 0; d < rank; d++)
            axes[d] = d;
    if (count != 2 * naxes)
        return rk_errf(e, RK_EINPUT, "%s: %d pads for %d axes (need %d)", L(n), count, naxes,
                       2 * naxes);
    bool mask[RK_MAX_DIMS];
    TRY(oxd_norm_axes(n, "'axes'", axes, naxes, rank, mask, e));
    for (int d = 0; d < rank; d++)
        begin[d] = end[d] = 0;
    for (int i = 0; i < naxes; i++) {
        int a = (int)(axes[i] < 0 ? axes[i] + rank : axes[i]);
        begin[a] = pads[i];
        end[a] = pads[naxes + i];
    }
    return RK_OK;
}

static rk_status pad_plan_build(const ox_node *n, const rk_tensor *x, const int64_t *begin,
                                const int64_t *end, pad_plan *p, rk_err *e)
{
    p->rank = x->ndim;
    oxd_strides(x, p->strides);
    for (int d = 0; d < x->ndim; d++) {
        /* Compare before negating: -INT64_MIN does not exist. */
        if (begin[d] < -x->dims[d] || end[d] < -x->dims[d])
            return rk_errf(e, RK_EINPUT, "%s: negative pads remove more than axis %d's %lld "
                           "elements", L(n), d, (long long)x->dims[d]);
        int64_t cut_b = begin[d] < 0 ? -begin[d] : 0, cut_e = end[d] < 0 ? -end[d] : 0;
        if (cut_e > x->dims[d] - cut_b)
            return rk_errf(e, RK_EINPUT, "%s: negative pads remove more than axis %d's %lld "
                           "elements", L(n), d, (long long)x->dims[d]);
        p->lo[d] = cut_b;
        p->len[d] = x->dims[d] - cut_b - cut_e;
        p->before[d] = begin[d] > 0 ? begin[d] : 0;
        int64_t after = end[d] > 0 ? end[d] : 0;
        if (p->before[d] > SHAPE_LIMIT || after > SHAPE_LIMIT)
            return rk_errf(e, RK_EINPUT, "%s: pads on axis %d are too large", L(n), d);
        p->dims[d] = p->len[d] + p->before[d] + after;
        if (p->len[d] == 0 && p->dims[d] > 0 && p->mode != PAD_CONSTANT)
            return rk_errf(e, RK_EINPUT, "%s: cannot %s-pad axis %d, which has no elements",
                           L(n), p->mode == PAD_EDGE ? "edge" : p->mode == PAD_WRAP ? "wrap"
                           : "reflect", d);
    }
    return check_product(n, p->dims, x->ndim, e);
}

/* The fill value as one element of x's dtype. */
static rk_status pad_fill_value(const ox_node *n, const rk_tensor *const *in, int nin,
                                const rk_tensor *x, rk_tensor *fill, rk_err *e)
{
    TRY(rk_tensor_alloc(fill, NULL, x->dtype, 0, NULL, e));
    const rk_tensor *cv = ox_node_opset(n) >= 11 ? oxd_opt_input(in, nin, 2) : NULL;
    if (cv) {
        if (cv->nelem != 1) {
            rk_tensor_free(fill);
            return rk_errf(e, RK_EINPUT, "%s: 'constant_value' must hold one value", L(n));
        }
        oxd_convert_elem(fill, 0, cv, 0);
    } else if (ox_node_opset(n) < 11) {
        oxd_set_f64(fill, 0, ox_attr_float_or(n, "value", 0.0f));
    }
    return RK_OK;
}

static void pad_rows(const pad_plan *p, const rk_tensor *x, const rk_tensor *fill,
                     rk_tensor *o)
{
    size_t es = rk_dtype_size(x->dtype);
    int r = p->rank, last = r - 1;
    int64_t w = p->dims[last], rows = oxd_dims_product(p->dims, 0, last);
    int64_t coord[RK_MAX_DIMS] = {0};
    char *dst = o->data;
    const char *src = x->data;
    for (int64_t row = 0; row < rows; row++) {
        int64_t base = 0;
        bool constant_row = false;
        for (int d = 0; d < last; d++) {
            int64_t c = pad_map(p, d, coord[d]);
            if (c < 0)
                constant_row = true;
            base += c * p->strides[d];
        }
        int64_t o_lo = p->before[last], o_hi = o_lo + p->len[last];
        if (constant_row) {
            fill_repeat(dst, (size_t)w, fill->data, es);
        } else if (p->mode == PAD_CONSTANT) {
            /* [fill | copied input run | fill], each as one block. */
            fill_repeat(dst, (size_t)RK_MIN(o_lo, w), fill->data, es);
            if (o_hi > o_lo)
                memcpy(dst + (size_t)o_lo * es, src + (size_t)(base + p->lo[last]) * es,
                       (size_t)(o_hi - o_lo) * es);
            if (w > o_hi)
                fill_repeat(dst + (size_t)o_hi * es, (size_t)(w - o_hi), fill->data, es);
        } else {
            /* Mapped pad regions element by element, the input run as a block. */
            for (int64_t j = 0; j < w; j++) {
                if (j == o_lo && o_hi > o_lo) {
                    memcpy(dst + (size_t)j * es, src + (size_t)(base + p->lo[last]) * es,
                           (size_t)(o_hi - o_lo) * es);
                    j = o_hi - 1;
                    continue;
                }
                memcpy(dst + (size_t)j * es, src + (size_t)(base + pad_map(p, last, j)) * es,
                       es);
            }
        }
        dst += (size_t)w * es;
        for (int d = last - 1; d >= 0; d--) {
            if (++coord[d] < p->dims[d])
                break;
            coord[d] = 0;
        }
    }
}

static rk_status k_pad(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x;
    int64_t begin[RK_MAX_DIMS], end[RK_MAX_DIMS];
    pad_plan p = {0};
    rk_tensor fill = {0};
    TRY(oxd_need_input(n, in, nin, 0, "data", &x, e));
    TRY(pad_parse_mode(n, &p.mode, e));
    TRY(pad_read_pads(n, in, nin, x->ndim, begin, end, e));
    TRY(pad_plan_build(n, x, begin, end, &p, e));
    TRY(pad_fill_value(n, in, nin, x, &fill, e));
    rk_status st = rk_tensor_alloc(&out[0], NULL, x->dtype, x->ndim, p.dims, e);
    if (st == RK_OK && out[0].nelem) {
        if (x->ndim == 0)
            memcpy(out[0].data, x->data, rk_dtype_size(x->dtype));
        else
            pad_rows(&p, x, &fill, &out[0]);
    }
    rk_tensor_free(&fill);
    return st;
}

/* ------------------------------------------------------------ Shape, Size */

static rk_status k_shape(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x;
    TRY(oxd_need_input(n, in, nin, 0, "data", &x, e));
    int64_t r = x->ndim, start = 0, end = r;
    if (ox_node_opset(n) >= 15) {
        start = ox_attr_int_or(n, "start", 0);
        end = ox_attr_int_or(n, "end", r);
    }
    /* Negative values count from the back; both then clamp to [0, rank]. */
    if (start < 0)
        start += r;
    if (end < 0)
        end += r;
    start = RK_MIN(RK_MAX(start, 0), r);
    end = RK_MIN(RK_MAX(end, 0), r);
    int64_t len = end > start ? end - start : 0;
    TRY(rk_tensor_alloc(&out[0], NULL, RK_DT_I64, 1, &len, e));
    for (int64_t i = 0; i < len; i++)
        ((int64_t *)out[0].data)[i] = x->dims[start + i];
    return RK_OK;
}

static rk_status k_size(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x;
    TRY(oxd_need_input(n, in, nin, 0, "data", &x, e));
    TRY(rk_tensor_alloc(&out[0], NULL, RK_DT_I64, 0, NULL, e));
    *(int64_t *)out[0].data = x->nelem;
    return RK_OK;
}

/* ------------------------------------------------ Constant, ConstantOfShape */

static rk_status k_constant_of_shape(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *shape_t;
    int64_t dims[RK_MAX_DIMS];
    int count = 0;
    rk_tensor value = {0};
    TRY(oxd_need_input(n, in, nin, 0, "input", &shape_t, e));
    TRY(oxd_read_ints(n, shape_t, "'input' (shape)", dims, RK_MAX_DIMS, &count, e));
    TRY(check_product(n, dims, count, e));
    if (ox_attr_has(n, "value")) {
        TRY(ox_attr_tensor(n, "value", &value, e));
        if (value.nelem != 1) {
            rk_tensor_free(&value);
            return rk_errf(e, RK_EINPUT, "%s: 'value' must hold exactly one element", L(n));
        }
    } else {
        TRY(rk_tensor_alloc(&value, NULL, RK_DT_F32, 0, NULL, e)); /* default 0.0f */
    }
    rk_status st = rk_tensor_alloc(&out[0], NULL, value.dtype, count, dims, e);
    if (st == RK_OK)
        fill_repeat(out[0].data, (size_t)out[0].nelem, value.data, rk_dtype_size(value.dtype));
    rk_tensor_free(&value);
    return st;
}

/* ------------------------------------------------------------------ Range */

static rk_status range_count(const ox_node *n, const rk_tensor *start, const rk_tensor *limit,
                             const rk_tensor *delta, int64_t *count, rk_err *e)
{
    if (oxd_is_integer(start->dtype)) {
        int64_t s = oxd_get_i64(start, 0), l = oxd_get_i64(limit, 0), d = oxd_get_i64(delta, 0);
        if (d == 0)
            return rk_errf(e, RK_EINPUT, "%s: 'delta' is 0", L(n));
        /* Work in double for the span to avoid int64 overflow on extremes. */
        double approx = ((double)l - (double)s) / (double)d;
        if (approx > (double)SHAPE_LIMIT)
            return rk_errf(e, RK_EINPUT, "%s: range has too many elements", L(n));
        /* Unsigned spans cannot overflow: |l - s| < 2^64 and |d| <= 2^63. */
        uint64_t span = d > 0 ? (l > s ? (uint64_t)l - (uint64_t)s : 0)
                              : (s > l ? (uint64_t)s - (uint64_t)l : 0);
        uint64_t step = d > 0 ? (uint64_t)d : (uint64_t)0 - (uint64_t)d;
        *count = (int64_t)(span / step + (span % step != 0));
        return RK_OK;
    }
    double s = oxd_get_f64(start, 0), l = oxd_get_f64(limit, 0), d = oxd_get_f64(delta, 0);
    double c = ceil((l - s) / d);
    if (d == 0 || c != c)
        return rk_errf(e, RK_EINPUT, "%s: 'delta' is 0 or a bound is not finite", L(n));
    if (c > (double)SHAPE_LIMIT)
        return rk_errf(e, RK_EINPUT, "%s: range has too many elements", L(n));
    *count = c > 0 ? (int64_t)c : 0;
    return RK_OK;
}

static rk_status k_range(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *start, *limit, *delta;
    int64_t count = 0;
    TRY(oxd_need_input(n, in, nin, 0, "start", &start, e));
    TRY(oxd_need_input(n, in, nin, 1, "limit", &limit, e));
    TRY(oxd_need_input(n, in, nin, 2, "delta", &delta, e));
    if (start->nelem != 1 || limit->nelem != 1 || delta->nelem != 1 ||
        !oxd_is_numeric(start->dtype) || limit->dtype != start->dtype ||
        delta->dtype != start->dtype)
        return rk_errf(e, RK_EINPUT, "%s: 'start', 'limit' and 'delta' must be numeric "
                       "scalars of one dtype", L(n));
    TRY(range_count(n, start, limit, delta, &count, e));
    TRY(rk_tensor_alloc(&out[0], NULL, start->dtype, 1, &count, e));
    if (oxd_is_integer(start->dtype)) {
        int64_t s = oxd_get_i64(start, 0), d = oxd_get_i64(delta, 0);
        /* Every value lies between start and limit, so the wrapping
         * unsigned form equals the exact one. */
        for (int64_t i = 0; i < count; i++)
            oxd_set_i64(&out[0], i, (int64_t)((uint64_t)s + (uint64_t)i * (uint64_t)d));
    } else {
        double s = oxd_get_f64(start, 0), d = oxd_get_f64(delta, 0);
        for (int64_t i = 0; i < count; i++)
            oxd_set_f64(&out[0], i, s + (double)i * d);
    }
    return RK_OK;
}

/* ------------------------------------------------------------------- Cast */

/* Cast-1 names the target type by its TensorProto enum name. */
static rk_dtype dtype_from_onnx_name(const char *s)
{
    static const struct { const char *name; rk_dtype dt; } names[] = {
        {"FLOAT", RK_DT_F32},   {"UINT8", RK_DT_U8},     {"INT8", RK_DT_I8},
        {"UINT16", RK_DT_U16},  {"INT16", RK_DT_I16},    {"INT32", RK_DT_I32},
        {"INT64", RK_DT_I64},   {"BOOL", RK_DT_BOOL},    {"FLOAT16", RK_DT_F16},
        {"DOUBLE", RK_DT_F64},  {"UINT32", RK_DT_U32},   {"UINT64", RK_DT_U64},
        {"BFLOAT16", RK_DT_BF16}, {"STRING", RK_DT_STRING},
    };
    for (size_t i = 0; i < RK_ARRAY_LEN(names); i++)
        if (strcmp(s, names[i].name) == 0)
            return names[i].dt;
    return RK_DT_UNDEF;
}

/* ---- Cast to/from string ------------------------------------------------
 * Spellings of the special values (ONNX Operators.md, Cast): "+INF"/"INF",
 * "-INF" and "NaN", matched case-insensitively when parsing.  Writing uses
 * "NaN", "INF", "-INF" (the spec's spellings; onnxruntime writes the same).
 * Finite floats are written as numpy's str() of the source type does (the
 * ONNX test data test_cast_FLOAT_to_STRING was made with numpy): the
 * shortest decimal that reads back to the same value, positional for
 * 1e-4 <= |x| < 1e16 with at least one fractional digit ("100.0"), else
 * scientific with at least two exponent digits ("1e-05", "1.5e+16").
 * Shortest digits come from the smallest printf %.*e precision that reads
 * back; glibc's printf rounds correctly, so that is also the nearest such
 * decimal (numpy's Dragon4 picks the same except in tie cases: inferred). */

/* Does the decimal text read back to exactly v in dtype dt? */
static bool reads_back(const char *text, double v, rk_dtype dt)
{
    switch (dt) {
    case RK_DT_F32: return strtof(text, NULL) == (float)v;
    case RK_DT_F16: return rk_f32_to_f16(strtof(text, NULL)) == rk_f32_to_f16((float)v);
    case RK_DT_BF16: return rk_f32_to_bf16(strtof(text, NULL)) == rk_f32_to_bf16((float)v);
    default: return strtod(text, NULL) == v;
    }
}

/* numpy-style shortest round-trip text of a finite v (see above). */
static void format_float(char *buf, size_t n, double v, rk_dtype dt)
{
    char sci[40];
    int prec = 0; /* digits after the first */
    for (; prec < 17; prec++) {
        snprintf(sci, sizeof sci, "%.*e", prec, v);
        if (reads_back(sci, v, dt))
            break;
    }
    /* sci is "-d.ddde+XX": split into sign, digits and exponent */
    const char *p = sci;
    bool neg = *p == '-';
    if (neg)
        p++;
    char digits[24];
    int nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p != '.')
            digits[nd++] = *p;
    int exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = 0;
    size_t used = (size_t)snprintf(buf, n, "%s", neg ? "-" : "");
    /* numpy decides on the value, not on its shortest digits: float32(1e-4)
     * is just below 1e-4 and prints "1e-04" */
    if (v != 0 && (fabs(v) < 1e-4 || fabs(v) >= 1e16)) {
        snprintf(buf + used, n - used, "%c%s%se%c%02d", digits[0], nd > 1 ? "." : "",
                 digits + 1, exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
        return;
    }
    char pos[64];
    int k = 0;
    if (exp10 < 0) { /* 0.000ddd */
        pos[k++] = '0';
        pos[k++] = '.';
        for (int i = -1; i > exp10; i--)
            pos[k++] = '0';
        for (int i = 0; i < nd; i++)
            pos[k++] = digits[i];
    } else { /* ddd.ddd, padding zeros before the point */
        for (int i = 0; i <= exp10; i++)
            pos[k++] = i < nd ? digits[i] : '0';
        pos[k++] = '.';
        if (nd > exp10 + 1)
            for (int i = exp10 + 1; i < nd; i++)
                pos[k++] = digits[i];
        else
            pos[k++] = '0';
    }
    pos[k] = 0;
    snprintf(buf + used, n - used, "%s", pos);
}

static rk_status cast_to_string(const ox_node *n, const rk_tensor *x, rk_tensor *o, rk_err *e)
{
    if (!oxd_is_numeric(x->dtype) || x->dtype == RK_DT_BOOL)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: cast from %s to string is not supported",
                       L(n), rk_dtype_name(x->dtype));
    TRY(rk_tensor_alloc(o, NULL, RK_DT_STRING, x->ndim, x->dims, e));
    for (int64_t i = 0; i < x->nelem; i++) {
        char buf[64];
        if (oxd_is_float(x->dtype)) {
            double v = oxd_get_f64(x, i);
            if (isnan(v))
                snprintf(buf, sizeof buf, "NaN");
            else if (isinf(v))
                snprintf(buf, sizeof buf, "%sINF", v < 0 ? "-" : "");
            else
                format_float(buf, sizeof buf, v, x->dtype);
        } else if (x->dtype == RK_DT_U64) {
            snprintf(buf, sizeof buf, "%llu", (unsigned long long)((const uint64_t *)x->data)[i]);
        } else {
            snprintf(buf, sizeof buf, "%lld", (long long)oxd_get_i64(x, i));
        }
        if (rk_tensor_set_str(o, i, buf, strlen(buf)) != RK_OK) {
            rk_tensor_free(o);
            return rk_errf(e, RK_ENOMEM, "%s: out of memory", L(n));
        }
    }
    return RK_OK;
}

/* Parses one element; false when s is not a number (the spec leaves that
 * undefined: we refuse rather than invent a value). */
static bool parse_number(const char *s, rk_dtype to, double *d, float *f)
{
    const char *body = s[0] == '+' || s[0] == '-' ? s + 1 : s;
    if (strcasecmp(s, "NaN") == 0) {
        *d = NAN;
    } else if (strcasecmp(body, "INF") == 0) {
        *d = s[0] == '-' ? -INFINITY : INFINITY;
    } else {
        char *end;
        if (to == RK_DT_F32) { /* direct: no double rounding through double */
            *f = strtof(s, &end);
            *d = *f;
        } else {
            *d = strtod(s, &end);
            *f = (float)*d;
        }
        while (*end == ' ' || *end == '\t' || *end == '\n')
            end++;
        return end != s && *end == 0;
    }
    *f = (float)*d;
    return true;
}

static rk_status cast_from_string(const ox_node *n, const rk_tensor *x, rk_dtype to,
                                  rk_tensor *o, rk_err *e)
{
    if (to == RK_DT_STRING)
        return rk_tensor_copy(o, x, e);
    if (!oxd_is_numeric(to))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: cast from string to %s is not supported",
                       L(n), rk_dtype_name(to));
    /* Non-float32 targets go through a float64 value: integers beyond 2^53
     * lose precision (known limitation). */
    rk_tensor tmp = {0};
    rk_dtype via = to == RK_DT_F32 ? RK_DT_F32 : RK_DT_F64;
    TRY(rk_tensor_alloc(&tmp, NULL, via, x->ndim, x->dims, e));
    for (int64_t i = 0; i < x->nelem; i++) {
        double d;
        float f;
        const char *s = rk_tensor_str(x, i);
        if (!parse_number(s, to, &d, &f)) {
            rk_tensor_free(&tmp);
            return rk_errf(e, RK_EINPUT, "%s: string element %lld (\"%.40s\") is not a number",
                           L(n), (long long)i, s);
        }
        if (via == RK_DT_F32)
            ((float *)tmp.data)[i] = f;
        else
            ((double *)tmp.data)[i] = d;
    }
    if (via == to) {
        *o = tmp;
        return RK_OK;
    }
    rk_status st = rk_tensor_alloc(o, NULL, to, x->ndim, x->dims, e);
    for (int64_t i = 0; st == RK_OK && i < x->nelem; i++)
        oxd_convert_elem(o, i, &tmp, i);
    rk_tensor_free(&tmp);
    return st;
}

static rk_status cast_to(const ox_node *n, const rk_tensor *x, rk_dtype to, rk_tensor *o,
                         rk_err *e)
{
    if (x->dtype == RK_DT_STRING)
        return cast_from_string(n, x, to, o, e);
    if (to == RK_DT_STRING)
        return cast_to_string(n, x, o, e);
    if (!oxd_is_numeric(x->dtype) || !oxd_is_numeric(to))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: cast from %s to %s is not supported "
                       "(numeric types only)", L(n), rk_dtype_name(x->dtype),
                       rk_dtype_name(to));
    TRY(rk_tensor_alloc(o, NULL, to, x->ndim, x->dims, e));
    if (to == x->dtype) {
        if (x->nelem)
            memcpy(o->data, x->data, rk_tensor_bytes(x));
        return RK_OK;
    }
    if (x->dtype == RK_DT_F32 && to == RK_DT_F16) {
        for (int64_t i = 0; i < x->nelem; i++)
            ((uint16_t *)o->data)[i] = rk_f32_to_f16(((const float *)x->data)[i]);
        return RK_OK;
    }
    if (to == RK_DT_BF16 && ox_node_opset(n) < 19) {
        /* Sources disagree on float -> bfloat16 rounding.  ONNX 1.12's
         * backend test data for Cast-13/CastLike-15 (Debian libonnx-testdata,
         * test_cast_FLOAT_to_BFLOAT16) keeps the high 16 bits (truncation);
         * later ONNX references and onnxruntime round to nearest even.  We
         * truncate below opset 19 and round from Cast-19 on (the opset split
         * is inferred, not stated by the spec).  NaN stays NaN. */
        for (int64_t i = 0; i < x->nelem; i++) {
            float f = (float)oxd_get_f64(x, i);
            uint32_t bits;
            memcpy(&bits, &f, sizeof bits);
            ((uint16_t *)o->data)[i] = f != f ? (uint16_t)0x7fc0 : (uint16_t)(bits >> 16);
        }
        return RK_OK;
    }
    for (int64_t i = 0; i < x->nelem; i++)
        oxd_convert_elem(o, i, x, i);
    return RK_OK;
}

static rk_status k_cast(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x;
    rk_dtype to;
    TRY(oxd_need_input(n, in, nin, 0, "input", &x, e));
    if (ox_attr_kind(n, "to") == OX_ATTR_STRING) {
        const char *s = ox_attr_string_or(n, "to", "");
        to = dtype_from_onnx_name(s);
        if (to == RK_DT_UNDEF)
            return rk_errf(e, RK_EINPUT, "%s: unknown type name '%s' in 'to'", L(n), s);
    } else {
        if (!ox_attr_has(n, "to"))
            return rk_errf(e, RK_EINPUT, "%s: attribute 'to' is missing", L(n));
        /* 'saturate' (opset 19) only affects float8 targets, which rk_dtype
         * does not have, so it is ignored. */
        to = (rk_dtype)ox_attr_int_or(n, "to", 0);
    }
    return cast_to(n, x, to, &out[0], e);
}

static rk_status k_cast_like(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x, *like;
    TRY(oxd_need_input(n, in, nin, 0, "input", &x, e));
    TRY(oxd_need_input(n, in, nin, 1, "target_type", &like, e));
    return cast_to(n, x, like->dtype, &out[0], e);
}

/* --------------------------------------------------------------- Compress */

static rk_status k_compress(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x, *cond;
    TRY(oxd_need_input(n, in, nin, 0, "input", &x, e));
    TRY(oxd_need_input(n, in, nin, 1, "condition", &cond, e));
    if (cond->ndim != 1 || !oxd_is_numeric(cond->dtype))
        return rk_errf(e, RK_EINPUT, "%s: 'condition' must be a 1-D bool tensor", L(n));
    bool flat = !ox_attr_has(n, "axis");
    int axis = 0;
    if (!flat)
        TRY(oxd_norm_axis(n, "'axis'", ox_attr_int_or(n, "axis", 0), x->ndim, &axis, e));
    int64_t dim = flat ? x->nelem : x->dims[axis], kept = 0;
    for (int64_t i = 0; i < cond->nelem; i++) {
        if (oxd_get_f64(cond, i) == 0.0)
            continue;
        if (i >= dim)
            return rk_errf(e, RK_EINPUT, "%s: 'condition' selects index %lld beyond the "
                           "axis length %lld", L(n), (long long)i, (long long)dim);
        kept++;
    }
    int64_t dims[RK_MAX_DIMS];
    int rank = flat ? 1 : x->ndim;
    if (flat) {
        dims[0] = kept;
    } else {
        memcpy(dims, x->dims, sizeof dims);
        dims[axis] = kept;
    }
    TRY(rk_tensor_alloc(&out[0], NULL, x->dtype, rank, dims, e));
    size_t es = rk_dtype_size(x->dtype);
    int64_t outer = flat ? 1 : oxd_dims_product(x->dims, 0, axis);
    size_t inner = (flat ? 1 : (size_t)oxd_dims_product(x->dims, axis + 1, x->ndim)) * es;
    char *dst = out[0].data;
    int64_t limit = RK_MIN(cond->nelem, dim);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < limit; i++)
            if (oxd_get_f64(cond, i) != 0.0) {
                memcpy(dst, (const char *)x->data + (size_t)(o * dim + i) * inner, inner);
                dst += inner;
            }
    return RK_OK;
}

/* ------------------------------------------------------------------ Trilu */

static rk_status k_trilu(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x, *kt = oxd_opt_input(in, nin, 1);
    int64_t k = 0;
    TRY(oxd_need_input(n, in, nin, 0, "input", &x, e));
    if (x->ndim < 2)
        return rk_errf(e, RK_EINPUT, "%s: input must have rank >= 2, has %d", L(n), x->ndim);
    if (kt)
        TRY(oxd_read_scalar_i64(n, kt, "'k'", &k, e));
    bool upper = ox_attr_int_or(n, "upper", 1) != 0;
    TRY(rk_tensor_copy(&out[0], x, e));
    rk_tensor_set_name(&out[0], NULL);
    int64_t rows = x->dims[x->ndim - 2], cols = x->dims[x->ndim - 1];
    int64_t mats = (rows * cols) != 0 ? x->nelem / (rows * cols) : 0;
    size_t es = rk_dtype_size(x->dtype);
    char *d = out[0].data;
    for (int64_t m = 0; m < mats; m++)
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < cols; j++) {
                /* j - i fits easily; compare against k without overflow. */
                bool keep = upper ? (j - i >= k) : (j - i <= k);
                if (!keep)
                    memset(d + (size_t)((m * rows + i) * cols + j) * es, 0, es);
            }
    return RK_OK;
}

/* -------------------------------------------------------- ReverseSequence */

static rk_status k_reverse_sequence(KERNEL_ARGS)
{
    UNUSED_KERNEL_ARGS;
    const rk_tensor *x, *lens;
    TRY(oxd_need_input(n, in, nin, 0, "input", &x, e));
    TRY(oxd_need_input(n, in, nin, 1, "sequence_lens", &lens, e));
    TRY(oxd_need_dtype_int(n, lens, "'sequence_lens'", e));
    int64_t ta = ox_attr_int_or(n, "time_axis", 0), ba = ox_attr_int_or(n, "batch_axis", 1);
    if (x->ndim < 2 || !((ta == 0 && ba == 1) || (ta == 1 && ba == 0)))
        return rk_errf(e, RK_EINPUT, "%s: needs rank >= 2 and time/batch axes {0,1}, got "
                       "rank %d, time_axis %lld, batch_axis %lld", L(n), x->ndim,
                       (long long)ta, (long long)ba);
    int64_t tmax = x->dims[ta], batch = x->dims[ba];
    if (lens->ndim != 1 || lens->nelem != batch)
        return rk_errf(e, RK_EINPUT, "%s: 'sequence_lens' must have %lld entries", L(n),
                       (long long)batch);
    int64_t strides[RK_MAX_DIMS];
    oxd_strides(x, strides);
    size_t es = rk_dtype_size(x->dtype);
    size_t inner = (size_t)oxd_dims_product(x->dims, 2, x->ndim) * es;
    TRY(rk_tensor_copy(&out[0], x, e));
    rk_tensor_set_name(&out[0], NULL);
    for (int64_t b = 0; b < batch; b++) {
        int64_t len = oxd_get_i64(lens, b);
        if (len < 0 || len > tmax) {
            rk_tensor_free(&out[0]);
            return rk_errf(e, RK_EINPUT, "%s: sequence_lens[%lld] = %lld outside [0, %lld]",
                           L(n), (long long)b, (long long)len, (long long)tmax);
        }
        for (int64_t t = 0; t < len; t++) {
            int64_t dst = t * strides[ta] + b * strides[ba];
            int64_t src = (len - 1 - t) * strides[ta] + b * strides[ba];
            memcpy((char *)out[0].data + (size_t)dst * es,
                   (const char *)x->data + (size_t)src * es, inner);
        }
    }
    return RK_OK;
}

/* ------------------------------------------------------------------ table */

const ox_op_def ox_ops_shape[] = {
    {"", "Reshape", 1, k_reshape},        /* shape attribute */
    {"", "Reshape", 5, k_reshape},        /* shape input */
    {"", "Reshape", 14, k_reshape},       /* allowzero */
    {"", "Flatten", 1, k_flatten},
    {"", "Squeeze", 1, k_squeeze},        /* axes attribute */
    {"", "Squeeze", 13, k_squeeze},       /* axes input */
    {"", "Unsqueeze", 1, k_unsqueeze},
    {"", "Unsqueeze", 13, k_unsqueeze},
    {"", "Transpose", 1, k_transpose},
    {"", "Concat", 1, k_concat},          /* axis optional, default 1 */
    {"", "Concat", 4, k_concat},          /* axis required */
    {"", "Split", 1, k_split},            /* split input or attribute */
    {"", "Split", 2, k_split},            /* split attribute */
    {"", "Split", 13, k_split},           /* split input */
    {"", "Split", 18, k_split},           /* num_outputs */
    {"", "Slice", 1, k_slice},            /* attributes */
    {"", "Slice", 10, k_slice},           /* inputs, steps */
    {"", "Gather", 1, k_gather},
    {"", "GatherElements", 11, k_gather_elements},
    {"", "GatherND", 11, k_gather_nd},
    {"", "GatherND", 12, k_gather_nd},    /* batch_dims */
    {"", "Scatter", 9, k_scatter_elements},
    {"", "ScatterElements", 11, k_scatter_elements},
    {"", "ScatterElements", 16, k_scatter_elements}, /* reduction add/mul */
    {"", "ScatterElements", 18, k_scatter_elements}, /* reduction max/min */
    {"", "ScatterND", 11, k_scatter_nd},
    {"", "ScatterND", 16, k_scatter_nd},
    {"", "ScatterND", 18, k_scatter_nd},
    {"", "Expand", 8, k_expand},
    {"", "Tile", 1, k_tile},              /* tiles + axis inputs */
    {"", "Tile", 6, k_tile},              /* repeats input */
    {"", "Pad", 1, k_pad},                /* paddings attribute */
    {"", "Pad", 2, k_pad},                /* pads attribute */
    {"", "Pad", 11, k_pad},               /* pads, constant_value inputs */
    {"", "Pad", 18, k_pad},               /* axes input */
    {"", "Pad", 19, k_pad},               /* wrap mode */
    {"", "Shape", 1, k_shape},
    {"", "Shape", 15, k_shape},           /* start, end */
    {"", "Size", 1, k_size},
    {"", "ConstantOfShape", 9, k_constant_of_shape},
    /* Constant lives in ops_elementwise.c (the runner also folds it once per model). */
    {"", "Range", 11, k_range},
    {"", "Cast", 1, k_cast},              /* 'to' is a type name */
    {"", "Cast", 6, k_cast},              /* 'to' is an enum */
    {"", "CastLike", 15, k_cast_like},
    {"", "Compress", 9, k_compress},
    {"", "Trilu", 14, k_trilu},
    {"", "ReverseSequence", 10, k_reverse_sequence},
    {NULL, NULL, 0, NULL},
};
