/* Tests for compare/match.c: layer matching on the vendor multiple_input_demo
 * (expected pairs from ../shared/reference/dumps/multiple_input_demo_*.fb.txt
 * and test.onnx: rknn node ConvAdd 'Conv:Conv_0' outputs '8', which ONNX
 * Add_2 produces from Conv_0's '6'), layout alignment and native packing
 * (expected bytes derived by hand in the comments). */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "tensor_set.h"

static rk_tensor make(const char *name, int ndim, const int64_t *dims, const float *v)
{
    rk_tensor t = {0};
    rk_err e = {0};
    assert_int_equal(rk_tensor_alloc(&t, name, RK_DT_F32, ndim, dims, &e), RK_OK);
    if (v)
        memcpy(t.data, v, (size_t)t.nelem * sizeof(float));
    return t;
}

static void check_vendor_match(const char *rknn_rel)
{
    TU_REQUIRE_SHARED(rk_path, rknn_rel);
    TU_REQUIRE_SHARED(ox_path, "datasets/rknn-vendor/multiple_input_demo/test.onnx");
    rk_err e = {0};
    rknn_model *rk = NULL;
    ox_model *ox = NULL;
    assert_int_equal(rknn_load_file(rk_path, &rk, &e), RK_OK);
    assert_int_equal(ox_model_load_file(ox_path, &ox, &e), RK_OK);
    cmp_report r;
    cmp_report_init(&r);
    cmp_match *m = NULL;
    int n = 0;
    assert_int_equal(cmp_match_layers(rk, ox, &m, &n, &r, &e), RK_OK);
    /* input.1, input (InputOperator), 7 (Conv), 8 (ConvAdd) */
    assert_int_equal(n, 4);
    const rknn_graph *g = &rk->graphs[0];
    int seen7 = 0, seen8 = 0;
    for (int i = 0; i < n; i++) {
        const char *t = g->tensors[m[i].tensor].name;
        assert_non_null(m[i].onnx_tensor);
        assert_string_equal(m[i].onnx_tensor, t);
        if (strcmp(t, "7") == 0) {
            seen7 = 1;
            assert_string_equal(m[i].onnx_ops, "Conv");
            assert_true(m[i].npu);
        } else if (strcmp(t, "8") == 0) {
            seen8 = 1;
            assert_string_equal(m[i].onnx_ops, "Conv+Add");
            assert_true(m[i].is_output);
        } else {
            assert_true(m[i].is_input);
        }
    }
    assert_true(seen7 && seen8);
    assert_int_equal(r.n_unmatched_onnx, 1);
    assert_string_equal(r.unmatched_onnx[0].name, "6");
    assert_non_null(strstr(r.unmatched_onnx[0].reason, "fused into ConvAdd 'Conv:Conv_0'"));
    assert_int_equal(r.n_unmatched_rknn, 0);
    free(m);
    cmp_report_free(&r);
    ox_model_free(ox);
    rknn_free(rk);
}

static void test_match_multiple_input_demo_rk3588(void **state)
{
    (void)state;
    check_vendor_match("datasets/rknn-vendor/multiple_input_demo/RK3588_multiple_input_demo.rknn");
}

static void test_match_multiple_input_demo_rk3566(void **state)
{
    (void)state;
    check_vendor_match(
        "datasets/rknn-vendor/multiple_input_demo/RK3566_RK3568_multiple_input_demo.rknn");
}

/* test [1,2,2,3] NHWC holds 100c + 10h + w at [0][h][w][c]; aligned to the
 * ref's NCHW [1,3,2,2] it must read c0: 0 1 10 11, c1: 100 101 110 111,
 * c2: 200 201 210 211. */
static void test_align_nhwc_transposed(void **state)
{
    (void)state;
    int64_t rd[4] = {1, 3, 2, 2}, td[4] = {1, 2, 2, 3};
    rk_tensor ref = make("r", 4, rd, NULL), test = make("t", 4, td, NULL);
    float *tv = test.data;
    for (int h = 0; h < 2; h++)
        for (int w = 0; w < 2; w++)
            for (int c = 0; c < 3; c++)
                tv[(h * 2 + w) * 3 + c] = (float)(100 * c + 10 * h + w);
    rk_tensor out = {0};
    char note[200];
    rk_err e = {0};
    assert_int_equal(cmp_align(&ref, &test, &out, note, sizeof note, &e), RK_OK);
    const float want[12] = {0, 1, 10, 11, 100, 101, 110, 111, 200, 201, 210, 211};
    assert_memory_equal(out.data, want, sizeof want);
    assert_non_null(strstr(note, "NHWC"));
    rk_tensor_free(&ref);
    rk_tensor_free(&test);
    rk_tensor_free(&out);
}

