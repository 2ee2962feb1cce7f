/*
 * nn_conv.c - Conv, ConvTranspose, ConvInteger and QLinearConv.
 *
 * Conv follows the ONNX Conv spec (opset 1/11: strides, dilations, pads,
 * auto_pad, group).  The heavy lifting is OpenBLAS sgemm over an im2col
 * matrix built in bounded chunks of output positions (so scratch memory
 * stays small on large feature maps), except depthwise convolutions, which
 * GEMM handles poorly and which get a direct row-vectorised kernel.
 */
#include "nn_conv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Upper bound of the im2col scratch, in floats (1 MiB): a chunk of output
 * columns that stays in L2 while OpenBLAS packs it.  Measured on the
 * PP-OCRv4 det head (3x3, 96 -> 24 channels, 120x120): 8 MiB chunks took
 * 26-32 ms per conv, 1 MiB chunks 12-18 ms (AMD EPYC, 1 MiB L2 per core).
 * Chunks keep at least 64 columns so each sgemm call still has work. */
#define NN_IM2COL_MAX_FLOATS (256 * 1024)

/* floor(a / b) and ceil(a / b) for b > 0 and any sign of a. */
static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return -floor_div(-a, b);
}

/* Valid output range [*lo, *hi) along one axis: out positions o for which
 * o * stride + offset lies in [0, in). */
static void valid_range(int64_t offset, int64_t stride, int64_t in, int64_t out, int64_t *lo,
                        int64_t *hi)
{
    int64_t a = ceil_div(-offset, stride);
    int64_t b = floor_div(in - 1 - offset, stride) + 1;
    *lo = RK_MAX(0, RK_MIN(out, a));
    *hi = RK_MAX(*lo, RK_MIN(out, b));
}

/* ---- im2col ---------------------------------------------------------------- */

typedef struct im2col_job {
    const float *x; /* one group's channels: [cin_g, in spatial] */
    const nn_window *w;
    float *cols;    /* [cin_g * kernel volume, p1 - p0] */
    int64_t p0, p1; /* flat output positions covered by this chunk */
} im2col_job;

NN_HOT static void im2col_rows(void *arg, int64_t r0, int64_t r1)
{
    const im2col_job *j = arg;
    const nn_window *w = j->w;
    const int64_t kd_n = w->kernel[0], kh_n = w->kernel[1], kw_n = w->kernel[2];
    const int64_t id_n = w->in[0], ih_n = w->in[1], iw_n = w->in[2];
    const int64_t oh_n = w->out[1], ow_n = w->out[2];
    const int64_t ncols = j->p1 - j->p0;

    for (int64_t r = r0; r < r1; r++) {
        int64_t kw = r % kw_n, kh = (r / kw_n) % kh_n, kd = (r / (kw_n * kh_n)) % kd_n;
        int64_t c = r / (kw_n * kh_n * kd_n);
        const float *xc = j->x + c * id_n * ih_n * iw_n;
        float *dst = j->cols + r * ncols;
        int64_t off_w = kw * w->dil[2] - w->pad_lo[2];
        int64_t lo, hi;
        valid_range(off_w, w->stride[2], iw_n, ow_n, &lo, &hi);
        for (int64_t p = j->p0; p < j->p1;) {
            int64_t row = p / ow_n, ow0 = p % ow_n;
            int64_t cnt = RK_MIN(ow_n - ow0, j->p1 - p);
            int64_t oh = row % oh_n, od = row / oh_n;
            int64_t id = od * w->stride[0] - w->pad_lo[0] + kd * w->dil[0];
            int64_t ih = oh * w->stride[1] - w->pad_lo[1] + kh * w->dil[1];
            if (id < 0 || id >= id_n || ih < 0 || ih >= ih_n) {
                memset(dst, 0, (size_t)cnt * sizeof *dst);
            } else {
                /* [ow0, ow0+cnt) splits into left padding, valid inputs and
                 * right padding: no per-element branch. */
                const float *xr = xc + (id * ih_n + ih) * iw_n + off_w;
                int64_t a = RK_MIN(RK_MAX(lo, ow0), ow0 + cnt);
                int64_t b = RK_MAX(RK_MIN(hi, ow0 + cnt), a);
                int64_t sx = w->stride[2];
                for (int64_t ow = ow0; ow < a; ow++)
                    dst[ow - ow0] = 0.0f;
                if (sx == 1)
                    memcpy(dst + (a - ow0), xr + a, (size_t)(b - a) * sizeof *dst);
                else
                    for (int64_t ow = a; ow < b; ow++)
                        dst[ow - ow0] = xr[ow * sx];
                for (int64_t ow = b; ow < ow0 + cnt; ow++)
                    dst[ow - ow0] = 0.0f;
            }
            dst += cnt;
            p += cnt;
        }
    }
}

/* ---- depthwise direct kernel ---------------------------------------------------- */

typedef struct dw_job {
    const nn_conv_problem *p;
    int64_t mult; /* output channels per input channel */
} dw_job;

