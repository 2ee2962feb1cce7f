/*
 * cv_matmul.c - MatMul / Gemm with a constant B lowered as a 1x1
 * convolution (issue 8).
 *
 * Y[rows, N] = A[rows, K] x B[K, N] is a 1x1 conv over `rows` pixels of K
 * channels with the N x K x 1 x 1 weights B^T: the CNA reads weights from a
 * constant buffer in the C-WT layout (sim/SEMANTICS.md) and the feature map
 * in NC1HWC2, so the matrix rows become pixels.  The spatial arrangement
 * does not matter to a 1x1 conv; we use H x W with H >= 4 (zero rows pad to
 * H*W) because the compiler does not lower multi-surface inputs of < 4 rows
 * (convert/README.md), and W small enough that one row of input fills at
 * most two 32 KB CBUF banks (so CBUF row tiling always has room; channel
 * tiling handles large N).  Leading dims of A fold into rows (B is shared).
 *
 * The ONNX side has A and Y as row-major float tensors in CPU nodes; the
 * transposition happens in CPU nodes (cv_cpu.c), never on the NPU:
 *  - A is packed by the CPU node that produces it (appended to the last CPU
 *    group) or by a pack-only CPU node: Reshape [rows,K] -> Transpose ->
 *    Concat zero rows -> Reshape [1,K,H,W], quantised at the node output
 *    like any activation (same range as A: calibration copies A's);
 *  - Y is unpacked by every CPU node reading it (Reshape [N,H*W] -> Gather
 *    the first `rows` pixels -> Transpose -> Reshape to Y's shape); a graph
 *    output gets an unpack-only CPU node.  A MatMul reading the result of
 *    another one with the same rows uses the packed tensor directly.
 * Gemm: alpha scales the weights, beta*C (broadcast along rows) is the conv
 * bias, transA / transB change only the packing / the weight transposition.
 * A bias Add right after a MatMul (constant broadcast along the last axis:
 * the projections of exported transformers) folds into the conv bias;
 * Relu / Clip after it fuse as for Conv (BatchNormalization does not: it
 * normalises axis 1, which is not N here).
 *
 * Not lowered (CPU nodes, with the reason in the report): both operands
 * activations (attention's Q K^T and attn V - the weights would have to be
 * written at run time in the CNA weight layout by the producing CPU node,
 * which the container's CPU-node output convention (NC1HWC2 activations)
 * does not express), stacks of B matrices, K too large for one CBUF pass.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_internal.h"

enum { MM_MIN_H = 4, MM_BANK = 32768, MM_BANKS = 12 };

void cv_mm_view_free(cv_mm_view *v)
{
    if (v)
        free(v->onnx_name);
    free(v);
}

static int esz_of(rk_convert_dtype d) { return d == RK_CONVERT_INT8 ? 1 : 2; }

/* H x W for `rows` pixels of `cols` channels (see the file comment). */
static void mm_geometry(int rows, int cols, int esz, int *h, int *w)
{
    int64_t row_bytes = (int64_t)RK_ALIGN_UP(cols, 16 / esz) * esz;
    int64_t wmax = RK_MAX(1, 2 * MM_BANK / row_bytes);
    int64_t ww = RK_MIN((int64_t)(rows + MM_MIN_H - 1) / MM_MIN_H, wmax);
    ww = RK_MAX(ww, 1);
    *w = (int)ww;
    *h = (int)RK_MAX((int64_t)MM_MIN_H, (rows + ww - 1) / ww);
}

/* Whether a W-pixel row of K-channel input plus the smallest kernel group
 * fits the CBUF (the conditions cv_emit_conv checks, so it never fails). */
static bool cbuf_fits(int k, int n, int w, int esz)
{
    int64_t cin_al = RK_ALIGN_UP(k, 16 / esz);
    int atom = esz == 1 ? 32 : 16, kmin = RK_ALIGN_UP(RK_MIN(n, atom), 16 / esz);
    int64_t data = ((int64_t)w * cin_al * esz + MM_BANK - 1) / MM_BANK;
    int64_t wts = ((int64_t)kmin * cin_al * esz + MM_BANK - 1) / MM_BANK + 1; /* + Mesa's spare bank */
    return data + wts <= MM_BANKS;
}

