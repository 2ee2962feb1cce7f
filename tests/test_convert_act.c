/*
 * test_convert_act.c - activations fused into a Conv or Add (cv_graph.c
 * fuse_followers, cv_act.c): LeakyRelu through the DPU BN PReLU multiply,
 * Sigmoid / SiLU / HardSigmoid / HardSwish / Tanh through the int8 DPU LUT.
 *
 * Dense sweep: a 1x1 conv over two input channels holding the int8 grid
 * k/16 (k = -128..127; exactly the calibrated input scale 1/16, zero point
 * 0) with weights [S, S/127] - quantised exactly to [127, 1] - computes
 * pre = S * (x0 + x1/127): 256 x 32 pixels, a pre-activation step of
 * S/2032, every value the int8 input can give.  Golden: onnxref's float run
 * of the same ONNX model (independent of the compiler); the error is
 * measured in quanta of the output's int8 scale, (max(y,0) - min(y,0)) /
 * 255 of the golden output (the min/max calibration on the same data).
 * Bounds: 0.55 quanta for the LUT (0.5 is the int8 rounding of the output;
 * interpolation, table rounding and OUT_CVT's fixed point add < 0.05),
 * 0.52 for PReLU; cosine >= 0.999.
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

#include "convert.h"
#include "onnx.pb-c.h"
#include "onnxgen.h"
#include "onnxref.h"
#include "rk_tensorio.h"
#include "sim.h"
#include "sim_regs.h"
#include "simcheck.h"
#include "testutil.h"

#define SW 256 /* x0 grid along W */
#define SH 32  /* x1 samples along H (every 8th grid value) */

/* ------------------------------- graphs, over tests/support/onnxgen.h */

typedef tg_arena arena;

static void ar_free(arena *a)
{
    tg_arena_free(a);
}

/* ins: up to 3 names (NULL ends) */
static Onnx__NodeProto *node(arena *a, const char *op, const char *name, const char *i0, const char *i1,
                             const char *i2, const char *out)
{
    const char *ins[3] = {i0, i1, i2};
    int n_in = 0;
    while (n_in < 3 && ins[n_in])
        n_in++;
    return tg_node(a, op, name, ins, n_in, &out, 1);
}

static void attr_f(arena *a, Onnx__NodeProto *n, const char *name, float v)
{
    tg_attr_float(a, n, name, v);
}

static void attr_k11(arena *a, Onnx__NodeProto *n)
{
    const int64_t k[2] = {1, 1};
    tg_attr_ints(a, n, "kernel_shape", k, 2);
}

static Onnx__TensorProto *init(arena *a, const char *name, int nd, const int64_t *dims, const float *v)
{
    return tg_init_f32(a, name, nd, dims, v);
}

static Onnx__TensorProto *scalar(arena *a, const char *name, float v)
{
    return init(a, name, 0, NULL, &v);
}

/* The graph under test: nodes/inits appended by the case builder. */
typedef struct model {
    arena a;
    Onnx__NodeProto *nodes[16];
    Onnx__TensorProto *inits[16];
    size_t nn, ni;
} model;

static const char *save(model *mo, const char *file)
{
    arena *a = &mo->a;
    const int64_t in_dims[4] = {1, 2, SH, SW};
    Onnx__ValueInfoProto *in = tg_vinfo(a, "input", 4, in_dims), *out = tg_vinfo(a, "output", 0, NULL);
    tg_graph g = {.name = "test_convert_act", .nodes = mo->nodes, .n_nodes = mo->nn, .inits = mo->inits,
                  .n_inits = mo->ni, .inputs = &in, .n_inputs = 1, .outputs = &out, .n_outputs = 1,
                  .opset = 14 /* HardSwish */};
    return tg_save(a, &g, file);
}

/* Conv 'conv' input -> out with weights [s, s/127] (1 output channel). */
static void dense_conv(model *mo, float s, const char *out)
{
    const int64_t wd[4] = {1, 2, 1, 1};
    const float w[2] = {s, s / 127.0f};
    Onnx__NodeProto *c = node(&mo->a, "Conv", "conv", "input", "w", NULL, out);
    attr_k11(&mo->a, c);
    mo->nodes[mo->nn++] = c;
    mo->inits[mo->ni++] = init(&mo->a, "w", 4, wd, w);
}

