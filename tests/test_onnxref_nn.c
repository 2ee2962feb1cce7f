/*
 * Unit tests for the onnxref neural-network kernels (onnxref/ops_nn.c,
 * nn_*.c): cases the ONNX backend node tests (libonnx-testdata 1.12) do not
 * cover: Attention (opset 23, no node test exists there), Einsum's GEMM
 * path, legacy (opset 11) softmax axis coercion, depthwise / grouped / 3-D /
 * 1-D / chunked-im2col convolutions, grouped dilated ConvTranspose, Resize
 * opset 18/19 features, GroupNormalization, LpPool, thread-count
 * invariance and bad-input errors.
 *
 * Each test builds a one-node model in memory (minimal protobuf writer,
 * field numbers from onnx.proto), loads it with ox_model_load_buffer and
 * runs it with ox_run.  Inputs come from the formula in fill() that
 * tests/gen_onnxref_nn_golden.py shares; expected values are in
 * tests/onnxref_nn_golden.h, produced by that script from numpy, torch and
 * onnxruntime-node (never from rksim).  Case definitions here must match
 * the script's.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnxref.h"
#include "onnxref_nn_golden.h"
#include "pbwriter.h"

/* ------------------------------------------------------ protobuf writer */

/* pb, pb_raw ... pb_msg: tests/support/pbwriter.h */

/* AttributeProto: name 1, f 2, i 3, s 4, floats 7, ints 8, type 20. */
static void attr_int(pb *attrs, const char *name, int64_t v)
{
    pb a = {0};
    pb_str(&a, 1, name);
    pb_int(&a, 3, v);
    pb_int(&a, 20, 2);
    pb_msg(attrs, 5, &a);
}

static void attr_ints(pb *attrs, const char *name, int n, const int64_t *v)
{
    pb a = {0};
    pb_str(&a, 1, name);
    for (int i = 0; i < n; i++)
        pb_int(&a, 8, v[i]);
    pb_int(&a, 20, 7);
    pb_msg(attrs, 5, &a);
}

static void attr_float(pb *attrs, const char *name, float v)
{
    pb a = {0};
    pb_str(&a, 1, name);
    pb_key(&a, 2, 5);
    pb_raw(&a, &v, 4); /* little-endian host (x86-64, aarch64) */
    pb_int(&a, 20, 1);
    pb_msg(attrs, 5, &a);
}

static void attr_string(pb *attrs, const char *name, const char *s)
{
    pb a = {0};
    pb_str(&a, 1, name);
    pb_str(&a, 4, s);
    pb_int(&a, 20, 3);
    pb_msg(attrs, 5, &a);
}

/* One-node model: input slots named in `names` ("" = omitted), outputs
 * o0..o{nout-1}, default-domain opset `opset`. */
static uint8_t *build_model(const char *op, int opset, pb *attrs, const char *const *names,
                            int nin, int nout, size_t *len)
{
    pb node = {0}, graph = {0}, model = {0}, ops = {0};
    char name[16];
    for (int i = 0; i < nin; i++)
        pb_str(&node, 1, names[i]);
    for (int i = 0; i < nout; i++) {
        snprintf(name, sizeof name, "o%d", i);
        pb_str(&node, 2, name);
    }
    pb_str(&node, 3, "node_under_test");
    pb_str(&node, 4, op);
    if (attrs && attrs->len)
        pb_raw(&node, attrs->buf, attrs->len);
    pb_msg(&graph, 1, &node);
    pb_str(&graph, 2, "g");
    for (int i = 0; i < nin; i++) {
        if (!names[i][0])
            continue;
        pb vi = {0};
        pb_str(&vi, 1, names[i]);
        pb_msg(&graph, 11, &vi);
    }
    for (int i = 0; i < nout; i++) {
        pb vi = {0};
        snprintf(name, sizeof name, "o%d", i);
        pb_str(&vi, 1, name);
        pb_msg(&graph, 12, &vi);
    }
    pb_int(&model, 1, 8);
    pb_str(&ops, 1, "");
    pb_int(&ops, 2, opset);
    pb_msg(&model, 8, &ops);
    pb_msg(&model, 7, &graph);
    *len = model.len;
    return model.buf;
}

#define MAX_IO 8

/* Runs `op` with inputs in[i] bound to slot names[i] (in[i] NULL and
 * names[i] "" for an omitted slot); frees attrs. */
static rk_status run_op(const char *op, int opset, pb *attrs, const char *const *names,
                        rk_tensor *const *in, int nin, int threads, rk_tensor *out, int nout,
                        rk_err *e)
{
    rk_tensor feeds[MAX_IO];
    int nfeed = 0;
    assert_true(nin <= MAX_IO && nout <= MAX_IO);
    for (int i = 0; i < nin; i++) {
        if (!in[i])
            continue;
        feeds[nfeed] = *in[i];
        feeds[nfeed].borrowed = true;
        feeds[nfeed].name = strdup(names[i]);
        nfeed++;
    }
    size_t len;
    uint8_t *buf = build_model(op, opset, attrs, names, nin, nout, &len);
    if (attrs) {
        free(attrs->buf);
        memset(attrs, 0, sizeof *attrs);
    }
    ox_model *m = NULL;
    ox_run_opts opts = {.threads = threads};
    rk_status st = ox_model_load_buffer(buf, len, "test model", NULL, &m, e);
    free(buf);
    if (st == RK_OK)
        st = ox_model_check_supported(m, e);
    if (st == RK_OK)
        st = ox_run(m, feeds, nfeed, &opts, out, e);
    ox_model_free(m);
    for (int i = 0; i < nfeed; i++)
        free(feeds[i].name);
    return st;
}

