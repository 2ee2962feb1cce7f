/* sim_asm.c - NPU program assembler (see sim_asm.h). */
#include "sim_asm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_regs.h"

void sim_asm_init(sim_asm *a, rk_soc soc)
{
    memset(a, 0, sizeof(*a));
    a->soc = soc;
}

void sim_asm_free(sim_asm *a)
{
    free(a->words);
    free(a->tasks);
    free(a->relocs);
    memset(a, 0, sizeof(*a));
}

static void fail(sim_asm *a, rk_status st, const char *msg)
{
    if (!a->st) {
        a->st = st;
        rk_errf(&a->err, st, "%s", msg);
    }
}

static void push_word(sim_asm *a, uint64_t w)
{
    if (a->st)
        return;
    if (a->n == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 256;
        uint64_t *p = realloc(a->words, cap * sizeof(*p));
        if (!p) {
            fail(a, RK_ENOMEM, "assembler: out of memory");
            return;
        }
        a->words = p;
        a->cap = cap;
    }
    a->words[a->n++] = w;
}

void sim_asm_reg(sim_asm *a, uint16_t offset, uint32_t value)
{
    isa_block blk = isa_block_of_offset(offset);
    uint16_t tgt = isa_block_target(blk);
    if (!tgt) {
        char m[96];
        snprintf(m, sizeof(m), "assembler: register 0x%04x has no regcmd target", offset);
        fail(a, RK_EUSAGE, m);
        return;
    }
    push_word(a, isa_regcmd_encode(tgt, value, offset));
}

void sim_asm_field(sim_asm *a, const char *reg, const char *field, uint32_t value, uint32_t *acc)
{
    if (a->st)
        return;
    rk_err e = {0};
    rk_status st = isa_pack(a->soc, reg, field, value, acc, &e);
    if (st) {
        a->st = st;
        a->err = e;
    }
}

void sim_asm_addr(sim_asm *a, uint16_t offset, const char *tensor, uint32_t off)
{
    if (a->st)
        return;
    if (a->nr == a->capr) {
        size_t cap = a->capr ? a->capr * 2 : 32;
        sim_asm_reloc *p = realloc(a->relocs, cap * sizeof(*p));
        if (!p) {
            fail(a, RK_ENOMEM, "assembler: out of memory");
            return;
        }
        a->relocs = p;
        a->capr = cap;
    }
    sim_asm_reloc *r = &a->relocs[a->nr++];
    snprintf(r->name, sizeof(r->name), "%s", tensor);
    r->offset = off;
    r->entry = (uint32_t)a->n;
    sim_asm_reg(a, offset, off);
}

void sim_asm_end_task(sim_asm *a, uint32_t enable_mask, uint32_t op_idx)
{
    if (a->st)
        return;
    size_t body = a->n - a->task_start;
    push_word(a, 0); /* PC_BASE_ADDRESS, patched by install */
    push_word(a, isa_regcmd_encode(ISA_TARGET_PC, 0, R_PC_REGISTER_AMOUNTS));
    push_word(a, isa_regcmd_encode(ISA_TARGET_MARKER, 0, 0));
    push_word(a, isa_regcmd_encode(ISA_TARGET_OP_EN, enable_mask, 0xF008));
    while (a->n % 8) /* segments 64-byte aligned, as the vendor streams */
        push_word(a, 0);
    if (a->nt == a->capt) {
        size_t cap = a->capt ? a->capt * 2 : 8;
        rknn_task *p = realloc(a->tasks, cap * sizeof(*p));
        if (!p) {
            fail(a, RK_ENOMEM, "assembler: out of memory");
            return;
        }
        a->tasks = p;
        a->capt = cap;
    }
    rknn_task *t = &a->tasks[a->nt++];
    memset(t, 0, sizeof(*t));
    t->op_idx = op_idx;
    t->enable_mask = enable_mask;
    t->int_mask = (enable_mask & (SIM_EN_PPU | SIM_EN_PPU_RDMA)) ? 0xC00 : 0x300;
    t->int_clear = 0x1FFFF;
    t->regcfg_amount = (uint32_t)body;
    t->regcmd_addr = (uint64_t)a->task_start * 8;
    a->task_start = a->n;
}

int sim_asm_conv_out(int in, int k, int stride, int dil, int pad_a, int pad_b)
{
    if (stride <= 0)
        return 0;
    return (in + pad_a + pad_b - dil * (k - 1) - 1) / stride + 1;
}

static int c2_of(int prec)
{
    return prec == SIM_PREC_INT8 ? 16 : prec == SIM_PREC_INT32 || prec == SIM_PREC_FP32 ? 4 : 8;
}

#define F(reg, field, val) sim_asm_field(a, reg, field, (uint32_t)(val), &v)
#define EMIT(off) do { sim_asm_reg(a, off, v); v = 0; } while (0)

