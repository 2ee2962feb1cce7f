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
 * Both operands activations (attention's q k^T and attn v, [B, heads, T, d]
 * stacks): one conv task per matrix of the stack.  A_b is packed as above
 * with zero point 0; B_b^T is written by the producing CPU node directly in
 * the CNA weight layout (SEMANTICS C-WT, the order sim_asm_pack_weights
 * writes): a Gather with a compile-time index map yields the activation
 * [1, C2, 1, bytes/16] whose NC1HWC2 bytes are that layout, int8 with zero
 * point 0 and one scale.  The conv's DCOMP_ADDR0 is relocated to that pool
 * tensor; no bias and one weight scale, so the DPU's BS stage is bypassed
 * and OUT_CVT alone rescales (s_a s_w / s_y).  The vendor runtime runs such
 * "two feature" matmuls on the NPU too, with B supplied at run time in a
 * native layout (rknpu2 rknn_matmul_api demo, B_layout; the layout itself
 * is ours from C-WT, confirmed by the simulator only).  The reading CPU
 * node unpacks every matrix and concatenates them.
 * Not lowered (CPU nodes, with the reason in the report): stacks of more
 * than MM_MAX_BATCH matrices, broadcast batch dims, stacks of constant B
 * matrices, K too large for one CBUF pass.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_internal.h"
#include "rknn_partner.h"
#include "sim_regs.h"

enum { MM_MIN_H = 4, MM_BANK = 32768, MM_BANKS = 12 };

void cv_mm_view_free(cv_mm_view *v)
{
    if (v)
        free(v->onnx_name);
    free(v);
}

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
                          bool trans, int calib_from, cv_mm_role role, int batch, int nbatch, rk_err *e)
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
    v->role = role;
    v->batch = batch;
    v->nbatch = nbatch;
    t->mm = v;
    return RK_OK;
}

/*
 * Makes the CPU group that runs just before the MatMul produce tensor pi
 * (an mm view packed from the activations reads[]): the last op when it is
 * a CPU group with room for the reads, else a new pack-only CPU group.
 */
static rk_status attach_pack(cv_graph *g, const ox_node *n, const int *reads, int n_reads, int pi,
                             rk_convert_report *rep, rk_err *e)
{
    cv_op *op = g->n_ops ? &g->ops[g->n_ops - 1] : NULL;
    int missing = 0;
    for (int r = 0; op && op->kind == CV_CPU && r < n_reads; r++) {
        bool known = false;
        for (int i = 0; i < op->n_in; i++)
            known |= op->in[i] == reads[r];
        for (int i = 0; i < op->n_cpu_out; i++)
            known |= op->cpu_out[i] == reads[r];
        missing += !known;
    }
    rk_status st;
    if (!op || op->kind != CV_CPU || op->n_in + missing > CV_MAX_IN) {
        if ((st = cv_add_op(g, n, CV_CPU, &op, e)))
            return st;
        char nm[200];
        snprintf(nm, sizeof(nm), "%s#pack", op->name);
        free(op->name);
        if (!(op->name = strdup(nm)))
            return rk_errf(e, RK_ENOMEM, "convert: out of memory");
        rep->n_cpu_ops++;
    }
    for (int r = 0; r < n_reads; r++) {
        bool known = false;
        for (int i = 0; i < op->n_in; i++)
            known |= op->in[i] == reads[r];
        for (int i = 0; i < op->n_cpu_out; i++)
            known |= op->cpu_out[i] == reads[r];
        if (!known)
            op->in[op->n_in++] = reads[r];
    }
    if ((st = cv_push_int(&op->cpu_out, &op->n_cpu_out, pi, e)) || (st = cv_push_int(&op->mm_pack, &op->n_mm_pack, pi, e)))
        return st;
    if (op->out < 0)
        op->out = pi;
    return RK_OK;
}

/* A new packed tensor `name` [1,c,h,w] viewing ONNX tensor src_name
 * (calibrated from tensor src); *out = its index, or the existing one. */
