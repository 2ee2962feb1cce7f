/*
 * unit_dpu.c - DPU + DPU_RDMA: the post-processing pipeline
 *   input (conv accumulators, or MRDMA from memory in flying mode)
 *   -> BS (OW/CPEND, ALU, MUL, ReLU) -> BN (ALU, MUL, ReLU)
 *   -> EW (operand from register or ERDMA, its converter, ALU/MUL, ReLU)
 *   -> OUT_CVT (offset, scale, shift, rounding, saturation, fp32->fp16)
 *   -> WDMA to memory.
 * Stage order and every numeric rule: sim/SEMANTICS.md (D-* rules).
 * Work is done one channel plane at a time (whole H*W vectors).
 */
#include "sim_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct stage_cfg {
    bool bypass, alu_bypass, mul_bypass, prelu, relu_bypass, relux, alu_src_mem, mul_src_mem;
    uint32_t alu_algo;
    int32_t alu_operand;
    int32_t mul_operand; /* signed 16-bit */
    int shift_pos, shift_neg;
    int32_t relux_cmp;
    /* OW (BS only) */
    bool ow_active, ow_src_mem;
    int32_t ow_operand;
    /* per-channel data from BRDMA / NRDMA */
    uint32_t data_use; /* bit0 ALU, bit1 CPEND, bit2 MUL, bit3 TRT */
    const uint8_t *data;
    int group;         /* channels per data group: 8 RK3588, 4 RK3566 (inferred) */
    int data_channels; /* channels the data covers (ORIG_CHANNEL+1) */
} stage_cfg;

typedef struct dpu_cfg {
    int atom; /* 16 bytes RK3588, 8 RK3566 */
    bool flying;  /* main data from MRDMA instead of the conv */
    uint32_t output_mode;
    uint32_t out_prec, in_prec, proc_prec;
    int w, h, c;
    bool is_float;
    stage_cfg bs, bn;
    /* EW */
    bool ew_bypass, ew_op_bypass, ew_op_mul, ew_op_src_mem, ew_lut_bypass, ew_cvt_bypass,
        ew_relu_bypass, ew_relux, ew_prelu, ew_cvt_alu_first, ew_cvt_half_up;
    uint32_t ew_algo;
    int32_t ew_cvt_offset, ew_cvt_scale;
    int ew_cvt_shift, ew_truncate, ew_truncate_neg;
    int32_t ew_relux_cmp;
    int32_t ew_op_value;
    uint32_t erdma_mode, erdma_size; /* per channel / per pixel; element size code */
    uint32_t ew_addr;
    uint64_t ew_surf_bytes;
    /* OUT_CVT */
    int32_t out_offset;
    int32_t out_scale;
    int out_shift;
    bool out_alu_first, out_half_up, fp32tofp16;
    /* WDMA */
    uint32_t dst_addr;
    uint64_t dst_surf_bytes, dst_line_bytes;
    int ww, wh, wc;  /* WDMA cube (WDMA_SIZE_0/1), may reshape the DPU cube */
    bool reshaped;   /* WDMA cube != processing cube: atom-stream mapping */
} dpu_cfg;

static void read_stage(sim *s, stage_cfg *st, uint16_t cfg_reg, uint16_t alu_reg, uint16_t mul_reg,
                       uint16_t relux_reg, int shift_neg)
{
    uint32_t cfg = sim_reg(s, cfg_reg), mul = sim_reg(s, mul_reg);
    st->group = s->soc == RK_SOC_RK3566 ? 4 : 8;
    st->bypass = SIM_FLD(cfg, 0, 0);
    st->alu_bypass = SIM_FLD(cfg, 1, 1);
    st->mul_bypass = SIM_FLD(cfg, 4, 4);
    st->prelu = SIM_FLD(cfg, 5, 5);
    st->relu_bypass = SIM_FLD(cfg, 6, 6);
    st->relux = SIM_FLD(cfg, 7, 7);
    st->alu_src_mem = SIM_FLD(cfg, 8, 8);
    /* lite: ALU_ALGO at [3:2] (vendor BS_CFG 0x148 where RK3588 writes
     * 0x20140 for the same bias add; inferred) */
    st->alu_algo = s->soc == RK_SOC_RK3566 ? SIM_FLD(cfg, 3, 2) : SIM_FLD(cfg, 19, 16);
    st->alu_operand = (int32_t)sim_reg(s, alu_reg);
    st->mul_operand = (int16_t)SIM_FLD(mul, 31, 16);
    st->shift_pos = (int)SIM_FLD(mul, 13, 8);
    st->mul_src_mem = SIM_FLD(mul, 0, 0);
    st->shift_neg = shift_neg;
    st->relux_cmp = (int32_t)sim_reg(s, relux_reg);
}

