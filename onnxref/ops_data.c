/*
 * ops_data.c - dtype-generic helpers for the data-movement kernels; see
 * ops_data.h for the contract.
 */
#include "ops_data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

bool oxd_is_float(rk_dtype dt)
{
    return dt == RK_DT_F32 || dt == RK_DT_F64 || dt == RK_DT_F16 || dt == RK_DT_BF16;
}

bool oxd_is_integer(rk_dtype dt)
{
    switch (dt) {
    case RK_DT_U8: case RK_DT_I8: case RK_DT_U16: case RK_DT_I16: case RK_DT_I32:
    case RK_DT_I64: case RK_DT_U32: case RK_DT_U64: case RK_DT_BOOL:
        return true;
    default:
        return false;
    }
}

bool oxd_is_numeric(rk_dtype dt)
{
    return oxd_is_float(dt) || oxd_is_integer(dt);
}

double oxd_get_f64(const rk_tensor *t, int64_t i)
{
    const void *d = t->data;
    switch (t->dtype) {
    case RK_DT_F32: return ((const float *)d)[i];
    case RK_DT_F64: return ((const double *)d)[i];
    case RK_DT_F16: return rk_f16_to_f32(((const uint16_t *)d)[i]);
    case RK_DT_BF16: return rk_bf16_to_f32(((const uint16_t *)d)[i]);
    case RK_DT_U8: return ((const uint8_t *)d)[i];
    case RK_DT_I8: return ((const int8_t *)d)[i];
    case RK_DT_U16: return ((const uint16_t *)d)[i];
    case RK_DT_I16: return ((const int16_t *)d)[i];
    case RK_DT_I32: return ((const int32_t *)d)[i];
    case RK_DT_I64: return (double)((const int64_t *)d)[i];
    case RK_DT_U32: return ((const uint32_t *)d)[i];
    case RK_DT_U64: return (double)((const uint64_t *)d)[i];
    case RK_DT_BOOL: return ((const uint8_t *)d)[i] ? 1.0 : 0.0;
    default: return 0.0;
    }
}

/* Truncation toward zero with the out-of-range cases defined (C leaves
 * them undefined): NaN -> 0, beyond int64 -> the nearest int64 bound. */
static int64_t f64_to_i64_trunc(double v)
{
    if (v != v)
        return 0;
    if (v >= 9223372036854775807.0)
        return INT64_MAX;
    if (v <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)v;
}

int64_t oxd_get_i64(const rk_tensor *t, int64_t i)
{
    const void *d = t->data;
    switch (t->dtype) {
    case RK_DT_U8: return ((const uint8_t *)d)[i];
    case RK_DT_I8: return ((const int8_t *)d)[i];
    case RK_DT_U16: return ((const uint16_t *)d)[i];
    case RK_DT_I16: return ((const int16_t *)d)[i];
    case RK_DT_I32: return ((const int32_t *)d)[i];
    case RK_DT_I64: return ((const int64_t *)d)[i];
    case RK_DT_U32: return ((const uint32_t *)d)[i];
    case RK_DT_U64: return (int64_t)((const uint64_t *)d)[i];
    case RK_DT_BOOL: return ((const uint8_t *)d)[i] ? 1 : 0;
    default: return f64_to_i64_trunc(oxd_get_f64(t, i));
    }
}

void oxd_set_i64(rk_tensor *t, int64_t i, int64_t v)
{
    void *d = t->data;
    /* Narrowing through uint64_t is the defined modulo-2^bits wrap. */
    uint64_t u = (uint64_t)v;
    switch (t->dtype) {
    case RK_DT_U8: ((uint8_t *)d)[i] = (uint8_t)u; break;
    case RK_DT_I8: ((uint8_t *)d)[i] = (uint8_t)u; break;
    case RK_DT_U16: ((uint16_t *)d)[i] = (uint16_t)u; break;
    case RK_DT_I16: ((uint16_t *)d)[i] = (uint16_t)u; break;
    case RK_DT_I32: ((uint32_t *)d)[i] = (uint32_t)u; break;
    case RK_DT_U32: ((uint32_t *)d)[i] = (uint32_t)u; break;
    case RK_DT_I64: ((int64_t *)d)[i] = v; break;
    case RK_DT_U64: ((uint64_t *)d)[i] = u; break;
    case RK_DT_BOOL: ((uint8_t *)d)[i] = v != 0; break;
    default: oxd_set_f64(t, i, (double)v); break;
    }
}

