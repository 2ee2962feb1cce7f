/*
 * Tests of the cycle model (sim/perf*.c): parameter tables and overrides,
 * the register fields it reads, the register file, the structure of the
 * model (monotonic in MACs and bytes, SoC and precision ordering, DDR-bound
 * element-wise layers) and reports for every shared vendor v6 model.
 *
 * Programs are hand-assembled with the ISA encoder (perf_testbuild.h).
 * Expected orderings come from the hardware facts in
 * ../shared/reference/npu-isa.md §5 (MACs per cycle, clocks), not from the
 * code under test.  The calibration against published figures lives in
 * test_perf_calib.c.
 */
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "isa.h"
#include "perf.h"
#include "perf_internal.h"
#include "rknn.h"

#include "perf_testbuild.h"

/* ------------------------------------------------------------- helpers */

static rk_perf_params params_for(rk_soc soc)
{
    rk_perf_params pp;
    rk_err e = {0};
    assert_int_equal(rk_perf_params_default(soc, &pp, &e), RK_OK);
    return pp;
}

/* Estimate a one-task program holding conv `c` on `soc`. */
static void estimate_conv(rk_soc soc, const pb_conv *c, rk_perf_result *r)
{
    pb_prog p;
    rk_err e = {0};
    rk_perf_params pp = params_for(soc);
    pb_init(&p, soc);
    pb_conv_task(&p, c, 0, false);
    pb_finish(&p);
    if (rk_perf_program_estimate(p.words, p.n, p.tasks, p.nt, &pp, r, &e) != RK_OK)
        fail_msg("%s", e.msg);
    pb_free(&p);
}

static double conv_time_us(rk_soc soc, const pb_conv *c)
{
    rk_perf_result r;
    estimate_conv(soc, c, &r);
    double t = r.frame_time_us;
    rk_perf_result_free(&r);
    return t;
}

/* A 3x3 conv, 32x32 output, stride 1, that fits CBUF in one task. */
static pb_conv small_conv(unsigned prec, unsigned cin, unsigned cout)
{
    pb_conv c = {0};
    c.prec = prec;
    c.out_prec = prec == PB_INT8 ? PB_OUT_INT8 : PB_OUT_FP16;
    c.in_w = 34, c.in_h = 34, c.in_c = cin, c.in_c_real = cin;
    c.out_w = 32, c.out_h = 32, c.kernels = cout, c.kw = 3, c.kh = 3, c.stride = 1;
    c.data_bank = 4, c.weight_bank = 4;
    return c;
}

/* ------------------------------------------------------------ parameters */

static void test_perf_params_every_parameter_has_name_unit_and_source(void **state)
{
    (void)state;
    const rk_soc socs[] = {RK_SOC_RK3588, RK_SOC_RK3566};
    for (size_t s = 0; s < RK_ARRAY_LEN(socs); s++) {
        rk_perf_params pp = params_for(socs[s]);
        for (int i = 0; i < RK_PP_COUNT; i++) {
            const rk_perf_param *p = &pp.p[i];
            assert_non_null(p->name);
            assert_non_null(p->unit);
            assert_non_null(p->cite);
            assert_true(strlen(p->cite) > 10);
            assert_true(p->src == RK_PERF_DOCUMENTED || p->src == RK_PERF_MEASURED ||
                        p->src == RK_PERF_ASSUMED);
            assert_true(isfinite(p->value) && p->value >= 0);
            for (int j = 0; j < i; j++)
                assert_string_not_equal(p->name, pp.p[j].name);
        }
    }
}

/* npu-isa.md §5: 1024 int8 / 512 fp16 MAC per cycle per RK3588 core, 3
 * cores, 12 x 32 KB CBUF; RK3566 8 banks, one core. */
