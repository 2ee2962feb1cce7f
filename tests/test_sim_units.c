/*
 * test_sim_units.c - the functional units on small programs assembled with
 * the ISA encoder (sim_asm.h, isa_pack) and wrapped with the .rknn container
 * writer, each checked against numpy golden data made by
 * tests/gen_sim_cases.py (tests/data/sim_cases.h5) from the rules written in
 * sim/SEMANTICS.md - an independent implementation, not rksim's output.
 *
 * int8 results must match exactly; fp16 results within 1 fp16 ulp (the
 * NPU's fp32 accumulation order is not known).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "rk_tensorio.h"
#include "rknn.h"
#include "sim.h"
#include "sim_asm.h"
#include "sim_internal.h"
#include "sim_regs.h"

static rk_tensor_list golden;

static int load_golden(void **state)
{
    (void)state;
    rk_err e = {0};
    if (rk_h5_read(tu_source_path("tests/data/sim_cases.h5"), &golden, &e)) {
        fprintf(stderr, "cannot read golden data: %s\n", e.msg);
        return -1;
    }
    return 0;
}

static int free_golden(void **state)
{
    (void)state;
    rk_tensor_list_free(&golden);
    return 0;
}

static const rk_tensor *gold(const char *c, const char *arr)
{
    char name[128];
    snprintf(name, sizeof(name), "%s.%s", c, arr);
    rk_tensor *t = rk_tensor_list_find(&golden, name);
    if (!t)
        fail_msg("golden array %s missing: rerun tests/gen_sim_cases.py", name);
    return t;
}

/* ------------------------------------------------------------ model building */

typedef struct builder {
    rknn_model *m;
    sim_asm a;
    int64_t pool;
} builder;

static void b_init(builder *b)
{
    rk_err e = {0};
    assert_int_equal(rknn_new("RKNPU v2", "rk3588", &b->m, &e), RK_OK);
    sim_asm_init(&b->a, RK_SOC_RK3588);
    b->pool = 0;
    /* Node 0: the op every task belongs to (task op_idx). */
    rknn_node n;
    memset(&n, 0, sizeof(n));
    n.type = (char *)"Conv";
    n.name = (char *)"unit";
    uint32_t idx;
    assert_int_equal(rknn_add_node(b->m, &n, &idx, &e), RK_OK);
}

static void b_free(builder *b)
{
    sim_asm_free(&b->a);
    rknn_free(b->m);
}

/* An NC1HWC2 activation in the pool; returns its tensor index. */
static int32_t b_act(builder *b, const char *name, int prec, int c, int h, int w)
{
    int esz = prec == SIM_PREC_INT8 ? 1 : 2;
    int c2 = 16 / esz;
    int c1 = (c + c2 - 1) / c2;
    int32_t nat[5] = {1, c1, h, w, c2}, shp[4] = {1, c, h, w};
    rknn_tensor t;
    memset(&t, 0, sizeof(t));
    t.name = (char *)name;
    t.dtype = prec == SIM_PREC_INT8 ? RK_DT_I8 : RK_DT_F16;
    t.dtype_raw = (uint8_t)t.dtype;
    t.layout = RKNN_LAYOUT_NC1HWC2;
    t.kind = RKNN_KIND_INTERNAL;
    t.native_shape = nat;
    t.n_native_shape = 5;
    t.shape = shp;
    t.n_shape = 4;
    t.size = (int64_t)c1 * h * w * 16;
    t.pool_offset = b->pool;
    b->pool += RK_ALIGN_UP(t.size, 64);
    uint32_t idx;
    rk_err e = {0};
    assert_int_equal(rknn_add_tensor(b->m, &t, &idx, &e), RK_OK);
    return (int32_t)idx;
}

static void b_const(builder *b, const char *name, const void *data, size_t len)
{
    rk_err e = {0};
    uint32_t bi, ti;
    assert_int_equal(rknn_add_buffer(b->m, data, len, &bi, &e), RK_OK);
    rknn_tensor t;
    memset(&t, 0, sizeof(t));
    int32_t nat[1] = {(int32_t)len};
    t.name = (char *)name;
    t.dtype = RK_DT_I8;
    t.dtype_raw = 3;
    t.layout = RKNN_LAYOUT_NONE;
    t.kind = RKNN_KIND_CONST;
    t.native_shape = nat;
    t.n_native_shape = 1;
    t.shape = nat;
    t.n_shape = 1;
    t.size = (int64_t)len;
    t.buffer_index = (int32_t)bi;
    assert_int_equal(rknn_add_tensor(b->m, &t, &ti, &e), RK_OK);
}

/* Install the program, create the machine. */
static sim *b_machine(builder *b)
{
    rk_err e = {0};
    rk_status st = sim_asm_install(&b->a, b->m, &e);
    if (st)
        fail_msg("assembler: %s", e.msg);
    sim_options opt = {0};
    opt.soc = RK_SOC_RK3588;
    sim *s = NULL;
    if (sim_create(b->m, &opt, &s, &e))
        fail_msg("sim_create: %s", e.msg);
    return s;
}

