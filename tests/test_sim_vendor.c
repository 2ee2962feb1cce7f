/*
 * test_sim_vendor.c - small vendor files run end to end in strict mode.
 *
 * RK3566_RK3568 multiple_input_demo: its OutputOperator:8 node has eight
 * NPU tasks that turn the int8 graph output '8' (NC1HWC2) into the float32
 * NCHW copy the runtime hands to want_float callers, in tensor
 * '8_exSecondary' (524288 bytes = 8x128x128 fp32): tasks 2-7 reorder and
 * widen to fp16, tasks 8-9 run the DPU with NONALIGN output, BS ALU
 * -zero_point (fp32 operand) and BS MUL scale (fp16 operand).
 *
 * Golden data: the CPU dequantisation (q - zp) * scale of '8' (cpuops.c,
 * a different code path; '8' itself agrees with a numpy float reference of
 * test.onnx at cosine 0.99997, tests/e2e/sim_multiple_input.sh).  The NPU
 * path multiplies by the scale rounded to fp16 (4.14237452 -> 4.140625,
 * relative 4.2e-4), so the tolerance is relative 1e-3.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "rk_tensorio.h"
#include "rknn.h"
#include "sim.h"

#define MI_DIR "datasets/rknn-vendor/multiple_input_demo/"

static int32_t tensor_index(const rknn_model *m, const char *name)
{
    const rknn_graph *g = &m->graphs[0];
    for (uint32_t i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].name && strcmp(g->tensors[i].name, name) == 0)
            return (int32_t)i;
    return -1;
}

static void test_sim_vendor_lite_output_operator_float_copy_matches_dequant(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(model_path, MI_DIR "RK3566_RK3568_multiple_input_demo.rknn");
    const char *in1 = tu_shared_path(MI_DIR "image1_nchw.npy");
    const char *in2 = tu_shared_path(MI_DIR "image2_nchw.npy");
    rk_err e = {0};
    rknn_model *m = NULL;
    if (rknn_load_file(model_path, &m, &e))
        fail_msg("%s", e.msg);
    sim_options opt = {0}; /* strict: any unsimulated mode fails the run */
    sim *s = NULL;
    if (sim_create(m, &opt, &s, &e))
        fail_msg("%s", e.msg);
    rk_tensor a = {0}, b = {0}, out = {0};
    if (rk_npy_read(in1, &a, &e) || rk_npy_read(in2, &b, &e))
        fail_msg("%s", e.msg);
    if (sim_set_input(s, 0, &a, false, &e) || sim_set_input(s, 1, &b, false, &e))
        fail_msg("%s", e.msg);
    if (sim_run(s, &e))
        fail_msg("strict run: %s", e.msg);
    size_t n_issues;
    (void)sim_issues(s, &n_issues);
    assert_int_equal(n_issues, 0);
    if (sim_get_output(s, 0, false, &out, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(out.nelem, 8 * 128 * 128);

    int32_t ti = tensor_index(m, "8_exSecondary");
    assert_true(ti >= 0);
    float *copy = malloc((size_t)out.nelem * sizeof(float));
    assert_non_null(copy);
    if (sim_tensor_read(s, ti, copy, (size_t)out.nelem * sizeof(float), &e))
        fail_msg("%s", e.msg);
    const float *ref = out.data;
    int64_t bad = 0, nonzero = 0;
    for (int64_t i = 0; i < out.nelem; i++) {
        nonzero += ref[i] != 0.0f;
        if (fabsf(copy[i] - ref[i]) > 1e-3f * fabsf(ref[i]) + 1e-6f) {
            if (bad < 5)
                fprintf(stderr, "element %lld: NPU float copy %g, dequantised '8' %g\n", (long long)i,
                        (double)copy[i], (double)ref[i]);
            bad++;
        }
    }
    assert_true(nonzero > out.nelem / 2);
    assert_int_equal(bad, 0);
    free(copy);
    rk_tensor_free(&out);
    rk_tensor_free(&a);
    rk_tensor_free(&b);
    sim_destroy(s);
    rknn_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_vendor_lite_output_operator_float_copy_matches_dequant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
