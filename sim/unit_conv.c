/*
 * unit_conv.c - CNA + CORE: direct and depthwise convolution.
 *
 * Reads the feature cube and the weights through the CNA registers, and
 * leaves the CORE result (int32 accumulators for int8, fp32 for fp16/bf16)
 * in s->cube for the DPU, planar [channel][row*col].  Every layout rule
 * used here is listed with its source in sim/SEMANTICS.md (C-* rules).
 *
 * Speed: the direct convolution is im2col + OpenBLAS sgemm over whole tiles.
 * int8 products are at most 2^14 in magnitude, so a float sum of up to 1024
 * of them is an exact integer (< 2^24); the reduction dimension is cut into
 * chunks of at most 1024 and the chunks are added in int32, which makes the
 * int8 result bit-exact.  fp16 operands are exact in fp32 and the products
 * (22 significant bits) too; the fp32 accumulation order is not the
 * hardware's (unknown), see SEMANTICS.md C-ACC.
 */
#include "sim_internal.h"

/* Vectorise this file's loops with the dynamic cost model also at -O2: GCC
 * 12's -O2 (the RelWithDebInfo build CI and the README use) applies only
 * the "very cheap" model, which leaves every loop with a variable trip
 * count scalar; -O3 builds are unaffected.  (SEMANTICS.md, speed notes) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic")
#endif

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Everything the registers say about one conv task. */
typedef struct conv_cfg {
    uint32_t mode;       /* 0 direct, 3 depthwise */
    uint32_t in_prec, proc_prec;
    uint32_t argb;       /* 0 or 8..11 */
    bool group_line_off;
    int in_w, in_h, in_c_reg, in_c_real;
    int kw, kh, kernels;
    int stride_x, stride_y, dil_x, dil_y;
    int pad_top, pad_left;
    uint32_t pad_value;
    int out_w, out_h, out_c;
    uint32_t feat_addr, weight_addr;
    uint32_t line_stride, surf_stride;
    int truncate;
    bool truncate_half_up;
    size_t esize;        /* bytes per input element */
    int atom;            /* feature atom bytes: 16 RK3588, 8 RK3566 (inferred) */
    bool lite;
    bool cvt_on, cvt_add_first, cvt_half_up, data_unsigned; /* CNA input converter */
    int16_t cvt_scale[4], cvt_offset[4];
    int cvt_trunc[4];
} conv_cfg;

