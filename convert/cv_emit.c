/*
 * cv_emit.c - lowering of one Conv (direct or depthwise) to RK3588
 * CNA+CORE+DPU tasks, with tiling.
 *
 * Register recipe: the vendor's single-core conv tasks in
 * ../shared/reference/dumps/multiple_input_demo_RK3588.regcmd.txt and
 * dual_residual_custom_RK3588.regcmd.txt (same registers, same order), as
 * already reproduced by the simulator's assembler (sim/sim_asm.c, whose
 * field meanings are in sim/SEMANTICS.md C-* and D-*).  Differences that
 * tiling needs, each with its source:
 *  - CBUF split: CNA_CBUF_CON0 DATA_BANK = banks the tile's input rows need,
 *    WEIGHT_BANK = the rest of the 12 (vendor streams: 0x48 = 8+4, 0xa2 =
 *    2+10, 0xb1 = 1+11 all sum to 12; 32 KB banks: Mesa, mtx512).
 *  - Row tiles (Mesa rkt_split_tasks, npu-isa.md §6.1, which splits along
 *    H only): FEATURE_DATA_ADDR / DST_BASE_ADDR move by whole rows, the
 *    surface strides stay those of the whole tensor (CNA DMA_CON2,
 *    DPU DST_SURF_STRIDE), PAD_TOP only on the first tile and the bottom pad
 *    implied by the tile's output height (SEMANTICS C-PAD) - vendor
 *    pp_human_segv2 splits 3x3 s2 convs by rows this way (SEMANTICS V3).
 *  - Column tiles (widths beyond DATAIN_WIDTH's 11 bits / the DPU's 13-bit
 *    minus-one WIDTH): LINE_STRIDE of the whole tensor, DPU output line pitch
 *    via DATA_CUBE_NOTCH_ADDR.NOTCH_ADDR_0 = full width - tile width
 *    (SEMANTICS D-WDMA, notch inferred from pp_human).  Inferred, unconfirmed
 *    on hardware.
 *  - Output-channel tiles (when the weights leave no room for one row of
 *    input): kernel groups of a multiple of 32 (int8) / 16 (fp16) kernels,
 *    each its own task with DCOMP_ADDR0, DST_BASE_ADDR and BS_BASE_ADDR moved
 *    to the group (contiguous in the layouts of SEMANTICS C-WT / D-BSDATA).
 *    The vendor splits by K too ("ChannelTile", npu-isa.md §6.3) but keeps
 *    DST_BASE_ADDR; how it then addresses the output is not decoded, so the
 *    per-group base address is our choice (inferred, simulator-consistent).
 * Every field goes through the ISA packer (isa_field_pack); an overflow
 * becomes the vendor's REGTASK line plus our explanation naming the node.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cv_internal.h"
#include "sim_regs.h"

/* Largest value a field of the target SoC holds (isa/regdb/<soc>.regs):
 * tiling decisions use the target's own limits. */
static int64_t field_max(rk_soc soc, const char *reg, const char *field)
{
    const isa_reg *r = isa_reg_lookup_name(soc, reg);
    const isa_field *f = r ? isa_field_lookup(r, field) : NULL;
    return f ? (int64_t)isa_field_max(f) : 0;
}

/* Field packer with the vendor's REGTASK wording on overflow. */
typedef struct cv_packer {
    sim_asm *a;
    const cv_op *op;
    rk_status st;
    rk_err *e;
    uint32_t v;
} cv_packer;

static void pack(cv_packer *p, const char *reg, const char *field, int64_t value)
{
    if (p->st)
        return;
    const isa_reg *r = isa_reg_lookup_name(p->a->soc, reg);
    const isa_field *f = r ? isa_field_lookup(r, field) : NULL;
    if (!f) {
        p->st = rk_errf(p->e, RK_EINTERNAL, "%s: register field %s.%s unknown to the ISA database", p->op->label,
                        reg, field);
        return;
    }
    if (value < 0 || (uint64_t)value > isa_field_max(f)) {
        char line[200];
        isa_format_regtask(p->a->soc, r->offset, f->lo, isa_field_max(f), (uint32_t)value, line, sizeof(line));
        p->st = rk_errf(p->e, RK_ECHECK,
                        "%s\n  rksim: ONNX node %s needs %s.%s = %lld (bits %u:%u hold at most %u)%s", line,
                        p->op->label, reg, field, (long long)value, f->hi, f->lo, isa_field_max(f),
                        "; without --no-tiling the compiler splits the op into tiles that fit");
        return;
    }
    rk_err e2 = {0};
    if (isa_field_pack(r, f, (uint32_t)value, &p->v, &e2))
        p->st = rk_errf(p->e, e2.status, "%s: %s", p->op->label, e2.msg);
}

static void emit(cv_packer *p, uint16_t off)
{
    if (!p->st)
        sim_asm_reg(p->a, off, p->v);
    p->v = 0;
}

/* One tile: output rows [oy0, oy0+oh) and columns [ox0, ox0+ow). */
typedef struct cv_tile {
    int oy0, oh, ox0, ow;
    int iy0, ih, ix0, iw; /* input window actually read */
    int pt, pl;           /* padding above / left of that window */
    int data_banks;
    bool weight_reuse;    /* not the first tile of this kernel group */
    int k0, kn;           /* output channels [k0, k0+kn) (channel tiling) */
    int kg;               /* channels per channel tile (weights packed per tile: cv_conv_kgroup) */
} cv_tile;

static int esz_of(int prec) { return prec == SIM_PREC_INT8 ? 1 : 2; }

static void tile_window(const cv_tensor *x, const cv_op *op, cv_tile *t)
{
    int y_first = t->oy0 * op->sy - op->pt, y_last = (t->oy0 + t->oh - 1) * op->sy - op->pt + op->kh - 1;
    int x_first = t->ox0 * op->sx - op->pl, x_last = (t->ox0 + t->ow - 1) * op->sx - op->pl + op->kw - 1;
    t->iy0 = RK_MAX(y_first, 0);
    t->pt = t->iy0 - y_first;
    t->ih = RK_MIN(y_last, x->h - 1) - t->iy0 + 1;
    t->ix0 = RK_MAX(x_first, 0);
    t->pl = t->ix0 - x_first;
    t->iw = RK_MIN(x_last, x->w - 1) - t->ix0 + 1;
}

