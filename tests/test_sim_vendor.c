/*
 * test_sim_vendor.c - small vendor files run end to end in strict mode.
 *
 * RK3566_RK3568 multiple_input_demo: its OutputOperator:8 node has eight
 * NPU tasks that turn the int8 graph output '8' (NC1HWC2) into the float32
 * NCHW copy the runtime hands to want_float callers, in tensor
 * '8_exSecondary' (524288 bytes = 8x128x128 fp32): tasks 2-7 reorder and
 * widen to fp16, tasks 8-9 run the DPU with NONALIGN output, BS ALU
 * -zero_point (fp32 operand) and BS MUL scale (fp16 operand).
 *
 * Golden data: the CPU dequantisation (q - zp) * scale of '8' (cpuops.c,
 * a different code path; '8' itself agrees with a numpy float reference of
 * test.onnx at cosine 0.99997, tests/e2e/sim_multiple_input.sh).  The NPU
 * path multiplies by the scale rounded to fp16 (4.14237452 -> 4.140625,
 * relative 4.2e-4), so the tolerance is relative 1e-3.
 *
 * RK3588 pp_human_segv2_custom_argmax (4 conv layers: the ARGB first layer,
 * a stride-2 3x3 with bottom/right padding, a stride-1 3x3, a 1x1 ConvAddRelu):
 * on a synthetic image, every output channel must be an affine function of
 * the integer convolution of the layer's SIMULATED input with the file's
 * int8 weights, plus the weight zero-point window sum (D-OW) and the addend,
 * rounded: max residual <= 1 output quantum over unsaturated outputs.
 * Golden data: the weights from the .rknn, decoded here in OIHW by C-WT and
 * convolved directly (no NC1HWC2, tiling, CBUF or DPU code of the sim); the
 * per-channel affine is a least-squares fit, so only the conv geometry and
 * data movement are under test.  Mutation-checked: a pad value off by 20
 * makes the residual tens of quanta.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "rk_tensorio.h"
#include "rknn.h"
#include "sim.h"

#define MI_DIR "datasets/rknn-vendor/multiple_input_demo/"

static int32_t tensor_index(const rknn_model *m, const char *name)
{
    const rknn_graph *g = &m->graphs[0];
    for (uint32_t i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].name && strcmp(g->tensors[i].name, name) == 0)
            return (int32_t)i;
    return -1;
}

static void test_sim_vendor_lite_output_operator_float_copy_matches_dequant(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(model_path, MI_DIR "RK3566_RK3568_multiple_input_demo.rknn");
    const char *in1 = tu_shared_path(MI_DIR "image1_nchw.npy");
    const char *in2 = tu_shared_path(MI_DIR "image2_nchw.npy");
    rk_err e = {0};
    rknn_model *m = NULL;
    if (rknn_load_file(model_path, &m, &e))
        fail_msg("%s", e.msg);
    sim_options opt = {0}; /* strict: any unsimulated mode fails the run */
    sim *s = NULL;
    if (sim_create(m, &opt, &s, &e))
        fail_msg("%s", e.msg);
    rk_tensor a = {0}, b = {0}, out = {0};
    if (rk_npy_read(in1, &a, &e) || rk_npy_read(in2, &b, &e))
        fail_msg("%s", e.msg);
    if (sim_set_input(s, 0, &a, false, &e) || sim_set_input(s, 1, &b, false, &e))
        fail_msg("%s", e.msg);
    if (sim_run(s, &e))
        fail_msg("strict run: %s", e.msg);
    size_t n_issues;
    (void)sim_issues(s, &n_issues);
    assert_int_equal(n_issues, 0);
    if (sim_get_output(s, 0, false, &out, &e))
        fail_msg("%s", e.msg);
    assert_int_equal(out.nelem, 8 * 128 * 128);

    int32_t ti = tensor_index(m, "8_exSecondary");
    assert_true(ti >= 0);
    float *copy = malloc((size_t)out.nelem * sizeof(float));
    assert_non_null(copy);
    if (sim_tensor_read(s, ti, copy, (size_t)out.nelem * sizeof(float), &e))
        fail_msg("%s", e.msg);
    const float *ref = out.data;
    int64_t bad = 0, nonzero = 0;
    for (int64_t i = 0; i < out.nelem; i++) {
        nonzero += ref[i] != 0.0f;
        if (fabsf(copy[i] - ref[i]) > 1e-3f * fabsf(ref[i]) + 1e-6f) {
            if (bad < 5)
                fprintf(stderr, "element %lld: NPU float copy %g, dequantised '8' %g\n", (long long)i,
                        (double)copy[i], (double)ref[i]);
            bad++;
        }
    }
    assert_true(nonzero > out.nelem / 2);
    assert_int_equal(bad, 0);
    free(copy);
    rk_tensor_free(&out);
    rk_tensor_free(&a);
    rk_tensor_free(&b);
    sim_destroy(s);
    rknn_free(m);
}