static rk_status read_cfg(sim *s, conv_cfg *c, rk_err *e)
{
    rk_status st;
    uint32_t con1 = sim_reg(s, R_CNA_CONV_CON1);
    uint32_t con3 = sim_reg(s, R_CNA_CONV_CON3);
    c->mode = SIM_FLD(con1, 3, 0);
    c->in_prec = SIM_FLD(con1, 6, 4);
    /* RK3566/68 ("lite") stores PROC_PRECISION one bit higher: its fp16
     * streams write 0xA220 where RK3588 writes 0xA120 (inferred, vendor). */
    c->proc_prec = s->soc == RK_SOC_RK3566 ? SIM_FLD(con1, 10, 8) : SIM_FLD(con1, 9, 7);
    c->argb = SIM_FLD(con1, 15, 12);
    c->group_line_off = SIM_FLD(con1, 29, 29);
    if (c->mode != 0 && c->mode != 3)
        return sim_skip(s, e, "CNA_CONV_CON1.CONV_MODE = %u: only 0 (direct) and 3 (depthwise) are "
                           "defined (TRM)", c->mode);
    if (SIM_FLD(con1, 16, 16))
        if ((st = sim_problem(s, e, "CNA_CONV_CON1.DECONV = 1: deconvolution is not simulated")))
            return st;
    if (c->in_prec != c->proc_prec ||
        (c->in_prec != SIM_PREC_INT8 && c->in_prec != SIM_PREC_FP16))
        return sim_skip(s, e, "CNA_CONV_CON1 IN_PRECISION=%u (%s), PROC_PRECISION=%u (%s): rksim "
                           "simulates int8 and fp16 convolutions", c->in_prec,
                           sim_prec_name(c->in_prec), c->proc_prec, sim_prec_name(c->proc_prec));
    if (c->argb && (c->argb < 8 || c->argb > 11))
        return sim_skip(s, e, "CNA_CONV_CON1.ARGB_IN = %u: defined values are 0 and 8..11 (TRM)",
                           c->argb);
    c->esize = sim_prec_bytes(c->in_prec);
    uint32_t ds0 = sim_reg(s, R_CNA_DATA_SIZE0), ds1 = sim_reg(s, R_CNA_DATA_SIZE1);
    c->in_w = (int)SIM_FLD(ds0, 26, 16);
    c->in_h = (int)SIM_FLD(ds0, 10, 0);
    c->in_c_reg = (int)SIM_FLD(ds1, 15, 0);
    /* DATAIN_CHANNEL_REAL: vendor streams hold only the low 6 bits of
     * real-1 (240 channels: 0x2F; 128: 0x3F; 2 of 16: 0x1), so the real
     * count is the largest value <= DATAIN_CHANNEL congruent to field+1
     * mod 64 (inferred from pp_human / multiple_input / dual_residual). */
    {
        int field = (int)SIM_FLD(ds1, 29, 16) + 1, ch = (int)SIM_FLD(ds1, 15, 0);
        c->in_c_real = field;
        if (field <= ch && field <= 64)
            c->in_c_real = ch - ((ch - field) % 64);
    }
    uint32_t ws2 = sim_reg(s, R_CNA_WEIGHT_SIZE2);
    c->kw = (int)SIM_FLD(ws2, 28, 24);
    c->kh = (int)SIM_FLD(ws2, 20, 16);
    c->kernels = (int)SIM_FLD(ws2, 13, 0);
    c->stride_x = (int)SIM_FLD(con3, 2, 0);
    c->stride_y = (int)SIM_FLD(con3, 5, 3);
    uint32_t dx = SIM_FLD(con3, 20, 16), dy = SIM_FLD(con3, 25, 21);
    c->dil_x = dx ? (int)dx : 1; /* inferred: 0 and 1 both mean no dilation */
    c->dil_y = dy ? (int)dy : 1;
    if (SIM_FLD(con3, 13, 8))
        if ((st = sim_problem(s, e, "CNA_CONV_CON3.DECONV_X/Y_STRIDE = 0x%x: deconvolution is not simulated",
                              SIM_FLD(con3, 13, 8))))
            return st;
    uint32_t pad0 = sim_reg(s, R_CNA_PAD_CON0);
    c->pad_top = (int)SIM_FLD(pad0, 3, 0);
    c->pad_left = (int)SIM_FLD(pad0, 7, 4);
    /* lite streams never write PAD_CON1; PAD_CON0[31:16] holds the pad value
     * (0xFF800011 = pad -128, top 1, left 1: the zero point of the int8
     * input, so only borders differ; confirmed by multiple_input RK3566) */
    c->pad_value = s->soc == RK_SOC_RK3566 ? (uint32_t)(int32_t)(int16_t)SIM_FLD(pad0, 31, 16)
                                          : sim_reg(s, R_CNA_PAD_CON1);
    /* lite: the CORE registers sit one slot lower (0x3010 holds the output
     * H-1/W-1, 0x3014 C-1: 0x00090009 / 0x7 for a 10x10x8 fp16 conv) */
    uint16_t r_o0 = s->soc == RK_SOC_RK3566 ? R_CORE_MISC_CFG : R_CORE_DATAOUT_SIZE_0;
    uint16_t r_o1 = s->soc == RK_SOC_RK3566 ? R_CORE_DATAOUT_SIZE_0 : R_CORE_DATAOUT_SIZE_1;
    uint32_t o0 = sim_reg(s, r_o0);
    c->out_h = (int)SIM_FLD(o0, 31, 16) + 1;
    c->out_w = (int)SIM_FLD(o0, 15, 0) + 1;
    c->out_c = (int)SIM_FLD(sim_reg(s, r_o1), 15, 0) + 1;
    c->atom = s->soc == RK_SOC_RK3566 ? 8 : 16;
    c->feat_addr = sim_reg(s, R_CNA_FEATURE_DATA_ADDR);
    c->weight_addr = sim_reg(s, R_CNA_DCOMP_ADDR0);
    c->line_stride = SIM_FLD(sim_reg(s, R_CNA_DMA_CON1), 27, 0);
    c->surf_stride = SIM_FLD(sim_reg(s, R_CNA_DMA_CON2), 27, 0);
    uint32_t clip = sim_reg(s, R_CORE_CLIP_TRUNCATE);
    c->truncate = s->soc == RK_SOC_RK3566 ? 0 : (int)SIM_FLD(clip, 4, 0);
    c->lite = s->soc == RK_SOC_RK3566;
    c->truncate_half_up = SIM_FLD(clip, 6, 6);
    if (s->soc == RK_SOC_RK3588) {
        uint32_t misc = sim_reg(s, R_CORE_MISC_CFG);
        if (SIM_FLD(misc, 10, 8) != c->proc_prec)
            if ((st = sim_problem(s, e, "CORE_MISC_CFG.PROC_PRECISION = %u but CNA_CONV_CON1.PROC_PRECISION = %u",
                                  SIM_FLD(misc, 10, 8), c->proc_prec)))
                return st;
        if (SIM_FLD(misc, 1, 1) != (c->mode == 3))
            if ((st = sim_problem(s, e, "CORE_MISC_CFG.DW_EN = %u disagrees with CNA CONV_MODE %u",
                                  SIM_FLD(misc, 1, 1), c->mode)))
                return st;
    }
    uint32_t cvt = sim_reg(s, R_CNA_CVT_CON0);
    /* RK3588: bit 0 is CVT_BYPASS (TRM; vendor writes 0xB with identity
     * parameters).  RK3566: bit 0 set only on the uint8-input first layers,
     * with (u - 128) * 2^14 >> 14 programmed: read as "converter enabled"
     * (inferred).  DATA_SIGN (bit 3) 0 = unsigned input bytes. */
    c->cvt_on = s->soc == RK_SOC_RK3566 ? SIM_FLD(cvt, 0, 0) : !SIM_FLD(cvt, 0, 0);
    c->data_unsigned = s->soc == RK_SOC_RK3566 && c->cvt_on && !SIM_FLD(cvt, 3, 3);
    if (c->cvt_on) {
        /* CNA input converter, per channel 0..3 (CVT_CON1..4): x' =
         * rshift((x + offset) * scale, truncate) with CVT_TYPE 1 (add first),
         * rshift(x * scale, truncate) + offset with 0 (TRM field names;
         * order/rounding inferred).  RK3566 fp16 streams enable it with the
         * identity (scale 1, offset 0), which is all the float path allows. */
        c->cvt_add_first = SIM_FLD(cvt, 1, 1);
        c->cvt_half_up = SIM_FLD(cvt, 2, 2);
        for (int i = 0; i < 4; i++) {
            uint32_t r = sim_reg(s, (uint16_t)(R_CNA_CVT_CON1 + 4 * i));
            c->cvt_scale[i] = (int16_t)SIM_FLD(r, 31, 16);
            c->cvt_offset[i] = (int16_t)SIM_FLD(r, 15, 0);
            c->cvt_trunc[i] = (int)SIM_FLD(cvt, 9 + 6 * i, 4 + 6 * i);
            bool ident = c->cvt_scale[i] == 1 && c->cvt_offset[i] == 0 && c->cvt_trunc[i] == 0;
            if (c->in_prec != SIM_PREC_INT8 && !ident)
                if ((st = sim_problem(s, e, "CNA_CVT_CON%d = 0x%08x with a float input: only the identity "
                                      "converter is simulated", i + 1, r)))
                    return st;
        }
    }
    if (c->argb)
        c->in_c_real = (int)c->argb - 7;
    if (c->in_w <= 0 || c->in_h <= 0 || c->kw <= 0 || c->kh <= 0 || c->kernels <= 0 ||
        c->stride_x <= 0 || c->stride_y <= 0 || c->in_c_reg <= 0)
        return sim_fail(s, e, RK_EINPUT,
                        "conv registers describe an empty problem: input %dx%dx%d, kernel %dx%dx%d, "
                        "stride %dx%d (CNA_DATA_SIZE0/1, CNA_WEIGHT_SIZE2, CNA_CONV_CON3)",
                        c->in_w, c->in_h, c->in_c_reg, c->kw, c->kh, c->kernels, c->stride_x,
                        c->stride_y);
    if (c->in_c_real > c->in_c_reg)
        return sim_fail(s, e, RK_EINPUT, "CNA_DATA_SIZE1: DATAIN_CHANNEL_REAL+1 = %d exceeds DATAIN_CHANNEL = %d",
                        c->in_c_real, c->in_c_reg);
    if (c->mode == 3 && c->kernels != 1 && c->kernels != c->in_c_reg && c->kernels != c->in_c_real)
        if ((st = sim_problem(s, e, "depthwise conv with %d kernels for %d input channels", c->kernels,
                              c->in_c_reg)))
            return st;
    return RK_OK;
}