static rk_status new_pack(cv_graph *g, const ox_node *n, const char *name, int c, int h, int w, int src,
                          const int *reads, int n_reads, cv_mm_view *tmpl, int *out, rk_convert_report *rep,
                          rk_err *e)
{
    int pi = cv_find_tensor(g, name);
    if (pi >= 0) {
        *out = pi;
        return RK_OK;
    }
    rk_status st = cv_add_tensor(g, name, c, h, w, &pi, e);
    if (st)
        return st;
    /* src may be an unpacked view: the CPU node sees its ONNX name */
    const char *onnx = g->tensors[src].mm ? g->tensors[src].mm->onnx_name : g->tensors[src].name;
    char onnx_copy[400];
    snprintf(onnx_copy, sizeof(onnx_copy), "%s", onnx);
    if ((st = new_view(&g->tensors[pi], onnx_copy, tmpl->ndim, tmpl->dims, tmpl->rows, tmpl->cols, tmpl->trans, src,
                       tmpl->role, tmpl->batch, tmpl->nbatch, e)))
        return st;
    g->tensors[pi].mm->sym = tmpl->sym;
    g->tensors[pi].mm->esz = tmpl->esz;
    g->tensors[pi].calibrated = true; /* range copied from src after calibration (cv_matmul_finish) */
    *out = pi;
    return attach_pack(g, n, reads, n_reads, pi, rep, e);
}

/*
 * The packed [1,K,H,W] form of A (index *out): A itself when it is already
 * such a view with the same rows, an earlier pack of A, or a new tensor
 * produced by the last CPU group (a new pack-only group if the last op is
 * on the NPU).
 */
static rk_status packed_input(cv_graph *g, const ox_node *n, int ai, int nd, const int64_t *dims, int rows, int k,
                              int nout, bool trans, int esz, int *out, rk_convert_report *rep, rk_err *e)
{
    const cv_tensor *a = &g->tensors[ai];
    if (a->mm && a->mm->role == CV_MM_RESULT && a->mm->nbatch == 1 && !trans && a->mm->rows == rows &&
        a->mm->cols == k && a->c == k && a->h >= MM_MIN_H && cbuf_fits(k, nout, a->w, esz)) {
        *out = ai;
        return RK_OK;
    }
    char name[400];
    snprintf(name, sizeof(name), "%s#mmin%s", a->name, trans ? "T" : "");
    /* an earlier pack of A serves when its pixel rows fit this op's dtype
     * too (a pack planned for int8 has up to twice the fp16 row bytes) */
    int prev = cv_find_tensor(g, name);
    if (prev >= 0 && !cbuf_fits(k, nout, g->tensors[prev].w, esz))
        snprintf(name, sizeof(name), "%s#mmin%s#fp16", a->name, trans ? "T" : "");
    int h, w;
    mm_geometry(rows, k, esz, &h, &w);
    cv_mm_view v = {.ndim = nd, .rows = rows, .cols = k, .trans = trans, .role = CV_MM_OPERAND, .nbatch = 1,
                    .esz = esz};
    memcpy(v.dims, dims, sizeof(v.dims));
    return new_pack(g, n, name, k, h, w, ai, &ai, 1, &v, out, rep, e);
}

/* Operands of node n: A's tensor and shape, K, N, rows, weights (N x K,
 * alpha applied) and bias (N); false + why when not lowerable. */
typedef struct mm_plan {
    int ai, nd, rows, k, n;
    int64_t dims[RK_MAX_DIMS];
    bool trans_a;
    float *w, *b;
    bool has_bias;
    bool dynamic;
    int esz; /* element bytes of the op's dtype (plan_esz) */
} mm_plan;

enum { MM_MAX_BATCH = 8 }; /* a CPU node reads every matrix of a stack: CV_MAX_IN / 2 */

/* Both operands activations: A [.., M, K] x B [.., K, N] with the same
 * leading dims (a stack of nbatch matrix products, e.g. attention heads). */
