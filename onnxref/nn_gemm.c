/*
 * nn_gemm.c - Gemm, MatMul (numpy semantics: batched, broadcast, 1-D
 * operands), MatMulInteger and QLinearMatMul.  Float work goes through
 * OpenBLAS sgemm; the integer variants use exact int64 accumulation.
 */
#include "nn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Shape plan of a numpy-style matmul.  Invariants: m, k, n >= 0; `batch`
 * is the product of bdims[0..nb); a_step[i]/b_step[i] are the element
 * offsets of one step along broadcast batch dim i in A/B (0 where that
 * operand broadcasts); out_dims is the ONNX result shape (1-D operands
 * drop their axis). */
typedef struct mm_plan {
    int64_t m, k, n;
    int nb;
    int64_t bdims[RK_MAX_DIMS];
    int64_t a_step[RK_MAX_DIMS], b_step[RK_MAX_DIMS];
    int64_t batch;
    int out_ndim;
    int64_t out_dims[RK_MAX_DIMS];
    bool b_shared; /* B has no (non-1) batch dims: one B for every batch */
} mm_plan;

static rk_status mm_plan_init(const ox_node *n, const rk_tensor *a, const rk_tensor *b,
                              mm_plan *p, rk_err *e)
{
    char as[96], bs[96];
    memset(p, 0, sizeof *p);
    if (a->ndim < 1 || b->ndim < 1)
        return rk_errf(e, RK_EINPUT, "%s: MatMul operands must have at least 1 dimension "
                       "(A %s, B %s)", ox_node_label(n), rk_shape_str(a, as, sizeof as),
                       rk_shape_str(b, bs, sizeof bs));
    p->m = a->ndim == 1 ? 1 : a->dims[a->ndim - 2];
    p->k = a->dims[a->ndim - 1];
    int64_t kb = b->ndim == 1 ? b->dims[0] : b->dims[b->ndim - 2];
    p->n = b->ndim == 1 ? 1 : b->dims[b->ndim - 1];
    if (kb != p->k)
        return rk_errf(e, RK_EINPUT, "%s: inner dimensions differ: A %s, B %s",
                       ox_node_label(n), rk_shape_str(a, as, sizeof as),
                       rk_shape_str(b, bs, sizeof bs));
    int na = RK_MAX(0, a->ndim - 2), nbb = RK_MAX(0, b->ndim - 2);
    p->nb = RK_MAX(na, nbb);
    p->batch = 1;
    p->b_shared = true;
    int64_t sa = p->m * p->k, sb = p->k * p->n;
    for (int i = p->nb - 1; i >= 0; i--) {
        int ia = i - (p->nb - na), ib = i - (p->nb - nbb);
        int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return rk_errf(e, RK_EINPUT, "%s: batch dimensions do not broadcast: A %s, B %s",
                           ox_node_label(n), rk_shape_str(a, as, sizeof as),
                           rk_shape_str(b, bs, sizeof bs));
        p->bdims[i] = RK_MAX(da, db);
        if (da == 0 || db == 0)
            p->bdims[i] = 0;
        p->a_step[i] = da == 1 ? 0 : sa;
        p->b_step[i] = db == 1 ? 0 : sb;
        if (db != 1)
            p->b_shared = false;
        sa *= da;
        sb *= db;
        p->batch *= p->bdims[i];
    }
    for (int i = 0; i < p->nb; i++)
        p->out_dims[p->out_ndim++] = p->bdims[i];
    if (a->ndim > 1)
        p->out_dims[p->out_ndim++] = p->m;
    if (b->ndim > 1)
        p->out_dims[p->out_ndim++] = p->n;
    return RK_OK;
}

/* Element offsets of batch `idx` in A and B. */
static void mm_offsets(const mm_plan *p, int64_t idx, int64_t *oa, int64_t *ob)
{
    *oa = *ob = 0;
    for (int i = p->nb - 1; i >= 0; i--) {
        int64_t c = idx % p->bdims[i];
        idx /= p->bdims[i];
        *oa += c * p->a_step[i];
        *ob += c * p->b_step[i];
    }
}