/* Byte layout of the input feature cube (SEMANTICS.md C-FEAT-*). */
typedef struct feat_layout {
    uint64_t line_bytes, surf_bytes, pixel_bytes;
    int c2;
} feat_layout;

static void feature_layout(const conv_cfg *c, feat_layout *fl)
{
    if (c->argb) {
        int nch = (int)c->argb - 7;
        fl->c2 = nch;
        fl->pixel_bytes = (uint64_t)nch * c->esize;
        if (c->lite) /* lite: LINE_STRIDE in 8-byte units (int8 3ch W=128: 0x30) */
            fl->line_bytes = (uint64_t)c->line_stride * 8;
        else /* rows 16-pixel aligned (vendor dual_residual fp16 W=10: 96 B/row) */
            fl->line_bytes = (uint64_t)RK_ALIGN_UP(c->in_w, 16) * fl->pixel_bytes;
        fl->surf_bytes = fl->line_bytes * (uint64_t)c->in_h;
    } else if (c->lite) {
        /* lite: 8-byte atoms, LINE/SURF_STRIDE in 8-byte units (8x1024 int8:
         * 0x8 / 0x2000) */
        fl->c2 = (int)(8 / c->esize);
        fl->pixel_bytes = 8;
        fl->line_bytes = (uint64_t)c->line_stride * 8;
        fl->surf_bytes = (uint64_t)c->surf_stride * 8;
    } else if (c->group_line_off) {
        fl->c2 = (int)(16 / c->esize);
        fl->pixel_bytes = 16;
        fl->line_bytes = (uint64_t)c->line_stride * 16;
        fl->surf_bytes = ((uint64_t)c->surf_stride + c->line_stride - 1) * 16;
    } else {
        fl->c2 = (int)(16 / c->esize);
        fl->pixel_bytes = 16;
        fl->line_bytes = (uint64_t)c->line_stride * 4;
        fl->surf_bytes = ((uint64_t)c->surf_stride + c->line_stride) * 16;
    }
}

/* The padded input planes X[c][Hp][Wp] the kernels read.  Plain int8
 * feature data stays int8 (exact, a quarter of the memory; rows are widened
 * to float where a kernel reads them); fp16 data and the CNA converter's
 * outputs (which can leave the int8 range) are float.  Exactly one of
 * i8 / f32 is set. */
typedef struct in_planes {
    int8_t *i8;
    float *f32;
    int hp, wp;
} in_planes;

