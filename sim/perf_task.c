/*
 * perf_task.c - one task's cycle estimate from its register state.
 *
 * The register fields read here are listed in k_fields below with their
 * positions from the RK3588 register map (Mesa registers.xml / TRM, as
 * transcribed in ../shared/reference/npu-isa.md Appendix A);
 * tests/test_perf.c checks every one of them against the ISA register
 * database so the two can never drift apart.
 *
 * The model (all rates and sizes from rk_perf_params):
 *   feature bytes  = W x H x (C rounded to a 16-byte atom) x element size,
 *                    or W x H x C_real x size in ARGB (image) mode; 0 when
 *                    CBUF_CON0.DATA_REUSE (the data is still in CBUF).
 *                    If the weights do not fit the WEIGHT_BANK banks, the
 *                    feature is streamed once per weight pass [assumed].
 *   weight bytes   = WEIGHT_SIZE0, 0 when CBUF_CON0.WEIGHT_REUSE.
 *   MAC cycles     = output pixels x ceil(kernels / kernel group) x
 *                    ceil(C / channel atom) x kh x kw  (direct conv);
 *                    output pixels x ceil(C / atom) x kh x kw (depthwise,
 *                    one kernel lane busy [assumed]).  This is exactly the
 *                    eval_perf "NPU cycles" formula (rknn-format.md §4.2).
 *   DPU cycles     = the DPU data cube's bytes at the output precision /
 *                    dpu rate (lut rate when the EW LUT stage is on).
 *   PPU cycles     = PPU input bytes / ppu rate.
 *   fill           = the bytes that must be in CBUF before the first MAC:
 *                    the task's feature tile (up to DATA_BANK banks; the CSC
 *                    may revisit any row of it) and the first kernel group's
 *                    weights, at the DDR rate, plus the DDR latency.
 *   busy           = max(MAC / efficiency, DPU, PPU, remaining DMA): weights
 *                    stream and outputs drain while the array computes.
 *   fixed          = task_fixed + the PC fetch of the task's regcmd entries.
 *   time           = fill + busy + fixed.
 * Why the feature tile is a fill and not overlapped: with it, the published
 * eval_perf conv (80.34% MAC usage) and the matmul blog (88% of peak at
 * 128x1024x8192, where the feature stays in CBUF via DATA_REUSE) are both
 * reproduced without any efficiency derating [inferred; see
 * tests/test_perf_calib.c].
 */
#include <math.h>
#include <string.h>

#include "perf.h"
#include "perf_internal.h"

/* --------------------------------------------------------------- fields */

typedef struct perf_field {
    const char *reg;   /* register name in the ISA database */
    const char *field; /* field name */
    uint16_t offset;
    uint8_t lo, hi;
} perf_field;

/* Field ids; order must match k_fields. */
enum {
    F_CNA_IN_PREC, F_CNA_CONV_MODE, F_CNA_ARGB_IN,
    F_CNA_DIN_W, F_CNA_DIN_H, F_CNA_DIN_C_REAL, F_CNA_DIN_C,
    F_CNA_DOUT_W, F_CNA_DOUT_ATOMICS, F_CNA_WEIGHT_BYTES, F_CNA_WEIGHT_PER_KERNEL, F_CNA_WEIGHT_W,
    F_CNA_WEIGHT_H, F_CNA_WEIGHT_KERNELS, F_CNA_WEIGHT_REUSE, F_CNA_DATA_REUSE,
    F_CNA_WEIGHT_BANK, F_CNA_DATA_BANK,
    F_DPU_OUTPUT_MODE, F_DPU_FLYING, F_DPU_OUT_PREC, F_DPU_IN_PREC,
    F_DPU_CUBE_W, F_DPU_CUBE_H, F_DPU_CUBE_C,
    F_DPU_WDMA_C, F_DPU_WDMA_H, F_DPU_WDMA_W, F_DPU_EW_LUT_BYPASS, F_DPU_EW_BYPASS,
    F_RDMA_CUBE_W, F_RDMA_CUBE_H, F_RDMA_CUBE_C, F_RDMA_BRDMA_USE, F_RDMA_NRDMA_USE,
    F_RDMA_ERDMA_MODE, F_RDMA_ERDMA_SIZE, F_RDMA_ERDMA_DISABLE, F_RDMA_IN_PREC,
    F_RDMA_MRDMA_DISABLE,
    F_PPU_IN_W, F_PPU_IN_H, F_PPU_IN_C, F_PPU_OUT_W, F_PPU_OUT_H, F_PPU_OUT_C,
    F_PPU_FLYING, F_PPU_PREC,
    F_PPUR_IN_W, F_PPUR_IN_H, F_PPUR_IN_C, F_PPUR_IN_PREC,
    F_COUNT
};

