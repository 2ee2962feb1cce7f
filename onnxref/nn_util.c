/*
 * nn_util.c - shared helpers of the neural-network kernels: input checks,
 * sliding-window geometry (ONNX Conv / pool specs), the OpenBLAS GEMM
 * wrappers (threaded by output blocks) and dtype helpers.
 */
#include "nn_internal.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

rk_status nn_need(const ox_node *n, const rk_tensor *const *in, int nin, int i,
                  const char *role, const rk_tensor **t, rk_err *e)
{
    *t = nn_in(in, nin, i);
    if (!*t)
        return rk_errf(e, RK_EINPUT, "%s: required input %d (%s) is missing", ox_node_label(n),
                       i, role);
    return RK_OK;
}

rk_status nn_need_f32(const ox_node *n, const rk_tensor *t, const char *role, rk_err *e)
{
    if (t->dtype != RK_DT_F32)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: input %s has type %s; only float32 is supported",
                       ox_node_label(n), role, rk_dtype_name(t->dtype));
    return RK_OK;
}

rk_status nn_need_rank(const ox_node *n, const rk_tensor *t, const char *role, int ndim,
                       rk_err *e)
{
    char buf[96];
    if ((ndim >= 0 && t->ndim != ndim) || (ndim < 0 && t->ndim < -ndim))
        return rk_errf(e, RK_EINPUT, "%s: input %s has shape %s; expected %s%d dimensions",
                       ox_node_label(n), role, rk_shape_str(t, buf, sizeof buf),
                       ndim < 0 ? "at least " : "", ndim < 0 ? -ndim : ndim);
    return RK_OK;
}