static void test_perf_params_match_documented_hardware(void **state)
{
    (void)state;
    rk_perf_params a = params_for(RK_SOC_RK3588);
    assert_int_equal((int)(rk_perf_get(&a, RK_PP_KGROUP_INT8) * rk_perf_get(&a, RK_PP_ATOMC)),
                     1024);
    assert_int_equal((int)(rk_perf_get(&a, RK_PP_KGROUP_FP16) * rk_perf_get(&a, RK_PP_ATOMC)),
                     512);
    assert_int_equal((int)rk_perf_get(&a, RK_PP_CORES), 1); /* default: one core of 3 */
    assert_int_equal((int)rk_perf_get(&a, RK_PP_CBUF_BANKS), 12);
    assert_int_equal((int)rk_perf_get(&a, RK_PP_CBUF_BANK_BYTES), 32768);
    rk_perf_params b = params_for(RK_SOC_RK3566);
    assert_int_equal((int)rk_perf_get(&b, RK_PP_CBUF_BANKS), 8);
    assert_int_equal((int)rk_perf_get(&b, RK_PP_CORES), 1);
}

static void test_perf_params_unknown_soc_is_unsupported(void **state)
{
    (void)state;
    rk_perf_params pp;
    rk_err e = {0};
    assert_int_equal(rk_perf_params_default(RK_SOC_UNKNOWN, &pp, &e), RK_EUNSUPPORTED);
    assert_non_null(strstr(e.msg, "rk3588"));
}

static void test_perf_param_set_overrides_and_tags_user(void **state)
{
    (void)state;
    rk_perf_params pp = params_for(RK_SOC_RK3588);
    rk_err e = {0};
    assert_int_equal(rk_perf_param_set(&pp, "clock_mhz=800", &e), RK_OK);
    assert_true(rk_perf_get(&pp, RK_PP_CLOCK_MHZ) == 800.0);
    assert_int_equal(pp.p[RK_PP_CLOCK_MHZ].src, RK_PERF_USER);
    assert_int_equal(rk_perf_param_set(&pp, "DDR_BYTES_PER_CYCLE=6.5", &e), RK_OK);
    assert_true(rk_perf_get(&pp, RK_PP_DDR_BYTES_PER_CYCLE) == 6.5);
}

static void test_perf_param_set_rejects_bad_input(void **state)
{
    (void)state;
    rk_perf_params pp = params_for(RK_SOC_RK3588);
    rk_perf_params before = pp;
    rk_err e = {0};
    assert_int_equal(rk_perf_param_set(&pp, "no_such=1", &e), RK_EUSAGE);
    assert_non_null(strstr(e.msg, "clock_mhz")); /* lists the known names */
    assert_int_equal(rk_perf_param_set(&pp, "clock_mhz", &e), RK_EUSAGE);
    assert_int_equal(rk_perf_param_set(&pp, "clock_mhz=fast", &e), RK_EUSAGE);
    assert_int_equal(rk_perf_param_set(&pp, "clock_mhz=", &e), RK_EUSAGE);
    assert_int_equal(rk_perf_param_set(&pp, "clock_mhz=0", &e), RK_EUSAGE);
    assert_int_equal(rk_perf_param_set(&pp, "clock_mhz=nan", &e), RK_EUSAGE);
    assert_int_equal(rk_perf_param_set(&pp, "cores=2.5", &e), RK_EUSAGE);
    assert_int_equal(rk_perf_param_set(&pp, "mac_efficiency=1.5", &e), RK_EUSAGE);
    assert_int_equal(rk_perf_param_set(&pp, "=3", &e), RK_EUSAGE);
    assert_memory_equal(&pp, &before, sizeof(pp));
}

/* --------------------------------------------------------------- fields */

/* Every field the model reads sits where the ISA register database says. */
static void test_perf_fields_match_isa_database(void **state)
{
    (void)state;
    const char **reg, **field;
    const uint16_t *offset;
    const uint8_t *lo, *hi;
    size_t n = rk_perf_fields_used(&reg, &field, &offset, &lo, &hi);
    assert_true(n > 40);
    for (size_t i = 0; i < n; i++) {
        const isa_reg *r = isa_reg_lookup(RK_SOC_RK3588, offset[i]);
        if (!r)
            fail_msg("no register at 0x%04x (%s)", offset[i], reg[i]);
        assert_string_equal(r->name, reg[i]);
        const isa_field *f = isa_field_lookup(r, field[i]);
        if (!f)
            fail_msg("%s has no field %s", reg[i], field[i]);
        assert_int_equal(f->lo, lo[i]);
        assert_int_equal(f->hi, hi[i]);
    }
}

