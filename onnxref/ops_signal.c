/*
 * ops_signal.c - signal-processing operators of opset 17: DFT, STFT,
 * MelWeightMatrix.  (The window generators live with the other helpers.)
 *
 * Semantics from the ONNX operator docs:
 *  - DFT: X[k] = sum_n x[n] e^(-2 pi i k n / N) along `axis` (inverse:
 *    e^(+...) and a 1/N factor); the last input dim is 1 (real) or 2
 *    (complex); optional dft_length pads with zeros or truncates; onesided
 *    keeps bins 0..N/2.  Output's last dim is 2 (real, imaginary).
 *  - STFT: frames of frame_length samples every frame_step, multiplied by
 *    the window, each transformed by a DFT (onesided by default).
 *  - MelWeightMatrix: triangular filters between mel-spaced points, with
 *    the bin arithmetic of ONNX's reference implementation (integer bins
 *    floor((dft_length + 1) * hz / sample_rate)).
 * Computed in double: naive O(N^2) transforms with an exact twiddle table,
 * adequate for reference use (these ops are not in CNN hot paths).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops_data.h"

static rk_status scalar_int(const ox_node *n, const rk_tensor *t, const char *what, int64_t *v,
                            rk_err *e)
{
    if (!t || t->nelem != 1)
        return rk_errf(e, RK_EINPUT, "%s: '%s' must be one integer", ox_node_label(n), what);
    switch (t->dtype) {
    case RK_DT_I64: *v = ((const int64_t *)t->data)[0]; return RK_OK;
    case RK_DT_I32: *v = ((const int32_t *)t->data)[0]; return RK_OK;
    default:
        return rk_errf(e, RK_EINPUT, "%s: '%s' must be int32/int64", ox_node_label(n), what);
    }
}

/* One transform of length N over `len` input samples (zero-padded or
 * truncated), writing `bins` complex outputs.  in_re/in_im are read with
 * stride; cos/sin tables hold e^(-2 pi i m / N) for m < N. */
typedef struct dft_plan {
    int64_t N, bins;
    bool inverse;
    double *cs, *sn;
} dft_plan;

static rk_status plan_make(dft_plan *p, int64_t N, int64_t bins, bool inverse, rk_err *e)
{
    p->N = N;
    p->bins = bins;
    p->inverse = inverse;
    p->cs = malloc(sizeof(double) * (size_t)N);
    p->sn = malloc(sizeof(double) * (size_t)N);
    if (!p->cs || !p->sn) {
        free(p->cs);
        free(p->sn);
        return rk_errf(e, RK_ENOMEM, "out of memory");
    }
    for (int64_t m = 0; m < N; m++) {
        double a = 2.0 * M_PI * (double)m / (double)N;
        p->cs[m] = cos(a);
        p->sn[m] = inverse ? sin(a) : -sin(a);
    }
    return RK_OK;
}

static void plan_free(dft_plan *p)
{
    free(p->cs);
    free(p->sn);
}

static void dft_line(const dft_plan *p, const double *re, const double *im, int64_t len,
                     double *out_re, double *out_im)
{
    int64_t n_used = RK_MIN(len, p->N);
    for (int64_t k = 0; k < p->bins; k++) {
        double sr = 0, si = 0;
        int64_t m = 0; /* (k * n) mod N, advanced incrementally: exact indices */
        for (int64_t n = 0; n < n_used; n++) {
            double c = p->cs[m], s = p->sn[m];
            sr += re[n] * c - im[n] * s;
            si += re[n] * s + im[n] * c;
            m += k;
            if (m >= p->N)
                m %= p->N;
        }
        out_re[k] = p->inverse ? sr / (double)p->N : sr;
        out_im[k] = p->inverse ? si / (double)p->N : si;
    }
}

