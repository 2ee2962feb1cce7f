/*
 * sim_internal.h - state shared by the simulator's modules (sequencer,
 * functional units, CPU ops).  Not a public interface.
 */
#ifndef RKSIM_SIM_INTERNAL_H
#define RKSIM_SIM_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "mem.h"
#include "sim.h"
#include "sim_regs.h"

/* Register file: one 32-bit slot per 4-byte offset of the NPU register
 * space 0x0000-0x7FFF (PC, CNA, 0x2000 block, CORE, DPU, DPU_RDMA, PPU,
 * PPU_RDMA).  `written` marks slots a task has set at least once, so a unit
 * can tell "never programmed" from "programmed 0" in error messages. */
#define SIM_NREGS (0x8000 / 4)
#define SIM_LUT_ENTRIES 1024 /* LUT_ADDR is 10 bits (TRM) */

/*
 * The CNA+CORE result handed to the DPU on a conv task (flying data, never
 * in DRAM).  Invariants: planar [c][h*w]; exactly one of i32/f32 is used
 * (is_float); xsum (int8 path only) holds, per output pixel, the sum of the
 * input values under the kernel window over all real input channels
 * (depthwise: per channel, [c][h*w]) for the BS "CPEND"/OW stage.
 */
typedef struct sim_cube {
    int c, h, w;
    bool is_float;
    int32_t *i32;
    float *f32;
    int32_t *xsum;
    bool xsum_per_channel;
    size_t cap_i32, cap_f32, cap_xsum;
} sim_cube;

/* Why the current work is being done, for error messages. */
typedef struct sim_where {
    long task;         /* task index, -1 outside tasks */
    const char *layer; /* node name or "" */
} sim_where;

struct sim {
    const rknn_model *model;
    const rknn_graph *g;
    rk_soc soc;
    const isa_soc_info *soc_info;
    sim_options opt;

    sim_mem mem;
    const sim_region *pool;
    uint32_t *tensor_addr;   /* per graph tensor: DMA address of byte 0, or 0 */
    const sim_region **tensor_region;

    uint64_t *regcmd;        /* relocated command stream: after sim_create it
                              * points into the DRAM "regcmd" region (the
                              * bytes the PC fetches), not a separate copy */
    bool regcmd_in_dram;
    size_t n_regcmd;
    const rknn_task *tasks;
    size_t n_tasks;
    long *chain_head;        /* per task: first task of its PC chain */
    bool *chain_done;        /* per chain head */
    long *task_node;         /* per task: node index (op_idx) or -1 */

    rk_tensor *user_inputs;  /* per graph input, NCHW as given */
    bool *user_nhwc;

    /* Two register groups per block (ping-pong, TRM 36.5.1 / npu-isa 1.4):
     * writes go to the block's current group, an op_en runs each enabled
     * block on its current group and then flips it.  Sparse vendor tasks
     * rely on this: pp_human's Resize phase tasks inherit OUT_CVT from the
     * task two back, not the previous one (inferred). */
    uint32_t regs[2][SIM_NREGS];
    bool written[SIM_NREGS];
    uint8_t bank[8]; /* per 4 KiB block window 0x0000-0x7FFF */
    sim_where where;
    bool skip_unit; /* set by sim_skip in lenient mode, cleared by the unit */

    /* CNA weight cache for CBUF_CON0.WEIGHT_REUSE: the address and size of
     * the weights the previous conv task loaded. */
    uint32_t last_weight_addr;
    uint32_t last_weight_bytes;
    bool have_weights;

    /* DPU LUT RAM (SEMANTICS.md D-LUT): two tables of 16-bit entries, LE
     * (id 0) and LO (id 1), filled through LUT_ACCESS_CFG (table, start
     * address, write) followed by LUT_ACCESS_DATA writes that store one
     * entry each and advance the address (inferred: RKNN and allbilly's
     * sigmoid emit one CFG then 513 DATA writes).  A RAM, not a register:
     * not ping-ponged.  lut_n = highest address written + 1. */
    int16_t lut[2][SIM_LUT_ENTRIES];
    uint32_t lut_n[2];
    uint32_t lut_addr;
    int lut_table;
    bool lut_write;

