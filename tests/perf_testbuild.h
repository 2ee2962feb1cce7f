/*
 * perf_testbuild.h - hand-assembles register-command programs for the
 * cycle-model tests (tests/test_perf*.c).
 *
 * Every register value is packed with the ISA encoder (isa_pack: field
 * widths checked against the register database), every entry encoded with
 * isa_regcmd_encode, and tasks are chained with the SoC's PC_DATA_AMOUNT
 * formula (isa_pc_amount_for), like the vendor streams in
 * ../shared/reference/dumps.  Include after <cmocka.h>.
 */
#ifndef RKSIM_PERF_TESTBUILD_H
#define RKSIM_PERF_TESTBUILD_H

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "isa.h"
#include "rknn.h"

typedef struct pb_prog {
    rk_soc soc;
    uint64_t *words;
    size_t n, cap;
    rknn_task *tasks;
    size_t nt, tcap;
    size_t *tails; /* entry index of each task's PC tail */
    bool *chains;  /* task chains to the next */
} pb_prog;

static inline void pb_init(pb_prog *p, rk_soc soc)
{
    memset(p, 0, sizeof(*p));
    p->soc = soc;
}

static inline void pb_free(pb_prog *p)
{
    free(p->words), free(p->tasks), free(p->tails), free(p->chains);
    memset(p, 0, sizeof(*p));
}

static inline void pb_word(pb_prog *p, uint64_t w)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 1024;
        p->words = realloc(p->words, p->cap * sizeof(*p->words));
        assert_non_null(p->words);
    }
    p->words[p->n++] = w;
}

/* Emit one register write: pb_reg(p, "CNA_CONV_CON1", "PROC_PRECISION", 2u,
 * "IN_PRECISION", 2u, NULL).  Fails the test if a value does not fit. */
static inline void pb_reg(pb_prog *p, const char *reg_name, ...)
{
    const isa_reg *reg = isa_reg_lookup_name(p->soc, reg_name);
    uint32_t value = 0;
    va_list ap;
    rk_err e = {0};
    if (!reg)
        fail_msg("no register %s on %s", reg_name, rk_soc_name(p->soc));
    va_start(ap, reg_name);
    for (const char *f = va_arg(ap, const char *); f; f = va_arg(ap, const char *)) {
        unsigned v = va_arg(ap, unsigned);
        if (isa_pack(p->soc, reg_name, f, v, &value, &e) != RK_OK)
            fail_msg("%s", e.msg);
    }
    va_end(ap);
    pb_word(p, isa_regcmd_encode(isa_block_target(reg->block), value, reg->offset));
}

/* Start a task: segments start on 64-byte boundaries like vendor streams. */
static inline void pb_task_begin(pb_prog *p)
{
    while (p->n % 8u)
        pb_word(p, 0);
    if (p->nt == p->tcap) {
        p->tcap = p->tcap ? p->tcap * 2 : 64;
        p->tasks = realloc(p->tasks, p->tcap * sizeof(*p->tasks));
        p->tails = realloc(p->tails, p->tcap * sizeof(*p->tails));
        p->chains = realloc(p->chains, p->tcap * sizeof(*p->chains));
        assert_non_null(p->tasks), assert_non_null(p->tails), assert_non_null(p->chains);
    }
    memset(&p->tasks[p->nt], 0, sizeof(p->tasks[p->nt]));
    p->tasks[p->nt].regcmd_addr = (uint64_t)p->n * 8u;
}

/* End a task: the 4-entry PC tail (patched in pb_finish). */
static inline void pb_task_end(pb_prog *p, uint32_t enable_mask, uint32_t op_idx,
                               bool chain_next)
{
    rknn_task *t = &p->tasks[p->nt];
    t->op_idx = op_idx;
    t->enable_mask = enable_mask;
    t->int_mask = (enable_mask & 0x20u) ? 0xC00u : 0x300u;
    t->int_clear = 0x1FFFFu;
    t->regcfg_amount = (uint32_t)(p->n - t->regcmd_addr / 8u);
    p->tails[p->nt] = p->n;
    p->chains[p->nt] = chain_next;
    pb_word(p, 0);
    pb_word(p, 0);
    pb_word(p, isa_regcmd_encode(ISA_TARGET_MARKER, 0, 0));
    pb_word(p, isa_regcmd_encode(ISA_TARGET_OP_EN, enable_mask, 0x0008));
    p->nt++;
}

/* Patch the tails: PC_BASE_ADDRESS / PC_REGISTER_AMOUNTS of chained tasks. */
static inline void pb_finish(pb_prog *p)
{
    for (size_t i = 0; i < p->nt; i++) {
        size_t t = p->tails[i];
        if (!p->chains[i] || i + 1 == p->nt)
            continue;
        uint32_t amount = 0;
        assert_true(isa_pc_amount_for(p->soc, p->tasks[i + 1].regcfg_amount, &amount));
        p->words[t] = isa_regcmd_encode(ISA_TARGET_PC, (uint32_t)p->tasks[i + 1].regcmd_addr,
                                        0x0010);
        p->words[t + 1] = isa_regcmd_encode(ISA_TARGET_PC, amount, 0x0014);
    }
}

