/*
 * test_compare_partner.c - tensors that `rksim convert` stores in a derived
 * form ("#eq", "#mm", ...) and how `rksim compare` pairs them with their
 * ONNX tensor through the "rksim#partners" table (sim/rknn_partner.h).
 *
 * The metric checks are independent of the code under test: the reference
 * tensor is computed directly in double precision from the model's weights
 * (a 1x1 conv / a matrix product written out here), the simulated values are
 * read with the plain simulator API, the equalisation factors are recovered
 * from the compiled int8 weight scales (symmetric per output channel:
 * scale = max|w| / 127, so f[k] = max|w_onnx[k]| / (127 * scale[k])) and the
 * MatMul pixel grid is unpacked by the layout rule written out below
 * (convert/README.md "MatMul / Gemm": matrix row p at pixel p).  The table
 * parser is checked against hand-derived element maps.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compare.h"
#include "convert.h"
#include "onnx.pb-c.h"
#include "onnxgen.h"
#include "rk_tensorio.h"
#include "rknn_partner.h"
#include "sim.h"
#include "testutil.h"

/* ---- the table ----------------------------------------------------------- */

static rk_status parse_text(const char *s, rknn_partner_table *t, rk_err *e)
{
    return rknn_partners_parse((const uint8_t *)s, strlen(s), t, e);
}

static void test_partner_table_roundtrip(void **state)
{
    (void)state;
    float f[3] = {1.0f, 0.015625f, 0.333333343f};
    rknn_partner v[4];
    memset(v, 0, sizeof(v));
    v[0] = (rknn_partner){.tensor = "a#eq", .onnx = "a", .kind = RKNN_PARTNER_EQ, .factors = f, .n_factors = 3};
    v[1] = (rknn_partner){.tensor = "y#mm1", .onnx = "y", .kind = RKNN_PARTNER_MM, .ndim = 3,
                          .dims = {2, 5, 3}, .rows = 5, .cols = 3, .batch = 1, .nbatch = 2};
    v[2] = (rknn_partner){.tensor = "b#mmw0", .onnx = "b", .kind = RKNN_PARTNER_MMW, .ndim = 2,
                          .dims = {4, 3}, .rows = 4, .cols = 3, .batch = 0, .nbatch = 1, .esz = 1};
    v[3] = (rknn_partner){.tensor = "x#fp16", .onnx = "x", .kind = RKNN_PARTNER_COPY};
    char *text = NULL;
    size_t len = 0;
    rk_err e = {0};
    assert_int_equal(rknn_partners_format(v, 4, &text, &len, &e), RK_OK);
    rknn_partner_table t;
    assert_int_equal(rknn_partners_parse((const uint8_t *)text, len, &t, &e), RK_OK);
    assert_int_equal(t.n, 4);
    assert_string_equal(t.v[0].tensor, "a#eq");
    assert_int_equal(t.v[0].n_factors, 3);
    for (int i = 0; i < 3; i++)
        assert_true(t.v[0].factors[i] == f[i]); /* 9 digits: float32 exact */
    assert_int_equal(t.v[1].kind, RKNN_PARTNER_MM);
    assert_int_equal(t.v[1].ndim, 3);
    assert_true(t.v[1].dims[1] == 5 && t.v[1].batch == 1 && t.v[1].nbatch == 2);
    assert_int_equal(t.v[2].esz, 1);
    assert_int_equal(t.v[3].kind, RKNN_PARTNER_COPY);
    assert_non_null(rknn_partner_find(&t, "y#mm1"));
    assert_null(rknn_partner_find(&t, "y"));
    rknn_partner_table_free(&t);
    free(text);
}

static void expect_parse_error(const char *text, const char *needle)
{
    rknn_partner_table t;
    rk_err e = {0};
    assert_int_equal(parse_text(text, &t, &e), RK_EINPUT);
    if (!strstr(e.msg, needle))
        fail_msg("error '%s' does not mention '%s'", e.msg, needle);
    assert_null(t.v);
}