/* The reverse: ref NHWC [1,2,2,3] holding 100c + 10h + w at [0][h][w][c],
 * test NCHW [1,3,2,2] holding the same values at [0][c][h][w]: aligned, the
 * test must equal the ref element for element. */
static void test_align_nchw_to_nhwc_ref(void **state)
{
    (void)state;
    int64_t rd[4] = {1, 2, 2, 3}, td[4] = {1, 3, 2, 2};
    rk_tensor ref = make("r", 4, rd, NULL), test = make("t", 4, td, NULL);
    float *rv = ref.data, *tv = test.data;
    for (int c = 0; c < 3; c++)
        for (int h = 0; h < 2; h++)
            for (int w = 0; w < 2; w++) {
                rv[(h * 2 + w) * 3 + c] = (float)(100 * c + 10 * h + w);
                tv[(c * 2 + h) * 2 + w] = (float)(100 * c + 10 * h + w);
            }
    rk_tensor out = {0};
    char note[200];
    rk_err e = {0};
    assert_int_equal(cmp_align(&ref, &test, &out, note, sizeof note, &e), RK_OK);
    assert_memory_equal(out.data, ref.data, 12 * sizeof(float));
    assert_non_null(strstr(note, "NHWC"));
    rk_tensor_free(&ref);
    rk_tensor_free(&test);
    rk_tensor_free(&out);
}

static void test_align_squeezed_shapes_no_note(void **state)
{
    (void)state;
    int64_t rd[2] = {1, 4}, td[4] = {1, 4, 1, 1};
    const float v[4] = {1, 2, 3, 4};
    rk_tensor ref = make("r", 2, rd, v), test = make("t", 4, td, v);
    rk_tensor out = {0};
    char note[200];
    rk_err e = {0};
    assert_int_equal(cmp_align(&ref, &test, &out, note, sizeof note, &e), RK_OK);
    assert_string_equal(note, "");
    assert_memory_equal(out.data, v, sizeof v);
    rk_tensor_free(&ref);
    rk_tensor_free(&test);
    rk_tensor_free(&out);
}

static void test_align_other_shape_noted_and_count_mismatch_refused(void **state)
{
    (void)state;
    int64_t rd[2] = {2, 3}, td[2] = {3, 2}, bad[1] = {5};
    rk_tensor ref = make("r", 2, rd, NULL), test = make("t", 2, td, NULL), b = make("b", 1, bad, NULL);
    rk_tensor out = {0};
    char note[200];
    rk_err e = {0};
    assert_int_equal(cmp_align(&ref, &test, &out, note, sizeof note, &e), RK_OK);
    assert_non_null(strstr(note, "shapes differ"));
    rk_tensor_free(&out);
    assert_int_equal(cmp_align(&ref, &b, &out, note, sizeof note, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "2x3"));
    assert_non_null(strstr(e.msg, "'b' is 5"));
    rk_tensor_free(&ref);
    rk_tensor_free(&test);
    rk_tensor_free(&b);
}

/* int8, scale 0.5, zp 1, shape [1,3,1,2], native NC1HWC2 [1,1,1,2,8]:
 * q = clamp(round(x/0.5) + 1):  1.0 -> 3, -1.0 -> -1, 0.25 -> round(0.5)=1 -> 2,
 * 100 -> 201 -> 127, -100 -> -199 -> -128, 0.74 -> round(1.48)=1 -> 2.
 * ref NCHW: c0 = [1, -1], c1 = [0.25, 100], c2 = [-100, 0.74];
 * byte offset of (c, w) = w*8 + c: w0 = [3, 2, -128, 0...], w1 = [-1, 127, 2, 0...]. */