/* ------------------------------------------------------------ operations */

/* Precision codes (npu-isa.md §2.3). */
enum { PB_INT8 = 0, PB_INT16 = 1, PB_FP16 = 2, PB_INT4 = 6 };
enum { PB_OUT_INT8 = 0, PB_OUT_INT16 = 1, PB_OUT_FP16 = 2, PB_OUT_INT32 = 4, PB_OUT_FP32 = 5 };

/* One convolution task (direct or depthwise) as CNA/CORE/DPU registers.
 * in_c is the aligned DATAIN_CHANNEL, in_c_real the real count; out_h is the
 * task's output rows. */
typedef struct pb_conv {
    unsigned prec, out_prec;
    unsigned in_w, in_h, in_c, in_c_real;
    unsigned out_w, out_h, kernels, kw, kh, stride;
    unsigned data_bank, weight_bank, grains;
    bool data_reuse, weight_reuse, depthwise, bias;
} pb_conv;

static inline unsigned pb_bits(unsigned prec)
{
    return prec == PB_INT8 ? 8u : prec == PB_INT4 ? 4u : 16u;
}

/* Emit the registers of one conv task (the body, without the tail). */
static inline void pb_conv_regs(pb_prog *p, const pb_conv *c)
{
    unsigned bits = pb_bits(c->prec);
    unsigned kgroup = c->prec == PB_INT8 ? 32u : c->prec == PB_INT4 ? 64u : 16u;
    uint32_t per_kernel = (uint32_t)((uint64_t)c->kw * c->kh * c->in_c * bits / 8u);
    uint32_t kernels = c->depthwise ? 1u : c->kernels;
    pb_reg(p, "CNA_CONV_CON1", "PROC_PRECISION", c->prec, "IN_PRECISION", c->prec, "CONV_MODE",
           c->depthwise ? 3u : 0u, NULL);
    pb_reg(p, "CNA_CONV_CON2", "KERNEL_GROUP", (c->kernels + kgroup - 1) / kgroup - 1u,
           "FEATURE_GRAINS", c->grains ? c->grains : c->kh + 1u, NULL);
    pb_reg(p, "CNA_CONV_CON3", "CONV_X_STRIDE", c->stride, "CONV_Y_STRIDE", c->stride, NULL);
    pb_reg(p, "CNA_DATA_SIZE0", "DATAIN_WIDTH", c->in_w, "DATAIN_HEIGHT", c->in_h, NULL);
    pb_reg(p, "CNA_DATA_SIZE1", "DATAIN_CHANNEL_REAL", c->in_c_real - 1u, "DATAIN_CHANNEL",
           c->in_c, NULL);
    pb_reg(p, "CNA_DATA_SIZE2", "DATAOUT_WIDTH", c->out_w, NULL);
    pb_reg(p, "CNA_DATA_SIZE3", "DATAOUT_ATOMICS", c->out_w * c->out_h, NULL);
    pb_reg(p, "CNA_WEIGHT_SIZE0", "WEIGHT_BYTES", per_kernel * kernels, NULL);
    pb_reg(p, "CNA_WEIGHT_SIZE1", "WEIGHT_BYTES_PER_KERNEL", per_kernel, NULL);
    pb_reg(p, "CNA_WEIGHT_SIZE2", "WEIGHT_WIDTH", c->kw, "WEIGHT_HEIGHT", c->kh, "WEIGHT_KERNELS",
           c->kernels, NULL);
    pb_reg(p, "CNA_CBUF_CON0", "WEIGHT_REUSE", c->weight_reuse ? 1u : 0u, "DATA_REUSE",
           c->data_reuse ? 1u : 0u, "WEIGHT_BANK", c->weight_bank, "DATA_BANK", c->data_bank,
           NULL);
    /* CORE_MISC_CFG has another layout on RK3566/68 (npu-isa.md §7.1). */
    const isa_reg *misc = isa_reg_lookup_name(p->soc, "CORE_MISC_CFG");
    if (misc && isa_field_lookup(misc, "PROC_PRECISION"))
        pb_reg(p, "CORE_MISC_CFG", "PROC_PRECISION", c->prec, "DW_EN", c->depthwise ? 1u : 0u,
               NULL);
    pb_reg(p, "CORE_DATAOUT_SIZE_0", "DATAOUT_HEIGHT", c->out_h - 1u, "DATAOUT_WIDTH",
           c->out_w - 1u, NULL);
    pb_reg(p, "CORE_DATAOUT_SIZE_1", "DATAOUT_CHANNEL", c->kernels - 1u, NULL);
    pb_reg(p, "DPU_FEATURE_MODE_CFG", "OUTPUT_MODE", 2u, "FLYING_MODE", 0u, "BURST_LEN", 15u,
           NULL);
    pb_reg(p, "DPU_DATA_FORMAT", "OUT_PRECISION", c->out_prec, "IN_PRECISION", c->prec,
           "PROC_PRECISION", c->prec, NULL);
    pb_reg(p, "DPU_DATA_CUBE_WIDTH", "WIDTH", c->out_w - 1u, NULL);
    pb_reg(p, "DPU_DATA_CUBE_HEIGHT", "HEIGHT", c->out_h - 1u, NULL);
    pb_reg(p, "DPU_DATA_CUBE_CHANNEL", "ORIG_CHANNEL", c->kernels - 1u, "CHANNEL",
           c->kernels - 1u, NULL);
    pb_reg(p, "DPU_WDMA_SIZE_0", "CHANNEL_WDMA", c->kernels - 1u, NULL);
    pb_reg(p, "DPU_WDMA_SIZE_1", "HEIGHT_WDMA", c->out_h - 1u, "WIDTH_WDMA", c->out_w - 1u, NULL);
    pb_reg(p, "DPU_EW_CFG", "EW_BYPASS", 1u, "EW_LUT_BYPASS", 1u, NULL);
    if (c->bias) {
        pb_reg(p, "DPU_RDMA_DATA_CUBE_WIDTH", "WIDTH", c->out_w - 1u, NULL);
        pb_reg(p, "DPU_RDMA_DATA_CUBE_HEIGHT", "HEIGHT", c->out_h - 1u, NULL);
        pb_reg(p, "DPU_RDMA_DATA_CUBE_CHANNEL", "CHANNEL", c->kernels - 1u, NULL);
        pb_reg(p, "DPU_RDMA_BRDMA_CFG", "BRDMA_DATA_USE", 1u, NULL);
        pb_reg(p, "DPU_RDMA_ERDMA_CFG", "ERDMA_DISABLE", 1u, NULL);
        pb_reg(p, "DPU_RDMA_FEATURE_MODE_CFG", "MRDMA_DISABLE", 1u, NULL);
    }
}