void oxd_set_f64(rk_tensor *t, int64_t i, double v)
{
    void *d = t->data;
    switch (t->dtype) {
    case RK_DT_F32: ((float *)d)[i] = (float)v; break;
    case RK_DT_F64: ((double *)d)[i] = v; break;
    case RK_DT_F16: ((uint16_t *)d)[i] = rk_f32_to_f16((float)v); break;
    case RK_DT_BF16: ((uint16_t *)d)[i] = rk_f32_to_bf16((float)v); break;
    case RK_DT_BOOL: ((uint8_t *)d)[i] = v != 0.0; break;
    case RK_DT_U64:
        /* Values in [2^63, 2^64) do not fit the int64 path. */
        if (v >= 9223372036854775808.0 && v < 18446744073709551616.0) {
            ((uint64_t *)d)[i] = (uint64_t)v;
            break;
        }
        oxd_set_i64(t, i, f64_to_i64_trunc(v));
        break;
    default: oxd_set_i64(t, i, f64_to_i64_trunc(v)); break;
    }
}

void oxd_convert_elem(rk_tensor *dst, int64_t di, const rk_tensor *src, int64_t si)
{
    if (dst->dtype == src->dtype) {
        size_t es = rk_dtype_size(src->dtype);
        memcpy((char *)dst->data + (size_t)di * es, (const char *)src->data + (size_t)si * es,
               es);
    } else if (oxd_is_integer(src->dtype) && oxd_is_integer(dst->dtype)) {
        oxd_set_i64(dst, di, oxd_get_i64(src, si));
    } else {
        oxd_set_f64(dst, di, oxd_get_f64(src, si));
    }
}

rk_status oxd_read_ints(const ox_node *n, const rk_tensor *t, const char *what,
                        int64_t *vals, int max, int *count, rk_err *e)
{
    if (!oxd_is_integer(t->dtype) || t->dtype == RK_DT_BOOL)
        return rk_errf(e, RK_EINPUT, "%s: input %s must be an integer tensor, got %s",
                       ox_node_label(n), what, rk_dtype_name(t->dtype));
    if (t->ndim > 1)
        return rk_errf(e, RK_EINPUT, "%s: input %s must be 1-D, got rank %d",
                       ox_node_label(n), what, t->ndim);
    if (t->nelem > max)
        return rk_errf(e, RK_EINPUT, "%s: input %s has %lld values, at most %d allowed",
                       ox_node_label(n), what, (long long)t->nelem, max);
    for (int64_t i = 0; i < t->nelem; i++)
        vals[i] = oxd_get_i64(t, i);
    *count = (int)t->nelem;
    return RK_OK;
}

rk_status oxd_read_scalar_i64(const ox_node *n, const rk_tensor *t, const char *what,
                              int64_t *v, rk_err *e)
{
    if (!oxd_is_integer(t->dtype))
        return rk_errf(e, RK_EINPUT, "%s: input %s must be an integer scalar, got %s",
                       ox_node_label(n), what, rk_dtype_name(t->dtype));
    if (t->nelem != 1)
        return rk_errf(e, RK_EINPUT, "%s: input %s must hold one value, has %lld",
                       ox_node_label(n), what, (long long)t->nelem);
    *v = oxd_get_i64(t, 0);
    return RK_OK;
}

