/*
 * sim_asm.h - a small assembler for NPU register programs: builds the task
 * list and the regcmd stream (with PC tails, chaining and relocations) for
 * conv, elementwise and pooling tasks from a few parameters, packing every
 * field with the ISA encoder (isa_pack: width-checked, never masked).
 *
 * Used by the unit tests (tests/test_sim_*.c) and by the tiny-model
 * generator (datasets/make_tiny_rknn.c) to make .rknn files of our own.
 * The register recipes follow the vendor RK3588 streams in
 * ../shared/reference/dumps (same registers, same order as far as a
 * single-core task needs); RK3588 only.
 *
 * Relocations: address registers are emitted with value = offset into a
 * named tensor and a (name, offset, entry) record; sim_asm_install() adds
 * them to the model together with the program.
 */
#ifndef RKSIM_SIM_ASM_H
#define RKSIM_SIM_ASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "isa.h"
#include "rk_base.h"
#include "rknn.h"

typedef struct sim_asm_reloc {
    char name[96];
    uint32_t offset;
    uint32_t entry;
} sim_asm_reloc;

typedef struct sim_asm {
    rk_soc soc;
    uint64_t *words;
    size_t n, cap;
    rknn_task *tasks;
    size_t nt, capt;
    size_t task_start; /* first entry of the task being built */
    sim_asm_reloc *relocs;
    size_t nr, capr;
    rk_status st; /* sticky: the first error */
    rk_err err;
} sim_asm;

/* One conv (+DPU) task.  Sizes are real (unaligned) values; the assembler
 * derives aligned channel counts, strides and output size. */
typedef struct sim_asm_conv {
    int prec;              /* SIM_PREC_INT8 or SIM_PREC_FP16 (inputs and weights) */
    int in_w, in_h, in_c;  /* real input channels */
    int k;                 /* output channels (kernels) */
    int kw, kh, sx, sy, dx, dy;
    int pad_top, pad_left, pad_bottom, pad_right;
    bool depthwise;
    uint32_t pad_value;    /* int8 value (sign-extended) or fp16 bits */
    const char *in_tensor, *w_tensor, *bs_tensor, *out_tensor, *ew_tensor;
    uint32_t in_off, out_off, ew_off;
    /* BS stage (int8): per-channel data from BRDMA (use bits: 1 ALU/bias,
     * 2 CPEND, 4 MUL) or none; shifts for the MUL on >=0 / <0 products. */
    uint32_t bs_use;
    int bs_shift, bs_shift_neg;
    bool relu;             /* ReLU in the BN stage (as the vendor does) */
    /* ReLUx in the BN stage: BN_RELUX_EN with BN_RELUX_CMP = bn_relux_cmp
     * (fp32 bits for fp16 convs, SEMANTICS D-FPSTAGE; int value for int8) */
    bool bn_relux;
    uint32_t bn_relux_cmp;
    /* EW operand from memory (per pixel, int8), converter and op */
    bool ew;
    int32_t ew_cvt_offset;
    int16_t ew_cvt_scale;
    int ew_cvt_shift;
    uint32_t ew_algo;      /* 2 add, 4 minus, 0 max, 1 min */
    bool ew_mul;
    int ew_truncate;
    /* OUT_CVT */
    int out_prec;          /* SIM_PREC_INT8 / SIM_PREC_FP16 / SIM_PREC_INT32 */
    int32_t out_offset;
    int16_t out_scale;
    int out_shift;
    bool out_half_up, out_alu_first;
} sim_asm_conv;

/* DPU LUT programming (SEMANTICS.md D-LUT): both tables are uploaded
 * through LUT_ACCESS_CFG/DATA at the start of the task. */
typedef struct sim_asm_lut {
    const int16_t *le, *lo;
    int n_le, n_lo;               /* entries, <= 1024 each */
    int32_t le_start, le_end, lo_start, lo_end;
    int le_sel, lo_sel;           /* LUT_INFO index selects */
    bool hybrid_lo, oflow_lo, uflow_lo;
    int16_t le_uflow_scale, le_oflow_scale, lo_uflow_scale, lo_oflow_scale;
    int le_uflow_shift, le_oflow_shift, lo_uflow_shift, lo_oflow_shift;
} sim_asm_lut;

/* A DPU-only elementwise task: main cube from memory (MRDMA), operand from
 * memory (ERDMA), converter on the operand, ALU or MUL, OUT_CVT.  With
 * `lut` set, the EW operand is bypassed (no ERDMA) and the LUT maps the
 * BS result before OUT_CVT. */
