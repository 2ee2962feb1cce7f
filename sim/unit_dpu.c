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
    d->dst_surf_bytes = sim_reg(s, R_DPU_DST_SURF_STRIDE) & ~0xFu;
    uint32_t notch = sim_reg(s, R_DPU_DATA_CUBE_NOTCH_ADDR);
    d->dst_line_bytes = ((uint64_t)d->w + SIM_FLD(notch, 12, 0)) * (uint64_t)d->atom;

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
    uint32_t line_notch = SIM_FLD(sim_reg(s, R_RDMA_SRC_DMA_CFG), 31, 19);
    *line = ((uint64_t)rw + line_notch) * (uint64_t)d->atom;
    /* SURF_NOTCH, when set, equals the surface stride in every vendor
     * stream seen (0x9000 for 48x48 int8); otherwise surfaces are dense
     * (SEMANTICS.md D-MRDMA, inferred). */
    uint32_t sn = sim_reg(s, R_RDMA_SURF_NOTCH) & ~0xFu;
    *surf = sn ? sn : (*line) * (uint64_t)rh;
    int c1 = (d->c + c2 - 1) / c2;
    uint64_t extent = (uint64_t)(c1 - 1) * (*surf) + (uint64_t)(rh - 1) * (*line) + (uint64_t)rw * (uint64_t)d->atom;
    uint8_t *p;
    rk_status st = sim_dma(s, sim_reg(s, R_RDMA_SRC_BASE_ADDR), extent, "DPU_RDMA_SRC_BASE_ADDR", &p, e);
    *base = p;
    return st;
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
    uint64_t wext = (uint64_t)(c1 - 1) * d.dst_surf_bytes + (uint64_t)(d.h - 1) * d.dst_line_bytes +
                    (uint64_t)d.w * (uint64_t)d.atom;
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

    int64_t *v = malloc(n * sizeof(int64_t));
    float *fv = malloc(n * sizeof(float));
    if (!v || !fv) {
        free(v);
        free(fv);
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
        uint8_t *pl = dst + (uint64_t)(c / oc2) * d.dst_surf_bytes + (uint64_t)(c % oc2) * obytes;
        for (int y = 0; y < d.h; y++) {
            uint8_t *row = pl + (uint64_t)y * d.dst_line_bytes;
            for (int x = 0; x < d.w; x++) {
                size_t i = (size_t)y * d.w + x;
                store_out(row + (uint64_t)x * (uint64_t)d.atom, d.out_prec, v[i], fv[i], d.is_float);
            }
        }
    }
    free(v);
    free(fv);
    s->stats.dpu_elems += (uint64_t)n * d.c;
    if (!d.flying) {
        /* The accumulators are consumed. */
        s->cube.c = 0;
    }
    s->skip_unit = false; /* a stage problem in lenient mode affects this task only */
    return st;
}