/* -------------------------------------------------------- register file */

static void test_perf_regfile_keeps_last_write_and_ignores_markers(void **state)
{
    (void)state;
    static rk_perf_regfile rf;
    rk_err e = {0};
    memset(&rf, 0, sizeof(rf));
    uint64_t w[] = {
        isa_regcmd_encode(ISA_TARGET_CNA, 0x11, 0x1020),
        isa_regcmd_encode(ISA_TARGET_CNA, 0x22, 0x1020),
        isa_regcmd_encode(ISA_TARGET_MARKER, 0, 0),
        isa_regcmd_encode(ISA_TARGET_OP_EN, 0x1D, 0x0008),
        0,
    };
    assert_int_equal(rk_perf_regfile_apply(&rf, w, RK_ARRAY_LEN(w), 0, &e), RK_OK);
    assert_int_equal(rk_perf_reg(&rf, 0x1020), 0x22);
    assert_int_equal(rk_perf_reg(&rf, 0x0008), 0); /* op_en is not a PC register write */
    assert_int_equal(rf.written[0x1020 / 4], 1);
}

static void test_perf_regfile_rejects_out_of_window_offset(void **state)
{
    (void)state;
    static rk_perf_regfile rf;
    rk_err e = {0};
    uint64_t w[] = {isa_regcmd_encode(ISA_TARGET_CNA, 1, 0x9000)};
    assert_int_equal(rk_perf_regfile_apply(&rf, w, 1, 7, &e), RK_EINPUT);
    assert_non_null(strstr(e.msg, "entry 7"));
    assert_non_null(strstr(e.msg, "0x9000"));
}

/* A sparse second task (only the changed registers, as vendor streams do)
 * is estimated from the register state the first task left behind: the
 * two tasks of the same conv cost the same MAC cycles. */
static void test_perf_sparse_task_inherits_register_state(void **state)
{
    (void)state;
    pb_conv c = small_conv(PB_INT8, 64, 64);
    pb_prog p;
    rk_perf_result r;
    rk_err e = {0};
    rk_perf_params pp = params_for(RK_SOC_RK3588);
    pb_init(&p, RK_SOC_RK3588);
    pb_conv_task(&p, &c, 0, true);
    pb_task_begin(&p); /* only re-arm the CBUF config: data and weights reused */
    pb_reg(&p, "CNA_CBUF_CON0", "WEIGHT_REUSE", 1u, "DATA_REUSE", 1u, "WEIGHT_BANK", 4u,
           "DATA_BANK", 4u, NULL);
    pb_task_end(&p, PB_EN_CONV, 0, false);
    pb_finish(&p);
    assert_int_equal(rk_perf_program_estimate(p.words, p.n, p.tasks, p.nt, &pp, &r, &e), RK_OK);
    assert_int_equal(r.n_tasks, 2);
    assert_true(r.tasks[1].mac_cycles > 0);
    assert_int_equal(r.tasks[1].mac_cycles, r.tasks[0].mac_cycles);
    assert_int_equal(r.tasks[1].rd_feature_bytes, 0);
    assert_int_equal(r.tasks[1].rd_weight_bytes, 0);
    assert_true(r.tasks[0].rd_feature_bytes > 0);
    assert_int_equal(r.n_chains, 1);
    rk_perf_result_free(&r);
    pb_free(&p);
}

static void test_perf_rejects_task_outside_regcmd_buffer(void **state)
{
    (void)state;
    pb_conv c = small_conv(PB_INT8, 32, 32);
    pb_prog p;
    rk_perf_result r;
    rk_err e = {0};
    rk_perf_params pp = params_for(RK_SOC_RK3588);
    pb_init(&p, RK_SOC_RK3588);
    pb_conv_task(&p, &c, 0, false);
    pb_finish(&p);
    p.tasks[0].regcfg_amount = (uint32_t)p.n + 1;
    assert_int_equal(rk_perf_program_estimate(p.words, p.n, p.tasks, p.nt, &pp, &r, &e),
                     RK_EINPUT);
    assert_non_null(strstr(e.msg, "task 0"));
    p.tasks[0].regcfg_amount = 8;
    p.tasks[0].regcmd_addr = 4;
    assert_int_equal(rk_perf_program_estimate(p.words, p.n, p.tasks, p.nt, &pp, &r, &e),
                     RK_EINPUT);
    assert_non_null(strstr(e.msg, "aligned"));
    pb_free(&p);
}

