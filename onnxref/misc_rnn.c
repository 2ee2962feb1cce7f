/*
 * misc_rnn.c - RNN, GRU and LSTM (ONNX opsets 7 and 14: 'layout' from 14)
 * with forward/reverse/bidirectional direction, biases, sequence_lens,
 * initial states, LSTM peepholes and input_forget, GRU linear_before_reset
 * and 'clip'.
 *
 * Gate equations and gate order (RNN: i; GRU: z r h; LSTM: i o f c;
 * peepholes: i o f) are those of the ONNX operator specification.  Only the
 * default activations (Tanh for RNN; Sigmoid/Tanh for GRU; Sigmoid/Tanh/
 * Tanh for LSTM) are implemented: custom 'activations' are refused because
 * ox_op.h has no accessor for a list of strings.
 *
 * Each (direction, batch) row runs independently, so sequence_lens needs no
 * masking: steps at or beyond a row's length stay zero in Y, and Y_h / Y_c
 * hold the state after the row's last valid step (for the reverse
 * direction, processing starts at step len-1).  Dot products accumulate in
 * double.
 */
#include "misc_rnn.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops_data.h"

typedef enum cell_kind { CELL_RNN, CELL_GRU, CELL_LSTM } cell_kind;

/* Everything one run needs, validated.  Pointers alias the input tensors;
 * b/h0/c0/p may be NULL (zero biases / states, no peepholes). */
typedef struct rnn_setup {
    const ox_node *n;
    cell_kind kind;
    int gates;
    int64_t seq, batch, input, hidden, dirs;
    bool batch_first, reverse_only;
    float clip; /* 0: no clipping */
    bool linear_before_reset, input_forget;
    const float *x, *w, *r, *b, *h0, *c0, *p;
    const rk_tensor *seq_lens;
} rnn_setup;

static float sigmoidf(float v)
{
    return 1.0f / (1.0f + expf(-v));
}

static float clipf(const rnn_setup *s, float v)
{
    if (s->clip > 0.0f)
        return v < -s->clip ? -s->clip : v > s->clip ? s->clip : v;
    return v;
}

static double dot(const float *a, const float *b, int64_t len)
{
    double acc = 0.0;
    for (int64_t i = 0; i < len; i++)
        acc += (double)a[i] * (double)b[i];
    return acc;
}

/* A float32 input of the exact shape, or an error naming it. */
static rk_status need_f32_shape(const ox_node *n, const rk_tensor *t, const char *what,
                                int ndim, const int64_t *dims, rk_err *e)
{
    bool ok = t->dtype == RK_DT_F32 && t->ndim == ndim;
    for (int d = 0; ok && d < ndim; d++)
        ok = t->dims[d] == dims[d];
    if (!ok) {
        char buf[64] = "";
        size_t used = 0;
        for (int d = 0; d < ndim && used < sizeof buf; d++)
            used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%lld", d ? "x" : "",
                                     (long long)dims[d]);
        return rk_errf(e, RK_EINPUT, "%s: input %s must be float32 of shape %s", L(n), what,
                       buf);
    }
    return RK_OK;
}

static rk_status rnn_read_attrs(const ox_node *n, rnn_setup *s, rk_err *e)
{
    const char *dir = ox_attr_string_or(n, "direction", "forward");
    if (strcmp(dir, "forward") == 0) {
        s->dirs = 1;
    } else if (strcmp(dir, "reverse") == 0) {
        s->dirs = 1;
        s->reverse_only = true;
    } else if (strcmp(dir, "bidirectional") == 0) {
        s->dirs = 2;
    } else {
        return rk_errf(e, RK_EINPUT, "%s: unknown direction '%s'", L(n), dir);
    }
    if (ox_attr_has(n, "activations") || ox_attr_has(n, "activation_alpha") ||
        ox_attr_has(n, "activation_beta"))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: custom 'activations' are not supported "
                       "(only the ONNX defaults)", L(n));
    s->clip = ox_attr_has(n, "clip") ? ox_attr_float_or(n, "clip", 0.0f) : 0.0f;
    if (s->clip < 0.0f)
        return rk_errf(e, RK_EINPUT, "%s: 'clip' %g is negative", L(n), (double)s->clip);
    s->batch_first = ox_node_opset(n) >= 14 && ox_attr_int_or(n, "layout", 0) != 0;
    s->linear_before_reset = ox_attr_int_or(n, "linear_before_reset", 0) != 0;
    s->input_forget = ox_attr_int_or(n, "input_forget", 0) != 0;
    return RK_OK;
}

