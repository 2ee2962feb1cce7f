/*
 * Unit tests for the onnxref data-movement, reduction and quantisation
 * kernels (onnxref/ops_shape.c, ops_reduce.c, ops_misc.c): edge cases the
 * ONNX backend node tests (libonnx-testdata) do not cover.
 *
 * Each test builds a one-node ONNX model in memory with a minimal protobuf
 * writer (field numbers from onnx.proto), loads it with
 * ox_model_load_buffer and runs it with ox_run, so attributes travel the
 * same path as in real models.  Every expected value is hand-derived from
 * the ONNX operator specification; the derivation is in the comment.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnxref.h"
#include "pbwriter.h"

/* ------------------------------------------------------ protobuf writer */

/* pb, pb_raw ... pb_msg: tests/support/pbwriter.h */

/* AttributeProto: name 1, f 2, i 3, s 4, t 5, floats 7, ints 8, type 20. */
enum { AT_FLOAT = 1, AT_INT = 2, AT_STRING = 3, AT_TENSOR = 4, AT_FLOATS = 6, AT_INTS = 7 };

static void attr_int(pb *attrs, const char *name, int64_t v)
{
    pb a = {0};
    pb_str(&a, 1, name);
    pb_int(&a, 3, v);
    pb_int(&a, 20, AT_INT);
    pb_msg(attrs, 5, &a);
}

static void attr_ints(pb *attrs, const char *name, const int64_t *v, int n)
{
    pb a = {0};
    pb_str(&a, 1, name);
    for (int i = 0; i < n; i++)
        pb_int(&a, 8, v[i]);
    pb_int(&a, 20, AT_INTS);
    pb_msg(attrs, 5, &a);
}

static void attr_float(pb *attrs, const char *name, float v)
{
    pb a = {0};
    pb_str(&a, 1, name);
    pb_key(&a, 2, 5);
    pb_raw(&a, &v, 4); /* little-endian host assumed (x86-64, aarch64) */
    pb_int(&a, 20, AT_FLOAT);
    pb_msg(attrs, 5, &a);
}

static void attr_string(pb *attrs, const char *name, const char *s)
{
    pb a = {0};
    pb_str(&a, 1, name);
    pb_str(&a, 4, s);
    pb_int(&a, 20, AT_STRING);
    pb_msg(attrs, 5, &a);
}

/* A one-node model: inputs "i0".."i{nin-1}" (NULL entries become omitted
 * "" inputs), outputs "o0"..; node attributes pre-encoded in `attrs`. */
static uint8_t *build_model(const char *op, int opset, pb *attrs, const bool *present,
                            int nin, int nout, size_t *len)
{
    pb node = {0}, graph = {0}, model = {0}, opset_msg = {0};
    char name[16];
    for (int i = 0; i < nin; i++) {
        snprintf(name, sizeof name, "i%d", i);
        pb_str(&node, 1, present[i] ? name : "");
    }
    for (int i = 0; i < nout; i++) {
        snprintf(name, sizeof name, "o%d", i);
        pb_str(&node, 2, name);
    }
    pb_str(&node, 4, op);
    if (attrs && attrs->len)
        pb_raw(&node, attrs->buf, attrs->len);
    pb_msg(&graph, 1, &node);
    pb_str(&graph, 2, "g");
    for (int i = 0; i < nin; i++) {
        if (!present[i])
            continue;
        pb vi = {0};
        snprintf(name, sizeof name, "i%d", i);
        pb_str(&vi, 1, name);
        pb_msg(&graph, 11, &vi);
    }
    for (int i = 0; i < nout; i++) {
        pb vi = {0};
        snprintf(name, sizeof name, "o%d", i);
        pb_str(&vi, 1, name);
        pb_msg(&graph, 12, &vi);
    }
    pb_int(&model, 1, 8); /* ir_version */
    pb_str(&opset_msg, 1, "");
    pb_int(&opset_msg, 2, opset);
    pb_msg(&model, 8, &opset_msg);
    pb_msg(&model, 7, &graph);
    *len = model.len;
    return model.buf;
}

/* Runs op on the given inputs (NULL pointer in `in` = omitted input).
 * On success the nout outputs are in `out` (caller frees). */
static rk_status run_op(const char *op, int opset, pb *attrs, const rk_tensor *const *in,
                        int nin, rk_tensor *out, int nout, rk_err *e)
{
    bool present[8] = {false};
    rk_tensor feeds[8];
    int nfeed = 0;
    assert_true(nin <= 8);
    for (int i = 0; i < nin; i++) {
        present[i] = in[i] != NULL;
        if (in[i]) {
            feeds[nfeed] = *in[i];
            feeds[nfeed].borrowed = true;
            char name[16];
            snprintf(name, sizeof name, "i%d", i);
            feeds[nfeed].name = strdup(name);
            nfeed++;
        }
    }
    size_t len;
    uint8_t *buf = build_model(op, opset, attrs, present, nin, nout, &len);
    if (attrs) {
        free(attrs->buf);
        memset(attrs, 0, sizeof *attrs);
    }
    ox_model *m = NULL;
    rk_status st = ox_model_load_buffer(buf, len, "test model", NULL, &m, e);
    free(buf);
    if (st == RK_OK)
        st = ox_model_check_supported(m, e);
    if (st == RK_OK)
        st = ox_run(m, feeds, nfeed, NULL, out, e);
    ox_model_free(m);
    for (int i = 0; i < nfeed; i++)
        free(feeds[i].name);
    return st;
}

/* ---------------------------------------------------------- tensor helpers */

static rk_tensor make(rk_dtype dt, int ndim, const int64_t *dims, const void *data)
{
    rk_tensor t;
    rk_err e = {0};
    assert_int_equal(rk_tensor_alloc(&t, NULL, dt, ndim, dims, &e), RK_OK);
    if (data && t.nelem)
        memcpy(t.data, data, rk_tensor_bytes(&t));
    return t;
}

static rk_tensor vec_i64(int n, const int64_t *v)
{
    int64_t d = n;
    return make(RK_DT_I64, 1, &d, v);
}

static rk_tensor vec_f32(int n, const float *v)
{
    int64_t d = n;
    return make(RK_DT_F32, 1, &d, v);
}

static rk_tensor scalar_i64(int64_t v)
{
    return make(RK_DT_I64, 0, NULL, &v);
}

static rk_tensor scalar_f32(float v)
{
    return make(RK_DT_F32, 0, NULL, &v);
}

/* 0, 1, 2, ... as float32 of the given shape. */
static rk_tensor iota_f32(int ndim, const int64_t *dims)
{
    rk_tensor t = make(RK_DT_F32, ndim, dims, NULL);
    for (int64_t i = 0; i < t.nelem; i++)
        ((float *)t.data)[i] = (float)i;
    return t;
}

static void expect_shape(const rk_tensor *t, int ndim, const int64_t *dims)
{
    assert_int_equal(t->ndim, ndim);
    for (int i = 0; i < ndim; i++)
        assert_int_equal(t->dims[i], dims[i]);
}

static void expect_f32(const rk_tensor *t, int n, const float *want)
{
    assert_int_equal(t->dtype, RK_DT_F32);
    assert_int_equal(t->nelem, n);
    for (int i = 0; i < n; i++)
        assert_float_equal(((const float *)t->data)[i], want[i], 1e-6 * (1 + fabsf(want[i])));
}

static void expect_i64(const rk_tensor *t, int n, const int64_t *want)
{
    assert_int_equal(t->dtype, RK_DT_I64);
    assert_int_equal(t->nelem, n);
    for (int i = 0; i < n; i++)
        assert_int_equal(((const int64_t *)t->data)[i], want[i]);
}

static void free_all(rk_tensor *t, int n)
{
    for (int i = 0; i < n; i++)
        rk_tensor_free(&t[i]);
}

/* ------------------------------------------------------------- Reshape */