static rk_status read_cfg(sim *s, dpu_cfg *d, uint32_t en, rk_err *e)
{
    rk_status st;
    uint32_t fm = sim_reg(s, R_DPU_FEATURE_MODE_CFG);
    uint32_t df = sim_reg(s, R_DPU_DATA_FORMAT);
    bool lite = s->soc == RK_SOC_RK3566;
    d->atom = lite ? 8 : 16;
    d->flying = SIM_FLD(fm, 0, 0);
    d->output_mode = SIM_FLD(fm, 2, 1);
    d->out_prec = SIM_FLD(df, 31, 29);
    d->in_prec = SIM_FLD(df, 28, 26);
    d->proc_prec = SIM_FLD(df, 2, 0);
    d->w = (int)SIM_FLD(sim_reg(s, R_DPU_DATA_CUBE_WIDTH), 12, 0) + 1;
    d->h = (int)SIM_FLD(sim_reg(s, R_DPU_DATA_CUBE_HEIGHT), 12, 0) + 1;
    d->c = (int)SIM_FLD(sim_reg(s, R_DPU_DATA_CUBE_CHANNEL), 12, 0) + 1;
    if (SIM_FLD(sim_reg(s, R_DPU_DATA_CUBE_HEIGHT), 24, 22))
        if ((st = sim_problem(s, e, "DPU_DATA_CUBE_HEIGHT.MINMAX_CTL = %u: min/max mode is not simulated",
                              SIM_FLD(sim_reg(s, R_DPU_DATA_CUBE_HEIGHT), 24, 22))))
            return st;
    bool pf = d->proc_prec == SIM_PREC_FP16 || d->proc_prec == SIM_PREC_FP32 || d->proc_prec == SIM_PREC_BF16;
    bool pi = d->proc_prec == SIM_PREC_INT8 || d->proc_prec == SIM_PREC_INT16;
    if (!pf && !pi)
        return sim_skip(s, e, "DPU_DATA_FORMAT.PROC_PRECISION = %u (%s) is not simulated", d->proc_prec,
                           sim_prec_name(d->proc_prec));
    d->is_float = pf;
    if (!sim_prec_c2(d->out_prec) || d->out_prec == SIM_PREC_BF16)
        return sim_skip(s, e, "DPU_DATA_FORMAT.OUT_PRECISION = %u (%s) is not simulated", d->out_prec,
                           sim_prec_name(d->out_prec));
    if (SIM_FLD(df, 3, 3))
        if ((st = sim_problem(s, e, "DPU_DATA_FORMAT.MC_SURF_OUT = 1 is not simulated")))
            return st;
    if (SIM_FLD(fm, 25, 25))
        return sim_skip(s, e, "DPU_FEATURE_MODE_CFG.NONALIGN = 1 (unaligned output, SURF_LEN %u) is not simulated",
                        SIM_FLD(fm, 24, 9));
    if (!lite && !(d->output_mode & 2))
        if ((st = sim_problem(s, e, "DPU_FEATURE_MODE_CFG.OUTPUT_MODE = %u: only output to memory (2) is "
                              "simulated", d->output_mode)))
            return st;

    read_stage(s, &d->bs, R_DPU_BS_CFG, R_DPU_BS_ALU_CFG, R_DPU_BS_MUL_CFG, R_DPU_BS_RELUX_CMP,
               (int)SIM_FLD(df, 9, 4));
    read_stage(s, &d->bn, R_DPU_BN_CFG, R_DPU_BN_ALU_CFG, R_DPU_BN_MUL_CFG, R_DPU_BN_RELUX_CMP,
               (int)SIM_FLD(df, 15, 10));
    uint32_t ow = sim_reg(s, R_DPU_BS_OW_CFG);
    d->bs.ow_active = !SIM_FLD(ow, 1, 1);
    d->bs.ow_src_mem = SIM_FLD(ow, 0, 0);
    d->bs.ow_operand = (int16_t)SIM_FLD(sim_reg(s, R_DPU_BS_OW_OP), 15, 0);
    d->bn.ow_active = false;

    uint32_t ew = sim_reg(s, R_DPU_EW_CFG);
    d->ew_bypass = SIM_FLD(ew, 0, 0);
    d->ew_op_bypass = SIM_FLD(ew, 1, 1);
    d->ew_op_mul = SIM_FLD(ew, 2, 2);
    d->ew_prelu = SIM_FLD(ew, 5, 5);
    d->ew_op_src_mem = SIM_FLD(ew, 6, 6);
    d->ew_lut_bypass = SIM_FLD(ew, 7, 7);
    d->ew_cvt_bypass = SIM_FLD(ew, 8, 8);
    d->ew_relu_bypass = SIM_FLD(ew, 9, 9);
    d->ew_relux = SIM_FLD(ew, 10, 10);
    d->ew_algo = lite ? SIM_FLD(ew, 4, 3) : SIM_FLD(ew, 19, 16); /* lite: 0x2d0 vs 0x420..2c0 (inferred) */
    d->ew_cvt_half_up = SIM_FLD(ew, 30, 30);
    d->ew_cvt_alu_first = SIM_FLD(ew, 31, 31);
    d->ew_cvt_offset = (int32_t)sim_reg(s, R_DPU_EW_CVT_OFFSET);
    uint32_t ews = sim_reg(s, R_DPU_EW_CVT_SCALE);
    d->ew_cvt_scale = (int16_t)SIM_FLD(ews, 15, 0);
    d->ew_cvt_shift = (int)SIM_FLD(ews, 21, 16);
    d->ew_truncate = (int)SIM_FLD(ews, 31, 22);
    d->ew_truncate_neg = (int)SIM_FLD(df, 25, 16);
    d->ew_relux_cmp = (int32_t)sim_reg(s, R_DPU_EW_RELUX_CMP);
    d->ew_op_value = (int32_t)sim_reg(s, R_DPU_EW_OP_VALUE_0);

    uint32_t ocs = sim_reg(s, R_DPU_OUT_CVT_SCALE), osh = sim_reg(s, R_DPU_OUT_CVT_SHIFT);
    d->out_offset = (int32_t)sim_reg(s, R_DPU_OUT_CVT_OFFSET);
    d->out_scale = (int16_t)SIM_FLD(ocs, 15, 0);
    d->fp32tofp16 = SIM_FLD(ocs, 16, 16);
    d->out_shift = (int)SIM_FLD(osh, 11, 0);
    d->out_half_up = SIM_FLD(osh, 30, 30);
    d->out_alu_first = SIM_FLD(osh, 31, 31);
    if (SIM_FLD(osh, 19, 12))
        if ((st = sim_problem(s, e, "DPU_OUT_CVT_SHIFT.MINUS_EXP = %u is not simulated", SIM_FLD(osh, 19, 12))))
            return st;

    d->dst_addr = sim_reg(s, R_DPU_DST_BASE_ADDR);
    /* Flying mode: the data stream is the DPU_RDMA cube (pp_human copies
     * 26x1 rows with a 26x26 DPU cube; inferred). */
    if (d->flying) {
        d->w = (int)SIM_FLD(sim_reg(s, R_RDMA_CUBE_WIDTH), 12, 0) + 1;
        d->h = (int)SIM_FLD(sim_reg(s, R_RDMA_CUBE_HEIGHT), 12, 0) + 1;
    }
    /* WDMA: the written cube is WDMA_SIZE_0/1 (W', H', C'); the DPU's
     * atoms stream out in (C1, H, W) order and are stored in the WDMA
     * cube's (C1', H', W') order.  Line stride = (W' + NOTCH_ADDR_0) atoms;
     * surface stride = DST_SURF_STRIDE, or SURFACE_ADD when the WDMA cube
     * reshapes the data.  Inferred from pp_human's Resize: a 24x24x64 phase
     * written as W'=1, H'=24, C'=1536 with notch 1 interleaves into a 48x48
     * map (pixel step 32 B, row step SURFACE_ADD = 1536 B); a 24x24 copy with
     * notch 2 lands in a 26x26 buffer (line 416 B, surface 10816 B). */
    uint32_t w0 = sim_reg(s, R_DPU_WDMA_SIZE_0), w1 = sim_reg(s, R_DPU_WDMA_SIZE_1);
    d->wc = (int)SIM_FLD(w0, 12, 0) + 1;
    d->wh = (int)SIM_FLD(w1, 28, 16) + 1;
    d->ww = (int)SIM_FLD(w1, 12, 0) + 1;
    if (lite || !s->written[R_DPU_WDMA_SIZE_1 >> 2]) {
        /* lite streams never write WDMA_SIZE: the data cube is written */
        d->wc = d->c;
        d->wh = d->h;
        d->ww = d->w;
    }
    uint32_t notch = sim_reg(s, R_DPU_DATA_CUBE_NOTCH_ADDR);
    uint32_t n0 = SIM_FLD(notch, 12, 0), n1 = SIM_FLD(notch, 28, 16);
    (void)n1; /* NOTCH_ADDR_1: meaning not pinned down (2 and 1 seen) */
    d->dst_line_bytes = ((uint64_t)d->ww + n0) * (uint64_t)d->atom;
    d->reshaped = d->ww != d->w || d->wh != d->h || d->wc != d->c;
    d->dst_surf_bytes = sim_reg(s, R_DPU_DST_SURF_STRIDE) & ~0xFu;
    if (d->reshaped)
        d->dst_surf_bytes = sim_reg(s, R_DPU_SURFACE_ADD) & ~0xFu;

    /* RDMA side: bias/scale data, EW operand. */
    bool rdma = (en & SIM_EN_DPU_RDMA) != 0;
    uint32_t bcfg = sim_reg(s, R_RDMA_BRDMA_CFG), ncfg = sim_reg(s, R_RDMA_NRDMA_CFG);
    d->bs.data_use = rdma ? SIM_FLD(bcfg, 4, 1) : 0;
    d->bn.data_use = rdma ? SIM_FLD(ncfg, 4, 1) : 0;
    uint32_t ecfg = sim_reg(s, R_RDMA_ERDMA_CFG);
    d->erdma_mode = SIM_FLD(ecfg, 31, 30);
    d->erdma_size = SIM_FLD(ecfg, 3, 2);
    if (lite && d->erdma_size == 0)
        d->erdma_size = 1; /* lite streams write 0 for the int8 operand (inferred) */
    uint32_t rfm = sim_reg(s, R_RDMA_FEATURE_MODE_CFG);
    bool comb_same = SIM_FLD(rfm, 8, 8);
    d->ew_addr = comb_same ? sim_reg(s, R_RDMA_SRC_BASE_ADDR) : sim_reg(s, R_RDMA_EW_BASE_ADDR);
    d->ew_surf_bytes = sim_reg(s, R_RDMA_EW_SURF_STRIDE) & ~0xFu;
    if (d->flying && !rdma)
        return sim_skip(s, e, "DPU flying mode (main data from MRDMA) with DPU_RDMA not enabled");
    if (!d->flying && !s->cube.i32 && !s->cube.f32)
        return sim_fail(s, e, RK_EINPUT, "DPU takes its data from the conv, but no conv ran in this task");
    return RK_OK;
}

