/*
 * sim_regs.h - register offsets and field positions the functional units
 * read, in one place.
 *
 * Offsets and bit ranges are those of isa/regdb/rk3588.regs (Mesa
 * registers.xml, S1, which was extracted from the RK3588 TRM); they are
 * repeated here as plain constants so that the units read like the TRM
 * ("SIM_FLD(v, 26, 16)" is DATAIN_WIDTH[26:16]) and so that the simulator
 * does not depend on the generated macro header.  Where a field's MEANING
 * (not its position) is inferred, sim/SEMANTICS.md says so.
 */
#ifndef RKSIM_SIM_REGS_H
#define RKSIM_SIM_REGS_H

#include <stdint.h>

/* Field [hi:lo] of a 32-bit register value. */
#define SIM_FLD(v, hi, lo) \
    ((uint32_t)(((uint32_t)(v) >> (lo)) & (((hi) - (lo)) >= 31 ? 0xFFFFFFFFu : ((1u << ((hi) - (lo) + 1)) - 1u))))

/* PC */
#define R_PC_BASE_ADDRESS 0x0010
#define R_PC_REGISTER_AMOUNTS 0x0014

/* CNA */
#define R_CNA_CONV_CON1 0x100C       /* NONALIGN_DMA[30] GROUP_LINE_OFF[29] DECONV[16] ARGB_IN[15:12] PROC[9:7] IN[6:4] CONV_MODE[3:0] */
#define R_CNA_CONV_CON2 0x1010       /* KERNEL_GROUP[23:16] FEATURE_GRAINS[13:4] */
#define R_CNA_CONV_CON3 0x1014       /* NN_MODE[30:28] ATROUS_Y[25:21] ATROUS_X[20:16] DECONV_Y[13:11] DECONV_X[10:8] STRIDE_Y[5:3] STRIDE_X[2:0] */
#define R_CNA_DATA_SIZE0 0x1020      /* DATAIN_WIDTH[26:16] DATAIN_HEIGHT[10:0] */
#define R_CNA_DATA_SIZE1 0x1024      /* DATAIN_CHANNEL_REAL[29:16] (minus 1) DATAIN_CHANNEL[15:0] */
#define R_CNA_DATA_SIZE2 0x1028      /* DATAOUT_WIDTH[10:0] */
#define R_CNA_DATA_SIZE3 0x102C      /* SURF_MODE[23:22] DATAOUT_ATOMICS[21:0] */
#define R_CNA_WEIGHT_SIZE0 0x1030    /* WEIGHT_BYTES */
#define R_CNA_WEIGHT_SIZE1 0x1034    /* WEIGHT_BYTES_PER_KERNEL[18:0] */
#define R_CNA_WEIGHT_SIZE2 0x1038    /* WEIGHT_WIDTH[28:24] WEIGHT_HEIGHT[20:16] WEIGHT_KERNELS[13:0] */
#define R_CNA_CBUF_CON0 0x1040       /* WEIGHT_REUSE[13] DATA_REUSE[12] */
#define R_CNA_CBUF_CON1 0x1044       /* DATA_ENTRIES[13:0] */
#define R_CNA_CVT_CON0 0x104C        /* CVT_TRUNCATE_0[9:4] DATA_SIGN[3] ROUND_TYPE[2] CVT_TYPE[1] CVT_BYPASS[0] */
#define R_CNA_CVT_CON1 0x1050        /* CVT_SCALE0[31:16] CVT_OFFSET0[15:0]; CON2..CON4 follow */
#define R_CNA_FC_CON0 0x1060
#define R_CNA_PAD_CON0 0x1068        /* PAD_LEFT[7:4] PAD_TOP[3:0] */
#define R_CNA_FEATURE_DATA_ADDR 0x1070
#define R_CNA_DMA_CON1 0x107C        /* LINE_STRIDE[27:0] */
#define R_CNA_DMA_CON2 0x1080        /* SURF_STRIDE[27:0] */
#define R_CNA_DCOMP_CTRL 0x1100
#define R_CNA_DCOMP_ADDR0 0x1110     /* weight base address (Mesa, mtx512, RKNN) */
#define R_CNA_PAD_CON1 0x1184        /* PAD_VALUE[31:0] */

/* CORE */
#define R_CORE_MISC_CFG 0x3010       /* PROC_PRECISION[10:8] DW_EN[1] QD_EN[0] */
#define R_CORE_DATAOUT_SIZE_0 0x3014 /* HEIGHT[31:16] WIDTH[15:0], minus 1 */
#define R_CORE_DATAOUT_SIZE_1 0x3018 /* CHANNEL[15:0], minus 1 */
#define R_CORE_CLIP_TRUNCATE 0x301C  /* ROUND_TYPE[6] CLIP_TRUNCATE[4:0] */