/* shape [0, -1] on 2x3x4: 0 copies dim 0 (2), -1 absorbs 24/2 = 12. */
static void test_reshape_zero_copies_input_dim(void **state)
{
    (void)state;
    int64_t xd[3] = {2, 3, 4}, sv[2] = {0, -1}, want[2] = {2, 12};
    rk_tensor x = iota_f32(3, xd), s = vec_i64(2, sv), out[1];
    const rk_tensor *in[2] = {&x, &s};
    rk_err e = {0};
    assert_int_equal(run_op("Reshape", 14, NULL, in, 2, out, 1, &e), RK_OK);
    expect_shape(&out[0], 2, want);
    assert_true(((float *)out[0].data)[23] == 23.0f);
    free_all(out, 1);
    rk_tensor_free(&x);
    rk_tensor_free(&s);
}

/* allowzero=1 keeps a literal 0: a 0x3x4 tensor reshapes to [3, 4, 0];
 * without allowzero the 0 would copy input dim 2 (4) giving 48 elements,
 * which the 0-element input cannot fill. */
static void test_reshape_allowzero_keeps_zero(void **state)
{
    (void)state;
    int64_t xd[3] = {0, 3, 4}, sv[3] = {3, 4, 0}, want[3] = {3, 4, 0};
    rk_tensor x = make(RK_DT_F32, 3, xd, NULL), s = vec_i64(3, sv), out[1];
    const rk_tensor *in[2] = {&x, &s};
    rk_err e = {0};
    pb a = {0};
    attr_int(&a, "allowzero", 1);
    assert_int_equal(run_op("Reshape", 14, &a, in, 2, out, 1, &e), RK_OK);
    expect_shape(&out[0], 3, want);
    free_all(out, 1);
    assert_int_equal(run_op("Reshape", 14, NULL, in, 2, out, 1, &e), RK_EINPUT);
    rk_tensor_free(&x);
    rk_tensor_free(&s);
}

static void test_reshape_two_inferred_dims_rejected(void **state)
{
    (void)state;
    int64_t xd[1] = {6}, sv[2] = {-1, -1};
    rk_tensor x = iota_f32(1, xd), s = vec_i64(2, sv), out[1];
    const rk_tensor *in[2] = {&x, &s};
    rk_err e = {0};
    assert_int_equal(run_op("Reshape", 13, NULL, in, 2, out, 1, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "Reshape"));
    rk_tensor_free(&x);
    rk_tensor_free(&s);
}

/* --------------------------------------------------------------- Slice */

/* x = 0..9, start -1 (-> 9), end INT64_MIN (clamps to -1: before index 0),
 * step -3: indices 9, 6, 3, 0. */
static void test_slice_negative_step_to_int64_min(void **state)
{
    (void)state;
    int64_t xd[1] = {10}, st = -1, en = INT64_MIN, ax = 0, sp = -3;
    rk_tensor x = iota_f32(1, xd), ts = vec_i64(1, &st), te = vec_i64(1, &en),
              ta = vec_i64(1, &ax), tp = vec_i64(1, &sp), out[1];
    const rk_tensor *in[5] = {&x, &ts, &te, &ta, &tp};
    rk_err e = {0};
    assert_int_equal(run_op("Slice", 13, NULL, in, 5, out, 1, &e), RK_OK);
    float want[4] = {9, 6, 3, 0};
    expect_f32(&out[0], 4, want);
    free_all(out, 1);
    rk_tensor *all[5] = {&x, &ts, &te, &ta, &tp};
    for (int i = 0; i < 5; i++)
        rk_tensor_free(all[i]);
}

/* 2x5 input, axis -1, start 1, end INT64_MAX (clamps to 5), step 2:
 * columns 1, 3 of rows [0..4] and [5..9]. */
static void test_slice_int64_max_end_with_step(void **state)
{
    (void)state;
    int64_t xd[2] = {2, 5}, st = 1, en = INT64_MAX, ax = -1, sp = 2, want_d[2] = {2, 2};
    rk_tensor x = iota_f32(2, xd), ts = vec_i64(1, &st), te = vec_i64(1, &en),
              ta = vec_i64(1, &ax), tp = vec_i64(1, &sp), out[1];
    const rk_tensor *in[5] = {&x, &ts, &te, &ta, &tp};
    rk_err e = {0};
    assert_int_equal(run_op("Slice", 13, NULL, in, 5, out, 1, &e), RK_OK);
    expect_shape(&out[0], 2, want_d);
    float want[4] = {1, 3, 6, 8};
    expect_f32(&out[0], 4, want);
    free_all(out, 1);
    /* A start beyond the end gives an empty axis, not an error. */
    ((int64_t *)ts.data)[0] = 7;
    assert_int_equal(run_op("Slice", 13, NULL, in, 5, out, 1, &e), RK_OK);
    assert_int_equal(out[0].dims[1], 0);
    free_all(out, 1);
    /* Step 0 is invalid. */
    ((int64_t *)tp.data)[0] = 0;
    assert_int_equal(run_op("Slice", 13, NULL, in, 5, out, 1, &e), RK_EINPUT);
    rk_tensor *all[5] = {&x, &ts, &te, &ta, &tp};
    for (int i = 0; i < 5; i++)
        rk_tensor_free(all[i]);
}

/* Slice-1 attribute form: starts [1], ends [1000] (clamped to 3), axes [1]
 * on a 2x3 input gives columns 1..2. */
static void test_slice_opset1_attributes(void **state)
{
    (void)state;
    int64_t xd[2] = {2, 3}, st = 1, en = 1000, ax = 1;
    rk_tensor x = iota_f32(2, xd), out[1];
    const rk_tensor *in[1] = {&x};
    rk_err e = {0};
    pb a = {0};
    attr_ints(&a, "starts", &st, 1);
    attr_ints(&a, "ends", &en, 1);
    attr_ints(&a, "axes", &ax, 1);
    assert_int_equal(run_op("Slice", 1, &a, in, 1, out, 1, &e), RK_OK);
    float want[4] = {1, 2, 4, 5};
    expect_f32(&out[0], 4, want);
    free_all(out, 1);
    rk_tensor_free(&x);
}

/* ------------------------------------------------------- empty tensors */

/* Concat of 2x0 and 2x3 along axis 1 is the 2x3 input; Transpose of 0x3
 * is 3x0. */
static void test_concat_and_transpose_empty(void **state)
{
    (void)state;
    int64_t ad[2] = {2, 0}, bd[2] = {2, 3}, td[2] = {3, 0};
    rk_tensor a = make(RK_DT_F32, 2, ad, NULL), b = iota_f32(2, bd), out[1];
    const rk_tensor *in[2] = {&a, &b};
    rk_err e = {0};
    pb at = {0};
    attr_int(&at, "axis", 1);
    assert_int_equal(run_op("Concat", 13, &at, in, 2, out, 1, &e), RK_OK);
    float want[6] = {0, 1, 2, 3, 4, 5};
    expect_f32(&out[0], 6, want);
    free_all(out, 1);
    int64_t zd[2] = {0, 3};
    rk_tensor z = make(RK_DT_F32, 2, zd, NULL);
    const rk_tensor *tin[1] = {&z};
    assert_int_equal(run_op("Transpose", 13, NULL, tin, 1, out, 1, &e), RK_OK);
    expect_shape(&out[0], 2, td);
    free_all(out, 1);
    rk_tensor_free(&a);
    rk_tensor_free(&b);
    rk_tensor_free(&z);
}

/* --------------------------------------------------------------- Split */