/* Depthwise kernels with more columns / rows than this skip the
 * precomputed tables and the register-blocked interior. */
#define DW_MAX_KW 32
#define DW_MAX_KH 32

/* 8 floats: one AVX register in the x86-64-v3 clone, two SSE registers in
 * the baseline one (GCC/Clang vector extension). */
typedef float dw_v8 __attribute__((vector_size(32)));

/* Stride-1 depthwise plane through a zero-padded copy of the input rows:
 * every output column, borders included, is then a plain 8-wide vector
 * sum over the kernel taps (no per-column bounds checks).  Returns false
 * when the scratch cannot be allocated (the caller falls back). */
NN_HOT static bool dw_plane_padded(const nn_conv_problem *p, const float *x, const float *wk,
                                   float *y, float bias)
{
    const nn_window *w = &p->win;
    const int64_t ih_n = w->in[1], iw_n = w->in[2], oh_n = w->out[1], ow_n = w->out[2];
    const int64_t kh_n = w->kernel[1], kw_n = w->kernel[2], dx = w->dil[2];
    const int64_t pl = w->pad_lo[2], w8 = RK_ALIGN_UP(ow_n, 8);
    const int64_t pw = w8 + (kw_n - 1) * dx; /* padded row: every tap read in range */
    float *pad = rk_calloc_array((size_t)(ih_n * pw), sizeof *pad);
    if (!pad)
        return false;
    for (int64_t r = 0; r < ih_n; r++) {
        int64_t lo = RK_MIN(pl, pw), cnt = RK_MAX(0, RK_MIN(iw_n, pw - lo));
        memcpy(pad + r * pw + lo, x + r * iw_n, (size_t)cnt * sizeof *pad);
    }
    for (int64_t oh = 0; oh < oh_n; oh++) {
        const float *rows[DW_MAX_KH];
        const float *wrows[DW_MAX_KH];
        int nrows = 0;
        for (int64_t kh = 0; kh < kh_n; kh++) {
            int64_t ih = oh * w->stride[1] - w->pad_lo[1] + kh * w->dil[1];
            if (ih >= 0 && ih < ih_n) {
                rows[nrows] = pad + ih * pw;
                wrows[nrows++] = wk + kh * kw_n;
            }
        }
        float *yr = y + oh * ow_n;
        for (int64_t ow = 0; ow < w8; ow += 8) {
            dw_v8 acc = {bias, bias, bias, bias, bias, bias, bias, bias}, xv;
            for (int r = 0; r < nrows; r++)
                for (int64_t kw = 0; kw < kw_n; kw++) {
                    memcpy(&xv, rows[r] + ow + kw * dx, sizeof xv); /* unaligned load */
                    acc += wrows[r][kw] * xv;
                }
            if (ow + 8 <= ow_n) {
                memcpy(yr + ow, &acc, sizeof acc);
            } else {
                float tail[8];
                memcpy(tail, &acc, sizeof acc);
                memcpy(yr + ow, tail, (size_t)(ow_n - ow) * sizeof *tail);
            }
        }
    }
    free(pad);
    return true;
}

/* One (batch, output channel) plane: y = bias + sum_k w_k * shifted x.
 * Stride-1 rows keep 8 outputs in a register across all kernel taps in the
 * interior columns (every tap in bounds) and sum the few border columns
 * directly; other strides accumulate one kernel tap at a time over the
 * row's valid columns. */
