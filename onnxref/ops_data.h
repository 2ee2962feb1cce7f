/*
 * ops_data.h - dtype-generic helpers shared by the data-movement kernels
 * (ops_shape.c, ops_reduce.c, ops_misc.c): element access in int64/double
 * for every numeric rk_dtype, integer-list inputs (axes, shapes, indices),
 * axis normalisation, a strided copy and a stable index sort.
 *
 * Private to onnxref: kernels of other families may use it, nothing outside
 * onnxref should.  Every function that can fail names the node (via
 * ox_node_label) and the offending input or attribute.
 */
#ifndef OX_OPS_DATA_H
#define OX_OPS_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ox_op.h"

/* Largest rank the strided copy accepts: Tile views its output as
 * [r0, d0, r1, d1, ...], twice the tensor rank. */
#define OXD_MAX_VIEW_DIMS (2 * RK_MAX_DIMS)

bool oxd_is_float(rk_dtype dt);   /* float16, bfloat16, float32, float64 */
bool oxd_is_integer(rk_dtype dt); /* signed/unsigned ints and bool */
bool oxd_is_numeric(rk_dtype dt); /* either of the above */
/* Element i of a floating-point tensor as double (NaN for other types), and
 * the inverse (rounded to the tensor's type; no-op for other types). */
double oxd_load_f64(const rk_tensor *t, int64_t i);
void oxd_store_f64(rk_tensor *t, int64_t i, double v);

/* Element i read as double / int64 (floats truncate toward zero, NaN -> 0,
 * values beyond int64 clamp; bool -> 0/1; uint64 above INT64_MAX keeps its
 * bit pattern through the int64 path and its value through the double path). */
double oxd_get_f64(const rk_tensor *t, int64_t i);
int64_t oxd_get_i64(const rk_tensor *t, int64_t i);
/* Store v into element i.  Integer destinations: the int64 path wraps
 * modulo 2^bits (two's complement, like C and numpy casts); the double path
 * truncates toward zero first (NaN -> 0, +-inf and beyond-int64 clamp to the
 * int64 range) and then wraps.  bool stores v != 0. */
void oxd_set_f64(rk_tensor *t, int64_t i, double v);
void oxd_set_i64(rk_tensor *t, int64_t i, int64_t v);

/* Copy element value: same dtype (memcpy) or converting. */
void oxd_convert_elem(rk_tensor *dst, int64_t di, const rk_tensor *src, int64_t si);

/* Reads an integer tensor (any integer dtype) of at most `max` elements into
 * vals; *count = nelem.  `what` names the input in errors ("'axes'"). */
rk_status oxd_read_ints(const ox_node *n, const rk_tensor *t, const char *what,
                        int64_t *vals, int max, int *count, rk_err *e);
/* A one-element integer tensor (scalar or shape [1]). */
rk_status oxd_read_scalar_i64(const ox_node *n, const rk_tensor *t, const char *what,
                              int64_t *v, rk_err *e);
/* A one-element numeric tensor as double. */
rk_status oxd_read_scalar_f64(const ox_node *n, const rk_tensor *t, const char *what,
                              double *v, rk_err *e);

/* Maps axis in [-rank, rank) to [0, rank) or fails naming `what`. */
rk_status oxd_norm_axis(const ox_node *n, const char *what, int64_t axis, int rank,
                        int *out, rk_err *e);
/* Normalises a list of axes; fails on out-of-range or repeated axes.
 * `mask` receives one bool per axis of the rank. */
rk_status oxd_norm_axes(const ox_node *n, const char *what, const int64_t *axes, int count,
                        int rank, bool *mask, rk_err *e);

/* Input i or NULL when it is omitted or beyond nin. */
const rk_tensor *oxd_opt_input(const rk_tensor *const *in, int nin, int i);
/* Input i, failing with a sentence when it is missing. */
rk_status oxd_need_input(const ox_node *n, const rk_tensor *const *in, int nin, int i,
                         const char *what, const rk_tensor **t, rk_err *e);
rk_status oxd_need_dtype_int(const ox_node *n, const rk_tensor *t, const char *what,
                             rk_err *e);

/* Row-major element strides of t. */
void oxd_strides(const rk_tensor *t, int64_t *strides);
/* Product of dims[from..to). */
int64_t oxd_dims_product(const int64_t *dims, int from, int to);

/* For each output coordinate c (row-major over dims[0..ndim)), copies the
 * element at src + (base + sum c[d]*strides[d]) * esize to the next dst slot.
 * Strides are in elements and may be zero (broadcast) or negative (reversed
 * slices).  ndim <= OXD_MAX_VIEW_DIMS; ndim 0 copies one element. */
void oxd_strided_copy(void *dst, const void *src, int64_t base, int ndim,
                      const int64_t *dims, const int64_t *strides, size_t esize);

/* Stable sort of idx[0..count) with cmp(ctx, a, b) < 0 meaning a first. */
typedef int (*oxd_cmp_fn)(const void *ctx, int64_t a, int64_t b);
rk_status oxd_stable_sort(int64_t *idx, int64_t count, oxd_cmp_fn cmp, const void *ctx,
                          rk_err *e);


/* The kernel signature (ox_kernel_fn) spelled once for the kernel files. */
#define KERNEL_ARGS                                                                    \
    ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin, rk_tensor *out, \
        int nout, rk_err *e

/* Return early from a kernel when a helper fails. */
#define TRY(expr)                      \
    do {                               \
        rk_status st_ = (expr);        \
        if (st_ != RK_OK)              \
            return st_;                \
    } while (0)

/* The node's label for messages ("Conv 'conv1' (opset 11)"). */
static inline const char *L(const ox_node *n)
{
    return ox_node_label(n);
}

#endif