static void write_feature(sim *s, int32_t ti, int prec, const rk_tensor *chw)
{
    rk_err e = {0};
    uint8_t *nat;
    size_t len;
    assert_int_equal(sim_asm_pack_feature(prec, (int)chw->dims[0], (int)chw->dims[1], (int)chw->dims[2],
                                          chw->data, &nat, &len, &e), RK_OK);
    if (sim_tensor_write(s, ti, nat, len, &e))
        fail_msg("%s", e.msg);
    free(nat);
}

static void *read_feature(sim *s, int32_t ti, int prec, int c, int h, int w)
{
    rk_err e = {0};
    int esz = prec == SIM_PREC_INT8 ? 1 : 2;
    int c1 = (c + 16 / esz - 1) / (16 / esz);
    size_t len = (size_t)c1 * h * w * 16;
    uint8_t *nat = malloc(len);
    void *chw = malloc((size_t)c * h * w * esz);
    assert_non_null(nat);
    assert_non_null(chw);
    if (sim_tensor_read(s, ti, nat, len, &e))
        fail_msg("%s", e.msg);
    sim_asm_unpack_feature(prec, c, h, w, nat, chw);
    free(nat);
    return chw;
}

static void run_or_fail(sim *s)
{
    rk_err e = {0};
    if (sim_run_program(s, &e))
        fail_msg("sim_run_program: %s", e.msg);
}

static void expect_i8(const char *what, const int8_t *got, const rk_tensor *want)
{
    assert_int_equal(want->dtype, RK_DT_I8);
    for (int64_t i = 0; i < want->nelem; i++)
        if (got[i] != ((const int8_t *)want->data)[i])
            fail_msg("%s: element %lld is %d, numpy says %d", what, (long long)i, got[i],
                     ((const int8_t *)want->data)[i]);
}

/* ------------------------------------------------------------ conv cases */

typedef struct conv_case {
    const char *name;
    int prec, c, h, w, k, kh, kw, sx, sy, dx, dy, pt, pb, pl, pr;
    int32_t padv;
    bool dw;
    uint32_t use;
    int s_pos, s_neg;
    bool relu;
    int scale, shift, offset;
    bool half_up;
    bool relux;          /* BN ReLUx with BN_RELUX_CMP = relux_bits */
    uint32_t relux_bits; /* fp32 bits for fp16 cases */
} conv_case;

static void run_conv_case(const conv_case *cc)
{
    builder b;
    b_init(&b);
    const rk_tensor *x = gold(cc->name, "x"), *w = gold(cc->name, "w"), *y = gold(cc->name, "y");
    int oh = (int)y->dims[1], ow = (int)y->dims[2], k = (int)y->dims[0];
    int out_prec = cc->prec == SIM_PREC_INT8 ? SIM_PREC_INT8 : SIM_PREC_FP16;
    int32_t tin = b_act(&b, "x", cc->prec, cc->c, cc->h, cc->w);
    int32_t tout = b_act(&b, "y", out_prec, k, oh, ow);
    rk_err e = {0};
    uint8_t *wn, *bsn = NULL;
    size_t wl, bsl = 0;
    assert_int_equal(sim_asm_pack_weights(RK_SOC_RK3588, cc->prec, cc->dw, cc->dw ? cc->c : cc->k, cc->c, cc->kh,
                                          cc->kw, w->data, &wn, &wl, &e), RK_OK);
    b_const(&b, "w", wn, wl);
    if (cc->use) {
        const rk_tensor *alu = gold(cc->name, "alu"), *cp = gold(cc->name, "cpend"), *mul = gold(cc->name, "mul");
        assert_int_equal(sim_asm_pack_bs(cc->use, k, alu->data, cp->data, mul->data, &bsn, &bsl, &e), RK_OK);
        b_const(&b, "bs", bsn, bsl);
    }
    sim_asm_conv c;
    memset(&c, 0, sizeof(c));
    c.prec = cc->prec;
    c.in_w = cc->w;
    c.in_h = cc->h;
    c.in_c = cc->c;
    c.k = cc->k;
    c.kw = cc->kw;
    c.kh = cc->kh;
    c.sx = cc->sx;
    c.sy = cc->sy;
    c.dx = cc->dx;
    c.dy = cc->dy;
    c.pad_top = cc->pt;
    c.pad_bottom = cc->pb;
    c.pad_left = cc->pl;
    c.pad_right = cc->pr;
    c.depthwise = cc->dw;
    c.pad_value = (uint32_t)cc->padv;
    c.in_tensor = "x";
    c.w_tensor = "w";
    c.bs_tensor = "bs";
    c.out_tensor = "y";
    c.bs_use = cc->use;
    c.bs_shift = cc->s_pos;
    c.bs_shift_neg = cc->s_neg;
    c.relu = cc->relu;
    c.bn_relux = cc->relux;
    c.bn_relux_cmp = cc->relux_bits;
    c.out_prec = out_prec;
    c.out_scale = (int16_t)(out_prec == SIM_PREC_INT8 ? cc->scale : 1);
    c.out_shift = out_prec == SIM_PREC_INT8 ? cc->shift : 0;
    c.out_offset = out_prec == SIM_PREC_INT8 ? cc->offset : 0;
    c.out_half_up = cc->half_up;
    sim_asm_conv_task(&b.a, &c, 0);
    sim *s = b_machine(&b);
    write_feature(s, tin, cc->prec, x);
    run_or_fail(s);
    void *got = read_feature(s, tout, out_prec, k, oh, ow);
    if (out_prec == SIM_PREC_INT8) {
        expect_i8(cc->name, got, y);
    } else {
        const uint16_t *g = got, *ref = y->data;
        for (int64_t i = 0; i < y->nelem; i++) {
            float a = rk_f16_to_f32(g[i]), r = rk_f16_to_f32(ref[i]);
            float ulp = rk_f16_to_f32((uint16_t)((ref[i] & 0x7FFF) + 1)) - fabsf(r);
            if (fabsf(a - r) > ulp * 1.01f + 1e-7f)
                fail_msg("%s: element %lld is %g, numpy says %g (1 ulp = %g)", cc->name, (long long)i, a, r, ulp);
        }
    }
    const sim_stats *st = sim_get_stats(s);
    assert_int_equal(st->tasks, 1);
    free(got);
    free(wn);
    free(bsn);
    sim_destroy(s);
    b_free(&b);
}