/* n values from element `off` of the planes, `step` apart, as float. */
static inline void planes_read(const in_planes *x, size_t off, int n, int step, float *dst)
{
    if (x->i8) {
        const int8_t *src = x->i8 + off;
        if (step == 1)
            for (int i = 0; i < n; i++)
                dst[i] = (float)src[i];
        else
            for (int i = 0; i < n; i++)
                dst[i] = (float)src[(size_t)i * step];
    } else {
        const float *src = x->f32 + off;
        if (step == 1)
            memcpy(dst, src, (size_t)n * sizeof(float));
        else
            for (int i = 0; i < n; i++)
                dst[i] = src[(size_t)i * step];
    }
}

/* load_input for plain int8 data: each atom is read once and its channels
 * are spread over their planes (the per-channel gather reads every atom
 * c2 times with a 16-byte stride). */
static void load_int8_grouped(const conv_cfg *c, const feat_layout *fl, const uint8_t *base, int hp, int wp,
                              int8_t padv, int8_t *x)
{
    size_t plane = (size_t)hp * (size_t)wp;
    memset(x, (uint8_t)padv, plane * (size_t)c->in_c_real);
    int wn = RK_MIN(c->in_w, wp - c->pad_left);
    for (int g = 0; g * fl->c2 < c->in_c_real; g++) {
        int kn = RK_MIN(fl->c2, c->in_c_real - g * fl->c2);
        int8_t *xg = x + (size_t)g * fl->c2 * plane;
        for (int h = 0; h < c->in_h; h++) {
            int yy = h + c->pad_top;
            if (yy >= hp)
                break;
            const uint8_t *row = base + (uint64_t)g * fl->surf_bytes + (uint64_t)h * fl->line_bytes;
            int8_t *dst = xg + (size_t)yy * wp + c->pad_left;
            int w0 = 0;
            if (kn == 16 && fl->pixel_bytes == 16) /* whole atoms: 16 pixels per transpose */
                for (; w0 + 16 <= wn; w0 += 16)
                    sim_transpose16_u8(row + (size_t)w0 * 16, 16, (uint8_t *)dst + w0, plane);
            for (int k = 0; k < kn; k++) {
                int8_t *dk = dst + (size_t)k * plane;
                for (int w = w0; w < wn; w++)
                    dk[w] = (int8_t)row[(uint64_t)w * fl->pixel_bytes + (uint64_t)k];
            }
        }
    }
}

/* Whether the input planes of this conv are int8 (see in_planes). */
static bool in_planes_int8(const conv_cfg *c)
{
    return c->in_prec == SIM_PREC_INT8 && !c->cvt_on;
}

/* Gather the real input channels into zero-offset padded planes
 * X[c][Hp][Wp] (pad cells hold the pad value), into x->i8 or x->f32. */
static rk_status load_input(sim *s, const conv_cfg *c, const in_planes *x, rk_err *e)
{
    int hp = x->hp, wp = x->wp;
    feat_layout fl;
    feature_layout(c, &fl);
    int c1 = (c->in_c_real + fl.c2 - 1) / fl.c2;
    uint64_t extent = (uint64_t)(c1 - 1) * fl.surf_bytes + (uint64_t)(c->in_h - 1) * fl.line_bytes +
                      (uint64_t)c->in_w * fl.pixel_bytes;
    uint8_t *base;
    rk_status st = sim_dma(s, c->feat_addr, extent, "CNA_FEATURE_DATA_ADDR", &base, e);
    if (st)
        return st;
    if (x->i8) {
        load_int8_grouped(c, &fl, base, hp, wp, (int8_t)(c->pad_value & 0xFF), x->i8);
        return RK_OK;
    }
    float padv;
    if (c->in_prec == SIM_PREC_INT8)
        padv = (float)(int8_t)(c->pad_value & 0xFF);
    else
        padv = rk_f16_to_f32((uint16_t)(c->pad_value & 0xFFFF));
    size_t plane = (size_t)hp * (size_t)wp;
    for (int ch = 0; ch < c->in_c_real; ch++) {
        float *xp = x->f32 + (size_t)ch * plane;
        for (size_t i = 0; i < plane; i++)
            xp[i] = padv;
        const uint8_t *sp = base + (uint64_t)(ch / fl.c2) * fl.surf_bytes + (uint64_t)(ch % fl.c2) * c->esize;
        for (int h = 0; h < c->in_h; h++) {
            int yy = h + c->pad_top;
            if (yy >= hp)
                break;
            const uint8_t *row = sp + (uint64_t)h * fl.line_bytes;
            float *dst = xp + (size_t)yy * wp + c->pad_left;
            int wn = RK_MIN(c->in_w, wp - c->pad_left);
            if (c->in_prec == SIM_PREC_INT8 && c->cvt_on) {
                int k = RK_MIN(ch, 3);
                for (int w = 0; w < wn; w++) {
                    uint8_t b = row[(uint64_t)w * fl.pixel_bytes];
                    int64_t v = c->data_unsigned ? (int64_t)b : (int64_t)(int8_t)b;
                    v = c->cvt_add_first
                            ? sim_round_shift((v + c->cvt_offset[k]) * c->cvt_scale[k], c->cvt_trunc[k], c->cvt_half_up)
                            : sim_round_shift(v * c->cvt_scale[k], c->cvt_trunc[k], c->cvt_half_up) + c->cvt_offset[k];
                    dst[w] = (float)v;
                }
            } else if (c->in_prec == SIM_PREC_INT8) {
                for (int w = 0; w < wn; w++)
                    dst[w] = (float)(int8_t)row[(uint64_t)w * fl.pixel_bytes];
            } else {
                for (int w = 0; w < wn; w++) {
                    const uint8_t *p = row + (uint64_t)w * fl.pixel_bytes;
                    dst[w] = rk_f16_to_f32((uint16_t)(p[0] | (p[1] << 8)));
                }
            }
        }
    }
    return RK_OK;
}