/* ---------------------------------------------------------- tensor helpers */

/* float32(sin(0.37 i + seed) * scale): the generator's fill(). */
static rk_tensor fill(int ndim, const int64_t *dims, double seed, double scale)
{
    rk_tensor t;
    rk_err e = {0};
    assert_int_equal(rk_tensor_alloc(&t, NULL, RK_DT_F32, ndim, dims, &e), RK_OK);
    for (int64_t i = 0; i < t.nelem; i++)
        ((float *)t.data)[i] = (float)(sin(0.37 * (double)i + seed) * scale);
    return t;
}

static rk_tensor fill_bool(int ndim, const int64_t *dims, int seed)
{
    rk_tensor t;
    rk_err e = {0};
    assert_int_equal(rk_tensor_alloc(&t, NULL, RK_DT_BOOL, ndim, dims, &e), RK_OK);
    for (int64_t i = 0; i < t.nelem; i++)
        ((uint8_t *)t.data)[i] = (uint8_t)((i * 7 + seed) % 3 != 0);
    return t;
}

static rk_tensor vec_f32(int n, const float *v)
{
    rk_tensor t;
    rk_err e = {0};
    int64_t d = n;
    assert_int_equal(rk_tensor_alloc(&t, NULL, RK_DT_F32, 1, &d, &e), RK_OK);
    memcpy(t.data, v, (size_t)n * sizeof *v);
    return t;
}

static rk_tensor vec_i64(int n, const int64_t *v)
{
    rk_tensor t;
    rk_err e = {0};
    int64_t d = n;
    assert_int_equal(rk_tensor_alloc(&t, NULL, RK_DT_I64, 1, &d, &e), RK_OK);
    memcpy(t.data, v, (size_t)n * sizeof *v);
    return t;
}

/* |got - want| <= 1e-4 * (1 + |want|) for every element (golden values are
 * float64; onnxref computes in float32). */
static void expect_close(const rk_tensor *t, const float *want, int64_t n, const char *what)
{
    if (t->nelem != n)
        fail_msg("%s: %lld elements, expected %lld", what, (long long)t->nelem, (long long)n);
    assert_int_equal(t->dtype, RK_DT_F32);
    for (int64_t i = 0; i < n; i++) {
        float g = ((const float *)t->data)[i];
        if (isnan(want[i]) ? !isnan(g) : !(fabsf(g - want[i]) <= 1e-4f * (1.0f + fabsf(want[i]))))
            fail_msg("%s: element %lld is %.7g, expected %.7g", what, (long long)i, g, want[i]);
    }
}

static void free_all(rk_tensor *t, int n)
{
    for (int i = 0; i < n; i++)
        rk_tensor_free(&t[i]);
}

/* -------------------------------------------------------------- attention */

static const char *const att_names[6] = {"Q", "K", "V", "attn_mask", "past_key", "past_value"};

static void run_attention(pb *attrs, rk_tensor *const *in, const float *const *want,
                          const int64_t *want_n, int nout, const char *what)
{
    const char *names[6];
    rk_tensor out[4] = {{0}};
    rk_err e = {0};
    int nin = 0;
    for (int i = 0; i < 6; i++) {
        names[i] = in[i] ? att_names[i] : "";
        if (in[i])
            nin = i + 1;
    }
    rk_status st = run_op("Attention", 23, attrs, names, in, nin, 1, out, nout, &e);
    if (st != RK_OK)
        fail_msg("%s: %s", what, e.msg);
    for (int i = 0; i < nout; i++)
        expect_close(&out[i], want[i], want_n[i], what);
    free_all(out, nout);
    for (int i = 0; i < 6; i++)
        if (in[i])
            rk_tensor_free(in[i]);
}

static void test_attention_mha_4d_default_scale(void **state)
{
    (void)state;
    int64_t qd[4] = {2, 2, 3, 4}, kd[4] = {2, 2, 5, 4}, vd[4] = {2, 2, 5, 3};
    rk_tensor q = fill(4, qd, 0.1, 1.5), k = fill(4, kd, 0.2, 1.5), v = fill(4, vd, 0.3, 1.5);
    rk_tensor *in[6] = {&q, &k, &v, NULL, NULL, NULL};
    const float *want[1] = {att_mha4d_out0};
    int64_t n[1] = {RK_ARRAY_LEN(att_mha4d_out0)};
    run_attention(NULL, in, want, n, 1, "att_mha4d");
}