void sim_asm_conv_task(sim_asm *a, const sim_asm_conv *c, uint32_t op_idx)
{
    if (a->st)
        return;
    uint32_t v = 0;
    int esz = c->prec == SIM_PREC_INT8 ? 1 : 2;
    int cin_al = RK_ALIGN_UP(c->in_c, 16 / esz);
    int dx = c->dx ? c->dx : 1, dy = c->dy ? c->dy : 1;
    int ow = sim_asm_conv_out(c->in_w, c->kw, c->sx, dx, c->pad_left, c->pad_right);
    int oh = sim_asm_conv_out(c->in_h, c->kh, c->sy, dy, c->pad_top, c->pad_bottom);
    int k = c->depthwise ? c->in_c : c->k;
    int kout_al = RK_ALIGN_UP(k, c2_of(c->out_prec));
    int kernels = c->depthwise ? 1 : c->k; /* vendor depthwise tasks program 1 */
    int c1 = (cin_al * esz + 15) / 16;
    bool rdma = c->bs_use || c->ew;
    if (ow <= 0 || oh <= 0) {
        fail(a, RK_EUSAGE, "assembler: conv output would be empty");
        return;
    }
    sim_asm_reg(a, 0x4004, 0xE); /* DPU_S_POINTER */
    if (rdma)
        sim_asm_reg(a, 0x5004, 0xE);
    F("CNA_CONV_CON1", "CONV_MODE", c->depthwise ? 3 : 0);
    F("CNA_CONV_CON1", "IN_PRECISION", c->prec);
    F("CNA_CONV_CON1", "PROC_PRECISION", c->prec);
    EMIT(R_CNA_CONV_CON1);
    F("CNA_CONV_CON2", "FEATURE_GRAINS", RK_MIN(c->kh + c->sy + 1, 1023));
    F("CNA_CONV_CON2", "KERNEL_GROUP", (kernels + (esz == 1 ? 31 : 15)) / (esz == 1 ? 32 : 16) - 1);
    EMIT(R_CNA_CONV_CON2);
    F("CNA_CONV_CON3", "CONV_X_STRIDE", c->sx);
    F("CNA_CONV_CON3", "CONV_Y_STRIDE", c->sy);
    if (dx > 1)
        F("CNA_CONV_CON3", "ATROUS_X_DILATION", dx);
    if (dy > 1)
        F("CNA_CONV_CON3", "ATROUS_Y_DILATION", dy);
    EMIT(R_CNA_CONV_CON3);
    F("CNA_DATA_SIZE0", "DATAIN_WIDTH", c->in_w);
    F("CNA_DATA_SIZE0", "DATAIN_HEIGHT", c->in_h);
    EMIT(R_CNA_DATA_SIZE0);
    F("CNA_DATA_SIZE1", "DATAIN_CHANNEL_REAL", c->in_c - 1);
    F("CNA_DATA_SIZE1", "DATAIN_CHANNEL", cin_al);
    EMIT(R_CNA_DATA_SIZE1);
    F("CNA_DATA_SIZE2", "DATAOUT_WIDTH", ow);
    EMIT(R_CNA_DATA_SIZE2);
    F("CNA_DATA_SIZE3", "DATAOUT_ATOMICS", ow * oh);
    EMIT(R_CNA_DATA_SIZE3);
    int wk = c->depthwise ? cin_al : cin_al * kernels;
    F("CNA_WEIGHT_SIZE0", "WEIGHT_BYTES", c->kw * c->kh * wk * esz);
    EMIT(R_CNA_WEIGHT_SIZE0);
    F("CNA_WEIGHT_SIZE1", "WEIGHT_BYTES_PER_KERNEL", c->kw * c->kh * cin_al * esz);
    EMIT(R_CNA_WEIGHT_SIZE1);
    F("CNA_WEIGHT_SIZE2", "WEIGHT_WIDTH", c->kw);
    F("CNA_WEIGHT_SIZE2", "WEIGHT_HEIGHT", c->kh);
    F("CNA_WEIGHT_SIZE2", "WEIGHT_KERNELS", kernels);
    EMIT(R_CNA_WEIGHT_SIZE2);
    F("CNA_CBUF_CON0", "DATA_BANK", 6);
    F("CNA_CBUF_CON0", "WEIGHT_BANK", 6);
    EMIT(R_CNA_CBUF_CON0);
    F("CNA_CBUF_CON1", "DATA_ENTRIES", RK_MIN((c->in_w * cin_al * esz + 63) / 64, 0x1FFF));
    EMIT(R_CNA_CBUF_CON1);
    F("CNA_CVT_CON0", "CVT_BYPASS", 1);
    F("CNA_CVT_CON0", "CVT_TYPE", 1);
    F("CNA_CVT_CON0", "DATA_SIGN", 1);
    EMIT(R_CNA_CVT_CON0);
    for (int i = 0; i < 4; i++)
        sim_asm_reg(a, (uint16_t)(R_CNA_CVT_CON1 + 4 * i), 0x10000);
    F("CNA_PAD_CON0", "PAD_TOP", c->pad_top);
    F("CNA_PAD_CON0", "PAD_LEFT", c->pad_left);
    EMIT(R_CNA_PAD_CON0);
    sim_asm_addr(a, R_CNA_FEATURE_DATA_ADDR, c->in_tensor, c->in_off);
    F("CNA_DMA_CON0", "DATA_BURST_LEN", 15);
    F("CNA_DMA_CON0", "WEIGHT_BURST_LEN", 15);
    EMIT(0x1078);
    F("CNA_DMA_CON1", "LINE_STRIDE", c->in_w * 4);
    EMIT(R_CNA_DMA_CON1);
    /* surface stride = SURF_STRIDE + LINE_STRIDE atoms (SEMANTICS C-FEAT-NORMAL) */
    int ss = c1 > 1 ? c->in_w * c->in_h - c->in_w * 4 : 0;
    if (ss < 0) {
        fail(a, RK_EUNSUPPORTED, "assembler: multi-surface input shorter than 4 rows cannot be encoded");
        return;
    }
    F("CNA_DMA_CON2", "SURF_STRIDE", ss);
    EMIT(R_CNA_DMA_CON2);
    F("CNA_FC_DATA_SIZE0", "DMA_WIDTH", c->in_w);
    F("CNA_FC_DATA_SIZE0", "DMA_HEIGHT", c->in_h);
    EMIT(0x1084);
    F("CNA_FC_DATA_SIZE1", "DMA_CHANNEL", cin_al);
    EMIT(0x1088);
    sim_asm_reg(a, R_CNA_DCOMP_CTRL, 0);
    sim_asm_addr(a, R_CNA_DCOMP_ADDR0, c->w_tensor, 0);
    sim_asm_reg(a, R_CNA_PAD_CON1, c->pad_value);
    F("CORE_MISC_CFG", "PROC_PRECISION", c->prec);
    F("CORE_MISC_CFG", "DW_EN", c->depthwise ? 1 : 0);
    F("CORE_MISC_CFG", "QD_EN", c->prec == SIM_PREC_INT8 ? 1 : 0);
    EMIT(R_CORE_MISC_CFG);
    F("CORE_DATAOUT_SIZE_0", "DATAOUT_HEIGHT", oh - 1);
    F("CORE_DATAOUT_SIZE_0", "DATAOUT_WIDTH", ow - 1);
    EMIT(R_CORE_DATAOUT_SIZE_0);
    F("CORE_DATAOUT_SIZE_1", "DATAOUT_CHANNEL", kout_al - 1);
    EMIT(R_CORE_DATAOUT_SIZE_1);
    sim_asm_reg(a, R_CORE_CLIP_TRUNCATE, 0);
    /* DPU */
    F("DPU_FEATURE_MODE_CFG", "BURST_LEN", 15);
    F("DPU_FEATURE_MODE_CFG", "OUTPUT_MODE", 2);
    F("DPU_FEATURE_MODE_CFG", "CONV_MODE", c->depthwise ? 3 : 0);
    EMIT(R_DPU_FEATURE_MODE_CFG);
    F("DPU_DATA_FORMAT", "OUT_PRECISION", c->out_prec);
    F("DPU_DATA_FORMAT", "IN_PRECISION", c->prec);
    F("DPU_DATA_FORMAT", "PROC_PRECISION", c->prec);
    F("DPU_DATA_FORMAT", "BS_MUL_SHIFT_VALUE_NEG", c->bs_shift_neg);
    EMIT(R_DPU_DATA_FORMAT);
    sim_asm_addr(a, R_DPU_DST_BASE_ADDR, c->out_tensor, c->out_off);
    F("DPU_DST_SURF_STRIDE", "DST_SURF_STRIDE", ow * oh);
    EMIT(R_DPU_DST_SURF_STRIDE);
    F("DPU_DATA_CUBE_WIDTH", "WIDTH", ow - 1);
    EMIT(R_DPU_DATA_CUBE_WIDTH);
    F("DPU_DATA_CUBE_HEIGHT", "HEIGHT", oh - 1);
    EMIT(R_DPU_DATA_CUBE_HEIGHT);
    sim_asm_reg(a, R_DPU_DATA_CUBE_NOTCH_ADDR, 0);
    F("DPU_DATA_CUBE_CHANNEL", "ORIG_CHANNEL", k - 1);
    F("DPU_DATA_CUBE_CHANNEL", "CHANNEL", kout_al - 1);
    EMIT(R_DPU_DATA_CUBE_CHANNEL);
    if (c->bs_use) {
        F("DPU_BS_CFG", "BS_ALU_ALGO", 2);
        F("DPU_BS_CFG", "BS_ALU_SRC", (c->bs_use & 1) ? 1 : 0);
        F("DPU_BS_CFG", "BS_ALU_BYPASS", (c->bs_use & 1) ? 0 : 1);
        F("DPU_BS_CFG", "BS_MUL_BYPASS", (c->bs_use & 4) ? 0 : 1);
        F("DPU_BS_CFG", "BS_RELU_BYPASS", 1);
    } else {
        F("DPU_BS_CFG", "BS_BYPASS", 1);
        F("DPU_BS_CFG", "BS_ALU_BYPASS", 1);
        F("DPU_BS_CFG", "BS_MUL_BYPASS", 1);
        F("DPU_BS_CFG", "BS_RELU_BYPASS", 1);
    }
    EMIT(R_DPU_BS_CFG);
    sim_asm_reg(a, R_DPU_BS_ALU_CFG, 0);
    F("DPU_BS_MUL_CFG", "BS_MUL_SHIFT_VALUE", c->bs_shift);
    F("DPU_BS_MUL_CFG", "BS_MUL_SRC", (c->bs_use & 4) ? 1 : 0);
    EMIT(R_DPU_BS_MUL_CFG);
    sim_asm_reg(a, R_DPU_BS_RELUX_CMP, 0);
    F("DPU_BS_OW_CFG", "SIZE_E_0", 1);
    F("DPU_BS_OW_CFG", "SIZE_E_1", 1);
    F("DPU_BS_OW_CFG", "SIZE_E_2", 1);
    F("DPU_BS_OW_CFG", "OW_SRC", (c->bs_use & 2) ? 1 : 0);
    F("DPU_BS_OW_CFG", "OD_BYPASS", (c->bs_use & 2) ? 0 : 1);
    EMIT(R_DPU_BS_OW_CFG);
    sim_asm_reg(a, R_DPU_BS_OW_OP, 0);
    F("DPU_WDMA_SIZE_0", "CHANNEL_WDMA", kout_al - 1);
    EMIT(R_DPU_WDMA_SIZE_0);
    F("DPU_WDMA_SIZE_1", "HEIGHT_WDMA", oh - 1);
    F("DPU_WDMA_SIZE_1", "WIDTH_WDMA", ow - 1);
    EMIT(R_DPU_WDMA_SIZE_1);
    /* as the vendor ConvRelu / Conv; ReLUx: stage on (bit 0 clear), RELUX_EN */
    uint32_t bn = c->relu ? 0x12 : 0x53;
    if (c->bn_relux) {
        F("DPU_BN_CFG", "BN_ALU_BYPASS", 1);
        F("DPU_BN_CFG", "BN_MUL_BYPASS", 1);
        F("DPU_BN_CFG", "BN_RELU_BYPASS", c->relu ? 0 : 1);
        F("DPU_BN_CFG", "BN_RELUX_EN", 1);
        bn = v;
        v = 0;
    }
    sim_asm_reg(a, R_DPU_BN_CFG, bn);
    sim_asm_reg(a, R_DPU_BN_ALU_CFG, 0);
    sim_asm_reg(a, R_DPU_BN_MUL_CFG, 0);
    sim_asm_reg(a, R_DPU_BN_RELUX_CMP, c->bn_relux ? c->bn_relux_cmp : 0);
    if (c->ew) {
        F("DPU_EW_CFG", "EW_CVT_TYPE", 1);
        F("DPU_EW_CFG", "EW_DATA_MODE", 1);
        F("DPU_EW_CFG", "EDATA_SIZE", 1);
        F("DPU_EW_CFG", "EW_ALU_ALGO", c->ew_algo);
        F("DPU_EW_CFG", "EW_OP_TYPE", c->ew_mul ? 1 : 0);
        F("DPU_EW_CFG", "EW_RELU_BYPASS", 1);
        F("DPU_EW_CFG", "EW_LUT_BYPASS", 1);
        F("DPU_EW_CFG", "EW_OP_SRC", 1);
    } else {
        v = 0x383;
    }
    EMIT(R_DPU_EW_CFG);
    sim_asm_reg(a, R_DPU_EW_CVT_OFFSET, (uint32_t)c->ew_cvt_offset);
    F("DPU_EW_CVT_SCALE_VALUE", "EW_OP_CVT_SCALE", (uint16_t)(c->ew ? c->ew_cvt_scale : 1));
    F("DPU_EW_CVT_SCALE_VALUE", "EW_OP_CVT_SHIFT", c->ew_cvt_shift);
    F("DPU_EW_CVT_SCALE_VALUE", "EW_TRUNCATE", c->ew_truncate);
    EMIT(R_DPU_EW_CVT_SCALE);
    sim_asm_reg(a, R_DPU_EW_RELUX_CMP, 0);
    sim_asm_reg(a, R_DPU_OUT_CVT_OFFSET, (uint32_t)c->out_offset);
    F("DPU_OUT_CVT_SCALE", "OUT_CVT_SCALE", (uint16_t)c->out_scale);
    F("DPU_OUT_CVT_SCALE", "FP32TOFP16_EN", c->out_prec == SIM_PREC_FP16 ? 1 : 0);
    EMIT(R_DPU_OUT_CVT_SCALE);
    F("DPU_OUT_CVT_SHIFT", "OUT_CVT_SHIFT", c->out_shift);
    F("DPU_OUT_CVT_SHIFT", "CVT_ROUND", c->out_half_up ? 1 : 0);
    F("DPU_OUT_CVT_SHIFT", "CVT_TYPE", c->out_alu_first ? 1 : 0);
    EMIT(R_DPU_OUT_CVT_SHIFT);
    F("DPU_SURFACE_ADD", "SURF_ADD", ow * oh * 2);
    EMIT(R_DPU_SURFACE_ADD);
    if (rdma) {
        F("DPU_RDMA_DATA_CUBE_WIDTH", "WIDTH", ow - 1);
        EMIT(R_RDMA_CUBE_WIDTH);
        F("DPU_RDMA_DATA_CUBE_HEIGHT", "HEIGHT", oh - 1);
        EMIT(R_RDMA_CUBE_HEIGHT);
        F("DPU_RDMA_DATA_CUBE_CHANNEL", "CHANNEL", kout_al - 1);
        EMIT(R_RDMA_CUBE_CHANNEL);
        F("DPU_RDMA_BRDMA_CFG", "BRDMA_DATA_USE", c->bs_use);
        EMIT(R_RDMA_BRDMA_CFG);
        if (c->bs_use)
            sim_asm_addr(a, R_RDMA_BS_BASE_ADDR, c->bs_tensor, 0);
        sim_asm_reg(a, R_RDMA_NRDMA_CFG, 0);
        if (c->ew) {
            F("DPU_RDMA_ERDMA_CFG", "ERDMA_DATA_MODE", 1);
            F("DPU_RDMA_ERDMA_CFG", "ERDMA_DATA_SIZE", 1);
        } else {
            F("DPU_RDMA_ERDMA_CFG", "ERDMA_DISABLE", 1);
        }
        EMIT(R_RDMA_ERDMA_CFG);
        if (c->ew) {
            sim_asm_addr(a, R_RDMA_EW_BASE_ADDR, c->ew_tensor, c->ew_off);
            F("DPU_RDMA_EW_SURF_STRIDE", "EW_SURF_STRIDE", ow * oh);
            EMIT(R_RDMA_EW_SURF_STRIDE);
        }
        F("DPU_RDMA_FEATURE_MODE_CFG", "BURST_LEN", 15);
        F("DPU_RDMA_FEATURE_MODE_CFG", "MRDMA_DISABLE", 1);
        F("DPU_RDMA_FEATURE_MODE_CFG", "COMB_USE", c->ew ? 4 : 0);
        F("DPU_RDMA_FEATURE_MODE_CFG", "IN_PRECISION", c->prec);
        F("DPU_RDMA_FEATURE_MODE_CFG", "PROC_PRECISION", c->prec);
        F("DPU_RDMA_FEATURE_MODE_CFG", "CONV_MODE", c->depthwise ? 3 : 0);
        EMIT(R_RDMA_FEATURE_MODE_CFG);
        sim_asm_reg(a, R_RDMA_WEIGHT, 0x01010101);
    }
    sim_asm_end_task(a, rdma ? 0x1D : 0x0D, op_idx);
}

