/*
 * sim.h - register-level execution of a compiled .rknn model.
 *
 * The machine (sim/SEMANTICS.md has every rule and its source):
 *  - a DRAM image (mem.h): one region per const buffer (weights, bias,
 *    LUTs), the activation pool (inputs, outputs and internal tensors at
 *    their pool offsets) and the relocated command stream;
 *  - the relocation table applied to the address registers;
 *  - one PC sequencer that walks a task chain as the hardware does
 *    (PC_BASE_ADDRESS / PC_REGISTER_AMOUNTS), keeps a register file and on
 *    each op_en entry runs the enabled units (CNA+CORE, DPU+DPU_RDMA,
 *    PPU+PPU_RDMA) on the current register state;
 *  - CPU-side nodes (InputOperator, OutputOperator, Reshape, custom ops...)
 *    run in cpuops.c / custom_*.c, with the vendor runtime's names.
 *
 * Execution order is the graph's node order.  An NPU node runs the first PC
 * chain that contains one of its tasks (on RK3588 the vendor stores the
 * single-core chain first, then the multi-core variants; rksim simulates
 * one core).  A chain that spans several nodes runs once, at its first
 * node; per-node outputs are captured after each node's last task.
 *
 * Typical use:
 *   sim *s; sim_create(model, &opt, &s, &e);
 *   sim_set_input(s, 0, &tensor, &e); ...
 *   sim_run(s, &e);
 *   sim_get_output(s, 0, false, &out, &e);
 *   sim_destroy(s);
 * Library code never prints; progress goes through opt.progress.
 */
#ifndef RKSIM_SIM_H
#define RKSIM_SIM_H

#include <stdbool.h>
#include <stdint.h>

#include "isa.h"
#include "rk_base.h"
#include "rk_tensor.h"
#include "rk_tensorio.h"
#include "rknn.h"

typedef struct sim sim;

/* Called after every task (done of total) and before each CPU node. */
typedef void (*sim_progress_fn)(void *user, size_t tasks_done, size_t tasks_total,
                                const char *layer);

/* Called just before task `task` (index into the model's tasks) executes,
 * with its layer (node) name: the moment its inputs must be in DRAM.
 * compare's single mode writes reference inputs there. */
typedef void (*sim_before_task_fn)(void *user, size_t task, const char *layer);

typedef struct sim_options {
    rk_soc soc;         /* RK_SOC_UNKNOWN: take it from the model */
    bool lenient;       /* unknown register/field value/mode: record and continue */
    bool keep_layers;   /* capture every node output (sim_layers) */
    sim_progress_fn progress;
    void *progress_user; /* passed to progress and before_task */
    sim_before_task_fn before_task; /* NULL: not called */
} sim_options;

/* Counters of one run. */
typedef struct sim_stats {
    uint64_t tasks;      /* tasks executed (op_en entries) */
    uint64_t chains;     /* PC chains walked */
    uint64_t regwrites;  /* register writes applied */
    uint64_t macs;       /* multiply-accumulates done by CNA+CORE (real channels) */
    uint64_t dpu_elems;  /* DPU output elements */
    uint64_t ppu_elems;  /* PPU output elements */
    uint64_t cpu_nodes;  /* nodes run on the CPU */
    uint64_t dram_bytes; /* size of the DRAM image */
} sim_stats;

/*
 * The float preprocessing of graph input gi (the InputOperator before it
 * quantises): channel c takes source channel order[c] (Graph slot 4), then
 * channels 0 and 2 swap when the generator says rgb2bgr, then
 * (x - mean[c]) / std[c].  Mean/std come from Graph slot 4, else from the
 * generator dict.  Pointers borrow from the model.  compare applies the same
 * to the ONNX side so one input file feeds both.
 */
typedef struct rknn_input_prep {
    const float *mean, *std;
    uint32_t n_mean, n_std;
    const int32_t *order;
    uint32_t n_order;
    bool rgb2bgr;
} rknn_input_prep;

void rknn_input_prep_of(const rknn_model *m, const rknn_graph *g, uint32_t gi, rknn_input_prep *p);
/* In place on x = n images of c planes of `plane` floats (NCHW). */
rk_status rknn_input_prep_apply(const rknn_input_prep *p, float *x, int64_t n, int64_t c, int64_t plane,
                                rk_err *e);
/* In place on input `name` of shape dims[ndim]: rank 4 is NCHW (as
 * rknn_input_prep_apply); any other rank has no channel axis (the vendor
 * runtime's fmt UNDEFINED), so only a uniform mean/std applies to every
 * element, and a channel reorder, an RGB<->BGR swap or per-channel values
 * are refused (RK_EUNSUPPORTED naming the input) rather than guessed. */
rk_status rknn_input_prep_apply_shape(const rknn_input_prep *p, const char *name, float *x, int ndim,
                                      const int64_t *dims, rk_err *e);

/* Build the machine for `m` (which must outlive the sim).  Fails with
 * RK_EUNSUPPORTED for models without a command stream or an unknown SoC. */
rk_status sim_create(const rknn_model *m, const sim_options *opt, sim **out, rk_err *e);
void sim_destroy(sim *s);

rk_soc sim_soc(const sim *s);
int sim_n_inputs(const sim *s);
int sim_n_outputs(const sim *s);
/* The graph tensor behind input/output i (NULL for a bad index). */
const rknn_tensor *sim_input_tensor(const sim *s, int i);
const rknn_tensor *sim_output_tensor(const sim *s, int i);

/* Input i from a tensor in the ONNX model's own shape and layout (NCHW for
 * the vendor demos), any numeric dtype.  The InputOperator normalises
 * ((x - mean) / std), reorders channels and quantises exactly as the model
 * says when the run starts.  A tensor whose shape is the NHWC permutation of
 * the model's NCHW shape is accepted only with `nhwc` true. */
rk_status sim_set_input(sim *s, int i, const rk_tensor *t, bool nhwc, rk_err *e);

/* Execute the whole graph. */
rk_status sim_run(sim *s, rk_err *e);

/* Output i: float32 NCHW, dequantised (raw=false), or the native tensor
 * bytes with the native shape and dtype (raw=true).  Name = tensor name. */
rk_status sim_get_output(sim *s, int i, bool raw, rk_tensor *out, rk_err *e);

/* Every tensor produced by a node (inputs included), dequantised float32 in
 * the original (NCHW) shape, named by the tensor name, in execution order.
 * Needs keep_layers. */
rk_status sim_layers(sim *s, rk_tensor_list *out, rk_err *e);

/* Problems recorded in lenient mode, one sentence each. */
const char *const *sim_issues(const sim *s, size_t *n);
const sim_stats *sim_get_stats(const sim *s);

/* Which chain-head tasks the run executes (for tests and `info`):
 * fills up to max indices, returns how many there are. */
size_t sim_plan_chains(const sim *s, size_t *heads, size_t max);

/* Run a bare command stream without a graph: tasks are walked as one PC
 * chain from task 0; used by unit tests on hand-assembled programs whose
 * graph has no nodes.  The tensors of the model are still placed in DRAM. */
rk_status sim_run_program(sim *s, rk_err *e);
/* Read/write a tensor's raw native bytes in the DRAM image (by graph tensor
 * index); len must equal the tensor's size. */
rk_status sim_tensor_write(sim *s, int32_t tensor, const void *data, size_t len, rk_err *e);
rk_status sim_tensor_read(sim *s, int32_t tensor, void *data, size_t len, rk_err *e);

#endif