static void test_attention_gqa_3d_causal_scale(void **state)
{
    (void)state;
    int64_t qd[3] = {1, 4, 16}, kd[3] = {1, 4, 8}, vd[3] = {1, 4, 6};
    rk_tensor q = fill(3, qd, 0.4, 1.5), k = fill(3, kd, 0.5, 1.5), v = fill(3, vd, 0.6, 1.5);
    rk_tensor *in[6] = {&q, &k, &v, NULL, NULL, NULL};
    pb a = {0};
    attr_int(&a, "q_num_heads", 4);
    attr_int(&a, "kv_num_heads", 2);
    attr_int(&a, "is_causal", 1);
    attr_float(&a, "scale", 0.3f);
    const float *want[1] = {att_gqa3d_causal_out0};
    int64_t n[1] = {RK_ARRAY_LEN(att_gqa3d_causal_out0)};
    run_attention(&a, in, want, n, 1, "att_gqa3d_causal");
}

static void test_attention_bool_mask_shorter_than_keys(void **state)
{
    (void)state;
    int64_t qd[4] = {1, 2, 3, 4}, kd[4] = {1, 2, 5, 4}, md[2] = {3, 4};
    rk_tensor q = fill(4, qd, 0.7, 1.5), k = fill(4, kd, 0.8, 1.5), v = fill(4, kd, 0.9, 1.5);
    rk_tensor m = fill_bool(2, md, 1);
    rk_tensor *in[6] = {&q, &k, &v, &m, NULL, NULL};
    const float *want[1] = {att_bool_mask_short_out0};
    int64_t n[1] = {RK_ARRAY_LEN(att_bool_mask_short_out0)};
    run_attention(NULL, in, want, n, 1, "att_bool_mask_short");
}

static void test_attention_float_mask_softcap_outputs(void **state)
{
    (void)state;
    int64_t qd[4] = {1, 2, 3, 4}, kd[4] = {1, 2, 5, 4}, md[4] = {1, 1, 3, 5};
    rk_tensor q = fill(4, qd, 1.0, 1.5), k = fill(4, kd, 1.1, 1.5), v = fill(4, kd, 1.2, 1.5);
    rk_tensor m = fill(4, md, 1.3, 1.5);
    rk_tensor *in[6] = {&q, &k, &v, &m, NULL, NULL};
    pb a = {0};
    attr_float(&a, "softcap", 2.0f);
    attr_float(&a, "scale", 0.8f);
    attr_int(&a, "qk_matmul_output_mode", 2);
    const float *want[4] = {att_float_mask_softcap_out0, att_float_mask_softcap_out1,
                            att_float_mask_softcap_out2, att_float_mask_softcap_out3};
    int64_t n[4] = {RK_ARRAY_LEN(att_float_mask_softcap_out0),
                    RK_ARRAY_LEN(att_float_mask_softcap_out1),
                    RK_ARRAY_LEN(att_float_mask_softcap_out2),
                    RK_ARRAY_LEN(att_float_mask_softcap_out3)};
    run_attention(&a, in, want, n, 4, "att_float_mask_softcap");
}

static void test_attention_past_kv_causal_present(void **state)
{
    (void)state;
    int64_t qd[4] = {1, 2, 2, 4}, pd[4] = {1, 2, 3, 4};
    rk_tensor q = fill(4, qd, 1.4, 1.5), k = fill(4, qd, 1.5, 1.5), v = fill(4, qd, 1.6, 1.5);
    rk_tensor pk = fill(4, pd, 1.7, 1.5), pv = fill(4, pd, 1.8, 1.5);
    rk_tensor *in[6] = {&q, &k, &v, NULL, &pk, &pv};
    pb a = {0};
    attr_int(&a, "is_causal", 1);
    attr_int(&a, "qk_matmul_output_mode", 3);
    const float *want[4] = {att_past_causal_out0, att_past_causal_out1, att_past_causal_out2,
                            att_past_causal_out3};
    int64_t n[4] = {RK_ARRAY_LEN(att_past_causal_out0), RK_ARRAY_LEN(att_past_causal_out1),
                    RK_ARRAY_LEN(att_past_causal_out2), RK_ARRAY_LEN(att_past_causal_out3)};
    run_attention(&a, in, want, n, 4, "att_past_causal");
}

static void test_attention_3d_without_head_count_fails(void **state)
{
    (void)state;
    int64_t d[3] = {1, 4, 8};
    rk_tensor q = fill(3, d, 0.1, 1.0), k = fill(3, d, 0.2, 1.0), v = fill(3, d, 0.3, 1.0);
    rk_tensor *in[3] = {&q, &k, &v};
    rk_tensor out[1] = {{0}};
    rk_err e = {0};
    assert_int_equal(run_op("Attention", 23, NULL, att_names, in, 3, 1, out, 1, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "node_under_test"));
    assert_non_null(strstr(e.msg, "q_num_heads"));
    for (int i = 0; i < 3; i++)
        rk_tensor_free(in[i]);
}

/* ------------------------------------------------------------------ einsum */

static void run_einsum(const char *eq, int nops, const int64_t (*dims)[4], const int *ndims,
                       const double *seeds, const float *want, int64_t n, const char *what)
{
    rk_tensor ops[2], *in[2];
    const char *names[2] = {"x", "y"};
    rk_tensor out[1] = {{0}};
    rk_err e = {0};
    pb a = {0};
    for (int i = 0; i < nops; i++) {
        ops[i] = fill(ndims[i], dims[i], seeds[i], 1.5);
        in[i] = &ops[i];
    }
    attr_string(&a, "equation", eq);
    if (run_op("Einsum", 12, &a, names, in, nops, 1, out, 1, &e) != RK_OK)
        fail_msg("%s: %s", what, e.msg);
    expect_close(&out[0], want, n, what);
    free_all(out, 1);
    free_all(ops, nops);
}

