/*
 * Calibration of the cycle model against published RK3588 measurements.
 * The reference figures are independent of rksim:
 *
 *  1. rknn-toolkit2 eval_perf on an RK3588 board, fp16 3x3 conv, input
 *     1x64x258x258, output 1x64x256x256: NPU cycles 4,718,592, Time 5873 us,
 *     MacUsage 80.34% (../shared/reference/rknn-format.md §4.2).  The task
 *     is assembled register by register with the ISA encoder, tiled along H
 *     the way Mesa's rkt_split_tasks does (npu-isa.md §6.1), wrapped into a
 *     .rknn with the container writer and read back.  Target: within 10%.
 *  2. Martin Chang's RK3588 matmul benchmarks (copy in allbilly/rk3588
 *     @40fae7b experimental/matmul_benchmark_blog.md, EP3): ~900 GFLOPS fp16
 *     and ~1.8 TOPS int8 at 128x1024x8192 (native layout), "almost 4 TOPS"
 *     int4 at the same size, ~11 GFLOPS fp16 at M=1, K=N=4096.  The figures
 *     are read off the blog's text (its plots are not in the copy).  Each
 *     matmul is assembled as 1x1 conv tasks (A as an H=M, W=1, C=K feature
 *     map; N split across tasks so A stays in CBUF: mtx512's bank rule,
 *     npu-isa.md §6.2, and DATA_REUSE).  Target: within 25%.
 *     Not used: EP1's exponential fit (units of its time axis are not
 *     stated) and EP3's "~750 GFLOPS normal layout" (size not stated).
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "isa.h"
#include "perf.h"
#include "rknn.h"

#include "perf_testbuild.h"

#define CBUF_BANKS 12u       /* RK3588, npu-isa.md §5 */
#define BANK_BYTES 32768u
#define ENTRY_BYTES 128u     /* Mesa CBUF_ENTRY_SIZE (§6.1) */
#define ENTRIES_PER_BANK 256u

static rk_perf_params rk3588_params(void)
{
    rk_perf_params pp;
    rk_err e = {0};
    assert_int_equal(rk_perf_params_default(RK_SOC_RK3588, &pp, &e), RK_OK);
    return pp;
}

/* ------------------------------------------------ 1. eval_perf fp16 conv */

/* Tile the 258x258x64 -> 256x256x64 fp16 3x3 conv along H (Mesa,
 * npu-isa.md §6.1): one input row is 258 pixels x 8 atoms x 16 B = 258
 * entries of 128 B; weights need ceil(73728/128/256) + 1 = 4 banks and stay
 * resident, so input gets 8 banks = 7 rows per task, i.e. 5 output rows,
 * consecutive tasks overlapping by kh - stride = 2 rows. */
static size_t build_eval_perf_conv(pb_prog *p)
{
    const unsigned W = 258, H = 258, C = 64, K = 64, bytes = 2;
    unsigned entries_per_row = W * (C * bytes / 16u) * 16u / ENTRY_BYTES;
    unsigned weight_entries = (3u * 3u * C * K * bytes + ENTRY_BYTES - 1) / ENTRY_BYTES;
    unsigned weight_banks = (weight_entries + ENTRIES_PER_BANK - 1) / ENTRIES_PER_BANK + 1;
    unsigned data_banks = CBUF_BANKS - weight_banks;
    unsigned rows = ENTRIES_PER_BANK * data_banks / entries_per_row;
    assert_int_equal(weight_banks, 4);
    assert_int_equal(rows, 7);
    size_t tasks = 0;
    for (unsigned top = 0, out_row = 0; out_row < H - 2; tasks++) {
        unsigned in_rows = RK_MIN(rows, H - top);
        unsigned out_rows = in_rows - 2u;
        pb_conv c = {0};
        c.prec = PB_FP16, c.out_prec = PB_OUT_FP16;
        c.in_w = W, c.in_h = in_rows, c.in_c = C, c.in_c_real = C;
        c.out_w = W - 2u, c.out_h = out_rows, c.kernels = K, c.kw = 3, c.kh = 3, c.stride = 1;
        c.data_bank = data_banks, c.weight_bank = weight_banks;
        c.weight_reuse = tasks > 0;
        c.bias = true;
        out_row += out_rows;
        top += out_rows;
        pb_conv_task(p, &c, 0, out_row < H - 2);
    }
    pb_finish(p);
    return tasks;
}

static void add_tensor(rknn_model *m, const char *name, rk_dtype dt, uint8_t kind,
                       int32_t *shape, uint32_t n, uint32_t *idx)
{
    rk_err e = {0};
    rknn_tensor t = {0};
    t.name = (char *)name;
    t.dtype = dt;
    t.dtype_raw = (uint8_t)dt;
    t.kind = kind;
    t.shape = shape;
    t.n_shape = n;
    if (rknn_add_tensor(m, &t, idx, &e) != RK_OK)
        fail_msg("%s", e.msg);
}

