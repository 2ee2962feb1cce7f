/* Unit tests for compare/metrics.c.  Every expected value is derived by hand
 * in the comment above it from the definitions in metrics.h (not produced by
 * the code under test). */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "metrics.h"

#define EPS 1e-9

/* ref x = [1,2,3,4], test y = [1,2,3,5], d = y - x = [0,0,0,1]
 * sum x^2 = 1+4+9+16 = 30, sum y^2 = 1+4+9+25 = 39, sum xy = 1+4+9+20 = 34
 * cosine = 34 / sqrt(30*39) = 34 / sqrt(1170) = 0.99399...
 * euclidean = sqrt(1) = 1, max_abs = 1, mean_abs = 1/4
 * rel_l2 = 1 / sqrt(30) = 0.18257..., sqnr = 10 log10(30/1) = 14.7712 dB */
static void test_metrics_simple_vector_matches_hand_values(void **state)
{
    (void)state;
    const float x[] = {1, 2, 3, 4}, y[] = {1, 2, 3, 5};
    cmp_metrics m;
    cmp_metrics_compute(x, y, 4, &m);
    assert_int_equal(m.n, 4);
    assert_true(fabs(m.cosine - 34.0 / sqrt(1170.0)) < EPS);
    assert_true(fabs(m.cosine - 0.993999) < 1e-6);
    assert_true(fabs(m.euclidean - 1.0) < EPS);
    assert_true(fabs(m.max_abs - 1.0) < EPS);
    assert_true(fabs(m.mean_abs - 0.25) < EPS);
    assert_true(fabs(m.rel_l2 - 1.0 / sqrt(30.0)) < EPS);
    assert_true(fabs(m.sqnr_db - 14.771212547) < 1e-6);
    assert_int_equal(m.flags, 0);
}

/* x = [1,0], y = [0,1]: orthogonal, cosine 0; d = [-1,1], euc = sqrt(2);
 * sqnr = 10 log10(1/2) = -3.0103 dB; rel_l2 = sqrt(2)/1. */
static void test_metrics_orthogonal_vectors_cosine_zero(void **state)
{
    (void)state;
    const float x[] = {1, 0}, y[] = {0, 1};
    cmp_metrics m;
    cmp_metrics_compute(x, y, 2, &m);
    assert_true(fabs(m.cosine) < EPS);
    assert_true(fabs(m.euclidean - sqrt(2.0)) < EPS);
    assert_true(fabs(m.sqnr_db + 3.0102999566) < 1e-6);
    assert_true(fabs(m.rel_l2 - sqrt(2.0)) < EPS);
}

/* x = [1,-2], y = -x: cosine -1; d = [-2,4], euc = sqrt(20), max 4, mean 3. */
static void test_metrics_negated_vector_cosine_minus_one(void **state)
{
    (void)state;
    const float x[] = {1, -2}, y[] = {-1, 2};
    cmp_metrics m;
    cmp_metrics_compute(x, y, 2, &m);
    assert_true(fabs(m.cosine + 1.0) < EPS);
    assert_true(fabs(m.euclidean - sqrt(20.0)) < EPS);
    assert_true(fabs(m.max_abs - 4.0) < EPS);
    assert_true(fabs(m.mean_abs - 3.0) < EPS);
}

/* Identical non-zero tensors: no noise, so SQNR = +inf, rel_l2 = 0, cos = 1. */
static void test_metrics_identical_tensors_sqnr_infinite(void **state)
{
    (void)state;
    const float x[] = {0.5f, -3, 7};
    cmp_metrics m;
    cmp_metrics_compute(x, x, 3, &m);
    assert_true(m.cosine == 1.0);
    assert_true(m.euclidean == 0.0);
    assert_true(isinf(m.sqnr_db) && m.sqnr_db > 0);
    assert_true(m.rel_l2 == 0.0);
    assert_true(cmp_metrics_pass(&m, 0.9999, 60.0));
}

/* Both all-zero: identical, defined as cosine 1 / sqnr +inf, FLAGGED. */
static void test_metrics_both_zero_flagged_not_silent(void **state)
{
    (void)state;
    const float z[] = {0, 0, 0};
    cmp_metrics m;
    cmp_metrics_compute(z, z, 3, &m);
    assert_true(m.cosine == 1.0);
    assert_true(m.euclidean == 0.0);
    assert_true(isinf(m.sqnr_db) && m.sqnr_db > 0);
    assert_true(m.flags & CMP_F_ZERO_REF);
    assert_true(m.flags & CMP_F_ZERO_TEST);
    char buf[128];
    assert_string_equal(cmp_flags_str(m.flags, buf, sizeof buf), "zero-ref,zero-test");
}