/* Upload one LUT table: LUT_ACCESS_CFG (write, table, address 0), then one
 * LUT_ACCESS_DATA per entry (the order RKNN streams use). */
static void lut_upload(sim_asm *a, int table, const int16_t *t, int n)
{
    uint32_t v = 0;
    if (n < 1 || n > 1024) {
        if (!a->st)
            a->st = rk_errf(&a->err, RK_EUSAGE, "LUT table %d with %d entries (1..1024)", table, n);
        return;
    }
    F("DPU_LUT_ACCESS_CFG", "LUT_ACCESS_TYPE", 1);
    F("DPU_LUT_ACCESS_CFG", "LUT_TABLE_ID", (uint32_t)table);
    EMIT(R_DPU_LUT_ACCESS_CFG);
    for (int i = 0; i < n; i++) {
        F("DPU_LUT_ACCESS_DATA", "LUT_ACCESS_DATA", (uint16_t)t[i]);
        EMIT(R_DPU_LUT_ACCESS_DATA);
    }
}

static void lut_regs(sim_asm *a, const sim_asm_lut *l)
{
    uint32_t v = 0;
    F("DPU_LUT_CFG", "LUT_HYBRID_PRIORITY", l->hybrid_lo);
    F("DPU_LUT_CFG", "LUT_OFLOW_PRIORITY", l->oflow_lo);
    F("DPU_LUT_CFG", "LUT_UFLOW_PRIORITY", l->uflow_lo);
    EMIT(R_DPU_LUT_CFG);
    F("DPU_LUT_INFO", "LUT_LO_INDEX_SELECT", (uint32_t)l->lo_sel);
    F("DPU_LUT_INFO", "LUT_LE_INDEX_SELECT", (uint32_t)l->le_sel);
    EMIT(R_DPU_LUT_INFO);
    sim_asm_reg(a, R_DPU_LUT_LE_START, (uint32_t)l->le_start);
    sim_asm_reg(a, R_DPU_LUT_LE_END, (uint32_t)l->le_end);
    sim_asm_reg(a, R_DPU_LUT_LO_START, (uint32_t)l->lo_start);
    sim_asm_reg(a, R_DPU_LUT_LO_END, (uint32_t)l->lo_end);
    F("DPU_LUT_LE_SLOPE_SCALE", "LUT_LE_SLOPE_OFLOW_SCALE", (uint16_t)l->le_oflow_scale);
    F("DPU_LUT_LE_SLOPE_SCALE", "LUT_LE_SLOPE_UFLOW_SCALE", (uint16_t)l->le_uflow_scale);
    EMIT(R_DPU_LUT_LE_SLOPE_SCALE);
    F("DPU_LUT_LE_SLOPE_SHIFT", "LUT_LE_SLOPE_OFLOW_SHIFT", (uint32_t)l->le_oflow_shift);
    F("DPU_LUT_LE_SLOPE_SHIFT", "LUT_LE_SLOPE_UFLOW_SHIFT", (uint32_t)l->le_uflow_shift);
    EMIT(R_DPU_LUT_LE_SLOPE_SHIFT);
    F("DPU_LUT_LO_SLOPE_SCALE", "LUT_LO_SLOPE_OFLOW_SCALE", (uint16_t)l->lo_oflow_scale);
    F("DPU_LUT_LO_SLOPE_SCALE", "LUT_LO_SLOPE_UFLOW_SCALE", (uint16_t)l->lo_uflow_scale);
    EMIT(R_DPU_LUT_LO_SLOPE_SCALE);
    F("DPU_LUT_LO_SLOPE_SHIFT", "LUT_LO_SLOPE_OFLOW_SHIFT", (uint32_t)l->lo_oflow_shift);
    F("DPU_LUT_LO_SLOPE_SHIFT", "LUT_LO_SLOPE_UFLOW_SHIFT", (uint32_t)l->lo_uflow_shift);
    EMIT(R_DPU_LUT_LO_SLOPE_SHIFT);
}

