/*
 * unit_dpu.c - DPU + DPU_RDMA: the post-processing pipeline
 *   input (conv accumulators, or MRDMA from memory in flying mode)
 *   -> BS (OW/CPEND, ALU, MUL, ReLU) -> BN (ALU, MUL, ReLU)
 *   -> EW (operand from register or ERDMA, its converter, ALU/MUL, ReLU)
 *   -> OUT_CVT (offset, scale, shift, rounding, saturation, fp32->fp16)
 *   -> WDMA to memory.
 * Stage order and every numeric rule: sim/SEMANTICS.md (D-* rules).
 * Work is done one channel plane at a time (whole H*W vectors).
 *   -> LUT (LE/LO tables, inside the EW stage; D-LUT, inferred).
 * Speed: the common int8 conv epilogue (fast path) runs as one branch-free
 * loop into a contiguous int8 buffer that the compiler vectorises
 * (epi_block, built for x86-64-v4/v3 with a baseline fallback), then one
 * store pass; NONALIGN and flying outputs take the general per-stage path.
 */
#include "sim_internal.h"

/* Vectorise this file's loops with the dynamic cost model also at -O2: GCC
 * 12's -O2 (the RelWithDebInfo build CI and the README use) applies only
 * the "very cheap" model, which leaves every loop with a variable trip
 * count scalar; -O3 builds are unaffected.  (SEMANTICS.md, speed notes) */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("tree-vectorize", "vect-cost-model=dynamic")
#endif

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

/* One LUT table's range and out-of-range slopes (D-LUT). */
typedef struct lut_side {
    int64_t start, end;
    int sel;                /* index select: bits of (x - start) below the index */
    int64_t uflow_scale, oflow_scale;
    int uflow_shift, oflow_shift;
    const int16_t *t;
    uint32_t n;             /* entries loaded */
} lut_side;

typedef struct lut_cfg {
    lut_side le, lo;
    bool hybrid_lo, oflow_lo, uflow_lo; /* priorities: true = LO table */
} lut_cfg;

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
    int ew_data_channels; /* per-channel operand (mode 0): entries read, as D-BSCH */
    lut_cfg lut;
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
    bool nonalign;   /* FEATURE_MODE_CFG.NONALIGN: pixels of c packed channels */
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

rk_status sim_lut_access(sim *s, uint16_t reg, uint32_t value, rk_err *e)
{
    if (reg == R_DPU_LUT_ACCESS_CFG) {
        s->lut_write = SIM_FLD(value, 17, 17);
        s->lut_table = (int)SIM_FLD(value, 16, 16);
        s->lut_addr = SIM_FLD(value, 9, 0);
        return RK_OK;
    }
    /* Access type read: the write does not change the RAM (inferred: every
     * vendor DPU task writes LUT_ACCESS_CFG 0 then LUT_ACCESS_DATA 0). */
    if (!s->lut_write)
        return RK_OK;
    if (s->lut_addr >= SIM_LUT_ENTRIES)
        return sim_fail(s, e, RK_EINPUT, "DPU_LUT_ACCESS_DATA: %s table address %u is beyond the %d entries "
                        "(LUT_ADDR is 10 bits)", s->lut_table ? "LO" : "LE", s->lut_addr, SIM_LUT_ENTRIES);
    if (value > 0xFFFFu)
        return sim_fail(s, e, RK_EINPUT, "DPU_LUT_ACCESS_DATA = 0x%x sets reserved bits [31:16]", value);
    s->lut[s->lut_table][s->lut_addr] = (int16_t)(uint16_t)value;
    s->lut_addr++;
    if (s->lut_addr > s->lut_n[s->lut_table])
        s->lut_n[s->lut_table] = s->lut_addr;
    return RK_OK;
}

static void read_lut_side(sim *s, lut_side *side, int id, uint16_t start, uint16_t end, uint16_t scale,
                          uint16_t shift, int sel)
{
    uint32_t sc = sim_reg(s, scale), sh = sim_reg(s, shift);
    side->start = (int32_t)sim_reg(s, start);
    side->end = (int32_t)sim_reg(s, end);
    side->sel = sel;
    side->oflow_scale = (int16_t)SIM_FLD(sc, 31, 16);
    side->uflow_scale = (int16_t)SIM_FLD(sc, 15, 0);
    side->oflow_shift = (int)SIM_FLD(sh, 9, 5);
    side->uflow_shift = (int)SIM_FLD(sh, 4, 0);
    side->t = s->lut[id];
    side->n = s->lut_n[id];
}