/* DPU */
#define R_DPU_FEATURE_MODE_CFG 0x400C /* NONALIGN[25] SURF_LEN[24:9] BURST[8:5] CONV_MODE[4:3] OUTPUT_MODE[2:1] FLYING_MODE[0] */
#define R_DPU_DATA_FORMAT 0x4010      /* OUT_PREC[31:29] IN_PREC[28:26] EW_TRUNCATE_NEG[25:16] BN_MUL_SHIFT_NEG[15:10] BS_MUL_SHIFT_NEG[9:4] MC_SURF_OUT[3] PROC[2:0] */
#define R_DPU_OFFSET_PEND 0x4014
#define R_DPU_DST_BASE_ADDR 0x4020
#define R_DPU_DST_SURF_STRIDE 0x4024  /* [31:4] */
#define R_DPU_DATA_CUBE_WIDTH 0x4030  /* [12:0] minus 1 */
#define R_DPU_DATA_CUBE_HEIGHT 0x4034 /* MINMAX_CTL[24:22] HEIGHT[12:0] minus 1 */
#define R_DPU_DATA_CUBE_NOTCH_ADDR 0x4038 /* NOTCH_ADDR_1[28:16] NOTCH_ADDR_0[12:0] */
#define R_DPU_DATA_CUBE_CHANNEL 0x403C /* ORIG_CHANNEL[28:16] CHANNEL[12:0], minus 1 */
#define R_DPU_BS_CFG 0x4040
#define R_DPU_BS_ALU_CFG 0x4044
#define R_DPU_BS_MUL_CFG 0x4048
#define R_DPU_BS_RELUX_CMP 0x404C
#define R_DPU_BS_OW_CFG 0x4050
#define R_DPU_BS_OW_OP 0x4054
#define R_DPU_WDMA_SIZE_0 0x4058
#define R_DPU_WDMA_SIZE_1 0x405C
#define R_DPU_BN_CFG 0x4060
#define R_DPU_BN_ALU_CFG 0x4064
#define R_DPU_BN_MUL_CFG 0x4068
#define R_DPU_BN_RELUX_CMP 0x406C
#define R_DPU_EW_CFG 0x4070
#define R_DPU_EW_CVT_OFFSET 0x4074
#define R_DPU_EW_CVT_SCALE 0x4078     /* EW_TRUNCATE[31:22] SHIFT[21:16] SCALE[15:0] */
#define R_DPU_EW_RELUX_CMP 0x407C
#define R_DPU_OUT_CVT_OFFSET 0x4080
#define R_DPU_OUT_CVT_SCALE 0x4084    /* FP32TOFP16_EN[16] SCALE[15:0] */
#define R_DPU_OUT_CVT_SHIFT 0x4088    /* CVT_TYPE[31] CVT_ROUND[30] MINUS_EXP[19:12] SHIFT[11:0] */
#define R_DPU_EW_OP_VALUE_0 0x4090
#define R_DPU_SURFACE_ADD 0x40C0
#define R_DPU_LUT_ACCESS_CFG 0x4100
#define R_DPU_LUT_ACCESS_DATA 0x4104
#define R_DPU_LUT_CFG 0x4108
#define R_DPU_LUT_INFO 0x410C
#define R_DPU_LUT_LE_START 0x4110
#define R_DPU_LUT_LE_END 0x4114
#define R_DPU_LUT_LO_START 0x4118
#define R_DPU_LUT_LO_END 0x411C
#define R_DPU_LUT_LE_SLOPE_SCALE 0x4120
#define R_DPU_LUT_LE_SLOPE_SHIFT 0x4124
#define R_DPU_LUT_LO_SLOPE_SCALE 0x4128
#define R_DPU_LUT_LO_SLOPE_SHIFT 0x412C