NN_HOT static void dw_plane(const nn_conv_problem *p, int64_t b, int64_t m, int64_t mult)
{
    const nn_window *w = &p->win;
    const int64_t ih_n = w->in[1], iw_n = w->in[2], oh_n = w->out[1], ow_n = w->out[2];
    const int64_t kh_n = w->kernel[1], kw_n = w->kernel[2], dx = w->dil[2];
    const int64_t c = m / mult;
    const float *x = p->x + (b * p->in_ch + c) * ih_n * iw_n;
    const float *wk = p->w + m * kh_n * kw_n;
    float *y = p->y + (b * p->out_ch + m) * oh_n * ow_n;
    const float bias = p->bias ? p->bias[m] : 0.0f;
    const int64_t sx = w->stride[2];
    /* The valid output columns of each kernel column do not depend on the
     * row: compute them once (valid_range divides). */
    int64_t lo_tab[DW_MAX_KW], hi_tab[DW_MAX_KW], inner_lo = 0, inner_hi = ow_n;
    for (int64_t kw = 0; kw < kw_n && kw < DW_MAX_KW; kw++) {
        valid_range(kw * dx - w->pad_lo[2], sx, iw_n, ow_n, &lo_tab[kw], &hi_tab[kw]);
        inner_lo = RK_MAX(inner_lo, lo_tab[kw]);
        inner_hi = RK_MIN(inner_hi, hi_tab[kw]);
    }
    const bool blocked = sx == 1 && kw_n <= DW_MAX_KW && kh_n <= DW_MAX_KH;
    if (blocked && dw_plane_padded(p, x, wk, y, bias))
        return;
    if (inner_hi < inner_lo)
        inner_hi = inner_lo;

    for (int64_t oh = 0; oh < oh_n; oh++) {
        float *yr = y + oh * ow_n;
        if (!blocked) {
            for (int64_t ow = 0; ow < ow_n; ow++)
                yr[ow] = bias;
            for (int64_t kh = 0; kh < kh_n; kh++) {
                int64_t ih = oh * w->stride[1] - w->pad_lo[1] + kh * w->dil[1];
                if (ih < 0 || ih >= ih_n)
                    continue;
                const float *xr = x + ih * iw_n;
                for (int64_t kw = 0; kw < kw_n; kw++) {
                    const float wv = wk[kh * kw_n + kw];
                    int64_t off = kw * dx - w->pad_lo[2], lo, hi;
                    if (kw < DW_MAX_KW) {
                        lo = lo_tab[kw];
                        hi = hi_tab[kw];
                    } else {
                        valid_range(off, sx, iw_n, ow_n, &lo, &hi);
                    }
                    const float *xs = xr + off;
                    for (int64_t ow = lo; ow < hi; ow++)
                        yr[ow] += wv * xs[ow * sx];
                }
            }
            continue;
        }
        /* rows[r][ow + kw*dx] is the input under tap (r, kw) of output ow */
        const float *rows[DW_MAX_KH];
        const float *wrows[DW_MAX_KH];
        int nrows = 0;
        for (int64_t kh = 0; kh < kh_n; kh++) {
            int64_t ih = oh * w->stride[1] - w->pad_lo[1] + kh * w->dil[1];
            if (ih >= 0 && ih < ih_n) {
                rows[nrows] = x + ih * iw_n - w->pad_lo[2];
                wrows[nrows++] = wk + kh * kw_n;
            }
        }
        for (int64_t ow = 0; ow < ow_n; ow++) {
            if (ow == inner_lo)
                ow = inner_hi; /* interior done below */
            if (ow >= ow_n)
                break;
            float acc = bias;
            for (int r = 0; r < nrows; r++)
                for (int64_t kw = 0; kw < kw_n; kw++)
                    if (ow >= lo_tab[kw] && ow < hi_tab[kw])
                        acc += wrows[r][kw] * rows[r][ow + kw * dx];
            yr[ow] = acc;
        }
        int64_t ow = inner_lo;
        for (; ow + 8 <= inner_hi; ow += 8) {
            dw_v8 acc = {bias, bias, bias, bias, bias, bias, bias, bias}, xv;
            for (int r = 0; r < nrows; r++)
                for (int64_t kw = 0; kw < kw_n; kw++) {
                    memcpy(&xv, rows[r] + ow + kw * dx, sizeof xv); /* unaligned load */
                    acc += wrows[r][kw] * xv;
                }
            memcpy(yr + ow, &acc, sizeof acc);
        }
        for (; ow < inner_hi; ow++) {
            float acc = bias;
            for (int r = 0; r < nrows; r++)
                for (int64_t kw = 0; kw < kw_n; kw++)
                    acc += wrows[r][kw] * rows[r][ow + kw * dx];
            yr[ow] = acc;
        }
    }
}

static void dw_range(void *arg, int64_t begin, int64_t end)
{
    const dw_job *j = arg;
    for (int64_t i = begin; i < end; i++)
        dw_plane(j->p, i / j->p->out_ch, i % j->p->out_ch, j->mult);
}

/* y [batch, channels, plane] = bias[channel] (0 without bias). */
NN_HOT static void fill_planes(float *y, int64_t batch, int64_t channels, int64_t plane,
                               const float *bias)
{
    for (int64_t b = 0; b < batch; b++)
        for (int64_t c = 0; c < channels; c++) {
            float *row = y + (b * channels + c) * plane;
            const float v = bias ? bias[c] : 0.0f;
            for (int64_t i = 0; i < plane; i++)
                row[i] = v;
        }
}

/* ---- GEMM paths ------------------------------------------------------------------ */

static bool is_pointwise(const nn_window *w)
{
    for (int d = 0; d < NN_MAX_SPATIAL; d++)
        if (w->kernel[d] != 1 || w->stride[d] != 1 || w->pad_lo[d] != 0 || w->pad_hi[d] != 0)
            return false;
    return true;
}

static int64_t spatial_volume(const int64_t *dims)
{
    int64_t v = 1;
    for (int d = 0; d < NN_MAX_SPATIAL; d++)
        v *= dims[d];
    return v;
}

/* One group of one image, im2col path: chunks of output columns are
 * independent (own scratch, own slice of y), so threads take whole chunks:
 * each worker's im2col block stays in its own L2 while sgemm packs it. */
typedef struct chunk_job {
    const float *xg, *wg;
    float *yg;
    const nn_window *w;
    int64_t k_g, cout_g, out_vol, chunk;
    bool oom; /* a worker could not allocate its scratch */
} chunk_job;