#define I8 SIM_PREC_INT8
#define F16 SIM_PREC_FP16
/* Mirrors gen_sim_cases.py main(). */
static const conv_case conv_cases[] = {
    {"i8_1x1", I8, 20, 5, 6, 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, -128, false, 5, 14, 14, false, 20000, 24, -5, false, false, 0},
    {"i8_3x3_pad", I8, 8, 7, 6, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, -128, false, 5, 14, 14, false, 20000, 24, -5, false, false, 0},
    {"i8_3x3_stride2", I8, 16, 9, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, -128, false, 5, 14, 14, false, 20000, 24, -5, false, false, 0},
    {"i8_3x3_dil2", I8, 8, 8, 9, 8, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 0, false, 5, 14, 14, false, 20000, 24, -5, false, false, 0},
    {"i8_dw3x3", I8, 24, 6, 7, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, -128, true, 1, 14, 14, false, 20000, 24, -5, false, false, 0},
    {"i8_cpend_relu", I8, 40, 6, 5, 8, 3, 3, 1, 1, 1, 1, 1, 0, 1, 0, -128, false, 7, 14, 14, true, 20000, 24, -5, false, false, 0},
    {"rq_negshift_even", I8, 8, 4, 4, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, -128, false, 5, 12, 16, false, 1, 3, 0, false, false, 0},
    {"rq_negshift_up", I8, 8, 4, 4, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, -128, false, 5, 12, 16, false, 1, 3, 0, true, false, 0},
    {"f16_1x1", F16, 12, 5, 6, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, false, 0, 0, 0, false, 1, 0, 0, false, false, 0},
    {"f16_3x3_pad", F16, 8, 6, 5, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, false, 0, 0, 0, false, 1, 0, 0, false, false, 0},
    {"f16_3x3_stride2", F16, 8, 9, 8, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 0, false, 0, 0, 0, false, 1, 0, 0, false, false, 0},
    {"f16_3x3_dil2", F16, 8, 8, 8, 8, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 0, false, 0, 0, 0, false, 1, 0, 0, false, false, 0},
    {"f16_dw3x3", F16, 16, 6, 6, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, true, 0, 0, 0, false, 1, 0, 0, false, false, 0},
    /* float DPU: BRDMA bias as fp32 bits (+ fp16 per-channel MUL), BN ReLU / ReLUx (0x3F400000 = 0.75f) */
    {"f16_bias_relu", F16, 12, 6, 5, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 0, false, 1, 0, 0, true, 1, 0, 0, false,
     false, 0},
    {"f16_bias_mul_relux", F16, 8, 5, 6, 16, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, false, 5, 0, 0, true, 1, 0, 0, false,
     true, 0x3F400000u},
};

static const conv_case *find_conv(const char *name)
{
    for (size_t i = 0; i < sizeof(conv_cases) / sizeof(conv_cases[0]); i++)
        if (strcmp(conv_cases[i].name, name) == 0)
            return &conv_cases[i];
    fail_msg("no case %s", name);
    return NULL;
}