/* ------------------------------------------------------------ structure */

/* The eval_perf NPU-cycle formula (rknn-format.md §4.2, hand-evaluated):
 * 32*32 pixels * ceil(64/32) channel steps * 9 taps * ceil(64/32) kernel
 * groups (int8) = 36864; fp16 uses 16-kernel groups: 73728. */
static void test_perf_mac_cycles_follow_alignment_rules(void **state)
{
    (void)state;
    rk_perf_result r;
    pb_conv c = small_conv(PB_INT8, 64, 64);
    estimate_conv(RK_SOC_RK3588, &c, &r);
    assert_int_equal(r.tasks[0].mac_cycles, 36864);
    assert_int_equal(r.tasks[0].macs, 32ull * 32 * 64 * 64 * 9);
    rk_perf_result_free(&r);
    c = small_conv(PB_FP16, 64, 64);
    estimate_conv(RK_SOC_RK3588, &c, &r);
    assert_int_equal(r.tasks[0].mac_cycles, 73728);
    rk_perf_result_free(&r);
    /* 3 real input channels (DATAIN_CHANNEL 8) count as one 32-channel atom,
     * 40 kernels as two 32-kernel groups. */
    c = small_conv(PB_INT8, 8, 40);
    c.in_c_real = 3;
    estimate_conv(RK_SOC_RK3588, &c, &r);
    assert_int_equal(r.tasks[0].mac_cycles, 32ull * 32 * 1 * 9 * 2);
    assert_int_equal(r.tasks[0].macs, 32ull * 32 * 3 * 40 * 9);
    rk_perf_result_free(&r);
}

static void test_perf_cycles_grow_with_macs(void **state)
{
    (void)state;
    pb_conv a = small_conv(PB_INT8, 64, 64);
    pb_conv b = small_conv(PB_INT8, 64, 256); /* 4x the kernels */
    pb_conv c = small_conv(PB_INT8, 256, 256); /* and 4x the channels */
    double ta = conv_time_us(RK_SOC_RK3588, &a);
    double tb = conv_time_us(RK_SOC_RK3588, &b);
    double tc = conv_time_us(RK_SOC_RK3588, &c);
    assert_true(ta > 0);
    assert_true(tb > ta * 2);
    assert_true(tc > tb * 2);
}

static void test_perf_cycles_grow_with_bytes(void **state)
{
    (void)state;
    rk_perf_result r1, r2;
    rk_err e = {0};
    rk_perf_params pp = params_for(RK_SOC_RK3588);
    pb_prog p;
    pb_init(&p, RK_SOC_RK3588);
    pb_eltwise_task(&p, 64, 64, 64, PB_INT8, 0, false);
    pb_finish(&p);
    assert_int_equal(rk_perf_program_estimate(p.words, p.n, p.tasks, p.nt, &pp, &r1, &e), RK_OK);
    pb_free(&p);
    pb_init(&p, RK_SOC_RK3588);
    pb_eltwise_task(&p, 128, 128, 64, PB_INT8, 0, false);
    pb_finish(&p);
    assert_int_equal(rk_perf_program_estimate(p.words, p.n, p.tasks, p.nt, &pp, &r2, &e), RK_OK);
    pb_free(&p);
    /* 4x the pixels: 4x the bytes (two 64 KB int8 reads, one write, each x4). */
    assert_int_equal(r1.total_ddr_bytes - r1.tasks[0].regcmd_bytes, 3u * 64 * 64 * 64);
    assert_int_equal(r2.total_ddr_bytes - r2.tasks[0].regcmd_bytes, 3u * 128 * 128 * 64);
    assert_true(r2.frame_time_us > 3 * r1.frame_time_us);
    rk_perf_result_free(&r1);
    rk_perf_result_free(&r2);
}

/* RK3566: 512 int8 MAC/cycle at 800 MHz vs 1024 at 1 GHz per RK3588 core
 * (npu-isa.md §5), so the same conv must take longer. */