/* LUT configuration (TRM field names; semantics D-LUT, inferred). */
static rk_status read_lut(sim *s, lut_cfg *l, rk_err *e)
{
    uint32_t cfg = sim_reg(s, R_DPU_LUT_CFG), info = sim_reg(s, R_DPU_LUT_INFO);
    if (SIM_FLD(cfg, 1, 1) || SIM_FLD(cfg, 0, 0) || SIM_FLD(cfg, 7, 7))
        return sim_skip(s, e, "DPU_LUT_CFG = 0x%x: LUT_EXPAND_EN / LUT_ROAD_SEL / LUT_CAL_SEL are not simulated",
                        cfg);
    uint32_t mux = SIM_FLD(cfg, 3, 2);
    if (mux != 0 && mux != 2)
        return sim_skip(s, e, "DPU_LUT_CFG.LUT_LO_LE_MUX = %u is not simulated (0 and 2 are, with no effect)", mux);
    l->hybrid_lo = SIM_FLD(cfg, 6, 6);
    l->oflow_lo = SIM_FLD(cfg, 5, 5);
    l->uflow_lo = SIM_FLD(cfg, 4, 4);
    int le_sel = (int)SIM_FLD(info, 15, 8), lo_sel = (int)SIM_FLD(info, 23, 16);
    if (le_sel > 31 || lo_sel > 31)
        return sim_skip(s, e, "DPU_LUT_INFO index select LE %d / LO %d: more than 31 fraction bits is not "
                           "simulated", le_sel, lo_sel);
    read_lut_side(s, &l->le, 0, R_DPU_LUT_LE_START, R_DPU_LUT_LE_END, R_DPU_LUT_LE_SLOPE_SCALE,
                  R_DPU_LUT_LE_SLOPE_SHIFT, le_sel);
    read_lut_side(s, &l->lo, 1, R_DPU_LUT_LO_START, R_DPU_LUT_LO_END, R_DPU_LUT_LO_SLOPE_SCALE,
                  R_DPU_LUT_LO_SLOPE_SHIFT, lo_sel);
    if (l->le.n < 2 || l->lo.n < 2)
        return sim_skip(s, e, "the LUT is enabled but only %u LE / %u LO entries were loaded (LUT_ACCESS_DATA)",
                        l->le.n, l->lo.n);
    return RK_OK;
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
    /* NONALIGN (D-NONALIGN, inferred from the lite OutputOperator float
     * copies): every pixel's c channels are stored packed (c * element
     * bytes, not rounded up to atoms), pixels in (H, W) order, one surface.
     * SURF_LEN is not used (65408 and 128 seen; its unit is unknown). */
    d->nonalign = SIM_FLD(fm, 25, 25);
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
    if (!d->ew_bypass && !d->ew_lut_bypass && (st = read_lut(s, &d->lut, e)))
        return st;

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
    if (d->nonalign && d->reshaped)
        return sim_skip(s, e, "DPU_FEATURE_MODE_CFG.NONALIGN = 1 with a reshaping WDMA cube %dx%dx%d is not "
                           "simulated", d->ww, d->wh, d->wc);
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

/* fp32 value of a 32-bit register or data word holding fp32 bits. */
static float f32_bits(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof(f));
    return f;
}

/* A BS/BN stage of a floating-point DPU (D-FPSTAGE / D-FPDATA).  Register
 * operands: ALU = fp32 bits of *_ALU_CFG, MUL = fp16 in *_MUL_CFG[31:16]
 * (inferred from the lite OutputOperator dequantisation tasks: 0xc1a00000 =
 * -20.0 = -zero_point, 0x4424 = 4.1406 = the output scale).  Per-channel
 * BRDMA/NRDMA data: the ALU slot holds fp32 bits, the MUL slot fp16 bits
 * (inferred by analogy with the register operands).  PReLU multiplies the
 * negative values only (as the int path).  Arithmetic in fp32, one rounding
 * per operation, no intermediate fp16 rounding (assumed); the shifts of the
 * int MUL are ignored.  OW/CPEND (an int zero-point correction) is refused. */
static rk_status stage_float(sim *s, const stage_cfg *st, int c, float *v, size_t n, const char *name,
                             rk_err *e)
{
    if (st->bypass)
        return RK_OK;
    if (st->ow_active || (st->data_use & 2))
        return sim_skip(s, e, "floating-point DPU %s stage with OW/CPEND is not simulated", name);
    if (!st->alu_bypass) {
        uint32_t bits = st->alu_src_mem ? ((st->data_use & 1) ? (uint32_t)chan_item(st, c, 0) : 0u)
                                        : (uint32_t)st->alu_operand;
        float op = f32_bits(bits);
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
            return sim_skip(s, e, "DPU_%s_CFG.%s_ALU_ALGO = %u is not simulated", name, name, st->alu_algo);
        }
    }
    if (!st->mul_bypass) {
        uint16_t mb = st->mul_src_mem ? ((st->data_use & 4) ? (uint16_t)chan_item(st, c, 2) : 0u)
                                      : (uint16_t)st->mul_operand;
        float m = rk_f16_to_f32(mb);
        for (size_t i = 0; i < n; i++)
            if (!st->prelu || v[i] < 0)
                v[i] *= m;
    }
    if (!st->relu_bypass)
        for (size_t i = 0; i < n; i++)
            v[i] = v[i] < 0 ? 0 : v[i];
    if (st->relux) {
        float cmp = f32_bits((uint32_t)st->relux_cmp);
        for (size_t i = 0; i < n; i++)
            v[i] = v[i] > cmp ? cmp : v[i];
    }
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

/* Where x falls relative to one table: -1 under, 0 inside, 1 over. */
static int lut_where(const lut_side *t, int64_t x)
{
    return x < t->start ? -1 : x > t->end ? 1 : 0;
}