/* Wrap the program into a .rknn (one ConvLeakyRelu node owning every task),
 * serialise it and read it back. */
static rknn_model *wrap_in_rknn(const pb_prog *p)
{
    rknn_model *m = NULL, *back = NULL;
    rk_err e = {0};
    int32_t in_shape[] = {1, 64, 258, 258}, w_shape[] = {64, 64, 3, 3}, b_shape[] = {64};
    int32_t out_shape[] = {1, 64, 256, 256};
    uint32_t ti[4], node;
    uint8_t *bytes = NULL;
    size_t len = 0;
    assert_int_equal(rknn_new("RKNPU v2", "rk3588", &m, &e), RK_OK);
    add_tensor(m, "input", RK_DT_F16, RKNN_KIND_INPUT, in_shape, 4, &ti[0]);
    add_tensor(m, "conv.weight", RK_DT_F16, RKNN_KIND_CONST, w_shape, 4, &ti[1]);
    add_tensor(m, "conv.bias", RK_DT_F32, RKNN_KIND_CONST, b_shape, 1, &ti[2]);
    add_tensor(m, "output", RK_DT_F16, RKNN_KIND_OUTPUT, out_shape, 4, &ti[3]);
    int32_t ins[] = {(int32_t)ti[0], (int32_t)ti[1], (int32_t)ti[2]}, outs[] = {(int32_t)ti[3]};
    rknn_node n = {0};
    n.type = "ConvLeakyRelu";
    n.name = "Conv:/conv/Conv";
    n.inputs = ins, n.n_inputs = 3;
    n.outputs = outs, n.n_outputs = 1;
    if (rknn_add_node(m, &n, &node, &e) != RK_OK || node != 0 ||
        rknn_set_program(m, p->words, p->n, p->tasks, p->nt, &e) != RK_OK ||
        rknn_write_buffer(m, &bytes, &len, &e) != RK_OK ||
        rknn_load_buffer(bytes, len, "eval_perf_conv.rknn", &back, &e) != RK_OK)
        fail_msg("%s", e.msg);
    free(bytes);
    rknn_free(m);
    return back;
}

static void test_perf_calib_eval_perf_fp16_conv_within_10pct(void **state)
{
    (void)state;
    pb_prog p;
    rk_perf_result r;
    rk_err e = {0};
    rk_perf_params pp = rk3588_params();
    pb_init(&p, RK_SOC_RK3588);
    size_t n = build_eval_perf_conv(&p);
    rknn_model *m = wrap_in_rknn(&p);
    if (rk_perf_model_estimate(m, RK_SOC_RK3588, &pp, &r, &e) != RK_OK)
        fail_msg("%s", e.msg);
    assert_int_equal(r.n_tasks, n);
    assert_int_equal(r.n_layers, 1);
    const rk_perf_layer *l = &r.layers[0];
    const double ref_npu = 4718592, ref_time = 5873, ref_usage = 80.34;
    printf("  eval_perf RK3588 fp16 conv 1x64x258x258 -> 1x64x256x256, %zu tasks:\n", n);
    printf("    %-12s %12s %12s %8s\n", "", "eval_perf", "rksim", "ratio");
    printf("    %-12s %12.0f %12llu %8.3f\n", "NPU cycles", ref_npu,
           (unsigned long long)l->npu_cycles, (double)l->npu_cycles / ref_npu);
    printf("    %-12s %12.0f %12.1f %8.3f\n", "Time(us)", ref_time, l->time_us,
           l->time_us / ref_time);
    printf("    %-12s %12.2f %12.2f %8.3f\n", "MacUsage(%)", ref_usage, l->mac_usage_pct,
           l->mac_usage_pct / ref_usage);
    printf("    %-12s %12d %12.0f   (eval_perf counts input+weights; rksim adds the output)\n",
           "RW(KB)", 8392, (double)l->ddr_bytes / 1024.0);
    assert_string_equal(l->in_shape, "(1,64,258,258),(64,64,3,3),(64)");
    assert_string_equal(l->out_shape, "(1,64,256,256)");
    assert_string_equal(l->dtype, "FLOAT16");
    assert_true(fabs((double)l->npu_cycles / ref_npu - 1) <= 0.10);
    assert_true(fabs(l->time_us / ref_time - 1) <= 0.10);
    assert_true(fabs(l->mac_usage_pct / ref_usage - 1) <= 0.10);
    assert_int_equal(l->bound, RK_PERF_BOUND_MAC);
    rk_perf_result_free(&r);
    rknn_free(m);
    pb_free(&p);
}

/* ------------------------------------------------------ 2. matmul blog */

typedef struct matmul_point {
    unsigned m, k, n, prec, out_prec;
    double measured_gops; /* 2*M*K*N / time, from the blog's text */
    const char *note;
} matmul_point;