/* The consumer of `name` when there is exactly one node reading it and it
 * is no graph output; -1 otherwise. */
static int only_consumer(const ox_model *m, const char *name)
{
    int who = -1, cnt = 0;
    for (int i = 0; i < ox_model_num_nodes(m); i++) {
        const ox_node *n = ox_model_node(m, i);
        for (int k = 0; k < ox_node_num_inputs(n); k++)
            if (strcmp(ox_node_input_name(n, k), name) == 0) {
                cnt++;
                who = i;
                break;
            }
    }
    for (int i = 0; i < ox_model_num_outputs(m); i++)
        if (strcmp(ox_model_output(m, i)->name, name) == 0)
            return -1;
    return cnt == 1 ? who : -1;
}

/* A constant broadcast along the last axis of an [.., N] result: N values
 * or one, every other dim 1.  NULL otherwise. */
static const rk_tensor *row_vector(const ox_model *m, const cv_graph *g, const char *name, int n)
{
    const rk_tensor *t = name[0] ? cv_find_const(m, g, name) : NULL;
    if (!t || t->dtype != RK_DT_F32 || (t->nelem != n && t->nelem != 1))
        return NULL;
    for (int d = 0; d + 1 < t->ndim; d++)
        if (t->dims[d] != 1)
            return NULL;
    return t;
}

/* The ONNX shape of activation ti (shape pass; graph inputs: [1,C,H,W]). */
static bool onnx_shape(const cv_graph *g, int ti, int *nd, int64_t *dims)
{
    const cv_tensor *t = &g->tensors[ti];
    if (t->mm) {
        *nd = t->mm->ndim;
        memcpy(dims, t->mm->dims, sizeof(t->mm->dims));
        return true;
    }
    const cv_shape *sh = cv_shape_of(g, t->name);
    if (sh) {
        *nd = sh->ndim;
        memcpy(dims, sh->dims, sizeof(sh->dims));
        return true;
    }
    if (t->nd) {
        *nd = t->ndim;
        memcpy(dims, t->dims, sizeof(t->dims));
        return true;
    }
    int64_t d4[4] = {1, t->c, t->h, t->w};
    *nd = 4;
    memcpy(dims, d4, sizeof(d4));
    return true;
}

static rk_status new_view(cv_tensor *t, const char *onnx_name, int nd, const int64_t *dims, int rows, int cols,
                          bool trans, int calib_from, rk_err *e)
{
    cv_mm_view *v = calloc(1, sizeof(*v));
    if (!v || !(v->onnx_name = strdup(onnx_name))) {
        free(v);
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    }
    v->ndim = nd;
    memcpy(v->dims, dims, sizeof(v->dims));
    v->rows = rows;
    v->cols = cols;
    v->trans = trans;
    v->calib_from = calib_from;
    t->mm = v;
    return RK_OK;
}

static rk_status push_int(int **arr, int *n, int v, rk_err *e)
{
    int *p = realloc(*arr, (size_t)(*n + 1) * sizeof(int));
    if (!p)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    p[(*n)++] = v;
    *arr = p;
    return RK_OK;
}

/*
 * The packed [1,K,H,W] form of A (index *out): A itself when it is already
 * such a view with the same rows, an earlier pack of A, or a new tensor
 * produced by the last CPU group (a new pack-only group if the last op is
 * on the NPU).
 */
