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
 * N = 1 (c, h, w > 0), except `nd` tensors (below: between CPU nodes, and
 * graph inputs of any other shape, e.g. [1,T,D]); `name` is the ONNX tensor name (after aliasing
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
    /* nd: a tensor whose shape is not [1,C,H,W] (dims/ndim hold it; c =
     * element count, h = w = 1), stored in plain row-major layout.  Only
     * CPU nodes (and MatMul packing nodes, which are CPU nodes) read it: the
     * NPU lowering refuses it.  CPU-node outputs are always f32; a graph
     * input is stored in the program's dtype (int8 per tensor / fp16), as
     * the vendor runtime reports its non-4-D inputs (fmt UNDEFINED, type of
     * the model; cv_build.c). */
    bool nd;
    int ndim;
    int64_t dims[RK_MAX_DIMS];
    /* float32, plain NCHW layout: produced by a CPU node and read by no NPU
     * op (e.g. a model output computed on the CPU): nothing needs it in
     * int8, and quantising it would only add error (cv_build.c). */
    bool f32;
    /* Channel equalisation (cv_quant.c): a CPU-produced tensor read only by
     * one Conv is stored divided per channel by eq[c] (<= 1) so that every
     * channel spans the int8 range; the conv's weights are multiplied by
     * eq[c] (exact in float).  ch_min/ch_max: per-channel calibration
     * ranges of such candidates; eq_op: the conv; name gets "#eq". */
    float *ch_min, *ch_max, *eq;
    int eq_op;
    bool eq_out; /* the other direction: a Conv output read only by CPU
                    groups, stored y/eq[c] (weights and bias of output
                    channel c divided by eq[c]); the CPU groups multiply
                    back in float */
    bool act_probe;  /* ch_min/ch_max recorded only to judge a fused LUT
                        activation's output (cv_act_judge), never equalised */
    bool eq_to_conv; /* eq_out whose single reader is the Conv ops[eq_reader]
                        (its input channel c weights are multiplied by
                        eq[c] instead of a CPU group multiplying back) */
    int eq_reader;
    /* hybrid (cv_hybrid.c): stored as fp16 in an int8 program (written by
     * an fp16 NPU op, or a CPU group's output named in the config / read by
     * an fp16 op).  The calibration fields stay (conversions copy them). */
    bool fp16;
    uint32_t *hist;   /* MMSE calibration: CV_HIST_BINS counts over the min/max pass's [min, max] */
    struct cv_mm_view *mm; /* non-NULL: a matrix view for MatMul/Gemm (cv_matmul.c); NPU ops other than
                              CV_MATMUL must not read it */
    /* lite (RK3566) graph input of <= 4 channels read only by direct convs:
     * stored as the vendor lite files store image inputs, channels packed
     * per pixel (native [1,1,H,W,C]), rows padded to 8 bytes, read by the
     * CNA in ARGB mode (cv_build.c, cv_emit.c) */
    bool argb;
} cv_tensor;

/*
 * A MatMul/Gemm operand or result in the layout of a 1x1 conv (cv_matmul.c):
 * the ONNX tensor `onnx_name` (shape ndim/dims, row-major float) seen as a
 * matrix of `rows` x `cols` (rows = product of the leading dims; trans: the
 * ONNX tensor is [cols, rows], Gemm transA) is stored as the activation
 * [1, cols, H, W] with pixel p = row p for p < rows and zero rows after
 * (H >= 4, H*W >= rows).  CPU nodes convert at the boundary (cv_cpu.c):
 * a producer packs (Reshape/Transpose/Concat), a reader unpacks
 * (Reshape/Gather/Transpose/Reshape) back to the ONNX tensor.
 * calib_from: the tensor whose calibrated range this one takes (-1: it is
 * calibrated under its own name, which gets "#mm" after calibration).
 */
typedef enum cv_mm_role { CV_MM_RESULT, CV_MM_OPERAND, CV_MM_WEIGHTS } cv_mm_role;

