/* Unit tests for common/rk_npy.c and common/rk_h5.c.  Interoperability with
 * numpy/h5py (the independent reference) is checked by tests/e2e/tensorio_numpy.sh. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rk_tensorio.h"

/* A hand-written .npy (format 1.0) holding int16 [[1, -2, 3]]. */
static const char hand_npy_header[] =
    "{'descr': '<i2', 'fortran_order': False, 'shape': (1, 3), }";

static size_t make_hand_npy(uint8_t *buf)
{
    size_t n = strlen(hand_npy_header);
    size_t hlen = 128 - 10; /* header padded so data starts at byte 128 */
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (uint8_t)hlen;
    buf[9] = 0;
    memset(buf + 10, ' ', hlen);
    memcpy(buf + 10, hand_npy_header, n);
    buf[10 + hlen - 1] = '\n';
    int16_t vals[3] = {1, -2, 3};
    memcpy(buf + 128, vals, sizeof vals);
    return 128 + sizeof vals;
}

static void test_npy_parse_hand_written_int16(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t len = make_hand_npy(buf);
    rk_tensor t;
    assert_int_equal(rk_npy_parse(buf, len, "hand.npy", &t, NULL), RK_OK);
    assert_int_equal(t.dtype, RK_DT_I16);
    assert_int_equal(t.ndim, 2);
    assert_int_equal(t.dims[1], 3);
    assert_int_equal(((int16_t *)t.data)[1], -2);
    rk_tensor_free(&t);
}

static void test_npy_parse_truncated_data_names_file(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t len = make_hand_npy(buf);
    rk_tensor t;
    rk_err e = {0};
    assert_int_equal(rk_npy_parse(buf, len - 1, "cut.npy", &t, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "cut.npy"));
    assert_non_null(strstr(e.msg, "truncated"));
    for (size_t cut = 0; cut < 128; cut++) /* every header truncation fails cleanly */
        assert_int_not_equal(rk_npy_parse(buf, cut, "cut.npy", &t, NULL), RK_OK);
}

/* Found by fuzz_npy: a header may claim a shape far larger than the file;
 * the parser must refuse before allocating (this one would need 4 EiB). */
static void test_npy_parse_huge_shape_refused_before_allocation(void **state)
{
    (void)state;
    uint8_t buf[256];
    size_t len = make_hand_npy(buf);
    const char *huge = "{'descr': '<i2', 'fortran_order': False, 'shape': (2147483647, 2147483647), }";
    memset(buf + 10, ' ', 118);
    memcpy(buf + 10, huge, strlen(huge));
    buf[127] = '\n';
    rk_tensor t;
    rk_err e = {0};
    assert_int_equal(rk_npy_parse(buf, len, "huge.npy", &t, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "huge.npy"));
}

static void test_npy_parse_rejects_bad_magic(void **state)
{
    (void)state;
    rk_tensor t;
    rk_err e = {0};
    assert_int_equal(rk_npy_parse((const uint8_t *)"hello world!", 12, "x.npy", &t, &e),
                     RK_EINPUT);
    assert_non_null(strstr(e.msg, "not a .npy"));
}

static void test_npy_write_read_round_trip(void **state)
{
    (void)state;
    const char *path = tu_tmp_path(".npy");
    rk_tensor t, back;
    int64_t dims[3] = {2, 1, 3};
    assert_int_equal(rk_tensor_alloc(&t, "x", RK_DT_F32, 3, dims, NULL), RK_OK);
    for (int i = 0; i < 6; i++)
        ((float *)t.data)[i] = (float)i * 0.5f - 1.0f;
    assert_int_equal(rk_npy_write(path, &t, NULL), RK_OK);
    assert_int_equal(rk_npy_read(path, &back, NULL), RK_OK);
    assert_true(rk_shape_equal(&t, &back));
    assert_memory_equal(t.data, back.data, 24);
    rk_tensor_free(&t);
    rk_tensor_free(&back);
    unlink(path);
}

static void test_h5_round_trip_keeps_names_with_slashes(void **state)
{
    (void)state;
    const char *path = tu_tmp_path(".h5");
    rk_tensor ts[2];
    int64_t d1[2] = {2, 2}, d2[1] = {3};
    assert_int_equal(rk_tensor_alloc(&ts[0], "/model/conv_1/Conv_output_0", RK_DT_F16, 2, d1, NULL), RK_OK);
    assert_int_equal(rk_tensor_alloc(&ts[1], "50%", RK_DT_I8, 1, d2, NULL), RK_OK);
    ((uint16_t *)ts[0].data)[3] = 0x3c00;
    ((int8_t *)ts[1].data)[2] = -128;
    assert_int_equal(rk_h5_write(path, ts, 2, NULL), RK_OK);
    rk_tensor_list l = {0};
    assert_int_equal(rk_tensorfile_read(path, &l, NULL), RK_OK);
    assert_int_equal(l.count, 2);
    rk_tensor *a = rk_tensor_list_find(&l, "/model/conv_1/Conv_output_0");
    rk_tensor *b = rk_tensor_list_find(&l, "50%");
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(a->dtype, RK_DT_F16);
    assert_int_equal(((uint16_t *)a->data)[3], 0x3c00);
    assert_int_equal(((int8_t *)b->data)[2], -128);
    assert_string_equal(l.items[0].name, "/model/conv_1/Conv_output_0"); /* write order kept */
    rk_tensor_list_free(&l);
    rk_tensor_free(&ts[0]);
    rk_tensor_free(&ts[1]);
    unlink(path);
}

static void test_tensorfile_read_rejects_unknown_format(void **state)
{
    (void)state;
    const char *path = tu_tmp_path(".txt");
    FILE *f = fopen(path, "w");
    fputs("1,2,3\n", f);
    fclose(f);
    rk_tensor_list l = {0};
    rk_err e = {0};
    assert_int_equal(rk_tensorfile_read(path, &l, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, path));
    unlink(path);
    assert_int_equal(rk_tensorfile_read(path, &l, &e), RK_EIO); /* now missing */
}

static void test_h5_read_truncated_file_fails_cleanly(void **state)
{
    (void)state;
    const char *path = tu_tmp_path(".h5");
    rk_tensor t;
    int64_t d[1] = {1000};
    assert_int_equal(rk_tensor_alloc(&t, "big", RK_DT_F32, 1, d, NULL), RK_OK);
    assert_int_equal(rk_h5_write(path, &t, 1, NULL), RK_OK);
    rk_tensor_free(&t);
    assert_int_equal(truncate(path, 1500), 0);
    rk_tensor_list l = {0};
    rk_err e = {0};
    assert_int_not_equal(rk_tensorfile_read(path, &l, &e), RK_OK);
    assert_non_null(strstr(e.msg, path));
    rk_tensor_list_free(&l);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_npy_parse_hand_written_int16),
        cmocka_unit_test(test_npy_parse_truncated_data_names_file),
        cmocka_unit_test(test_npy_parse_huge_shape_refused_before_allocation),
        cmocka_unit_test(test_npy_parse_rejects_bad_magic),
        cmocka_unit_test(test_npy_write_read_round_trip),
        cmocka_unit_test(test_h5_round_trip_keeps_names_with_slashes),
        cmocka_unit_test(test_tensorfile_read_rejects_unknown_format),
        cmocka_unit_test(test_h5_read_truncated_file_fails_cleanly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