static rk_status packed_input(cv_graph *g, const ox_node *n, int ai, int nd, const int64_t *dims, int rows, int k,
                              int nout, bool trans, int *out, rk_convert_report *rep, rk_err *e)
{
    int esz = esz_of(g->dtype);
    const cv_tensor *a = &g->tensors[ai];
    if (a->mm && !trans && a->mm->rows == rows && a->mm->cols == k && a->c == k && a->h >= MM_MIN_H &&
        cbuf_fits(k, nout, a->w, esz)) {
        *out = ai;
        return RK_OK;
    }
    char name[400];
    snprintf(name, sizeof(name), "%s#mmin%s", a->name, trans ? "T" : "");
    int pi = cv_find_tensor(g, name);
    if (pi >= 0) {
        *out = pi;
        return RK_OK;
    }
    int h, w;
    mm_geometry(rows, k, esz, &h, &w);
    rk_status st = cv_add_tensor(g, name, k, h, w, &pi, e);
    if (st)
        return st;
    /* a->mm: A is an unpacked view (its ONNX name is what the CPU node sees) */
    const char *onnx = g->tensors[ai].mm ? g->tensors[ai].mm->onnx_name : g->tensors[ai].name;
    char onnx_copy[400];
    snprintf(onnx_copy, sizeof(onnx_copy), "%s", onnx);
    if ((st = new_view(&g->tensors[pi], onnx_copy, nd, dims, rows, k, trans, ai, e)))
        return st;
    g->tensors[pi].calibrated = true; /* range copied from A after calibration (cv_matmul_finish) */
    cv_op *op = g->n_ops ? &g->ops[g->n_ops - 1] : NULL;
    bool reads_a = false;
    for (int i = 0; op && op->kind == CV_CPU && i < op->n_in; i++)
        reads_a |= op->in[i] == ai;
    for (int i = 0; op && op->kind == CV_CPU && i < op->n_cpu_out; i++)
        reads_a |= op->cpu_out[i] == ai;
    if (!op || op->kind != CV_CPU || (!reads_a && op->n_in == CV_MAX_IN)) {
        if ((st = cv_add_op(g, n, CV_CPU, &op, e)))
            return st;
        char nm[200];
        snprintf(nm, sizeof(nm), "%s#pack", op->name);
        free(op->name);
        if (!(op->name = strdup(nm)))
            return rk_errf(e, RK_ENOMEM, "convert: out of memory");
        rep->n_cpu_ops++;
        reads_a = false;
    }
    if (!reads_a)
        op->in[op->n_in++] = ai;
    if ((st = push_int(&op->cpu_out, &op->n_cpu_out, pi, e)) || (st = push_int(&op->mm_pack, &op->n_mm_pack, pi, e)))
        return st;
    if (op->out < 0)
        op->out = pi;
    *out = pi;
    return RK_OK;
}

/* Operands of node n: A's tensor and shape, K, N, rows, weights (N x K,
 * alpha applied) and bias (N); false + why when not lowerable. */
typedef struct mm_plan {
    int ai, nd, rows, k, n;
    int64_t dims[RK_MAX_DIMS];
    bool trans_a;
    float *w, *b;
    bool has_bias;
} mm_plan;