/* Weight group sizes (SEMANTICS.md C-WT-*): kernels per group and input
 * channels per group of the native weight layout. */
static void weight_groups(const sim *s, const conv_cfg *c, int *co_grp, int *ci_grp)
{
    bool fp = c->in_prec != SIM_PREC_INT8;
    if (s->soc == RK_SOC_RK3566)
        *co_grp = fp ? 8 : 16;
    else
        *co_grp = fp ? 16 : 32;
    *ci_grp = fp && s->soc == RK_SOC_RK3566 ? 16 : 32;
}

static float weight_value(const conv_cfg *c, const uint8_t *p)
{
    if (c->in_prec == SIM_PREC_INT8)
        return (float)(int8_t)p[0];
    return rk_f16_to_f32((uint16_t)(p[0] | (p[1] << 8)));
}

/* Direct conv weights -> W[k][ci][ky][kx] (float), from the native layout
 * [co1][ci1][kh][kw][co2][ci2] with partial last groups. */
static rk_status load_weights_direct(sim *s, const conv_cfg *c, float *w, rk_err *e)
{
    int co_grp, ci_grp;
    weight_groups(s, c, &co_grp, &ci_grp);
    int cin = c->in_c_reg; /* weights are laid out for the aligned channel count */
    uint64_t total = (uint64_t)c->kernels * (uint64_t)cin * (uint64_t)c->kh * (uint64_t)c->kw * c->esize;
    uint32_t addr = c->weight_addr;
    if (SIM_FLD(sim_reg(s, R_CNA_CBUF_CON0), 13, 13) && s->have_weights)
        addr = s->last_weight_addr; /* WEIGHT_REUSE: CBUF still holds them */
    uint8_t *base;
    rk_status st = sim_dma(s, addr, total, "CNA_DCOMP_ADDR0 (weights)", &base, e);
    if (st)
        return st;
    s->last_weight_addr = addr;
    s->last_weight_bytes = (uint32_t)total;
    s->have_weights = true;
    int taps = c->kh * c->kw;
    uint64_t off = 0;
    for (int k0 = 0; k0 < c->kernels; k0 += co_grp) {
        int kn = RK_MIN(co_grp, c->kernels - k0);
        for (int i0 = 0; i0 < cin; i0 += ci_grp) {
            int in = RK_MIN(ci_grp, cin - i0);
            if (c->in_prec == SIM_PREC_INT8) {
                /* the same walk without per-element tests: `real` of each
                 * group's `in` channels are kept */
                int real = RK_MAX(0, RK_MIN(in, c->in_c_real - i0));
                for (int t = 0; t < taps; t++)
                    for (int k = 0; k < kn; k++) {
                        const int8_t *src = (const int8_t *)(base + off);
                        off += (uint64_t)in;
                        if (!real)
                            continue;
                        float *dst = w + ((size_t)(k0 + k) * c->in_c_real + i0) * taps + t;
                        for (int i = 0; i < real; i++)
                            dst[(size_t)i * taps] = (float)src[i];
                    }
                continue;
            }
            for (int t = 0; t < taps; t++)
                for (int k = 0; k < kn; k++)
                    for (int i = 0; i < in; i++) {
                        int ci = i0 + i;
                        if (ci < c->in_c_real)
                            w[(((size_t)(k0 + k) * c->in_c_real + ci) * taps) + t] =
                                weight_value(c, base + off);
                        off += c->esize;
                    }
        }
    }
    return RK_OK;
}

/* Depthwise weights -> W[c][ky][kx] from [c1][kh][kw][c2], c2 = 64 int8
 * channels (32 fp16) or fewer for the last group. */
static rk_status load_weights_dw(sim *s, const conv_cfg *c, float *w, rk_err *e)
{
    int grp = (c->in_prec == SIM_PREC_INT8 ? 64 : 32) / (c->lite ? 2 : 1); /* lite: assumed */
    int ch = c->in_c_reg;
    int taps = c->kh * c->kw;
    uint64_t total = (uint64_t)ch * (uint64_t)taps * c->esize;
    uint8_t *base;
    rk_status st = sim_dma(s, c->weight_addr, total, "CNA_DCOMP_ADDR0 (weights)", &base, e);
    if (st)
        return st;
    uint64_t off = 0;
    for (int c0 = 0; c0 < ch; c0 += grp) {
        int cn = RK_MIN(grp, ch - c0);
        for (int t = 0; t < taps; t++)
            for (int i = 0; i < cn; i++) {
                if (c0 + i < c->in_c_real)
                    w[(size_t)(c0 + i) * taps + t] = weight_value(c, base + off);
                off += c->esize;
            }
    }
    return RK_OK;
}