#define CONV_TEST(fn, nm) static void fn(void **state) { (void)state; run_conv_case(find_conv(nm)); }
CONV_TEST(test_sim_conv_int8_1x1_matches_numpy, "i8_1x1")
CONV_TEST(test_sim_conv_int8_3x3_padded_matches_numpy, "i8_3x3_pad")
CONV_TEST(test_sim_conv_int8_strided_matches_numpy, "i8_3x3_stride2")
CONV_TEST(test_sim_conv_int8_dilated_matches_numpy, "i8_3x3_dil2")
CONV_TEST(test_sim_conv_int8_depthwise_matches_numpy, "i8_dw3x3")
CONV_TEST(test_sim_conv_int8_cpend_relu_matches_numpy, "i8_cpend_relu")
CONV_TEST(test_sim_requant_neg_shift_half_even_matches_numpy, "rq_negshift_even")
CONV_TEST(test_sim_requant_neg_shift_half_up_matches_numpy, "rq_negshift_up")
CONV_TEST(test_sim_conv_fp16_1x1_matches_numpy, "f16_1x1")
CONV_TEST(test_sim_conv_fp16_3x3_padded_matches_numpy, "f16_3x3_pad")
CONV_TEST(test_sim_conv_fp16_strided_matches_numpy, "f16_3x3_stride2")
CONV_TEST(test_sim_conv_fp16_dilated_matches_numpy, "f16_3x3_dil2")
CONV_TEST(test_sim_conv_fp16_depthwise_matches_numpy, "f16_dw3x3")
CONV_TEST(test_sim_conv_fp16_bias_relu_matches_numpy, "f16_bias_relu")
CONV_TEST(test_sim_conv_fp16_bias_mul_relux_matches_numpy, "f16_bias_mul_relux")

/* Hand-derived OUT_CVT ties: v = 12 with scale 1, shift 3 -> 1.5.
 * CVT_ROUND 0 (half to even) -> 2; 1 (half up) -> 2; v = 20 -> 2.5 -> 2 / 3;
 * v = -12 -> -1.5 -> -2 / -1 (TRM: 0 "odd carries", 1 "always carry"). */
static void test_sim_round_shift_ties_hand_derived(void **state)
{
    (void)state;
    assert_int_equal(sim_round_shift(12, 3, false), 2);
    assert_int_equal(sim_round_shift(12, 3, true), 2);
    assert_int_equal(sim_round_shift(20, 3, false), 2);
    assert_int_equal(sim_round_shift(20, 3, true), 3);
    assert_int_equal(sim_round_shift(-12, 3, false), -2);
    assert_int_equal(sim_round_shift(-12, 3, true), -1);
    assert_int_equal(sim_round_shift(-13, 3, false), -2);
    assert_int_equal(sim_round_shift(7, 0, false), 7);
}

/* ------------------------------------------------------------ EW cases */

typedef struct ew_case {
    const char *name;
    int c, h, w;
    int32_t a_alu;
    int16_t a_mul;
    int a_shift;
    int32_t b_off;
    int16_t b_scale;
    int b_shift;
    bool b_half_up;
    uint32_t algo;
    bool mul;
    int truncate;
    int16_t scale;
    int shift;
    int32_t offset;
    bool half_up;
} ew_case;

static void run_ew_case(const ew_case *wc)
{
    builder b;
    b_init(&b);
    const rk_tensor *a = gold(wc->name, "a"), *bb = gold(wc->name, "b"), *y = gold(wc->name, "y");
    int32_t ta = b_act(&b, "a", I8, wc->c, wc->h, wc->w);
    int32_t tb = b_act(&b, "b", I8, wc->c, wc->h, wc->w);
    int32_t ty = b_act(&b, "y", I8, wc->c, wc->h, wc->w);
    sim_asm_ew w;
    memset(&w, 0, sizeof(w));
    w.w = wc->w;
    w.h = wc->h;
    w.c = wc->c;
    w.a_tensor = "a";
    w.b_tensor = "b";
    w.out_tensor = "y";
    w.a_alu = wc->a_alu;
    w.a_mul = wc->a_mul;
    w.a_shift = wc->a_shift;
    w.b_cvt_offset = wc->b_off;
    w.b_cvt_scale = wc->b_scale;
    w.b_cvt_shift = wc->b_shift;
    w.b_half_up = wc->b_half_up;
    w.algo = wc->algo;
    w.mul = wc->mul;
    w.truncate = wc->truncate;
    w.truncate_neg = wc->truncate;
    w.out_scale = wc->scale;
    w.out_shift = wc->shift;
    w.out_offset = wc->offset;
    w.out_half_up = wc->half_up;
    sim_asm_ew_task(&b.a, &w, 0);
    sim *s = b_machine(&b);
    write_feature(s, ta, I8, a);
    write_feature(s, tb, I8, bb);
    run_or_fail(s);
    int8_t *got = read_feature(s, ty, I8, wc->c, wc->h, wc->w);
    expect_i8(wc->name, got, y);
    free(got);
    sim_destroy(s);
    b_free(&b);
}