/* Lite (RK3566/RK3568) register family: the same fields as RK3588 where the
 * ISA database has them, and raw values where the lite layout differs
 * (sim/SEMANTICS.md "lite differences", all inferred from the vendor lite
 * streams multiple_input_demo / dual_residual_custom, confirmed V4):
 *  - an extra block at 0x2000 (S_POINTER 0x2004, 0x200C: vendor 0x1 int8 /
 *    0x2001 fp16, meaning unknown) enabled by op_en bit 1 (masks 0x0F/0x1F);
 *  - CORE 0x3010 = output H-1/W-1, 0x3014 = C-1 (one slot lower);
 *  - PAD_CON0[31:16] = pad value (PAD_CON1 never written);
 *  - CVT_CON0 0xA: converter off, signed data (vendor fp16 value; we feed
 *    int8 inputs signed, so the vendor's uint8 first-layer converter is not
 *    needed);
 *  - LINE/SURF_STRIDE in 8-byte atoms: W and W*H;
 *  - BS ALU_ALGO at [3:2] (0x148 = add, bias per channel); no WDMA_SIZE, no
 *    FP32TOFP16_EN (vendor writes OUT_CVT_SCALE 1 for fp16);
 *  - DATA_ENTRIES in 32-byte units (vendor 0x20 for 128 px x 8 int8, 0x3 for
 *    10 px x 4 fp16; inferred, the simulator does not use it);
 *  - SURFACE_ADD = W*H (vendor 0x40000 for 128x128; unused unless reshaped).
 * Not written on lite (vendor values, meaning unknown): CONV_CON4 0x1018,
 * CBUF_CON1[23:16], DPU_RDMA 0x5024/0x503C. */
