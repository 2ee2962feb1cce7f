/* Unit tests for compare/report*.c: thresholds, worst-layer ranking, the
 * writers' content and the hybrid-quantisation YAML.  The rows carry
 * metrics computed from hand-chosen vectors whose values are derived in the
 * comments (see test_compare_metrics.c for the formulas). */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_non_null(s);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static int count_of(const char *hay, const char *needle)
{
    int c = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
        c++;
    return c;
}

/* Three layers:
 *  input  : identical            -> cos 1, sqnr inf
 *  "7"    : x=[1,2,3,4] y=[1,2,3,5]: cos 0.993999, sqnr 14.77 dB (single: same)
 *  "8"    : x=[1,2,3,4] y=[1,2,3,4.1]: d^2 = 0.01, sqnr = 10log10(30/0.01) = 34.77 dB,
 *           cos = (30+0.4)/sqrt(30*(30+0.81)) = 30.4/sqrt(924.3) = 0.99993...
 *  single of "8": identical -> inf */
static void build(cmp_report *r)
{
    static const float x[] = {1, 2, 3, 4}, y7[] = {1, 2, 3, 5}, y8[] = {1, 2, 3, 4.1f};
    rk_err e = {0};
    cmp_report_init(r);
    assert_int_equal(cmp_report_set_paths(r, "m.onnx", "dir/m.rknn", "in.h5", "rk3588", &e), RK_OK);
    cmp_row row = {0};
    row.layer = "InputOperator:input";
    row.op_type = "InputOperator";
    row.tensor = "input";
    row.onnx_tensor = "input";
    row.is_input = true;
    row.has_entire = true;
    row.ndim = 1;
    row.dims[0] = 4;
    cmp_metrics_compute(x, x, 4, &row.entire);
    assert_int_equal(cmp_report_add_row(r, &row, &e), RK_OK);

    memset(&row, 0, sizeof row);
    row.layer = "Conv:Conv_1";
    row.op_type = "Conv";
    row.tensor = "7";
    row.onnx_tensor = "7";
    row.onnx_ops = "Conv";
    row.depth = 1;
    row.ndim = 1;
    row.dims[0] = 4;
    row.has_entire = row.has_single = true;
    cmp_metrics_compute(x, y7, 4, &row.entire);
    cmp_metrics_compute(x, y7, 4, &row.single);
    assert_int_equal(cmp_report_add_row(r, &row, &e), RK_OK);

    memset(&row, 0, sizeof row);
    row.layer = "Conv:Conv_0";
    row.op_type = "ConvAdd";
    row.tensor = "8";
    row.onnx_tensor = "8";
    row.onnx_ops = "Conv+Add";
    row.depth = 2;
    row.is_output = true;
    row.ndim = 1;
    row.dims[0] = 4;
    row.has_entire = row.has_single = true;
    cmp_metrics_compute(x, y8, 4, &row.entire);
    cmp_metrics_compute(x, x, 4, &row.single);
    assert_int_equal(cmp_report_add_row(r, &row, &e), RK_OK);
    assert_int_equal(cmp_report_add_unmatched(r, 'o', "6", "Conv", "fused into ConvAdd 'Conv:Conv_0'", &e),
                     RK_OK);
}

static void test_report_strict_cosine_fails_first_layers_named(void **state)
{
    (void)state;
    cmp_report r;
    build(&r);
    r.min_cosine = 0.9999;
    /* "7": 0.993999 < 0.9999 (entire and single); "8": 0.99993 passes. */
    assert_int_equal(cmp_report_check(&r), 1);
    assert_int_equal(r.rows[1].fail, CMP_FAIL_ENTIRE_COSINE | CMP_FAIL_SINGLE_COSINE);
    assert_int_equal(r.rows[2].fail, 0);
    char buf[512];
    cmp_report_failures_str(&r, 3, buf, sizeof buf);
    assert_non_null(strstr(buf, "Conv:Conv_1 (entire cosine 0.99400 < 0.9999"));
    cmp_report_free(&r);
}