static const perf_field k_fields[F_COUNT] = {
    [F_CNA_IN_PREC] = {"CNA_CONV_CON1", "IN_PRECISION", 0x100C, 4, 6},
    [F_CNA_CONV_MODE] = {"CNA_CONV_CON1", "CONV_MODE", 0x100C, 0, 3},
    [F_CNA_ARGB_IN] = {"CNA_CONV_CON1", "ARGB_IN", 0x100C, 12, 15},
    [F_CNA_DIN_W] = {"CNA_DATA_SIZE0", "DATAIN_WIDTH", 0x1020, 16, 26},
    [F_CNA_DIN_H] = {"CNA_DATA_SIZE0", "DATAIN_HEIGHT", 0x1020, 0, 10},
    [F_CNA_DIN_C_REAL] = {"CNA_DATA_SIZE1", "DATAIN_CHANNEL_REAL", 0x1024, 16, 29},
    [F_CNA_DIN_C] = {"CNA_DATA_SIZE1", "DATAIN_CHANNEL", 0x1024, 0, 15},
    [F_CNA_DOUT_W] = {"CNA_DATA_SIZE2", "DATAOUT_WIDTH", 0x1028, 0, 10},
    [F_CNA_DOUT_ATOMICS] = {"CNA_DATA_SIZE3", "DATAOUT_ATOMICS", 0x102C, 0, 21},
    [F_CNA_WEIGHT_BYTES] = {"CNA_WEIGHT_SIZE0", "WEIGHT_BYTES", 0x1030, 0, 31},
    [F_CNA_WEIGHT_PER_KERNEL] = {"CNA_WEIGHT_SIZE1", "WEIGHT_BYTES_PER_KERNEL", 0x1034, 0, 18},
    [F_CNA_WEIGHT_W] = {"CNA_WEIGHT_SIZE2", "WEIGHT_WIDTH", 0x1038, 24, 28},
    [F_CNA_WEIGHT_H] = {"CNA_WEIGHT_SIZE2", "WEIGHT_HEIGHT", 0x1038, 16, 20},
    [F_CNA_WEIGHT_KERNELS] = {"CNA_WEIGHT_SIZE2", "WEIGHT_KERNELS", 0x1038, 0, 13},
    [F_CNA_WEIGHT_REUSE] = {"CNA_CBUF_CON0", "WEIGHT_REUSE", 0x1040, 13, 13},
    [F_CNA_DATA_REUSE] = {"CNA_CBUF_CON0", "DATA_REUSE", 0x1040, 12, 12},
    [F_CNA_WEIGHT_BANK] = {"CNA_CBUF_CON0", "WEIGHT_BANK", 0x1040, 4, 7},
    [F_CNA_DATA_BANK] = {"CNA_CBUF_CON0", "DATA_BANK", 0x1040, 0, 3},
    [F_DPU_OUTPUT_MODE] = {"DPU_FEATURE_MODE_CFG", "OUTPUT_MODE", 0x400C, 1, 2},
    [F_DPU_FLYING] = {"DPU_FEATURE_MODE_CFG", "FLYING_MODE", 0x400C, 0, 0},
    [F_DPU_OUT_PREC] = {"DPU_DATA_FORMAT", "OUT_PRECISION", 0x4010, 29, 31},
    [F_DPU_IN_PREC] = {"DPU_DATA_FORMAT", "IN_PRECISION", 0x4010, 26, 28},
    [F_DPU_CUBE_W] = {"DPU_DATA_CUBE_WIDTH", "WIDTH", 0x4030, 0, 12},
    [F_DPU_CUBE_H] = {"DPU_DATA_CUBE_HEIGHT", "HEIGHT", 0x4034, 0, 12},
    [F_DPU_CUBE_C] = {"DPU_DATA_CUBE_CHANNEL", "CHANNEL", 0x403C, 0, 12},
    [F_DPU_WDMA_C] = {"DPU_WDMA_SIZE_0", "CHANNEL_WDMA", 0x4058, 0, 12},
    [F_DPU_WDMA_H] = {"DPU_WDMA_SIZE_1", "HEIGHT_WDMA", 0x405C, 16, 28},
    [F_DPU_WDMA_W] = {"DPU_WDMA_SIZE_1", "WIDTH_WDMA", 0x405C, 0, 12},
    [F_DPU_EW_LUT_BYPASS] = {"DPU_EW_CFG", "EW_LUT_BYPASS", 0x4070, 7, 7},
    [F_DPU_EW_BYPASS] = {"DPU_EW_CFG", "EW_BYPASS", 0x4070, 0, 0},
    [F_RDMA_CUBE_W] = {"DPU_RDMA_DATA_CUBE_WIDTH", "WIDTH", 0x500C, 0, 12},
    [F_RDMA_CUBE_H] = {"DPU_RDMA_DATA_CUBE_HEIGHT", "HEIGHT", 0x5010, 0, 12},
    [F_RDMA_CUBE_C] = {"DPU_RDMA_DATA_CUBE_CHANNEL", "CHANNEL", 0x5014, 0, 12},
    [F_RDMA_BRDMA_USE] = {"DPU_RDMA_BRDMA_CFG", "BRDMA_DATA_USE", 0x501C, 1, 4},
    [F_RDMA_NRDMA_USE] = {"DPU_RDMA_NRDMA_CFG", "NRDMA_DATA_USE", 0x5028, 1, 4},
    [F_RDMA_ERDMA_MODE] = {"DPU_RDMA_ERDMA_CFG", "ERDMA_DATA_MODE", 0x5034, 30, 31},
    [F_RDMA_ERDMA_SIZE] = {"DPU_RDMA_ERDMA_CFG", "ERDMA_DATA_SIZE", 0x5034, 2, 3},
    [F_RDMA_ERDMA_DISABLE] = {"DPU_RDMA_ERDMA_CFG", "ERDMA_DISABLE", 0x5034, 0, 0},
    [F_RDMA_IN_PREC] = {"DPU_RDMA_FEATURE_MODE_CFG", "IN_PRECISION", 0x5044, 15, 17},
    [F_RDMA_MRDMA_DISABLE] = {"DPU_RDMA_FEATURE_MODE_CFG", "MRDMA_DISABLE", 0x5044, 4, 4},
    [F_PPU_IN_W] = {"PPU_DATA_CUBE_IN_WIDTH", "CUBE_IN_WIDTH", 0x600C, 0, 12},
    [F_PPU_IN_H] = {"PPU_DATA_CUBE_IN_HEIGHT", "CUBE_IN_HEIGHT", 0x6010, 0, 12},
    [F_PPU_IN_C] = {"PPU_DATA_CUBE_IN_CHANNEL", "CUBE_IN_CHANNEL", 0x6014, 0, 12},
    [F_PPU_OUT_W] = {"PPU_DATA_CUBE_OUT_WIDTH", "CUBE_OUT_WIDTH", 0x6018, 0, 12},
    [F_PPU_OUT_H] = {"PPU_DATA_CUBE_OUT_HEIGHT", "CUBE_OUT_HEIGHT", 0x601C, 0, 12},
    [F_PPU_OUT_C] = {"PPU_DATA_CUBE_OUT_CHANNEL", "CUBE_OUT_CHANNEL", 0x6020, 0, 12},
    [F_PPU_FLYING] = {"PPU_OPERATION_MODE_CFG", "FLYING_MODE", 0x6024, 4, 4},
    [F_PPU_PREC] = {"PPU_DATA_FORMAT", "PROC_PRECISION", 0x6084, 0, 2},
    [F_PPUR_IN_W] = {"PPU_RDMA_CUBE_IN_WIDTH", "CUBE_IN_WIDTH", 0x700C, 0, 12},
    [F_PPUR_IN_H] = {"PPU_RDMA_CUBE_IN_HEIGHT", "CUBE_IN_HEIGHT", 0x7010, 0, 12},
    [F_PPUR_IN_C] = {"PPU_RDMA_CUBE_IN_CHANNEL", "CUBE_IN_CHANNEL", 0x7014, 0, 12},
    [F_PPUR_IN_PREC] = {"PPU_RDMA_DATA_FORMAT", "IN_PRECISION", 0x7030, 0, 1},
};