static void test_partner_table_malformed_is_input_error(void **state)
{
    (void)state;
    expect_parse_error("", "empty");
    expect_parse_error("rksim-partners 2\n", "first line");
    expect_parse_error("rksim-partners 1\na\tb\n", "line 2: expected TENSOR");
    expect_parse_error("rksim-partners 1\na\tb\tzz\n", "line 2: unknown kind");
    expect_parse_error("rksim-partners 1\na\tb\teq\t1 0\n", "line 2: factor '0'");
    expect_parse_error("rksim-partners 1\na\tb\teq\t1 nan\n", "factor 'nan'");
    expect_parse_error("rksim-partners 1\na\tb\tcopy\n\ta\tb\tcopy\n", "line 3: expected TENSOR");
    expect_parse_error("rksim-partners 1\ny\tz\tmm\t2x5x3 5 3 0 2 2\n", "matrix 2");
    expect_parse_error("rksim-partners 1\ny\tz\tmm\t2x5x4 5 3 0 0 2\n", "do not make the ONNX shape");
    expect_parse_error("rksim-partners 1\ny\tz\tmm\t5x3 5 3 2 0 1\n", "TRANS");
    expect_parse_error("rksim-partners 1\ny\tz\tmm\t5x3 5 3 0 0\n", "needs 6 parameters");
    expect_parse_error("rksim-partners 1\ny\tz\tmmw\t4x3 4 3 0 1 3\n", "ESZ");
    expect_parse_error("rksim-partners 1\ny\tz\tmm\t99999999999x3 5 3 0 0 1\n", "not an integer");
}

static rknn_tensor grid_tensor(const char *name, int32_t *shape)
{
    rknn_tensor t;
    memset(&t, 0, sizeof(t));
    t.name = (char *)name;
    t.shape = shape;
    t.n_shape = 4;
    return t;
}

/* Hand-derived maps: mm rows 5 x cols 3 (matrix 1 of 2) in a [1,3,2,4]
 * grid: element (col, p) = col*8 + p holds ONNX 15 + p*3 + col for p < 5;
 * transposed: 15 + col*5 + p.  eq: identity with f[c] on plane c. */
static void test_partner_maps_hand_derived(void **state)
{
    (void)state;
    rknn_partner_table t;
    rk_err e = {0};
    assert_int_equal(parse_text("rksim-partners 1\n"
                                "y#mm1\ty\tmm\t2x5x3 5 3 0 1 2\n"
                                "y#mminT\ty\tmm\t2x3x5 5 3 1 1 2\n"
                                "a#eq\ta\teq\t0.5 2\n",
                                &t, &e),
                     RK_OK);
    int32_t shape[4] = {1, 3, 2, 4};
    rknn_tensor grid = grid_tensor("y#mm1", shape);
    int64_t *src, n;
    float *fac;
    assert_int_equal(rknn_partner_map(&t.v[0], &grid, 30, &src, &fac, &n, &e), RK_OK);
    assert_int_equal(n, 24);
    const int64_t want_row[8] = {15, 18, 21, 24, 27, -1, -1, -1}; /* column 0 */
    for (int p = 0; p < 8; p++) {
        assert_int_equal(src[p], want_row[p]);
        assert_int_equal(src[2 * 8 + p], want_row[p] < 0 ? -1 : want_row[p] + 2);
        assert_true(fac[p] == 1.0f);
    }
    free(src), free(fac);
    assert_int_equal(rknn_partner_map(&t.v[1], &grid, 30, &src, &fac, &n, &e), RK_OK);
    assert_int_equal(src[1 * 8 + 4], 15 + 1 * 5 + 4);
    assert_int_equal(src[1 * 8 + 5], -1);
    free(src), free(fac);
    /* the record must fit the tensor: 29 ONNX values, or a grid of 4 pixels */
    assert_int_equal(rknn_partner_map(&t.v[0], &grid, 29, &src, &fac, &n, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "has 29 elements"));
    int32_t small[4] = {1, 3, 1, 4};
    rknn_tensor g2 = grid_tensor("y#mm1", small);
    assert_int_equal(rknn_partner_map(&t.v[0], &g2, 30, &src, &fac, &n, &e), RK_EINPUT);
    assert_null(src);
    int32_t eqs[4] = {1, 2, 1, 3};
    rknn_tensor g3 = grid_tensor("a#eq", eqs);
    assert_int_equal(rknn_partner_map(&t.v[2], &g3, 6, &src, &fac, &n, &e), RK_OK);
    for (int j = 0; j < 6; j++) {
        assert_int_equal(src[j], j);
        assert_true(fac[j] == (j < 3 ? 0.5f : 2.0f));
    }
    free(src), free(fac);
    rknn_partner_table_free(&t);
}