static rk_status op_dft(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                        rk_tensor *out, int nout, rk_err *e)
{
    const char *lbl = ox_node_label(n);
    const rk_tensor *x = nin > 0 ? in[0] : NULL;
    if (!x || !oxd_is_float(x->dtype) || x->ndim < 3 || x->dims[x->ndim - 1] < 1 ||
        x->dims[x->ndim - 1] > 2)
        return rk_errf(e, RK_EINPUT, "%s: input must be float [batch, ..., 1 or 2]", lbl);
    int64_t axis = ox_attr_int_or(n, "axis", 1);
    if (axis < 0)
        axis += x->ndim;
    if (axis < 1 || axis > x->ndim - 2)
        return rk_errf(e, RK_EINPUT, "%s: axis out of range", lbl);
    bool inverse = ox_attr_int_or(n, "inverse", 0) != 0;
    bool onesided = ox_attr_int_or(n, "onesided", 0) != 0;
    int64_t len = x->dims[axis], N = len;
    rk_status st = RK_OK;
    if (nin > 1 && in[1] && (st = scalar_int(n, in[1], "dft_length", &N, e)) != RK_OK)
        return st;
    if (N < 1)
        return rk_errf(e, RK_EINPUT, "%s: dft_length %lld", lbl, (long long)N);
    int64_t bins = onesided ? N / 2 + 1 : N;
    int64_t dims[RK_MAX_DIMS];
    memcpy(dims, x->dims, sizeof dims);
    dims[axis] = bins;
    dims[x->ndim - 1] = 2;
    st = rk_tensor_alloc(&out[0], NULL, x->dtype, x->ndim, dims, e);
    if (st != RK_OK)
        return st;
    bool cplx = x->dims[x->ndim - 1] == 2;
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= x->dims[d];
    for (int d = (int)axis + 1; d < x->ndim - 1; d++)
        inner *= x->dims[d];
    int64_t cin = cplx ? 2 : 1;
    dft_plan p;
    double *buf = malloc(sizeof(double) * (size_t)(2 * len + 2 * bins + 2));
    st = buf ? plan_make(&p, N, bins, inverse, e) : rk_errf(e, RK_ENOMEM, "out of memory");
    if (st != RK_OK) {
        free(buf);
        rk_tensor_free(&out[0]);
        return st;
    }
    double *re = buf, *im = buf + len, *ore = buf + 2 * len, *oim = ore + bins;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            for (int64_t t = 0; t < len; t++) {
                int64_t at = ((o * len + t) * inner + i) * cin;
                re[t] = oxd_load_f64(x, at);
                im[t] = cplx ? oxd_load_f64(x, at + 1) : 0;
            }
            dft_line(&p, re, im, len, ore, oim);
            for (int64_t k = 0; k < bins; k++) {
                int64_t at = ((o * bins + k) * inner + i) * 2;
                oxd_store_f64(&out[0], at, ore[k]);
                oxd_store_f64(&out[0], at + 1, oim[k]);
            }
        }
    plan_free(&p);
    free(buf);
    return RK_OK;
}

static rk_status op_stft(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                         rk_tensor *out, int nout, rk_err *e)
{
    const char *lbl = ox_node_label(n);
    const rk_tensor *x = nin > 0 ? in[0] : NULL, *win = nin > 2 ? in[2] : NULL;
    if (!x || !oxd_is_float(x->dtype) || x->ndim != 3 || x->dims[2] < 1 || x->dims[2] > 2)
        return rk_errf(e, RK_EINPUT, "%s: signal must be float [batch, length, 1 or 2]", lbl);
    int64_t step = 0, flen = -1;
    rk_status st = scalar_int(n, nin > 1 ? in[1] : NULL, "frame_step", &step, e);
    if (st == RK_OK && nin > 3 && in[3])
        st = scalar_int(n, in[3], "frame_length", &flen, e);
    if (st != RK_OK)
        return st;
    if (win && (win->ndim != 1 || !oxd_is_float(win->dtype)))
        return rk_errf(e, RK_EINPUT, "%s: window must be a float vector", lbl);
    if (flen < 0)
        flen = win ? win->dims[0] : -1;
    if (flen < 1 || step < 1 || (win && win->dims[0] != flen) || flen > x->dims[1])
        return rk_errf(e, RK_EINPUT, "%s: frame_length %lld / frame_step %lld / window do "
                       "not fit a signal of %lld", lbl, (long long)flen, (long long)step,
                       (long long)x->dims[1]);
    bool onesided = ox_attr_int_or(n, "onesided", 1) != 0;
    int64_t batch = x->dims[0], len = x->dims[1], cin = x->dims[2];
    int64_t frames = (len - flen) / step + 1, bins = onesided ? flen / 2 + 1 : flen;
    int64_t dims[4] = {batch, frames, bins, 2};
    st = rk_tensor_alloc(&out[0], NULL, x->dtype, 4, dims, e);
    if (st != RK_OK)
        return st;
    dft_plan p;
    double *buf = malloc(sizeof(double) * (size_t)(2 * flen + 2 * bins + 2));
    st = buf ? plan_make(&p, flen, bins, false, e) : rk_errf(e, RK_ENOMEM, "out of memory");
    if (st != RK_OK) {
        free(buf);
        rk_tensor_free(&out[0]);
        return st;
    }
    double *re = buf, *im = buf + flen, *ore = buf + 2 * flen, *oim = ore + bins;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t f = 0; f < frames; f++) {
            for (int64_t t = 0; t < flen; t++) {
                int64_t at = (b * len + f * step + t) * cin;
                double w = win ? oxd_load_f64(win, t) : 1.0;
                re[t] = oxd_load_f64(x, at) * w;
                im[t] = cin == 2 ? oxd_load_f64(x, at + 1) * w : 0;
            }
            dft_line(&p, re, im, flen, ore, oim);
            for (int64_t k = 0; k < bins; k++) {
                int64_t at = ((b * frames + f) * bins + k) * 2;
                oxd_store_f64(&out[0], at, ore[k]);
                oxd_store_f64(&out[0], at + 1, oim[k]);
            }
        }
    plan_free(&p);
    free(buf);
    return RK_OK;
}

