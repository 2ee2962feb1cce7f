/*
 * nn_einsum.c - Einsum (opset 12), numpy einsum semantics: explicit and
 * implicit output, "..." broadcasting, repeated labels (diagonals), sums.
 *
 * Two paths: the contraction patterns attention exports use
 * ("bhid,bhjd->bhij", "bhij,bhjd->bhid", "bij,bjk->bik", ...) become
 * permute + batched sgemm + permute for float32; everything else (any
 * operand count, diagonals, broadcasting, float64) runs a direct loop over
 * all label values, accumulating in double.
 */
#include "nn_internal.h"

#include <stdlib.h>
#include <string.h>

#define ES_LETTERS 52            /* 'A'..'Z' -> 0..25, 'a'..'z' -> 26..51 (ASCII order) */
#define ES_MAX_LABELS (ES_LETTERS + RK_MAX_DIMS)
#define ES_MAX_OPS 8

/* Parsed equation.  Invariants: term[i][0..nterm[i]) are the labels of
 * operand i's axes in order (ellipsis already expanded, so nterm[i] equals
 * that operand's rank); out[0..nout) the output labels; size[l] the extent
 * of label l (>= 1 unless some operand has a 0 extent); used[l] whether l
 * occurs at all. */
typedef struct es_eq {
    int nops;
    int nterm[ES_MAX_OPS];
    int term[ES_MAX_OPS][RK_MAX_DIMS];
    int nout;
    int out[RK_MAX_DIMS];
    int64_t size[ES_MAX_LABELS];
    bool used[ES_MAX_LABELS];
} es_eq;

static int letter_label(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return 26 + (c - 'a');
    return -1;
}

/* Parses one term into labels; `rank` >= 0 expands "..." to fill it,
 * rank < 0 (output term) expands it to all `ell` ellipsis labels. */
static rk_status parse_term(const ox_node *n, const char *s, size_t len, int rank, int ell,
                            int *labels, int *count, int *ell_rank, rk_err *e)
{
    int letters = 0;
    bool has_ell = false;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '.')
            has_ell = true;
        else
            letters++;
    int er = has_ell ? (rank >= 0 ? rank - letters : ell) : 0;
    if (er < 0 || (rank >= 0 && !has_ell && letters != rank) || letters + er > RK_MAX_DIMS)
        return rk_errf(e, RK_EINPUT, "%s: equation term '%.*s' does not match an operand of "
                       "rank %d", ox_node_label(n), (int)len, s, rank);
    int k = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '.') {
            if (i + 2 >= len || s[i + 1] != '.' || s[i + 2] != '.')
                return rk_errf(e, RK_EINPUT, "%s: malformed ellipsis in '%.*s'",
                               ox_node_label(n), (int)len, s);
            /* ellipsis dims align to the right of the `ell` shared labels */
            int base = rank >= 0 ? ell - er : 0;
            for (int j = 0; j < er; j++)
                labels[k++] = ES_LETTERS + base + j;
            i += 2;
            continue;
        }
        int l = letter_label(s[i]);
        if (l < 0)
            return rk_errf(e, RK_EINPUT, "%s: invalid character '%c' in equation",
                           ox_node_label(n), s[i]);
        labels[k++] = l;
    }
    *count = k;
    if (ell_rank)
        *ell_rank = er;
    return RK_OK;
}

