/*
 * test_convert_hybrid.c - hybrid quantisation (convert/cv_hybrid.c): the
 * rknn-toolkit2 quantization-config reader (format: rknn-toolkit2 User
 * Guide §6.3.2 as summarised in ../shared/reference/rknn-format.md §6; the
 * expected layer lists below are written by hand from those texts), its
 * round trip with compare's writer (cmp_write_hybrid_cfg), unknown tensor
 * names, a hybrid tiny model run by the simulator against onnxref, and an
 * attention block whose activation x activation MatMuls (q k^T, attn v) a
 * config moves to fp16 inside an int8 program (golden: onnxref's float run
 * of the same ONNX model, built here with protobuf-c).
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
#include "report.h"
#include "rk_tensorio.h"
#include "sim.h"
#include "simcheck.h"
#include "testutil.h"

static rk_status parse(const char *text, rk_hybrid_cfg *cfg, rk_err *e)
{
    return rk_hybrid_cfg_parse(text, strlen(text), "t.cfg", cfg, e);
}

static void expect_layers(const char *text, const char *const *names, int n)
{
    rk_hybrid_cfg cfg;
    rk_err e = {0};
    rk_status st = parse(text, &cfg, &e);
    if (st)
        fail_msg("parse failed: %s", e.msg);
    assert_int_equal(cfg.n_layers, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(cfg.layers[i], names[i]);
    rk_hybrid_cfg_free(&cfg);
}

static void expect_error(const char *text, rk_status want, const char *needle)
{
    rk_hybrid_cfg cfg;
    rk_err e = {0};
    rk_status st = parse(text, &cfg, &e);
    assert_int_equal(st, want);
    if (!strstr(e.msg, needle))
        fail_msg("error '%s' does not mention '%s'", e.msg, needle);
    assert_null(cfg.layers);
}

/* The User Guide example, with the quantize_parameters section that step1
 * writes (skipped) and comments. */
static void test_hybrid_cfg_toolkit_example_parses(void **state)
{
    (void)state;
    const char *text = "# written by hybrid_quantization_step1\n"
                       "custom_quantize_layers:\n"
                       "    Conv__350:0: float16\n"
                       "    'it''s: odd': float16   # quoted, with a colon and a quote\n"
                       "    \"dq\\\"name\": float16\n"
                       "    keep_me_int8: int8\n"
                       "quantize_parameters:\n"
                       "    FeatureExtractor/MobilenetV2/Conv/Relu6:0:\n"
                       "        qtype: asymmetric_quantized\n"
                       "        min: [0.0]\n";
    const char *want[] = {"Conv__350:0", "it's: odd", "dq\"name"};
    expect_layers(text, want, 3);
}

static void test_hybrid_cfg_flow_mappings_parse(void **state)
{
    (void)state;
    expect_layers("custom_quantize_layers: {}\n", NULL, 0);
    const char *want[] = {"a/b.c", "8"};
    expect_layers("---\ncustom_quantize_layers: {a/b.c: float16, '8': float16}\r\n", want, 2);
}

static void test_hybrid_cfg_bad_yaml_is_input_error(void **state)
{
    (void)state;
    expect_error("quantize_parameters:\n  x: 1\n", RK_EINPUT, "no 'custom_quantize_layers:'");
    expect_error("custom_quantize_layers:\n\tconv: float16\n", RK_EINPUT, "t.cfg:2: tab");
    expect_error("custom_quantize_layers:\n    'conv: float16\n", RK_EINPUT, "t.cfg:2: unterminated");
    expect_error("custom_quantize_layers:\n    a: float16\n    a: float16\n", RK_EINPUT, "t.cfg:3: tensor 'a' is listed twice");
    expect_error("custom_quantize_layers:\n    a:\n        b: float16\n", RK_EINPUT, "t.cfg:2: 'a' has no value");
    expect_error("custom_quantize_layers:\n    a: float32\n", RK_EINPUT, "custom_quantize_layers values");
    expect_error("custom_quantize_layers: {a: float16\n", RK_EINPUT, "missing '}'");
    expect_error("custom_quantize_layers: float16\n", RK_EINPUT, "must be a mapping");
    expect_error("custom_quantize_layers:\n    a float16\n", RK_EINPUT, "t.cfg:2: expected 'tensor_name: float16'");
    expect_error("  custom_quantize_layers:\n", RK_EINPUT, "indented line before any top-level key");
    expect_error("custom_quantize_layers:\n    [a]: float16\n", RK_EINPUT, "YAML construct");
    rk_hybrid_cfg cfg;
    rk_err e = {0};
    assert_int_equal(rk_hybrid_cfg_parse("custom_quantize_layers: {}\n\0x", 30, "nul.cfg", &cfg, &e), RK_EINPUT);
}