static void conv_chunks(void *arg, int64_t c0, int64_t c1)
{
    chunk_job *j = arg;
    float *cols = rk_malloc_array((size_t)(j->k_g * j->chunk), sizeof *cols);
    if (!cols) {
        j->oom = true; /* several workers may set it: same value, benign */
        return;
    }
    for (int64_t c = c0; c < c1; c++) {
        im2col_job job = {j->xg, j->w, cols, c * j->chunk, RK_MIN(j->out_vol, (c + 1) * j->chunk)};
        int64_t ncols = job.p1 - job.p0;
        im2col_rows(&job, 0, j->k_g);
        nn_sgemm(false, false, j->cout_g, ncols, j->k_g, 1.0f, j->wg, j->k_g, cols, ncols, 1.0f,
                 j->yg + job.p0, j->out_vol);
    }
    free(cols);
}

static rk_status conv_gemm(ox_ctx *ctx, const ox_node *n, const nn_conv_problem *p, rk_err *e)
{
    const nn_window *w = &p->win;
    const int64_t cin_g = p->in_ch / p->group, cout_g = p->out_ch / p->group;
    const int64_t in_vol = spatial_volume(w->in), out_vol = spatial_volume(w->out);
    const int64_t kvol = spatial_volume(w->kernel), k_g = cin_g * kvol;
    const bool pointwise = is_pointwise(w);
    int64_t chunk = RK_MIN(out_vol, RK_MAX(64, NN_IM2COL_MAX_FLOATS / RK_MAX(1, k_g)));
    int64_t nchunks = RK_DIV_UP(out_vol, RK_MAX(1, chunk));

    nn_blas_threads(ctx);
    for (int64_t b = 0; b < p->batch; b++) {
        for (int64_t g = 0; g < p->group; g++) {
            const float *xg = p->x + (b * p->in_ch + g * cin_g) * in_vol;
            const float *wg = p->w + g * cout_g * k_g;
            float *yg = p->y + (b * p->out_ch + g * cout_g) * out_vol;
            if (pointwise) {
                nn_gemm(ctx, false, false, cout_g, out_vol, k_g, 1.0f, wg, k_g, xg, out_vol, 1.0f,
                        yg, out_vol);
                continue;
            }
            chunk_job j = {xg, wg, yg, w, k_g, cout_g, out_vol, chunk, false};
            ox_parallel_for(ctx, nchunks, 1, conv_chunks, &j);
            if (j.oom)
                return rk_errf(e, RK_ENOMEM, "%s: cannot allocate a %lld-float im2col buffer",
                               ox_node_label(n), (long long)(k_g * chunk));
        }
    }
    return RK_OK;
}

rk_status nn_conv_run(ox_ctx *ctx, const ox_node *n, const nn_conv_problem *p, rk_err *e)
{
    const nn_window *w = &p->win;
    const int64_t out_vol = spatial_volume(w->out);
    const int64_t cin_g = p->in_ch / p->group;

    if (cin_g == 1 && w->kernel[0] == 1 && w->in[0] == 1 && w->pad_lo[0] == 0 &&
        w->pad_hi[0] == 0 && p->group > 1) {
        dw_job job = {p, p->out_ch / p->group};
        ox_parallel_for(ctx, p->batch * p->out_ch, 1, dw_range, &job);
        return RK_OK;
    }
    /* GEMM accumulates onto y (beta = 1): start from the bias. */
    fill_planes(p->y, p->batch, p->out_ch, out_vol, p->bias);
    return conv_gemm(ctx, n, p, e);
}

rk_status nn_conv_setup(const ox_node *n, const rk_tensor *x, const rk_tensor *w,
                        nn_conv_problem *p, rk_err *e)
{
    rk_status st;
    char xs[96], ws[96];
    memset(p, 0, sizeof *p);
    if ((st = nn_need_rank(n, x, "X", -3, e)))
        return st;
    int nsp = x->ndim - 2;
    if (w->ndim != x->ndim)
        return rk_errf(e, RK_EINPUT, "%s: weight W %s and input X %s differ in rank",
                       ox_node_label(n), rk_shape_str(w, ws, sizeof ws),
                       rk_shape_str(x, xs, sizeof xs));
    p->batch = x->dims[0];
    p->in_ch = x->dims[1];
    p->out_ch = w->dims[0];
    p->group = ox_attr_int_or(n, "group", 1);
    if (p->group < 1 || p->group > RK_MAX(1, p->in_ch) || p->in_ch % p->group ||
        p->out_ch % p->group || w->dims[1] * p->group != p->in_ch)
        return rk_errf(e, RK_EINPUT,
                       "%s: group=%lld does not fit X %s and W %s (need C = W.dims[1]*group "
                       "and M divisible by group)",
                       ox_node_label(n), (long long)p->group, rk_shape_str(x, xs, sizeof xs),
                       rk_shape_str(w, ws, sizeof ws));
    int64_t kernel[NN_MAX_SPATIAL];
    for (int d = 0; d < nsp && d < NN_MAX_SPATIAL; d++)
        kernel[d] = w->dims[2 + d];
    if (ox_attr_has(n, "kernel_shape")) {
        int64_t ks[NN_MAX_SPATIAL];
        if (nsp <= NN_MAX_SPATIAL && (st = nn_kernel_shape_attr(n, nsp, ks, e)))
            return st;
        for (int d = 0; d < nsp && d < NN_MAX_SPATIAL; d++)
            if (ks[d] != kernel[d])
                return rk_errf(e, RK_EINPUT, "%s: kernel_shape[%d]=%lld disagrees with W %s",
                               ox_node_label(n), d, (long long)ks[d],
                               rk_shape_str(w, ws, sizeof ws));
    }
    /* Map 1-D and 2-D problems onto the trailing axes of the 3-D geometry,
     * so the kernels only handle one layout. */
    int64_t in_sp[NN_MAX_SPATIAL];
    for (int d = 0; d < nsp && d < NN_MAX_SPATIAL; d++)
        in_sp[d] = x->dims[2 + d];
    nn_window win;
    if ((st = nn_window_init(n, nsp, in_sp, kernel, false, &win, e)))
        return st;
    p->win = win;
    nn_window_to_3d(&p->win);
    return RK_OK;
}