static uint32_t fget(const rk_perf_regfile *rf, int id)
{
    const perf_field *f = &k_fields[id];
    uint32_t v = rk_perf_reg(rf, f->offset);
    unsigned width = (unsigned)(f->hi - f->lo + 1);
    uint32_t mask = width >= 32 ? 0xFFFFFFFFu : ((1u << width) - 1u);
    return (v >> f->lo) & mask;
}

/* ---------------------------------------------------------- register file */

/* A block-write target is 0x0001 plus exactly one block bit in 15:8
 * (0x0101 PC ... 0x8001 PPU_RDMA, npu-isa.md §1.1); 0x0041/0x0081 (marker,
 * op_en) and 0x0000 (NOP) are not register writes. */
static bool is_block_target(uint16_t target)
{
    uint16_t blk = (uint16_t)(target >> 8);
    return (target & 0xFFu) == 0x01u && blk != 0 && (blk & (blk - 1u)) == 0;
}

rk_status rk_perf_regfile_apply(rk_perf_regfile *rf, const uint64_t *entries, size_t n,
                                size_t first_index, rk_err *e)
{
    for (size_t i = 0; i < n; i++) {
        isa_regcmd c = isa_regcmd_decode(entries[i]);
        if (!is_block_target(c.target))
            continue;
        if (c.reg >= 0x8000u || (c.reg & 3u))
            return rk_errf(e, RK_EINPUT,
                           "regcmd entry %zu (0x%016llx): register offset 0x%04x is outside "
                           "the regcmd-reachable blocks 0x0000..0x7FFC or not word aligned",
                           first_index + i, (unsigned long long)entries[i], c.reg);
        rf->val[c.reg >> 2] = c.value;
        rf->written[c.reg >> 2] = 1;
    }
    return RK_OK;
}