/* GLOBAL OPERATION_ENABLE masks seen in RK3588 vendor streams (npu-isa.md
 * §1.1, §7.1): 0x0D conv, 0x1D conv with DPU_RDMA, 0x18 DPU element-wise. */
#define PB_EN_CONV 0x0Du
#define PB_EN_CONV_RDMA 0x1Du
#define PB_EN_EW 0x18u

static inline void pb_conv_task(pb_prog *p, const pb_conv *c, uint32_t op_idx, bool chain)
{
    pb_task_begin(p);
    pb_conv_regs(p, c);
    pb_task_end(p, c->bias ? PB_EN_CONV_RDMA : PB_EN_CONV, op_idx, chain);
}

/* One element-wise binary task (DPU fed by MRDMA + ERDMA per pixel). */
static inline void pb_eltwise_task(pb_prog *p, unsigned w, unsigned h, unsigned c,
                                   unsigned prec, uint32_t op_idx, bool chain)
{
    unsigned ebits = prec == PB_INT8 ? 1u : 2u; /* ERDMA_DATA_SIZE: 1 = 8-bit, 2 = 16-bit */
    pb_task_begin(p);
    pb_reg(p, "DPU_FEATURE_MODE_CFG", "OUTPUT_MODE", 2u, "FLYING_MODE", 1u, NULL);
    pb_reg(p, "DPU_DATA_FORMAT", "OUT_PRECISION", prec, "IN_PRECISION", prec, "PROC_PRECISION",
           prec, NULL);
    pb_reg(p, "DPU_DATA_CUBE_WIDTH", "WIDTH", w - 1u, NULL);
    pb_reg(p, "DPU_DATA_CUBE_HEIGHT", "HEIGHT", h - 1u, NULL);
    pb_reg(p, "DPU_DATA_CUBE_CHANNEL", "ORIG_CHANNEL", c - 1u, "CHANNEL", c - 1u, NULL);
    pb_reg(p, "DPU_WDMA_SIZE_0", "CHANNEL_WDMA", c - 1u, NULL);
    pb_reg(p, "DPU_WDMA_SIZE_1", "HEIGHT_WDMA", h - 1u, "WIDTH_WDMA", w - 1u, NULL);
    pb_reg(p, "DPU_EW_CFG", "EW_BYPASS", 0u, "EW_LUT_BYPASS", 1u, "EW_OP_SRC", 1u,
           "EW_ALU_ALGO", 2u, "EDATA_SIZE", ebits, NULL);
    pb_reg(p, "DPU_RDMA_DATA_CUBE_WIDTH", "WIDTH", w - 1u, NULL);
    pb_reg(p, "DPU_RDMA_DATA_CUBE_HEIGHT", "HEIGHT", h - 1u, NULL);
    pb_reg(p, "DPU_RDMA_DATA_CUBE_CHANNEL", "CHANNEL", c - 1u, NULL);
    pb_reg(p, "DPU_RDMA_FEATURE_MODE_CFG", "IN_PRECISION", prec, "PROC_PRECISION", prec,
           "FLYING_MODE", 1u, NULL);
    pb_reg(p, "DPU_RDMA_ERDMA_CFG", "ERDMA_DATA_MODE", 1u, "ERDMA_DATA_SIZE", ebits,
           "ERDMA_DISABLE", 0u, NULL);
    pb_task_end(p, PB_EN_EW, op_idx, chain);
}

#endif
