/*
 * test_sim_input_prep.c - the InputOperator's float preprocessing
 * (sim/input_prep.c) by input rank: 4-D inputs are NCHW (per-channel
 * mean/std), other ranks have no channel axis (the vendor's fmt UNDEFINED):
 * a uniform mean/std applies to every element, anything per channel is
 * refused.  Expected values are hand-derived from the inputs written here.
 */
#include <string.h>

#include "testutil.h"

#include "sim.h"

/* [1,2,3] with mean {1,1} std {2,2}: (x - 1) / 2 on all six elements. */
static void test_input_prep_rank3_uniform_mean_std(void **state)
{
    (void)state;
    rk_err e = {0};
    const float mean[2] = {1, 1}, std[2] = {2, 2};
    rknn_input_prep p = {.mean = mean, .n_mean = 2, .std = std, .n_std = 2};
    float x[6] = {1, 3, 5, -1, 0, 2};
    const int64_t dims[3] = {1, 2, 3};
    assert_int_equal(rknn_input_prep_apply_shape(&p, "x", x, 3, dims, &e), RK_OK);
    const float want[6] = {0, 1, 2, -1, -0.5f, 0.5f};
    for (int i = 0; i < 6; i++)
        assert_true(x[i] == want[i]);
}

/* Rank 4 keeps the NCHW meaning: channel 1 of [1,2,1,2] gets mean[1]. */
static void test_input_prep_rank4_per_channel(void **state)
{
    (void)state;
    rk_err e = {0};
    const float mean[2] = {0, 10};
    rknn_input_prep p = {.mean = mean, .n_mean = 2};
    float x[4] = {1, 2, 11, 12};
    const int64_t dims[4] = {1, 2, 1, 2};
    assert_int_equal(rknn_input_prep_apply_shape(&p, "img", x, 4, dims, &e), RK_OK);
    const float want[4] = {1, 2, 1, 2};
    for (int i = 0; i < 4; i++)
        assert_true(x[i] == want[i]);
}

/* Per-channel mean, a channel reorder or rgb2bgr on a [T,D] input: refused
 * with the input's name, data untouched. */
static void test_input_prep_rank2_per_channel_refused(void **state)
{
    (void)state;
    const float mean[3] = {0, 1, 2};
    const int32_t order[3] = {2, 1, 0};
    const int64_t dims[2] = {2, 3};
    rknn_input_prep cases[3] = {{.mean = mean, .n_mean = 3}, {.order = order, .n_order = 3}, {.rgb2bgr = true}};
    for (int k = 0; k < 3; k++) {
        rk_err e = {0};
        float x[6] = {1, 2, 3, 4, 5, 6};
        assert_int_equal(rknn_input_prep_apply_shape(&cases[k], "tokens", x, 2, dims, &e), RK_EUNSUPPORTED);
        assert_non_null(strstr(e.msg, "input 'tokens' has rank 2"));
        assert_true(x[0] == 1 && x[5] == 6);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_input_prep_rank3_uniform_mean_std),
        cmocka_unit_test(test_input_prep_rank4_per_channel),
        cmocka_unit_test(test_input_prep_rank2_per_channel_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