/* ref zero, test [3,4]: cosine defined 0, euc = 5, rel_l2 = 5/0 = +inf,
 * sqnr = 10 log10(0/25) = -inf. */
static void test_metrics_zero_ref_nonzero_test(void **state)
{
    (void)state;
    const float z[] = {0, 0}, y[] = {3, 4};
    cmp_metrics m;
    cmp_metrics_compute(z, y, 2, &m);
    assert_true(m.cosine == 0.0);
    assert_true(fabs(m.euclidean - 5.0) < EPS);
    assert_true(isinf(m.rel_l2) && m.rel_l2 > 0);
    assert_true(isinf(m.sqnr_db) && m.sqnr_db < 0);
    assert_true(m.flags & CMP_F_ZERO_REF);
    assert_false(m.flags & CMP_F_ZERO_TEST);
    assert_false(cmp_metrics_pass(&m, 0.5, NAN));
}

/* ref [3,4], test zero: d = -x so sum d^2 = sum x^2 = 25: rel_l2 1, sqnr 0 dB,
 * cosine defined 0. */
static void test_metrics_zero_test_nonzero_ref(void **state)
{
    (void)state;
    const float x[] = {3, 4}, z[] = {0, 0};
    cmp_metrics m;
    cmp_metrics_compute(x, z, 2, &m);
    assert_true(m.cosine == 0.0);
    assert_true(fabs(m.rel_l2 - 1.0) < EPS);
    assert_true(fabs(m.sqnr_db) < EPS);
    assert_true(m.flags & CMP_F_ZERO_TEST);
}

/* Constants: ref all 2, test all 3 (n = 4).  Cosine is blind to the scale
 * error (1.0) but the tensors are flagged; d = 1 each: euc = sqrt(4) = 2,
 * sum x^2 = 16, sqnr = 10 log10(16/4) = 6.0206 dB, rel_l2 = 2/4 = 0.5. */
static void test_metrics_constant_tensors_flagged(void **state)
{
    (void)state;
    const float x[] = {2, 2, 2, 2}, y[] = {3, 3, 3, 3};
    cmp_metrics m;
    cmp_metrics_compute(x, y, 4, &m);
    assert_true(fabs(m.cosine - 1.0) < EPS);
    assert_true(fabs(m.euclidean - 2.0) < EPS);
    assert_true(fabs(m.sqnr_db - 6.0205999133) < 1e-6);
    assert_true(fabs(m.rel_l2 - 0.5) < EPS);
    assert_true(m.flags & CMP_F_CONST_REF);
    assert_true(m.flags & CMP_F_CONST_TEST);
    /* cosine passes, the SQNR gate catches the error */
    assert_true(cmp_metrics_pass(&m, 0.99, NAN));
    assert_false(cmp_metrics_pass(&m, 0.99, 20.0));
}

/* A NaN in ref: every metric NaN, counted, and no threshold passes. */
static void test_metrics_nan_in_ref_reported_never_one(void **state)
{
    (void)state;
    const float x[] = {1, NAN, 3}, y[] = {1, 2, 3};
    cmp_metrics m;
    cmp_metrics_compute(x, y, 3, &m);
    assert_true(isnan(m.cosine));
    assert_true(isnan(m.sqnr_db));
    assert_true(isnan(m.euclidean));
    assert_int_equal(m.n_nan_ref, 1);
    assert_int_equal(m.n_nan_test, 0);
    assert_true(m.flags & CMP_F_NAN_REF);
    assert_false(cmp_metrics_pass(&m, 0.0, NAN));
    assert_false(cmp_metrics_pass(&m, NAN, -100.0));
    assert_true(cmp_metrics_pass(&m, NAN, NAN)); /* no threshold set */
}

static void test_metrics_nan_in_test_counted(void **state)
{
    (void)state;
    const float x[] = {1, 2, 3}, y[] = {NAN, NAN, 3};
    cmp_metrics m;
    cmp_metrics_compute(x, y, 3, &m);
    assert_int_equal(m.n_nan_test, 2);
    assert_true(m.flags & CMP_F_NAN_TEST);
    assert_true(isnan(m.cosine));
    assert_true(isnan(m.max_abs));
}