typedef struct cv_mm_view {
    char *onnx_name;
    int ndim;
    int64_t dims[RK_MAX_DIMS];
    int rows, cols;
    bool trans;
    int calib_from;
    /* RESULT: a MatMul output (read by CPU nodes through unpacking);
     * OPERAND: a packed A; WEIGHTS: matrix batch `batch` of an activation B
     * ([.., rows = K, cols = N]) written by the CPU node in the CNA weight
     * layout (SEMANTICS C-WT) of its transpose, stored as the activation
     * [1, C2, 1, bytes/16] whose NC1HWC2 bytes are exactly that layout.
     * nbatch > 1: the ONNX tensor is a stack of nbatch matrices and this view
     * holds matrix `batch` (activation x activation MatMuls: one conv task
     * per matrix).  sym: int8 with zero point 0 (the conv's BS stage then
     * needs no runtime weight sums).  esz: the element bytes the view was
     * planned for (1 int8, 2 fp16; the op's dtype, cv_matmul.c plan_esz):
     * H x W fit the CBUF in that dtype, and for WEIGHTS C2 = 16 / esz and
     * the CNA layout are that dtype's, so the reading conv must run in it. */
    cv_mm_role role;
    int batch, nbatch;
    bool sym;
    int esz;
} cv_mm_view;

#define CV_HIST_BINS 2048

/* CV_CPU: an ONNX node run on the host in float (cv_cpu.c). */
/* CV_MATMUL: MatMul/Gemm with a constant B as a 1x1 conv (cv_matmul.c);
 * geometry and w/b/wpk as for CV_CONV (kh = kw = 1), in[0]/out are mm views. */
typedef enum cv_kind { CV_CONV, CV_ADD, CV_MAXPOOL, CV_AVGPOOL, CV_CPU, CV_MATMUL } cv_kind;

#define CV_MAX_IN 16

/*
 * An activation fused into a Conv or Add beyond Relu/Clip (cv_graph.c
 * fuse_followers, numbers in cv_act.c):
 *   LEAKY       x >= 0 ? x : alpha*x          (Conv: DPU BN PReLU multiply;
 *                                              int8 Add: the LUT)
 *   SIGMOID     1 / (1 + e^-x)                (LUT, int8 only)
 *   SILU        x * sigmoid(x)                (Sigmoid + Mul(x, .) pattern)
 *   HARDSIGMOID max(0, min(1, alpha*x + beta))
 *   HARDSWISH   x * hardsigmoid(x)            (HardSwish op, x*HardSigmoid(x),
 *                                              x*Clip(x+b, 0, c) patterns)
 *   TANH        tanh(x)
 * post_mul / post_add: scalar affine ops after a LUT activation (y =
 * post_mul * act(x) + post_add), folded into the table (1 / 0 if none).
 * pre_name: the ONNX tensor entering the activation; calibration records
 * its range in pre_min/pre_max (cv_quant.c; reported, see cv_act.c).
 */
typedef enum cv_act_kind {
    CV_ACT_NONE,
    CV_ACT_LEAKY,
    CV_ACT_SIGMOID,
    CV_ACT_SILU,
    CV_ACT_HARDSIGMOID,
    CV_ACT_HARDSWISH,
    CV_ACT_TANH
} cv_act_kind;

typedef struct cv_act {
    cv_act_kind kind;
    float alpha, beta;
    float post_mul, post_add;
    char *pre_name;
    float pre_min, pre_max;
    bool pre_seen;
} cv_act;

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
    int in[CV_MAX_IN], n_in, out;
    /* Conv / pooling geometry */
    int k, kh, kw, sy, sx, pt, pl, pb, pr;
    bool depthwise;
    float *w, *b;
    int wpk;         /* weights per output channel (c*kh*kw, kh*kw depthwise) */
    bool has_bias;
    bool relu;
    float clip_lo, clip_hi;
    bool count_include_pad;
    /* CV_CPU: a run of consecutive ONNX nodes without NPU lowering, one
     * CPU node in the .rknn computed in float end to end (no requantisation
     * between them).  in[] lists the activation inputs read from outside
     * the group; cpu_out[] every tensor the group produces (out = the
     * first); blob the serialized ONNX model of the group (cv_cpu.c). */
    const ox_node **cpu_nodes;
    int n_cpu_nodes;
    int *cpu_out;
    int n_cpu_out;
    uint8_t *blob;
    size_t blob_len;
    /* CV_CPU: mm-view tensors this group also produces (packed from its
     * values after its nodes, cv_cpu.c); they are in cpu_out too */
    int *mm_pack;
    int n_mm_pack;
    /* hybrid (cv_hybrid.c): fp16 = this NPU op runs in fp16 inside an int8
     * program (its inputs and output are fp16 tensors); cvt = a CPU op with
     * no ONNX nodes converting in[0] to out (int8 <-> fp16, blob: Identity). */
    bool fp16;
    bool cvt;
    cv_act act; /* fused activation beyond Relu/Clip (kind CV_ACT_NONE: none) */
} cv_op;

/* Shape and element type of a value as seen in one float run (CPU nodes
 * need the shapes of arbitrary op outputs). */