static bool plan_operands(ox_model *m, const ox_node *n, const cv_graph *g, mm_plan *p, char *why, size_t wl)
{
    bool gemm = strcmp(ox_node_op_type(n), "Gemm") == 0;
    const char *an = ox_node_input_name(n, 0), *bn = ox_node_num_inputs(n) > 1 ? ox_node_input_name(n, 1) : "";
    p->ai = cv_find_tensor(g, an);
    const rk_tensor *bt = bn[0] ? cv_find_const(m, g, bn) : NULL;
    if (p->ai < 0) {
        snprintf(why, wl, "operand A '%s' is not an activation of the converted graph", an);
        return false;
    }
    if (!bt) {
        snprintf(why, wl, "both operands are activations (attention-style matmul): the CNA reads weights from "
                 "a constant buffer; a runtime-written weight buffer in the CNA layout is not produced by CPU "
                 "nodes yet, so it stays on the CPU");
        return false;
    }
    if (bt->dtype != RK_DT_F32 || bt->ndim < 2) {
        snprintf(why, wl, "B '%s' is not a float32 matrix", bn);
        return false;
    }
    for (int d = 0; d + 2 < bt->ndim; d++)
        if (bt->dims[d] != 1) {
            snprintf(why, wl, "B '%s' is a stack of matrices (one weight set per batch is not lowered)", bn);
            return false;
        }
    onnx_shape(g, p->ai, &p->nd, p->dims);
    int64_t br = bt->dims[bt->ndim - 2], bc = bt->dims[bt->ndim - 1];
    bool tb = gemm && ox_attr_int_or(n, "transB", 0) != 0;
    p->trans_a = gemm && ox_attr_int_or(n, "transA", 0) != 0;
    int64_t K = tb ? bc : br, N = tb ? br : bc, rows = 1;
    if (p->nd < 2 || (gemm && p->nd != 2)) {
        snprintf(why, wl, "A has %d dims (%s)", p->nd, gemm ? "Gemm needs 2" : "a vector MatMul is not lowered");
        return false;
    }
    int64_t ak = p->trans_a ? p->dims[0] : p->dims[p->nd - 1];
    rows = p->trans_a ? p->dims[1] : 1;
    for (int d = 0; !p->trans_a && d + 1 < p->nd; d++)
        rows *= p->dims[d];
    if (ak != K || K <= 0 || N <= 0 || rows <= 0) {
        snprintf(why, wl, "A is [.., %lld] but B gives K = %lld", (long long)ak, (long long)K);
        return false;
    }
    if (N > 8192 || K > 16384 || rows > (1 << 24)) {
        snprintf(why, wl, "N = %lld outputs / K = %lld inputs / %lld rows exceed the conv fields (N <= 8192, "
                 "DATAOUT_CHANNEL; K <= 16384, DATAIN_CHANNEL_REAL)", (long long)N, (long long)K, (long long)rows);
        return false;
    }
    int esz = esz_of(g->dtype), h, w;
    mm_geometry((int)rows, (int)K, esz, &h, &w);
    if (!cbuf_fits((int)K, (int)N, w, esz)) {
        snprintf(why, wl, "K = %lld: one input pixel and the smallest kernel group exceed the 12 CBUF banks "
                 "(tiling by input channels is not implemented)", (long long)K);
        return false;
    }
    const rk_tensor *c = NULL;
    if (gemm && ox_node_num_inputs(n) > 2 && ox_node_input_name(n, 2)[0] &&
        !(c = row_vector(m, g, ox_node_input_name(n, 2), (int)N))) {
        snprintf(why, wl, "Gemm C '%s' is not a constant broadcast along rows ([N] or [1,N])",
                 ox_node_input_name(n, 2));
        return false;
    }
    p->k = (int)K;
    p->n = (int)N;
    p->rows = (int)rows;
    p->w = malloc((size_t)K * (size_t)N * sizeof(float));
    p->b = calloc((size_t)N, sizeof(float));
    if (!p->w || !p->b) {
        snprintf(why, wl, "out of memory");
        return false;
    }
    float alpha = gemm ? ox_attr_float_or(n, "alpha", 1.0f) : 1.0f, beta = gemm ? ox_attr_float_or(n, "beta", 1.0f) : 1.0f;
    const float *bv = bt->data;
    for (int64_t o = 0; o < N; o++)
        for (int64_t i = 0; i < K; i++)
            p->w[o * K + i] = alpha * (tb ? bv[o * K + i] : bv[i * N + o]);
    if (c) {
        for (int64_t o = 0; o < N; o++)
            p->b[o] = beta * ((const float *)c->data)[c->nelem == 1 ? 0 : o];
        p->has_bias = true;
    }
    return true;
}