static rk_status parse_equation(const ox_node *n, const rk_tensor *const *in, int nin,
                                es_eq *q, rk_err *e)
{
    const char *raw = ox_attr_string_or(n, "equation", NULL);
    char eq[512];
    size_t len = 0;
    rk_status st;
    if (!raw)
        return rk_errf(e, RK_EINPUT, "%s: required attribute equation is missing",
                       ox_node_label(n));
    for (const char *p = raw; *p && len + 1 < sizeof eq; p++)
        if (*p != ' ')
            eq[len++] = *p;
    eq[len] = 0;
    memset(q, 0, sizeof *q);
    const char *arrow = strstr(eq, "->");
    size_t lhs_len = arrow ? (size_t)(arrow - eq) : len;
    if (nin > ES_MAX_OPS)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: %d operands (max %d)", ox_node_label(n), nin,
                       ES_MAX_OPS);
    /* ellipsis rank shared by all operands = the largest one */
    int ell = 0, er;
    const char *t = eq;
    for (int i = 0; i < nin; i++) {
        const char *end = memchr(t, ',', lhs_len - (size_t)(t - eq));
        size_t tl = end ? (size_t)(end - t) : lhs_len - (size_t)(t - eq);
        if (!in[i])
            return rk_errf(e, RK_EINPUT, "%s: operand %d is missing", ox_node_label(n), i);
        if (!end && i != nin - 1)
            return rk_errf(e, RK_EINPUT, "%s: equation '%s' has fewer terms than the %d inputs",
                           ox_node_label(n), raw, nin);
        if (end && i == nin - 1)
            return rk_errf(e, RK_EINPUT, "%s: equation '%s' has more terms than the %d inputs",
                           ox_node_label(n), raw, nin);
        if ((st = parse_term(n, t, tl, in[i]->ndim, ES_MAX_LABELS, q->term[i], &q->nterm[i],
                             &er, e)))
            return st;
        ell = RK_MAX(ell, er);
        t = end ? end + 1 : t + tl;
    }
    /* Re-parse with the final ellipsis width so labels line up. */
    t = eq;
    for (int i = 0; i < nin; i++) {
        const char *end = memchr(t, ',', lhs_len - (size_t)(t - eq));
        size_t tl = end ? (size_t)(end - t) : lhs_len - (size_t)(t - eq);
        parse_term(n, t, tl, in[i]->ndim, ell, q->term[i], &q->nterm[i], NULL, e);
        t = end ? end + 1 : t + tl;
    }
    q->nops = nin;
    int count[ES_MAX_LABELS] = {0};
    for (int l = 0; l < ES_MAX_LABELS; l++)
        q->size[l] = 1;
    for (int i = 0; i < nin; i++)
        for (int a = 0; a < q->nterm[i]; a++) {
            int l = q->term[i][a];
            int64_t d = in[i]->dims[a];
            if (q->used[l] && q->size[l] != d && d != 1 && q->size[l] != 1)
                return rk_errf(e, RK_EINPUT, "%s: label '%c' has extents %lld and %lld",
                               ox_node_label(n),
                               l < 26 ? 'A' + l : (l < 52 ? 'a' + l - 26 : '.'),
                               (long long)q->size[l], (long long)d);
            if (!q->used[l] || q->size[l] == 1)
                q->size[l] = d;
            q->used[l] = true;
            count[l]++;
        }
    if (arrow) {
        if ((st = parse_term(n, arrow + 2, strlen(arrow + 2), -1, ell, q->out, &q->nout, NULL, e)))
            return st;
        for (int i = 0; i < q->nout; i++) {
            if (!q->used[q->out[i]])
                return rk_errf(e, RK_EINPUT, "%s: output label %d of '%s' appears in no input",
                               ox_node_label(n), i, raw);
            for (int j = 0; j < i; j++)
                if (q->out[j] == q->out[i])
                    return rk_errf(e, RK_EINPUT, "%s: output repeats a label in '%s'",
                                   ox_node_label(n), raw);
        }
    } else { /* implicit: ellipsis dims, then labels seen once, sorted */
        for (int j = 0; j < ell; j++)
            q->out[q->nout++] = ES_LETTERS + j;
        for (int l = 0; l < ES_LETTERS; l++)
            if (count[l] == 1)
                q->out[q->nout++] = l;
    }
    return RK_OK;
}

/* ---- generic path ---------------------------------------------------------------- */