/* One table's value at x (D-LUT): inside, linear interpolation between
 * entries idx and idx+1 with idx = (x - start) >> sel and the low sel bits
 * as fraction; below start, entry 0 plus the underflow slope times
 * (x - start); above end, the last loaded entry plus the overflow slope
 * times (x - end).  Products are shifted right rounding half up
 * (assumed).  Fails when the index leaves the loaded entries. */
static bool lut_side_value(const lut_side *t, int64_t x, int64_t *y)
{
    int w = lut_where(t, x);
    if (w < 0) {
        *y = t->t[0] + sim_round_shift((x - t->start) * t->uflow_scale, t->uflow_shift, true);
        return true;
    }
    if (w > 0) {
        *y = t->t[t->n - 1] + sim_round_shift((x - t->end) * t->oflow_scale, t->oflow_shift, true);
        return true;
    }
    uint64_t off = (uint64_t)(x - t->start);
    uint64_t idx = off >> t->sel;
    int64_t frac = (int64_t)(off & (((uint64_t)1 << t->sel) - 1));
    if (idx + 1 >= t->n) {
        if (idx + 1 == t->n && frac == 0) {
            *y = t->t[idx];
            return true;
        }
        return false;
    }
    int64_t a = t->t[idx], b = t->t[idx + 1];
    *y = a + sim_round_shift((b - a) * frac, t->sel, true);
    return true;
}

/* The LUT on a plane of int values.  Table choice (D-LUT, inferred from
 * the TRM's priority fields and NVDLA's SDP LUT): a value inside exactly
 * one table's [start, end] uses it; inside both, LUT_HYBRID_PRIORITY picks;
 * under both starts, LUT_UFLOW_PRIORITY; over both ends,
 * LUT_OFLOW_PRIORITY; under one and over the other, LUT_HYBRID_PRIORITY. */