rk_status cv_matmul_lower(ox_model *m, const ox_node *n, cv_graph *g, bool *used, bool *done, char *why,
                          size_t why_len, const char **fused_out, rk_convert_report *rep, rk_err *e)
{
    *done = false;
    *fused_out = NULL;
    rk_status st = cv_shapes_compute(m, g, e);
    if (st)
        return st;
    mm_plan p;
    memset(&p, 0, sizeof(p));
    if (!plan_operands(m, n, g, &p, why, why_len)) {
        free(p.w);
        free(p.b);
        cv_note(rep, "%s stays on the CPU: %s", ox_node_label(n), why);
        return RK_OK;
    }
    /* a bias Add right after it folds into the conv bias */
    const char *out = ox_node_output_name(n, 0);
    int j = only_consumer(m, out);
    if (j >= 0) {
        const ox_node *an = ox_model_node(m, j);
        const char *other = strcmp(ox_node_input_name(an, 0), out) == 0 && ox_node_num_inputs(an) == 2
                                ? ox_node_input_name(an, 1)
                                : ox_node_input_name(an, 0);
        const rk_tensor *bias = strcmp(ox_node_op_type(an), "Add") == 0 && ox_node_num_inputs(an) == 2 &&
                                        !ox_node_domain(an)[0]
                                    ? row_vector(m, g, other, p.n)
                                    : NULL;
        const cv_shape *ys = cv_shape_of(g, out), *zs = bias ? cv_shape_of(g, ox_node_output_name(an, 0)) : NULL;
        if (bias && ys && zs && ys->ndim == zs->ndim && memcmp(ys->dims, zs->dims, sizeof(ys->dims[0]) * ys->ndim) == 0) {
            for (int o = 0; o < p.n; o++)
                p.b[o] += ((const float *)bias->data)[bias->nelem == 1 ? 0 : o];
            p.has_bias = true;
            used[j] = true;
            *fused_out = ox_node_output_name(an, 0);
            cv_note(rep, "%s folded into %s (conv bias)", ox_node_label(an), ox_node_label(n));
            rep->n_fused++;
        }
    }
    int pi = -1;
    if ((st = packed_input(g, n, p.ai, p.nd, p.dims, p.rows, p.k, p.n, p.trans_a, &pi, rep, e))) {
        free(p.w);
        free(p.b);
        return st;
    }
    cv_op *op;
    if ((st = cv_add_op(g, n, CV_MATMUL, &op, e))) {
        free(p.w);
        free(p.b);
        return st;
    }
    op->k = p.n;
    op->kh = op->kw = op->sy = op->sx = 1;
    op->in[0] = pi;
    op->n_in = 1;
    op->w = p.w;
    op->b = p.b;
    op->wpk = p.k;
    op->has_bias = p.has_bias;
    cv_note(rep, "%s: %d x %d x %d as a 1x1 conv over %dx%d pixels (NPU)", ox_node_label(n), p.rows, p.k, p.n,
            g->tensors[pi].h, g->tensors[pi].w);
    *done = true;
    return RK_OK;
}

rk_status cv_matmul_output(ox_model *m, cv_graph *g, cv_op *op, rk_err *e)
{
    (void)m;
    cv_tensor *y = &g->tensors[op->out];
    const cv_mm_view *in = g->tensors[op->in[0]].mm;
    const cv_shape *sh = cv_shape_of(g, y->name);
    int64_t ne = 1;
    for (int d = 0; sh && d < sh->ndim; d++)
        ne *= sh->dims[d];
    if (!in || !sh || ne != (int64_t)in->rows * op->k)
        return rk_errf(e, RK_EINTERNAL, "%s: result '%s' has %lld values, expected %d x %d", op->label, y->name,
                       (long long)ne, in ? in->rows : 0, op->k);
    return new_view(y, y->name, sh->ndim, sh->dims, in->rows, op->k, false, -1, e);
}