static void emit_tile(cv_packer *p, const cv_graph *g, const cv_op *op, const cv_conv_q *q, const cv_tile *t,
                      uint32_t op_idx)
{
    sim_asm *a = p->a;
    const cv_soc *S = g->soc;
    const cv_tensor *x = &g->tensors[op->in[0]], *y = &g->tensors[op->out];
    int esz = esz_of(q->prec), c2 = cv_soc_c2(S, esz);
    /* a depthwise channel tile reads only its own channels */
    int cin = op->depthwise ? t->kn : x->c;
    int cin_al = cv_soc_cin_align(S, cin, esz);
    int kernels = op->depthwise ? 1 : t->kn; /* vendor depthwise tasks program 1 (SEMANTICS C-WT-DW) */
    int taps = op->kw * op->kh;
    int64_t in_surf = (int64_t)x->w * x->h * S->atom, out_surf = (int64_t)y->w * y->h * S->atom;
    /* DPU/CORE channels: 16 bytes' worth as on RK3588 (vendor lite too: 8
     * int8 kernels -> CHANNEL 15, tensors sized for 16 channels, cv_build.c
     * plan_pool); lite odd surfaces (cv_conv_kgroup) and lite depthwise (no
     * vendor example) write their own surfaces only */
    int k = t->kn, kout_al = RK_ALIGN_UP(k, S->lite && (out_surf % 16 || op->depthwise) ? c2 : 16 / esz);
    /* channel tiles: weights packed per tile (cv_build.c), so tile k0/kg
     * starts after k0/kg whole tiles; its output starts k0/C2 surfaces in;
     * its BRDMA data k0/group groups in (SEMANTICS D-BSDATA) */
    int64_t w_off = op->depthwise ? (int64_t)(t->k0 / t->kg) * cv_soc_cin_align(S, t->kg, esz) * taps * esz
                                  : (int64_t)t->k0 * taps * cin_al * esz;
    int64_t i_off = op->depthwise ? (int64_t)(t->k0 / c2) * in_surf : 0;
    int64_t o_off = (int64_t)(t->k0 / c2) * out_surf;
    int64_t bs_group = ((q->bs_use & 1) ? 4 * S->bs_group : 0) + ((q->bs_use & 4) ? 2 * S->bs_group : 0);
    int64_t bs_off = (int64_t)(t->k0 / S->bs_group) * bs_group;
    int c1 = (cin_al * esz + 15) / 16;
    bool rdma = q->bs_use != 0;
    if (S->lite)
        sim_asm_reg(a, 0x2004, 0xE);
    sim_asm_reg(a, 0x4004, 0xE); /* DPU_S_POINTER, as every vendor task begins */
    if (rdma)
        sim_asm_reg(a, 0x5004, 0xE);
    pack(p, "CNA_CONV_CON1", "CONV_MODE", op->depthwise ? 3 : 0);
    pack(p, "CNA_CONV_CON1", "IN_PRECISION", q->prec);
    pack(p, "CNA_CONV_CON1", "PROC_PRECISION", q->prec);
    if (x->argb) /* packed-channel input: ARGB_IN 8..11 = 1..4 channels (vendor lite 0xA000 / 0xA220) */
        pack(p, "CNA_CONV_CON1", "ARGB_IN", 7 + x->c);
    emit(p, R_CNA_CONV_CON1);
    pack(p, "CNA_CONV_CON2", "FEATURE_GRAINS", RK_MIN(op->kh + op->sy + 1, 1023));
    pack(p, "CNA_CONV_CON2", "KERNEL_GROUP", (kernels + cv_soc_wgrp(S, esz) - 1) / cv_soc_wgrp(S, esz) - 1);
    emit(p, R_CNA_CONV_CON2);
    pack(p, "CNA_CONV_CON3", "CONV_X_STRIDE", op->sx);
    pack(p, "CNA_CONV_CON3", "CONV_Y_STRIDE", op->sy);
    emit(p, R_CNA_CONV_CON3);
    pack(p, "CNA_DATA_SIZE0", "DATAIN_WIDTH", t->iw);
    pack(p, "CNA_DATA_SIZE0", "DATAIN_HEIGHT", t->ih);
    emit(p, R_CNA_DATA_SIZE0);
    pack(p, "CNA_DATA_SIZE1", "DATAIN_CHANNEL_REAL", cin - 1);
    pack(p, "CNA_DATA_SIZE1", "DATAIN_CHANNEL", cin_al);
    emit(p, R_CNA_DATA_SIZE1);
    pack(p, "CNA_DATA_SIZE2", "DATAOUT_WIDTH", t->ow);
    emit(p, R_CNA_DATA_SIZE2);
    pack(p, "CNA_DATA_SIZE3", "DATAOUT_ATOMICS", (int64_t)t->ow * t->oh);
    emit(p, R_CNA_DATA_SIZE3);
    int64_t wk = op->depthwise ? cin_al : (int64_t)cin_al * kernels;
    pack(p, "CNA_WEIGHT_SIZE0", "WEIGHT_BYTES", (int64_t)taps * wk * esz);
    emit(p, R_CNA_WEIGHT_SIZE0);
    pack(p, "CNA_WEIGHT_SIZE1", "WEIGHT_BYTES_PER_KERNEL", (int64_t)taps * cin_al * esz);
    emit(p, R_CNA_WEIGHT_SIZE1);
    pack(p, "CNA_WEIGHT_SIZE2", "WEIGHT_WIDTH", op->kw);
    pack(p, "CNA_WEIGHT_SIZE2", "WEIGHT_HEIGHT", op->kh);
    pack(p, "CNA_WEIGHT_SIZE2", "WEIGHT_KERNELS", kernels);
    emit(p, R_CNA_WEIGHT_SIZE2);
    pack(p, "CNA_CBUF_CON0", "DATA_BANK", t->data_banks);
    pack(p, "CNA_CBUF_CON0", "WEIGHT_BANK", S->cbuf_banks - t->data_banks);
    /* later tiles keep the resident weights (Mesa rkt_split_tasks; vendor
     * pp_human row tiles; SEMANTICS "Weight reuse") */
    pack(p, "CNA_CBUF_CON0", "WEIGHT_REUSE", t->weight_reuse ? 1 : 0);
    emit(p, R_CNA_CBUF_CON0);
    int entry = S->lite ? 32 : 64;
    pack(p, "CNA_CBUF_CON1", "DATA_ENTRIES", ((int64_t)t->iw * cin_al * esz + entry - 1) / entry);
    emit(p, R_CNA_CBUF_CON1);
    if (S->lite && q->unsigned_input) {
        /* vendor lite first layers: CVT_CON0 0x000E38E1 for 3 channels
         * (converter on, DATA_SIGN 0 = unsigned, truncate 14 for each real
         * channel), CVT_CON1.. 0x4000FF80 (scale 2^14, offset -128) for
         * the real channels and the identity 0x10000 for the others */
        uint32_t cvt = 0x1;
        for (int i = 0; i < 4; i++) {
            if (i < x->c)
                cvt |= 14u << (4 + 6 * i);
            sim_asm_reg(a, (uint16_t)(R_CNA_CVT_CON1 + 4 * i), i < x->c ? 0x4000FF80u : 0x10000u);
        }
        sim_asm_reg(a, R_CNA_CVT_CON0, cvt);
    } else if (S->lite) {
        sim_asm_reg(a, R_CNA_CVT_CON0, 0xA);
    } else {
        pack(p, "CNA_CVT_CON0", "CVT_BYPASS", 1); /* input converter unused (SEMANTICS C-CVT) */
        pack(p, "CNA_CVT_CON0", "CVT_TYPE", 1);
        pack(p, "CNA_CVT_CON0", "DATA_SIGN", 1);
        emit(p, R_CNA_CVT_CON0);
    }
    for (int i = 0; i < 4 && !(S->lite && q->unsigned_input); i++)
        sim_asm_reg(a, (uint16_t)(R_CNA_CVT_CON1 + 4 * i), 0x10000); /* scale 1, offset 0 (vendor) */
    pack(p, "CNA_PAD_CON0", "PAD_TOP", t->pt);
    pack(p, "CNA_PAD_CON0", "PAD_LEFT", t->pl);
    if (S->lite) /* lite: pad value in [31:16] (int8 zp sign-extended / fp16 bits) */
        p->v |= (q->pad_value & 0xFFFFu) << 16;
    emit(p, R_CNA_PAD_CON0);
    /* packed-channel (ARGB) rows: W*C elements padded to 8 bytes (vendor
     * LINE_STRIDE 0x30 for 128 px x 3 int8, 0x8 for 10 px x 3 fp16) */
    int64_t argb_line = RK_ALIGN_UP((int64_t)x->w * x->c * esz, 8);
    if (!p->st)
        sim_asm_addr(a, R_CNA_FEATURE_DATA_ADDR, q->in_name,
                     (uint32_t)(x->argb ? t->iy0 * argb_line + (int64_t)t->ix0 * x->c * esz
                                        : i_off + ((int64_t)t->iy0 * x->w + t->ix0) * S->atom));
    if (S->lite) {
        sim_asm_reg(a, 0x1078, 0x00171C07); /* every conv of both lite vendor files (opaque bits, burst 7) */
    } else {
        pack(p, "CNA_DMA_CON0", "DATA_BURST_LEN", 15);
        pack(p, "CNA_DMA_CON0", "WEIGHT_BURST_LEN", 15);
        emit(p, 0x1078);
    }
    int64_t ss;
    if (S->lite) {
        pack(p, "CNA_DMA_CON1", "LINE_STRIDE", x->argb ? argb_line / 8 : x->w);
        ss = (int64_t)x->w * x->h; /* also for ARGB inputs (vendor 0x4000 for 128x128, 0x64 for 10x10) */
    } else {
        pack(p, "CNA_DMA_CON1", "LINE_STRIDE", (int64_t)x->w * 4);
        ss = c1 > 1 ? (int64_t)x->w * x->h - (int64_t)x->w * 4 : 0; /* SEMANTICS C-FEAT-NORMAL */
    }
    emit(p, R_CNA_DMA_CON1);
    if (ss < 0 && !p->st)
        p->st = rk_errf(p->e, RK_EUNSUPPORTED,
                        "%s: input '%s' has %d channels (%d surfaces) but only %d rows; the surface stride "
                        "encoding needs >= 4 rows (vendor layout for such tensors not decoded yet)",
                        op->label, x->name, x->c, c1, x->h);
    pack(p, "CNA_DMA_CON2", "SURF_STRIDE", ss);
    emit(p, R_CNA_DMA_CON2);
    pack(p, "CNA_FC_DATA_SIZE0", "DMA_WIDTH", t->iw);
    pack(p, "CNA_FC_DATA_SIZE0", "DMA_HEIGHT", t->ih);
    emit(p, 0x1084);
    pack(p, "CNA_FC_DATA_SIZE1", "DMA_CHANNEL", cin_al);
    emit(p, 0x1088);
    sim_asm_reg(a, R_CNA_DCOMP_CTRL, 0);
    if (!p->st)
        sim_asm_addr(a, R_CNA_DCOMP_ADDR0, q->w_name, (uint32_t)w_off);
    if (S->lite) {
        sim_asm_reg(a, 0x200C, q->prec == SIM_PREC_FP16 ? 0x2001 : 0x1);
        pack(p, "CORE_MISC_CFG", "VALUE", ((int64_t)(t->oh - 1) << 16) | (t->ow - 1));
        emit(p, R_CORE_MISC_CFG); /* lite: output H-1 / W-1 */
        pack(p, "CORE_DATAOUT_SIZE_0", "DATAOUT_WIDTH", kout_al - 1);
        emit(p, R_CORE_DATAOUT_SIZE_0); /* lite: output C-1 */
    } else {
        sim_asm_reg(a, R_CNA_PAD_CON1, q->pad_value);
        pack(p, "CORE_MISC_CFG", "PROC_PRECISION", q->prec);
        pack(p, "CORE_MISC_CFG", "DW_EN", op->depthwise ? 1 : 0);
        pack(p, "CORE_MISC_CFG", "QD_EN", q->prec == SIM_PREC_INT8 ? 1 : 0);
        emit(p, R_CORE_MISC_CFG);
        pack(p, "CORE_DATAOUT_SIZE_0", "DATAOUT_HEIGHT", t->oh - 1);
        pack(p, "CORE_DATAOUT_SIZE_0", "DATAOUT_WIDTH", t->ow - 1);
        emit(p, R_CORE_DATAOUT_SIZE_0);
        pack(p, "CORE_DATAOUT_SIZE_1", "DATAOUT_CHANNEL", kout_al - 1);
        emit(p, R_CORE_DATAOUT_SIZE_1);
    }
    sim_asm_reg(a, R_CORE_CLIP_TRUNCATE, 0);
    /* DPU: BS (bias + per-channel scale) -> BN (ReLU) -> OUT_CVT -> WDMA.
     * lite: 0x108 in every conv of both lite vendor files (burst 8, no
     * output-mode bits, [4:3] = 1); depthwise: [4:3] = 3 as RK3588's
     * CONV_MODE (inferred, no lite depthwise file) */
    pack(p, "DPU_FEATURE_MODE_CFG", "BURST_LEN", S->lite ? 8 : 15);
    pack(p, "DPU_FEATURE_MODE_CFG", "OUTPUT_MODE", S->lite ? 0 : 2);
    pack(p, "DPU_FEATURE_MODE_CFG", "CONV_MODE", op->depthwise ? 3 : S->lite ? 1 : 0);
    emit(p, R_DPU_FEATURE_MODE_CFG);
    pack(p, "DPU_DATA_FORMAT", "OUT_PRECISION", q->prec);
    pack(p, "DPU_DATA_FORMAT", "IN_PRECISION", q->prec);
    pack(p, "DPU_DATA_FORMAT", "PROC_PRECISION", q->prec);
    pack(p, "DPU_DATA_FORMAT", "BS_MUL_SHIFT_VALUE_NEG", rdma ? 14 : 0);
    /* PReLU multiplies negatives only: v * alpha < 0 takes the NEG shift (D-MUL) */
    pack(p, "DPU_DATA_FORMAT", "BN_MUL_SHIFT_VALUE_NEG", q->bn_prelu && q->prec == SIM_PREC_INT8 ? q->bn_shift : 0);
    emit(p, R_DPU_DATA_FORMAT);
    if (!p->st)
        sim_asm_addr(a, R_DPU_DST_BASE_ADDR, q->out_name,
                     (uint32_t)(o_off + ((int64_t)t->oy0 * y->w + t->ox0) * S->atom));
    /* surface stride in 16-byte units; a lite surface of an odd pixel count
     * (8-byte atoms) is not expressible: cv_conv_kgroup then gives every
     * tile one surface, where the stride is unused */
    if (out_surf % 16 && kout_al > c2 && !p->st)
        p->st = rk_errf(p->e, RK_EINTERNAL, "%s: %lld-byte output surfaces with %d channels per task", op->label,
                        (long long)out_surf, kout_al);
    pack(p, "DPU_DST_SURF_STRIDE", "DST_SURF_STRIDE", (out_surf + 15) / 16);
    emit(p, R_DPU_DST_SURF_STRIDE);
    pack(p, "DPU_DATA_CUBE_WIDTH", "WIDTH", t->ow - 1);
    emit(p, R_DPU_DATA_CUBE_WIDTH);
    pack(p, "DPU_DATA_CUBE_HEIGHT", "HEIGHT", t->oh - 1);
    emit(p, R_DPU_DATA_CUBE_HEIGHT);
    pack(p, "DPU_DATA_CUBE_NOTCH_ADDR", "NOTCH_ADDR_0", y->w - t->ow);
    emit(p, R_DPU_DATA_CUBE_NOTCH_ADDR);
    pack(p, "DPU_DATA_CUBE_CHANNEL", "ORIG_CHANNEL", k - 1);
    pack(p, "DPU_DATA_CUBE_CHANNEL", "CHANNEL", kout_al - 1);
    emit(p, R_DPU_DATA_CUBE_CHANNEL);
    if (rdma) {
        if (!S->lite)
            pack(p, "DPU_BS_CFG", "BS_ALU_ALGO", 2); /* add (TRM) */
        pack(p, "DPU_BS_CFG", "BS_ALU_SRC", (q->bs_use & 1) ? 1 : 0);
        pack(p, "DPU_BS_CFG", "BS_ALU_BYPASS", (q->bs_use & 1) ? 0 : 1);
        pack(p, "DPU_BS_CFG", "BS_MUL_BYPASS", (q->bs_use & 4) ? 0 : 1);
        pack(p, "DPU_BS_CFG", "BS_RELU_BYPASS", 1);
        if (S->lite)
            p->v |= 2u << 2; /* lite ALU_ALGO [3:2] = 2 add (vendor 0x148) */
    } else {
        pack(p, "DPU_BS_CFG", "BS_BYPASS", 1);
        pack(p, "DPU_BS_CFG", "BS_ALU_BYPASS", 1);
        pack(p, "DPU_BS_CFG", "BS_MUL_BYPASS", 1);
        pack(p, "DPU_BS_CFG", "BS_RELU_BYPASS", 1);
    }
    emit(p, R_DPU_BS_CFG);
    sim_asm_reg(a, R_DPU_BS_ALU_CFG, 0);
    pack(p, "DPU_BS_MUL_CFG", "BS_MUL_SHIFT_VALUE", rdma ? 14 : 0); /* 2^14 unit: vendor (SEMANTICS D-MUL) */
    pack(p, "DPU_BS_MUL_CFG", "BS_MUL_SRC", (q->bs_use & 4) ? 1 : 0);
    emit(p, R_DPU_BS_MUL_CFG);
    sim_asm_reg(a, R_DPU_BS_RELUX_CMP, 0);
    pack(p, "DPU_BS_OW_CFG", "SIZE_E_0", 1);
    pack(p, "DPU_BS_OW_CFG", "SIZE_E_1", 1);
    pack(p, "DPU_BS_OW_CFG", "SIZE_E_2", 1);
    pack(p, "DPU_BS_OW_CFG", "OD_BYPASS", 1);
    emit(p, R_DPU_BS_OW_CFG);
    sim_asm_reg(a, R_DPU_BS_OW_OP, 0);
    if (!S->lite) { /* lite streams never write WDMA_SIZE (vendor) */
        pack(p, "DPU_WDMA_SIZE_0", "CHANNEL_WDMA", kout_al - 1);
        emit(p, R_DPU_WDMA_SIZE_0);
        pack(p, "DPU_WDMA_SIZE_1", "HEIGHT_WDMA", t->oh - 1);
        pack(p, "DPU_WDMA_SIZE_1", "WIDTH_WDMA", t->ow - 1);
        emit(p, R_DPU_WDMA_SIZE_1);
    }
    /* BN_CFG 0x12 / 0x53: the vendor's ConvRelu / Conv values (dumps).
     * Fused LeakyRelu: BN on with its MUL in PReLU mode (negatives times the
     * register operand, SEMANTICS D-MUL / D-FPSTAGE), ALU and ReLU bypassed */
    if (q->bn_prelu) {
        pack(p, "DPU_BN_CFG", "BN_ALU_BYPASS", 1);
        pack(p, "DPU_BN_CFG", "BN_MUL_PRELU", 1);
        pack(p, "DPU_BN_CFG", "BN_RELU_BYPASS", 1);
        emit(p, R_DPU_BN_CFG);
    } else {
        sim_asm_reg(a, R_DPU_BN_CFG, op->relu ? 0x12 : 0x53);
    }
    sim_asm_reg(a, R_DPU_BN_ALU_CFG, 0);
    if (q->bn_prelu) {
        pack(p, "DPU_BN_MUL_CFG", "BN_MUL_OPERAND", q->bn_mul);
        pack(p, "DPU_BN_MUL_CFG", "BN_MUL_SHIFT_VALUE", q->prec == SIM_PREC_INT8 ? q->bn_shift : 0);
        emit(p, R_DPU_BN_MUL_CFG);
    } else {
        sim_asm_reg(a, R_DPU_BN_MUL_CFG, 0);
    }
    sim_asm_reg(a, R_DPU_BN_RELUX_CMP, 0);
    if (q->lut) {
        /* EW on with its operand bypassed: only the LUT (D-LUT), which maps
         * the BS result in accumulator units (cv_act.c) */
        pack(p, "DPU_EW_CFG", "EW_RELU_BYPASS", 1);
        pack(p, "DPU_EW_CFG", "EW_OP_CVT_BYPASS", 1);
        pack(p, "DPU_EW_CFG", "EW_LUT_BYPASS", 0);
        pack(p, "DPU_EW_CFG", "EW_OP_BYPASS", 1);
        emit(p, R_DPU_EW_CFG);
    } else {
        sim_asm_reg(a, R_DPU_EW_CFG, 0x383); /* EW bypassed: vendor value (both SoCs) */
    }
    sim_asm_reg(a, R_DPU_EW_CVT_OFFSET, 0);
    pack(p, "DPU_EW_CVT_SCALE_VALUE", "EW_OP_CVT_SCALE", 1);
    emit(p, R_DPU_EW_CVT_SCALE);
    sim_asm_reg(a, R_DPU_EW_RELUX_CMP, 0);
    sim_asm_reg(a, R_DPU_OUT_CVT_OFFSET, (uint32_t)q->out_offset);
    pack(p, "DPU_OUT_CVT_SCALE", "OUT_CVT_SCALE", (uint16_t)q->out_scale);
    pack(p, "DPU_OUT_CVT_SCALE", "FP32TOFP16_EN", q->prec == SIM_PREC_FP16 && !S->lite ? 1 : 0);
    emit(p, R_DPU_OUT_CVT_SCALE);
    pack(p, "DPU_OUT_CVT_SHIFT", "OUT_CVT_SHIFT", q->out_shift);
    emit(p, R_DPU_OUT_CVT_SHIFT);
    pack(p, "DPU_SURFACE_ADD", "SURF_ADD", (int64_t)y->w * y->h * (S->lite ? 1 : 2));
    emit(p, R_DPU_SURFACE_ADD);
    /* LUT tables and registers where the vendor order has LUT_* (after
     * SURFACE_ADD, npu-isa.md §8); uploaded by every task (RKNN uploads
     * 2 x 513 values per LUT task: allbilly act_lut_readme.md) */
    if (q->lut && !p->st)
        sim_asm_lut_program(a, q->lut);
    if (rdma) {
        pack(p, "DPU_RDMA_DATA_CUBE_WIDTH", "WIDTH", t->ow - 1);
        emit(p, R_RDMA_CUBE_WIDTH);
        pack(p, "DPU_RDMA_DATA_CUBE_HEIGHT", "HEIGHT", t->oh - 1);
        emit(p, R_RDMA_CUBE_HEIGHT);
        pack(p, "DPU_RDMA_DATA_CUBE_CHANNEL", "CHANNEL", kout_al - 1);
        emit(p, R_RDMA_CUBE_CHANNEL);
        pack(p, "DPU_RDMA_BRDMA_CFG", "BRDMA_DATA_USE", q->bs_use);
        emit(p, R_RDMA_BRDMA_CFG);
        if (!p->st)
            sim_asm_addr(a, R_RDMA_BS_BASE_ADDR, q->bs_name, (uint32_t)bs_off);
        sim_asm_reg(a, R_RDMA_NRDMA_CFG, S->lite ? 1 : 0); /* lite vendor convs write 1 (opaque bit 0) */
        pack(p, "DPU_RDMA_ERDMA_CFG", "ERDMA_DISABLE", 1);
        emit(p, R_RDMA_ERDMA_CFG);
        /* lite vendor int8 convs: 0x4000 (burst 8, MRDMA_DISABLE clear) */
        pack(p, "DPU_RDMA_FEATURE_MODE_CFG", "BURST_LEN", S->lite ? 8 : 15);
        pack(p, "DPU_RDMA_FEATURE_MODE_CFG", "MRDMA_DISABLE", S->lite ? 0 : 1);
        pack(p, "DPU_RDMA_FEATURE_MODE_CFG", "IN_PRECISION", q->prec);
        pack(p, "DPU_RDMA_FEATURE_MODE_CFG", "PROC_PRECISION", q->prec);
        pack(p, "DPU_RDMA_FEATURE_MODE_CFG", "CONV_MODE", op->depthwise ? 3 : 0);
        emit(p, R_RDMA_FEATURE_MODE_CFG);
        sim_asm_reg(a, R_RDMA_WEIGHT, 0x01010101);
    }
    /* op_en masks of vendor conv tasks: 0x0D/0x1D, lite 0x0F/0x1F (bit 1 = the 0x2000 block) */
    if (!p->st)
        sim_asm_end_task(a, (rdma ? 0x1D : 0x0D) | (S->lite ? 0x2 : 0), op_idx);
}