static void test_report_loose_thresholds_pass(void **state)
{
    (void)state;
    cmp_report r;
    build(&r);
    r.min_cosine = 0.99;
    r.min_sqnr = 10.0;
    assert_int_equal(cmp_report_check(&r), 0);
    char buf[512];
    assert_non_null(strstr(cmp_report_summary(&r, buf, sizeof buf), "PASSED"));
    cmp_report_free(&r);
}

/* SQNR gate: "8" entire 34.77 dB < 40 fails; its single (inf) passes. */
static void test_report_sqnr_threshold_per_mode(void **state)
{
    (void)state;
    cmp_report r;
    build(&r);
    r.min_sqnr = 20.0;
    assert_int_equal(cmp_report_check(&r), 1); /* only "7" (14.77 dB) */
    r.min_sqnr = 40.0;
    assert_int_equal(cmp_report_check(&r), 2);
    assert_int_equal(r.rows[2].fail, CMP_FAIL_ENTIRE_SQNR);
    cmp_report_free(&r);
}

/* Ranking by single SQNR: "7" (14.77) before "8" (inf); input skipped. */
static void test_report_worst_ranks_single_sqnr(void **state)
{
    (void)state;
    cmp_report r;
    build(&r);
    int idx[5];
    assert_int_equal(cmp_report_worst(&r, 5, idx), 2);
    assert_int_equal(idx[0], 1);
    assert_int_equal(idx[1], 2);
    assert_int_equal(cmp_report_worst(&r, 1, idx), 1);
    assert_int_equal(idx[0], 1);
    /* a CPU layer (e.g. a custom op) with the worst SQNR of all
     * ([1,2] vs [2,1]: 3.98 dB) is never proposed for float16 */
    cmp_row cpu = {0};
    const float x[] = {1, 2}, y[] = {2, 1};
    cpu.layer = "cst:custom";
    cpu.op_type = "cstDualResidual";
    cpu.tensor = "c";
    cpu.is_cpu = true;
    cpu.has_entire = true;
    cmp_metrics_compute(x, y, 2, &cpu.entire);
    assert_int_equal(cmp_report_add_row(&r, &cpu, NULL), RK_OK);
    assert_int_equal(cmp_report_worst(&r, 5, idx), 2);
    assert_int_equal(idx[0], 1);
    cmp_report_free(&r);
}

static void test_report_text_has_vendor_columns(void **state)
{
    (void)state;
    cmp_report r;
    build(&r);
    const char *p = tu_tmp_path(".txt");
    rk_err e = {0};
    assert_int_equal(cmp_report_write_file(&r, CMP_FMT_TEXT, p, &e), RK_OK);
    char *s = slurp(p);
    assert_non_null(strstr(s, "layer_name"));
    assert_non_null(strstr(s, "simulator_error"));
    /* vendor cell style: cos %.5f | euc, exact zero as 0.0 */
    assert_non_null(strstr(s, "[InputOperator] input"));
    assert_non_null(strstr(s, "1.00000 | 0.0"));
    assert_non_null(strstr(s, "[Conv] 7"));
    assert_non_null(strstr(s, "0.99400 | 1"));
    assert_non_null(strstr(s, "[ConvAdd] 8"));
    assert_non_null(strstr(s, "fused into ConvAdd"));
    free(s);
    remove(p);
    cmp_report_free(&r);
}

static void test_report_junit_one_case_per_layer_failures_per_threshold(void **state)
{
    (void)state;
    cmp_report r;
    build(&r);
    r.min_cosine = 0.9999;
    r.min_sqnr = 20.0;
    cmp_report_check(&r);
    assert_int_equal(cmp_report_add_unmatched(&r, 'r', "Foo:bar", "Foo", "no ONNX tensor 'bar'", NULL),
                     RK_OK);
    const char *p = tu_tmp_path(".xml");
    rk_err e = {0};
    assert_int_equal(cmp_report_write_file(&r, CMP_FMT_JUNIT, p, &e), RK_OK);
    char *s = slurp(p);
    assert_int_equal(count_of(s, "<testcase "), 4); /* 3 layers + 1 unmatched */
    /* "7" fails entire cosine, entire SQNR (14.77 < 20), single cosine, single SQNR */
    assert_int_equal(count_of(s, "<failure "), 4);
    assert_non_null(strstr(s, "message=\"entire cosine 0.993999 &lt; 0.9999\""));
    assert_non_null(strstr(s, "failures=\"1\""));
    assert_non_null(strstr(s, "<skipped message=\"no ONNX tensor &#39;bar&#39;\"/>"));
    free(s);
    remove(p);
    cmp_report_free(&r);
}