void sim_asm_lut_program(sim_asm *a, const sim_asm_lut *l)
{
    if (a->st)
        return;
    lut_upload(a, 0, l->le, l->n_le);
    lut_upload(a, 1, l->lo, l->n_lo);
    lut_regs(a, l);
}

void sim_asm_ew_task(sim_asm *a, const sim_asm_ew *w, uint32_t op_idx)
{
    if (a->st)
        return;
    uint32_t v = 0;
    bool f16 = w->prec == SIM_PREC_FP16;
    if (f16 && w->lut) {
        fail(a, RK_EUNSUPPORTED, "assembler: fp16 EW task with a LUT");
        return;
    }
    int prec = f16 ? SIM_PREC_FP16 : SIM_PREC_INT8;
    int cal = RK_ALIGN_UP(w->c, f16 ? 8 : 16); /* whole 16-byte atoms */
    if (w->lut) {
        lut_upload(a, 0, w->lut->le, w->lut->n_le);
        lut_upload(a, 1, w->lut->lo, w->lut->n_lo);
    }
    sim_asm_reg(a, 0x4004, 0xE);
    sim_asm_reg(a, 0x5004, 0xE);
    F("DPU_FEATURE_MODE_CFG", "BURST_LEN", 15);
    F("DPU_FEATURE_MODE_CFG", "OUTPUT_MODE", 2);
    F("DPU_FEATURE_MODE_CFG", "FLYING_MODE", 1);
    EMIT(R_DPU_FEATURE_MODE_CFG);
    F("DPU_DATA_FORMAT", "EW_TRUNCATE_NEG", w->truncate_neg);
    F("DPU_DATA_FORMAT", "OUT_PRECISION", prec);
    F("DPU_DATA_FORMAT", "IN_PRECISION", prec);
    F("DPU_DATA_FORMAT", "PROC_PRECISION", prec);
    EMIT(R_DPU_DATA_FORMAT);
    sim_asm_addr(a, R_DPU_DST_BASE_ADDR, w->out_tensor, 0);
    F("DPU_DST_SURF_STRIDE", "DST_SURF_STRIDE", w->w * w->h);
    EMIT(R_DPU_DST_SURF_STRIDE);
    F("DPU_DATA_CUBE_WIDTH", "WIDTH", w->w - 1);
    EMIT(R_DPU_DATA_CUBE_WIDTH);
    F("DPU_DATA_CUBE_HEIGHT", "HEIGHT", w->h - 1);
    EMIT(R_DPU_DATA_CUBE_HEIGHT);
    F("DPU_DATA_CUBE_CHANNEL", "ORIG_CHANNEL", w->c - 1);
    F("DPU_DATA_CUBE_CHANNEL", "CHANNEL", cal - 1);
    EMIT(R_DPU_DATA_CUBE_CHANNEL);
    F("DPU_BS_CFG", "BS_ALU_ALGO", 2);
    F("DPU_BS_CFG", "BS_RELU_BYPASS", 1);
    EMIT(R_DPU_BS_CFG);
    sim_asm_reg(a, R_DPU_BS_ALU_CFG, (uint32_t)w->a_alu);
    F("DPU_BS_MUL_CFG", "BS_MUL_OPERAND", (uint16_t)w->a_mul);
    F("DPU_BS_MUL_CFG", "BS_MUL_SHIFT_VALUE", w->a_shift);
    EMIT(R_DPU_BS_MUL_CFG);
    F("DPU_BS_OW_CFG", "OD_BYPASS", 1);
    EMIT(R_DPU_BS_OW_CFG);
    F("DPU_WDMA_SIZE_0", "CHANNEL_WDMA", cal - 1);
    EMIT(R_DPU_WDMA_SIZE_0);
    F("DPU_WDMA_SIZE_1", "HEIGHT_WDMA", w->h - 1);
    F("DPU_WDMA_SIZE_1", "WIDTH_WDMA", w->w - 1);
    EMIT(R_DPU_WDMA_SIZE_1);
    sim_asm_reg(a, R_DPU_BN_CFG, w->relu ? 0x12 : 0x53);
    F("DPU_EW_CFG", "EW_CVT_TYPE", 1);
    F("DPU_EW_CFG", "EW_CVT_ROUND", w->b_half_up ? 1 : 0);
    bool b_pc = f16 && w->b_fp32_per_channel;
    F("DPU_EW_CFG", "EW_DATA_MODE", b_pc ? 0 : 1);
    F("DPU_EW_CFG", "EDATA_SIZE", b_pc ? 3 : f16 ? 2 : 1);
    F("DPU_EW_CFG", "EW_ALU_ALGO", w->algo);
    F("DPU_EW_CFG", "EW_OP_TYPE", w->mul ? 1 : 0);
    F("DPU_EW_CFG", "EW_RELU_BYPASS", 1);
    F("DPU_EW_CFG", "EW_LUT_BYPASS", w->lut ? 0 : 1);
    F("DPU_EW_CFG", "EW_OP_SRC", w->lut ? 0 : 1);
    F("DPU_EW_CFG", "EW_OP_BYPASS", w->lut ? 1 : 0);
    F("DPU_EW_CFG", "EW_OP_CVT_BYPASS", (w->lut || f16) ? 1 : 0);
    EMIT(R_DPU_EW_CFG);
    if (w->lut)
        lut_regs(a, w->lut);
    sim_asm_reg(a, R_DPU_EW_CVT_OFFSET, (uint32_t)w->b_cvt_offset);
    F("DPU_EW_CVT_SCALE_VALUE", "EW_OP_CVT_SCALE", (uint16_t)w->b_cvt_scale);
    F("DPU_EW_CVT_SCALE_VALUE", "EW_OP_CVT_SHIFT", w->b_cvt_shift);
    F("DPU_EW_CVT_SCALE_VALUE", "EW_TRUNCATE", w->truncate);
    EMIT(R_DPU_EW_CVT_SCALE);
    sim_asm_reg(a, R_DPU_OUT_CVT_OFFSET, (uint32_t)w->out_offset);
    F("DPU_OUT_CVT_SCALE", "OUT_CVT_SCALE", (uint16_t)w->out_scale);
    F("DPU_OUT_CVT_SCALE", "FP32TOFP16_EN", f16 ? 1 : 0);
    EMIT(R_DPU_OUT_CVT_SCALE);
    F("DPU_OUT_CVT_SHIFT", "OUT_CVT_SHIFT", w->out_shift);
    F("DPU_OUT_CVT_SHIFT", "CVT_ROUND", w->out_half_up ? 1 : 0);
    EMIT(R_DPU_OUT_CVT_SHIFT);
    F("DPU_RDMA_DATA_CUBE_WIDTH", "WIDTH", w->w - 1);
    EMIT(R_RDMA_CUBE_WIDTH);
    F("DPU_RDMA_DATA_CUBE_HEIGHT", "HEIGHT", w->h - 1);
    EMIT(R_RDMA_CUBE_HEIGHT);
    F("DPU_RDMA_DATA_CUBE_CHANNEL", "CHANNEL", cal - 1);
    EMIT(R_RDMA_CUBE_CHANNEL);
    sim_asm_addr(a, R_RDMA_SRC_BASE_ADDR, w->a_tensor, 0);
    sim_asm_reg(a, R_RDMA_BRDMA_CFG, 0);
    sim_asm_reg(a, R_RDMA_NRDMA_CFG, 0);
    F("DPU_RDMA_ERDMA_CFG", "ERDMA_DATA_MODE", b_pc ? 0 : 1);
    F("DPU_RDMA_ERDMA_CFG", "ERDMA_DATA_SIZE", b_pc ? 3 : f16 ? 2 : 1);
    if (w->lut)
        F("DPU_RDMA_ERDMA_CFG", "ERDMA_DISABLE", 1);
    EMIT(R_RDMA_ERDMA_CFG);
    if (!w->lut)
        sim_asm_addr(a, R_RDMA_EW_BASE_ADDR, w->b_tensor, 0);
    F("DPU_RDMA_EW_SURF_STRIDE", "EW_SURF_STRIDE", w->w * w->h);
    EMIT(R_RDMA_EW_SURF_STRIDE);
    F("DPU_RDMA_FEATURE_MODE_CFG", "BURST_LEN", 15);
    F("DPU_RDMA_FEATURE_MODE_CFG", "FLYING_MODE", 1);
    F("DPU_RDMA_FEATURE_MODE_CFG", "IN_PRECISION", prec);
    F("DPU_RDMA_FEATURE_MODE_CFG", "PROC_PRECISION", prec);
    EMIT(R_RDMA_FEATURE_MODE_CFG);
    sim_asm_reg(a, R_RDMA_WEIGHT, 0x01010101);
    sim_asm_end_task(a, 0x18, op_idx);
}