/* ------------------------------------------- pp_human conv consistency */

#define PH_DIR "datasets/rknn-vendor/pp_human_segv2_custom_argmax/"

static const rknn_node *node_named(const rknn_model *m, const char *name)
{
    const rknn_graph *g = &m->graphs[0];
    for (uint32_t i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].name && strcmp(g->nodes[i].name, name) == 0)
            return &g->nodes[i];
    return NULL;
}

/* Activation `name` from the layer dump as integers q - zero_point. */
static double *layer_ints(const rknn_model *m, rk_tensor_list *layers, const char *name, int64_t *n)
{
    const rknn_tensor *t = &m->graphs[0].tensors[tensor_index(m, name)];
    rk_tensor *v = rk_tensor_list_find(layers, name);
    assert_non_null(v);
    assert_true(t->quant.n_scale >= 1);
    double *q = malloc((size_t)v->nelem * sizeof(double));
    assert_non_null(q);
    const float *f = v->data;
    for (int64_t i = 0; i < v->nelem; i++)
        q[i] = nearbyint((double)f[i] / t->quant.scale[0]);
    *n = v->nelem;
    return q;
}

/* Weights [co][ci][kh][kw] from the native [co1][ci1][kh][kw][co2][ci2]
 * (SEMANTICS.md C-WT; single-part native shapes only). */
static double *weights_oihw(const rknn_model *m, const rknn_tensor *t)
{
    assert_int_equal(t->n_native_shape, 6);
    assert_int_equal(t->n_shape, 4);
    const int32_t *ns = t->native_shape;
    int co = t->shape[0], ci = t->shape[1], kh = t->shape[2], kw = t->shape[3];
    const rknn_buffer *b = rknn_tensor_buffer(m, t);
    assert_non_null(b);
    assert_true((size_t)t->pool_offset + (size_t)ns[0] * ns[1] * ns[2] * ns[3] * ns[4] * ns[5] <= b->size);
    const int8_t *raw = (const int8_t *)b->data + t->pool_offset;
    double *w = calloc((size_t)co * ci * kh * kw, sizeof(double));
    assert_non_null(w);
    size_t i = 0;
    for (int o1 = 0; o1 < ns[0]; o1++)
        for (int i1 = 0; i1 < ns[1]; i1++)
            for (int y = 0; y < ns[2]; y++)
                for (int x = 0; x < ns[3]; x++)
                    for (int o2 = 0; o2 < ns[4]; o2++)
                        for (int i2 = 0; i2 < ns[5]; i2++, i++) {
                            int o = o1 * ns[4] + o2, c = i1 * ns[5] + i2;
                            if (o < co && c < ci)
                                w[(((size_t)o * ci + c) * kh + y) * kw + x] = raw[i];
                        }
    return w;
}

/* Least squares with k <= 4 columns (normal equations, columns scaled to
 * unit max).  Returns false when singular. */
