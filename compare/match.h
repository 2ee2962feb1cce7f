/*
 * match.h - pair the layers of a vendor .rknn with the tensors of its
 * source ONNX model, and bring a simulated tensor into the reference's
 * element order.
 *
 * Rules (facts from ../shared/reference/rknn-format.md and the vendor dumps
 * in reference/dumps/):
 *  - the vendor compiler keeps ONNX tensor names for activations: an .rknn
 *    node's output tensor is matched to the ONNX tensor of the same name
 *    (multiple_input_demo: rknn '7' = ONNX Conv_1's '7', observed);
 *  - a fused node (ConvRelu, ConvAdd, ConvAddRelu ...) outputs the tensor of
 *    its LAST ONNX node (ConvAdd 'Conv:Conv_0' outputs '8', which ONNX's
 *    Add_2 produces; Conv_0's own output '6' has no .rknn tensor, observed).
 *    The ONNX nodes folded into it are those between the node's .rknn input
 *    tensors and its output; their intermediate tensors are listed as
 *    "fused" (unmatched on the ONNX side, with that reason);
 *  - names the vendor derives by suffixing ("X_int8", "X_i8", as in its
 *    error_analysis.txt '[exDataConvert] data_int8') are tried without the
 *    suffix (inferred);
 *  - InputOperator outputs are the graph inputs (same names); OutputOperator
 *    nodes produce nothing new and are not layers;
 *  - tensors that rksim's compiler stores in a derived form ("X#eq",
 *    "Y#mm", "A#mmin", "B#mmw0", "X#fp16") are matched to the ONNX tensor
 *    their "rksim#partners" record names (sim/rknn_partner.h); compare.c
 *    applies the record's element map.  Vendor files have no such table.
 */
#ifndef RKSIM_COMPARE_MATCH_H
#define RKSIM_COMPARE_MATCH_H

#include <stdbool.h>

#include "onnxref.h"
#include "report.h"
#include "rknn.h"

/* One compared .rknn layer output.  Pointers into the models (valid while
 * both are loaded).  onnx_tensor is NULL when unmatched (reason says why). */
typedef struct cmp_match {
    uint32_t node;       /* index in graph 0's nodes */
    int32_t tensor;      /* index in graph 0's tensors */
    const char *onnx_tensor;
    int partner;         /* index into rknn_partners_read(rk)'s table, -1: matched by name */
    char onnx_ops[160];  /* ONNX op types folded into the node, "Conv+Add" */
    bool is_input, is_output, npu;
    char reason[200];
} cmp_match;

/* Match every layer output of graph 0.  ONNX node outputs left without a
 * partner are added to r's unmatched ONNX list (fused ones with the node
 * they were folded into).  *out is malloc'd. */
rk_status cmp_match_layers(const rknn_model *rk, const ox_model *ox, cmp_match **out, int *n,
                           cmp_report *r, rk_err *e);

/* Bring `test` (the simulator's float tensor) into `ref`'s shape and element
 * order as a new float32 tensor: identical shapes (ignoring size-1 axes)
 * are copied; a test tensor in the NHWC permutation of a rank-4 ref is
 * transposed to NCHW (and an NCHW test to an NHWC ref, as TF-origin graphs
 * have); any other shape with the same element count is
 * compared in row-major order and *note says so.  RK_EINPUT when the element
 * counts differ (message names both shapes). */
rk_status cmp_align(const rk_tensor *ref, const rk_tensor *test, rk_tensor *out, char *note,
                    size_t note_len, rk_err *e);

/* Quantise `ref` (float32, in t's original NCHW shape) as .rknn tensor t
 * says (int8/uint8: q = clamp(round(x/scale) + zp), half away from zero;
 * float16; float32) and lay it out in t's native bytes (*len = t->size,
 * *bytes malloc'd, NULL on error).  NC1HWC2 (layout 64, native
 * [N,C1,H,W,C2]): element (n,c,h,w) at [n][c/C2][h][w][c%C2]
 * (rknn-format.md §1.6); padding bytes are 0.  Other layouts: row-major. */
rk_status cmp_pack_native(const rknn_tensor *t, const rk_tensor *ref, uint8_t **bytes, size_t *len,
                          rk_err *e);

#endif