/* Grow-only work space; the old contents are not kept (every task
 * rewrites what it uses), so growing is free + malloc, not realloc. */
static rk_status grow(float **p, size_t *cap, size_t n, rk_err *e)
{
    if (n <= *cap)
        return RK_OK;
    free(*p);
    *cap = 0;
    *p = malloc(n * sizeof(float));
    if (!*p)
        return rk_errf(e, RK_ENOMEM, "out of memory (%zu floats for conv staging)", n);
    *cap = n;
    return RK_OK;
}

/* Tiling of a direct conv (see conv_direct). */
typedef struct direct_plan {
    int red;           /* reduction length: real input channels x taps */
    int krows;         /* kernels + a row of ones (int8: window sums) */
    int chunk;         /* reduction rows per sgemm */
    int rows_per_tile; /* output rows per sgemm */
    size_t w_floats, col_floats, res_floats, band_floats;
} direct_plan;

/* Input rows one output row tile of a direct conv reads. */
static int band_rows(const conv_cfg *c, int ny)
{
    return (ny - 1) * c->stride_y + (c->kh - 1) * c->dil_y + 1;
}

/* wp: padded input row length; int8 planes need a float band (im2col) */
static void plan_direct(const conv_cfg *c, int wp, bool x_i8, direct_plan *p)
{
    bool is_int = c->in_prec == SIM_PREC_INT8;
    p->red = c->in_c_real * c->kh * c->kw;
    p->krows = c->kernels + (is_int ? 1 : 0);
    /* reduction chunks of <= 1024 keep int8 sums exact in fp32 */
    p->chunk = is_int ? RK_MIN(1024, p->red) : p->red;
    /* ~512 KB column tiles stay in L2, avoid first-touch page faults and
     * keep the peak memory low; the result tile (krows x pixels) and
     * OpenBLAS's packed copy of the column tile are held to the same bound,
     * which matters for small reductions (first layer: 27 rows, 65 kernels) */
    size_t tile_rows_max = (size_t)RK_MAX(p->chunk, p->krows);
    p->rows_per_tile = (int)RK_MAX(1, (128u << 10) / (tile_rows_max * (size_t)c->out_w));
    p->rows_per_tile = RK_MIN(p->rows_per_tile, c->out_h);
    size_t tile_pix = (size_t)p->rows_per_tile * c->out_w;
    p->w_floats = (size_t)p->krows * p->red;
    p->col_floats = (size_t)p->chunk * tile_pix;
    p->res_floats = (size_t)p->krows * tile_pix;
    p->band_floats = x_i8 ? (size_t)band_rows(c, p->rows_per_tile) * (size_t)wp : 0;
}

/* im2col rows [r0, r0+nr) of the reduction dimension (ci, ky, kx) for
 * output rows [oy0, oy0+ny). col is [nr][ny*ow].  int8 planes: the rows of
 * the tile's band of each channel are widened to float once into `band`
 * (band_rows(ny) x wp floats), not once per tap. */
static void im2col(const conv_cfg *c, const in_planes *x, int r0, int nr, int oy0, int ny, float *col, float *band)
{
    int taps = c->kh * c->kw, wp = x->wp;
    size_t npix = (size_t)ny * c->out_w;
    int y0 = oy0 * c->stride_y, span = band_rows(c, ny);
    int cur = -1;
    const float *src_plane = NULL; /* row y0 of channel ci */
    for (int r = 0; r < nr; r++) {
        int rr = r0 + r;
        int ci = rr / taps, t = rr % taps;
        int ky = t / c->kw, kx = t % c->kw;
        if (ci != cur) {
            size_t first = ((size_t)ci * x->hp + (size_t)y0) * wp;
            if (x->i8) {
                const int8_t *s8 = x->i8 + first;
                for (size_t i = 0; i < (size_t)span * wp; i++)
                    band[i] = (float)s8[i];
                src_plane = band;
            } else {
                src_plane = x->f32 + first;
            }
            cur = ci;
        }
        float *dst = col + (size_t)r * npix;
        for (int oy = 0; oy < ny; oy++) {
            const float *src = src_plane + (size_t)(oy * c->stride_y + ky * c->dil_y) * wp + (size_t)kx * c->dil_x;
            float *d = dst + (size_t)oy * c->out_w;
            if (c->stride_x == 1)
                memcpy(d, src, (size_t)c->out_w * sizeof(float));
            else
                for (int ox = 0; ox < c->out_w; ox++)
                    d[ox] = src[(size_t)ox * c->stride_x];
        }
    }
}

/* One row of an int8 sgemm result (exact integers in float) into int32:
 * stored for the first reduction chunk, added for the others. */
static void take_int_row(const float *rp, int32_t *dp, int np, bool first)
{
    if (first)
        for (int p = 0; p < np; p++)
            dp[p] = (int32_t)rp[p];
    else
        for (int p = 0; p < np; p++)
            dp[p] += (int32_t)rp[p];
}

/* Direct conv: im2col + sgemm per (output row tile, reduction chunk); the
 * int8 chunk sums are exact in fp32 and are added in int32.  work holds
 * plan->w_floats + col_floats + res_floats + band_floats. */