static void test_einsum_attention_scores_bhid_bhjd(void **state)
{
    (void)state;
    const int64_t d[2][4] = {{2, 3, 4, 5}, {2, 3, 6, 5}};
    const int nd[2] = {4, 4};
    const double s[2] = {0.1, 0.2};
    run_einsum("bhid,bhjd->bhij", 2, d, nd, s, ein_bhid_out, RK_ARRAY_LEN(ein_bhid_out),
               "ein_bhid");
}

static void test_einsum_attention_context_bhij_bhjd(void **state)
{
    (void)state;
    const int64_t d[2][4] = {{2, 3, 4, 6}, {2, 3, 6, 5}};
    const int nd[2] = {4, 4};
    const double s[2] = {0.3, 0.4};
    run_einsum("bhij,bhjd->bhid", 2, d, nd, s, ein_bhij_out, RK_ARRAY_LEN(ein_bhij_out),
               "ein_bhij");
}

static void test_einsum_batched_matmul_and_implicit(void **state)
{
    (void)state;
    const int64_t d1[2][4] = {{3, 4, 5}, {3, 5, 2}};
    const int nd1[2] = {3, 3};
    const double s1[2] = {0.5, 0.6};
    run_einsum("bij,bjk->bik", 2, d1, nd1, s1, ein_bij_out, RK_ARRAY_LEN(ein_bij_out), "ein_bij");
    const int64_t d2[2][4] = {{3, 4}, {4, 5}};
    const int nd2[2] = {2, 2};
    const double s2[2] = {0.7, 0.8};
    run_einsum("ij,jk", 2, d2, nd2, s2, ein_implicit_out, RK_ARRAY_LEN(ein_implicit_out),
               "ein_implicit");
}

static void test_einsum_ellipsis_transpose_and_trace(void **state)
{
    (void)state;
    const int64_t d1[1][4] = {{2, 3, 4}};
    const int nd1[1] = {3};
    const double s1[1] = {0.9};
    run_einsum("...ij->...ji", 1, d1, nd1, s1, ein_ellipsis_t_out,
               RK_ARRAY_LEN(ein_ellipsis_t_out), "ein_ellipsis_t");
    const int64_t d2[1][4] = {{4, 4}};
    const int nd2[1] = {2};
    const double s2[1] = {1.0};
    run_einsum("ii->", 1, d2, nd2, s2, ein_trace_sum_out, 1, "ein_trace_sum");
}

static void test_einsum_bad_equation_fails(void **state)
{
    (void)state;
    int64_t d[2] = {3, 4};
    rk_tensor x = fill(2, d, 0.1, 1.0);
    rk_tensor *in[1] = {&x};
    const char *names[1] = {"x"};
    rk_tensor out[1] = {{0}};
    rk_err e = {0};
    pb a = {0};
    attr_string(&a, "equation", "ijk->i"); /* three labels for a rank-2 operand */
    assert_int_equal(run_op("Einsum", 12, &a, names, in, 1, 1, out, 1, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "node_under_test"));
    rk_tensor_free(&x);
}

/* ------------------------------------------------------- legacy softmaxes */

static void run_legacy_softmax(const char *op, int axis, double seed, const float *want,
                               const char *what)
{
    int64_t d[3] = {2, 3, 4};
    rk_tensor x = fill(3, d, seed, 1.5), *in[1] = {&x};
    const char *names[1] = {"x"};
    rk_tensor out[1] = {{0}};
    rk_err e = {0};
    pb a = {0};
    if (axis >= 0)
        attr_int(&a, "axis", axis);
    if (run_op(op, 11, &a, names, in, 1, 1, out, 1, &e) != RK_OK)
        fail_msg("%s: %s", what, e.msg);
    expect_close(&out[0], want, 24, what);
    free_all(out, 1);
    rk_tensor_free(&x);
}

/* Opset < 13 flattens [2,3,4] at axis 1 into [2,12]: one softmax per batch
 * row over 12 values, not per channel axis. */
static void test_softmax_opset11_coerces_to_2d(void **state)
{
    (void)state;
    run_legacy_softmax("Softmax", 1, 0.2, softmax11_axis1_out, "softmax11_axis1");
    run_legacy_softmax("LogSoftmax", -1, 0.3, logsoftmax11_default_out, "logsoftmax11_default");
    run_legacy_softmax("Hardmax", 1, 0.4, hardmax11_axis1_out, "hardmax11_axis1");
}

/* ----------------------------------------------------------- convolutions */

static void run_conv(int ndim, const int64_t *xd, const int64_t *wd, pb *attrs, int threads,
                     rk_tensor *y)
{
    rk_tensor x = fill(ndim, xd, 0.1, 1.5), w = fill(ndim, wd, 0.2, 0.5);
    rk_tensor b = fill(1, wd, 0.3, 1.5);
    rk_tensor *in[3] = {&x, &w, &b};
    const char *names[3] = {"x", "w", "b"};
    rk_err e = {0};
    if (run_op("Conv", 11, attrs, names, in, 3, threads, y, 1, &e) != RK_OK)
        fail_msg("Conv: %s", e.msg);
    rk_tensor_free(&x);
    rk_tensor_free(&w);
    rk_tensor_free(&b);
}