static const matmul_point k_points[] = {
    {128, 1024, 8192, PB_FP16, PB_OUT_FP32, 900, "EP3: 'can get to 900 GFLOPS FP16'"},
    {128, 1024, 8192, PB_INT8, PB_OUT_INT32, 1800, "EP3: '~1.8 TOPS around 128x1024x8192'"},
    {128, 1024, 8192, PB_INT4, PB_OUT_INT16, 4000, "EP3: 'peaking at almost 4 TOPS'"},
    {1, 4096, 4096, PB_FP16, PB_OUT_FP32, 11, "EP3: M=1, K=N=4096 'topping at 11 GFLOPS'"},
};

/* Build matmul C[M,N] = A[M,K] B[K,N] as 1x1-conv tasks on one core. */
static void build_matmul(pb_prog *p, const matmul_point *mp)
{
    unsigned bits = pb_bits(mp->prec);
    unsigned kgroup = mp->prec == PB_INT8 ? 32u : mp->prec == PB_INT4 ? 64u : 16u;
    uint64_t a_bytes = (uint64_t)mp->m * mp->k * bits / 8u;
    unsigned fd_banks = (unsigned)((a_bytes + BANK_BYTES - 1) / BANK_BYTES);
    unsigned w_banks = CBUF_BANKS - fd_banks;
    uint64_t kernel_bytes = (uint64_t)mp->k * bits / 8u;
    unsigned n_tile = (unsigned)(w_banks * (uint64_t)BANK_BYTES / kernel_bytes) / kgroup * kgroup;
    assert_true(fd_banks >= 1 && fd_banks < CBUF_BANKS && n_tile >= kgroup);
    for (unsigned n0 = 0; n0 < mp->n; n0 += n_tile) {
        pb_conv c = {0};
        c.prec = mp->prec, c.out_prec = mp->out_prec;
        c.in_w = 1, c.in_h = mp->m, c.in_c = mp->k, c.in_c_real = mp->k;
        c.out_w = 1, c.out_h = mp->m, c.kernels = RK_MIN(n_tile, mp->n - n0);
        c.kw = 1, c.kh = 1, c.stride = 1, c.grains = 2;
        c.data_bank = fd_banks, c.weight_bank = w_banks;
        c.data_reuse = n0 > 0;
        pb_conv_task(p, &c, 0, n0 + n_tile < mp->n);
    }
    pb_finish(p);
}

static void test_perf_calib_matmul_blog_within_25pct(void **state)
{
    (void)state;
    rk_perf_params pp = rk3588_params();
    printf("  RK3588 matmul, one core (Martin Chang's blog, EP3):\n");
    printf("    %-18s %-5s %6s %12s %12s %7s  %s\n", "MxKxN", "type", "tasks", "measured",
           "rksim", "ratio", "source");
    for (size_t i = 0; i < RK_ARRAY_LEN(k_points); i++) {
        const matmul_point *mp = &k_points[i];
        pb_prog p;
        rk_perf_result r;
        rk_err e = {0};
        pb_init(&p, RK_SOC_RK3588);
        build_matmul(&p, mp);
        if (rk_perf_program_estimate(p.words, p.n, p.tasks, p.nt, &pp, &r, &e) != RK_OK)
            fail_msg("%s", e.msg);
        double ops = 2.0 * mp->m * mp->k * mp->n;
        double ours = ops / (r.frame_time_us * 1e3); /* GOPS */
        double ratio = ours / mp->measured_gops;
        char size[32];
        snprintf(size, sizeof(size), "%ux%ux%u", mp->m, mp->k, mp->n);
        printf("    %-18s %-5s %6zu %9.0f G/s %9.0f G/s %7.3f  %s\n", size,
               mp->prec == PB_INT8 ? "int8" : mp->prec == PB_INT4 ? "int4" : "fp16", r.n_tasks,
               mp->measured_gops, ours, ratio, mp->note);
        assert_true(ratio >= 0.75 && ratio <= 1.25);
        rk_perf_result_free(&r);
        pb_free(&p);
    }
}

/* The GEMV point is DDR-bound (32 MB of fp16 weights for 33.5 MFLOP), the
 * large GEMMs are MAC-bound. */
static void test_perf_calib_matmul_bounds(void **state)
{
    (void)state;
    rk_perf_params pp = rk3588_params();
    for (size_t i = 0; i < RK_ARRAY_LEN(k_points); i++) {
        pb_prog p;
        rk_perf_result r;
        rk_err e = {0};
        pb_init(&p, RK_SOC_RK3588);
        build_matmul(&p, &k_points[i]);
        assert_int_equal(rk_perf_program_estimate(p.words, p.n, p.tasks, p.nt, &pp, &r, &e),
                         RK_OK);
        assert_int_equal(r.layers[0].bound,
                         k_points[i].m == 1 ? RK_PERF_BOUND_DDR : RK_PERF_BOUND_MAC);
        rk_perf_result_free(&r);
        pb_free(&p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_perf_calib_eval_perf_fp16_conv_within_10pct),
        cmocka_unit_test(test_perf_calib_matmul_blog_within_25pct),
        cmocka_unit_test(test_perf_calib_matmul_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
