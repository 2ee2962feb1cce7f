/*
 * cv_soc.c - the per-SoC numbers the compiler needs, in one table, each
 * with its source.  The register *field* limits are not repeated here: the
 * emitter packs every field through the ISA database of the target SoC
 * (isa/regdb/<soc>.regs), so a width that differs between SoCs is caught
 * where it is written.
 *
 * Sources: npu-isa.md §5/§7/§7.1 (BSP, RFC [S10], vendor streams),
 * sim/SEMANTICS.md "RK3566/RK3568 (lite) differences" (inferred from the two
 * lite vendor files and confirmed by running them, V4), Mesa rocket.
 */
#include <stdlib.h>
#include <string.h>

#include "cv_internal.h"
#include "sim_regs.h"

static const cv_soc k_socs[] = {
    {
        .soc = RK_SOC_RK3588,
        .format = "RKNPU v2",           /* vendor RK3588 files */
        .platform = "rk3588",
        .lite = false,
        .atom = 16,                     /* NC1HWC2, C2 = 16 int8 / 8 fp16: vendor native shapes, Mesa */
        .cbuf_banks = 12,               /* 12 x 32 KB: Mesa rkt_ml.h, vendor CBUF_CON0 sums */
        .cbuf_bank_bytes = 32768,
        .wgrp_int8 = 32, .wgrp_fp16 = 16,  /* kernels per weight group: SEMANTICS C-WT, TRM */
        .dwgrp_int8 = 64, .dwgrp_fp16 = 32, /* SEMANTICS C-WT-DW (pp_human native shapes) */
        .bs_group = 8,                  /* BRDMA channels per data group: SEMANTICS D-BSDATA */
    },
    {
        .soc = RK_SOC_RK3566,
        .format = "RKNPU lite",         /* vendor RK3566_RK3568 files (rknn-format.md §1.4) */
        .platform = "rk3566",
        .lite = true,
        .atom = 8,                      /* C2 = 8 int8 / 4 fp16: lite native shapes, DST_SURF_STRIDE 0x320
                                           for 10x10 fp16 (SEMANTICS lite table) */
        .cbuf_banks = 8,                /* 8 x 32 KB: RFC [S10]; vendor CBUF_CON0 0x71 / 0x44 sum to 8 */
        .cbuf_bank_bytes = 32768,
        .wgrp_int8 = 16, .wgrp_fp16 = 8,   /* int8: vendor lite native [2,1,1,4,16,8] (8_weight_1); fp16: sim
                                              unit_conv weight_groups; matmul N-alignment 16/8 (§5 [S12]) */
        .dwgrp_int8 = 32, .dwgrp_fp16 = 16, /* sim unit_conv: half of RK3588 (assumed there, no lite dw file) */
        .bs_group = 4,                  /* groups of 4 channels: lite conv2.bias (SEMANTICS lite table) */
    },
};

const cv_soc *cv_soc_get(rk_soc soc)
{
    for (size_t i = 0; i < RK_ARRAY_LEN(k_socs); i++)
        if (k_socs[i].soc == soc)
            return &k_socs[i];
    return NULL;
}

int cv_soc_c2(const cv_soc *s, int esz) { return s->atom / esz; }

int cv_soc_wgrp(const cv_soc *s, int esz) { return esz == 1 ? s->wgrp_int8 : s->wgrp_fp16; }

/* Channel alignment of DATAIN_CHANNEL and of the weights' input channels
 * (the simulator reads the weights per DATAIN_CHANNEL, SEMANTICS C-WT):
 * RK3588 16 bytes (vendor, Mesa); lite one 8-byte atom (vendor lite: 3
 * int8 channels -> DATAIN_CHANNEL 8 and WEIGHT_BYTES_PER_KERNEL 0x48 =
 * 3x3x8; 3 fp16 channels -> 4 and 8 = 1x1x4x2). */
int cv_soc_cin_align(const cv_soc *s, int c, int esz)
{
    return RK_ALIGN_UP(c, (s->lite ? s->atom : 16) / esz);
}

rk_status cv_soc_pack_weights(const cv_soc *s, int prec, bool depthwise, int k, int c, int kh, int kw,
                              const void *oihw, uint8_t **out, size_t *len, rk_err *e)
{
    if (!s->lite)
        return sim_asm_pack_weights(s->soc, prec, depthwise, k, c, kh, kw, oihw, out, len, e);
    /* lite: the layouts of SEMANTICS C-WT / C-WT-DW with the lite groups
     * (sim unit_conv weight_groups / load_weights_dw) and channels counted
     * as the lite DATAIN_CHANNEL */
    int esz = prec == SIM_PREC_INT8 ? 1 : 2;
    sim_asm_wgroups gr = {
        .cin_align = (s->lite ? s->atom : 16) / esz,
        .dw = esz == 1 ? s->dwgrp_int8 : s->dwgrp_fp16,
        .co = cv_soc_wgrp(s, esz),
        .ci = esz == 1 ? 32 : 16,
    };
    rk_status st = sim_asm_pack_weights_grouped(&gr, prec, depthwise, k, c, kh, kw, oihw, out, len, e);
    return st ? rk_err_wrap(e, "convert") : RK_OK;
}

rk_status cv_soc_pack_bs(const cv_soc *s, uint32_t use, int k, const int32_t *alu, const int16_t *mul,
                         uint8_t **out, size_t *len, rk_err *e)
{
    if (!s->lite)
        return sim_asm_pack_bs(use, k, alu, NULL, mul, out, len, e);
    /* groups of bs_group channels: [ALU int32 x g][MUL int16 x g] (D-BSDATA
     * with the lite group size) */
    int g = s->bs_group;
    size_t gb = ((use & 1) ? 4u * (size_t)g : 0u) + ((use & 4) ? 2u * (size_t)g : 0u);
    size_t n = (size_t)(RK_ALIGN_UP(k, 16) / g) * gb;
    uint8_t *p = calloc(1, n ? n : 1);
    if (!p)
        return rk_errf(e, RK_ENOMEM, "convert: out of memory");
    for (int c = 0; c < k; c++) {
        uint8_t *q = p + (size_t)(c / g) * gb;
        int i = c % g;
        size_t off = 0;
        if (use & 1) {
            uint32_t v = (uint32_t)alu[c];
            for (int b = 0; b < 4; b++)
                q[4 * i + b] = (uint8_t)(v >> (8 * b));
            off = 4u * (size_t)g;
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