rk_status cv_matmul_graph_outputs(ox_model *m, cv_graph *g, rk_convert_report *rep, rk_err *e)
{
    for (int i = 0; i < ox_model_num_outputs(m); i++) {
        const char *name = ox_model_output(m, i)->name;
        int vi = cv_find_tensor(g, name);
        if (vi < 0 || !g->tensors[vi].mm || strcmp(g->tensors[vi].mm->onnx_name, g->tensors[vi].name) != 0)
            continue;
        const ox_node *src = NULL;
        for (int k = 0; !src && k < ox_model_num_nodes(m); k++)
            for (int o = 0; o < ox_node_num_outputs(ox_model_node(m, k)); o++)
                if (strcmp(ox_node_output_name(ox_model_node(m, k), o), name) == 0)
                    src = ox_model_node(m, k);
        if (!src)
            return rk_errf(e, RK_EINTERNAL, "output '%s': no producing node", name);
        /* the view gets its final name now, so the output keeps the ONNX one */
        char vn[400];
        snprintf(vn, sizeof(vn), "%s#mm", name);
        char *nn = strdup(vn);
        if (!nn)
            return rk_errf(e, RK_ENOMEM, "convert: out of memory");
        free(g->tensors[vi].name);
        g->tensors[vi].name = nn;
        g->tensors[vi].calibrated = true; /* range copied from the output after calibration */
        const cv_mm_view *v = g->tensors[vi].mm;
        bool nchw = v->ndim == 4 && v->dims[0] == 1;
        int64_t ne = (int64_t)v->rows * v->cols;
        int oi;
        rk_status st = nchw ? cv_add_tensor(g, name, (int)v->dims[1], (int)v->dims[2], (int)v->dims[3], &oi, e)
                            : cv_add_tensor(g, name, (int)ne, 1, 1, &oi, e);
        if (st)
            return st;
        cv_tensor *t = &g->tensors[oi];
        v = g->tensors[vi].mm;
        if (!nchw) {
            t->nd = true;
            t->ndim = v->ndim;
            memcpy(t->dims, v->dims, sizeof(t->dims));
        }
        g->tensors[vi].mm->calib_from = oi;
        cv_op *op;
        if ((st = cv_add_op(g, src, CV_CPU, &op, e)))
            return st;
        snprintf(vn, sizeof(vn), "%s#unpack", op->name);
        free(op->name);
        if (!(op->name = strdup(vn)))
            return rk_errf(e, RK_ENOMEM, "convert: out of memory");
        op->in[0] = vi;
        op->n_in = 1;
        if ((st = push_int(&op->cpu_out, &op->n_cpu_out, oi, e)))
            return st;
        op->out = oi;
        rep->n_cpu_ops++;
    }
    return RK_OK;
}

/* Raw range of tensor s (an equalised one keeps its per-channel ranges). */
static void raw_range(const cv_tensor *s, float *lo, float *hi)
{
    *lo = s->min;
    *hi = s->max;
    if (s->eq && s->ch_min && s->ch_max) {
        for (int c = 0; c < s->c; c++)
            if (isfinite(s->ch_min[c])) {
                *lo = fminf(*lo, s->ch_min[c]);
                *hi = fmaxf(*hi, s->ch_max[c]);
            }
    }
}

rk_status cv_matmul_finish(cv_graph *g, rk_err *e)
{
    for (int i = 0; i < g->n_tensors; i++) {
        cv_tensor *t = &g->tensors[i];
        if (!t->mm)
            continue;
        if (t->mm->calib_from >= 0 && g->dtype == RK_CONVERT_INT8) {
            float lo, hi;
            raw_range(&g->tensors[t->mm->calib_from], &lo, &hi);
            /* zero padding rows must be exact (as derive_int8 in cv_quant.c) */
            lo = fminf(lo, 0.0f);
            hi = fmaxf(hi, 0.0f);
            if (hi - lo < 1e-8f)
                hi = lo + 1e-8f;
            t->min = lo;
            t->max = hi;
            t->scale = (hi - lo) / 255.0f;
            long zp = lroundf(-128.0f - lo / t->scale);
            t->zp = (int32_t)RK_MAX(-128, RK_MIN(127, zp));
        }
        if (strcmp(t->name, t->mm->onnx_name) == 0) {
            size_t l = strlen(t->name);
            char *nm = malloc(l + 4);
            if (!nm)
                return rk_errf(e, RK_ENOMEM, "convert: out of memory");
            memcpy(nm, t->name, l);
            memcpy(nm + l, "#mm", 4);
            free(t->name);
            t->name = nm;
        }
    }
    return RK_OK;
}