/* Banks the input rows of a tile need. */
static int banks_for(const cv_soc *S, int iw, int ih, int cin_al, int esz)
{
    int64_t bytes = (int64_t)iw * ih * cin_al * esz;
    return (int)((bytes + S->cbuf_bank_bytes - 1) / S->cbuf_bank_bytes);
}

/* CBUF banks for `kernels` kernels of `op`, plus the spare bank Mesa's
 * rkt_split_tasks reserves (npu-isa.md §6.1: "why do we need an extra
 * bank?" - kept, unexplained).  Depthwise: one kernel per channel. */
static int weight_banks(const cv_soc *S, const cv_op *op, int cin_al, int esz, int kernels)
{
    int64_t per = (int64_t)op->kw * op->kh * esz;
    int64_t bytes = op->depthwise ? per * cin_al : per * cin_al * RK_ALIGN_UP(kernels, 16 / esz);
    return (int)((bytes + S->cbuf_bank_bytes - 1) / S->cbuf_bank_bytes) + 1;
}

/* How one conv is cut into tasks: tw x th output pixels, kg output
 * channels per task; the target SoC's field limits and CBUF size. */
typedef struct cv_conv_plan {
    int tw, th, kg, cin_al, wbanks, max_data_banks;
    int64_t max_in_w, max_in_h, max_out_w;
} cv_conv_plan;