/* The sweep input [1,2,SH,SW] and its HDF5 calibration file. */
static rk_tensor sweep_input(const char **h5)
{
    rk_err e = {0};
    rk_tensor t = {0};
    const int64_t d[4] = {1, 2, SH, SW};
    assert_int_equal(rk_tensor_alloc(&t, "input", RK_DT_F32, 4, d, &e), RK_OK);
    float *v = t.data;
    for (int y = 0; y < SH; y++)
        for (int x = 0; x < SW; x++) {
            v[y * SW + x] = (float)(x - 128) / 16.0f;
            v[SH * SW + y * SW + x] = (float)(y * 8 - 128) / 16.0f;
        }
    *h5 = tu_tmp_path("act_sweep.h5");
    assert_int_equal(rk_h5_write(*h5, &t, 1, &e), RK_OK);
    return t;
}

typedef struct result {
    double cosine, max_q; /* max error in output quanta */
    size_t n_cpu, n_fused;
    bool lut;             /* a task enables the LUT (EW_CFG.EW_LUT_BYPASS = 0) */
    bool prelu;           /* a task sets BN_CFG.BN_MUL_PRELU */
    size_t violations;
    bool note_found;
} result;

/* Converts the model, runs it in the simulator and measures it against
 * onnxref.  note: a report note that must appear (NULL: none checked). */
static result run_case(const char *path, rk_soc soc, rk_convert_dtype dt, const char *note)
{
    rk_err e = {0};
    const char *h5;
    rk_tensor in = sweep_input(&h5);
    rk_convert_opts o = {.soc = soc, .dtype = dt, .calib_h5 = h5};
    rk_convert_report rep = {0};
    rknn_model *m = NULL;
    result r = {0};
    rk_status st = rk_convert_onnx(path, &o, &m, &rep, &e);
    if (st)
        fprintf(stderr, "convert: %s\n", e.msg);
    assert_int_equal(st, RK_OK);
    r.n_cpu = rep.n_cpu_ops;
    r.n_fused = rep.n_fused;
    for (size_t i = 0; note && i < rep.n_notes; i++)
        r.note_found |= strstr(rep.notes[i], note) != NULL;
    r.violations = tu_count_violations(m, soc);
    for (size_t i = 0; i < m->n_regcmd; i++) {
        uint16_t reg = (uint16_t)m->regcmd[i];
        uint32_t val = (uint32_t)(m->regcmd[i] >> 16);
        if (reg == R_DPU_EW_CFG && !(val & 1) && !(val & 0x80))
            r.lut = true;
        if (reg == R_DPU_BN_CFG && !(val & 1) && (val & 0x20))
            r.prelu = true;
    }
    sim *s = NULL;
    sim_options so = {0};
    assert_int_equal(sim_create(m, &so, &s, &e), RK_OK);
    assert_int_equal(sim_set_input(s, 0, &in, false, &e), RK_OK);
    st = sim_run(s, &e);
    if (st)
        fprintf(stderr, "sim: %s\n", e.msg);
    assert_int_equal(st, RK_OK);
    rk_tensor got = {0}, ref = {0};
    assert_int_equal(sim_get_output(s, 0, false, &got, &e), RK_OK);
    ox_model *om = NULL;
    assert_int_equal(ox_model_load_file(path, &om, &e), RK_OK);
    ox_run_opts ro = {.threads = 1};
    assert_int_equal(ox_run(om, &in, 1, &ro, &ref, &e), RK_OK);
    assert_int_equal(got.nelem, ref.nelem);
    const float *a = got.data, *b = ref.data;
    double ab = 0, aa = 0, bb = 0, lo = 0, hi = 0, mx = 0;
    for (int64_t i = 0; i < ref.nelem; i++) {
        lo = fmin(lo, b[i]);
        hi = fmax(hi, b[i]);
    }
    for (int64_t i = 0; i < got.nelem; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
        mx = fmax(mx, fabs((double)a[i] - b[i]));
    }
    r.cosine = ab / sqrt(aa * bb + 1e-30);
    r.max_q = mx / ((hi - lo) / 255.0);
    print_message("    %s %s %s: cosine %.7f, max error %.4f quanta, %zu CPU nodes\n", path,
                  soc == RK_SOC_RK3566 ? "rk3566" : "rk3588", dt == RK_CONVERT_INT8 ? "int8" : "fp16", r.cosine,
                  r.max_q, r.n_cpu);
    rk_tensor_free(&got);
    rk_tensor_free(&ref);
    rk_tensor_free(&in);
    ox_model_free(om);
    sim_destroy(s);
    rknn_free(m);
    rk_convert_report_free(&rep);
    return r;
}