static void test_sim_ew_add_matches_numpy(void **state)
{
    (void)state;
    ew_case c = {"ew_add", 20, 5, 6, 128, 16384, 0, 17, 17176, 1, false, 2, false, 0, 31695, 29, -128, false};
    run_ew_case(&c);
}

/* ------------------------------------------------------------ LUT cases
 * Parameters mirror lut_case() calls in tests/gen_sim_cases.py; the tables
 * come from the golden file (numpy-generated), the expected output from
 * numpy's own evaluation of the D-LUT rules. */

typedef struct lut_case {
    const char *name;
    int c, h, w;
    int16_t a_mul;
    sim_asm_lut l; /* tables filled from the golden file */
    int16_t scale;
    int shift;
    int32_t offset;
} lut_case;

static void run_lut_case(lut_case *lc)
{
    builder b;
    b_init(&b);
    const rk_tensor *a = gold(lc->name, "a"), *y = gold(lc->name, "y");
    const rk_tensor *le = gold(lc->name, "le"), *lo = gold(lc->name, "lo");
    assert_int_equal(le->nelem, lc->l.n_le);
    assert_int_equal(lo->nelem, lc->l.n_lo);
    lc->l.le = le->data;
    lc->l.lo = lo->data;
    int32_t ta = b_act(&b, "a", I8, lc->c, lc->h, lc->w);
    int32_t ty = b_act(&b, "y", I8, lc->c, lc->h, lc->w);
    sim_asm_ew w;
    memset(&w, 0, sizeof(w));
    w.w = lc->w;
    w.h = lc->h;
    w.c = lc->c;
    w.a_tensor = "a";
    w.out_tensor = "y";
    w.a_mul = lc->a_mul;
    w.out_scale = lc->scale;
    w.out_shift = lc->shift;
    w.out_offset = lc->offset;
    w.lut = &lc->l;
    sim_asm_ew_task(&b.a, &w, 0);
    sim *s = b_machine(&b);
    write_feature(s, ta, I8, a);
    run_or_fail(s);
    int8_t *got = read_feature(s, ty, I8, lc->c, lc->h, lc->w);
    expect_i8(lc->name, got, y);
    free(got);
    sim_destroy(s);
    b_free(&b);
}

/* Tables that meet at 0: interpolation inside, both-hit (hybrid -> LO),
 * underflow (uflow priority -> LE slope), overflow (oflow -> LO slope). */
static void test_sim_lut_adjacent_tables_match_numpy(void **state)
{
    (void)state;
    lut_case c = {.name = "lut_tanh", .c = 16, .h = 4, .w = 5, .a_mul = 97, .scale = 1, .shift = 8, .offset = 0};
    c.l = (sim_asm_lut){.n_le = 513, .n_lo = 513, .le_start = -8192, .le_end = 0, .lo_start = 0, .lo_end = 8192,
                        .le_sel = 4, .lo_sel = 4, .hybrid_lo = true, .oflow_lo = true, .uflow_lo = false,
                        .le_uflow_scale = 300, .le_uflow_shift = 8, .lo_oflow_scale = -200, .lo_oflow_shift = 7};
    run_lut_case(&c);
}

/* A gap between the tables (under LO and over LE: hybrid -> LE overflow
 * slope), different index selects, an 897-entry LO table, uflow -> LO. */
static void test_sim_lut_gap_and_priorities_match_numpy(void **state)
{
    (void)state;
    lut_case c = {.name = "lut_gap", .c = 16, .h = 4, .w = 5, .a_mul = 97, .scale = 3, .shift = 9, .offset = -5};
    c.l = (sim_asm_lut){.n_le = 449, .n_lo = 897, .le_start = -8192, .le_end = -1024, .lo_start = 1024,
                        .lo_end = 8192, .le_sel = 4, .lo_sel = 3, .hybrid_lo = false, .oflow_lo = false,
                        .uflow_lo = true, .le_oflow_scale = 60, .le_oflow_shift = 6, .lo_uflow_scale = -20,
                        .lo_uflow_shift = 5};
    run_lut_case(&c);
}

static void test_sim_ew_mul_matches_numpy(void **state)
{
    (void)state;
    ew_case c = {"ew_mul", 16, 4, 5, 3, 1, 0, -2, 1, 0, true, 0, true, 4, 3, 2, 1, true};
    run_ew_case(&c);
}

/* fp16 EW in DPU flying mode (SEMANTICS D-FPSTAGE / D-FPEW): numpy does
 * the same fp32 operations and one fp16 rounding (nearest even), so the
 * bits must match exactly.  a_alu = fp32 bits, a_mul = fp16 bits. */