static rk_status conv_direct(sim *s, const conv_cfg *c, const in_planes *x, const direct_plan *pl, float *work,
                             rk_err *e)
{
    bool is_int = c->in_prec == SIM_PREC_INT8;
    int red = pl->red, krows = pl->krows, chunk = pl->chunk;
    float *wm = work, *col = work + pl->w_floats, *res = col + pl->col_floats, *band = res + pl->res_floats;
    memset(wm, 0, pl->w_floats * sizeof(float));
    rk_status st = load_weights_direct(s, c, wm, e);
    if (st)
        return st;
    if (is_int)
        for (int r = 0; r < red; r++)
            wm[(size_t)c->kernels * red + r] = 1.0f;
    int npix_total = c->out_h * c->out_w;
    sim_cube *cb = &s->cube;
    if ((st = sim_cube_reserve(cb, c->out_c, c->out_h, c->out_w, !is_int, is_int, false, e)))
        return st;
    /* the first chunk stores, later ones add; channels beyond the kernels
     * (padding to the aligned DATAOUT_CHANNEL) are zero */
    int kout = RK_MIN(c->kernels, c->out_c);
    size_t zero_from = (size_t)kout * npix_total, zero_n = (size_t)(c->out_c - kout) * npix_total;
    if (is_int)
        memset(cb->i32 + zero_from, 0, zero_n * sizeof(int32_t));
    else
        memset(cb->f32 + zero_from, 0, zero_n * sizeof(float));
    for (int oy0 = 0; oy0 < c->out_h; oy0 += pl->rows_per_tile) {
        int ny = RK_MIN(pl->rows_per_tile, c->out_h - oy0);
        int np = ny * c->out_w;
        for (int r0 = 0; r0 < red; r0 += chunk) {
            int nr = RK_MIN(chunk, red - r0);
            bool first = r0 == 0;
            im2col(c, x, r0, nr, oy0, ny, col, band);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, krows, np, nr, 1.0f, wm + r0, red, col, np,
                        0.0f, res, np);
            for (int k = 0; k < kout; k++) {
                const float *rp = res + (size_t)k * np;
                if (is_int) {
                    take_int_row(rp, cb->i32 + (size_t)k * npix_total + (size_t)oy0 * c->out_w, np, first);
                } else {
                    float *dp = cb->f32 + (size_t)k * npix_total + (size_t)oy0 * c->out_w;
                    if (first) /* 0 + x as before: a -0 sum reaches the DPU as +0 */
                        for (int p = 0; p < np; p++)
                            dp[p] = 0.0f + rp[p];
                    else
                        for (int p = 0; p < np; p++)
                            dp[p] += rp[p];
                }
            }
            if (is_int)
                take_int_row(res + (size_t)c->kernels * np, cb->xsum + (size_t)oy0 * c->out_w, np, first);
        }
    }
    s->stats.macs += (uint64_t)npix_total * (uint64_t)c->kernels * (uint64_t)red;
    return RK_OK;
}

/* int8 depthwise, one output row at a time: every tap adds a shifted input
 * row times its weight into row accumulators (vectorisable).  Exact: the
 * int8 products are at most 2^14 and fewer than 1024 taps keep every sum
 * below 2^24, so float addition in any order gives the integer result.
 * work: 2 * out_w + wp floats (accumulators, window sums, one input row). */
static void depthwise_int_rows(sim *s, const conv_cfg *c, const in_planes *x, const float *wts, int nch,
                               float *work)
{
    int ow = c->out_w, np = c->out_h * c->out_w;
    float *acc = work, *xs = acc + ow, *rowf = xs + ow;
    int row_n = (ow - 1) * c->stride_x + (c->kw - 1) * c->dil_x + 1;
    sim_cube *cb = &s->cube;
    for (int ch = 0; ch < nch; ch++) {
        size_t plane = (size_t)ch * x->hp * x->wp;
        const float *wk = wts + (size_t)ch * c->kh * c->kw;
        for (int oy = 0; oy < c->out_h; oy++) {
            memset(acc, 0, 2 * (size_t)ow * sizeof(float));
            for (int ky = 0; ky < c->kh; ky++) {
                planes_read(x, plane + (size_t)(oy * c->stride_y + ky * c->dil_y) * x->wp, row_n, 1, rowf);
                for (int kx = 0; kx < c->kw; kx++) {
                    const float *src = rowf + (size_t)kx * c->dil_x;
                    float w = wk[ky * c->kw + kx];
                    if (c->stride_x == 1) {
                        for (int ox = 0; ox < ow; ox++) {
                            acc[ox] += src[ox] * w;
                            xs[ox] += src[ox];
                        }
                    } else {
                        for (int ox = 0; ox < ow; ox++) {
                            float v = src[(size_t)ox * c->stride_x];
                            acc[ox] += v * w;
                            xs[ox] += v;
                        }
                    }
                }
            }
            size_t o = (size_t)ch * np + (size_t)oy * ow;
            for (int ox = 0; ox < ow; ox++) {
                cb->i32[o + ox] = (int32_t)acc[ox];
                cb->xsum[o + ox] = (int32_t)xs[ox];
            }
        }
    }
}

static size_t depthwise_work_floats(const conv_cfg *c, int wp)
{
    return (size_t)c->in_c_reg * c->kh * c->kw + 2 * (size_t)c->out_w + (size_t)wp;
}