rk_status nn_axis(const ox_node *n, const char *what, int64_t axis, int rank, int *out,
                  rk_err *e)
{
    if (axis < -(int64_t)rank || axis >= rank)
        return rk_errf(e, RK_EINPUT, "%s: attribute %s=%lld is outside [-%d, %d)",
                       ox_node_label(n), what, (long long)axis, rank, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return RK_OK;
}

rk_status nn_read_ints(const ox_node *n, const char *name, int count, int64_t min_value,
                       int64_t max_value, int64_t *dst, rk_err *e)
{
    const int64_t *v;
    int len = ox_attr_ints(n, name, &v);
    if (len < 0)
        return RK_OK;
    if (len != count)
        return rk_errf(e, RK_EINPUT, "%s: attribute %s has %d values; expected %d",
                       ox_node_label(n), name, len, count);
    for (int i = 0; i < count; i++) {
        if (v[i] < min_value || v[i] > max_value)
            return rk_errf(e, RK_EINPUT, "%s: attribute %s[%d]=%lld is outside [%lld, %lld]",
                           ox_node_label(n), name, i, (long long)v[i], (long long)min_value,
                           (long long)max_value);
        dst[i] = v[i];
    }
    return RK_OK;
}

static rk_status read_ints(const ox_node *n, const char *name, int count, int64_t min_value,
                           int64_t *dst, rk_err *e)
{
    return nn_read_ints(n, name, count, min_value, NN_MAX_GEOM, dst, e);
}

rk_status nn_kernel_shape_attr(const ox_node *n, int nsp, int64_t *k, rk_err *e)
{
    if (!ox_attr_has(n, "kernel_shape"))
        return rk_errf(e, RK_EINPUT, "%s: required attribute kernel_shape is missing",
                       ox_node_label(n));
    return read_ints(n, "kernel_shape", nsp, 1, k, e);
}

/* One spatial dim of the output size for explicit pads (auto_pad NOTSET). */
static rk_status explicit_out(const ox_node *n, nn_window *w, int d, bool ceil_mode, rk_err *e)
{
    int64_t eff_k = (w->kernel[d] - 1) * w->dil[d] + 1;
    int64_t span = w->in[d] + w->pad_lo[d] + w->pad_hi[d] - eff_k;
    if (span < 0)
        return rk_errf(e, RK_EINPUT,
                       "%s: spatial dim %d: padded input %lld is smaller than the dilated "
                       "kernel %lld",
                       ox_node_label(n), d, (long long)(span + eff_k), (long long)eff_k);
    int64_t out = ceil_mode ? (span + w->stride[d] - 1) / w->stride[d] + 1
                            : span / w->stride[d] + 1;
    /* ceil_mode must not start a window entirely inside the end padding
     * (ONNX pool spec / onnxruntime pool_attributes). */
    if (ceil_mode && (out - 1) * w->stride[d] >= w->in[d] + w->pad_lo[d])
        out--;
    w->out[d] = out;
    return RK_OK;
}

rk_status nn_window_init(const ox_node *n, int nsp, const int64_t *in_sp,
                         const int64_t *kernel, bool pooling, nn_window *w, rk_err *e)
{
    rk_status st;
    int64_t pads[2 * NN_MAX_SPATIAL] = {0};

    if (nsp < 1 || nsp > NN_MAX_SPATIAL)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: %d spatial dimensions (supported: 1 to %d)",
                       ox_node_label(n), nsp, NN_MAX_SPATIAL);
    for (int d = 0; d < nsp; d++)
        if (kernel[d] < 1)
            return rk_errf(e, RK_EINPUT, "%s: kernel size %lld along spatial dim %d (must be "
                           ">= 1)", ox_node_label(n), (long long)kernel[d], d);
    memset(w, 0, sizeof *w);
    w->nsp = nsp;
    for (int d = 0; d < NN_MAX_SPATIAL; d++) {
        w->in[d] = d < nsp ? in_sp[d] : 1;
        w->kernel[d] = d < nsp ? kernel[d] : 1;
        w->stride[d] = w->dil[d] = w->out[d] = 1;
    }
    if ((st = read_ints(n, "strides", nsp, 1, w->stride, e)) ||
        (st = read_ints(n, "dilations", nsp, 1, w->dil, e)) ||
        (st = read_ints(n, "pads", 2 * nsp, 0, pads, e)))
        return st;
    bool ceil_mode = pooling && ox_attr_int_or(n, "ceil_mode", 0) != 0;
    const char *ap = ox_attr_string_or(n, "auto_pad", "NOTSET");
    for (int d = 0; d < nsp; d++) {
        int64_t eff_k = (w->kernel[d] - 1) * w->dil[d] + 1;
        if (!strcmp(ap, "NOTSET") || !ap[0]) {
            w->pad_lo[d] = pads[d];
            w->pad_hi[d] = pads[d + nsp];
            if ((st = explicit_out(n, w, d, ceil_mode, e)))
                return st;
        } else if (!strcmp(ap, "VALID")) {
            if ((st = explicit_out(n, w, d, ceil_mode, e)))
                return st;
        } else if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
            int64_t out = (w->in[d] + w->stride[d] - 1) / w->stride[d];
            int64_t total = RK_MAX(0, (out - 1) * w->stride[d] + eff_k - w->in[d]);
            bool upper = !strcmp(ap, "SAME_UPPER");
            w->pad_lo[d] = upper ? total / 2 : total - total / 2;
            w->pad_hi[d] = total - w->pad_lo[d];
            w->out[d] = out;
        } else {
            return rk_errf(e, RK_EINPUT, "%s: unknown auto_pad '%s'", ox_node_label(n), ap);
        }
        if (w->out[d] < 1)
            return rk_errf(e, RK_EINPUT, "%s: spatial dim %d: output size %lld is empty",
                           ox_node_label(n), d, (long long)w->out[d]);
    }
    return RK_OK;
}

void nn_window_to_3d(nn_window *w)
{
    int shift = NN_MAX_SPATIAL - w->nsp;
    if (shift <= 0)
        return;
    nn_window s = *w;
    for (int d = 0; d < NN_MAX_SPATIAL; d++) {
        int k = d - shift;
        w->in[d] = k >= 0 ? s.in[k] : 1;
        w->kernel[d] = k >= 0 ? s.kernel[k] : 1;
        w->stride[d] = k >= 0 ? s.stride[k] : 1;
        w->dil[d] = k >= 0 ? s.dil[k] : 1;
        w->pad_lo[d] = k >= 0 ? s.pad_lo[k] : 0;
        w->pad_hi[d] = k >= 0 ? s.pad_hi[k] : 0;
        w->out[d] = k >= 0 ? s.out[k] : 1;
    }
}