rk_status oxd_read_scalar_f64(const ox_node *n, const rk_tensor *t, const char *what,
                              double *v, rk_err *e)
{
    if (!oxd_is_numeric(t->dtype))
        return rk_errf(e, RK_EINPUT, "%s: input %s must be numeric, got %s",
                       ox_node_label(n), what, rk_dtype_name(t->dtype));
    if (t->nelem != 1)
        return rk_errf(e, RK_EINPUT, "%s: input %s must hold one value, has %lld",
                       ox_node_label(n), what, (long long)t->nelem);
    *v = oxd_get_f64(t, 0);
    return RK_OK;
}

rk_status oxd_norm_axis(const ox_node *n, const char *what, int64_t axis, int rank,
                        int *out, rk_err *e)
{
    if (axis < -(int64_t)rank || axis >= rank)
        return rk_errf(e, RK_EINPUT, "%s: %s %lld is outside [-%d, %d) for rank %d",
                       ox_node_label(n), what, (long long)axis, rank, rank, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return RK_OK;
}

rk_status oxd_norm_axes(const ox_node *n, const char *what, const int64_t *axes, int count,
                        int rank, bool *mask, rk_err *e)
{
    for (int i = 0; i < rank; i++)
        mask[i] = false;
    for (int i = 0; i < count; i++) {
        int a = 0;
        rk_status st = oxd_norm_axis(n, what, axes[i], rank, &a, e);
        if (st != RK_OK)
            return st;
        if (mask[a])
            return rk_errf(e, RK_EINPUT, "%s: %s names axis %d twice", ox_node_label(n),
                           what, a);
        mask[a] = true;
    }
    return RK_OK;
}

const rk_tensor *oxd_opt_input(const rk_tensor *const *in, int nin, int i)
{
    return i < nin ? in[i] : NULL;
}

rk_status oxd_need_input(const ox_node *n, const rk_tensor *const *in, int nin, int i,
                         const char *what, const rk_tensor **t, rk_err *e)
{
    *t = oxd_opt_input(in, nin, i);
    if (!*t)
        return rk_errf(e, RK_EINPUT, "%s: required input %d (%s) is missing",
                       ox_node_label(n), i, what);
    return RK_OK;
}

rk_status oxd_need_dtype_int(const ox_node *n, const rk_tensor *t, const char *what,
                             rk_err *e)
{
    if (t->dtype != RK_DT_I32 && t->dtype != RK_DT_I64)
        return rk_errf(e, RK_EINPUT, "%s: %s must be int32 or int64, got %s",
                       ox_node_label(n), what, rk_dtype_name(t->dtype));
    return RK_OK;
}

void oxd_strides(const rk_tensor *t, int64_t *strides)
{
    int64_t s = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        strides[d] = s;
        s *= t->dims[d];
    }
}

int64_t oxd_dims_product(const int64_t *dims, int from, int to)
{
    int64_t p = 1;
    for (int d = from; d < to; d++)
        p *= dims[d];
    return p;
}

/* The innermost run of a strided copy, specialised by element size so the
 * common 1/2/4/8-byte cases compile to plain loads and stores. */
static void copy_run(char *dst, const char *src, int64_t count, int64_t stride, size_t esize)
{
    switch (esize) {
    case 1:
        for (int64_t i = 0; i < count; i++)
            dst[i] = src[i * stride];
        break;
    case 2:
        for (int64_t i = 0; i < count; i++)
            memcpy(dst + 2 * i, src + 2 * i * stride, 2);
        break;
    case 4:
        for (int64_t i = 0; i < count; i++)
            memcpy(dst + 4 * i, src + 4 * i * stride, 4);
        break;
    case 8:
        for (int64_t i = 0; i < count; i++)
            memcpy(dst + 8 * i, src + 8 * i * stride, 8);
        break;
    default:
        for (int64_t i = 0; i < count; i++)
            memcpy(dst + esize * (size_t)i, src + (int64_t)esize * i * stride, esize);
        break;
    }
}