/* Split-18 num_outputs=3 on 7 elements: chunks of ceil(7/3) = 3, last 1. */
static void test_split_num_outputs_uneven(void **state)
{
    (void)state;
    int64_t xd[1] = {7};
    rk_tensor x = iota_f32(1, xd), out[3];
    const rk_tensor *in[1] = {&x};
    rk_err e = {0};
    pb a = {0};
    attr_int(&a, "num_outputs", 3);
    assert_int_equal(run_op("Split", 18, &a, in, 1, out, 3, &e), RK_OK);
    float w0[3] = {0, 1, 2}, w1[3] = {3, 4, 5}, w2[1] = {6};
    expect_f32(&out[0], 3, w0);
    expect_f32(&out[1], 3, w1);
    expect_f32(&out[2], 1, w2);
    free_all(out, 3);
    rk_tensor_free(&x);
}

/* Split-2 'split' attribute [1, 2]; sizes that do not sum to the axis fail. */
static void test_split_opset2_attribute(void **state)
{
    (void)state;
    int64_t xd[1] = {3}, sp[2] = {1, 2}, bad[2] = {1, 1};
    rk_tensor x = iota_f32(1, xd), out[2];
    const rk_tensor *in[1] = {&x};
    rk_err e = {0};
    pb a = {0};
    attr_ints(&a, "split", sp, 2);
    assert_int_equal(run_op("Split", 2, &a, in, 1, out, 2, &e), RK_OK);
    float w0[1] = {0}, w1[2] = {1, 2};
    expect_f32(&out[0], 1, w0);
    expect_f32(&out[1], 2, w1);
    free_all(out, 2);
    attr_ints(&a, "split", bad, 2);
    assert_int_equal(run_op("Split", 2, &a, in, 1, out, 2, &e), RK_EINPUT);
    rk_tensor_free(&x);
}

/* ----------------------------------------------------------------- Pad */

/* x = [1, 2, 3], pads [2, 2].  reflect mirrors without the edge:
 * 3 2 | 1 2 3 | 2 1; edge repeats it: 1 1 | 1 2 3 | 3 3; wrap (opset 19)
 * continues periodically: 2 3 | 1 2 3 | 1 2. */
static void run_pad_mode(const char *mode, int opset, const float *want)
{
    float xv[3] = {1, 2, 3};
    int64_t pads[2] = {2, 2};
    rk_tensor x = vec_f32(3, xv), p = vec_i64(2, pads), out[1];
    const rk_tensor *in[2] = {&x, &p};
    rk_err e = {0};
    pb a = {0};
    attr_string(&a, "mode", mode);
    assert_int_equal(run_op("Pad", opset, &a, in, 2, out, 1, &e), RK_OK);
    expect_f32(&out[0], 7, want);
    free_all(out, 1);
    rk_tensor_free(&x);
    rk_tensor_free(&p);
}

static void test_pad_reflect_edge_wrap(void **state)
{
    (void)state;
    float reflect[7] = {3, 2, 1, 2, 3, 2, 1}, edge[7] = {1, 1, 1, 2, 3, 3, 3},
          wrap[7] = {2, 3, 1, 2, 3, 1, 2};
    run_pad_mode("reflect", 13, reflect);
    run_pad_mode("edge", 13, edge);
    run_pad_mode("wrap", 19, wrap);
}

/* Pad-2 attribute form with value 9: [9 9 1 2 3 9 9]; negative pads crop:
 * pads [-1, 1] on [1 2 3] -> [2 3 9]. */
static void test_pad_opset2_attributes_and_negative_pads(void **state)
{
    (void)state;
    float xv[3] = {1, 2, 3};
    int64_t pads[2] = {2, 2}, crop[2] = {-1, 1};
    rk_tensor x = vec_f32(3, xv), out[1];
    const rk_tensor *in[1] = {&x};
    rk_err e = {0};
    pb a = {0};
    attr_ints(&a, "pads", pads, 2);
    attr_float(&a, "value", 9.0f);
    assert_int_equal(run_op("Pad", 2, &a, in, 1, out, 1, &e), RK_OK);
    float want[7] = {9, 9, 1, 2, 3, 9, 9};
    expect_f32(&out[0], 7, want);
    free_all(out, 1);
    attr_ints(&a, "pads", crop, 2);
    attr_float(&a, "value", 9.0f);
    assert_int_equal(run_op("Pad", 2, &a, in, 1, out, 1, &e), RK_OK);
    float want2[3] = {2, 3, 9};
    expect_f32(&out[0], 3, want2);
    free_all(out, 1);
    rk_tensor_free(&x);
}

/* ---------------------------------------------------- Squeeze/Unsqueeze */

static void test_squeeze_attr_axes_and_non_unit_axis(void **state)
{
    (void)state;
    int64_t xd[3] = {1, 3, 1}, ax = 2, bad = 1, want[2] = {1, 3};
    rk_tensor x = iota_f32(3, xd), out[1];
    const rk_tensor *in[1] = {&x};
    rk_err e = {0};
    pb a = {0};
    attr_ints(&a, "axes", &ax, 1);
    assert_int_equal(run_op("Squeeze", 11, &a, in, 1, out, 1, &e), RK_OK);
    expect_shape(&out[0], 2, want);
    free_all(out, 1);
    attr_ints(&a, "axes", &bad, 1);
    assert_int_equal(run_op("Squeeze", 11, &a, in, 1, out, 1, &e), RK_EINPUT);
    rk_tensor_free(&x);
}

/* Unsqueeze-13 axes [-1, 0] on [2]: output rank 3, axes 2 and 0 -> 1x2x1. */
static void test_unsqueeze_negative_axes_input(void **state)
{
    (void)state;
    int64_t xd[1] = {2}, axv[2] = {-1, 0}, want[3] = {1, 2, 1};
    rk_tensor x = iota_f32(1, xd), ax = vec_i64(2, axv), out[1];
    const rk_tensor *in[2] = {&x, &ax};
    rk_err e = {0};
    assert_int_equal(run_op("Unsqueeze", 13, NULL, in, 2, out, 1, &e), RK_OK);
    expect_shape(&out[0], 3, want);
    free_all(out, 1);
    rk_tensor_free(&x);
    rk_tensor_free(&ax);
}

/* ----------------------------------------------------- Gather / Scatter */

static void test_gather_out_of_range_index_rejected(void **state)
{
    (void)state;
    int64_t xd[1] = {3}, idx[2] = {-3, 3};
    rk_tensor x = iota_f32(1, xd), ti = vec_i64(2, idx), out[1];
    const rk_tensor *in[2] = {&x, &ti};
    rk_err e = {0};
    assert_int_equal(run_op("Gather", 13, NULL, in, 2, out, 1, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "index 3"));
    ((int64_t *)ti.data)[1] = -1; /* -3 -> 0, -1 -> 2 */
    assert_int_equal(run_op("Gather", 13, NULL, in, 2, out, 1, &e), RK_OK);
    float want[2] = {0, 2};
    expect_f32(&out[0], 2, want);
    free_all(out, 1);
    rk_tensor_free(&x);
    rk_tensor_free(&ti);
}

/* ScatterND-16 reduction add with a repeated index: data [1 2 3 4],
 * indices [[1], [1], [3]], updates [10 20 30] -> [1, 32, 3, 34]. */
static void test_scatternd_add_duplicate_indices(void **state)
{
    (void)state;
    float dv[4] = {1, 2, 3, 4}, uv[3] = {10, 20, 30};
    int64_t id[2] = {3, 1}, iv[3] = {1, 1, 3};
    rk_tensor d = vec_f32(4, dv), i = make(RK_DT_I64, 2, id, iv), u = vec_f32(3, uv), out[1];
    const rk_tensor *in[3] = {&d, &i, &u};
    rk_err e = {0};
    pb a = {0};
    attr_string(&a, "reduction", "add");
    assert_int_equal(run_op("ScatterND", 16, &a, in, 3, out, 1, &e), RK_OK);
    float want[4] = {1, 32, 3, 34};
    expect_f32(&out[0], 4, want);
    free_all(out, 1);
    rk_tensor_free(&d);
    rk_tensor_free(&i);
    rk_tensor_free(&u);
}