rk_status nn_alloc_inplace(ox_ctx *ctx, const rk_tensor *in0, rk_tensor *out, rk_err *e)
{
    if (in0->dtype == RK_DT_F32 && !in0->borrowed && in0->data && ox_input_reusable(ctx, 0)) {
        memset(out, 0, sizeof *out);
        out->dtype = RK_DT_F32;
        out->ndim = in0->ndim;
        memcpy(out->dims, in0->dims, sizeof out->dims);
        out->nelem = in0->nelem;
        out->data = in0->data; /* the runner sees the shared pointer */
        return RK_OK;
    }
    return rk_tensor_alloc(out, NULL, RK_DT_F32, in0->ndim, in0->dims, e);
}

/* ---- BLAS ---------------------------------------------------------------- */

void nn_blas_threads(const ox_ctx *ctx)
{
    /* OpenBLAS always runs single-threaded inside the calling thread; the
     * parallelism comes from nn_gemm splitting the output over
     * ox_parallel_for workers.  OpenBLAS's own pool busy-waits between
     * calls, which on a shared or oversubscribed machine made 2 threads
     * slower than 1 (measured: det model conv time 104 ms -> 445 ms).
     * Concurrent single-threaded calls from several caller threads are
     * supported by OpenBLAS since the 0.3.7 thread-safety work (issue
     * OpenMathLib/OpenBLAS#2126); Debian 12 ships 0.3.21.  The unit tests
     * compare 1- and 2-thread results. */
    static int configured;
    (void)ctx;
    if (!configured) {
        openblas_set_num_threads(1);
        configured = 1;
    }
}

/* One GEMM whose output is split into column (or row) blocks. */
typedef struct gemm_job {
    bool ta, tb, by_rows;
    int64_t m, n, k;
    float alpha, beta;
    const float *a, *b;
    float *c;
    int64_t lda, ldb, ldc, block;
} gemm_job;

static void gemm_blocks(void *arg, int64_t b0, int64_t b1)
{
    const gemm_job *j = arg;
    int64_t lo = b0 * j->block;
    if (j->by_rows) {
        int64_t hi = RK_MIN(j->m, b1 * j->block);
        const float *a = j->ta ? j->a + lo : j->a + lo * j->lda;
        nn_sgemm(j->ta, j->tb, hi - lo, j->n, j->k, j->alpha, a, j->lda, j->b, j->ldb, j->beta,
                 j->c + lo * j->ldc, j->ldc);
    } else {
        int64_t hi = RK_MIN(j->n, b1 * j->block);
        const float *b = j->tb ? j->b + lo * j->ldb : j->b + lo;
        nn_sgemm(j->ta, j->tb, j->m, hi - lo, j->k, j->alpha, j->a, j->lda, b, j->ldb, j->beta,
                 j->c + lo, j->ldc);
    }
}

void nn_gemm(ox_ctx *ctx, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
             float alpha, const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
             float *c, int64_t ldc)
{
    nn_blas_threads(ctx);
    int threads = ox_ctx_threads(ctx);
    /* Below ~2 MFLOP a thread start costs more than it saves. */
    if (threads <= 1 || (double)m * (double)n * (double)k < 1e6) {
        nn_sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return;
    }
    gemm_job j = {trans_a, trans_b, false, m, n, k, alpha, beta, a, b, c, lda, ldb, ldc, 0};
    if (n >= 128) {
        j.block = 64; /* column blocks: multiples of the sgemm kernel width */
    } else {
        j.by_rows = true;
        j.block = RK_MAX(8, m / (4 * threads));
    }
    int64_t total = j.by_rows ? m : n;
    int64_t nblocks = (total + j.block - 1) / j.block;
    /* grain: give each worker a contiguous run of blocks */
    ox_parallel_for(ctx, nblocks, RK_MAX(1, nblocks / (4 * threads)), gemm_blocks, &j);
}