static void test_hybrid_cfg_int16_is_unsupported(void **state)
{
    (void)state;
    expect_error("custom_quantize_layers:\n    a: int16\n", RK_EUNSUPPORTED, "int16");
}

/* compare's writer -> our reader: names YAML would misread ("8", a colon
 * followed by a space, quotes, '#') survive the round trip. */
static void test_hybrid_cfg_roundtrip_with_compare_writer(void **state)
{
    (void)state;
    const char *names[] = {"batch_norm_2.tmp_2", "8", "a: b", "it's", "x #y", "Conv__350:0", "-lead"};
    int n = (int)(sizeof(names) / sizeof(names[0]));
    cmp_report r;
    cmp_report_init(&r);
    r.top_n = n;
    rk_err e = {0};
    for (int i = 0; i < n; i++) {
        cmp_row row;
        memset(&row, 0, sizeof(row));
        char layer[64];
        snprintf(layer, sizeof(layer), "Conv:c%d", i);
        row.layer = layer;
        row.op_type = (char *)"Conv";
        row.tensor = (char *)names[i];
        row.has_single = true;
        row.single.cosine = 0.9;
        row.single.sqnr_db = 10.0 + i; /* names[0] is the worst */
        assert_int_equal(cmp_report_add_row(&r, &row, &e), RK_OK);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(cmp_write_hybrid_cfg(f, &r, &e), RK_OK);
    fclose(f);
    rk_hybrid_cfg cfg;
    rk_status st = rk_hybrid_cfg_parse(buf, len, "written.cfg", &cfg, &e);
    if (st)
        fail_msg("%s\n%s", e.msg, buf);
    assert_int_equal(cfg.n_layers, n);
    for (int i = 0; i < n; i++)
        assert_string_equal(cfg.layers[i], names[i]);
    rk_hybrid_cfg_free(&cfg);
    free(buf);
    cmp_report_free(&r);
}

static const char *write_cfg(const char *name, const char *text)
{
    static char path[4096];
    snprintf(path, sizeof(path), "%s/%s", RKSIM_BINARY_DIR, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static rk_status convert_tiny_hybrid(const char *cfg, rknn_model **m, rk_convert_report *rep, rk_err *e)
{
    rk_convert_opts o = {.soc = RK_SOC_RK3588, .dtype = RK_CONVERT_INT8,
                         .calib_h5 = tu_source_path("datasets/tiny/input.h5"), .hybrid_cfg = cfg};
    memset(rep, 0, sizeof(*rep));
    *m = NULL;
    return rk_convert_onnx(tu_source_path("datasets/tiny/tiny_conv.onnx"), &o, m, rep, e);
}

/* Every unknown name in one error (exit 3). */
static void test_hybrid_unknown_tensor_names_listed(void **state)
{
    (void)state;
    const char *cfg = write_cfg("hybrid_unknown.cfg", "custom_quantize_layers:\n"
                                                      "    output: float16\n"
                                                      "    no_such_tensor: float16\n"
                                                      "    conv_out: float16\n"
                                                      "    input: float16\n");
    rknn_model *m;
    rk_convert_report rep;
    rk_err e = {0};
    assert_int_equal(convert_tiny_hybrid(cfg, &m, &rep, &e), RK_EINPUT);
    assert_null(m);
    /* conv_out is fused away (Conv+Relu is one layer named 'output') */
    assert_non_null(strstr(e.msg, "3 tensor names are not the output of a layer"));
    assert_non_null(strstr(e.msg, "'no_such_tensor'"));
    assert_non_null(strstr(e.msg, "'conv_out'"));
    assert_non_null(strstr(e.msg, "'input' (a graph input)"));
    assert_null(strstr(e.msg, "'output'"));
    rk_convert_report_free(&rep);
    rk_convert_opts o16 = {.soc = RK_SOC_RK3588, .dtype = RK_CONVERT_FP16, .hybrid_cfg = cfg};
    assert_int_equal(rk_convert_onnx(tu_source_path("datasets/tiny/tiny_conv.onnx"), &o16, &m, &rep, &e), RK_EUSAGE);
    rk_convert_report_free(&rep);
}

/* The tiny conv in fp16 inside an int8 program: int8 input -> conversion
 * node -> fp16 conv -> fp16 output; the simulator's result matches onnxref
 * to fp16 accuracy (cosine >= 0.999, the fp16 sweep bound; int8 only at the
 * input conversion). */
static void test_hybrid_tiny_conv_fp16_matches_onnxref(void **state)
{
    (void)state;
    const char *cfg = write_cfg("hybrid_tiny.cfg", "custom_quantize_layers:\n    output: float16\n");
    rknn_model *m;
    rk_convert_report rep;
    rk_err e = {0};
    rk_status st = convert_tiny_hybrid(cfg, &m, &rep, &e);
    if (st)
        fail_msg("%s", e.msg);
    const rknn_graph *g = &m->graphs[0];
    int32_t wi = rknn_find_tensor(m, "conv.weight"), oi = rknn_find_tensor(m, "output"),
            ci = rknn_find_tensor(m, "input#fp16");
    if (wi < 0) /* weight named after the node */
        for (uint32_t i = 0; i < g->n_tensors; i++)
            if (g->tensors[i].kind == RKNN_KIND_CONST && g->tensors[i].layout == RKNN_LAYOUT_NATIVE_WEIGHT)
                wi = (int32_t)i;
    assert_true(wi >= 0 && oi >= 0 && ci >= 0);
    assert_int_equal(g->tensors[wi].dtype, RK_DT_F16);
    assert_int_equal(g->tensors[oi].dtype, RK_DT_F16);
    assert_int_equal(g->tensors[ci].dtype, RK_DT_F16);
    assert_int_equal(g->tensors[rknn_find_tensor(m, "input")].dtype, RK_DT_I8);

    rk_tensor_list in = {0};
    assert_int_equal(rk_h5_read(tu_source_path("datasets/tiny/input.h5"), &in, &e), RK_OK);
    rk_tensor got = {0}, ref = {0};
    tu_run_sim_and_ref(m, tu_source_path("datasets/tiny/tiny_conv.onnx"), &in.items[0], &got, &ref);
    assert_true(tu_cosine(&got, &ref) >= 0.999);
    rk_tensor_free(&got);
    rk_tensor_free(&ref);
    rk_tensor_list_free(&in);
    rknn_free(m);
    rk_convert_report_free(&rep);
}

/* ----------------------------------------- attention MatMuls in fp16 */

/* One-node builder over tests/support/onnxgen.h: up to two inputs, one
 * output, an optional INT/INTS attribute (count 1 = INT). */
static Onnx__NodeProto *mknode(tg_arena *a, const char *op, const char *name, const char *i0, const char *i1,
                               const char *out, const char *attr, const int64_t *v, int count)
{
    const char *ins[2] = {i0, i1};
    Onnx__NodeProto *n = tg_node(a, op, name, ins, i1 ? 2 : 1, &out, 1);
    if (attr && count == 1)
        tg_attr_int(a, n, attr, v[0]);
    else if (attr)
        tg_attr_ints(a, n, attr, v, count);
    return n;
}

enum { AT_HEADS = 2, AT_T = 40, AT_D = 48 }; /* K and N > 32: several CNA weight groups */

/*
 * Attention over [1, heads, T, d]: q = x * cq, k^T = Transpose(x), logits =
 * MatMul(q, k^T) ('qk', output 'logits'), p = Softmax(logits), v = x * cv,
 * output = MatMul(p, v) ('pv').  The elementwise ops and the Softmax are CPU
 * nodes; both MatMuls are activation x activation (one NPU conv per head).
 * cq and cv give q and v a few outlier channels (x8, x10), as the q/k/v of
 * trained transformers have: per-tensor int8 then spends its range on them.
 */
static const char *save_attention_model(void)
{
    tg_arena a = {0};
    const int64_t in_dims[4] = {1, AT_HEADS, AT_T, AT_D}, perm[4] = {0, 1, 3, 2}, axis = -1;
    const int64_t out_dims[4] = {1, AT_HEADS, AT_T, AT_D}, vec_dims[1] = {AT_D};
    Onnx__NodeProto *nodes[6] = {
        mknode(&a, "Mul", "q_scale", "input", "cq", "q", NULL, NULL, 0),
        mknode(&a, "Transpose", "k_t", "input", NULL, "kt", "perm", perm, 4),
        mknode(&a, "MatMul", "qk", "q", "kt", "logits", NULL, NULL, 0),
        mknode(&a, "Softmax", "softmax", "logits", NULL, "probs", "axis", &axis, 1),
        mknode(&a, "Mul", "v_neg", "input", "cv", "v", NULL, NULL, 0),
        mknode(&a, "MatMul", "pv", "probs", "v", "output", NULL, NULL, 0)};
    float cq[AT_D], cv[AT_D];
    for (int i = 0; i < AT_D; i++) {
        cq[i] = i == 3 || i == 11 ? 8.0f : 1.0f;
        cv[i] = i == 5 ? -10.0f : -1.0f;
    }
    Onnx__TensorProto *inits[2] = {tg_init_f32(&a, "cq", 1, vec_dims, cq), tg_init_f32(&a, "cv", 1, vec_dims, cv)};
    Onnx__ValueInfoProto *in = tg_vinfo(&a, "input", 4, in_dims), *out = tg_vinfo(&a, "output", 4, out_dims);
    tg_graph g = {.name = "attention", .nodes = nodes, .n_nodes = 6, .inits = inits, .n_inits = 2,
                  .inputs = &in, .n_inputs = 1, .outputs = &out, .n_outputs = 1};
    const char *path = tg_save(&a, &g, "hybrid_attention.onnx");
    tg_arena_free(&a);
    return path;
}

/* Zero-mean input in [-1, 1) (deterministic LCG), also the calibration set. */
static void attention_input(rk_tensor *in, const char *h5)
{
    const int64_t dims[4] = {1, AT_HEADS, AT_T, AT_D};
    rk_err e = {0};
    assert_int_equal(rk_tensor_alloc(in, "input", RK_DT_F32, 4, dims, &e), RK_OK);
    uint32_t lcg = 0x2468ACE1u;
    for (int64_t i = 0; i < in->nelem; i++) {
        lcg = lcg * 1664525u + 1013904223u;
        ((float *)in->data)[i] = (float)(lcg >> 8) / 8388608.0f - 1.0f;
    }
    assert_int_equal(rk_h5_write(h5, in, 1, &e), RK_OK);
}

/* Converts the attention model (int8, optionally with cfg), checks the
 * dtype of the MatMul tensors of every head, runs it; returns the output's
 * cosine against onnxref. */
static double attention_cosine(const char *model, const char *h5, const rk_tensor *in, const rk_tensor *ref,
                               const char *cfg)
{
    rk_convert_opts o = {.soc = RK_SOC_RK3588, .dtype = RK_CONVERT_INT8, .calib_h5 = h5, .hybrid_cfg = cfg};
    rk_convert_report rep;
    memset(&rep, 0, sizeof(rep));
    rknn_model *m = NULL;
    rk_err e = {0};
    rk_status st = rk_convert_onnx(model, &o, &m, &rep, &e);
    if (st)
        fail_msg("%s", e.msg);
    /* per head: A packed ('#mmin'), B^T in the CNA weight layout ('#mmw',
     * written by the CPU node), the conv's result ('#mm') */
    assert_int_equal(rep.n_npu_ops, 2 * AT_HEADS);
    rk_dtype want = cfg ? RK_DT_F16 : RK_DT_I8;
    const rknn_graph *g = &m->graphs[0];
    for (int b = 0; b < AT_HEADS; b++) {
        const char *fmt[6] = {"q#mmin%d", "kt#mmw%d", "logits#mm%d", "probs#mmin%d", "v#mmw%d", "output#mm%d"};
        for (int k = 0; k < 6; k++) {
            char nm[64];
            snprintf(nm, sizeof(nm), fmt[k], b);
            int32_t ti = rknn_find_tensor(m, nm);
            if (ti < 0)
                fail_msg("no tensor '%s' in the converted attention model", nm);
            if (g->tensors[ti].dtype != want)
                fail_msg("'%s' is %s, want %s", nm, rk_dtype_name(g->tensors[ti].dtype), rk_dtype_name(want));
        }
    }
    sim *s = NULL;
    sim_options so = {0};
    assert_int_equal(sim_create(m, &so, &s, &e), RK_OK);
    assert_int_equal(sim_set_input(s, 0, in, false, &e), RK_OK);
    st = sim_run(s, &e);
    if (st)
        fail_msg("%s", e.msg);
    rk_tensor got = {0};
    assert_int_equal(sim_get_output(s, 0, false, &got, &e), RK_OK);
    double c = tu_cosine(&got, ref);
    rk_tensor_free(&got);
    sim_destroy(s);
    rknn_free(m);
    rk_convert_report_free(&rep);
    return c;
}

/* q k^T and attn v named in the config (by output tensor and by node
 * name): every head's conv, packed operand, runtime weights and result are
 * fp16 and the output matches onnxref at fp16 accuracy (>= 0.9999; the int8
 * graph input is the only int8 step).  The all-int8 program must stay below
 * that bound (symmetric int8 operands, int8 probabilities), or the check
 * would not tell the two apart. */
static void test_hybrid_attention_matmuls_fp16_match_onnxref(void **state)
{
    (void)state;
    const char *model = save_attention_model();
    char h5[4096];
    snprintf(h5, sizeof(h5), "%s", tu_tmp_path("hybrid_attention_input.h5"));
    rk_tensor in = {0}, ref = {0};
    attention_input(&in, h5);
    rk_err e = {0};
    ox_model *om = NULL;
    assert_int_equal(ox_model_load_file(model, &om, &e), RK_OK);
    ox_run_opts ro = {.threads = 1};
    assert_int_equal(ox_run(om, &in, 1, &ro, &ref, &e), RK_OK);
    ox_model_free(om);

    double c8 = attention_cosine(model, h5, &in, &ref, NULL);
    const char *cfg = write_cfg("hybrid_attention.cfg", "custom_quantize_layers:\n"
                                                        "    logits: float16   # q k^T, by output tensor\n"
                                                        "    pv: float16       # attn v, by node name\n");
    double c16 = attention_cosine(model, h5, &in, &ref, cfg);
    /* the per-head names `rksim info` shows ("<Y>#mm<b>", here the last
     * head) name the whole stack too */
    const char *cfg_info = write_cfg("hybrid_attention_info.cfg", "custom_quantize_layers:\n"
                                                                  "    logits#mm1: float16\n"
                                                                  "    output#mm1: float16\n");
    double c16i = attention_cosine(model, h5, &in, &ref, cfg_info);
    print_message("attention output cosine vs onnxref: all int8 %.6f, MatMuls fp16 %.6f (%.6f)\n", c8, c16, c16i);
    assert_true(c16 >= 0.9999);
    assert_true(c16i >= 0.9999);
    assert_true(c8 < 0.9999);
    rk_tensor_free(&in);
    rk_tensor_free(&ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hybrid_cfg_toolkit_example_parses),
        cmocka_unit_test(test_hybrid_cfg_flow_mappings_parse),
        cmocka_unit_test(test_hybrid_cfg_bad_yaml_is_input_error),
        cmocka_unit_test(test_hybrid_cfg_int16_is_unsupported),
        cmocka_unit_test(test_hybrid_cfg_roundtrip_with_compare_writer),
        cmocka_unit_test(test_hybrid_unknown_tensor_names_listed),
        cmocka_unit_test(test_hybrid_tiny_conv_fp16_matches_onnxref),
        cmocka_unit_test(test_hybrid_attention_matmuls_fp16_match_onnxref),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