void sim_asm_pool_task(sim_asm *a, const sim_asm_pool *p, uint32_t op_idx)
{
    if (a->st)
        return;
    uint32_t v = 0;
    int ow = sim_asm_conv_out(p->in_w, p->kw, p->sx, 1, p->pad_left, p->pad_right);
    int oh = sim_asm_conv_out(p->in_h, p->kh, p->sy, 1, p->pad_top, p->pad_bottom);
    sim_asm_reg(a, 0x6004, 0xE);
    sim_asm_reg(a, 0x7004, 0xE);
    F("PPU_DATA_CUBE_IN_WIDTH", "CUBE_IN_WIDTH", p->in_w - 1);
    EMIT(R_PPU_CUBE_IN_WIDTH);
    F("PPU_DATA_CUBE_IN_HEIGHT", "CUBE_IN_HEIGHT", p->in_h - 1);
    EMIT(R_PPU_CUBE_IN_HEIGHT);
    F("PPU_DATA_CUBE_IN_CHANNEL", "CUBE_IN_CHANNEL", p->c - 1);
    EMIT(R_PPU_CUBE_IN_CHANNEL);
    F("PPU_DATA_CUBE_OUT_WIDTH", "CUBE_OUT_WIDTH", ow - 1);
    EMIT(R_PPU_CUBE_OUT_WIDTH);
    F("PPU_DATA_CUBE_OUT_HEIGHT", "CUBE_OUT_HEIGHT", oh - 1);
    EMIT(R_PPU_CUBE_OUT_HEIGHT);
    F("PPU_DATA_CUBE_OUT_CHANNEL", "CUBE_OUT_CHANNEL", p->c - 1);
    EMIT(R_PPU_CUBE_OUT_CHANNEL);
    F("PPU_OPERATION_MODE_CFG", "POOLING_METHOD", p->method);
    F("PPU_OPERATION_MODE_CFG", "FLYING_MODE", 1);
    EMIT(R_PPU_OPERATION_MODE_CFG);
    F("PPU_POOLING_KERNEL_CFG", "KERNEL_WIDTH", p->kw - 1);
    F("PPU_POOLING_KERNEL_CFG", "KERNEL_HEIGHT", p->kh - 1);
    F("PPU_POOLING_KERNEL_CFG", "KERNEL_STRIDE_WIDTH", p->sx - 1);
    F("PPU_POOLING_KERNEL_CFG", "KERNEL_STRIDE_HEIGHT", p->sy - 1);
    EMIT(R_PPU_POOLING_KERNEL_CFG);
    F("PPU_RECIP_KERNEL_WIDTH", "RECIP_KERNEL_WIDTH", 65536 / p->kw);
    EMIT(R_PPU_RECIP_KERNEL_WIDTH);
    F("PPU_RECIP_KERNEL_HEIGHT", "RECIP_KERNEL_HEIGHT", 65536 / p->kh);
    EMIT(R_PPU_RECIP_KERNEL_HEIGHT);
    F("PPU_POOLING_PADDING_CFG", "PAD_LEFT", p->pad_left);
    F("PPU_POOLING_PADDING_CFG", "PAD_TOP", p->pad_top);
    F("PPU_POOLING_PADDING_CFG", "PAD_RIGHT", p->pad_right);
    F("PPU_POOLING_PADDING_CFG", "PAD_BOTTOM", p->pad_bottom);
    EMIT(R_PPU_POOLING_PADDING_CFG);
    sim_asm_reg(a, R_PPU_PADDING_VALUE_1, p->pad_value);
    sim_asm_reg(a, R_PPU_PADDING_VALUE_2, 0);
    sim_asm_addr(a, R_PPU_DST_BASE_ADDR, p->out_tensor, 0);
    F("PPU_DST_SURF_STRIDE", "DST_SURF_STRIDE", ow * oh);
    EMIT(R_PPU_DST_SURF_STRIDE);
    F("PPU_DATA_FORMAT", "PROC_PRECISION", p->prec);
    EMIT(R_PPU_DATA_FORMAT);
    F("PPU_MISC_CTRL", "BURST_LEN", 3);
    EMIT(R_PPU_MISC_CTRL);
    F("PPU_RDMA_CUBE_IN_WIDTH", "CUBE_IN_WIDTH", p->in_w - 1);
    EMIT(R_PPU_RDMA_CUBE_IN_WIDTH);
    F("PPU_RDMA_CUBE_IN_HEIGHT", "CUBE_IN_HEIGHT", p->in_h - 1);
    EMIT(R_PPU_RDMA_CUBE_IN_HEIGHT);
    F("PPU_RDMA_CUBE_IN_CHANNEL", "CUBE_IN_CHANNEL", p->c - 1);
    EMIT(R_PPU_RDMA_CUBE_IN_CHANNEL);
    sim_asm_addr(a, R_PPU_RDMA_SRC_BASE_ADDR, p->in_tensor, 0);
    F("PPU_RDMA_SRC_LINE_STRIDE", "SRC_LINE_STRIDE", p->in_w);
    EMIT(R_PPU_RDMA_SRC_LINE_STRIDE);
    F("PPU_RDMA_SRC_SURF_STRIDE", "SRC_SURF_STRIDE", p->in_w * p->in_h);
    EMIT(R_PPU_RDMA_SRC_SURF_STRIDE);
    F("PPU_RDMA_DATA_FORMAT", "IN_PRECISION", p->prec == SIM_PREC_INT8 ? 1 : 2);
    EMIT(R_PPU_RDMA_DATA_FORMAT);
    sim_asm_end_task(a, 0x60, op_idx);
}