static void run_f16_ew_case(const char *name, int c, int h, int w, uint32_t a_alu, uint16_t a_mul,
                            uint32_t algo, bool mul, bool relu, bool b_chan)
{
    builder b;
    b_init(&b);
    const rk_tensor *a = gold(name, "a"), *bb = gold(name, "b"), *y = gold(name, "y");
    assert_int_equal(y->dtype, RK_DT_F16);
    int32_t ta = b_act(&b, "a", F16, c, h, w);
    int32_t tb = -1;
    if (b_chan) {
        assert_int_equal(bb->dtype, RK_DT_F32);
        b_const(&b, "b", bb->data, (size_t)c * 4); /* one fp32 per channel */
    } else {
        tb = b_act(&b, "b", F16, c, h, w);
    }
    int32_t ty = b_act(&b, "y", F16, c, h, w);
    sim_asm_ew ew;
    memset(&ew, 0, sizeof(ew));
    ew.prec = F16;
    ew.b_fp32_per_channel = b_chan;
    ew.w = w;
    ew.h = h;
    ew.c = c;
    ew.a_tensor = "a";
    ew.b_tensor = "b";
    ew.out_tensor = "y";
    ew.a_alu = (int32_t)a_alu;
    ew.a_mul = (int16_t)a_mul;
    ew.algo = algo;
    ew.mul = mul;
    ew.relu = relu;
    ew.out_scale = 1;
    sim_asm_ew_task(&b.a, &ew, 0);
    sim *s = b_machine(&b);
    write_feature(s, ta, F16, a);
    if (!b_chan)
        write_feature(s, tb, F16, bb);
    run_or_fail(s);
    uint16_t *got = read_feature(s, ty, F16, c, h, w);
    const uint16_t *ref = y->data;
    for (int64_t i = 0; i < y->nelem; i++)
        if (got[i] != ref[i])
            fail_msg("%s: element %lld is %g (0x%04x), numpy says %g (0x%04x)", name, (long long)i,
                     rk_f16_to_f32(got[i]), got[i], rk_f16_to_f32(ref[i]), ref[i]);
    free(got);
    sim_destroy(s);
    b_free(&b);
}

/* 0x3E800000 = 0.25f, 0x3E00 = 1.5 (fp16); mirrors gen_sim_cases.py */
static void test_sim_ew_fp16_add_matches_numpy(void **state)
{
    (void)state;
    run_f16_ew_case("f16_ew_add", 12, 5, 6, 0x3E800000u, 0x3E00, 2, false, false, false);
}

/* 0xBF000000 = -0.5f, 0x3A00 = 0.75 (fp16); BN ReLU, then EW multiply */
static void test_sim_ew_fp16_mul_relu_matches_numpy(void **state)
{
    (void)state;
    run_f16_ew_case("f16_ew_mul_relu", 16, 4, 5, 0xBF000000u, 0x3A00, 0, true, true, false);
}

/* per-channel fp32 operand (ERDMA mode 0, size 3), EW minus; BS adds 0.0f
 * and multiplies by 1.0 (0x3C00), which leaves a unchanged */
static void test_sim_ew_fp16_per_channel_fp32_minus_matches_numpy(void **state)
{
    (void)state;
    run_f16_ew_case("f16_ew_chan_minus", 12, 3, 7, 0u, 0x3C00, 4, false, false, true);
}

/* ------------------------------------------------------------ pooling */

static void run_pool_case(const char *name, int c, int h, int w, int kh, int kw, int sy, int sx, int pt, int pb,
                          int pl, int pr, uint32_t method, int32_t padv)
{
    builder b;
    b_init(&b);
    const rk_tensor *x = gold(name, "x"), *y = gold(name, "y");
    int oh = (int)y->dims[1], ow = (int)y->dims[2];
    int32_t tx = b_act(&b, "x", I8, c, h, w);
    int32_t ty = b_act(&b, "y", I8, c, oh, ow);
    sim_asm_pool p;
    memset(&p, 0, sizeof(p));
    p.prec = I8;
    p.in_w = w;
    p.in_h = h;
    p.c = c;
    p.kw = kw;
    p.kh = kh;
    p.sx = sx;
    p.sy = sy;
    p.pad_top = pt;
    p.pad_bottom = pb;
    p.pad_left = pl;
    p.pad_right = pr;
    p.method = method;
    p.pad_value = (uint32_t)padv;
    p.in_tensor = "x";
    p.out_tensor = "y";
    sim_asm_pool_task(&b.a, &p, 0);
    sim *s = b_machine(&b);
    write_feature(s, tx, I8, x);
    run_or_fail(s);
    int8_t *got = read_feature(s, ty, I8, c, oh, ow);
    expect_i8(name, got, y);
    free(got);
    sim_destroy(s);
    b_free(&b);
}

static void test_sim_pool_max_padded_strided_matches_numpy(void **state)
{
    (void)state;
    run_pool_case("pool_max3x3", 20, 7, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, -128);
}

static void test_sim_pool_avg_2x2_matches_numpy(void **state)
{
    (void)state;
    run_pool_case("pool_avg2x2", 16, 6, 6, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0);
}

