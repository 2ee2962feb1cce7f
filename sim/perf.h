/*
 * perf.h - the cycle model: per-task and per-layer latency estimates for a
 * compiled RKNPU program (`rksim run --perf`, `--perf-only`, `--perf-json`).
 *
 * What is modelled.  Estimates come from the REGISTER STATE of each task,
 * i.e. from what the hardware is told to do, never from the ONNX graph.
 * The task chain is walked in table order; a register file per block keeps
 * the last value written to every register, because vendor streams are
 * sparse (later tasks of a layer only rewrite what changed).  For each task:
 *
 *   - CNA feature bytes (DATA_SIZE0/1, precision, unless CBUF_CON0.DATA_REUSE)
 *     and weight bytes (WEIGHT_SIZE0, unless CBUF_CON0.WEIGHT_REUSE) fetched
 *     from DDR; DPU_RDMA bias/scale/elementwise operand bytes; PPU_RDMA bytes;
 *     DPU / PPU write-back bytes.
 *   - MAC-array cycles with the array's alignment: input channels rounded up
 *     to the channel atom, output channels up to the kernel group
 *     (CNA_CONV_CON2.KERNEL_GROUP: 32 int8 / 16 int16-fp16 on RK3588), times
 *     output pixels and kernel taps, divided by the array efficiency.
 *   - DPU (BS/BN/EW, LUT) and PPU element throughput.
 *   - overlap: a task takes a pipeline-fill term (the bytes that must be in
 *     CBUF before the first MAC: the task's feature tile, up to its DATA_BANK
 *     banks, and the first kernel group's weights, plus a DDR latency), then
 *     max(MAC / efficiency, DPU, PPU, the rest of the DMA), plus a fixed cost
 *     (PC fetch of the task's regcmd entries, start/completion, and once per
 *     PC chain the submit + interrupt).  Details and the reasons in
 *     perf_task.c; calibration in tests/test_perf_calib.c.
 *   - RK3588 per-core split: tasks are grouped into PC chains (a task whose
 *     tail has no next address ends a chain).  Vendor RK3588 files hold the
 *     program several times: a 1-core variant, a 2-core and a 3-core one,
 *     each a set of chains, one per core; the parameter `cores` picks the
 *     variant that runs, see rk_perf_model_estimate.
 *
 * Every number the model uses is one named parameter in one table per SoC,
 * tagged documented / measured (with a citation) / assumed, and can be
 * overridden ("NAME=VALUE", `--param`).  Library code never prints; the
 * printers below write to a caller-supplied FILE*.
 */
#ifndef RKSIM_PERF_H
#define RKSIM_PERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "isa.h"
#include "rk_base.h"
#include "rk_tensor.h"

struct rknn_model;
struct rknn_task;

/* ------------------------------------------------------------ parameters */

/* Where a parameter's value comes from. */
typedef enum rk_perf_src {
    RK_PERF_DOCUMENTED = 0, /* TRM, BSP driver, vendor documentation */
    RK_PERF_MEASURED,       /* measured by someone on hardware (cited) */
    RK_PERF_ASSUMED,        /* nobody measured it: our guess, say so */
    RK_PERF_USER            /* overridden with --param / rk_perf_param_set */
} rk_perf_src;

const char *rk_perf_src_name(rk_perf_src s); /* "documented", "measured", ... */

/* The model's parameters, one id each.  Values are doubles; counts are
 * whole numbers.  Cycle counts are NPU core-clock cycles. */