void oxd_strided_copy(void *dst, const void *src, int64_t base, int ndim,
                      const int64_t *dims, const int64_t *strides, size_t esize)
{
    char *out = dst;
    const char *in = src;
    if (ndim == 0) {
        memcpy(out, in + base * (int64_t)esize, esize);
        return;
    }
    for (int d = 0; d < ndim; d++)
        if (dims[d] == 0)
            return;
    int64_t coord[OXD_MAX_VIEW_DIMS] = {0};
    int64_t inner = dims[ndim - 1], inner_stride = strides[ndim - 1];
    int64_t off = base;
    for (;;) {
        if (inner_stride == 1)
            memcpy(out, in + off * (int64_t)esize, (size_t)inner * esize);
        else
            copy_run(out, in + off * (int64_t)esize, inner, inner_stride, esize);
        out += (size_t)inner * esize;
        /* Odometer over the outer dimensions, updating the source offset
         * incrementally. */
        int d = ndim - 2;
        for (; d >= 0; d--) {
            coord[d]++;
            off += strides[d];
            if (coord[d] < dims[d])
                break;
            off -= strides[d] * dims[d];
            coord[d] = 0;
        }
        if (d < 0)
            return;
    }
}

static void merge_pass(int64_t *dst, const int64_t *src, int64_t count, int64_t width,
                       oxd_cmp_fn cmp, const void *ctx)
{
    for (int64_t lo = 0; lo < count; lo += 2 * width) {
        int64_t mid = RK_MIN(lo + width, count), hi = RK_MIN(lo + 2 * width, count);
        int64_t a = lo, b = mid, k = lo;
        while (a < mid && b < hi)
            dst[k++] = cmp(ctx, src[b], src[a]) < 0 ? src[b++] : src[a++];
        while (a < mid)
            dst[k++] = src[a++];
        while (b < hi)
            dst[k++] = src[b++];
    }
}

rk_status oxd_stable_sort(int64_t *idx, int64_t count, oxd_cmp_fn cmp, const void *ctx,
                          rk_err *e)
{
    if (count < 2)
        return RK_OK;
    int64_t *tmp = rk_malloc_array((size_t)count, sizeof *tmp);
    if (!tmp)
        return rk_errf(e, RK_ENOMEM, "cannot allocate a sort buffer of %lld entries",
                       (long long)count);
    /* Bottom-up merge sort, ping-ponging between idx and tmp. */
    int64_t *a = idx, *b = tmp;
    for (int64_t width = 1; width < count; width *= 2) {
        merge_pass(b, a, count, width, cmp, ctx);
        int64_t *t = a;
        a = b;
        b = t;
    }
    if (a != idx)
        memcpy(idx, a, (size_t)count * sizeof *idx);
    free(tmp);
    return RK_OK;
}

double oxd_load_f64(const rk_tensor *t, int64_t i)
{
    switch (t->dtype) {
    case RK_DT_F32: return ((const float *)t->data)[i];
    case RK_DT_F64: return ((const double *)t->data)[i];
    case RK_DT_F16: return rk_f16_to_f32(((const uint16_t *)t->data)[i]);
    case RK_DT_BF16: return rk_bf16_to_f32(((const uint16_t *)t->data)[i]);
    default: return NAN;
    }
}

void oxd_store_f64(rk_tensor *t, int64_t i, double v)
{
    switch (t->dtype) {
    case RK_DT_F32: ((float *)t->data)[i] = (float)v; break;
    case RK_DT_F64: ((double *)t->data)[i] = v; break;
    case RK_DT_F16: ((uint16_t *)t->data)[i] = rk_f32_to_f16((float)v); break;
    case RK_DT_BF16: ((uint16_t *)t->data)[i] = rk_f32_to_bf16((float)v); break;
    default: break;
    }
}