static bool lsq_fit(const double *cols[4], int k, const double *y, const bool *use, int64_t n, double coef[4])
{
    double scale[4], a[4][5] = {{0}};
    for (int j = 0; j < k; j++) {
        scale[j] = 0;
        for (int64_t i = 0; i < n; i++)
            if (use[i] && fabs(cols[j][i]) > scale[j])
                scale[j] = fabs(cols[j][i]);
        if (scale[j] == 0)
            scale[j] = 1;
    }
    for (int64_t i = 0; i < n; i++) {
        if (!use[i])
            continue;
        for (int r = 0; r < k; r++) {
            for (int c = 0; c < k; c++)
                a[r][c] += cols[r][i] / scale[r] * cols[c][i] / scale[c];
            a[r][k] += cols[r][i] / scale[r] * y[i];
        }
    }
    for (int p = 0; p < k; p++) {
        int best = p;
        for (int r = p + 1; r < k; r++)
            if (fabs(a[r][p]) > fabs(a[best][p]))
                best = r;
        if (fabs(a[best][p]) < 1e-12)
            return false;
        for (int c = 0; c <= k; c++) {
            double t = a[p][c];
            a[p][c] = a[best][c];
            a[best][c] = t;
        }
        for (int r = 0; r < k; r++) {
            if (r == p)
                continue;
            double f = a[r][p] / a[p][p];
            for (int c = p; c <= k; c++)
                a[r][c] -= f * a[p][c];
        }
    }
    for (int j = 0; j < k; j++)
        coef[j] = a[j][k] / a[j][j] / scale[j];
    return true;
}

/* Max residual (output quanta) of the per-channel fit for conv node `name`;
 * *fitted counts channels with enough signal (>= 8 unsaturated outputs
 * spanning >= 8 quanta). */
static double conv_layer_residual(const rknn_model *m, rk_tensor_list *layers, const char *name, int *fitted,
                                  int *channels)
{
    const rknn_node *n = node_named(m, name);
    assert_non_null(n);
    assert_true(n->conv.has_conv && n->n_inputs >= 3 && n->n_outputs == 1);
    const rknn_graph *g = &m->graphs[0];
    const rknn_tensor *xt = &g->tensors[n->inputs[0]], *wt = &g->tensors[n->inputs[1]];
    const rknn_tensor *yt = &g->tensors[n->outputs[0]];
    int ci = xt->shape[1], ih = xt->shape[2], iw = xt->shape[3];
    int co = yt->shape[1], oh = yt->shape[2], ow = yt->shape[3];
    int kh = wt->shape[2], kw = wt->shape[3];
    assert_int_equal(wt->shape[1], ci); /* no grouped convs in this model */
    int sy = n->conv.n_strides >= 2 ? n->conv.strides[0] : 1, sx = n->conv.n_strides >= 2 ? n->conv.strides[1] : 1;
    int pt = n->conv.n_pads >= 4 ? n->conv.pads[0] : 0, pl = n->conv.n_pads >= 4 ? n->conv.pads[1] : 0;
    int64_t nx, ny, na = 0;
    double *x = layer_ints(m, layers, xt->name, &nx), *y = layer_ints(m, layers, yt->name, &ny);
    double *add = NULL;
    if (strncmp(n->type, "ConvAdd", 7) == 0 && n->n_inputs >= 4)
        add = layer_ints(m, layers, g->tensors[n->inputs[3]].name, &na);
    assert_int_equal(nx, (int64_t)ci * ih * iw);
    assert_int_equal(ny, (int64_t)co * oh * ow);
    double *w = weights_oihw(m, wt);
    int64_t np = (int64_t)oh * ow;
    double *acc = malloc((size_t)np * sizeof(double)), *xsum = calloc((size_t)np, sizeof(double));
    double *ones = malloc((size_t)np * sizeof(double));
    bool *use = malloc((size_t)np);
    assert_true(acc && xsum && ones && use);
    for (int64_t p = 0; p < np; p++)
        ones[p] = 1.0;
    for (int oy = 0; oy < oh; oy++) /* window sums (D-OW), pad cells 0 in q - zp */
        for (int ox = 0; ox < ow; ox++)
            for (int c = 0; c < ci; c++)
                for (int ky = 0; ky < kh; ky++)
                    for (int kx = 0; kx < kw; kx++) {
                        int iy = oy * sy + ky - pt, ix = ox * sx + kx - pl;
                        if (iy >= 0 && iy < ih && ix >= 0 && ix < iw)
                            xsum[oy * ow + ox] += x[((int64_t)c * ih + iy) * iw + ix];
                    }
    int32_t zp = yt->quant.n_zero_point ? yt->quant.zero_point[0] : 0;
    double worst = 0;
    *fitted = 0;
    *channels = co;
    for (int o = 0; o < co; o++) {
        memset(acc, 0, (size_t)np * sizeof(double));
        for (int c = 0; c < ci; c++)
            for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++) {
                    double wv = w[(((size_t)o * ci + c) * kh + ky) * kw + kx];
                    if (wv == 0)
                        continue;
                    for (int oy = 0; oy < oh; oy++) {
                        int iy = oy * sy + ky - pt;
                        if (iy < 0 || iy >= ih)
                            continue;
                        const double *row = x + ((int64_t)c * ih + iy) * iw;
                        for (int ox = 0; ox < ow; ox++) {
                            int ix = ox * sx + kx - pl;
                            if (ix >= 0 && ix < iw)
                                acc[oy * ow + ox] += wv * row[ix];
                        }
                    }
                }
        const double *yo = y + (int64_t)o * np;
        double lo = 1e9, hi = -1e9;
        int64_t n_use = 0;
        for (int64_t p = 0; p < np; p++) {
            double q = yo[p] + zp;
            use[p] = q > -128 && q < 127;
            if (use[p]) {
                n_use++;
                lo = fmin(lo, yo[p]);
                hi = fmax(hi, yo[p]);
            }
        }
        if (n_use < 8 || hi - lo < 8)
            continue;
        const double *cols[4] = {acc, xsum, add ? add + (int64_t)o * np : ones, ones};
        int k = add ? 4 : 3;
        double coef[4];
        assert_true(lsq_fit(cols, k, yo, use, np, coef));
        for (int64_t p = 0; p < np; p++) {
            if (!use[p])
                continue;
            double f = 0;
            for (int j = 0; j < k; j++)
                f += coef[j] * cols[j][p];
            worst = fmax(worst, fabs(f - yo[p]));
        }
        (*fitted)++;
    }
    free(use);
    free(ones);
    free(xsum);
    free(acc);
    free(w);
    free(add);
    free(y);
    free(x);
    return worst;
}