typedef enum rk_perf_param_id {
    RK_PP_CLOCK_MHZ = 0,      /* NPU core clock */
    RK_PP_CORES,              /* NPU cores the run uses (picks the variant) */
    RK_PP_KGROUP_INT8,        /* kernels per MAC step, int8 (KERNEL_GROUP) */
    RK_PP_KGROUP_FP16,        /* same for int16/fp16/bf16 */
    RK_PP_KGROUP_INT4,
    RK_PP_KGROUP_TF32,
    RK_PP_ATOMC,              /* input channels per MAC step (channel atom) */
    RK_PP_MAC_EFFICIENCY,     /* sustained / peak MAC-array rate, 0..1 */
    RK_PP_CBUF_BANKS,
    RK_PP_CBUF_BANK_BYTES,
    RK_PP_DDR_BYTES_PER_CYCLE, /* sustained NPU DDR bandwidth per NPU cycle */
    RK_PP_DDR_TOTAL_BYTES_PER_CYCLE, /* all cores together (bounds multi-core layers) */
    RK_PP_DDR_LATENCY,        /* cycles from first request to first data */
    RK_PP_DPU_BYTES_PER_CYCLE, /* DPU output bytes per cycle (BS/BN/EW path) */
    RK_PP_LUT_BYTES_PER_CYCLE, /* DPU output bytes per cycle when the LUT is on */
    RK_PP_PPU_BYTES_PER_CYCLE, /* PPU input bytes consumed per cycle */
    RK_PP_TASK_FIXED,         /* per task: start, op_en, completion handshake */
    RK_PP_SUBMIT_FIXED,       /* per PC chain: MMIO start + interrupt + driver */
    RK_PP_COUNT
} rk_perf_param_id;

/* One parameter.  `cite` is a short source string ("npu-isa.md §5 [S5]",
 * "Martin Chang's matmul blog via allbilly/rk3588:experimental/
 * matmul_benchmark_blog.md", "assumed: ..."). */
typedef struct rk_perf_param {
    const char *name; /* "clock_mhz", "ddr_bytes_per_cycle", ... */
    const char *unit; /* "MHz", "B/cycle", "cycles", ... */
    double value;
    rk_perf_src src;
    const char *cite;
} rk_perf_param;

/* A full table for one SoC.  Invariant: p[i].name is the name of id i; every
 * value is finite and within the limits rk_perf_param_set enforces. */
typedef struct rk_perf_params {
    rk_soc soc;
    rk_perf_param p[RK_PP_COUNT];
} rk_perf_params;

/* The default table of `soc` (RK3588 and RK3566/68; others RK_EUNSUPPORTED
 * naming the SoC).  */
rk_status rk_perf_params_default(rk_soc soc, rk_perf_params *out, rk_err *e);

/* Override one parameter from "NAME=VALUE" (the --param syntax).  Unknown
 * names, non-numbers, and values outside the parameter's sane range are
 * RK_EUSAGE with a message listing the accepted names / the range.  The
 * overridden parameter is tagged RK_PERF_USER. */
rk_status rk_perf_param_set(rk_perf_params *params, const char *assignment, rk_err *e);

/* Defaults of `soc` plus `n` "NAME=VALUE" overrides applied in order (the
 * CLI's --param list); the first bad one fails with RK_EUSAGE. */
rk_status rk_perf_params_with_overrides(rk_soc soc, const char *const *overrides, size_t n,
                                        rk_perf_params *out, rk_err *e);

/* Value by id (no checks: ids are an enum). */
static inline double rk_perf_get(const rk_perf_params *pp, rk_perf_param_id id)
{
    return pp->p[id].value;
}

/* Write the table (name, value, unit, source, citation) as text. */
rk_status rk_perf_params_print(FILE *f, const rk_perf_params *params, rk_err *e);

/* -------------------------------------------------- per-task register file */

/* The register state the model reads: the last value written to each
 * register of the regcmd-reachable blocks (0x0000..0x7FFF), indexed by
 * offset/4, and whether it was ever written.  Registers never written read
 * as 0 (the TRM reset value of every field the model uses). */
#define RK_PERF_NREGS (0x8000u / 4u)
typedef struct rk_perf_regfile {
    uint32_t val[RK_PERF_NREGS];
    uint8_t written[RK_PERF_NREGS];
} rk_perf_regfile;

/* Apply one task's entries (body and tail) to the register file.  Entries
 * that are not block writes (NOP, 0x0041, op_en) are ignored; a block write
 * whose offset lies outside 0x0000..0x7FFF is RK_EINPUT naming the entry. */