/* ------------------------------------------------------------ precisions */

/* CNA/CORE precision codes (npu-isa.md §2.3): 0 int8, 1 int16, 2 fp16,
 * 3 bf16, 6 int4, 7 tf32.  Element size in bits (0 = reserved code). */
static unsigned cna_bits(uint32_t code)
{
    static const unsigned bits[8] = {8, 16, 16, 16, 0, 0, 4, 32};
    return bits[code & 7];
}

static rk_dtype cna_dtype(uint32_t code)
{
    static const rk_dtype dt[8] = {RK_DT_I8, RK_DT_I16, RK_DT_F16, RK_DT_BF16,
                                   RK_DT_UNDEF, RK_DT_UNDEF, RK_DT_UNDEF, RK_DT_F32};
    return dt[code & 7];
}

/* DPU / DPU_RDMA codes: 0 int8, 1 int16, 2 fp16, 3 bf16, 4 int32, 5 fp32,
 * 6 int4. */
static unsigned dpu_bits(uint32_t code)
{
    static const unsigned bits[8] = {8, 16, 16, 16, 32, 32, 4, 0};
    return bits[code & 7];
}

static rk_dtype dpu_dtype(uint32_t code)
{
    static const rk_dtype dt[8] = {RK_DT_I8, RK_DT_I16, RK_DT_F16, RK_DT_BF16,
                                   RK_DT_I32, RK_DT_F32, RK_DT_UNDEF, RK_DT_UNDEF};
    return dt[code & 7];
}

/* Bytes of a W x H x C cube in NC1HWC2 (16-byte atoms per pixel). */
static uint64_t cube_bytes(uint64_t w, uint64_t h, uint64_t c, unsigned bits)
{
    uint64_t atom_bits = 128;
    uint64_t atoms = (c * bits + atom_bits - 1) / atom_bits;
    return w * h * atoms * 16u;
}