/* Output shape [N, M, out spatial...] of a conv problem. */
static void conv_out_dims(const nn_conv_problem *p, int nsp, int64_t *dims)
{
    dims[0] = p->batch;
    dims[1] = p->out_ch;
    for (int d = 0; d < nsp; d++)
        dims[2 + d] = p->win.out[NN_MAX_SPATIAL - nsp + d];
}

rk_status nn_op_conv(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                         rk_tensor *out, int nout, rk_err *e)
{
    const rk_tensor *x, *w, *b = nn_in(in, nin, 2);
    rk_status st;
    nn_conv_problem p;
    int64_t dims[RK_MAX_DIMS];
    char buf[96];

    if ((st = nn_need(n, in, nin, 0, "X", &x, e)) || (st = nn_need(n, in, nin, 1, "W", &w, e)) ||
        (st = nn_need_f32(n, x, "X", e)) || (st = nn_need_f32(n, w, "W", e)) ||
        (b && (st = nn_need_f32(n, b, "B", e))) || (st = nn_conv_setup(n, x, w, &p, e)))
        return st;
    if (b && b->nelem != p.out_ch)
        return rk_errf(e, RK_EINPUT, "%s: bias B %s should have %lld elements",
                       ox_node_label(n), rk_shape_str(b, buf, sizeof buf),
                       (long long)p.out_ch);
    conv_out_dims(&p, x->ndim - 2, dims);
    if ((st = rk_tensor_alloc(&out[0], NULL, RK_DT_F32, x->ndim, dims, e)))
        return st;
    p.x = x->data;
    p.w = w->data;
    p.bias = b ? b->data : NULL;
    p.y = out[0].data;
    return nn_conv_run(ctx, n, &p, e);
}

/* ---- integer convolutions ------------------------------------------------------- */

/* Float copy of an 8-bit tensor minus its zero point (scalar, or one per
 * slice along axis 0 when `per_axis0` and zp has dims[0] elements). */
static rk_status centred_f32(const ox_node *n, const rk_tensor *t, const rk_tensor *zp,
                             const char *role, float **out, rk_err *e)
{
    char buf[96];
    int64_t slice = t->ndim > 0 && t->dims[0] > 0 ? t->nelem / t->dims[0] : t->nelem;
    if (t->dtype != RK_DT_U8 && t->dtype != RK_DT_I8)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: input %s has type %s; expected uint8 or int8",
                       ox_node_label(n), role, rk_dtype_name(t->dtype));
    if (zp && zp->nelem != 1 && !(t->ndim > 0 && zp->nelem == t->dims[0]))
        return rk_errf(e, RK_EINPUT, "%s: zero point of %s has shape %s; expected 1 or %lld "
                       "elements", ox_node_label(n), role, rk_shape_str(zp, buf, sizeof buf),
                       (long long)(t->ndim > 0 ? t->dims[0] : 1));
    float *f = rk_malloc_array((size_t)RK_MAX(1, t->nelem), sizeof *f);
    if (!f)
        return rk_errf(e, RK_ENOMEM, "%s: out of memory converting %s", ox_node_label(n), role);
    for (int64_t i = 0; i < t->nelem; i++) {
        double z = zp ? nn_get_f64(zp, zp->nelem == 1 ? 0 : i / slice) : 0.0;
        f[i] = (float)(nn_get_f64(t, i) - z);
    }
    *out = f;
    return RK_OK;
}

/* Shared body of ConvInteger (inputs x, w, x_zp, w_zp) and QLinearConv
 * (x, xs, xzp, w, ws, wzp, ys, yzp, B): float conv of centred operands.
 * Products of 8-bit values summed in float32 are exact while the sum stays
 * below 2^24 (any kernel volume * channels <= 258 at full range). */