rk_status rk_perf_regfile_apply(rk_perf_regfile *rf, const uint64_t *entries, size_t n,
                                size_t first_index, rk_err *e);

static inline uint32_t rk_perf_reg(const rk_perf_regfile *rf, uint16_t offset)
{
    return rf->val[(offset & 0x7FFFu) >> 2];
}

/* ------------------------------------------------------------- results */

/* Largest `cores` value the model handles (RK3588 has 3). */
#define RK_PERF_MAX_CORES 4

/* What limits a task / layer. */
typedef enum rk_perf_bound {
    RK_PERF_BOUND_NONE = 0,
    RK_PERF_BOUND_MAC,      /* MAC array (CNA/CORE) */
    RK_PERF_BOUND_DDR,      /* DMA to/from DDR */
    RK_PERF_BOUND_DPU,      /* DPU element rate (EW/LUT/BS/BN) */
    RK_PERF_BOUND_PPU,      /* PPU pooling rate */
    RK_PERF_BOUND_OVERHEAD  /* fixed per-task cost dominates */
} rk_perf_bound;
const char *rk_perf_bound_name(rk_perf_bound b); /* "MAC", "DDR", ... */

/* What a task does, from its enable mask and registers. */
typedef enum rk_perf_kind {
    RK_PERF_KIND_OTHER = 0,
    RK_PERF_KIND_CONV,      /* CNA+CORE+DPU, direct convolution / matmul */
    RK_PERF_KIND_DWCONV,    /* depthwise (CONV_MODE 3) */
    RK_PERF_KIND_DPU,       /* DPU only, fed by DPU_RDMA (elementwise, LUT, cvt) */
    RK_PERF_KIND_PPU        /* PPU (pooling), fed by PPU_RDMA or the DPU */
} rk_perf_kind;
const char *rk_perf_kind_name(rk_perf_kind k);

/*
 * One task's estimate.  Cycle counts are NPU core cycles.
 *   mac_cycles   = ideal MAC-array cycles after alignment (eval_perf's "NPU
 *                  cycles" for a conv), dpu_cycles / ppu_cycles likewise;
 *   npu_cycles   = max(mac_cycles, dpu_cycles, ppu_cycles);
 *   ddr_cycles   = ddr_bytes / ddr_bytes_per_cycle;
 *   time_cycles  = fill_cycles + busy + fixed_cycles, where busy =
 *                  max(mac_cycles / mac_efficiency, dpu, ppu, DMA not in fill)
 *                  and fixed_cycles includes submit_fixed on a chain's first
 *                  task.
 *   ddr_bytes    = rd_* + wr_bytes + regcmd_bytes; macs <= macs_aligned.
 */
typedef struct rk_perf_task {
    uint32_t index;      /* in the task table */
    int32_t node;        /* owning node (rknn_task_node), -1 if none */
    uint32_t chain;      /* PC chain number (0-based, table order) */
    uint32_t variant;    /* multi-core variant of the chain (cores - 1), see below */
    uint32_t core;       /* core the chain is assigned to within its variant */
    bool active;         /* part of the variant that runs (counted in totals) */
    uint32_t enable_mask;
    rk_perf_kind kind;
    rk_dtype in_dtype, out_dtype; /* RK_DT_I8 / RK_DT_F16 / ... */
    /* geometry as the registers state it (0 where not applicable) */
    uint32_t in_w, in_h, in_c, out_w, out_h, out_c, k_w, k_h;
    uint64_t macs;          /* real multiply-accumulates */
    uint64_t macs_aligned;  /* after channel/kernel-group padding */
    uint64_t rd_feature_bytes, rd_weight_bytes, rd_dpu_bytes, rd_ppu_bytes;
    uint64_t wr_bytes, regcmd_bytes, ddr_bytes;
    bool weight_reuse, data_reuse;
    uint64_t mac_cycles, dpu_cycles, ppu_cycles, ddr_cycles;
    uint64_t npu_cycles, fill_cycles, fixed_cycles, time_cycles;
    rk_perf_bound bound;
} rk_perf_task;