static void test_perf_rk3566_slower_than_one_rk3588_core(void **state)
{
    (void)state;
    pb_conv c = small_conv(PB_INT8, 128, 128);
    c.data_bank = 4, c.weight_bank = 4; /* fits both 8- and 12-bank CBUFs */
    double t88 = conv_time_us(RK_SOC_RK3588, &c);
    double t66 = conv_time_us(RK_SOC_RK3566, &c);
    assert_true(t66 > t88 * 1.5);
    c.prec = PB_FP16, c.out_prec = PB_OUT_FP16;
    assert_true(conv_time_us(RK_SOC_RK3566, &c) > conv_time_us(RK_SOC_RK3588, &c) * 1.5);
}

/* int8 runs twice the kernels per step of fp16 (KERNEL_GROUP 32 vs 16). */
static void test_perf_int8_beats_fp16_on_compute_bound_conv(void **state)
{
    (void)state;
    rk_perf_result r8, r16;
    pb_conv c = small_conv(PB_INT8, 256, 256);
    estimate_conv(RK_SOC_RK3588, &c, &r8);
    c.prec = PB_FP16, c.out_prec = PB_OUT_FP16;
    estimate_conv(RK_SOC_RK3588, &c, &r16);
    assert_int_equal(r8.layers[0].bound, RK_PERF_BOUND_MAC);
    assert_int_equal(r16.layers[0].bound, RK_PERF_BOUND_MAC);
    assert_true(r8.frame_time_us * 1.6 < r16.frame_time_us);
    rk_perf_result_free(&r8);
    rk_perf_result_free(&r16);
}

/* A large element-wise add moves 3 bytes per int8 element for almost no
 * arithmetic: the model must call it DDR-bound, and compute-bound convs not. */
static void test_perf_large_eltwise_add_is_ddr_bound(void **state)
{
    (void)state;
    rk_perf_result r;
    rk_err e = {0};
    rk_perf_params pp = params_for(RK_SOC_RK3588);
    pb_prog p;
    pb_init(&p, RK_SOC_RK3588);
    pb_eltwise_task(&p, 256, 256, 64, PB_INT8, 0, false);
    pb_finish(&p);
    assert_int_equal(rk_perf_program_estimate(p.words, p.n, p.tasks, p.nt, &pp, &r, &e), RK_OK);
    assert_int_equal(r.tasks[0].kind, RK_PERF_KIND_DPU);
    assert_int_equal(r.tasks[0].bound, RK_PERF_BOUND_DDR);
    assert_int_equal(r.layers[0].bound, RK_PERF_BOUND_DDR);
    assert_true(r.tasks[0].ddr_cycles > r.tasks[0].npu_cycles);
    rk_perf_result_free(&r);
    pb_free(&p);
}

/* Overriding the clock rescales time but not cycles. */
static void test_perf_clock_override_rescales_time_only(void **state)
{
    (void)state;
    pb_conv c = small_conv(PB_INT8, 64, 64);
    pb_prog p;
    rk_perf_result a, b;
    rk_err e = {0};
    rk_perf_params pp = params_for(RK_SOC_RK3588);
    pb_init(&p, RK_SOC_RK3588);
    pb_conv_task(&p, &c, 0, false);
    pb_finish(&p);
    assert_int_equal(rk_perf_program_estimate(p.words, p.n, p.tasks, p.nt, &pp, &a, &e), RK_OK);
    assert_int_equal(rk_perf_param_set(&pp, "clock_mhz=500", &e), RK_OK);
    assert_int_equal(rk_perf_program_estimate(p.words, p.n, p.tasks, p.nt, &pp, &b, &e), RK_OK);
    assert_int_equal(a.tasks[0].time_cycles, b.tasks[0].time_cycles);
    assert_true(fabs(b.frame_time_us - 2 * a.frame_time_us) < 1e-6 * b.frame_time_us);
    rk_perf_result_free(&a);
    rk_perf_result_free(&b);
    pb_free(&p);
}

/* ---------------------------------------------------- vendor v6 models */

