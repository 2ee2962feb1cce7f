#include "rk_tensor.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    rk_dtype dt;
    size_t size;
    const char *name;
} dtype_table[] = {
    {RK_DT_F32, 4, "float32"}, {RK_DT_U8, 1, "uint8"},   {RK_DT_I8, 1, "int8"},
    {RK_DT_U16, 2, "uint16"},  {RK_DT_I16, 2, "int16"},  {RK_DT_I32, 4, "int32"},
    {RK_DT_I64, 8, "int64"},   {RK_DT_STRING, 0, "string"}, {RK_DT_BOOL, 1, "bool"},
    {RK_DT_F16, 2, "float16"}, {RK_DT_F64, 8, "float64"}, {RK_DT_U32, 4, "uint32"},
    {RK_DT_U64, 8, "uint64"},  {RK_DT_BF16, 2, "bfloat16"},
};

size_t rk_dtype_size(rk_dtype dt)
{
    for (size_t i = 0; i < RK_ARRAY_LEN(dtype_table); i++)
        if (dtype_table[i].dt == dt)
            return dtype_table[i].size;
    return 0;
}

size_t rk_dtype_storage_size(rk_dtype dt)
{
    return dt == RK_DT_STRING ? sizeof(char *) : rk_dtype_size(dt);
}

const char *rk_dtype_name(rk_dtype dt)
{
    for (size_t i = 0; i < RK_ARRAY_LEN(dtype_table); i++)
        if (dtype_table[i].dt == dt)
            return dtype_table[i].name;
    return "undefined";
}

rk_dtype rk_dtype_from_name(const char *name)
{
    for (size_t i = 0; i < RK_ARRAY_LEN(dtype_table); i++)
        if (strcmp(dtype_table[i].name, name) == 0)
            return dtype_table[i].dt;
    if (strcmp(name, "float") == 0)
        return RK_DT_F32;
    return RK_DT_UNDEF;
}

rk_status rk_tensor_set_name(rk_tensor *t, const char *name)
{
    char *copy = NULL;
    if (name) {
        copy = strdup(name);
        if (!copy)
            return RK_ENOMEM;
    }
    free(t->name);
    t->name = copy;
    return RK_OK;
}

rk_status rk_tensor_alloc(rk_tensor *t, const char *name, rk_dtype dt,
                          int ndim, const int64_t *dims, rk_err *e)
{
    memset(t, 0, sizeof *t);
    const char *label = name ? name : "(unnamed)";
    size_t esize = rk_dtype_storage_size(dt);
    if (!esize)
        return rk_errf(e, RK_EUNSUPPORTED, "tensor '%s': element type %s has no fixed size",
                       label, rk_dtype_name(dt));
    if (ndim < 0 || ndim > RK_MAX_DIMS)
        return rk_errf(e, RK_EINPUT, "tensor '%s': rank %d outside 0..%d", label, ndim,
                       RK_MAX_DIMS);
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] < 0)
            return rk_errf(e, RK_EINPUT, "tensor '%s': negative dimension %lld at axis %d",
                           label, (long long)dims[i], i);
        if (dims[i] && n > (INT64_C(1) << 40) / dims[i])
            return rk_errf(e, RK_EINPUT, "tensor '%s': shape too large", label);
        n *= dims[i];
        t->dims[i] = dims[i];
    }
    t->ndim = ndim;
    t->dtype = dt;
    t->nelem = n;
    /* calloc: numeric zeros, and NULL (= "") for every string element */
    t->data = calloc((size_t)(n ? n : 1), esize);
    if (!t->data)
        return rk_errf(e, RK_ENOMEM, "tensor '%s': cannot allocate %lld elements", label,
                       (long long)n);
    if (rk_tensor_set_name(t, name) != RK_OK) {
        free(t->data);
        t->data = NULL;
        return rk_errf(e, RK_ENOMEM, "out of memory");
    }
    return RK_OK;
}

void rk_tensor_free(rk_tensor *t)
{
    if (!t)
        return;
    if (!t->borrowed && t->dtype == RK_DT_STRING && t->data)
        for (int64_t i = 0; i < t->nelem; i++)
            free(((char **)t->data)[i]);
    if (!t->borrowed)
        free(t->data);
    free(t->name);
    memset(t, 0, sizeof *t);
}

size_t rk_tensor_bytes(const rk_tensor *t)
{
    return (size_t)t->nelem * rk_dtype_size(t->dtype);
}

const char *rk_tensor_str(const rk_tensor *t, int64_t i)
{
    const char *s = ((char *const *)t->data)[i];
    return s ? s : "";
}

rk_status rk_tensor_set_str(rk_tensor *t, int64_t i, const char *s, size_t len)
{
    char *copy = malloc(len + 1);
    if (!copy)
        return RK_ENOMEM;
    if (len)
        memcpy(copy, s, len);
    copy[len] = 0;
    char **slot = &((char **)t->data)[i];
    free(*slot);
    *slot = copy;
    return RK_OK;
}