/*
 * One layer (a node with compiled tasks), eval_perf style.  ddr_cycles,
 * npu_cycles, macs and ddr_bytes are sums over its tasks; total_cycles =
 * max(ddr_cycles, npu_cycles) as in eval_perf's Cycles(DDR/NPU/Total);
 * time_us is the layer's wall time: tasks of the layer on different cores
 * overlap, so it is the largest per-core sum of task time_cycles, but at
 * least the layer's DDR bytes / ddr_total_bytes_per_cycle (the cores share
 * DDR), divided by clock_mhz.  mac_usage_pct = sum of mac_cycles / (time in cycles x
 * cores_used) x 100 (eval_perf: NPU cycles / (Time x f)).  Strings are owned
 * by the result.
 */
typedef struct rk_perf_layer {
    int32_t node;
    char *op_type;   /* node type, "Conv", "ConvRelu", ... */
    char *name;      /* node name */
    char *dtype;     /* "INT8", "FLOAT16", ... (eval_perf spelling) */
    char *target;    /* "NPU" */
    char *in_shape;  /* "(1,64,258,258),(64,64,3,3),(64)" */
    char *out_shape; /* "(1,64,256,256)" */
    uint32_t task_first, n_tasks; /* range in rk_perf_result.layer_tasks */
    uint32_t n_active;            /* of which active (counted in the sums) */
    uint32_t cores_used;
    uint64_t core_cycles[RK_PERF_MAX_CORES]; /* per-core time (eval_perf WorkLoad) */
    uint64_t ddr_cycles, npu_cycles, total_cycles;
    uint64_t macs, ddr_bytes;
    double time_us, mac_usage_pct;
    rk_perf_bound bound;
} rk_perf_layer;

/* Per operator type ("ConvRelu"): calls, time, share of the frame. */
typedef struct rk_perf_optype {
    char *op_type;
    uint32_t calls;
    double time_us, ratio_pct;
} rk_perf_optype;

/*
 * A whole estimate.  tasks are in table order; layer_tasks lists task
 * indices grouped by layer (layers[i].task_first .. +n_tasks index into it;
 * every task, active or not, is in exactly one layer).  Totals count active
 * tasks only: frame_time_us = sum of the layer times, total_ddr_bytes and
 * total_macs = sums over active tasks, total_cycles = frame_time_us x
 * clock_mhz.  Tasks no node claims are put
 * in a layer named "(unassigned)" so every task belongs to exactly one
 * layer.  optypes are sorted by time, largest first.
 */
typedef struct rk_perf_result {
    rk_perf_params params;
    char *model_name;
    rk_perf_task *tasks;
    size_t n_tasks;
    uint32_t *layer_tasks;
    rk_perf_layer *layers;
    size_t n_layers;
    rk_perf_optype *optypes;
    size_t n_optypes;
    uint32_t n_chains;
    uint32_t n_variants;     /* distinct multi-core variants in the program */
    uint32_t variant;        /* the one that runs (cores used - 1) */
    size_t n_active;         /* tasks of that variant */
    uint64_t total_cycles, total_ddr_bytes, total_macs;
    double frame_time_us;
} rk_perf_result;

void rk_perf_result_free(rk_perf_result *r);

/* --------------------------------------------------------------- estimate */

/*
 * Estimate one task from its register state.  `rf` is the state AFTER the
 * task's entries were applied; `regcmd_entries` the task's entry count
 * (body + tail, for the PC fetch cost).  Fills everything but index, node,
 * chain and core.  Never fails on odd register values: impossible
 * geometry (zero sizes) yields a task with only fixed cycles, bound
 * OVERHEAD.
 */
void rk_perf_estimate_task(const rk_perf_params *pp, const rk_perf_regfile *rf,
                           uint32_t enable_mask, size_t regcmd_entries,
                           rk_perf_task *out);

/*
 * Estimate a raw program: regcmd words + task table (struct rknpu_task, as
 * in rknn.h) for `pp->soc`.  node_of_task may be NULL (all tasks in one
 * "(unassigned)" layer) or give the node of each task; node_type/node_name
 * (may be NULL) name the nodes.  Used by tests that hand-assemble tasks.
 */