/* Conv + one single-input activation node. */
static const char *conv_act_model(model *mo, float s, const char *op, float alpha, float beta, const char *file)
{
    dense_conv(mo, s, "pre");
    Onnx__NodeProto *n = node(&mo->a, op, "act", "pre", NULL, NULL, "output");
    if (alpha == alpha)
        attr_f(&mo->a, n, "alpha", alpha);
    if (beta == beta)
        attr_f(&mo->a, n, "beta", beta);
    mo->nodes[mo->nn++] = n;
    return save(mo, file);
}

static void expect_lut(result r, double max_q)
{
    assert_int_equal(r.violations, 0);
    assert_int_equal(r.n_cpu, 0);
    assert_true(r.lut);
    assert_true(r.cosine >= 0.999);
    assert_true(r.max_q <= max_q);
}

static void test_convert_act_sigmoid_lut_dense_sweep(void **state)
{
    (void)state;
    model mo = {0};
    const char *p = conv_act_model(&mo, 1.5f, "Sigmoid", NAN, NAN, "act_sigmoid.onnx");
    expect_lut(run_case(p, RK_SOC_RK3588, RK_CONVERT_INT8, NULL), 0.55);
    ar_free(&mo.a);
}

static void test_convert_act_tanh_hardsigmoid_hardswish_lut(void **state)
{
    (void)state;
    model m1 = {0}, m2 = {0}, m3 = {0};
    expect_lut(run_case(conv_act_model(&m1, 0.5f, "Tanh", NAN, NAN, "act_tanh.onnx"), RK_SOC_RK3588,
                        RK_CONVERT_INT8, NULL), 0.55);
    expect_lut(run_case(conv_act_model(&m2, 0.6f, "HardSigmoid", 0.2f, 0.5f, "act_hsig.onnx"), RK_SOC_RK3588,
                        RK_CONVERT_INT8, NULL), 0.55);
    expect_lut(run_case(conv_act_model(&m3, 0.6f, "HardSwish", NAN, NAN, "act_hswish.onnx"), RK_SOC_RK3588,
                        RK_CONVERT_INT8, NULL), 0.55);
    ar_free(&m1.a);
    ar_free(&m2.a);
    ar_free(&m3.a);
}

/* torch's SiLU export: Sigmoid + Mul(x, sigmoid(x)); both nodes fuse. */
static void test_convert_act_silu_pattern_fuses(void **state)
{
    (void)state;
    model mo = {0};
    dense_conv(&mo, 1.0f, "pre");
    mo.nodes[mo.nn++] = node(&mo.a, "Sigmoid", "sig", "pre", NULL, NULL, "s");
    mo.nodes[mo.nn++] = node(&mo.a, "Mul", "mul", "s", "pre", NULL, "output");
    result r = run_case(save(&mo, "act_silu.onnx"), RK_SOC_RK3588, RK_CONVERT_INT8, "SiLU (2 nodes");
    expect_lut(r, 0.55);
    assert_true(r.note_found);
    ar_free(&mo.a);
}

/* Paddle2ONNX's PP-LCNet block: Conv -> Mul(c) -> Add(c) -> x*Clip(x+3,0,6)
 * -> Div(6) -> Mul(c) -> Add(c): the affine ops fold into the conv, the
 * HardSwish pattern and the affine after it into the table. */