rk_status rk_tensor_copy(rk_tensor *dst, const rk_tensor *src, rk_err *e)
{
    rk_status st = rk_tensor_alloc(dst, src->name, src->dtype, src->ndim, src->dims, e);
    if (st != RK_OK || !src->nelem)
        return st;
    if (src->dtype != RK_DT_STRING) {
        memcpy(dst->data, src->data, rk_tensor_bytes(src));
        return RK_OK;
    }
    for (int64_t i = 0; i < src->nelem; i++) {
        const char *s = ((char *const *)src->data)[i];
        if (s && rk_tensor_set_str(dst, i, s, strlen(s)) != RK_OK) {
            rk_tensor_free(dst);
            return rk_errf(e, RK_ENOMEM, "tensor '%s': out of memory copying strings",
                           src->name ? src->name : "(unnamed)");
        }
    }
    return RK_OK;
}

bool rk_shape_equal(const rk_tensor *a, const rk_tensor *b)
{
    if (a->ndim != b->ndim)
        return false;
    for (int i = 0; i < a->ndim; i++)
        if (a->dims[i] != b->dims[i])
            return false;
    return true;
}

const char *rk_shape_str(const rk_tensor *t, char *buf, size_t n)
{
    size_t used = 0;
    if (n)
        buf[0] = 0;
    if (t->ndim == 0) {
        snprintf(buf, n, "scalar");
        return buf;
    }
    for (int i = 0; i < t->ndim && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, "%s%lld", i ? "x" : "",
                                 (long long)t->dims[i]);
    return buf;
}

float rk_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t mant = h & 0x3ff;
    uint32_t bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { /* subnormal: renormalise */
            int shift = 0;
            while (!(mant & 0x400)) {
                mant <<= 1;
                shift++;
            }
            mant &= 0x3ff;
            bits = sign | ((uint32_t)(127 - 15 + 1 - shift) << 23) | (mant << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t rk_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    uint32_t absx = x & 0x7fffffff;
    if (absx >= 0x7f800000) /* inf or nan */
        return (uint16_t)(sign | 0x7c00 | (absx > 0x7f800000 ? 0x200 | ((absx >> 13) & 0x3ff) : 0));
    if (absx >= 0x477ff000) /* rounds to >= 65520: overflow to inf */
        return (uint16_t)(sign | 0x7c00);
    if (absx < 0x38800000) { /* result subnormal or zero */
        if (absx < 0x33000000) /* below half the smallest subnormal */
            return (uint16_t)sign;
        uint32_t mant = (absx & 0x7fffff) | 0x800000;
        int e = (int)(absx >> 23); /* 103..112 */
        int shift = 126 - e;       /* bits to drop to get a 10-bit subnormal */
        uint32_t q = mant >> shift;
        uint32_t rem = mant & ((1u << shift) - 1);
        uint32_t half = 1u << (shift - 1);
        if (rem > half || (rem == half && (q & 1)))
            q++;
        return (uint16_t)(sign | q);
    }
    uint32_t q = ((absx - 0x38000000) >> 13);
    uint32_t rem = absx & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (q & 1)))
        q++;
    return (uint16_t)(sign | q);
}

float rk_bf16_to_f32(uint16_t h)
{
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t rk_f32_to_bf16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffff) > 0x7f800000)
        return (uint16_t)((x >> 16) | 0x40);
    x += 0x7fff + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

rk_status rk_tensor_to_f32(rk_tensor *dst, const rk_tensor *src, rk_err *e)
{
    rk_status st = rk_tensor_alloc(dst, src->name, RK_DT_F32, src->ndim, src->dims, e);
    if (st != RK_OK)
        return st;
    float *o = dst->data;
    const void *p = src->data;
    for (int64_t i = 0; i < src->nelem; i++) {
        switch (src->dtype) {
        case RK_DT_F32: o[i] = ((const float *)p)[i]; break;
        case RK_DT_F64: o[i] = (float)((const double *)p)[i]; break;
        case RK_DT_F16: o[i] = rk_f16_to_f32(((const uint16_t *)p)[i]); break;
        case RK_DT_BF16: o[i] = rk_bf16_to_f32(((const uint16_t *)p)[i]); break;
        case RK_DT_I8: o[i] = ((const int8_t *)p)[i]; break;
        case RK_DT_U8: case RK_DT_BOOL: o[i] = ((const uint8_t *)p)[i]; break;
        case RK_DT_I16: o[i] = ((const int16_t *)p)[i]; break;
        case RK_DT_U16: o[i] = ((const uint16_t *)p)[i]; break;
        case RK_DT_I32: o[i] = (float)((const int32_t *)p)[i]; break;
        case RK_DT_U32: o[i] = (float)((const uint32_t *)p)[i]; break;
        case RK_DT_I64: o[i] = (float)((const int64_t *)p)[i]; break;
        case RK_DT_U64: o[i] = (float)((const uint64_t *)p)[i]; break;
        default:
            rk_tensor_free(dst);
            return rk_errf(e, RK_EUNSUPPORTED, "tensor '%s': cannot convert %s to float32",
                           src->name ? src->name : "(unnamed)", rk_dtype_name(src->dtype));
        }
    }
    return RK_OK;
}