NN_KERNEL(nn_op_matmul)
{
    const rk_tensor *a, *b;
    mm_plan p;
    rk_status st;
    if ((st = nn_need(n, in, nin, 0, "A", &a, e)) || (st = nn_need(n, in, nin, 1, "B", &b, e)) ||
        (st = nn_need_f32(n, a, "A", e)) || (st = nn_need_f32(n, b, "B", e)) ||
        (st = mm_plan_init(n, a, b, &p, e)) ||
        (st = rk_tensor_alloc(&out[0], NULL, RK_DT_F32, p.out_ndim, p.out_dims, e)))
        return st;
    const float *ad = a->data, *bd = b->data;
    float *y = out[0].data;
    if (p.b_shared && a->ndim >= 2) {
        /* A's batch dims are contiguous rows: one GEMM of (batch*M) x K. */
        int64_t a_rows = a->nelem / RK_MAX(1, p.k);
        if (a_rows * p.n == out[0].nelem) {
            nn_gemm(ctx, false, false, a_rows, p.n, p.k, 1.0f, ad, p.k, bd, p.n, 0.0f, y, p.n);
            return RK_OK;
        }
    }
    for (int64_t i = 0; i < p.batch; i++) {
        int64_t oa, ob;
        mm_offsets(&p, i, &oa, &ob);
        nn_gemm(ctx, false, false, p.m, p.n, p.k, 1.0f, ad + oa, p.k, bd + ob, p.n, 0.0f,
                 y + i * p.m * p.n, p.n);
    }
    return RK_OK;
}

NN_KERNEL(nn_op_gemm)
{
    const rk_tensor *a, *b, *c = nn_in(in, nin, 2);
    rk_status st;
    char as[96], bs[96];
    if ((st = nn_need(n, in, nin, 0, "A", &a, e)) || (st = nn_need(n, in, nin, 1, "B", &b, e)) ||
        (st = nn_need_f32(n, a, "A", e)) || (st = nn_need_f32(n, b, "B", e)) ||
        (c && (st = nn_need_f32(n, c, "C", e))) || (st = nn_need_rank(n, a, "A", 2, e)) ||
        (st = nn_need_rank(n, b, "B", 2, e)))
        return st;
    bool ta = ox_attr_int_or(n, "transA", 0) != 0, tb = ox_attr_int_or(n, "transB", 0) != 0;
    float alpha = ox_attr_float_or(n, "alpha", 1.0f), beta = ox_attr_float_or(n, "beta", 1.0f);
    int64_t m = ta ? a->dims[1] : a->dims[0], k = ta ? a->dims[0] : a->dims[1];
    int64_t kb = tb ? b->dims[1] : b->dims[0], nn = tb ? b->dims[0] : b->dims[1];
    if (k != kb)
        return rk_errf(e, RK_EINPUT, "%s: inner dimensions differ: A %s (transA=%d), B %s "
                       "(transB=%d)", ox_node_label(n), rk_shape_str(a, as, sizeof as), ta,
                       rk_shape_str(b, bs, sizeof bs), tb);
    /* C broadcasts unidirectionally to [M, N]: check each trailing dim. */
    int64_t cm = 1, cn = 1;
    if (c) {
        if (c->ndim > 2 || (c->ndim >= 1 && c->dims[c->ndim - 1] != 1 &&
                            c->dims[c->ndim - 1] != nn) ||
            (c->ndim == 2 && c->dims[0] != 1 && c->dims[0] != m))
            return rk_errf(e, RK_EINPUT, "%s: C %s does not broadcast to [%lld, %lld]",
                           ox_node_label(n), rk_shape_str(c, as, sizeof as), (long long)m,
                           (long long)nn);
        cn = c->ndim >= 1 ? c->dims[c->ndim - 1] : 1;
        cm = c->ndim == 2 ? c->dims[0] : 1;
    }
    int64_t dims[2] = {m, nn};
    if ((st = rk_tensor_alloc(&out[0], NULL, RK_DT_F32, 2, dims, e)))
        return st;
    float *y = out[0].data;
    if (c && beta != 0.0f) {
        const float *cd = c->data;
        for (int64_t i = 0; i < m; i++)
            for (int64_t j = 0; j < nn; j++)
                y[i * nn + j] = beta * cd[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
    }
    nn_gemm(ctx, ta, tb, m, nn, k, alpha, a->data, a->dims[1], b->data, b->dims[1],
             (c && beta != 0.0f) ? 1.0f : 0.0f, y, nn);
    return RK_OK;
}

/* ---- integer matmuls ------------------------------------------------------------ */

/* Zero point value for row i (A: per-row zp of [M] or scalar) or column j
 * (B: per-column zp of [N] or scalar). */
static int64_t zp_at(const rk_tensor *zp, int64_t idx)
{
    if (!zp)
        return 0;
    return nn_get_i64(zp, zp->nelem == 1 ? 0 : idx % zp->nelem);
}

static rk_status check_8bit(const ox_node *n, const rk_tensor *t, const char *role, rk_err *e)
{
    if (t->dtype != RK_DT_U8 && t->dtype != RK_DT_I8)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: input %s has type %s; expected uint8 or int8",
                       ox_node_label(n), role, rk_dtype_name(t->dtype));
    return RK_OK;
}

