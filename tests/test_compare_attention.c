/* Tests for compare/attention.c.
 *
 * The model tests run tests/gen_attention_models.py (Debian's torch 1.13 and
 * onnx 1.12) into the build dir, then check the detector against the
 * NAME.expect files the generator wrote (what the export contains, and the
 * softmax statistics computed with numpy on torch's own probabilities) -
 * independent of the code under test.  They skip when /usr/bin/python3 with
 * torch is not available. */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attention.h"
#include "rk_tensorio.h"
#include "tensor_set.h"

static char model_dir[4096];
static bool have_models;

static int gen_models(void **state)
{
    (void)state;
    snprintf(model_dir, sizeof model_dir, "%s/attn-models", RKSIM_BINARY_DIR);
    if (access("/usr/bin/python3", X_OK) != 0)
        return 0;
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s > %s.log 2>&1",
             tu_source_path("tests/gen_attention_models.py"), model_dir, model_dir);
    have_models = system(cmd) == 0;
    if (!have_models)
        fprintf(stderr, "note: attention model generator failed (see %s.log)\n", model_dir);
    return 0;
}

/* ---- .expect files: key=value lines ------------------------------------ */

typedef struct expect {
    char key[16][128];
    char val[16][128];
    int n;
} expect;

static void load_expect(const char *name, expect *x)
{
    char path[4200], line[128];
    snprintf(path, sizeof path, "%s/%s.expect", model_dir, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    x->n = 0;
    while (x->n < 16 && fgets(line, sizeof line, f)) {
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = '\0';
        eq[1 + strcspn(eq + 1, "\n")] = '\0';
        snprintf(x->key[x->n], sizeof x->key[0], "%s", line);
        snprintf(x->val[x->n], sizeof x->val[0], "%s", eq + 1);
        x->n++;
    }
    fclose(f);
}

static const char *get(const expect *x, const char *k)
{
    for (int i = 0; i < x->n; i++)
        if (strcmp(x->key[i], k) == 0)
            return x->val[i];
    return NULL;
}

static ox_model *load_model(const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.onnx", model_dir, name);
    ox_model *m = NULL;
    rk_err e = {0};
    rk_status st = ox_model_load_file(path, &m, &e);
    if (st != RK_OK)
        fail_msg("%s: %s", path, e.msg);
    return m;
}

/* Detection result against NAME.expect. */
static void check_detection(const char *name, cmp_attn_block *b)
{
    expect x;
    load_expect(name, &x);
    const char *kind = get(&x, "kind");
    assert_int_equal(b->kind, strcmp(kind, "Attention-op") == 0 ? CMP_ATTN_OP : CMP_ATTN_DECOMPOSED);
    assert_int_equal(b->mask_op != NULL, atoi(get(&x, "has_mask")));
    if (get(&x, "mask_op"))
        assert_string_equal(b->mask_op, get(&x, "mask_op"));
    assert_true(fabs(b->scale - atof(get(&x, "scale"))) < 1e-6);
    if (get(&x, "scale_place"))
        assert_string_equal(cmp_attn_scale_place_name(b->scale_place), get(&x, "scale_place"));
    if (get(&x, "heads_split"))
        assert_int_equal(b->heads_split, atoi(get(&x, "heads_split")));
    if (get(&x, "num_heads") && b->num_heads >= 0)
        assert_int_equal(b->num_heads, atoi(get(&x, "num_heads")));
}

static rk_status run_capture(ox_model *m, const char *name, int ninputs, cmp_tensor_set *all)
{
    rk_tensor in[4];
    memset(in, 0, sizeof in);
    rk_err e = {0};
    for (int i = 0; i < ninputs; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/%s_in%d.npy", model_dir, name, i);
        assert_int_equal(rk_npy_read(path, &in[i], &e), RK_OK);
    }
    rk_status st = cmp_onnx_run_capture(m, in, ninputs, all, &e);
    if (st != RK_OK)
        fprintf(stderr, "onnxref run of %s: %s\n", name, e.msg);
    for (int i = 0; i < ninputs; i++)
        rk_tensor_free(&in[i]);
    return st;
}

/* Detect, run with onnxref, analyse (no simulated side) and compare the
 * softmax statistics with numpy's. */
static void check_model(const char *name, int ninputs, bool run)
{
    if (!have_models)
        skip();
    ox_model *m = load_model(name);
    cmp_attn_block *blocks = NULL;
    int n = 0;
    rk_err e = {0};
    assert_int_equal(cmp_attn_detect(m, &blocks, &n, &e), RK_OK);
    assert_int_equal(n, 1);
    check_detection(name, &blocks[0]);
    if (blocks[0].kind == CMP_ATTN_DECOMPOSED) {
        assert_non_null(blocks[0].logits);
        assert_non_null(blocks[0].probs);
        assert_non_null(blocks[0].context);
    }
    expect x;
    load_expect(name, &x);
    if (run) {
        cmp_tensor_set all = {0};
        assert_int_equal(run_capture(m, name, ninputs, &all), RK_OK);
        cmp_attn_sources src = {.ref = cmp_set_lookup, .ref_user = &all};
        cmp_attn_report rep;
        assert_int_equal(cmp_attn_analyse(&blocks[0], &src, &rep, &e), RK_OK);
        assert_int_equal(rep.nsteps >= 3, 1);
        if (get(&x, "prob_mass_zero")) {
            assert_true(fabs(rep.prob_mass_zero - atof(get(&x, "prob_mass_zero"))) < 1e-5);
            assert_true(fabs(rep.prob_frac_zero - atof(get(&x, "prob_frac_zero"))) < 1e-6);
        }
        if (get(&x, "num_heads"))
            assert_int_equal(rep.num_heads, atoi(get(&x, "num_heads")));
        assert_false(isnan(rep.logit_max));
        cmp_attn_report_free(&rep);
        cmp_set_free(&all);
    }
    free(blocks);
    ox_model_free(m);
}

static void test_attn_detect_plain_opset13(void **state)
{
    (void)state;
    check_model("attn_plain_op13", 3, true);
}

static void test_attn_detect_plain_opset15(void **state)
{
    (void)state;
    check_model("attn_plain_op15", 3, true);
}

static void test_attn_detect_heads_add_mask_opset14(void **state)
{
    (void)state;
    check_model("attn_mha_add_op14", 2, true);
}

static void test_attn_detect_heads_add_mask_opset16(void **state)
{
    (void)state;
    check_model("attn_mha_add_op16", 2, true);
}

static void test_attn_detect_heads_where_mask_opset17(void **state)
{
    (void)state;
    check_model("attn_mha_where_op17", 1, true);
}

static void test_attn_detect_torch_mha_prescaled_q(void **state)
{
    (void)state;
    check_model("attn_torch_mha_op17", 2, true);
}

/* onnxref has no kernel for Attention: detection only. */
static void test_attn_detect_attention_op23(void **state)
{
    (void)state;
    check_model("attention_op23", 4, false);
}

/* A graph without attention (the vendor demo's conv net) yields nothing. */
static void test_attn_detect_none_in_conv_net(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(p, "datasets/rknn-vendor/multiple_input_demo/test.onnx");
    ox_model *m = NULL;
    rk_err e = {0};
    assert_int_equal(ox_model_load_file(p, &m, &e), RK_OK);
    cmp_attn_block *b = NULL;
    int n = -1;
    assert_int_equal(cmp_attn_detect(m, &b, &n, &e), RK_OK);
    assert_int_equal(n, 0);
    free(b);
    ox_model_free(m);
}

/* PP-OCRv4 rec (real Paddle export, opset 9): its SVTR neck has two
 * attention blocks, Softmax <- MatMul(Mul(q, scale), k^T) -> MatMul(., v),
 * and a third Softmax that is the classifier head (Softmax <- Add(MatMul(x,
 * W), bias), no consumer MatMul), which is not attention.  Counted by
 * walking the graph with python onnx. */
static void test_attn_detect_ppocr_rec_two_blocks(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(p, "datasets/ppocr/ch_PP-OCRv4_rec_infer.onnx");
    ox_model *m = NULL;
    rk_err e = {0};
    assert_int_equal(ox_model_load_file(p, &m, &e), RK_OK);
    cmp_attn_block *b = NULL;
    int n = -1;
    assert_int_equal(cmp_attn_detect(m, &b, &n, &e), RK_OK);
    assert_int_equal(n, 2);
    for (int i = 0; i < n; i++) {
        assert_int_equal(b[i].kind, CMP_ATTN_DECOMPOSED);
        assert_null(b[i].mask_op);
        assert_int_equal(b[i].scale_place, CMP_SCALE_PRE);
        assert_non_null(b[i].context);
    }
    free(b);
    ox_model_free(m);
}

/* Simulated side = the reference probabilities quantised to int8 with
 * scale 1/255, zp -128 and dequantised (what an int8 softmax output holds):
 * per-step metrics exist for probs only, split over the 4 heads. */
static void test_attn_fake_quantised_probs_per_head(void **state)
{
    (void)state;
    if (!have_models)
        skip();
    ox_model *m = load_model("attn_mha_add_op14");
    cmp_attn_block *blocks = NULL;
    int n = 0;
    rk_err e = {0};
    assert_int_equal(cmp_attn_detect(m, &blocks, &n, &e), RK_OK);
    cmp_tensor_set all = {0}, sim = {0};
    assert_int_equal(run_capture(m, "attn_mha_add_op14", 2, &all), RK_OK);
    const rk_tensor *p = cmp_set_get(&all, blocks[0].probs);
    assert_non_null(p);
    rk_tensor q = {0};
    assert_int_equal(rk_tensor_copy(&q, p, &e), RK_OK);
    float *v = q.data;
    for (int64_t i = 0; i < q.nelem; i++) {
        double code = RK_MIN(127.0, round(v[i] * 255.0) - 128.0);
        v[i] = (float)((code + 128.0) / 255.0);
    }
    assert_int_equal(cmp_set_take(&sim, blocks[0].probs, &q, &e), RK_OK);
    cmp_attn_sources src = {.ref = cmp_set_lookup, .ref_user = &all, .test = cmp_set_lookup,
                            .test_user = &sim};
    cmp_attn_report rep;
    assert_int_equal(cmp_attn_analyse(&blocks[0], &src, &rep, &e), RK_OK);
    int probs_steps = 0;
    for (int i = 0; i < rep.nsteps; i++) {
        if (strcmp(rep.steps[i].step, "probs") == 0) {
            probs_steps++;
            assert_true(rep.steps[i].has_metrics);
            assert_int_equal(rep.steps[i].nheads, 4);
            /* quantisation noise of step 1/255 on probs ~1/8: high but finite */
            assert_true(rep.steps[i].m.sqnr_db > 20.0 && isfinite(rep.steps[i].m.sqnr_db));
        } else {
            assert_false(rep.steps[i].has_metrics);
        }
    }
    assert_int_equal(probs_steps, 1);
    cmp_attn_report_free(&rep);
    cmp_set_free(&all);
    cmp_set_free(&sim);
    free(blocks);
    ox_model_free(m);
}

/* p = [0.7, 0.2985, 0.0015], scale 1/255: 0.0015*255 = 0.38 -> code 0;
 * 0.2985*255 = 76.1 -> 76; so mass 0.0015 / 1.0, one element of three. */
static void test_attn_prob_mass_zero_hand_values(void **state)
{
    (void)state;
    const float p[] = {0.7f, 0.2985f, 0.0015f};
    double mass, frac;
    cmp_prob_mass_zero(p, 3, 1.0f / 255.0f, &mass, &frac);
    assert_true(fabs(mass - 0.0015) < 1e-6);
    assert_true(fabs(frac - 1.0 / 3.0) < 1e-12);
    cmp_prob_mass_zero(p, 0, 1.0f / 255.0f, &mass, &frac);
    assert_true(isnan(mass));
}

/* probs [1,2,1,2]: head 0 [0.5,0.5] identical in test; head 1 ref
 * [0.25,0.75], test [0.5,0.5]: d = [0.25,-0.25], sum d^2 = 0.125,
 * sum x^2 = 0.625 -> 10 log10(5) = 6.9897 dB; whole tensor sum x^2 = 1.125
 * -> 10 log10(9) = 9.5424 dB. */
static void test_attn_per_head_split_hand_values(void **state)
{
    (void)state;
    rk_err e = {0};
    int64_t dims[4] = {1, 2, 1, 2};
    rk_tensor r = {0}, t = {0};
    assert_int_equal(rk_tensor_alloc(&r, "p", RK_DT_F32, 4, dims, &e), RK_OK);
    assert_int_equal(rk_tensor_alloc(&t, "p", RK_DT_F32, 4, dims, &e), RK_OK);
    const float rv[] = {0.5f, 0.5f, 0.25f, 0.75f}, tv[] = {0.5f, 0.5f, 0.5f, 0.5f};
    memcpy(r.data, rv, sizeof rv);
    memcpy(t.data, tv, sizeof tv);
    cmp_tensor_set ref = {0}, sim = {0};
    assert_int_equal(cmp_set_take(&ref, "p", &r, &e), RK_OK);
    assert_int_equal(cmp_set_take(&sim, "p", &t, &e), RK_OK);
    cmp_attn_block b = {0};
    b.probs = "p";
    b.scale = NAN;
    b.num_heads = -1;
    cmp_attn_sources src = {.ref = cmp_set_lookup, .ref_user = &ref, .test = cmp_set_lookup,
                            .test_user = &sim};
    cmp_attn_report rep;
    assert_int_equal(cmp_attn_analyse(&b, &src, &rep, &e), RK_OK);
    assert_int_equal(rep.nsteps, 1);
    assert_int_equal(rep.num_heads, 2);
    const cmp_attn_step *st = &rep.steps[0];
    assert_int_equal(st->nheads, 2);
    assert_true(isinf(st->heads[0].sqnr_db));
    assert_true(fabs(st->heads[1].sqnr_db - 6.98970004) < 1e-6);
    assert_true(fabs(st->m.sqnr_db - 9.54242509) < 1e-6);
    cmp_attn_report_free(&rep);
    cmp_set_free(&ref);
    cmp_set_free(&sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attn_prob_mass_zero_hand_values),
        cmocka_unit_test(test_attn_per_head_split_hand_values),
        cmocka_unit_test(test_attn_detect_none_in_conv_net),
        cmocka_unit_test(test_attn_detect_plain_opset13),
        cmocka_unit_test(test_attn_detect_plain_opset15),
        cmocka_unit_test(test_attn_detect_heads_add_mask_opset14),
        cmocka_unit_test(test_attn_detect_heads_add_mask_opset16),
        cmocka_unit_test(test_attn_detect_heads_where_mask_opset17),
        cmocka_unit_test(test_attn_detect_torch_mha_prescaled_q),
        cmocka_unit_test(test_attn_detect_attention_op23),
        cmocka_unit_test(test_attn_detect_ppocr_rec_two_blocks),
        cmocka_unit_test(test_attn_fake_quantised_probs_per_head),
    };
    return cmocka_run_group_tests(tests, gen_models, NULL);
}