/* An infinity only in test (fp16 overflow): metrics NaN, max_abs +inf. */
static void test_metrics_unmatched_inf_reported(void **state)
{
    (void)state;
    const float x[] = {1, 2}, y[] = {INFINITY, 2};
    cmp_metrics m;
    cmp_metrics_compute(x, y, 2, &m);
    assert_true(isnan(m.cosine));
    assert_true(isinf(m.max_abs));
    assert_int_equal(m.n_inf_test, 1);
    assert_true(m.flags & CMP_F_INF_TEST);
    assert_false(cmp_metrics_pass(&m, 0.0, NAN));
}

/* Opposite infinities do not agree. */
static void test_metrics_opposite_inf_unmatched(void **state)
{
    (void)state;
    const float x[] = {-INFINITY, 2}, y[] = {INFINITY, 2};
    cmp_metrics m;
    cmp_metrics_compute(x, y, 2, &m);
    assert_int_equal(m.n_inf_ref, 1);
    assert_int_equal(m.n_inf_test, 1);
    assert_true(isnan(m.cosine));
}

/* The same -inf (an attention mask) on both sides agrees and is left out:
 * the remaining [1,2] vs [1,2] are identical. */
static void test_metrics_matched_inf_excluded(void **state)
{
    (void)state;
    const float x[] = {-INFINITY, 1, 2}, y[] = {-INFINITY, 1, 2};
    cmp_metrics m;
    cmp_metrics_compute(x, y, 3, &m);
    assert_int_equal(m.n_inf_matched, 1);
    assert_true(m.flags & CMP_F_INF_MATCHED);
    assert_true(m.cosine == 1.0);
    assert_true(m.euclidean == 0.0);
}

static void test_metrics_empty_all_nan(void **state)
{
    (void)state;
    cmp_metrics m;
    cmp_metrics_compute(NULL, NULL, 0, &m);
    assert_true(m.flags & CMP_F_EMPTY);
    assert_true(isnan(m.cosine));
    assert_false(cmp_metrics_pass(&m, 0.0, NAN));
}

static void test_metrics_tensors_count_mismatch_names_both(void **state)
{
    (void)state;
    rk_tensor a = {0}, b = {0};
    rk_err e = {0};
    int64_t da[1] = {4}, db[1] = {5};
    assert_int_equal(rk_tensor_alloc(&a, "conv_out", RK_DT_F32, 1, da, &e), RK_OK);
    assert_int_equal(rk_tensor_alloc(&b, "sim_out", RK_DT_F32, 1, db, &e), RK_OK);
    cmp_metrics m;
    assert_int_equal(cmp_metrics_tensors(&a, &b, &m, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "conv_out"));
    assert_non_null(strstr(e.msg, "sim_out"));
    rk_tensor_free(&a);
    rk_tensor_free(&b);
}

/* int8 test tensor vs float ref: the int8 values [-1, 2] as int8 dtype are
 * converted to float; against [-1, 2] floats everything is identical. */
static void test_metrics_tensors_converts_dtype(void **state)
{
    (void)state;
    rk_tensor a = {0}, b = {0};
    rk_err e = {0};
    int64_t d[1] = {2};
    assert_int_equal(rk_tensor_alloc(&a, "r", RK_DT_F32, 1, d, &e), RK_OK);
    assert_int_equal(rk_tensor_alloc(&b, "t", RK_DT_I8, 1, d, &e), RK_OK);
    ((float *)a.data)[0] = -1;
    ((float *)a.data)[1] = 2;
    ((int8_t *)b.data)[0] = -1;
    ((int8_t *)b.data)[1] = 2;
    cmp_metrics m;
    assert_int_equal(cmp_metrics_tensors(&a, &b, &m, &e), RK_OK);
    assert_true(m.euclidean == 0.0);
    rk_tensor_free(&a);
    rk_tensor_free(&b);
}

/* ref scores: top-5 by value = idx 3 (0.9), 6 (0.7), 1 (0.5), 4 (0.3), 2 (0.2)
 * test swaps idx 3 and 6: test top-1 = 6 != 3, but 3 is in test's top-5;
 * the top-5 sets are the same: overlap 5. */
static void test_topk_swapped_leaders(void **state)
{
    (void)state;
    const float r[] = {0.1f, 0.5f, 0.2f, 0.9f, 0.3f, 0.05f, 0.7f};
    const float t[] = {0.1f, 0.5f, 0.2f, 0.7f, 0.3f, 0.05f, 0.9f};
    cmp_topk k;
    cmp_topk_compute(r, t, 7, &k);
    assert_true(k.valid);
    assert_int_equal(k.ref_top1, 3);
    assert_int_equal(k.test_top1, 6);
    assert_false(k.top1_agree);
    assert_true(k.top5_agree);
    assert_int_equal(k.top5_overlap, 5);
    assert_false(k.ref_tie);
}