typedef struct cv_shape {
    char *name;
    rk_dtype dtype;
    int ndim;
    int64_t dims[RK_MAX_DIMS];
} cv_shape;

typedef struct cv_graph {
    cv_tensor *tensors;
    int n_tensors, cap_tensors;
    cv_op *ops;
    int n_ops, cap_ops;
    int *inputs, n_inputs;
    int *outputs, n_outputs;
    rk_tensor *consts;  /* values folded at compile time, named by tensor */
    int n_consts, cap_consts;
    rk_convert_dtype dtype; /* of the program being built (C2 = 16 / element bytes) */
    cv_shape *shapes;   /* filled on the first CPU fallback (NULL before) */
    int n_shapes, cap_shapes;
    bool shapes_done;
    bool hist_pass;     /* calibration: second (histogram) pass running */
    const struct cv_soc *soc; /* target SoC parameters (set before cv_graph_build) */
    /* int8 programs with --hybrid: the parsed config, set by the caller
     * before cv_graph_build (which keeps it): the MatMul lowering plans the
     * ops it names for fp16 (geometry, runtime weight layout) before
     * cv_hybrid_apply marks them, because that layout is fixed at lowering. */
    const rk_hybrid_cfg *hybrid;
    /* ops (by name) whose LUT activation stays on the CPU: set by the caller
     * before a rebuild (cv_act_judge), kept by cv_graph_build */
    char **act_refused;
    int n_act_refused;
    /* the subset refused because a hybrid config names their fused output
     * as float16 (no float LUT): cv_hybrid_apply runs the conv/add in fp16
     * and the activation's CPU node in float */
    char **act_fp16;
    int n_act_fp16;
} cv_graph;

void cv_graph_free(cv_graph *g);
int cv_find_tensor(const cv_graph *g, const char *name);
/* The ONNX shape of activation t ([1,C,H,W], or dims of an nd tensor);
 * returns the rank (dims needs RK_MAX_DIMS entries). */
int cv_tensor_dims(const cv_tensor *t, int64_t *dims);

/* cv_graph.c: build the op list from the ONNX model (passes included;
 * constant folding runs nodes with onnxref, hence the non-const model). */
rk_status cv_graph_build(ox_model *m, const rk_convert_opts *o, cv_graph *g, rk_convert_report *rep, rk_err *e);

/* cv_cpu.c: the serialized ONNX model of CPU group op (its nodes, the
 * constants they read as initializers, op->in as graph inputs, op->cpu_out
 * as graph outputs, all float [1,C,H,W]).  Sets op->blob / blob_len. */
rk_status cv_cpu_blob(const ox_model *m, const cv_graph *g, cv_op *op, rk_err *e);
/* cv_cpu.c: serialise every CPU group (after calibration: equalised
 * outputs get their per-channel scaling node). */
rk_status cv_cpu_finish(const ox_model *m, cv_graph *g, rk_err *e);
/* cv_cpu.c: shapes of every value from one float run (once; needs fixed
 * input shapes in g), and a lookup (NULL if the run never produced it). */
rk_status cv_shapes_compute(ox_model *m, cv_graph *g, rk_err *e);
const cv_shape *cv_shape_of(const cv_graph *g, const char *name);
/* A constant by name: initializer or folded value (cv_graph.c). */
const rk_tensor *cv_find_const(const ox_model *m, const cv_graph *g, const char *name);
/* cv_graph.c: tensor / op creation for other passes (cv_matmul.c). */
rk_status cv_add_tensor(cv_graph *g, const char *name, int c, int h, int w, int *idx, rk_err *e);
rk_status cv_add_op(cv_graph *g, const ox_node *n, cv_kind kind, cv_op **out, rk_err *e);

/* cv_matmul.c: MatMul/Gemm node n as CV_MATMUL (with a trailing bias Add
 * folded: used[] marks it, *fused_out names the result).  *done false and
 * `why` filled when it has no NPU lowering (the caller lists it / falls
 * back to the CPU). */
rk_status cv_matmul_lower(ox_model *m, const ox_node *n, cv_graph *g, bool *used, bool *done, char *why,
                          size_t why_len, const char **fused_out, rk_convert_report *rep, rk_err *e);
/* cv_matmul.c: marks op's output tensor (just created under the fused
 * result's ONNX name) as an mm view. */
rk_status cv_matmul_output(ox_model *m, cv_graph *g, cv_op *op, rk_err *e);
/* cv_matmul.c: graph outputs that are mm views get an unpacking CPU node. */
rk_status cv_matmul_graph_outputs(ox_model *m, cv_graph *g, rk_convert_report *rep, rk_err *e);
/* cv_build.c dispatch: a CV_MATMUL with n_in == 2 (in[1] = runtime
 * weights) is built here; the others like a Conv. */