static bool plan_dynamic(const ox_node *n, const cv_graph *g, mm_plan *p, int *bi, int *nbatch, char *why,
                         size_t wl)
{
    const char *bn = ox_node_input_name(n, 1);
    int64_t bd[RK_MAX_DIMS];
    int bnd;
    *bi = cv_find_tensor(g, bn);
    if (strcmp(ox_node_op_type(n), "Gemm") == 0 || *bi < 0) {
        snprintf(why, wl, "B '%s' is neither a constant nor an activation of the converted graph%s", bn,
                 strcmp(ox_node_op_type(n), "Gemm") == 0 ? " (Gemm with an activation B is not lowered)" : "");
        return false;
    }
    onnx_shape(g, p->ai, &p->nd, p->dims);
    onnx_shape(g, *bi, &bnd, bd);
    if (p->nd < 2 || bnd != p->nd) {
        snprintf(why, wl, "activation x activation MatMul of ranks %d and %d (broadcasting is not lowered)", p->nd, bnd);
        return false;
    }
    int64_t nb = 1;
    for (int d = 0; d + 2 < p->nd; d++) {
        if (p->dims[d] != bd[d]) {
            snprintf(why, wl, "activation x activation MatMul with broadcast batch dims is not lowered");
            return false;
        }
        nb *= p->dims[d];
    }
    int64_t M = p->dims[p->nd - 2], K = p->dims[p->nd - 1], N = bd[bnd - 1];
    int esz = p->esz, h, w;
    if (bd[bnd - 2] != K || M <= 0 || K <= 0 || N <= 0 || nb <= 0) {
        snprintf(why, wl, "A is [.., %lld] but B is [.., %lld, ..]", (long long)K, (long long)bd[bnd - 2]);
        return false;
    }
    if (nb > MM_MAX_BATCH || N > 8192 || K > 16384 || M > (1 << 20)) {
        snprintf(why, wl, "activation x activation MatMul over %lld matrices (<= %d lowered: one conv task each, "
                 "the reading CPU node takes them all) or N = %lld / K = %lld beyond the conv fields",
                 (long long)nb, MM_MAX_BATCH, (long long)N, (long long)K);
        return false;
    }
    mm_geometry((int)M, (int)K, esz, &h, &w);
    if (!cbuf_fits((int)K, (int)N, w, esz)) {
        snprintf(why, wl, "K = %lld: one input pixel and the smallest kernel group exceed the 12 CBUF banks",
                 (long long)K);
        return false;
    }
    p->rows = (int)M;
    p->k = (int)K;
    p->n = (int)N;
    *nbatch = (int)nb;
    return true;
}

/* "<src><what><b>": the pack of matrix b of src for an op planned with esz;
 * "...#fp16" when an earlier op packed the same matrix for the other dtype
 * (its geometry / weight layout differ). */
static void mm_pack_name(const cv_graph *g, char *buf, size_t len, const char *src, const char *what, int b, int esz)
{
    snprintf(buf, len, "%s%s%d", src, what, b);
    int prev = cv_find_tensor(g, buf);
    if (prev >= 0 && g->tensors[prev].mm && g->tensors[prev].mm->esz != esz)
        snprintf(buf, len, "%s%s%d#fp16", src, what, b);
}

/* Bytes of the CNA weight buffer of n kernels over k channels (C-WT). */
static int64_t weight_bytes(int n, int k, int esz)
{
    return (int64_t)n * RK_ALIGN_UP(k, 16 / esz) * esz;
}

/*
 * One CV_MATMUL op per matrix of the stack: operand A_b packed with zero
 * point 0 (int8), weights W_b = B_b^T written by the CPU node in the CNA
 * layout with zero point 0 and one scale, so the conv needs no bias and no
 * per-channel data: the DPU's BS stage is bypassed and OUT_CVT rescales.
 */