static void test_pack_nc1hwc2_int8_hand_bytes(void **state)
{
    (void)state;
    int32_t shape[4] = {1, 3, 1, 2}, native[5] = {1, 1, 1, 2, 8};
    float scale = 0.5f;
    int32_t zp = 1;
    rknn_tensor t = {0};
    t.name = "x";
    t.dtype = RK_DT_I8;
    t.layout = RKNN_LAYOUT_NC1HWC2;
    t.shape = shape;
    t.n_shape = 4;
    t.native_shape = native;
    t.n_native_shape = 5;
    t.size = 16;
    t.quant.scale = &scale;
    t.quant.n_scale = 1;
    t.quant.zero_point = &zp;
    t.quant.n_zero_point = 1;
    int64_t d[4] = {1, 3, 1, 2};
    const float v[6] = {1.0f, -1.0f, 0.25f, 100.0f, -100.0f, 0.74f};
    rk_tensor ref = make("x", 4, d, v);
    uint8_t *bytes = NULL;
    size_t len = 0;
    rk_err e = {0};
    assert_int_equal(cmp_pack_native(&t, &ref, &bytes, &len, &e), RK_OK);
    assert_int_equal(len, 16);
    const int8_t want[16] = {3, 2, -128, 0, 0, 0, 0, 0, -1, 127, 2, 0, 0, 0, 0, 0};
    assert_memory_equal(bytes, want, sizeof want);
    free(bytes);
    /* a NaN cannot be an int8 code: refused, naming the tensor */
    ((float *)ref.data)[3] = NAN;
    assert_int_equal(cmp_pack_native(&t, &ref, &bytes, &len, &e), RK_EINPUT);
    assert_null(bytes);
    assert_non_null(strstr(e.msg, "'x'"));
    /* native shape too small for the shape */
    native[4] = 2;
    ((float *)ref.data)[3] = 0;
    assert_int_equal(cmp_pack_native(&t, &ref, &bytes, &len, &e), RK_EUNSUPPORTED);
    rk_tensor_free(&ref);
}

/* float16 row-major: 1.0 -> 0x3c00, -2.0 -> 0xc000 (IEEE binary16). */
static void test_pack_fp16_row_major(void **state)
{
    (void)state;
    int32_t shape[1] = {2};
    rknn_tensor t = {0};
    t.name = "h";
    t.dtype = RK_DT_F16;
    t.layout = RKNN_LAYOUT_NCHW;
    t.shape = shape;
    t.n_shape = 1;
    t.size = 4;
    int64_t d[1] = {2};
    const float v[2] = {1.0f, -2.0f};
    rk_tensor ref = make("h", 1, d, v);
    uint8_t *bytes = NULL;
    size_t len = 0;
    rk_err e = {0};
    assert_int_equal(cmp_pack_native(&t, &ref, &bytes, &len, &e), RK_OK);
    const uint16_t want[2] = {0x3c00, 0xc000};
    assert_memory_equal(bytes, want, sizeof want);
    free(bytes);
    rk_tensor_free(&ref);
}

/* Storing a tensor under its own name (t->name passed as the key) must not
 * read the freed name (the ASan build checks this); a second take with
 * the same name replaces the first. */
static void test_set_take_own_name_and_replace(void **state)
{
    (void)state;
    int64_t d[1] = {1};
    const float one = 1.0f, two = 2.0f;
    rk_tensor a = make("layer", 1, d, &one), b = make("layer", 1, d, &two);
    cmp_tensor_set s = {0};
    rk_err e = {0};
    assert_int_equal(cmp_set_take(&s, a.name, &a, &e), RK_OK);
    assert_int_equal(cmp_set_take(&s, b.name, &b, &e), RK_OK);
    assert_int_equal(s.n, 1);
    const rk_tensor *t = cmp_set_get(&s, "layer");
    assert_non_null(t);
    assert_true(((const float *)t->data)[0] == 2.0f);
    assert_null(cmp_set_get(&s, "other"));
    cmp_set_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_multiple_input_demo_rk3588),
        cmocka_unit_test(test_match_multiple_input_demo_rk3566),
        cmocka_unit_test(test_align_nhwc_transposed),
        cmocka_unit_test(test_align_nchw_to_nhwc_ref),
        cmocka_unit_test(test_align_squeezed_shapes_no_note),
        cmocka_unit_test(test_align_other_shape_noted_and_count_mismatch_refused),
        cmocka_unit_test(test_pack_nc1hwc2_int8_hand_bytes),
        cmocka_unit_test(test_pack_fp16_row_major),
        cmocka_unit_test(test_set_take_own_name_and_replace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