rk_status cv_matmul_build_dynamic(sim_asm *a, const cv_graph *g, const cv_op *op, bool no_tiling, uint32_t op_idx,
                                  rk_convert_report *rep, rk_err *e);
/* cv_matmul.c: the CNA weight layout as an index map (see cv_matmul.c). */
void cv_matmul_weight_map(int n, int k, int esz, int64_t *map);
/* cv_matmul.c: after calibration: mm views take their ranges and the "#mm" name. */
rk_status cv_matmul_finish(cv_graph *g, rk_err *e);
void cv_mm_view_free(struct cv_mm_view *v);

/* cv_quant.c: min/max per tensor, then int8 scale/zp. */
rk_status cv_calibrate(ox_model *m, cv_graph *g, const rk_convert_opts *o, rk_convert_report *rep,
                       rk_err *e);
/* cv_hybrid.c: after calibration, mark the configured layers fp16 and
 * insert conversion ops at dtype boundaries (RK_EINPUT naming every unknown
 * tensor); cv_hybrid_finish (after cv_cpu_finish) writes their blobs. */
rk_status cv_hybrid_apply(cv_graph *g, const rk_hybrid_cfg *cfg, rk_convert_report *rep, rk_err *e);
rk_status cv_hybrid_finish(const ox_model *m, cv_graph *g, rk_err *e);

/* cv_build.c: tensors, nodes, buffers, program -> model. */
rk_status cv_build_model(cv_graph *g, const rk_convert_opts *o, rknn_model **out,
                         rk_convert_report *rep, rk_err *e);

/* cv_partner.c: the "rksim#partners" const tensor (sim/rknn_partner.h) naming
 * the ONNX tensor of every tensor stored in a derived form; none when there
 * is no such tensor. */
rk_status cv_partners_add(rknn_model *m, const cv_graph *g, rk_convert_report *rep, rk_err *e);

/* scale / 2^shift ~ m with scale in [2^14, 2^15) (cv_build.c); errors name
 * op and `what` ("output"). */
rk_status cv_fixed_point(double m, const char *what, const cv_op *op, int16_t *scale, int *shift, rk_err *e);
/* Appends v to the malloc'd array *arr of *n ints (cv_graph.c). */
rk_status cv_push_int(int **arr, int *n, int v, rk_err *e);

/* Appends a printf-formatted note to the report (ignores allocation failure:
 * notes are informational). */
void cv_note(rk_convert_report *rep, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cv_soc.c: the per-SoC numbers of the lowering, one table (each with its
 * source).  Invariant: atom is the feature atom in bytes (C2 = atom /
 * element bytes); a tensor's surface is h*w*atom bytes; cbuf_banks banks of
 * cbuf_bank_bytes; wgrp_* kernels per weight group; dwgrp_* channels per
 * depthwise weight group; bs_group channels per BRDMA data group.  lite:
 * the RK3566/RK3568 register family (SEMANTICS.md "lite differences"). */
typedef struct cv_soc {
    rk_soc soc;
    const char *format, *platform; /* .rknn format / target strings */
    bool lite;
    int atom;
    int cbuf_banks, cbuf_bank_bytes;
    int wgrp_int8, wgrp_fp16;
    int dwgrp_int8, dwgrp_fp16;
    int bs_group;
} cv_soc;

/* cv_build.c: a const tensor with its own buffer; `scale` (n_scale values,
 * may be NULL) is the symmetric int8 weight quantisation (zero points 0). */
rk_status cv_add_const(rknn_model *m, const char *name, rk_dtype dt, uint8_t layout, const int32_t *shp,
                       uint32_t ns, const void *data, size_t len, const float *scale, uint32_t n_scale,
                       rk_err *e);

const cv_soc *cv_soc_get(rk_soc soc); /* NULL: no lowering for this SoC */
int cv_soc_c2(const cv_soc *s, int esz);
int cv_soc_wgrp(const cv_soc *s, int esz);
int cv_soc_cin_align(const cv_soc *s, int c, int esz);
rk_status cv_soc_pack_weights(const cv_soc *s, int prec, bool depthwise, int k, int c, int kh, int kw,
                              const void *oihw, uint8_t **out, size_t *len, rk_err *e);
/* BRDMA data (ALU int32 / MUL int16 per channel) in the SoC's groups. */
rk_status cv_soc_pack_bs(const cv_soc *s, uint32_t use, int k, const int32_t *alu, const int16_t *mul,
                         uint8_t **out, size_t *len, rk_err *e);

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
    /* lite int8: the CNA converter reads the input as unsigned bytes u = q + 128
     * and converts back ((u - 128) * 2^14 >> 14), as the vendor lite files do for
     * their graph inputs (SEMANTICS lite table; rksim's runtime stores u) */
    bool unsigned_input;
    /* fused LeakyRelu: BN stage PReLU multiply (negatives only), operand
     * bn_mul (int8: alpha = bn_mul / 2^bn_shift; fp16: fp16 bits of alpha) */
    bool bn_prelu;
    uint16_t bn_mul;
    int bn_shift;
    /* fused LUT activation (int8, cv_act.c): tables and ranges; NULL: none */
    const sim_asm_lut *lut;
} cv_conv_q;