static rk_status lower_dynamic(cv_graph *g, const ox_node *n, const mm_plan *p, int bi, int nbatch,
                               rk_convert_report *rep, rk_err *e)
{
    int esz = p->esz, c2 = 16 / esz, h, w;
    mm_geometry(p->rows, p->k, esz, &h, &w);
    int64_t npix = weight_bytes(p->n, p->k, esz) / 16;
    if (npix > (1 << 24))
        return rk_errf(e, RK_EUNSUPPORTED, "%s: weight buffer of %lld bytes", ox_node_label(n), (long long)npix * 16);
    int bnd;
    int64_t bd[RK_MAX_DIMS];
    onnx_shape(g, bi, &bnd, bd);
    int ins[MM_MAX_BATCH], wts[MM_MAX_BATCH];
    int reads[2] = {p->ai, bi};
    rk_status st = RK_OK;
    for (int b = 0; b < nbatch && !st; b++) {
        char name[400];
        cv_mm_view va = {.ndim = p->nd, .rows = p->rows, .cols = p->k, .role = CV_MM_OPERAND, .batch = b,
                         .nbatch = nbatch, .sym = true, .esz = esz};
        memcpy(va.dims, p->dims, sizeof(va.dims));
        mm_pack_name(g, name, sizeof(name), g->tensors[p->ai].name, "#mmin", b, esz);
        st = new_pack(g, n, name, p->k, h, w, p->ai, reads, 2, &va, &ins[b], rep, e);
        cv_mm_view vw = {.ndim = bnd, .rows = p->k, .cols = p->n, .role = CV_MM_WEIGHTS, .batch = b,
                         .nbatch = nbatch, .sym = true, .esz = esz};
        memcpy(vw.dims, bd, sizeof(vw.dims));
        mm_pack_name(g, name, sizeof(name), g->tensors[bi].name, "#mmw", b, esz);
        if (!st)
            st = new_pack(g, n, name, c2, 1, (int)npix, bi, reads, 2, &vw, &wts[b], rep, e);
    }
    for (int b = 0; b < nbatch && !st; b++) {
        cv_op *op;
        if ((st = cv_add_op(g, n, CV_MATMUL, &op, e)))
            break;
        if (nbatch > 1) {
            char nm[200];
            snprintf(nm, sizeof(nm), "%s#b%d", op->name, b);
            free(op->name);
            if (!(op->name = strdup(nm)))
                return rk_errf(e, RK_ENOMEM, "convert: out of memory");
        }
        op->k = p->n;
        op->kh = op->kw = op->sy = op->sx = 1;
        op->in[0] = ins[b];
        op->in[1] = wts[b];
        op->n_in = 2;
        op->wpk = p->k;
        if (!(op->b = calloc((size_t)p->n, sizeof(float))))
            return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    }
    if (!st)
        cv_note(rep, "%s: %d x (%d x %d x %d), both operands activations, as %d 1x1 conv%s over %dx%d pixels with "
                "weights written by the CPU node (NPU)", ox_node_label(n), nbatch, p->rows, p->k, p->n, nbatch,
                nbatch > 1 ? "s" : "", h, w);
    return st;
}

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
        p->dynamic = true; /* both operands activations: plan_dynamic */
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
    int esz = p->esz, h, w;
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

/* Whether hybrid config key names result tensor y: y itself or its stored
 * forms "y#mm" / "y#mm<b>" (cv_hybrid.c resolves the same names). */
static bool key_names_result(const char *key, const char *y)
{
    size_t l = strlen(y);
    if (!y[0] || strncmp(key, y, l) != 0)
        return false;
    if (!key[l])
        return true;
    if (strncmp(key + l, "#mm", 3) != 0)
        return false;
    for (const char *c = key + l + 3; *c; c++)
        if (*c < '0' || *c > '9')
            return false;
    return true;
}

/*
 * Element bytes MatMul n is planned for: the program's, or 2 (fp16) in an
 * int8 program whose hybrid config names it - its output, a matrix of it,
 * the bias Add a constant-B MatMul absorbs (the fused layer's name) or the
 * node itself.  The plan fixes the packed geometry and, for activation x
 * activation MatMuls, the CNA weight layout the producing CPU node writes
 * (C2 and group sizes differ between int8 and fp16); cv_hybrid_apply runs
 * after calibration and must find the op planned for the dtype it gives it.
 */