/* ------------------------------------------------------- Expand / Tile */

/* Expand 3x1 [0 1 2] to shape [2, 1, 4]: numpy broadcast gives 2x3x4 with
 * each row constant. */
static void test_expand_broadcasts_both_ways(void **state)
{
    (void)state;
    int64_t xd[2] = {3, 1}, sv[3] = {2, 1, 4}, want[3] = {2, 3, 4};
    rk_tensor x = iota_f32(2, xd), s = vec_i64(3, sv), out[1];
    const rk_tensor *in[2] = {&x, &s};
    rk_err e = {0};
    assert_int_equal(run_op("Expand", 13, NULL, in, 2, out, 1, &e), RK_OK);
    expect_shape(&out[0], 3, want);
    const float *o = out[0].data;
    assert_true(o[0] == 0 && o[3] == 0 && o[4] == 1 && o[11] == 2 && o[23] == 2);
    free_all(out, 1);
    rk_tensor_free(&x);
    rk_tensor_free(&s);
}

/* Tile 2x1 int64 [5, 6] by [2, 3] -> 4x3: rows 5 5 5 / 6 6 6 / 5 5 5 / 6 6 6. */
static void test_tile_int64(void **state)
{
    (void)state;
    int64_t xd[2] = {2, 1}, xv[2] = {5, 6}, rv[2] = {2, 3};
    rk_tensor x = make(RK_DT_I64, 2, xd, xv), r = vec_i64(2, rv), out[1];
    const rk_tensor *in[2] = {&x, &r};
    rk_err e = {0};
    assert_int_equal(run_op("Tile", 13, NULL, in, 2, out, 1, &e), RK_OK);
    int64_t want[12] = {5, 5, 5, 6, 6, 6, 5, 5, 5, 6, 6, 6};
    expect_i64(&out[0], 12, want);
    free_all(out, 1);
    rk_tensor_free(&x);
    rk_tensor_free(&r);
}

/* -------------------------------------------------- Shape / Range / Cast */

/* Shape-15 start -3, end -1 on rank 4 [2,3,4,5]: dims 1..2 -> [3, 4]. */
static void test_shape_negative_start_end(void **state)
{
    (void)state;
    int64_t xd[4] = {2, 3, 4, 5};
    rk_tensor x = make(RK_DT_F32, 4, xd, NULL), out[1];
    const rk_tensor *in[1] = {&x};
    rk_err e = {0};
    pb a = {0};
    attr_int(&a, "start", -3);
    attr_int(&a, "end", -1);
    assert_int_equal(run_op("Shape", 15, &a, in, 1, out, 1, &e), RK_OK);
    int64_t want[2] = {3, 4};
    expect_i64(&out[0], 2, want);
    free_all(out, 1);
    rk_tensor_free(&x);
}

/* Range(1, -1, -0.5): ceil((-1 - 1) / -0.5) = 4 values 1, 0.5, 0, -0.5. */
static void test_range_negative_float_delta(void **state)
{
    (void)state;
    rk_tensor s = scalar_f32(1), l = scalar_f32(-1), d = scalar_f32(-0.5f), out[1];
    const rk_tensor *in[3] = {&s, &l, &d};
    rk_err e = {0};
    assert_int_equal(run_op("Range", 11, NULL, in, 3, out, 1, &e), RK_OK);
    float want[4] = {1, 0.5f, 0, -0.5f};
    expect_f32(&out[0], 4, want);
    free_all(out, 1);
    *(float *)d.data = 0;
    assert_int_equal(run_op("Range", 11, NULL, in, 3, out, 1, &e), RK_EINPUT);
    rk_tensor_free(&s);
    rk_tensor_free(&l);
    rk_tensor_free(&d);
}

/* Cast float -> int32 truncates toward zero (2.9 -> 2, -2.9 -> -2); int64
 * 2049 -> float16 ties to even (2048, mantissa even; float16 spacing is 2
 * there); Cast-1 names the type as a string. */
static void test_cast_truncation_and_half_ties(void **state)
{
    (void)state;
    float xv[2] = {2.9f, -2.9f};
    rk_tensor x = vec_f32(2, xv), out[1];
    const rk_tensor *in[1] = {&x};
    rk_err e = {0};
    pb a = {0};
    attr_int(&a, "to", RK_DT_I32);
    assert_int_equal(run_op("Cast", 13, &a, in, 1, out, 1, &e), RK_OK);
    assert_int_equal(out[0].dtype, RK_DT_I32);
    assert_int_equal(((int32_t *)out[0].data)[0], 2);
    assert_int_equal(((int32_t *)out[0].data)[1], -2);
    free_all(out, 1);
    int64_t v = 2049;
    rk_tensor h = vec_i64(1, &v);
    const rk_tensor *hin[1] = {&h};
    attr_int(&a, "to", RK_DT_F16);
    assert_int_equal(run_op("Cast", 13, &a, hin, 1, out, 1, &e), RK_OK);
    assert_int_equal(((uint16_t *)out[0].data)[0], rk_f32_to_f16(2048.0f));
    free_all(out, 1);
    attr_string(&a, "to", "INT64");
    assert_int_equal(run_op("Cast", 1, &a, in, 1, out, 1, &e), RK_OK);
    int64_t want[2] = {2, -2};
    expect_i64(&out[0], 2, want);
    free_all(out, 1);
    rk_tensor_free(&x);
    rk_tensor_free(&h);
}

/* Trilu lower with k = -1 on 3x3 0..8 keeps j <= i - 1: 0 0 0 / 3 0 0 / 6 7 0. */
static void test_trilu_lower_negative_k(void **state)
{
    (void)state;
    int64_t xd[2] = {3, 3};
    rk_tensor x = iota_f32(2, xd), k = scalar_i64(-1), out[1];
    const rk_tensor *in[2] = {&x, &k};
    rk_err e = {0};
    pb a = {0};
    attr_int(&a, "upper", 0);
    assert_int_equal(run_op("Trilu", 14, &a, in, 2, out, 1, &e), RK_OK);
    float want[9] = {0, 0, 0, 3, 0, 0, 6, 7, 0};
    expect_f32(&out[0], 9, want);
    free_all(out, 1);
    rk_tensor_free(&x);
    rk_tensor_free(&k);
}

/* Constant-12 value_ints [4, -5] is an int64 vector. */
static void test_constant_value_ints(void **state)
{
    (void)state;
    int64_t v[2] = {4, -5};
    rk_tensor out[1];
    rk_err e = {0};
    pb a = {0};
    attr_ints(&a, "value_ints", v, 2);
    assert_int_equal(run_op("Constant", 13, &a, NULL, 0, out, 1, &e), RK_OK);
    expect_i64(&out[0], 2, v);
    free_all(out, 1);
}

/* ---------------------------------------------------------- reductions */

/* ReduceSum-13 with no axes and noop_with_empty_axes=1 is the identity;
 * without the flag it sums everything (0+..+5 = 15, keepdims -> 1x1). */
static void test_reduce_sum_noop_with_empty_axes(void **state)
{
    (void)state;
    int64_t xd[2] = {2, 3}, one[2] = {1, 1};
    rk_tensor x = iota_f32(2, xd), out[1];
    const rk_tensor *in[1] = {&x};
    rk_err e = {0};
    pb a = {0};
    attr_int(&a, "noop_with_empty_axes", 1);
    assert_int_equal(run_op("ReduceSum", 13, &a, in, 1, out, 1, &e), RK_OK);
    expect_shape(&out[0], 2, xd);
    free_all(out, 1);
    assert_int_equal(run_op("ReduceSum", 13, NULL, in, 1, out, 1, &e), RK_OK);
    expect_shape(&out[0], 2, one);
    float want[1] = {15};
    expect_f32(&out[0], 1, want);
    free_all(out, 1);
    rk_tensor_free(&x);
}