static rk_status einsum_direct(const ox_node *n, const rk_tensor *const *in, const es_eq *q,
                               rk_tensor *y, rk_err *e)
{
    int labels[ES_MAX_LABELS], nl = 0;
    bool in_out[ES_MAX_LABELS] = {false};
    int64_t dims[RK_MAX_DIMS];
    for (int i = 0; i < q->nout; i++) {
        labels[nl++] = q->out[i];
        in_out[q->out[i]] = true;
        dims[i] = q->size[q->out[i]];
    }
    for (int l = 0; l < ES_MAX_LABELS; l++)
        if (q->used[l] && !in_out[l])
            labels[nl++] = l;
    rk_dtype dt = in[0]->dtype;
    for (int i = 0; i < q->nops; i++)
        if ((in[i]->dtype != RK_DT_F32 && in[i]->dtype != RK_DT_F64) || in[i]->dtype != dt)
            return rk_errf(e, RK_EUNSUPPORTED, "%s: operands must all be float32 or all "
                           "float64 (operand %d is %s)", ox_node_label(n), i,
                           rk_dtype_name(in[i]->dtype));
    rk_status st = rk_tensor_alloc(y, NULL, dt, q->nout, dims, e);
    if (st)
        return st;
    /* stride[op][k]: element step of operand op along loop label k (repeated
     * labels add up, giving diagonals; extent-1 axes broadcast with 0). */
    int64_t stride[ES_MAX_OPS][ES_MAX_LABELS], off[ES_MAX_OPS] = {0};
    int64_t out_stride[ES_MAX_LABELS] = {0}, out_off = 0, total = 1;
    for (int i = 0; i < q->nops; i++) {
        for (int k = 0; k < nl; k++)
            stride[i][k] = 0;
        int64_t s = 1;
        for (int a = q->nterm[i] - 1; a >= 0; a--) {
            for (int k = 0; k < nl; k++)
                if (labels[k] == q->term[i][a] && in[i]->dims[a] != 1)
                    stride[i][k] += s;
            s *= in[i]->dims[a];
        }
    }
    for (int64_t k = q->nout - 1, s = 1; k >= 0; k--) {
        out_stride[k] = s;
        s *= dims[k];
    }
    /* One multiply per operand per combination of all label values: refuse
     * work no model needs rather than run for hours (or overflow). */
    double work = 1.0;
    for (int k = 0; k < nl; k++)
        work *= (double)q->size[labels[k]];
    if (work > 1e10) {
        rk_tensor_free(y);
        return rk_errf(e, RK_EUNSUPPORTED, "%s: this equation needs %.3g multiply-adds in the "
                       "direct loop (limit 1e10)", ox_node_label(n), work);
    }
    for (int k = 0; k < nl; k++)
        total *= q->size[labels[k]];
    double *acc = rk_calloc_array((size_t)RK_MAX(1, y->nelem), sizeof *acc);
    if (!acc) {
        rk_tensor_free(y);
        return rk_errf(e, RK_ENOMEM, "%s: out of memory", ox_node_label(n));
    }
    int64_t ctr[ES_MAX_LABELS] = {0};
    for (int64_t it = 0; it < total; it++) {
        double p = 1.0;
        for (int i = 0; i < q->nops; i++)
            p *= nn_get_f64(in[i], off[i]);
        acc[out_off] += p;
        for (int k = nl - 1; k >= 0; k--) { /* odometer over all labels */
            int64_t sz = q->size[labels[k]];
            if (++ctr[k] < sz) {
                for (int i = 0; i < q->nops; i++)
                    off[i] += stride[i][k];
                out_off += out_stride[k];
                break;
            }
            ctr[k] = 0;
            for (int i = 0; i < q->nops; i++)
                off[i] -= stride[i][k] * (sz - 1);
            out_off -= out_stride[k] * (sz - 1);
        }
    }
    for (int64_t i = 0; i < y->nelem; i++) {
        if (dt == RK_DT_F32)
            ((float *)y->data)[i] = (float)acc[i];
        else
            ((double *)y->data)[i] = acc[i];
    }
    free(acc);
    return RK_OK;
}

/* ---- GEMM path ----------------------------------------------------------------------- */

/* dst = src permuted so that dst axis k is src axis perm[k]. */
static void permute_f32(const float *src, const int64_t *sdims, int nd, const int *perm,
                        float *dst)
{
    int64_t sstride[RK_MAX_DIMS], ddims[RK_MAX_DIMS], c[RK_MAX_DIMS] = {0}, total = 1;
    for (int64_t d = nd - 1, s = 1; d >= 0; d--) {
        sstride[d] = s;
        s *= sdims[d];
    }
    for (int k = 0; k < nd; k++) {
        ddims[k] = sdims[perm[k]];
        total *= ddims[k];
    }
    int64_t off = 0;
    for (int64_t i = 0; i < total; i++) {
        dst[i] = src[off];
        for (int k = nd - 1; k >= 0; k--) {
            if (++c[k] < ddims[k]) {
                off += sstride[perm[k]];
                break;
            }
            off -= sstride[perm[k]] * (ddims[k] - 1);
            c[k] = 0;
        }
    }
}

static int find_axis(const int *term, int nt, int label)
{
    for (int a = 0; a < nt; a++)
        if (term[a] == label)
            return a;
    return -1;
}

/* Two float32 operands, no repeated labels, no broadcasting, every label
 * shared by both operands or kept in the output. */
static bool gemm_eligible(const rk_tensor *const *in, const es_eq *q)
{
    if (q->nops != 2 || in[0]->dtype != RK_DT_F32 || in[1]->dtype != RK_DT_F32)
        return false;
    for (int i = 0; i < 2; i++)
        for (int a = 0; a < q->nterm[i]; a++) {
            int l = q->term[i][a];
            if (find_axis(q->term[i], a, l) >= 0 || in[i]->dims[a] != q->size[l])
                return false;
            bool other = find_axis(q->term[1 - i], q->nterm[1 - i], l) >= 0;
            bool kept = find_axis(q->out, q->nout, l) >= 0;
            if (!other && !kept)
                return false;
        }
    return true;
}

