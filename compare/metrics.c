/* metrics.c - error metrics between a reference and a tested tensor (see
 * metrics.h for the definitions and every edge case). */
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Running sums over the elements that take part in the metrics. */
typedef struct sums {
    double xx, yy, xy, dd, abs_d, max_d;
    int64_t n;
    float first_x, first_y;
    bool x_const, y_const, x_zero, y_zero;
} sums;

static void sums_add(sums *s, float x, float y)
{
    if (s->n == 0) {
        s->first_x = x;
        s->first_y = y;
    }
    if (x != s->first_x)
        s->x_const = false;
    if (y != s->first_y)
        s->y_const = false;
    if (x != 0.0f)
        s->x_zero = false;
    if (y != 0.0f)
        s->y_zero = false;
    double dx = x, dy = y, d = dy - dx;
    s->xx += dx * dx;
    s->yy += dy * dy;
    s->xy += dx * dy;
    s->dd += d * d;
    s->abs_d += fabs(d);
    if (fabs(d) > s->max_d)
        s->max_d = fabs(d);
    s->n++;
}

static void set_all(cmp_metrics *m, double v)
{
    m->cosine = m->euclidean = m->max_abs = m->mean_abs = m->rel_l2 = m->sqnr_db = v;
}

/* Classify one element pair; returns true when it enters the sums. */
static bool classify(cmp_metrics *m, float x, float y)
{
    bool nan_x = isnan(x), nan_y = isnan(y);
    if (nan_x || nan_y) {
        m->n_nan_ref += nan_x;
        m->n_nan_test += nan_y;
        return false;
    }
    bool inf_x = isinf(x), inf_y = isinf(y);
    if (!inf_x && !inf_y)
        return true;
    if (inf_x && inf_y && x == y) {
        m->n_inf_matched++;
        return false;
    }
    m->n_inf_ref += inf_x;
    m->n_inf_test += inf_y;
    return false;
}

static void finish_finite(cmp_metrics *m, const sums *s)
{
    m->euclidean = sqrt(s->dd);
    m->max_abs = s->max_d;
    m->mean_abs = s->abs_d / (double)s->n;
    if (s->x_zero && s->y_zero) {
        /* identical (both zero): flagged, see metrics.h */
        m->cosine = 1.0;
        m->rel_l2 = 0.0;
        m->sqnr_db = INFINITY;
        return;
    }
    if (s->x_zero || s->y_zero)
        m->cosine = 0.0; /* no direction to agree with: defined as 0 */
    else if (s->dd == 0.0)
        m->cosine = 1.0; /* identical: exact, not 0.9999999999999999 */
    else {
        double c = s->xy / (sqrt(s->xx) * sqrt(s->yy));
        /* rounding can push |c| a hair above 1; the true value cannot be */
        m->cosine = c > 1.0 ? 1.0 : (c < -1.0 ? -1.0 : c);
    }
    if (s->dd == 0.0) {
        m->rel_l2 = 0.0;
        m->sqnr_db = INFINITY;
    } else if (s->xx == 0.0) {
        m->rel_l2 = INFINITY;
        m->sqnr_db = -INFINITY;
    } else {
        m->rel_l2 = sqrt(s->dd) / sqrt(s->xx);
        m->sqnr_db = 10.0 * log10(s->xx / s->dd);
    }
}

void cmp_metrics_compute(const float *ref, const float *test, int64_t n, cmp_metrics *m)
{
    memset(m, 0, sizeof *m);
    sums s = {.x_const = true, .y_const = true, .x_zero = true, .y_zero = true};
    for (int64_t i = 0; i < n; i++)
        if (classify(m, ref[i], test[i]))
            sums_add(&s, ref[i], test[i]);
    m->n = n;
    if (m->n_nan_ref)
        m->flags |= CMP_F_NAN_REF;
    if (m->n_nan_test)
        m->flags |= CMP_F_NAN_TEST;
    if (m->n_inf_ref)
        m->flags |= CMP_F_INF_REF;
    if (m->n_inf_test)
        m->flags |= CMP_F_INF_TEST;
    if (m->n_inf_matched)
        m->flags |= CMP_F_INF_MATCHED;
    if (n == 0 || s.n == 0) {
        /* nothing comparable: no elements, or every element NaN/Inf */
        if (n == 0)
            m->flags |= CMP_F_EMPTY;
        set_all(m, NAN);
        if (!m->n_nan_ref && !m->n_nan_test && (m->n_inf_ref || m->n_inf_test))
            m->max_abs = INFINITY;
        if (n > 0 && m->n_inf_matched == n)
            m->flags |= CMP_F_EMPTY; /* all matched infinities: nothing finite */
        return;
    }
    if (s.x_zero)
        m->flags |= CMP_F_ZERO_REF;
    else if (s.x_const && s.n > 1)
        m->flags |= CMP_F_CONST_REF;
    if (s.y_zero)
        m->flags |= CMP_F_ZERO_TEST;
    else if (s.y_const && s.n > 1)
        m->flags |= CMP_F_CONST_TEST;
    if (m->n_nan_ref || m->n_nan_test) {
        set_all(m, NAN);
        return;
    }
    if (m->n_inf_ref || m->n_inf_test) {
        set_all(m, NAN);
        m->max_abs = INFINITY;
        return;
    }
    finish_finite(m, &s);
}