static uint64_t div_up(uint64_t a, uint64_t b)
{
    return b ? (a + b - 1) / b : 0;
}

static uint64_t cycles_of(double bytes, double rate)
{
    return rate > 0 ? (uint64_t)ceil(bytes / rate) : 0;
}

/* GLOBAL OPERATION_ENABLE bits (npu-isa.md §1.1). */
enum { EN_CNA = 1u << 0, EN_CORE = 1u << 2, EN_DPU = 1u << 3, EN_DPU_RDMA = 1u << 4,
       EN_PPU = 1u << 5, EN_PPU_RDMA = 1u << 6 };

static unsigned kgroup_for(const rk_perf_params *pp, uint32_t prec)
{
    switch (prec) {
    case 0: return (unsigned)rk_perf_get(pp, RK_PP_KGROUP_INT8);
    case 6: return (unsigned)rk_perf_get(pp, RK_PP_KGROUP_INT4);
    case 7: return (unsigned)rk_perf_get(pp, RK_PP_KGROUP_TF32);
    default: return (unsigned)rk_perf_get(pp, RK_PP_KGROUP_FP16);
    }
}

/* ------------------------------------------------------------ estimators */

/* Intermediate sums for one task. */
typedef struct task_acc {
    double fill_bytes; /* must arrive before compute starts */
    double mac_busy;   /* MAC cycles / efficiency */
} task_acc;

static void estimate_cna(const rk_perf_params *pp, const rk_perf_regfile *rf, rk_perf_task *t,
                         task_acc *acc)
{
    /* PROC_PRECISION sits at [9:7] on RK3588 and [10:8] on RK3566/68
     * [inferred, isa/regdb/rk3566.regs]; vendor streams always set it equal
     * to IN_PRECISION, which is at [6:4] on both, so that is what is read. */
    uint32_t prec = fget(rf, F_CNA_IN_PREC);
    unsigned in_bits = cna_bits(fget(rf, F_CNA_IN_PREC));
    bool dw = fget(rf, F_CNA_CONV_MODE) == 3;
    uint64_t w = fget(rf, F_CNA_DIN_W), h = fget(rf, F_CNA_DIN_H);
    uint64_t c = fget(rf, F_CNA_DIN_C), c_real = fget(rf, F_CNA_DIN_C_REAL) + 1u;
    uint64_t kw = fget(rf, F_CNA_WEIGHT_W), kh = fget(rf, F_CNA_WEIGHT_H);
    uint64_t kernels = fget(rf, F_CNA_WEIGHT_KERNELS);
    uint64_t out_px;

    if (in_bits == 0)
        in_bits = 8;
    if (c_real > c && c)
        c_real = c;
    t->kind = dw ? RK_PERF_KIND_DWCONV : RK_PERF_KIND_CONV;
    t->in_dtype = cna_dtype(fget(rf, F_CNA_IN_PREC));
    t->in_w = (uint32_t)w, t->in_h = (uint32_t)h, t->in_c = (uint32_t)c_real;
    t->k_w = (uint32_t)kw, t->k_h = (uint32_t)kh;
    /* Output pixels from CNA DATA_SIZE3.DATAOUT_ATOMICS (= output W x H,
     * npu-isa.md §2.3): CORE DATAOUT_SIZE has another layout on RK3566/68
     * (§7.1), so it is not used.  Output W/H for reports: DATA_SIZE2. */
    out_px = fget(rf, F_CNA_DOUT_ATOMICS);
    t->out_w = fget(rf, F_CNA_DOUT_W);
    t->out_h = t->out_w ? (uint32_t)(out_px / t->out_w) : 0;
    t->out_c = (uint32_t)kernels;
    /* MACs: input channels to the atom, kernels to the kernel group. */
    unsigned atomc = (unsigned)rk_perf_get(pp, RK_PP_ATOMC);
    unsigned kgroup = kgroup_for(pp, prec);
    uint64_t taps = kw * kh;
    uint64_t c_steps = div_up(c ? c : c_real, atomc);
    if (dw) {
        t->macs = out_px * c_real * taps;
        t->mac_cycles = out_px * c_steps * taps;
        t->macs_aligned = t->mac_cycles * atomc;
    } else {
        t->macs = out_px * kernels * c_real * taps;
        t->mac_cycles = out_px * div_up(kernels, kgroup) * c_steps * taps;
        t->macs_aligned = t->mac_cycles * (uint64_t)atomc * kgroup;
    }
    acc->mac_busy = (double)t->mac_cycles / rk_perf_get(pp, RK_PP_MAC_EFFICIENCY);

    /* Bytes: feature (ARGB image mode reads packed pixels) and weights. */
    uint64_t feature = fget(rf, F_CNA_ARGB_IN) ? w * h * c_real * in_bits / 8u
                                               : cube_bytes(w, h, c, in_bits);
    uint64_t weights = fget(rf, F_CNA_WEIGHT_BYTES);
    uint64_t bank = (uint64_t)rk_perf_get(pp, RK_PP_CBUF_BANK_BYTES);
    uint64_t w_cap = fget(rf, F_CNA_WEIGHT_BANK) * bank;
    uint64_t d_cap = fget(rf, F_CNA_DATA_BANK) * bank;
    t->data_reuse = fget(rf, F_CNA_DATA_REUSE) != 0;
    t->weight_reuse = fget(rf, F_CNA_WEIGHT_REUSE) != 0;
    uint64_t passes = (w_cap && weights > w_cap) ? div_up(weights, w_cap) : 1;
    t->rd_feature_bytes = t->data_reuse ? 0 : feature * passes;
    t->rd_weight_bytes = t->weight_reuse ? 0 : weights;

    /* Fill: the feature tile and the first kernel group's weights. */
    uint64_t tile = t->rd_feature_bytes;
    if (d_cap && tile > d_cap)
        tile = d_cap;
    uint64_t per_kernel = fget(rf, F_CNA_WEIGHT_PER_KERNEL);
    uint64_t first_group = per_kernel * RK_MIN(kernels ? kernels : 1, (uint64_t)kgroup);
    acc->fill_bytes += (double)tile + (double)RK_MIN(first_group, t->rd_weight_bytes);
}