/* acc[batch, M, N] = sum_k (A - azp)(B - bzp), exact in int64. */
static rk_status int_matmul(const ox_node *n, const rk_tensor *a, const rk_tensor *azp,
                            const rk_tensor *b, const rk_tensor *bzp, mm_plan *p,
                            int64_t **acc, rk_err *e)
{
    rk_status st;
    if ((st = check_8bit(n, a, "A", e)) || (st = check_8bit(n, b, "B", e)) ||
        (st = mm_plan_init(n, a, b, p, e)))
        return st;
    if ((azp && azp->nelem != 1 && azp->nelem != p->m) ||
        (bzp && bzp->nelem != 1 && bzp->nelem != p->n))
        return rk_errf(e, RK_EINPUT, "%s: zero points must be scalars or per-row (A) / "
                       "per-column (B) vectors", ox_node_label(n));
    int64_t *r = rk_calloc_array((size_t)RK_MAX(1, p->batch * p->m * p->n), sizeof *r);
    if (!r)
        return rk_errf(e, RK_ENOMEM, "%s: out of memory", ox_node_label(n));
    for (int64_t bi = 0; bi < p->batch; bi++) {
        int64_t oa, ob;
        mm_offsets(p, bi, &oa, &ob);
        for (int64_t i = 0; i < p->m; i++)
            for (int64_t j = 0; j < p->n; j++) {
                int64_t s = 0;
                for (int64_t k = 0; k < p->k; k++)
                    s += (nn_get_i64(a, oa + i * p->k + k) - zp_at(azp, i)) *
                         (nn_get_i64(b, ob + k * p->n + j) - zp_at(bzp, j));
                r[(bi * p->m + i) * p->n + j] = s;
            }
    }
    *acc = r;
    return RK_OK;
}

NN_KERNEL(nn_op_matmul_integer)
{
    const rk_tensor *a, *b;
    mm_plan p;
    int64_t *acc = NULL;
    rk_status st;
    if ((st = nn_need(n, in, nin, 0, "A", &a, e)) || (st = nn_need(n, in, nin, 1, "B", &b, e)) ||
        (st = int_matmul(n, a, nn_in(in, nin, 2), b, nn_in(in, nin, 3), &p, &acc, e)))
        return st;
    if ((st = rk_tensor_alloc(&out[0], NULL, RK_DT_I32, p.out_ndim, p.out_dims, e)) == RK_OK)
        for (int64_t i = 0; i < out[0].nelem; i++)
            ((int32_t *)out[0].data)[i] = (int32_t)acc[i];
    free(acc);
    return st;
}

NN_KERNEL(nn_op_qlinear_matmul)
{
    const rk_tensor *a, *as, *azp, *b, *bs, *bzp, *ys, *yzp;
    mm_plan p;
    int64_t *acc = NULL;
    rk_status st;
    if ((st = nn_need(n, in, nin, 0, "a", &a, e)) ||
        (st = nn_need(n, in, nin, 1, "a_scale", &as, e)) ||
        (st = nn_need(n, in, nin, 2, "a_zero_point", &azp, e)) ||
        (st = nn_need(n, in, nin, 3, "b", &b, e)) ||
        (st = nn_need(n, in, nin, 4, "b_scale", &bs, e)) ||
        (st = nn_need(n, in, nin, 5, "b_zero_point", &bzp, e)) ||
        (st = nn_need(n, in, nin, 6, "y_scale", &ys, e)) ||
        (st = nn_need(n, in, nin, 7, "y_zero_point", &yzp, e)) ||
        (st = check_8bit(n, yzp, "y_zero_point", e)) ||
        (st = int_matmul(n, a, azp, b, bzp, &p, &acc, e)))
        return st;
    if ((st = rk_tensor_alloc(&out[0], NULL, yzp->dtype, p.out_ndim, p.out_dims, e)))
        goto out;
    double lo = yzp->dtype == RK_DT_I8 ? -128 : 0, hi = yzp->dtype == RK_DT_I8 ? 127 : 255;
    for (int64_t i = 0; i < out[0].nelem; i++) {
        int64_t row = (i / p.n) % p.m, col = i % p.n;
        double scale = nn_get_f64(as, as->nelem == 1 ? 0 : row % as->nelem) *
                       nn_get_f64(bs, bs->nelem == 1 ? 0 : col % bs->nelem) /
                       nn_get_f64(ys, 0);
        /* ONNX reference: round half to even, add zero point, saturate. */
        double v = nearbyint((double)acc[i] * scale) + (double)zp_at(yzp, 0);
        v = v < lo ? lo : (v > hi ? hi : v);
        if (yzp->dtype == RK_DT_I8)
            ((int8_t *)out[0].data)[i] = (int8_t)v;
        else
            ((uint8_t *)out[0].data)[i] = (uint8_t)v;
    }
out:
    free(acc);
    return st;
}