rk_status sim_asm_install(sim_asm *a, rknn_model *m, rk_err *e)
{
    if (a->st) {
        if (e)
            *e = a->err;
        return a->st;
    }
    for (size_t i = 0; i < a->nt; i++) {
        size_t tail = (size_t)(a->tasks[i].regcmd_addr / 8) + a->tasks[i].regcfg_amount;
        if (i + 1 < a->nt) {
            uint32_t amount;
            if (!isa_pc_amount_for(a->soc, a->tasks[i + 1].regcfg_amount, &amount))
                return rk_errf(e, RK_EUNSUPPORTED, "assembler: PC amount unknown for this SoC");
            a->words[tail] = isa_regcmd_encode(ISA_TARGET_PC, (uint32_t)a->tasks[i + 1].regcmd_addr,
                                               R_PC_BASE_ADDRESS);
            a->words[tail + 1] = isa_regcmd_encode(ISA_TARGET_PC, amount, R_PC_REGISTER_AMOUNTS);
        }
    }
    rk_status st = rknn_set_program(m, a->words, a->n, a->tasks, a->nt, e);
    for (size_t i = 0; !st && i < a->nr; i++)
        st = rknn_add_reloc(m, a->relocs[i].name, a->relocs[i].offset, a->relocs[i].entry, e);
    return st;
}