/* The CNA weight map against SEMANTICS C-WT by hand: 2 kernels x 3 channels,
 * int8 (C2 16): kernel 0's 16 aligned channels, then kernel 1's; padding
 * channels -> n*k = 6. */
static void test_partner_weight_map_hand_derived(void **state)
{
    (void)state;
    int64_t map[32];
    rknn_cna_weight_map(2, 3, 1, map);
    assert_int_equal(map[0], 0);
    assert_int_equal(map[2], 2);
    assert_int_equal(map[3], 6);
    assert_int_equal(map[16], 3);
    assert_int_equal(map[18], 5);
    assert_int_equal(map[31], 6);
}

/* ---- models -------------------------------------------------------------- */

/* Writers over tests/support/onnxgen.h: nodes are named after their output. */
typedef tg_arena arena;

static void ar_free(arena *a)
{
    tg_arena_free(a);
}

static Onnx__NodeProto *node(arena *a, const char *op, const char *in0, const char *in1, const char *out)
{
    const char *ins[2] = {in0, in1};
    return tg_node(a, op, out, ins, in1 ? 2 : 1, &out, 1);
}

static Onnx__TensorProto *init_f32(arena *a, const char *name, int nd, const int64_t *dims, const float *v)
{
    return tg_init_f32(a, name, nd, dims, v);
}

static const char *save_model_inits(arena *a, Onnx__NodeProto **nodes, size_t nn, Onnx__TensorProto **inits,
                                    size_t ni, const int64_t in_dims[4], const char *file)
{
    Onnx__ValueInfoProto *in = tg_vinfo(a, "input", 4, in_dims), *out = tg_vinfo(a, "output", 0, NULL);
    tg_graph g = {.name = "partner", .nodes = nodes, .n_nodes = nn, .inits = inits, .n_inits = ni,
                  .inputs = &in, .n_inputs = 1, .outputs = &out, .n_outputs = 1};
    return tg_save(a, &g, file);
}

static const char *save_model(arena *a, Onnx__NodeProto **nodes, size_t nn, Onnx__TensorProto *w,
                              const int64_t in_dims[4], const char *file)
{
    return save_model_inits(a, nodes, nn, &w, 1, in_dims, file);
}

/* The sample the default calibration uses (convert/cv_quant.c: an LCG
 * filling [0, 1)), so the int8 ranges fit it; written as input.h5. */
static const char *lcg_input(const int64_t dims[4], rk_tensor *in, const char *file)
{
    rk_err e = {0};
    assert_int_equal(rk_tensor_alloc(in, "input", RK_DT_F32, 4, dims, &e), RK_OK);
    uint32_t lcg = 0x12345678u;
    for (int64_t i = 0; i < in->nelem; i++) {
        lcg = lcg * 1664525u + 1013904223u;
        ((float *)in->data)[i] = (float)(lcg >> 8) / 16777216.0f;
    }
    const char *path = tu_tmp_path(file);
    assert_int_equal(rk_h5_write(path, in, 1, &e), RK_OK);
    return path;
}

/* Convert (int8, default calibration), write, compare; the model and the
 * report stay for the caller. */
