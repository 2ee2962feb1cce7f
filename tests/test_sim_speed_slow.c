/*
 * test_sim_speed_slow.c - simulator throughput on a pp_human-sized int8 conv
 * (64 -> 64 channels, 3x3, pad 1, 96x96: 340 MMAC), assembled with
 * sim_asm and run on one thread.  Prints the simulated MAC/s next to this
 * machine's single-thread OpenBLAS sgemm rate (FLOP/s / 2) and checks a
 * sample of outputs against a direct int64 loop written here (independent
 * of the im2col + sgemm kernel).  Label "slow": release builds only.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"

#include "rknn.h"
#include "sim.h"
#include "sim_asm.h"
#include "sim_internal.h"
#include "sim_regs.h"

static double now_cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double sgemm_rate(void)
{
    const int n = 512;
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n), *c = malloc(sizeof(float) * n * n);
    for (int i = 0; i < n * n; i++) {
        a[i] = (float)(i % 7) - 3.0f;
        b[i] = (float)(i % 5) - 2.0f;
    }
    double best = 1e9;
    for (int r = 0; r < 3; r++) {
        double t0 = now_cpu();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        double dt = now_cpu() - t0;
        best = dt < best ? dt : best;
    }
    free(a);
    free(b);
    free(c);
    return 2.0 * n * n * n / best;
}

static void test_sim_speed_conv_int8_64x64_3x3_96x96(void **state)
{
    (void)state;
    enum { C = 64, K = 64, H = 96, W = 96 };
    openblas_set_num_threads(1);
    rk_err e = {0};
    rknn_model *m = NULL;
    assert_int_equal(rknn_new("RKNPU v2", "rk3588", &m, &e), RK_OK);
    rknn_node n;
    memset(&n, 0, sizeof(n));
    n.type = (char *)"ConvRelu";
    n.name = (char *)"speed";
    uint32_t idx;
    assert_int_equal(rknn_add_node(m, &n, &idx, &e), RK_OK);
    int8_t *x = malloc((size_t)C * H * W), *w = malloc((size_t)K * C * 9);
    uint32_t seed = 12345;
    for (size_t i = 0; i < (size_t)C * H * W; i++)
        x[i] = (int8_t)((seed = seed * 1103515245u + 12345u) >> 24);
    for (size_t i = 0; i < (size_t)K * C * 9; i++)
        w[i] = (int8_t)((seed = seed * 1103515245u + 12345u) >> 24);
    int32_t alu[K];
    int16_t mul[K];
    for (int k = 0; k < K; k++) {
        alu[k] = k * 100 - 3000;
        mul[k] = (int16_t)(15000 + k * 20);
    }
    uint8_t *wn, *bs, *xn;
    size_t wl, bl, xl;
    assert_int_equal(sim_asm_pack_weights(RK_SOC_RK3588, SIM_PREC_INT8, false, K, C, 3, 3, w, &wn, &wl, &e), 0);
    assert_int_equal(sim_asm_pack_bs(5, K, alu, NULL, mul, &bs, &bl, &e), 0);
    assert_int_equal(sim_asm_pack_feature(SIM_PREC_INT8, C, H, W, x, &xn, &xl, &e), 0);
    uint32_t bw, bb, tx, ty, tw, tb;
    assert_int_equal(rknn_add_buffer(m, wn, wl, &bw, &e), 0);
    assert_int_equal(rknn_add_buffer(m, bs, bl, &bb, &e), 0);
    int32_t nat[5] = {1, C / 16, H, W, 16}, shp[4] = {1, C, H, W};
    rknn_tensor t;
    memset(&t, 0, sizeof(t));
    t.dtype = RK_DT_I8;
    t.dtype_raw = 3;
    t.layout = RKNN_LAYOUT_NC1HWC2;
    t.kind = RKNN_KIND_INTERNAL;
    t.native_shape = nat;
    t.n_native_shape = 5;
    t.shape = shp;
    t.n_shape = 4;
    t.size = (int64_t)xl;
    t.name = (char *)"x";
    assert_int_equal(rknn_add_tensor(m, &t, &tx, &e), 0);
    t.name = (char *)"y";
    t.pool_offset = (int64_t)xl;
    assert_int_equal(rknn_add_tensor(m, &t, &ty, &e), 0);
    int32_t one[1];
    t.layout = RKNN_LAYOUT_NONE;
    t.kind = RKNN_KIND_CONST;
    t.native_shape = one;
    t.n_native_shape = 1;
    t.shape = one;
    t.n_shape = 1;
    t.pool_offset = 0;
    t.name = (char *)"w";
    one[0] = (int32_t)wl;
    t.size = (int64_t)wl;
    t.buffer_index = (int32_t)bw;
    assert_int_equal(rknn_add_tensor(m, &t, &tw, &e), 0);
    t.name = (char *)"bs";
    one[0] = (int32_t)bl;
    t.size = (int64_t)bl;
    t.buffer_index = (int32_t)bb;
    assert_int_equal(rknn_add_tensor(m, &t, &tb, &e), 0);
    sim_asm a;
    sim_asm_init(&a, RK_SOC_RK3588);
    sim_asm_conv c;
    memset(&c, 0, sizeof(c));
    c.prec = SIM_PREC_INT8;
    c.in_w = W;
    c.in_h = H;
    c.in_c = C;
    c.k = K;
    c.kw = c.kh = 3;
    c.sx = c.sy = 1;
    c.pad_top = c.pad_bottom = c.pad_left = c.pad_right = 1;
    c.pad_value = (uint32_t)-128;
    c.in_tensor = "x";
    c.w_tensor = "w";
    c.bs_tensor = "bs";
    c.out_tensor = "y";
    c.bs_use = 5;
    c.bs_shift = c.bs_shift_neg = 14;
    c.relu = true;
    c.out_prec = SIM_PREC_INT8;
    c.out_scale = 20000;
    c.out_shift = 26;
    c.out_offset = -128;
    sim_asm_conv_task(&a, &c, 0);
    if (sim_asm_install(&a, m, &e))
        fail_msg("%s", e.msg);
    sim_options opt = {0};
    sim *s = NULL;
    assert_int_equal(sim_create(m, &opt, &s, &e), RK_OK);
    assert_int_equal(sim_tensor_write(s, (int32_t)tx, xn, xl, &e), RK_OK);
    double t0 = now_cpu();
    if (sim_run_program(s, &e))
        fail_msg("%s", e.msg);
    double dt = now_cpu() - t0;
    uint64_t macs = sim_get_stats(s)->macs;
    double sg = sgemm_rate();
    printf("sim: %.3g MAC in %.3f s CPU = %.3g MAC/s; sgemm %.3g FLOP/s; ratio %.1f %% of sgemm FLOP/2\n",
           (double)macs, dt, macs / dt, sg, 100.0 * (macs / dt) / (sg / 2));
    /* sample check against a direct loop */
    uint8_t *yn = malloc(xl);
    int8_t *y = malloc(xl);
    assert_int_equal(sim_tensor_read(s, (int32_t)ty, yn, xl, &e), RK_OK);
    sim_asm_unpack_feature(SIM_PREC_INT8, K, H, W, yn, y);
    for (int smp = 0; smp < 200; smp++) {
        int k = (smp * 7) % K, oy = (smp * 13) % H, ox = (smp * 29) % W;
        int64_t acc = 0;
        for (int ci = 0; ci < C; ci++)
            for (int ky = 0; ky < 3; ky++)
                for (int kx = 0; kx < 3; kx++) {
                    int iy = oy + ky - 1, ix = ox + kx - 1;
                    int64_t xv = (iy < 0 || ix < 0 || iy >= H || ix >= W) ? -128 : x[((size_t)ci * H + iy) * W + ix];
                    acc += xv * w[(((size_t)k * C + ci) * 3 + ky) * 3 + kx];
                }
        int64_t v = (acc + alu[k]) * mul[k];
        v = sim_round_shift(v, 14, true);
        if (v < 0)
            v = 0;
        v = sim_round_shift(v * 20000, 26, false) - 128;
        v = v < -128 ? -128 : v > 127 ? 127 : v;
        assert_int_equal(y[((size_t)k * H + oy) * W + ox], (int8_t)v);
    }
    free(yn);
    free(y);
    free(x);
    free(w);
    free(wn);
    free(bs);
    free(xn);
    sim_asm_free(&a);
    sim_destroy(s);
    rknn_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_speed_conv_int8_64x64_3x3_96x96),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
