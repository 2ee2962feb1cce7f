/*
 * test_convert.c - the ONNX -> .rknn compiler on the repo's tiny model
 * (datasets/tiny/tiny_conv.onnx: Conv 3x3 3->8 + Relu).  Golden values come
 * from onnxref running the float ONNX model (independent of the compiler);
 * the compiled program is executed by the register-level simulator.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "convert.h"
#include "onnxref.h"
#include "rk_tensorio.h"
#include "sim.h"
#include "testutil.h"

static rknn_model *convert_tiny(rk_convert_dtype dt, rk_convert_report *rep, rk_status *st, rk_err *e)
{
    rk_convert_opts o = {.soc = RK_SOC_RK3588, .dtype = dt,
                         .calib_h5 = tu_source_path("datasets/tiny/input.h5")};
    rknn_model *m = NULL;
    memset(rep, 0, sizeof(*rep));
    *st = rk_convert_onnx(tu_source_path("datasets/tiny/tiny_conv.onnx"), &o, &m, rep, e);
    return m;
}

static void test_convert_tiny_int8_matches_onnxref(void **state)
{
    (void)state;
    rk_err e = {0};
    rk_status st;
    rk_convert_report rep;
    rknn_model *m = convert_tiny(RK_CONVERT_INT8, &rep, &st, &e);
    assert_int_equal(st, RK_OK);
    assert_int_equal(rep.n_tasks, 1);
    assert_int_equal(rep.n_fused, 1); /* the Relu */

    rk_tensor_list in = {0};
    assert_int_equal(rk_h5_read(tu_source_path("datasets/tiny/input.h5"), &in, &e), RK_OK);
    sim *s = NULL;
    sim_options so = {0};
    assert_int_equal(sim_create(m, &so, &s, &e), RK_OK);
    assert_int_equal(sim_set_input(s, 0, &in.items[0], false, &e), RK_OK);
    assert_int_equal(sim_run(s, &e), RK_OK);
    rk_tensor got = {0};
    assert_int_equal(sim_get_output(s, 0, false, &got, &e), RK_OK);

    ox_model *om = NULL;
    assert_int_equal(ox_model_load_file(tu_source_path("datasets/tiny/tiny_conv.onnx"), &om, &e), RK_OK);
    rk_tensor ref = {0};
    ox_run_opts ro = {.threads = 1};
    assert_int_equal(ox_run(om, &in.items[0], 1, &ro, &ref, &e), RK_OK);
    assert_int_equal(got.nelem, ref.nelem);
    const float *a = got.data, *b = ref.data;
    double ab = 0, aa = 0, bb = 0;
    for (int64_t i = 0; i < got.nelem; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    /* int8 activations per tensor: cosine >= 0.99 is the milestone bound. */
    assert_true(ab / sqrt(aa * bb) >= 0.99);
    rk_tensor_free(&got);
    rk_tensor_free(&ref);
    ox_model_free(om);
    sim_destroy(s);
    rk_tensor_list_free(&in);
    rknn_free(m);
    rk_convert_report_free(&rep);
}

static void test_convert_output_passes_validator(void **state)
{
    (void)state;
    rk_err e = {0};
    rk_status st;
    rk_convert_report rep;
    rknn_model *m = convert_tiny(RK_CONVERT_INT8, &rep, &st, &e);
    assert_int_equal(st, RK_OK);
    size_t bad = 0;
    for (size_t i = 0; i < m->n_regcmd; i++) {
        isa_violation v[4];
        size_t n = isa_validate_entry(RK_SOC_RK3588, m->regcmd[i], v, 4);
        for (size_t k = 0; k < n && k < 4; k++)
            bad += !isa_violation_is_note(v[k].kind);
    }
    assert_int_equal(bad, 0);
    /* round trip through the container writer/reader */
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(rknn_write_buffer(m, &buf, &len, &e), RK_OK);
    rknn_model *m2 = NULL;
    assert_int_equal(rknn_load_buffer(buf, len, "converted", &m2, &e), RK_OK);
    assert_int_equal(m2->n_tasks, m->n_tasks);
    rknn_free(m2);
    free(buf);
    rknn_free(m);
    rk_convert_report_free(&rep);
}

static void test_convert_rk3566_rejected(void **state)
{
    (void)state;
    rk_err e = {0};
    rk_convert_opts o = {.soc = RK_SOC_RK3566, .dtype = RK_CONVERT_INT8};
    rk_convert_report rep = {0};
    rknn_model *m = NULL;
    assert_int_equal(rk_convert_onnx(tu_source_path("datasets/tiny/tiny_conv.onnx"), &o, &m, &rep, &e),
                     RK_EUNSUPPORTED);
    assert_null(m);
    assert_non_null(strstr(e.msg, "rk3588"));
}

static void test_convert_missing_calib_dataset_is_input_error(void **state)
{
    (void)state;
    rk_err e = {0};
    /* tiny_params.h5 has no dataset named 'input' */
    rk_convert_opts o = {.soc = RK_SOC_RK3588, .dtype = RK_CONVERT_INT8,
                         .calib_h5 = tu_source_path("datasets/tiny/tiny_params.h5")};
    rk_convert_report rep = {0};
    rknn_model *m = NULL;
    assert_int_equal(rk_convert_onnx(tu_source_path("datasets/tiny/tiny_conv.onnx"), &o, &m, &rep, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "'input'"));
    rk_convert_report_free(&rep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_convert_tiny_int8_matches_onnxref),
        cmocka_unit_test(test_convert_output_passes_validator),
        cmocka_unit_test(test_convert_rk3566_rejected),
        cmocka_unit_test(test_convert_missing_calib_dataset_is_input_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
