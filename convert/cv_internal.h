/* cv_internal.h - the compiler's intermediate form, shared by cv_*.c. */
#ifndef RKSIM_CV_INTERNAL_H
#define RKSIM_CV_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "convert.h"
#include "onnxref.h"
#include "sim_asm.h"

/*
 * One activation tensor.  Invariants: every activation is 4-D NCHW with
 * N = 1 (c, h, w > 0); `name` is the ONNX tensor name (after aliasing
 * through Identity/Dropout); min <= 0 <= max after calibration (zero is
 * always representable); scale > 0 and -128 <= zp <= 127 for int8 models.
 * Native layout NC1HWC2 with 16-byte atoms; `bytes` = C1*H*W*16,
 * `pool_off` its place in the activation pool (64-byte aligned).
 */
typedef struct cv_tensor {
    char *name;
    int c, h, w;
    float min, max;
    bool calibrated;
    float scale;
    int32_t zp;
    bool is_input, is_output;
    uint32_t bytes, pool_off;
    int32_t rknn_index;
} cv_tensor;

typedef enum cv_kind { CV_CONV, CV_ADD, CV_MAXPOOL, CV_AVGPOOL } cv_kind;

/*
 * One NPU op.  in[]/out index cv_graph.tensors.  For CV_CONV, w is OIHW
 * float (O = k, I = c, or I = 1 when depthwise) with any BatchNorm already
 * folded in, b has k entries (zeros when the model has none, has_bias
 * false).  clip_lo/clip_hi: the fused Relu/Clip range (-inf/+inf if none).
 */
typedef struct cv_op {
    cv_kind kind;
    char *name;      /* ONNX node name of the op (the first node of the fused group) */
    char *label;     /* "Conv 'conv1'" for messages */
    int in[2], n_in, out;
    /* Conv / pooling geometry */
    int k, kh, kw, sy, sx, pt, pl, pb, pr;
    bool depthwise;
    float *w, *b;
    int wpk;         /* weights per output channel (c*kh*kw, kh*kw depthwise) */
    bool has_bias;
    bool relu;
    float clip_lo, clip_hi;
    bool count_include_pad;
} cv_op;

typedef struct cv_graph {
    cv_tensor *tensors;
    int n_tensors, cap_tensors;
    cv_op *ops;
    int n_ops, cap_ops;
    int *inputs, n_inputs;
    int *outputs, n_outputs;
    rk_tensor *consts;  /* values folded at compile time, named by tensor */
    int n_consts, cap_consts;
} cv_graph;

void cv_graph_free(cv_graph *g);
int cv_find_tensor(const cv_graph *g, const char *name);

/* cv_graph.c: build the op list from the ONNX model (passes included;
 * constant folding runs nodes with onnxref, hence the non-const model). */
rk_status cv_graph_build(ox_model *m, cv_graph *g, rk_convert_report *rep, rk_err *e);
/* cv_quant.c: min/max per tensor, then int8 scale/zp. */
rk_status cv_calibrate(ox_model *m, cv_graph *g, const rk_convert_opts *o, rk_convert_report *rep,
                       rk_err *e);
/* cv_build.c: tensors, nodes, buffers, program -> model. */
rk_status cv_build_model(cv_graph *g, const rk_convert_opts *o, rknn_model **out,
                         rk_convert_report *rep, rk_err *e);

/* Appends a printf-formatted note to the report (ignores allocation failure:
 * notes are informational). */
void cv_note(rk_convert_report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cv_emit.c ------------------------------------------------------------- */

/* Per-conv quantised data the emitter needs (int8) or fp16 flags. */
typedef struct cv_conv_q {
    int prec;              /* SIM_PREC_INT8 / SIM_PREC_FP16 */
    const char *in_name, *w_name, *bs_name, *out_name;
    uint32_t bs_use;       /* BRDMA items: 1 ALU, 4 MUL; 0 = BS bypass */
    uint32_t pad_value;
    int32_t out_offset;
    int16_t out_scale;
    int out_shift;
} cv_conv_q;

/* Emit the task(s) of one conv (tiling as needed).  op_idx = rknn node.
 * *n_tiles receives the number of tasks emitted. */
rk_status cv_emit_conv(sim_asm *a, const cv_graph *g, const cv_op *op, const cv_conv_q *q,
                       bool no_tiling, uint32_t op_idx, int *n_tiles, rk_err *e);

/* Int8 Add parameters (see cv_build.c for the arithmetic). */
typedef struct cv_add_q {
    int32_t a_alu;   /* BS ALU operand: -zp_a */
    int16_t a_mul;   /* BS MUL operand (shift 0): s_a / u */
    int32_t b_offset; /* EW converter offset: -zp_b */
    int16_t b_scale;  /* EW converter scale (shift 0): s_b / u */
    int32_t out_offset;
    int16_t out_scale;
    int out_shift;
} cv_add_q;

rk_status cv_emit_add(sim_asm *a, const cv_graph *g, const cv_op *op, const cv_add_q *q, uint32_t op_idx,
                      rk_err *e);

#endif