/* work: depthwise_work_floats() floats (weights, then the row buffers) */
static rk_status conv_depthwise(sim *s, const conv_cfg *c, const in_planes *x, float *work, rk_err *e)
{
    bool is_int = c->in_prec == SIM_PREC_INT8;
    int taps = c->kh * c->kw;
    float *wts = work;
    memset(wts, 0, (size_t)c->in_c_reg * taps * sizeof(float));
    rk_status st = load_weights_dw(s, c, wts, e);
    if (st)
        return st;
    int np = c->out_h * c->out_w;
    sim_cube *cb = &s->cube;
    if ((st = sim_cube_reserve(cb, c->out_c, c->out_h, c->out_w, !is_int, is_int, true, e)))
        return st;
    if (is_int) {
        memset(cb->i32, 0, (size_t)c->out_c * np * sizeof(int32_t));
        memset(cb->xsum, 0, (size_t)c->out_c * np * sizeof(int32_t));
    } else {
        memset(cb->f32, 0, (size_t)c->out_c * np * sizeof(float));
    }
    int nch = RK_MIN(c->in_c_real, c->out_c);
    if (is_int && taps < 1024) {
        depthwise_int_rows(s, c, x, wts, nch, work + (size_t)c->in_c_reg * taps);
        s->stats.macs += (uint64_t)np * (uint64_t)nch * (uint64_t)taps;
        return RK_OK;
    }
    for (int ch = 0; ch < nch; ch++) {
        size_t plane = (size_t)ch * x->hp * x->wp;
        const float *wk = wts + (size_t)ch * taps;
        for (int oy = 0; oy < c->out_h; oy++)
            for (int ox = 0; ox < c->out_w; ox++) {
                double acc = 0, xs = 0;
                for (int ky = 0; ky < c->kh; ky++) {
                    size_t row = plane + (size_t)(oy * c->stride_y + ky * c->dil_y) * x->wp +
                                 (size_t)ox * c->stride_x;
                    for (int kx = 0; kx < c->kw; kx++) {
                        size_t i = row + (size_t)kx * c->dil_x;
                        float v = x->i8 ? (float)x->i8[i] : x->f32[i];
                        acc += (double)v * wk[ky * c->kw + kx];
                        xs += v;
                    }
                }
                size_t o = (size_t)ch * np + (size_t)oy * c->out_w + ox;
                if (is_int) {
                    cb->i32[o] = (int32_t)acc;
                    cb->xsum[o] = (int32_t)xs;
                } else {
                    cb->f32[o] = (float)acc;
                }
            }
    }
    s->stats.macs += (uint64_t)np * (uint64_t)nch * (uint64_t)taps;
    return RK_OK;
}

rk_status sim_unit_conv(sim *s, uint32_t en, rk_err *e)
{
    conv_cfg c;
    memset(&c, 0, sizeof(c));
    rk_status st = read_cfg(s, &c, e);
    if (st)
        return st;
    if (s->skip_unit) {
        s->skip_unit = false;
        return RK_OK;
    }
    /* Padded plane: enough rows/cols for every output position. */
    int need_h = (c.out_h - 1) * c.stride_y + (c.kh - 1) * c.dil_y + 1;
    int need_w = (c.out_w - 1) * c.stride_x + (c.kw - 1) * c.dil_x + 1;
    in_planes x = {NULL, NULL, RK_MAX(need_h, c.in_h + c.pad_top), RK_MAX(need_w, c.in_w + c.pad_left)};
    size_t xn = (size_t)c.in_c_real * (size_t)x.hp * (size_t)x.wp;
    bool x_i8 = in_planes_int8(&c);
    size_t x_floats = x_i8 ? (xn + sizeof(float) - 1) / sizeof(float) : xn;
    /* One work area per task, sized for this task's weights, tiles and
     * input planes together: the largest such sum over the model, not the
     * sum of each buffer's own maximum (peak memory). */
    direct_plan plan = {0};
    size_t work_floats;
    if (c.mode == 3) {
        work_floats = depthwise_work_floats(&c, x.wp);
    } else {
        plan_direct(&c, x.wp, x_i8, &plan);
        work_floats = plan.w_floats + plan.col_floats + plan.res_floats + plan.band_floats;
    }
    if ((st = grow(&s->scratch_f, &s->scratch_cap, work_floats + x_floats, e)))
        return rk_err_wrap(e, "conv work space for a %dx%dx%d input plane", c.in_c_real, x.hp, x.wp);
    float *work = s->scratch_f;
    if (x_i8)
        x.i8 = (int8_t *)(void *)(work + work_floats);
    else
        x.f32 = work + work_floats;
    if ((st = load_input(s, &c, &x, e)))
        return st;
    if (c.mode == 3)
        st = conv_depthwise(s, &c, &x, work, e);
    else
        st = conv_direct(s, &c, &x, &plan, work, e);
    if (st)
        return st;
    if (c.truncate && !s->cube.is_float) {
        size_t n = (size_t)s->cube.c * s->cube.h * s->cube.w;
        for (size_t i = 0; i < n; i++)
            s->cube.i32[i] = (int32_t)sim_round_shift(s->cube.i32[i], c.truncate, c.truncate_half_up);
    }
    return RK_OK;
}