void nn_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t nn, int64_t k, float alpha,
              const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
              float *c, int64_t ldc)
{
    if (m <= 0 || nn <= 0)
        return;
    if (k <= 0) { /* empty reduction: C = beta * C */
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < nn; j++)
                c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
        return;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                trans_b ? CblasTrans : CblasNoTrans, (blasint)m, (blasint)nn, (blasint)k, alpha,
                a, (blasint)lda, b, (blasint)ldb, beta, c, (blasint)ldc);
}

/* ---- dtype helpers -------------------------------------------------------- */

double nn_get_f64(const rk_tensor *t, int64_t i)
{
    const void *p = t->data;
    switch (t->dtype) {
    case RK_DT_F32: return ((const float *)p)[i];
    case RK_DT_F64: return ((const double *)p)[i];
    case RK_DT_F16: return rk_f16_to_f32(((const uint16_t *)p)[i]);
    case RK_DT_BF16: return rk_bf16_to_f32(((const uint16_t *)p)[i]);
    case RK_DT_U8: return ((const uint8_t *)p)[i];
    case RK_DT_I8: return ((const int8_t *)p)[i];
    case RK_DT_U16: return ((const uint16_t *)p)[i];
    case RK_DT_I16: return ((const int16_t *)p)[i];
    case RK_DT_I32: return ((const int32_t *)p)[i];
    case RK_DT_I64: return (double)((const int64_t *)p)[i];
    case RK_DT_U32: return ((const uint32_t *)p)[i];
    case RK_DT_U64: return (double)((const uint64_t *)p)[i];
    case RK_DT_BOOL: return ((const uint8_t *)p)[i] != 0;
    default: return 0.0;
    }
}

int64_t nn_get_i64(const rk_tensor *t, int64_t i)
{
    const void *p = t->data;
    switch (t->dtype) {
    case RK_DT_I64: return ((const int64_t *)p)[i];
    case RK_DT_I32: return ((const int32_t *)p)[i];
    case RK_DT_U64: return (int64_t)((const uint64_t *)p)[i];
    default: return (int64_t)nn_get_f64(t, i);
    }
}

static double sat(double v, double lo, double hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

rk_status nn_from_f32(const ox_node *n, const rk_tensor *src32, rk_dtype dt, rk_tensor *dst,
                      rk_err *e)
{
    rk_status st = rk_tensor_alloc(dst, NULL, dt, src32->ndim, src32->dims, e);
    if (st)
        return st;
    const float *s = src32->data;
    for (int64_t i = 0; i < src32->nelem; i++) {
        double r = nearbyint(s[i]); /* round half to even (default FE mode) */
        switch (dt) {
        case RK_DT_F32: ((float *)dst->data)[i] = s[i]; break;
        case RK_DT_F64: ((double *)dst->data)[i] = s[i]; break;
        case RK_DT_F16: ((uint16_t *)dst->data)[i] = rk_f32_to_f16(s[i]); break;
        case RK_DT_BF16: ((uint16_t *)dst->data)[i] = rk_f32_to_bf16(s[i]); break;
        case RK_DT_U8: ((uint8_t *)dst->data)[i] = (uint8_t)sat(r, 0, 255); break;
        case RK_DT_I8: ((int8_t *)dst->data)[i] = (int8_t)sat(r, -128, 127); break;
        case RK_DT_U16: ((uint16_t *)dst->data)[i] = (uint16_t)sat(r, 0, 65535); break;
        case RK_DT_I16: ((int16_t *)dst->data)[i] = (int16_t)sat(r, -32768, 32767); break;
        case RK_DT_I32:
            ((int32_t *)dst->data)[i] = (int32_t)sat(r, -2147483648.0, 2147483647.0);
            break;
        default:
            rk_tensor_free(dst);
            return rk_errf(e, RK_EUNSUPPORTED, "%s: cannot produce output type %s",
                           ox_node_label(n), rk_dtype_name(dt));
        }
    }
    return RK_OK;
}
