/*
 * nn_internal.h - helpers shared by the neural-network operator kernels
 * (nn_conv.c, nn_gemm.c, nn_pool.c, nn_norm.c, nn_resize.c, nn_attention.c).
 * Private to onnxref: the public contract stays ox_op.h.
 */
#ifndef NN_INTERNAL_H
#define NN_INTERNAL_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ox_op.h"

/* Hot loops.  GCC's -O2 cost model does not vectorise loops that need a
 * remainder, and the baseline x86-64 target has only SSE2; these functions
 * are built with O3 plus an AVX2/FMA clone picked at load time (ifunc),
 * falling back to the baseline clone on older CPUs.  no-trapping-math
 * lets GCC turn float comparisons into blends (we never read FP exception
 * flags), which vectorises clamps and selects. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define NN_HOT                                                                        \
    __attribute__((optimize("O3", "no-trapping-math"),                                 \
                   target_clones("arch=x86-64-v3", "default")))
#else
#define NN_HOT
#endif

/* exp(x) in float32 to about 1 ulp, written so that loops calling it
 * vectorise (no libm call): x = n*ln2 + r with |r| <= ln2/2 (Cody-Waite
 * split of ln2), e^r from its degree-7 Taylor polynomial (truncation error
 * below 6e-9 relative), 2^n from the exponent bits.  exp(-inf) = 0 and
 * results below FLT_MIN (x < -87.33) flush to 0; x > 88.72 gives +inf;
 * NaN stays NaN.  Used by the softmax paths.  always_inline: GCC does not
 * inline across the NN_HOT target/optimize change, and a call per element
 * would defeat the vectorisation. */
static inline __attribute__((always_inline)) float nn_expf(float x)
{
    float xc = x < -87.33f ? -87.33f : (x > 88.72f ? 88.72f : x);
    float nf = floorf(xc * 1.44269504f + 0.5f);
    nf = nf == nf ? nf : 0.0f; /* NaN: keep the int conversion defined */
    float r = xc - nf * 0.693359375f + nf * 2.12194440e-4f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    int32_t bits = ((int32_t)nf + 127) * (1 << 23);
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    float y = p * scale;
    y = x < -87.33f ? 0.0f : y;
    y = x > 88.72f ? INFINITY : y;
    return x != x ? x : y;
}

/* Conv / pool kernels support up to three spatial dimensions (1-D, 2-D and
 * 3-D cover every ONNX node test and the models we target). */
#define NN_MAX_SPATIAL 3

/* Upper bound for geometry attributes (strides, dilations, pads, kernel
 * and output sizes): far beyond any real network (65536), low enough that
 * sizes computed from them cannot overflow and that a malformed model
 * cannot ask for hours of work (found by tests/fuzz/fuzz_onnxref_nn.c). */
#define NN_MAX_GEOM ((int64_t)1 << 16)

/* Input i or NULL when omitted ("" name) or past the declared count. */
static inline const rk_tensor *nn_in(const rk_tensor *const *in, int nin, int i)
{
    return (i < nin) ? in[i] : NULL;
}

/* Required input: fails naming the node and the input role when absent. */
rk_status nn_need(const ox_node *n, const rk_tensor *const *in, int nin, int i,
                  const char *role, const rk_tensor **t, rk_err *e);
/* Fails unless t is float32 (kernels compute in float32 only). */
rk_status nn_need_f32(const ox_node *n, const rk_tensor *t, const char *role, rk_err *e);
/* Fails unless t->ndim == ndim (ndim < 0: at least -ndim dims). */
rk_status nn_need_rank(const ox_node *n, const rk_tensor *t, const char *role, int ndim,
                       rk_err *e);

/* Normalise an axis attribute into [0, rank); fails when out of range. */
rk_status nn_axis(const ox_node *n, const char *what, int64_t axis, int rank, int *out,
                  rk_err *e);

/* Sliding-window geometry of Conv / pooling over `nsp` spatial dims.
 * Invariants after nn_window_init: for every d < nsp, kernel[d] >= 1,
 * stride[d] >= 1, dil[d] >= 1, pad_lo/pad_hi >= 0 (ConvTranspose fills its
 * own window, where pads may be negative), out[d] >= 1.  Dims past nsp hold
 * in=out=kernel=stride=dil=1 and zero pads; nn_window_to_3d then moves the
 * real dims to the trailing axes so kernels handle one 3-D layout. */
typedef struct nn_window {
    int nsp;
    int64_t in[NN_MAX_SPATIAL];
    int64_t kernel[NN_MAX_SPATIAL];
    int64_t stride[NN_MAX_SPATIAL];
    int64_t dil[NN_MAX_SPATIAL];
    int64_t pad_lo[NN_MAX_SPATIAL];
    int64_t pad_hi[NN_MAX_SPATIAL];
    int64_t out[NN_MAX_SPATIAL];
} nn_window;