static rk_status scalar_f(const ox_node *n, const rk_tensor *t, const char *what, double *v,
                          rk_err *e)
{
    if (!t || t->nelem != 1 || !oxd_is_float(t->dtype))
        return rk_errf(e, RK_EINPUT, "%s: '%s' must be one float", ox_node_label(n), what);
    *v = oxd_load_f64(t, 0);
    return RK_OK;
}

static double hz_to_mel(double hz)
{
    return 2595.0 * log10(1.0 + hz / 700.0);
}

static rk_status op_mel(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                        rk_tensor *out, int nout, rk_err *e)
{
    const char *lbl = ox_node_label(n);
    int64_t nmel = 0, dftlen = 0, rate = 0;
    double lo = 0, hi = 0;
    rk_status st = scalar_int(n, nin > 0 ? in[0] : NULL, "num_mel_bins", &nmel, e);
    if (st == RK_OK)
        st = scalar_int(n, nin > 1 ? in[1] : NULL, "dft_length", &dftlen, e);
    if (st == RK_OK)
        st = scalar_int(n, nin > 2 ? in[2] : NULL, "sample_rate", &rate, e);
    if (st == RK_OK)
        st = scalar_f(n, nin > 3 ? in[3] : NULL, "lower_edge_hertz", &lo, e);
    if (st == RK_OK)
        st = scalar_f(n, nin > 4 ? in[4] : NULL, "upper_edge_hertz", &hi, e);
    if (st != RK_OK)
        return st;
    if (nmel < 1 || nmel > 1 << 16 || dftlen < 1 || dftlen > 1 << 24 || rate < 1 || lo < 0 ||
        hi <= lo)
        return rk_errf(e, RK_EINPUT, "%s: invalid mel parameters", lbl);
    rk_dtype dt = (rk_dtype)ox_attr_int_or(n, "output_datatype", RK_DT_F32);
    if (!oxd_is_float(dt))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: output_datatype %d", lbl, (int)dt);
    int64_t nspec = dftlen / 2 + 1;
    int64_t dims[2] = {nspec, nmel};
    st = rk_tensor_alloc(&out[0], NULL, dt, 2, dims, e);
    int64_t *bin = malloc(sizeof(int64_t) * (size_t)(nmel + 2));
    if (st != RK_OK || !bin) {
        free(bin);
        rk_tensor_free(&out[0]);
        return st != RK_OK ? st : rk_errf(e, RK_ENOMEM, "out of memory");
    }
    double mlo = hz_to_mel(lo), step = (hz_to_mel(hi) - mlo) / (double)(nmel + 2);
    for (int64_t i = 0; i < nmel + 2; i++) {
        double hz = 700.0 * (pow(10.0, ((double)i * step + mlo) / 2595.0) - 1.0);
        bin[i] = (int64_t)floor((double)(dftlen + 1) * hz / (double)rate);
        if (bin[i] < 0 || bin[i] >= nspec) {
            long long bad = (long long)bin[i]; /* read before free */
            free(bin);
            rk_tensor_free(&out[0]);
            return rk_errf(e, RK_EINPUT, "%s: mel point %lld falls in spectrogram bin %lld, "
                           "outside 0..%lld (upper_edge_hertz above Nyquist?)", lbl,
                           (long long)i, bad, (long long)(nspec - 1));
        }
    }
    for (int64_t m = 0; m < nmel; m++) {
        int64_t l = bin[m], c = bin[m + 1], r = bin[m + 2];
        if (c == l)
            oxd_store_f64(&out[0], c * nmel + m, 1.0);
        else
            for (int64_t j = l; j <= c; j++)
                oxd_store_f64(&out[0], j * nmel + m, (double)(j - l) / (double)(c - l));
        for (int64_t j = c; j < r; j++)
            oxd_store_f64(&out[0], j * nmel + m, (double)(r - j) / (double)(r - c));
    }
    free(bin);
    return RK_OK;
}

const ox_op_def ox_ops_signal[] = {
    {"", "DFT", 17, op_dft},
    {"", "STFT", 17, op_stft},
    {"", "MelWeightMatrix", 17, op_mel},
    {NULL, NULL, 0, NULL},
};