/* ------------------------------------------------------------ packing */

rk_status sim_asm_pack_weights_grouped(const sim_asm_wgroups *gr, int prec, bool depthwise, int k, int c, int kh,
                                       int kw, const void *oihw, uint8_t **out, size_t *len, rk_err *e)
{
    int esz = prec == SIM_PREC_INT8 ? 1 : 2;
    int cal = RK_ALIGN_UP(c, gr->cin_align);
    int taps = kh * kw;
    size_t n = depthwise ? (size_t)cal * taps * esz : (size_t)k * cal * taps * esz;
    uint8_t *w = calloc(1, n ? n : 1);
    if (!w)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    const uint8_t *src = oihw;
    size_t off = 0;
    if (depthwise) {
        for (int c0 = 0; c0 < cal; c0 += gr->dw) {
            int cn = RK_MIN(gr->dw, cal - c0);
            for (int t = 0; t < taps; t++)
                for (int i = 0; i < cn; i++, off += (size_t)esz)
                    if (c0 + i < c)
                        memcpy(w + off, src + ((size_t)(c0 + i) * taps + t) * esz, (size_t)esz);
        }
    } else {
        for (int k0 = 0; k0 < k; k0 += gr->co) {
            int kn = RK_MIN(gr->co, k - k0);
            for (int i0 = 0; i0 < cal; i0 += gr->ci) {
                int in = RK_MIN(gr->ci, cal - i0);
                for (int t = 0; t < taps; t++)
                    for (int kk = 0; kk < kn; kk++)
                        for (int i = 0; i < in; i++, off += (size_t)esz)
                            if (i0 + i < c)
                                memcpy(w + off, src + (((size_t)(k0 + kk) * c + i0 + i) * taps + t) * esz,
                                       (size_t)esz);
            }
        }
    }
    *out = w;
    *len = n;
    return RK_OK;
}