static const char *const k_vendor_models[] = {
    "datasets/rknn-vendor/multiple_input_demo/RK3588_multiple_input_demo.rknn",
    "datasets/rknn-vendor/multiple_input_demo/RK3566_RK3568_multiple_input_demo.rknn",
    "datasets/rknn-vendor/dual_residual_custom/RK3588_dual_residual_custom.rknn",
    "datasets/rknn-vendor/dual_residual_custom/RK3566_RK3568_dual_residual_custom.rknn",
    "datasets/rknn-vendor/pp_human_segv2_custom_argmax/RK3588_pp_human_segv2_custom_argmax.rknn",
};

/* Sanity of one report: positive cycles, every task in exactly one layer,
 * totals equal to the sum of their parts. */
static void check_report_sane(const char *path, const rk_perf_result *r)
{
    double clock = rk_perf_get(&r->params, RK_PP_CLOCK_MHZ);
    assert_true(r->n_tasks > 0);
    unsigned char *seen = calloc(r->n_tasks, 1);
    assert_non_null(seen);
    uint64_t bytes = 0, macs = 0;
    size_t active = 0;
    for (size_t i = 0; i < r->n_tasks; i++) {
        const rk_perf_task *t = &r->tasks[i];
        if (t->time_cycles == 0)
            fail_msg("%s: task %zu has no cycles", path, i);
        assert_true(t->time_cycles >= t->fill_cycles + t->fixed_cycles);
        assert_true(t->macs <= t->macs_aligned || t->macs_aligned == 0);
        assert_int_equal(t->active, t->variant == r->variant);
        if (!t->active)
            continue;
        active++;
        bytes += t->ddr_bytes;
        macs += t->macs;
    }
    assert_int_equal(active, r->n_active);
    assert_true(active > 0);
    double frame = 0;
    uint32_t covered = 0;
    for (size_t l = 0; l < r->n_layers; l++) {
        const rk_perf_layer *ly = &r->layers[l];
        assert_true(ly->n_tasks > 0);
        assert_true(ly->n_active == 0 || ly->time_us > 0);
        assert_true(ly->mac_usage_pct >= 0 && ly->mac_usage_pct <= 100.0 + 1e-9);
        uint64_t per_core[RK_PERF_MAX_CORES] = {0}, mx = 0;
        for (uint32_t k = 0; k < ly->n_tasks; k++) {
            uint32_t ti = r->layer_tasks[ly->task_first + k];
            assert_true(ti < r->n_tasks);
            assert_int_equal(seen[ti], 0);
            seen[ti] = 1;
            assert_int_equal(r->tasks[ti].node, ly->node);
            if (r->tasks[ti].active)
                per_core[r->tasks[ti].core] += r->tasks[ti].time_cycles;
        }
        int used = 0;
        for (int c = 0; c < RK_PERF_MAX_CORES; c++) {
            assert_int_equal(per_core[c], ly->core_cycles[c]);
            mx = RK_MAX(mx, per_core[c]);
            used += per_core[c] != 0;
        }
        if (used > 1) /* shared DDR floor */
            mx = RK_MAX(mx, (uint64_t)ceil((double)ly->ddr_bytes /
                                           rk_perf_get(&r->params, RK_PP_DDR_TOTAL_BYTES_PER_CYCLE)));
        assert_true(fabs(ly->time_us - (double)mx / clock) <= 1e-6 * ly->time_us);
        covered += ly->n_tasks;
        frame += ly->time_us;
    }
    assert_int_equal(covered, r->n_tasks);
    free(seen);
    assert_true(fabs(frame - r->frame_time_us) < 1e-6 * frame);
    assert_int_equal(bytes, r->total_ddr_bytes);
    assert_int_equal(macs, r->total_macs);
    double ranked = 0;
    for (size_t i = 0; i < r->n_optypes; i++)
        ranked += r->optypes[i].time_us;
    assert_true(fabs(ranked - r->frame_time_us) < 1e-6 * r->frame_time_us);
}

static void write_all_reports(const rk_perf_result *r)
{
    rk_err e = {0};
    FILE *f = fopen("/dev/null", "w");
    assert_non_null(f);
    assert_int_equal(rk_perf_print_table(f, r, &e), RK_OK);
    assert_int_equal(rk_perf_write_json(f, r, &e), RK_OK);
    assert_int_equal(rk_perf_write_csv(f, r, &e), RK_OK);
    assert_int_equal(rk_perf_params_print(f, &r->params, &e), RK_OK);
    fclose(f);
}

