/* Unit tests for common/rk_tensor.c: allocation, dtype table, fp16/bf16. */
#include "testutil.h"

#include <math.h>
#include <string.h>

#include "rk_tensor.h"

/* Values hand-derived from the IEEE 754 binary16 definition. */
static void test_f16_to_f32_known_values(void **state)
{
    (void)state;
    assert_true(rk_f16_to_f32(0x3c00) == 1.0f);
    assert_true(rk_f16_to_f32(0xc000) == -2.0f);
    assert_true(rk_f16_to_f32(0x7bff) == 65504.0f);
    assert_true(rk_f16_to_f32(0x0001) == ldexpf(1.0f, -24)); /* smallest subnormal */
    assert_true(rk_f16_to_f32(0x0400) == ldexpf(1.0f, -14)); /* smallest normal */
    assert_true(isinf(rk_f16_to_f32(0x7c00)));
    assert_true(isnan(rk_f16_to_f32(0x7e00)));
}

static void test_f32_to_f16_rounds_to_nearest_even(void **state)
{
    (void)state;
    assert_int_equal(rk_f32_to_f16(1.0f), 0x3c00);
    /* 1 + 2^-11 is exactly halfway between 1 and 1+2^-10: ties to even (1). */
    assert_int_equal(rk_f32_to_f16(1.0f + ldexpf(1.0f, -11)), 0x3c00);
    /* 1 + 3*2^-11 is halfway between 1+2^-10 (odd) and 1+2^-9: rounds up. */
    assert_int_equal(rk_f32_to_f16(1.0f + 3 * ldexpf(1.0f, -11)), 0x3c02);
    assert_int_equal(rk_f32_to_f16(65504.0f), 0x7bff);
    assert_int_equal(rk_f32_to_f16(65520.0f), 0x7c00); /* overflow to inf */
    assert_int_equal(rk_f32_to_f16(ldexpf(1.0f, -24)), 0x0001);
    assert_int_equal(rk_f32_to_f16(ldexpf(1.0f, -25)), 0x0000); /* tie to even: 0 */
    assert_int_equal(rk_f32_to_f16(-0.0f), 0x8000);
}

static void test_f16_round_trip_all_finite(void **state)
{
    (void)state;
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00) == 0x7c00)
            continue;
        assert_int_equal(rk_f32_to_f16(rk_f16_to_f32((uint16_t)h)), h);
    }
}

static void test_tensor_alloc_rejects_negative_dim(void **state)
{
    (void)state;
    rk_tensor t;
    rk_err e = {0};
    int64_t dims[2] = {3, -1};
    assert_int_equal(rk_tensor_alloc(&t, "x", RK_DT_F32, 2, dims, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "'x'"));
}

static void test_tensor_alloc_counts_elements(void **state)
{
    (void)state;
    rk_tensor t;
    int64_t dims[3] = {2, 3, 4};
    assert_int_equal(rk_tensor_alloc(&t, "y", RK_DT_I16, 3, dims, NULL), RK_OK);
    assert_int_equal(t.nelem, 24);
    assert_int_equal(rk_tensor_bytes(&t), 48);
    char buf[32];
    assert_string_equal(rk_shape_str(&t, buf, sizeof buf), "2x3x4");
    rk_tensor_free(&t);
}

/* String tensors (invariant in rk_tensor.h): zero-filled = all "", owned
 * char * elements, deep copy, free releases each string (ASan/LSan in the
 * sanitizer build reports any leak or double free here). */
static void test_tensor_string_alloc_copy_free(void **state)
{
    (void)state;
    assert_int_equal(rk_dtype_size(RK_DT_STRING), 0); /* "not numeric" signal */
    assert_int_equal(rk_dtype_storage_size(RK_DT_STRING), sizeof(char *));
    assert_int_equal(rk_dtype_storage_size(RK_DT_F32), 4);
    rk_tensor t, c, f;
    rk_err e = {0};
    int64_t dims[2] = {2, 2};
    assert_int_equal(rk_tensor_alloc(&t, "s", RK_DT_STRING, 2, dims, &e), RK_OK);
    assert_int_equal(t.nelem, 4);
    assert_int_equal(rk_tensor_bytes(&t), 0);
    for (int64_t i = 0; i < t.nelem; i++) {
        assert_null(((char **)t.data)[i]);
        assert_string_equal(rk_tensor_str(&t, i), "");
    }
    assert_int_equal(rk_tensor_set_str(&t, 0, "hello", 5), RK_OK);
    assert_int_equal(rk_tensor_set_str(&t, 2, "abcdef", 3), RK_OK); /* prefix only */
    assert_int_equal(rk_tensor_set_str(&t, 0, "replaced", 8), RK_OK); /* old one freed */
    assert_int_equal(rk_tensor_copy(&c, &t, &e), RK_OK);
    assert_int_equal(c.dtype, RK_DT_STRING);
    assert_string_equal(c.name, "s");
    assert_string_equal(rk_tensor_str(&c, 0), "replaced");
    assert_string_equal(rk_tensor_str(&c, 1), "");
    assert_string_equal(rk_tensor_str(&c, 2), "abc");
    /* duplicated, not aliased: editing the copy leaves the source alone */
    assert_ptr_not_equal(((char **)c.data)[0], ((char **)t.data)[0]);
    assert_int_equal(rk_tensor_set_str(&c, 0, "x", 1), RK_OK);
    assert_string_equal(rk_tensor_str(&t, 0), "replaced");
    /* strings are not numbers */
    assert_int_equal(rk_tensor_to_f32(&f, &t, &e), RK_EUNSUPPORTED);
    rk_tensor_free(&c);
    /* a borrowed view must not free the strings it does not own */
    rk_tensor view = t;
    view.name = NULL;
    view.borrowed = true;
    rk_tensor_free(&view);
    assert_string_equal(rk_tensor_str(&t, 2), "abc");
    rk_tensor_free(&t);
    assert_null(t.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_f16_to_f32_known_values),
        cmocka_unit_test(test_f32_to_f16_rounds_to_nearest_even),
        cmocka_unit_test(test_f16_round_trip_all_finite),
        cmocka_unit_test(test_tensor_alloc_rejects_negative_dim),
        cmocka_unit_test(test_tensor_alloc_counts_elements),
        cmocka_unit_test(test_tensor_string_alloc_copy_free),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