static void test_sim_pool_avg_padded_matches_numpy(void **state)
{
    (void)state;
    run_pool_case("pool_avg3x3_pad", 16, 5, 5, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0);
}

/* ------------------------------------------------------------ chains */

static void test_sim_chain_two_tasks_matches_numpy(void **state)
{
    (void)state;
    builder b;
    b_init(&b);
    const char *n = "chain2";
    const rk_tensor *x = gold(n, "x"), *y = gold(n, "y"), *y1 = gold(n, "y1");
    int32_t tx = b_act(&b, "x", I8, 8, 6, 7);
    int32_t t1 = b_act(&b, "t1", I8, 16, 6, 7);
    int32_t ty = b_act(&b, "y", I8, 8, 6, 7);
    rk_err e = {0};
    uint8_t *w1, *w2, *bs1, *bs2;
    size_t l1, l2, lb1, lb2;
    assert_int_equal(sim_asm_pack_weights(RK_SOC_RK3588, I8, false, 16, 8, 3, 3, gold(n, "w1")->data, &w1, &l1, &e), 0);
    assert_int_equal(sim_asm_pack_weights(RK_SOC_RK3588, I8, false, 8, 16, 1, 1, gold(n, "w2")->data, &w2, &l2, &e), 0);
    assert_int_equal(sim_asm_pack_bs(5, 16, gold(n, "alu1")->data, NULL, gold(n, "mul1")->data, &bs1, &lb1, &e), 0);
    assert_int_equal(sim_asm_pack_bs(5, 8, gold(n, "alu2")->data, NULL, gold(n, "mul2")->data, &bs2, &lb2, &e), 0);
    b_const(&b, "w1", w1, l1);
    b_const(&b, "w2", w2, l2);
    b_const(&b, "bs1", bs1, lb1);
    b_const(&b, "bs2", bs2, lb2);
    sim_asm_conv c;
    memset(&c, 0, sizeof(c));
    c.prec = I8;
    c.in_w = 7;
    c.in_h = 6;
    c.in_c = 8;
    c.k = 16;
    c.kw = c.kh = 3;
    c.sx = c.sy = 1;
    c.pad_top = c.pad_bottom = c.pad_left = c.pad_right = 1;
    c.pad_value = (uint32_t)-128;
    c.in_tensor = "x";
    c.w_tensor = "w1";
    c.bs_tensor = "bs1";
    c.out_tensor = "t1";
    c.bs_use = 5;
    c.bs_shift = c.bs_shift_neg = 14;
    c.relu = true;
    c.out_prec = I8;
    c.out_scale = 24000;
    c.out_shift = 24;
    c.out_offset = -128;
    sim_asm_conv_task(&b.a, &c, 0);
    c.in_c = 16;
    c.k = 8;
    c.kw = c.kh = 1;
    c.pad_top = c.pad_bottom = c.pad_left = c.pad_right = 0;
    c.in_tensor = "t1";
    c.w_tensor = "w2";
    c.bs_tensor = "bs2";
    c.out_tensor = "y";
    c.relu = false;
    c.out_scale = 21000;
    c.out_offset = 3;
    sim_asm_conv_task(&b.a, &c, 0);
    sim *s = b_machine(&b);
    write_feature(s, tx, I8, x);
    run_or_fail(s);
    const sim_stats *st = sim_get_stats(s);
    assert_int_equal(st->tasks, 2);
    assert_int_equal(st->chains, 1);
    int8_t *g1 = read_feature(s, t1, I8, 16, 6, 7);
    expect_i8("chain2 first task", g1, y1);
    int8_t *g2 = read_feature(s, ty, I8, 8, 6, 7);
    expect_i8("chain2 second task", g2, y);
    free(g1);
    free(g2);
    free(w1);
    free(w2);
    free(bs1);
    free(bs2);
    sim_destroy(s);
    b_free(&b);
}

/* ------------------------------------------------------------ machine errors */

/* A DMA outside every region names the task and the register. */
static void test_sim_dma_outside_region_names_task_and_register(void **state)
{
    (void)state;
    builder b;
    b_init(&b);
    int32_t tx = b_act(&b, "x", I8, 8, 4, 4);
    b_act(&b, "y", I8, 8, 4, 4);
    (void)tx;
    uint8_t w[8 * 16] = {0};
    b_const(&b, "w", w, sizeof(w));
    sim_asm_conv c;
    memset(&c, 0, sizeof(c));
    c.prec = I8;
    c.in_w = c.in_h = 4;
    c.in_c = 8;
    c.k = 8;
    c.kw = c.kh = 1;
    c.sx = c.sy = 1;
    c.in_tensor = "x";
    c.in_off = 1u << 20; /* far beyond the pool */
    c.w_tensor = "w";
    c.out_tensor = "y";
    c.out_prec = I8;
    c.out_scale = 1;
    sim_asm_conv_task(&b.a, &c, 0);
    sim *s = b_machine(&b);
    rk_err e = {0};
    assert_int_not_equal(sim_run_program(s, &e), RK_OK);
    assert_non_null(strstr(e.msg, "task 0"));
    assert_non_null(strstr(e.msg, "CNA_FEATURE_DATA_ADDR"));
    assert_non_null(strstr(e.msg, "outside"));
    sim_destroy(s);
    b_free(&b);
}