static void test_sim_vendor_pp_human_convs_are_integer_convs_of_file_weights(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(model_path, PH_DIR "RK3588_pp_human_segv2_custom_argmax.rknn");
    rk_err e = {0};
    rknn_model *m = NULL;
    if (rknn_load_file(model_path, &m, &e))
        fail_msg("%s", e.msg);
    sim_options opt = {0};
    opt.keep_layers = true;
    sim *s = NULL;
    if (sim_create(m, &opt, &s, &e))
        fail_msg("%s", e.msg);
    /* a smooth synthetic picture 0..255 with structure in every channel */
    rk_tensor img = {0};
    int64_t dims[4] = {1, 3, 192, 192};
    if (rk_tensor_alloc(&img, "x", RK_DT_F32, 4, dims, &e))
        fail_msg("%s", e.msg);
    float *px = img.data;
    for (int c = 0; c < 3; c++)
        for (int h = 0; h < 192; h++)
            for (int w = 0; w < 192; w++)
                px[(c * 192 + h) * 192 + w] =
                    (float)nearbyint(127.5 + 80.0 * sin(0.05 * h * (c + 1) + 0.3 * c) * cos(0.07 * w - 0.2 * c) +
                                     40.0 * sin(0.31 * (h + 2 * w) + c));
    if (sim_set_input(s, 0, &img, false, &e))
        fail_msg("%s", e.msg);
    if (sim_run(s, &e))
        fail_msg("run: %s", e.msg);
    rk_tensor_list layers = {0};
    if (sim_layers(s, &layers, &e))
        fail_msg("%s", e.msg);
    static const char *const convs[] = {"Conv:Conv.0", "Conv:Conv.1", "Conv:Conv.3", "Conv:Conv.5_ConvAddRelu"};
    for (size_t i = 0; i < sizeof(convs) / sizeof(convs[0]); i++) {
        int fitted, channels;
        double r = conv_layer_residual(m, &layers, convs[i], &fitted, &channels);
        fprintf(stderr, "%s: %d of %d channels fitted, max residual %.2f quantum\n", convs[i], fitted, channels, r);
        assert_true(fitted * 2 >= channels);
        assert_true(r <= 1.0);
    }
    rk_tensor_list_free(&layers);
    rk_tensor_free(&img);
    sim_destroy(s);
    rknn_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_vendor_lite_output_operator_float_copy_matches_dequant),
        cmocka_unit_test(test_sim_vendor_pp_human_convs_are_integer_convs_of_file_weights),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