rk_status sim_asm_pack_weights(rk_soc soc, int prec, bool depthwise, int k, int c, int kh, int kw,
                               const void *oihw, uint8_t **out, size_t *len, rk_err *e)
{
    int esz = prec == SIM_PREC_INT8 ? 1 : 2;
    bool lite = soc == RK_SOC_RK3566;
    sim_asm_wgroups gr = {
        .cin_align = 16 / esz,
        .dw = esz == 1 ? 64 : 32,
        .co = lite ? (esz == 1 ? 16 : 8) : (esz == 1 ? 32 : 16),
        .ci = (esz == 2 && lite) ? 16 : 32,
    };
    return sim_asm_pack_weights_grouped(&gr, prec, depthwise, k, c, kh, kw, oihw, out, len, e);
}

rk_status sim_asm_pack_bs(uint32_t use, int k, const int32_t *alu, const int16_t *cpend, const int16_t *mul,
                          uint8_t **out, size_t *len, rk_err *e)
{
    size_t g = ((use & 1) ? 32u : 0u) + ((use & 2) ? 16u : 0u) + ((use & 4) ? 16u : 0u);
    int kal = RK_ALIGN_UP(k, 16);
    size_t n = (size_t)(kal / 8) * g;
    uint8_t *p = calloc(1, n ? n : 1);
    if (!p)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    for (int c = 0; c < k; c++) {
        uint8_t *q = p + (size_t)(c / 8) * g;
        int i = c % 8;
        size_t off = 0;
        if (use & 1) {
            uint32_t v = (uint32_t)alu[c];
            for (int b = 0; b < 4; b++)
                q[4 * i + b] = (uint8_t)(v >> (8 * b));
            off = 32;
        }
        if (use & 2) {
            uint16_t v = (uint16_t)cpend[c];
            q[off + 2 * i] = (uint8_t)v;
            q[off + 2 * i + 1] = (uint8_t)(v >> 8);
            off += 16;
        }
        if (use & 4) {
            uint16_t v = (uint16_t)mul[c];
            q[off + 2 * i] = (uint8_t)v;
            q[off + 2 * i + 1] = (uint8_t)(v >> 8);
        }
    }
    *out = p;
    *len = n;
    return RK_OK;
}

rk_status sim_asm_pack_feature(int prec, int c, int h, int w, const void *chw, uint8_t **out, size_t *len,
                               rk_err *e)
{
    int esz = prec == SIM_PREC_INT8 ? 1 : 2;
    int c2 = 16 / esz;
    int c1 = (c + c2 - 1) / c2;
    size_t n = (size_t)c1 * h * w * 16;
    uint8_t *p = calloc(1, n ? n : 1);
    if (!p)
        return rk_errf(e, RK_ENOMEM, "out of memory");
    const uint8_t *s = chw;
    for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                memcpy(p + ((((size_t)(ch / c2) * h + y) * w + x) * c2 + ch % c2) * esz,
                       s + (((size_t)ch * h + y) * w + x) * esz, (size_t)esz);
    *out = p;
    *len = n;
    return RK_OK;
}

void sim_asm_unpack_feature(int prec, int c, int h, int w, const uint8_t *native, void *chw)
{
    int esz = prec == SIM_PREC_INT8 ? 1 : 2;
    int c2 = 16 / esz;
    uint8_t *d = chw;
    for (int ch = 0; ch < c; ch++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                memcpy(d + (((size_t)ch * h + y) * w + x) * esz,
                       native + ((((size_t)(ch / c2) * h + y) * w + x) * c2 + ch % c2) * esz, (size_t)esz);
}
