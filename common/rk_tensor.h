/*
 * rk_tensor.h - the dense tensor every rksim module exchanges.
 *
 * Invariants:
 *  - data is contiguous, row-major (last dimension fastest); strides are
 *    implied by dims and the element size of dtype.
 *  - nelem == product(dims[0..ndim-1]); ndim == 0 is a scalar with nelem 1.
 *  - data holds exactly nelem * rk_dtype_storage_size(dtype) bytes and is
 *    owned by the tensor (freed by rk_tensor_free) unless `borrowed` is set.
 *  - RK_DT_STRING tensors (ONNX string) hold nelem `char *` elements, each
 *    NULL (meaning "") or an owned, NUL-terminated heap string.
 *    rk_tensor_alloc zero-fills (all ""), rk_tensor_free frees each string
 *    (unless borrowed), rk_tensor_copy duplicates them.  Because elements
 *    are pointers, raw byte copies (memcpy of data) are wrong for strings:
 *    rk_dtype_size(RK_DT_STRING) is 0 and rk_tensor_bytes() of a string
 *    tensor is 0, so code that works on raw numeric bytes can detect and
 *    refuse strings by testing rk_dtype_size() == 0.
 *  - name is owned (may be NULL).
 * A zero-initialised rk_tensor is a valid empty float32 scalar-less tensor
 * with no data (nelem 0); rk_tensor_free on it is a no-op.
 */
#ifndef RK_TENSOR_H
#define RK_TENSOR_H

#include <stdbool.h>
#include <stdint.h>

#include "rk_base.h"

/* Values follow ONNX TensorProto.DataType so conversions are trivial. */
typedef enum rk_dtype {
    RK_DT_UNDEF = 0,
    RK_DT_F32 = 1,
    RK_DT_U8 = 2,
    RK_DT_I8 = 3,
    RK_DT_U16 = 4,
    RK_DT_I16 = 5,
    RK_DT_I32 = 6,
    RK_DT_I64 = 7,
    RK_DT_STRING = 8, /* elements are owned char * (see the invariants) */
    RK_DT_BOOL = 9,
    RK_DT_F16 = 10,
    RK_DT_F64 = 11,
    RK_DT_U32 = 12,
    RK_DT_U64 = 13,
    RK_DT_BF16 = 16
} rk_dtype;

#define RK_MAX_DIMS 8

typedef struct rk_tensor {
    char *name;
    rk_dtype dtype;
    int ndim;
    int64_t dims[RK_MAX_DIMS];
    int64_t nelem;
    void *data;
    bool borrowed; /* data not owned: rk_tensor_free leaves it alone */
} rk_tensor;

/* Bytes per element of numeric data: 0 for UNDEF and STRING ("not a fixed
 * size numeric type"; callers rely on this to refuse strings). */
size_t rk_dtype_size(rk_dtype dt);
/* Bytes per element of the tensor's storage: rk_dtype_size(), except
 * sizeof(char *) for STRING. 0 for UNDEF. */
size_t rk_dtype_storage_size(rk_dtype dt);
const char *rk_dtype_name(rk_dtype dt); /* "float32", "int8", ... */
rk_dtype rk_dtype_from_name(const char *name); /* UNDEF if unknown */

/* Allocate zeroed storage for the given shape. Fails (RK_EINPUT) on negative
 * dims, ndim > RK_MAX_DIMS or overflow. `name` is copied (may be NULL). */
rk_status rk_tensor_alloc(rk_tensor *t, const char *name, rk_dtype dt,
                          int ndim, const int64_t *dims, rk_err *e);
void rk_tensor_free(rk_tensor *t);
/* Deep copy (strings are duplicated). */
rk_status rk_tensor_copy(rk_tensor *dst, const rk_tensor *src, rk_err *e);
rk_status rk_tensor_set_name(rk_tensor *t, const char *name);
/* Numeric payload bytes: nelem * rk_dtype_size(dtype), 0 for STRING. */
size_t rk_tensor_bytes(const rk_tensor *t);
/* Element i of a STRING tensor ("" for a NULL element). */
const char *rk_tensor_str(const rk_tensor *t, int64_t i);
/* Replace element i of a STRING tensor by a copy of the first len bytes of
 * s (a NUL is appended); the old string is freed.  RK_ENOMEM on failure. */
rk_status rk_tensor_set_str(rk_tensor *t, int64_t i, const char *s, size_t len);
bool rk_shape_equal(const rk_tensor *a, const rk_tensor *b);
/* "1x3x224x224" into buf; returns buf. */
const char *rk_shape_str(const rk_tensor *t, char *buf, size_t n);

/* Convert any numeric tensor to a new float32 tensor (same shape, name). */
rk_status rk_tensor_to_f32(rk_tensor *dst, const rk_tensor *src, rk_err *e);

/* IEEE half and bfloat16 conversions (round to nearest even, exact). */
float rk_f16_to_f32(uint16_t h);
uint16_t rk_f32_to_f16(float f);
float rk_bf16_to_f32(uint16_t h);
uint16_t rk_f32_to_bf16(float f);

#endif