    sim_cube cube;
    /* conv work space (weights as float, im2col and result tiles, the
     * padded input planes), one block sized for the largest task and kept
     * across tasks: a fresh multi-MiB malloc per task costs page faults on
     * every touch */
    float *scratch_f;
    size_t scratch_cap;

    /* DPU per-task work buffers (WDMA offset map, one int64 and one float
     * plane), kept across tasks so every task does not map fresh pages. */
    void *dpu_off, *dpu_v, *dpu_fv;
    size_t dpu_off_cap, dpu_v_cap, dpu_fv_cap;

    char **issues;
    size_t n_issues, cap_issues;

    bool *node_done;
    rk_tensor_list layers;
    sim_stats stats;
    size_t tasks_total_planned;
};

static inline uint32_t sim_reg(const sim *s, uint16_t off)
{
    return s->regs[s->bank[(off >> 12) & 7]][(off >> 2) & (SIM_NREGS - 1)];
}

/* Record a problem.  Strict mode: returns RK_EUNSUPPORTED with the message
 * prefixed by "task N (layer L): ".  Lenient mode: stores it, returns RK_OK
 * so the caller continues with its documented fallback. */
rk_status sim_problem(sim *s, rk_err *e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like sim_problem for problems after which the unit cannot do its work:
 * lenient mode records it, sets skip_unit (the unit returns without
 * touching memory) and returns RK_OK. */
rk_status sim_skip(sim *s, rk_err *e, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A hard error (bad DMA, malformed stream): always fails, prefixed. */
rk_status sim_fail(sim *s, rk_err *e, rk_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Host pointer for a DMA of `len` bytes at `addr` read/written through
 * register `reg` ("CNA_FEATURE_DATA_ADDR"); fails naming task, register and
 * address when the range is not inside one region. */
rk_status sim_dma(sim *s, uint32_t addr, uint64_t len, const char *reg, uint8_t **p,
                  rk_err *e);
/* sim_dma for a range the unit writes (WDMA): a borrowed const region
 * gets its own copy first (mem.h).  Units must use this for every write. */
rk_status sim_dma_write(sim *s, uint32_t addr, uint64_t len, const char *reg, uint8_t **p, rk_err *e);

/* Sequencer (sim_seq.c): walk the PC chain that starts at task `head`. */
/* Side effect of a write to LUT_ACCESS_CFG / LUT_ACCESS_DATA (unit_dpu.c). */
rk_status sim_lut_access(sim *s, uint16_t reg, uint32_t value, rk_err *e);
rk_status sim_seq_run_chain(sim *s, size_t head, rk_err *e);

/* Functional units, run on the current register state by an op_en entry. */
rk_status sim_unit_conv(sim *s, uint32_t en, rk_err *e);   /* CNA + CORE -> s->cube */
rk_status sim_unit_dpu(sim *s, uint32_t en, rk_err *e);    /* DPU + DPU_RDMA */
rk_status sim_unit_ppu(sim *s, uint32_t en, rk_err *e);    /* PPU + PPU_RDMA */

/* Number helpers.  sim_round_shift: v / 2^shift rounded on the dropped
 * bits: up above one half; on a tie up (half_up) or to even (TRM CVT_ROUND
 * 0); shift <= 0 multiplies. */
static inline int64_t sim_round_shift(int64_t v, int shift, bool half_up)
{
    if (shift <= 0)
        return shift == 0 ? v : v * ((int64_t)1 << (-shift > 62 ? 62 : -shift));
    if (shift > 62)
        return v < 0 ? -1 : 0;
    int64_t half = (int64_t)1 << (shift - 1);
    int64_t q = v >> shift; /* floor */
    int64_t r = v - q * ((int64_t)1 << shift);
    return q + (r > half || (r == half && (half_up || (q & 1))));
}
static inline int32_t sim_sat32(int64_t v)
{
    return v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
}
/* 16x16 byte transpose: dst[j * dst_stride + i] = src[i * src_stride + j]
 * for i, j < 16.  Moves int8 data between NC1HWC2 atoms (16 channels of a
 * pixel) and channel planes 16 pixels at a time instead of byte by byte. */
#if defined(__SSE2__)
#include <emmintrin.h>
static inline void sim_transpose16_u8(const uint8_t *src, size_t src_stride, uint8_t *dst, size_t dst_stride)
{
    __m128i a[16], b[16];
    for (int i = 0; i < 16; i++)
        a[i] = _mm_loadu_si128((const __m128i *)(const void *)(src + (size_t)i * src_stride));
    /* rows 2p, 2p+1 interleaved bytewise: b[2p] columns 0-7, b[2p+1] 8-15 */
    for (int p = 0; p < 8; p++) {
        b[2 * p] = _mm_unpacklo_epi8(a[2 * p], a[2 * p + 1]);
        b[2 * p + 1] = _mm_unpackhi_epi8(a[2 * p], a[2 * p + 1]);
    }
    /* quads: a[4q + m] = rows 4q..4q+3, columns 4m..4m+3 */
    for (int q = 0; q < 4; q++)
        for (int h = 0; h < 2; h++) {
            a[4 * q + 2 * h] = _mm_unpacklo_epi16(b[4 * q + h], b[4 * q + 2 + h]);
            a[4 * q + 2 * h + 1] = _mm_unpackhi_epi16(b[4 * q + h], b[4 * q + 2 + h]);
        }
    /* octets: b[8o + m] = rows 8o..8o+7, columns 2m, 2m+1 */
    for (int o = 0; o < 2; o++)
        for (int m = 0; m < 4; m++) {
            b[8 * o + 2 * m] = _mm_unpacklo_epi32(a[8 * o + m], a[8 * o + 4 + m]);
            b[8 * o + 2 * m + 1] = _mm_unpackhi_epi32(a[8 * o + m], a[8 * o + 4 + m]);
        }
    /* all 16 rows of column j */
    for (int m = 0; m < 8; m++) {
        _mm_storeu_si128((__m128i *)(void *)(dst + (size_t)(2 * m) * dst_stride),
                         _mm_unpacklo_epi64(b[m], b[8 + m]));
        _mm_storeu_si128((__m128i *)(void *)(dst + (size_t)(2 * m + 1) * dst_stride),
                         _mm_unpackhi_epi64(b[m], b[8 + m]));
    }
}
#else
static inline void sim_transpose16_u8(const uint8_t *src, size_t src_stride, uint8_t *dst, size_t dst_stride)
{
    for (int i = 0; i < 16; i++)
        for (int j = 0; j < 16; j++)
            dst[(size_t)j * dst_stride + i] = src[(size_t)i * src_stride + j];
}
#endif

/* Elements per 16-byte atom for a CNA/DPU precision code; 0 if unknown. */
int sim_prec_c2(uint32_t prec);
size_t sim_prec_bytes(uint32_t prec);
const char *sim_prec_name(uint32_t prec);
rk_status sim_cube_reserve(sim_cube *c, int ch, int h, int w, bool is_float, bool xsum,
                           bool xsum_per_channel, rk_err *e);
void sim_cube_free(sim_cube *c);

/* CPU side (cpuops.c). */
rk_status sim_cpu_node(sim *s, uint32_t node, rk_err *e);
/* Tensor <-> float NCHW conversion through the DRAM image. */
rk_status sim_tensor_to_float(sim *s, int32_t ti, rk_tensor *out, rk_err *e);
rk_status sim_tensor_from_float(sim *s, int32_t ti, const rk_tensor *in, rk_err *e);

/* The task starting at regcmd byte offset `off` (-1 if none).  Several tasks
 * can share one segment (RK3588 multi-core variants reuse the single-core
 * programs), so the task right after `hint` in table order wins when it
 * matches. */
long sim_task_at_offset(const sim *s, uint64_t off, size_t hint);

#endif