/* Per-channel data of the BRDMA/NRDMA stream: groups of 8 channels, each
 * group [ALU int32 x8][CPEND int16 x8][MUL int16 x8][TRT x8] with only the
 * used items present (SEMANTICS.md D-BSDATA; vendor multiple_input_demo). */
static size_t group_bytes(uint32_t use, int grp)
{
    size_t g = (size_t)grp;
    return ((use & 1) ? 4 * g : 0u) + ((use & 2) ? 2 * g : 0u) + ((use & 4) ? 2 * g : 0u) +
           ((use & 8) ? 2 * g : 0u);
}

static int32_t chan_item(const stage_cfg *st, int c, int item)
{
    if (c >= st->data_channels)
        return 0; /* padding channels beyond ORIG_CHANNEL: no data is read */
    size_t g = group_bytes(st->data_use, st->group);
    const uint8_t *p = st->data + (size_t)(c / st->group) * g;
    int i = c % st->group;
    if (item == 0)
        return (int32_t)((uint32_t)p[4 * i] | ((uint32_t)p[4 * i + 1] << 8) |
                         ((uint32_t)p[4 * i + 2] << 16) | ((uint32_t)p[4 * i + 3] << 24));
    size_t off = (st->data_use & 1) ? 4 * (size_t)st->group : 0;
    if (item == 2 && (st->data_use & 2))
        off += 2 * (size_t)st->group;
    p += off + 2 * (size_t)i;
    return (int16_t)(p[0] | (p[1] << 8));
}

