/*
 * ox_op.h - the contract between the onnxref graph runner and operator
 * kernels.  One kernel file per operator family (ops_elementwise.c,
 * ops_nn.c, ops_shape.c, ...), each exporting a table of ox_op_def.
 *
 * A kernel receives the node (attributes), its input tensors (NULL for an
 * omitted optional input) and must allocate its outputs with
 * rk_tensor_alloc (the runner names them afterwards).  Kernels never print;
 * they return an rk_status and fill `e` with a sentence naming the node
 * (ox_node_label) and the offending attribute / input.
 */
#ifndef OX_OP_H
#define OX_OP_H

#include <stdbool.h>
#include <stdint.h>

#include "rk_tensor.h"

typedef struct ox_node ox_node;   /* opaque, defined by the runner */
typedef struct ox_ctx ox_ctx;     /* run context: thread count, scratch */

typedef enum ox_attr_type {
    OX_ATTR_NONE = 0,
    OX_ATTR_FLOAT,
    OX_ATTR_INT,
    OX_ATTR_STRING,
    OX_ATTR_TENSOR,
    OX_ATTR_FLOATS,
    OX_ATTR_INTS,
    OX_ATTR_STRINGS,
    OX_ATTR_GRAPH
} ox_attr_type;

/* Node identity, for messages: "Conv 'conv1' (opset 11)". */
const char *ox_node_label(const ox_node *n);
const char *ox_node_op_type(const ox_node *n);
int ox_node_opset(const ox_node *n); /* opset of the node's domain */
int ox_node_num_inputs(const ox_node *n);  /* as declared, incl. omitted "" */
int ox_node_num_outputs(const ox_node *n); /* as declared */
bool ox_node_output_used(const ox_node *n, int i); /* output name non-empty */

/* Attribute access.  *_or variants return the default when absent (an int
 * attribute stored as an integral float is accepted; any other type
 * mismatch reads as absent).
 * The `_ints`/`_floats` pointers stay valid for the node's lifetime. */
ox_attr_type ox_attr_kind(const ox_node *n, const char *name);
bool ox_attr_has(const ox_node *n, const char *name);
int64_t ox_attr_int_or(const ox_node *n, const char *name, int64_t dflt);
float ox_attr_float_or(const ox_node *n, const char *name, float dflt);
/* Returns dflt when absent; the string is NUL-terminated. */
const char *ox_attr_string_or(const ox_node *n, const char *name, const char *dflt);
int ox_attr_ints(const ox_node *n, const char *name, const int64_t **vals); /* -1 absent */
int ox_attr_floats(const ox_node *n, const char *name, const float **vals);  /* -1 absent */
/* Tensor attribute (Constant.value, ConstantOfShape.value): decoded copy. */
rk_status ox_attr_tensor(const ox_node *n, const char *name, rk_tensor *out, rk_err *e);

/* Number of worker threads the kernel may use (>= 1). */
int ox_ctx_threads(const ox_ctx *c);

/* True when input i of the running node is read by no later node and owned
 * by the runner: the kernel may then reuse its storage for an output of the
 * same byte size (set out->data = in[i]->data, every other field its own;
 * never take in[i]->name).  The runner notices the shared pointer and does
 * not free the input.  Only valid for kernels that can compute in place
 * (elementwise).  Always false in single-node runs. */
bool ox_input_reusable(const ox_ctx *c, int i);

/* Parallel for: calls fn(arg, begin, end) on disjoint ranges covering
 * [0, n), using up to ox_ctx_threads(c) threads (the calling thread is one
 * of them; the others come from a persistent process-wide pool, so a call
 * costs a wake-up, not a thread creation), and returns when all ranges are
 * done.  Ranges are at least `grain` long (except the last) and there are
 * at most 4 per thread; a loop of <= grain elements runs inline with no
 * thread overhead: pick grain ~ the work worth ~20 us.  fn must only write
 * disjoint data per range; nested calls (from inside fn) run inline.  Works
 * with c == NULL (runs inline). */
typedef void (*ox_range_fn)(void *arg, int64_t begin, int64_t end);
void ox_parallel_for(ox_ctx *c, int64_t n, int64_t grain, ox_range_fn fn, void *arg);

typedef rk_status (*ox_kernel_fn)(ox_ctx *ctx, const ox_node *n,
                                  const rk_tensor *const *in, int nin,
                                  rk_tensor *out, int nout, rk_err *e);

/* One implementation of an operator, valid from opset `since` until the
 * next entry of the same op_type with a larger `since`. */
typedef struct ox_op_def {
    const char *domain;  /* "" for ai.onnx */
    const char *op_type;
    int since;
    ox_kernel_fn run;
} ox_op_def;

/* Each ops_*.c file defines one table, terminated by an entry with
 * op_type == NULL, and declares it here. */
extern const ox_op_def ox_ops_elementwise[];
extern const ox_op_def ox_ops_nn[];
extern const ox_op_def ox_ops_shape[];
extern const ox_op_def ox_ops_reduce[];
extern const ox_op_def ox_ops_misc[];
extern const ox_op_def ox_ops_loss[]; /* NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss */
extern const ox_op_def ox_ops_training[]; /* ai.onnx.preview.training optimizers */
extern const ox_op_def ox_ops_signal[];   /* DFT, STFT, MelWeightMatrix */
extern const ox_op_def ox_ops_text[];     /* TfIdfVectorizer (integer tokens) */

/* Broadcasting helper for kernels (numpy rules): computes the output shape
 * of a and b, or fails naming the node. */
rk_status ox_broadcast_shape(const ox_node *n, const rk_tensor *a, const rk_tensor *b,
                             int *ndim, int64_t *dims, rk_err *e);

#endif