/* JSON: inf written as the string "inf", thresholds null when unset. */
static void test_report_json_nonfinite_as_strings(void **state)
{
    (void)state;
    cmp_report r;
    build(&r);
    const char *p = tu_tmp_path(".json");
    rk_err e = {0};
    assert_int_equal(cmp_report_write_file(&r, CMP_FMT_JSON, p, &e), RK_OK);
    char *s = slurp(p);
    assert_non_null(strstr(s, "\"schema\":\"rksim-compare/1\""));
    assert_non_null(strstr(s, "\"sqnr_db\":\"inf\""));
    assert_non_null(strstr(s, "\"min_cosine\":null"));
    assert_non_null(strstr(s, "\"onnx_ops\":\"Conv+Add\""));
    free(s);
    remove(p);
    cmp_report_free(&r);
}

static void test_report_csv_two_lines_per_layer(void **state)
{
    (void)state;
    cmp_report r;
    build(&r);
    const char *p = tu_tmp_path(".csv");
    rk_err e = {0};
    assert_int_equal(cmp_report_write_file(&r, CMP_FMT_CSV, p, &e), RK_OK);
    char *s = slurp(p);
    /* header + input(entire) + 7(entire,single) + 8(entire,single) */
    assert_int_equal(count_of(s, "\n"), 6);
    assert_non_null(strstr(s, ",8,8,4,single,4,1,0,0,0,0,inf,"));
    free(s);
    remove(p);
    cmp_report_free(&r);
}

static void test_report_html_self_contained(void **state)
{
    (void)state;
    cmp_report r;
    build(&r);
    const char *p = tu_tmp_path(".html");
    rk_err e = {0};
    assert_int_equal(cmp_report_write_file(&r, CMP_FMT_HTML, p, &e), RK_OK);
    char *s = slurp(p);
    assert_non_null(strstr(s, "<svg id=\"drift\""));
    assert_int_equal(count_of(s, "<tr class=\"layer"), 3);
    assert_null(strstr(s, "<script"));
    assert_null(strstr(s, "<link"));
    assert_null(strstr(s, "http://fonts"));
    free(s);
    remove(p);
    cmp_report_free(&r);
}

/* YAML: "7" must be quoted (bare 7 is an integer), "Conv__350:0" stays bare
 * as in the vendor's example (rknn-format.md §6). */
static void test_report_hybrid_cfg_yaml(void **state)
{
    (void)state;
    cmp_report r;
    build(&r);
    rk_err e = {0};
    cmp_row row = {0};
    row.layer = "Conv:Conv__350";
    row.op_type = "Conv";
    row.tensor = "Conv__350:0";
    row.onnx_tensor = "Conv__350:0";
    row.has_single = true;
    const float x[] = {1, 2}, y[] = {2, 1};
    cmp_metrics_compute(x, y, 2, &row.single);
    assert_int_equal(cmp_report_add_row(&r, &row, &e), RK_OK);
    r.top_n = 2;
    const char *p = tu_tmp_path(".cfg");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    assert_int_equal(cmp_write_hybrid_cfg(f, &r, &e), RK_OK);
    fclose(f);
    char *s = slurp(p);
    assert_non_null(strstr(s, "custom_quantize_layers:\n"));
    /* [1,2] vs [2,1]: sqnr = 10log10(5/2) = 3.98 dB: the worst, listed first */
    char *a = strstr(s, "    Conv__350:0: float16");
    char *b = strstr(s, "    '7': float16");
    assert_non_null(a);
    assert_non_null(b);
    assert_true(a < b);
    assert_null(strstr(s, "'8'"));
    free(s);
    remove(p);
    cmp_report_free(&r);
}

/* An attention block with one simulated step split in 2 heads appears in
 * the text, JSON and HTML writers. */