static rk_status conv_plan(const cv_graph *g, const cv_op *op, int esz, bool no_tiling, cv_conv_plan *pl,
                           rk_err *e)
{
    const cv_soc *S = g->soc;
    const cv_tensor *x = &g->tensors[op->in[0]], *y = &g->tensors[op->out];
    const char *soc = rk_soc_name(S->soc);
    int c2 = cv_soc_c2(S, esz), nb = S->cbuf_banks;
    pl->max_in_w = field_max(S->soc, "CNA_DATA_SIZE0", "DATAIN_WIDTH");
    pl->max_in_h = field_max(S->soc, "CNA_DATA_SIZE0", "DATAIN_HEIGHT");
    pl->max_out_w = field_max(S->soc, "CNA_DATA_SIZE2", "DATAOUT_WIDTH");
    /* Column tiles: output width per tile so the input window fits. */
    int tw = y->w;
    if (!no_tiling)
        while (tw > 1 && ((tw - 1) * op->sx + op->kw > pl->max_in_w || tw > pl->max_out_w))
            tw = (tw + 1) / 2;
    /* ... and so that the input rows of one output row fit beside the
     * smallest weight group (fp16 depthwise 5x5 over 480 channels x 80
     * columns in PP-OCRv4 rec needs 12 banks for one row otherwise) */
    if (!no_tiling) {
        int cin0 = cv_soc_cin_align(S, x->c, esz);
        int wmin = weight_banks(S, op, cin0, esz, op->depthwise ? op->k : RK_MIN(op->k, cv_soc_wgrp(S, esz)));
        while (tw > 1 && banks_for(S, RK_MIN((tw - 1) * op->sx + op->kw, x->w), RK_MIN(op->kh, x->h), cin0, esz) +
                                 wmin > nb)
            tw = (tw + 1) / 2;
    }
    int iw_max = RK_MIN((tw - 1) * op->sx + op->kw, x->w);
    int kg = op->k;
    /* lite: a surface of an odd pixel count (8-byte atoms) is not a
     * multiple of the 16-byte DST_SURF_STRIDE unit: one surface per task */
    if (S->lite && ((int64_t)y->w * y->h * S->atom) % 16 && RK_ALIGN_UP(op->k, c2) > c2)
        kg = c2;
    int cin_al = cv_soc_cin_align(S, op->depthwise ? kg : x->c, esz);
    int min_data_banks = RK_MAX(1, banks_for(S, iw_max, RK_MIN(op->kh, x->h), cin_al, esz));
    /* Channel tiles: kernels per group so the group's weights (plus Mesa's
     * spare bank) leave room for at least one output row of input data. */
    int atom = cv_soc_wgrp(S, esz), wbanks = weight_banks(S, op, cin_al, esz, kg);
    if (!op->depthwise && wbanks + min_data_banks > nb) {
        kg = RK_MIN(kg, RK_MAX(atom, (kg / atom) * atom));
        while (kg > atom && weight_banks(S, op, cin_al, esz, kg) + min_data_banks > nb)
            kg -= atom;
        wbanks = weight_banks(S, op, cin_al, esz, kg);
        if (wbanks + min_data_banks > nb)
            return rk_errf(e, RK_EUNSUPPORTED,
                           "%s: even %d kernels (%d CBUF banks) and one output row of input (%d banks) exceed "
                           "the %d banks of %s; tiling by input channels is not implemented",
                           op->label, kg, wbanks, min_data_banks, nb, soc);
        if (no_tiling)
            return rk_errf(e, RK_EUNSUPPORTED,
                           "%s: its weights need %d CBUF banks, more than the %d of %s leave beside the input; "
                           "without --no-tiling the compiler splits it by output channels",
                           op->label, weight_banks(S, op, cin_al, esz, op->k), nb, soc);
    }
    int max_data_banks = nb - wbanks;
    /* Row tiles: output rows per tile so the input window fits the data banks. */
    int th = y->h;
    if (!no_tiling) {
        while (th > 1 &&
               (banks_for(S, iw_max, RK_MIN((th - 1) * op->sy + op->kh, x->h), cin_al, esz) > max_data_banks ||
                (th - 1) * op->sy + op->kh > pl->max_in_h))
            th--;
        if (banks_for(S, iw_max, RK_MIN(op->kh, x->h), cin_al, esz) > max_data_banks)
            return rk_errf(e, RK_EUNSUPPORTED,
                           "%s: one output row needs more CBUF than the %d data banks left by the weights on %s; "
                           "tiling by input channels is not implemented",
                           op->label, max_data_banks, soc);
    }
    pl->tw = tw;
    pl->th = th;
    pl->kg = kg;
    pl->cin_al = cin_al;
    pl->wbanks = wbanks;
    pl->max_data_banks = max_data_banks;
    return RK_OK;
}