static rk_status int_conv(ox_ctx *ctx, const ox_node *n, const rk_tensor *x,
                          const rk_tensor *xzp, const rk_tensor *w, const rk_tensor *wzp,
                          rk_tensor *acc, nn_conv_problem *p, rk_err *e)
{
    float *xf = NULL, *wf = NULL;
    int64_t dims[RK_MAX_DIMS];
    rk_status st;
    if ((st = nn_conv_setup(n, x, w, p, e)))
        return st;
    if (xzp && xzp->nelem != 1)
        return rk_errf(e, RK_EINPUT, "%s: x_zero_point must be a scalar", ox_node_label(n));
    if ((st = centred_f32(n, x, xzp, "x", &xf, e)) || (st = centred_f32(n, w, wzp, "w", &wf, e)))
        goto out;
    conv_out_dims(p, x->ndim - 2, dims);
    if ((st = rk_tensor_alloc(acc, NULL, RK_DT_F32, x->ndim, dims, e)))
        goto out;
    p->x = xf;
    p->w = wf;
    p->y = acc->data;
    st = nn_conv_run(ctx, n, p, e);
out:
    free(xf);
    free(wf);
    return st;
}

rk_status nn_op_conv_integer(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in,
                                 int nin, rk_tensor *out, int nout, rk_err *e)
{
    const rk_tensor *x, *w;
    rk_tensor acc = {0};
    nn_conv_problem p;
    rk_status st;
    if ((st = nn_need(n, in, nin, 0, "x", &x, e)) || (st = nn_need(n, in, nin, 1, "w", &w, e)) ||
        (st = int_conv(ctx, n, x, nn_in(in, nin, 2), w, nn_in(in, nin, 3), &acc, &p, e)))
        goto out;
    st = nn_from_f32(n, &acc, RK_DT_I32, &out[0], e);
out:
    rk_tensor_free(&acc);
    return st;
}

rk_status nn_op_qlinear_conv(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in,
                                 int nin, rk_tensor *out, int nout, rk_err *e)
{
    const rk_tensor *x, *xs, *w, *ws, *ys, *xzp = nn_in(in, nin, 2), *wzp = nn_in(in, nin, 5);
    const rk_tensor *yzp = nn_in(in, nin, 7), *b = nn_in(in, nin, 8);
    rk_tensor acc = {0};
    nn_conv_problem p;
    rk_status st;
    if ((st = nn_need(n, in, nin, 0, "x", &x, e)) ||
        (st = nn_need(n, in, nin, 1, "x_scale", &xs, e)) ||
        (st = nn_need(n, in, nin, 3, "w", &w, e)) ||
        (st = nn_need(n, in, nin, 4, "w_scale", &ws, e)) ||
        (st = nn_need(n, in, nin, 6, "y_scale", &ys, e)) ||
        (st = int_conv(ctx, n, x, xzp, w, wzp, &acc, &p, e)))
        goto out;
    if (ws->nelem != 1 && ws->nelem != p.out_ch) {
        st = rk_errf(e, RK_EINPUT, "%s: w_scale has %lld elements; expected 1 or %lld",
                     ox_node_label(n), (long long)ws->nelem, (long long)p.out_ch);
        goto out;
    }
    if (b && b->nelem != p.out_ch) {
        st = rk_errf(e, RK_EINPUT, "%s: bias B has %lld elements; expected %lld",
                     ox_node_label(n), (long long)b->nelem, (long long)p.out_ch);
        goto out;
    }
    rk_dtype ydt = yzp ? yzp->dtype : RK_DT_U8;
    if ((st = rk_tensor_alloc(&out[0], NULL, ydt, acc.ndim, acc.dims, e)))
        goto out;
    int64_t plane = acc.nelem / RK_MAX(1, p.batch * p.out_ch);
    double lo = ydt == RK_DT_I8 ? -128 : 0, hi = ydt == RK_DT_I8 ? 127 : 255;
    const float *a = acc.data;
    for (int64_t i = 0; i < acc.nelem; i++) {
        int64_t m = (i / plane) % p.out_ch;
        double scale = nn_get_f64(xs, 0) * nn_get_f64(ws, ws->nelem == 1 ? 0 : m) /
                       nn_get_f64(ys, 0);
        double v = ((double)a[i] + (b ? nn_get_f64(b, m) : 0.0)) * scale;
        v = nearbyint(v) + (yzp ? nn_get_f64(yzp, 0) : 0.0);
        v = v < lo ? lo : (v > hi ? hi : v);
        if (ydt == RK_DT_I8)
            ((int8_t *)out[0].data)[i] = (int8_t)v;
        else
            ((uint8_t *)out[0].data)[i] = (uint8_t)v;
    }
out:
    rk_tensor_free(&acc);
    return st;
}

/* ---- ConvTranspose --------------------------------------------------------------- */

/* Geometry of ConvTranspose.  Invariants: `win.in` is the input size,
 * `win.out` the output size; output position o receives input i through
 * kernel tap k when o = i * stride - pad_lo + k * dil (pad_lo may be
 * negative when output_shape asks for more than the natural size). */