/* Emit the task(s) of one conv (tiling as needed).  op_idx = rknn node.
 * *n_tiles receives the number of tasks emitted. */
/* Output channels per task of a conv (the weights are packed per such
 * group, cv_build.c): op->k unless tiled by channels. */
int cv_conv_kgroup(const cv_graph *g, const cv_op *op, int prec, bool no_tiling);

rk_status cv_emit_conv(sim_asm *a, const cv_graph *g, const cv_op *op, const cv_conv_q *q,
                       bool no_tiling, uint32_t op_idx, int *n_tiles, rk_err *e);

/* Add parameters (see cv_build.c for the arithmetic).  prec: SIM_PREC_INT8
 * (0) or SIM_PREC_FP16 (then a_alu = fp32 bits, a_mul = fp16 bits, the EW
 * converter is bypassed and out_scale must be 1). */
typedef struct cv_add_q {
    int prec;
    int32_t a_alu;   /* BS ALU operand: -zp_a */
    int16_t a_mul;   /* BS MUL operand (shift 0): s_a / u */
    int32_t b_offset; /* EW converter offset: -zp_b */
    int16_t b_scale;  /* EW converter scale (shift 0): s_b / u */
    int32_t out_offset;
    int16_t out_scale;
    int out_shift;
    const sim_asm_lut *lut; /* int8: fused LUT activation after the addition (NULL: none) */
} cv_add_q;

rk_status cv_emit_add(sim_asm *a, const cv_graph *g, const cv_op *op, const cv_add_q *q, uint32_t op_idx,
                      rk_err *e);

/* cv_act.c -------------------------------------------------------------- */

/* The fused function of op (activation, then post_mul/post_add) at x. */
double cv_act_eval(const cv_act *a, double x);
const char *cv_act_name(cv_act_kind k);
/* true: op's activation runs in the DPU LUT (int8 only). */
bool cv_act_uses_lut(const cv_op *op);

/* The LUT of a fused activation: the DPU value entering the LUT is an
 * integer in units of `unit` (real value = v * unit); the LUT output is an
 * integer in units of out_unit, which OUT_CVT maps to the output tensor. */
typedef struct cv_act_lut {
    sim_asm_lut lut;
    int16_t le[1024], lo[1024];
    double out_unit;
    double x_neg, x_pos;   /* real input range the tables cover */
} cv_act_lut;

rk_status cv_act_build_lut(const cv_op *op, double unit, cv_act_lut *L, rk_err *e);
/* Channel-range spread of a tensor (cv_act_judge). */
double cv_act_spread(const cv_tensor *t);
/* After calibration: the LUT-fused ops whose output would quantise worse
 * than the CPU path (spread above max_spread: CV_ACT_MAX_SPREAD, or
 * CV_ACT_MAX_SPREAD_KL for --algo kl); names appended to g->act_refused
 * (a report note each).  *n_new: how many were added. */
#define CV_ACT_MAX_SPREAD 4.0
#define CV_ACT_MAX_SPREAD_KL 2.0
rk_status cv_act_judge(cv_graph *g, double max_spread, int *n_new, rk_convert_report *rep, rk_err *e);
/* Before calibration: LUT-fused ops whose output a hybrid config names
 * float16 are refused (g->act_refused and g->act_fp16). */
rk_status cv_act_hybrid_refuse(cv_graph *g, const rk_hybrid_cfg *cfg, int *n_new, rk_convert_report *rep, rk_err *e);
/* LeakyRelu's alpha as the int8 BN PReLU operand: alpha ~ mul / 2^shift. */
rk_status cv_act_prelu_int8(const cv_op *op, uint16_t *mul, int *shift, rk_err *e);

#endif