static void estimate_dpu(const rk_perf_params *pp, const rk_perf_regfile *rf,
                         uint32_t enable_mask, rk_perf_task *t)
{
    unsigned out_bits = dpu_bits(fget(rf, F_DPU_OUT_PREC));
    unsigned in_bits = dpu_bits(fget(rf, F_DPU_IN_PREC));
    uint64_t cw = fget(rf, F_DPU_CUBE_W) + 1u, ch = fget(rf, F_DPU_CUBE_H) + 1u;
    uint64_t cc = fget(rf, F_DPU_CUBE_C) + 1u;
    bool flying = fget(rf, F_DPU_FLYING) != 0;
    /* OUTPUT_MODE bit 1 = write to memory (npu-isa.md §2.3, RK3588).  Lite
     * streams write 0x108 here with OUTPUT_MODE 0 yet do produce outputs, so
     * the layout differs there: assume the DPU always writes unless its
     * output flies to the PPU [assumed]. */
    bool lite = pp->soc != RK_SOC_RK3588;
    bool to_mem = lite ? !(enable_mask & EN_PPU) : (fget(rf, F_DPU_OUTPUT_MODE) & 2u) != 0;

    if (!out_bits)
        out_bits = 8;
    if (!in_bits)
        in_bits = 8;
    t->out_dtype = dpu_dtype(fget(rf, F_DPU_OUT_PREC));
    if (to_mem) {
        uint64_t ww = fget(rf, F_DPU_WDMA_W) + 1u, wh = fget(rf, F_DPU_WDMA_H) + 1u;
        uint64_t wc = fget(rf, F_DPU_WDMA_C) + 1u;
        if (!rf->written[0x405C >> 2])
            ww = cw, wh = ch, wc = cc;
        t->wr_bytes += cube_bytes(ww, wh, wc, out_bits);
    }
    if (t->kind == RK_PERF_KIND_OTHER) {
        t->kind = RK_PERF_KIND_DPU;
        t->in_w = (uint32_t)cw, t->in_h = (uint32_t)ch, t->in_c = (uint32_t)cc;
        t->in_dtype = dpu_dtype(fget(rf, F_DPU_IN_PREC));
    }
    if (!t->out_w) {
        t->out_w = (uint32_t)cw, t->out_h = (uint32_t)ch, t->out_c = (uint32_t)cc;
    }

    /* DPU_RDMA: main data (flying mode), element-wise operand, BS/BN data. */
    if (enable_mask & EN_DPU_RDMA) {
        uint64_t rw = fget(rf, F_RDMA_CUBE_W) + 1u, rh = fget(rf, F_RDMA_CUBE_H) + 1u;
        uint64_t rc = fget(rf, F_RDMA_CUBE_C) + 1u;
        unsigned rbits = dpu_bits(fget(rf, F_RDMA_IN_PREC));
        if (!rbits)
            rbits = in_bits;
        if (flying && !fget(rf, F_RDMA_MRDMA_DISABLE))
            t->rd_dpu_bytes += cube_bytes(rw, rh, rc, rbits);
        if (!fget(rf, F_RDMA_ERDMA_DISABLE) && rf->written[0x5034 >> 2]) {
            static const unsigned ebits[4] = {4, 8, 16, 32};
            unsigned eb = ebits[fget(rf, F_RDMA_ERDMA_SIZE)];
            uint32_t mode = fget(rf, F_RDMA_ERDMA_MODE);
            t->rd_dpu_bytes += mode == 0 ? div_up(cc * eb, 8) : cube_bytes(cw, ch, cc, eb);
        }
        /* BS/BN per-channel operands: one 32-bit word per use bit. */
        unsigned uses = (unsigned)__builtin_popcount(fget(rf, F_RDMA_BRDMA_USE)) +
                        (unsigned)__builtin_popcount(fget(rf, F_RDMA_NRDMA_USE));
        t->rd_dpu_bytes += (uint64_t)uses * cc * 4u;
    }

    bool lut = !fget(rf, F_DPU_EW_BYPASS) && !fget(rf, F_DPU_EW_LUT_BYPASS);
    double rate = rk_perf_get(pp, lut ? RK_PP_LUT_BYTES_PER_CYCLE : RK_PP_DPU_BYTES_PER_CYCLE);
    uint64_t through = cube_bytes(cw, ch, cc, out_bits);
    t->dpu_cycles = cycles_of((double)through, rate);
}

