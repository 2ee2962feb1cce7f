/*
 * convert.h - rksim's ONNX-to-.rknn compiler (issue 8, first milestone).
 *
 * Pipeline (each stage in its own file):
 *   cv_graph.c  ONNX graph -> a list of NPU ops: constant folding of
 *               initializer-only subgraphs (evaluated with onnxref),
 *               BatchNormalization folded
 *               into the preceding Conv, one activation fused into Conv or
 *               Add (Relu, Clip; LeakyRelu / Sigmoid / SiLU / HardSigmoid /
 *               HardSwish / Tanh where the target has a DPU form, cv_act.c),
 *               Identity / Dropout aliased; every other op becomes a CPU
 *               node (cv_cpu.c: consecutive ones grouped, run in float by
 *               the simulator with onnxref's kernels; the node's ONNX
 *               definition travels in a "#onnx_node" const tensor).  With
 *               no_cpu_fallback (or for ops onnxref cannot run / non-4-D
 *               outputs) they are collected into one "unsupported" error
 *               listing op type, node name and hint.
 *   cv_quant.c  calibration (min/max, "normal") by running the float model
 *               with onnxref over an HDF5 calibration set or a deterministic
 *               input (optionally MMSE ranges from a histogram pass);
 *               asymmetric int8 activations per tensor, symmetric int8
 *               weights per output channel; channel equalisation of the
 *               tensors between convs and CPU nodes (per-channel rescaling
 *               folded into the conv, undone in the CPU node's float graph).
 *   cv_emit.c   lowering to register tasks: Conv / depthwise Conv on
 *               CNA+CORE+DPU (with CBUF row tiling and column tiling for
 *               widths the 11-bit CNA / 13-bit DPU fields cannot hold), Add
 *               on the DPU with the second operand from DPU_RDMA (ERDMA),
 *               output-channel tiling when the weights exceed the CBUF,
 *               MaxPool / AveragePool on the PPU.  Every field goes through
 *               the ISA packer; an overflow becomes the vendor's REGTASK line
 *               plus an explanation naming the ONNX node.
 *   cv_build.c  the .rknn container (InputOperator -> NPU nodes ->
 *               OutputOperator, NC1HWC2 activations in one pool, weights and
 *               DPU per-channel data as const buffers, relocations).
 *
 * Targets: RK3588 and RK3566/RK3568 ("lite"); the per-SoC numbers are one
 * table in cv_soc.c, the lite register differences in cv_emit.c (from
 * sim/SEMANTICS.md "lite differences").  Library code never prints: notes
 * for the user (tiling decisions, fused ops) are returned in rk_convert_report.
 */
#ifndef RKSIM_CONVERT_H
#define RKSIM_CONVERT_H

#include <stdbool.h>
#include <stddef.h>

#include "isa.h"
#include "rk_base.h"
#include "rk_tensor.h"
#include "rknn.h"

typedef enum rk_convert_dtype {
    RK_CONVERT_INT8 = 0,
    RK_CONVERT_FP16 = 1
} rk_convert_dtype;

/* Activation calibration: min/max ("normal"), the range minimising the
 * int8 quantisation MSE over a histogram of the calibration data, or the
 * range minimising the KL divergence (TensorRT-style entropy calibration)
 * over the same histogram. */
typedef enum rk_convert_algo { RK_CALIB_NORMAL = 0, RK_CALIB_MMSE = 1, RK_CALIB_KL = 2 } rk_convert_algo;

typedef struct rk_convert_opts {
    rk_soc soc;               /* RK_SOC_RK3588 or RK_SOC_RK3566 (cv_soc.c) */
    rk_convert_dtype dtype;
    const char *calib_h5;     /* NULL: deterministic input (see cv_quant.c) */
    /* Calibration images (cv_calib_src.c; used when calib_h5 is NULL): a
     * folder (every .jpg/.jpeg/.png, sorted by name) or an rknn-toolkit2
     * dataset.txt (one image path per line, relative to its folder).  Each
     * image is resized to the input's H x W (Pillow bilinear) and
     * normalised like rknn-toolkit2's mean_values/std_values, in pixel units
     * and in the model's channel order: x = (pixel - mean[c]) / std[c].
     * calib_std[c] == 0 means unset (1); calib_bgr: channel order BGR. */
    const char *calib_images;
    float calib_mean[3], calib_std[3];
    bool calib_bgr;
    rk_convert_algo algo;
    bool no_tiling;           /* stop with the REGTASK line instead of tiling */
    bool weights_per_layer;   /* one weight scale per conv instead of per output channel */
    /* CPU fallback (cv_cpu.c): nodes without an NPU lowering become CPU
     * nodes run in float by the simulator.  true: reject them instead, all
     * listed in one error (the first milestone's behaviour). */
    bool no_cpu_fallback;
    /* Fixed input shapes for models with symbolic dims: "name=1,3,480,480"
     * entries separated by ';' (NULL: the model's declared shapes). */
    const char *input_shapes;
    /* Dynamic input (cv_dynamic.c): a list of preset input-shape sets, each
     * compiled to its own task list (one graph per set in the .rknn, see
     * rknn.h "input-shape sets"); NULL: one fixed shape.  Syntax (parsed by
     * rk_shape_sets_parse): sets separated by ';', the inputs of one set by
     * whitespace, each "name=d0,d1,...": "x=1,64,1,50;x=1,64,1,100" or
     * "a=1,3,8,8 b=1,1,8,8; a=1,3,16,16 b=1,1,16,16".  Every set names the
     * same inputs.  With calib_h5 each set calibrates on the calibration
     * data cut to its shape (leading slice along each axis), so give the
     * data of the largest set, as rknn-toolkit2 asks for its MaxShape. */
    const char *dynamic_input;
    /* Hybrid quantisation (int8 only): an rknn-toolkit2 quantization config
     * (YAML, `custom_quantize_layers: {tensor: float16}`); the named layers
     * are compiled in fp16 with conversions at the boundaries (cv_hybrid.c).
     * NULL: none. */
    const char *hybrid_cfg;
} rk_convert_opts;