static rk_status convt_geometry(const ox_node *n, const rk_tensor *x, const rk_tensor *w,
                                nn_window *win, rk_err *e)
{
    int nsp = x->ndim - 2;
    int64_t op[NN_MAX_SPATIAL] = {0}, pads[2 * NN_MAX_SPATIAL] = {0};
    int len;

    memset(win, 0, sizeof *win);
    win->nsp = nsp;
    for (int d = 0; d < NN_MAX_SPATIAL; d++) {
        win->in[d] = d < nsp ? x->dims[2 + d] : 1;
        win->kernel[d] = d < nsp ? w->dims[2 + d] : 1;
        win->stride[d] = win->dil[d] = win->out[d] = 1;
    }
    rk_status st;
    if ((st = nn_read_ints(n, "strides", nsp, 1, NN_MAX_GEOM, win->stride, e)) ||
        (st = nn_read_ints(n, "dilations", nsp, 1, NN_MAX_GEOM, win->dil, e)) ||
        (st = nn_read_ints(n, "pads", 2 * nsp, 0, NN_MAX_GEOM, pads, e)) ||
        (st = nn_read_ints(n, "output_padding", nsp, 0, NN_MAX_GEOM, op, e)))
        return st;
    const char *ap = ox_attr_string_or(n, "auto_pad", "NOTSET");
    bool same = !strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER");
    bool upper = !strcmp(ap, "SAME_UPPER");
    if (!same && strcmp(ap, "NOTSET") && strcmp(ap, "VALID") && ap[0])
        return rk_errf(e, RK_EINPUT, "%s: unknown auto_pad '%s'", ox_node_label(n), ap);
    const int64_t *oshape = NULL;
    len = ox_attr_ints(n, "output_shape", &oshape);
    if (len >= 0 && len != nsp && len != nsp + 2)
        return rk_errf(e, RK_EINPUT, "%s: output_shape has %d values; expected %d",
                       ox_node_label(n), len, nsp);
    if (len == nsp + 2)
        oshape += 2; /* some exporters include N and C */
    for (int d = 0; oshape && d < nsp; d++)
        if (oshape[d] < 1 || oshape[d] > NN_MAX_GEOM)
            return rk_errf(e, RK_EINPUT, "%s: output_shape[%d]=%lld is outside [1, %lld]",
                           ox_node_label(n), d, (long long)oshape[d], (long long)NN_MAX_GEOM);
    for (int d = 0; d < nsp; d++) {
        int64_t eff_k = (win->kernel[d] - 1) * win->dil[d] + 1;
        int64_t natural = win->stride[d] * (win->in[d] - 1) + op[d] + eff_k;
        if (oshape || same) {
            int64_t want = oshape ? oshape[d] : win->in[d] * win->stride[d];
            int64_t total = natural - want;
            /* ONNX ConvTranspose spec: SAME_UPPER puts the smaller half
             * first; otherwise the larger half goes first.  Python floor
             * division, as in the spec's formula, for negative totals. */
            int64_t half = floor_div(total, 2);
            win->pad_lo[d] = upper ? half : total - half;
            win->pad_hi[d] = total - win->pad_lo[d];
            win->out[d] = want;
        } else {
            win->pad_lo[d] = pads[d];
            win->pad_hi[d] = pads[d + nsp];
            win->out[d] = natural - pads[d] - pads[d + nsp];
        }
        if (win->out[d] < 1)
            return rk_errf(e, RK_EINPUT, "%s: spatial dim %d: output size %lld is empty",
                           ox_node_label(n), d, (long long)win->out[d]);
    }
    return RK_OK;
}

/* Scatter-add job: cols [cout_g * kvol, p1 - p0] holds, for the input
 * positions [p0, p1) of one group, every (output channel, kernel tap)
 * contribution; they are added into y [cout_g, out spatial]. */
typedef struct col2im_job {
    const float *cols;
    const nn_window *w;
    float *y;
    int64_t p0, p1;
} col2im_job;

/* Output channels [m0, m1): each writes only its own plane (thread-safe). */
NN_HOT static void col2im_channels(void *arg, int64_t m0, int64_t m1)
{
    const col2im_job *j = arg;
    const nn_window *w = j->w;
    const int64_t out_vol = w->out[0] * w->out[1] * w->out[2];
    const int64_t kvol = w->kernel[0] * w->kernel[1] * w->kernel[2];
    const int64_t ncols = j->p1 - j->p0, iw_n = w->in[2], ih_n = w->in[1];
    for (int64_t r = m0 * kvol; r < m1 * kvol; r++) {
        int64_t kw = r % w->kernel[2], kh = (r / w->kernel[2]) % w->kernel[1];
        int64_t kd = (r / (w->kernel[2] * w->kernel[1])) % w->kernel[0];
        const float *src = j->cols + r * ncols;
        float *ym = j->y + (r / kvol) * out_vol;
        int64_t off = kw * w->dil[2] - w->pad_lo[2];
        for (int64_t p = j->p0; p < j->p1;) {
            int64_t row = p / iw_n, iw0 = p % iw_n;
            int64_t cnt = RK_MIN(iw_n - iw0, j->p1 - p);
            int64_t ih = row % ih_n, id = row / ih_n;
            int64_t od = id * w->stride[0] - w->pad_lo[0] + kd * w->dil[0];
            int64_t oh = ih * w->stride[1] - w->pad_lo[1] + kh * w->dil[1];
            if (od >= 0 && od < w->out[0] && oh >= 0 && oh < w->out[1]) {
                const float *s = src + (p - j->p0) - iw0;
                float *yr = ym + (od * w->out[1] + oh) * w->out[2];
                for (int64_t iw = iw0; iw < iw0 + cnt; iw++) {
                    int64_t ow = iw * w->stride[2] + off;
                    if (ow >= 0 && ow < w->out[2])
                        yr[ow] += s[iw];
                }
            }
            p += cnt;
        }
    }
}