rk_status cmp_metrics_tensors(const rk_tensor *ref, const rk_tensor *test, cmp_metrics *m,
                              rk_err *e)
{
    char sa[64], sb[64];
    if (ref->nelem != test->nelem)
        return rk_errf(e, RK_EINPUT,
                       "cannot compare '%s' (%s, %lld elements) with '%s' (%s, %lld elements)",
                       ref->name ? ref->name : "?", rk_shape_str(ref, sa, sizeof sa),
                       (long long)ref->nelem, test->name ? test->name : "?",
                       rk_shape_str(test, sb, sizeof sb), (long long)test->nelem);
    rk_tensor fr = {0}, ft = {0};
    const float *pr = ref->data, *pt = test->data;
    rk_status st = RK_OK;
    if (ref->dtype != RK_DT_F32) {
        if ((st = rk_tensor_to_f32(&fr, ref, e)) != RK_OK)
            goto out;
        pr = fr.data;
    }
    if (test->dtype != RK_DT_F32) {
        if ((st = rk_tensor_to_f32(&ft, test, e)) != RK_OK)
            goto out;
        pt = ft.data;
    }
    cmp_metrics_compute(pr, pt, ref->nelem, m);
out:
    rk_tensor_free(&fr);
    rk_tensor_free(&ft);
    return st;
}

bool cmp_metrics_pass(const cmp_metrics *m, double min_cosine, double min_sqnr_db)
{
    /* written so that a NaN metric fails: !(NaN >= t) is true */
    if (!isnan(min_cosine) && !(m->cosine >= min_cosine))
        return false;
    if (!isnan(min_sqnr_db) && !(m->sqnr_db >= min_sqnr_db))
        return false;
    return true;
}

const char *cmp_flags_str(unsigned flags, char *buf, size_t n)
{
    static const struct {
        unsigned bit;
        const char *word;
    } names[] = {
        {CMP_F_EMPTY, "empty"},           {CMP_F_NAN_REF, "nan-in-ref"},
        {CMP_F_NAN_TEST, "nan-in-test"},  {CMP_F_INF_REF, "inf-in-ref"},
        {CMP_F_INF_TEST, "inf-in-test"},  {CMP_F_INF_MATCHED, "inf-matched"},
        {CMP_F_ZERO_REF, "zero-ref"},     {CMP_F_ZERO_TEST, "zero-test"},
        {CMP_F_CONST_REF, "const-ref"},   {CMP_F_CONST_TEST, "const-test"},
    };
    size_t used = 0;
    if (n)
        buf[0] = '\0';
    for (size_t i = 0; i < RK_ARRAY_LEN(names); i++) {
        if (!(flags & names[i].bit))
            continue;
        int w = snprintf(buf + used, n > used ? n - used : 0, "%s%s", used ? "," : "",
                         names[i].word);
        if (w < 0 || (size_t)w >= n - used)
            break;
        used += (size_t)w;
    }
    return buf;
}

/* ---- top-k ----------------------------------------------------------- */

/* Indices of the k largest values (descending, lower index first on ties). */
static void top_indices(const float *v, int64_t n, int k, int64_t *idx)
{
    for (int j = 0; j < k; j++)
        idx[j] = -1;
    for (int64_t i = 0; i < n; i++) {
        int pos = k;
        while (pos > 0 && (idx[pos - 1] < 0 || v[i] > v[idx[pos - 1]]))
            pos--;
        if (pos >= k)
            continue;
        for (int j = k - 1; j > pos; j--)
            idx[j] = idx[j - 1];
        idx[pos] = i;
    }
}

void cmp_topk_compute(const float *ref, const float *test, int64_t n, cmp_topk *t)
{
    memset(t, 0, sizeof *t);
    t->ref_top1 = t->test_top1 = -1;
    if (n < 2)
        return;
    for (int64_t i = 0; i < n; i++)
        if (isnan(ref[i]) || isnan(test[i]))
            return;
    int k = n < 5 ? (int)n : 5;
    int64_t ri[5], ti[5];
    top_indices(ref, n, k, ri);
    top_indices(test, n, k, ti);
    t->valid = true;
    t->k = k;
    t->ref_top1 = ri[0];
    t->test_top1 = ti[0];
    t->ref_tie = ref[ri[0]] == ref[ri[1]];
    t->top1_agree = ri[0] == ti[0];
    for (int a = 0; a < k; a++) {
        if (ti[a] == ri[0])
            t->top5_agree = true;
        for (int b = 0; b < k; b++)
            if (ri[a] == ti[b])
                t->top5_overlap++;
    }
}

/* ---- saturation ------------------------------------------------------ */

void cmp_saturation_int8(const float *ref, const float *test, int64_t n, float scale,
                         int32_t zero_point, cmp_saturation *s)
{
    memset(s, 0, sizeof *s);
    s->scale = scale;
    s->zero_point = zero_point;
    s->frac_test_sat = s->frac_ref_clip = NAN;
    if (n <= 0 || !(scale > 0.0f) || isinf(scale))
        return;
    for (int64_t i = 0; i < n; i++) {
        if (isnan(test[i]) || isnan(ref[i])) {
            s->n_nan++;
            continue;
        }
        /* round() rounds half away from zero; doubles keep q exact */
        double qt = round((double)test[i] / scale) + zero_point;
        double qr = round((double)ref[i] / scale) + zero_point;
        s->n_test_low += qt <= -128.0;
        s->n_test_high += qt >= 127.0;
        s->n_ref_low += qr < -128.0;
        s->n_ref_high += qr > 127.0;
    }
    s->valid = true;
    s->frac_test_sat = (double)(s->n_test_low + s->n_test_high) / (double)n;
    s->frac_ref_clip = (double)(s->n_ref_low + s->n_ref_high) / (double)n;
}