static rk_status map_stage_data(sim *s, stage_cfg *st, uint16_t addr_reg, const char *name, int c,
                                rk_err *e)
{
    if (st->bypass || !st->data_use)
        return RK_OK;
    if (st->data_use & 8)
        return sim_skip(s, e, "%s DATA_USE bit 3 (TRT) is not simulated", name);
    st->data_channels = c;
    uint64_t n = (uint64_t)((c + st->group - 1) / st->group) * group_bytes(st->data_use, st->group);
    if (st->data_use == 1)
        n = (uint64_t)c * 4; /* bias only: a plain int32 array (pp_human 2-channel: 8-byte buffer) */
    uint8_t *p;
    rk_status r = sim_dma(s, sim_reg(s, addr_reg), n, name, &p, e);
    st->data = p;
    return r;
}

/* One BS/BN stage on one channel plane of int64 values. */
static rk_status stage_int(sim *s, const stage_cfg *st, int c, int64_t *v, const int32_t *xsum, size_t n,
                           const char *name, rk_err *e)
{
    if (st->bypass)
        return RK_OK;
    if (st->ow_active && xsum) {
        int64_t ow = st->ow_src_mem ? ((st->data_use & 2) ? chan_item(st, c, 1) : 0) : st->ow_operand;
        if (ow)
            for (size_t i = 0; i < n; i++)
                v[i] += ow * xsum[i];
    }
    if (!st->alu_bypass) {
        int64_t op = st->alu_src_mem ? ((st->data_use & 1) ? chan_item(st, c, 0) : 0) : st->alu_operand;
        switch (st->alu_algo) {
        case 2:
            for (size_t i = 0; i < n; i++)
                v[i] += op;
            break;
        case 4:
            for (size_t i = 0; i < n; i++)
                v[i] -= op;
            break;
        case 0:
            for (size_t i = 0; i < n; i++)
                v[i] = v[i] > op ? v[i] : op;
            break;
        case 1:
            for (size_t i = 0; i < n; i++)
                v[i] = v[i] < op ? v[i] : op;
            break;
        default:
            return sim_skip(s, e, "DPU_%s_CFG.%s_ALU_ALGO = %u is not simulated (2 add, 4 minus; "
                               "0/1 max/min inferred)", name, name, st->alu_algo);
        }
    }
    if (!st->mul_bypass) {
        int64_t m = st->mul_src_mem ? ((st->data_use & 4) ? chan_item(st, c, 2) : 0) : st->mul_operand;
        for (size_t i = 0; i < n; i++) {
            if (st->prelu && v[i] >= 0)
                continue;
            int64_t p = v[i] * m;
            v[i] = sim_round_shift(p, p >= 0 ? st->shift_pos : st->shift_neg, true);
        }
    }
    if (!st->relu_bypass)
        for (size_t i = 0; i < n; i++)
            if (v[i] < 0)
                v[i] = 0;
    if (st->relux)
        for (size_t i = 0; i < n; i++)
            if (v[i] > st->relux_cmp)
                v[i] = st->relux_cmp;
    return RK_OK;
}