static rk_status rnn_read_inputs(const ox_node *n, const rk_tensor *const *in, int nin,
                                 rnn_setup *s, rk_err *e)
{
    const rk_tensor *x, *w, *r;
    TRY(oxd_need_input(n, in, nin, 0, "X", &x, e));
    TRY(oxd_need_input(n, in, nin, 1, "W", &w, e));
    TRY(oxd_need_input(n, in, nin, 2, "R", &r, e));
    if (x->ndim != 3 || x->dtype != RK_DT_F32)
        return rk_errf(e, RK_EINPUT, "%s: X must be a 3-D float32 tensor", L(n));
    s->seq = x->dims[s->batch_first ? 1 : 0];
    s->batch = x->dims[s->batch_first ? 0 : 1];
    s->input = x->dims[2];
    int64_t hs = ox_attr_int_or(n, "hidden_size", r->ndim == 3 ? r->dims[2] : 0);
    if (hs <= 0 || hs > (INT64_C(1) << 20))
        return rk_errf(e, RK_EINPUT, "%s: 'hidden_size' %lld is invalid", L(n), (long long)hs);
    s->hidden = hs;
    int64_t g = s->gates, D = s->dirs, H = hs;
    int64_t wd[3] = {D, g * H, s->input}, rd[3] = {D, g * H, H}, bd[2] = {D, 2 * g * H};
    int64_t hd[3] = {D, s->batch, H}, pd[2] = {D, 3 * H};
    if (s->batch_first) {
        hd[0] = s->batch;
        hd[1] = D;
    }
    TRY(need_f32_shape(n, w, "W", 3, wd, e));
    TRY(need_f32_shape(n, r, "R", 3, rd, e));
    s->x = x->data;
    s->w = w->data;
    s->r = r->data;
    const rk_tensor *b = oxd_opt_input(in, nin, 3), *h0 = oxd_opt_input(in, nin, 5);
    if (b)
        TRY(need_f32_shape(n, b, "B", 2, bd, e));
    if (h0)
        TRY(need_f32_shape(n, h0, "initial_h", 3, hd, e));
    s->b = b ? b->data : NULL;
    s->h0 = h0 ? h0->data : NULL;
    s->seq_lens = oxd_opt_input(in, nin, 4);
    if (s->seq_lens) {
        TRY(oxd_need_dtype_int(n, s->seq_lens, "sequence_lens", e));
        if (s->seq_lens->nelem != s->batch)
            return rk_errf(e, RK_EINPUT, "%s: sequence_lens must have %lld entries", L(n),
                           (long long)s->batch);
        for (int64_t i = 0; i < s->batch; i++) {
            int64_t len = oxd_get_i64(s->seq_lens, i);
            if (len < 0 || len > s->seq)
                return rk_errf(e, RK_EINPUT, "%s: sequence_lens[%lld] = %lld outside [0, %lld]",
                               L(n), (long long)i, (long long)len, (long long)s->seq);
        }
    }
    if (s->kind == CELL_LSTM) {
        const rk_tensor *c0 = oxd_opt_input(in, nin, 6), *p = oxd_opt_input(in, nin, 7);
        if (c0)
            TRY(need_f32_shape(n, c0, "initial_c", 3, hd, e));
        if (p)
            TRY(need_f32_shape(n, p, "P", 2, pd, e));
        s->c0 = c0 ? c0->data : NULL;
        s->p = p ? p->data : NULL;
    }
    return RK_OK;
}

/* Element offsets for the two layouts. */
static int64_t x_off(const rnn_setup *s, int64_t t, int64_t b)
{
    return (s->batch_first ? b * s->seq + t : t * s->batch + b) * s->input;
}

static int64_t y_off(const rnn_setup *s, int64_t t, int64_t d, int64_t b)
{
    return (s->batch_first ? (b * s->seq + t) * s->dirs + d : (t * s->dirs + d) * s->batch + b) *
           s->hidden;
}

static int64_t state_off(const rnn_setup *s, int64_t d, int64_t b)
{
    return (s->batch_first ? b * s->dirs + d : d * s->batch + b) * s->hidden;
}

/* Per-direction weights: rows of gate g start at w + g*H*I. */
typedef struct dir_weights {
    const float *w, *r, *wb, *rb, *p;
} dir_weights;