static void test_convert_act_paddle_hardswish_chain_is_one_op(void **state)
{
    (void)state;
    model mo = {0};
    arena *a = &mo.a;
    const int64_t one[1] = {1};
    const float m1 = 0.94f, a1 = 0.5f, m2 = 0.476f, a2 = -0.0076f;
    dense_conv(&mo, 0.7f, "pre");
    mo.inits[mo.ni++] = init(a, "m1", 1, one, &m1);
    mo.inits[mo.ni++] = init(a, "a1", 1, one, &a1);
    mo.inits[mo.ni++] = init(a, "m2", 1, one, &m2);
    mo.inits[mo.ni++] = init(a, "a2", 1, one, &a2);
    mo.inits[mo.ni++] = scalar(a, "three", 3.0f);
    mo.inits[mo.ni++] = scalar(a, "zero", 0.0f);
    mo.inits[mo.ni++] = scalar(a, "six", 6.0f);
    mo.nodes[mo.nn++] = node(a, "Mul", "lab1_mul", "m1", "pre", NULL, "p1");
    mo.nodes[mo.nn++] = node(a, "Add", "lab1_add", "p1", "a1", NULL, "p2");
    mo.nodes[mo.nn++] = node(a, "Add", "hs_add", "p2", "three", NULL, "p3");
    mo.nodes[mo.nn++] = node(a, "Clip", "hs_clip", "p3", "zero", "six", "p4");
    mo.nodes[mo.nn++] = node(a, "Mul", "hs_mul", "p2", "p4", NULL, "p5");
    mo.nodes[mo.nn++] = node(a, "Div", "hs_div", "p5", "six", NULL, "p6");
    mo.nodes[mo.nn++] = node(a, "Mul", "lab2_mul", "m2", "p6", NULL, "p7");
    mo.nodes[mo.nn++] = node(a, "Add", "lab2_add", "p7", "a2", NULL, "output");
    result r = run_case(save(&mo, "act_paddle_hswish.onnx"), RK_SOC_RK3588, RK_CONVERT_INT8, NULL);
    expect_lut(r, 0.6); /* the post affine moves the output's zero point */
    assert_int_equal(r.n_fused, 8);
    ar_free(&mo.a);
}

/* LeakyRelu: BN PReLU with alpha = m / 2^s (int8) or fp16 alpha. */
static void test_convert_act_leakyrelu_prelu_int8_fp16(void **state)
{
    (void)state;
    const float alphas[3] = {0.01f, 0.1f, 0.2f};
    for (int i = 0; i < 3; i++) {
        model mo = {0};
        const char *p = conv_act_model(&mo, 1.0f, "LeakyRelu", alphas[i], NAN, "act_leaky.onnx");
        result r = run_case(p, RK_SOC_RK3588, RK_CONVERT_INT8, "DPU BN PReLU multiply");
        assert_int_equal(r.violations, 0);
        assert_int_equal(r.n_cpu, 0);
        assert_true(r.prelu && !r.lut && r.note_found);
        assert_true(r.cosine >= 0.999);
        assert_true(r.max_q <= 0.52);
        r = run_case(p, RK_SOC_RK3588, RK_CONVERT_FP16, NULL);
        assert_int_equal(r.violations, 0);
        assert_int_equal(r.n_cpu, 0);
        assert_true(r.prelu);
        assert_true(r.cosine >= 0.999999);
        ar_free(&mo.a);
    }
}

/* Where the target has no DPU form the activation stays a CPU node, with
 * the reason in the report: fp16 LUT (not simulated), rk3566 (lite LUT /
 * PReLU fields unconfirmed). */
static void test_convert_act_fp16_and_lite_stay_on_cpu(void **state)
{
    (void)state;
    model mo = {0};
    const char *p = conv_act_model(&mo, 1.5f, "Sigmoid", NAN, NAN, "act_sigmoid_cpu.onnx");
    result r = run_case(p, RK_SOC_RK3588, RK_CONVERT_FP16, "float LUT is not simulated");
    assert_true(r.note_found && r.n_cpu == 1 && !r.lut && r.violations == 0);
    r = run_case(p, RK_SOC_RK3566, RK_CONVERT_INT8, "RK3566/RK3568: no lite vendor stream");
    assert_true(r.note_found && r.n_cpu == 1 && !r.lut && r.violations == 0);
    assert_true(r.cosine >= 0.999);
    ar_free(&mo.a);
    model m2 = {0};
    p = conv_act_model(&m2, 1.0f, "LeakyRelu", 0.1f, NAN, "act_leaky_lite.onnx");
    r = run_case(p, RK_SOC_RK3566, RK_CONVERT_INT8, "RK3566/RK3568: no lite vendor stream");
    assert_true(r.note_found && r.n_cpu == 1 && !r.prelu && r.violations == 0);
    ar_free(&m2.a);
}