int cv_conv_kgroup(const cv_graph *g, const cv_op *op, int prec, bool no_tiling)
{
    cv_conv_plan pl;
    rk_err scratch = {0};
    return conv_plan(g, op, esz_of(prec), no_tiling, &pl, &scratch) ? op->k : pl.kg;
}

rk_status cv_emit_conv(sim_asm *a, const cv_graph *g, const cv_op *op, const cv_conv_q *q, bool no_tiling,
                       uint32_t op_idx, int *n_tiles, rk_err *e)
{
    const cv_soc *S = g->soc;
    const cv_tensor *x = &g->tensors[op->in[0]], *y = &g->tensors[op->out];
    int esz = esz_of(q->prec);
    cv_packer p = {.a = a, .op = op, .e = e};
    cv_conv_plan pl;
    *n_tiles = 0;
    rk_status st = conv_plan(g, op, esz, no_tiling, &pl, e);
    if (st)
        return st;
    int tw = pl.tw, th = pl.th, kg = pl.kg;
    for (int k0 = 0; k0 < op->k && !p.st; k0 += kg)
    for (int oy = 0; oy < y->h && !p.st; oy += th)
        for (int ox = 0; ox < y->w && !p.st; ox += tw) {
            cv_tile t = {.oy0 = oy, .oh = RK_MIN(th, y->h - oy), .ox0 = ox, .ow = RK_MIN(tw, y->w - ox),
                         .k0 = k0, .kn = RK_MIN(kg, op->k - k0), .kg = kg};
            tile_window(x, op, &t);
            t.data_banks = RK_MAX(1, banks_for(S, t.iw, t.ih, pl.cin_al, esz));
            t.weight_reuse = oy > 0 || ox > 0;
            /* under --no-tiling a too-wide/tall window is a field overflow
             * (REGTASK, reported by the packer); otherwise a CBUF overflow is
             * reported as such, before DATA_BANK could overflow its 4 bits */
            bool geometry_overflow = t.iw > pl.max_in_w || t.ih > pl.max_in_h || t.ow > pl.max_out_w;
            if (no_tiling && !geometry_overflow && t.data_banks > pl.max_data_banks)
                return rk_errf(e, RK_EUNSUPPORTED,
                               "%s: its %dx%dx%d input needs %d CBUF data banks besides %d weight banks, more than "
                               "the %d of %s (CNA_CBUF_CON0 banks must sum to <= %d: vendor streams, Mesa); "
                               "without --no-tiling the compiler splits it by rows",
                               op->label, x->c, t.ih, t.iw, t.data_banks, pl.wbanks, S->cbuf_banks,
                               rk_soc_name(S->soc), S->cbuf_banks);
            emit_tile(&p, g, op, q, &t, op_idx);
            if (p.st)
                break;
            (*n_tiles)++;
        }
    if (!p.st && a->st) {
        *e = a->err;
        return rk_err_wrap(e, "%s", op->label);
    }
    return p.st;
}