static void convert_and_compare(const char *onnx, const char *input, const char *rknn_file, rknn_model **m,
                                cmp_report *r)
{
    rk_err e = {0};
    rk_convert_report rep;
    memset(&rep, 0, sizeof(rep));
    rk_convert_opts o = {.soc = RK_SOC_RK3588, .dtype = RK_CONVERT_INT8};
    rk_status st = rk_convert_onnx(onnx, &o, m, &rep, &e);
    if (st)
        fail_msg("convert: %s", e.msg);
    rk_convert_report_free(&rep);
    const char *path = tu_tmp_path(rknn_file);
    assert_int_equal(rknn_write_file(*m, path, &e), RK_OK);
    cmp_report_init(r);
    cmp_options co;
    cmp_options_default(&co);
    if ((st = cmp_run(onnx, path, &input, 1, &co, r, &e)))
        fail_msg("compare: %s", e.msg);
}

static const cmp_row *row_of(const cmp_report *r, const char *tensor)
{
    for (int i = 0; i < r->nrows; i++)
        if (strcmp(r->rows[i].tensor, tensor) == 0)
            return &r->rows[i];
    fail_msg("no report row for '%s'", tensor);
    return NULL;
}

/* Simulated float values of tensor `name` (dequantised, its .rknn shape). */
static void sim_tensor(const rknn_model *m, const rk_tensor *in, const char *name, rk_tensor *out)
{
    rk_err e = {0};
    sim *s = NULL;
    sim_options so = {.keep_layers = true};
    assert_int_equal(sim_create(m, &so, &s, &e), RK_OK);
    assert_int_equal(sim_set_input(s, 0, in, false, &e), RK_OK);
    assert_int_equal(sim_run(s, &e), RK_OK);
    rk_tensor_list l = {0};
    assert_int_equal(sim_layers(s, &l, &e), RK_OK);
    const rk_tensor *t = rk_tensor_list_find(&l, name);
    assert_non_null(t);
    assert_int_equal(rk_tensor_copy(out, t, &e), RK_OK);
    rk_tensor_list_free(&l);
    sim_destroy(s);
}

typedef struct direct {
    double cosine, sqnr_db, max_abs;
} direct;

static direct direct_metrics(const double *ref, const double *test, int64_t n)
{
    double xy = 0, xx = 0, yy = 0, dd = 0, mx = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = test[i] - ref[i];
        xy += ref[i] * test[i], xx += ref[i] * ref[i], yy += test[i] * test[i], dd += d * d;
        mx = fmax(mx, fabs(d));
    }
    return (direct){xy / sqrt(xx * yy), 10.0 * log10(xx / dd), mx};
}

static void expect_metrics(const cmp_metrics *got, direct want)
{
    if (fabs(got->cosine - want.cosine) > 1e-6 || fabs(got->sqnr_db - want.sqnr_db) > 1e-3 ||
        fabs(got->max_abs - want.max_abs) > 1e-5 * fmax(1.0, want.max_abs))
        fail_msg("compare: cosine %.7f sqnr %.4f max %.6g; direct: cosine %.7f sqnr %.4f max %.6g", got->cosine,
                 got->sqnr_db, got->max_abs, want.cosine, want.sqnr_db, want.max_abs);
}

/* A conv whose 4 output channels differ up to 1000x in scale feeds a CPU op
 * (Abs): its output is stored channel-equalised as "a#eq".  The report row
 * must carry the metrics of a = conv(x) against the simulated a#eq with the
 * factors undone. */