/* ReduceMean-18 takes axes as an input: mean over axis 1 of
 * [[0 1 2], [3 4 5]] with keepdims=0 -> [1, 4]; ReduceMax-11 takes the
 * attribute: max over axis 0 -> [3 4 5]. */
static void test_reduce_axes_input_and_attribute(void **state)
{
    (void)state;
    int64_t xd[2] = {2, 3}, axv = 1, ax0 = 0;
    rk_tensor x = iota_f32(2, xd), ax = vec_i64(1, &axv), out[1];
    const rk_tensor *in[2] = {&x, &ax};
    rk_err e = {0};
    pb a = {0};
    attr_int(&a, "keepdims", 0);
    assert_int_equal(run_op("ReduceMean", 18, &a, in, 2, out, 1, &e), RK_OK);
    float want[2] = {1, 4};
    expect_f32(&out[0], 2, want);
    free_all(out, 1);
    attr_int(&a, "keepdims", 0);
    attr_ints(&a, "axes", &ax0, 1);
    assert_int_equal(run_op("ReduceMax", 11, &a, in, 1, out, 1, &e), RK_OK);
    float want2[3] = {3, 4, 5};
    expect_f32(&out[0], 3, want2);
    free_all(out, 1);
    rk_tensor_free(&x);
    rk_tensor_free(&ax);
}

/* LogSumExp of [1000, 1000] = 1000 + ln 2 (a naive exp overflows). */
static void test_reduce_log_sum_exp_large_values(void **state)
{
    (void)state;
    float xv[2] = {1000, 1000};
    rk_tensor x = vec_f32(2, xv), out[1];
    const rk_tensor *in[1] = {&x};
    rk_err e = {0};
    assert_int_equal(run_op("ReduceLogSumExp", 13, NULL, in, 1, out, 1, &e), RK_OK);
    float want[1] = {1000.0f + 0.69314718f};
    expect_f32(&out[0], 1, want);
    free_all(out, 1);
    rk_tensor_free(&x);
}

/* int64 sums stay exact beyond 2^53: 2^60 + 1 + 1 = 2^60 + 2. */
static void test_reduce_sum_int64_exact(void **state)
{
    (void)state;
    int64_t xv[3] = {INT64_C(1) << 60, 1, 1};
    rk_tensor x = vec_i64(3, xv), out[1];
    const rk_tensor *in[1] = {&x};
    rk_err e = {0};
    assert_int_equal(run_op("ReduceSum", 13, NULL, in, 1, out, 1, &e), RK_OK);
    int64_t want[1] = {(INT64_C(1) << 60) + 2};
    expect_i64(&out[0], 1, want);
    free_all(out, 1);
    rk_tensor_free(&x);
}

/* ArgMax of [1 3 3 2]: first max at 1, select_last_index -> 2. */
static void test_argmax_select_last_index(void **state)
{
    (void)state;
    float xv[4] = {1, 3, 3, 2};
    rk_tensor x = vec_f32(4, xv), out[1];
    const rk_tensor *in[1] = {&x};
    rk_err e = {0};
    int64_t first = 1, last = 2;
    assert_int_equal(run_op("ArgMax", 13, NULL, in, 1, out, 1, &e), RK_OK);
    expect_i64(&out[0], 1, &first);
    free_all(out, 1);
    pb a = {0};
    attr_int(&a, "select_last_index", 1);
    assert_int_equal(run_op("ArgMax", 13, &a, in, 1, out, 1, &e), RK_OK);
    expect_i64(&out[0], 1, &last);
    free_all(out, 1);
    rk_tensor_free(&x);
}

/* TopK k=2 of [1 3 3 2]: largest -> 3, 3 at indices 1, 2 (ties: lower index
 * first); smallest -> 1, 2 at indices 0, 3. */
static void test_topk_ties_and_smallest(void **state)
{
    (void)state;
    float xv[4] = {1, 3, 3, 2};
    rk_tensor x = vec_f32(4, xv), k = vec_i64(1, (const int64_t[]){2}), out[2];
    const rk_tensor *in[2] = {&x, &k};
    rk_err e = {0};
    assert_int_equal(run_op("TopK", 11, NULL, in, 2, out, 2, &e), RK_OK);
    float wv[2] = {3, 3};
    int64_t wi[2] = {1, 2};
    expect_f32(&out[0], 2, wv);
    expect_i64(&out[1], 2, wi);
    free_all(out, 2);
    pb a = {0};
    attr_int(&a, "largest", 0);
    assert_int_equal(run_op("TopK", 11, &a, in, 2, out, 2, &e), RK_OK);
    float sv[2] = {1, 2};
    int64_t si[2] = {0, 3};
    expect_f32(&out[0], 2, sv);
    expect_i64(&out[1], 2, si);
    free_all(out, 2);
    ((int64_t *)k.data)[0] = 5; /* K beyond the axis */
    assert_int_equal(run_op("TopK", 11, NULL, in, 2, out, 2, &e), RK_EINPUT);
    rk_tensor_free(&x);
    rk_tensor_free(&k);
}

/* CumSum of [1 2 3], reverse + exclusive: sums of the elements strictly
 * after each position: [2+3, 3, 0] = [5, 3, 0]. */
static void test_cumsum_reverse_exclusive(void **state)
{
    (void)state;
    float xv[3] = {1, 2, 3};
    rk_tensor x = vec_f32(3, xv), ax = scalar_i64(0), out[1];
    const rk_tensor *in[2] = {&x, &ax};
    rk_err e = {0};
    pb a = {0};
    attr_int(&a, "reverse", 1);
    attr_int(&a, "exclusive", 1);
    assert_int_equal(run_op("CumSum", 14, &a, in, 2, out, 1, &e), RK_OK);
    float want[3] = {5, 3, 0};
    expect_f32(&out[0], 3, want);
    free_all(out, 1);
    rk_tensor_free(&x);
    rk_tensor_free(&ax);
}

/* OneHot-11 with a negative index and axis 0: indices [-1, 0], depth 3,
 * values [0, 1] -> -1 means 2; output is 3x2 with columns one-hot:
 * row 0 = [0 1], row 1 = [0 0], row 2 = [1 0].  Index 5 is out of range
 * and yields an all-off column. */
static void test_onehot_negative_index_axis0(void **state)
{
    (void)state;
    int64_t iv[3] = {-1, 0, 5};
    float vv[2] = {0, 1};
    rk_tensor idx = vec_i64(3, iv), depth = scalar_i64(3), vals = vec_f32(2, vv), out[1];
    const rk_tensor *in[3] = {&idx, &depth, &vals};
    rk_err e = {0};
    pb a = {0};
    attr_int(&a, "axis", 0);
    assert_int_equal(run_op("OneHot", 11, &a, in, 3, out, 1, &e), RK_OK);
    float want[9] = {0, 1, 0, 0, 0, 0, 1, 0, 0};
    expect_f32(&out[0], 9, want);
    free_all(out, 1);
    rk_tensor_free(&idx);
    rk_tensor_free(&depth);
    rk_tensor_free(&vals);
}

/* NonZero of [[1 0], [0 2]] -> [[0, 1], [0, 1]] (row indices, col indices). */
static void test_nonzero_2d(void **state)
{
    (void)state;
    int64_t xd[2] = {2, 2};
    float xv[4] = {1, 0, 0, 2};
    rk_tensor x = make(RK_DT_F32, 2, xd, xv), out[1];
    const rk_tensor *in[1] = {&x};
    rk_err e = {0};
    assert_int_equal(run_op("NonZero", 13, NULL, in, 1, out, 1, &e), RK_OK);
    int64_t want[4] = {0, 1, 0, 1};
    expect_i64(&out[0], 4, want);
    free_all(out, 1);
    rk_tensor_free(&x);
}

/* ------------------------------------------------------------ quantize */