/* DPU_RDMA */
#define R_RDMA_CUBE_WIDTH 0x500C
#define R_RDMA_CUBE_HEIGHT 0x5010
#define R_RDMA_CUBE_CHANNEL 0x5014
#define R_RDMA_SRC_BASE_ADDR 0x5018
#define R_RDMA_BRDMA_CFG 0x501C       /* BRDMA_DATA_USE[4:1] */
#define R_RDMA_BS_BASE_ADDR 0x5020
#define R_RDMA_NRDMA_CFG 0x5028
#define R_RDMA_BN_BASE_ADDR 0x502C
#define R_RDMA_ERDMA_CFG 0x5034       /* DATA_MODE[31:30] SURF_MODE[29] NONALIGN[28] DATA_SIZE[3:2] OV4K[1] DISABLE[0] */
#define R_RDMA_EW_BASE_ADDR 0x5038
#define R_RDMA_EW_SURF_STRIDE 0x5040  /* [31:4] */
#define R_RDMA_FEATURE_MODE_CFG 0x5044 /* IN_PREC[17:15] BURST[14:11] COMB_USE[10:8] PROC[7:5] MRDMA_DISABLE[4] FP16TOFP32[3] CONV_MODE[2:1] FLYING[0] */
#define R_RDMA_SRC_DMA_CFG 0x5048     /* LINE_NOTCH_ADDR[31:19] ... */
#define R_RDMA_SURF_NOTCH 0x504C      /* [31:4] */
#define R_RDMA_PAD_CFG 0x5064
#define R_RDMA_WEIGHT 0x5068
#define R_RDMA_EW_SURF_NOTCH 0x506C

/* PPU */
#define R_PPU_CUBE_IN_WIDTH 0x600C
#define R_PPU_CUBE_IN_HEIGHT 0x6010
#define R_PPU_CUBE_IN_CHANNEL 0x6014
#define R_PPU_CUBE_OUT_WIDTH 0x6018
#define R_PPU_CUBE_OUT_HEIGHT 0x601C
#define R_PPU_CUBE_OUT_CHANNEL 0x6020
#define R_PPU_OPERATION_MODE_CFG 0x6024 /* INDEX_EN[30] NOTCH_ADDR[28:16] USE_CNT[7:5] FLYING_MODE[4] METHOD[1:0] */
#define R_PPU_POOLING_KERNEL_CFG 0x6034 /* STRIDE_H[23:20] STRIDE_W[19:16] KH[11:8] KW[3:0], minus 1 */
#define R_PPU_RECIP_KERNEL_WIDTH 0x6038
#define R_PPU_RECIP_KERNEL_HEIGHT 0x603C
#define R_PPU_POOLING_PADDING_CFG 0x6040 /* BOTTOM[14:12] RIGHT[10:8] TOP[6:4] LEFT[2:0] */
#define R_PPU_PADDING_VALUE_1 0x6044
#define R_PPU_PADDING_VALUE_2 0x6048
#define R_PPU_DST_BASE_ADDR 0x6070      /* [31:4] */
#define R_PPU_DST_SURF_STRIDE 0x607C    /* [31:4] */
#define R_PPU_DATA_FORMAT 0x6084        /* INDEX_ADD[31:4] DPU_FLYIN[3] PROC_PRECISION[2:0] */
#define R_PPU_MISC_CTRL 0x60DC

/* PPU_RDMA */
#define R_PPU_RDMA_CUBE_IN_WIDTH 0x700C
#define R_PPU_RDMA_CUBE_IN_HEIGHT 0x7010
#define R_PPU_RDMA_CUBE_IN_CHANNEL 0x7014
#define R_PPU_RDMA_SRC_BASE_ADDR 0x701C
#define R_PPU_RDMA_SRC_LINE_STRIDE 0x7024 /* [31:4] */
#define R_PPU_RDMA_SRC_SURF_STRIDE 0x7028 /* [31:4] */
#define R_PPU_RDMA_DATA_FORMAT 0x7030     /* IN_PRECISION[1:0] */

/* GLOBAL OPERATION_ENABLE mask bits (the value of a 0x0081 op_en entry). */
#define SIM_EN_CNA (1u << 0)
#define SIM_EN_B2000 (1u << 1) /* RK3566/68 only: enables the 0x2000 block [inferred, npu-isa.md 7.1] */
#define SIM_EN_CORE (1u << 2)
#define SIM_EN_DPU (1u << 3)
#define SIM_EN_DPU_RDMA (1u << 4)
#define SIM_EN_PPU (1u << 5)
#define SIM_EN_PPU_RDMA (1u << 6)

/* Precision codes (TRM 36, npu-isa.md 2.3). */
enum {
    SIM_PREC_INT8 = 0,
    SIM_PREC_INT16 = 1,
    SIM_PREC_FP16 = 2,
    SIM_PREC_BF16 = 3,
    SIM_PREC_INT32 = 4, /* DPU only */
    SIM_PREC_FP32 = 5   /* DPU only */
};

#endif