/* An undefined field value stops the run naming the register and field;
 * --lenient records it and continues. */
static void test_sim_unknown_mode_stops_strict_and_is_listed_lenient(void **state)
{
    (void)state;
    for (int lenient = 0; lenient < 2; lenient++) {
        builder b;
        b_init(&b);
        b_act(&b, "x", I8, 16, 4, 4);
        b_act(&b, "y", I8, 16, 4, 4);
        /* A PPU task with POOLING_METHOD 3 (undefined in the TRM). */
        sim_asm_pool p;
        memset(&p, 0, sizeof(p));
        p.prec = I8;
        p.in_w = p.in_h = 4;
        p.c = 16;
        p.kw = p.kh = p.sx = p.sy = 1;
        p.method = 3;
        p.in_tensor = "x";
        p.out_tensor = "y";
        sim_asm_pool_task(&b.a, &p, 0);
        rk_err e = {0};
        assert_int_equal(sim_asm_install(&b.a, b.m, &e), RK_OK);
        sim_options opt = {0};
        opt.soc = RK_SOC_RK3588;
        opt.lenient = lenient != 0;
        sim *s = NULL;
        assert_int_equal(sim_create(b.m, &opt, &s, &e), RK_OK);
        rk_status st = sim_run_program(s, &e);
        size_t n = 0;
        const char *const *iss = sim_issues(s, &n);
        if (!lenient) {
            assert_int_equal(st, RK_EUNSUPPORTED);
            assert_non_null(strstr(e.msg, "task 0"));
            assert_non_null(strstr(e.msg, "PPU_OPERATION_MODE_CFG.POOLING_METHOD = 3"));
        } else {
            assert_int_equal(st, RK_OK);
            assert_int_equal(n, 1);
            assert_non_null(strstr(iss[0], "POOLING_METHOD = 3"));
        }
        sim_destroy(s);
        b_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_conv_int8_1x1_matches_numpy),
        cmocka_unit_test(test_sim_conv_int8_3x3_padded_matches_numpy),
        cmocka_unit_test(test_sim_conv_int8_strided_matches_numpy),
        cmocka_unit_test(test_sim_conv_int8_dilated_matches_numpy),
        cmocka_unit_test(test_sim_conv_int8_depthwise_matches_numpy),
        cmocka_unit_test(test_sim_conv_int8_cpend_relu_matches_numpy),
        cmocka_unit_test(test_sim_requant_neg_shift_half_even_matches_numpy),
        cmocka_unit_test(test_sim_requant_neg_shift_half_up_matches_numpy),
        cmocka_unit_test(test_sim_round_shift_ties_hand_derived),
        cmocka_unit_test(test_sim_conv_fp16_1x1_matches_numpy),
        cmocka_unit_test(test_sim_conv_fp16_3x3_padded_matches_numpy),
        cmocka_unit_test(test_sim_conv_fp16_strided_matches_numpy),
        cmocka_unit_test(test_sim_conv_fp16_dilated_matches_numpy),
        cmocka_unit_test(test_sim_conv_fp16_depthwise_matches_numpy),
        cmocka_unit_test(test_sim_ew_add_matches_numpy),
        cmocka_unit_test(test_sim_ew_mul_matches_numpy),
        cmocka_unit_test(test_sim_conv_fp16_bias_relu_matches_numpy),
        cmocka_unit_test(test_sim_conv_fp16_bias_mul_relux_matches_numpy),
        cmocka_unit_test(test_sim_ew_fp16_add_matches_numpy),
        cmocka_unit_test(test_sim_ew_fp16_mul_relu_matches_numpy),
        cmocka_unit_test(test_sim_ew_fp16_per_channel_fp32_minus_matches_numpy),
        cmocka_unit_test(test_sim_lut_adjacent_tables_match_numpy),
        cmocka_unit_test(test_sim_lut_gap_and_priorities_match_numpy),
        cmocka_unit_test(test_sim_pool_max_padded_strided_matches_numpy),
        cmocka_unit_test(test_sim_pool_avg_2x2_matches_numpy),
        cmocka_unit_test(test_sim_pool_avg_padded_matches_numpy),
        cmocka_unit_test(test_sim_chain_two_tasks_matches_numpy),
        cmocka_unit_test(test_sim_dma_outside_region_names_task_and_register),
        cmocka_unit_test(test_sim_unknown_mode_stops_strict_and_is_listed_lenient),
    };
    return cmocka_run_group_tests(tests, load_golden, free_golden);
}