static void test_report_attention_written(void **state)
{
    (void)state;
    cmp_report r;
    build(&r);
    rk_err e = {0};
    cmp_attn_report a;
    memset(&a, 0, sizeof a);
    a.name = strdup("/attn/Softmax");
    a.kind = strdup("decomposed");
    a.pattern = strdup("MatMul>Mul>Add>Softmax>MatMul");
    a.num_heads = 2;
    a.scale = 0.125;
    a.has_mask = true;
    a.prob_mass_zero = 0.25;
    a.prob_frac_zero = 0.5;
    a.prob_scale = 1.0f / 255;
    a.prob_zp = -128;
    a.logit_min = -1e9;
    a.logit_max = 4;
    a.logit_min_unmasked = -3;
    a.logit_int8_step = (4 + 1e9) / 255;
    a.logit_step_unmasked = 7.0 / 255;
    a.logit_model_scale = NAN;
    a.nsteps = 1;
    a.steps = calloc(1, sizeof *a.steps);
    assert_non_null(a.steps);
    a.steps[0].step = strdup("probs");
    a.steps[0].onnx_tensor = strdup("/attn/Softmax_output_0");
    a.steps[0].has_metrics = true;
    const float x[] = {0.5f, 0.5f}, y[] = {0.5f, 0.5f};
    cmp_metrics_compute(x, y, 2, &a.steps[0].m);
    a.steps[0].nheads = 2;
    a.steps[0].heads = calloc(2, sizeof *a.steps[0].heads);
    assert_non_null(a.steps[0].heads);
    cmp_metrics_compute(x, y, 1, &a.steps[0].heads[0]);
    cmp_metrics_compute(x, y, 1, &a.steps[0].heads[1]);
    assert_int_equal(cmp_report_add_attn(&r, &a, &e), RK_OK);
    assert_null(a.name); /* ownership moved */
    const char *pt = tu_tmp_path(".txt"), *pj = tu_tmp_path(".json"), *ph = tu_tmp_path(".html");
    assert_int_equal(cmp_report_write_file(&r, CMP_FMT_TEXT, pt, &e), RK_OK);
    assert_int_equal(cmp_report_write_file(&r, CMP_FMT_JSON, pj, &e), RK_OK);
    assert_int_equal(cmp_report_write_file(&r, CMP_FMT_HTML, ph, &e), RK_OK);
    char *t = slurp(pt), *j = slurp(pj), *h = slurp(ph);
    assert_non_null(strstr(t, "# attention blocks: 1"));
    assert_non_null(strstr(t, "softmax probability mass quantised to 0: 25.000%"));
    assert_int_equal(count_of(t, "      head "), 2);
    assert_non_null(strstr(j, "\"attention\":[{\"name\":\"/attn/Softmax\""));
    assert_non_null(strstr(j, "\"prob_mass_zero\":0.25"));
    assert_non_null(strstr(h, "<h2>Attention (1)</h2>"));
    free(t);
    free(j);
    free(h);
    remove(pt);
    remove(pj);
    remove(ph);
    cmp_report_free(&r);
}

static void test_report_write_bad_path_names_it(void **state)
{
    (void)state;
    cmp_report r;
    build(&r);
    rk_err e = {0};
    assert_int_equal(cmp_report_write_file(&r, CMP_FMT_JSON, "/nonexistent-dir/x.json", &e),
                     RK_EIO);
    assert_non_null(strstr(e.msg, "/nonexistent-dir/x.json"));
    cmp_report_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report_strict_cosine_fails_first_layers_named),
        cmocka_unit_test(test_report_loose_thresholds_pass),
        cmocka_unit_test(test_report_sqnr_threshold_per_mode),
        cmocka_unit_test(test_report_worst_ranks_single_sqnr),
        cmocka_unit_test(test_report_text_has_vendor_columns),
        cmocka_unit_test(test_report_junit_one_case_per_layer_failures_per_threshold),
        cmocka_unit_test(test_report_json_nonfinite_as_strings),
        cmocka_unit_test(test_report_csv_two_lines_per_layer),
        cmocka_unit_test(test_report_html_self_contained),
        cmocka_unit_test(test_report_hybrid_cfg_yaml),
        cmocka_unit_test(test_report_attention_written),
        cmocka_unit_test(test_report_write_bad_path_names_it),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