static rk_status lut_apply(sim *s, const lut_cfg *l, int64_t *v, size_t n, rk_err *e)
{
    for (size_t i = 0; i < n; i++) {
        int64_t x = v[i];
        int wl = lut_where(&l->le, x), wo = lut_where(&l->lo, x);
        bool use_lo;
        if (wl == 0 && wo != 0)
            use_lo = false;
        else if (wo == 0 && wl != 0)
            use_lo = true;
        else if (wl < 0 && wo < 0)
            use_lo = l->uflow_lo;
        else if (wl > 0 && wo > 0)
            use_lo = l->oflow_lo;
        else
            use_lo = l->hybrid_lo;
        const lut_side *t = use_lo ? &l->lo : &l->le;
        if (!lut_side_value(t, x, &v[i]))
            return sim_skip(s, e, "LUT %s: input %lld indexes past the %u loaded entries (start %lld, end %lld, "
                               "index select %d)", use_lo ? "LO" : "LE", (long long)x, t->n,
                            (long long)t->start, (long long)t->end, t->sel);
    }
    return RK_OK;
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
                x = c < d->ew_data_channels ? read_elem(ew_base + (uint64_t)c * esz, d->erdma_size) : 0;
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
    if (!d->ew_lut_bypass) {
        rk_status st = lut_apply(s, &d->lut, v, n, e);
        if (st || s->skip_unit)
            return st;
    }
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

/* The EW stage of a floating-point DPU on channel c (D-FPEW, inferred /
 * assumed): the operand is EW_OP_VALUE_0 as fp32 bits, or from ERDMA per
 * pixel (DATA_MODE 1, NC1HWC2) or per channel (DATA_MODE 0) with
 * ERDMA_DATA_SIZE 2 = fp16, 3 = fp32 elements; then ALU (0 max, 1 min, 2 add,
 * 4 minus) or MUL (EW_OP_TYPE 1, no truncation), ReLU, ReLUx (RELUX_CMP as
 * fp32 bits), all in fp32.  The operand converter, the LUT, 8-bit operands
 * and EW PReLU are refused in float mode. */
static rk_status ew_float(sim *s, const dpu_cfg *d, int c, float *v, size_t n, const uint8_t *ew_base,
                          rk_err *e)
{
    if (d->ew_bypass)
        return RK_OK;
    if (!d->ew_lut_bypass || d->ew_prelu)
        return sim_skip(s, e, "floating-point DPU EW stage with the LUT or EW PReLU is not simulated "
                           "(EW_CFG 0x%x)", sim_reg(s, R_DPU_EW_CFG));
    if (!d->ew_op_bypass) {
        if (!d->ew_cvt_bypass)
            return sim_skip(s, e, "floating-point DPU EW operand converter (EW_OP_CVT_BYPASS = 0) is not "
                               "simulated");
        if (d->ew_op_src_mem && d->erdma_size != 2 && d->erdma_size != 3)
            return sim_skip(s, e, "floating-point DPU EW operand of ERDMA_DATA_SIZE %u is not simulated "
                               "(2 = fp16, 3 = fp32 are)", d->erdma_size);
        if (!d->ew_op_mul && d->ew_algo != 0 && d->ew_algo != 1 && d->ew_algo != 2 && d->ew_algo != 4)
            return sim_skip(s, e, "DPU_EW_CFG.EW_ALU_ALGO = %u is not simulated (0 max, 1 min, 2 add, 4 minus "
                               "are)", d->ew_algo);
        size_t esz = d->erdma_size == 2 ? 2 : 4;
        int c2 = (int)((size_t)d->atom / esz);
        float reg_op = f32_bits((uint32_t)d->ew_op_value);
        for (size_t i = 0; i < n; i++) {
            float x = reg_op;
            if (d->ew_op_src_mem && d->erdma_mode != 1 && c >= d->ew_data_channels) {
                x = 0.0f; /* padding channel: no operand is read */
            } else if (d->ew_op_src_mem) {
                const uint8_t *p = d->erdma_mode == 1
                                       ? ew_base + (uint64_t)(c / c2) * d->ew_surf_bytes + i * (uint64_t)d->atom +
                                             (uint64_t)(c % c2) * esz
                                       : ew_base + (uint64_t)c * esz;
                if (esz == 2)
                    x = rk_f16_to_f32((uint16_t)(p[0] | (p[1] << 8)));
                else
                    memcpy(&x, p, 4);
            }
            if (d->ew_op_mul) {
                v[i] *= x;
                continue;
            }
            switch (d->ew_algo) {
            case 0: v[i] = v[i] > x ? v[i] : x; break;
            case 1: v[i] = v[i] < x ? v[i] : x; break;
            case 2: v[i] += x; break;
            default: v[i] -= x; break;
            }
        }
    }
    if (!d->ew_relu_bypass)
        for (size_t i = 0; i < n; i++)
            v[i] = v[i] < 0 ? 0 : v[i];
    if (d->ew_relux) {
        float cmp = f32_bits((uint32_t)d->ew_relux_cmp);
        for (size_t i = 0; i < n; i++)
            v[i] = v[i] > cmp ? cmp : v[i];
    }
    return RK_OK;
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
                                   uint64_t *line, uint32_t *prec, uint64_t *extent_out, rk_err *e)
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
    *extent_out = extent;
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

/* mr_prec: the MRDMA element precision in flying mode (the fast path reads
 * int8 main data into an int32 plane, as read_elem does). */
static bool fast_path_ok(const dpu_cfg *d, uint32_t mr_prec)
{
    const stage_cfg *bs = &d->bs, *bn = &d->bn;
    if (d->is_float || d->out_prec != SIM_PREC_INT8 || (d->flying && mr_prec != SIM_PREC_INT8))
        return false;
    /* shifts the branch-free loop handles without overflow */
    if (d->out_shift > 62 || d->bs.shift_pos > 62 || d->bs.shift_neg > 62)
        return false;
    if (!d->ew_bypass && !fast_ew_ok(d))
        return false;
    if (!bs->bypass && (bs->prelu || bs->relux || (!bs->alu_bypass && bs->alu_algo != 2)))
        return false;
    if (!bn->bypass && (!bn->alu_bypass || !bn->mul_bypass || bn->relux))
        return false;
    return true;
}

/* OUT_CVT + saturation on a plane (D-OUT): the rounding mode as a mask
 * so the loop has no data-dependent branches; shifts beyond 62 take the
 * general helper. */
static void out_cvt_plane(const dpu_cfg *d, int64_t *v, size_t n)
{
    const int64_t sc = d->out_scale, pre = d->out_alu_first ? d->out_offset : 0;
    const int64_t post = d->out_alu_first ? 0 : d->out_offset;
    int64_t lo, hi;
    switch (d->out_prec) {
    case SIM_PREC_INT8: lo = -128; hi = 127; break;
    case SIM_PREC_INT16: lo = -32768; hi = 32767; break;
    default: lo = INT32_MIN; hi = INT32_MAX; break;
    }
    int sh = d->out_shift;
    if (sh > 62) {
        for (size_t i = 0; i < n; i++) {
            int64_t y = sim_round_shift((v[i] + pre) * sc, sh, d->out_half_up) + post;
            v[i] = y < lo ? lo : y > hi ? hi : y;
        }
        return;
    }
    const bool even = sh > 0 && !d->out_half_up;
    const int64_t bias = sh > 0 ? ((int64_t)1 << (sh - 1)) - (even ? 1 : 0) : 0, mask = even ? 1 : 0;
    for (size_t i = 0; i < n; i++) {
        int64_t t = (v[i] + pre) * sc;
        int64_t y = ((t + bias + (((t >> sh) & 1) & mask)) >> sh) + post;
        v[i] = y < lo ? lo : y > hi ? hi : y;
    }
}

/* Grow-only work buffer owned by the sim (freed in sim_destroy). */
static rk_status dpu_scratch(void **p, size_t *cap, size_t bytes, rk_err *e)
{
    if (bytes <= *cap)
        return RK_OK;
    void *q = realloc(*p, bytes);
    if (!q)
        return rk_errf(e, RK_ENOMEM, "out of memory for %zu bytes of DPU work space", bytes);
    *p = q;
    *cap = bytes;
    return RK_OK;
}

static bool plane_is_zero(const int32_t *p, size_t n)
{
    int32_t any = 0;
    for (size_t i = 0; i < n; i++)
        any |= p[i];
    return any == 0;
}

/* Loop-invariant parameters of the fused int8 epilogue of one channel. */
typedef struct fast_params {
    const int32_t *acc, *xs; /* xs NULL: no OW term */
    int64_t ow, alu, mul, hp, hn;
    int sp, sn;              /* right shifts (>= 0; negative shifts handled by lsh_*) */
    int64_t fac_p, fac_n;    /* 2^-shift for negative shift values, else 1 */
    int64_t relu_lo;         /* 0 with ReLU, INT64_MIN without */
    int64_t sc, pre_off, post_off, ho, hu_add;
    int osh;
    bool round_even;
    size_t out_step;         /* bytes between pixels when the output is dense (off NULL) */
    const int8_t *ep;        /* EW operand (NULL: no EW) */
    size_t ep_step;
    int64_t eoff, esc;
    int esh;
    bool ecvt, ealu_first, ehu;
    int64_t ew_relu_lo;
} fast_params;

/* The loop body, branch-free in the common configuration so the compiler
 * can keep it tight; `with_ew` is a compile-time constant at both call
 * sites (two specialised copies). */
static inline __attribute__((always_inline)) void fast_loop(const fast_params *f, size_t n, uint8_t *pl,
                                                            const uint64_t *off, const bool with_ew)
{
    const int32_t *acc = f->acc, *xs = f->xs;
    for (size_t i = 0; i < n; i++) {
        int64_t v = (int64_t)acc[i] + f->alu;
        if (xs)
            v += f->ow * xs[i];
        int64_t p = v * f->mul;
        /* both roundings, then a mask select: the sign of p is data
         * dependent, a branch here mispredicts about half the time */
        int64_t pos = ((p + f->hp) >> f->sp) * f->fac_p, neg = ((p + f->hn) >> f->sn) * f->fac_n;
        int64_t m = p >> 63;
        v = (pos & ~m) | (neg & m);
        v = v < f->relu_lo ? f->relu_lo : v;
        if (with_ew) {
            int64_t x = f->ep[i * f->ep_step];
            if (f->ecvt) {
                int64_t t = f->ealu_first ? (x + f->eoff) * f->esc : x * f->esc;
                t = sim_round_shift(t, f->esh, f->ehu);
                x = f->ealu_first ? t : t + f->eoff;
            }
            v += x;
            v = v < f->ew_relu_lo ? f->ew_relu_lo : v;
        }
        int64_t t = (v + f->pre_off) * f->sc;
        /* half up: floor((t + h) / 2^s); half to even: floor((t + h - 1 + q0) / 2^s),
         * q0 = lowest kept bit (same results as sim_round_shift) */
        int64_t add = f->round_even ? ((t >> f->osh) & 1) : f->hu_add;
        int64_t o = ((t + f->ho - 1 + add) >> f->osh) + f->post_off;
        o = o < -128 ? -128 : o > 127 ? 127 : o;
        if (off)
            pl[off[i]] = (uint8_t)(int8_t)o;
        else
            pl[i * f->out_step] = (uint8_t)(int8_t)o;
    }
}

/* off NULL: pixel i of the plane is stored at pl + i * atom (dense lines,
 * no reshaping). */
/* The epilogue over a run of pixels into contiguous int8: the same
 * arithmetic as fast_loop, written so the compiler vectorises it (no
 * stores through offsets, no data-dependent branches; the rounding modes
 * become masks).  Specialised on the OW term and the EW operand. */
static inline __attribute__((always_inline)) void epi_run(const fast_params *f, const int32_t *acc,
                                                          const int32_t *xs, const int8_t *ep, size_t n,
                                                          int8_t *out, const bool with_xs, const bool with_ew)
{
    const int64_t alu = f->alu, ow = f->ow, mul = f->mul, hp = f->hp, hn = f->hn, lo = f->relu_lo;
    const int64_t pre = f->pre_off, sc = f->sc, post = f->post_off;
    const int64_t obias = f->ho - 1 + (f->round_even ? 0 : f->hu_add), omask = f->round_even ? 1 : 0;
    const int sp = f->sp, sn = f->sn, osh = f->osh;
    /* EW converter as (x + epre) * esc, rounded right shift, + epost */
    const bool cvt = f->ecvt;
    const int esh = cvt ? f->esh : 0;
    const int64_t esc = cvt ? f->esc : 1;
    const int64_t epre = cvt && f->ealu_first ? f->eoff : 0, epost = cvt && !f->ealu_first ? f->eoff : 0;
    const bool eeven = esh > 0 && !f->ehu;
    const int64_t ebias = esh > 0 ? ((int64_t)1 << (esh - 1)) - 1 + (eeven ? 0 : 1) : 0, emask = eeven ? 1 : 0;
    const int64_t elo = f->ew_relu_lo;
    const size_t estep = f->ep_step;
    for (size_t i = 0; i < n; i++) {
        int64_t v = (int64_t)acc[i] + alu;
        if (with_xs)
            v += ow * (int64_t)xs[i];
        int64_t p = v * mul;
        int64_t pos = (p + hp) >> sp, neg = (p + hn) >> sn;
        v = p < 0 ? neg : pos;
        v = v < lo ? lo : v;
        if (with_ew) {
            int64_t t = ((int64_t)ep[i * estep] + epre) * esc;
            int64_t x = ((t + ebias + (((t >> esh) & 1) & emask)) >> esh) + epost;
            v += x;
            v = v < elo ? elo : v;
        }
        int64_t t = (v + pre) * sc;
        int64_t o = ((t + obias + (((t >> osh) & 1) & omask)) >> osh) + post;
        o = o < -128 ? -128 : o > 127 ? 127 : o;
        out[i] = (int8_t)o;
    }
}

/* GCC 12 at -O2 (the RelWithDebInfo build CI and the README use) applies
 * only the "very cheap" vectoriser cost model, which leaves this loop
 * scalar (a variable trip count needs an epilogue); ask for the dynamic
 * model here so -O2 and -O3 builds run the same vector code. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define EPI_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"), \
                                  optimize("tree-vectorize", "vect-cost-model=dynamic")))
#else
#define EPI_CLONES
#endif

EPI_CLONES static void epi_block(const fast_params *f, const int32_t *acc, const int32_t *xs, const int8_t *ep,
                                 size_t n, int8_t *out)
{
    if (ep) {
        if (xs)
            epi_run(f, acc, xs, ep, n, out, true, true);
        else
            epi_run(f, acc, NULL, ep, n, out, false, true);
    } else {
        if (xs)
            epi_run(f, acc, xs, NULL, n, out, true, false);
        else
            epi_run(f, acc, NULL, NULL, n, out, false, false);
    }
}

/* acc: channel c's input plane (conv accumulators or flying MRDMA data);
 * xsum: the window sums for the OW term, NULL in flying mode.  Writes the
 * channel's n int8 results to out (planar; store_group makes atoms). */
static void fast_channel(const dpu_cfg *d, int c, size_t n, const int32_t *acc, const int32_t *xsum, int8_t *out,
                         const uint8_t *ew_base)
{
    const stage_cfg *bs = &d->bs;
    fast_params f;
    memset(&f, 0, sizeof(f));
    f.acc = acc;
    f.mul = 1;
    f.out_step = 1;
    bool relu = (!bs->bypass && !bs->relu_bypass) || (!d->bn.bypass && !d->bn.relu_bypass);
    f.relu_lo = relu ? 0 : INT64_MIN;
    if (!bs->bypass) {
        if (bs->ow_active && xsum) {
            f.ow = bs->ow_src_mem ? ((bs->data_use & 2) ? chan_item(bs, c, 1) : 0) : bs->ow_operand;
            f.xs = xsum;
        }
        if (!bs->alu_bypass)
            f.alu = bs->alu_src_mem ? ((bs->data_use & 1) ? chan_item(bs, c, 0) : 0) : bs->alu_operand;
        if (!bs->mul_bypass) {
            f.mul = bs->mul_src_mem ? ((bs->data_use & 4) ? chan_item(bs, c, 2) : 0) : bs->mul_operand;
            f.sp = bs->shift_pos;
            f.sn = bs->shift_neg;
        }
    }
    /* BS MUL rounding: half up on the dropped bits; a negative shift
     * multiplies (sim_round_shift). */
    f.hp = f.sp > 0 ? (int64_t)1 << (f.sp - 1) : 0;
    f.hn = f.sn > 0 ? (int64_t)1 << (f.sn - 1) : 0;
    f.fac_p = (int64_t)1 << (f.sp < 0 ? (f.sp < -62 ? 62 : -f.sp) : 0);
    f.fac_n = (int64_t)1 << (f.sn < 0 ? (f.sn < -62 ? 62 : -f.sn) : 0);
    f.sp = f.sp < 0 ? 0 : f.sp;
    f.sn = f.sn < 0 ? 0 : f.sn;
    f.sc = d->out_scale;
    f.pre_off = d->out_alu_first ? d->out_offset : 0;
    f.post_off = d->out_alu_first ? 0 : d->out_offset;
    f.osh = d->out_shift;
    f.ho = f.osh > 0 ? (int64_t)1 << (f.osh - 1) : 0;
    if (f.osh <= 0) { /* no rounding: (t + 0 - 1 + 1) >> 0 = t */
        f.osh = 0;
        f.ho = 0;
        f.round_even = false;
        f.hu_add = 1;
    } else {
        f.round_even = !d->out_half_up;
        f.hu_add = 1;
    }
    if (d->ew_bypass && (!f.xs || f.ow == 0) && plane_is_zero(f.acc, n)) {
        /* Every pixel sees the same input (typically the zero-weight
         * padding kernels of a channel-aligned cube): evaluate the epilogue
         * once and store it everywhere - the same bytes the loop would
         * write, at a fraction of the cost. */
        static const int32_t zero = 0;
        static const uint64_t off0 = 0;
        uint8_t byte;
        f.acc = &zero;
        f.xs = NULL;
        fast_loop(&f, 1, &byte, &off0, false); /* off0: one store at byte */
        memset(out, byte, n);
        return;
    }
    if (!d->ew_bypass) {
        int c2 = d->atom; /* int8 operand: atom bytes = channels per atom */
        f.ep = (const int8_t *)(ew_base + (uint64_t)(c / c2) * d->ew_surf_bytes + (uint64_t)(c % c2));
        f.ep_step = (size_t)d->atom;
        f.eoff = d->ew_cvt_offset;
        f.esc = d->ew_cvt_scale;
        f.esh = d->ew_cvt_shift;
        f.ecvt = !d->ew_cvt_bypass;
        f.ealu_first = d->ew_cvt_alu_first;
        f.ehu = d->ew_cvt_half_up;
        f.ew_relu_lo = !d->ew_relu_bypass ? 0 : INT64_MIN;
    }
    /* the vectorisable kernel covers every configuration the fast path
     * admits except negative (multiplying) BS shifts and EW shifts > 62 */
    if (f.fac_p == 1 && f.fac_n == 1 && f.esh >= 0 && f.esh <= 62) {
        const int32_t *xs = f.ow ? f.xs : NULL;
        epi_block(&f, f.acc, xs, f.ep, n, out);
    } else if (f.ep) {
        fast_loop(&f, n, (uint8_t *)out, NULL, true);
    } else {
        fast_loop(&f, n, (uint8_t *)out, NULL, false);
    }
}

/* Interleave kn int8 channel planes (plane k at planar + k * n) into the
 * atoms of one channel group: pixel i's atom at base + off[i] (off NULL:
 * base + i * atom), channel k at its byte k.  Bytes of channels >= kn are
 * left as they are. */
static void store_group(const int8_t *planar, size_t n, int kn, uint8_t *base, const uint64_t *off, size_t atom)
{
    const uint8_t *pu = (const uint8_t *)planar;
    size_t i = 0;
    if (kn == 16 && atom == 16) {
        uint8_t t[256];
        for (; i + 16 <= n; i += 16) {
            if (!off) {
                sim_transpose16_u8(pu + i, n, base + i * 16, 16);
                continue;
            }
            sim_transpose16_u8(pu + i, n, t, 16);
            for (int j = 0; j < 16; j++)
                memcpy(base + off[i + (size_t)j], t + 16 * j, 16);
        }
    }
    for (; i < n; i++) {
        uint8_t *a = base + (off ? off[i] : i * atom);
        for (int k = 0; k < kn; k++)
            a[k] = pu[(size_t)k * n + i];
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
            /* per channel: ORIG_CHANNEL+1 entries like BRDMA (D-BSCH, inferred);
             * padding channels get 0 */
            d.ew_data_channels = dch;
            ext = (uint64_t)dch * esz;
        }
        uint8_t *p;
        if ((st = sim_dma(s, d.ew_addr, ext, "DPU_RDMA_EW_BASE_ADDR", &p, e)))
            return st;
        ew_base = p;
    }
    const uint8_t *mr = NULL;
    uint64_t mr_surf = 0, mr_line = 0, mr_ext = 0;
    uint32_t mr_prec = 0;
    uint8_t *mr_copy = NULL;
    if (d.flying && (st = mrdma_plane_setup(s, &d, &mr, &mr_surf, &mr_line, &mr_prec, &mr_ext, e)))
        return st;
    if (s->skip_unit || (d.flying && !mr)) {
        s->skip_unit = false;
        return RK_OK; /* lenient: the problem was recorded; the task is skipped */
    }

    size_t obytes = sim_prec_bytes(d.out_prec);
    int oc2 = (int)((size_t)d.atom / obytes);
    const int rd_atom = d.atom; /* MRDMA side keeps the aligned layout */
    if (d.nonalign) {
        /* all channels of a pixel in one packed "atom" (D-NONALIGN) */
        oc2 = d.c;
        d.atom = (int)((size_t)d.c * obytes);
        d.dst_line_bytes = (uint64_t)d.w * (uint64_t)d.atom;
        d.dst_surf_bytes = d.dst_line_bytes * (uint64_t)d.h;
    }
    int c1 = (d.c + oc2 - 1) / oc2;
    (void)c1;
    int wc1 = (d.wc + oc2 - 1) / oc2;
    if ((uint64_t)wc1 * d.wh * d.ww != (uint64_t)((d.c + oc2 - 1) / oc2) * d.h * d.w)
        return sim_skip(s, e, "DPU_WDMA_SIZE cube %dx%dx%d does not hold the %dx%dx%d data cube",
                        d.ww, d.wh, d.wc, d.w, d.h, d.c);
    uint64_t wext = (uint64_t)(wc1 - 1) * d.dst_surf_bytes + (uint64_t)(d.wh - 1) * d.dst_line_bytes +
                    (uint64_t)d.ww * (uint64_t)d.atom;
    uint8_t *dst;
    if ((st = sim_dma_write(s, d.dst_addr, wext, "DPU_DST_BASE_ADDR", &dst, e)))
        return st;
    if (d.is_float && (d.out_scale != 1 || d.out_shift != 0 || d.out_offset != 0))
        if ((st = sim_problem(s, e, "floating-point OUT_CVT with scale %d, shift %d, offset %d is not "
                              "simulated (only the identity 1/0/0)", d.out_scale, d.out_shift, d.out_offset)))
            return st;

    /* Byte offset of every (channel group, pixel) atom: the WDMA mapping
     * computed once per task, so the per-element loops stay simple.  The
     * fast path stores dense outputs without it. */
    int dc1 = (d.c + oc2 - 1) / oc2;
    bool fast = fast_path_ok(&d, mr_prec);
    bool dense = !d.reshaped && d.dst_line_bytes == (uint64_t)d.w * (uint64_t)d.atom;
    uint64_t *off = NULL;
    if (!(fast && dense)) {
        if ((st = dpu_scratch(&s->dpu_off, &s->dpu_off_cap, (size_t)dc1 * n * sizeof(uint64_t), e)))
            return st;
        off = s->dpu_off;
    }
    for (int g = 0; off && g < dc1; g++) {
        uint64_t *o = off + (size_t)g * n;
        if (!d.reshaped) {
            for (int y = 0; y < d.h; y++)
                for (int x = 0; x < d.w; x++)
                    o[(size_t)y * d.w + x] = (uint64_t)g * d.dst_surf_bytes + (uint64_t)y * d.dst_line_bytes +
                                             (uint64_t)x * d.atom;
        } else {
            /* atom a = g*n + i lands at surface a / (H'*W'), row and column
             * of the remainder; stepped incrementally (no division per atom) */
            uint64_t plane = (uint64_t)d.wh * d.ww, a0 = (uint64_t)g * n, rem = a0 % plane;
            uint64_t q = a0 / plane, row = rem / (uint64_t)d.ww, col = rem % (uint64_t)d.ww;
            for (size_t i = 0; i < n; i++) {
                o[i] = q * d.dst_surf_bytes + row * d.dst_line_bytes + col * (uint64_t)d.atom;
                if (++col == (uint64_t)d.ww) {
                    col = 0;
                    if (++row == (uint64_t)d.wh) {
                        row = 0;
                        q++;
                    }
                }
            }
        }
    }
    if ((st = dpu_scratch(&s->dpu_v, &s->dpu_v_cap, n * sizeof(int64_t), e)) ||
        (st = dpu_scratch(&s->dpu_fv, &s->dpu_fv_cap, n * sizeof(float), e)))
        return st;
    /* The hardware streams whole atoms (all channels of a pixel) from MRDMA
     * to WDMA in order, so an output that overlaps its input is safe when
     * the write pointer never overtakes the read pointer (lite
     * OutputOperator: fp16 in the upper half of a buffer widened in place to
     * fp32 over the whole buffer).  We work channel-major, so read from a
     * snapshot of the input when the ranges overlap. */
    if (mr && mr < dst + wext && dst < mr + mr_ext) {
        mr_copy = malloc(mr_ext);
        if (!mr_copy) {
            return rk_errf(e, RK_ENOMEM, "out of memory for a %llu-byte MRDMA snapshot",
                           (unsigned long long)mr_ext);
        }
        memcpy(mr_copy, mr, mr_ext);
        mr = mr_copy;
    }
    size_t mr_es = d.flying ? sim_prec_bytes(mr_prec) : 0;
    int mr_c2 = d.flying ? (int)((size_t)rd_atom / mr_es) : 0;
    if (fast) {
        /* one channel group (atom) at a time: planar results, then whole
         * atoms stored (store_group) */
        if ((st = dpu_scratch(&s->dpu_v, &s->dpu_v_cap, (size_t)oc2 * n, e)))
            return st;
        int8_t *planar = s->dpu_v;
        for (int c = 0; c < d.c; c++) {
            const int32_t *acc, *xs = NULL;
            if (d.flying) {
                /* int8 main data widened into an int32 plane (dpu_fv holds
                 * n floats, so n int32 fit) */
                int32_t *a = s->dpu_fv;
                const uint8_t *pl = mr + (uint64_t)(c / mr_c2) * mr_surf + (uint64_t)(c % mr_c2);
                for (int y = 0; y < d.h; y++) {
                    const uint8_t *row = pl + (uint64_t)y * mr_line;
                    int32_t *ar = a + (size_t)y * d.w;
                    for (int x = 0; x < d.w; x++)
                        ar[x] = (int8_t)row[(size_t)x * rd_atom];
                }
                acc = a;
            } else {
                acc = s->cube.i32 + (size_t)c * n;
                if (s->cube.xsum)
                    xs = s->cube.xsum + (s->cube.xsum_per_channel ? (size_t)c * n : 0);
            }
            fast_channel(&d, c, n, acc, xs, planar + (size_t)(c % oc2) * n, ew_base);
            if (c % oc2 == oc2 - 1 || c == d.c - 1) {
                int g = c / oc2;
                store_group(planar, n, c % oc2 + 1, dst + (dense ? (uint64_t)g * d.dst_surf_bytes : 0),
                            dense ? NULL : off + (size_t)g * n, (size_t)d.atom);
            }
        }
        free(mr_copy);
        s->stats.dpu_elems += (uint64_t)n * d.c;
        if (!d.flying)
            s->cube.c = 0;
        s->skip_unit = false;
        return RK_OK;
    }
    int64_t *v = s->dpu_v;
    float *fv = s->dpu_fv;
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
                    const uint8_t *p = pl + (uint64_t)y * mr_line + (uint64_t)x * (uint64_t)rd_atom;
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
            out_cvt_plane(&d, v, n);
        } else if ((st = stage_float(s, &d.bs, c, fv, n, "BS", e)) || (st = stage_float(s, &d.bn, c, fv, n, "BN", e)) ||
                   (st = ew_float(s, &d, c, fv, n, ew_base, e)) || s->skip_unit) {
            break;
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
    free(mr_copy);
    s->stats.dpu_elems += (uint64_t)n * d.c;
    if (!d.flying) {
        /* The accumulators are consumed. */
        s->cube.c = 0;
    }
    s->skip_unit = false; /* a stage problem in lenient mode affects this task only */
    return st;
}
