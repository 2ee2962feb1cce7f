/*
 * test_sim_tiny.c - the repo's tiny example model.
 *
 *  - Regenerating datasets/tiny/tiny_conv_rk3588.rknn from tiny_params.h5
 *    gives the committed file byte for byte.  To (re)write the file:
 *      /usr/bin/python3 datasets/make_tiny.py
 *      RKSIM_WRITE_TINY=datasets/tiny/tiny_conv_rk3588.rknn build/tests/test_sim_tiny
 *  - Running it on input.h5 reproduces a hand-derived output element
 *    computed here from the int8 parameters (independent of the units).
 * Needs nothing outside the repository.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "rk_tensorio.h"
#include "rknn.h"
#include "sim.h"
#include "sim_tiny.h"

static void test_sim_tiny_model_regenerates_identically(void **state)
{
    (void)state;
    rk_err e = {0};
    rknn_model *m = NULL;
    if (sim_tiny_build(tu_source_path("datasets/tiny/tiny_params.h5"), &m, &e))
        fail_msg("%s", e.msg);
    uint8_t *buf;
    size_t len;
    assert_int_equal(rknn_write_buffer(m, &buf, &len, &e), RK_OK);
    const char *w = getenv("RKSIM_WRITE_TINY");
    if (w && *w) {
        if (rknn_write_file(m, w, &e))
            fail_msg("%s", e.msg);
        fprintf(stderr, "wrote %s (%zu bytes)\n", w, len);
    }
    uint8_t *ref;
    size_t rlen;
    if (rk_read_file(tu_source_path("datasets/tiny/tiny_conv_rk3588.rknn"), &ref, &rlen, 0, &e))
        fail_msg("%s (write it with RKSIM_WRITE_TINY=...)", e.msg);
    assert_int_equal(rlen, len);
    assert_memory_equal(ref, buf, len);
    free(ref);
    free(buf);
    rknn_free(m);
}

/* Output element (k=0, y=0, x=0) by hand from the int8 parameters:
 * sum over the 2x2 valid taps (pad cells are zp_in and cancel through the
 * bias term), BS (acc+alu)*mul>>14, ReLU, OUT_CVT. */
static void test_sim_tiny_model_runs_and_matches_hand_derived_corner(void **state)
{
    (void)state;
    rk_err e = {0};
    rknn_model *m = NULL;
    assert_int_equal(rknn_load_file(tu_source_path("datasets/tiny/tiny_conv_rk3588.rknn"), &m, &e), RK_OK);
    rk_tensor_list in = {0}, p = {0};
    assert_int_equal(rk_h5_read(tu_source_path("datasets/tiny/input.h5"), &in, &e), RK_OK);
    assert_int_equal(rk_h5_read(tu_source_path("datasets/tiny/tiny_params.h5"), &p, &e), RK_OK);
    sim *s = NULL;
    sim_options opt = {0};
    assert_int_equal(sim_create(m, &opt, &s, &e), RK_OK);
    assert_int_equal(sim_set_input(s, 0, &in.items[0], false, &e), RK_OK);
    if (sim_run(s, &e))
        fail_msg("%s", e.msg);
    rk_tensor raw = {0};
    assert_int_equal(sim_get_output(s, 0, true, &raw, &e), RK_OK);
    const float *x = in.items[0].data;
    const int8_t *wq = rk_tensor_list_find(&p, "wq")->data;
    const int32_t *alu = rk_tensor_list_find(&p, "alu")->data;
    const int16_t *mul = rk_tensor_list_find(&p, "mul")->data;
    const int32_t *cvt = rk_tensor_list_find(&p, "out_cvt")->data;
    for (int k = 0; k < 8; k++) {
        int64_t acc = 0;
        for (int c = 0; c < 3; c++)
            for (int ky = 0; ky < 3; ky++)
                for (int kx = 0; kx < 3; kx++) {
                    int yy = ky - 1, xx = kx - 1;
                    long q = -128;
                    if (yy >= 0 && xx >= 0) {
                        float f = x[(c * 8 + yy) * 8 + xx] * 255.0f;
                        q = lroundf(f) - 128;
                        q = q > 127 ? 127 : q;
                    }
                    acc += (int64_t)wq[((k * 3 + c) * 3 + ky) * 3 + kx] * q;
                }
        int64_t v = (acc + alu[k]) * mul[k];
        v = (v + (1 << 13)) >> 14; /* half up (BS MUL) */
        if (v < 0)
            v = 0;
        int64_t t = v * cvt[0];
        int sh = cvt[1];
        int64_t q = t >> sh, r = t - (q << sh), half = (int64_t)1 << (sh - 1);
        if (r > half || (r == half && (q & 1)))
            q++;
        q += cvt[2];
        q = q < -128 ? -128 : q > 127 ? 127 : q;
        assert_int_equal(((const int8_t *)raw.data)[k], (int8_t)q);
    }
    rk_tensor_free(&raw);
    rk_tensor_list_free(&in);
    rk_tensor_list_free(&p);
    sim_destroy(s);
    rknn_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_tiny_model_regenerates_identically),
        cmocka_unit_test(test_sim_tiny_model_runs_and_matches_hand_derived_corner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