static void estimate_ppu(const rk_perf_params *pp, const rk_perf_regfile *rf,
                         uint32_t enable_mask, rk_perf_task *t)
{
    uint64_t iw = fget(rf, F_PPU_IN_W) + 1u, ih = fget(rf, F_PPU_IN_H) + 1u;
    uint64_t ic = fget(rf, F_PPU_IN_C) + 1u;
    uint64_t ow = fget(rf, F_PPU_OUT_W) + 1u, oh = fget(rf, F_PPU_OUT_H) + 1u;
    uint64_t oc = fget(rf, F_PPU_OUT_C) + 1u;
    unsigned bits = dpu_bits(fget(rf, F_PPU_PREC));
    if (!bits)
        bits = 8;
    if (fget(rf, F_PPU_FLYING) && (enable_mask & EN_PPU_RDMA)) {
        static const unsigned rbits[4] = {4, 8, 16, 32};
        uint64_t rw = fget(rf, F_PPUR_IN_W) + 1u, rh = fget(rf, F_PPUR_IN_H) + 1u;
        uint64_t rc = fget(rf, F_PPUR_IN_C) + 1u;
        t->rd_ppu_bytes += cube_bytes(rw, rh, rc, rbits[fget(rf, F_PPUR_IN_PREC)]);
    }
    /* PPU output goes to memory (DST_BASE_ADDR); no "to next unit" mode. */
    t->wr_bytes += cube_bytes(ow, oh, oc, bits);
    t->ppu_cycles = cycles_of((double)cube_bytes(iw, ih, ic, bits),
                              rk_perf_get(pp, RK_PP_PPU_BYTES_PER_CYCLE));
    if (t->kind == RK_PERF_KIND_OTHER) {
        t->kind = RK_PERF_KIND_PPU;
        t->in_w = (uint32_t)iw, t->in_h = (uint32_t)ih, t->in_c = (uint32_t)ic;
        t->in_dtype = t->out_dtype = dpu_dtype(fget(rf, F_PPU_PREC));
    }
    t->out_w = (uint32_t)ow, t->out_h = (uint32_t)oh, t->out_c = (uint32_t)oc;
}