rk_status nn_op_conv_transpose(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in,
                                   int nin, rk_tensor *out, int nout, rk_err *e)
{
    const rk_tensor *x, *w, *b = nn_in(in, nin, 2);
    nn_window win;
    rk_status st;
    char xs[96], ws[96];
    int64_t dims[RK_MAX_DIMS];

    if ((st = nn_need(n, in, nin, 0, "X", &x, e)) || (st = nn_need(n, in, nin, 1, "W", &w, e)) ||
        (st = nn_need_f32(n, x, "X", e)) || (st = nn_need_f32(n, w, "W", e)) ||
        (b && (st = nn_need_f32(n, b, "B", e))) || (st = nn_need_rank(n, x, "X", -3, e)))
        return st;
    int nsp = x->ndim - 2;
    int64_t group = ox_attr_int_or(n, "group", 1);
    if (nsp > NN_MAX_SPATIAL)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: %d spatial dims (supported: up to %d)",
                       ox_node_label(n), nsp, NN_MAX_SPATIAL);
    if (w->ndim != x->ndim || group < 1 || group > RK_MAX(1, x->dims[1]) ||
        x->dims[1] % group || w->dims[0] != x->dims[1])
        return rk_errf(e, RK_EINPUT, "%s: W %s does not fit X %s with group=%lld "
                       "(W must be [C, M/group, k...])", ox_node_label(n),
                       rk_shape_str(w, ws, sizeof ws), rk_shape_str(x, xs, sizeof xs),
                       (long long)group);
    if ((st = convt_geometry(n, x, w, &win, e)))
        return st;
    const int64_t cin_g = x->dims[1] / group, cout_g = w->dims[1], cout = cout_g * group;
    if (b && b->nelem != cout)
        return rk_errf(e, RK_EINPUT, "%s: bias B has %lld elements; expected %lld",
                       ox_node_label(n), (long long)b->nelem, (long long)cout);
    dims[0] = x->dims[0];
    dims[1] = cout;
    for (int d = 0; d < nsp; d++)
        dims[2 + d] = win.out[d];
    if ((st = rk_tensor_alloc(&out[0], NULL, RK_DT_F32, x->ndim, dims, e)))
        return st;
    nn_window_to_3d(&win);
    const int64_t in_vol = win.in[0] * win.in[1] * win.in[2];
    const int64_t out_vol = win.out[0] * win.out[1] * win.out[2];
    const int64_t kvol = win.kernel[0] * win.kernel[1] * win.kernel[2];
    /* Input positions go in chunks whose column block stays in L2. */
    const int64_t rows = cout_g * kvol;
    const int64_t chunk = RK_MIN(in_vol, RK_MAX(64, NN_IM2COL_MAX_FLOATS / RK_MAX(1, rows)));
    float *cols = rk_malloc_array((size_t)RK_MAX(1, rows * chunk), sizeof *cols);
    if (!cols) {
        rk_tensor_free(&out[0]);
        return rk_errf(e, RK_ENOMEM, "%s: cannot allocate the column buffer", ox_node_label(n));
    }
    float *y = out[0].data;
    fill_planes(y, x->dims[0], cout, out_vol, b ? b->data : NULL);
    for (int64_t bi = 0; bi < x->dims[0]; bi++)
        for (int64_t g = 0; g < group; g++) {
            const float *xg = (const float *)x->data + (bi * x->dims[1] + g * cin_g) * in_vol;
            const float *wg = (const float *)w->data + g * cin_g * cout_g * kvol;
            for (int64_t p0 = 0; p0 < in_vol; p0 += chunk) {
                int64_t ncols = RK_MIN(chunk, in_vol - p0);
                /* cols = W_g^T [cout_g*kvol, cin_g] x X_g[:, p0:p0+ncols] */
                nn_gemm(ctx, true, false, rows, ncols, cin_g, 1.0f, wg, rows, xg + p0, in_vol,
                        0.0f, cols, ncols);
                col2im_job j = {cols, &win, y + (bi * cout + g * cout_g) * out_vol, p0,
                                p0 + ncols};
                ox_parallel_for(ctx, cout_g, 1, col2im_channels, &j);
            }
        }
    free(cols);
    return RK_OK;
}