static void test_conv_depthwise_multiplier_stride_dilation(void **state)
{
    (void)state;
    int64_t xd[4] = {1, 6, 9, 11}, wd[4] = {12, 1, 3, 3};
    int64_t strides[2] = {2, 2}, pads[4] = {1, 2, 1, 0}, dil[2] = {1, 2};
    rk_tensor y = {0};
    pb a = {0};
    attr_int(&a, "group", 6);
    attr_ints(&a, "strides", 2, strides);
    attr_ints(&a, "pads", 4, pads);
    attr_ints(&a, "dilations", 2, dil);
    run_conv(4, xd, wd, &a, 1, &y);
    expect_close(&y, conv_dw_mult2_out, RK_ARRAY_LEN(conv_dw_mult2_out), "conv_dw_mult2");
    rk_tensor_free(&y);
}

static void test_conv_grouped_batch2(void **state)
{
    (void)state;
    int64_t xd[4] = {2, 4, 7, 7}, wd[4] = {6, 2, 3, 3}, pads[4] = {1, 1, 1, 1};
    rk_tensor y = {0};
    pb a = {0};
    attr_int(&a, "group", 2);
    attr_ints(&a, "pads", 4, pads);
    run_conv(4, xd, wd, &a, 2, &y);
    expect_close(&y, conv_group2_out, RK_ARRAY_LEN(conv_group2_out), "conv_group2");
    rk_tensor_free(&y);
}

static void test_conv_3d_and_1d_depthwise_and_pointwise(void **state)
{
    (void)state;
    int64_t xd[5] = {1, 2, 5, 6, 7}, wd[5] = {3, 2, 2, 3, 3};
    int64_t strides[3] = {1, 2, 1}, pads[6] = {0, 1, 1, 0, 1, 1};
    rk_tensor y = {0};
    pb a = {0};
    attr_ints(&a, "strides", 3, strides);
    attr_ints(&a, "pads", 6, pads);
    run_conv(5, xd, wd, &a, 1, &y);
    expect_close(&y, conv_3d_out, RK_ARRAY_LEN(conv_3d_out), "conv_3d");
    rk_tensor_free(&y);

    int64_t xd1[3] = {1, 3, 20}, wd1[3] = {3, 1, 5}, dil[1] = {2}, pads1[2] = {4, 4};
    attr_int(&a, "group", 3);
    attr_ints(&a, "dilations", 1, dil);
    attr_ints(&a, "pads", 2, pads1);
    run_conv(3, xd1, wd1, &a, 1, &y);
    expect_close(&y, conv_1d_dw_out, RK_ARRAY_LEN(conv_1d_dw_out), "conv_1d_dw");
    rk_tensor_free(&y);

    int64_t xd2[4] = {1, 5, 6, 7}, wd2[4] = {4, 5, 1, 1};
    run_conv(4, xd2, wd2, NULL, 1, &y);
    expect_close(&y, conv_pointwise_out, RK_ARRAY_LEN(conv_pointwise_out), "conv_pointwise");
    rk_tensor_free(&y);
}

/* 16*7*7 = 784 im2col rows: the 3600 output columns need two chunks. */
static void test_conv_chunked_im2col_threads_agree(void **state)
{
    (void)state;
    int64_t xd[4] = {1, 16, 60, 60}, wd[4] = {4, 16, 7, 7}, pads[4] = {3, 3, 3, 3};
    rk_tensor y1 = {0}, y2 = {0};
    pb a = {0};
    attr_ints(&a, "pads", 4, pads);
    run_conv(4, xd, wd, &a, 1, &y1);
    attr_ints(&a, "pads", 4, pads);
    run_conv(4, xd, wd, &a, 2, &y2);
    assert_int_equal(y1.nelem, 4 * 60 * 60);
    for (size_t i = 0; i < RK_ARRAY_LEN(conv_chunked_pos); i++) {
        float g = ((const float *)y1.data)[conv_chunked_pos[i]], w = conv_chunked_out[i];
        if (!(fabsf(g - w) <= 1e-4f * (1.0f + fabsf(w))))
            fail_msg("conv_chunked: position %d is %.7g, expected %.7g", conv_chunked_pos[i], g, w);
    }
    /* Two threads split the GEMM columns; OpenBLAS may pick a different
     * micro-kernel for a narrower block, so the 784-term sums can differ in
     * the last bits (seen: 7e-6 relative), never more. */
    for (int64_t i = 0; i < y1.nelem; i++) {
        float v1 = ((float *)y1.data)[i], v2 = ((float *)y2.data)[i];
        if (!(fabsf(v1 - v2) <= 3e-5f * (1.0f + fabsf(v1))))
            fail_msg("conv_chunked: 1 vs 2 threads differ at %lld: %.7g vs %.7g", (long long)i,
                     v1, v2);
    }
    rk_tensor_free(&y1);
    rk_tensor_free(&y2);
}