/* test moves ref's leader (idx 3) to the bottom: top5(test) = {6,1,4,2,0}
 * (0.7,0.5,0.3,0.2,0.1): ref top-1 missing, overlap {6,1,4,2} = 4. */
static void test_topk_leader_falls_out(void **state)
{
    (void)state;
    const float r[] = {0.1f, 0.5f, 0.2f, 0.9f, 0.3f, 0.05f, 0.7f};
    const float t[] = {0.1f, 0.5f, 0.2f, -1.0f, 0.3f, 0.05f, 0.7f};
    cmp_topk k;
    cmp_topk_compute(r, t, 7, &k);
    assert_false(k.top1_agree);
    assert_false(k.top5_agree);
    assert_int_equal(k.top5_overlap, 4);
}

static void test_topk_tie_and_nan(void **state)
{
    (void)state;
    const float r[] = {1, 1, 0}, t[] = {1, 0, 0};
    cmp_topk k;
    cmp_topk_compute(r, t, 3, &k);
    assert_true(k.valid);
    assert_true(k.ref_tie);
    assert_int_equal(k.ref_top1, 0); /* lower index wins the tie */
    const float n[] = {1, NAN, 0};
    cmp_topk_compute(r, n, 3, &k);
    assert_false(k.valid);
}

/* scale 0.5, zp -10: q = round(v/0.5) - 10.
 * test 68.5 -> 137-10 = 127 (sat), 0 -> -10, -59 -> -118-10 = -128 (sat),
 * 10 -> 10: 2 of 4 saturated.
 * ref 69 -> 138-10 = 128 (> 127, clipped), -60 -> -130 (clipped), 0 -> -10,
 * 0.25 -> round(0.5) = 1 (half away from zero) -> -9: 2 of 4 clipped. */
static void test_saturation_int8_hand_values(void **state)
{
    (void)state;
    const float r[] = {69, -60, 0, 0.25f}, t[] = {68.5f, 0, -59, 10};
    cmp_saturation s;
    cmp_saturation_int8(r, t, 4, 0.5f, -10, &s);
    assert_true(s.valid);
    assert_int_equal(s.n_test_high, 1);
    assert_int_equal(s.n_test_low, 1);
    assert_int_equal(s.n_ref_high, 1);
    assert_int_equal(s.n_ref_low, 1);
    assert_true(fabs(s.frac_test_sat - 0.5) < EPS);
    assert_true(fabs(s.frac_ref_clip - 0.5) < EPS);
}

static void test_saturation_bad_scale_invalid(void **state)
{
    (void)state;
    const float r[] = {1}, t[] = {1};
    cmp_saturation s;
    cmp_saturation_int8(r, t, 1, 0.0f, 0, &s);
    assert_false(s.valid);
    assert_true(isnan(s.frac_test_sat));
    cmp_saturation_int8(r, t, 1, NAN, 0, &s);
    assert_false(s.valid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_simple_vector_matches_hand_values),
        cmocka_unit_test(test_metrics_orthogonal_vectors_cosine_zero),
        cmocka_unit_test(test_metrics_negated_vector_cosine_minus_one),
        cmocka_unit_test(test_metrics_identical_tensors_sqnr_infinite),
        cmocka_unit_test(test_metrics_both_zero_flagged_not_silent),
        cmocka_unit_test(test_metrics_zero_ref_nonzero_test),
        cmocka_unit_test(test_metrics_zero_test_nonzero_ref),
        cmocka_unit_test(test_metrics_constant_tensors_flagged),
        cmocka_unit_test(test_metrics_nan_in_ref_reported_never_one),
        cmocka_unit_test(test_metrics_nan_in_test_counted),
        cmocka_unit_test(test_metrics_unmatched_inf_reported),
        cmocka_unit_test(test_metrics_opposite_inf_unmatched),
        cmocka_unit_test(test_metrics_matched_inf_excluded),
        cmocka_unit_test(test_metrics_empty_all_nan),
        cmocka_unit_test(test_metrics_tensors_count_mismatch_names_both),
        cmocka_unit_test(test_metrics_tensors_converts_dtype),
        cmocka_unit_test(test_topk_swapped_leaders),
        cmocka_unit_test(test_topk_leader_falls_out),
        cmocka_unit_test(test_topk_tie_and_nan),
        cmocka_unit_test(test_saturation_int8_hand_values),
        cmocka_unit_test(test_saturation_bad_scale_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