static rk_status einsum_gemm(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in,
                             const es_eq *q, rk_tensor *y, rk_err *e)
{
    const int *ta = q->term[0], *tb = q->term[1];
    int na = q->nterm[0], nb = q->nterm[1];
    int batch[RK_MAX_DIMS], afree[RK_MAX_DIMS], bfree[RK_MAX_DIMS], kl[RK_MAX_DIMS];
    int nbt = 0, naf = 0, nbf = 0, nk = 0;
    int64_t bsz = 1, msz = 1, nsz = 1, ksz = 1;
    for (int i = 0; i < q->nout; i++) { /* output order fixes batch/free order */
        int l = q->out[i];
        bool ina = find_axis(ta, na, l) >= 0, inb = find_axis(tb, nb, l) >= 0;
        if (ina && inb) {
            batch[nbt++] = l;
            bsz *= q->size[l];
        } else if (ina) {
            afree[naf++] = l;
            msz *= q->size[l];
        } else {
            bfree[nbf++] = l;
            nsz *= q->size[l];
        }
    }
    for (int a = 0; a < na; a++)
        if (find_axis(q->out, q->nout, ta[a]) < 0) {
            kl[nk++] = ta[a];
            ksz *= q->size[ta[a]];
        }
    int pa[RK_MAX_DIMS], pb[RK_MAX_DIMS], k = 0;
    for (int i = 0; i < nbt; i++) pa[k++] = find_axis(ta, na, batch[i]);
    for (int i = 0; i < naf; i++) pa[k++] = find_axis(ta, na, afree[i]);
    for (int i = 0; i < nk; i++) pa[k++] = find_axis(ta, na, kl[i]);
    k = 0;
    for (int i = 0; i < nbt; i++) pb[k++] = find_axis(tb, nb, batch[i]);
    for (int i = 0; i < nk; i++) pb[k++] = find_axis(tb, nb, kl[i]);
    for (int i = 0; i < nbf; i++) pb[k++] = find_axis(tb, nb, bfree[i]);
    /* tmp layout [batch..., afree..., bfree...] -> output order */
    int tmp_labels[RK_MAX_DIMS], nt = 0, po[RK_MAX_DIMS];
    int64_t tdims[RK_MAX_DIMS], odims[RK_MAX_DIMS];
    for (int i = 0; i < nbt; i++) tmp_labels[nt++] = batch[i];
    for (int i = 0; i < naf; i++) tmp_labels[nt++] = afree[i];
    for (int i = 0; i < nbf; i++) tmp_labels[nt++] = bfree[i];
    for (int i = 0; i < nt; i++)
        tdims[i] = q->size[tmp_labels[i]];
    for (int i = 0; i < q->nout; i++) {
        po[i] = find_axis(tmp_labels, nt, q->out[i]);
        odims[i] = q->size[q->out[i]];
    }
    float *a = rk_malloc_array((size_t)RK_MAX(1, in[0]->nelem), sizeof *a);
    float *b = rk_malloc_array((size_t)RK_MAX(1, in[1]->nelem), sizeof *b);
    float *t = rk_malloc_array((size_t)RK_MAX(1, bsz * msz * nsz), sizeof *t);
    rk_status st = RK_OK;
    if (!a || !b || !t) {
        st = rk_errf(e, RK_ENOMEM, "%s: out of memory", ox_node_label(n));
        goto out;
    }
    if ((st = rk_tensor_alloc(y, NULL, RK_DT_F32, q->nout, odims, e)))
        goto out;
    permute_f32(in[0]->data, in[0]->dims, na, pa, a);
    permute_f32(in[1]->data, in[1]->dims, nb, pb, b);
    for (int64_t i = 0; i < bsz; i++)
        nn_gemm(ctx, false, false, msz, nsz, ksz, 1.0f, a + i * msz * ksz, ksz, b + i * ksz * nsz,
                 nsz, 0.0f, t + i * msz * nsz, nsz);
    permute_f32(t, tdims, nt, po, y->data);
out:
    free(a);
    free(b);
    free(t);
    return st;
}

NN_KERNEL(nn_op_einsum)
{
    es_eq q;
    rk_status st = parse_equation(n, in, nin, &q, e);
    if (st)
        return st;
    if (gemm_eligible(in, &q))
        return einsum_gemm(ctx, n, in, &q, &out[0], e);
    return einsum_direct(n, in, &q, &out[0], e);
}