static void test_convtranspose_grouped_dilated_output_padding(void **state)
{
    (void)state;
    int64_t xd[4] = {1, 4, 4, 5}, wd[4] = {4, 3, 3, 3}, bd[1] = {6};
    int64_t strides[2] = {2, 1}, dil[2] = {1, 2}, pads[4] = {1, 0, 0, 1}, op[2] = {1, 0};
    rk_tensor x = fill(4, xd, 0.4, 1.5), w = fill(4, wd, 0.5, 0.5), b = fill(1, bd, 0.6, 1.5);
    rk_tensor *in[3] = {&x, &w, &b};
    const char *names[3] = {"x", "w", "b"};
    rk_tensor y[1] = {{0}};
    rk_err e = {0};
    pb a = {0};
    attr_int(&a, "group", 2);
    attr_ints(&a, "strides", 2, strides);
    attr_ints(&a, "dilations", 2, dil);
    attr_ints(&a, "pads", 4, pads);
    attr_ints(&a, "output_padding", 2, op);
    if (run_op("ConvTranspose", 11, &a, names, in, 3, 1, y, 1, &e) != RK_OK)
        fail_msg("ConvTranspose: %s", e.msg);
    expect_close(&y[0], convt_group_dil_out, RK_ARRAY_LEN(convt_group_dil_out), "convt");
    free_all(y, 1);
    free_all(&x, 1);
    free_all(&w, 1);
    free_all(&b, 1);
}

static void test_conv_channel_mismatch_names_node(void **state)
{
    (void)state;
    int64_t xd[4] = {1, 3, 5, 5}, wd[4] = {2, 4, 3, 3};
    rk_tensor x = fill(4, xd, 0.1, 1.0), w = fill(4, wd, 0.2, 1.0), *in[2] = {&x, &w};
    const char *names[2] = {"x", "w"};
    rk_tensor y[1] = {{0}};
    rk_err e = {0};
    assert_int_equal(run_op("Conv", 11, NULL, names, in, 2, 1, y, 1, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "node_under_test"));
    assert_non_null(strstr(e.msg, "group"));
    rk_tensor_free(&x);
    rk_tensor_free(&w);
}

static void test_gemm_inner_mismatch_and_pool_without_kernel_fail(void **state)
{
    (void)state;
    int64_t ad[2] = {2, 3}, bd[2] = {4, 5}, xd[4] = {1, 1, 4, 4};
    rk_tensor a = fill(2, ad, 0.1, 1.0), b = fill(2, bd, 0.2, 1.0), *in[2] = {&a, &b};
    const char *names[2] = {"a", "b"};
    rk_tensor y[2] = {{0}};
    rk_err e = {0};
    assert_int_equal(run_op("Gemm", 13, NULL, names, in, 2, 1, y, 1, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "inner dimensions"));
    rk_tensor x = fill(4, xd, 0.3, 1.0), *in1[1] = {&x};
    memset(&e, 0, sizeof e);
    assert_int_equal(run_op("MaxPool", 12, NULL, names, in1, 1, 1, y, 1, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "kernel_shape"));
    rk_tensor_free(&a);
    rk_tensor_free(&b);
    rk_tensor_free(&x);
}

/* Attribute values that would overflow size arithmetic or ask for hours of
 * work are refused with a message (cases first found by
 * tests/fuzz/fuzz_onnxref_nn.c under UBSan). */
static void test_malformed_geometry_fails_cleanly(void **state)
{
    (void)state;
    int64_t xd[4] = {1, 3, 4, 4}, wd[4] = {3, 1, 3, 3};
    rk_tensor x = fill(4, xd, 0.1, 1.0), w = fill(4, wd, 0.2, 1.0), *in[2] = {&x, &w};
    const char *names[2] = {"x", "w"};
    rk_tensor y[2] = {{0}};
    rk_err e = {0};
    pb a = {0};
    attr_int(&a, "group", INT64_MAX);
    assert_int_equal(run_op("Conv", 11, &a, names, in, 2, 1, y, 1, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "group"));
    const int64_t huge_pads[4] = {(int64_t)1 << 40, 0, 0, 0}, k[2] = {2, 2};
    attr_ints(&a, "kernel_shape", 2, k);
    attr_ints(&a, "pads", 4, huge_pads);
    memset(&e, 0, sizeof e);
    assert_int_equal(run_op("MaxPool", 12, &a, names, in, 1, 1, y, 2, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "pads"));
    attr_int(&a, "blocksize", INT64_MAX);
    memset(&e, 0, sizeof e);
    assert_int_equal(run_op("SpaceToDepth", 13, &a, names, in, 1, 1, y, 1, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "blocksize"));
    const int64_t sizes[4] = {1, 3, (int64_t)1 << 40, 4};
    rk_tensor sz = vec_i64(4, sizes);
    rk_tensor *rin[4] = {&x, NULL, NULL, &sz};
    const char *rnames[4] = {"x", "", "", "sizes"};
    memset(&e, 0, sizeof e);
    assert_int_equal(run_op("Resize", 13, NULL, rnames, rin, 4, 1, y, 1, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "sizes[2]"));
    rk_tensor_free(&x);
    rk_tensor_free(&w);
    rk_tensor_free(&sz);
}

/* ----------------------------------------------------------------- resize */

