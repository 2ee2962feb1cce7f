/*
 * metrics.h - error metrics between a float reference tensor ("ref", the
 * onnxref result) and a tensor under test ("test", the simulator's output
 * dequantised to float32).
 *
 * Definitions (x = ref, y = test, d = y - x, sums over the n compared
 * elements, accumulated in double):
 *   cosine      = sum(x*y) / (sqrt(sum x^2) * sqrt(sum y^2))
 *   euclidean   = sqrt(sum d^2)                 (rknn-toolkit2's "euc" column:
 *                 the plain L2 norm of the difference; inferred from the
 *                 vendor's error_analysis.txt, where identical tensors show
 *                 0.0 and values grow with tensor size - rknn-format.md §4.1)
 *   max_abs     = max |d|
 *   mean_abs    = sum |d| / n
 *   rel_l2      = sqrt(sum d^2) / sqrt(sum x^2)
 *   sqnr_db     = 10 * log10(sum x^2 / sum d^2)
 *
 * Edge cases (each raises a flag so reports can say why a number looks odd):
 *   - n == 0: every metric NaN, CMP_F_EMPTY.
 *   - NaN in either tensor: every metric NaN, CMP_F_NAN_REF / CMP_F_NAN_TEST
 *     with counts.  NaN never becomes a number, and a threshold check on a
 *     NaN metric fails (cmp_metrics_pass).
 *   - +-Inf: an element where ref and test hold the SAME infinity (e.g. a
 *     -inf attention mask in both) agrees; it is counted in n_inf_matched and
 *     left out of the sums (CMP_F_INF_MATCHED).  Any other infinity (only on
 *     one side, or opposite signs) makes every metric NaN except max_abs,
 *     which is +inf (CMP_F_INF_REF / CMP_F_INF_TEST).
 *   - both all-zero: identical, so cosine 1, euclidean/max/mean/rel_l2 0,
 *     sqnr +inf; flagged CMP_F_ZERO_REF|CMP_F_ZERO_TEST so the 1.0 is never
 *     silent.
 *   - ref all-zero, test not: cosine 0 (no agreement in direction, by our
 *     definition; mathematically undefined), rel_l2 +inf, sqnr -inf.
 *   - test all-zero, ref not: cosine 0, rel_l2 1, sqnr 0 dB.
 *   - identical non-zero tensors: sqnr +inf, rel_l2 0, cosine 1.
 *   - constant tensors (all elements equal, n > 1): computed normally, but
 *     flagged CMP_F_CONST_REF/TEST because cosine cannot see a scale error
 *     between two constants (ref all 2, test all 3 gives cosine 1 and SQNR
 *     6.02 dB).
 */
#ifndef RKSIM_COMPARE_METRICS_H
#define RKSIM_COMPARE_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "rk_base.h"
#include "rk_tensor.h"

enum cmp_metric_flag {
    CMP_F_EMPTY = 1u << 0,
    CMP_F_NAN_REF = 1u << 1,
    CMP_F_NAN_TEST = 1u << 2,
    CMP_F_INF_REF = 1u << 3,   /* an infinity in ref not matched by test */
    CMP_F_INF_TEST = 1u << 4,  /* an infinity in test not matched by ref */
    CMP_F_INF_MATCHED = 1u << 5,
    CMP_F_ZERO_REF = 1u << 6,
    CMP_F_ZERO_TEST = 1u << 7,
    CMP_F_CONST_REF = 1u << 8,
    CMP_F_CONST_TEST = 1u << 9
};

/* The result of cmp_metrics_compute.  Invariant: when `flags` has
 * CMP_F_EMPTY, CMP_F_NAN_* or CMP_F_INF_REF/TEST, the metrics are NaN as
 * documented above (never a plausible-looking number). */
typedef struct cmp_metrics {
    int64_t n;             /* elements compared */
    int64_t n_nan_ref, n_nan_test;
    int64_t n_inf_ref, n_inf_test; /* infinities not matched by the other side */
    int64_t n_inf_matched;
    double cosine;
    double euclidean;
    double max_abs;
    double mean_abs;
    double rel_l2;
    double sqnr_db;
    unsigned flags;
} cmp_metrics;

/* Metrics over two float arrays of n elements.  Never fails. */
void cmp_metrics_compute(const float *ref, const float *test, int64_t n, cmp_metrics *m);

/* Same over two tensors of equal element count (any numeric dtype;
 * converted to float32).  RK_EINPUT naming both tensors when the counts
 * differ. */
rk_status cmp_metrics_tensors(const rk_tensor *ref, const rk_tensor *test, cmp_metrics *m,
                              rk_err *e);

/* True when the metrics meet the thresholds.  A threshold that is NaN is not
 * checked.  An undefined (NaN) metric fails any threshold set on it. */
bool cmp_metrics_pass(const cmp_metrics *m, double min_cosine, double min_sqnr_db);

/* Comma-separated words for the flags ("nan-in-test,zero-ref"); "" if none.
 * Returns buf. */
const char *cmp_flags_str(unsigned flags, char *buf, size_t n);

/*
 * Class-score agreement (for model outputs that are a vector of scores).
 * top1_agree: argmax(test) == argmax(ref).  top5_agree: argmax(ref) is among
 * the 5 largest of test.  top5_overlap: |top5(ref) & top5(test)|.
 * Ties are broken towards the lower index; ref_tie says the ref's top-1 was a
 * tie (so top-1 agreement is not meaningful).  Elements that are NaN rank
 * below everything; valid is false when n < 2 or any NaN is present.
 */
typedef struct cmp_topk {
    bool valid;
    bool top1_agree;
    bool top5_agree;
    int top5_overlap;
    int k; /* min(5, n) */
    int64_t ref_top1, test_top1;
    bool ref_tie;
} cmp_topk;

void cmp_topk_compute(const float *ref, const float *test, int64_t n, cmp_topk *t);

/*
 * Saturation for an int8 tensor with scale s > 0 and zero point zp:
 * q = round(v / s) + zp (round half away from zero, as the vendor's
 * requantisation is inferred to do).  frac_test_sat is the share of test
 * values whose q is at -128 or 127 (the simulator's output pinned to a
 * limit); frac_ref_clip the share of reference values whose q falls outside
 * [-128, 127] (values the int8 range cannot hold at all).  valid false (and
 * fractions NaN) for n == 0, s <= 0 or non-finite s.  NaN values count as
 * neither saturated nor clipped but are counted in n_nan.
 */
typedef struct cmp_saturation {
    bool valid;
    double frac_test_sat;
    double frac_ref_clip;
    int64_t n_test_low, n_test_high; /* at -128 / at 127 */
    int64_t n_ref_low, n_ref_high;   /* below -128 / above 127 */
    int64_t n_nan;
    float scale;
    int32_t zero_point;
} cmp_saturation;

void cmp_saturation_int8(const float *ref, const float *test, int64_t n, float scale,
                         int32_t zero_point, cmp_saturation *s);

#endif