/* x·W_row + h·R_row + Wb + Rb for gate g, unit j (biases may be absent). */
static float gate_pre(const rnn_setup *s, const dir_weights *dw, int g, int64_t j,
                      const float *x, const float *h)
{
    int64_t row = g * s->hidden + j;
    double v = dot(dw->w + row * s->input, x, s->input) + dot(dw->r + row * s->hidden, h,
                                                            s->hidden);
    if (dw->wb)
        v += (double)dw->wb[row] + (double)dw->rb[row];
    return (float)v;
}

/* Scratch: h, c, new h, new c, r∘h, gate pre-activations (4 gates). */
typedef struct rnn_scratch {
    float *h, *c, *hn, *cn, *rh, *pre;
} rnn_scratch;

static void step_rnn(const rnn_setup *s, const dir_weights *dw, const float *x,
                     rnn_scratch *k)
{
    for (int64_t j = 0; j < s->hidden; j++)
        k->hn[j] = tanhf(clipf(s, gate_pre(s, dw, 0, j, x, k->h)));
}

static void step_gru(const rnn_setup *s, const dir_weights *dw, const float *x,
                     rnn_scratch *k)
{
    int64_t H = s->hidden;
    float *z = k->pre, *r = k->pre + H;
    for (int64_t j = 0; j < H; j++) {
        z[j] = sigmoidf(clipf(s, gate_pre(s, dw, 0, j, x, k->h)));
        r[j] = sigmoidf(clipf(s, gate_pre(s, dw, 1, j, x, k->h)));
        k->rh[j] = r[j] * k->h[j];
    }
    for (int64_t j = 0; j < H; j++) {
        int64_t row = 2 * H + j;
        double v = dot(dw->w + row * s->input, x, s->input);
        double wb = dw->wb ? dw->wb[row] : 0.0, rb = dw->rb ? dw->rb[row] : 0.0;
        if (s->linear_before_reset)
            v += wb + r[j] * (dot(dw->r + row * H, k->h, H) + rb);
        else
            v += wb + rb + dot(dw->r + row * H, k->rh, H);
        float hh = tanhf(clipf(s, (float)v));
        k->hn[j] = (1.0f - z[j]) * hh + z[j] * k->h[j];
    }
}

static void step_lstm(const rnn_setup *s, const dir_weights *dw, const float *x,
                      rnn_scratch *k)
{
    int64_t H = s->hidden;
    const float *pi = dw->p, *po = dw->p ? dw->p + H : NULL, *pf = dw->p ? dw->p + 2 * H : NULL;
    for (int64_t j = 0; j < H; j++) {
        float gi = gate_pre(s, dw, 0, j, x, k->h) + (pi ? pi[j] * k->c[j] : 0.0f);
        float gf = gate_pre(s, dw, 2, j, x, k->h) + (pf ? pf[j] * k->c[j] : 0.0f);
        float gc = gate_pre(s, dw, 3, j, x, k->h);
        float i = sigmoidf(clipf(s, gi));
        float f = s->input_forget ? 1.0f - i : sigmoidf(clipf(s, gf));
        k->cn[j] = f * k->c[j] + i * tanhf(clipf(s, gc));
        /* The output gate's peephole looks at the new cell state. */
        float go = gate_pre(s, dw, 1, j, x, k->h) + (po ? po[j] * k->cn[j] : 0.0f);
        k->hn[j] = sigmoidf(clipf(s, go)) * tanhf(k->cn[j]);
    }
}

