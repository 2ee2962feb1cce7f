/*
 * compare.h - `rksim compare`: run the source ONNX model in onnxref and the
 * vendor .rknn in the simulator on the same input, and fill a report with
 * per-layer metrics in two modes (as rknn-toolkit2's accuracy_analysis,
 * rknn-format.md §4.1):
 *   entire: the whole simulated model against the whole float model, layer
 *           by layer (errors accumulate);
 *   single: each NPU layer fed the float reference's own input tensors,
 *           quantised as that layer's .rknn input tensors say (scale, zero
 *           point, int8/fp16, NC1HWC2 packing), so only its own error shows.
 * plus the attention breakdown (attention.h).
 *
 * How single mode runs (public sim API only, see compare.c): one full
 * simulator run per NPU layer in which, just before the layer's first task
 * (sim_options.before_task), the layer's internal input tensors are written
 * into DRAM with the quantised reference (sim_tensor_write).  Not earlier:
 * a CPU node producing the input would overwrite it, and before the inputs'
 * producers run their pool bytes may belong to other live tensors.  Graph
 * inputs are left as the InputOperator wrote them, since both runs are fed
 * the same data.  The layer's output is then read from the captured layers.
 * It needs the layer's node name to be unique (the hook identifies tasks by
 * layer name).  Cost: one simulation per NPU layer (--single-max bounds it);
 * a sim API to run one node on given inputs would make it one layer's work
 * each.
 *
 * Tensors stored in a derived form by rksim's compiler ("#eq", "#mm",
 * "#mmin", "#mmw", "#fp16"; sim/rknn_partner.h) are compared through their
 * partner records: the simulated values are mapped onto the ONNX elements
 * they stand for; single mode injects the reference through the inverse map.
 */
#ifndef RKSIM_COMPARE_H
#define RKSIM_COMPARE_H

#include <stdbool.h>

#include "report.h"

typedef struct cmp_options {
    bool single;           /* run single mode (default true) */
    int single_max_layers; /* skip single mode above this many NPU layers (default 64) */
    bool attention;        /* attention breakdown (default true) */
    bool lenient;          /* simulator: record unknown register values and go on */
    int threads;           /* onnxref kernel threads (default 1) */
    bool nhwc_inputs;      /* rank-4 input files are NHWC: transposed to NCHW first */
} cmp_options;

void cmp_options_default(cmp_options *o);

/*
 * Compare.  input_paths: one or more .npy / HDF5 files (rk_tensorfile_read);
 * tensors are given to the ONNX inputs by name (HDF5 dataset = input name)
 * or else in order.  Integer inputs (the vendor demos ship uint8 images)
 * are converted to the ONNX input's declared float type; the .rknn input
 * normalisation (mean/std per channel) is applied to the ONNX side, as the
 * NPU's InputOperator applies it on the simulated side.
 * `r` must be initialised (cmp_report_init); thresholds and top_n are left
 * as the caller set them and cmp_report_check is called at the end.
 */
rk_status cmp_run(const char *onnx_path, const char *rknn_path, const char *const *input_paths,
                  int n_inputs, const cmp_options *o, cmp_report *r, rk_err *e);

#endif