/* QuantizeLinear rounds half to even: x/1 = [0.5 1.5 2.5 -0.5 -1.5]
 * -> [0 2 2 0 -2] (int8, zp 0); 300 saturates to 127. */
static void test_quantize_linear_half_even_and_saturation(void **state)
{
    (void)state;
    float xv[6] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 300.0f};
    int8_t zpv = 0;
    rk_tensor x = vec_f32(6, xv), s = scalar_f32(1.0f), zp = make(RK_DT_I8, 0, NULL, &zpv),
              out[1];
    const rk_tensor *in[3] = {&x, &s, &zp};
    rk_err e = {0};
    assert_int_equal(run_op("QuantizeLinear", 13, NULL, in, 3, out, 1, &e), RK_OK);
    assert_int_equal(out[0].dtype, RK_DT_I8);
    const int8_t want[6] = {0, 2, 2, 0, -2, 127};
    for (int i = 0; i < 6; i++)
        assert_int_equal(((int8_t *)out[0].data)[i], want[i]);
    free_all(out, 1);
    rk_tensor_free(&x);
    rk_tensor_free(&s);
    rk_tensor_free(&zp);
}

/* DequantizeLinear per-axis (axis 1) on 1x2 uint8 [10, 10]: scales
 * [0.5, 2], zero points [0, 5] -> [(10-0)*0.5, (10-5)*2] = [5, 10]. */
static void test_dequantize_linear_per_axis(void **state)
{
    (void)state;
    int64_t xd[2] = {1, 2}, two = 2;
    uint8_t xv[2] = {10, 10}, zv[2] = {0, 5};
    float sv[2] = {0.5f, 2.0f};
    rk_tensor x = make(RK_DT_U8, 2, xd, xv), s = vec_f32(2, sv),
              zp = make(RK_DT_U8, 1, &two, zv), out[1];
    const rk_tensor *in[3] = {&x, &s, &zp};
    rk_err e = {0};
    assert_int_equal(run_op("DequantizeLinear", 13, NULL, in, 3, out, 1, &e), RK_OK);
    float want[2] = {5, 10};
    expect_f32(&out[0], 2, want);
    free_all(out, 1);
    rk_tensor_free(&x);
    rk_tensor_free(&s);
    rk_tensor_free(&zp);
}

/* DequantizeLinear-21 blocked along axis 1 with block_size 2: x int8
 * [1 2 3 4], scales [1, 10] (one per block) -> [1, 2, 30, 40]. */
static void test_dequantize_linear_blocked(void **state)
{
    (void)state;
    int64_t xd[2] = {1, 4}, sd[2] = {1, 2};
    int8_t xv[4] = {1, 2, 3, 4};
    float sv[2] = {1.0f, 10.0f};
    rk_tensor x = make(RK_DT_I8, 2, xd, xv), s = make(RK_DT_F32, 2, sd, sv), out[1];
    const rk_tensor *in[2] = {&x, &s};
    rk_err e = {0};
    pb a = {0};
    attr_int(&a, "axis", 1);
    attr_int(&a, "block_size", 2);
    assert_int_equal(run_op("DequantizeLinear", 21, &a, in, 2, out, 1, &e), RK_OK);
    float want[4] = {1, 2, 30, 40};
    expect_f32(&out[0], 4, want);
    free_all(out, 1);
    rk_tensor_free(&x);
    rk_tensor_free(&s);
}

/* QuantizeLinear to int16 (zero point dtype decides): x / 0.5 = [2, -70000]
 * -> [2, -32768] (saturated at the int16 minimum). */
static void test_quantize_linear_int16_saturates(void **state)
{
    (void)state;
    float xv[2] = {1.0f, -35000.0f};
    int16_t zv = 0;
    rk_tensor x = vec_f32(2, xv), s = scalar_f32(0.5f), zp = make(RK_DT_I16, 0, NULL, &zv),
              out[1];
    const rk_tensor *in[3] = {&x, &s, &zp};
    rk_err e = {0};
    assert_int_equal(run_op("QuantizeLinear", 21, NULL, in, 3, out, 1, &e), RK_OK);
    assert_int_equal(out[0].dtype, RK_DT_I16);
    assert_int_equal(((int16_t *)out[0].data)[0], 2);
    assert_int_equal(((int16_t *)out[0].data)[1], -32768);
    free_all(out, 1);
    rk_tensor_free(&x);
    rk_tensor_free(&s);
    rk_tensor_free(&zp);
}

/* float 0x3ef5eeb0 -> bfloat16: the high half is 0x3ef5 and the dropped
 * half 0xeeb0 is above the midpoint, so truncation gives 0x3ef5 and
 * round-to-nearest-even 0x3ef6.  Cast-13 truncates (what ONNX 1.12's test
 * data expects), Cast-19 rounds (newer ONNX, onnxruntime). */
static void test_cast_bfloat16_truncates_before_opset19(void **state)
{
    (void)state;
    uint32_t bits = 0x3ef5eeb0u;
    float f;
    memcpy(&f, &bits, sizeof f);
    rk_tensor x = vec_f32(1, &f), out[1];
    const rk_tensor *in[1] = {&x};
    rk_err e = {0};
    pb a = {0};
    attr_int(&a, "to", RK_DT_BF16);
    assert_int_equal(run_op("Cast", 13, &a, in, 1, out, 1, &e), RK_OK);
    assert_int_equal(((uint16_t *)out[0].data)[0], 0x3ef5);
    free_all(out, 1);
    attr_int(&a, "to", RK_DT_BF16);
    assert_int_equal(run_op("Cast", 19, &a, in, 1, out, 1, &e), RK_OK);
    assert_int_equal(((uint16_t *)out[0].data)[0], 0x3ef6);
    free_all(out, 1);
    rk_tensor_free(&x);
}

/* Unique with axis 0, sorted=0 on rows [2 1], [0 5], [2 1]: first-occurrence
 * order gives rows [2 1], [0 5]; indices [0, 1]; inverse [0, 1, 0];
 * counts [2, 1].  sorted=1 puts [0 5] first: inverse [1, 0, 1]. */
static void test_unique_rows_sorted_and_unsorted(void **state)
{
    (void)state;
    int64_t xd[2] = {3, 2};
    float xv[6] = {2, 1, 0, 5, 2, 1};
    rk_tensor x = make(RK_DT_F32, 2, xd, xv), out[4];
    const rk_tensor *in[1] = {&x};
    rk_err e = {0};
    pb a = {0};
    attr_int(&a, "axis", 0);
    attr_int(&a, "sorted", 0);
    assert_int_equal(run_op("Unique", 11, &a, in, 1, out, 4, &e), RK_OK);
    float wy[4] = {2, 1, 0, 5};
    int64_t wi[2] = {0, 1}, winv[3] = {0, 1, 0}, wc[2] = {2, 1};
    expect_f32(&out[0], 4, wy);
    expect_i64(&out[1], 2, wi);
    expect_i64(&out[2], 3, winv);
    expect_i64(&out[3], 2, wc);
    free_all(out, 4);
    attr_int(&a, "axis", 0);
    assert_int_equal(run_op("Unique", 11, &a, in, 1, out, 4, &e), RK_OK);
    float sy[4] = {0, 5, 2, 1};
    int64_t si[2] = {1, 0}, sinv[3] = {1, 0, 1}, sc[2] = {1, 2};
    expect_f32(&out[0], 4, sy);
    expect_i64(&out[1], 2, si);
    expect_i64(&out[2], 3, sinv);
    expect_i64(&out[3], 2, sc);
    free_all(out, 4);
    rk_tensor_free(&x);
}

/* ------------------------------------------------------------ RNN family */