static int plan_esz(const ox_model *m, const cv_graph *g, const ox_node *n, bool dynamic)
{
    if (g->dtype != RK_CONVERT_INT8)
        return 2;
    if (!g->hybrid)
        return 1;
    const char *y = ox_node_output_name(n, 0), *z = "";
    int j = dynamic ? -1 : only_consumer(m, y);
    if (j >= 0 && strcmp(ox_node_op_type(ox_model_node(m, j)), "Add") == 0)
        z = ox_node_output_name(ox_model_node(m, j), 0);
    for (int i = 0; i < g->hybrid->n_layers; i++) {
        const char *key = g->hybrid->layers[i];
        if (key_names_result(key, y) || key_names_result(key, z) ||
            (ox_node_name(n)[0] && strcmp(key, ox_node_name(n)) == 0))
            return 2;
    }
    return 1;
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
    const char *bn = ox_node_num_inputs(n) > 1 ? ox_node_input_name(n, 1) : "";
    p.esz = plan_esz(m, g, n, bn[0] && !cv_find_const(m, g, bn));
    if (!plan_operands(m, n, g, &p, why, why_len)) {
        free(p.w);
        free(p.b);
        int bi = -1, nbatch = 0;
        /* Both operands activations: the producing CPU node writes B in
         * RK3588's CNA weight layout (cv_matmul_weight_map); compiled for
         * RK3566 that gave wrong numbers (q.k^T int8 cosine -0.03), so lite
         * keeps these on the CPU.  Constant-B MatMuls go through the
         * per-SoC conv path and are fine on both. */
        if (p.dynamic && g->soc && g->soc->lite)
            snprintf(why, why_len, "both operands are activations: lowered for RK3588 only so far");
        else if (p.dynamic && plan_dynamic(n, g, &p, &bi, &nbatch, why, why_len)) {
            if ((st = lower_dynamic(g, n, &p, bi, nbatch, rep, e)))
                return st;
            *done = true;
            return RK_OK;
        }
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
    if ((st = packed_input(g, n, p.ai, p.nd, p.dims, p.rows, p.k, p.n, p.trans_a, p.esz, &pi, rep, e))) {
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
    int yi = op->out, op_i = (int)(op - g->ops);
    const cv_mm_view *in = g->tensors[op->in[0]].mm;
    const cv_shape *sh = cv_shape_of(g, g->tensors[yi].name);
    int nb = in && in->role == CV_MM_OPERAND ? in->nbatch : 1;
    int64_t ne = 1;
    for (int d = 0; sh && d < sh->ndim; d++)
        ne *= sh->dims[d];
    if (!in || !sh || nb < 1 || ne != (int64_t)nb * in->rows * op->k)
        return rk_errf(e, RK_EINTERNAL, "%s: result '%s' has %lld values, expected %d x %d x %d", op->label,
                       g->tensors[yi].name, (long long)ne, nb, in ? in->rows : 0, op->k);
    int rows = in->rows;
    /* the last matrix of a stack carries the ONNX name (calibration sees
     * the whole stack under it); the others take its range */
    rk_status st = new_view(&g->tensors[yi], g->tensors[yi].name, sh->ndim, sh->dims, rows, op->k, false, -1,
                            CV_MM_RESULT, nb - 1, nb, e);
    if (!st)
        g->tensors[yi].mm->esz = in->esz;
    for (int b = 0; b + 1 < nb && !st; b++) {
        cv_op *sib = &g->ops[op_i - (nb - 1) + b];
        const cv_op *last = &g->ops[op_i];
        char nm[400];
        snprintf(nm, sizeof(nm), "%s#mm%d", g->tensors[yi].name, b);
        int si;
        const cv_tensor *x = &g->tensors[sib->in[0]];
        if ((st = cv_add_tensor(g, nm, sib->k, x->h, x->w, &si, e)))
            break;
        sib->out = si;
        sib->relu = last->relu;
        sib->clip_lo = last->clip_lo;
        sib->clip_hi = last->clip_hi;
        char onnx[400];
        snprintf(onnx, sizeof(onnx), "%s", g->tensors[yi].name);
        st = new_view(&g->tensors[si], onnx, sh->ndim, sh->dims, rows, sib->k, false, yi, CV_MM_RESULT, b, nb, e);
        if (!st)
            g->tensors[si].mm->esz = in->esz;
        g->tensors[si].calibrated = true;
    }
    return st;
}

/* The final name of a result view: "<onnx>#mm", "<onnx>#mm<b>" in a stack. */
static void view_name(char *buf, size_t len, const cv_mm_view *v)
{
    if (v->nbatch > 1)
        snprintf(buf, len, "%s#mm%d", v->onnx_name, v->batch);
    else
        snprintf(buf, len, "%s#mm", v->onnx_name);
}

/* A CPU node reading one matrix of a stacked result reads them all (it
 * unpacks the whole ONNX tensor, cv_cpu.c): the lowering found the one
 * with the ONNX name; add the others. */
static rk_status add_stack_siblings(cv_graph *g, rk_err *e)
{
    for (int k = 0; k < g->n_ops; k++) {
        cv_op *op = &g->ops[k];
        for (int i = 0; op->kind == CV_CPU && i < op->n_in; i++) {
            const cv_mm_view *v = g->tensors[op->in[i]].mm;
            if (!v || v->role != CV_MM_RESULT || v->nbatch < 2)
                continue;
            for (int t = 0; t < g->n_tensors; t++) {
                const cv_mm_view *u = g->tensors[t].mm;
                if (!u || u->role != CV_MM_RESULT || u->nbatch < 2 || strcmp(u->onnx_name, v->onnx_name) != 0)
                    continue;
                bool known = false;
                for (int j = 0; j < op->n_in; j++)
                    known |= op->in[j] == t;
                if (known)
                    continue;
                if (op->n_in == CV_MAX_IN)
                    return rk_errf(e, RK_EUNSUPPORTED,
                                   "%s: a CPU node reading the %d matrices of '%s' and its other inputs exceeds %d "
                                   "inputs", op->label, v->nbatch, v->onnx_name, CV_MAX_IN);
                op->in[op->n_in++] = t;
            }
        }
    }
    return RK_OK;
}

rk_status cv_matmul_graph_outputs(ox_model *m, cv_graph *g, rk_convert_report *rep, rk_err *e)
{
    for (int i = 0; i < ox_model_num_outputs(m); i++) {
        const char *name = ox_model_output(m, i)->name;
        int vi = cv_find_tensor(g, name);
        if (vi < 0 || !g->tensors[vi].mm || g->tensors[vi].mm->role != CV_MM_RESULT ||
            strcmp(g->tensors[vi].mm->onnx_name, g->tensors[vi].name) != 0)
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
        view_name(vn, sizeof(vn), g->tensors[vi].mm);
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
        for (int k = 0; k < g->n_tensors; k++) /* the other matrices of a stack copied their range from vi */
            if (g->tensors[k].mm && g->tensors[k].mm->calib_from == vi)
                g->tensors[k].mm->calib_from = oi;
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
        if ((st = cv_push_int(&op->cpu_out, &op->n_cpu_out, oi, e)))
            return st;
        op->out = oi;
        rep->n_cpu_ops++;
    }
    return add_stack_siblings(g, e);
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

/*
 * The first CPU node unpacking a result also lists the unpacked ONNX
 * tensor as an output (float32, as every tensor a CPU group produces), so
 * per-layer reports (`rksim compare`) see MatMul results - the logits and
 * context of attention - under their ONNX names.
 */
static rk_status expose_unpacked(cv_graph *g, rk_err *e)
{
    int n_ops = g->n_ops;
    for (int k = 0; k < n_ops; k++) {
        for (int i = 0; g->ops[k].kind == CV_CPU && i < g->ops[k].n_in; i++) {
            const cv_mm_view *v = g->tensors[g->ops[k].in[i]].mm;
            if (!v || v->role != CV_MM_RESULT || (v->nbatch > 1 && v->batch != 0) ||
                cv_find_tensor(g, v->onnx_name) >= 0)
                continue;
            char name[400];
            snprintf(name, sizeof(name), "%s", v->onnx_name);
            int64_t dims[RK_MAX_DIMS], ne = (int64_t)v->rows * v->cols * RK_MAX(v->nbatch, 1);
            int nd = v->ndim;
            memcpy(dims, v->dims, sizeof(dims));
            bool nchw = nd == 4 && dims[0] == 1;
            int ti;
            rk_status st = nchw ? cv_add_tensor(g, name, (int)dims[1], (int)dims[2], (int)dims[3], &ti, e)
                                : cv_add_tensor(g, name, (int)ne, 1, 1, &ti, e);
            if (st)
                return st;
            cv_tensor *t = &g->tensors[ti];
            if (!nchw) {
                t->nd = true;
                t->ndim = nd;
                memcpy(t->dims, dims, sizeof(t->dims));
            }
            if ((st = cv_push_int(&g->ops[k].cpu_out, &g->ops[k].n_cpu_out, ti, e)))
                return st;
        }
    }
    return RK_OK;
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
            if (t->mm->sym) { /* zero point 0: [-a, a], a/127 per step */
                hi = fmaxf(hi, -lo);
                lo = -hi;
            }
            if (hi - lo < 1e-8f)
                hi = lo + 1e-8f;
            t->min = lo;
            t->max = hi;
            t->scale = (hi - lo) / 255.0f;
            long zp = lroundf(-128.0f - lo / t->scale);
            t->zp = (int32_t)RK_MAX(-128, RK_MIN(127, zp));
            if (t->mm->sym) {
                t->scale = hi / 127.0f;
                t->zp = 0;
            }
        }
        if (t->mm->role == CV_MM_RESULT && strcmp(t->name, t->mm->onnx_name) == 0) {
            char nm[400];
            view_name(nm, sizeof(nm), t->mm);
            char *d = strdup(nm);
            if (!d)
                return rk_errf(e, RK_ENOMEM, "convert: out of memory");
            free(t->name);
            t->name = d;
        }
    }
    return expose_unpacked(g, e);
}

/* int8 OUT_CVT multiplier scale / 2^shift ~ m, scale in [2^14, 2^15)
 * (the fixed point of cv_build.c's int8 convs). */
rk_status cv_matmul_build_dynamic(sim_asm *a, const cv_graph *g, const cv_op *op, bool no_tiling, uint32_t op_idx,
                                  rk_convert_report *rep, rk_err *e)
{
    const cv_tensor *x = &g->tensors[op->in[0]], *wt = &g->tensors[op->in[1]], *y = &g->tensors[op->out];
    /* the op's own dtype: fp16 in an fp16 program or as a hybrid fp16 layer */
    bool i8 = g->dtype == RK_CONVERT_INT8 && !op->fp16;
    /* the CPU node writes the weights in the layout of the planned dtype */
    if (!wt->mm || wt->mm->role != CV_MM_WEIGHTS || wt->mm->esz != (i8 ? 1 : 2) || wt->c != (i8 ? 16 : 8))
        return rk_errf(e, RK_EINTERNAL, "%s: runtime weights '%s' were laid out for %s, the op runs in %s", op->label,
                       wt->name, wt->mm && wt->mm->esz == 2 ? "fp16" : "int8", i8 ? "int8" : "fp16");
    cv_conv_q q;
    memset(&q, 0, sizeof(q));
    q.prec = i8 ? SIM_PREC_INT8 : SIM_PREC_FP16;
    q.in_name = x->name;
    q.w_name = wt->name;
    q.bs_name = "";
    q.out_name = y->name;
    q.bs_use = 0; /* no bias, one weight scale: BS bypassed */
    q.pad_value = 0;
    q.out_scale = 1;
    if (i8) {
        if (x->zp != 0 || wt->zp != 0)
            return rk_errf(e, RK_EINTERNAL, "%s: runtime operands need zero point 0 (have %d, %d)", op->label, x->zp,
                           wt->zp);
        rk_status st = cv_fixed_point((double)x->scale * wt->scale / y->scale, "output", op, &q.out_scale, &q.out_shift, e);
        if (st)
            return st;
        q.out_offset = y->zp;
    }
    int tiles = 0;
    rk_status st = cv_emit_conv(a, g, op, &q, no_tiling, op_idx, &tiles, e);
    if (!st && tiles > 1) {
        rep->n_tiled_ops++;
        cv_note(rep, "%s: %d tasks (CBUF tiling)", op->label, tiles);
    }
    return st;
}

/* Element i of the CNA weight buffer of n kernels x k channels (1x1,
 * SEMANTICS C-WT: [co1][ci1][co2][ci2], co2 = 32 int8 / 16 fp16 kernels,
 * ci2 = 32 channels, partial last groups; the order sim_asm_pack_weights
 * writes) -> index kernel * k + channel of the [n, k] matrix, or n * k for
 * a zero (padding channel).  map has n * align(k, C2) entries. */
void cv_matmul_weight_map(int n, int k, int esz, int64_t *map)
{
    rknn_cna_weight_map(n, k, esz, map); /* one definition, shared with compare's partner maps */
}
