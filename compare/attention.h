/*
 * attention.h - find attention blocks in an ONNX graph and break their error
 * down step by step.
 *
 * Detected forms (walking backwards from each Softmax):
 *   MatMul(Q, K^T) -> [Mul|Div by a constant] -> [Add mask | Where mask]
 *     -> Softmax -> MatMul(probs, V)
 * in any order of the scale and mask steps, with Cast/Identity steps
 * skipped; the scale may also be applied to Q and/or K before the MatMul
 * (torch's nn.MultiheadAttention divides Q by sqrt(d) first), possibly
 * through the Transpose/Reshape that split the heads.  Both operands of the
 * QK^T MatMul must be activations (a MatMul with a weight is a projection,
 * e.g. a classifier head followed by Softmax) and a MatMul must read the
 * probabilities (attn·V); otherwise the Softmax is not attention.  The ONNX Attention
 * operator (opset 23) is reported as one block whose visible steps are its
 * outputs (Y, and qk_matmul_output when present).
 *
 * A block's tensors are names in the ONNX graph; the analysis needs the
 * float reference values of those tensors (from onnxref) and, when the
 * simulator has a tensor of the same name, the simulated ones.
 */
#ifndef RKSIM_COMPARE_ATTENTION_H
#define RKSIM_COMPARE_ATTENTION_H

#include <stdbool.h>

#include "onnxref.h"
#include "report.h"

typedef enum cmp_attn_kind {
    CMP_ATTN_DECOMPOSED = 0,
    CMP_ATTN_OP = 1 /* the ONNX Attention operator */
} cmp_attn_kind;

/* Where the softmax scale is applied (names for reports). */
typedef enum cmp_attn_scale_place {
    CMP_SCALE_NONE = 0,   /* no constant scale found */
    CMP_SCALE_POST,       /* on the QK^T logits */
    CMP_SCALE_PRE,        /* on Q and/or K before the MatMul */
    CMP_SCALE_BOTH,       /* both (torch MHA: Q/sqrt(d), then logits*1.0) */
    CMP_SCALE_ATTR        /* Attention op's `scale` attribute (or its default) */
} cmp_attn_scale_place;

/*
 * One detected block.  Tensor names point into the model (valid until
 * ox_model_free); NULL when that step is not a separate tensor.
 *  - logits: the QK^T MatMul output;  softmax_in: what enters Softmax
 *    (after scale and mask);  probs: Softmax output;  context: attn·V.
 *  - scale: the product of the constant scale factors (Div c counts 1/c),
 *    NaN when none found (CMP_SCALE_NONE); for the Attention op the `scale`
 *    attribute or 1/sqrt(head size) when absent and the shape is known.
 *  - num_heads: from the declared shape of probs (rank 4 [B,H,S,S]: H;
 *    rank 3 [B*H,S,S]: dim 0) or the op's q_num_heads / 4-D Q shape;
 *    -1 when unknown (then filled from the actual tensor by the analysis).
 */
typedef struct cmp_attn_block {
    cmp_attn_kind kind;
    const ox_node *anchor; /* the Softmax, or the Attention node */
    const char *logits;
    const char *softmax_in;
    const char *probs;
    const char *context;
    const char *mask_op; /* "Add", "Where" or NULL */
    double scale;
    cmp_attn_scale_place scale_place;
    bool heads_split; /* a Reshape (head split) feeds the QK^T MatMul */
    int num_heads;
    char pattern[160];
} cmp_attn_block;

const char *cmp_attn_scale_place_name(cmp_attn_scale_place p);

/* Every attention block of the model, in graph order.  *out is malloc'd
 * (free()); *n may be 0.  Fails only on allocation failure. */
rk_status cmp_attn_detect(const ox_model *m, cmp_attn_block **out, int *n, rk_err *e);

/* Tensor lookup used by the analysis: the tensor named `name`, or NULL. */
typedef const rk_tensor *(*cmp_tensor_lookup)(void *user, const char *name);
/* int8 quantisation of a tensor in the simulated model, if known. */
typedef bool (*cmp_qparam_lookup)(void *user, const char *name, float *scale, int32_t *zp);

typedef struct cmp_attn_sources {
    cmp_tensor_lookup ref;   /* float reference (required) */
    void *ref_user;
    cmp_tensor_lookup test;  /* simulated, may be NULL */
    void *test_user;
    cmp_qparam_lookup qparams; /* may be NULL */
    void *q_user;
} cmp_attn_sources;

/*
 * Analyse one block into a report entry:
 *  - per step present in the reference, metrics against the simulated
 *    tensor of the same name when there is one, and per head when the
 *    tensor has rank >= 3 (heads on axis 1 for rank 4, axis 0 for rank 3);
 *  - softmax probabilities: share of probability mass (and of elements)
 *    whose int8 code equals the zero point (round(p/scale) == 0), with the
 *    model's scale when known, else the assumed asymmetric int8 over [0,1]
 *    (scale 1/255, zero point -128: inferred from rknn-toolkit2's
 *    asymmetric_quantized min/max rule, rknn-format.md §6);
 *  - logits entering softmax: finite min/max, the min over values above
 *    CMP_ATTN_MASK_FLOOR, and the int8 step (max - min)/255 each implies.
 */
rk_status cmp_attn_analyse(const cmp_attn_block *b, const cmp_attn_sources *src,
                           cmp_attn_report *out, rk_err *e);

/* Probability-mass helper (exposed for tests): share of the mass of the
 * finite non-negative values p with round(p/scale) == 0 (*mass) and share
 * of such elements (*frac).  NaN results for n == 0 or zero total mass. */
void cmp_prob_mass_zero(const float *p, int64_t n, float scale, double *mass, double *frac);

#endif