/* Bidirectional LSTM / GRU with sequence_lens [3, 2] on deterministic
 * inputs (formulas below, shared with the generator).  Expected Y
 * [S, D, B, H] and Y_h [D, B, H] come from Debian PyTorch 1.13 (float64 nn.LSTM /
 * nn.GRU with pack_padded_sequence), gate blocks reordered from ONNX
 * (LSTM i o f c, GRU z r h) to torch (i f g o, r z n); torch's GRU is ONNX
 * linear_before_reset = 1.  Steps past a row's length are 0 in Y. */
enum { RS = 3, RB = 2, RI = 2, RH = 2, RD = 2 };

static rk_tensor rnn_fill(int ndim, const int64_t *dims, double scale, double freq,
                          double phase, bool use_cos)
{
    rk_tensor t = make(RK_DT_F32, ndim, dims, NULL);
    for (int64_t k = 0; k < t.nelem; k++) {
        double a = freq * (double)k + phase;
        ((float *)t.data)[k] = (float)(scale * (use_cos ? cos(a) : sin(a)));
    }
    return t;
}

static void run_bidir_rnn(const char *op, int gates, bool lbr, const float *want_y,
                          const float *want_h)
{
    int64_t xd[3] = {RS, RB, RI}, wd[3] = {RD, gates * RH, RI}, rd[3] = {RD, gates * RH, RH};
    int64_t bd[2] = {RD, 2 * gates * RH}, two = RB;
    int32_t lens[2] = {3, 2};
    rk_tensor x = rnn_fill(3, xd, 1.0, 0.3, 0.1, false);
    rk_tensor w = rnn_fill(3, wd, 0.4, 0.9, 0.2, false);
    rk_tensor r = rnn_fill(3, rd, 0.3, 0.5, 0.1, true);
    rk_tensor b = rnn_fill(2, bd, 0.1, 1.3, 0.0, false);
    rk_tensor sl = make(RK_DT_I32, 1, &two, lens), out[2];
    const rk_tensor *in[5] = {&x, &w, &r, &b, &sl};
    rk_err e = {0};
    pb a = {0};
    attr_int(&a, "hidden_size", RH);
    attr_string(&a, "direction", "bidirectional");
    if (lbr)
        attr_int(&a, "linear_before_reset", 1);
    assert_int_equal(run_op(op, 14, &a, in, 5, out, 2, &e), RK_OK);
    assert_int_equal(out[0].nelem, RS * RD * RB * RH);
    assert_int_equal(out[1].nelem, RD * RB * RH);
    for (int i = 0; i < RS * RD * RB * RH; i++)
        assert_float_equal(((float *)out[0].data)[i], want_y[i], 2e-6);
    for (int i = 0; i < RD * RB * RH; i++)
        assert_float_equal(((float *)out[1].data)[i], want_h[i], 2e-6);
    free_all(out, 2);
    rk_tensor *all[5] = {&x, &w, &r, &b, &sl};
    for (int i = 0; i < 5; i++)
        rk_tensor_free(all[i]);
}

static void test_lstm_bidirectional_seq_lens_matches_torch(void **state)
{
    (void)state;
    static const float y[24] = {
        -0.0238104f, 0.0631929f, -0.0898999f, 0.1184579f, 0.1348570f, 0.0251328f,
        0.1618378f, 0.0741684f, -0.1198356f, 0.1606379f, -0.1528605f, 0.1667274f,
        0.1584762f, 0.0928014f, 0.1184754f, 0.0784093f, -0.1436296f, 0.1445561f,
        0.0000000f, 0.0000000f, 0.0655173f, 0.0459167f, 0.0000000f, 0.0000000f};
    static const float h[8] = {-0.1436296f, 0.1445561f, -0.1528605f, 0.1667274f,
                               0.1348570f, 0.0251328f, 0.1618378f, 0.0741684f};
    run_bidir_rnn("LSTM", 4, false, y, h);
}

static void test_gru_linear_before_reset_matches_torch(void **state)
{
    (void)state;
    static const float y[24] = {
        0.0467007f, -0.0094338f, 0.1681498f, -0.0342736f, 0.0180806f, 0.2330452f,
        -0.0225774f, 0.3317753f, 0.2345426f, -0.0416383f, 0.2928516f, -0.0403015f,
        -0.0516758f, 0.3224702f, -0.0496095f, 0.2300349f, 0.2384655f, -0.0092621f,
        0.0000000f, 0.0000000f, -0.0220803f, 0.1336848f, 0.0000000f, 0.0000000f};
    static const float h[8] = {0.2384655f, -0.0092621f, 0.2928516f, -0.0403015f,
                               0.0180806f, 0.2330452f, -0.0225774f, 0.3317753f};
    run_bidir_rnn("GRU", 3, true, y, h);
}

/* ------------------------------------------------------- Cast and strings */

static rk_tensor vec_str(int n, const char *const *v)
{
    int64_t d = n;
    rk_tensor t = make(RK_DT_STRING, 1, &d, NULL);
    for (int i = 0; i < n; i++)
        assert_int_equal(rk_tensor_set_str(&t, i, v[i], strlen(v[i])), RK_OK);
    return t;
}

/* Expected strings: numpy 1.26 str(np.float32(v)) for each finite value
 * (the formatting of ONNX's test_cast_FLOAT_to_STRING data); NaN/INF/-INF
 * are the spellings of the ONNX Cast spec (numpy would say nan/inf). */