static void test_perf_reports_every_vendor_model(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(root, "datasets/rknn-vendor");
    (void)root;
    for (size_t i = 0; i < RK_ARRAY_LEN(k_vendor_models); i++) {
        const char *path = tu_shared_path(k_vendor_models[i]);
        rk_perf_result r;
        rk_err e = {0};
        if (rk_perf_report_file(path, RK_SOC_UNKNOWN, NULL, 0, &r, &e) != RK_OK)
            fail_msg("%s: %s", path, e.msg);
        check_report_sane(path, &r);
        write_all_reports(&r);
        printf("  %-52s %4zu tasks %u chains %u variants, 1 core: %zu tasks %3zu layers "
               "%9.1f us %9.1f KB\n",
               strrchr(path, '/') + 1, r.n_tasks, r.n_chains, r.n_variants, r.n_active,
               r.n_layers, r.frame_time_us, (double)r.total_ddr_bytes / 1024.0);
        rk_perf_result_free(&r);
    }
}

/* pp_human_segv2 on RK3588 has 1722 tasks: --perf-only must be quick. */
static void test_perf_big_model_under_a_second(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(
        path,
        "datasets/rknn-vendor/pp_human_segv2_custom_argmax/RK3588_pp_human_segv2_custom_argmax.rknn");
    rknn_model *m = NULL;
    rk_err e = {0};
    rk_perf_result r;
    assert_int_equal(rknn_load_file(path, &m, &e), RK_OK);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(rk_perf_model_estimate(m, RK_SOC_RK3588, NULL, &r, &e), RK_OK);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    assert_int_equal(r.n_tasks, 1722);
    printf("  pp_human_segv2 RK3588: %zu tasks estimated in %.1f ms\n", r.n_tasks, secs * 1e3);
    assert_true(secs < 0.5);
    rk_perf_result_free(&r);
    rknn_free(m);
}

static void test_perf_soc_mismatch_is_usage_error(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(
        path, "datasets/rknn-vendor/multiple_input_demo/RK3588_multiple_input_demo.rknn");
    rknn_model *m = NULL;
    rk_err e = {0};
    rk_perf_result r;
    rk_perf_params pp = params_for(RK_SOC_RK3566);
    assert_int_equal(rknn_load_file(path, &m, &e), RK_OK);
    assert_int_equal(rk_perf_model_estimate(m, RK_SOC_RK3588, &pp, &r, &e), RK_EUSAGE);
    rknn_free(m);
}

static void test_perf_legacy_model_without_program_is_refused(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(path, "datasets/rknn-vendor/legacy/old_rknpu2_multiple_input_demo_RK3588.rknn");
    rk_err e = {0};
    rk_perf_result r;
    rk_status st = rk_perf_report_file(path, RK_SOC_RK3588, NULL, 0, &r, &e);
    assert_int_not_equal(st, RK_OK);
    assert_non_null(strstr(e.msg, "old_rknpu2_multiple_input_demo_RK3588.rknn"));
}

/* The JSON and CSV files parse with Python's json/csv modules, the CSV
 * rows all have the header's column count, and a bad path is RK_EIO. */