static void run_row(const rnn_setup *s, int64_t d, int64_t b, rnn_scratch *k, rk_tensor *out,
                    int nout)
{
    int64_t G = s->gates, H = s->hidden;
    dir_weights dw = {
        .w = s->w + d * G * H * s->input, .r = s->r + d * G * H * H,
        .wb = s->b ? s->b + d * 2 * G * H : NULL, .rb = s->b ? s->b + d * 2 * G * H + G * H : NULL,
        .p = s->p ? s->p + d * 3 * H : NULL,
    };
    int64_t so = state_off(s, d, b);
    for (int64_t j = 0; j < H; j++) {
        k->h[j] = s->h0 ? s->h0[so + j] : 0.0f;
        k->c[j] = s->c0 ? s->c0[so + j] : 0.0f;
    }
    bool reverse = s->reverse_only || d == 1;
    int64_t len = s->seq_lens ? oxd_get_i64(s->seq_lens, b) : s->seq;
    for (int64_t step = 0; step < len; step++) {
        int64_t t = reverse ? len - 1 - step : step;
        const float *x = s->x + x_off(s, t, b);
        if (s->kind == CELL_RNN)
            step_rnn(s, &dw, x, k);
        else if (s->kind == CELL_GRU)
            step_gru(s, &dw, x, k);
        else
            step_lstm(s, &dw, x, k);
        memcpy(k->h, k->hn, (size_t)H * sizeof *k->h);
        if (s->kind == CELL_LSTM)
            memcpy(k->c, k->cn, (size_t)H * sizeof *k->c);
        if (nout > 0 && out[0].data)
            memcpy((float *)out[0].data + y_off(s, t, d, b), k->h, (size_t)H * sizeof *k->h);
    }
    if (nout > 1 && out[1].data)
        memcpy((float *)out[1].data + so, k->h, (size_t)H * sizeof *k->h);
    if (nout > 2 && out[2].data)
        memcpy((float *)out[2].data + so, k->c, (size_t)H * sizeof *k->c);
}

static rk_status rnn_alloc_outputs(const rnn_setup *s, rk_tensor *out, int nout, rk_err *e)
{
    int64_t yd[4], hd[3];
    if (s->batch_first) {
        int64_t y[4] = {s->batch, s->seq, s->dirs, s->hidden}, h[3] = {s->batch, s->dirs,
                                                                      s->hidden};
        memcpy(yd, y, sizeof yd);
        memcpy(hd, h, sizeof hd);
    } else {
        int64_t y[4] = {s->seq, s->dirs, s->batch, s->hidden}, h[3] = {s->dirs, s->batch,
                                                                      s->hidden};
        memcpy(yd, y, sizeof yd);
        memcpy(hd, h, sizeof hd);
    }
    int max_out = s->kind == CELL_LSTM ? 3 : 2;
    if (nout > max_out)
        return rk_errf(e, RK_EINPUT, "%s: %d outputs declared, at most %d", L(s->n), nout,
                       max_out);
    for (int i = 0; i < nout; i++)
        TRY(rk_tensor_alloc(&out[i], NULL, RK_DT_F32, i == 0 ? 4 : 3, i == 0 ? yd : hd, e));
    return RK_OK;
}

static rk_status recurrent(const ox_node *n, cell_kind kind, const rk_tensor *const *in,
                           int nin, rk_tensor *out, int nout, rk_err *e)
{
    rnn_setup s = {.n = n, .kind = kind, .gates = kind == CELL_RNN ? 1 : kind == CELL_GRU ? 3 : 4};
    TRY(rnn_read_attrs(n, &s, e));
    TRY(rnn_read_inputs(n, in, nin, &s, e));
    rk_status st = rnn_alloc_outputs(&s, out, nout, e);
    float *buf = st == RK_OK ? rk_calloc_array((size_t)s.hidden * 9, sizeof *buf) : NULL;
    if (st == RK_OK && !buf)
        st = rk_errf(e, RK_ENOMEM, "%s: out of memory", L(n));
    if (st != RK_OK) {
        for (int i = 0; i < nout; i++)
            rk_tensor_free(&out[i]);
        free(buf);
        return st;
    }
    int64_t H = s.hidden;
    rnn_scratch k = {.h = buf, .c = buf + H, .hn = buf + 2 * H, .cn = buf + 3 * H,
                     .rh = buf + 4 * H, .pre = buf + 5 * H};
    for (int64_t d = 0; d < s.dirs; d++)
        for (int64_t b = 0; b < s.batch; b++)
            run_row(&s, d, b, &k, out, nout);
    free(buf);
    return RK_OK;
}

rk_status oxm_rnn(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                  rk_tensor *out, int nout, rk_err *e)
{
    (void)ctx;
    return recurrent(n, CELL_RNN, in, nin, out, nout, e);
}

rk_status oxm_gru(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                  rk_tensor *out, int nout, rk_err *e)
{
    (void)ctx;
    return recurrent(n, CELL_GRU, in, nin, out, nout, e);
}

rk_status oxm_lstm(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                   rk_tensor *out, int nout, rk_err *e)
{
    (void)ctx;
    return recurrent(n, CELL_LSTM, in, nin, out, nout, e);
}