static void test_compare_equalised_conv_metrics_match_direct(void **state)
{
    (void)state;
    arena a = {0};
    enum { C = 3, K = 4, HW = 64 };
    static const int64_t in_dims[4] = {1, C, 8, 8}, wd[4] = {K, C, 1, 1};
    static const float w[K * C] = {1.0f, -0.5f, 0.75f, 0.001f, 0.002f, -0.003f,
                                   0.2f, 0.1f,  -0.3f, -0.02f, 0.05f,  0.01f};
    Onnx__NodeProto *n[2] = {node(&a, "Conv", "input", "w", "a"), node(&a, "Abs", "a", NULL, "output")};
    const char *onnx = save_model(&a, n, 2, init_f32(&a, "w", 4, wd, w), in_dims, "partner_eq.onnx");
    rk_tensor in = {0}, sa = {0};
    const char *input = lcg_input(in_dims, &in, "partner_eq_in.h5");
    rknn_model *m = NULL;
    cmp_report r;
    convert_and_compare(onnx, input, "partner_eq.rknn", &m, &r);
    const cmp_row *row = row_of(&r, "a#eq");
    assert_non_null(row->onnx_tensor);
    assert_string_equal(row->onnx_tensor, "a");
    assert_false(row->is_cpu);
    assert_true(row->has_entire && row->has_single);

    /* factors from the compiled weights: the conv's per-channel int8 scales */
    const rknn_graph *g = &m->graphs[0];
    const rknn_tensor *wt = NULL;
    for (uint32_t i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].kind == RKNN_KIND_CONST && g->tensors[i].quant.n_scale == K)
            wt = &g->tensors[i];
    assert_non_null(wt);
    double f[K], ref[K * HW], test[K * HW], naive[K * HW];
    for (int k = 0; k < K; k++) {
        double mx = 0;
        for (int c = 0; c < C; c++)
            mx = fmax(mx, fabs(w[k * C + c]));
        f[k] = mx / (127.0 * wt->quant.scale[k]);
    }
    assert_true(f[1] < 0.1); /* the small channel really is rescaled */
    sim_tensor(m, &in, "a#eq", &sa);
    assert_int_equal(sa.nelem, K * HW);
    const float *x = in.data, *s = sa.data;
    for (int k = 0; k < K; k++)
        for (int p = 0; p < HW; p++) {
            double acc = 0;
            for (int c = 0; c < C; c++)
                acc += (double)w[k * C + c] * x[c * HW + p];
            ref[k * HW + p] = acc;
            test[k * HW + p] = s[k * HW + p] * f[k];
            naive[k * HW + p] = s[k * HW + p];
        }
    direct want = direct_metrics(ref, test, K * HW);
    assert_true(want.cosine > 0.999);
    expect_metrics(&row->entire, want);
    /* the check can fail: the stored values as they are differ clearly */
    assert_true(direct_metrics(ref, naive, K * HW).cosine < want.cosine - 1e-3);
    /* single mode: the conv reads the graph input, so it equals entire */
    assert_true(fabs(row->single.cosine - row->entire.cosine) < 1e-9);
    rk_tensor_free(&in);
    rk_tensor_free(&sa);
    cmp_report_free(&r);
    rknn_free(m);
    ar_free(&a);
}

/* MatMul [1,1,5,40] x W[40,24] read by a CPU op (Abs): the NPU result is
 * stored as the pixel grid "y#mm" [1,24,H,W]; its row must carry the metrics
 * of y = x W against the grid unpacked (matrix row p = pixel p). */
static void test_compare_matmul_result_metrics_match_direct(void **state)
{
    (void)state;
    arena a = {0};
    enum { R = 5, KD = 40, N = 24 };
    static const int64_t in_dims[4] = {1, 1, R, KD}, wd[2] = {KD, N};
    static float w[KD * N];
    for (int i = 0; i < KD * N; i++)
        w[i] = 0.2f * (float)((i * 7) % 11 - 5) / 5.0f;
    Onnx__NodeProto *n[2] = {node(&a, "MatMul", "input", "w", "y"), node(&a, "Abs", "y", NULL, "output")};
    const char *onnx = save_model(&a, n, 2, init_f32(&a, "w", 2, wd, w), in_dims, "partner_mm.onnx");
    rk_tensor in = {0}, sy = {0};
    const char *input = lcg_input(in_dims, &in, "partner_mm_in.h5");
    rknn_model *m = NULL;
    cmp_report r;
    convert_and_compare(onnx, input, "partner_mm.rknn", &m, &r);
    const cmp_row *row = row_of(&r, "y#mm");
    assert_string_equal(row->onnx_tensor, "y");
    assert_false(row->is_cpu);
    assert_true(row->has_entire && row->has_single);

    sim_tensor(m, &in, "y#mm", &sy);
    assert_int_equal(sy.ndim, 4);
    assert_int_equal(sy.dims[1], N);
    int64_t hw = sy.dims[2] * sy.dims[3];
    assert_true(hw >= R);
    double ref[R * N], test[R * N], wrong[R * N];
    const float *x = in.data, *s = sy.data;
    for (int p = 0; p < R; p++)
        for (int o = 0; o < N; o++) {
            double acc = 0;
            for (int i = 0; i < KD; i++)
                acc += (double)x[p * KD + i] * w[i * N + o];
            ref[p * N + o] = acc;
            test[p * N + o] = s[o * hw + p];
            wrong[p * N + o] = s[p * N + o]; /* the grid read as if row-major */
        }
    direct want = direct_metrics(ref, test, R * N);
    assert_true(want.cosine > 0.999);
    expect_metrics(&row->entire, want);
    assert_true(direct_metrics(ref, wrong, R * N).cosine < 0.9);
    /* single mode (the input comes through the pack CPU node): the reference
     * input quantised as 'input#mmin' expects, so no worse than entire */
    assert_true(row->single.cosine > 0.999);
    rk_tensor_free(&in);
    rk_tensor_free(&sy);
    cmp_report_free(&r);
    rknn_free(m);
    ar_free(&a);
}