static int64_t read_elem(const uint8_t *p, uint32_t size_code)
{
    switch (size_code) {
    case 1: return (int8_t)p[0];
    case 2: return (int16_t)(p[0] | (p[1] << 8));
    case 3:
        return (int32_t)((uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
                         ((uint32_t)p[3] << 24));
    default: return 0;
    }
}

/* The EW stage, int path, on channel c. */
static rk_status ew_int(sim *s, const dpu_cfg *d, int c, int64_t *v, size_t n, const uint8_t *ew_base,
                        rk_err *e)
{
    if (d->ew_bypass)
        return RK_OK;
    if (!d->ew_op_bypass) {
        size_t esz = d->erdma_size == 1 ? 1 : d->erdma_size == 2 ? 2 : 4;
        int c2 = (int)((size_t)d->atom / esz);
        for (size_t i = 0; i < n; i++) {
            int64_t x;
            if (!d->ew_op_src_mem) {
                x = d->ew_op_value;
            } else if (d->erdma_mode == 1) {
                const uint8_t *p = ew_base + (uint64_t)(c / c2) * d->ew_surf_bytes + i * (uint64_t)d->atom +
                                   (uint64_t)(c % c2) * esz;
                x = read_elem(p, d->erdma_size);
            } else {
                x = read_elem(ew_base + (uint64_t)c * esz, d->erdma_size);
            }
            if (!d->ew_cvt_bypass) {
                int64_t t = d->ew_cvt_alu_first ? (x + d->ew_cvt_offset) * d->ew_cvt_scale
                                                : x * d->ew_cvt_scale;
                t = sim_round_shift(t, d->ew_cvt_shift, d->ew_cvt_half_up);
                x = d->ew_cvt_alu_first ? t : t + d->ew_cvt_offset;
            }
            if (d->ew_op_mul) {
                int64_t p = v[i] * x;
                v[i] = sim_round_shift(p, p >= 0 ? d->ew_truncate : d->ew_truncate_neg, true);
            } else {
                switch (d->ew_algo) {
                case 0: v[i] = v[i] > x ? v[i] : x; break;
                case 1: v[i] = v[i] < x ? v[i] : x; break;
                case 2: v[i] += x; break;
                case 4: v[i] -= x; break;
                default:
                    return sim_skip(s, e, "DPU_EW_CFG.EW_ALU_ALGO = %u is not simulated "
                                       "(0 max, 1 min, 2 add, 4 minus are)", d->ew_algo);
                }
            }
        }
    }
    if (!d->ew_lut_bypass)
        return sim_skip(s, e, "DPU_EW_CFG.EW_LUT_BYPASS = 0: the LUT is not simulated");
    if (!d->ew_relu_bypass)
        for (size_t i = 0; i < n; i++)
            if (v[i] < 0)
                v[i] = 0;
    if (d->ew_relux)
        for (size_t i = 0; i < n; i++)
            if (v[i] > d->ew_relux_cmp)
                v[i] = d->ew_relux_cmp;
    return RK_OK;
}

static int64_t sat_int(int64_t v, uint32_t prec)
{
    int64_t lo, hi;
    switch (prec) {
    case SIM_PREC_INT8: lo = -128; hi = 127; break;
    case SIM_PREC_INT16: lo = -32768; hi = 32767; break;
    default: lo = INT32_MIN; hi = INT32_MAX; break;
    }
    return v < lo ? lo : v > hi ? hi : v;
}

static void store_out(uint8_t *p, uint32_t prec, int64_t iv, float fv, bool is_float)
{
    switch (prec) {
    case SIM_PREC_INT8: p[0] = (uint8_t)(int8_t)iv; break;
    case SIM_PREC_INT16: {
        uint16_t u = (uint16_t)(int16_t)iv;
        p[0] = (uint8_t)u;
        p[1] = (uint8_t)(u >> 8);
        break;
    }
    case SIM_PREC_FP16: {
        uint16_t h = rk_f32_to_f16(is_float ? fv : (float)iv);
        p[0] = (uint8_t)h;
        p[1] = (uint8_t)(h >> 8);
        break;
    }
    case SIM_PREC_INT32: {
        uint32_t u = (uint32_t)(int32_t)iv;
        memcpy(p, &u, 4);
        break;
    }
    case SIM_PREC_FP32: {
        float f = is_float ? fv : (float)iv;
        memcpy(p, &f, 4);
        break;
    }
    default: break;
    }
}

/* Main data (flying mode) from MRDMA: NC1HWC2 cube at RDMA_SRC_BASE_ADDR. */
static rk_status mrdma_plane_setup(sim *s, const dpu_cfg *d, const uint8_t **base, uint64_t *surf,
                                   uint64_t *line, uint32_t *prec, rk_err *e)
{
    uint32_t rfm = sim_reg(s, R_RDMA_FEATURE_MODE_CFG);
    *prec = SIM_FLD(rfm, 17, 15);
    int c2 = sim_prec_c2(*prec) ? (int)((size_t)d->atom / sim_prec_bytes(*prec)) : 0;
    if (!c2 || *prec == SIM_PREC_BF16)
        return sim_skip(s, e, "DPU_RDMA_FEATURE_MODE_CFG.IN_PRECISION = %u (%s) is not simulated", *prec,
                           sim_prec_name(*prec));
    if (SIM_FLD(rfm, 4, 4))
        return sim_skip(s, e, "DPU flying mode with DPU_RDMA_FEATURE_MODE_CFG.MRDMA_DISABLE = 1");
    int rw = (int)SIM_FLD(sim_reg(s, R_RDMA_CUBE_WIDTH), 12, 0) + 1;
    int rh = (int)SIM_FLD(sim_reg(s, R_RDMA_CUBE_HEIGHT), 12, 0) + 1;
    int rc = (int)SIM_FLD(sim_reg(s, R_RDMA_CUBE_CHANNEL), 12, 0) + 1;
    if (rw != d->w || rh != d->h || rc < d->c)
        return sim_skip(s, e, "DPU_RDMA cube %dx%dx%d differs from the DPU cube %dx%dx%d", rw, rh, rc,
                           d->w, d->h, d->c);
    /* MRDMA line = (W + SRC_DMA_CFG.LINE_NOTCH_ADDR) atoms; SURF_NOTCH =
     * bytes from the end of the last line's data to the next surface (pp_human
     * edge copies into a 26x26 buffer: column W=1 notch 25 -> 416 B lines,
     * SURF_NOTCH 400; row W=26 H=1, SURF_NOTCH 10400; both give the 10816 B
     * surface; inferred) */
    uint32_t line_notch = SIM_FLD(sim_reg(s, R_RDMA_SRC_DMA_CFG), 31, 19);
    uint32_t sn = sim_reg(s, R_RDMA_SURF_NOTCH) & ~0xFu;
    *line = ((uint64_t)rw + line_notch) * (uint64_t)d->atom;
    *surf = sn ? (uint64_t)(rh - 1) * (*line) + (uint64_t)rw * d->atom + sn : (*line) * (uint64_t)rh;
    int c1 = (d->c + c2 - 1) / c2;
    uint64_t extent = (uint64_t)(c1 - 1) * (*surf) + (uint64_t)(rh - 1) * (*line) + (uint64_t)rw * (uint64_t)d->atom;
    uint8_t *p;
    rk_status st = sim_dma(s, sim_reg(s, R_RDMA_SRC_BASE_ADDR), extent, "DPU_RDMA_SRC_BASE_ADDR", &p, e);
    *base = p;
    return st;
}

/* The common int8 conv epilogue in one pass per channel (same arithmetic
 * as stage_int + OUT_CVT, fused so the compiler keeps it in registers):
 * BS (OW, ALU add, MUL) -> BN ReLU -> OUT_CVT -> int8 store. */
/* EW in the fast path: a per-pixel int8 operand from ERDMA through the
 * converter, ALU add (ConvAdd / ConvAddRelu), optional ReLU. */
static bool fast_ew_ok(const dpu_cfg *d)
{
    return !d->ew_op_bypass && d->ew_op_src_mem && d->erdma_mode == 1 && d->erdma_size == 1 && !d->ew_op_mul &&
           d->ew_algo == 2 && d->ew_lut_bypass && !d->ew_relux;
}

static bool fast_path_ok(const dpu_cfg *d)
{
    const stage_cfg *bs = &d->bs, *bn = &d->bn;
    if (d->flying || d->is_float || d->out_prec != SIM_PREC_INT8)
        return false;
    if (!d->ew_bypass && !fast_ew_ok(d))
        return false;
    if (!bs->bypass && (bs->prelu || bs->relux || (!bs->alu_bypass && bs->alu_algo != 2)))
        return false;
    if (!bn->bypass && (!bn->alu_bypass || !bn->mul_bypass || bn->relux))
        return false;
    return true;
}

static void fast_channel(const sim *s, const dpu_cfg *d, int c, size_t n, uint8_t *pl, const uint64_t *off,
                         const uint8_t *ew_base)
{
    const stage_cfg *bs = &d->bs;
    const int32_t *acc = s->cube.i32 + (size_t)c * n;
    const int32_t *xs = NULL;
    int64_t ow = 0, alu = 0, mul = 1;
    int sp = 0, sn = 0;
    bool do_mul = false;
    bool relu = (!bs->bypass && !bs->relu_bypass) || (!d->bn.bypass && !d->bn.relu_bypass);
    bool relu_bs_only = !bs->bypass && !bs->relu_bypass;
    (void)relu_bs_only;
    if (!bs->bypass) {
        if (bs->ow_active && s->cube.xsum) {
            ow = bs->ow_src_mem ? ((bs->data_use & 2) ? chan_item(bs, c, 1) : 0) : bs->ow_operand;
            xs = s->cube.xsum + (s->cube.xsum_per_channel ? (size_t)c * n : 0);
        }
        if (!bs->alu_bypass)
            alu = bs->alu_src_mem ? ((bs->data_use & 1) ? chan_item(bs, c, 0) : 0) : bs->alu_operand;
        if (!bs->mul_bypass) {
            do_mul = true;
            mul = bs->mul_src_mem ? ((bs->data_use & 4) ? chan_item(bs, c, 2) : 0) : bs->mul_operand;
            sp = bs->shift_pos;
            sn = bs->shift_neg;
        }
    }
    const int64_t sc = d->out_scale, ooff = d->out_offset;
    const int osh = d->out_shift;
    const bool hu = d->out_half_up, alu_first = d->out_alu_first;
    /* Branch-free rounding (same results as sim_round_shift): half up =
     * floor((p + h) / 2^s); half to even = floor((p + h - 1 + q0) / 2^s)
     * with q0 the lowest kept bit. */
    const int64_t hp = sp > 0 ? (int64_t)1 << (sp - 1) : 0, hn = sn > 0 ? (int64_t)1 << (sn - 1) : 0;
    const int64_t ho = osh > 0 ? (int64_t)1 << (osh - 1) : 0;
    const bool ew = !d->ew_bypass;
    const bool ew_relu = ew && !d->ew_relu_bypass;
    const int8_t *ep = NULL;
    int64_t eoff = d->ew_cvt_offset, esc = d->ew_cvt_scale;
    int esh = d->ew_cvt_shift;
    bool ecvt = ew && !d->ew_cvt_bypass, ealu_first = d->ew_cvt_alu_first, ehu = d->ew_cvt_half_up;
    if (ew) {
        int c2 = d->atom; /* int8 operand: atom bytes = channels per atom */
        ep = (const int8_t *)(ew_base + (uint64_t)(c / c2) * d->ew_surf_bytes + (uint64_t)(c % c2));
    }
    const size_t atom = (size_t)d->atom;
    for (size_t i = 0; i < n; i++) {
        int64_t v = (int64_t)acc[i] + alu;
        if (xs)
            v += ow * xs[i];
        if (do_mul) {
            int64_t p = v * mul;
            v = p >= 0 ? (sp > 0 ? (p + hp) >> sp : p << -sp) : (sn > 0 ? (p + hn) >> sn : p * ((int64_t)1 << -sn));
        }
        if (relu)
            v = v < 0 ? 0 : v;
        if (ew) {
            int64_t x = ep[i * atom];
            if (ecvt) {
                int64_t t = ealu_first ? (x + eoff) * esc : x * esc;
                t = sim_round_shift(t, esh, ehu);
                x = ealu_first ? t : t + eoff;
            }
            v += x;
            if (ew_relu)
                v = v < 0 ? 0 : v;
        }
        int64_t t = alu_first ? (v + ooff) * sc : v * sc;
        int64_t o;
        if (osh <= 0)
            o = t;
        else if (hu)
            o = (t + ho) >> osh;
        else
            o = (t + ho - 1 + ((t >> osh) & 1)) >> osh;
        if (!alu_first)
            o += ooff;
        o = o < -128 ? -128 : o > 127 ? 127 : o;
        pl[off[i]] = (uint8_t)(int8_t)o;
    }
}

rk_status sim_unit_dpu(sim *s, uint32_t en, rk_err *e)
{
    dpu_cfg d;
    memset(&d, 0, sizeof(d));
    rk_status st = read_cfg(s, &d, en, e);
    if (st)
        return st;
    if (s->skip_unit) {
        s->skip_unit = false;
        return RK_OK;
    }
    size_t n = (size_t)d.w * d.h;
    /* The DPU consumes the CORE output as a stream of pixels: a cube with
     * the same pixel count but another W/H is the same data (lite
     * OutputOperator tasks: CORE 1x1024, DPU 16x64; inferred). */
    if (!d.flying && (s->cube.c < d.c || (size_t)s->cube.h * s->cube.w != n))
        return sim_fail(s, e, RK_EINPUT,
                        "DPU cube %dx%dx%d (DPU_DATA_CUBE_*) does not match the CORE output %dx%dx%d "
                        "(CORE_DATAOUT_SIZE_*)", d.w, d.h, d.c, s->cube.w, s->cube.h, s->cube.c);
    if (!d.flying && s->cube.is_float != d.is_float)
        if ((st = sim_problem(s, e, "DPU PROC_PRECISION %s but the conv produced %s accumulators",
                              sim_prec_name(d.proc_prec), s->cube.is_float ? "fp32" : "int32")))
            return st;
    /* BRDMA/NRDMA read ORIG_CHANNEL+1 channels: pp_human's resize convs
     * (ORIG 16 of 64) ship 64-byte bias buffers (inferred) */
    int orig = (int)SIM_FLD(sim_reg(s, R_DPU_DATA_CUBE_CHANNEL), 28, 16) + 1;
    int dch = RK_MIN(d.c, orig);
    if ((st = map_stage_data(s, &d.bs, R_RDMA_BS_BASE_ADDR, "DPU_RDMA_BS_BASE_ADDR", dch, e)) ||
        (st = map_stage_data(s, &d.bn, R_RDMA_BN_BASE_ADDR, "DPU_RDMA_BN_BASE_ADDR", dch, e)))
        return st;
    const uint8_t *ew_base = NULL;
    if (!d.ew_bypass && !d.ew_op_bypass && d.ew_op_src_mem) {
        if (!(en & SIM_EN_DPU_RDMA) || SIM_FLD(sim_reg(s, R_RDMA_ERDMA_CFG), 0, 0))
            return sim_skip(s, e, "EW operand from memory but ERDMA is disabled");
        if (d.erdma_size == 0)
            return sim_skip(s, e, "DPU_RDMA_ERDMA_CFG.ERDMA_DATA_SIZE = 0 (4-bit) is not simulated");
        if (d.erdma_mode != 0 && d.erdma_mode != 1)
            return sim_skip(s, e, "DPU_RDMA_ERDMA_CFG.ERDMA_DATA_MODE = %u is not simulated", d.erdma_mode);
        size_t esz = d.erdma_size == 1 ? 1 : d.erdma_size == 2 ? 2 : 4;
        uint64_t ext;
        if (d.erdma_mode == 1) {
            int c2 = (int)((size_t)d.atom / esz);
            ext = (uint64_t)((d.c + c2 - 1) / c2 - 1) * d.ew_surf_bytes + n * (uint64_t)d.atom;
        } else {
            ext = (uint64_t)d.c * esz;
        }
        uint8_t *p;
        if ((st = sim_dma(s, d.ew_addr, ext, "DPU_RDMA_EW_BASE_ADDR", &p, e)))
            return st;
        ew_base = p;
    }
    const uint8_t *mr = NULL;
    uint64_t mr_surf = 0, mr_line = 0;
    uint32_t mr_prec = 0;
    if (d.flying && (st = mrdma_plane_setup(s, &d, &mr, &mr_surf, &mr_line, &mr_prec, e)))
        return st;
    if (s->skip_unit || (d.flying && !mr)) {
        s->skip_unit = false;
        return RK_OK; /* lenient: the problem was recorded; the task is skipped */
    }

    size_t obytes = sim_prec_bytes(d.out_prec);
    int oc2 = (int)((size_t)d.atom / obytes);
    int c1 = (d.c + oc2 - 1) / oc2;
    (void)c1;
    int wc1 = (d.wc + oc2 - 1) / oc2;
    if ((uint64_t)wc1 * d.wh * d.ww != (uint64_t)((d.c + oc2 - 1) / oc2) * d.h * d.w)
        return sim_skip(s, e, "DPU_WDMA_SIZE cube %dx%dx%d does not hold the %dx%dx%d data cube",
                        d.ww, d.wh, d.wc, d.w, d.h, d.c);
    uint64_t wext = (uint64_t)(wc1 - 1) * d.dst_surf_bytes + (uint64_t)(d.wh - 1) * d.dst_line_bytes +
                    (uint64_t)d.ww * (uint64_t)d.atom;
    uint8_t *dst;
    if ((st = sim_dma(s, d.dst_addr, wext, "DPU_DST_BASE_ADDR", &dst, e)))
        return st;
    if (d.is_float && (!d.bs.bypass || !d.bn.bypass || !d.ew_bypass))
        if ((st = sim_problem(s, e, "floating-point DPU with BS/BN/EW stages enabled is not simulated "
                              "(BS_CFG 0x%x, BN_CFG 0x%x, EW_CFG 0x%x)", sim_reg(s, R_DPU_BS_CFG),
                              sim_reg(s, R_DPU_BN_CFG), sim_reg(s, R_DPU_EW_CFG))))
            return st;
    if (d.is_float && (d.out_scale != 1 || d.out_shift != 0 || d.out_offset != 0))
        if ((st = sim_problem(s, e, "floating-point OUT_CVT with scale %d, shift %d, offset %d is not "
                              "simulated (only the identity 1/0/0)", d.out_scale, d.out_shift, d.out_offset)))
            return st;

    /* Byte offset of every (channel group, pixel) atom: the WDMA mapping
     * computed once per task, so the per-element loops stay simple. */
    int dc1 = (d.c + oc2 - 1) / oc2;
    uint64_t *off = malloc((size_t)dc1 * n * sizeof(uint64_t));
    if (!off)
        return rk_errf(e, RK_ENOMEM, "out of memory for the WDMA map");
    for (int g = 0; g < dc1; g++) {
        uint64_t *o = off + (size_t)g * n;
        if (!d.reshaped) {
            for (int y = 0; y < d.h; y++)
                for (int x = 0; x < d.w; x++)
                    o[(size_t)y * d.w + x] = (uint64_t)g * d.dst_surf_bytes + (uint64_t)y * d.dst_line_bytes +
                                             (uint64_t)x * d.atom;
        } else {
            uint64_t plane = (uint64_t)d.wh * d.ww;
            for (size_t i = 0; i < n; i++) {
                uint64_t a = (uint64_t)g * n + i, rem = a % plane;
                o[i] = (a / plane) * d.dst_surf_bytes + (rem / d.ww) * d.dst_line_bytes + (rem % d.ww) * d.atom;
            }
        }
    }
    if (fast_path_ok(&d)) {
        for (int c = 0; c < d.c; c++)
            fast_channel(s, &d, c, n, dst + (uint64_t)(c % oc2) * obytes, off + (size_t)(c / oc2) * n, ew_base);
        free(off);
        s->stats.dpu_elems += (uint64_t)n * d.c;
        s->cube.c = 0;
        s->skip_unit = false;
        return RK_OK;
    }
    int64_t *v = malloc(n * sizeof(int64_t));
    float *fv = malloc(n * sizeof(float));
    if (!v || !fv) {
        free(v);
        free(fv);
        free(off);
        return rk_errf(e, RK_ENOMEM, "out of memory for a DPU plane of %zu", n);
    }
    size_t mr_es = d.flying ? sim_prec_bytes(mr_prec) : 0;
    int mr_c2 = d.flying ? (int)((size_t)d.atom / mr_es) : 0;
    for (int c = 0; c < d.c && !st; c++) {
        /* input plane */
        if (!d.flying) {
            if (d.is_float) {
                const float *src = s->cube.f32 + (size_t)c * n;
                memcpy(fv, src, n * sizeof(float));
            } else {
                const int32_t *src = s->cube.i32 + (size_t)c * n;
                for (size_t i = 0; i < n; i++)
                    v[i] = src[i];
            }
        } else {
            const uint8_t *pl = mr + (uint64_t)(c / mr_c2) * mr_surf + (uint64_t)(c % mr_c2) * mr_es;
            for (int y = 0; y < d.h; y++)
                for (int x = 0; x < d.w; x++) {
                    const uint8_t *p = pl + (uint64_t)y * mr_line + (uint64_t)x * (uint64_t)d.atom;
                    size_t i = (size_t)y * d.w + x;
                    if (mr_prec == SIM_PREC_FP16) {
                        fv[i] = rk_f16_to_f32((uint16_t)(p[0] | (p[1] << 8)));
                    } else if (mr_prec == SIM_PREC_FP32) {
                        memcpy(&fv[i], p, 4);
                    } else {
                        v[i] = read_elem(p, mr_prec == SIM_PREC_INT8 ? 1 : mr_prec == SIM_PREC_INT16 ? 2 : 3);
                    }
                }
        }
        if (!d.is_float) {
            const int32_t *xs = NULL;
            if (!d.flying && s->cube.xsum)
                xs = s->cube.xsum + (s->cube.xsum_per_channel ? (size_t)c * n : 0);
            if ((st = stage_int(s, &d.bs, c, v, xs, n, "BS", e)) ||
                (st = stage_int(s, &d.bn, c, v, NULL, n, "BN", e)) ||
                (st = ew_int(s, &d, c, v, n, ew_base, e)))
                break;
            for (size_t i = 0; i < n; i++) {
                int64_t y = d.out_alu_first
                                ? sim_round_shift((v[i] + d.out_offset) * d.out_scale, d.out_shift, d.out_half_up)
                                : sim_round_shift(v[i] * d.out_scale, d.out_shift, d.out_half_up) + d.out_offset;
                v[i] = sat_int(y, d.out_prec);
            }
        } else if (d.out_prec == SIM_PREC_FP16 && !d.fp32tofp16 && d.atom == 16) {
            /* RK3588 sets FP32TOFP16_EN for fp16 outputs; lite streams
             * write OUT_CVT_SCALE = 1 without it (vendor) */
            if ((st = sim_problem(s, e, "fp16 output without DPU_OUT_CVT_SCALE.FP32TOFP16_EN")))
                break;
        }
        uint8_t *pl = dst + (uint64_t)(c % oc2) * obytes;
        const uint64_t *o = off + (size_t)(c / oc2) * n;
        if (!d.is_float && d.out_prec == SIM_PREC_INT8) {
            for (size_t i = 0; i < n; i++)
                pl[o[i]] = (uint8_t)(int8_t)v[i];
        } else {
            for (size_t i = 0; i < n; i++)
                store_out(pl + o[i], d.out_prec, v[i], fv[i], d.is_float);
        }
    }
    free(v);
    free(fv);
    free(off);
    s->stats.dpu_elems += (uint64_t)n * d.c;
    if (!d.flying) {
        /* The accumulators are consumed. */
        s->cube.c = 0;
    }
    s->skip_unit = false; /* a stage problem in lenient mode affects this task only */
    return st;
}