static void run_resize(int opset, int64_t n, int64_t c, int64_t h, int64_t w, pb *attrs,
                       int nscales, const float *scales, int nsizes, const int64_t *sizes,
                       const float *want, int64_t nwant, const char *what)
{
    int64_t xd[4] = {n, c, h, w};
    rk_tensor x = fill(4, xd, 0.5, 1.5), sc = {0}, sz = {0};
    rk_tensor *in[4] = {&x, NULL, NULL, NULL};
    const char *names[4] = {"x", "", "", ""};
    int nin = 1;
    if (nscales) {
        sc = vec_f32(nscales, scales);
        in[2] = &sc;
        names[2] = "scales";
        nin = 3;
    } else {
        sz = vec_i64(nsizes, sizes);
        in[3] = &sz;
        names[3] = "sizes";
        nin = 4;
    }
    rk_tensor y[1] = {{0}};
    rk_err e = {0};
    if (run_op("Resize", opset, attrs, names, in, nin, 1, y, 1, &e) != RK_OK)
        fail_msg("%s: %s", what, e.msg);
    expect_close(&y[0], want, nwant, what);
    free_all(y, 1);
    rk_tensor_free(&x);
    rk_tensor_free(&sc);
    rk_tensor_free(&sz);
}

static void test_resize_opset18_antialias_axes_keep_ratio(void **state)
{
    (void)state;
    const int64_t axes[2] = {2, 3};
    pb a = {0};
    attr_string(&a, "mode", "linear");
    attr_int(&a, "antialias", 1);
    attr_ints(&a, "axes", 2, axes);
    const float s1[2] = {0.5f, 0.4f};
    run_resize(18, 1, 1, 6, 8, &a, 2, s1, 0, NULL, resize_antialias_linear_out,
               RK_ARRAY_LEN(resize_antialias_linear_out), "resize_antialias_linear");
    attr_string(&a, "mode", "cubic");
    attr_int(&a, "antialias", 1);
    attr_ints(&a, "axes", 2, axes);
    const float s2[2] = {0.5f, 0.5f};
    run_resize(18, 1, 1, 6, 8, &a, 2, s2, 0, NULL, resize_antialias_cubic_out,
               RK_ARRAY_LEN(resize_antialias_cubic_out), "resize_antialias_cubic");
    attr_string(&a, "mode", "linear");
    attr_string(&a, "keep_aspect_ratio_policy", "not_larger");
    attr_ints(&a, "axes", 2, axes);
    const int64_t sizes[2] = {2, 3};
    run_resize(18, 1, 1, 4, 6, &a, 0, NULL, 2, sizes, resize_keep_ratio_not_larger_out,
               RK_ARRAY_LEN(resize_keep_ratio_not_larger_out), "resize_keep_ratio_not_larger");
}

static void test_resize_opset19_half_pixel_symmetric(void **state)
{
    (void)state;
    pb a = {0};
    attr_string(&a, "mode", "linear");
    attr_string(&a, "coordinate_transformation_mode", "half_pixel_symmetric");
    const float s[4] = {1.0f, 1.0f, 1.5f, 0.6f};
    run_resize(19, 1, 2, 4, 5, &a, 4, s, 0, NULL, resize_half_pixel_symmetric_out,
               RK_ARRAY_LEN(resize_half_pixel_symmetric_out), "resize_half_pixel_symmetric");
}

/* ---------------------------------------------------- normalisation, pools */

static void run_groupnorm(int opset, const int64_t *xd, int64_t groups, int nparam,
                          const float *want, int64_t nwant, const char *what)
{
    int64_t pd[1] = {nparam};
    rk_tensor x = fill(4, xd, 0.7, 1.5), s = fill(1, pd, 0.8, 1.5), b = fill(1, pd, 0.9, 1.5);
    rk_tensor *in[3] = {&x, &s, &b};
    const char *names[3] = {"x", "scale", "bias"};
    rk_tensor y[1] = {{0}};
    rk_err e = {0};
    pb a = {0};
    attr_int(&a, "num_groups", groups);
    if (run_op("GroupNormalization", opset, &a, names, in, 3, 1, y, 1, &e) != RK_OK)
        fail_msg("%s: %s", what, e.msg);
    expect_close(&y[0], want, nwant, what);
    free_all(y, 1);
    rk_tensor_free(&x);
    rk_tensor_free(&s);
    rk_tensor_free(&b);
}

static void test_groupnorm_opset18_per_group_and_21_per_channel(void **state)
{
    (void)state;
    const int64_t d18[4] = {2, 4, 3, 3}, d21[4] = {2, 6, 2, 2};
    run_groupnorm(18, d18, 2, 2, groupnorm18_out, RK_ARRAY_LEN(groupnorm18_out), "groupnorm18");
    run_groupnorm(21, d21, 3, 6, groupnorm21_out, RK_ARRAY_LEN(groupnorm21_out), "groupnorm21");
}

