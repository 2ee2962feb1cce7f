/*
 * ops_text.c - TfIdfVectorizer (opset 9) on integer tokens.  String
 * tokens are not supported (rk_tensor has no string storage).
 *
 * Semantics from the ONNX operator docs: the pool holds the n-grams to
 * count, grouped by length (ngram_counts[i] = start of the (i+1)-grams in
 * pool_int64s); ngram_indexes[k] is the output column of pool n-gram k.
 * For each row (a 1-D input is one row), every n-gram of length
 * min_gram_length..max_gram_length is counted; for n >= 2 the tokens may be
 * spaced by 0..max_skip_count skipped tokens (each spacing counted), while
 * unigrams are counted once.  mode TF = count, IDF = weight if count > 0,
 * TFIDF = count * weight (weights default to 1).
 */
#include <stdlib.h>
#include <string.h>

#include "ox_op.h"

/* Validated attributes.  Invariants: ngram_counts is non-decreasing and
 * within the pool; the (n)-gram block [counts[n-1], counts[n] or pool end)
 * has a length divisible by n; nidx == number of pool n-grams. */
typedef struct tfidf {
    const int64_t *pool, *counts, *idx;
    int npool, ncounts, nidx;
    const float *weights;
    int nweights;
    int64_t min_n, max_n, max_skip, width;
    int mode; /* 0 TF, 1 IDF, 2 TFIDF */
} tfidf;

static rk_status tfidf_attrs(const ox_node *n, tfidf *t, rk_err *e)
{
    const char *lbl = ox_node_label(n);
    t->npool = ox_attr_ints(n, "pool_int64s", &t->pool);
    t->ncounts = ox_attr_ints(n, "ngram_counts", &t->counts);
    t->nidx = ox_attr_ints(n, "ngram_indexes", &t->idx);
    t->nweights = ox_attr_floats(n, "weights", &t->weights);
    t->min_n = ox_attr_int_or(n, "min_gram_length", 0);
    t->max_n = ox_attr_int_or(n, "max_gram_length", 0);
    t->max_skip = ox_attr_int_or(n, "max_skip_count", 0);
    const char *mode = ox_attr_string_or(n, "mode", "");
    t->mode = strcmp(mode, "TF") == 0 ? 0 : strcmp(mode, "IDF") == 0 ? 1
              : strcmp(mode, "TFIDF") == 0 ? 2 : -1;
    if (t->npool < 0)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: only pool_int64s (integer tokens) is supported",
                       lbl);
    if (t->mode < 0 || t->ncounts < 1 || t->nidx < 0 || t->min_n < 1 || t->max_n < t->min_n ||
        t->max_n > t->ncounts || t->max_skip < 0 || t->max_skip > 1 << 20)
        return rk_errf(e, RK_EINPUT, "%s: inconsistent mode / gram lengths / ngram_counts", lbl);
    int grams = 0;
    for (int i = 0; i < t->ncounts; i++) {
        int64_t b = t->counts[i], end = i + 1 < t->ncounts ? t->counts[i + 1] : t->npool;
        if (b < 0 || end < b || end > t->npool || (end - b) % (i + 1) != 0)
            return rk_errf(e, RK_EINPUT, "%s: ngram_counts[%d] does not fit the pool", lbl, i);
        grams += (int)((end - b) / (i + 1));
    }
    if (grams != t->nidx || (t->nweights >= 0 && t->nweights != t->nidx))
        return rk_errf(e, RK_EINPUT, "%s: %d pool n-grams but %d ngram_indexes / %d weights",
                       lbl, grams, t->nidx, t->nweights);
    t->width = 0;
    for (int k = 0; k < t->nidx; k++) {
        if (t->idx[k] < 0 || t->idx[k] > 1 << 24)
            return rk_errf(e, RK_EINPUT, "%s: ngram_indexes[%d] = %lld", lbl, k,
                           (long long)t->idx[k]);
        t->width = RK_MAX(t->width, t->idx[k] + 1);
    }
    return RK_OK;
}

static int64_t token(const rk_tensor *x, int64_t i)
{
    return x->dtype == RK_DT_I32 ? ((const int32_t *)x->data)[i] : ((const int64_t *)x->data)[i];
}

/* Count, for one row, the occurrences of every pool n-gram (gram k). */
static void count_row(const tfidf *t, const rk_tensor *x, int64_t base, int64_t len,
                      double *cnt)
{
    int gram0 = 0; /* index of the first n-gram of the current length */
    for (int64_t n = 1; n <= t->ncounts; n++) {
        int64_t b = t->counts[n - 1], end = n < t->ncounts ? t->counts[n] : t->npool;
        int ngrams = (int)((end - b) / n);
        if (n >= t->min_n && n <= t->max_n) {
            int64_t skips = n == 1 ? 0 : t->max_skip;
            for (int64_t s = 0; s <= skips; s++)
                for (int64_t i = 0; i + (n - 1) * (s + 1) < len; i++)
                    for (int g = 0; g < ngrams; g++) {
                        bool match = true;
                        for (int64_t j = 0; j < n && match; j++)
                            match = token(x, base + i + j * (s + 1)) == t->pool[b + g * n + j];
                        if (match)
                            cnt[gram0 + g] += 1;
                    }
        }
        gram0 += ngrams;
    }
}

static rk_status op_tfidf(ox_ctx *ctx, const ox_node *n, const rk_tensor *const *in, int nin,
                          rk_tensor *out, int nout, rk_err *e)
{
    const rk_tensor *x = nin > 0 ? in[0] : NULL;
    if (!x || (x->dtype != RK_DT_I32 && x->dtype != RK_DT_I64) || x->ndim < 1 || x->ndim > 2)
        return rk_errf(e, RK_EUNSUPPORTED, "%s: input must be int32/int64 of rank 1 or 2",
                       ox_node_label(n));
    tfidf t;
    rk_status st = tfidf_attrs(n, &t, e);
    if (st != RK_OK)
        return st;
    int64_t rows = x->ndim == 2 ? x->dims[0] : 1, len = x->dims[x->ndim - 1];
    int64_t dims[2] = {rows, t.width};
    st = x->ndim == 2 ? rk_tensor_alloc(&out[0], NULL, RK_DT_F32, 2, dims, e)
                      : rk_tensor_alloc(&out[0], NULL, RK_DT_F32, 1, &dims[1], e);
    double *cnt = calloc((size_t)t.nidx + 1, sizeof *cnt);
    if (st != RK_OK || !cnt) {
        free(cnt);
        rk_tensor_free(&out[0]);
        return st != RK_OK ? st : rk_errf(e, RK_ENOMEM, "out of memory");
    }
    float *o = out[0].data;
    for (int64_t r = 0; r < rows; r++) {
        memset(cnt, 0, sizeof *cnt * (size_t)t.nidx);
        count_row(&t, x, r * len, len, cnt);
        for (int k = 0; k < t.nidx; k++) {
            double w = t.nweights > 0 ? t.weights[k] : 1.0;
            double v = t.mode == 0 ? cnt[k] : t.mode == 1 ? (cnt[k] > 0 ? w : 0) : cnt[k] * w;
            o[r * t.width + t.idx[k]] = (float)v;
        }
    }
    free(cnt);
    return RK_OK;
}

const ox_op_def ox_ops_text[] = {
    {"", "TfIdfVectorizer", 9, op_tfidf},
    {NULL, NULL, 0, NULL},
};