/* What the compiler did, for the CLI to print.  notes: one sentence each. */
typedef struct rk_convert_report {
    size_t n_npu_ops;
    size_t n_cpu_ops;         /* CPU fallback nodes */
    size_t n_tasks;
    size_t n_tiled_ops;
    size_t n_fused;           /* BatchNorm folds + activation fusions */
    char **notes;
    size_t n_notes;
    char *unsupported;        /* NULL, or every "\n  node: hint" line of an
                                 RK_EUNSUPPORTED error whose message could not
                                 hold them all */
} rk_convert_report;

void rk_convert_report_free(rk_convert_report *r);

/* The layer list of a hybrid quantisation config (cv_hybrid.c): the tensor
 * names mapped to float16 (int8 entries are dropped: the default). */
typedef struct rk_hybrid_cfg {
    char **layers;
    int n_layers;
} rk_hybrid_cfg;

/* Parse the YAML text (len bytes; `what` names it in errors, with line
 * numbers).  RK_EINPUT for malformed YAML, a missing custom_quantize_layers
 * key, duplicate names or unknown values; RK_EUNSUPPORTED for int16. */
rk_status rk_hybrid_cfg_parse(const char *text, size_t len, const char *what, rk_hybrid_cfg *cfg, rk_err *e);
rk_status rk_hybrid_cfg_read(const char *path, rk_hybrid_cfg *cfg, rk_err *e);
void rk_hybrid_cfg_free(rk_hybrid_cfg *cfg);

/* Compile `onnx_path`.  On success *out is a complete model (write it with
 * rknn_write_file).  Errors: RK_EINPUT unreadable model / calibration file,
 * RK_EUNSUPPORTED for ops or shapes outside the milestone (one message
 * listing every unsupported node), RK_ECHECK for a register field overflow
 * under no_tiling (message starts with the vendor REGTASK line). */
rk_status rk_convert_onnx(const char *onnx_path, const rk_convert_opts *opts, rknn_model **out,
                          rk_convert_report *rep, rk_err *e);

/* ------------------------------------------------ dynamic input (cv_dynamic.c) */

/* Parsed --dynamic-input.  Invariants: n_sets >= 1; every set has n_inputs
 * entries naming the same inputs in the same order (names[i] for entry i of
 * every set); dims all > 0; no two sets equal. */
typedef struct rk_shape_entry {
    int64_t dims[RK_MAX_DIMS];
    int ndim;
} rk_shape_entry;

typedef struct rk_shape_sets {
    char **names;           /* n_inputs input names */
    int n_inputs;
    rk_shape_entry *shapes; /* n_sets * n_inputs, set-major */
    int n_sets;
} rk_shape_sets;

/* Parse the --dynamic-input syntax above; RK_EUSAGE naming the set and
 * entry at fault (empty set, missing '=', bad dim, duplicate input, sets
 * naming different inputs, duplicate set). */
rk_status rk_shape_sets_parse(const char *spec, rk_shape_sets *out, rk_err *e);
void rk_shape_sets_free(rk_shape_sets *s);
/* Set k as an --input-shape string "name=d0,d1;name=..." (malloc'd). */
char *rk_shape_set_spec(const rk_shape_sets *s, int k);

/* rk_convert_onnx with opts->dynamic_input set (it dispatches here): every
 * set compiled by rk_convert_onnx with the set's fixed shapes, the results
 * merged into one model (rknn_append_graph_from), notes prefixed by the set;
 * report counts are sums over the sets. */
rk_status rk_convert_onnx_sets(const char *onnx_path, const rk_convert_opts *opts, rknn_model **out,
                               rk_convert_report *rep, rk_err *e);

#endif