static void test_lppool_p3_padded_and_global(void **state)
{
    (void)state;
    int64_t xd[4] = {1, 2, 5, 5}, k[2] = {3, 3}, s[2] = {2, 2}, pads[4] = {1, 1, 1, 1};
    rk_tensor x = fill(4, xd, 1.1, 1.5), *in[1] = {&x};
    const char *names[1] = {"x"};
    rk_tensor y[1] = {{0}};
    rk_err e = {0};
    pb a = {0};
    attr_ints(&a, "kernel_shape", 2, k);
    attr_ints(&a, "strides", 2, s);
    attr_ints(&a, "pads", 4, pads);
    attr_int(&a, "p", 3);
    if (run_op("LpPool", 18, &a, names, in, 1, 1, y, 1, &e) != RK_OK)
        fail_msg("LpPool: %s", e.msg);
    expect_close(&y[0], lppool_p3_out, RK_ARRAY_LEN(lppool_p3_out), "lppool_p3");
    free_all(y, 1);
    rk_tensor_free(&x);
    int64_t gd[4] = {1, 3, 4, 4};
    x = fill(4, gd, 1.2, 1.5);
    in[0] = &x;
    if (run_op("GlobalLpPool", 2, NULL, names, in, 1, 1, y, 1, &e) != RK_OK)
        fail_msg("GlobalLpPool: %s", e.msg);
    expect_close(&y[0], globallppool_out, RK_ARRAY_LEN(globallppool_out), "globallppool");
    free_all(y, 1);
    rk_tensor_free(&x);
}

/* BatchNormalization-7 with spatial=0: per-activation parameters of shape
 * [C, H, W].  Hand-derived: y = (x - mean) / sqrt(var + eps) * s + b with
 * x = [1, 2, 3, 4] (C=2, W=2), s = [1, 2, 3, 4], b = [0, 1, 0, 1],
 * mean = [1, 1, 1, 1], var = [3.99, 0.99, 0.24, 8.99], eps = 0.01:
 * sqrt(var + eps) = [2, 1, 0.5, 3] -> y = [0, 3, 12, 5]. */
static void test_batchnorm_opset7_per_activation(void **state)
{
    (void)state;
    int64_t xd[3] = {1, 2, 2}, pd[2] = {2, 2};
    rk_tensor x, s, b, m, v;
    rk_err e = {0};
    const float xv[4] = {1, 2, 3, 4}, sv[4] = {1, 2, 3, 4}, bv[4] = {0, 1, 0, 1};
    const float mv[4] = {1, 1, 1, 1}, vv[4] = {3.99f, 0.99f, 0.24f, 8.99f};
    rk_tensor *ts[5] = {&x, &s, &b, &m, &v};
    const float *vals[5] = {xv, sv, bv, mv, vv};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(rk_tensor_alloc(ts[i], NULL, RK_DT_F32, i ? 2 : 3, i ? pd : xd, &e),
                         RK_OK);
        memcpy(ts[i]->data, vals[i], 4 * sizeof(float));
    }
    const char *names[5] = {"x", "s", "b", "m", "v"};
    rk_tensor y[1] = {{0}};
    pb a = {0};
    attr_int(&a, "spatial", 0);
    attr_float(&a, "epsilon", 0.01f);
    if (run_op("BatchNormalization", 7, &a, names, ts, 5, 1, y, 1, &e) != RK_OK)
        fail_msg("BatchNormalization: %s", e.msg);
    const float want[4] = {0, 3, 12, 5};
    expect_close(&y[0], want, 4, "batchnorm7 spatial=0");
    free_all(y, 1);
    for (int i = 0; i < 5; i++)
        rk_tensor_free(ts[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attention_mha_4d_default_scale),
        cmocka_unit_test(test_attention_gqa_3d_causal_scale),
        cmocka_unit_test(test_attention_bool_mask_shorter_than_keys),
        cmocka_unit_test(test_attention_float_mask_softcap_outputs),
        cmocka_unit_test(test_attention_past_kv_causal_present),
        cmocka_unit_test(test_attention_3d_without_head_count_fails),
        cmocka_unit_test(test_einsum_attention_scores_bhid_bhjd),
        cmocka_unit_test(test_einsum_attention_context_bhij_bhjd),
        cmocka_unit_test(test_einsum_batched_matmul_and_implicit),
        cmocka_unit_test(test_einsum_ellipsis_transpose_and_trace),
        cmocka_unit_test(test_einsum_bad_equation_fails),
        cmocka_unit_test(test_softmax_opset11_coerces_to_2d),
        cmocka_unit_test(test_conv_depthwise_multiplier_stride_dilation),
        cmocka_unit_test(test_conv_grouped_batch2),
        cmocka_unit_test(test_conv_3d_and_1d_depthwise_and_pointwise),
        cmocka_unit_test(test_conv_chunked_im2col_threads_agree),
        cmocka_unit_test(test_convtranspose_grouped_dilated_output_padding),
        cmocka_unit_test(test_conv_channel_mismatch_names_node),
        cmocka_unit_test(test_gemm_inner_mismatch_and_pool_without_kernel_fail),
        cmocka_unit_test(test_malformed_geometry_fails_cleanly),
        cmocka_unit_test(test_resize_opset18_antialias_axes_keep_ratio),
        cmocka_unit_test(test_resize_opset19_half_pixel_symmetric),
        cmocka_unit_test(test_groupnorm_opset18_per_group_and_21_per_channel),
        cmocka_unit_test(test_lppool_p3_padded_and_global),
        cmocka_unit_test(test_batchnorm_opset7_per_activation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