/* int8 Add + LeakyRelu / Sigmoid: the LUT after the EW addition.  The sum
 * of two int8 operands carries their rounding (up to half a quantum of
 * each), so the bound is looser than the conv sweep's; the exact-operand
 * check is tests/e2e/convert_activations.sh. */
static void test_convert_act_add_lut(void **state)
{
    (void)state;
    const char *acts[2] = {"LeakyRelu", "Sigmoid"};
    for (int i = 0; i < 2; i++) {
        model mo = {0};
        arena *a = &mo.a;
        const int64_t wd[4] = {1, 2, 1, 1};
        const float wa[2] = {1.0f, 1.0f / 127.0f}, wb[2] = {0.5f, -0.5f / 127.0f};
        Onnx__NodeProto *ca = node(a, "Conv", "ca", "input", "wa", NULL, "xa");
        Onnx__NodeProto *cb = node(a, "Conv", "cb", "input", "wb", NULL, "xb");
        attr_k11(a, ca);
        attr_k11(a, cb);
        mo.nodes[mo.nn++] = ca;
        mo.nodes[mo.nn++] = cb;
        mo.inits[mo.ni++] = init(a, "wa", 4, wd, wa);
        mo.inits[mo.ni++] = init(a, "wb", 4, wd, wb);
        mo.nodes[mo.nn++] = node(a, "Add", "add", "xa", "xb", NULL, "s");
        Onnx__NodeProto *n = node(a, acts[i], "act", "s", NULL, NULL, "output");
        if (i == 0)
            attr_f(a, n, "alpha", 0.1f);
        mo.nodes[mo.nn++] = n;
        result r = run_case(save(&mo, "act_add.onnx"), RK_SOC_RK3588, RK_CONVERT_INT8, "into Add 'add'");
        assert_true(r.note_found && r.lut && r.n_cpu == 0 && r.violations == 0);
        assert_true(r.cosine >= 0.999);
        assert_true(r.max_q <= 4.0);
        ar_free(&mo.a);
    }
}

/* After calibration a LUT activation whose output channels span very
 * different ranges is left on the CPU (cv_act_judge): one output channel
 * over [-0.3, 8], seven over a hundredth of that - spread 8 * R^2 /
 * sum r_c^2 ~ 7.9 > 4 - and the graph is rebuilt without the fusion. */
static void test_convert_act_judge_refuses_uneven_channels(void **state)
{
    (void)state;
    model mo = {0};
    arena *a = &mo.a;
    const int64_t wd[4] = {8, 2, 1, 1};
    float w[16];
    for (int k = 0; k < 8; k++) {
        float s = k == 0 ? 1.0f : 0.01f;
        w[2 * k] = s;
        w[2 * k + 1] = s / 127.0f;
    }
    Onnx__NodeProto *c = node(a, "Conv", "conv", "input", "w", NULL, "pre");
    attr_k11(a, c);
    mo.nodes[mo.nn++] = c;
    mo.inits[mo.ni++] = init(a, "w", 4, wd, w);
    mo.nodes[mo.nn++] = node(a, "Sigmoid", "sig", "pre", NULL, NULL, "s");
    mo.nodes[mo.nn++] = node(a, "Mul", "mul", "pre", "s", NULL, "output");
    result r = run_case(save(&mo, "act_uneven.onnx"), RK_SOC_RK3588, RK_CONVERT_INT8,
                        "SiLU left on the CPU after calibration");
    assert_true(r.note_found);
    assert_int_equal(r.n_cpu, 1);
    assert_false(r.lut);
    assert_int_equal(r.violations, 0);
    assert_true(r.cosine >= 0.999);
    ar_free(&mo.a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_convert_act_sigmoid_lut_dense_sweep),
        cmocka_unit_test(test_convert_act_tanh_hardsigmoid_hardswish_lut),
        cmocka_unit_test(test_convert_act_silu_pattern_fuses),
        cmocka_unit_test(test_convert_act_paddle_hardswish_chain_is_one_op),
        cmocka_unit_test(test_convert_act_leakyrelu_prelu_int8_fp16),
        cmocka_unit_test(test_convert_act_fp16_and_lite_stay_on_cpu),
        cmocka_unit_test(test_convert_act_add_lut),
        cmocka_unit_test(test_convert_act_judge_refuses_uneven_channels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