rk_status rk_perf_program_estimate(const uint64_t *regcmd, size_t n_regcmd,
                                   const struct rknn_task *tasks, size_t n_tasks,
                                   const rk_perf_params *pp, rk_perf_result *out,
                                   rk_err *e);

/*
 * Estimate a loaded .rknn model (v6, with a command stream).  soc must match
 * params->soc; pass params NULL for the SoC's defaults.  Layers come from
 * the model's node <-> task mapping; shapes and dtypes from its tensors.
 *
 * Multi-core variants [inferred from the vendor streams in ../shared]:
 * RK3588 files repeat the program for 1, 2 and 3 cores (17 tasks for
 * multiple_input_demo: one 2-task chain over the whole image, two 3-task
 * chains over half of it each, three over a third each).  Bits 17:16 of a
 * task's PC_REGISTER_AMOUNTS value hold the variant (cores - 1) on the
 * tasks that are split; 0 on layers that are not.  A chain's variant is the
 * largest value among its tasks; a chain where all are 0 that follows a
 * chain of variant v > 0 continues variant v (the unsplit tail of the
 * network, on that variant's core 0).  Within a variant, chains of the
 * variant's own value go to cores 0, 1, 2 in table order.  The variant that
 * runs is the largest one needing at most `cores` cores; tasks of the other
 * variants are estimated but inactive (not in any total).
 */
rk_status rk_perf_model_estimate(const struct rknn_model *m, rk_soc soc,
                                 const rk_perf_params *params, rk_perf_result *out,
                                 rk_err *e);

/* Convenience: load `rknn_path`, pick the SoC from the file (or soc_override
 * when not RK_SOC_UNKNOWN), apply `n_overrides` "NAME=VALUE" strings, and
 * estimate.  Errors name the file. */
rk_status rk_perf_report_file(const char *rknn_path, rk_soc soc_override,
                              const char *const *overrides, size_t n_overrides,
                              rk_perf_result *out, rk_err *e);

/* ---------------------------------------------------------------- output */

/* eval_perf-style table: ID OpType DataType Target InputShape OutputShape
 * Cycles(DDR/NPU/Total) Time(us) MacUsage(%) RW(KB) FullName, then
 * "Total Operator Elapsed Per Frame Time(us)", "Total Memory Read/Write Per
 * Frame Size(KB)" and the operator-type ranking.  I/O errors -> RK_EIO. */
rk_status rk_perf_print_table(FILE *f, const rk_perf_result *r, rk_err *e);
/* JSON: {"soc", "params":[...], "layers":[...], "tasks":[...], "totals":{...},
 * "ranking":[...]} with the same fields as the table plus per-task rows. */
rk_status rk_perf_write_json(FILE *f, const rk_perf_result *r, rk_err *e);
/* CSV: one header line, then one row per layer ("layer") and per task
 * ("task"), first column = row kind. */
rk_status rk_perf_write_csv(FILE *f, const rk_perf_result *r, rk_err *e);

/* Write the JSON report (or CSV when `path` ends in ".csv") to a file;
 * errors (RK_EIO) name the path.  For `--perf-json FILE`. */
rk_status rk_perf_write_file(const rk_perf_result *r, const char *path, rk_err *e);

/*
 * Typical CLI use (`rksim run M.rknn [INPUT] --perf[-only] [--param N=V]...
 * [--perf-json FILE]`):
 *     rk_perf_params pp;  rk_perf_result r;
 *     st = rk_perf_params_with_overrides(soc, params, n_params, &pp, &e); // RK_EUSAGE -> exit 2
 *     st = rk_perf_model_estimate(model, soc, &pp, &r, &e);
 *     st = rk_perf_print_table(stdout, &r, &e);
 *     if (json) st = rk_perf_write_file(&r, json, &e);
 *     rk_perf_result_free(&r);
 * The estimate reads only the command stream, so --perf-only needs no input
 * tensors and takes well under a millisecond for 1722 tasks.
 */

#endif