static void test_perf_json_and_csv_files_parse(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(
        path, "datasets/rknn-vendor/multiple_input_demo/RK3588_multiple_input_demo.rknn");
    if (access("/usr/bin/python3", X_OK) != 0)
        skip();
    const char *const params[] = {"cores=3"};
    rk_perf_result r;
    rk_err e = {0};
    assert_int_equal(rk_perf_report_file(path, RK_SOC_UNKNOWN, params, 1, &r, &e), RK_OK);
    assert_int_equal(r.variant, 2);
    char json[512], csv[512], cmd[2048];
    snprintf(json, sizeof(json), "%s", tu_tmp_path(".json"));
    snprintf(csv, sizeof(csv), "%s", tu_tmp_path(".csv"));
    assert_int_equal(rk_perf_write_file(&r, json, &e), RK_OK);
    assert_int_equal(rk_perf_write_file(&r, csv, &e), RK_OK);
    snprintf(cmd, sizeof(cmd),
             "/usr/bin/python3 -c 'import json,csv,sys; j=json.load(open(sys.argv[1])); "
             "assert len(j[\"tasks\"])==17 and j[\"totals\"][\"cores_used\"]==3; "
             "rows=list(csv.reader(open(sys.argv[2]))); "
             "assert len(rows)==1+len(j[\"layers\"])+17; "
             "assert all(len(x)==len(rows[0]) for x in rows)' %s %s",
             json, csv);
    assert_int_equal(system(cmd), 0);
    remove(json);
    remove(csv);
    assert_int_equal(rk_perf_write_file(&r, "/nonexistent-dir/x.json", &e), RK_EIO);
    assert_non_null(strstr(e.msg, "/nonexistent-dir/x.json"));
    rk_perf_result_free(&r);
}

/* The multi-core variants of a vendor RK3588 file (npu-isa.md §7.1 streams):
 * 3 variants; with more cores the frame gets faster, never slower. */
static void test_perf_multicore_variants_speed_up(void **state)
{
    (void)state;
    TU_REQUIRE_SHARED(
        path,
        "datasets/rknn-vendor/pp_human_segv2_custom_argmax/RK3588_pp_human_segv2_custom_argmax.rknn");
    double t[3];
    for (int c = 1; c <= 3; c++) {
        char opt[16];
        snprintf(opt, sizeof(opt), "cores=%d", c);
        const char *const params[] = {opt};
        rk_perf_result r;
        rk_err e = {0};
        assert_int_equal(rk_perf_report_file(path, RK_SOC_UNKNOWN, params, 1, &r, &e), RK_OK);
        assert_int_equal(r.n_variants, 3);
        assert_int_equal(r.variant, (uint32_t)(c - 1));
        check_report_sane(path, &r);
        t[c - 1] = r.frame_time_us;
        rk_perf_result_free(&r);
    }
    printf("  pp_human_segv2 RK3588: 1 core %.1f us, 2 cores %.1f us, 3 cores %.1f us\n", t[0],
           t[1], t[2]);
    assert_true(t[1] < t[0] && t[2] < t[1]);
    assert_true(t[2] > t[0] / 3); /* no super-linear speed-up */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_perf_params_every_parameter_has_name_unit_and_source),
        cmocka_unit_test(test_perf_params_match_documented_hardware),
        cmocka_unit_test(test_perf_params_unknown_soc_is_unsupported),
        cmocka_unit_test(test_perf_param_set_overrides_and_tags_user),
        cmocka_unit_test(test_perf_param_set_rejects_bad_input),
        cmocka_unit_test(test_perf_fields_match_isa_database),
        cmocka_unit_test(test_perf_regfile_keeps_last_write_and_ignores_markers),
        cmocka_unit_test(test_perf_regfile_rejects_out_of_window_offset),
        cmocka_unit_test(test_perf_sparse_task_inherits_register_state),
        cmocka_unit_test(test_perf_rejects_task_outside_regcmd_buffer),
        cmocka_unit_test(test_perf_mac_cycles_follow_alignment_rules),
        cmocka_unit_test(test_perf_cycles_grow_with_macs),
        cmocka_unit_test(test_perf_cycles_grow_with_bytes),
        cmocka_unit_test(test_perf_rk3566_slower_than_one_rk3588_core),
        cmocka_unit_test(test_perf_int8_beats_fp16_on_compute_bound_conv),
        cmocka_unit_test(test_perf_large_eltwise_add_is_ddr_bound),
        cmocka_unit_test(test_perf_clock_override_rescales_time_only),
        cmocka_unit_test(test_perf_reports_every_vendor_model),
        cmocka_unit_test(test_perf_big_model_under_a_second),
        cmocka_unit_test(test_perf_soc_mismatch_is_usage_error),
        cmocka_unit_test(test_perf_legacy_model_without_program_is_refused),
        cmocka_unit_test(test_perf_json_and_csv_files_parse),
        cmocka_unit_test(test_perf_multicore_variants_speed_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
