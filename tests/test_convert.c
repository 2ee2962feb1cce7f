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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "convert.h"
#include "cv_internal.h"
#include "onnx.pb-c.h"
#include "onnxgen.h"
#include "onnxref.h"
#include "rk_tensorio.h"
#include "sim.h"
#include "sim_asm.h"
#include "sim_regs.h"
#include "simcheck.h"
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
    rk_tensor got = {0}, ref = {0};
    tu_run_sim_and_ref(m, tu_source_path("datasets/tiny/tiny_conv.onnx"), &in.items[0], &got, &ref);
    /* int8 activations per tensor: cosine >= 0.99 is the milestone bound. */
    assert_true(tu_cosine(&got, &ref) >= 0.99);
    rk_tensor_free(&got);
    rk_tensor_free(&ref);
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

/* RK3562 has no lowering (RK3566 has one since the lite milestone). */
static void test_convert_rk3562_rejected(void **state)
{
    (void)state;
    rk_err e = {0};
    rk_convert_opts o = {.soc = RK_SOC_RK3562, .dtype = RK_CONVERT_INT8};
    rk_convert_report rep = {0};
    rknn_model *m = NULL;
    assert_int_equal(rk_convert_onnx(tu_source_path("datasets/tiny/tiny_conv.onnx"), &o, &m, &rep, &e),
                     RK_EUNSUPPORTED);
    assert_null(m);
    assert_non_null(strstr(e.msg, "rk3562"));
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

/* ------------------------------------------------------------------ */
/* Graphs the tests need, written with tests/support/onnxgen.h (no python). */

typedef tg_arena arena;

static void ar_free(arena *a)
{
    tg_arena_free(a);
}

/* A node with up to 5 inputs (NULL ends the list) and one output. */
static Onnx__NodeProto *node5(arena *a, const char *op, const char *name, const char *const ins[5],
                              const char *out)
{
    int n_in = 0;
    while (n_in < 5 && ins[n_in])
        n_in++;
    return tg_node(a, op, name, ins, n_in, &out, 1);
}

static Onnx__NodeProto *node(arena *a, const char *op, const char *name, const char *i0, const char *i1,
                             const char *i2, const char *out)
{
    const char *ins[5] = {i0, i1, i2, NULL, NULL};
    return node5(a, op, name, ins, out);
}

static void attr_ints(arena *a, Onnx__NodeProto *n, const char *name, int64_t v0, int64_t v1)
{
    const int64_t v[2] = {v0, v1};
    tg_attr_ints(a, n, name, v, 2);
}

/* Deterministic weights of mixed signs: fill * ((i % 7) - 3) / 3. */
static Onnx__TensorProto *init_f32(arena *a, const char *name, int nd, const int64_t *dims, float fill)
{
    int64_t ne = 1;
    for (int i = 0; i < nd; i++)
        ne *= dims[i];
    float *v = tg_alloc(a, sizeof(float) * (size_t)ne);
    for (int64_t i = 0; i < ne; i++)
        v[i] = fill * (float)((i % 7) - 3) / 3.0f;
    return tg_init_f32(a, name, nd, dims, v);
}

static Onnx__ValueInfoProto *vinfo(arena *a, const char *name, int nd, const int64_t *dims)
{
    return tg_vinfo(a, name, nd, dims);
}

/* Writes the graph to a temporary .onnx file; returns its path.  Input
 * "input" of rank in_nd (negative dims are symbolic). */
static const char *save_model_nd(arena *a, Onnx__NodeProto **nodes, size_t nn, Onnx__TensorProto **inits,
                                 size_t ni, int in_nd, const int64_t *in_dims, const char *out_name,
                                 const char *file)
{
    Onnx__ValueInfoProto *in = vinfo(a, "input", in_nd, in_dims), *out = vinfo(a, out_name, 0, NULL);
    tg_graph g = {.name = "test_convert", .nodes = nodes, .n_nodes = nn, .inits = inits, .n_inits = ni,
                  .inputs = &in, .n_inputs = 1, .outputs = &out, .n_outputs = 1};
    return tg_save(a, &g, file);
}

static const char *save_model(arena *a, Onnx__NodeProto **nodes, size_t nn, Onnx__TensorProto **inits, size_t ni,
                              const int64_t in_dims[4], const char *out_name, const char *file)
{
    return save_model_nd(a, nodes, nn, inits, ni, 4, in_dims, out_name, file);
}

/* Conv 1x1 (16 -> 1 channels) over [1,16,1,W]: the YOLOv8-DFL shape family. */
static const char *wide_conv_model(arena *a, int64_t w, const char *file)
{
    const int64_t in_dims[4] = {1, 16, 1, w}, wd[4] = {1, 16, 1, 1};
    Onnx__NodeProto *n = node(a, "Conv", "dfl_conv", "input", "w", NULL, "output");
    attr_ints(a, n, "kernel_shape", 1, 1);
    Onnx__TensorProto *wt = init_f32(a, "w", 4, wd, 1.0f);
    return save_model(a, &n, 1, &wt, 1, in_dims, "output", file);
}

static rk_status convert_path(const char *path, bool no_tiling, rk_convert_report *rep, rk_err *e)
{
    rk_convert_opts o = {.soc = RK_SOC_RK3588, .dtype = RK_CONVERT_INT8, .no_tiling = no_tiling,
                         .no_cpu_fallback = true};
    rknn_model *m = NULL;
    memset(rep, 0, sizeof(*rep));
    rk_status st = rk_convert_onnx(path, &o, &m, rep, e);
    rknn_free(m);
    return st;
}

static void test_convert_no_tiling_width_overflow_is_regtask(void **state)
{
    (void)state;
    arena a = {0};
    rk_err e = {0};
    rk_convert_report rep;
    const char *p = wide_conv_model(&a, 2100, "wide.onnx");
    assert_int_equal(convert_path(p, true, &rep, &e), RK_ECHECK);
    /* Hand-derived from isa/regdb: CNA_DATA_SIZE0 (0x1020) DATAIN_WIDTH is
     * bits 26:16, so shift 16, limit 0x7ff; 2100 = 0x834. */
    assert_non_null(strstr(e.msg, "REGTASK: The bit width of field value exceeds the limit, target: v2, "
                                  "offset: 0x1020, shift = 16, limit: 0x7ff, value: 0x834"));
    assert_non_null(strstr(e.msg, "dfl_conv"));
    rk_convert_report_free(&rep);
    ar_free(&a);
}

static void test_convert_wide_conv_tiled_by_columns(void **state)
{
    (void)state;
    arena a = {0};
    rk_err e = {0};
    rk_convert_report rep;
    const char *p = wide_conv_model(&a, 2100, "wide2.onnx");
    assert_int_equal(convert_path(p, false, &rep, &e), RK_OK);
    /* 2100 output columns > 2047 (11-bit DATAIN/DATAOUT_WIDTH): halved once
     * to 1050-column tiles -> 2 tasks; one row, 16 channels fit the CBUF. */
    assert_int_equal(rep.n_tasks, 2);
    assert_int_equal(rep.n_tiled_ops, 1);
    rk_convert_report_free(&rep);
    ar_free(&a);
}

static void test_convert_unsupported_lists_every_node(void **state)
{
    (void)state;
    arena a = {0};
    rk_err e = {0};
    rk_convert_report rep;
    const int64_t in_dims[4] = {1, 3, 8, 8}, wd[4] = {4, 3, 1, 1};
    Onnx__NodeProto *n[3] = {node(&a, "Conv", "c1", "input", "w", NULL, "a"),
                             node(&a, "Softmax", "sm", "a", NULL, NULL, "b"),
                             node(&a, "Sigmoid", "sg", "b", NULL, NULL, "output")};
    Onnx__TensorProto *wt = init_f32(&a, "w", 4, wd, 0.5f);
    const char *p = save_model(&a, n, 3, &wt, 1, in_dims, "output", "unsup.onnx");
    assert_int_equal(convert_path(p, false, &rep, &e), RK_EUNSUPPORTED);
    assert_non_null(strstr(e.msg, "2 nodes cannot be converted"));
    assert_non_null(strstr(e.msg, "Softmax 'sm'"));
    assert_non_null(strstr(e.msg, "Sigmoid 'sg'"));
    rk_convert_report_free(&rep);
    ar_free(&a);
}

/* 40 unsupported nodes make a listing longer than an error message holds
 * (RK_ERR_MAX): the message shows what fits and the report keeps every
 * line, so the user sees each node at fault (CLI: printed after the error). */
static void test_convert_unsupported_long_list_kept_whole(void **state)
{
    (void)state;
    enum { N_SM = 40 };
    arena a = {0};
    rk_err e = {0};
    rk_convert_report rep;
    const int64_t in_dims[4] = {1, 3, 8, 8}, wd[4] = {4, 3, 1, 1};
    static char names[N_SM][48], outs[N_SM][16];
    Onnx__NodeProto *n[N_SM + 1];
    n[0] = node(&a, "Conv", "c1", "input", "w", NULL, "t00");
    for (int i = 0; i < N_SM; i++) {
        snprintf(names[i], sizeof names[i], "softmax_with_a_rather_long_name_%02d", i);
        snprintf(outs[i], sizeof outs[i], i == N_SM - 1 ? "output" : "t%02d", i + 1);
        n[i + 1] = node(&a, "Softmax", names[i], i ? outs[i - 1] : "t00", NULL, NULL, outs[i]);
    }
    Onnx__TensorProto *wt = init_f32(&a, "w", 4, wd, 0.5f);
    const char *p = save_model(&a, n, N_SM + 1, &wt, 1, in_dims, "output", "unsup_long.onnx");
    assert_int_equal(convert_path(p, false, &rep, &e), RK_EUNSUPPORTED);
    assert_non_null(strstr(e.msg, "40 nodes cannot be converted"));
    assert_non_null(strstr(e.msg, "softmax_with_a_rather_long_name_00"));
    assert_null(strstr(e.msg, "softmax_with_a_rather_long_name_39")); /* did not fit */
    assert_non_null(strstr(e.msg, "the whole list is in the report"));
    assert_non_null(rep.unsupported);
    for (int i = 0; i < N_SM; i++)
        assert_non_null(strstr(rep.unsupported, names[i]));
    rk_convert_report_free(&rep);
    ar_free(&a);
}

/* Conv -> Softmax -> Sigmoid: the two ops without NPU lowering become ONE
 * CPU node (consecutive fallback ops are grouped) carrying its ONNX graph in
 * a "#onnx_node" const tensor; the simulator runs it.  The weights (all 0.5)
 * give four identical channels, so equalisation must be the identity here
 * and the result is the plain int8 + float path.  Golden values:
 * onnxref's whole-graph float run (the CPU node only reuses its kernels;
 * the conv, int8 requantisation and container path are independent). */
static void test_convert_cpu_fallback_runs_in_simulator(void **state)
{
    (void)state;
    arena a = {0};
    rk_err e = {0};
    rk_convert_report rep;
    memset(&rep, 0, sizeof(rep));
    const int64_t in_dims[4] = {1, 3, 8, 8}, wd[4] = {4, 3, 1, 1};
    Onnx__NodeProto *n[3] = {node(&a, "Conv", "c1", "input", "w", NULL, "a"),
                             node(&a, "Softmax", "sm", "a", NULL, NULL, "b"),
                             node(&a, "Sigmoid", "sg", "b", NULL, NULL, "output")};
    Onnx__TensorProto *wt = init_f32(&a, "w", 4, wd, 0.5f);
    const char *p = save_model(&a, n, 3, &wt, 1, in_dims, "output", "fallback.onnx");
    rk_convert_opts o = {.soc = RK_SOC_RK3588, .dtype = RK_CONVERT_INT8};
    rknn_model *m = NULL;
    assert_int_equal(rk_convert_onnx(p, &o, &m, &rep, &e), RK_OK);
    assert_int_equal(rep.n_npu_ops, 1);
    assert_int_equal(rep.n_cpu_ops, 1);
    /* the CPU node: type Softmax, outputs b and output, blob input */
    const rknn_graph *g = &m->graphs[0];
    const rknn_node *cpu = NULL;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        if (strcmp(g->nodes[i].type, "Softmax") == 0)
            cpu = &g->nodes[i];
    assert_non_null(cpu);
    assert_int_equal(cpu->task_count, 0);
    assert_int_equal(cpu->n_outputs, 2);
    const rknn_tensor *bt = &g->tensors[cpu->inputs[cpu->n_inputs - 1]];
    assert_non_null(strstr(bt->name, "#onnx_node"));
    const rknn_buffer *bb = rknn_tensor_buffer(m, bt);
    assert_non_null(bb);
    ox_model *blob = NULL;
    assert_int_equal(ox_model_load_buffer(bb->data, bb->size, "blob", NULL, &blob, &e), RK_OK);
    /* the conv output 'a' is read only by the CPU node: stored per-channel
     * equalised as 'a#eq', multiplied back by a leading Mul (cv_quant.c) */
    assert_string_equal(g->tensors[cpu->inputs[0]].name, "a#eq");
    assert_int_equal(ox_model_num_nodes(blob), 3);
    assert_string_equal(ox_node_op_type(ox_model_node(blob, 0)), "Mul");
    assert_string_equal(ox_node_op_type(ox_model_node(blob, 2)), "Sigmoid");
    ox_model_free(blob);

    /* run: input in [0,1) like the default calibration sample */
    rk_tensor in = {0};
    assert_int_equal(rk_tensor_alloc(&in, "input", RK_DT_F32, 4, in_dims, &e), RK_OK);
    float *x = in.data;
    for (int64_t i = 0; i < in.nelem; i++)
        x[i] = (float)((i * 37) % 64) / 64.0f;
    rk_tensor got = {0}, ref = {0};
    tu_run_sim_and_ref(m, p, &in, &got, &ref);
    assert_int_equal(got.nelem, ref.nelem);
    /* sigmoid(softmax) lies in [0.5, 0.74]; int8 over [0, 0.74] has a step
     * of ~0.003: allow a few steps of accumulated error */
    double worst = 0;
    for (int64_t i = 0; i < got.nelem; i++)
        worst = fmax(worst, fabs((double)((float *)got.data)[i] - ((float *)ref.data)[i]));
    assert_true(worst < 0.012);
    rk_tensor_free(&got);
    rk_tensor_free(&ref);
    rk_tensor_free(&in);
    rknn_free(m);
    rk_convert_report_free(&rep);
    ar_free(&a);
}

/* Channel equalisation: a conv whose two output channels differ 1000x in
 * scale feeds a CPU op (Abs).  One per-tensor int8 scale would leave the
 * small channel ~0.1 quantisation steps wide; stored per-channel rescaled
 * ('#eq') it keeps ~8 bits.  Golden: onnxref's float run. */
static void test_convert_equalisation_keeps_small_channels(void **state)
{
    (void)state;
    arena a = {0};
    rk_err e = {0};
    rk_convert_report rep;
    memset(&rep, 0, sizeof(rep));
    const int64_t in_dims[4] = {1, 3, 8, 8}, wd[4] = {2, 3, 1, 1};
    Onnx__NodeProto *n[2] = {node(&a, "Conv", "c1", "input", "w", NULL, "a"),
                             node(&a, "Abs", "abs", "a", NULL, NULL, "output")};
    Onnx__TensorProto *wt = init_f32(&a, "w", 4, wd, 1.0f);
    for (int i = 3; i < 6; i++) /* output channel 1: 1000x smaller */
        wt->float_data[i] = 0.001f * (float)(i - 2);
    wt->float_data[0] = 1.0f, wt->float_data[1] = -0.5f, wt->float_data[2] = 0.75f;
    const char *p = save_model(&a, n, 2, &wt, 1, in_dims, "output", "equalise.onnx");
    rk_convert_opts o = {.soc = RK_SOC_RK3588, .dtype = RK_CONVERT_INT8};
    rknn_model *m = NULL;
    assert_int_equal(rk_convert_onnx(p, &o, &m, &rep, &e), RK_OK);
    assert_true(rknn_find_tensor(m, "a#eq") >= 0);
    rk_tensor in = {0}, got = {0}, ref = {0};
    assert_int_equal(rk_tensor_alloc(&in, "input", RK_DT_F32, 4, in_dims, &e), RK_OK);
    for (int64_t i = 0; i < in.nelem; i++)
        ((float *)in.data)[i] = (float)((i * 37) % 64) / 64.0f;
    tu_run_sim_and_ref(m, p, &in, &got, &ref);
    assert_int_equal(got.nelem, 2 * 64);
    double ab = 0, aa = 0, bb = 0;
    for (int i = 64; i < 128; i++) { /* channel 1 */
        double x = ((float *)got.data)[i], y = ((float *)ref.data)[i];
        ab += x * y, aa += x * x, bb += y * y;
    }
    assert_true(aa > 0 && ab / sqrt(aa * bb) >= 0.999);
    rk_tensor_free(&got);
    rk_tensor_free(&ref);
    rk_tensor_free(&in);
    rknn_free(m);
    rk_convert_report_free(&rep);
    ar_free(&a);
}

/* --input-shape fixes symbolic dims; a malformed entry is a usage error. */
static void test_convert_input_shape_malformed_is_usage_error(void **state)
{
    (void)state;
    rk_err e = {0};
    rk_convert_report rep;
    memset(&rep, 0, sizeof(rep));
    rk_convert_opts o = {.soc = RK_SOC_RK3588, .dtype = RK_CONVERT_INT8, .input_shapes = "input=1,3,x,8"};
    rknn_model *m = NULL;
    assert_int_equal(rk_convert_onnx(tu_source_path("datasets/tiny/tiny_conv.onnx"), &o, &m, &rep, &e), RK_EUSAGE);
    assert_null(m);
    assert_non_null(strstr(e.msg, "--input-shape"));
    rk_convert_report_free(&rep);
}

static void test_convert_batchnorm_and_relu_fused(void **state)
{
    (void)state;
    arena a = {0};
    rk_err e = {0};
    rk_convert_report rep;
    const int64_t in_dims[4] = {1, 3, 8, 8}, wd[4] = {4, 3, 3, 3}, cd[1] = {4}; /* 3x3, no pad */
    const char *bn_in[5] = {"a", "g", "b", "m", "v"};
    Onnx__NodeProto *n[3] = {node(&a, "Conv", "c1", "input", "w", NULL, "a"),
                             node5(&a, "BatchNormalization", "bn", bn_in, "y"),
                             node(&a, "Relu", "r", "y", NULL, NULL, "output")};
    Onnx__TensorProto *t[5] = {init_f32(&a, "w", 4, wd, 0.5f), init_f32(&a, "g", 1, cd, 1.0f),
                               init_f32(&a, "b", 1, cd, 0.1f), init_f32(&a, "m", 1, cd, 0.1f),
                               init_f32(&a, "v", 1, cd, 0.0f)};
    float *var = t[4]->float_data;
    for (int i = 0; i < 4; i++)
        var[i] = 1.0f + (float)i; /* variances must be positive */
    const char *p = save_model(&a, n, 3, t, 5, in_dims, "output", "bn.onnx");
    assert_int_equal(convert_path(p, false, &rep, &e), RK_OK);
    assert_int_equal(rep.n_fused, 2); /* BN folded + Relu fused */
    assert_int_equal(rep.n_npu_ops, 1);
    rk_convert_report_free(&rep);
    ar_free(&a);
}

/* MatMul [1,1,5,40] x W[40,24] + bias -> Relu: one NPU op (a 1x1 conv, the
 * Add folded into its bias, the Relu fused), the transposes in CPU nodes
 * (convert/cv_matmul.c).  Golden: onnxref's float run of the same model. */
static void test_convert_matmul_runs_as_npu_conv(void **state)
{
    (void)state;
    arena a = {0};
    rk_err e = {0};
    rk_convert_report rep;
    memset(&rep, 0, sizeof(rep));
    const int64_t in_dims[4] = {1, 1, 5, 40}, wd[2] = {40, 24}, bd[1] = {24};
    Onnx__NodeProto *n[3] = {node(&a, "MatMul", "mm", "input", "w", NULL, "y"),
                             node(&a, "Add", "bias", "y", "b", NULL, "z"),
                             node(&a, "Relu", "r", "z", NULL, NULL, "output")};
    Onnx__TensorProto *t[2] = {init_f32(&a, "w", 2, wd, 0.2f), init_f32(&a, "b", 1, bd, 0.3f)};
    const char *p = save_model(&a, n, 3, t, 2, in_dims, "output", "matmul.onnx");
    rk_convert_opts o = {.soc = RK_SOC_RK3588, .dtype = RK_CONVERT_INT8};
    rknn_model *m = NULL;
    assert_int_equal(rk_convert_onnx(p, &o, &m, &rep, &e), RK_OK);
    assert_int_equal(rep.n_npu_ops, 1);
    assert_int_equal(rep.n_fused, 2);  /* bias Add + Relu */
    assert_int_equal(rep.n_cpu_ops, 2); /* pack, unpack */
    const rknn_graph *g = &m->graphs[0];
    bool conv = false;
    for (uint32_t i = 0; i < g->n_nodes; i++)
        conv |= strcmp(g->nodes[i].name, "Conv:mm") == 0 && g->nodes[i].task_count == 1;
    assert_true(conv);

    rk_tensor in = {0};
    assert_int_equal(rk_tensor_alloc(&in, "input", RK_DT_F32, 4, in_dims, &e), RK_OK);
    /* the sample the default calibration uses (cv_quant.c calib_default),
     * so the int8 ranges fit this input */
    uint32_t lcg = 0x12345678u;
    for (int64_t i = 0; i < in.nelem; i++) {
        lcg = lcg * 1664525u + 1013904223u;
        ((float *)in.data)[i] = (float)(lcg >> 8) / 16777216.0f;
    }
    rk_tensor got = {0}, ref = {0};
    tu_run_sim_and_ref(m, p, &in, &got, &ref);
    assert_int_equal(got.nelem, ref.nelem);
    assert_int_equal(got.nelem, 5 * 24);
    double worst = 0, big = 0;
    for (int64_t i = 0; i < got.nelem; i++) {
        worst = fmax(worst, fabs((double)((float *)got.data)[i] - ((float *)ref.data)[i]));
        big = fmax(big, fabs((double)((float *)ref.data)[i]));
    }
    /* int8 in, per-channel int8 weights, int8 out: a few output steps (255 per range) */
    assert_true(big > 0.5);
    assert_true(worst < 0.02 * big);
    rk_tensor_free(&got);
    rk_tensor_free(&ref);
    rk_tensor_free(&in);
    rknn_free(m);
    rk_convert_report_free(&rep);
    ar_free(&a);
}

/* An activation x activation MatMul (attention's Q K^T shape): one conv
 * task whose weights a CPU node writes at run time in the CNA layout
 * (convert/cv_matmul.c).  Golden: onnxref's float run. */
static void test_convert_matmul_two_activations_on_npu(void **state)
{
    (void)state;
    arena a = {0};
    rk_err e = {0};
    rk_convert_report rep;
    memset(&rep, 0, sizeof(rep));
    const int64_t in_dims[4] = {1, 1, 8, 8}, wd[4] = {1, 1, 1, 1};
    Onnx__NodeProto *n[2] = {node(&a, "Conv", "k_conv", "input", "w", NULL, "k"),
                             node(&a, "MatMul", "qk", "input", "k", NULL, "output")};
    Onnx__TensorProto *wt = init_f32(&a, "w", 4, wd, 1.0f); /* k = -input */
    const char *p = save_model(&a, n, 2, &wt, 1, in_dims, "output", "qk.onnx");
    rk_convert_opts o = {.soc = RK_SOC_RK3588, .dtype = RK_CONVERT_INT8};
    rknn_model *m = NULL;
    assert_int_equal(rk_convert_onnx(p, &o, &m, &rep, &e), RK_OK);
    assert_int_equal(rep.n_npu_ops, 2);
    rk_tensor in = {0};
    assert_int_equal(rk_tensor_alloc(&in, "input", RK_DT_F32, 4, in_dims, &e), RK_OK);
    uint32_t lcg = 0x12345678u; /* the default calibration's sample */
    for (int64_t i = 0; i < in.nelem; i++) {
        lcg = lcg * 1664525u + 1013904223u;
        ((float *)in.data)[i] = (float)(lcg >> 8) / 16777216.0f;
    }
    rk_tensor got = {0}, ref = {0};
    tu_run_sim_and_ref(m, p, &in, &got, &ref);
    assert_int_equal(got.nelem, ref.nelem);
    double worst = 0, big = 0;
    for (int64_t i = 0; i < got.nelem; i++) {
        worst = fmax(worst, fabs((double)((float *)got.data)[i] - ((float *)ref.data)[i]));
        big = fmax(big, fabs((double)((float *)ref.data)[i]));
    }
    assert_true(big > 1.0);
    assert_true(worst < 0.02 * big);
    rk_tensor_free(&got);
    rk_tensor_free(&ref);
    rk_tensor_free(&in);
    rknn_free(m);
    rk_convert_report_free(&rep);
    ar_free(&a);
}

/* The runtime weight layout (cv_matmul_weight_map) agrees with the
 * simulator's assembler packing of the same [N, K] int8 / fp16 weights
 * (sim_asm_pack_weights, SEMANTICS C-WT) for partial kernel and channel
 * groups (N = 40, K = 47). */
static void test_convert_matmul_weight_map_matches_packer(void **state)
{
    (void)state;
    rk_err e = {0};
    enum { N = 40, K = 47 };
    for (int esz = 1; esz <= 2; esz++) {
        int cal = (K + 16 / esz - 1) / (16 / esz) * (16 / esz);
        uint16_t src[N * K];
        for (int i = 0; i < N * K; i++)
            src[i] = (uint16_t)(1 + i % 120); /* non-zero, fits int8 */
        int8_t src8[N * K];
        for (int i = 0; i < N * K; i++)
            src8[i] = (int8_t)src[i];
        uint8_t *packed = NULL;
        size_t len = 0;
        assert_int_equal(sim_asm_pack_weights(RK_SOC_RK3588, esz == 1 ? SIM_PREC_INT8 : SIM_PREC_FP16, false, N, K, 1,
                                              1, esz == 1 ? (const void *)src8 : (const void *)src, &packed, &len, &e),
                         RK_OK);
        assert_int_equal(len, (size_t)N * cal * esz);
        int64_t *map = malloc(sizeof(int64_t) * (size_t)N * cal);
        assert_non_null(map);
        cv_matmul_weight_map(N, K, esz, map);
        for (int i = 0; i < N * cal; i++) {
            int v = esz == 1 ? (int)(int8_t)packed[i] : (int)((uint16_t)(packed[2 * i] | packed[2 * i + 1] << 8));
            assert_int_equal(v, map[i] == (int64_t)N * K ? 0 : (int)src[map[i]]);
        }
        free(map);
        free(packed);
    }
}

/* ------------------------------------------------------------ RK3566 */

static rknn_model *convert_soc(const char *path, rk_soc soc, bool no_tiling, rk_convert_report *rep,
                               rk_status *st, rk_err *e)
{
    rk_convert_opts o = {.soc = soc, .dtype = RK_CONVERT_INT8, .no_tiling = no_tiling, .no_cpu_fallback = true,
                         .calib_h5 = NULL};
    rknn_model *m = NULL;
    memset(rep, 0, sizeof(*rep));
    *st = rk_convert_onnx(path, &o, &m, rep, e);
    return m;
}

/* Cosine between the simulated output and onnxref's float output. */
static double sim_vs_onnxref(rknn_model *m, const char *onnx_path, const rk_tensor *in)
{
    rk_tensor got = {0}, ref = {0};
    tu_run_sim_and_ref(m, onnx_path, in, &got, &ref);
    double c = tu_cosine(&got, &ref);
    rk_tensor_free(&got);
    rk_tensor_free(&ref);
    return c;
}

/* The tiny model for rk3566: a lite container that passes the rk3566
 * validator, reads its 3-channel input unsigned through the CNA converter
 * (the vendor lite first-layer values 0x...E1 / 0x4000FF80) and matches
 * onnxref (int8 bound 0.99, as for rk3588). */
static void test_convert_rk3566_tiny_matches_onnxref(void **state)
{
    (void)state;
    rk_err e = {0};
    rk_convert_report rep = {0};
    rk_convert_opts o = {.soc = RK_SOC_RK3566, .dtype = RK_CONVERT_INT8,
                         .calib_h5 = tu_source_path("datasets/tiny/input.h5")};
    rknn_model *m = NULL;
    assert_int_equal(rk_convert_onnx(tu_source_path("datasets/tiny/tiny_conv.onnx"), &o, &m, &rep, &e), RK_OK);
    assert_string_equal(m->soc, "rk3566");
    assert_int_equal(tu_count_violations(m, RK_SOC_RK3566), 0);
    bool cvt_unsigned = false;
    for (size_t i = 0; i < m->n_regcmd; i++)
        if ((uint16_t)m->regcmd[i] == 0x104C) /* CNA_CVT_CON0: on, DATA_SIGN 0 */
            cvt_unsigned = ((m->regcmd[i] >> 16) & 0x9) == 0x1;
    assert_true(cvt_unsigned);
    /* the input stored like the vendor's lite image inputs: packed channels */
    int32_t ti = rknn_find_tensor(m, "input");
    assert_true(ti >= 0);
    const rknn_tensor *it = &m->graphs[0].tensors[ti];
    assert_int_equal(it->n_native_shape, 5);
    assert_int_equal(it->native_shape[1], 1);
    assert_int_equal(it->native_shape[4], 3);
    rk_tensor_list in = {0};
    assert_int_equal(rk_h5_read(tu_source_path("datasets/tiny/input.h5"), &in, &e), RK_OK);
    assert_true(sim_vs_onnxref(m, tu_source_path("datasets/tiny/tiny_conv.onnx"), &in.items[0]) >= 0.99);
    rk_tensor_list_free(&in);
    rknn_free(m);
    rk_convert_report_free(&rep);
}

/* 1x1 conv 12 -> 10 channels over 5x5: a lite int8 surface is 25 x 8 =
 * 200 bytes, not a multiple of DST_SURF_STRIDE's 16-byte unit, so each of
 * the 2 output surfaces gets its own task (hand-derived); RK3588 (16-byte
 * atoms: 400 bytes) needs 1.  Both match onnxref. */
static void test_convert_rk3566_odd_surfaces_one_task_each(void **state)
{
    (void)state;
    arena a = {0};
    rk_err e = {0};
    rk_status st;
    rk_convert_report rep;
    const int64_t in_dims[4] = {1, 12, 5, 5}, wd[4] = {10, 12, 1, 1};
    Onnx__NodeProto *n = node(&a, "Conv", "conv", "input", "w", NULL, "output");
    attr_ints(&a, n, "kernel_shape", 1, 1);
    Onnx__TensorProto *wt = init_f32(&a, "w", 4, wd, 0.25f);
    const char *p = save_model(&a, &n, 1, &wt, 1, in_dims, "output", "odd_surf.onnx");
    rk_tensor x = {0};
    const int64_t xd[4] = {1, 12, 5, 5};
    assert_int_equal(rk_tensor_alloc(&x, "input", RK_DT_F32, 4, xd, &e), RK_OK);
    for (int64_t i = 0; i < x.nelem; i++)
        ((float *)x.data)[i] = (float)((i * 37) % 23) / 23.0f; /* in [0,1): the calibration range (cv_quant.c default input) */
    rknn_model *m = convert_soc(p, RK_SOC_RK3566, false, &rep, &st, &e);
    assert_int_equal(st, RK_OK);
    assert_int_equal(rep.n_tasks, 2);
    assert_int_equal(tu_count_violations(m, RK_SOC_RK3566), 0);
    assert_true(sim_vs_onnxref(m, p, &x) >= 0.99);
    rknn_free(m);
    rk_convert_report_free(&rep);
    m = convert_soc(p, RK_SOC_RK3588, false, &rep, &st, &e);
    assert_int_equal(st, RK_OK);
    assert_int_equal(rep.n_tasks, 1);
    rknn_free(m);
    rk_convert_report_free(&rep);
    rk_tensor_free(&x);
    ar_free(&a);
}

/* --no-tiling on rk3566: the REGTASK line names the lite target; the
 * limit comes from rk3566.regs, which inherits DATAIN_WIDTH (0x1020 bits
 * 26:16) from RK3588: limit 0x7ff, 2100 = 0x834 (hand-derived). */
static void test_convert_rk3566_no_tiling_regtask_names_lite(void **state)
{
    (void)state;
    arena a = {0};
    rk_err e = {0};
    rk_status st;
    rk_convert_report rep;
    const char *p = wide_conv_model(&a, 2100, "wide_lite.onnx");
    rknn_model *m = convert_soc(p, RK_SOC_RK3566, true, &rep, &st, &e);
    assert_int_equal(st, RK_ECHECK);
    assert_null(m);
    assert_non_null(strstr(e.msg, "REGTASK: The bit width of field value exceeds the limit, target: lite, "
                                  "offset: 0x1020, shift = 16, limit: 0x7ff, value: 0x834"));
    rk_convert_report_free(&rep);
    ar_free(&a);
}

/* Lite BRDMA data: groups of 4 channels [ALU int32 x4][MUL int16 x4]
 * (SEMANTICS lite table); 5 channels -> 16/4 = 4 groups of 24 bytes. */
static void test_convert_rk3566_bs_groups_of_four(void **state)
{
    (void)state;
    rk_err e = {0};
    const int32_t alu[5] = {1, 2, 3, 4, -5};
    const int16_t mul[5] = {10, 11, 12, 13, 14};
    uint8_t *p = NULL;
    size_t n = 0;
    assert_int_equal(cv_soc_pack_bs(cv_soc_get(RK_SOC_RK3566), 5, 5, alu, mul, &p, &n, &e), RK_OK);
    assert_int_equal(n, 96);
    int32_t a3, a4;
    int16_t m0, m4;
    memcpy(&a3, p + 12, 4);
    memcpy(&m0, p + 16, 2);
    memcpy(&a4, p + 24, 4);
    memcpy(&m4, p + 40, 2);
    assert_int_equal(a3, 4);
    assert_int_equal(m0, 10);
    assert_int_equal(a4, -5);
    assert_int_equal(m4, 14);
    free(p);
}

/* Lite weight layout against the vendor lite files' native shapes:
 * multiple_input conv2.weight [8,3,3,3] int8 is [1,1,3,3,8,8] = 576 bytes
 * ([co1][ci1][kh][kw][co2][ci2], 3 channels padded to one 8-byte atom);
 * dual_residual Pre_weight0 [3,3,1,1] fp16 is [1,1,1,1,3,4] = 24 bytes. */
static void test_convert_rk3566_weights_match_vendor_native_shapes(void **state)
{
    (void)state;
    rk_err e = {0};
    const cv_soc *lite = cv_soc_get(RK_SOC_RK3566);
    int8_t w8[8 * 3 * 3 * 3];
    for (int i = 0; i < (int)sizeof(w8); i++)
        w8[i] = (int8_t)(i % 101 - 50);
    uint8_t *p = NULL;
    size_t n = 0;
    assert_int_equal(cv_soc_pack_weights(lite, SIM_PREC_INT8, false, 8, 3, 3, 3, w8, &p, &n, &e), RK_OK);
    assert_int_equal(n, 576);
    /* element (k=5, c=2, ky=1, kx=2) -> ((ky*3+kx)*8 + k)*8 + c */
    assert_int_equal((int8_t)p[((1 * 3 + 2) * 8 + 5) * 8 + 2], w8[((5 * 3 + 2) * 3 + 1) * 3 + 2]);
    assert_int_equal(p[((0 * 3 + 0) * 8 + 7) * 8 + 3], 0); /* channel padding */
    free(p);
    uint16_t w16[3 * 3] = {0x3C00, 0, 0, 0, 0x3C00, 0, 0, 0, 0x3C00};
    assert_int_equal(cv_soc_pack_weights(lite, SIM_PREC_FP16, false, 3, 3, 1, 1, w16, &p, &n, &e), RK_OK);
    assert_int_equal(n, 24);
    uint16_t v;
    memcpy(&v, p + (1 * 4 + 1) * 2, 2); /* kernel 1, channel 1 */
    assert_int_equal(v, 0x3C00);
    free(p);
}

/* Lite pools: a 15x15 GlobalAveragePool runs as a depthwise 15x15 conv
 * (weights 1/225) and matches onnxref; the graph pass keeps pool kernels
 * within the PPU's 16 for both SoCs, below the conv's 31 (WEIGHT_WIDTH). */
static void test_convert_rk3566_global_pool_as_depthwise(void **state)
{
    (void)state;
    arena a = {0};
    rk_err e = {0};
    rk_status st;
    rk_convert_report rep;
    const int64_t wd[4] = {4, 3, 1, 1}, in_dims[4] = {1, 3, 15, 15};
    Onnx__NodeProto *n[2] = {node(&a, "Conv", "conv", "input", "w", NULL, "c0"),
                             node(&a, "GlobalAveragePool", "gap", "c0", NULL, NULL, "output")};
    attr_ints(&a, n[0], "kernel_shape", 1, 1);
    Onnx__TensorProto *wt = init_f32(&a, "w", 4, wd, 0.5f);
    const char *p = save_model(&a, n, 2, &wt, 1, in_dims, "output", "gap15.onnx");
    rk_tensor x = {0};
    assert_int_equal(rk_tensor_alloc(&x, "input", RK_DT_F32, 4, in_dims, &e), RK_OK);
    for (int64_t i = 0; i < x.nelem; i++)
        ((float *)x.data)[i] = (float)((i * 53) % 31) / 31.0f; /* [0,1): the default calibration range */
    rknn_model *m = convert_soc(p, RK_SOC_RK3566, false, &rep, &st, &e);
    assert_int_equal(st, RK_OK);
    assert_int_equal(rep.n_tasks, 2);
    assert_int_equal(tu_count_violations(m, RK_SOC_RK3566), 0);
    assert_true(sim_vs_onnxref(m, p, &x) >= 0.99);
    rknn_free(m);
    rk_convert_report_free(&rep);
    rk_tensor_free(&x);
    ar_free(&a);
}

/* The encoding wall "lowers for RK3566, not for RK3588", at the lowering
 * level (cv_graph.c still sends such convs to the CPU on both SoCs): a 1x1
 * conv over a 32-channel input of 2 rows.  RK3588's CNA_DMA_CON2 SURF_STRIDE
 * = W*H - 4W is negative below 4 rows (SEMANTICS C-FEAT-NORMAL); the lite
 * SURF_STRIDE is W*H.  Hand-derived check on rk3566: input all 0.5 (scale
 * 1/254, zp 0 -> q 127), weights 1/32 -> every output 0.5 (scale 1/254). */
static void test_convert_rk3566_lowers_two_row_multi_surface_input(void **state)
{
    (void)state;
    float w[16 * 32], b[16] = {0};
    for (int i = 0; i < 16 * 32; i++)
        w[i] = 1.0f / 32.0f;
    cv_tensor t[2];
    memset(t, 0, sizeof(t));
    t[0] = (cv_tensor){.name = (char *)"input", .c = 32, .h = 2, .w = 5, .min = -0.5f, .max = 0.5f,
                       .calibrated = true, .scale = 1.0f / 254.0f, .zp = 0, .is_input = true};
    t[1] = (cv_tensor){.name = (char *)"output", .c = 16, .h = 2, .w = 5, .min = -0.5f, .max = 0.5f,
                       .calibrated = true, .scale = 1.0f / 254.0f, .zp = 0, .is_output = true};
    cv_op op;
    memset(&op, 0, sizeof(op));
    op.kind = CV_CONV;
    op.name = (char *)"conv";
    op.label = (char *)"Conv 'conv'";
    op.in[0] = 0;
    op.n_in = 1;
    op.out = 1;
    op.k = 16;
    op.kh = op.kw = op.sy = op.sx = 1;
    op.w = w;
    op.b = b;
    op.wpk = 32;
    op.clip_lo = -INFINITY;
    op.clip_hi = INFINITY;
    int ins[1] = {0}, outs[1] = {1};
    for (int soc = 0; soc < 2; soc++) {
        cv_graph g;
        memset(&g, 0, sizeof(g));
        g.tensors = t;
        g.n_tensors = 2;
        g.ops = &op;
        g.n_ops = 1;
        g.inputs = ins;
        g.n_inputs = 1;
        g.outputs = outs;
        g.n_outputs = 1;
        g.dtype = RK_CONVERT_INT8;
        rk_convert_opts o = {.soc = soc ? RK_SOC_RK3588 : RK_SOC_RK3566, .dtype = RK_CONVERT_INT8};
        rk_convert_report rep = {0};
        rknn_model *m = NULL;
        rk_err e = {0};
        rk_status st = cv_build_model(&g, &o, &m, &rep, &e);
        if (soc) {
            assert_int_equal(st, RK_EUNSUPPORTED);
            assert_non_null(strstr(e.msg, ">= 4 rows"));
        } else {
            assert_int_equal(st, RK_OK);
            assert_int_equal(tu_count_violations(m, RK_SOC_RK3566), 0);
            rk_tensor x = {0}, got = {0};
            const int64_t xd[4] = {1, 32, 2, 5};
            assert_int_equal(rk_tensor_alloc(&x, "input", RK_DT_F32, 4, xd, &e), RK_OK);
            for (int64_t i = 0; i < x.nelem; i++)
                ((float *)x.data)[i] = 0.5f;
            sim *sm = NULL;
            sim_options so = {0};
            assert_int_equal(sim_create(m, &so, &sm, &e), RK_OK);
            assert_int_equal(sim_set_input(sm, 0, &x, false, &e), RK_OK);
            assert_int_equal(sim_run(sm, &e), RK_OK);
            assert_int_equal(sim_get_output(sm, 0, false, &got, &e), RK_OK);
            assert_int_equal(got.nelem, 16 * 2 * 5);
            for (int64_t i = 0; i < got.nelem; i++)
                assert_float_equal(((float *)got.data)[i], 0.5f, 1.0f / 254.0f);
            sim_destroy(sm);
            rk_tensor_free(&x);
            rk_tensor_free(&got);
        }
        rknn_free(m);
        rk_convert_report_free(&rep);
    }
}

/* ------------------------------------------------ non-4-D model inputs */

/* output = input + MatMul(input, W[40,40]) over a token input ([1,T,40]
 * or [T,40]): the MatMul runs on the NPU (its packing CPU node reads the
 * input), the residual Add is a CPU node reading the input too. */
static const char *tokens_model(arena *a, int nd, const int64_t *dims, const char *file)
{
    const int64_t wd[2] = {40, 40};
    Onnx__NodeProto *n[2] = {node(a, "MatMul", "proj", "input", "w", NULL, "y"),
                             node(a, "Add", "residual", "input", "y", NULL, "output")};
    Onnx__TensorProto *wt = init_f32(a, "w", 2, wd, 0.2f);
    return save_model_nd(a, n, 2, &wt, 1, nd, dims, "output", file);
}

/* The default calibration's sample (cv_quant.c calib_default: LCG in [0,1))
 * in the given shape, so that the int8 ranges fit it. */
static void calib_sample(rk_tensor *t, int nd, const int64_t *dims)
{
    rk_err e = {0};
    assert_int_equal(rk_tensor_alloc(t, "input", RK_DT_F32, nd, dims, &e), RK_OK);
    uint32_t lcg = 0x12345678u;
    for (int64_t i = 0; i < t->nelem; i++) {
        lcg = lcg * 1664525u + 1013904223u;
        ((float *)t->data)[i] = (float)(lcg >> 8) / 16777216.0f;
    }
}

/* The input tensor is stored with its own shape, plain layout, in the
 * program's dtype (int8 quantised per tensor / fp16), as the vendor runtime
 * reports non-4-D inputs (fmt UNDEFINED); the run matches onnxref's float
 * run of the same model (independent golden) for rank 3 and rank 2. */
static void check_token_input(int nd, const int64_t *dims, rk_convert_dtype dt, double min_cos)
{
    arena a = {0};
    rk_err e = {0};
    rk_convert_report rep;
    memset(&rep, 0, sizeof(rep));
    const char *p = tokens_model(&a, nd, dims, nd == 3 ? "tokens3.onnx" : "tokens2.onnx");
    rk_convert_opts o = {.soc = RK_SOC_RK3588, .dtype = dt};
    rknn_model *m = NULL;
    if (rk_convert_onnx(p, &o, &m, &rep, &e) != RK_OK)
        fail_msg("convert rank %d: %s", nd, e.msg);
    assert_int_equal(rep.n_npu_ops, 1); /* the MatMul */
    const rknn_graph *g = &m->graphs[0];
    const rknn_tensor *x = &g->tensors[g->inputs[0]];
    int64_t ne = 1;
    assert_int_equal(x->n_shape, nd);
    assert_int_equal(x->n_native_shape, nd);
    for (int d = 0; d < nd; d++) {
        assert_int_equal(x->shape[d], dims[d]);
        assert_int_equal(x->native_shape[d], dims[d]);
        ne *= dims[d];
    }
    assert_int_equal(x->layout, RKNN_LAYOUT_NONE);
    assert_int_equal(x->dtype, dt == RK_CONVERT_INT8 ? RK_DT_I8 : RK_DT_F16);
    assert_int_equal(x->size, ne * (dt == RK_CONVERT_INT8 ? 1 : 2));
    const rknn_tensor *y = &g->tensors[g->outputs[0]];
    assert_int_equal(y->n_shape, nd); /* the output keeps the model's rank too */
    assert_int_equal(y->layout, RKNN_LAYOUT_NONE);
    rk_tensor in = {0};
    calib_sample(&in, nd, dims);
    double cos = sim_vs_onnxref(m, p, &in);
    if (cos < min_cos)
        fail_msg("rank %d %s: cosine %.6f < %.4f", nd, dt == RK_CONVERT_INT8 ? "int8" : "fp16", cos, min_cos);
    rk_tensor_free(&in);
    rknn_free(m);
    rk_convert_report_free(&rep);
    ar_free(&a);
}

/* Bounds: int8 input, int8 MatMul operand/result per tensor, float residual:
 * a few 1/255 steps of the range (measured 0.999994); fp16 11 bits
 * (measured 1.000000). */
static void test_convert_rank3_input_int8_matches_onnxref(void **state)
{
    (void)state;
    const int64_t dims[3] = {1, 6, 40};
    check_token_input(3, dims, RK_CONVERT_INT8, 0.999);
}

static void test_convert_rank2_input_fp16_matches_onnxref(void **state)
{
    (void)state;
    const int64_t dims[2] = {6, 40};
    check_token_input(2, dims, RK_CONVERT_FP16, 0.99999);
}

/* A run given the wrong rank (the same elements as [1,6,40,1] or [6,40]) or
 * the wrong length is refused with RK_EINPUT (exit 3) naming the input and
 * both shapes; so is a --dynamic-input model of 3-D sets, whose message
 * lists the sets, while a matching set runs and matches onnxref. */
static void test_convert_rank3_input_wrong_shape_refused(void **state)
{
    (void)state;
    arena a = {0};
    rk_err e = {0};
    rk_convert_report rep;
    memset(&rep, 0, sizeof(rep));
    const int64_t dims[3] = {1, 6, 40}, sym[3] = {1, -1, 40};
    const int64_t bad4[4] = {1, 6, 40, 1}, bad2[2] = {6, 40}, bad3[3] = {1, 7, 40};
    const char *p = tokens_model(&a, 3, dims, "tokens_fixed.onnx");
    rk_convert_opts o = {.soc = RK_SOC_RK3588, .dtype = RK_CONVERT_INT8};
    rknn_model *m = NULL;
    assert_int_equal(rk_convert_onnx(p, &o, &m, &rep, &e), RK_OK);
    const struct {
        int nd;
        const int64_t *dims;
        const char *shape;
    } bad[] = {{4, bad4, "1x6x40x1"}, {2, bad2, "6x40"}, {3, bad3, "1x7x40"}};
    for (size_t k = 0; k < RK_ARRAY_LEN(bad); k++) {
        rk_tensor in = {0};
        calib_sample(&in, bad[k].nd, bad[k].dims);
        sim *s = NULL;
        sim_options so = {0};
        assert_int_equal(sim_create(m, &so, &s, &e), RK_OK);
        assert_int_equal(sim_set_input(s, 0, &in, false, &e), RK_OK);
        rk_status st = sim_run(s, &e);
        if (st != RK_EINPUT || !strstr(e.msg, "input 'input'") || !strstr(e.msg, bad[k].shape) ||
            !strstr(e.msg, "1x6x40"))
            fail_msg("%s: status %d, message '%s'", bad[k].shape, st, e.msg);
        sim_destroy(s);
        rk_tensor_free(&in);
    }
    rknn_free(m);
    m = NULL;
    rk_convert_report_free(&rep);

    p = tokens_model(&a, 3, sym, "tokens_dyn.onnx");
    o.dynamic_input = "input=1,6,40;input=1,12,40";
    memset(&rep, 0, sizeof(rep));
    if (rk_convert_onnx(p, &o, &m, &rep, &e) != RK_OK)
        fail_msg("convert with 3-D sets: %s", e.msg);
    assert_int_equal(m->n_graphs, 2);
    rk_tensor in = {0};
    calib_sample(&in, 4, bad4); /* the rank-4 form of set 1 */
    uint32_t picked = 99;
    assert_int_equal(rknn_select_shape_set(m, &in, 1, false, &picked, &e), RK_EINPUT);
    if (!strstr(e.msg, "input 'input' has shape [1,6,40,1]; this model accepts [1,6,40], [1,12,40]"))
        fail_msg("message: %s", e.msg);
    rk_tensor_free(&in);
    const int64_t set2[3] = {1, 12, 40};
    calib_sample(&in, 3, set2);
    assert_int_equal(rknn_select_shape_set(m, &in, 1, false, &picked, &e), RK_OK);
    assert_int_equal(picked, 1);
    double cos = sim_vs_onnxref(m, p, &in);
    if (cos < 0.999)
        fail_msg("set 2: cosine %.6f", cos);
    rk_tensor_free(&in);
    rknn_free(m);
    rk_convert_report_free(&rep);
    ar_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_convert_tiny_int8_matches_onnxref),
        cmocka_unit_test(test_convert_output_passes_validator),
        cmocka_unit_test(test_convert_rk3562_rejected),
        cmocka_unit_test(test_convert_missing_calib_dataset_is_input_error),
        cmocka_unit_test(test_convert_no_tiling_width_overflow_is_regtask),
        cmocka_unit_test(test_convert_wide_conv_tiled_by_columns),
        cmocka_unit_test(test_convert_unsupported_lists_every_node),
        cmocka_unit_test(test_convert_unsupported_long_list_kept_whole),
        cmocka_unit_test(test_convert_cpu_fallback_runs_in_simulator),
        cmocka_unit_test(test_convert_input_shape_malformed_is_usage_error),
        cmocka_unit_test(test_convert_equalisation_keeps_small_channels),
        cmocka_unit_test(test_convert_batchnorm_and_relu_fused),
        cmocka_unit_test(test_convert_matmul_runs_as_npu_conv),
        cmocka_unit_test(test_convert_matmul_two_activations_on_npu),
        cmocka_unit_test(test_convert_matmul_weight_map_matches_packer),
        cmocka_unit_test(test_convert_rk3566_tiny_matches_onnxref),
        cmocka_unit_test(test_convert_rk3566_odd_surfaces_one_task_each),
        cmocka_unit_test(test_convert_rk3566_no_tiling_regtask_names_lite),
        cmocka_unit_test(test_convert_rk3566_bs_groups_of_four),
        cmocka_unit_test(test_convert_rk3566_weights_match_vendor_native_shapes),
        cmocka_unit_test(test_convert_rk3566_global_pool_as_depthwise),
        cmocka_unit_test(test_convert_rk3566_lowers_two_row_multi_surface_input),
        cmocka_unit_test(test_convert_rank3_input_int8_matches_onnxref),
        cmocka_unit_test(test_convert_rank2_input_fp16_matches_onnxref),
        cmocka_unit_test(test_convert_rank3_input_wrong_shape_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