typedef struct sim_asm_ew {
    /* SIM_PREC_INT8 (0, the default) or SIM_PREC_FP16: fp16 main operand,
     * fp16 ERDMA operand (ERDMA_DATA_SIZE 2) with the EW converter bypassed,
     * fp16 output (FP32TOFP16_EN); a_alu then holds fp32 bits, a_mul fp16
     * bits, the shifts are unused (SEMANTICS D-FPSTAGE / D-FPEW, inferred). */
    int prec;
    /* fp16 only: operand b as one fp32 value per channel (ERDMA_DATA_MODE 0,
     * size code 3; b_tensor = a plain float32 array of c values) instead
     * of an fp16 NC1HWC2 cube */
    bool b_fp32_per_channel;
    int w, h, c;
    const char *a_tensor, *b_tensor, *out_tensor;
    /* main operand a: BS ALU add a_alu (register), then MUL a_mul >> a_shift */
    int32_t a_alu;
    int16_t a_mul;
    int a_shift;
    int32_t b_cvt_offset;
    int16_t b_cvt_scale;
    int b_cvt_shift;
    bool b_half_up;
    uint32_t algo;
    bool mul;
    int truncate, truncate_neg;
    bool relu;
    int32_t out_offset;
    int16_t out_scale;
    int out_shift;
    bool out_half_up;
    const sim_asm_lut *lut; /* NULL: LUT bypassed */
} sim_asm_ew;

/* A PPU pooling task from memory. */
typedef struct sim_asm_pool {
    int prec; /* int8 or fp16 */
    int in_w, in_h, c;
    int kw, kh, sx, sy, pad_top, pad_left, pad_bottom, pad_right;
    uint32_t method; /* 0 avg, 1 max, 2 min */
    uint32_t pad_value;
    const char *in_tensor, *out_tensor;
} sim_asm_pool;

void sim_asm_init(sim_asm *a, rk_soc soc);
void sim_asm_free(sim_asm *a);
/* Emit one register write (target from the offset's block). */
void sim_asm_reg(sim_asm *a, uint16_t offset, uint32_t value);
/* Pack a field into *acc with the ISA encoder (error if it does not fit). */
void sim_asm_field(sim_asm *a, const char *reg, const char *field, uint32_t value, uint32_t *acc);
/* Emit an address register relocated to tensor+offset. */
void sim_asm_addr(sim_asm *a, uint16_t offset, const char *tensor, uint32_t off);
/* Close the current task: PC tail + op_en, descriptor with op_idx. */
void sim_asm_end_task(sim_asm *a, uint32_t enable_mask, uint32_t op_idx);

void sim_asm_conv_task(sim_asm *a, const sim_asm_conv *c, uint32_t op_idx);
void sim_asm_ew_task(sim_asm *a, const sim_asm_ew *w, uint32_t op_idx);
void sim_asm_pool_task(sim_asm *a, const sim_asm_pool *p, uint32_t op_idx);
/* Upload both LUT tables (LUT_ACCESS_CFG / LUT_ACCESS_DATA) and write the
 * LUT priority, index-select, range and slope registers (SEMANTICS.md
 * D-LUT-RAM, D-LUT) inside the task being built: for DPU tasks assembled
 * elsewhere (convert/cv_emit.c fused activations). */
void sim_asm_lut_program(sim_asm *a, const sim_asm_lut *l);

/* Link the tasks into one PC chain (tails patched with next address and
 * amount) and install program + relocations into the model. */
rk_status sim_asm_install(sim_asm *a, rknn_model *m, rk_err *e);

/* Output size of a conv along one axis. */
int sim_asm_conv_out(int in, int k, int stride, int dil, int pad_a, int pad_b);

/* Group sizes of the CNA weight layout (SEMANTICS.md C-WT, C-WT-DW):
 * input channels aligned to cin_align, depthwise groups of dw channels,
 * direct-conv groups of co kernels x ci input channels. */
typedef struct sim_asm_wgroups {
    int cin_align, dw, co, ci;
} sim_asm_wgroups;

/* Native weight bytes for OIHW weights (int8 values or fp16 bits) in that
 * layout with the given groups.  *out is malloc'd. */
rk_status sim_asm_pack_weights_grouped(const sim_asm_wgroups *gr, int prec, bool depthwise, int k, int c, int kh,
                                       int kw, const void *oihw, uint8_t **out, size_t *len, rk_err *e);
/* The same with the groups the simulator reads for `soc` (RK3588 values;
 * RK3566 kernel groups). */
rk_status sim_asm_pack_weights(rk_soc soc, int prec, bool depthwise, int k, int c, int kh, int kw,
                               const void *oihw, uint8_t **out, size_t *len, rk_err *e);
/* BRDMA data for per-channel bias (ALU), CPEND and MUL values (any may be
 * NULL when the bit is not in `use`), groups of 8 channels. */
rk_status sim_asm_pack_bs(uint32_t use, int k, const int32_t *alu, const int16_t *cpend,
                          const int16_t *mul, uint8_t **out, size_t *len, rk_err *e);
/* Pack an NCHW (N=1) array (int8 or fp16 bits) into NC1HWC2 with C2 = 16
 * bytes / element; *len = C1*H*W*16. */
rk_status sim_asm_pack_feature(int prec, int c, int h, int w, const void *chw, uint8_t **out,
                               size_t *len, rk_err *e);
/* The reverse, for reading results. */
void sim_asm_unpack_feature(int prec, int c, int h, int w, const uint8_t *native, void *chw);

#endif