/* Reads strides / dilations / pads / auto_pad (and ceil_mode when
 * `pooling`) and computes output sizes, following the ONNX Conv and
 * MaxPool/AveragePool specs.  `kernel` comes from the weight shape (Conv) or
 * the kernel_shape attribute (pools). */
rk_status nn_window_init(const ox_node *n, int nsp, const int64_t *in_sp,
                         const int64_t *kernel, bool pooling, nn_window *w, rk_err *e);

/* Moves a 1-D/2-D window onto the trailing axes of the 3-D layout (leading
 * axes of size 1), so kernels handle one layout.  nsp is kept. */
void nn_window_to_3d(nn_window *w);

/* Reads an INTS attribute of exactly `count` values in [min_value,
 * max_value] into dst; leaves dst alone when the attribute is absent. */
rk_status nn_read_ints(const ox_node *n, const char *name, int count, int64_t min_value,
                       int64_t max_value, int64_t *dst, rk_err *e);

/* Reads kernel_shape (required for pools) into k; fails when missing or of
 * the wrong length or non-positive. */
rk_status nn_kernel_shape_attr(const ox_node *n, int nsp, int64_t *k, rk_err *e);

/* Pins OpenBLAS to one thread per call (idempotent); nn_gemm parallelises. */
void nn_blas_threads(const ox_ctx *ctx);

/* Row-major C = alpha * op(A) * op(B) + beta * C, split over the context's
 * threads by column blocks (or row blocks when N is small). */
void nn_gemm(ox_ctx *ctx, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
             float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
             float *c, int64_t ldc);

/* Row-major C[MxN] = alpha * op(A) * op(B) + beta * C with OpenBLAS. */
void nn_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t nn, int64_t k, float alpha,
              const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
              float *c, int64_t ldc);

/* Converts a float32 tensor in place of dst (allocated with the shape of
 * src32) to `dt` (float32 copy, float16, bfloat16, float64, 8/16/32-bit
 * ints with round-half-even and saturation).  Used by kernels that compute in
 * float32 for other input types. */
rk_status nn_from_f32(const ox_node *n, const rk_tensor *src32, rk_dtype dt, rk_tensor *dst,
                      rk_err *e);

/* Allocates a float32 output shaped like input 0, taking over input 0's
 * storage when the runner says no later node reads it (ox_input_reusable).
 * Only for kernels that read each element before writing that element
 * and never read an element after writing another (normalisations,
 * softmax family). */
rk_status nn_alloc_inplace(ox_ctx *ctx, const rk_tensor *in0, rk_tensor *out, rk_err *e);

/* Reads element i of any numeric tensor as double / int64. */
double nn_get_f64(const rk_tensor *t, int64_t i);
int64_t nn_get_i64(const rk_tensor *t, int64_t i);

/* Kernels (all with the ox_kernel_fn signature), listed in ops_nn.c. */
#define NN_KERNEL(name)                                                          \
    rk_status name(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin, \
                   rk_tensor *out, int nout, rk_err *e)
NN_KERNEL(nn_op_conv);
NN_KERNEL(nn_op_conv_transpose);
NN_KERNEL(nn_op_conv_integer);
NN_KERNEL(nn_op_qlinear_conv);
NN_KERNEL(nn_op_gemm);
NN_KERNEL(nn_op_matmul);
NN_KERNEL(nn_op_matmul_integer);
NN_KERNEL(nn_op_qlinear_matmul);
NN_KERNEL(nn_op_einsum);
NN_KERNEL(nn_op_maxpool);
NN_KERNEL(nn_op_avgpool);
NN_KERNEL(nn_op_lppool);
NN_KERNEL(nn_op_global_maxpool);
NN_KERNEL(nn_op_global_avgpool);
NN_KERNEL(nn_op_global_lppool);
NN_KERNEL(nn_op_maxunpool);
NN_KERNEL(nn_op_batchnorm);
NN_KERNEL(nn_op_instancenorm);
NN_KERNEL(nn_op_groupnorm);
NN_KERNEL(nn_op_layernorm);
NN_KERNEL(nn_op_lrn);
NN_KERNEL(nn_op_softmax);
NN_KERNEL(nn_op_logsoftmax);
NN_KERNEL(nn_op_hardmax);
NN_KERNEL(nn_op_resize);
NN_KERNEL(nn_op_upsample);
NN_KERNEL(nn_op_depth_to_space);
NN_KERNEL(nn_op_space_to_depth);
NN_KERNEL(nn_op_attention);

#endif