static rk_perf_bound pick_bound(double mac, double dpu, double ppu, double ddr, double fixed)
{
    rk_perf_bound b = RK_PERF_BOUND_MAC;
    double best = mac;
    if (dpu > best)
        b = RK_PERF_BOUND_DPU, best = dpu;
    if (ppu > best)
        b = RK_PERF_BOUND_PPU, best = ppu;
    if (ddr > best)
        b = RK_PERF_BOUND_DDR, best = ddr;
    if (fixed > best)
        b = RK_PERF_BOUND_OVERHEAD;
    return b;
}

void rk_perf_estimate_task(const rk_perf_params *pp, const rk_perf_regfile *rf,
                           uint32_t enable_mask, size_t regcmd_entries, rk_perf_task *out)
{
    rk_perf_task *t = out;
    task_acc acc = {0, 0};
    double bw = rk_perf_get(pp, RK_PP_DDR_BYTES_PER_CYCLE);

    memset(t, 0, sizeof(*t));
    t->node = -1;
    t->enable_mask = enable_mask;
    if (enable_mask & EN_CNA)
        estimate_cna(pp, rf, t, &acc);
    if (enable_mask & EN_DPU)
        estimate_dpu(pp, rf, enable_mask, t);
    if (enable_mask & EN_PPU)
        estimate_ppu(pp, rf, enable_mask, t);
    if (t->out_dtype == RK_DT_UNDEF)
        t->out_dtype = t->in_dtype;

    t->regcmd_bytes = (uint64_t)regcmd_entries * 8u;
    uint64_t data_bytes = t->rd_feature_bytes + t->rd_weight_bytes + t->rd_dpu_bytes +
                          t->rd_ppu_bytes + t->wr_bytes;
    t->ddr_bytes = data_bytes + t->regcmd_bytes;
    t->ddr_cycles = cycles_of((double)t->ddr_bytes, bw);
    t->npu_cycles = RK_MAX(t->mac_cycles, RK_MAX(t->dpu_cycles, t->ppu_cycles));

    /* Fill: reads before the first result (feature tile + first weights,
     * or the first DDR latency for units fed by their own RDMA). */
    uint64_t reads = data_bytes - t->wr_bytes;
    double fill = 0;
    if (reads > 0)
        fill = acc.fill_bytes / bw + rk_perf_get(pp, RK_PP_DDR_LATENCY);
    double rest_ddr = ((double)data_bytes - acc.fill_bytes) / bw;
    double busy_mac = acc.mac_busy, busy_dpu = (double)t->dpu_cycles;
    double busy_ppu = (double)t->ppu_cycles;
    double busy = fmax(fmax(busy_mac, busy_dpu), fmax(busy_ppu, rest_ddr));
    double fixed = rk_perf_get(pp, RK_PP_TASK_FIXED) + (double)t->regcmd_bytes / bw;

    t->fill_cycles = (uint64_t)ceil(fill);
    t->fixed_cycles = (uint64_t)ceil(fixed);
    t->time_cycles = t->fill_cycles + (uint64_t)ceil(busy) + t->fixed_cycles;
    t->bound = pick_bound(busy_mac, busy_dpu, busy_ppu, (double)data_bytes / bw, fixed);
    if (data_bytes == 0 && t->npu_cycles == 0)
        t->bound = RK_PERF_BOUND_OVERHEAD;
}

size_t rk_perf_fields_used(const char ***reg, const char ***field, const uint16_t **offset,
                           const uint8_t **lo, const uint8_t **hi)
{
    static const char *r[F_COUNT], *f[F_COUNT];
    static uint16_t o[F_COUNT];
    static uint8_t l[F_COUNT], h[F_COUNT];
    for (int i = 0; i < F_COUNT; i++) {
        r[i] = k_fields[i].reg, f[i] = k_fields[i].field, o[i] = k_fields[i].offset;
        l[i] = k_fields[i].lo, h[i] = k_fields[i].hi;
    }
    *reg = r, *field = f, *offset = o, *lo = l, *hi = h;
    return F_COUNT;
}