/*
 * Add on the DPU (flying mode): main operand `a` from MRDMA
 * (RDMA_SRC_BASE_ADDR), second operand `b` from ERDMA per pixel, int8.
 * Register recipe: the vendor's DPU-only Add tasks (multiple_input_demo,
 * EW_CFG 0x904202c0 family) as reproduced by sim/sim_asm.c, with one
 * difference: a fused ReLU goes to the EW stage (EW_RELU_BYPASS = 0), not
 * to BN, because the DPU order is BS -> BN -> EW -> OUT_CVT (TRM stage
 * names, SEMANTICS.md "DPU") and the ReLU must follow the addition.
 */
/* One Add task over channels [c0, c0+cn) (lite: see cv_emit_add). */
static rk_status emit_add_task(sim_asm *a, const cv_graph *g, const cv_op *op, const cv_add_q *q, uint32_t op_idx,
                               int c0, int cn, rk_err *e)
{
    const cv_soc *S = g->soc;
    const cv_tensor *y = &g->tensors[op->out];
    cv_packer p = {.a = a, .op = op, .e = e};
    /* fp16 (q->prec): fp16 operands and output, fp32 inside, the EW
     * converter bypassed (SEMANTICS D-FPEW, as sim_asm_ew_task's fp16 form);
     * RK3588 only (cv_graph.c keeps fp16 Adds of lite models on the CPU) */
    bool f16 = q->prec == SIM_PREC_FP16;
    int prec = f16 ? SIM_PREC_FP16 : SIM_PREC_INT8, esz = f16 ? 2 : 1;
    int w = y->w, h = y->h, c2 = cv_soc_c2(S, esz);
    int64_t surf = (int64_t)w * h * S->atom, s_off = (int64_t)(c0 / c2) * surf;
    int cal = RK_ALIGN_UP(cn, surf % 16 ? c2 : 16 / esz); /* per-surface tasks: one surface (cv_emit_add) */
    sim_asm_reg(a, 0x4004, 0xE);
    sim_asm_reg(a, 0x5004, 0xE);
    pack(&p, "DPU_FEATURE_MODE_CFG", "BURST_LEN", 15);
    pack(&p, "DPU_FEATURE_MODE_CFG", "OUTPUT_MODE", 2);
    pack(&p, "DPU_FEATURE_MODE_CFG", "FLYING_MODE", 1);
    emit(&p, R_DPU_FEATURE_MODE_CFG);
    pack(&p, "DPU_DATA_FORMAT", "OUT_PRECISION", prec);
    pack(&p, "DPU_DATA_FORMAT", "IN_PRECISION", prec);
    pack(&p, "DPU_DATA_FORMAT", "PROC_PRECISION", prec);
    emit(&p, R_DPU_DATA_FORMAT); /* no negative shifts */
    if (!p.st)
        sim_asm_addr(a, R_DPU_DST_BASE_ADDR, y->name, (uint32_t)s_off);
    pack(&p, "DPU_DST_SURF_STRIDE", "DST_SURF_STRIDE", (surf + 15) / 16); /* unused when cal == c2 */
    emit(&p, R_DPU_DST_SURF_STRIDE);
    pack(&p, "DPU_DATA_CUBE_WIDTH", "WIDTH", w - 1);
    emit(&p, R_DPU_DATA_CUBE_WIDTH);
    pack(&p, "DPU_DATA_CUBE_HEIGHT", "HEIGHT", h - 1);
    emit(&p, R_DPU_DATA_CUBE_HEIGHT);
    emit(&p, R_DPU_DATA_CUBE_NOTCH_ADDR); /* dense lines (a conv tile may have left a notch) */
    pack(&p, "DPU_DATA_CUBE_CHANNEL", "ORIG_CHANNEL", cn - 1);
    pack(&p, "DPU_DATA_CUBE_CHANNEL", "CHANNEL", cal - 1);
    emit(&p, R_DPU_DATA_CUBE_CHANNEL);
    if (S->lite)
        p.v |= 2u << 2; /* lite BS ALU_ALGO [3:2] (SEMANTICS lite table) */
    else
        pack(&p, "DPU_BS_CFG", "BS_ALU_ALGO", 2);
    pack(&p, "DPU_BS_CFG", "BS_RELU_BYPASS", 1);
    emit(&p, R_DPU_BS_CFG);
    sim_asm_reg(a, R_DPU_BS_ALU_CFG, (uint32_t)q->a_alu);
    pack(&p, "DPU_BS_MUL_CFG", "BS_MUL_OPERAND", (uint16_t)q->a_mul);
    emit(&p, R_DPU_BS_MUL_CFG);
    pack(&p, "DPU_BS_OW_CFG", "OD_BYPASS", 1);
    emit(&p, R_DPU_BS_OW_CFG);
    if (!S->lite) { /* lite streams never write WDMA_SIZE */
        pack(&p, "DPU_WDMA_SIZE_0", "CHANNEL_WDMA", cal - 1);
        emit(&p, R_DPU_WDMA_SIZE_0);
        pack(&p, "DPU_WDMA_SIZE_1", "HEIGHT_WDMA", h - 1);
        pack(&p, "DPU_WDMA_SIZE_1", "WIDTH_WDMA", w - 1);
        emit(&p, R_DPU_WDMA_SIZE_1);
    }
    sim_asm_reg(a, R_DPU_BN_CFG, 0x53); /* BN bypassed: vendor value for stages without BN */
    pack(&p, "DPU_EW_CFG", "EW_CVT_TYPE", 1);
    pack(&p, "DPU_EW_CFG", "EW_DATA_MODE", 1);
    /* lite: ALU_ALGO at [4:3], EDATA_SIZE 0 for int8 (vendor 0x900002D0) */
    if (S->lite)
        p.v |= 2u << 3;
    else {
        pack(&p, "DPU_EW_CFG", "EDATA_SIZE", f16 ? 2 : 1);
        pack(&p, "DPU_EW_CFG", "EW_OP_CVT_BYPASS", f16 ? 1 : 0);
        pack(&p, "DPU_EW_CFG", "EW_ALU_ALGO", 2); /* add (TRM) */
    }
    pack(&p, "DPU_EW_CFG", "EW_RELU_BYPASS", op->relu ? 0 : 1);
    pack(&p, "DPU_EW_CFG", "EW_LUT_BYPASS", q->lut ? 0 : 1); /* fused activation after the sum (D-LUT) */
    pack(&p, "DPU_EW_CFG", "EW_OP_SRC", 1);
    emit(&p, R_DPU_EW_CFG);
    if (q->lut && !p.st)
        sim_asm_lut_program(a, q->lut);
    sim_asm_reg(a, R_DPU_EW_CVT_OFFSET, (uint32_t)q->b_offset);
    pack(&p, "DPU_EW_CVT_SCALE_VALUE", "EW_OP_CVT_SCALE", (uint16_t)q->b_scale);
    emit(&p, R_DPU_EW_CVT_SCALE);
    sim_asm_reg(a, R_DPU_OUT_CVT_OFFSET, (uint32_t)q->out_offset);
    pack(&p, "DPU_OUT_CVT_SCALE", "OUT_CVT_SCALE", (uint16_t)q->out_scale);
    pack(&p, "DPU_OUT_CVT_SCALE", "FP32TOFP16_EN", f16 ? 1 : 0);
    emit(&p, R_DPU_OUT_CVT_SCALE);
    pack(&p, "DPU_OUT_CVT_SHIFT", "OUT_CVT_SHIFT", q->out_shift);
    emit(&p, R_DPU_OUT_CVT_SHIFT);
    pack(&p, "DPU_RDMA_DATA_CUBE_WIDTH", "WIDTH", w - 1);
    emit(&p, R_RDMA_CUBE_WIDTH);
    pack(&p, "DPU_RDMA_DATA_CUBE_HEIGHT", "HEIGHT", h - 1);
    emit(&p, R_RDMA_CUBE_HEIGHT);
    pack(&p, "DPU_RDMA_DATA_CUBE_CHANNEL", "CHANNEL", cal - 1);
    emit(&p, R_RDMA_CUBE_CHANNEL);
    if (!p.st)
        sim_asm_addr(a, R_RDMA_SRC_BASE_ADDR, g->tensors[op->in[0]].name, (uint32_t)s_off);
    sim_asm_reg(a, R_RDMA_BRDMA_CFG, 0);
    sim_asm_reg(a, R_RDMA_NRDMA_CFG, 0);
    pack(&p, "DPU_RDMA_ERDMA_CFG", "ERDMA_DATA_MODE", 1);
    if (!S->lite) /* lite: size code 0 = 8 bit (vendor 0x40000000) */
        pack(&p, "DPU_RDMA_ERDMA_CFG", "ERDMA_DATA_SIZE", f16 ? 2 : 1);
    emit(&p, R_RDMA_ERDMA_CFG);
    if (!p.st)
        sim_asm_addr(a, R_RDMA_EW_BASE_ADDR, g->tensors[op->in[1]].name, (uint32_t)s_off);
    pack(&p, "DPU_RDMA_EW_SURF_STRIDE", "EW_SURF_STRIDE", (surf + 15) / 16);
    emit(&p, R_RDMA_EW_SURF_STRIDE);
    pack(&p, "DPU_RDMA_FEATURE_MODE_CFG", "BURST_LEN", 15);
    pack(&p, "DPU_RDMA_FEATURE_MODE_CFG", "FLYING_MODE", 1);
    pack(&p, "DPU_RDMA_FEATURE_MODE_CFG", "IN_PRECISION", prec);
    pack(&p, "DPU_RDMA_FEATURE_MODE_CFG", "PROC_PRECISION", prec);
    emit(&p, R_RDMA_FEATURE_MODE_CFG);
    /* dense MRDMA lines and surfaces: SRC_DMA_CFG and SURF_NOTCH written 0
     * explicitly (vendor multiple_input task 0 writes 0 for a dense cube; the
     * simulator reads a non-zero notch as line padding, SEMANTICS D-MRDMA) */
    sim_asm_reg(a, R_RDMA_SRC_DMA_CFG, 0);
    sim_asm_reg(a, R_RDMA_SURF_NOTCH, 0);
    sim_asm_reg(a, R_RDMA_WEIGHT, 0x01010101);
    if (!p.st)
        sim_asm_end_task(a, 0x18, op_idx); /* DPU + DPU_RDMA: vendor Add tasks */
    if (!p.st && a->st) {
        *e = a->err;
        return rk_err_wrap(e, "%s", op->label);
    }
    return p.st;
}

/* Add: one task; on lite with surfaces of an odd pixel count (8-byte atoms,
 * not expressible in the 16-byte surface stride units) one task per surface. */
rk_status cv_emit_add(sim_asm *a, const cv_graph *g, const cv_op *op, const cv_add_q *q, uint32_t op_idx,
                      rk_err *e)
{
    const cv_soc *S = g->soc;
    const cv_tensor *y = &g->tensors[op->out];
    int c2 = cv_soc_c2(S, 1);
    int step = S->lite && ((int64_t)y->w * y->h * S->atom) % 16 ? c2 : y->c;
    for (int c0 = 0; c0 < y->c; c0 += step) {
        rk_status st = emit_add_task(a, g, op, q, op_idx, c0, RK_MIN(step, y->c - c0), e);
        if (st)
            return st;
    }
    return RK_OK;
}