static void test_cast_float_to_string_matches_numpy(void **state)
{
    (void)state;
    static const uint32_t bits[] = {
        0x3dcccccdu, /* 0.1f */         0x42c80000u, /* 100 */
        0x3727c5acu, /* 1e-5f */        0x5a5529afu, /* 1.5e16f */
        0x80000000u, /* -0.0 */         0x4ceb79a3u, /* 123456789 -> 123456792 */
        0x38d1b717u, /* 1e-4f, just below 1e-4 */
        0x7f7fffffu, /* FLT_MAX */      0x00800000u, /* FLT_MIN */
        0x00000001u, /* smallest subnormal */
        0xc0200000u, /* -2.5 */         0x4b18967fu, /* 9999999 */
        0x7fc00000u, /* NaN */          0x7f800000u, /* +inf */
        0xff800000u, /* -inf */
    };
    static const char *const want[] = {
        "0.1", "100.0", "1e-05", "1.5e+16", "-0.0", "123456790.0", "1e-04",
        "3.4028235e+38", "1.1754944e-38", "1e-45", "-2.5", "9999999.0",
        "NaN", "INF", "-INF",
    };
    int n = (int)RK_ARRAY_LEN(bits);
    float v[RK_ARRAY_LEN(bits)];
    memcpy(v, bits, sizeof bits);
    rk_tensor x = vec_f32(n, v), out[1];
    const rk_tensor *in[1] = {&x};
    rk_err e = {0};
    pb a = {0};
    attr_int(&a, "to", RK_DT_STRING);
    assert_int_equal(run_op("Cast", 13, &a, in, 1, out, 1, &e), RK_OK);
    assert_int_equal(out[0].dtype, RK_DT_STRING);
    assert_int_equal(out[0].nelem, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(rk_tensor_str(&out[0], i), want[i]);
    free_all(out, 1);
    rk_tensor_free(&x);
}

/* Spec (Operators.md, Cast): "+INF"/"INF", "-INF", "NaN" case-insensitive,
 * plain and scientific notation.  Expected floats: C literals (the
 * compiler's correctly rounded decimal conversion). */
static void test_cast_string_to_float_parses_specials(void **state)
{
    (void)state;
    static const char *const s[] = {"1e3", "-0.5", "+INF", "inf", "-INF", "NaN", "nAn",
                                    "1E-5", "0.1", "  2.5"};
    static const float want[] = {1000.0f, -0.5f, INFINITY, INFINITY, -INFINITY, NAN, NAN,
                                 1e-5f, 0.1f, 2.5f};
    int n = (int)RK_ARRAY_LEN(s);
    rk_tensor x = vec_str(n, s), out[1];
    const rk_tensor *in[1] = {&x};
    rk_err e = {0};
    pb a = {0};
    attr_int(&a, "to", RK_DT_F32);
    assert_int_equal(run_op("Cast", 13, &a, in, 1, out, 1, &e), RK_OK);
    assert_int_equal(out[0].dtype, RK_DT_F32);
    for (int i = 0; i < n; i++) {
        float g = ((const float *)out[0].data)[i];
        if (isnan(want[i]))
            assert_true(isnan(g));
        else
            assert_memory_equal(&g, &want[i], sizeof g);
    }
    free_all(out, 1);
    /* to an integer type: "100.5" -> 100 (spec example), "-7" -> -7 */
    static const char *const si[] = {"100.5", "-7"};
    rk_tensor xi = vec_str(2, si);
    const rk_tensor *ini[1] = {&xi};
    attr_int(&a, "to", RK_DT_I32);
    assert_int_equal(run_op("Cast", 13, &a, ini, 1, out, 1, &e), RK_OK);
    assert_int_equal(out[0].dtype, RK_DT_I32);
    assert_int_equal(((const int32_t *)out[0].data)[0], 100);
    assert_int_equal(((const int32_t *)out[0].data)[1], -7);
    free_all(out, 1);
    rk_tensor_free(&xi);
    rk_tensor_free(&x);
}

/* float -> string -> float returns the identical bits for a spread of
 * float32 values (every 4099th bit pattern, all exponents, both signs,
 * subnormals); NaNs only need to stay NaN.  CastLike takes the target
 * type from its second input. */
static void test_cast_float_string_round_trip_exact(void **state)
{
    (void)state;
    enum { N = 2048 };
    float *v = malloc(N * sizeof *v);
    assert_non_null(v);
    for (uint32_t i = 0; i < N; i++) {
        uint32_t b = i * 2097143u; /* odd step: covers the 32-bit space */
        memcpy(&v[i], &b, sizeof b);
    }
    rk_tensor x = vec_f32(N, v), like_s, like_f = scalar_f32(0), str[1], back[1];
    static const char *const one[] = {""};
    like_s = vec_str(1, one);
    const rk_tensor *in1[2] = {&x, &like_s};
    rk_err e = {0};
    assert_int_equal(run_op("CastLike", 15, NULL, in1, 2, str, 1, &e), RK_OK);
    const rk_tensor *in2[2] = {&str[0], &like_f};
    assert_int_equal(run_op("CastLike", 15, NULL, in2, 2, back, 1, &e), RK_OK);
    for (int i = 0; i < N; i++) {
        float g = ((const float *)back[0].data)[i];
        if (isnan(v[i]))
            assert_true(isnan(g));
        else if (memcmp(&g, &v[i], sizeof g) != 0)
            fail_msg("element %d: %a printed as '%s' read back as %a", i, (double)v[i],
                     rk_tensor_str(&str[0], i), (double)g);
    }
    free_all(str, 1);
    free_all(back, 1);
    rk_tensor_free(&like_s);
    rk_tensor_free(&like_f);
    rk_tensor_free(&x);
    free(v);
}

static void test_cast_string_not_a_number_rejected(void **state)
{
    (void)state;
    static const char *const s[] = {"1.5", "abc"};
    rk_tensor x = vec_str(2, s), out[1];
    const rk_tensor *in[1] = {&x};
    rk_err e = {0};
    pb a = {0};
    attr_int(&a, "to", RK_DT_F32);
    assert_int_equal(run_op("Cast", 13, &a, in, 1, out, 1, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "abc"));
    rk_tensor_free(&x);
}

/* Ops without string support refuse string inputs by name instead of
 * reading the pointers as numbers; Identity deep-copies them. */
static void test_string_input_refused_except_identity(void **state)
{
    (void)state;
    static const char *const s[] = {"a", "bc"};
    rk_tensor x = vec_str(2, s), out[1];
    const rk_tensor *in[2] = {&x, &x};
    rk_err e = {0};
    assert_int_equal(run_op("Relu", 14, NULL, in, 1, out, 1, &e), RK_EUNSUPPORTED);
    assert_non_null(strstr(e.msg, "string tensors are not supported by Relu"));
    memset(&e, 0, sizeof e);
    assert_int_equal(run_op("Concat", 13, NULL, in, 2, out, 1, &e), RK_EUNSUPPORTED);
    assert_non_null(strstr(e.msg, "string tensors are not supported by Concat"));
    memset(&e, 0, sizeof e);
    assert_int_equal(run_op("Identity", 16, NULL, in, 1, out, 1, &e), RK_OK);
    assert_int_equal(out[0].dtype, RK_DT_STRING);
    assert_string_equal(rk_tensor_str(&out[0], 1), "bc");
    assert_ptr_not_equal(((char **)out[0].data)[1], ((char **)x.data)[1]);
    free_all(out, 1);
    rk_tensor_free(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reshape_zero_copies_input_dim),
        cmocka_unit_test(test_reshape_allowzero_keeps_zero),
        cmocka_unit_test(test_reshape_two_inferred_dims_rejected),
        cmocka_unit_test(test_slice_negative_step_to_int64_min),
        cmocka_unit_test(test_slice_int64_max_end_with_step),
        cmocka_unit_test(test_slice_opset1_attributes),
        cmocka_unit_test(test_concat_and_transpose_empty),
        cmocka_unit_test(test_split_num_outputs_uneven),
        cmocka_unit_test(test_split_opset2_attribute),
        cmocka_unit_test(test_pad_reflect_edge_wrap),
        cmocka_unit_test(test_pad_opset2_attributes_and_negative_pads),
        cmocka_unit_test(test_squeeze_attr_axes_and_non_unit_axis),
        cmocka_unit_test(test_unsqueeze_negative_axes_input),
        cmocka_unit_test(test_gather_out_of_range_index_rejected),
        cmocka_unit_test(test_scatternd_add_duplicate_indices),
        cmocka_unit_test(test_expand_broadcasts_both_ways),
        cmocka_unit_test(test_tile_int64),
        cmocka_unit_test(test_shape_negative_start_end),
        cmocka_unit_test(test_range_negative_float_delta),
        cmocka_unit_test(test_cast_truncation_and_half_ties),
        cmocka_unit_test(test_trilu_lower_negative_k),
        cmocka_unit_test(test_constant_value_ints),
        cmocka_unit_test(test_reduce_sum_noop_with_empty_axes),
        cmocka_unit_test(test_reduce_axes_input_and_attribute),
        cmocka_unit_test(test_reduce_log_sum_exp_large_values),
        cmocka_unit_test(test_reduce_sum_int64_exact),
        cmocka_unit_test(test_argmax_select_last_index),
        cmocka_unit_test(test_topk_ties_and_smallest),
        cmocka_unit_test(test_cumsum_reverse_exclusive),
        cmocka_unit_test(test_onehot_negative_index_axis0),
        cmocka_unit_test(test_nonzero_2d),
        cmocka_unit_test(test_quantize_linear_half_even_and_saturation),
        cmocka_unit_test(test_dequantize_linear_per_axis),
        cmocka_unit_test(test_dequantize_linear_blocked),
        cmocka_unit_test(test_quantize_linear_int16_saturates),
        cmocka_unit_test(test_cast_bfloat16_truncates_before_opset19),
        cmocka_unit_test(test_unique_rows_sorted_and_unsorted),
        cmocka_unit_test(test_lstm_bidirectional_seq_lens_matches_torch),
        cmocka_unit_test(test_gru_linear_before_reset_matches_torch),
        cmocka_unit_test(test_cast_float_to_string_matches_numpy),
        cmocka_unit_test(test_cast_string_to_float_parses_specials),
        cmocka_unit_test(test_cast_float_string_round_trip_exact),
        cmocka_unit_test(test_cast_string_not_a_number_rejected),
        cmocka_unit_test(test_string_input_refused_except_identity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