/* Single mode for a layer fed by a CPU node: input x in [0, 8) while the
 * default calibration saw [0, 1), so conv c1 saturates and the CPU node's
 * sin(2 pi a) is wrong in the entire run; its calibrated range [-1, 1]
 * still holds the reference sin(2 pi a), so conv c2 alone (single mode)
 * must match the float model.  Before the injection moved to just before
 * the layer's first task the CPU node overwrote the injected input and
 * single equalled entire. */
static void test_compare_single_isolates_layer_after_cpu_node(void **state)
{
    (void)state;
    arena a = {0};
    static const int64_t in_dims[4] = {1, 1, 8, 8}, wd[4] = {1, 1, 1, 1}, sd[1] = {1};
    static const float one = 1.0f, twopi = 6.2831853f;
    Onnx__NodeProto *n[4] = {node(&a, "Conv", "input", "w", "a"), node(&a, "Mul", "a", "k", "m"),
                             node(&a, "Sin", "m", NULL, "b"), node(&a, "Conv", "b", "w", "output")};
    Onnx__TensorProto *inits[2] = {init_f32(&a, "w", 4, wd, &one), init_f32(&a, "k", 1, sd, &twopi)};
    const char *onnx = save_model_inits(&a, n, 4, inits, 2, in_dims, "partner_single.onnx");
    rk_tensor in = {0};
    rk_err e = {0};
    assert_int_equal(rk_tensor_alloc(&in, "input", RK_DT_F32, 4, in_dims, &e), RK_OK);
    for (int64_t i = 0; i < in.nelem; i++)
        ((float *)in.data)[i] = 8.0f * (float)((i * 37) % 64) / 64.0f;
    const char *input = tu_tmp_path("partner_single_in.h5");
    assert_int_equal(rk_h5_write(input, &in, 1, &e), RK_OK);
    rknn_model *m = NULL;
    cmp_report r;
    convert_and_compare(onnx, input, "partner_single.rknn", &m, &r);
    const cmp_row *row = NULL;
    for (int i = 0; i < r.nrows && !row; i++)
        if (r.rows[i].onnx_tensor && strcmp(r.rows[i].onnx_tensor, "output") == 0)
            row = &r.rows[i];
    assert_non_null(row);
    assert_true(row->has_entire && row->has_single);
    if (!(row->entire.cosine < 0.9 && row->single.cosine > 0.999))
        fail_msg("entire cosine %.5f (want < 0.9), single %.5f (want > 0.999)", row->entire.cosine,
                 row->single.cosine);
    rk_tensor_free(&in);
    cmp_report_free(&r);
    rknn_free(m);
    ar_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_partner_table_roundtrip),
        cmocka_unit_test(test_partner_table_malformed_is_input_error),
        cmocka_unit_test(test_partner_maps_hand_derived),
        cmocka_unit_test(test_partner_weight_map_hand_derived),
        cmocka_unit_test(test_compare_equalised_conv_metrics_match_direct),
        cmocka_unit_test(test_compare_matmul_result_metrics_match_direct),
        cmocka_unit_test(test_compare_single_isolates_layer_after_cpu_node),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
